//! Global rate-limit buckets (`RATE_LIMIT_BUCKETS`, `RATE_LIMIT_JOBS`): how many jobs of a kind may start
//! per period across every worker process. The runtime enforces them in Redis (`crm-queue`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use super::{ConfigError, EnvSource};

/// One bucket's limit: `limit` starts per `period`, `burst` of them back to back (1: evenly spaced).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketLimit {
    pub limit: u32,
    pub period: Duration,
    pub burst: u32,
}

impl BucketLimit {
    /// Time between two starts at the steady rate, in milliseconds (fractional).
    pub fn interval_ms(&self) -> f64 {
        self.period.as_millis() as f64 / f64::from(self.limit.max(1))
    }
}

impl fmt::Display for BucketLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let period = match self.period.as_secs() {
            1 => "s".to_owned(),
            60 => "min".to_owned(),
            3_600 => "h".to_owned(),
            86_400 => "day".to_owned(),
            s => format!("{s}s"),
        };
        write!(f, "{}/{}", self.limit, period)?;
        if self.burst > 1 {
            write!(f, ":{}", self.burst)?;
        }
        Ok(())
    }
}

/// The buckets this process knows and the jobs attached to them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateLimits {
    /// Bucket name -> limit.
    pub buckets: BTreeMap<String, BucketLimit>,
    /// Job name -> bucket, overriding the job's own (`Job::RATE_LIMIT`); an empty bucket lifts it.
    pub jobs: BTreeMap<String, String>,
}

/// Buckets every deployment has unless `RATE_LIMIT_BUCKETS` sets them otherwise. SerpAPI's plans count
/// searches per month and per hour; 60 a minute keeps a burst of autofill from spending an hour's
/// allowance in seconds. `webhooks` is the limit of each receiver's own bucket (`webhooks:<host>`): 10
/// deliveries a second per host, so a burst of events does not flood one receiver. `smtp` paces campaign
/// mail across every worker (10 a second: within what shared relays and providers' plans accept; set it to
/// your relay's quota).
const DEFAULTS: &[(&str, u32, u64)] = &[("serpapi", 60, 60), ("webhooks", 10, 1), ("smtp", 10, 1)];

impl RateLimits {
    /// Reads `RATE_LIMIT_BUCKETS` (`name=N/period[:burst]`, comma-separated; period `s`, `min`, `h`, `day`
    /// or a number of seconds such as `10s`) and `RATE_LIMIT_JOBS` (`job=bucket`, comma-separated).
    pub fn from_env(env: &EnvSource) -> Result<Self, ConfigError> {
        let mut buckets: BTreeMap<String, BucketLimit> = DEFAULTS
            .iter()
            .map(|(name, limit, secs)| {
                (
                    (*name).to_owned(),
                    BucketLimit {
                        limit: *limit,
                        period: Duration::from_secs(*secs),
                        burst: 1,
                    },
                )
            })
            .collect();
        const BUCKETS: &str = "RATE_LIMIT_BUCKETS";
        for part in list(env.get(BUCKETS)) {
            let (name, spec) = part
                .split_once('=')
                .ok_or_else(|| env.invalid(BUCKETS, format!("`{part}` is not name=N/period")))?;
            let name = bucket_name(name.trim()).map_err(|e| env.invalid(BUCKETS, e))?;
            let limit = parse_limit(spec.trim()).map_err(|e| env.invalid(BUCKETS, e))?;
            buckets.insert(name, limit);
        }
        const JOBS: &str = "RATE_LIMIT_JOBS";
        let mut jobs = BTreeMap::new();
        for part in list(env.get(JOBS)) {
            let (job, bucket) = part
                .split_once('=')
                .ok_or_else(|| env.invalid(JOBS, format!("`{part}` is not job=bucket")))?;
            let bucket = bucket.trim();
            if !bucket.is_empty() && !buckets.contains_key(bucket) {
                return Err(env.invalid(
                    JOBS,
                    format!("bucket `{bucket}` is not in RATE_LIMIT_BUCKETS"),
                ));
            }
            if crate::jobs::catalogue::find(job.trim()).is_none() {
                return Err(env.invalid(JOBS, format!("no job named `{}`", job.trim())));
            }
            jobs.insert(job.trim().to_owned(), bucket.to_owned());
        }
        Ok(Self { buckets, jobs })
    }

    /// The bucket job `job` starts through (declared `declared` by its type, split by `scope`: see
    /// `Job::rate_limit_scope`, only called when the job has a bucket), with its limit; `None` when it has
    /// none or names a bucket without a limit (unlimited).
    pub fn bucket_of<'a>(
        &'a self,
        job: &str,
        declared: Option<&'a str>,
        scope: impl FnOnce() -> Option<String>,
    ) -> Option<(Cow<'a, str>, BucketLimit)> {
        let name = match self.jobs.get(job) {
            Some(b) if b.is_empty() => return None,
            Some(b) => b.as_str(),
            None => declared?,
        };
        let family = self.buckets.get(name).copied();
        match scope() {
            Some(scope) => {
                let full = format!("{name}:{scope}");
                let limit = self.buckets.get(&full).copied().or(family)?;
                Some((Cow::Owned(full), limit))
            }
            None => family.map(|l| (Cow::Borrowed(name), l)),
        }
    }
}

