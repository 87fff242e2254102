//! Campaign mail through the API: templates, segments and campaigns follow their owner (viewers read,
//! other users read, owners, managers and admins change), the suppression list is the admins'; every
//! invalid field is a 400 naming it; the campaign state machine with its 409s (one of two concurrent
//! pauses wins); segment previews; and the public endpoints messages point to: the unsubscribe page and
//! one-click unsubscription, the click redirect (no open redirect), the open pixel and SendGrid's signed
//! event webhook. Send records are inserted in SQL, as the workers would make them.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use actix_web::http::{Method, StatusCode};
use actix_web::test::{TestRequest, call_service};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{TestApp, error_of, get, parts, post};
use crm_campaigns::feedback::address_hash;
use crm_campaigns::links::Links;
use diesel::RunQueryDsl;
use diesel::sql_types::{BigInt, Text};
use serde_json::{Value, json};
use shared::models::campaign::CampaignSendId;
use shared::models::user::Role;

const PUBLIC_URL: &str = "https://crm.example.test";

/// A request with a bearer token and an optional JSON body.
fn call(method: Method, bearer: &str, uri: &str, body: Option<Value>) -> TestRequest {
    let req = TestRequest::default()
        .method(method)
        .uri(uri)
        .insert_header(("Authorization", bearer.to_owned()));
    match body {
        Some(b) => req.set_json(b),
        None => req,
    }
}

macro_rules! send {
    ($svc:expr, $req:expr) => {
        parts(call_service(&$svc, $req.to_request()).await).await
    };
}

#[derive(diesel::QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(diesel::QueryableByName)]
struct Words {
    #[diesel(sql_type = Text)]
    a: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    b: Option<String>,
}

fn insert(app: &TestApp, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Id>(&mut app.db.conn())
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .id
}

