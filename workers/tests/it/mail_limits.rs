//! A sync against a hostile IMAP server (allow-listed on loopback): a body fetch answered with a literal
//! above `MAIL_MAX_BYTES`, or above the size the server itself announced, fails the job cleanly and at
//! once — permanent, nothing buffered, no byte of the server's in the recorded error — and the egress
//! policy and plaintext setting hold for syncs too.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use std::time::{Duration, Instant};

use crm_mailbox::imap::{ImapError, ReadLimitError};
use crm_mailbox::sync::{SyncError, SyncSettings};
use crm_queue::test_utils::TestRedis;
use shared::crypto::SecretBox;
use shared::models::email_account::{
    self as accounts, EmailAccountId, ImapAuth, ImapSecurity, NewEmailAccount, Provider,
};
use shared::models::user::Role;
use shared::test_utils::hostile_imap::{HUGE_LITERAL, rss_bytes};
use shared::test_utils::{Behaviour, HostileImap, TestDb};

use crate::common;

fn account(db: &TestDb, secrets: &SecretBox, port: u16) -> EmailAccountId {
    let owner = db.user(&format!("owner-{port}@crm.test"), Role::User);
    let new = NewEmailAccount {
        owner_user_id: owner,
        provider: Provider::Imap,
        address: "alice@crm.test".to_owned(),
        imap_host: Some("127.0.0.1".into()),
        imap_port: Some(i32::from(port)),
        imap_security: Some(ImapSecurity::None),
        imap_auth: ImapAuth::Login,
        username: Some("alice".into()),
        secret_ciphertext: Some(secrets.encrypt(b"pw")),
        token_expires_at: None,
        folders: vec!["INBOX".to_owned()],
    };
    accounts::create_account(&mut db.conn(), &new).unwrap().id
}

#[tokio::test]
async fn an_oversized_or_understated_literal_fails_the_sync_without_buffering_it() {
    let db = TestDb::new();
    let redis = TestRedis::new();
    let secrets = SecretBox::from_key_bytes(&[7; 32]).unwrap();
    let settings = SyncSettings {
        max_bytes: 1_048_576,
        ..common::test_sync_settings()
    };
    // The server said 100 bytes (RFC822.SIZE) for its only message.
    let heads = [
        // 300 MB: above MAIL_MAX_BYTES.
        format!("* 1 FETCH (UID 1 RFC822.SIZE 100 BODY[] {HUGE_LITERAL}\r\n"),
        // 900 KB: under MAIL_MAX_BYTES, far above what the server announced.
        "* 1 FETCH (UID 1 RFC822.SIZE 100 BODY[] {900000}\r\n".to_owned(),
    ];
    for head in heads {
        let server = HostileImap::start(Behaviour::Imap {
            login_reply: None,
            body_head: format!("{head}SECRETBODYBYTES").into_bytes(),
        })
        .await;
        let id = account(&db, &secrets, server.port());
        let before = rss_bytes();
        let started = Instant::now();
        let err = common::sync_mailbox(&db, &redis, &secrets, id, &settings)
            .await
            .unwrap_err();
        let grown = rss_bytes().saturating_sub(before);
        assert!(
            matches!(
                err,
                SyncError::Imap(ImapError::Limit {
                    limit: ReadLimitError::LiteralTooLarge { .. },
                    ..
                })
            ),
            "{err:?}"
        );
        assert!(!err.is_transient(), "retrying cannot help: {err}");
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(server.sent() < 32 * 1_048_576, "sent {}", server.sent());
        assert!(grown < 32 * 1_048_576, "RSS grew by {grown} bytes");
        let recorded = accounts::find_account(&mut db.conn(), id)
            .unwrap()
            .unwrap()
            .last_error
            .unwrap();
        assert!(recorded.contains("literal"), "{recorded}");
        assert!(!recorded.contains("SECRETBODYBYTES"), "{recorded}");
    }
}

#[tokio::test]
async fn syncs_obey_the_egress_policy_and_the_plaintext_setting() {
    let db = TestDb::new();
    let redis = TestRedis::new();
    let secrets = SecretBox::from_key_bytes(&[7; 32]).unwrap();
    let server = HostileImap::start(Behaviour::Imap {
        login_reply: None,
        body_head: Vec::new(),
    })
    .await;
    let id = account(&db, &secrets, server.port());
    let strict = SyncSettings {
        egress: egress::EgressPolicy::default(),
        ..common::test_sync_settings()
    };
    let err = common::sync_mailbox(&db, &redis, &secrets, id, &strict)
        .await
        .unwrap_err();
    assert!(
        matches!(err, SyncError::Imap(ImapError::Egress(ref e)) if e.is_refusal()),
        "{err:?}"
    );
    assert!(!err.is_transient());
    let no_plaintext = SyncSettings {
        imap: shared::config::ImapLimits::default(),
        ..common::test_sync_settings()
    };
    let err = common::sync_mailbox(&db, &redis, &secrets, id, &no_plaintext)
        .await
        .unwrap_err();
    assert!(
        matches!(err, SyncError::Imap(ImapError::PlaintextRefused)),
        "{err:?}"
    );
    assert_eq!(server.connections(), 0);
}