fn list(raw: Option<String>) -> Vec<String> {
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Bucket names: letters, digits and `_ - . :` (so `webhooks:hooks.example.com` is one), 1 to 100 chars.
pub fn bucket_name(name: &str) -> Result<String, String> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'));
    if ok {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "bucket name `{name}`: 1-100 letters, digits, '_', '-', '.', ':'"
        ))
    }
}

/// `N/period[:burst]`, e.g. `60/min`, `10/s`, `500/day`, `5/10s:2`.
pub fn parse_limit(spec: &str) -> Result<BucketLimit, String> {
    let bad = || format!("`{spec}` is not N/period[:burst] (period s, min, h, day or e.g. 10s)");
    let (rate, burst) = match spec.split_once(':') {
        Some((r, b)) => (r, Some(b)),
        None => (spec, None),
    };
    let (n, period) = rate.split_once('/').ok_or_else(bad)?;
    let limit: u32 = n.trim().parse().map_err(|_| bad())?;
    let secs: u64 = match period.trim() {
        "s" | "sec" => 1,
        "min" | "m" => 60,
        "h" | "hour" => 3_600,
        "day" | "d" => 86_400,
        other => other
            .strip_suffix('s')
            .and_then(|s| s.parse().ok())
            .ok_or_else(bad)?,
    };
    let burst: u32 = match burst {
        Some(b) => b.trim().parse().map_err(|_| bad())?,
        None => 1,
    };
    if !(1..=1_000_000).contains(&limit) || !(1..=86_400 * 31).contains(&secs) {
        return Err(format!(
            "`{spec}`: N must be 1..=1000000 and the period 1 s..31 days"
        ));
    }
    if burst == 0 || burst > limit {
        return Err(format!("`{spec}`: burst must be 1..=N"));
    }
    Ok(BucketLimit {
        limit,
        period: Duration::from_secs(secs),
        burst,
    })
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "test")]
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> EnvSource {
        EnvSource::from_pairs(pairs)
    }

    #[test]
    fn limits_parse_with_periods_and_bursts() {
        let l = parse_limit("60/min").unwrap();
        assert_eq!((l.limit, l.period.as_secs(), l.burst), (60, 60, 1));
        assert!((l.interval_ms() - 1_000.0).abs() < 1e-9);
        let l = parse_limit("5/10s:2").unwrap();
        assert_eq!((l.limit, l.period.as_secs(), l.burst), (5, 10, 2));
        assert_eq!(l.to_string(), "5/10s:2");
        assert_eq!(parse_limit("10/s").unwrap().to_string(), "10/s");
        for bad in [
            "",
            "60",
            "0/min",
            "10/fortnight",
            "10/s:0",
            "10/s:11",
            "x/s",
        ] {
            assert!(parse_limit(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn env_sets_buckets_and_attaches_jobs() {
        let limits = RateLimits::from_env(&env(&[
            ("RATE_LIMIT_BUCKETS", "test=10/s, serpapi=30/min"),
            ("RATE_LIMIT_JOBS", "diag.noop=test,diag.echo="),
        ]))
        .unwrap();
        assert_eq!(limits.buckets["serpapi"].limit, 30);
        let (name, l) = limits.bucket_of("diag.noop", None, || None).unwrap();
        assert_eq!((name.as_ref(), l.limit), ("test", 10));
        assert!(
            limits
                .bucket_of("diag.echo", Some("serpapi"), || None)
                .is_none()
        );
        assert_eq!(
            limits.bucket_of("x.y", Some("serpapi"), || None).unwrap().0,
            "serpapi"
        );
        assert!(limits.bucket_of("x.y", Some("unknown"), || None).is_none());
    }

    #[test]
    fn a_scope_splits_the_bucket_with_the_family_limit_unless_named() {
        let limits = RateLimits::from_env(&env(&[(
            "RATE_LIMIT_BUCKETS",
            "webhooks=5/s, webhooks:slow.example.com=1/min",
        )]))
        .unwrap();
        let (name, l) = limits
            .bucket_of("webhooks.deliver", Some("webhooks"), || {
                Some("hooks.example.org".into())
            })
            .unwrap();
        assert_eq!((name.as_ref(), l.limit), ("webhooks:hooks.example.org", 5));
        let (name, l) = limits
            .bucket_of("webhooks.deliver", Some("webhooks"), || {
                Some("slow.example.com".into())
            })
            .unwrap();
        assert_eq!(
            (name.as_ref(), l.to_string().as_str()),
            ("webhooks:slow.example.com", "1/min")
        );
        assert!(
            limits
                .bucket_of("x.y", Some("nolimit"), || Some("h".into()))
                .is_none()
        );
    }

    #[test]
    fn bad_settings_name_the_variable() {
        let e = RateLimits::from_env(&env(&[("RATE_LIMIT_BUCKETS", "test=10")])).unwrap_err();
        assert!(e.to_string().contains("RATE_LIMIT_BUCKETS"), "{e}");
        let e = RateLimits::from_env(&env(&[("RATE_LIMIT_JOBS", "diag.noop=nope")])).unwrap_err();
        assert!(e.to_string().contains("not in RATE_LIMIT_BUCKETS"), "{e}");
        let e = RateLimits::from_env(&env(&[
            ("RATE_LIMIT_BUCKETS", "t=1/s"),
            ("RATE_LIMIT_JOBS", "no.such=t"),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("no job named"), "{e}");
        assert!(RateLimits::from_env(&env(&[("RATE_LIMIT_BUCKETS", "bad name=1/s")])).is_err());
    }
}
