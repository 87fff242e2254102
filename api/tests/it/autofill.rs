//! The autofill review API: each reviewer sees the suggestions from their own mail (admins all), approves
//! (applying the change), edits then approves, rejects, decides in bulk with a count confirmation; every
//! decision is audited with the value before and after; bad input gets a named 400, a second decision a
//! 409; run-now endpoints follow the job's role and the resource's rule.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::{common, dashboard_common};

use actix_web::http::StatusCode;
use actix_web::test::call_service;
use common::{TestApp, error_of, get, parts, post};
use diesel::prelude::*;
use serde_json::json;
use shared::models::UserId;
use shared::models::audit;
use shared::models::autofill_suggestion::{
    self as suggestions, EntityType, NewSuggestion, SuggestionAction,
};
use shared::models::person::{NewPerson, create_person};
use shared::models::user::Role;
use shared::schema::people;

/// A pending suggestion to set `field` of person `person` to `value`, owned by `owner`.
fn suggest(
    app: &TestApp,
    owner: UserId,
    person: i64,
    field: &str,
    value: &str,
    confidence: f32,
) -> i64 {
    let row = NewSuggestion {
        entity_type: EntityType::Person,
        entity_id: Some(person),
        action: SuggestionAction::SetField,
        field: field.into(),
        value: json!(value),
        current_value: None,
        confidence,
        source: "signature".into(),
        evidence: json!({ "field_source": format!("signature.{field}") }),
        interaction_id: None,
        analyzer_version: "test".into(),
        owner_user_id: Some(owner),
        dedupe_key: format!("{person}:{field}:{value}:{}", ulid::Ulid::new()),
    };
    suggestions::insert_new(&mut app.db.conn(), &[row]).unwrap()[0]
        .id
        .0
}

fn person(app: &TestApp, title: Option<&str>) -> i64 {
    let mut p = NewPerson::new("Jeanne", "Martin");
    p.title = title.map(str::to_owned);
    create_person(&mut app.db.conn(), &p).unwrap().id.0
}

fn title_of(app: &TestApp, id: i64) -> Option<String> {
    people::table
        .find(shared::models::PersonId(id))
        .select(people::title)
        .first(&mut app.db.conn())
        .unwrap()
}

