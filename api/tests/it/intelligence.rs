//! Email-intelligence endpoints against real Postgres and Redis: a stored analysis, analysing a posted
//! text or message without storing it, and the statistics of the stored analyses.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service};
use common::{TestApp, error_of, parts};
use shared::models::email_account::EmailAccountId;
use shared::models::interaction::{self, Direction, InteractionId, NewInteraction};
use shared::models::interaction_analysis::{self as analyses, CacheStatus, NewInteractionAnalysis};
use shared::models::user::Role;

const BODY: &str = "Bonjour,\n\nPourriez-vous m'envoyer un devis pour 40 licences ?\n\nCordialement,\n\
                    Jean Dupont\nDirecteur commercial\nACME SAS\nTél. : 01 42 00 00 00\n";

fn stored_email(app: &TestApp, message_id: &str) -> i64 {
    stored_email_in(app, message_id, None)
}

fn stored_email_in(app: &TestApp, message_id: &str, account: Option<EmailAccountId>) -> i64 {
    let row = NewInteraction {
        account_id: account,
        folder: "INBOX".into(),
        uid: None,
        provider_id: None,
        message_id: message_id.into(),
        in_reply_to: None,
        message_references: Vec::new(),
        from_address: Some("jean.dupont@acme.fr".into()),
        from_name: Some("Jean Dupont".into()),
        to_addresses: Vec::new(),
        cc_addresses: Vec::new(),
        subject: Some("Devis".into()),
        sent_at: Some(chrono::Utc::now()),
        direction: Direction::Inbound,
        body_text: Some(BODY.into()),
        size_bytes: 100,
        parent_message_id: None,
        person_id: None,
        skipped_reason: None,
        automated: None,
    };
    interaction::insert_new(&mut app.db.conn(), &[row]).unwrap()[0]
        .0
        .0
}

fn analysis(
    id: i64,
    source: &str,
    label: &str,
    found: bool,
    ms: i32,
    cache: CacheStatus,
) -> NewInteractionAnalysis {
    NewInteractionAnalysis {
        interaction_id: InteractionId(id),
        analyzer_version: "rules-test".into(),
        source: source.into(),
        language: "fr".into(),
        intent_label: label.into(),
        intent_confidence: 0.9,
        signature: serde_json::json!({ "name": if found { Some("Jean Dupont") } else { None } }),
        signature_found: found,
        entities: serde_json::json!({ "people": [] }),
        keywords: serde_json::json!(["devis"]),
        duration_ms: ms,
        cache,
    }
}

fn get(uri: &str, bearer: Option<&str>) -> TestRequest {
    let mut req = TestRequest::get().uri(uri);
    if let Some(b) = bearer {
        req = req.insert_header(("Authorization", b.to_owned()));
    }
    req
}

fn post(bearer: Option<&str>, body: serde_json::Value) -> TestRequest {
    let mut req = TestRequest::post().uri("/api/v1/analyze").set_json(body);
    if let Some(b) = bearer {
        req = req.insert_header(("Authorization", b.to_owned()));
    }
    req
}

