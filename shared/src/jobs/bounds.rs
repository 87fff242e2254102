//! Range checks of payload fields, applied while the payload is decoded (`#[serde(deserialize_with)]`), so
//! the catalogue's validate step refuses an out-of-range value at enqueue with the field named, and a
//! worker never receives one.
//!
//! ```ignore
//! #[serde(deserialize_with = "bounds::u64_at_most::<600_000, _>")]
//! pub millis: u64,
//! ```

use serde::{Deserialize, Deserializer};

/// A `u64` of at most `MAX`.
pub fn u64_at_most<'de, const MAX: u64, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = u64::deserialize(d)?;
    if v > MAX {
        return Err(serde::de::Error::custom(format!("must be at most {MAX}")));
    }
    Ok(v)
}

/// An optional `u64` of at most `MAX` (use with `#[serde(default)]`).
pub fn opt_u64_at_most<'de, const MAX: u64, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<u64>, D::Error> {
    let v = Option::<u64>::deserialize(d)?;
    if v.is_some_and(|v| v > MAX) {
        return Err(serde::de::Error::custom(format!("must be at most {MAX}")));
    }
    Ok(v)
}

/// An optional `u32` in `MIN..=MAX` (use with `#[serde(default)]`).
pub fn opt_u32_in<'de, const MIN: u32, const MAX: u32, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<u32>, D::Error> {
    let v = Option::<u32>::deserialize(d)?;
    if let Some(v) = v
        && !(MIN..=MAX).contains(&v)
    {
        return Err(serde::de::Error::custom(format!(
            "must be between {MIN} and {MAX}"
        )));
    }
    Ok(v)
}

/// A string of at most `MAX` characters (a job record is no place for bulk text).
pub fn text_at_most<'de, const MAX: usize, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let text = String::deserialize(d)?;
    if text.chars().count() > MAX {
        return Err(serde::de::Error::custom(format!(
            "at most {MAX} characters"
        )));
    }
    Ok(text)
}
