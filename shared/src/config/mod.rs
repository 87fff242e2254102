//! Configuration read once from environment variables at boot, typed and validated.
//!
//! Every variable is documented in `.env.example`. A bad value stops the boot with a message that names the
//! variable (see [`ConfigError`]).

mod autofill;
mod campaigns;
mod env;
mod mail;
mod oauth;
mod rate_limit;
mod redis;
mod rgpd;
mod webhooks;
mod worker;

use std::net::SocketAddr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

pub use autofill::AutofillConfig;
pub use campaigns::CampaignConfig;
pub use env::{ConfigError, EnvSource};
pub use mail::{ImapLimits, MailConfig};
pub use oauth::{OAuthConfig, ProviderConfig};
pub use rate_limit::{BucketLimit, RateLimits, bucket_name, parse_limit};
pub use redis::SentinelConfig;
pub use rgpd::RgpdConfig;
pub use webhooks::WebhookConfig;
pub use worker::{SchedulerConfig, WorkerConfig};

/// Settings every process needs: stores and logging.
#[derive(Debug, Clone)]
pub struct CommonConfig {
    pub database_url: SecretString,
    pub database_pool_size: u32,
    pub redis_url: SecretString,
    /// Sentinel mode (`REDIS_SENTINELS`, `REDIS_SENTINEL_MASTER`); `None` talks to `redis_url` itself.
    pub redis_sentinel: Option<SentinelConfig>,
    pub redis_namespace: String,
    pub log_json: bool,
    pub job_record_ttl: Duration,
    /// `EGRESS_ALLOW_CIDRS`: the egress policy of every outbound connection (IMAP, OAuth, provider APIs,
    /// LLM); its allow-list lifts the refusal of private, loopback… addresses it contains.
    pub egress: egress::EgressPolicy,
    /// Data protection (`RGPD_*`): hashing key, retention, export links, erasure ledger.
    pub rgpd: RgpdConfig,
    /// Webhooks (`WEBHOOK_*`): secret rotation overlap, endpoint disabling, log retention.
    pub webhooks: WebhookConfig,
    /// Campaign mail (`CAMPAIGN_*`, `API_PUBLIC_URL`, `SENDGRID_WEBHOOK_PUBLIC_KEY`).
    pub campaigns: CampaignConfig,
}

impl CommonConfig {
    /// Reads the common settings.
    pub fn from_env(env: &EnvSource) -> Result<Self, ConfigError> {
        let redis_namespace = env.string_or("REDIS_NAMESPACE", "crm")?;
        if redis_namespace.is_empty()
            || !redis_namespace
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(env.invalid("REDIS_NAMESPACE", "letters, digits, '_' or '-' only"));
        }
        let log_json = match env.string_or("LOG_FORMAT", "text")?.as_str() {
            "text" => false,
            "json" => true,
            _ => return Err(env.invalid("LOG_FORMAT", "expected `text` or `json`")),
        };
        let redis_url = env.url("REDIS_URL", &["redis", "rediss", "unix"])?;
        let redis_sentinel = SentinelConfig::from_env(env, redis_url.expose_secret())?;
        Ok(Self {
            database_url: env.url("DATABASE_URL", &["postgres", "postgresql"])?,
            database_pool_size: env.parse_in("DATABASE_POOL_SIZE", 10, 1..=500)?,
            redis_url,
            redis_sentinel,
            redis_namespace,
            log_json,
            job_record_ttl: Duration::from_secs(
                env.parse_in::<u64>("JOB_RECORD_TTL_DAYS", 7, 1..=365)? * 86_400,
            ),
            egress: egress_policy(env)?,
            rgpd: RgpdConfig::from_env(env)?,
            webhooks: WebhookConfig::from_env(env)?,
            campaigns: CampaignConfig::from_env(env)?,
        })
    }

    /// Where every Redis connection of this process goes (`shared::redis_conn`).
    pub fn redis_target(&self) -> crate::redis_conn::RedisTarget {
        crate::redis_conn::RedisTarget::new(self.redis_url.clone(), self.redis_sentinel.clone())
    }
}

/// `EGRESS_ALLOW_CIDRS`: comma-separated CIDRs; blank or unset is the strict policy.
pub fn egress_policy(env: &EnvSource) -> Result<egress::EgressPolicy, ConfigError> {
    egress::EgressPolicy::parse_allow_list(&env.get("EGRESS_ALLOW_CIDRS").unwrap_or_default())
        .map_err(|e| env.invalid("EGRESS_ALLOW_CIDRS", e))
}

