//! Campaigns end to end below the queue, against real Postgres and a local SMTP server: the tick enrols
//! the audience and paces the drip, each send record goes out once with its compliance headers, and the
//! kill switch, suppression, unsubscription, replies, refusals and a worker that died mid-send all do
//! what the send module promises.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use chrono::{Duration, Utc};
use crm_campaigns::feedback::{self, Event, EventKind, Source, Subject};
use crm_campaigns::links::Links;
use crm_campaigns::send::{CampaignEnv, Outcome, SendError, send_one};
use crm_campaigns::tick::tick;
use diesel::RunQueryDsl;
use diesel::sql_types::{BigInt, Text};
use shared::config::{CampaignConfig, EnvSource};
use shared::keyed_hash::KeyedHasher;
use shared::models::campaign::CampaignSendId;
use shared::models::user::Role;
use shared::test_utils::{Received, SmtpSink, TestDb};

const DOMAIN: &str = "crm.test";

fn env(db: &TestDb, sink: &SmtpSink, extra: &[(&str, &str)]) -> CampaignEnv {
    let url = sink.url();
    let mut pairs = vec![
        ("SMTP_URL", url.as_str()),
        ("SMTP_ALLOW_PLAINTEXT", "true"),
        ("SMTP_FROM", "CRM <campagnes@crm.test>"),
        ("API_PUBLIC_URL", "https://crm.example.fr"),
        ("CAMPAIGN_UNSUBSCRIBE_MAILTO", "unsubscribe@crm.test"),
        ("CAMPAIGN_SEND_LEASE_SECS", "5"),
    ];
    pairs.extend_from_slice(extra);
    let e = EnvSource::from_pairs(&pairs);
    CampaignEnv::new(
        db.pool().clone(),
        crm_mailer::SmtpConfig::from_env(&e).unwrap(),
        None,
        CampaignConfig::from_env(&e).unwrap(),
        KeyedHasher::new([5; 32]),
        egress::EgressPolicy::parse_allow_list("127.0.0.1/32").unwrap(),
    )
}

fn exec(db: &TestDb, sql: &str) {
    use diesel::connection::SimpleConnection;
    db.conn().batch_execute(sql).unwrap();
}

fn scalar(db: &TestDb, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct V {
        #[diesel(sql_type = BigInt)]
        v: i64,
    }
    diesel::sql_query(sql)
        .get_result::<V>(&mut db.conn())
        .unwrap()
        .v
}

fn texts(db: &TestDb, sql: &str) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct V {
        #[diesel(sql_type = Text)]
        v: String,
    }
    diesel::sql_query(sql)
        .load::<V>(&mut db.conn())
        .unwrap()
        .into_iter()
        .map(|r| r.v)
        .collect()
}

