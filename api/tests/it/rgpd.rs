//! RGPD endpoints against real Postgres, Redis and Dovecot: every route the OpenAPI document marks as
//! touching personal data writes an access-log entry (the test walks the document); who may ask for an
//! export or an erasure of whom; the signed export link works once.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a panic with its message is the failure report"
)]

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service, read_body};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use serde_json::{Value, json};
use shared::models::UserId;
use shared::models::autofill_suggestion::{
    self as suggestions, EntityType, NewSuggestion, SuggestionAction,
};
use shared::models::rgpd_request::{
    self as requests, NewRgpdRequest, RequestKind, RequestState, SubjectType,
};
use shared::models::user::Role;
use shared::test_utils::Dovecot;

use crate::common::{PASSWORD, TestApp, get, post};

const KEY: &str = "3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b";

async fn app() -> TestApp {
    TestApp::with_env(&[("MAIL_ENCRYPTION_KEY", KEY)]).await
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

fn id(app: &TestApp, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Id>(&mut app.db.conn())
        .unwrap()
        .id
}

fn suggestion(app: &TestApp, owner: UserId, person: i64, field: &str) -> i64 {
    let row = NewSuggestion {
        entity_type: EntityType::Person,
        entity_id: Some(person),
        action: SuggestionAction::SetField,
        field: field.into(),
        value: json!("Directrice"),
        current_value: None,
        confidence: 0.5,
        source: "signature".into(),
        evidence: json!({}),
        interaction_id: None,
        analyzer_version: "test".into(),
        owner_user_id: Some(owner),
        dedupe_key: format!("{person}:{field}:{}", ulid::Ulid::new()),
    };
    suggestions::insert_new(&mut app.db.conn(), &[row]).unwrap()[0]
        .id
        .0
}

/// A finished export of `user`'s own data, its archive stored, its link open `hours`.
fn finished_export(
    app: &TestApp,
    user: UserId,
    file: &str,
    content: &[u8],
    counts: Value,
    hours: i64,
) -> requests::RgpdRequestId {
    let mut c = app.db.conn();
    let export = requests::create(
        &mut c,
        &NewRgpdRequest {
            kind: RequestKind::Export,
            subject_type: SubjectType::User,
            subject_id: user.0,
            requested_by: Some(user),
            state: RequestState::Done,
            reason: None,
            confirmed_at: None,
        },
    )
    .unwrap()
    .id;
    requests::store_export_file(&mut c, export, file, content).unwrap();
    let until = chrono::Utc::now() + chrono::Duration::hours(hours);
    requests::complete(&mut c, export, &counts, Some(until)).unwrap();
    export
}

#[derive(QueryableByName, Debug)]
struct Entry {
    #[diesel(sql_type = Nullable<BigInt>)]
    user_id: Option<i64>,
    #[diesel(sql_type = Text)]
    action: String,
    #[diesel(sql_type = Text)]
    entity_type: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    entity_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    ip_hash: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    request_id: Option<String>,
}

/// The access-log entries of a route (`METHOD /pattern`), after the writer has stored what it holds.
async fn entries(app: &TestApp, route: &str) -> Vec<Entry> {
    app.state.access_log.flush().await;
    diesel::sql_query(
        "SELECT user_id, action, entity_type, entity_id, ip_hash, request_id FROM data_access_logs \
         WHERE route = $1 ORDER BY id",
    )
    .bind::<Text, _>(route)
    .load(&mut app.db.conn())
    .unwrap()
}

/// Calls the service: the status and the JSON body (`Null` when not JSON).
macro_rules! call {
    ($svc:expr, $req:expr) => {{
        let res = call_service(&$svc, $req.to_request()).await;
        let status = res.status();
        let body = read_body(res).await;
        (
            status,
            serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null),
        )
    }};
}

/// One request of the walk: who calls, and which id the path carries.
struct Case {
    req: TestRequest,
    caller: i64,
    path_id: Option<i64>,
}

