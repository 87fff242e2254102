//! The events outbox and its relay against real Postgres and Redis: triggers write thin events exactly
//! when a change commits (and only what someone listens to), the relay turns them into one delivery per
//! subscribed endpoint and the notifications they call for, once, even with two relays at the same time,
//! and publishes the notifications on Redis.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crm_events::{RelayEnv, relay_once};
use crm_queue::test_utils::TestRedis;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use futures::StreamExt;
use shared::models::UserId;
use shared::models::notification;
use shared::models::user::Role;
use shared::models::webhook::{self as wh, NewWebhookEndpoint};
use shared::schema::{events, notifications, webhook_deliveries};
use shared::test_utils::TestDb;

fn subscribe(db: &TestDb, types: &[&str]) -> wh::WebhookEndpointId {
    wh::create(
        &mut db.conn(),
        &NewWebhookEndpoint {
            url: "https://hooks.example.com/crm".into(),
            description: String::new(),
            event_types: types.iter().map(|t| (*t).to_owned()).collect(),
            secret_enc: vec![0; 40],
            active: true,
            created_by: None,
        },
    )
    .unwrap()
    .id
}

fn organisation(db: &TestDb, owner: Option<i64>) -> i64 {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    diesel::sql_query(
        "INSERT INTO organisations (name, org_type, owner_id) VALUES ('Amundi Test', 'investor', $1) RETURNING id",
    )
    .bind::<diesel::sql_types::Nullable<BigInt>, _>(owner)
    .get_result::<Id>(&mut db.conn())
    .unwrap()
    .id
}

fn set_stage(db: &TestDb, org: i64, stage: &str) {
    diesel::sql_query("UPDATE organisations SET pipeline_stage = $1 WHERE id = $2")
        .bind::<Text, _>(stage)
        .bind::<BigInt, _>(org)
        .execute(&mut db.conn())
        .unwrap();
}

fn event_types(db: &TestDb) -> Vec<String> {
    events::table
        .order(events::id)
        .select(events::event_type)
        .load(&mut db.conn())
        .unwrap()
}

async fn relay_env(db: &TestDb, redis: &TestRedis) -> RelayEnv {
    RelayEnv {
        pool: db.pool().clone(),
        queue: redis.queue().await,
    }
}

#[tokio::test]
async fn triggers_write_thin_events_only_for_listeners_and_rolled_back_changes_write_none() {
    let db = TestDb::new();
    // Nobody subscribes to organisation.created: nothing written. organisation.updated always is (it
    // feeds the stage notification).
    let org = organisation(&db, None);
    assert!(event_types(&db).is_empty());
    set_stage(&db, org, "qualification");
    assert_eq!(event_types(&db), ["organisation.updated"]);
    // A change that only touches updated_at is no event.
    diesel::sql_query("UPDATE organisations SET updated_at = now() WHERE id = $1")
        .bind::<BigInt, _>(org)
        .execute(&mut db.conn())
        .unwrap();
    assert_eq!(event_types(&db).len(), 1);

    subscribe(&db, &["organisation.created", "person.updated"]);
    organisation(&db, None);
    // Rolled back: neither the row nor its event.
    let mut c = db.conn();
    let _ = c.transaction::<(), diesel::result::Error, _>(|c| {
        diesel::sql_query("INSERT INTO organisations (name, org_type) VALUES ('Rolled', 'issuer')")
            .execute(c)?;
        Err(diesel::result::Error::RollbackTransaction)
    });
    assert_eq!(
        event_types(&db),
        ["organisation.updated", "organisation.created"]
    );
    let data: Vec<serde_json::Value> = events::table
        .select(events::data)
        .load(&mut db.conn())
        .unwrap();
    // Thin: ids and column names, never the name.
    for d in &data {
        assert!(!d.to_string().contains("Amundi"), "{d}");
    }
    assert_eq!(data[0]["changed"], serde_json::json!(["pipeline_stage"]));
    assert_eq!(data[0]["previous_stage"], "prospect");
}