fn count(app: &TestApp, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(&mut app.db.conn())
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

fn words(app: &TestApp, sql: &str) -> (String, Option<String>) {
    let w = diesel::sql_query(sql)
        .get_result::<Words>(&mut app.db.conn())
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    (w.a, w.b)
}

fn person(app: &TestApp, email: Option<&str>) -> i64 {
    let email = email.map_or("NULL".to_owned(), |e| format!("'{e}'"));
    insert(
        app,
        &format!(
            "INSERT INTO people (first_name, last_name, email) VALUES ('Ada', 'Test', {email}) RETURNING id"
        ),
    )
}

fn organisation(app: &TestApp, org_type: &str, city: &str) -> i64 {
    insert(
        app,
        &format!(
            "INSERT INTO organisations (name, org_type, city) VALUES ('Org {city}', '{org_type}', '{city}') RETURNING id"
        ),
    )
}

fn link(app: &TestApp, person: i64, org: i64) {
    insert(
        app,
        &format!(
            "INSERT INTO person_organisation_links (person_id, organisation_id, is_primary) VALUES ({person}, {org}, true) RETURNING id"
        ),
    );
}

/// A send record of `campaign` to `person` at `address`, sent `sent_secs_ago` seconds ago, with its
/// recipient row.
fn sent(
    app: &TestApp,
    campaign: i64,
    person: i64,
    address: &str,
    sent_secs_ago: i64,
) -> CampaignSendId {
    let hash = address_hash(&app.state.config.common.rgpd.hasher, address);
    insert(
        app,
        &format!(
            "INSERT INTO campaign_recipients (campaign_id, person_id, variant) VALUES ({campaign}, {person}, 'a') \
             ON CONFLICT DO NOTHING RETURNING campaign_id AS id"
        ),
    );
    CampaignSendId(insert(
        app,
        &format!(
            "INSERT INTO campaign_sends (campaign_id, person_id, step, variant, status, due_at, sent_at, message_id, address_hash) \
             VALUES ({campaign}, {person}, 1, 'a', 'sent', now(), now() - interval '{sent_secs_ago} seconds', \
             '{}@crm.example.test', '{hash}') RETURNING id",
            ulid::Ulid::new()
        ),
    ))
}

fn links(app: &TestApp) -> Links {
    Links::new(
        &url::Url::parse(PUBLIC_URL).unwrap(),
        app.state.config.common.rgpd.hasher.clone(),
    )
}

fn template_body() -> Value {
    json!({
        "name": "Welcome",
        "subject": "Bonjour {{ person.first_name }}",
        "html": "<p>Hello {{ person.first_name }} of {{ organisation.name }}</p><a href=\"{{ unsubscribe_url }}\">unsubscribe</a>",
    })
}

/// Creates a template, a segment and a draft campaign of two steps as `$bearer`; their ids.
macro_rules! draft {
    ($svc:expr, $bearer:expr) => {{
        let bearer: &str = $bearer;
        let (status, _, t) = send!($svc, post(bearer, "/api/v1/mail-templates", template_body()));
        assert_eq!(status, StatusCode::CREATED, "{t}");
        let (status, _, s) = send!(
            $svc,
            post(bearer, "/api/v1/segments", json!({"name": "Everyone", "filters": {}}))
        );
        assert_eq!(status, StatusCode::CREATED, "{s}");
        let (t, s) = (t["id"].as_i64().unwrap(), s["id"].as_i64().unwrap());
        let (status, _, c) = send!(
            $svc,
            post(
                bearer,
                "/api/v1/campaigns",
                json!({"name": "Spring", "segment_id": s, "steps": [
                    {"template_id": t, "delay_hours": 0},
                    {"template_id": t, "delay_hours": 72, "subject_b": "Re: {{ campaign.name }}"},
                ]}),
            )
        );
        assert_eq!(status, StatusCode::CREATED, "{c}");
        assert_eq!(c["status"], "draft");
        assert_eq!(c["steps"].as_array().unwrap().len(), 2);
        assert_eq!(c["tracking"], true);
        (t, s, c["id"].as_i64().unwrap())
    }};
}

fn campaign_body(segment: i64, template: i64, name: &str) -> Value {
    json!({"name": name, "segment_id": segment, "steps": [{"template_id": template, "delay_hours": 0}]})
}

#[actix_web::test]
async fn owners_managers_and_admins_change_others_read_and_viewers_never_write() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, owner) = app.bearer(Role::User).await;
    let (_, other) = app.bearer(Role::User).await;
    let (_, viewer) = app.bearer(Role::Viewer).await;
    let (_, manager) = app.bearer(Role::Manager).await;
    let (_, admin) = app.bearer(Role::Admin).await;
    let (t, s, c) = draft!(svc, &owner);

    // Everyone signed in reads.
    for bearer in [&viewer, &other] {
        for uri in [
            "/api/v1/campaigns".to_owned(),
            format!("/api/v1/campaigns/{c}"),
            format!("/api/v1/campaigns/{c}/report"),
            format!("/api/v1/campaigns/{c}/sends"),
            "/api/v1/mail-templates".to_owned(),
            format!("/api/v1/mail-templates/{t}"),
            "/api/v1/segments".to_owned(),
            format!("/api/v1/segments/{s}"),
            format!("/api/v1/segments/{s}/preview"),
        ] {
            let (status, _, body) = send!(svc, get(bearer, &uri));
            assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        }
    }
    let (status, _, body) = send!(svc, get(&viewer, "/api/v1/campaigns"));
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body[0]["id"], c);

    // A viewer writes nothing, not even their own.
    for (method, uri, body) in [
        (
            Method::POST,
            "/api/v1/campaigns".to_owned(),
            Some(campaign_body(s, t, "x")),
        ),
        (
            Method::POST,
            "/api/v1/mail-templates".to_owned(),
            Some(template_body()),
        ),
        (
            Method::POST,
            "/api/v1/segments".to_owned(),
            Some(json!({"name": "x"})),
        ),
        (
            Method::PUT,
            format!("/api/v1/campaigns/{c}"),
            Some(campaign_body(s, t, "x")),
        ),
        (Method::POST, format!("/api/v1/campaigns/{c}/cancel"), None),
        (Method::DELETE, format!("/api/v1/mail-templates/{t}"), None),
    ] {
        let (status, _, b) = send!(svc, call(method.clone(), &viewer, &uri, body));
        assert_eq!(status, StatusCode::FORBIDDEN, "viewer {method} {uri}: {b}");
    }

    // Another user reads but does not change the owner's.
    for (method, uri, body) in [
        (
            Method::PUT,
            format!("/api/v1/campaigns/{c}"),
            Some(campaign_body(s, t, "x")),
        ),
        (Method::POST, format!("/api/v1/campaigns/{c}/cancel"), None),
        (Method::DELETE, format!("/api/v1/campaigns/{c}"), None),
        (
            Method::PUT,
            format!("/api/v1/mail-templates/{t}"),
            Some(template_body()),
        ),
        (Method::DELETE, format!("/api/v1/mail-templates/{t}"), None),
        (
            Method::PUT,
            format!("/api/v1/segments/{s}"),
            Some(json!({"name": "x"})),
        ),
        (
            Method::POST,
            format!("/api/v1/segments/{s}/members"),
            Some(json!({"person_ids": [1]})),
        ),
        (Method::DELETE, format!("/api/v1/segments/{s}"), None),
    ] {
        let (status, _, b) = send!(svc, call(method.clone(), &other, &uri, body));
        assert_eq!(status, StatusCode::FORBIDDEN, "other {method} {uri}: {b}");
        assert_eq!(error_of(&b)["code"], "forbidden");
    }
    // What does not exist is a 404, not a 403.
    let (status, _, _) = send!(
        svc,
        call(
            Method::PUT,
            &other,
            "/api/v1/campaigns/999999",
            Some(campaign_body(s, t, "x"))
        )
    );
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Managers and admins change anyone's.
    for (bearer, name) in [(&manager, "by manager"), (&admin, "by admin")] {
        let (status, _, b) = send!(
            svc,
            call(
                Method::PUT,
                bearer,
                &format!("/api/v1/campaigns/{c}"),
                Some(campaign_body(s, t, name))
            )
        );
        assert_eq!(status, StatusCode::OK, "{b}");
        assert_eq!(b["name"], name);
        assert_eq!(b["steps"].as_array().unwrap().len(), 1);
    }
    let (status, _, b) = send!(
        svc,
        call(
            Method::PUT,
            &manager,
            &format!("/api/v1/segments/{s}"),
            Some(json!({"name": "Renamed", "filters": {"cities": ["Lyon"]}}))
        )
    );
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["filters"]["cities"], json!(["Lyon"]));

    // A template or segment in use is not deleted; the campaign's owner deletes the draft, then they go.
    let (status, _, b) = send!(
        svc,
        call(
            Method::DELETE,
            &owner,
            &format!("/api/v1/mail-templates/{t}"),
            None
        )
    );
    assert_eq!(status, StatusCode::CONFLICT, "{b}");
    assert_eq!(error_of(&b)["code"], "in_use");
    let (status, _, _) = send!(
        svc,
        call(
            Method::DELETE,
            &owner,
            &format!("/api/v1/segments/{s}"),
            None
        )
    );
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _, _) = send!(
        svc,
        call(
            Method::DELETE,
            &owner,
            &format!("/api/v1/campaigns/{c}"),
            None
        )
    );
    assert_eq!(status, StatusCode::NO_CONTENT);
    for uri in [
        format!("/api/v1/mail-templates/{t}"),
        format!("/api/v1/segments/{s}"),
    ] {
        let (status, _, _) = send!(svc, call(Method::DELETE, &admin, &uri, None));
        assert_eq!(status, StatusCode::NO_CONTENT, "{uri}");
        let (status, _, _) = send!(svc, get(&owner, &uri));
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
    }
}

