//! Token revocation (issue 13, finding 6): a password change and a logout revoke the caller's tokens and
//! dashboard sessions; a token issued in the future is refused.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;
use crate::dashboard_common;

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service};
use common::{JWT_SECRET, PASSWORD, TestApp, error_of, parts};
use shared::models::user::Role;

fn login(email: &str, password: &str) -> TestRequest {
    TestRequest::post()
        .uri("/api/v1/auth/login")
        .peer_addr("10.60.0.1:40000".parse().unwrap())
        .set_json(serde_json::json!({ "email": email, "password": password }))
}

fn catalogue(token: &str) -> TestRequest {
    TestRequest::get()
        .uri("/api/v1/jobs/catalogue")
        .insert_header(("Authorization", format!("Bearer {token}")))
}

macro_rules! token_of {
    ($svc:expr, $email:expr, $password:expr) => {{
        let (status, _, body) =
            parts(call_service(&$svc, login($email, $password).to_request()).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    }};
}

#[actix_web::test]
async fn a_password_change_revokes_every_token_and_dashboard_session() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (id, email) = app.user(Role::Manager).await;
    let first = token_of!(svc, &email, PASSWORD);
    let second = token_of!(svc, &email, PASSWORD);
    let (status, headers, body) =
        parts(call_service(&svc, dashboard_common::sign_in_request(&email).to_request()).await)
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let browser = dashboard_common::browser_from(&headers, &body);
    assert_eq!(
        call_service(&svc, browser.get("/api/v1/dashboard/me").to_request())
            .await
            .status(),
        StatusCode::OK
    );

    // A wrong current password or a short new one changes nothing.
    let change = |token: &str, current: &str, new: &str| {
        TestRequest::post()
            .uri("/api/v1/auth/password")
            .insert_header(("Authorization", format!("Bearer {token}")))
            .set_json(serde_json::json!({ "current_password": current, "new_password": new }))
            .to_request()
    };
    let (status, _, body) = parts(
        call_service(
            &svc,
            change(&first, "wrong", "a new password of some length"),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body)["field"], "current_password");
    let (status, _, body) =
        parts(call_service(&svc, change(&first, PASSWORD, "short")).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body)["field"], "new_password");
    assert_eq!(
        call_service(&svc, catalogue(&second).to_request())
            .await
            .status(),
        StatusCode::OK
    );

    let new_password = "a new password of some length";
    let (status, _, body) =
        parts(call_service(&svc, change(&first, PASSWORD, new_password)).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let fresh = body["access_token"].as_str().unwrap().to_owned();

    // Every token issued before, and the dashboard session, stop working at once.
    for old in [&first, &second] {
        let (status, _, body) = parts(call_service(&svc, catalogue(old).to_request()).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    assert_eq!(
        call_service(&svc, browser.get("/api/v1/dashboard/me").to_request())
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call_service(&svc, catalogue(&fresh).to_request())
            .await
            .status(),
        StatusCode::OK
    );
    // The old password no longer signs in; the new one does.
    let res = call_service(&svc, login(&email, PASSWORD).to_request()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let again = token_of!(svc, &email, new_password);
    assert_eq!(app.state.jwt.verify(&again).unwrap().ver, 1);
    assert_eq!(app.state.jwt.verify(&again).unwrap().sub, id.to_string());
}

#[actix_web::test]
async fn logout_revokes_the_callers_tokens_and_sessions() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, email) = app.user(Role::Viewer).await;
    let (_, other) = app.bearer(Role::Viewer).await;
    let token = token_of!(svc, &email, PASSWORD);
    let (status, headers, body) =
        parts(call_service(&svc, dashboard_common::sign_in_request(&email).to_request()).await)
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let browser = dashboard_common::browser_from(&headers, &body);

    let logout = |token: &str| {
        TestRequest::post()
            .uri("/api/v1/auth/logout")
            .insert_header(("Authorization", format!("Bearer {token}")))
            .to_request()
    };
    assert_eq!(
        call_service(&svc, logout(&token)).await.status(),
        StatusCode::NO_CONTENT
    );
    let (status, _, body) = parts(call_service(&svc, catalogue(&token).to_request()).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(
        call_service(&svc, logout(&token)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call_service(&svc, browser.get("/api/v1/dashboard/me").to_request())
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    // Another user is not affected, and signing in again works.
    let other = other.trim_start_matches("Bearer ").to_owned();
    assert_eq!(
        call_service(&svc, catalogue(&other).to_request())
            .await
            .status(),
        StatusCode::OK
    );
    let again = token_of!(svc, &email, PASSWORD);
    assert_eq!(
        call_service(&svc, catalogue(&again).to_request())
            .await
            .status(),
        StatusCode::OK
    );
}

#[actix_web::test]
async fn a_token_issued_in_the_future_is_refused() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (id, _) = app.user(Role::Admin).await;
    let now = chrono::Utc::now().timestamp();
    let sign = |iat: i64| {
        let claims = serde_json::json!({
            "sub": id.to_string(),
            "role": "admin",
            "iat": iat,
            "exp": iat + 3_600,
            "jti": "future",
            "ver": 0,
        });
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
        )
        .unwrap()
    };
    let (status, _, body) =
        parts(call_service(&svc, catalogue(&sign(now + 86_400)).to_request()).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(error_of(&body)["code"], "unauthorized");
    // The same token issued now is fine (the refusal is about `iat`, nothing else).
    assert_eq!(
        call_service(&svc, catalogue(&sign(now)).to_request())
            .await
            .status(),
        StatusCode::OK
    );
}

#[actix_web::test]
async fn guesses_of_the_current_password_are_spaced_like_sign_ins() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, email) = app.user(Role::User).await;
    let token = token_of!(svc, &email, PASSWORD);
    let guess = |current: &str| {
        TestRequest::post()
            .uri("/api/v1/auth/password")
            .peer_addr("10.60.0.9:40000".parse().unwrap())
            .insert_header(("Authorization", format!("Bearer {token}")))
            .set_json(serde_json::json!({
                "current_password": current,
                "new_password": "a new password of some length",
            }))
            .to_request()
    };
    for n in 0..3 {
        let (status, _, body) = parts(call_service(&svc, guess(&format!("guess {n}"))).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error_of(&body)["field"], "current_password");
    }
    // The fourth guess, at once, waits like a fourth failed sign-in, even with the right password.
    let (status, _, body) = parts(call_service(&svc, guess(PASSWORD)).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    // Nothing changed: the token still works and the password still signs in.
    assert_eq!(
        call_service(&svc, catalogue(&token).to_request())
            .await
            .status(),
        StatusCode::OK
    );
}