#[tokio::test]
async fn the_relay_fans_out_to_subscribers_and_notifies_the_owner_once() {
    let db = TestDb::new();
    let redis = TestRedis::new();
    let env = relay_env(&db, &redis).await;
    let owner = db.user("owner@example.com", Role::User);
    let hooked = subscribe(&db, &["organisation.updated"]);
    let _other = subscribe(&db, &["person.created"]);
    let org = organisation(&db, Some(owner.0));

    // Listen to the channel the API streams read, before the relay publishes.
    let target = shared::redis_conn::RedisTarget::url(redis.url());
    let mut pubsub = shared::redis_conn::pubsub(&target).await.unwrap();
    pubsub
        .subscribe(redis.keys().notifications_channel())
        .await
        .unwrap();

    set_stage(&db, org, "signed");
    let out = relay_once(&env).await.unwrap();
    assert_eq!((out.events, out.deliveries, out.notifications), (1, 1, 1));
    let endpoints: Vec<i64> = webhook_deliveries::table
        .select(webhook_deliveries::endpoint_id)
        .load(&mut db.conn())
        .unwrap();
    assert_eq!(endpoints, [hooked.0]);
    let delivery = wh::deliveries_of(&mut db.conn(), hooked, None, 10)
        .unwrap()
        .remove(0);
    assert_eq!(delivery.payload["type"], "organisation.updated");
    assert_eq!(delivery.payload["data"]["pipeline_stage"], "signed");
    // Handed to a job on the outbound queue, bucketed by host.
    let job = redis
        .queue()
        .await
        .get(&delivery.job_id.unwrap().parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (job.job.as_str(), job.queue.as_str()),
        ("webhooks.deliver", "outbound")
    );

    let mine = notification::list_for(&mut db.conn(), owner, true, None, 10).unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].kind, "pipeline_stage_changed");
    assert!(mine[0].title.contains("signed"));
    let msg = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        pubsub.on_message().next(),
    )
    .await
    .unwrap()
    .unwrap();
    let published: serde_json::Value =
        serde_json::from_str(&msg.get_payload::<String>().unwrap()).unwrap();
    assert_eq!(published["id"], mine[0].id);
    assert_eq!(published["user_id"], owner.0);

    // Relayed: a second pass finds nothing, creates nothing.
    let again = relay_once(&env).await.unwrap();
    assert_eq!(again.events, 0);
}

#[tokio::test]
async fn muted_kinds_are_skipped_but_critical_ones_reach_every_admin() {
    let db = TestDb::new();
    let redis = TestRedis::new();
    let env = relay_env(&db, &redis).await;
    let owner = db.user("owner@example.com", Role::User);
    let a1 = db.user("a1@example.com", Role::Admin);
    let a2 = db.user("a2@example.com", Role::Admin);
    let _viewer = db.user("v@example.com", Role::Viewer);
    notification::set_preference(&mut db.conn(), owner, "pipeline_stage_changed", "off").unwrap();
    // A critical kind muted by a row written behind the API's back still reaches the admin.
    notification::set_preference(&mut db.conn(), a1, "job_failed", "off").unwrap();
    let org = organisation(&db, Some(owner.0));
    set_stage(&db, org, "proposition");
    diesel::sql_query(
        "INSERT INTO job_history (job_id, job, queue, state, attempts, created_at, finished_at, last_error, permanent) \
         VALUES ('01JTEST', 'mail.sync_account', 'mail', 'dead', 5, now(), now(), 'IMAP login refused', false), \
                ('01JTEST2', 'webhooks.deliver', 'outbound', 'dead', 8, now(), now(), 'x', false), \
                ('01JTEST3', 'maint.backup', 'maint', 'succeeded', 1, now(), now(), NULL, false)",
    )
    .execute(&mut db.conn())
    .unwrap();
    // A webhook delivery's death writes no event (no loop); a success none either.
    assert_eq!(event_types(&db), ["organisation.updated", "job.dead"]);
    relay_once(&env).await.unwrap();
    assert!(
        notification::list_for(&mut db.conn(), owner, false, None, 10)
            .unwrap()
            .is_empty()
    );
    for admin in [a1, a2] {
        let n = notification::list_for(&mut db.conn(), admin, false, None, 10).unwrap();
        assert_eq!(n.len(), 1, "{admin:?}");
        assert_eq!(
            (n[0].kind.as_str(), n[0].priority.as_str()),
            ("job_failed", "high")
        );
        assert!(n[0].title.contains("mail.sync_account"));
    }
    let total: i64 = notifications::table
        .count()
        .get_result(&mut db.conn())
        .unwrap();
    assert_eq!(total, 2);
}

