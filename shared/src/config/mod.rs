//! Configuration read once from environment variables at boot, typed and validated.
//!
//! Every variable is documented in `.env.example`. A bad value stops the boot with a message that names the
//! variable (see [`ConfigError`]).

mod env;
mod mail;
mod oauth;
mod redis;
mod worker;

use std::net::SocketAddr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

pub use env::{ConfigError, EnvSource};
pub use mail::MailConfig;
pub use oauth::{OAuthConfig, ProviderConfig};
pub use redis::SentinelConfig;
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
        })
    }

    /// Where every Redis connection of this process goes (`shared::redis_conn`).
    pub fn redis_target(&self) -> crate::redis_conn::RedisTarget {
        crate::redis_conn::RedisTarget::new(self.redis_url.clone(), self.redis_sentinel.clone())
    }
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
        })
    }
}