fn with(bearer: &str, method: &str, uri: &str, body: Option<Value>) -> TestRequest {
    let r = match method {
        "POST" => TestRequest::post(),
        "PATCH" => TestRequest::patch(),
        "DELETE" => TestRequest::delete(),
        _ => TestRequest::get(),
    }
    .uri(uri)
    .insert_header(("Authorization", bearer.to_owned()))
    .insert_header(("User-Agent", "rgpd-walk/1"))
    .peer_addr("198.51.100.7:4000".parse().unwrap());
    match body {
        Some(b) => r.set_json(b),
        None => r,
    }
}

#[actix_web::test]
async fn every_route_marked_personal_in_the_openapi_document_writes_an_access_log_entry() {
    let app = app().await;
    let dovecot = Dovecot::start(&[("alice", PASSWORD)]);
    let svc = service!(app);
    let (admin, admin_b) = app.bearer(Role::Admin).await;
    let (user, user_b) = app.bearer(Role::User).await;
    let (pw_user, pw_b) = app.bearer(Role::User).await;

    // Fixtures: a mailbox of the admin with an analysed email, a person with suggestions, an
    // organisation, a finished export of the user, a self-erasure awaiting the user's confirmation.
    let mailbox = app.mailbox(admin).0;
    let interaction = id(
        &app,
        &format!(
            "INSERT INTO interactions (account_id, folder, message_id, direction, size_bytes) \
             VALUES ({mailbox}, 'INBOX', 'walk@x', 'inbound', 1) RETURNING id"
        ),
    );
    diesel::sql_query(format!(
        "INSERT INTO interaction_analyses (interaction_id, analyzer_version, source, language, intent_label, \
         intent_confidence, signature, signature_found, entities, keywords, duration_ms, cache) VALUES \
         ({interaction}, 't', 'rules', 'fr', 'interest', 0.9, '{{}}', false, '{{}}', '[]', 1, 'disabled')"
    ))
    .execute(&mut app.db.conn())
    .unwrap();
    let person = id(
        &app,
        "INSERT INTO people (first_name, last_name) VALUES ('Ada', 'Walk') RETURNING id",
    );
    let org = id(
        &app,
        "INSERT INTO organisations (name, org_type) VALUES ('Walk SA', 'investor') RETURNING id",
    );
    let s_show = suggestion(&app, admin, person, "title");
    let s_approve = suggestion(&app, admin, person, "linkedin");
    let s_reject = suggestion(&app, admin, person, "phone");
    let s_bulk = suggestion(&app, admin, person, "mobile");
    let export = finished_export(&app, user, "x.zip", b"PK", json!({}), 1);
    let (_, shown) = call!(
        svc,
        get(&user_b, &format!("/api/v1/rgpd/requests/{export}"))
    );
    let download = shown["download_url"]
        .as_str()
        .expect("the requester gets the link")
        .to_owned();
    let (status, opened) = call!(
        svc,
        post(&user_b, "/api/v1/rgpd/erase", json!({"subject": "self"}))
    );
    assert_eq!(status, StatusCode::ACCEPTED, "{opened}");
    let pending = opened["request"]["id"].as_i64().unwrap();
    assert_eq!(opened["request"]["state"], "awaiting_confirmation");

    let account = json!({
        "address": "alice@crm.test", "host": dovecot.host(), "port": dovecot.port(),
        "security": "none", "username": "alice", "secret": PASSWORD,
    });
    let a = admin.0;
    let u = user.0;
    let segment = id(
        &app,
        &format!("INSERT INTO segments (name, owner_id) VALUES ('Walk', {a}) RETURNING id"),
    );
    let template = id(
        &app,
        &format!(
            "INSERT INTO mail_templates (name, subject, html, owner_id) VALUES ('T', 'S', '<p>x</p>', {a}) RETURNING id"
        ),
    );
    let campaign = id(
        &app,
        &format!(
            "INSERT INTO campaigns (name, segment_id, owner_id) VALUES ('Walk', {segment}, {a}) RETURNING id"
        ),
    );
    let _ = template;
    let members = json!({ "person_ids": [person] });
    let cases: Vec<(&str, &str, Case)> = vec![
        (
            "GET",
            "/api/v1/segments/{id}/preview",
            Case {
                req: with(
                    &admin_b,
                    "GET",
                    &format!("/api/v1/segments/{segment}/preview"),
                    None,
                ),
                caller: a,
                path_id: None,
            },
        ),
        (
            "POST",
            "/api/v1/segments/{id}/members",
            Case {
                req: with(
                    &admin_b,
                    "POST",
                    &format!("/api/v1/segments/{segment}/members"),
                    Some(members.clone()),
                ),
                caller: a,
                path_id: None,
            },
        ),
        (
            "DELETE",
            "/api/v1/segments/{id}/members",
            Case {
                req: with(
                    &admin_b,
                    "DELETE",
                    &format!("/api/v1/segments/{segment}/members"),
                    Some(members),
                ),
                caller: a,
                path_id: None,
            },
        ),
        (
            "GET",
            "/api/v1/campaigns/{id}/sends",
            Case {
                req: with(
                    &admin_b,
                    "GET",
                    &format!("/api/v1/campaigns/{campaign}/sends"),
                    None,
                ),
                caller: a,
                path_id: None,
            },
        ),
        (
            "GET",
            "/api/v1/interactions/{id}/analysis",
            Case {
                req: with(
                    &admin_b,
                    "GET",
                    &format!("/api/v1/interactions/{interaction}/analysis"),
                    None,
                ),
                caller: a,
                path_id: Some(interaction),
            },
        ),
        (
            "POST",
            "/api/v1/email-accounts",
            Case {
                req: with(&admin_b, "POST", "/api/v1/email-accounts", Some(account)),
                caller: a,
                path_id: None,
            },
        ),
        (
            "GET",
            "/api/v1/email-accounts",
            Case {
                req: with(&admin_b, "GET", "/api/v1/email-accounts", None),
                caller: a,
                path_id: None,
            },
        ),
        (
            "GET",
            "/api/v1/email-accounts/{id}",
            Case {
                req: with(
                    &admin_b,
                    "GET",
                    &format!("/api/v1/email-accounts/{mailbox}"),
                    None,
                ),
                caller: a,
                path_id: Some(mailbox),
            },
        ),
        (
            "PATCH",
            "/api/v1/email-accounts/{id}",
            Case {
                req: with(
                    &admin_b,
                    "PATCH",
                    &format!("/api/v1/email-accounts/{mailbox}"),
                    Some(json!({"folders": ["INBOX"]})),
                ),
                caller: a,
                path_id: Some(mailbox),
            },
        ),
        (
            "POST",
            "/api/v1/email-accounts/{id}/sync",
            Case {
                req: with(
                    &admin_b,
                    "POST",
                    &format!("/api/v1/email-accounts/{mailbox}/sync"),
                    None,
                ),
                caller: a,
                path_id: Some(mailbox),
            },
        ),
        (
            "GET",
            "/api/v1/autofill/suggestions",
            Case {
                req: with(&admin_b, "GET", "/api/v1/autofill/suggestions", None),
                caller: a,
                path_id: None,
            },
        ),
        (
            "GET",
            "/api/v1/autofill/suggestions/{id}",
            Case {
                req: with(
                    &admin_b,
                    "GET",
                    &format!("/api/v1/autofill/suggestions/{s_show}"),
                    None,
                ),
                caller: a,
                path_id: None,
            },
        ),
        (
            "POST",
            "/api/v1/autofill/suggestions/{id}/approve",
            Case {
                req: with(
                    &admin_b,
                    "POST",
                    &format!("/api/v1/autofill/suggestions/{s_approve}/approve"),
                    Some(json!({})),
                ),
                caller: a,
                path_id: None,
            },
        ),
        (
            "POST",
            "/api/v1/autofill/suggestions/{id}/reject",
            Case {
                req: with(
                    &admin_b,
                    "POST",
                    &format!("/api/v1/autofill/suggestions/{s_reject}/reject"),
                    None,
                ),
                caller: a,
                path_id: None,
            },
        ),
        (
            "POST",
            "/api/v1/autofill/suggestions/bulk",
            Case {
                req: with(
                    &admin_b,
                    "POST",
                    "/api/v1/autofill/suggestions/bulk",
                    Some(json!({"action": "reject", "ids": [s_bulk]})),
                ),
                caller: a,
                path_id: None,
            },
        ),
        (
            "POST",
            "/api/v1/enrichment/organisation",
            Case {
                req: with(
                    &admin_b,
                    "POST",
                    "/api/v1/enrichment/organisation",
                    Some(json!({"organisation_id": org})),
                ),
                caller: a,
                path_id: None,
            },
        ),
        (
            "GET",
            "/api/v1/ai/autofill/suggestions",
            Case {
                req: with(
                    &user_b,
                    "GET",
                    "/api/v1/ai/autofill/suggestions?field_name=city",
                    None,
                ),
                caller: u,
                path_id: None,
            },
        ),
        (
            "POST",
            "/api/v1/ai/learning/track",
            Case {
                req: with(
                    &user_b,
                    "POST",
                    "/api/v1/ai/learning/track",
                    Some(json!({"field_name": "city", "action": "accept", "final_value": "Lyon"})),
                ),
                caller: u,
                path_id: None,
            },
        ),
        (
            "GET",
            "/api/v1/ai/learning/stats",
            Case {
                req: with(&user_b, "GET", "/api/v1/ai/learning/stats", None),
                caller: u,
                path_id: None,
            },
        ),
        (
            "DELETE",
            "/api/v1/ai/learning/preferences",
            Case {
                req: with(&user_b, "DELETE", "/api/v1/ai/learning/preferences", None),
                caller: u,
                path_id: None,
            },
        ),
        (
            "POST",
            "/api/v1/rgpd/export",
            Case {
                req: with(
                    &admin_b,
                    "POST",
                    "/api/v1/rgpd/export",
                    Some(json!({"subject": "person", "person_id": person})),
                ),
                caller: a,
                path_id: None,
            },
        ),
        (
            "POST",
            "/api/v1/rgpd/erase",
            Case {
                req: with(
                    &admin_b,
                    "POST",
                    "/api/v1/rgpd/erase",
                    Some(json!({"subject": "person", "person_id": person})),
                ),
                caller: a,
                path_id: None,
            },
        ),
        (
            "GET",
            "/api/v1/rgpd/requests",
            Case {
                req: with(&admin_b, "GET", "/api/v1/rgpd/requests", None),
                caller: a,
                path_id: None,
            },
        ),
        (
            "GET",
            "/api/v1/rgpd/requests/{id}",
            Case {
                req: with(
                    &admin_b,
                    "GET",
                    &format!("/api/v1/rgpd/requests/{export}"),
                    None,
                ),
                caller: a,
                path_id: None,
            },
        ),
        (
            "POST",
            "/api/v1/rgpd/requests/{id}/confirm",
            Case {
                req: with(
                    &user_b,
                    "POST",
                    &format!("/api/v1/rgpd/requests/{pending}/confirm"),
                    Some(json!({"password": PASSWORD})),
                ),
                caller: u,
                path_id: None,
            },
        ),
        (
            "GET",
            "/api/v1/rgpd/exports/{id}/download",
            Case {
                req: with("", "GET", &download, None),
                caller: 0,
                path_id: None,
            },
        ),
        (
            "GET",
            "/api/v1/rgpd/access-logs",
            Case {
                req: with(&admin_b, "GET", "/api/v1/rgpd/access-logs", None),
                caller: a,
                path_id: None,
            },
        ),
        (
            "GET",
            "/api/v1/rgpd/my-access-logs",
            Case {
                req: with(&user_b, "GET", "/api/v1/rgpd/my-access-logs", None),
                caller: u,
                path_id: None,
            },
        ),
        (
            "DELETE",
            "/api/v1/email-accounts/{id}",
            Case {
                req: with(
                    &admin_b,
                    "DELETE",
                    &format!("/api/v1/email-accounts/{mailbox}"),
                    None,
                ),
                caller: a,
                path_id: Some(mailbox),
            },
        ),
        (
            "POST",
            "/api/v1/auth/password",
            Case {
                req: with(
                    &pw_b,
                    "POST",
                    "/api/v1/auth/password",
                    Some(
                        json!({"current_password": PASSWORD, "new_password": "another long passphrase 42"}),
                    ),
                ),
                caller: pw_user.0,
                path_id: None,
            },
        ),
    ];

    let (_, doc) = call!(svc, TestRequest::get().uri("/api/v1/openapi.json"));
    let mut marked: Vec<(String, String, Value)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if let Some(mark) = op.get("x-access-log") {
                marked.push((method.to_uppercase(), path.clone(), mark.clone()));
            }
        }
    }
    let case_keys: Vec<(String, String)> = cases
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    for (m, p, _) in &marked {
        assert!(
            case_keys.contains(&(m.clone(), p.clone())),
            "{m} {p} touches personal data: add a case to this walk"
        );
    }
    assert_eq!(marked.len(), cases.len(), "every case is a marked route");
    // Every rule of the access log's table under /api/v1 (the dashboard is not in the document) is published.
    for rule in crm_api::access_log::RULES
        .iter()
        .filter(|r| !r.pattern.contains("/dashboard/"))
    {
        assert!(
            marked
                .iter()
                .any(|(m, p, _)| m == rule.method && p == rule.pattern),
            "{} {} is not in the OpenAPI document",
            rule.method,
            rule.pattern
        );
    }

    for (method, pattern, case) in cases {
        let route = format!("{method} {pattern}");
        let (status, body) = call!(svc, case.req);
        assert!(status.is_success(), "{route}: {status} {body}");
        let mark = &marked
            .iter()
            .find(|(m, p, _)| m == method && p == pattern)
            .unwrap()
            .2;
        let got = entries(&app, &route).await;
        assert!(!got.is_empty(), "{route} wrote no access-log entry");
        let e = got.last().unwrap();
        assert_eq!(e.action, mark["action"].as_str().unwrap(), "{route}");
        assert_eq!(
            e.user_id,
            (case.caller != 0).then_some(case.caller),
            "{route}"
        );
        assert!(
            e.ip_hash
                .as_ref()
                .is_some_and(|h| h.len() == 64 && !h.contains("198.51")),
            "{route}"
        );
        assert!(e.request_id.is_some(), "{route}");
        match mark["id"].as_str().unwrap() {
            "path" => assert_eq!(e.entity_id, case.path_id, "{route}"),
            "caller" => assert_eq!(e.entity_id, Some(case.caller), "{route}"),
            "handler" => assert!(
                e.entity_id.is_some(),
                "{route}: the handler names the record"
            ),
            _ => {}
        }
        if mark["id"] != "handler" {
            assert_eq!(e.entity_type, mark["entity"].as_str().unwrap(), "{route}");
        }
    }
    // Handlers name the exact record where the path cannot: the suggestion's person, the request's subject.
    let shown = entries(&app, "GET /api/v1/autofill/suggestions/{id}").await;
    assert_eq!(
        (shown[0].entity_type.as_str(), shown[0].entity_id),
        ("person", Some(person))
    );
    let enriched = entries(&app, "POST /api/v1/enrichment/organisation").await;
    assert_eq!(
        (enriched[0].entity_type.as_str(), enriched[0].entity_id),
        ("organisation", Some(org))
    );
    let downloaded = entries(&app, "GET /api/v1/rgpd/exports/{id}/download").await;
    assert_eq!(
        (downloaded[0].entity_type.as_str(), downloaded[0].entity_id),
        ("user", Some(u))
    );

    // A route without personal data, and a failed request, log nothing.
    let before = id(&app, "SELECT count(*) AS id FROM data_access_logs");
    let (status, _) = call!(svc, get(&admin_b, "/api/v1/jobs/catalogue"));
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call!(svc, get(&admin_b, "/api/v1/email-accounts/999999"));
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.state.access_log.flush().await;
    assert_eq!(
        id(&app, "SELECT count(*) AS id FROM data_access_logs"),
        before
    );
}