#[tokio::test]
async fn two_relays_at_once_deliver_and_notify_each_event_once() {
    let db = TestDb::new();
    let redis = TestRedis::new();
    let env = relay_env(&db, &redis).await;
    let owner = db.user("owner@example.com", Role::User);
    subscribe(&db, &["organisation.updated"]);
    subscribe(&db, &["organisation.updated", "organisation.created"]);
    let stages = ["qualification", "proposition", "signed", "prospect"];
    for i in 0..300 {
        let org = organisation(&db, Some(owner.0));
        set_stage(&db, org, stages[i % 4]);
    }
    let (a, b) = (env.clone(), env.clone());
    let run = |e: RelayEnv| async move {
        let mut n = 0;
        loop {
            let o = relay_once(&e).await.unwrap();
            if o.events == 0 {
                return n;
            }
            n += o.events;
        }
    };
    let (na, nb) = tokio::join!(tokio::spawn(run(a)), tokio::spawn(run(b)));
    let relayed = na.unwrap() + nb.unwrap();
    // 300 created (one subscriber) + 225 stage changes (prospect → prospect is no change).
    let created_events = 300;
    let updated_events = 225;
    assert_eq!(relayed, created_events + updated_events);
    let deliveries: i64 = webhook_deliveries::table
        .count()
        .get_result(&mut db.conn())
        .unwrap();
    assert_eq!(
        deliveries,
        created_events as i64 + 2 * updated_events as i64
    );
    let notes: i64 = notifications::table
        .count()
        .get_result(&mut db.conn())
        .unwrap();
    assert_eq!(notes, updated_events as i64);
}

/// Runs `sql` and returns the event types written by it, in order.
fn events_of(db: &TestDb, sql: &str) -> Vec<(String, serde_json::Value)> {
    let before: i64 = events::table
        .select(diesel::dsl::max(events::id))
        .first::<Option<i64>>(&mut db.conn())
        .unwrap()
        .unwrap_or(0);
    diesel::sql_query(sql).execute(&mut db.conn()).unwrap();
    events::table
        .filter(events::id.gt(before))
        .order(events::id)
        .select((events::event_type, events::data))
        .load(&mut db.conn())
        .unwrap()
}

#[tokio::test]
async fn every_event_type_is_written_by_its_trigger() {
    let db = TestDb::new();
    let redis = TestRedis::new();
    let env = relay_env(&db, &redis).await;
    let sales = db.user("sales@example.com", Role::User);
    let admin = db.user("admin@example.com", Role::Admin);
    subscribe(
        &db,
        &[
            "person.created",
            "person.updated",
            "person.deleted",
            "organisation.deleted",
            "interaction.created",
            "suggestion.applied",
            "rgpd.erased",
        ],
    );
    let kinds =
        |v: &[(String, serde_json::Value)]| v.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();

    let e = events_of(
        &db,
        "INSERT INTO people (first_name, last_name) VALUES ('Ada', 'Lovelace')",
    );
    assert_eq!(kinds(&e), ["person.created"]);
    let e = events_of(&db, "UPDATE people SET title = 'CIO', email = 'ada@x.fr'");
    assert_eq!(e[0].1["changed"], serde_json::json!(["email", "title"]));
    // One statement of three emails: one event each, from the statement's transition table.
    let e = events_of(
        &db,
        "INSERT INTO interactions (folder, message_id, direction) \
         SELECT 'INBOX', 'm' || g || '@x', 'inbound' FROM generate_series(1, 3) g",
    );
    assert_eq!(kinds(&e), ["interaction.created"; 3]);
    assert_eq!(e[0].1["direction"], "inbound");
    // Routing assigns an email: the assignee is notified.
    let e = events_of(
        &db,
        &format!(
            "UPDATE interactions SET assigned_user_id = {}, assignment_source = 'rule' WHERE message_id = 'm1@x'",
            sales.0
        ),
    );
    assert_eq!(kinds(&e), ["interaction.assigned"]);
    // A suggestion inserted applied, and one approved later; a rejected one is no event.
    let suggestion = |status: &str, key: &str| {
        format!(
            "INSERT INTO autofill_suggestions (entity_type, entity_id, action, field, value, confidence, source, \
             analyzer_version, status, dedupe_key) VALUES ('person', 1, 'set_field', 'title', '\"CIO\"', 0.9, \
             'signature', 't', '{status}', '{key}')"
        )
    };
    assert_eq!(
        kinds(&events_of(&db, &suggestion("auto_applied", "a"))),
        ["suggestion.applied"]
    );
    assert!(events_of(&db, &suggestion("pending", "b")).is_empty());
    assert_eq!(
        kinds(&events_of(
            &db,
            "UPDATE autofill_suggestions SET status = 'approved' WHERE dedupe_key = 'b'"
        )),
        ["suggestion.applied"]
    );
    assert!(events_of(&db, &suggestion("rejected", "c")).is_empty());
    // RGPD: a request filed (admins notified), an export done (its requester notified), an erasure.
    let e = events_of(
        &db,
        &format!(
            "INSERT INTO rgpd_requests (kind, subject_type, subject_id, requested_by, state) \
             VALUES ('export', 'user', {0}, {0}, 'queued')",
            sales.0
        ),
    );
    assert_eq!(kinds(&e), ["rgpd.request_received"]);
    let e = events_of(
        &db,
        "UPDATE rgpd_requests SET state = 'done', link_expires_at = now() + interval '1 day'",
    );
    assert_eq!(kinds(&e), ["rgpd.export_ready"]);
    let e = events_of(
        &db,
        "INSERT INTO erasure_ledger (subject_type, subject_id, reason) VALUES ('person', 1, 'request')",
    );
    assert_eq!(kinds(&e), ["rgpd.erased"]);
    // A job failing permanently is job.failed.
    let e = events_of(
        &db,
        "INSERT INTO job_history (job_id, job, queue, state, attempts, created_at, finished_at, last_error, permanent) \
         VALUES ('01JP', 'rgpd.export', 'default', 'dead', 1, now(), now(), 'no such request', true)",
    );
    assert_eq!(kinds(&e), ["job.failed"]);
    let e = events_of(&db, "DELETE FROM people");
    assert_eq!(kinds(&e), ["person.deleted"]);

    relay_once(&env).await.unwrap();
    let of = |u: UserId| -> Vec<String> {
        notification::list_for(&mut db.conn(), u, false, None, 50)
            .unwrap()
            .into_iter()
            .map(|n| n.kind)
            .collect()
    };
    let mut sales_kinds = of(sales);
    sales_kinds.sort();
    assert_eq!(sales_kinds, ["assignment", "export_ready"]);
    let mut admin_kinds = of(admin);
    admin_kinds.sort();
    assert_eq!(admin_kinds, ["job_failed", "rgpd_request_received"]);
    // Only the subscribed types became deliveries: 1 + 1 + 3 + 2 + 1 + 1 (person.* , emails, suggestions,
    // erasure, deletion).
    let deliveries: i64 = webhook_deliveries::table
        .count()
        .get_result(&mut db.conn())
        .unwrap();
    assert_eq!(deliveries, 9);
}

