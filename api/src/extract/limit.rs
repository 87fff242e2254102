//! The `limit` of a paged listing: the route's default when absent, else 1 to the route's maximum, or a
//! 400 naming `limit`.

use std::fmt::Display;

use crate::error::ApiError;

/// `value`, or `default` when absent; a 400 on `limit` when it is not between 1 and `max`.
pub fn page_limit<T>(value: Option<T>, default: T, max: T) -> Result<T, ApiError>
where
    T: Copy + PartialOrd + From<u8> + Display,
{
    let limit = value.unwrap_or(default);
    if (T::from(1)..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::invalid_field(
            "limit",
            format!("limit must be between 1 and {max}"),
        ))
    }
}