#[actix_web::test]
async fn a_stored_analysis_is_returned_404_when_none_401_without_token() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (owner, viewer) = app.bearer(Role::Viewer).await;
    let id = stored_email_in(&app, "<a@acme.fr>", Some(app.mailbox(owner)));
    let uri = format!("/api/v1/interactions/{id}/analysis");

    let (status, _, body) = parts(call_service(&svc, get(&uri, None).to_request()).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(&body)["code"], "unauthorized");

    let (status, _, body) =
        parts(call_service(&svc, get(&uri, Some(&viewer)).to_request()).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(error_of(&body)["code"], "not_found");

    let (status, _, body) = parts(
        call_service(
            &svc,
            get("/api/v1/interactions/abc/analysis", Some(&viewer)).to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body)["field"], "id");

    analyses::upsert(
        &mut app.db.conn(),
        &analysis(id, "rules", "quote_request", true, 3, CacheStatus::Disabled),
    )
    .unwrap();
    let (status, _, body) =
        parts(call_service(&svc, get(&uri, Some(&viewer)).to_request()).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["interaction_id"], id);
    assert_eq!(body["intent_label"], "quote_request");
    assert_eq!(body["analyzer_version"], "rules-test");
    assert_eq!(body["signature"]["name"], "Jean Dupont");
    assert_eq!(body["cache"], "disabled");

    // Another user (even a manager) does not see it, nor an email that belongs to no mailbox; an admin
    // sees both.
    let (_, manager) = app.bearer(Role::Manager).await;
    let (_, admin) = app.bearer(Role::Admin).await;
    let orphan = stored_email(&app, "<b@acme.fr>");
    analyses::upsert(
        &mut app.db.conn(),
        &analysis(orphan, "rules", "other", false, 2, CacheStatus::Disabled),
    )
    .unwrap();
    let orphan_uri = format!("/api/v1/interactions/{orphan}/analysis");
    for (who, uri, expected) in [
        (&manager, &uri, StatusCode::NOT_FOUND),
        (&viewer, &orphan_uri, StatusCode::NOT_FOUND),
        (&admin, &uri, StatusCode::OK),
        (&admin, &orphan_uri, StatusCode::OK),
    ] {
        let (status, _, body) =
            parts(call_service(&svc, get(uri, Some(who)).to_request()).await).await;
        assert_eq!(status, expected, "{uri}: {body}");
        if status == StatusCode::NOT_FOUND {
            assert!(body.get("intent_label").is_none(), "{body}");
        }
    }
}

#[actix_web::test]
async fn analyze_answers_the_cli_shape_for_text_and_raw_without_storing() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, viewer) = app.bearer(Role::Viewer).await;
    let (_, user) = app.bearer(Role::User).await;
    let text = serde_json::json!({ "text": BODY });

    let (status, _, _) =
        parts(call_service(&svc, post(None, text.clone()).to_request()).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, body) =
        parts(call_service(&svc, post(Some(&viewer), text.clone()).to_request()).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_of(&body)["code"], "forbidden");

    let (status, _, body) =
        parts(call_service(&svc, post(Some(&user), text).to_request()).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["language"], "fr");
    assert_eq!(body["intent"]["label"], "quote_request");
    assert_eq!(body["intent"]["source"], "rules");
    assert_eq!(body["signature"]["phones"][0], "+33142000000");
    for key in ["entities", "keywords"] {
        assert!(body.get(key).is_some(), "{key} missing in {body}");
    }

    let raw = format!(
        "From: Jean Dupont <jean.dupont@acme.fr>\r\nSubject: Devis\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{BODY}"
    );
    let (status, _, body) = parts(
        call_service(
            &svc,
            post(Some(&user), serde_json::json!({ "raw": raw })).to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["intent"]["label"], "quote_request");
    assert_eq!(body["signature"]["name"], "Jean Dupont");

    let (status, _, body) =
        parts(call_service(&svc, post(Some(&user), serde_json::json!({})).to_request()).await)
            .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body)["field"], "text");
    let (status, _, body) = parts(
        call_service(
            &svc,
            post(Some(&user), serde_json::json!({ "text": "a", "raw": "b" })).to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body)["field"], "raw");

    // API_MAX_BODY_BYTES is 4096 in tests
    let big = serde_json::json!({ "text": "x".repeat(5000) });
    let (status, _, body) =
        parts(call_service(&svc, post(Some(&user), big).to_request()).await).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_of(&body)["code"], "payload_too_large");

    // nothing stored
    let count: i64 = {
        use diesel::prelude::*;
        shared::schema::interaction_analyses::table
            .count()
            .get_result(&mut app.db.conn())
            .unwrap()
    };
    assert_eq!(count, 0);
}