/// Settings of the `api` process.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    pub common: CommonConfig,
    pub bind: SocketAddr,
    pub public_url: String,
    pub run_migrations: bool,
    pub max_body_bytes: usize,
    pub jwt_secret: SecretString,
    pub jwt_ttl: Duration,
    pub rate_limit_per_minute: u32,
    pub login_rate_limit_per_minute: u32,
    pub trust_proxy_headers: bool,
    /// `API_METRICS_BIND`: where `/metrics` and `/api/v1/health/detailed` are served instead of the main
    /// bind (unset or empty: on the main bind, admins only).
    pub metrics_bind: Option<SocketAddr>,
    /// `HTTP_REQUEST_TIMEOUT_SECS`: longest time to receive a request's body after its head (and its head,
    /// at most 5 s).
    pub request_timeout: Duration,
    /// `HTTP_MAX_HEADER_BYTES`: largest total size of a request's header names and values.
    pub max_header_bytes: usize,
    /// `API_ACCESS_LOG_QUEUE`: access-log entries waiting for their batch insert before requests wait.
    pub access_log_queue: usize,
}

impl ApiConfig {
    /// Reads the API settings.
    pub fn from_env(env: &EnvSource) -> Result<Self, ConfigError> {
        let jwt_secret = env.required("JWT_SECRET")?;
        if jwt_secret.len() < 32 {
            return Err(env.invalid("JWT_SECRET", "must be at least 32 bytes long"));
        }
        Ok(Self {
            common: CommonConfig::from_env(env)?,
            bind: env.parse_or(
                "API_BIND",
                "127.0.0.1:8080"
                    .parse()
                    .map_err(|_| env.invalid("API_BIND", "default"))?,
            )?,
            public_url: env.string_or("API_PUBLIC_URL", "http://127.0.0.1:8080")?,
            run_migrations: env.bool_or("RUN_MIGRATIONS", true)?,
            max_body_bytes: env.parse_in("API_MAX_BODY_BYTES", 262_144, 1_024..=64 * 1_048_576)?,
            jwt_secret: SecretString::from(jwt_secret),
            jwt_ttl: Duration::from_secs(env.parse_in("JWT_TTL_SECS", 3_600, 60..=604_800)?),
            rate_limit_per_minute: env.parse_in("RATE_LIMIT_PER_MINUTE", 1_000, 1..=1_000_000)?,
            login_rate_limit_per_minute: env.parse_in(
                "LOGIN_RATE_LIMIT_PER_MINUTE",
                5,
                1..=10_000,
            )?,
            trust_proxy_headers: env.bool_or("TRUST_PROXY_HEADERS", false)?,
            metrics_bind: match env.get("API_METRICS_BIND") {
                Some(v) if !v.trim().is_empty() => Some(
                    v.trim()
                        .parse()
                        .map_err(|e| env.invalid("API_METRICS_BIND", e))?,
                ),
                _ => None,
            },
            request_timeout: Duration::from_secs(env.parse_in(
                "HTTP_REQUEST_TIMEOUT_SECS",
                30,
                1..=3_600,
            )?),
            max_header_bytes: env.parse_in("HTTP_MAX_HEADER_BYTES", 16_384, 1_024..=65_536)?,
            access_log_queue: env.parse_in("API_ACCESS_LOG_QUEUE", 10_000, 1..=1_000_000)?,
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

    #[test]
    fn egress_allow_list_is_read_once_and_a_bad_cidr_names_the_variable() {
        let base = [
            ("DATABASE_URL", "postgres://crm@127.0.0.1/crm"),
            ("REDIS_URL", "redis://127.0.0.1:6379"),
        ];
        let strict = CommonConfig::from_env(&EnvSource::from_pairs(&base)).unwrap();
        assert!(strict.egress.allowed().is_empty());
        let mut pairs = base.to_vec();
        pairs.push(("EGRESS_ALLOW_CIDRS", "127.0.0.1/32, 10.1.0.0/16"));
        let allowed = CommonConfig::from_env(&EnvSource::from_pairs(&pairs)).unwrap();
        assert_eq!(allowed.egress.allowed().len(), 2);
        pairs.pop();
        pairs.push(("EGRESS_ALLOW_CIDRS", "127.0.0.1/32,not-a-cidr"));
        let err = CommonConfig::from_env(&EnvSource::from_pairs(&pairs)).unwrap_err();
        assert!(
            err.to_string().starts_with("EGRESS_ALLOW_CIDRS is invalid"),
            "{err}"
        );
    }
}