#[actix_web::test]
async fn the_suppression_list_is_the_admins_and_keeps_only_hashes() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, admin) = app.bearer(Role::Admin).await;
    let address = json!({"address": "Jane.Doe@Example.fr"});
    for role in [Role::Viewer, Role::User, Role::Manager] {
        let (_, bearer) = app.bearer(role).await;
        for (method, uri, body) in [
            (Method::GET, "/api/v1/suppressions/summary", None),
            (
                Method::POST,
                "/api/v1/suppressions",
                Some(json!({"address": "a@b.fr", "reason": "manual"})),
            ),
            (
                Method::DELETE,
                "/api/v1/suppressions",
                Some(address.clone()),
            ),
            (
                Method::POST,
                "/api/v1/suppressions/check",
                Some(address.clone()),
            ),
        ] {
            let (status, _, b) = send!(svc, call(method.clone(), &bearer, uri, body));
            assert_eq!(status, StatusCode::FORBIDDEN, "{role} {method} {uri}: {b}");
        }
    }

    let (status, _, b) = send!(
        svc,
        post(&admin, "/api/v1/suppressions/check", address.clone())
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(b, json!({"suppressed": false}));
    let (status, _, b) = send!(
        svc,
        post(
            &admin,
            "/api/v1/suppressions",
            json!({"address": " jane.doe@example.FR ", "reason": "manual"})
        )
    );
    assert_eq!(status, StatusCode::CREATED, "{b}");
    assert_eq!(b, json!({"created": true, "reason": "manual"}));
    let (status, _, b) = send!(
        svc,
        post(
            &admin,
            "/api/v1/suppressions",
            json!({"address": "jane.doe@example.fr", "reason": "manual"})
        )
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(b["created"], false);
    // Only the keyed hash is stored.
    let hash = address_hash(&app.state.config.common.rgpd.hasher, "jane.doe@example.fr");
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM email_suppressions WHERE address_hash = '{hash}' AND source = 'admin'"
            )
        ),
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM email_suppressions WHERE address_hash LIKE '%@%'"
        ),
        0
    );
    let (_, _, b) = send!(
        svc,
        post(&admin, "/api/v1/suppressions/check", address.clone())
    );
    assert_eq!(b, json!({"suppressed": true, "reason": "manual"}));
    let (_, _, b) = send!(svc, get(&admin, "/api/v1/suppressions/summary"));
    assert_eq!(b["manual"], 1);
    assert_eq!(b["total"], 1);

    for bad in [
        json!({"address": "nobody", "reason": "manual"}),
        json!({"address": "a@b.fr", "reason": "complaint"}),
    ] {
        let (status, _, b) = send!(svc, post(&admin, "/api/v1/suppressions", bad));
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b}");
        assert!(
            ["address", "reason"].contains(&error_of(&b)["field"].as_str().unwrap()),
            "{b}"
        );
        assert!(
            !b.to_string().contains("nobody"),
            "the address is not echoed: {b}"
        );
    }

    let (status, _, _) = send!(
        svc,
        call(
            Method::DELETE,
            &admin,
            "/api/v1/suppressions",
            Some(address.clone())
        )
    );
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = send!(
        svc,
        call(
            Method::DELETE,
            &admin,
            "/api/v1/suppressions",
            Some(address.clone())
        )
    );
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, _, b) = send!(svc, post(&admin, "/api/v1/suppressions/check", address));
    assert_eq!(b["suppressed"], false);
}

