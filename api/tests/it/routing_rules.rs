//! Routing rules through the API: admins only; every field validated with a named 400; references
//! checked; create, replace and delete audited; the dry run tells which rule routes a stored email.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service};
use common::{TestApp, error_of, parts};
use serde_json::{Value, json};
use shared::models::interaction::{self, NewInteraction};
use shared::models::user::Role;

fn req(method: &str, bearer: &str, uri: &str, body: Option<Value>) -> TestRequest {
    let r = match method {
        "GET" => TestRequest::get(),
        "POST" => TestRequest::post(),
        "PUT" => TestRequest::put(),
        "DELETE" => TestRequest::delete(),
        other => panic!("{other}"),
    }
    .uri(uri)
    .insert_header(("Authorization", bearer.to_owned()));
    match body {
        Some(b) => r.set_json(b),
        None => r,
    }
}

fn email(app: &TestApp, from: &str, subject: &str) -> i64 {
    let row = NewInteraction::inbound(from, subject, "Bonjour");
    interaction::insert_new(&mut app.db.conn(), &[row]).unwrap()[0]
        .0
        .0
}

#[actix_web::test]
async fn admins_manage_rules_and_everyone_else_is_refused() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, admin) = app.bearer(Role::Admin).await;
    let (_, manager) = app.bearer(Role::Manager).await;
    let (sales, _) = app.bearer(Role::User).await;
    let rule = json!({ "name": "Amundi", "priority": 10, "sender_pattern": "*@Amundi.com", "keywords": ["Souscription"], "assign_user_id": sales.0 });
    for (method, uri) in [
        ("GET", "/api/v1/routing-rules"),
        ("POST", "/api/v1/routing-rules"),
    ] {
        let (status, _, _) = parts(
            call_service(
                &svc,
                req(method, &manager, uri, Some(rule.clone())).to_request(),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {uri}");
    }
    let (status, _, created) = parts(
        call_service(
            &svc,
            req("POST", &admin, "/api/v1/routing-rules", Some(rule.clone())).to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["sender_pattern"], "*@amundi.com");
    let id = created["id"].as_i64().unwrap();
    let mut changed = rule.clone();
    changed["priority"] = json!(5);
    changed["active"] = json!(false);
    let (status, _, body) = parts(
        call_service(
            &svc,
            req(
                "PUT",
                &admin,
                &format!("/api/v1/routing-rules/{id}"),
                Some(changed),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["priority"].as_i64(), body["active"].as_bool()),
        (Some(5), Some(false))
    );
    let (_, _, list) = parts(
        call_service(
            &svc,
            req("GET", &admin, "/api/v1/routing-rules", None).to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (status, _, _) = parts(
        call_service(
            &svc,
            req(
                "DELETE",
                &admin,
                &format!("/api/v1/routing-rules/{id}"),
                None,
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = parts(
        call_service(
            &svc,
            req("GET", &admin, &format!("/api/v1/routing-rules/{id}"), None).to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let entries = shared::models::audit::list_for_target(
        &mut app.db.conn(),
        "routing_rule",
        &id.to_string(),
        10,
    )
    .unwrap();
    let mut actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    actions.sort_unstable();
    assert_eq!(
        actions,
        [
            "routing_rule.create",
            "routing_rule.delete",
            "routing_rule.update"
        ]
    );

    let base = json!({ "name": "r", "assign_user_id": sales.0 });
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let cases = [
        (with("name", json!("")), "name"),
        (with("priority", json!(10_001)), "priority"),
        (with("intent", json!("love_letter")), "intent"),
        (with("sender_pattern", json!("*")), "sender_pattern"),
        (with("sender_pattern", json!("a b@x.fr")), "sender_pattern"),
        (with("keywords", json!(vec!["k"; 21])), "keywords"),
        (with("keywords", json!(["x".repeat(101)])), "keywords"),
        (with("assign_user_id", json!(999_999)), "assign_user_id"),
        (json!({ "name": "r" }), "assign_user_id"),
        (with("assign_team_id", json!(999_999)), "assign_team_id"),
        (with("account_id", json!(999_999)), "account_id"),
        (with("bogus", json!(1)), "bogus"),
    ];
    for (body, field) in cases {
        let (status, _, answer) = parts(
            call_service(
                &svc,
                req("POST", &admin, "/api/v1/routing-rules", Some(body.clone())).to_request(),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(error_of(&answer)["field"], field, "{body}");
    }
}

#[actix_web::test]
async fn the_dry_run_names_the_first_matching_rule_and_writes_nothing() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, admin) = app.bearer(Role::Admin).await;
    let (sales, _) = app.bearer(Role::User).await;
    let (desk, _) = app.bearer(Role::User).await;
    for (name, priority, body) in [
        (
            "domain",
            20,
            json!({ "sender_pattern": "amundi.com", "assign_user_id": sales.0 }),
        ),
        (
            "réclamations",
            10,
            json!({ "keywords": ["reclamation"], "assign_user_id": desk.0 }),
        ),
    ] {
        let mut b = body;
        b["name"] = json!(name);
        b["priority"] = json!(priority);
        let (status, _, answer) = parts(
            call_service(
                &svc,
                req("POST", &admin, "/api/v1/routing-rules", Some(b)).to_request(),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    let plain = email(&app, "j@mail.amundi.com", "Point trimestriel");
    let complaint = email(&app, "j@amundi.com", "Réclamation sur le reporting");
    let test = |id: i64, rule: Option<Value>| {
        let mut body = json!({ "interaction_id": id });
        if let Some(r) = rule {
            body["rule"] = r;
        }
        req("POST", &admin, "/api/v1/routing-rules/test", Some(body)).to_request()
    };
    let (status, _, body) = parts(call_service(&svc, test(plain, None)).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["matched_rule"]["name"], "domain");
    assert!(body["rule_matches"].is_null());
    let (_, _, body) = parts(call_service(&svc, test(complaint, Some(json!({ "name": "x", "sender_pattern": "*@other.fr", "assign_user_id": sales.0 })))).await).await;
    assert_eq!(body["matched_rule"]["name"], "réclamations");
    assert_eq!(body["matched_rule"]["assign_user_id"], desk.0);
    assert_eq!(body["rule_matches"], false);
    let (status, _, _) = parts(call_service(&svc, test(999_999, None)).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, answer) =
        parts(call_service(&svc, test(plain, Some(json!({ "name": "x" })))).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&answer)["field"], "assign_user_id");
    let assigned: Option<shared::models::UserId> = {
        use diesel::prelude::*;
        shared::schema::interactions::table
            .find(plain)
            .select(shared::schema::interactions::assigned_user_id)
            .first(&mut app.db.conn())
            .unwrap()
    };
    assert_eq!(assigned, None, "a dry run writes nothing");
}
