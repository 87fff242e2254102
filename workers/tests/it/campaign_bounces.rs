//! Campaign feedback read from the bounce mailbox over real IMAP (Dovecot) and Postgres: hard and soft
//! bounces, a complaint and a mailto unsubscription recorded once each and suppressing their addresses,
//! whatever the number of syncs; the same reports in another mailbox record nothing; the sync and import
//! jobs of the workers binary do it with the settings read from the environment.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use std::time::Duration;

use crm_campaigns::feedback::address_hash;
use crm_campaigns::links::Links;
use crm_mailbox::bounces::{CampaignFeedback, FeedbackCounts};
use crm_mailbox::sync::{SyncDeps, SyncOutcome, SyncSettings};
use crm_queue::JobState;
use crm_queue::test_utils::TestRedis;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use shared::config::{CampaignConfig, EnvSource};
use shared::crypto::SecretBox;
use shared::keyed_hash::KeyedHasher;
use shared::models::UserId;
use shared::models::campaign::CampaignSendId;
use shared::models::email_account::{
    self as accounts, EmailAccountId, ImapAuth, ImapSecurity, NewEmailAccount, Provider,
};
use shared::models::user::Role;
use shared::test_utils::{Dovecot, TestDb};

const PASSWORD: &str = "bounce-pw";
/// `RGPD_HASH_KEY` of the workers binary, in hex: the tests hash addresses with the same key.
const HASH_KEY: [u8; 32] = [0x11; 32];
const PUBLIC_URL: &str = "https://crm.example.fr";

const HARD: &str = include_str!("../../campaigns/tests/data/dsn/postfix-hard-5.1.1.eml");
const SOFT: &str = include_str!("../../campaigns/tests/data/dsn/gmail-5.2.2.eml");
const ARF: &str = include_str!("../../campaigns/tests/data/dsn/arf-complaint.eml");

fn hasher() -> KeyedHasher {
    KeyedHasher::new(HASH_KEY)
}

/// The campaign settings of these tests: links under `PUBLIC_URL`, `bounces` as the bounce mailbox.
fn config(bounces: Option<EmailAccountId>) -> CampaignConfig {
    let id = bounces.map(|b| b.0.to_string()).unwrap_or_default();
    CampaignConfig::from_env(&EnvSource::from_pairs(&[
        ("API_PUBLIC_URL", PUBLIC_URL),
        ("CAMPAIGN_BOUNCE_ACCOUNT_ID", &id),
    ]))
    .unwrap()
}

fn hash(address: &str) -> String {
    address_hash(&hasher(), address)
}

fn crlf(s: &str) -> Vec<u8> {
    s.replace("\r\n", "\n").replace('\n', "\r\n").into_bytes()
}

/// A hard bounce (Postfix, 5.1.1) of the message `send` to `address`.
fn hard_bounce(send: &str, address: &str) -> Vec<u8> {
    crlf(
        &HARD
            .replace(
                "send.01JEXAMPLE0000000000000001@campaigns.example.com",
                send,
            )
            .replace("Nobody.Here@example.net", address)
            .replace("nobody.here@example.net", address),
    )
}

/// Soft bounce number `n` (Gmail, mailbox full) of the message `send` to `address`.
fn soft_bounce(n: usize, send: &str, address: &str) -> Vec<u8> {
    crlf(
        &SOFT
            .replace(
                "6752f1cb.050a0220.2f7c3e.0001.GMR@mx.example.net",
                &format!("soft-{n}.GMR@mx.example.net"),
            )
            .replace(
                "send.01JEXAMPLE0000000000000004@campaigns.example.com",
                send,
            )
            .replace("full.box@example.net", address),
    )
}

/// A feedback-loop complaint about the message `send` to `address`.
fn complaint(send: &str, address: &str) -> Vec<u8> {
    crlf(
        &ARF.replace(
            "send.01JEXAMPLE0000000000000007@campaigns.example.com",
            send,
        )
        .replace("Annoyed.Reader@example.net", address),
    )
}