#[actix_web::test]
async fn invalid_fields_are_400s_naming_them() {
    let app = TestApp::with_env(&[("API_MAX_BODY_BYTES", "262144")]).await;
    let svc = service!(app);
    let (_, user) = app.bearer(Role::User).await;
    let (t, s, _) = draft!(svc, &user);
    let p = person(&app, Some("p@example.test"));

    let mut cases: Vec<(&str, Value, &str)> = vec![
        (
            "/api/v1/mail-templates",
            json!({"name": "x", "subject": "Hi", "html": "<p>{{ person.first_name </p>"}),
            "html",
        ),
        (
            "/api/v1/mail-templates",
            json!({"name": "x", "subject": "Hi {{ person.age }}", "html": "<p>x</p>"}),
            "subject",
        ),
        (
            "/api/v1/mail-templates",
            json!({"name": "x", "subject": "Hi", "html": "<p>x</p>", "text": "{% include 'x' %}"}),
            "text",
        ),
        (
            "/api/v1/mail-templates",
            json!({"name": "", "subject": "Hi", "html": "<p>x</p>"}),
            "name",
        ),
        (
            "/api/v1/segments",
            json!({"name": "x", "filters": {"colour": ["red"]}}),
            "filters.colour",
        ),
        (
            "/api/v1/segments",
            json!({"name": "x", "filters": {"org_types": ["bank"]}}),
            "filters.org_types[0]",
        ),
        (
            "/api/v1/segments",
            json!({"name": "x", "filters": {"cities": [" "]}}),
            "filters.cities",
        ),
        (
            "/api/v1/segments",
            json!({"name": "x", "person_ids": [p, 999_999]}),
            "person_ids[1]",
        ),
        (
            "/api/v1/campaigns",
            json!({"name": "x", "segment_id": s, "steps": []}),
            "steps",
        ),
        (
            "/api/v1/campaigns",
            json!({"name": "x", "segment_id": s, "steps": [{"template_id": t, "delay_hours": 5}]}),
            "steps[0].delay_hours",
        ),
        (
            "/api/v1/campaigns",
            json!({"name": "x", "segment_id": s, "steps": [{"template_id": t, "delay_hours": 0}, {"template_id": t, "delay_hours": 9000}]}),
            "steps[1].delay_hours",
        ),
        (
            "/api/v1/campaigns",
            json!({"name": "x", "segment_id": s, "steps": [{"template_id": 999_999, "delay_hours": 0}]}),
            "steps[0].template_id",
        ),
        (
            "/api/v1/campaigns",
            json!({"name": "x", "segment_id": 999_999, "steps": [{"template_id": t, "delay_hours": 0}]}),
            "segment_id",
        ),
        (
            "/api/v1/campaigns",
            json!({"name": "x", "segment_id": s, "steps": [{"template_id": t, "delay_hours": 0, "subject_b": "{{ nope }}"}]}),
            "steps[0].subject_b",
        ),
        (
            "/api/v1/campaigns",
            json!({"name": "x", "segment_id": s, "steps": [{"template_id": t, "delay_hours": 0, "bogus": 1}]}),
            "steps[0].bogus",
        ),
    ];
    let many: Vec<Value> = (0..21)
        .map(|i| json!({"template_id": t, "delay_hours": if i == 0 { 0 } else { 1 }}))
        .collect();
    cases.push((
        "/api/v1/campaigns",
        json!({"name": "x", "segment_id": s, "steps": many}),
        "steps",
    ));
    for (uri, body, field) in cases {
        let (status, _, b) = send!(svc, post(&user, uri, body.clone()));
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri} {body}: {b}");
        assert_eq!(error_of(&b)["field"], field, "{uri} {body}: {b}");
    }
    // Nothing was created by the refused requests.
    assert_eq!(count(&app, "SELECT count(*) AS n FROM campaigns"), 1);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM segments"), 1);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM mail_templates"), 1);

    // The preview renders the sample values, never a real person's.
    let (status, _, b) = send!(
        svc,
        post(
            &user,
            &format!("/api/v1/mail-templates/{t}/preview"),
            json!({})
        )
    );
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["subject"], "Bonjour Ada");
    assert!(
        b["html"]
            .as_str()
            .unwrap()
            .contains("Analytical Engines Ltd"),
        "{b}"
    );
    assert!(b["text"].as_str().unwrap().contains("Hello Ada"), "{b}");
}

#[actix_web::test]
async fn a_campaign_is_not_scheduled_without_a_public_url() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, user) = app.bearer(Role::User).await;
    let (_, _, c) = draft!(svc, &user);
    let (status, _, b) = send!(
        svc,
        call(
            Method::POST,
            &user,
            &format!("/api/v1/campaigns/{c}/schedule"),
            None
        )
    );
    assert_eq!(status, StatusCode::CONFLICT, "{b}");
    assert_eq!(error_of(&b)["code"], "not_configured");
    assert!(
        error_of(&b)["message"]
            .as_str()
            .unwrap()
            .contains("API_PUBLIC_URL")
    );
    let (_, _, b) = send!(svc, get(&user, &format!("/api/v1/campaigns/{c}")));
    assert_eq!(b["status"], "draft");
}

