//! Sliding-window rate limits counted in Redis, so every API replica shares the same counters.
//!
//! Each fixed window (one minute) has its own counter (`INCR` + `EXPIRE` on `Keys::rate_limit(bucket,
//! window)`). A request is judged on the requests of the last 60 seconds, estimated as this window's count
//! plus the previous window's count weighted by the share of it still inside those 60 seconds. A plain
//! fixed window would let a client make twice the limit in a second across a window boundary (ten login
//! attempts instead of five).

use actix_web::HttpResponseBuilder;
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use crm_queue::Keys;
use sha2::{Digest, Sha256};
use shared::redis_conn::RedisConn;

/// Length of a window in seconds.
pub const WINDOW_SECS: i64 = 60;

/// Where a caller stands in the current window; rendered as `X-RateLimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub limit: u32,
    /// Requests left in the window (0 once the limit is reached).
    pub remaining: u32,
    /// When exceeded, seconds until a request would be accepted again; otherwise seconds until the current
    /// window ends.
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

/// Counts one request in `bucket` and says whether it is within `limit` per sliding minute.
pub async fn hit(
    conn: &mut RedisConn,
    keys: &Keys,
    bucket: &str,
    limit: u32,
) -> Result<RateLimit, redis::RedisError> {
    let now_ms = chrono::Utc::now().timestamp_millis();
    let window_ms = WINDOW_SECS * 1000;
    let window = now_ms.div_euclid(window_ms) * WINDOW_SECS;
    let key = keys.rate_limit(bucket, window);
    let previous = keys.rate_limit(bucket, window - WINDOW_SECS);
    // The key outlives its window by a window, so the next window still sees it as the previous one.
    let (count, prev): (u64, Option<u64>) = redis::pipe()
        .incr(&key, 1u64)
        .expire(&key, WINDOW_SECS * 2)
        .ignore()
        .get(&previous)
        .query_async(conn)
        .await?;
    Ok(judge(
        limit,
        prev.unwrap_or(0),
        count,
        now_ms - window * 1000,
    ))
}

/// The verdict for a request, given the previous window's count, this window's count (this request
/// included) and the milliseconds elapsed in this window.
fn judge(limit: u32, prev: u64, count: u64, elapsed_ms: i64) -> RateLimit {
    let w = (WINDOW_SECS * 1000) as f64;
    let e = (elapsed_ms as f64).clamp(0.0, w);
    let (l, p, c) = (f64::from(limit), prev as f64, count as f64);
    let used = p * (w - e) / w + c;
    let exceeded = used > l;
    let wait_ms = if !exceeded {
        w - e
    } else if c + 1.0 <= l {
        // Later in this window, once enough of the previous window has slid out.
        w - w * (l - c - 1.0) / p - e
    } else {
        // In the next window, where this window's count is the one sliding out.
        (w - e) + (w - w * (l - 1.0) / c).max(0.0)
    };
    RateLimit {
        limit,
        remaining: (l - used).floor().max(0.0) as u32,
        reset_secs: ((wait_ms / 1000.0).ceil() as u32).max(1),
        exceeded,
    }
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
    fn a_window_boundary_does_not_reset_the_count() {
        // Five requests late in the previous window: a sixth just after the boundary is refused...
        let r = judge(5, 5, 1, 1_000);
        assert!(r.exceeded, "{r:?}");
        assert_eq!(r.remaining, 0);
        // ...and accepted once enough of the previous window has slid out (5 x 10/60 + 1 <= 5 long before).
        assert!((1..=60).contains(&r.reset_secs), "{r:?}");
        // (the next request is this window's second).
        assert!(!judge(5, 5, 2, 1_000 + i64::from(r.reset_secs) * 1_000).exceeded);
        assert!(judge(5, 5, 2, i64::from(r.reset_secs) * 1_000 - 1_000).exceeded);
        // Half a window later the previous five weigh 2.5.
        let r = judge(5, 5, 2, 30_000);
        assert!(!r.exceeded);
        assert_eq!(r.remaining, 0);
    }

    #[test]
    fn over_the_limit_within_a_window_waits_for_the_next_one() {
        let r = judge(5, 0, 6, 10_000);
        assert!(r.exceeded);
        // 50 s to the end of this window, then 6 x (60 - t)/60 + 1 <= 5 once t >= 20 s.
        assert_eq!(r.reset_secs, 70);
        assert!(!judge(5, 6, 1, 20_000).exceeded);
        assert!(judge(5, 6, 1, 19_000).exceeded);
        let ok = judge(1000, 0, 1, 59_500);
        assert_eq!((ok.exceeded, ok.remaining, ok.reset_secs), (false, 999, 1));
    }

    #[test]
    fn buckets_hide_the_value() {
        let b = hashed_bucket("login:acct", "someone@example.com");
        assert!(b.starts_with("login:acct:"));
        assert!(!b.contains("example"));
        assert_eq!(b, hashed_bucket("login:acct", "someone@example.com"));
    }
}