/// What a mail client sends for the `mailto:` of `List-Unsubscribe`.
fn mailto_unsubscribe(from: &str, send: CampaignSendId) -> Vec<u8> {
    let config = config(None);
    let token = Links::new(config.public_url.as_ref().unwrap(), hasher()).unsubscribe_token(send);
    crlf(&format!(
        "Message-ID: <unsub-{}@example.net>\nFrom: <{from}>\nTo: bounces@crm.test\n\
Subject: unsubscribe {token}\nDate: Wed, 9 Dec 2026 08:00:00 +0100\n\n\n",
        send.0
    ))
}

fn ordinary_mail() -> Vec<u8> {
    crlf(
        "Message-ID: <hello@example.net>\nFrom: <someone@example.net>\nTo: bounces@crm.test\n\
Subject: Question\nDate: Wed, 9 Dec 2026 09:00:00 +0100\n\nHello, is this the right address?\n",
    )
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName, Debug, PartialEq, Eq)]
struct Suppression {
    #[diesel(sql_type = Text)]
    reason: String,
    #[diesel(sql_type = Text)]
    source: String,
}

fn insert(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Id>(conn).unwrap().id
}

fn count(db: &TestDb, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(&mut db.conn())
        .unwrap()
        .n
}

fn suppression(db: &TestDb, address: &str) -> Option<Suppression> {
    diesel::sql_query("SELECT reason, source FROM email_suppressions WHERE address_hash = $1")
        .bind::<Text, _>(hash(address))
        .get_result(&mut db.conn())
        .optional()
        .unwrap()
}

fn suppressed(reason: &str, source: &str) -> Option<Suppression> {
    Some(Suppression {
        reason: reason.into(),
        source: source.into(),
    })
}

/// `(kind, count)` of the email events, by kind.
fn events(db: &TestDb) -> Vec<(String, i64)> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        kind: String,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    diesel::sql_query("SELECT kind, count(*) AS n FROM email_events GROUP BY kind ORDER BY kind")
        .load::<Row>(&mut db.conn())
        .unwrap()
        .into_iter()
        .map(|r| (r.kind, r.n))
        .collect()
}

/// A campaign of three steps, sending to the people it is asked for.
struct Campaign {
    id: i64,
}

impl Campaign {
    fn new(db: &TestDb, owner: UserId) -> Self {
        let conn = &mut db.conn();
        let o = owner.0;
        let segment = insert(
            conn,
            &format!("INSERT INTO segments (name, owner_id) VALUES ('All', {o}) RETURNING id"),
        );
        let template = insert(
            conn,
            &format!(
                "INSERT INTO mail_templates (name, subject, html, owner_id) \
                 VALUES ('Winter', 'Our winter catalogue', '<p>Hello</p>', {o}) RETURNING id"
            ),
        );
        let id = insert(
            conn,
            &format!(
                "INSERT INTO campaigns (name, segment_id, status, owner_id, launched_at) \
                 VALUES ('Winter', {segment}, 'sending', {o}, now()) RETURNING id"
            ),
        );
        for step in 1..=3 {
            diesel::sql_query(format!(
                "INSERT INTO campaign_steps (campaign_id, step, template_id, delay_hours) \
                 VALUES ({id}, {step}, {template}, 24)"
            ))
            .execute(conn)
            .unwrap();
        }
        Self { id }
    }

    /// Enrols a new person with `address`; returns the person's id.
    fn recipient(&self, db: &TestDb, address: &str) -> i64 {
        let conn = &mut db.conn();
        let person = diesel::sql_query(
            "INSERT INTO people (first_name, last_name, email) VALUES ('Test', 'Person', $1) \
             RETURNING id",
        )
        .bind::<Text, _>(address)
        .get_result::<Id>(conn)
        .unwrap()
        .id;
        diesel::sql_query(format!(
            "INSERT INTO campaign_recipients (campaign_id, person_id, variant) \
             VALUES ({}, {person}, 'a')",
            self.id
        ))
        .execute(conn)
        .unwrap();
        person
    }