#[actix_web::test]
async fn the_state_machine_moves_only_along_its_edges() {
    let app = TestApp::with_env(&[("API_PUBLIC_URL", PUBLIC_URL)]).await;
    let svc = service!(app);
    let (_, user) = app.bearer(Role::User).await;
    let (t, s, c) = draft!(svc, &user);
    let action = |verb: &str| format!("/api/v1/campaigns/{c}/{verb}");

    // A year ahead at most.
    let (status, _, b) = send!(
        svc,
        post(
            &user,
            &action("schedule"),
            json!({"at": "2999-01-01T00:00:00Z"})
        )
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&b)["field"], "at");
    let at = (chrono::Utc::now() + chrono::TimeDelta::days(2)).to_rfc3339();
    let (status, _, b) = send!(svc, post(&user, &action("schedule"), json!({"at": at})));
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "scheduled");
    assert!(b["scheduled_at"].is_string());

    // Once scheduled: not scheduled again, not edited, not deleted; the 409 names the status.
    for (method, uri, body) in [
        (Method::POST, action("schedule"), None),
        (Method::POST, action("resume"), None),
        (
            Method::PUT,
            format!("/api/v1/campaigns/{c}"),
            Some(campaign_body(s, t, "late")),
        ),
        (Method::DELETE, format!("/api/v1/campaigns/{c}"), None),
    ] {
        let (status, _, b) = send!(svc, call(method.clone(), &user, &uri, body));
        assert_eq!(status, StatusCode::CONFLICT, "{method} {uri}: {b}");
        assert_eq!(error_of(&b)["code"], "campaign_state");
        assert!(
            error_of(&b)["message"]
                .as_str()
                .unwrap()
                .contains("is scheduled"),
            "{b}"
        );
    }

    // Two pauses at once: exactly one wins.
    let (a, b) = futures::join!(
        call_service(
            &svc,
            call(Method::POST, &user, &action("pause"), None).to_request()
        ),
        call_service(
            &svc,
            call(Method::POST, &user, &action("pause"), None).to_request()
        ),
    );
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    let (_, _, b) = send!(svc, get(&user, &format!("/api/v1/campaigns/{c}")));
    assert_eq!(b["status"], "paused");
    assert!(b["paused_at"].is_string());

    // Not launched yet: resuming schedules it again.
    let (status, _, b) = send!(svc, call(Method::POST, &user, &action("resume"), None));
    assert_eq!(status, StatusCode::OK);
    assert_eq!(b["status"], "scheduled");
    assert!(b["paused_at"].is_null());

    // Launched (as the tick does), paused, resumed: sending again.
    insert(
        &app,
        &format!(
            "UPDATE campaigns SET status = 'sending', launched_at = now() WHERE id = {c} RETURNING id"
        ),
    );
    let p = person(&app, Some("r@example.test"));
    let q = person(&app, Some("s@example.test"));
    sent(&app, c, p, "r@example.test", 3600);
    insert(
        &app,
        &format!(
            "INSERT INTO campaign_recipients (campaign_id, person_id, variant) VALUES ({c}, {q}, 'a') RETURNING campaign_id AS id"
        ),
    );
    insert(
        &app,
        &format!(
            "INSERT INTO campaign_sends (campaign_id, person_id, step, variant, due_at, message_id) \
             VALUES ({c}, {q}, 1, 'a', now(), 'pending-1@crm.example.test') RETURNING id"
        ),
    );
    let (status, _, b) = send!(svc, call(Method::POST, &user, &action("pause"), None));
    assert_eq!(
        (status, b["status"].as_str()),
        (StatusCode::OK, Some("paused"))
    );
    let (status, _, b) = send!(svc, call(Method::POST, &user, &action("resume"), None));
    assert_eq!(
        (status, b["status"].as_str()),
        (StatusCode::OK, Some("sending"))
    );

    // Cancelled: pending sends are skipped, the sent one stays; then nothing but deletion.
    let (status, _, b) = send!(svc, call(Method::POST, &user, &action("cancel"), None));
    assert_eq!(
        (status, b["status"].as_str()),
        (StatusCode::OK, Some("cancelled"))
    );
    assert_eq!(
        words(
            &app,
            &format!(
                "SELECT status AS a, skip_reason AS b FROM campaign_sends WHERE person_id = {q}"
            )
        ),
        ("skipped".to_owned(), Some("cancelled".to_owned()))
    );
    let (_, _, sends) = send!(
        svc,
        get(&user, &format!("/api/v1/campaigns/{c}/sends?status=sent"))
    );
    assert_eq!(sends.as_array().unwrap().len(), 1);
    assert!(
        sends[0].get("address_hash").is_none() && sends[0].get("message_id").is_none(),
        "{sends}"
    );
    let (_, _, report) = send!(svc, get(&user, &format!("/api/v1/campaigns/{c}/report")));
    let row = &report["rows"][0];
    assert_eq!(
        (row["step"].as_i64(), row["variant"].as_str()),
        (Some(1), Some("a"))
    );
    assert_eq!(
        (row["sent"].as_i64(), row["skipped"].as_i64()),
        (Some(1), Some(1))
    );
    for verb in ["cancel", "pause", "resume", "schedule"] {
        let (status, _, b) = send!(svc, call(Method::POST, &user, &action(verb), None));
        assert_eq!(status, StatusCode::CONFLICT, "{verb}: {b}");
        assert!(
            error_of(&b)["message"]
                .as_str()
                .unwrap()
                .contains("is cancelled"),
            "{b}"
        );
    }
    let (status, _, _) = send!(
        svc,
        call(
            Method::DELETE,
            &user,
            &format!("/api/v1/campaigns/{c}"),
            None
        )
    );
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = send!(svc, call(Method::POST, &user, &action("pause"), None));
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn previews_count_who_a_segment_reaches() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, user) = app.bearer(Role::User).await;
    let paris = organisation(&app, "investor", "Paris");
    let lyon = organisation(&app, "distributor", "Lyon");
    let investor = person(&app, Some("investor@example.test"));
    link(&app, investor, paris);
    let distributor = person(&app, Some("distributor@example.test"));
    link(&app, distributor, lyon);
    let no_email = person(&app, None);
    link(&app, no_email, paris);
    let anonymised = person(&app, Some("gone@example.test"));
    link(&app, anonymised, paris);
    insert(
        &app,
        &format!("UPDATE people SET anonymised_at = now() WHERE id = {anonymised} RETURNING id"),
    );
    let listed = person(&app, Some("listed@example.test"));

    let cases = [
        (json!({"org_types": ["investor"]}), None, vec![investor]),
        (json!({"cities": ["pARIS"]}), None, vec![investor]),
        (
            json!({"org_types": ["investor", "distributor"]}),
            None,
            vec![investor, distributor],
        ),
        (json!({"org_types": ["issuer"]}), None, vec![]),
        (
            Value::Null,
            Some(vec![listed, no_email, anonymised]),
            vec![listed],
        ),
        (
            json!({"cities": ["Lyon"]}),
            Some(vec![listed]),
            vec![distributor, listed],
        ),
    ];
    for (filters, people, expected) in cases {
        let mut body = json!({"name": "s", "filters": filters});
        if let Some(p) = &people {
            body["person_ids"] = json!(p);
        }
        let (status, _, seg) = send!(svc, post(&user, "/api/v1/segments", body.clone()));
        assert_eq!(status, StatusCode::CREATED, "{seg}");
        let (status, _, preview) = send!(
            svc,
            get(&user, &format!("/api/v1/segments/{}/preview", seg["id"]))
        );
        assert_eq!(status, StatusCode::OK);
        let mut expected = expected.clone();
        expected.sort_unstable();
        assert_eq!(preview["count"], expected.len(), "{body}: {preview}");
        assert_eq!(preview["sample_person_ids"], json!(expected), "{body}");
    }

    // The manual list changes through its own routes.
    let (_, _, seg) = send!(
        svc,
        post(&user, "/api/v1/segments", json!({"name": "manual"}))
    );
    let members = format!("/api/v1/segments/{}/members", seg["id"]);
    let (status, _, b) = send!(
        svc,
        post(
            &user,
            &members,
            json!({"person_ids": [investor, listed, listed]})
        )
    );
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b, json!({"changed": 2, "manual_members": 2}));
    let (status, _, b) = send!(
        svc,
        post(&user, &members, json!({"person_ids": [listed, 999_999]}))
    );
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&b)["field"], "person_ids[1]");
    let (status, _, b) = send!(
        svc,
        call(
            Method::DELETE,
            &user,
            &members,
            Some(json!({"person_ids": [investor, distributor]}))
        )
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(b, json!({"changed": 1, "manual_members": 1}));
    let (_, _, preview) = send!(
        svc,
        get(&user, &format!("/api/v1/segments/{}/preview", seg["id"]))
    );
    assert_eq!(preview, json!({"count": 1, "sample_person_ids": [listed]}));
}

