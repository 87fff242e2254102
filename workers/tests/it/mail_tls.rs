//! IMAP over TLS against a real Dovecot: implicit TLS (imaps) and STARTTLS sync once the server's CA is
//! trusted; a certificate nobody trusts is a configuration error that is not retried; an account set to
//! STARTTLS never falls back to plaintext when the server cannot upgrade.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use crm_mailbox::imap::ImapError;
use crm_mailbox::sync::{SyncError, SyncOutcome, SyncSettings};
use std::collections::HashMap;

use crm_queue::test_utils::TestRedis;
use shared::config::{EnvSource, MailConfig};
use shared::crypto::SecretBox;
use shared::models::UserId;
use shared::models::email_account::{
    self as accounts, EmailAccountId, ImapAuth, ImapSecurity, NewEmailAccount, Provider,
};
use shared::models::user::Role;
use shared::test_utils::{Dovecot, TestDb};

const PASSWORD: &str = "tls-s3cret";

struct Fixture {
    db: TestDb,
    redis: TestRedis,
    secrets: SecretBox,
    owner: UserId,
}

impl Fixture {
    fn new() -> Self {
        let db = TestDb::new();
        let owner = db.user("owner@crm.test", Role::User);
        Self {
            db,
            redis: TestRedis::new(),
            secrets: SecretBox::from_key_bytes(&[7; 32]).unwrap(),
            owner,
        }
    }

    fn account(&self, address: &str, port: u16, security: ImapSecurity) -> EmailAccountId {
        let new = NewEmailAccount {
            owner_user_id: self.owner,
            provider: Provider::Imap,
            address: address.to_owned(),
            imap_host: Some("127.0.0.1".into()),
            imap_port: Some(i32::from(port)),
            imap_security: Some(security),
            imap_auth: ImapAuth::Login,
            username: Some("alice".into()),
            secret_ciphertext: Some(self.secrets.encrypt(PASSWORD.as_bytes())),
            token_expires_at: None,
            folders: vec!["INBOX".into()],
        };
        accounts::create_account(&mut self.db.conn(), &new)
            .unwrap()
            .id
    }

    async fn sync(
        &self,
        id: EmailAccountId,
        settings: &SyncSettings,
    ) -> Result<SyncOutcome, SyncError> {
        common::sync_mailbox(&self.db, &self.redis, &self.secrets, id, settings).await
    }

    fn last_error(&self, id: EmailAccountId) -> Option<String> {
        accounts::find_account(&mut self.db.conn(), id)
            .unwrap()
            .unwrap()
            .last_error
    }
}

fn message(i: usize) -> Vec<u8> {
    format!(
        "From: Claire Martin <claire@client.test>\r\nTo: alice@crm.test\r\nSubject: Rapport {i}\r\n\
         Message-ID: <tls-{i}@client.test>\r\nDate: Mon, 2 Nov 2026 10:0{i}:00 +0100\r\n\r\nBonjour {i}\r\n"
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread")]
async fn implicit_tls_and_starttls_sync_once_the_ca_is_trusted() {
    let dovecot = Dovecot::start_tls(&[("alice", PASSWORD)]);
    let mut admin = dovecot.client("alice", PASSWORD);
    for i in 0..3 {
        admin.append("INBOX", None, &message(i));
    }
    let f = Fixture::new();
    // The CA as an operator would configure it: a PEM file named by MAIL_TLS_CA_FILE.
    let ca_file = dovecot.ca_pem_path().unwrap();
    let env = EnvSource::from_map(HashMap::from([(
        "MAIL_TLS_CA_FILE".to_owned(),
        ca_file.display().to_string(),
    )]));
    let mail = MailConfig::from_env(&env).unwrap();
    assert_eq!(mail.tls_extra_roots, vec![dovecot.ca_der().unwrap()]);
    let trusted = SyncSettings {
        extra_roots: mail.tls_extra_roots,
        ..common::test_sync_settings()
    };

    let imaps = f.account(
        "alice@crm.test",
        dovecot.imaps_port().unwrap(),
        ImapSecurity::Tls,
    );
    let out = f.sync(imaps, &trusted).await.unwrap();
    assert_eq!(out.totals.inserted, 3, "{out:?}");

    let starttls = f.account(
        "alice+starttls@crm.test",
        dovecot.port(),
        ImapSecurity::Starttls,
    );
    let out = f.sync(starttls, &trusted).await.unwrap();
    assert_eq!(out.totals.inserted, 3, "{out:?}");
    assert_eq!(f.last_error(starttls), None);

    // The same servers without their CA among the trusted roots: refused, recorded, not retried.
    for id in [imaps, starttls] {
        let err = f.sync(id, &common::test_sync_settings()).await.unwrap_err();
        assert!(
            matches!(err, SyncError::Imap(ImapError::Config(ref m)) if m.contains("certificate")),
            "{err:?}"
        );
        assert!(!err.is_transient());
        assert!(f.last_error(id).unwrap().contains("certificate"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn starttls_account_never_falls_back_to_plaintext() {
    // A server without TLS: the client must stop after STARTTLS is refused, before sending the password.
    let dovecot = Dovecot::start(&[("alice", PASSWORD)]);
    let f = Fixture::new();
    let id = f.account("alice@crm.test", dovecot.port(), ImapSecurity::Starttls);
    let err = f.sync(id, &common::test_sync_settings()).await.unwrap_err();
    assert!(
        matches!(err, SyncError::Imap(ImapError::Protocol(ref m)) if m.contains("STARTTLS")),
        "{err:?}"
    );
    let log = dovecot.log();
    assert!(
        !log.contains("Login: user=<alice>"),
        "the password was sent in plaintext: {log}"
    );
}
