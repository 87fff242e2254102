//! Viewers are read-only everywhere (issue 13, finding 4): every state-changing route of the OpenAPI
//! document (so routes added later are walked too) answers a viewer's bearer token with 403, whatever the
//! body; so do the dashboard's actions with a viewer's session and CSRF token. Sign-in and sign-out stay
//! open.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::{common, dashboard_common};

use actix_web::http::{Method, StatusCode};
use actix_web::test::{TestRequest, call_service};
use common::{TestApp, error_of, parts};
use shared::models::email_account as accounts;
use shared::models::user::Role;

/// A path of the document with its parameters filled in with plausible values.
fn concrete(path: &str, account: i64) -> String {
    path.split('/')
        .map(|seg| match seg {
            "{id}" if path.starts_with("/api/v1/email-accounts") => account.to_string(),
            "{id}" => "01JF0000000000000000000000".to_owned(),
            "{name}" => "mail.sync_all".to_owned(),
            "{provider}" => "google".to_owned(),
            s if s.starts_with('{') => "x".to_owned(),
            s => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[actix_web::test]
async fn a_viewer_gets_403_on_every_mutating_route_of_the_openapi_document() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (viewer, bearer) = app.bearer(Role::Viewer).await;
    // The viewer's own mailbox: even on what they own, a viewer changes nothing.
    let account = app.mailbox(viewer);

    let doc = parts(
        call_service(
            &svc,
            TestRequest::get().uri("/api/v1/openapi.json").to_request(),
        )
        .await,
    )
    .await
    .2;
    let mut walked = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["post", "put", "patch", "delete"] {
            // Exempt: the caller's own credentials, the erasure or export of their own data (the RGPD
            // requests refuse any other subject to non-admins: tests/it/rgpd.rs), and their own
            // notifications (tests/it/notifications.rs: only the caller's rows are touched).
            let own_erasure = method == "delete" && path == "/api/v1/ai/learning/preferences";
            let own_rights = path.starts_with("/api/v1/rgpd/");
            let own_notifications = path.starts_with("/api/v1/notifications/");
            // Public campaign endpoints take no credentials (tests/it/campaigns.rs).
            let public = path.starts_with("/api/v1/campaigns/unsubscribe/")
                || path == "/api/v1/campaigns/sendgrid/events";
            if item.get(method).is_none()
                || path.starts_with("/api/v1/auth/")
                || own_erasure
                || own_rights
                || own_notifications
                || public
            {
                continue;
            }
            let uri = concrete(path, account.0);
            // An empty object: whatever the route expects, the role check must answer first.
            let req = TestRequest::default()
                .method(Method::from_bytes(method.to_uppercase().as_bytes()).unwrap())
                .uri(&uri)
                .insert_header(("Authorization", bearer.clone()))
                .set_json(serde_json::json!({}))
                .to_request();
            let (status, _, body) = parts(call_service(&svc, req).await).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {uri}: {body}");
            assert_eq!(error_of(&body)["code"], "forbidden");
            walked.push(format!("{method} {path}"));
        }
    }
    // The walk covers the routes of finding 4 (a sanity check on the document, not the list walked).
    for route in [
        "post /api/v1/email-accounts",
        "patch /api/v1/email-accounts/{id}",
        "delete /api/v1/email-accounts/{id}",
        "post /api/v1/email-accounts/{id}/sync",
        "post /api/v1/jobs",
    ] {
        assert!(
            walked.iter().any(|w| w == route),
            "{route} not walked: {walked:?}"
        );
    }
    // Nothing changed: the mailbox is still there and active.
    let still = accounts::find_account(&mut app.db.conn(), account)
        .unwrap()
        .unwrap();
    assert!(still.active);

    // Reads stay open to viewers.
    let status = call_service(
        &svc,
        TestRequest::get()
            .uri(&format!("/api/v1/email-accounts/{account}"))
            .insert_header(("Authorization", bearer.clone()))
            .to_request(),
    )
    .await
    .status();
    assert_eq!(status, StatusCode::OK);
}

#[actix_web::test]
async fn a_viewer_gets_403_on_every_dashboard_action_and_may_sign_out() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, browser) = browser!(app, svc, Role::Viewer);
    let id = "01JF0000000000000000000000";
    let actions = [
        (
            "POST",
            "/api/v1/dashboard/queues/mail/pause".to_owned(),
            None,
        ),
        (
            "POST",
            "/api/v1/dashboard/queues/mail/resume".to_owned(),
            None,
        ),
        ("DELETE", format!("/api/v1/dashboard/jobs/{id}"), None),
        ("POST", format!("/api/v1/dashboard/jobs/{id}/retry"), None),
        ("POST", format!("/api/v1/dashboard/jobs/{id}/cancel"), None),
        (
            "POST",
            "/api/v1/dashboard/dead/retry-all".to_owned(),
            Some(serde_json::json!({"expected_count": 0})),
        ),
        (
            "DELETE",
            format!("/api/v1/dashboard/malformed/mail/{id}"),
            None,
        ),
        (
            "POST",
            "/api/v1/dashboard/schedules/mail.sync_all/run".to_owned(),
            None,
        ),
        (
            "POST",
            "/api/v1/dashboard/schedules/mail.sync_all/enable".to_owned(),
            None,
        ),
        (
            "POST",
            "/api/v1/dashboard/schedules/mail.sync_all/disable".to_owned(),
            None,
        ),
        (
            "POST",
            "/api/v1/dashboard/run".to_owned(),
            Some(serde_json::json!({"job": "diag.noop"})),
        ),
    ];
    for (method, uri, body) in actions {
        let (status, _, resp) =
            parts(call_service(&svc, browser.send(method, &uri, body).to_request()).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {uri}: {resp}");
    }
    let status = call_service(
        &svc,
        browser
            .send("DELETE", "/api/v1/dashboard/session", None)
            .to_request(),
    )
    .await
    .status();
    assert!(status.is_success(), "{status}");
}