#[tokio::test]
async fn a_task_that_falls_due_notifies_its_assignee_once_per_due_date() {
    let db = TestDb::new();
    let redis = TestRedis::new();
    let env = relay_env(&db, &redis).await;
    let sales = db.user("sales@example.com", Role::User);
    let sql = format!(
        "INSERT INTO tasks (title, due_at, priority, status, assigned_user_id) VALUES \
         ('Rappeler le DAF', now() - interval '5 minutes', 'urgent', 'todo', {0}), \
         ('Envoyer le DICI', now() - interval '2 hours', 'normal', 'in_progress', {0}), \
         ('Déjà fait', now() - interval '1 hour', 'normal', 'done', {0}), \
         ('Plus tard', now() + interval '1 day', 'normal', 'todo', {0}), \
         ('Personne', now() - interval '1 hour', 'normal', 'todo', NULL)",
        sales.0
    );
    diesel::sql_query(sql).execute(&mut db.conn()).unwrap();
    assert_eq!(crm_events::tasks::mark_due(&mut db.conn()).unwrap(), 2);
    assert_eq!(
        crm_events::tasks::mark_due(&mut db.conn()).unwrap(),
        0,
        "once"
    );
    relay_once(&env).await.unwrap();
    let mine = notification::list_for(&mut db.conn(), sales, false, None, 10).unwrap();
    let mut got: Vec<(String, String)> = mine
        .iter()
        .map(|n| (n.kind.clone(), n.priority.clone()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("task_due".to_owned(), "high".to_owned()),
            ("task_due".to_owned(), "normal".to_owned())
        ]
    );
    // Its due date moved: it falls due again later, and is told again then.
    diesel::sql_query(
        "UPDATE tasks SET due_at = now() - interval '1 minute' WHERE title = 'Envoyer le DICI'",
    )
    .execute(&mut db.conn())
    .unwrap();
    assert_eq!(crm_events::tasks::mark_due(&mut db.conn()).unwrap(), 1);
}
