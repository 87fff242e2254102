//! Fixed-window rate limits counted in Redis (`INCR` + `EXPIRE` on `Keys::rate_limit(bucket, window)`), so
//! every API replica shares the same counters.

use actix_web::HttpResponseBuilder;
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use redis::aio::ConnectionManager;
use sha2::{Digest, Sha256};
use shared::jobs::Keys;

/// Length of a window in seconds.
pub const WINDOW_SECS: i64 = 60;

/// Where a caller stands in the current window; rendered as `X-RateLimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub limit: u32,
    /// Requests left in the window (0 once the limit is reached).
    pub remaining: u32,
    /// Seconds until the window resets.
    pub reset_secs: u32,
    /// True when this request went over the limit.
    pub exceeded: bool,
}

impl RateLimit {
    /// The tighter of two limits (the one with fewer requests left, or the one exceeded).
    pub fn tightest(self, other: RateLimit) -> RateLimit {
        match (self.exceeded, other.exceeded) {
            (true, false) => self,
            (false, true) => other,
            _ if other.remaining < self.remaining => other,
            _ if other.remaining == self.remaining && other.reset_secs > self.reset_secs => other,
            _ => self,
        }
    }

    fn header_values(&self) -> [(HeaderName, HeaderValue); 3] {
        [
            (
                HeaderName::from_static("x-ratelimit-limit"),
                HeaderValue::from(self.limit),
            ),
            (
                HeaderName::from_static("x-ratelimit-remaining"),
                HeaderValue::from(self.remaining),
            ),
            (
                HeaderName::from_static("x-ratelimit-reset"),
                HeaderValue::from(self.reset_secs),
            ),
        ]
    }

    /// Adds the `X-RateLimit-*` headers (and `Retry-After` when exceeded) to a response being built.
    pub fn apply_to_builder(&self, builder: &mut HttpResponseBuilder) {
        for header in self.header_values() {
            builder.insert_header(header);
        }
        if self.exceeded {
            builder.insert_header((
                actix_web::http::header::RETRY_AFTER,
                HeaderValue::from(self.reset_secs.max(1)),
            ));
        }
    }

    /// Adds the `X-RateLimit-*` headers to a finished response unless they are already there.
    pub fn apply_to_headers(&self, headers: &mut HeaderMap) {
        for (name, value) in self.header_values() {
            if !headers.contains_key(&name) {
                headers.insert(name, value);
            }
        }
    }
}

/// Counts one request in `bucket` and says whether it is within `limit` per window.
pub async fn hit(
    conn: &mut ConnectionManager,
    keys: &Keys,
    bucket: &str,
    limit: u32,
) -> Result<RateLimit, redis::RedisError> {
    let now = chrono::Utc::now().timestamp();
    let window = now - now.rem_euclid(WINDOW_SECS);
    let key = keys.rate_limit(bucket, window);
    // The key outlives its window by a little, so a slow clock on another replica still finds it.
    let (count,): (u64,) = redis::pipe()
        .incr(&key, 1u64)
        .expire(&key, WINDOW_SECS * 2)
        .ignore()
        .query_async(conn)
        .await?;
    let reset_secs = u32::try_from(window + WINDOW_SECS - now)
        .unwrap_or(1)
        .max(1);
    let limit64 = u64::from(limit);
    Ok(RateLimit {
        limit,
        remaining: u32::try_from(limit64.saturating_sub(count)).unwrap_or(0),
        reset_secs,
        exceeded: count > limit64,
    })
}

/// A bucket name that does not reveal what it is about (an email address, an IP address): a SHA-256 of it.
pub fn hashed_bucket(kind: &str, value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    format!("{kind}:{}", hex::encode(&digest[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rl(remaining: u32, exceeded: bool) -> RateLimit {
        RateLimit {
            limit: 5,
            remaining,
            reset_secs: 30,
            exceeded,
        }
    }

    #[test]
    fn tightest_prefers_exceeded_then_fewest_left() {
        assert!(rl(3, false).tightest(rl(0, true)).exceeded);
        assert_eq!(rl(3, false).tightest(rl(1, false)).remaining, 1);
        assert_eq!(rl(1, false).tightest(rl(4, false)).remaining, 1);
    }

    #[test]
    fn buckets_hide_the_value() {
        let b = hashed_bucket("login:acct", "someone@example.com");
        assert!(b.starts_with("login:acct:"));
        assert!(!b.contains("example"));
        assert_eq!(b, hashed_bucket("login:acct", "someone@example.com"));
    }
}
