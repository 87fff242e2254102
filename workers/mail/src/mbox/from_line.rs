//! The date of an mbox `From ` separator line (ctime format, optionally with a numeric zone):
//! `From sender Wed Nov 21 19:57:00 2025`, `... 2025 +0100`, `... 19:57:00 +0100 2025`.
//! Without a zone the time is taken as UTC.

use chrono::{DateTime, NaiveDate, Utc};

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Date of a From_ line (with or without the leading `From `); `None` when it holds no valid date.
pub fn parse_from_line_date(line: &[u8]) -> Option<DateTime<Utc>> {
    let text = String::from_utf8_lossy(line);
    let tokens: Vec<&str> = text.split_whitespace().collect();
    // The sender may be anything; the date starts at the first "Mon DD HH:MM[:SS]" triple.
    let start = (0..tokens.len().saturating_sub(2)).find(|&i| {
        month(tokens[i]).is_some() && day(tokens[i + 1]).is_some() && time(tokens[i + 2]).is_some()
    })?;
    let mon = month(tokens[start])?;
    let d = day(tokens[start + 1])?;
    let (h, mi, s) = time(tokens[start + 2])?;
    let mut year = None;
    let mut offset_secs = 0i64;
    for t in &tokens[start + 3..] {
        if let Some(off) = zone(t) {
            offset_secs = off;
        } else if year.is_none() && t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
            year = t.parse::<i32>().ok();
        }
    }
    let naive = NaiveDate::from_ymd_opt(year?, mon, d)?.and_hms_opt(h, mi, s)?;
    Some(naive.and_utc() - chrono::Duration::seconds(offset_secs))
}

fn month(t: &str) -> Option<u32> {
    MONTHS
        .iter()
        .position(|m| t.eq_ignore_ascii_case(m))
        .and_then(|p| u32::try_from(p + 1).ok())
}

fn day(t: &str) -> Option<u32> {
    t.parse::<u32>().ok().filter(|d| (1..=31).contains(d))
}

fn time(t: &str) -> Option<(u32, u32, u32)> {
    let mut parts = t.split(':').map(|p| p.parse::<u32>().ok());
    let h = parts.next()??;
    let m = parts.next()??;
    let s = match parts.next() {
        Some(s) => s?,
        None => 0,
    };
    (parts.next().is_none() && h < 24 && m < 60 && s < 61).then_some((h, m, s))
}

/// A numeric zone `+hhmm` / `-hhmm` in seconds east of UTC.
fn zone(t: &str) -> Option<i64> {
    let (sign, digits) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => return None,
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: i64 = digits.parse().ok()?;
    Some(sign * ((v / 100) * 3600 + (v % 100) * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(line: &str) -> Option<i64> {
        parse_from_line_date(line.as_bytes()).map(|d| d.timestamp())
    }

    #[test]
    fn ctime_formats() {
        assert_eq!(ts("From a@b.fr Thu Jan  1 00:00:10 1970"), Some(10));
        assert_eq!(
            ts("From MAILER-DAEMON Thu Jan 1 01:00:00 1970 +0100"),
            Some(0)
        );
        assert_eq!(ts("From x Thu Jan 1 01:00 -0100 1970\r\n"), Some(7200));
    }

    #[test]
    fn invalid_dates() {
        assert_eq!(ts("From someone who wrote a sentence"), None);
        assert_eq!(ts("From a Feb 30 10:00:00 2024"), None);
        assert_eq!(ts("From a Feb 3 25:00:00 2024"), None);
    }
}