/// An owner, `n` investors' contacts (`p1@example.com`…) and a distributor's, one person without an
/// address, one anonymised; a segment "investors"; a template; a campaign of `steps` steps (step 2 onwards
/// `delay` hours after the previous), step 1 with an A/B subject. Returns the campaign id.
fn seed(db: &TestDb, n: usize, steps: usize, delay: i32) -> i64 {
    let owner = db.user("owner@crm.test", Role::User);
    exec(
        db,
        "INSERT INTO organisations (id, name, org_type, pipeline_stage, city) VALUES \
         (1, 'Fonds Alpha', 'investor', 'prospect', 'Paris'), \
         (2, 'Distrib Beta', 'distributor', 'signed', 'Lyon')",
    );
    for i in 1..=n {
        exec(
            db,
            &format!(
                "INSERT INTO people (id, first_name, last_name, email) VALUES ({i}, 'Prénom{i}', 'Nom{i}', 'p{i}@example.com'); \
                 INSERT INTO person_organisation_links (person_id, organisation_id, is_primary) VALUES ({i}, 1, true)"
            ),
        );
    }
    exec(
        db,
        "INSERT INTO people (id, first_name, last_name, email) VALUES (9001, 'D', 'Istrib', 'd@example.com'); \
         INSERT INTO person_organisation_links (person_id, organisation_id, is_primary) VALUES (9001, 2, true); \
         INSERT INTO people (id, first_name, last_name, email) VALUES (9002, 'Sans', 'Adresse', NULL); \
         INSERT INTO person_organisation_links (person_id, organisation_id, is_primary) VALUES (9002, 1, true); \
         INSERT INTO people (id, first_name, last_name, email, anonymised_at) VALUES (9003, 'Contact', 'anonymisé', 'x@example.com', now()); \
         INSERT INTO person_organisation_links (person_id, organisation_id, is_primary) VALUES (9003, 1, true)",
    );
    exec(
        db,
        &format!(
            "INSERT INTO segments (id, name, filters, owner_id) VALUES (1, 'Investisseurs', '{{\"org_types\":[\"investor\"]}}', {owner}); \
             INSERT INTO mail_templates (id, name, subject, html, owner_id) VALUES (1, 'Invitation', \
               'Invitation {{{{ organisation.name }}}}', \
               '<html><head><style>p {{ color: #366092 }}</style></head><body><p>Bonjour {{{{ person.first_name }}}},</p>\
<p><a href=\"https://www.example.org/fonds?id=1&amp;x=2\">Le fonds</a> \
<a href=\"{{{{ unsubscribe_url }}}}\">Se désinscrire</a></p></body></html>', {owner}); \
             INSERT INTO campaigns (id, name, segment_id, status, scheduled_at, owner_id) \
               VALUES (1, 'Lancement', 1, 'scheduled', now() - interval '1 minute', {owner})"
        ),
    );
    for step in 1..=steps {
        let (d, b) = if step == 1 {
            (0, "'Variante B pour {{ organisation.name }}'".to_owned())
        } else {
            (delay, "NULL".to_owned())
        };
        exec(
            db,
            &format!(
                "INSERT INTO campaign_steps (campaign_id, step, template_id, delay_hours, subject_b) \
                 VALUES (1, {step}, 1, {d}, {b})"
            ),
        );
    }
    1
}

async fn run_tick(db: &TestDb, env: &CampaignEnv) -> crm_campaigns::tick::TickReport {
    tick(
        &mut db.conn(),
        Utc::now(),
        DOMAIN,
        env.config.send_lease.as_secs() as i64,
    )
    .unwrap()
}

async fn send_all(db: &TestDb, env: &CampaignEnv) -> Vec<Outcome> {
    let report = run_tick(db, env).await;
    let mut out = Vec::new();
    for d in report.due {
        out.push(send_one(env, d.send_id).await.unwrap());
    }
    out
}

fn header(m: &Received, name: &str) -> Option<String> {
    let parsed = mail_parser::MessageParser::default().parse(m.data.as_bytes())?;
    parsed
        .header_raw(name)
        .map(|v| v.trim().replace("\r\n", "").replace('\n', ""))
}

