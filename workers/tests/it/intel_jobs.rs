//! Email-intelligence jobs against real Postgres and Redis: analysis of a stored email (replaced on
//! re-run, purged body, missing email), the sync's store enqueueing one analysis per new inbound
//! message, and `intel.reanalyze` through the real workers binary.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use std::time::Duration;

use crm_analysis::analyze_interaction;
use crm_mailbox::parse::parse_message;
use crm_mailbox::store::{Fetched, Target, store_batch};
use crm_queue::JobState;
use crm_queue::test_utils::TestRedis;
use diesel::prelude::*;
use shared::jobs::Queue;
use shared::jobs::payloads::intel::Reanalyze;
use shared::models::email_account::EmailAccountId;
use shared::models::interaction::{self, Direction, InteractionId, NewInteraction};
use shared::models::interaction_analysis::{self as analyses, CacheStatus};
use shared::schema::{interaction_analyses, interactions};
use shared::test_utils::TestDb;

const BODY: &str = "Bonjour,\n\nPourriez-vous m'envoyer un devis pour 40 licences ?\n\nCordialement,\n\
                    Jean Dupont\nDirecteur commercial\nACME SAS\nTél. : 01 42 00 00 00\n";

fn email(account: Option<EmailAccountId>, message_id: &str, body: Option<&str>) -> NewInteraction {
    NewInteraction {
        account_id: account,
        folder: "INBOX".into(),
        uid: None,
        provider_id: None,
        message_id: message_id.into(),
        in_reply_to: None,
        message_references: Vec::new(),
        from_address: Some("jean.dupont@acme.fr".into()),
        from_name: Some("Jean Dupont".into()),
        to_addresses: vec!["sales@crm.test".into()],
        cc_addresses: Vec::new(),
        subject: Some("Demande de devis".into()),
        sent_at: Some(chrono::Utc::now()),
        direction: Direction::Inbound,
        body_text: body.map(str::to_owned),
        size_bytes: 100,
        parent_message_id: None,
        person_id: None,
        skipped_reason: None,
        automated: None,
    }
}

fn insert(db: &TestDb, row: NewInteraction) -> i64 {
    interaction::insert_new(&mut db.conn(), &[row]).unwrap()[0]
        .0
        .0
}