/// A user, a draft campaign and one message of it sent an hour ago to a person; the campaign and send.
async fn one_sent_message(app: &TestApp, address: &str) -> (i64, i64, CampaignSendId) {
    let svc = service!(app);
    let (_, user) = app.bearer(Role::User).await;
    let (_, _, c) = draft!(svc, &user);
    let p = person(app, Some(address));
    (c, p, sent(app, c, p, address, 3600))
}

#[actix_web::test]
async fn opening_the_unsubscribe_link_does_nothing_and_one_click_suppresses() {
    let app = TestApp::with_env(&[("API_PUBLIC_URL", PUBLIC_URL)]).await;
    let svc = service!(app);
    let (c, p, send) = one_sent_message(&app, "reader@example.test").await;
    let token = links(&app).unsubscribe_token(send);
    let uri = format!("/api/v1/campaigns/unsubscribe/{token}");

    // A scanner opening the link changes nothing.
    let res = call_service(&svc, TestRequest::get().uri(&uri).to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        common::header(res.headers(), "content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let page = String::from_utf8(actix_web::test::read_body(res).await.to_vec()).unwrap();
    assert!(
        page.contains("<form method=\"post\">") && page.contains("Unsubscribe"),
        "{page}"
    );
    assert!(!page.contains(&token), "the page does not repeat the token");
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM email_suppressions"),
        0
    );

    // RFC 8058 one-click, twice (a viewer's stray bearer token changes nothing: the route is public).
    let (_, viewer) = app.bearer(Role::Viewer).await;
    for _ in 0..2 {
        let res = call_service(
            &svc,
            TestRequest::post()
                .uri(&uri)
                .insert_header(("Authorization", viewer.clone()))
                .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
                .set_payload("List-Unsubscribe=One-Click")
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        let page = String::from_utf8(actix_web::test::read_body(res).await.to_vec()).unwrap();
        assert!(page.contains("Désabonnement confirmé"), "{page}");
    }
    let hash = address_hash(&app.state.config.common.rgpd.hasher, "reader@example.test");
    assert_eq!(
        words(
            &app,
            &format!(
                "SELECT reason AS a, source AS b FROM email_suppressions WHERE address_hash = '{hash}'"
            )
        ),
        ("unsubscribed".to_owned(), Some("one_click".to_owned()))
    );
    assert_eq!(
        words(
            &app,
            &format!(
                "SELECT state AS a, stop_reason AS b FROM campaign_recipients WHERE campaign_id = {c} AND person_id = {p}"
            )
        ),
        ("stopped".to_owned(), Some("unsubscribed".to_owned()))
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM email_events WHERE kind = 'unsubscribe'"
        ),
        1
    );

    // Bad tokens: another send's id under this signature, a truncated one, garbage.
    let forged = token.replacen(&format!("{}.", send.0), &format!("{}.", send.0 + 1), 1);
    for bad in [
        forged,
        token[..token.len() - 1].to_owned(),
        "x".to_owned(),
        "%ff".to_owned(),
    ] {
        let uri = format!("/api/v1/campaigns/unsubscribe/{bad}");
        for req in [TestRequest::get().uri(&uri), TestRequest::post().uri(&uri)] {
            let res = call_service(&svc, req.to_request()).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{uri}");
        }
    }
    assert_eq!(count(&app, "SELECT count(*) AS n FROM email_events"), 1);
}

#[actix_web::test]
async fn clicks_redirect_only_to_their_signed_target_and_the_pixel_is_always_a_gif() {
    let app = TestApp::with_env(&[("API_PUBLIC_URL", PUBLIC_URL)]).await;
    let svc = service!(app);
    let (_, _, send) = one_sent_message(&app, "clicker@example.test").await;
    let l = links(&app);
    let target = "https://example.com/offer?a=1&b=deux";
    let click = url::Url::parse(&l.click_url(send, target)).unwrap();
    let path = click.path().to_owned();
    let safari = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15";

    let res = call_service(
        &svc,
        TestRequest::get()
            .uri(&format!("{path}?{}", click.query().unwrap()))
            .insert_header(("User-Agent", safari))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(common::header(res.headers(), "location"), Some(target));

    // A tampered target, another scheme (even signed), no target: 404, never a redirect.
    let evil = url::form_urlencoded::byte_serialize(b"https://evil.example/").collect::<String>();
    let js = url::Url::parse(&l.click_url(send, "javascript:alert(1)")).unwrap();
    for uri in [
        format!("{path}?u={evil}"),
        format!("{}?{}", js.path(), js.query().unwrap()),
        path.clone(),
        format!("/api/v1/campaigns/c/1.00?u={evil}"),
    ] {
        let res = call_service(&svc, TestRequest::get().uri(&uri).to_request()).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{uri}");
        assert!(res.headers().get("location").is_none());
    }
    // The reader's click counts; a scanner's is flagged.
    let res = call_service(
        &svc,
        TestRequest::get()
            .uri(&format!("{path}?{}", click.query().unwrap()))
            .insert_header(("User-Agent", "Mozilla/5.0 (compatible; Barracuda Sentinel)"))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM email_events WHERE kind = 'click' AND NOT machine"
        ),
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM email_events WHERE kind = 'click' AND machine"
        ),
        1
    );

    // The pixel: a GIF for any token, recorded only for a valid one.
    let open = url::Url::parse(&l.open_url(send)).unwrap();
    for (uri, ua) in [
        (open.path().to_owned(), safari),
        ("/api/v1/campaigns/o/12.0000.gif".to_owned(), safari),
        ("/api/v1/campaigns/o/%ff%fe.gif".to_owned(), safari),
        (open.path().to_owned(), "curl/8.5.0"),
    ] {
        let res = call_service(
            &svc,
            TestRequest::get()
                .uri(&uri)
                .insert_header(("User-Agent", ua))
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "{uri}");
        assert_eq!(
            common::header(res.headers(), "content-type"),
            Some("image/gif")
        );
        assert!(
            common::header(res.headers(), "cache-control")
                .unwrap()
                .contains("no-store")
        );
        let body = actix_web::test::read_body(res).await;
        assert!(body.starts_with(b"GIF89a") && body.len() == 43, "{uri}");
    }
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM email_events WHERE kind = 'open' AND NOT machine"
        ),
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM email_events WHERE kind = 'open' AND machine"
        ),
        1
    );

    // The report counts sends, machine-only ones apart.
    let (_, user) = app.bearer(Role::Viewer).await;
    let campaign: i64 = count(
        &app,
        &format!(
            "SELECT campaign_id AS n FROM campaign_sends WHERE id = {}",
            send.0
        ),
    );
    let (_, _, report) = send!(
        svc,
        get(&user, &format!("/api/v1/campaigns/{campaign}/report"))
    );
    let row = &report["rows"][0];
    assert_eq!(
        (
            row["unique_opens"].as_i64(),
            row["unique_opens_human"].as_i64(),
            row["unique_clicks"].as_i64()
        ),
        (Some(1), Some(1), Some(1)),
        "{report}"
    );
}