#[actix_web::test]
async fn stats_give_rates_intents_volume_timings_and_cache_per_source() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, viewer) = app.bearer(Role::Viewer).await;

    let (status, _, _) =
        parts(call_service(&svc, get("/api/v1/intelligence/stats", None).to_request()).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let rows = [
        ("rules", "quote_request", true, 2, CacheStatus::Disabled),
        ("rules", "quote_request", false, 4, CacheStatus::Disabled),
        ("rules", "other", true, 6, CacheStatus::Disabled),
        (
            "openai:gpt-4o-mini",
            "meeting_request",
            true,
            100,
            CacheStatus::Hit,
        ),
        (
            "openai:gpt-4o-mini",
            "meeting_request",
            false,
            300,
            CacheStatus::Miss,
        ),
    ];
    for (i, (source, label, found, ms, cache)) in rows.into_iter().enumerate() {
        let id = stored_email(&app, &format!("<s{i}@acme.fr>"));
        analyses::upsert(
            &mut app.db.conn(),
            &analysis(id, source, label, found, ms, cache),
        )
        .unwrap();
    }
    let now = chrono::Utc::now();
    let from =
        (now - chrono::Duration::hours(2)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let to = (now + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let uri = format!("/api/v1/intelligence/stats?from={from}&to={to}&bucket=hour");
    let (status, _, body) =
        parts(call_service(&svc, get(&uri, Some(&viewer)).to_request()).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["bucket"], "hour");
    assert_eq!(body["analyses"], 5);
    assert_eq!(body["signature_success_rate"], 0.6);
    assert_eq!(body["cache_hits"], 1);
    assert_eq!(body["cache_misses"], 1);
    assert_eq!(body["cache_hit_rate"], 0.5);
    assert!((body["avg_duration_ms"].as_f64().unwrap() - 82.4).abs() < 1e-9);
    assert!(body["p95_duration_ms"].as_f64().unwrap() > 100.0);
    assert_eq!(body["intents"][0]["label"], "meeting_request");
    assert_eq!(body["intents"][0]["count"], 2);
    let volume: i64 = body["volume"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["count"].as_i64().unwrap())
        .sum();
    assert_eq!(volume, 5);
    let per_source = body["per_source"].as_array().unwrap();
    assert_eq!(per_source.len(), 2);
    let rules = per_source.iter().find(|s| s["source"] == "rules").unwrap();
    assert_eq!(rules["analyses"], 3);
    assert_eq!(rules["avg_duration_ms"], 4.0);
    assert!(rules["cache_hit_rate"].is_null());
    let llm = per_source
        .iter()
        .find(|s| s["source"] == "openai:gpt-4o-mini")
        .unwrap();
    assert_eq!(llm["cache_hit_rate"], 0.5);
    assert_eq!(llm["intents"][0]["label"], "meeting_request");

    // a range without analyses
    let uri = "/api/v1/intelligence/stats?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z";
    let (status, _, body) =
        parts(call_service(&svc, get(uri, Some(&viewer)).to_request()).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["analyses"], 0);
    assert!(body["signature_success_rate"].is_null());
    assert_eq!(body["per_source"], serde_json::json!([]));

    for bad in [
        "/api/v1/intelligence/stats?bucket=week",
        "/api/v1/intelligence/stats?from=2020-01-02T00:00:00Z&to=2020-01-01T00:00:00Z",
        "/api/v1/intelligence/stats?from=yesterday",
    ] {
        let (status, _, body) =
            parts(call_service(&svc, get(bad, Some(&viewer)).to_request()).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        error_of(&body);
    }
}

#[actix_web::test]
async fn the_openapi_document_lists_the_intelligence_paths() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (status, _, doc) =
        parts(call_service(&svc, get("/api/v1/openapi.json", None).to_request()).await).await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/api/v1/analyze",
        "/api/v1/intelligence/stats",
        "/api/v1/interactions/{id}/analysis",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
}
