//! `Timestamp`: an RFC 3339 instant accepted from a client, bounded to years 1970 to 9999 so that no date
//! a client sends can overflow date arithmetic (chrono panics on `DateTime - TimeDelta` overflow) or fall
//! outside PostgreSQL's `timestamptz` range (a 500).

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde::{Deserialize, Deserializer};

/// The earliest instant accepted: 1970-01-01T00:00:00Z.
pub const EARLIEST: DateTime<Utc> = DateTime::UNIX_EPOCH;

/// The latest instant accepted: 9999-12-31T23:59:59Z.
pub fn latest() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59)
        .single()
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// An RFC 3339 instant between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z; anything else is refused at
/// deserialization, which the `Query` and `JsonBody` extractors turn into a 400 naming the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// `value` when within the accepted range.
    pub fn new(value: DateTime<Utc>) -> Option<Self> {
        (EARLIEST..=latest())
            .contains(&value)
            .then_some(Self(value))
    }

    /// Now.
    pub fn now() -> Self {
        Self(Utc::now())
    }

    pub fn get(self) -> DateTime<Utc> {
        self.0
    }

    /// `self - delta`, clamped to the earliest instant accepted (never overflows).
    pub fn saturating_sub(self, delta: TimeDelta) -> Self {
        Self(
            self.0
                .checked_sub_signed(delta)
                .filter(|t| *t >= EARLIEST)
                .unwrap_or(EARLIEST),
        )
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = DateTime::<Utc>::deserialize(deserializer)?;
        Self::new(value).ok_or_else(|| {
            serde::de::Error::custom("the date must be between 1970-01-01 and 9999-12-31 (UTC)")
        })
    }
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        reason = "tests: a panic with its message is the failure report"
    )]
    use super::*;

    fn parse(s: &str) -> Result<Timestamp, serde_json::Error> {
        serde_json::from_value(serde_json::json!(s))
    }

    #[test]
    fn only_years_1970_to_9999_are_accepted() {
        assert!(parse("2026-12-04T10:00:00Z").is_ok());
        assert!(parse("1970-01-01T00:00:00Z").is_ok());
        assert!(parse("9999-12-31T23:59:59Z").is_ok());
        for bad in [
            "-262143-01-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "+10000-01-01T00:00:00Z",
            "0000-01-01T00:00:00Z",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        for parsed_but_out_of_range in ["-262143-01-01T00:00:00Z", "1969-12-31T23:59:59Z"] {
            let err = parse(parsed_but_out_of_range).unwrap_err().to_string();
            assert!(err.contains("between 1970-01-01 and 9999-12-31"), "{err}");
        }
    }

    #[test]
    fn subtraction_saturates_at_the_earliest_instant() {
        let t = parse("1970-01-03T00:00:00Z").unwrap();
        assert_eq!(t.saturating_sub(TimeDelta::days(7)).get(), EARLIEST);
        assert_eq!(
            t.saturating_sub(TimeDelta::days(1)).get(),
            parse("1970-01-02T00:00:00Z").unwrap().get()
        );
    }
}
