//! Job ownership (issue 13, findings 3 and 9): a job records who enqueued it and what it touches;
//! `POST /api/v1/jobs` refuses a job on another user's resource with the status of the resource's own
//! endpoint; users see their own jobs, managers their team's, admins all (system jobs: admins only), in
//! the API and in the dashboard; out-of-range payloads and far `run_at` are refused at enqueue.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::{common, dashboard_common};

use actix_web::http::StatusCode;
use actix_web::test::call_service;
use common::{TestApp, error_of, get, parts, post};
use crm_queue::{EnqueueOptions, JobId};
use shared::jobs::payloads::mail::SyncAccount;
use shared::models::email_account::EmailAccountId;
use shared::models::interaction::{self, Direction, InteractionId, NewInteraction};
use shared::models::job_history::{self, JobHistory};
use shared::models::user::{self, Role};
use shared::models::{TeamId, UserId, team};
use shared::permissions::Actor;

fn email_in(app: &TestApp, account: EmailAccountId) -> InteractionId {
    let row = NewInteraction {
        account_id: Some(account),
        folder: "INBOX".into(),
        uid: None,
        provider_id: None,
        message_id: format!("<{}@acme.fr>", ulid::Ulid::new()),
        in_reply_to: None,
        message_references: Vec::new(),
        from_address: Some("jean.dupont@acme.fr".into()),
        from_name: None,
        to_addresses: Vec::new(),
        cc_addresses: Vec::new(),
        subject: Some("Devis".into()),
        sent_at: Some(chrono::Utc::now()),
        direction: Direction::Inbound,
        body_text: Some("Bonjour".into()),
        size_bytes: 10,
        parent_message_id: None,
        person_id: None,
        skipped_reason: None,
        automated: None,
    };
    interaction::insert_new(&mut app.db.conn(), &[row]).unwrap()[0].0
}

fn new_team(app: &TestApp) -> TeamId {
    team::create_team(&mut app.db.conn(), &format!("team-{}", ulid::Ulid::new()))
        .unwrap()
        .id
}

fn join(app: &TestApp, user: UserId, team: TeamId) {
    user::set_team(&mut app.db.conn(), user, Some(team)).unwrap();
}