#[actix_web::test]
async fn reviewers_see_their_own_suggestions_sorted_by_confidence() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (alice, alice_b) = app.bearer(Role::User).await;
    let (bob, bob_b) = app.bearer(Role::User).await;
    let (_, admin_b) = app.bearer(Role::Admin).await;
    let p = person(&app, None);
    let low = suggest(&app, alice, p, "title", "Gérante", 0.6);
    let high = suggest(&app, alice, p, "phone", "+33142000000", 0.9);
    let bobs = suggest(&app, bob, p, "mobile", "+33611223344", 0.8);

    let (status, _, body) = parts(
        call_service(
            &svc,
            get(&alice_b, "/api/v1/autofill/suggestions?status=pending").to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 2);
    let ids: Vec<i64> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [high, low]);
    assert!(body["items"][0].get("dedupe_key").is_none());

    let (_, _, body) = parts(
        call_service(
            &svc,
            get(&admin_b, "/api/v1/autofill/suggestions?min_confidence=0.7").to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(body["total"], 2, "{body}");
    let (_, _, body) = parts(
        call_service(
            &svc,
            get(
                &admin_b,
                &format!("/api/v1/autofill/suggestions?owner_id={}", bob.0),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(body["items"][0]["id"], bobs);

    // Another reviewer's suggestion is not found, and filtering by them is refused.
    let (status, _, _) = parts(
        call_service(
            &svc,
            get(&bob_b, &format!("/api/v1/autofill/suggestions/{low}")).to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = parts(
        call_service(
            &svc,
            get(
                &bob_b,
                &format!("/api/v1/autofill/suggestions?owner_id={}", alice.0),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = parts(
        call_service(
            &svc,
            post(
                &bob_b,
                &format!("/api/v1/autofill/suggestions/{low}/approve"),
                json!({}),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    for bad in [
        "status=maybe",
        "min_confidence=1.5",
        "entity_type=planet",
        "limit=0",
        "limit=100000",
        "offset=-1",
        "field=Title%3B",
        "bogus=1",
    ] {
        let (status, _, body) = parts(
            call_service(
                &svc,
                get(&alice_b, &format!("/api/v1/autofill/suggestions?{bad}")).to_request(),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(error_of(&body)["field"].is_string(), "{bad}: {body}");
    }
}

#[actix_web::test]
async fn approve_edit_and_reject_apply_and_audit_once() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (alice, alice_b) = app.bearer(Role::User).await;
    let p = person(&app, Some("Gérante"));
    let title = suggest(&app, alice, p, "title", "Directrice", 0.7);
    let phone = suggest(&app, alice, p, "phone", "+33142000000", 0.7);
    let mobile = suggest(&app, alice, p, "mobile", "+33611223344", 0.7);

    // A reviewer may replace a person's value: it stays theirs (no autofill mark).
    let (status, _, body) = parts(
        call_service(
            &svc,
            post(
                &alice_b,
                &format!("/api/v1/autofill/suggestions/{title}/approve"),
                json!({}),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["status"].as_str(), body["entity_id"].as_i64()),
        (Some("approved"), Some(p))
    );
    assert_eq!(title_of(&app, p).as_deref(), Some("Directrice"));
    let (status, _, body) = parts(
        call_service(
            &svc,
            post(
                &alice_b,
                &format!("/api/v1/autofill/suggestions/{title}/approve"),
                json!({}),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_of(&body)["code"], "already_decided");

    // Edit then approve; a bad edit is refused and changes nothing.
    for bad in [
        json!({ "value": "" }),
        json!({ "value": 42 }),
        json!({ "value": "x".repeat(400) }),
        json!({ "value": "a\u{0}b" }),
    ] {
        let (status, _, body) = parts(
            call_service(
                &svc,
                post(
                    &alice_b,
                    &format!("/api/v1/autofill/suggestions/{phone}/approve"),
                    bad.clone(),
                )
                .to_request(),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(error_of(&body)["field"], "value");
    }
    let (status, _, _) = parts(
        call_service(
            &svc,
            post(
                &alice_b,
                &format!("/api/v1/autofill/suggestions/{phone}/approve"),
                json!({ "value": "+33142000001", "x": 1 }),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "unknown fields are refused"
    );
    let (status, _, _) = parts(
        call_service(
            &svc,
            post(
                &alice_b,
                &format!("/api/v1/autofill/suggestions/{phone}/approve"),
                json!({ "value": "+33142000001" }),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (status, _, body) = parts(
        call_service(
            &svc,
            post(
                &alice_b,
                &format!("/api/v1/autofill/suggestions/{mobile}/reject"),
                json!({}),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "rejected");

    let found = suggestions::find(&mut app.db.conn(), suggestions::SuggestionId(phone), false)
        .unwrap()
        .unwrap();
    assert_eq!(found.final_value, Some(json!("+33142000001")));
    assert_eq!(found.decided_by, Some(alice));
    let entries = audit::list_recent(&mut app.db.conn(), 50).unwrap();
    let of = |id: i64| {
        entries
            .iter()
            .filter(|e| {
                e.target_id.as_deref() == Some(&id.to_string())
                    && e.target_type.as_deref() == Some("autofill_suggestion")
            })
            .collect::<Vec<_>>()
    };
    let t = of(title);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].action, "autofill.approve");
    assert_eq!(t[0].actor_user_id, Some(alice));
    assert_eq!(t[0].details["before"], "Gérante");
    assert_eq!(t[0].details["after"], "Directrice");
    assert!(t[0].request_id.is_some());
    assert_eq!(of(phone)[0].details["edited"], true);
    assert_eq!(of(mobile)[0].action, "autofill.reject");
}

#[actix_web::test]
async fn a_suggestion_for_a_deleted_record_is_superseded() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (alice, alice_b) = app.bearer(Role::User).await;
    let p = person(&app, None);
    let s = suggest(&app, alice, p, "title", "Directrice", 0.7);
    diesel::delete(people::table.find(shared::models::PersonId(p)))
        .execute(&mut app.db.conn())
        .unwrap();
    let (status, _, body) = parts(
        call_service(
            &svc,
            post(
                &alice_b,
                &format!("/api/v1/autofill/suggestions/{s}/approve"),
                json!({}),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(error_of(&body)["code"], "stale_suggestion");
    let found = suggestions::find(&mut app.db.conn(), suggestions::SuggestionId(s), false)
        .unwrap()
        .unwrap();
    assert_eq!(found.status.as_str(), "superseded");
}

#[actix_web::test]
async fn bulk_decisions_confirm_the_count_and_report_each_item() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (alice, alice_b) = app.bearer(Role::User).await;
    let (_, viewer_b) = app.bearer(Role::Viewer).await;
    let p = person(&app, None);
    let a = suggest(&app, alice, p, "title", "Directrice", 0.95);
    let b = suggest(&app, alice, p, "phone", "+33142000000", 0.95);
    let c = suggest(&app, alice, p, "mobile", "+33611223344", 0.5);

    let filter =
        json!({ "action": "approve", "filter": { "min_confidence": 0.9 }, "expected_count": 3 });
    let (status, _, body) = parts(
        call_service(
            &svc,
            post(&alice_b, "/api/v1/autofill/suggestions/bulk", filter).to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(error_of(&body)["code"], "count_mismatch");
    assert!(
        error_of(&body)["message"]
            .as_str()
            .unwrap()
            .contains("selects 2")
    );

    let filter =
        json!({ "action": "approve", "filter": { "min_confidence": 0.9 }, "expected_count": 2 });
    let (status, _, body) = parts(
        call_service(
            &svc,
            post(&alice_b, "/api/v1/autofill/suggestions/bulk", filter).to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["approved"].as_u64(), body["failed"].as_u64()),
        (Some(2), Some(0))
    );

    // By ids: a decided one fails alone, the others go through.
    let (status, _, body) = parts(
        call_service(
            &svc,
            post(
                &alice_b,
                "/api/v1/autofill/suggestions/bulk",
                json!({ "action": "reject", "ids": [a, c, c] }),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["rejected"].as_u64(), body["failed"].as_u64()),
        (Some(1), Some(1))
    );
    let _ = b;

    for (bad, field) in [
        (json!({ "action": "maybe", "ids": [a] }), Some("action")),
        (json!({ "action": "approve", "ids": [] }), Some("ids")),
        (
            json!({ "action": "approve", "ids": (0..501).collect::<Vec<i64>>() }),
            Some("ids"),
        ),
        (
            json!({ "action": "approve", "filter": {} }),
            Some("expected_count"),
        ),
        (json!({ "action": "approve" }), None),
        (
            json!({ "action": "approve", "ids": [a], "filter": {}, "expected_count": 1 }),
            None,
        ),
    ] {
        let (status, _, body) = parts(
            call_service(
                &svc,
                post(&alice_b, "/api/v1/autofill/suggestions/bulk", bad.clone()).to_request(),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        if let Some(f) = field {
            assert_eq!(error_of(&body)["field"], f, "{bad}");
        }
    }
    // A viewer never writes.
    let (status, _, _) = parts(
        call_service(
            &svc,
            post(
                &viewer_b,
                "/api/v1/autofill/suggestions/bulk",
                json!({ "action": "reject", "ids": [c] }),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn run_now_endpoints_follow_roles_and_resources() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, user_b) = app.bearer(Role::User).await;
    let (manager, manager_b) = app.bearer(Role::Manager).await;
    let (_, viewer_b) = app.bearer(Role::Viewer).await;

    let (status, _, _) = parts(
        call_service(
            &svc,
            post(&user_b, "/api/v1/autofill-jobs/run-now", json!({})).to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, headers, body) = parts(
        call_service(
            &svc,
            post(
                &manager_b,
                "/api/v1/autofill-jobs/run-now",
                json!({ "limit": 20 }),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert!(
        common::header(&headers, "location")
            .unwrap()
            .starts_with("/api/v1/jobs/")
    );
    for (bad, field) in [
        (json!({ "limit": 0 }), "limit"),
        (json!({ "limit": 10_001 }), "limit"),
        (json!({ "since": 1 }), "since"),
    ] {
        let (status, _, body) = parts(
            call_service(
                &svc,
                post(&manager_b, "/api/v1/autofill-jobs/run-now", bad.clone()).to_request(),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(error_of(&body)["field"], field, "{bad}");
    }
    // Another user's mailbox is not the manager's to read.
    let (other, _) = app.user(Role::User).await;
    let mailbox = app.mailbox(other);
    let (status, _, _) = parts(
        call_service(
            &svc,
            post(
                &manager_b,
                "/api/v1/autofill-jobs/run-now",
                json!({ "account_id": mailbox.0 }),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let own = app.mailbox(manager);
    let (status, _, _) = parts(
        call_service(
            &svc,
            post(
                &manager_b,
                "/api/v1/autofill-jobs/run-now",
                json!({ "account_id": own.0 }),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);

    let (status, _, _) = parts(
        call_service(
            &svc,
            post(
                &user_b,
                "/api/v1/enrichment/organisation",
                json!({ "organisation_id": 999_999 }),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let org = shared::models::organisation::create_organisation(
        &mut app.db.conn(),
        &shared::models::organisation::NewOrganisation::new(
            "Amundi",
            shared::models::organisation::OrgType::Issuer,
        ),
    )
    .unwrap()
    .id
    .0;
    let (status, _, first) = parts(
        call_service(
            &svc,
            post(
                &user_b,
                "/api/v1/enrichment/organisation",
                json!({ "organisation_id": org }),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    let (_, _, second) = parts(
        call_service(
            &svc,
            post(
                &user_b,
                "/api/v1/enrichment/organisation",
                json!({ "organisation_id": org }),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(
        (second["duplicate"].as_bool(), &second["job_id"]),
        (Some(true), &first["job_id"])
    );
    let (status, _, _) = parts(
        call_service(
            &svc,
            post(
                &viewer_b,
                "/api/v1/enrichment/organisation",
                json!({ "organisation_id": org }),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, _, _) =
        parts(call_service(&svc, get(&user_b, "/api/v1/autofill/accuracy").to_request()).await)
            .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) = parts(
        call_service(
            &svc,
            get(&manager_b, "/api/v1/autofill/accuracy?days=7").to_request(),
        )
        .await,
    )
    .await;
    assert_eq!((status, body), (StatusCode::OK, json!([])));
    let (status, _, _) = parts(
        call_service(
            &svc,
            get(&manager_b, "/api/v1/autofill/accuracy?days=0").to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[actix_web::test]
async fn the_dashboard_shows_the_queue_and_decides_with_csrf() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (user, browser) = browser!(app, svc, Role::User);
    let (_, viewer) = browser!(app, svc, Role::Viewer);
    let p = person(&app, None);
    let s = suggest(&app, user, p, "title", "Directrice", 0.8);
    let (status, _, body) =
        parts(call_service(&svc, browser.get("/api/v1/dashboard/autofill").to_request()).await)
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["pending"][0]["id"], s);
    assert_eq!(body["counts"][0]["status"], "pending");
    assert_eq!(body["can_decide"], true);
    // Without the CSRF token, and as a viewer, nothing is decided.
    let uri = format!("/api/v1/dashboard/autofill/{s}/approve");
    let (status, _, _) =
        parts(call_service(&svc, browser.raw("POST", &uri, None, None).to_request()).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) =
        parts(call_service(&svc, viewer.send("POST", &uri, None).to_request()).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) =
        parts(call_service(&svc, browser.send("POST", &uri, None).to_request()).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(title_of(&app, p).as_deref(), Some("Directrice"));
    let (_, _, body) =
        parts(call_service(&svc, viewer.get("/api/v1/dashboard/autofill").to_request()).await)
            .await;
    assert_eq!(
        (
            body["can_decide"].as_bool(),
            body["pending"].as_array().map(Vec::len)
        ),
        (Some(false), Some(0))
    );
}
