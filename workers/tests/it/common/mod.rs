//! Helpers of the workers' tests: the process harness of `crm_queue::test_utils`, and mailbox fixtures.
#![allow(
    dead_code,
    unused_imports,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "helpers shared by several test binaries, each using a part"
)]

pub use crm_queue::test_utils::{Env, TestRedis, Worker, eventually};
use shared::test_utils::TestDb;

/// Runs one sync of mailbox `id` in-process (no analysis jobs), with account secrets sealed by `secrets`.
pub async fn sync_mailbox(
    db: &TestDb,
    redis: &TestRedis,
    secrets: &shared::crypto::SecretBox,
    id: shared::models::email_account::EmailAccountId,
    settings: &crm_mailbox::sync::SyncSettings,
) -> Result<crm_mailbox::sync::SyncOutcome, crm_mailbox::sync::SyncError> {
    let queue = redis.queue().await;
    let deps = crm_mailbox::sync::SyncDeps {
        pool: db.pool(),
        redis: queue.connection(),
        namespace: redis.namespace(),
        secrets: Some(secrets),
        analysis_queue: None,
    };
    crm_mailbox::sync::sync_account(&deps, settings, id.0, &shared::progress::NoProgress).await
}

/// An IMAP account (no secret, never connected) owned by a new user: for tests that store mail directly.
pub fn imap_account(db: &TestDb, address: &str) -> shared::models::email_account::EmailAccountId {
    use shared::models::email_account::{
        ImapAuth, ImapSecurity, NewEmailAccount, Provider, create_account,
    };
    use shared::models::user::Role;
    let owner = db.user(&format!("owner-{address}"), Role::User);
    let new = NewEmailAccount {
        owner_user_id: owner,
        provider: Provider::Imap,
        address: address.into(),
        imap_host: Some("127.0.0.1".into()),
        imap_port: Some(143),
        imap_security: Some(ImapSecurity::None),
        imap_auth: ImapAuth::Login,
        username: Some("u".into()),
        secret_ciphertext: None,
        token_expires_at: None,
        folders: vec!["INBOX".into()],
    };
    create_account(&mut db.conn(), &new).unwrap().id
}

/// The egress policy of tests: Dovecot and the mock servers listen on 127.0.0.1.
pub fn loopback_egress() -> egress::EgressPolicy {
    egress::EgressPolicy::parse_allow_list("127.0.0.1/32").unwrap()
}

/// Sync settings of tests: loopback allowed, plaintext IMAP allowed (the test Dovecot speaks both).
pub fn test_sync_settings() -> crm_mailbox::sync::SyncSettings {
    crm_mailbox::sync::SyncSettings {
        egress: loopback_egress(),
        imap: shared::config::ImapLimits {
            allow_plaintext: true,
            ..shared::config::ImapLimits::default()
        },
        ..crm_mailbox::sync::SyncSettings::default()
    }
}

/// The test login's settings in tests: loopback allowed, plaintext allowed.
pub fn test_login_check() -> crm_mailbox::accounts::LoginCheck {
    crm_mailbox::accounts::LoginCheck {
        egress: loopback_egress(),
        limits: test_sync_settings().imap,
        ..crm_mailbox::accounts::LoginCheck::default()
    }
}
