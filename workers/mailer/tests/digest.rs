//! The notification digest through a local SMTP server and real Postgres: one email per user with the
//! unread notifications of the kinds they chose to get by email, never twice; a refused recipient keeps
//! theirs for the next run; the relay's address goes through the egress policy.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crm_mailer::{Mailer, SmtpConfig, digest};
use serde_json::json;
use shared::config::EnvSource;
use shared::models::UserId;
use shared::models::notification::{self, NewNotification};
use shared::models::user::Role;
use shared::test_utils::{SmtpSink, TestDb};

fn note(db: &TestDb, user: UserId, kind: &str, title: &str) -> i64 {
    notification::insert_many(
        &mut db.conn(),
        &[NewNotification {
            user_id: user,
            kind: kind.into(),
            priority: "normal".into(),
            title: title.into(),
            body: "corps".into(),
            link: Some("/interactions/7".into()),
            data: json!({}),
            event_id: None,
        }],
    )
    .unwrap()[0]
        .id
}

fn config(sink: &SmtpSink) -> SmtpConfig {
    SmtpConfig::from_env(&EnvSource::from_pairs(&[
        ("SMTP_URL", &sink.url()),
        ("SMTP_ALLOW_PLAINTEXT", "true"),
        ("SMTP_FROM", "CRM <noreply@crm.test>"),
    ]))
    .unwrap()
    .unwrap()
}

fn loopback() -> egress::EgressPolicy {
    egress::EgressPolicy::parse_allow_list("127.0.0.1/32").unwrap()
}

#[tokio::test]
async fn each_user_gets_one_digest_of_the_kinds_they_chose_and_never_twice() {
    let db = TestDb::new();
    let sink = SmtpSink::start().await;
    let alice = db.user("alice@crm.test", Role::User);
    let bob = db.user("bob@crm.test", Role::User);
    let gone = db.user("gone@crm.test", Role::User);
    for u in [alice, gone] {
        notification::set_preference(&mut db.conn(), u, "assignment", "email").unwrap();
    }
    shared::models::user::set_active(&mut db.conn(), gone, false).unwrap();
    note(&db, alice, "assignment", "Email #1 assigned to you");
    note(&db, alice, "assignment", "Email <2> & co");
    let read = note(&db, alice, "assignment", "already read");
    notification::mark_read(&mut db.conn(), alice, read).unwrap();
    note(&db, alice, "pipeline_stage_changed", "in-app only");
    note(&db, bob, "assignment", "bob in-app only");
    note(&db, gone, "assignment", "inactive account");

    let mailer = Mailer::connect(&config(&sink), &loopback()).await.unwrap();
    let (report, err) = digest::send_all(db.pool(), &mailer, Some("https://crm.example.fr/"))
        .await
        .unwrap();
    assert!(err.is_none());
    assert_eq!(
        (report.users, report.notifications, report.failed),
        (1, 2, 0)
    );
    let got = sink.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, ["alice@crm.test"]);
    assert_eq!(got[0].from, "noreply@crm.test");
    let parsed = mail_parser::MessageParser::default()
        .parse(got[0].data.as_bytes())
        .unwrap();
    assert_eq!(parsed.subject(), Some("CRM : 2 notification(s)"));
    let text = parsed.body_text(0).unwrap();
    let html = parsed.body_html(0).unwrap();
    assert!(
        text.contains("Email #1 assigned to you") && text.contains("Email <2> & co"),
        "{text}"
    );
    assert!(
        html.contains("Email &lt;2&gt; &amp; co"),
        "the HTML part escapes titles: {html}"
    );
    assert!(text.contains("https://crm.example.fr/interactions/7"));
    for part in [&text, &html] {
        assert!(!part.contains("already read") && !part.contains("in-app only"));
    }

    let (again, _) = digest::send_all(db.pool(), &mailer, None).await.unwrap();
    assert_eq!(again, digest::DigestReport::default());
    assert_eq!(sink.received().len(), 1);
}

#[tokio::test]
async fn a_refused_recipient_keeps_their_notifications_for_the_next_run() {
    let db = TestDb::new();
    let sink = SmtpSink::start().await;
    let alice = db.user("alice@crm.test", Role::User);
    notification::set_preference(&mut db.conn(), alice, "task_due", "email").unwrap();
    note(&db, alice, "task_due", "Task #3 is due");
    sink.reject_rcpt("alice@crm.test");
    let mailer = Mailer::connect(&config(&sink), &loopback()).await.unwrap();
    let (report, err) = digest::send_all(db.pool(), &mailer, None).await.unwrap();
    assert_eq!((report.users, report.failed), (0, 1));
    assert!(err.unwrap().is_permanent(), "550 is a refusal");
    let pending = notification::list_for(&mut db.conn(), alice, true, None, 5).unwrap();
    assert!(pending[0].emailed_at.is_none());
}

#[tokio::test]
async fn the_relay_address_goes_through_the_egress_policy() {
    let sink = SmtpSink::start().await;
    let strict = egress::EgressPolicy::default();
    let err = Mailer::connect(&config(&sink), &strict)
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("egress"), "{err}");
}