/// A P-256 key pair made for the test: the signing key and the public key as SendGrid shows it (base64
/// of a DER SubjectPublicKeyInfo).
fn sendgrid_key() -> (p256::ecdsa::SigningKey, String) {
    let key = loop {
        if let Ok(k) = p256::ecdsa::SigningKey::from_slice(&rand::random::<[u8; 32]>()) {
            break k;
        }
    };
    // SubjectPublicKeyInfo { algorithm: id-ecPublicKey, prime256v1 }, then the uncompressed point.
    let mut der = vec![
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
        0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ];
    der.extend_from_slice(key.verifying_key().to_encoded_point(false).as_bytes());
    (key, STANDARD.encode(der))
}

fn signed(key: &p256::ecdsa::SigningKey, timestamp: i64, body: &[u8]) -> TestRequest {
    use p256::ecdsa::signature::Signer as _;
    let ts = timestamp.to_string();
    let mut message = ts.clone().into_bytes();
    message.extend_from_slice(body);
    let signature: p256::ecdsa::Signature = key.sign(&message);
    TestRequest::post()
        .uri("/api/v1/campaigns/sendgrid/events")
        .insert_header(("Content-Type", "application/json"))
        .insert_header(("X-Twilio-Email-Event-Webhook-Timestamp", ts))
        .insert_header((
            "X-Twilio-Email-Event-Webhook-Signature",
            STANDARD.encode(signature.to_der().as_bytes()),
        ))
        .set_payload(body.to_vec())
}

