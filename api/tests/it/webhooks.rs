//! Webhook endpoints through the API: admins only; the secret shown at creation and rotation only; every
//! field validated with a named 400 (URLs the egress policy refuses among them); test deliveries and
//! replays queued once on the outbound queue; deletion.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service};
use common::{TestApp, error_of, get, parts, post};
use serde_json::{Value, json};
use shared::models::user::Role;

const KEY: &str = "0101010101010101010101010101010101010101010101010101010101010101";

async fn app() -> TestApp {
    TestApp::with_env(&[("MAIL_ENCRYPTION_KEY", KEY)]).await
}

fn patch(bearer: &str, uri: &str, body: Value) -> TestRequest {
    TestRequest::patch()
        .uri(uri)
        .insert_header(("Authorization", bearer.to_owned()))
        .set_json(body)
}

#[actix_web::test]
async fn only_admins_manage_endpoints() {
    let app = app().await;
    let svc = service!(app);
    let body = json!({"url": "https://hooks.example.com/crm", "event_types": ["person.created"]});
    for role in [Role::Manager, Role::User, Role::Viewer] {
        let (_, bearer) = app.bearer(role).await;
        for req in [
            get(&bearer, "/api/v1/webhooks"),
            post(&bearer, "/api/v1/webhooks", body.clone()),
            get(&bearer, "/api/v1/webhooks/event-types"),
            get(&bearer, "/api/v1/webhooks/deliveries/1"),
        ] {
            let (status, _, json) = parts(call_service(&svc, req.to_request()).await).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{role}: {json}");
        }
    }
    let (status, _, _) = parts(
        call_service(
            &svc,
            TestRequest::get().uri("/api/v1/webhooks").to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn an_endpoint_is_created_shown_without_its_secret_rotated_and_deleted() {
    let app = app().await;
    let svc = service!(app);
    let (_, admin) = app.bearer(Role::Admin).await;
    let (status, headers, created) = parts(
        call_service(
            &svc,
            post(
                &admin,
                "/api/v1/webhooks",
                json!({"url": "https://hooks.example.com/crm", "event_types": ["person.created", "organisation.updated", "person.created"], "description": "ERP"}),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["endpoint"]["id"].as_i64().unwrap();
    assert_eq!(
        common::header(&headers, "location").unwrap(),
        format!("/api/v1/webhooks/{id}")
    );
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    assert!(crm_webhooks::sign::SigningKey::parse(&secret).is_ok());
    assert_eq!(
        created["endpoint"]["event_types"],
        json!(["organisation.updated", "person.created"])
    );

    // Stored sealed: the secret's text is nowhere in the row.
    let row = shared::models::webhook::find(
        &mut app.db.conn(),
        shared::models::webhook::WebhookEndpointId(id),
    )
    .unwrap()
    .unwrap();
    assert!(!String::from_utf8_lossy(&row.secret_enc).contains(&secret[6..]));

    for uri in [
        format!("/api/v1/webhooks/{id}"),
        "/api/v1/webhooks".to_owned(),
    ] {
        let (status, _, shown) =
            parts(call_service(&svc, get(&admin, &uri).to_request()).await).await;
        assert_eq!(status, StatusCode::OK);
        let text = shown.to_string();
        assert!(
            !text.contains("secret\"") && !text.contains(&secret),
            "{text}"
        );
    }

    let (status, _, rotated) = parts(
        call_service(
            &svc,
            post(
                &admin,
                &format!("/api/v1/webhooks/{id}/rotate-secret"),
                json!({}),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(rotated["secret"], secret.as_str());
    let until: chrono::DateTime<chrono::Utc> = rotated["endpoint"]["previous_secret_until"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let hours = (until - chrono::Utc::now()).num_minutes();
    assert!((23 * 60..=24 * 60).contains(&hours), "{hours}");

    let (status, _, changed) = parts(
        call_service(
            &svc,
            patch(
                &admin,
                &format!("/api/v1/webhooks/{id}"),
                json!({"active": false, "event_types": ["job.dead"]}),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(
        (changed["active"].clone(), changed["event_types"].clone()),
        (json!(false), json!(["job.dead"]))
    );
    assert!(changed["disabled_at"].is_string());

    let del = TestRequest::delete()
        .uri(&format!("/api/v1/webhooks/{id}"))
        .insert_header(("Authorization", admin.clone()))
        .to_request();
    assert_eq!(
        call_service(&svc, del).await.status(),
        StatusCode::NO_CONTENT
    );
    let (status, _, _) = parts(
        call_service(
            &svc,
            get(&admin, &format!("/api/v1/webhooks/{id}")).to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn bad_input_is_refused_naming_the_field_and_nothing_is_stored() {
    let app = app().await;
    let svc = service!(app);
    let (_, admin) = app.bearer(Role::Admin).await;
    let ok_types = json!(["person.created"]);
    let cases = [
        (
            json!({"url": "http://10.1.2.3/hook", "event_types": ok_types}),
            "url",
        ),
        (
            json!({"url": "http://169.254.169.254/latest/meta-data", "event_types": ok_types}),
            "url",
        ),
        (
            json!({"url": "http://[::1]:8080/x", "event_types": ok_types}),
            "url",
        ),
        (
            json!({"url": "ftp://hooks.example.com/x", "event_types": ok_types}),
            "url",
        ),
        (
            json!({"url": "https://user:pw@hooks.example.com/x", "event_types": ok_types}),
            "url",
        ),
        (json!({"url": "not a url", "event_types": ok_types}), "url"),
        (
            json!({"url": format!("https://hooks.example.com/{}", "a".repeat(2_000)), "event_types": ok_types}),
            "url",
        ),
        (
            json!({"url": "https://hooks.example.com/x", "event_types": []}),
            "event_types",
        ),
        (
            json!({"url": "https://hooks.example.com/x", "event_types": ["person.exploded"]}),
            "event_types",
        ),
        // Internal events feed notifications; endpoints cannot subscribe to them.
        (
            json!({"url": "https://hooks.example.com/x", "event_types": ["interaction.assigned"]}),
            "event_types",
        ),
        (
            json!({"url": "https://hooks.example.com/x", "event_types": ok_types, "secret": "whsec_short"}),
            "secret",
        ),
        (
            json!({"url": "https://hooks.example.com/x", "event_types": ok_types, "description": "a\u{0}b"}),
            "description",
        ),
        (
            json!({"url": "https://hooks.example.com/x", "event_types": ok_types, "colour": "red"}),
            "colour",
        ),
    ];
    for (body, field) in cases {
        let (status, _, json) = parts(
            call_service(
                &svc,
                post(&admin, "/api/v1/webhooks", body.clone()).to_request(),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {json}");
        assert_eq!(error_of(&json)["field"], field, "{body}: {json}");
    }
    let n = shared::models::webhook::list(&mut app.db.conn())
        .unwrap()
        .len();
    assert_eq!(n, 0);
    // Loopback is allow-listed in the test settings, so a local receiver is accepted.
    let (status, _, _) = parts(
        call_service(
            &svc,
            post(
                &admin,
                "/api/v1/webhooks",
                json!({"url": "http://127.0.0.1:9/hook", "event_types": ok_types}),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[actix_web::test]
async fn test_deliveries_and_replays_are_queued_once_and_logged() {
    let app = app().await;
    let svc = service!(app);
    let (_, admin) = app.bearer(Role::Admin).await;
    let created = {
        let (_, _, j) = parts(
            call_service(
                &svc,
                post(
                    &admin,
                    "/api/v1/webhooks",
                    json!({"url": "https://hooks.example.com/crm", "event_types": ["job.dead"]}),
                )
                .to_request(),
            )
            .await,
        )
        .await;
        j
    };
    let id = created["endpoint"]["id"].as_i64().unwrap();
    let (status, _, queued) = parts(
        call_service(
            &svc,
            post(&admin, &format!("/api/v1/webhooks/{id}/test"), json!({})).to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    let delivery = queued["delivery_id"].as_i64().unwrap();
    let job = app
        .state
        .queue
        .get(&queued["job_id"].as_str().unwrap().parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (job.job.as_str(), job.queue.as_str()),
        ("webhooks.deliver", "outbound")
    );
    assert_eq!(job.payload["host"], "hooks.example.com");

    let (status, _, shown) = parts(
        call_service(
            &svc,
            get(&admin, &format!("/api/v1/webhooks/deliveries/{delivery}")).to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown["delivery"]["event_type"], "webhook.test");
    assert_eq!(shown["delivery"]["payload"]["type"], "webhook.test");
    assert!(
        shown["delivery"]["message_id"]
            .as_str()
            .unwrap()
            .starts_with("msg_")
    );
    assert_eq!(shown["attempts"], json!([]));

    let (_, _, list) = parts(
        call_service(
            &svc,
            get(&admin, &format!("/api/v1/webhooks/{id}/deliveries?limit=5")).to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (status, _, json) = parts(
        call_service(
            &svc,
            get(&admin, &format!("/api/v1/webhooks/{id}/deliveries?limit=0")).to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, error_of(&json)["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("limit"))
    );

    // Two replay clicks before the job ran: one job.
    let mut jobs = Vec::new();
    for _ in 0..2 {
        let (status, _, r) = parts(
            call_service(
                &svc,
                post(
                    &admin,
                    &format!("/api/v1/webhooks/deliveries/{delivery}/replay"),
                    json!({}),
                )
                .to_request(),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{r}");
        jobs.push(r["job_id"].clone());
    }
    assert_eq!(jobs[0], jobs[1]);
    // A disabled endpoint is not replayed to.
    call_service(
        &svc,
        patch(
            &admin,
            &format!("/api/v1/webhooks/{id}"),
            json!({"active": false}),
        )
        .to_request(),
    )
    .await;
    let (status, _, json) = parts(
        call_service(
            &svc,
            post(
                &admin,
                &format!("/api/v1/webhooks/deliveries/{delivery}/replay"),
                json!({}),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_of(&json)["code"], "endpoint_disabled");
    let (status, _, _) = parts(
        call_service(
            &svc,
            post(
                &admin,
                "/api/v1/webhooks/deliveries/999999/replay",
                json!({}),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn event_types_are_listed_and_events_fetched_by_id() {
    let app = app().await;
    let svc = service!(app);
    let (_, admin) = app.bearer(Role::Admin).await;
    let (_, _, types) = parts(
        call_service(
            &svc,
            get(&admin, "/api/v1/webhooks/event-types").to_request(),
        )
        .await,
    )
    .await;
    let names: Vec<&str> = types
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for expected in [
        "organisation.created",
        "person.updated",
        "interaction.created",
        "suggestion.applied",
        "job.failed",
        "job.dead",
        "rgpd.erased",
    ] {
        assert!(names.contains(&expected), "{expected}");
    }
    let id = shared::models::event::emit(
        &mut app.db.conn(),
        "person.updated",
        &json!({"id": 3, "changed": ["title"]}),
    )
    .unwrap();
    let (status, _, event) = parts(
        call_service(
            &svc,
            get(&admin, &format!("/api/v1/webhooks/events/{id}")).to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(event["data"]["changed"], json!(["title"]));
    let (status, _, _) =
        parts(call_service(&svc, get(&admin, "/api/v1/webhooks/events/0").to_request()).await)
            .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