#[actix_web::test]
async fn users_ask_for_their_own_data_admins_for_anyone_and_self_erasure_needs_the_password() {
    let app = app().await;
    let svc = service!(app);
    let (_, admin_b) = app.bearer(Role::Admin).await;
    let (other_admin, _) = app.bearer(Role::Admin).await;
    let (user, user_b) = app.bearer(Role::User).await;
    let (_, other_b) = app.bearer(Role::User).await;
    let (viewer, viewer_b) = app.bearer(Role::Viewer).await;
    let person = id(
        &app,
        "INSERT INTO people (first_name, last_name) VALUES ('Rgpd', 'Subject') RETURNING id",
    );

    // Anyone else's data is for admins only.
    for body in [
        json!({"subject": "person", "person_id": person}),
        json!({"subject": "user", "user_id": viewer.0}),
    ] {
        for path in ["/api/v1/rgpd/export", "/api/v1/rgpd/erase"] {
            let (status, b) = call!(svc, post(&user_b, path, body.clone()));
            assert_eq!(status, StatusCode::FORBIDDEN, "{path} {body} {b}");
        }
    }
    let (status, b) = call!(
        svc,
        post(
            &admin_b,
            "/api/v1/rgpd/erase",
            json!({"subject": "person", "person_id": person})
        )
    );
    assert_eq!(status, StatusCode::ACCEPTED, "{b}");
    assert_eq!(b["request"]["state"], "queued");
    assert!(b["request"]["job_id"].is_string());
    assert_eq!(b["duplicate"], false);
    // The same request again returns the open one.
    let (_, again) = call!(
        svc,
        post(
            &admin_b,
            "/api/v1/rgpd/erase",
            json!({"subject": "person", "person_id": person})
        )
    );
    assert_eq!(
        (again["duplicate"].as_bool(), &again["request"]["id"]),
        (Some(true), &b["request"]["id"])
    );
    // Admin accounts are not erased; missing subjects are 404.
    let (status, b) = call!(
        svc,
        post(
            &admin_b,
            "/api/v1/rgpd/erase",
            json!({"subject": "user", "user_id": other_admin.0})
        )
    );
    assert_eq!(
        (status, b["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("admin_account"))
    );
    let (status, _) = call!(
        svc,
        post(
            &admin_b,
            "/api/v1/rgpd/export",
            json!({"subject": "person", "person_id": 987654})
        )
    );
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Malformed bodies are refused naming the field, and store nothing.
    let count = || id(&app, "SELECT count(*) AS id FROM rgpd_requests");
    let stored = count();
    for (body, field) in [
        (json!({"subject": "self", "person_id": 1}), "subject"),
        (json!({"subject": "person"}), "person_id"),
        (json!({"subject": "user", "user_id": -3}), "user_id"),
        (
            json!({"subject": "self", "reason": "x".repeat(501)}),
            "reason",
        ),
        (json!({"subject": "self", "extra": 1}), "extra"),
        (json!({"subject": "everyone"}), "subject"),
    ] {
        let (status, b) = call!(svc, post(&admin_b, "/api/v1/rgpd/export", body.clone()));
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {b}");
        assert_eq!(b["error"]["field"], field, "{body}: {b}");
    }
    assert_eq!(count(), stored);

    // A viewer exports their own data (not a write to the CRM).
    let (status, b) = call!(
        svc,
        post(&viewer_b, "/api/v1/rgpd/export", json!({"subject": "self"}))
    );
    assert_eq!(status, StatusCode::ACCEPTED, "{b}");
    assert_eq!(
        (
            b["request"]["subject_type"].as_str(),
            b["request"]["subject_id"].as_i64()
        ),
        (Some("user"), Some(viewer.0))
    );

    // A user's own erasure: requested, then confirmed with the password by that user only.
    let (status, b) = call!(
        svc,
        post(&user_b, "/api/v1/rgpd/erase", json!({"subject": "self"}))
    );
    assert_eq!(status, StatusCode::ACCEPTED, "{b}");
    assert_eq!(b["request"]["state"], "awaiting_confirmation");
    assert!(
        b["request"]["job_id"].is_null(),
        "nothing runs before the confirmation"
    );
    let rid = b["request"]["id"].as_i64().unwrap();
    let confirm = format!("/api/v1/rgpd/requests/{rid}/confirm");
    let (status, _) = call!(svc, post(&other_b, &confirm, json!({"password": PASSWORD})));
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another user cannot confirm it"
    );
    let (status, _) = call!(svc, post(&admin_b, &confirm, json!({"password": PASSWORD})));
    assert_eq!(status, StatusCode::NOT_FOUND, "nor can an admin");
    let (status, _) = call!(
        svc,
        post(&user_b, &confirm, json!({"password": "not the password"}))
    );
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, b) = call!(svc, post(&user_b, &confirm, json!({"password": PASSWORD})));
    assert_eq!(status, StatusCode::ACCEPTED, "{b}");
    assert_eq!(b["request"]["state"], "queued");
    assert!(b["request"]["job_id"].is_string());
    let (status, b) = call!(svc, post(&user_b, &confirm, json!({"password": PASSWORD})));
    assert_eq!(
        (status, b["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_awaiting_confirmation"))
    );

    // The job re-checks the request's rule when it runs: another user's run of it is refused at enqueue.
    let (status, _) = call!(
        svc,
        post(
            &other_b,
            "/api/v1/jobs",
            json!({"job": "rgpd.erase", "payload": {"request_id": rid}})
        )
    );
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Requests are seen by their requester and admins; access logs by admins.
    let (status, _) = call!(svc, get(&other_b, &format!("/api/v1/rgpd/requests/{rid}")));
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call!(svc, get(&admin_b, &format!("/api/v1/rgpd/requests/{rid}")));
    assert_eq!(status, StatusCode::OK);
    let (_, mine) = call!(svc, get(&user_b, "/api/v1/rgpd/requests"));
    assert!(
        mine.as_array()
            .unwrap()
            .iter()
            .all(|r| r["requested_by"] == user.0)
    );
    let (status, _) = call!(svc, get(&user_b, "/api/v1/rgpd/access-logs"));
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call!(
        svc,
        get(&admin_b, "/api/v1/rgpd/access-logs?entity_type=martian")
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    app.state.access_log.flush().await;
    let (status, logs) = call!(svc, get(&user_b, "/api/v1/rgpd/my-access-logs"));
    assert_eq!(status, StatusCode::OK);
    assert!(
        logs["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "anonymise" && e["entity_id"] == user.0),
        "{logs}"
    );
}

#[actix_web::test]
async fn an_export_downloads_once_through_its_signed_link() {
    let app = app().await;
    let svc = service!(app);
    let (user, user_b) = app.bearer(Role::User).await;
    let (_, other_b) = app.bearer(Role::User).await;
    let export = finished_export(
        &app,
        user,
        "rgpd-export.zip",
        b"PK\x03\x04zip",
        json!({"users": 1}),
        24,
    );
    let (_, other_view) = call!(
        svc,
        get(&other_b, &format!("/api/v1/rgpd/requests/{export}"))
    );
    assert!(other_view["download_url"].is_null(), "{other_view}");
    let (_, shown) = call!(
        svc,
        get(&user_b, &format!("/api/v1/rgpd/requests/{export}"))
    );
    let link = shown["download_url"].as_str().unwrap().to_owned();

    let last = if link.ends_with('0') { '1' } else { '0' };
    let tampered = format!("{}{last}", &link[..link.len() - 1]);
    let (status, _) = call!(svc, TestRequest::get().uri(&tampered));
    assert_eq!(status, StatusCode::FORBIDDEN);
    let res = call_service(&svc, TestRequest::get().uri(&link).to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers().get("content-type").unwrap(),
        "application/zip"
    );
    assert_eq!(read_body(res).await.as_ref(), b"PK\x03\x04zip");
    let (status, b) = call!(svc, TestRequest::get().uri(&link));
    assert_eq!(
        (status, b["error"]["code"].as_str()),
        (StatusCode::GONE, Some("already_downloaded"))
    );
    let (_, after) = call!(
        svc,
        get(&user_b, &format!("/api/v1/rgpd/requests/{export}"))
    );
    assert!(after["download_url"].is_null());
    assert!(after["downloaded_at"].is_string());
    assert_eq!(
        id(&app, "SELECT count(*) AS id FROM rgpd_export_files"),
        0,
        "the archive is gone"
    );
}
