//! One pull of the benchmark mailbox by the platform: `sync_account` as the `mail.sync_account` job runs
//! it (analyses enqueued to Redis too), in a child process so that its peak RSS is its own, on a database
//! cloned fresh from the migrated template.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use crm_mailbox::sync::{SyncDeps, SyncSettings, sync_account};
use crm_queue::test_utils::TestRedis;
use crm_queue::{JobQueue, Keys};
use diesel::prelude::*;
use shared::crypto::SecretBox;
use shared::models::email_account::{
    self as accounts, ImapAuth, ImapSecurity, NewEmailAccount, Provider,
};
use shared::models::user::{Role, create_user};
use shared::progress::NoProgress;
use shared::schema::{email_threads, interactions};
use shared::test_utils::{Dovecot, TestDb};

use crate::{Pull, timed};

/// Seals the account's password in the bench databases only.
const KEY: [u8; 32] = [7; 32];
/// Connections of the child's pool: the workers binary's default (`DATABASE_POOL_SIZE`).
const POOL_SIZE: u32 = 10;

#[derive(serde::Serialize, serde::Deserialize)]
struct ChildResult {
    sync_s: f64,
    inserted: usize,
}

/// Parent side: a fresh database and namespace, the account, then the child under `/usr/bin/time`.
pub fn pull(dovecot: &Dovecot, user: &str, password: &str, round: usize) -> Result<Pull> {
    let db = TestDb::try_new()?;
    let redis = TestRedis::new();
    let secrets = SecretBox::from_key_bytes(&KEY)?;
    let account = {
        let mut conn = db.pool().get()?;
        let owner = create_user(
            &mut conn,
            "owner@bench.test",
            "bench-owner-pw",
            Role::User,
            None,
        )?;
        let new = NewEmailAccount {
            owner_user_id: owner.id,
            provider: Provider::Imap,
            address: "bench@bench.test".into(),
            imap_host: Some(dovecot.host().into()),
            imap_port: Some(i32::from(dovecot.port())),
            imap_security: Some(ImapSecurity::None),
            imap_auth: ImapAuth::Login,
            username: Some(user.into()),
            secret_ciphertext: Some(secrets.encrypt(password.as_bytes())),
            token_expires_at: None,
            folders: vec!["INBOX".into()],
        };
        accounts::create_account(&mut conn, &new)?.id
    };
    let scratch = tempfile::Builder::new().prefix("crm-ingest-").tempdir()?;
    let (wall_s, max_rss_kib, stdout) = timed(
        Command::new(std::env::current_exe()?)
            .arg("platform")
            .env("BENCH_DATABASE_URL", db.url())
            .env("BENCH_REDIS_URL", redis.url())
            .env("BENCH_NAMESPACE", redis.namespace())
            .env("BENCH_ACCOUNT_ID", account.0.to_string()),
        scratch.path(),
    )
    .context("platform sync")?;
    let child: ChildResult =
        serde_json::from_str(stdout.trim()).with_context(|| format!("child output: {stdout}"))?;
    let mut conn = db.pool().get()?;
    let messages: i64 = interactions::table.count().get_result(&mut conn)?;
    let threads: i64 = email_threads::table.count().get_result(&mut conn)?;
    if child.inserted as i64 != messages {
        anyhow::bail!(
            "the sync reported {} inserted, {messages} rows found",
            child.inserted
        );
    }
    Ok(Pull {
        tool: "platform",
        round,
        wall_s,
        max_rss_kib,
        messages: usize::try_from(messages)?,
        sync_s: Some(child.sync_s),
        threads: Some(threads),
    })
}

fn var(name: &str) -> Result<String> {
    std::env::var(name).with_context(|| format!("{name} is not set"))
}

/// Child side: one `sync_account`, timed from its call (account load, lock, connect) to its return.
pub fn child() -> Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let pool = shared::db::build_pool(&var("BENCH_DATABASE_URL")?, POOL_SIZE)?;
        let conn = shared::redis_conn::connect(&shared::redis_conn::RedisTarget::url(&var(
            "BENCH_REDIS_URL",
        )?))
        .await?;
        let queue = JobQueue::new(
            conn.clone(),
            Keys::new(var("BENCH_NAMESPACE")?),
            Duration::from_secs(3_600),
        );
        let secrets = SecretBox::from_key_bytes(&KEY)?;
        let namespace = var("BENCH_NAMESPACE")?;
        let deps = SyncDeps {
            pool: &pool,
            redis: conn,
            namespace: &namespace,
            secrets: Some(&secrets),
            analysis_queue: Some(&queue),
        };
        // The benchmark's Dovecot listens on loopback and speaks plaintext: both are allowed explicitly.
        let mut settings = SyncSettings {
            egress: egress::EgressPolicy::parse_allow_list("127.0.0.1/32")?,
            imap: shared::config::ImapLimits {
                allow_plaintext: true,
                ..shared::config::ImapLimits::default()
            },
            ..SyncSettings::default()
        };
        if let Some(n) = std::env::var("MAIL_BATCH_SIZE")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            settings.batch_size = n;
        }
        let account: i64 = var("BENCH_ACCOUNT_ID")?.parse()?;
        let started = Instant::now();
        let outcome = sync_account(&deps, &settings, account, &NoProgress).await?;
        let result = ChildResult {
            sync_s: started.elapsed().as_secs_f64(),
            inserted: outcome.totals.inserted,
        };
        println!("{}", serde_json::to_string(&result)?);
        Ok(())
    })
}