#[actix_web::test]
async fn the_sendgrid_webhook_is_off_without_its_key() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (key, _) = sendgrid_key();
    let res = call_service(
        &svc,
        signed(&key, chrono::Utc::now().timestamp(), b"[]").to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn sendgrid_events_are_verified_recorded_once_and_suppress() {
    let (key, public) = sendgrid_key();
    let app = TestApp::with_env(&[
        ("API_PUBLIC_URL", PUBLIC_URL),
        ("SENDGRID_WEBHOOK_PUBLIC_KEY", &public),
    ])
    .await;
    let svc = service!(app);
    let (c, _, send) = one_sent_message(&app, "bounced@example.test").await;
    let soft = person(&app, Some("soft@example.test"));
    sent(&app, c, soft, "soft@example.test", 7200);
    let now = chrono::Utc::now().timestamp();
    let batch = json!([
        {"email": "bounced@example.test", "timestamp": now, "event": "delivered", "sg_event_id": "e1", "crm_send": send.0.to_string()},
        {"email": "bounced@example.test", "timestamp": now, "event": "bounce", "type": "bounce", "sg_event_id": "e2", "crm_send": send.0},
        {"email": "soft@example.test", "timestamp": now, "event": "open", "sg_machine_open": true, "sg_event_id": "e3"},
        {"email": "stranger@example.test", "timestamp": now, "event": "spamreport", "sg_event_id": "e4"},
        {"email": "bounced@example.test", "timestamp": now, "event": "processed", "sg_event_id": "e5"},
        {"event": "delivered"},
    ]);
    let body = serde_json::to_vec(&batch).unwrap();
    let (status, _, counts) = send!(svc, signed(&key, now, &body));
    assert_eq!(status, StatusCode::OK, "{counts}");
    assert_eq!(
        counts,
        json!({"recorded": 3, "duplicates": 0, "unmatched": 1, "skipped": 2})
    );
    // SendGrid posts it again: nothing new.
    let (status, _, counts) = send!(svc, signed(&key, now, &body));
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        counts,
        json!({"recorded": 0, "duplicates": 4, "unmatched": 0, "skipped": 2})
    );
    assert_eq!(count(&app, "SELECT count(*) AS n FROM email_events"), 4);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM email_events WHERE kind = 'open' AND machine"
        ),
        1
    );
    let hasher = &app.state.config.common.rgpd.hasher;
    for (address, reason) in [
        ("bounced@example.test", "hard_bounce"),
        ("stranger@example.test", "complaint"),
    ] {
        let hash = address_hash(hasher, address);
        assert_eq!(
            words(
                &app,
                &format!(
                    "SELECT reason AS a, source AS b FROM email_suppressions WHERE address_hash = '{hash}'"
                )
            ),
            (reason.to_owned(), Some("sendgrid".to_owned())),
            "{address}"
        );
    }

    // Three soft bounces ("blocked") of one address suppress it; two do not.
    let soft_hash = address_hash(hasher, "soft@example.test");
    for i in 1..=3 {
        let body = serde_json::to_vec(&json!([
            {"email": "soft@example.test", "timestamp": now, "event": "bounce", "type": "blocked", "sg_event_id": format!("soft-{i}")},
        ]))
        .unwrap();
        let (status, _, _) = send!(svc, signed(&key, now, &body));
        assert_eq!(status, StatusCode::OK);
        let suppressed = count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM email_suppressions WHERE address_hash = '{soft_hash}' AND reason = 'soft_bounces'"
            ),
        );
        assert_eq!(suppressed, i64::from(i == 3), "after {i} soft bounces");
    }

    // Refused: a bad signature, a stale timestamp, missing headers, a body over 1 MiB.
    let before = count(&app, "SELECT count(*) AS n FROM email_events");
    let (other, _) = sendgrid_key();
    let (status, _, _) = send!(svc, signed(&other, now, &body));
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = send!(svc, signed(&key, now - 1000, &body));
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let tampered = signed(&key, now, &body).set_payload(b"[{\"email\":\"x@y.z\"}]".to_vec());
    let (status, _, _) = send!(svc, tampered);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = send!(
        svc,
        TestRequest::post()
            .uri("/api/v1/campaigns/sendgrid/events")
            .set_payload(body.clone())
    );
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let huge = vec![b' '; 1024 * 1024 + 1];
    let (status, _, b) = send!(svc, signed(&key, now, &huge));
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{b}");
    let (status, _, _) = send!(svc, signed(&key, now, b"{\"not\": \"an array\"}"));
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM email_events"),
        before
    );
}
