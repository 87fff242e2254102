//! Mailbox sync against a real Dovecot, Postgres and Redis: initial and incremental sync, UIDVALIDITY
//! change, `\Seen` untouched, dedupe across folders and without Message-ID, malformed and oversized
//! messages, authentication failure (through the real workers binary too), XOAUTH2, one sync per account
//! at a time, threading, people matching, retention and imports.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use std::time::Duration;

use crm_mailbox::imap::ImapError;
use crm_mailbox::lock::{self, AccountLock};
use crm_mailbox::schedule::enqueue_syncs;
use crm_mailbox::sync::{SyncError, SyncOutcome, SyncSettings};
use crm_queue::JobState;
use crm_queue::test_utils::TestRedis;
use diesel::prelude::*;
use shared::crypto::SecretBox;
use shared::models::UserId;
use shared::models::email_account::{
    self as accounts, EmailAccountId, ImapAuth, ImapSecurity, NewEmailAccount, Provider,
};
use shared::models::interaction::{self, Direction, Interaction, SkippedReason};
use shared::models::person::{NewPerson, create_person};
use shared::models::user::Role;
use shared::progress::NoProgress;
use shared::test_utils::{Dovecot, TestDb};

const PASSWORD: &str = "s3cret-pw";
const TOKEN: &str = "ya29.test-oauth-token";

fn key() -> SecretBox {
    SecretBox::from_key_bytes(&[42; 32]).unwrap()
}

struct Fixture {
    db: TestDb,
    redis: TestRedis,
    dovecot: Dovecot,
    secrets: SecretBox,
    owner: UserId,
}

impl Fixture {
    fn new() -> Self {
        let dovecot = Dovecot::start(&[("alice", PASSWORD), ("bob", TOKEN)]);
        let db = TestDb::new();
        let owner = db.user("owner@crm.test", Role::User);
        Self {
            db,
            redis: TestRedis::new(),
            dovecot,
            secrets: key(),
            owner,
        }
    }

    fn account_with(
        &self,
        user: &str,
        secret: &str,
        auth: ImapAuth,
        folders: &[&str],
    ) -> EmailAccountId {
        self.account_at(&format!("{user}@crm.test"), user, secret, auth, folders)
    }

    fn account_at(
        &self,
        address: &str,
        user: &str,
        secret: &str,
        auth: ImapAuth,
        folders: &[&str],
    ) -> EmailAccountId {
        let new = NewEmailAccount {
            owner_user_id: self.owner,
            provider: Provider::Imap,
            address: address.to_owned(),
            imap_host: Some(self.dovecot.host().into()),
            imap_port: Some(i32::from(self.dovecot.port())),
            imap_security: Some(ImapSecurity::None),
            imap_auth: auth,
            username: Some(user.into()),
            secret_ciphertext: Some(self.secrets.encrypt(secret.as_bytes())),
            token_expires_at: None,
            folders: folders.iter().map(|f| (*f).to_owned()).collect(),
        };
        accounts::create_account(&mut self.db.conn(), &new)
            .unwrap()
            .id
    }

    fn account(&self, folders: &[&str]) -> EmailAccountId {
        self.account_with("alice", PASSWORD, ImapAuth::Login, folders)
    }

    async fn sync_with(
        &self,
        id: EmailAccountId,
        settings: &SyncSettings,
    ) -> Result<SyncOutcome, SyncError> {
        common::sync_mailbox(&self.db, &self.redis, &self.secrets, id, settings).await
    }

    async fn sync(&self, id: EmailAccountId) -> SyncOutcome {
        self.sync_with(id, &common::test_sync_settings())
            .await
            .unwrap()
    }

    fn stored(&self, id: EmailAccountId) -> Vec<Interaction> {
        interaction::list_for_account(&mut self.db.conn(), id).unwrap()
    }

    fn imap(&self) -> shared::test_utils::dovecot::ImapClient {
        self.dovecot.client("alice", PASSWORD)
    }
}

