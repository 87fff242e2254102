//! What every handler shares: settings, the Postgres pool, the job queue (and its Redis connection), the
//! cron table and the JWT keys.

use std::sync::Arc;

use anyhow::Context;
use crm_queue::{JobQueue, Keys};
use crm_schedules::ScheduleTable;
use secrecy::ExposeSecret;
use shared::config::OAuthConfig;
use shared::config::{ApiConfig, MailConfig};
use shared::db::{PgPool, build_pool};
use shared::redis_conn::{RedisConn, Timeouts};

use crate::auth::JwtKeys;
use crate::settings::Settings;

/// Shared state of the API, cheap to clone (handlers receive it as `web::Data<AppState>`).
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<ApiConfig>,
    pub schedules: Arc<ScheduleTable>,
    /// Mail settings (the key sealing account secrets).
    pub mail: Arc<MailConfig>,
    /// OAuth providers of Gmail and Outlook mailboxes.
    pub oauth: Arc<OAuthConfig>,
    /// HTTP client of the OAuth token and provider API calls, under the egress policy.
    pub http: egress::EgressHttp,
    /// Running IMAP test logins per user (the per-user concurrency cap).
    pub test_logins: Arc<crate::test_logins::TestLogins>,
    /// The email analyser (`LLM_*` read at boot), caching provider answers in the API's Redis.
    pub analyzer: Arc<llm::Analyzer>,
    pub pool: PgPool,
    pub queue: JobQueue,
    pub jwt: Arc<JwtKeys>,
    /// An argon2id hash of a throw-away password: verified against when the email is unknown, so a login
    /// for an unknown account costs the same time as one with a wrong password.
    pub dummy_password_hash: Arc<str>,
    /// The RGPD access log's batch writer.
    pub access_log: crate::access_log::AccessLogWriter,
    /// Live pushes (notifications, job progress) from Redis pub/sub to Server-Sent Events streams.
    pub live: crate::live::LiveHub,
}

impl AppState {
    /// Assembles a state from parts already built (tests may build their own pool or queue).
    pub fn new(
        settings: Settings,
        pool: PgPool,
        queue: JobQueue,
        dummy_password_hash: String,
    ) -> Self {
        let jwt = JwtKeys::new(&settings.api.jwt_secret, settings.api.jwt_ttl);
        let http = crm_mailbox::oauth::http_client(&settings.api.common.egress);
        let access_log =
            crate::access_log::AccessLogWriter::spawn(pool.clone(), settings.api.access_log_queue);
        let live =
            crate::live::LiveHub::new(settings.api.common.redis_target(), queue.keys().clone());
        Self {
            live,
            config: Arc::new(settings.api),
            schedules: Arc::new(settings.schedules),
            mail: Arc::new(settings.mail),
            oauth: Arc::new(settings.oauth),
            http,
            test_logins: Arc::default(),
            analyzer: Arc::new(llm::Analyzer::cached(settings.llm, queue.connection())),
            pool,
            queue,
            jwt: Arc::new(jwt),
            dummy_password_hash: dummy_password_hash.into(),
            access_log,
        }
    }

    /// Redis key layout of this deployment.
    pub fn keys(&self) -> &Keys {
        self.queue.keys()
    }

    /// A handle on the Redis connection (multiplexed; cloning is cheap).
    pub fn redis(&self) -> RedisConn {
        self.queue.connection()
    }
}

/// Builds the state from settings: installs the metrics recorder (once per process), opens the Postgres pool (failing when the server cannot be reached) and
/// a Redis connection that is established lazily and re-established after outages, so the API starts, and
/// reports itself unhealthy, while Redis is down.
pub async fn build_state(settings: Settings) -> anyhow::Result<AppState> {
    // Metrics recorded before the recorder exists are lost: install it before anything can record.
    let _ = crate::telemetry::metrics_handle();
    let common = &settings.api.common;
    let url = common.database_url.expose_secret().to_owned();
    let size = common.database_pool_size;
    let pool = tokio::task::spawn_blocking(move || build_pool(&url, size))
        .await
        .context("building the database pool")?
        .context("DATABASE_URL: cannot connect to PostgreSQL")?;
    // Connects on first use, so the API starts (and reports itself unhealthy) while Redis is down.
    let redis = shared::redis_conn::connect_lazy(&common.redis_target(), Timeouts::API)
        .context("REDIS_URL: cannot create the Redis client")?;
    let queue = JobQueue::new(
        redis,
        Keys::new(common.redis_namespace.clone()),
        common.job_record_ttl,
    );
    let dummy = tokio::task::spawn_blocking(|| {
        shared::models::user::hash_password(&shared::models::user::generate_password())
    })
    .await
    .context("hashing the timing-equaliser password")??;
    Ok(AppState::new(settings, pool, queue, dummy))
}
