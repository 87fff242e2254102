//! Dashboard endpoints and actions against real Postgres and Redis: CSRF, RBAC, audit, overview counts,
//! queue listings and search, job view, cancel/delete/retry, dead letters with retry-all confirmation,
//! schedules (in words, run now) and the run-a-job form.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;
use crate::dashboard_common;

use actix_web::http::StatusCode;
use actix_web::test::call_service;
use common::{TestApp, error_of, parts};
use crm_queue::{EnqueueOptions, JobId, JobState};
use dashboard_common::{audit_of, bury};
use serde_json::json;
use shared::jobs::Queue;
use shared::jobs::payloads::diag;
use shared::models::user::Role;

async fn noop(app: &TestApp, tag: &str) -> JobId {
    noop_by(app, tag, shared::permissions::Actor::System).await
}

/// A `diag.noop` enqueued by `actor` (the dashboard shows users their own jobs, admins all).
async fn noop_by(app: &TestApp, tag: &str, actor: shared::permissions::Actor) -> JobId {
    app.state
        .queue
        .enqueue(
            &diag::Noop {
                tag: Some(tag.into()),
            },
            EnqueueOptions {
                actor,
                ..EnqueueOptions::default()
            },
        )
        .await
        .unwrap()
        .job_id
}

#[actix_web::test]
async fn actions_need_the_csrf_token_and_are_audited() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (id, manager) = browser!(app, svc, Role::Manager);
    let uri = "/api/v1/dashboard/queues/diag/pause";

    for csrf in [None, Some("not-the-token"), Some("")] {
        let (status, _, body) =
            parts(call_service(&svc, manager.raw("POST", uri, None, csrf).to_request()).await)
                .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{csrf:?}");
        assert_eq!(error_of(&body)["code"], "forbidden");
    }
    assert!(app.state.queue.paused().await.unwrap().is_empty());

    let req = manager
        .send("POST", uri, None)
        .insert_header(("X-Request-Id", "dash-req-1"))
        .to_request();
    let (status, _, body) = parts(call_service(&svc, req).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["paused"], true);
    assert_eq!(app.state.queue.paused().await.unwrap(), vec![Queue::Diag]);
    let entries = audit_of(&app, "queue", "diag").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action, "queue.pause");
    assert_eq!(entries[0].actor_user_id, Some(id));
    assert_eq!(entries[0].request_id.as_deref(), Some("dash-req-1"));

    let (status, _, body) = parts(
        call_service(
            &svc,
            manager
                .send("POST", "/api/v1/dashboard/queues/diag/resume", None)
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["paused"], false);
    assert!(app.state.queue.paused().await.unwrap().is_empty());
    assert_eq!(
        audit_of(&app, "queue", "diag").await[0].action,
        "queue.resume"
    );

    let (status, _, body) = parts(
        call_service(
            &svc,
            manager
                .send("POST", "/api/v1/dashboard/queues/nope/pause", None)
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_of(&body)["code"], "unknown_queue");
}

#[actix_web::test]
async fn a_viewer_reads_everything_and_gets_403_on_every_action() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (viewer_id, viewer) = browser!(app, svc, Role::Viewer);
    let job = noop_by(&app, "v", shared::permissions::Actor::User(viewer_id)).await;

    for uri in [
        "/api/v1/dashboard/me".to_owned(),
        "/api/v1/dashboard/overview".to_owned(),
        "/api/v1/dashboard/queues/diag/jobs?state=waiting".to_owned(),
        format!("/api/v1/dashboard/jobs/{job}"),
        "/api/v1/dashboard/dead".to_owned(),
        "/api/v1/dashboard/workers".to_owned(),
        "/api/v1/dashboard/schedules".to_owned(),
        "/api/v1/dashboard/run".to_owned(),
    ] {
        let (status, _, body) =
            parts(call_service(&svc, viewer.get(&uri).to_request()).await).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    }
    let (_, _, runnable) =
        parts(call_service(&svc, viewer.get("/api/v1/dashboard/run").to_request()).await).await;
    assert_eq!(runnable, json!([]));

    for (method, uri, body) in [
        (
            "POST",
            "/api/v1/dashboard/queues/diag/pause".to_owned(),
            None,
        ),
        (
            "POST",
            "/api/v1/dashboard/queues/diag/resume".to_owned(),
            None,
        ),
        ("POST", format!("/api/v1/dashboard/jobs/{job}/retry"), None),
        ("POST", format!("/api/v1/dashboard/jobs/{job}/cancel"), None),
        ("DELETE", format!("/api/v1/dashboard/jobs/{job}"), None),
        (
            "POST",
            "/api/v1/dashboard/dead/retry-all".to_owned(),
            Some(json!({"expected_count": 0})),
        ),
        (
            "POST",
            "/api/v1/dashboard/schedules/maint.backup/run".to_owned(),
            None,
        ),
        (
            "POST",
            "/api/v1/dashboard/schedules/maint.backup/disable".to_owned(),
            None,
        ),
        (
            "POST",
            "/api/v1/dashboard/schedules/maint.backup/enable".to_owned(),
            None,
        ),
        (
            "POST",
            "/api/v1/dashboard/run".to_owned(),
            Some(json!({"job": "diag.noop"})),
        ),
    ] {
        let (status, _, resp) =
            parts(call_service(&svc, viewer.send(method, &uri, body).to_request()).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {uri}: {resp}");
    }
    // Nothing happened.
    assert_eq!(
        app.state.queue.get(&job).await.unwrap().unwrap().state,
        JobState::Waiting
    );
    assert!(app.state.queue.paused().await.unwrap().is_empty());
}

#[actix_web::test]
async fn the_overview_counts_match_the_queues() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, viewer) = browser!(app, svc, Role::Viewer);
    for i in 0..3 {
        noop(&app, &format!("o{i}")).await;
    }
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    app.state
        .queue
        .enqueue(
            &diag::Noop { tag: None },
            EnqueueOptions {
                run_at: Some(later),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    app.state.queue.pause(Queue::Maint).await.unwrap();

    let (status, headers, o) =
        parts(call_service(&svc, viewer.get("/api/v1/dashboard/overview").to_request()).await)
            .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(common::header(&headers, "cache-control"), Some("no-store"));
    let queues = o["queues"].as_array().unwrap();
    assert_eq!(queues.len(), Queue::ALL.len());
    let q = |name: &str| queues.iter().find(|q| q["queue"] == name).unwrap().clone();
    assert_eq!(q("diag")["waiting"], 3);
    assert_eq!(q("diag")["scheduled"], 1);
    assert_eq!(q("diag")["running"], 0);
    assert_eq!(q("diag")["dead"], 0);
    assert_eq!(q("diag")["paused"], false);
    assert_eq!(q("maint")["paused"], true);
    assert_eq!(q("default")["waiting"], 0);
    assert!(q("diag")["oldest_waiting_secs"].as_f64().unwrap() >= 0.0);
    assert_eq!(q("diag")["history_succeeded_last_hour"], 0);
    assert_eq!(o["workers_online"], 0);
    assert_eq!(o["series"].as_array().unwrap().len(), 60);
}

#[actix_web::test]
async fn queue_listings_page_and_search_by_id_or_payload() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (viewer_id, viewer) = browser!(app, svc, Role::Viewer);
    let mut ids = Vec::new();
    for i in 0..5 {
        let mine = shared::permissions::Actor::User(viewer_id);
        ids.push(noop_by(&app, &format!("needle-{i}"), mine).await);
    }
    let page = |uri: String| {
        let req = viewer.get(&uri).to_request();
        let svc = &svc;
        async move { parts(call_service(svc, req).await).await }
    };
    let (status, _, p) =
        page("/api/v1/dashboard/queues/diag/jobs?state=waiting&offset=1&limit=2".into()).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["total"], 5);
    assert_eq!(p["jobs"].as_array().unwrap().len(), 2);
    assert_eq!(p["jobs"][0]["id"], ids[1].to_string());

    let (_, _, p) = page(format!("/api/v1/dashboard/queues/diag/jobs?q={}", ids[3])).await;
    assert_eq!(p["jobs"].as_array().unwrap().len(), 1);
    assert_eq!(p["jobs"][0]["id"], ids[3].to_string());
    let (_, _, p) = page("/api/v1/dashboard/queues/diag/jobs?q=needle-4".into()).await;
    assert_eq!(p["jobs"].as_array().unwrap().len(), 1);
    assert_eq!(p["jobs"][0]["payload"]["tag"], "needle-4");
    let (_, _, p) = page("/api/v1/dashboard/queues/diag/jobs?state=dead".into()).await;
    assert_eq!(p["total"], 0);

    let (status, _, body) = page("/api/v1/dashboard/queues/diag/jobs?limit=0".into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body)["field"], "limit");
    let (status, _, _) = page("/api/v1/dashboard/queues/diag/jobs?state=bogus".into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn job_view_cancel_and_delete_are_audited() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (manager_id, manager) = browser!(app, svc, Role::Manager);
    let mine = shared::permissions::Actor::User(manager_id);
    let a = noop_by(&app, "a", mine).await;
    let b = noop_by(&app, "b", mine).await;

    let (status, _, v) = parts(
        call_service(
            &svc,
            manager
                .get(&format!("/api/v1/dashboard/jobs/{a}"))
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["record"]["state"], "waiting");
    assert_eq!(v["record"]["payload"]["tag"], "a");
    assert!(v["history"].is_null());

    let (status, _, body) = parts(
        call_service(
            &svc,
            manager
                .send("POST", &format!("/api/v1/dashboard/jobs/{a}/cancel"), None)
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, _, p) = parts(
        call_service(
            &svc,
            manager
                .get("/api/v1/dashboard/queues/diag/jobs")
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(p["total"], 1, "the cancelled job left the queue");
    let entries = audit_of(&app, "job", &a.to_string()).await;
    assert_eq!(entries[0].action, "job.cancel");
    assert_eq!(entries[0].actor_user_id, Some(manager_id));

    let (status, _, _) = parts(
        call_service(
            &svc,
            manager
                .send("DELETE", &format!("/api/v1/dashboard/jobs/{b}"), None)
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(app.state.queue.get(&b).await.unwrap().is_none());
    assert_eq!(
        audit_of(&app, "job", &b.to_string()).await[0].action,
        "job.delete"
    );
    let (status, _, _) = parts(
        call_service(
            &svc,
            manager
                .get(&format!("/api/v1/dashboard/jobs/{b}"))
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = parts(
        call_service(
            &svc,
            manager.get("/api/v1/dashboard/jobs/not-an-id").to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn dead_letters_show_the_reason_and_retry_all_needs_the_right_count() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (manager_id, manager) = browser!(app, svc, Role::Manager);
    let (admin_id, admin) = browser!(app, svc, Role::Admin);
    let dead: Vec<JobId> = {
        let mut v = Vec::new();
        for i in 0..3 {
            let mine = shared::permissions::Actor::User(manager_id);
            let id = noop_by(&app, &format!("d{i}"), mine).await;
            bury(&app, &id, Queue::Diag, &format!("boom {i}")).await;
            v.push(id);
        }
        v
    };

    let (status, _, page) =
        parts(call_service(&svc, manager.get("/api/v1/dashboard/dead").to_request()).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 3);
    assert_eq!(page["jobs"][0]["state"], "dead");
    assert!(
        page["jobs"][0]["last_error"]
            .as_str()
            .unwrap()
            .starts_with("boom")
    );
    let (_, _, page) = parts(
        call_service(
            &svc,
            manager
                .get("/api/v1/dashboard/dead?queue=diag&limit=1")
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(page["total"], 3);
    assert_eq!(page["jobs"].as_array().unwrap().len(), 1);

    // Retry one (a manager may retry diag.noop), delete one.
    let (status, _, body) = parts(
        call_service(
            &svc,
            manager
                .send(
                    "POST",
                    &format!("/api/v1/dashboard/jobs/{}/retry", dead[0]),
                    None,
                )
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        app.state.queue.get(&dead[0]).await.unwrap().unwrap().state,
        JobState::Waiting
    );
    assert_eq!(
        audit_of(&app, "job", &dead[0].to_string()).await[0].action,
        "job.retry"
    );
    let (status, _, _) = parts(
        call_service(
            &svc,
            manager
                .send(
                    "POST",
                    &format!("/api/v1/dashboard/jobs/{}/retry", dead[0]),
                    None,
                )
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a waiting job cannot be retried"
    );
    let (status, _, _) = parts(
        call_service(
            &svc,
            manager
                .send(
                    "DELETE",
                    &format!("/api/v1/dashboard/jobs/{}", dead[1]),
                    None,
                )
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // Retry all: all queues include admin-only jobs, so a manager is refused; a stale count is refused.
    let retry_all = |count: u64| json!({ "expected_count": count });
    let (status, _, _) = parts(
        call_service(
            &svc,
            manager
                .send(
                    "POST",
                    "/api/v1/dashboard/dead/retry-all",
                    Some(retry_all(1)),
                )
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) = parts(
        call_service(
            &svc,
            admin
                .send(
                    "POST",
                    "/api/v1/dashboard/dead/retry-all",
                    Some(retry_all(3)),
                )
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_of(&body)["code"], "count_mismatch");
    assert_eq!(app.state.queue.dead_count(None).await.unwrap(), 1);
    let (status, _, body) = parts(
        call_service(
            &svc,
            admin
                .send(
                    "POST",
                    "/api/v1/dashboard/dead/retry-all",
                    Some(retry_all(1)),
                )
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["requeued"], 1);
    assert_eq!(app.state.queue.dead_count(None).await.unwrap(), 0);
    assert_eq!(
        app.state.queue.get(&dead[2]).await.unwrap().unwrap().state,
        JobState::Waiting
    );
    let entries = audit_of(&app, "queue", "all").await;
    assert_eq!(entries[0].action, "dead.retry_all");
    assert_eq!(entries[0].actor_user_id, Some(admin_id));
    assert_eq!(entries[0].details["requeued"], 1);
}

#[actix_web::test]
async fn schedules_read_in_words_and_run_now_follows_the_job_role() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, manager) = browser!(app, svc, Role::Manager);
    let (_, admin) = browser!(app, svc, Role::Admin);

    let (status, _, list) = parts(
        call_service(
            &svc,
            manager.get("/api/v1/dashboard/schedules").to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let backup = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "maint.backup")
        .unwrap();
    assert_eq!(backup["description"], "At 02:00.");
    assert!(backup["next_fire_at"].is_string());

    // maint.* jobs are for admins.
    let uri = "/api/v1/dashboard/schedules/maint.backup/run";
    let (status, _, _) =
        parts(call_service(&svc, manager.send("POST", uri, None).to_request()).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) =
        parts(call_service(&svc, admin.send("POST", uri, None).to_request()).await).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let job: JobId = body["job_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        app.state.queue.get(&job).await.unwrap().unwrap().job,
        "maint.backup"
    );
    let entries = audit_of(&app, "schedule", "maint.backup").await;
    assert_eq!(entries[0].action, "schedule.run_now");
    assert_eq!(
        entries[0].details,
        json!({"job": "maint.backup", "job_id": job.to_string()})
    );
    let (_, _, list) =
        parts(call_service(&svc, admin.get("/api/v1/dashboard/schedules").to_request()).await)
            .await;
    let backup = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "maint.backup")
        .unwrap();
    assert_eq!(backup["last_result"]["manual"], true);
    assert_eq!(backup["last_result"]["job_id"], job.to_string());

    let (status, _, body) = parts(
        call_service(
            &svc,
            admin
                .send("POST", "/api/v1/dashboard/schedules/nope/run", None)
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_of(&body)["code"], "unknown_schedule");
}

#[actix_web::test]
async fn schedules_are_disabled_and_enabled_cluster_wide_with_an_audit_entry() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (manager_id, manager) = browser!(app, svc, Role::Manager);
    let entry = |list: &serde_json::Value, name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()
            .clone()
    };
    let send = |uri: &str| manager.send("POST", uri, None).to_request();
    let list = || manager.get("/api/v1/dashboard/schedules").to_request();

    let (status, _, body) = parts(
        call_service(
            &svc,
            send("/api/v1/dashboard/schedules/maint.backup/disable"),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["enabled"], false);
    // Persisted where every scheduler replica reads it.
    let overrides = crm_schedules::enabled_overrides(&app.state.queue)
        .await
        .unwrap();
    assert_eq!(overrides.get("maint.backup"), Some(&false));
    let (_, _, l) = parts(call_service(&svc, list()).await).await;
    assert_eq!(entry(&l, "maint.backup")["enabled"], false);
    assert!(entry(&l, "maint.backup")["next_fire_at"].is_null());
    let audit = audit_of(&app, "schedule", "maint.backup").await;
    assert_eq!(audit[0].action, "schedule.disable");
    assert_eq!(audit[0].actor_user_id, Some(manager_id));

    let (status, _, _) = parts(
        call_service(
            &svc,
            send("/api/v1/dashboard/schedules/maint.backup/enable"),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, l) = parts(call_service(&svc, list()).await).await;
    assert_eq!(entry(&l, "maint.backup")["enabled"], true);
    assert!(entry(&l, "maint.backup")["next_fire_at"].is_string());
    assert_eq!(
        audit_of(&app, "schedule", "maint.backup").await[0].action,
        "schedule.enable"
    );

    // An entry off in the table (diag.heartbeat) is switched on without a restart.
    let (status, _, _) = parts(
        call_service(
            &svc,
            send("/api/v1/dashboard/schedules/diag.heartbeat/enable"),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, l) = parts(call_service(&svc, list()).await).await;
    assert_eq!(entry(&l, "diag.heartbeat")["enabled"], true);
    assert!(entry(&l, "diag.heartbeat")["next_fire_at"].is_string());
    let (status, _, _) =
        parts(call_service(&svc, send("/api/v1/dashboard/schedules/nope/disable")).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn the_run_form_lists_what_the_user_may_run_and_validates_the_payload() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, manager) = browser!(app, svc, Role::Manager);
    let (admin_id, admin) = browser!(app, svc, Role::Admin);

    let names = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|j| j["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, _, m) =
        parts(call_service(&svc, manager.get("/api/v1/dashboard/run").to_request()).await).await;
    let (_, _, a) =
        parts(call_service(&svc, admin.get("/api/v1/dashboard/run").to_request()).await).await;
    assert!(names(&m).contains(&"diag.noop".to_owned()));
    assert!(!names(&m).iter().any(|n| n.starts_with("maint.")), "{m}");
    assert!(names(&a).contains(&"maint.backup".to_owned()));

    let run = |b: &dashboard_common::Browser, body: serde_json::Value| {
        b.send("POST", "/api/v1/dashboard/run", Some(body))
            .to_request()
    };
    let (status, _, body) =
        parts(call_service(&svc, run(&manager, json!({"job": "maint.backup"}))).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _, body) = parts(
        call_service(
            &svc,
            run(
                &admin,
                json!({"job": "diag.sleep", "payload": {"millis": "soon"}}),
            ),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body)["field"], "millis");
    let (status, _, body) = parts(
        call_service(
            &svc,
            run(
                &admin,
                json!({"job": "diag.sleep", "payload": {"millis": 1, "bogus": 1}}),
            ),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body)["field"], "bogus");
    let (status, _, _) =
        parts(call_service(&svc, run(&admin, json!({"job": "nope.nope"}))).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _, body) = parts(
        call_service(
            &svc,
            run(
                &admin,
                json!({"job": "diag.sleep", "payload": {"millis": 5}}),
            ),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id: JobId = body["job_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        app.state.queue.get(&id).await.unwrap().unwrap().payload,
        json!({"millis": 5})
    );
    let entries = audit_of(&app, "job", &id.to_string()).await;
    assert_eq!(entries[0].action, "job.run_now");
    assert_eq!(entries[0].actor_user_id, Some(admin_id));
    // The dashboard's entry says where it came from and, unlike the API's, has no `duplicate`.
    assert_eq!(
        entries[0].details,
        json!({"job": "diag.sleep", "job_id": id.to_string(), "run_at": null, "via": "dashboard"})
    );
}

#[actix_web::test]
async fn history_pages_finished_jobs_from_postgres_newest_first() {
    use shared::models::job_history::{self, JobHistory};
    let app = TestApp::new().await;
    let svc = service!(app);
    // The viewer's own jobs: a viewer sees only those.
    let (viewer_id, viewer) = browser!(app, svc, Role::Viewer);
    let now = chrono::Utc::now();
    let rows: Vec<JobHistory> = (0..5)
        .map(|i| JobHistory {
            job_id: JobId::new().to_string(),
            job: "diag.noop".into(),
            queue: if i == 4 { "maint" } else { "diag" }.into(),
            state: if i == 0 { "dead" } else { "succeeded" }.into(),
            attempts: 1,
            created_at: now - chrono::Duration::minutes(10),
            started_at: None,
            finished_at: now - chrono::Duration::minutes(i),
            duration_ms: Some(5),
            last_error: (i == 0).then(|| "boom".to_owned()),
            request_id: None,
            actor_user_id: Some(viewer_id),
            resource: Some("platform".into()),
            permanent: false,
        })
        .collect();
    let pool = app.state.pool.clone();
    let stored = rows.clone();
    tokio::task::spawn_blocking(move || {
        job_history::upsert_batch(&mut pool.get().unwrap(), &stored).unwrap()
    })
    .await
    .unwrap();

    let get = |uri: &str| viewer.get(uri).to_request();
    let (status, _, page) =
        parts(call_service(&svc, get("/api/v1/dashboard/history?queue=diag&limit=3")).await).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let ids: Vec<&str> = page["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["job_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [&rows[0].job_id, &rows[1].job_id, &rows[2].job_id]);
    let before = page["next_before"].as_str().unwrap().to_owned();
    let uri = format!(
        "/api/v1/dashboard/history?queue=diag&limit=3&before={}",
        before.replace('+', "%2B")
    );
    let (_, _, page) = parts(call_service(&svc, get(&uri)).await).await;
    assert_eq!(page["jobs"].as_array().unwrap().len(), 1);
    assert_eq!(page["jobs"][0]["job_id"], rows[3].job_id);
    assert!(page["next_before"].is_null());

    let (_, _, page) =
        parts(call_service(&svc, get("/api/v1/dashboard/history?state=dead")).await).await;
    assert_eq!(page["jobs"].as_array().unwrap().len(), 1);
    assert_eq!(page["jobs"][0]["last_error"], "boom");
    let (_, _, page) = parts(
        call_service(
            &svc,
            get("/api/v1/dashboard/history?state=succeeded&queue=diag"),
        )
        .await,
    )
    .await;
    assert_eq!(page["jobs"].as_array().unwrap().len(), 3);
    assert!(
        page["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["state"] == "succeeded" && j["queue"] == "diag")
    );
    let (status, _, body) =
        parts(call_service(&svc, get("/api/v1/dashboard/history?state=lost")).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body)["field"], "state");

    // The job view falls back to the durable summary once the Redis record is gone.
    let (status, _, view) = parts(
        call_service(
            &svc,
            get(&format!("/api/v1/dashboard/jobs/{}", rows[1].job_id)),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(view["record"].is_null());
    assert_eq!(view["history"]["state"], "succeeded");
}
