//! The progressive delay on failed sign-ins of one account from one client IP.
//!
//! The per-IP limit (`LOGIN_RATE_LIMIT_PER_MINUTE` attempts per sliding minute) bounds what one client
//! tries across all accounts. On top of it, failures are counted per (account, client IP) pair; once a
//! pair has [`FREE_FAILURES`] (3) consecutive failures, its next attempt is accepted only
//! `min(2^(F - 3), 300)` seconds after its last failure, F being the pair's failures so far (1 s, 2 s,
//! 4 s, ... up to 5 minutes). A success clears the pair; a pair with no attempt for an hour
//! is forgotten. Failures from one address never delay the owner signing in from another: a stranger
//! cannot lock an account out, while the owner's own mistakes cost at most five minutes between attempts.

use crm_queue::Keys;
use shared::redis_conn::RedisConn;

use crate::rate_limit::{RateLimit, hashed_bucket};

/// Consecutive failures of an (account, IP) pair before its attempts are spaced.
pub const FREE_FAILURES: u32 = 3;
/// Longest wait between two attempts of one (account, IP) pair.
pub const MAX_DELAY_SECS: u64 = 300;
/// How long a pair's failures are remembered after its last attempt.
const FORGET_AFTER_SECS: u64 = 3_600;

/// Atomically: refuse (returning the milliseconds to wait) while the pair's delay runs, otherwise count
/// the attempt as a failure (cleared by [`succeeded`]) and return 0.
const ATTEMPT: &str = r"
local f = tonumber(redis.call('HGET', KEYS[1], 'f') or '0')
local last = tonumber(redis.call('HGET', KEYS[1], 't') or '0')
local now = tonumber(ARGV[1])
local free = tonumber(ARGV[2])
if f >= free then
  local delay = math.min(math.pow(2, f - free) * 1000, tonumber(ARGV[3]))
  local wait = last + delay - now
  if wait > 0 then return math.ceil(wait) end
end
redis.call('HSET', KEYS[1], 'f', f + 1, 't', now)
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 0
";

fn key(keys: &Keys, account: &str, ip: &str) -> String {
    keys.rate_limit(&hashed_bucket("login:pair", &format!("{account}\n{ip}")), 0)
}

/// Registers an attempt of `account` from `ip`: `Some(limit)` (exceeded, with the seconds to wait) while
/// the pair's progressive delay runs.
pub async fn attempt(
    conn: &mut RedisConn,
    keys: &Keys,
    account: &str,
    ip: &str,
) -> Result<Option<RateLimit>, redis::RedisError> {
    let wait_ms: u64 = redis::Script::new(ATTEMPT)
        .key(key(keys, account, ip))
        .arg(chrono::Utc::now().timestamp_millis())
        .arg(FREE_FAILURES)
        .arg(MAX_DELAY_SECS * 1_000)
        .arg(FORGET_AFTER_SECS)
        .invoke_async(conn)
        .await?;
    Ok((wait_ms > 0).then(|| RateLimit {
        limit: FREE_FAILURES,
        remaining: 0,
        reset_secs: u32::try_from(wait_ms.div_ceil(1_000))
            .unwrap_or(u32::MAX)
            .max(1),
        exceeded: true,
    }))
}

/// Clears the pair's failures after a successful sign-in.
pub async fn succeeded(
    conn: &mut RedisConn,
    keys: &Keys,
    account: &str,
    ip: &str,
) -> Result<(), redis::RedisError> {
    let _: () = redis::cmd("DEL")
        .arg(key(keys, account, ip))
        .query_async(conn)
        .await?;
    Ok(())
}
