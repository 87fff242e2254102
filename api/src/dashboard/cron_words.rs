//! Cron expressions in words for the schedules view: the common shapes (every N minutes, hourly, daily,
//! on weekdays, weekly, monthly) get a sentence; anything else falls back to `cron <expression>`.

const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Describes a 5-field expression (or 6 with seconds first) in English, e.g. `0 2 * * *` → `every day at 02:00`.
pub fn describe(expression: &str) -> String {
    let fields: Vec<&str> = expression.split_whitespace().collect();
    let described = match fields.as_slice() {
        [m, h, dom, mon, dow] => five(m, h, dom, mon, dow),
        ["0", m, h, dom, mon, dow] => five(m, h, dom, mon, dow),
        ["*", "*", "*", "*", "*", "*"] => Some("every second".to_owned()),
        [s, "*", "*", "*", "*", "*"] => step(s).map(|n| format!("every {n} seconds")),
        _ => None,
    };
    described.unwrap_or_else(|| format!("cron {}", expression.trim()))
}

/// `*/N` → N.
fn step(field: &str) -> Option<u32> {
    field.strip_prefix("*/")?.parse().ok().filter(|n| *n > 0)
}

fn number(field: &str, max: u32) -> Option<u32> {
    field.parse().ok().filter(|n| *n <= max)
}

fn day_name(field: &str) -> Option<&'static str> {
    if let Some(n) = number(field, 7) {
        return Some(DAYS[(n % 7) as usize]);
    }
    DAYS.iter()
        .find(|d| d[..3].eq_ignore_ascii_case(field))
        .copied()
}

/// The days of a day-of-week field: `1-5` → `weekdays`, `SUN` → `Sunday`, `1,3` → `Monday and Wednesday`.
fn days(field: &str) -> Option<String> {
    let lower = field.to_ascii_lowercase();
    if lower == "1-5" || lower == "mon-fri" {
        return Some("weekday (Monday to Friday)".into());
    }
    if lower == "0,6" || lower == "6,0" || lower == "sat,sun" || lower == "6-7" {
        return Some("Saturday and Sunday".into());
    }
    if let Some((a, b)) = field.split_once('-') {
        return Some(format!("{} to {}", day_name(a)?, day_name(b)?));
    }
    let names: Option<Vec<&str>> = field.split(',').map(day_name).collect();
    let names = names?;
    Some(match names.as_slice() {
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
        [] => return None,
    })
}

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn five(m: &str, h: &str, dom: &str, mon: &str, dow: &str) -> Option<String> {
    if mon != "*" {
        return None;
    }
    // The time part.
    let time = match (number(m, 59), number(h, 23)) {
        (Some(m), Some(h)) => Some(format!("at {h:02}:{m:02}")),
        _ => None,
    };
    match (dom, dow) {
        ("*", "*") => match (m, h, &time) {
            ("*", "*", _) => Some("every minute".into()),
            (_, "*", _) if step(m).is_some() => step(m).map(|n| format!("every {n} minutes")),
            (_, "*", _) => number(m, 59).map(|m| format!("every hour at minute {m:02}")),
            (_, _, Some(t)) => Some(format!("every day {t}")),
            _ => {
                let n = step(h)?;
                let m = number(m, 59)?;
                Some(format!("every {n} hours at minute {m:02}"))
            }
        },
        ("*", dow) => Some(format!("every {} {}", days(dow)?, time?)),
        (dom, "*") => Some(format!(
            "on the {} of every month {}",
            ordinal(number(dom, 31).filter(|d| *d >= 1)?),
            time?
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn common_shapes_read_as_sentences() {
        for (cron, words) in [
            ("* * * * *", "every minute"),
            ("*/10 * * * *", "every 10 minutes"),
            ("15 * * * *", "every hour at minute 15"),
            ("0 2 * * *", "every day at 02:00"),
            ("0 */6 * * *", "every 6 hours at minute 00"),
            ("30 8 * * 1-5", "every weekday (Monday to Friday) at 08:30"),
            ("0 5 * * SUN", "every Sunday at 05:00"),
            ("0 5 * * 0", "every Sunday at 05:00"),
            ("0 9 * * 1,3", "every Monday and Wednesday at 09:00"),
            ("0 4 1 * *", "on the 1st of every month at 04:00"),
            ("0 0 2 22 * *", "on the 22nd of every month at 02:00"),
            ("0 0 3 * * *", "every day at 03:00"),
            ("*/5 * * * * *", "every 5 seconds"),
            ("0 0 1 1 *", "cron 0 0 1 1 *"),
            ("nonsense", "cron nonsense"),
        ] {
            assert_eq!(describe(cron), words, "{cron}");
        }
    }
}
