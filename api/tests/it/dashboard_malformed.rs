//! Set-aside envelopes in the dashboard: listed without their content to any signed-in user, discarded by an
//! operator only, with an audit entry; bad queue names and task ids get clear errors.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;
use crate::dashboard_common;

use actix_web::http::StatusCode;
use actix_web::test::call_service;
use common::{TestApp, error_of, parts};
use dashboard_common::audit_of;
use redis::AsyncCommands;
use shared::jobs::Queue;
use shared::models::user::Role;

#[actix_web::test]
async fn set_aside_envelopes_are_listed_without_content_and_discarded_by_operators() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let keys = app.state.keys().clone();
    let mut conn = app.state.redis();
    // What a worker leaves when it cannot decode an envelope (see workers' store tests for that path).
    let secret = "{\"payload\": {\"email\": \"someone@example.org\"";
    let _: () = conn
        .hset(
            keys.malformed(Queue::Diag),
            "01JTASKDIAG0000000000000000",
            secret,
        )
        .await
        .unwrap();
    let _: () = conn
        .hset(keys.malformed(Queue::Mail), "hand-written", "[]")
        .await
        .unwrap();

    let (_, viewer) = browser!(app, svc, Role::Viewer);
    let (status, _, body) =
        parts(call_service(&svc, viewer.get("/api/v1/dashboard/malformed").to_request()).await)
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 2);
    assert!(
        !body.to_string().contains("someone@example.org"),
        "no envelope content in the listing: {body}"
    );
    let diag = body["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["queue"] == "diag")
        .unwrap();
    assert_eq!(diag["bytes"], secret.len());
    assert_eq!(diag["json"], false);

    let (status, _, body) = parts(
        call_service(
            &svc,
            viewer
                .get("/api/v1/dashboard/malformed?queue=mail")
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["total"], 1);
    assert_eq!(body["tasks"][0]["task_id"], "hand-written");
    assert_eq!(body["tasks"][0]["json"], true);
    assert!(body["tasks"][0]["job_id"].is_null());

    let (status, _, body) = parts(
        call_service(
            &svc,
            viewer
                .get("/api/v1/dashboard/malformed?queue=nope")
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_of(&body)["code"], "unknown_queue");

    let uri = "/api/v1/dashboard/malformed/mail/hand-written";
    let (status, _, _) =
        parts(call_service(&svc, viewer.send("DELETE", uri, None).to_request()).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a viewer cannot discard");

    let (manager_id, manager) = browser!(app, svc, Role::Manager);
    let (status, _, _) =
        parts(call_service(&svc, manager.raw("DELETE", uri, None, None).to_request()).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token, no action");
    let left: u64 = conn.hlen(keys.malformed(Queue::Mail)).await.unwrap();
    assert_eq!(left, 1);

    let (status, _, body) =
        parts(call_service(&svc, manager.send("DELETE", uri, None).to_request()).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["action"], "malformed.discard");
    let left: u64 = conn.hlen(keys.malformed(Queue::Mail)).await.unwrap();
    assert_eq!(left, 0);
    let entries = audit_of(&app, "task", "hand-written").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action, "malformed.discard");
    assert_eq!(entries[0].actor_user_id, Some(manager_id));

    // Discarding twice: 404 naming the task; a task id that cannot be one: 400 naming the field.
    let (status, _, body) =
        parts(call_service(&svc, manager.send("DELETE", uri, None).to_request()).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_of(&body)["code"], "unknown_task");
    let long = "x".repeat(129);
    let (status, _, body) = parts(
        call_service(
            &svc,
            manager
                .send(
                    "DELETE",
                    &format!("/api/v1/dashboard/malformed/diag/{long}"),
                    None,
                )
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body)["field"], "task_id");
    let remaining: u64 = conn.hlen(keys.malformed(Queue::Diag)).await.unwrap();
    assert_eq!(remaining, 1, "the other queue's envelope is untouched");
}
