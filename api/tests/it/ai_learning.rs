//! Form-field suggestions and learning: values in use scored by frequency and recency, boosted by the
//! caller's accepts (team's as fallback, capped); choices validated, counted per user, forgotten on request
//! and after 90 days; personal fields are never offered.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service};
use common::{TestApp, error_of, get, parts, post};
use diesel::prelude::*;
use serde_json::{Value, json};
use shared::models::person::{NewPerson, create_person};
use shared::models::user::{self, Role};
use shared::models::{ai_preference, team};

fn people_with_title(app: &TestApp, title: &str, n: usize) {
    for _ in 0..n {
        let mut p = NewPerson::new("A", "B");
        p.title = Some(title.into());
        create_person(&mut app.db.conn(), &p).unwrap();
    }
}

#[actix_web::test]
async fn suggestions_learn_from_the_users_accepts_then_the_teams() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let t = team::create_team(&mut app.db.conn(), "sales").unwrap().id;
    let (alice, alice_b) = app.bearer(Role::User).await;
    let (bob, bob_b) = app.bearer(Role::User).await;
    for u in [alice, bob] {
        user::set_team(&mut app.db.conn(), u, Some(t)).unwrap();
    }
    people_with_title(&app, "Gérant", 6);
    people_with_title(&app, "Analyste", 2);

    let menu =
        |b: &str| get(b, "/api/v1/ai/autofill/suggestions?field_name=role&limit=5").to_request();
    let (status, _, body) = parts(call_service(&svc, menu(&alice_b)).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body[0]["value"], "Gérant");
    assert_eq!(body[1]["boost"], 0.0);

    for _ in 0..6 {
        let (status, _, answer) = parts(call_service(&svc, post(&alice_b, "/api/v1/ai/learning/track", json!({
            "field_name": "role", "action": "accept", "suggested_value": "Analyste", "final_value": "Analyste",
            "suggestion_rank": 2, "suggestion_confidence": 0.5
        })).to_request()).await).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    let (_, _, body) = parts(call_service(&svc, menu(&alice_b)).await).await;
    assert_eq!(body[0]["value"], "Analyste", "{body}");
    assert_eq!(body[0]["boost"], 0.5, "capped at +50 %");
    // Bob has accepted nothing for the field: his team's accepts count for him.
    let (_, _, body) = parts(call_service(&svc, menu(&bob_b)).await).await;
    assert_eq!(body[0]["value"], "Analyste", "{body}");

    let (_, _, stats) = parts(
        call_service(
            &svc,
            get(&alice_b, "/api/v1/ai/learning/stats").to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(
        (stats["total"].as_i64(), stats["accept_rate"].as_f64()),
        (Some(6), Some(1.0)),
        "{stats}"
    );
    assert_eq!(stats["fields"][0]["field"], "title");
    let (_, _, bobs) =
        parts(call_service(&svc, get(&bob_b, "/api/v1/ai/learning/stats").to_request()).await)
            .await;
    assert_eq!(bobs["total"], 0, "stats are one's own");

    // Bob forgetting deletes nothing of Alice's; Alice forgetting deletes hers.
    let forget = |b: &str| {
        TestRequest::delete()
            .uri("/api/v1/ai/learning/preferences")
            .insert_header(("Authorization", b.to_owned()))
            .to_request()
    };
    let (_, _, body) = parts(call_service(&svc, forget(&bob_b)).await).await;
    assert_eq!(body["deleted"], 0);
    let (status, _, body) = parts(call_service(&svc, forget(&alice_b)).await).await;
    assert_eq!(
        (status, body["deleted"].as_i64()),
        (StatusCode::OK, Some(6))
    );
    let (_, _, body) = parts(call_service(&svc, menu(&alice_b)).await).await;
    assert_eq!(body[0]["value"], "Gérant");
}

#[actix_web::test]
async fn bad_choices_and_private_fields_are_refused() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, b) = app.bearer(Role::User).await;
    let (_, viewer) = app.bearer(Role::Viewer).await;
    let ok = json!({ "field_name": "city", "action": "ignore" });
    let with = |k: &str, v: Value| {
        let mut x = ok.clone();
        x[k] = v;
        x
    };
    for (body, field) in [
        (with("field_name", json!("phone")), "field_name"),
        (with("field_name", json!("email")), "field_name"),
        (with("action", json!("love")), "action"),
        (with("suggestion_rank", json!(0)), "suggestion_rank"),
        (
            with("suggestion_confidence", json!(1.5)),
            "suggestion_confidence",
        ),
        (with("final_value", json!("x".repeat(501))), "final_value"),
        (
            json!({ "field_name": "city", "action": "accept" }),
            "final_value",
        ),
        (with("extra", json!(1)), "extra"),
    ] {
        let (status, _, answer) = parts(
            call_service(
                &svc,
                post(&b, "/api/v1/ai/learning/track", body.clone()).to_request(),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(error_of(&answer)["field"], field, "{body}");
    }
    let (status, _, _) = parts(
        call_service(
            &svc,
            post(&viewer, "/api/v1/ai/learning/track", ok.clone()).to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for q in [
        "field_name=phone",
        "field_name=city&limit=0",
        "field_name=city&limit=21",
        "limit=3",
    ] {
        let (status, _, answer) = parts(
            call_service(
                &svc,
                get(&b, &format!("/api/v1/ai/autofill/suggestions?{q}")).to_request(),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}: {answer}");
    }
}

#[actix_web::test]
async fn choices_expire_after_ninety_days() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, b) = app.bearer(Role::User).await;
    let (status, _, _) = parts(
        call_service(
            &svc,
            post(
                &b,
                "/api/v1/ai/learning/track",
                json!({ "field_name": "country", "action": "manual", "final_value": "France" }),
            )
            .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        ai_preference::delete_expired(&mut app.db.conn()).unwrap(),
        0
    );
    diesel::sql_query("UPDATE ai_user_preferences SET created_at = now() - interval '91 days', expires_at = now() - interval '1 day'")
        .execute(&mut app.db.conn())
        .unwrap();
    let (_, _, stats) =
        parts(call_service(&svc, get(&b, "/api/v1/ai/learning/stats").to_request()).await).await;
    assert_eq!(stats["total"], 0, "expired choices no longer count");
    assert_eq!(
        ai_preference::delete_expired(&mut app.db.conn()).unwrap(),
        1
    );
}