    /// Step `step` sent to `person` at `address`: its id and Message-ID.
    fn sent(&self, db: &TestDb, person: i64, step: i16, address: &str) -> (CampaignSendId, String) {
        let message_id = format!("send.{}.{person}.{step}@crm.example.fr", self.id);
        let id = diesel::sql_query(format!(
            "INSERT INTO campaign_sends \
             (campaign_id, person_id, step, variant, status, due_at, sent_at, message_id, address_hash) \
             VALUES ({}, {person}, {step}, 'a', 'sent', now(), now(), $1, $2) RETURNING id",
            self.id
        ))
        .bind::<Text, _>(&message_id)
        .bind::<Text, _>(hash(address))
        .get_result::<Id>(&mut db.conn())
        .unwrap()
        .id;
        (CampaignSendId(id), message_id)
    }

    /// `(state, stop_reason)` of a recipient.
    fn recipient_state(&self, db: &TestDb, person: i64) -> (String, Option<String>) {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Text)]
            state: String,
            #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
            stop_reason: Option<String>,
        }
        let r: Row = diesel::sql_query(format!(
            "SELECT state, stop_reason FROM campaign_recipients \
             WHERE campaign_id = {} AND person_id = {person}",
            self.id
        ))
        .get_result(&mut db.conn())
        .unwrap();
        (r.state, r.stop_reason)
    }
}

fn secrets() -> SecretBox {
    SecretBox::from_key_bytes(&[42; 32]).unwrap()
}

fn account(db: &TestDb, dovecot: &Dovecot, owner: UserId, user: &str) -> EmailAccountId {
    let new = NewEmailAccount {
        owner_user_id: owner,
        provider: Provider::Imap,
        address: format!("{user}@crm.test"),
        imap_host: Some(dovecot.host().into()),
        imap_port: Some(i32::from(dovecot.port())),
        imap_security: Some(ImapSecurity::None),
        imap_auth: ImapAuth::Login,
        username: Some(user.into()),
        secret_ciphertext: Some(secrets().encrypt(PASSWORD.as_bytes())),
        token_expires_at: None,
        folders: vec!["INBOX".into()],
    };
    accounts::create_account(&mut db.conn(), &new).unwrap().id
}

/// The settings of the workers with `bounces` as the bounce mailbox.
fn settings(bounces: EmailAccountId) -> SyncSettings {
    SyncSettings {
        feedback: CampaignFeedback::from_config(&config(Some(bounces)), &hasher()),
        ..common::test_sync_settings()
    }
}