#[tokio::test]
async fn a_drip_goes_to_its_audience_once_per_step_with_compliance_headers() {
    let db = TestDb::new();
    let sink = SmtpSink::start().await;
    let env = env(&db, &sink, &[]);
    seed(&db, 12, 2, 0);

    let report = run_tick(&db, &env).await;
    assert_eq!((report.launched, report.enrolled), (1, 12), "{report:?}");
    let mut outcomes = Vec::new();
    for d in &report.due {
        outcomes.push(send_one(&env, d.send_id).await.unwrap());
    }
    assert!(outcomes.iter().all(|o| *o == Outcome::Sent), "{outcomes:?}");
    let got = sink.received();
    assert_eq!(got.len(), 12);
    let mut rcpts: Vec<String> = got.iter().flat_map(|m| m.to.clone()).collect();
    rcpts.sort();
    rcpts.dedup();
    assert_eq!(rcpts.len(), 12, "every recipient once");
    assert!(
        !rcpts.contains(&"d@example.com".to_owned()),
        "distributor not in the segment"
    );
    assert!(
        !rcpts.contains(&"x@example.com".to_owned()),
        "anonymised person excluded"
    );

    let m = &got[0];
    let parsed = mail_parser::MessageParser::default()
        .parse(m.data.as_bytes())
        .unwrap();
    let unsubscribe = header(m, "List-Unsubscribe").unwrap();
    assert!(unsubscribe.starts_with("<https://crm.example.fr/api/v1/campaigns/unsubscribe/"));
    assert!(unsubscribe.contains("<mailto:unsubscribe@crm.test?subject=unsubscribe%20"));
    assert_eq!(
        header(m, "List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert_eq!(
        header(m, "List-Id").as_deref(),
        Some("<campaign-1.crm.example.fr>")
    );
    let mid = parsed.message_id().unwrap().to_owned();
    let stored = texts(
        &db,
        "SELECT message_id AS v FROM campaign_sends ORDER BY id",
    );
    assert!(stored.contains(&mid), "the Message-ID is the record's");
    let html = parsed.body_html(0).unwrap();
    assert!(html.contains("Bonjour Prénom"), "{html}");
    assert!(
        html.contains("style=\"color: #366092"),
        "CSS inlined: {html}"
    );
    assert!(
        html.contains("https://crm.example.fr/api/v1/campaigns/c/"),
        "links tracked"
    );
    assert!(html.contains("/api/v1/campaigns/o/"), "open pixel");
    assert!(
        html.contains("/api/v1/campaigns/unsubscribe/"),
        "the unsubscribe link is left as is"
    );
    let text = parsed.body_text(0).unwrap();
    assert!(
        text.contains("Bonjour Prénom"),
        "text part generated: {text}"
    );
    // A/B: both subjects went out, each recipient's variant recorded.
    let subjects: Vec<String> = got
        .iter()
        .map(|m| {
            mail_parser::MessageParser::default()
                .parse(m.data.as_bytes())
                .unwrap()
                .subject()
                .unwrap()
                .to_owned()
        })
        .collect();
    let b = subjects
        .iter()
        .filter(|s| s.starts_with("Variante B"))
        .count();
    assert_eq!(
        b as i64,
        scalar(
            &db,
            "SELECT count(*) AS v FROM campaign_recipients WHERE variant = 'b'"
        )
    );
    assert!(b > 0 && b < 12, "both variants drawn: {b}");

    // Step 2 (no delay) follows; then the campaign is complete.
    let second = send_all(&db, &env).await;
    assert_eq!(second.len(), 12);
    assert_eq!(sink.received().len(), 24);
    assert!(send_all(&db, &env).await.is_empty());
    assert_eq!(
        texts(&db, "SELECT status AS v FROM campaigns"),
        ["completed"]
    );
    // Nothing is sent twice, however often the tick runs.
    assert!(send_all(&db, &env).await.is_empty());
    assert_eq!(sink.received().len(), 24);
}

#[tokio::test]
async fn the_kill_switch_holds_sends_until_resumed() {
    let db = TestDb::new();
    let sink = SmtpSink::start().await;
    let env = env(&db, &sink, &[]);
    seed(&db, 4, 1, 0);
    let report = run_tick(&db, &env).await;
    assert_eq!(report.due.len(), 4);
    send_one(&env, report.due[0].send_id).await.unwrap();
    exec(
        &db,
        "UPDATE campaigns SET status = 'paused', paused_at = now()",
    );
    for d in &report.due[1..] {
        assert_eq!(send_one(&env, d.send_id).await.unwrap(), Outcome::Paused);
    }
    assert_eq!(sink.received().len(), 1);
    assert!(
        run_tick(&db, &env).await.due.is_empty(),
        "paused: nothing handed over"
    );
    exec(
        &db,
        "UPDATE campaigns SET status = 'sending', paused_at = NULL",
    );
    let resumed = send_all(&db, &env).await;
    assert_eq!(resumed, vec![Outcome::Sent; 3]);
    assert_eq!(sink.received().len(), 4);
}

#[tokio::test]
async fn suppressed_unsubscribed_and_replying_recipients_get_nothing_more() {
    let db = TestDb::new();
    let sink = SmtpSink::start().await;
    let env = env(&db, &sink, &[]);
    seed(&db, 4, 2, 0);
    // p1 is suppressed before launch (a hard bounce of another campaign).
    let hash = feedback::address_hash(&env.hasher, " P1@Example.com ");
    exec(
        &db,
        &format!(
            "INSERT INTO email_suppressions (address_hash, reason, source) VALUES ('{hash}', 'hard_bounce', 'dsn')"
        ),
    );
    let first = send_all(&db, &env).await;
    assert_eq!(
        first.iter().filter(|o| **o == Outcome::Sent).count(),
        3,
        "{first:?}"
    );
    assert!(first.contains(&Outcome::Skipped {
        reason: "suppressed".into()
    }));
    // p2 unsubscribes with one click from step 1's message; p3 replies.
    let p2_send = CampaignSendId(scalar(
        &db,
        "SELECT id AS v FROM campaign_sends WHERE person_id = 2 AND step = 1",
    ));
    let recorded = feedback::record(
        &mut db.conn(),
        &Event {
            subject: Subject::Send(p2_send),
            kind: EventKind::Unsubscribe,
            source: Source::OneClick,
            dedupe_key: Some(format!("unsubscribe:{}", p2_send.0)),
            machine: false,
            url: None,
            occurred_at: Utc::now(),
            address_hash: None,
        },
        3,
    )
    .unwrap()
    .unwrap();
    assert!(recorded.new && recorded.suppressed);
    exec(
        &db,
        "INSERT INTO interactions (folder, message_id, from_address, direction, size_bytes, person_id, sent_at) \
         VALUES ('INBOX', 'reply-1@example.com', 'p3@example.com', 'inbound', 10, 3, now())",
    );
    let second = send_all(&db, &env).await;
    assert_eq!(second, vec![Outcome::Sent], "only p4 gets step 2");
    let states = texts(
        &db,
        "SELECT person_id::text || ':' || state || ':' || COALESCE(stop_reason, '') AS v \
         FROM campaign_recipients ORDER BY person_id",
    );
    assert_eq!(
        states,
        [
            "1:stopped:suppressed",
            "2:stopped:unsubscribed",
            "3:stopped:replied",
            "4:done:"
        ]
    );
}

#[tokio::test]
async fn a_send_claimed_by_a_dead_worker_goes_again_after_the_lease_with_the_same_message_id() {
    let db = TestDb::new();
    let sink = SmtpSink::start().await;
    let env = env(&db, &sink, &[]);
    seed(&db, 1, 1, 0);
    let report = run_tick(&db, &env).await;
    let send = report.due[0].send_id;
    // A worker claimed it and died (before or after the relay's 250: the record cannot tell).
    exec(
        &db,
        "UPDATE campaign_sends SET status = 'sending', claimed_at = now(), attempts = 1",
    );
    assert!(matches!(
        send_one(&env, send).await,
        Err(SendError::InFlight)
    ));
    assert!(run_tick(&db, &env).await.due.is_empty(), "within the lease");
    exec(
        &db,
        "UPDATE campaign_sends SET claimed_at = now() - interval '10 seconds', \
         enqueued_at = now() - interval '10 seconds'",
    );
    let again = run_tick(&db, &env).await;
    assert_eq!(again.due.len(), 1, "handed over after the lease");
    assert!(again.due[0].round > report.due[0].round);
    assert_eq!(send_one(&env, send).await.unwrap(), Outcome::Sent);
    let got = sink.received();
    assert_eq!(got.len(), 1);
    let mid = texts(&db, "SELECT message_id AS v FROM campaign_sends");
    assert_eq!(
        mail_parser::MessageParser::default()
            .parse(got[0].data.as_bytes())
            .unwrap()
            .message_id(),
        Some(mid[0].as_str())
    );
}

#[tokio::test]
async fn a_recipient_the_relay_refuses_is_failed_and_suppressed() {
    let db = TestDb::new();
    let sink = SmtpSink::start().await;
    sink.reject_rcpt("p2@example.com");
    let env = env(&db, &sink, &[]);
    seed(&db, 2, 1, 0);
    let out = send_all(&db, &env).await;
    assert_eq!(out.len(), 2);
    assert!(out.contains(&Outcome::Sent));
    assert!(
        out.iter()
            .any(|o| matches!(o, Outcome::Failed { reason } if reason.contains("550"))),
        "{out:?}"
    );
    let hash = feedback::address_hash(&env.hasher, "p2@example.com");
    assert_eq!(
        texts(
            &db,
            "SELECT address_hash || ':' || reason || ':' || source AS v FROM email_suppressions"
        ),
        [format!("{hash}:hard_bounce:smtp")]
    );
    let _ = run_tick(&db, &env).await;
    assert_eq!(
        texts(&db, "SELECT status AS v FROM campaigns"),
        ["completed"]
    );
}

#[tokio::test]
async fn a_campaign_whose_owner_lost_the_right_is_paused_not_sent() {
    let db = TestDb::new();
    let sink = SmtpSink::start().await;
    let env = env(&db, &sink, &[]);
    seed(&db, 2, 1, 0);
    exec(&db, "UPDATE users SET role = 'viewer'");
    let report = run_tick(&db, &env).await;
    assert_eq!((report.launched, report.paused_owner_lost), (0, 1));
    assert_eq!(texts(&db, "SELECT status AS v FROM campaigns"), ["paused"]);
    assert!(sink.received().is_empty());
}

#[test]
fn links_made_by_a_send_are_the_ones_the_api_verifies() {
    let links = Links::new(
        &url::Url::parse("https://crm.example.fr").unwrap(),
        KeyedHasher::new([5; 32]),
    );
    let u = links.unsubscribe_url(CampaignSendId(3));
    assert_eq!(
        links.verify_unsubscribe(u.rsplit('/').next().unwrap()),
        Some(CampaignSendId(3))
    );
    let _ = Duration::seconds(1);
}

#[tokio::test]
async fn with_a_dkim_key_every_message_is_signed_over_both_unsubscribe_headers() {
    let db = TestDb::new();
    let sink = SmtpSink::start().await;
    let key = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../mailer/tests/data/rsa2048.pem"
    );
    let signer = crm_mailer::dkim::DkimSigner::from_env(&EnvSource::from_pairs(&[
        ("DKIM_DOMAIN", DOMAIN),
        ("DKIM_SELECTOR", "s1"),
        ("DKIM_PRIVATE_KEY_FILE", key),
    ]))
    .unwrap()
    .unwrap();
    let mut env = env(&db, &sink, &[]);
    env.dkim = Some(std::sync::Arc::new(signer));
    seed(&db, 2, 1, 0);
    assert_eq!(send_all(&db, &env).await, vec![Outcome::Sent; 2]);
    // crm-mailer's tests verify such signatures with an independent verifier (mail-auth); here: the
    // campaign path signs, with the right domain and the fields RFC 8058 requires.
    for m in sink.received() {
        let sig = header(&m, "DKIM-Signature")
            .unwrap()
            .replace([' ', '\t'], "");
        assert!(
            sig.contains("d=crm.test;") && sig.contains("s=s1;"),
            "{sig}"
        );
        let h = sig
            .split(';')
            .find_map(|t| t.strip_prefix("h="))
            .unwrap()
            .to_ascii_lowercase();
        for field in [
            "list-unsubscribe",
            "list-unsubscribe-post",
            "list-id",
            "from",
            "message-id",
        ] {
            assert!(h.split(':').any(|f| f == field), "{field} not signed: {h}");
        }
    }
}