#[actix_web::test]
async fn a_user_cannot_run_jobs_on_another_users_mailbox_or_email() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (alice, alice_bearer) = app.bearer(Role::User).await;
    let (bob, _) = app.bearer(Role::User).await;
    let bobs_mailbox = app.mailbox(bob);
    let bobs_email = email_in(&app, bobs_mailbox);
    let alices_mailbox = app.mailbox(alice);

    // mail.sync_account on Bob's mailbox: 404, as POST /email-accounts/{id}/sync answers.
    let dedicated = parts(
        call_service(
            &svc,
            post(
                &alice_bearer,
                &format!("/api/v1/email-accounts/{bobs_mailbox}/sync"),
                serde_json::json!({}),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(dedicated.0, StatusCode::NOT_FOUND, "{}", dedicated.2);
    let (status, _, body) = parts(
        call_service(
            &svc,
            post(
                &alice_bearer,
                "/api/v1/jobs",
                serde_json::json!({"job": "mail.sync_account", "payload": {"account_id": bobs_mailbox}}),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, dedicated.0, "{body}");
    assert_eq!(error_of(&body)["code"], error_of(&dedicated.2)["code"]);

    // intel.analyze_email on Bob's email: 404, as GET /interactions/{id}/analysis answers.
    let dedicated = parts(
        call_service(
            &svc,
            get(
                &alice_bearer,
                &format!("/api/v1/interactions/{bobs_email}/analysis"),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(dedicated.0, StatusCode::NOT_FOUND);
    let (status, _, body) = parts(
        call_service(
            &svc,
            post(
                &alice_bearer,
                "/api/v1/jobs",
                serde_json::json!({"job": "intel.analyze_email", "payload": {"interaction_id": bobs_email}}),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // Nothing was enqueued for either.
    let depths = app
        .state
        .queue
        .depths(&[shared::jobs::Queue::Mail, shared::jobs::Queue::Intel])
        .await
        .unwrap();
    assert!(depths.iter().all(|d| d.waiting == 0), "{depths:?}");

    // Her own mailbox runs, and the record says who and what.
    let (status, _, body) = parts(
        call_service(
            &svc,
            post(
                &alice_bearer,
                "/api/v1/jobs",
                serde_json::json!({"job": "mail.sync_account", "payload": {"account_id": alices_mailbox}}),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id: JobId = body["job_id"].as_str().unwrap().parse().unwrap();
    let record = app.state.queue.get(&id).await.unwrap().unwrap();
    assert_eq!(record.actor, Actor::User(alice));
    assert_eq!(
        record.resource.as_deref(),
        Some(&*format!("email_account:{alices_mailbox}"))
    );

    // An admin may run it on anyone's mailbox; an email of a missing mailbox is 404 for everyone.
    let (_, admin) = app.bearer(Role::Admin).await;
    let status = call_service(
        &svc,
        post(
            &admin,
            "/api/v1/jobs",
            serde_json::json!({"job": "mail.sync_account", "payload": {"account_id": bobs_mailbox}}),
        )
        .to_request(),
    )
    .await
    .status();
    assert_eq!(status, StatusCode::ACCEPTED);
    let status = call_service(
        &svc,
        post(
            &admin,
            "/api/v1/jobs",
            serde_json::json!({"job": "intel.analyze_email", "payload": {"interaction_id": 999_999}}),
        )
        .to_request(),
    )
    .await
    .status();
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn jobs_are_seen_by_their_actor_their_team_manager_and_admins_only() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (alice, alice_bearer) = app.bearer(Role::User).await;
    let (bob, bob_bearer) = app.bearer(Role::User).await;
    let (manager, manager_bearer) = app.bearer(Role::Manager).await;
    let (other_manager, other_manager_bearer) = app.bearer(Role::Manager).await;
    let (_, admin_bearer) = app.bearer(Role::Admin).await;
    let (team_a, team_b) = (new_team(&app), new_team(&app));
    join(&app, alice, team_a);
    join(&app, manager, team_a);
    join(&app, bob, team_b);
    join(&app, other_manager, team_b);

    let alices_mailbox = app.mailbox(alice);
    let (_, body) = {
        let (s, _, b) = parts(
            call_service(
                &svc,
                post(
                    &alice_bearer,
                    "/api/v1/jobs",
                    serde_json::json!({"job": "mail.sync_account", "payload": {"account_id": alices_mailbox}}),
                )
                .to_request(),
            )
            .await,
        )
        .await;
        (s, b)
    };
    let alices_job = body["job_id"].as_str().unwrap().to_owned();
    let system_job = app
        .state
        .queue
        .enqueue(
            &SyncAccount {
                account_id: alices_mailbox,
            },
            EnqueueOptions::default(),
        )
        .await
        .unwrap()
        .job_id
        .to_string();

    let status_of =
        |bearer: &str, id: &str| get(bearer, &format!("/api/v1/jobs/{id}")).to_request();
    for (bearer, job, expected) in [
        (&alice_bearer, &alices_job, StatusCode::OK),
        (&bob_bearer, &alices_job, StatusCode::NOT_FOUND),
        (&manager_bearer, &alices_job, StatusCode::OK),
        (&other_manager_bearer, &alices_job, StatusCode::NOT_FOUND),
        (&admin_bearer, &alices_job, StatusCode::OK),
        (&alice_bearer, &system_job, StatusCode::NOT_FOUND),
        (&manager_bearer, &system_job, StatusCode::NOT_FOUND),
        (&admin_bearer, &system_job, StatusCode::OK),
    ] {
        let (status, _, body) = parts(call_service(&svc, status_of(bearer, job)).await).await;
        assert_eq!(status, expected, "{job}: {body}");
        if status == StatusCode::NOT_FOUND {
            // The same answer as an unknown id: no payload, no result.
            assert!(body.get("payload").is_none() && body.get("result").is_none());
            assert_eq!(error_of(&body)["code"], "not_found");
        }
    }
}

fn history_row(job_id: &str, actor: Option<UserId>) -> JobHistory {
    let now = chrono::Utc::now();
    JobHistory {
        job_id: job_id.to_owned(),
        job: "mail.sync_account".into(),
        queue: "mail".into(),
        state: "succeeded".into(),
        attempts: 1,
        created_at: now,
        started_at: Some(now),
        finished_at: now,
        duration_ms: Some(1),
        last_error: None,
        request_id: None,
        actor_user_id: actor,
        resource: Some("email_account:1".into()),
        permanent: false,
    }
}

#[actix_web::test]
async fn the_dashboard_shows_users_their_jobs_managers_their_teams_and_admins_all() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (alice, alice_browser) = browser!(app, svc, Role::User);
    let (bob, _) = browser!(app, svc, Role::User);
    let (manager, manager_browser) = browser!(app, svc, Role::Manager);
    let (_, admin_browser) = browser!(app, svc, Role::Admin);
    let team = new_team(&app);
    join(&app, alice, team);
    join(&app, manager, team);

    let (a, b, s) = (
        JobId::new().to_string(),
        JobId::new().to_string(),
        JobId::new().to_string(),
    );
    job_history::upsert_batch(
        &mut app.db.conn(),
        &[
            history_row(&a, Some(alice)),
            history_row(&b, Some(bob)),
            history_row(&s, None),
        ],
    )
    .unwrap();

    let ids_seen = |body: &serde_json::Value| -> Vec<String> {
        let mut ids: Vec<String> = body["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["job_id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let sorted = |mut v: Vec<&String>| {
        v.sort();
        v.into_iter().cloned().collect::<Vec<_>>()
    };
    for (browser, expected) in [
        (&alice_browser, sorted(vec![&a])),
        (&manager_browser, sorted(vec![&a])),
        (&admin_browser, sorted(vec![&a, &b, &s])),
    ] {
        let (status, _, body) =
            parts(call_service(&svc, browser.get("/api/v1/dashboard/history").to_request()).await)
                .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(ids_seen(&body), expected, "{body}");
    }

    // The job view: Bob's job is unknown to Alice and to her manager.
    for browser in [&alice_browser, &manager_browser] {
        let status = call_service(
            &svc,
            browser
                .get(&format!("/api/v1/dashboard/jobs/{b}"))
                .to_request(),
        )
        .await
        .status();
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let status = call_service(
        &svc,
        manager_browser
            .get(&format!("/api/v1/dashboard/jobs/{a}"))
            .to_request(),
    )
    .await
    .status();
    assert_eq!(status, StatusCode::OK);

    // The live queue list keeps only the jobs the reader may see.
    let alices_mailbox = app.mailbox(alice);
    let queued = app
        .state
        .queue
        .enqueue(
            &SyncAccount {
                account_id: alices_mailbox,
            },
            EnqueueOptions {
                actor: Actor::User(alice),
                ..EnqueueOptions::default()
            },
        )
        .await
        .unwrap()
        .job_id;
    let system = app
        .state
        .queue
        .enqueue(
            &SyncAccount {
                account_id: alices_mailbox,
            },
            EnqueueOptions::default(),
        )
        .await
        .unwrap()
        .job_id;
    for (browser, expected) in [
        (&alice_browser, vec![queued]),
        (&admin_browser, vec![queued, system]),
    ] {
        let (status, _, body) = parts(
            call_service(
                &svc,
                browser
                    .get("/api/v1/dashboard/queues/mail/jobs")
                    .to_request(),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let mut seen: Vec<String> = body["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["id"].as_str().unwrap().to_owned())
            .collect();
        seen.sort();
        let mut want: Vec<String> = expected.iter().map(ToString::to_string).collect();
        want.sort();
        assert_eq!(seen, want, "{body}");
    }
    // A search for a job she may not see finds nothing, not even a count (payload probing).
    let (_, _, body) = parts(
        call_service(
            &svc,
            alice_browser
                .get(&format!("/api/v1/dashboard/queues/mail/jobs?q={system}"))
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(body["total"], 0, "{body}");
    assert_eq!(body["jobs"], serde_json::json!([]));
    // The dead letters too: the system's dead job is the admin's to see.
    dashboard_common::bury(&app, &system, shared::jobs::Queue::Mail, "boom").await;
    for (browser, expected) in [(&alice_browser, 0), (&admin_browser, 1)] {
        let (_, _, body) =
            parts(call_service(&svc, browser.get("/api/v1/dashboard/dead").to_request()).await)
                .await;
        assert_eq!(body["jobs"].as_array().unwrap().len(), expected, "{body}");
    }
}

#[actix_web::test]
async fn out_of_range_payloads_and_far_run_at_get_400_naming_the_field() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, admin) = app.bearer(Role::Admin).await;

    for (body, field) in [
        (
            serde_json::json!({"job": "diag.sleep", "payload": {"millis": 600_001}}),
            "millis",
        ),
        (
            serde_json::json!({"job": "diag.sleep", "payload": {"millis": 5, "steps": 0}}),
            "steps",
        ),
        (
            serde_json::json!({"job": "diag.noop", "run_at": "9999-01-01T00:00:00Z"}),
            "run_at",
        ),
    ] {
        let (status, _, resp) = parts(
            call_service(
                &svc,
                post(&admin, "/api/v1/jobs", body.clone()).to_request(),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {resp}");
        assert_eq!(error_of(&resp)["field"], field, "{resp}");
    }
    // Within bounds: accepted.
    let in_a_month = chrono::Utc::now() + chrono::TimeDelta::days(30);
    for body in [
        serde_json::json!({"job": "diag.sleep", "payload": {"millis": 600_000}}),
        serde_json::json!({"job": "diag.noop", "run_at": in_a_month}),
    ] {
        let status = call_service(&svc, post(&admin, "/api/v1/jobs", body).to_request())
            .await
            .status();
        assert_eq!(status, StatusCode::ACCEPTED);
    }

    // The dashboard's run form answers the same.
    let (_, browser) = browser!(app, svc, Role::Admin);
    for (body, field) in [
        (
            serde_json::json!({"job": "diag.sleep", "payload": {"millis": 10_000_000}}),
            "millis",
        ),
        (
            serde_json::json!({"job": "diag.noop", "run_at": "9999-01-01T00:00:00Z"}),
            "run_at",
        ),
    ] {
        let (status, _, resp) = parts(
            call_service(
                &svc,
                browser
                    .send("POST", "/api/v1/dashboard/run", Some(body))
                    .to_request(),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{resp}");
        assert_eq!(error_of(&resp)["field"], field, "{resp}");
    }
}