fn mail(n: usize) -> Vec<u8> {
    format!(
        "Message-ID: <msg-{n}@demo.crm>\r\nFrom: Client {n} <client{n}@example.fr>\r\nTo: alice@crm.test\r\n\
Subject: Point n\u{b0}{n}\r\nDate: Tue, 3 Mar 2026 10:{:02}:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
Bonjour,\r\nvoici le point {n}.\r\n",
        n % 60
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initial_sync_of_500_then_incremental_10_without_touching_seen_flags() {
    let f = Fixture::new();
    let mut imap = f.imap();
    for n in 0..500 {
        let flags = (n % 7 == 0).then_some("(\\Seen)");
        imap.append("INBOX", flags, &mail(n));
    }
    let seen_before = imap.seen_count("INBOX");
    assert_eq!(seen_before, 72);
    let id = f.account(&["INBOX", "Sent"]);

    let out = f.sync(id).await;
    assert_eq!(out.totals.inserted, 500, "{out:?}");
    assert_eq!(out.folders[0].new_uids, 500);
    assert!(out.folders[1].missing, "Sent does not exist here");
    assert_eq!(f.stored(id).len(), 500);
    let state = accounts::folder_state(&mut f.db.conn(), id, "INBOX")
        .unwrap()
        .unwrap();
    assert_eq!(state.last_uid, 500);
    let account = accounts::find_account(&mut f.db.conn(), id)
        .unwrap()
        .unwrap();
    assert!(account.last_sync_at.is_some() && account.last_error.is_none());

    for n in 500..510 {
        imap.append("INBOX", None, &mail(n));
    }
    let out = f.sync(id).await;
    assert_eq!(out.folders[0].new_uids, 10);
    assert_eq!(out.totals.inserted, 10);
    assert_eq!(f.stored(id).len(), 510);

    let out = f.sync(id).await;
    assert_eq!(out.folders[0].new_uids, 0, "nothing new: {out:?}");
    assert_eq!(out.totals.inserted, 0);

    assert_eq!(
        imap.seen_count("INBOX"),
        seen_before,
        "sync must not mark messages read"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uidvalidity_change_resyncs_the_folder_without_duplicates() {
    let f = Fixture::new();
    let mut imap = f.imap();
    imap.create("Archive");
    for n in 0..5 {
        imap.append("Archive", None, &mail(n));
    }
    let id = f.account(&["Archive"]);
    assert_eq!(f.sync(id).await.totals.inserted, 5);
    let before = imap.uidvalidity("Archive");

    imap.recreate("Archive");
    assert_ne!(imap.uidvalidity("Archive"), before);
    for n in 0..6 {
        imap.append("Archive", None, &mail(n));
    }
    let out = f.sync(id).await;
    assert!(out.folders[0].resynced, "{out:?}");
    assert_eq!(out.folders[0].new_uids, 6);
    assert_eq!(out.totals.inserted, 1);
    assert_eq!(out.totals.duplicates, 5);
    assert_eq!(f.stored(id).len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_message_id_in_two_folders_and_messages_without_id_are_stored_once() {
    let f = Fixture::new();
    let mut imap = f.imap();
    imap.create("Sent");
    imap.create("Archive");
    imap.append("INBOX", None, &mail(1));
    imap.append("Sent", None, &mail(1));
    let no_id = b"From: Sans Id <sans.id@example.fr>\r\nTo: alice@crm.test\r\nSubject: Sans identifiant\r\n\
Date: Wed, 4 Mar 2026 09:00:00 +0100\r\n\r\nCorps.\r\n";
    imap.append("Archive", None, no_id);
    let id = f.account(&["INBOX", "Sent", "Archive"]);
    f.sync(id).await;
    let stored = f.stored(id);
    assert_eq!(stored.len(), 2, "{stored:?}");
    let synthetic = stored
        .iter()
        .find(|m| m.subject.as_deref() == Some("Sans identifiant"))
        .unwrap();

    // The server renumbers the folder: the message without Message-ID comes again and is recognised.
    imap.recreate("Archive");
    imap.append("Archive", None, no_id);
    let out = f.sync(id).await;
    assert!(out.folders[2].resynced);
    assert_eq!(out.totals.inserted, 0, "{out:?}");
    let again = f.stored(id);
    assert_eq!(again.len(), 2);
    assert!(again.iter().any(|m| m.message_id == synthetic.message_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_oversized_messages_are_recorded_and_skipped() {
    let f = Fixture::new();
    let mut imap = f.imap();
    imap.append("INBOX", None, &mail(1));
    let big_body = "Ligne de reporting mensuel avec beaucoup de chiffres.\r\n".repeat(200);
    let big = format!(
        "Message-ID: <big@demo.crm>\r\nFrom: gros@example.fr\r\nTo: alice@crm.test\r\nSubject: Gros fichier\r\n\r\n{big_body}"
    );
    imap.append("INBOX", None, big.as_bytes());
    imap.append("INBOX", None, b"\x01\x02\x03 ceci n'est pas un message\r\n");
    imap.append("INBOX", None, &mail(2));
    let id = f.account(&["INBOX"]);
    let settings = SyncSettings {
        max_bytes: 4_096,
        ..common::test_sync_settings()
    };
    let out = f.sync_with(id, &settings).await.unwrap();
    assert_eq!(out.totals.inserted, 4, "{out:?}");
    assert_eq!(out.totals.skipped, 2);
    let stored = f.stored(id);
    let big = stored
        .iter()
        .find(|m| m.message_id == "big@demo.crm")
        .unwrap();
    assert_eq!(big.skipped_reason, Some(SkippedReason::Oversized));
    assert!(big.body_text.is_none());
    assert_eq!(
        big.subject.as_deref(),
        Some("Gros fichier"),
        "headers are kept"
    );
    assert!(big.size_bytes > 4_096);
    let bad: Vec<_> = stored
        .iter()
        .filter(|m| m.skipped_reason == Some(SkippedReason::Malformed))
        .collect();
    assert_eq!(bad.len(), 1);
    assert!(bad[0].body_text.is_none());
    assert_eq!(stored.iter().filter(|m| m.body_text.is_some()).count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_marks_the_account_and_is_permanent() {
    let f = Fixture::new();
    let id = f.account_with("alice", "wrong-password", ImapAuth::Login, &["INBOX"]);
    let err = f
        .sync_with(id, &common::test_sync_settings())
        .await
        .unwrap_err();
    assert!(
        matches!(err, SyncError::Imap(ImapError::Auth(_))),
        "{err:?}"
    );
    assert!(!err.is_transient());
    let account = accounts::find_account(&mut f.db.conn(), id)
        .unwrap()
        .unwrap();
    let reason = account.last_error.unwrap();
    assert!(reason.contains("authentication failed"), "{reason}");
    assert!(!reason.contains("wrong-password"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_failure_dead_letters_without_retry_in_the_workers_binary() {
    let dovecot = Dovecot::start(&[("alice", PASSWORD)]);
    let env = common::Env::new().await;
    let owner = env.db.user("o@crm.test", Role::User);
    let key_b64 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode([42u8; 32])
    };
    let new = NewEmailAccount {
        owner_user_id: owner,
        provider: Provider::Imap,
        address: "alice@crm.test".into(),
        imap_host: Some("127.0.0.1".into()),
        imap_port: Some(i32::from(dovecot.port())),
        imap_security: Some(ImapSecurity::None),
        imap_auth: ImapAuth::Login,
        username: Some("alice".into()),
        secret_ciphertext: Some(key().encrypt(b"not-the-password")),
        token_expires_at: None,
        folders: vec!["INBOX".into()],
    };
    let id = accounts::create_account(&mut env.db.conn(), &new)
        .unwrap()
        .id;
    let _worker = env.spawn_workers(&[("MAIL_ENCRYPTION_KEY", &key_b64)]);
    let job = env
        .queue
        .enqueue(
            &shared::jobs::payloads::mail::SyncAccount { account_id: id },
            Default::default(),
        )
        .await
        .unwrap();
    let rec = env
        .wait_state(&job.job_id, JobState::Dead, Duration::from_secs(30))
        .await;
    assert_eq!(rec.attempts, 1, "no retry: {rec:?}");
    let account = accounts::find_account(&mut env.db.conn(), id)
        .unwrap()
        .unwrap();
    assert!(
        account
            .last_error
            .unwrap()
            .contains("authentication failed")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xoauth2_authenticates_with_the_token() {
    let f = Fixture::new();
    let mut bob = f.dovecot.client("bob", TOKEN);
    bob.append("INBOX", None, &mail(7));
    let token_json = format!(r#"{{"access_token":"{TOKEN}","refresh_token":"r"}}"#);
    let id = f.account_with("bob", &token_json, ImapAuth::Xoauth2, &["INBOX"]);
    let out = f.sync(id).await;
    assert_eq!(out.totals.inserted, 1, "{out:?}");

    let bad = f.account_at(
        "bob.other@crm.test",
        "bob",
        "expired-token",
        ImapAuth::Xoauth2,
        &["INBOX"],
    );
    let err = f.sync_with(bad, &common::test_sync_settings()).await;
    assert!(
        matches!(err, Err(SyncError::Imap(ImapError::Auth(_)))),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_sync_per_account_at_a_time() {
    let f = Fixture::new();
    let mut imap = f.imap();
    for n in 0..50 {
        imap.append("INBOX", None, &mail(n));
    }
    let id = f.account(&["INBOX"]);
    let queue = f.redis.queue().await;

    // sync_all within one 10-minute window enqueues each account once.
    let first = enqueue_syncs(&queue, &[id], 1_000_000).await.unwrap();
    let second = enqueue_syncs(&queue, &[id], 1_000_100).await.unwrap();
    assert_eq!((first.enqueued, first.already_queued), (1, 0));
    assert_eq!((second.enqueued, second.already_queued), (0, 1));
    let next_window = enqueue_syncs(&queue, &[id], 1_000_800).await.unwrap();
    assert_eq!(next_window.enqueued, 1);

    // While the account's lock is held, another sync does nothing.
    let held = AccountLock::acquire(queue.connection(), lock::key(f.redis.namespace(), id.0))
        .await
        .unwrap()
        .unwrap();
    let out = f.sync(id).await;
    assert_eq!(out.skipped, Some("already_running"));
    assert!(f.stored(id).is_empty());
    held.release().await;

    // Two syncs started together: whatever the interleaving, each message is stored once.
    let (a, b) = tokio::join!(f.sync(id), f.sync(id));
    assert!(
        a.skipped.is_some() || b.skipped.is_some() || a.totals.inserted + b.totals.inserted == 50
    );
    assert_eq!(a.totals.inserted + b.totals.inserted, 50);
    assert_eq!(f.stored(id).len(), 50);
}

/// Two threads that a later message of the same batch connects merge into one, whether that message
/// is linked in the batch that holds the others (followed in memory) or in a batch of its own (found in
/// the database).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_joining_two_threads_merges_them_in_one_batch_or_across_batches() {
    let f = Fixture::new();
    let mut imap = f.imap();
    for (id, refs) in [
        ("m1@ex.fr", "<p1@ex.fr>"),
        ("m2@ex.fr", "<p2@ex.fr>"),
        ("p1@ex.fr", "<p2@ex.fr>"),
    ] {
        let raw = format!(
            "Message-ID: <{id}>\r\nReferences: {refs}\r\nFrom: a@ex.fr\r\nTo: alice@crm.test\r\n\
Subject: Re: Fonds\r\nDate: Thu, 5 Mar 2026 10:00:00 +0100\r\n\r\nTexte.\r\n"
        );
        imap.append("INBOX", None, raw.as_bytes());
    }
    for batch_size in [100, 1] {
        let id = f.account_at(
            &format!("alice+{batch_size}@crm.test"),
            "alice",
            PASSWORD,
            ImapAuth::Login,
            &["INBOX"],
        );
        let settings = SyncSettings {
            batch_size,
            ..common::test_sync_settings()
        };
        f.sync_with(id, &settings).await.unwrap();
        let stored = f.stored(id);
        assert_eq!(stored.len(), 3, "batch size {batch_size}");
        assert!(
            stored
                .iter()
                .all(|m| m.thread_id.is_some() && m.thread_id == stored[0].thread_id),
            "batch size {batch_size}: {:?}",
            stored.iter().map(|m| m.thread_id).collect::<Vec<_>>()
        );
        let threads =
            shared::models::email_thread::list_for_account(&mut f.db.conn(), id, 10).unwrap();
        assert_eq!(threads.len(), 1, "batch size {batch_size}");
        assert_eq!(threads[0].message_count, 3, "batch size {batch_size}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_queued_for_an_account_deleted_meanwhile_ends_quietly() {
    let f = Fixture::new();
    let id = f.account(&["INBOX"]);
    assert!(accounts::delete_account(&mut f.db.conn(), id).unwrap());
    let out = f.sync(id).await;
    assert_eq!(out.skipped, Some("deleted"));
    assert!(out.folders.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_direction_and_threads_across_syncs() {
    let f = Fixture::new();
    let person = create_person(
        &mut f.db.conn(),
        &NewPerson {
            first_name: "Claire".into(),
            last_name: "Durand".into(),
            email: Some("Claire.Durand@Example.fr".into()),
            ..NewPerson::default()
        },
    )
    .unwrap();
    let mut imap = f.imap();
    imap.create("Sent");
    // The reply arrives first; its parent (sent by us) comes in a later sync.
    imap.append(
        "INBOX",
        None,
        b"Message-ID: <r1@ex.fr>\r\nIn-Reply-To: <p1@crm.test>\r\nReferences: <p1@crm.test>\r\n\
From: claire.durand@example.fr\r\nTo: alice@crm.test\r\nSubject: RE : Proposition fonds\r\n\
Date: Thu, 5 Mar 2026 10:00:00 +0100\r\n\r\nMerci.\r\n",
    );
    let id = f.account(&["INBOX", "Sent"]);
    f.sync(id).await;
    imap.append(
        "Sent",
        None,
        b"Message-ID: <p1@crm.test>\r\nFrom: alice@crm.test\r\nTo: CLAIRE.DURAND@example.fr\r\n\
Subject: Proposition fonds\r\nDate: Wed, 4 Mar 2026 10:00:00 +0100\r\n\r\nBonjour Claire.\r\n",
    );
    f.sync(id).await;
    let stored = f.stored(id);
    assert_eq!(stored.len(), 2);
    let parent = stored
        .iter()
        .find(|m| m.message_id == "p1@crm.test")
        .unwrap();
    let reply = stored.iter().find(|m| m.message_id == "r1@ex.fr").unwrap();
    assert_eq!(parent.direction, Direction::Outbound);
    assert_eq!(reply.direction, Direction::Inbound);
    assert_eq!(parent.person_id, Some(person.id));
    assert_eq!(reply.person_id, Some(person.id));
    assert_eq!(reply.parent_message_id.as_deref(), Some("p1@crm.test"));
    assert_eq!(parent.thread_id, reply.thread_id);
    let thread =
        shared::models::email_thread::find_thread(&mut f.db.conn(), parent.thread_id.unwrap())
            .unwrap()
            .unwrap();
    assert_eq!(thread.message_count, 2);
    assert_eq!(thread.root_message_id, "p1@crm.test");
    assert_eq!(thread.subject, "Proposition fonds");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_purges_old_bodies_and_keeps_metadata() {
    let f = Fixture::new();
    let mut imap = f.imap();
    imap.append("INBOX", None, &mail(1));
    let recent = format!(
        "Message-ID: <recent@demo.crm>\r\nFrom: a@example.fr\r\nSubject: Récent\r\nDate: {}\r\n\r\nCorps récent\r\n",
        chrono::Utc::now().to_rfc2822()
    );
    imap.append("INBOX", None, recent.as_bytes());
    let id = f.account(&["INBOX"]);
    f.sync(id).await;
    let purged = crm_mailbox::cleanup::purge_old_bodies(f.db.pool(), 30)
        .await
        .unwrap();
    assert_eq!(purged, 1);
    let stored = f.stored(id);
    let old = stored
        .iter()
        .find(|m| m.message_id == "msg-1@demo.crm")
        .unwrap();
    assert!(old.body_text.is_none() && old.body_purged_at.is_some());
    assert!(old.subject.is_some() && old.from_address.is_some());
    let kept = stored
        .iter()
        .find(|m| m.message_id == "recent@demo.crm")
        .unwrap();
    assert!(kept.body_text.is_some());
    assert_eq!(
        crm_mailbox::cleanup::purge_old_bodies(f.db.pool(), 30)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mbox_import_is_idempotent_and_threads() {
    let db = TestDb::new();
    let owner = db.user("i@crm.test", Role::Admin);
    let new = NewEmailAccount {
        owner_user_id: owner,
        provider: Provider::Imap,
        address: "demo@crm.test".into(),
        imap_host: Some("localhost".into()),
        imap_port: Some(143),
        imap_security: Some(ImapSecurity::Tls),
        imap_auth: ImapAuth::Login,
        username: None,
        secret_ciphertext: None,
        token_expires_at: None,
        folders: accounts::default_folders(),
    };
    let id = accounts::create_account(&mut db.conn(), &new).unwrap().id;
    let dir = tempfile::tempdir().unwrap();
    let mbox = "From a@x Thu Mar  5 10:00:00 2026\nMessage-ID: <m1@x>\nFrom: a@x.fr\nSubject: Hello\n\nbody\n\n\
From b@x Thu Mar  5 11:00:00 2026\nMessage-ID: <m2@x>\nIn-Reply-To: <m1@x>\nFrom: b@x.fr\nSubject: Re: Hello\n\n>From quoted\n";
    std::fs::write(dir.path().join("demo.mbox"), mbox).unwrap();
    let path = crm_mailbox::import::resolve_path(Some(dir.path()), "demo.mbox").unwrap();
    for round in 0..2 {
        let out = crm_mailbox::import::import_path(
            db.pool(),
            crm_mailbox::import::ImportHooks::default(),
            id.0,
            &path,
            "Import",
            1 << 20,
            &NoProgress,
        )
        .await
        .unwrap();
        assert_eq!(out.messages, 2);
        assert_eq!(out.stored.inserted, if round == 0 { 2 } else { 0 });
    }
    let stored = interaction::list_for_account(&mut db.conn(), id).unwrap();
    assert_eq!(stored[0].thread_id, stored[1].thread_id);
    assert!(stored.iter().any(|m| {
        m.body_text
            .as_deref()
            .is_some_and(|b| b.contains("From quoted"))
    }));
    let n: i64 = shared::schema::email_threads::table
        .count()
        .get_result(&mut db.conn())
        .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_mailbox_imports_into_threads() {
    let db = TestDb::new();
    let owner = db.user("d@crm.test", Role::Admin);
    let new = NewEmailAccount {
        owner_user_id: owner,
        provider: Provider::Imap,
        address: "camille.lefort@distri-demo.fr".into(),
        imap_host: Some("localhost".into()),
        imap_port: Some(993),
        imap_security: Some(ImapSecurity::Tls),
        imap_auth: ImapAuth::Login,
        username: None,
        secret_ciphertext: None,
        token_expires_at: None,
        folders: accounts::default_folders(),
    };
    let id = accounts::create_account(&mut db.conn(), &new).unwrap().id;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ops/demo");
    let path = crm_mailbox::import::resolve_path(Some(&dir), "mailbox.mbox").unwrap();
    let out = crm_mailbox::import::import_path(
        db.pool(),
        crm_mailbox::import::ImportHooks::default(),
        id.0,
        &path,
        "Import",
        1 << 20,
        &NoProgress,
    )
    .await
    .unwrap();
    assert!(out.messages >= 250, "{out:?}");
    assert_eq!(out.stored.inserted, out.messages);
    assert_eq!(out.stored.skipped, 0);
    let stored = interaction::list_for_account(&mut db.conn(), id).unwrap();
    assert!(stored.iter().any(|m| m.direction == Direction::Outbound));
    assert!(stored.iter().any(|m| m.direction == Direction::Inbound));
    let threads: i64 = shared::schema::email_threads::table
        .count()
        .get_result(&mut db.conn())
        .unwrap();
    assert_eq!(threads, 140, "one thread per generated conversation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_an_account_checks_the_login_first() {
    use crm_mailbox::accounts::{AccountError, NewImapAccount, create_imap_account};
    let f = Fixture::new();
    let input = |secret: &str| NewImapAccount {
        address: "Alice@CRM.test".into(),
        host: "127.0.0.1".into(),
        port: f.dovecot.port(),
        security: ImapSecurity::None,
        auth: None,
        username: Some("alice".into()),
        secret: secrecy::SecretString::from(secret.to_owned()),
        folders: None,
    };
    let err = create_imap_account(
        f.db.pool(),
        Some(&f.secrets),
        &common::test_login_check(),
        f.owner,
        input("nope"),
        true,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, AccountError::LoginRefused(ref r) if r.contains("AUTHENTICATIONFAILED")),
        "{err:?}"
    );
    assert!(
        accounts::list_for_owner(&mut f.db.conn(), f.owner)
            .unwrap()
            .is_empty()
    );

    let created = create_imap_account(
        f.db.pool(),
        Some(&f.secrets),
        &common::test_login_check(),
        f.owner,
        input(PASSWORD),
        true,
    )
    .await
    .unwrap();
    assert_eq!(created.folders, ["INBOX", "Sent"]);
    let json = serde_json::to_string(&created).unwrap();
    assert!(!json.contains("secret_ciphertext") && !json.contains(PASSWORD));
    assert!(!format!("{created:?}").contains(PASSWORD));
    let sealed = created.secret_ciphertext.clone().unwrap();
    assert_eq!(f.secrets.decrypt(&sealed).unwrap(), PASSWORD.as_bytes());

    let dup = create_imap_account(
        f.db.pool(),
        Some(&f.secrets),
        &common::test_login_check(),
        f.owner,
        input(PASSWORD),
        true,
    )
    .await;
    assert!(matches!(dup, Err(AccountError::Duplicate)), "{dup:?}");
    let out = f.sync(created.id).await;
    assert!(out.skipped.is_none());
}
