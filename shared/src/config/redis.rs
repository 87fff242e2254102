//! Where Redis is: one server (`REDIS_URL`), or the master of a Redis Sentinel group.

use std::time::Duration;

use secrecy::SecretString;

use super::{ConfigError, EnvSource};

/// Sentinel mode: the master of `master` is asked of `sentinels`, and asked again after a failover.
///
/// `REDIS_URL` still gives the data nodes' password, user and database number; its host and port are not used.
#[derive(Debug, Clone)]
pub struct SentinelConfig {
    /// `host:port` of each sentinel, in the order they are asked.
    pub sentinels: Vec<(String, u16)>,
    /// The name the sentinels monitor the master under.
    pub master: String,
    /// Password of the sentinels themselves (`requirepass` in sentinel.conf), if any.
    pub password: Option<SecretString>,
    /// How long an enqueue waits for one replica to confirm it (`WAIT 1`); zero does not wait.
    pub enqueue_wait: Duration,
}

impl SentinelConfig {
    /// Reads `REDIS_SENTINELS`, `REDIS_SENTINEL_MASTER`, `REDIS_SENTINEL_PASSWORD` and
    /// `REDIS_SENTINEL_ENQUEUE_WAIT_MS`; `None` when neither of the first two is set.
    pub fn from_env(env: &EnvSource, redis_url: &str) -> Result<Option<Self>, ConfigError> {
        let list = env.string_or("REDIS_SENTINELS", "")?;
        let master = env.string_or("REDIS_SENTINEL_MASTER", "")?;
        match (list.trim().is_empty(), master.trim().is_empty()) {
            (true, true) => return Ok(None),
            (false, true) => {
                return Err(env.invalid(
                    "REDIS_SENTINEL_MASTER",
                    "required when REDIS_SENTINELS is set",
                ));
            }
            (true, false) => {
                return Err(env.invalid(
                    "REDIS_SENTINELS",
                    "required when REDIS_SENTINEL_MASTER is set",
                ));
            }
            (false, false) => {}
        }
        let master = master.trim().to_owned();
        if !master.chars().all(|c| c.is_ascii_graphic()) {
            return Err(env.invalid("REDIS_SENTINEL_MASTER", "no spaces or control characters"));
        }
        let mut sentinels = Vec::new();
        for entry in list.split(',').map(str::trim) {
            sentinels.push(host_port(entry).ok_or_else(|| {
                env.invalid(
                    "REDIS_SENTINELS",
                    "expected a comma-separated list of host:port",
                )
            })?);
        }
        if !redis_url.starts_with("redis://") {
            // The crate is built without TLS, and a unix socket cannot be handed over by a sentinel.
            return Err(env.invalid(
                "REDIS_URL",
                "sentinel mode takes a redis:// URL (no TLS, no unix socket)",
            ));
        }
        let password = env
            .get("REDIS_SENTINEL_PASSWORD")
            .filter(|p| !p.is_empty())
            .map(SecretString::from);
        Ok(Some(Self {
            sentinels,
            master,
            password,
            enqueue_wait: Duration::from_millis(env.parse_in(
                "REDIS_SENTINEL_ENQUEUE_WAIT_MS",
                1_000,
                0..=60_000,
            )?),
        }))
    }
}

fn host_port(entry: &str) -> Option<(String, u16)> {
    let (host, port) = entry.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port: u16 = port.parse().ok()?;
    (!host.is_empty() && port != 0 && !host.contains(char::is_whitespace))
        .then(|| (host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        reason = "tests: a panic with its message is the failure report"
    )]
    use super::*;

    const URL: &str = "redis://:pw@ignored:6379/2";

    fn read(pairs: &[(&str, &str)]) -> Result<Option<SentinelConfig>, ConfigError> {
        SentinelConfig::from_env(&EnvSource::from_pairs(pairs), URL)
    }

    #[test]
    fn unset_means_one_server() {
        assert!(read(&[]).unwrap().is_none());
        assert!(
            read(&[("REDIS_SENTINELS", " "), ("REDIS_SENTINEL_MASTER", "")])
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_list_and_a_master_name() {
        let c = read(&[
            (
                "REDIS_SENTINELS",
                "10.0.0.1:26379, s2.internal:26380,[::1]:26381",
            ),
            ("REDIS_SENTINEL_MASTER", "crm"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(
            c.sentinels,
            vec![
                ("10.0.0.1".to_owned(), 26379),
                ("s2.internal".to_owned(), 26380),
                ("::1".to_owned(), 26381)
            ]
        );
        assert_eq!(c.master, "crm");
        assert!(c.password.is_none());
        assert_eq!(c.enqueue_wait, Duration::from_secs(1));
    }

    #[test]
    fn half_a_setting_or_a_bad_entry_stops_the_boot() {
        for (pairs, var) in [
            (vec![("REDIS_SENTINELS", "h:1")], "REDIS_SENTINEL_MASTER"),
            (vec![("REDIS_SENTINEL_MASTER", "m")], "REDIS_SENTINELS"),
            (
                vec![("REDIS_SENTINELS", "h"), ("REDIS_SENTINEL_MASTER", "m")],
                "REDIS_SENTINELS",
            ),
            (
                vec![("REDIS_SENTINELS", "h:0"), ("REDIS_SENTINEL_MASTER", "m")],
                "REDIS_SENTINELS",
            ),
            (
                vec![("REDIS_SENTINELS", "h:1,"), ("REDIS_SENTINEL_MASTER", "m")],
                "REDIS_SENTINELS",
            ),
            (
                vec![("REDIS_SENTINELS", "h:1"), ("REDIS_SENTINEL_MASTER", "a b")],
                "REDIS_SENTINEL_MASTER",
            ),
        ] {
            let err = read(&pairs).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("{var} is invalid")),
                "{pairs:?}: {err}"
            );
        }
        let unix = SentinelConfig::from_env(
            &EnvSource::from_pairs(&[("REDIS_SENTINELS", "h:1"), ("REDIS_SENTINEL_MASTER", "m")]),
            "unix:///run/redis.sock",
        );
        assert!(
            unix.unwrap_err()
                .to_string()
                .starts_with("REDIS_URL is invalid")
        );
    }
}