fn builtin() -> llm::Analyzer {
    llm::Analyzer::from_env(|_| None).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analysis_is_stored_replaced_on_rerun_and_works_without_body() {
    let db = TestDb::new();
    let id = insert(&db, email(None, "<a1@acme.fr>", Some(BODY)));
    let analyzer = builtin();

    let out = analyze_interaction(db.pool(), &analyzer, id).await.unwrap();
    assert_eq!(out.intent, "quote_request");
    assert_eq!(out.source, "rules");
    assert_eq!(out.cache, CacheStatus::Disabled);
    assert!(out.signature_found);
    assert!(!out.body_purged);
    let row = analyses::find(&mut db.conn(), InteractionId(id))
        .unwrap()
        .unwrap();
    assert_eq!(row.analyzer_version, intel::ANALYZER_VERSION);
    assert_eq!(row.intent_label, "quote_request");
    assert_eq!(row.language, "fr");
    assert_eq!(row.signature["phones"][0], "+33142000000");
    assert_eq!(row.signature["name"], "Jean Dupont");
    assert!(row.keywords.as_array().is_some_and(|k| !k.is_empty()));

    // the body is purged by retention: the re-run replaces the row from the subject and sender
    diesel::update(interactions::table.find(InteractionId(id)))
        .set((
            interactions::body_text.eq(None::<String>),
            interactions::subject.eq(Some("Absence du bureau")),
        ))
        .execute(&mut db.conn())
        .unwrap();
    let out = analyze_interaction(db.pool(), &analyzer, id).await.unwrap();
    assert!(out.body_purged);
    let count: i64 = interaction_analyses::table
        .count()
        .get_result(&mut db.conn())
        .unwrap();
    assert_eq!(count, 1);
    let again = analyses::find(&mut db.conn(), InteractionId(id))
        .unwrap()
        .unwrap();
    assert!(!again.signature_found);
    assert!(again.analyzed_at >= row.analyzed_at);

    // deleting the email deletes its analysis
    diesel::delete(interactions::table.find(InteractionId(id)))
        .execute(&mut db.conn())
        .unwrap();
    assert!(
        analyses::find(&mut db.conn(), InteractionId(id))
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_email_is_a_permanent_error() {
    let db = TestDb::new();
    let err = analyze_interaction(db.pool(), &builtin(), 987_654)
        .await
        .unwrap_err();
    assert!(err.is_permanent());
    assert!(err.describe().contains("not found"), "{}", err.describe());
}

fn raw(message_id: &str, from: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: sales@crm.test\r\nSubject: Devis\r\nMessage-ID: {message_id}\r\n\
         Date: Mon, 3 Nov 2025 10:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{BODY}"
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sync_store_enqueues_one_analysis_per_new_inbound_email() {
    let db = TestDb::new();
    let redis = TestRedis::new();
    let queue = redis.queue().await;
    let account_id = common::imap_account(&db, "sales@crm.test");
    let target = Target {
        account_id,
        address: "sales@crm.test".into(),
        analysis_queue: Some(queue.clone()),
        feedback: None,
    };
    let fetched = |id: &str, from: &str| Fetched {
        uid: None,
        provider_id: None,
        email: parse_message(&raw(id, from), 1_000_000),
    };
    let batch = vec![
        fetched("<in1@acme.fr>", "jean@acme.fr"),
        fetched("<in2@acme.fr>", "paul@acme.fr"),
        // sent by the mailbox itself: outbound, not analysed
        fetched("<out1@crm.test>", "sales@crm.test"),
    ];
    let stored = store_batch(db.pool(), &target, "INBOX", false, batch.clone())
        .await
        .unwrap();
    assert_eq!(stored.inserted, 3);
    let depth =
        |q: crm_queue::JobQueue| async move { q.depths(&[Queue::Intel]).await.unwrap()[0].waiting };
    assert_eq!(depth(queue.clone()).await, 2);

    // a re-sync stores nothing new and enqueues nothing
    let stored = store_batch(db.pool(), &target, "INBOX", false, batch)
        .await
        .unwrap();
    assert_eq!(stored.inserted, 0);
    assert_eq!(depth(queue.clone()).await, 2);

    // without a queue (imports) nothing is enqueued
    let quiet = Target {
        analysis_queue: None,
        ..target
    };
    store_batch(
        db.pool(),
        &quiet,
        "INBOX",
        false,
        vec![fetched("<in3@acme.fr>", "marc@acme.fr")],
    )
    .await
    .unwrap();
    assert_eq!(depth(queue).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reanalyze_enqueues_the_selection_and_the_workers_analyse_it() {
    let env = common::Env::new().await;
    let a = common::imap_account(&env.db, "a@crm.test");
    let b = common::imap_account(&env.db, "b@crm.test");
    let a_ids: Vec<i64> = (0..3)
        .map(|i| insert(&env.db, email(Some(a), &format!("<a{i}@x>"), Some(BODY))))
        .collect();
    let b_id = insert(&env.db, email(Some(b), "<b0@x>", Some(BODY)));
    let mut outbound = email(Some(a), "<a-out@x>", Some(BODY));
    outbound.direction = Direction::Outbound;
    let out_id = insert(&env.db, outbound);

    let _worker = env.spawn_workers(&[("WORKER_QUEUES", "intel")]);
    let job = env
        .queue
        .enqueue(
            &Reanalyze {
                account_id: Some(a),
                ..Reanalyze::default()
            },
            Default::default(),
        )
        .await
        .unwrap();
    let rec = env
        .wait_state(&job.job_id, JobState::Succeeded, Duration::from_secs(90))
        .await;
    let result = rec.result.unwrap();
    assert_eq!(result["selected"], 3, "{result}");
    assert_eq!(result["enqueued"], 3);
    assert_eq!(rec.progress.unwrap().percent, 100);

    let done = common::eventually(Duration::from_secs(90), || async {
        a_ids.iter().all(|id| {
            analyses::find(&mut env.db.conn(), InteractionId(*id))
                .unwrap()
                .is_some()
        })
    })
    .await;
    assert!(done, "the analyses were not written");
    for other in [b_id, out_id] {
        assert!(
            analyses::find(&mut env.db.conn(), InteractionId(other))
                .unwrap()
                .is_none()
        );
    }

    // every result is of the current version: selecting other versions finds nothing
    let job = env
        .queue
        .enqueue(
            &Reanalyze {
                account_id: Some(a),
                analyzer_version_not: Some(intel::ANALYZER_VERSION.into()),
                ..Reanalyze::default()
            },
            Default::default(),
        )
        .await
        .unwrap();
    let rec = env
        .wait_state(&job.job_id, JobState::Succeeded, Duration::from_secs(90))
        .await;
    assert_eq!(rec.result.unwrap()["selected"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_enqueues_the_analysis_of_its_inbound_emails() {
    let db = TestDb::new();
    let redis = TestRedis::new();
    let queue = redis.queue().await;
    let account_id = common::imap_account(&db, "sales@crm.test");
    let dir = tempfile::tempdir().unwrap();
    let mbox = dir.path().join("in.mbox");
    let mut content = Vec::new();
    for (id, from) in [
        ("<m1@acme.fr>", "jean@acme.fr"),
        ("<m2@crm.test>", "sales@crm.test"),
    ] {
        content.extend_from_slice(b"From MAILER-DAEMON Mon Nov  3 10:00:00 2025\n");
        content.extend_from_slice(&raw(id, from));
        content.extend_from_slice(b"\n");
    }
    std::fs::write(&mbox, content).unwrap();
    let out = crm_mailbox::import::import_path(
        db.pool(),
        crm_mailbox::import::ImportHooks {
            analysis_queue: Some(queue.clone()),
            feedback: None,
        },
        account_id.0,
        &mbox,
        "Import",
        1_000_000,
        &shared::progress::NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(out.stored.inserted, 2);
    // the message sent by the mailbox itself is outbound: one analysis
    assert_eq!(queue.depths(&[Queue::Intel]).await.unwrap()[0].waiting, 1);
}