async fn sync(
    db: &TestDb,
    redis: &TestRedis,
    id: EmailAccountId,
    settings: &SyncSettings,
) -> SyncOutcome {
    let queue = redis.queue().await;
    let secrets = secrets();
    let deps = SyncDeps {
        pool: db.pool(),
        redis: queue.connection(),
        namespace: redis.namespace(),
        secrets: Some(&secrets),
        analysis_queue: None,
    };
    crm_mailbox::sync::sync_account(&deps, settings, id.0, &shared::progress::NoProgress)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounce_mailbox_feedback_is_recorded_once_and_other_mailboxes_are_left_alone() {
    let dovecot = Dovecot::start(&[("bounces", PASSWORD), ("alice", PASSWORD)]);
    let db = TestDb::new();
    let redis = TestRedis::new();
    let owner = db.user("owner@crm.test", Role::User);
    let bounces = account(&db, &dovecot, owner, "bounces");
    let alice = account(&db, &dovecot, owner, "alice");
    let settings = settings(bounces);
    let campaign = Campaign::new(&db, owner);
    let addresses = [
        "nina@example.net",
        "sam@example.net",
        "carl@example.net",
        "ursula@example.net",
        "olga@example.net",
    ];
    let [nina, sam, carl, ursula, olga] = addresses.map(|a| campaign.recipient(&db, a));
    let (_, nina_send) = campaign.sent(&db, nina, 1, "nina@example.net");
    let sam_sends: Vec<String> = (1..=3)
        .map(|step| campaign.sent(&db, sam, step, "sam@example.net").1)
        .collect();
    let (_, carl_send) = campaign.sent(&db, carl, 1, "carl@example.net");
    let (ursula_send, _) = campaign.sent(&db, ursula, 1, "ursula@example.net");
    let (_, olga_send) = campaign.sent(&db, olga, 1, "olga@example.net");

    // Alice's own mailbox receives a DSN (of her own mail, as far as anyone knows): never read for campaigns.
    dovecot.client("alice", PASSWORD).append(
        "INBOX",
        None,
        &hard_bounce(&olga_send, "olga@example.net"),
    );
    let out = sync(&db, &redis, alice, &settings).await;
    assert_eq!(out.totals.inserted, 1, "{out:?}");
    assert!(out.totals.feedback.is_empty(), "{out:?}");
    assert!(
        serde_json::to_value(&out).unwrap()["totals"]
            .get("feedback")
            .is_none(),
        "no feedback counts in other mailboxes' results"
    );
    assert_eq!(count(&db, "SELECT count(*) AS n FROM email_events"), 0);
    assert_eq!(
        count(&db, "SELECT count(*) AS n FROM email_suppressions"),
        0
    );
    assert_eq!(campaign.recipient_state(&db, olga), ("active".into(), None));

    let mut imap = dovecot.client("bounces", PASSWORD);
    for raw in [
        hard_bounce(&nina_send, "nina@example.net"),
        soft_bounce(1, &sam_sends[0], "sam@example.net"),
        soft_bounce(2, &sam_sends[1], "sam@example.net"),
        complaint(&carl_send, "carl@example.net"),
        mailto_unsubscribe("ursula@example.net", ursula_send),
        ordinary_mail(),
    ] {
        imap.append("INBOX", None, &raw);
    }
    let out = sync(&db, &redis, bounces, &settings).await;
    assert_eq!(out.totals.inserted, 6, "{out:?}");
    assert_eq!(
        out.totals.feedback,
        FeedbackCounts {
            bounces: 3,
            complaints: 1,
            unsubscribes: 1,
            suppressed: 3,
        }
    );
    let result = serde_json::to_value(&out).unwrap();
    assert_eq!(result["totals"]["feedback"]["bounces"], 3, "{result}");
    assert_eq!(
        suppression(&db, "nina@example.net"),
        suppressed("hard_bounce", "dsn")
    );
    assert_eq!(
        suppression(&db, "carl@example.net"),
        suppressed("complaint", "dsn")
    );
    assert_eq!(
        suppression(&db, "ursula@example.net"),
        suppressed("unsubscribed", "mailto")
    );
    assert_eq!(
        suppression(&db, "sam@example.net"),
        None,
        "two soft bounces are below the limit"
    );
    assert_eq!(suppression(&db, "olga@example.net"), None);
    assert_eq!(
        campaign.recipient_state(&db, nina),
        ("stopped".into(), Some("suppressed".into()))
    );
    assert_eq!(
        campaign.recipient_state(&db, ursula),
        ("stopped".into(), Some("unsubscribed".into()))
    );
    assert_eq!(campaign.recipient_state(&db, sam), ("active".into(), None));

    // The third soft bounce reaches CAMPAIGN_SOFT_BOUNCE_LIMIT (3).
    imap.append(
        "INBOX",
        None,
        &soft_bounce(3, &sam_sends[2], "sam@example.net"),
    );
    let out = sync(&db, &redis, bounces, &settings).await;
    assert_eq!(out.totals.inserted, 1, "{out:?}");
    assert_eq!(
        out.totals.feedback,
        FeedbackCounts {
            bounces: 1,
            suppressed: 1,
            ..FeedbackCounts::default()
        }
    );
    assert_eq!(
        suppression(&db, "sam@example.net"),
        suppressed("soft_bounces", "dsn")
    );
    assert_eq!(
        campaign.recipient_state(&db, sam),
        ("stopped".into(), Some("suppressed".into()))
    );

    let expected: Vec<(String, i64)> = [
        ("bounce_hard", 1),
        ("bounce_soft", 3),
        ("complaint", 1),
        ("unsubscribe", 1),
    ]
    .map(|(k, n)| (k.to_owned(), n))
    .into();
    assert_eq!(events(&db), expected);

    // Synced again, and then read again from the first message (as after a lost folder state): the
    // messages are duplicates and no event is recorded twice.
    let out = sync(&db, &redis, bounces, &settings).await;
    assert_eq!(out.folders[0].new_uids, 0, "{out:?}");
    diesel::sql_query(format!(
        "DELETE FROM email_folder_state WHERE account_id = {}",
        bounces.0
    ))
    .execute(&mut db.conn())
    .unwrap();
    let out = sync(&db, &redis, bounces, &settings).await;
    assert_eq!(out.folders[0].new_uids, 7, "{out:?}");
    assert_eq!(out.totals.duplicates, 7, "{out:?}");
    assert!(out.totals.feedback.is_empty(), "{out:?}");
    assert_eq!(events(&db), expected);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) AS n FROM email_events WHERE send_id IS NULL OR campaign_id IS NULL"
        ),
        0,
        "every event is tied to its send"
    );
    assert_eq!(
        count(&db, "SELECT count(*) AS n FROM email_suppressions"),
        4
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sync_and_import_jobs_of_the_bounce_mailbox_record_feedback() {
    let dovecot = Dovecot::start(&[("bounces", PASSWORD), ("alice", PASSWORD)]);
    let env = common::Env::new().await;
    let owner = env.db.user("owner@crm.test", Role::User);
    let bounces = account(&env.db, &dovecot, owner, "bounces");
    let alice = account(&env.db, &dovecot, owner, "alice");
    let campaign = Campaign::new(&env.db, owner);
    let nina = campaign.recipient(&env.db, "nina@example.net");
    let carl = campaign.recipient(&env.db, "carl@example.net");
    let olga = campaign.recipient(&env.db, "olga@example.net");
    let (_, nina_send) = campaign.sent(&env.db, nina, 1, "nina@example.net");
    let (_, carl_send) = campaign.sent(&env.db, carl, 1, "carl@example.net");
    let (_, olga_send) = campaign.sent(&env.db, olga, 1, "olga@example.net");
    dovecot.client("bounces", PASSWORD).append(
        "INBOX",
        None,
        &hard_bounce(&nina_send, "nina@example.net"),
    );
    let import_dir = tempfile::tempdir().unwrap();
    let mbox = |raw: Vec<u8>| {
        let lf = String::from_utf8(raw).unwrap().replace("\r\n", "\n");
        format!("From MAILER-DAEMON Tue Dec  8 19:30:00 2026\n{lf}\n")
    };
    let fbl = mbox(complaint(&carl_send, "carl@example.net"));
    std::fs::write(import_dir.path().join("fbl.mbox"), fbl).unwrap();
    let other = mbox(hard_bounce(&olga_send, "olga@example.net"));
    std::fs::write(import_dir.path().join("other.mbox"), other).unwrap();

    let key_b64 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode([42u8; 32])
    };
    let hash_key: String = HASH_KEY.iter().map(|b| format!("{b:02x}")).collect();
    let bounce_id = bounces.0.to_string();
    let _worker = env.spawn_workers(&[
        ("MAIL_ENCRYPTION_KEY", &key_b64),
        ("RGPD_HASH_KEY", &hash_key),
        ("API_PUBLIC_URL", PUBLIC_URL),
        ("CAMPAIGN_BOUNCE_ACCOUNT_ID", &bounce_id),
        ("MAIL_IMPORT_DIR", import_dir.path().to_str().unwrap()),
    ]);

    let job = env
        .enqueue(&shared::jobs::payloads::mail::SyncAccount {
            account_id: bounces,
        })
        .await;
    let rec = env
        .wait_state(&job, JobState::Succeeded, Duration::from_secs(30))
        .await;
    let result = rec.result.unwrap();
    assert_eq!(result["totals"]["feedback"]["bounces"], 1, "{result}");
    assert_eq!(
        suppression(&env.db, "nina@example.net"),
        suppressed("hard_bounce", "dsn")
    );

    for (account_id, path) in [(bounces, "fbl.mbox"), (alice, "other.mbox")] {
        let job = env
            .enqueue(&shared::jobs::payloads::mail::Import {
                account_id,
                path: path.into(),
                folder: None,
            })
            .await;
        let rec = env
            .wait_state(&job, JobState::Succeeded, Duration::from_secs(30))
            .await;
        assert_eq!(rec.result.unwrap()["stored"]["inserted"], 1);
    }
    assert_eq!(
        suppression(&env.db, "carl@example.net"),
        suppressed("complaint", "dsn")
    );
    assert_eq!(
        suppression(&env.db, "olga@example.net"),
        None,
        "imported into another mailbox: not read"
    );
    assert_eq!(count(&env.db, "SELECT count(*) AS n FROM email_events"), 2);
}
