//! Per-job execution policy: timeout, attempts, backoff.

use std::time::Duration;

use rand::Rng;

/// Exponential backoff with full jitter between `base * 2^(n-1) / 2` and `base * 2^(n-1)`, capped at `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Backoff {
    /// Delay before the attempt that follows failed attempt number `failed_attempt` (1-based).
    pub fn delay(&self, failed_attempt: u32) -> Duration {
        let exp = failed_attempt.saturating_sub(1).min(30);
        let ceiling = self.base.saturating_mul(1u32 << exp).min(self.max);
        let ceiling_ms = u64::try_from(ceiling.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        // Half fixed, half random: spreads a thundering herd without ever retrying immediately.
        let jittered = ceiling_ms / 2 + rand::rng().random_range(0..=ceiling_ms - ceiling_ms / 2);
        Duration::from_millis(jittered)
    }
}

/// How a job runs: the catalogue gives one per job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobPolicy {
    /// Wall-clock limit of one attempt; exceeding it is a transient failure.
    pub timeout: Duration,
    /// Total number of attempts, the first included. Never exceeded.
    pub max_attempts: u32,
    pub backoff: Backoff,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let b = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        for _ in 0..200 {
            let d1 = b.delay(1);
            assert!(
                d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100),
                "{d1:?}"
            );
            let d3 = b.delay(3);
            assert!(
                d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400),
                "{d3:?}"
            );
            let d20 = b.delay(20);
            assert!(
                d20 >= Duration::from_millis(500) && d20 <= Duration::from_secs(1),
                "{d20:?}"
            );
        }
    }
}
