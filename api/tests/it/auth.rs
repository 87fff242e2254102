//! Login, tokens and rate limits against real Postgres and Redis.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use std::net::SocketAddr;

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service};
use common::{PASSWORD, TestApp, error_of, header, parts};
use redis::AsyncCommands;
use shared::models::user::{self, Role};

fn peer(ip: &str) -> SocketAddr {
    format!("{ip}:40000").parse().unwrap()
}

fn login(email: &str, password: &str, ip: &str) -> TestRequest {
    TestRequest::post()
        .uri("/api/v1/auth/login")
        .peer_addr(peer(ip))
        .set_json(serde_json::json!({ "email": email, "password": password }))
}

#[actix_web::test]
async fn login_returns_a_working_bearer_token_and_stamps_last_login() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (id, email) = app.user(Role::Viewer).await;

    // Case and surrounding spaces of the email do not matter.
    let res = call_service(
        &svc,
        login(
            &format!("  {} ", email.to_uppercase()),
            PASSWORD,
            "10.1.0.1",
        )
        .to_request(),
    )
    .await;
    let (status, headers, body) = parts(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(header(&headers, "x-ratelimit-limit"), Some("5"));
    assert_eq!(header(&headers, "x-ratelimit-remaining"), Some("4"));
    let token = body["access_token"].as_str().unwrap();
    let claims = app.state.jwt.verify(token).unwrap();
    assert_eq!(claims.sub, id.to_string());
    assert_eq!(claims.role, Role::Viewer);

    let res = call_service(
        &svc,
        TestRequest::get()
            .uri("/api/v1/jobs/catalogue")
            .insert_header(("Authorization", format!("Bearer {token}")))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);

    let pool = app.state.pool.clone();
    let found =
        tokio::task::spawn_blocking(move || user::find_user(&mut pool.get().unwrap(), id).unwrap())
            .await
            .unwrap()
            .unwrap();
    assert!(found.last_login_at.is_some());
}

#[actix_web::test]
async fn requests_without_a_valid_token_get_401() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (id, _) = app.user(Role::Admin).await;
    let other_secret = crm_api::auth::JwtKeys::new(
        &secrecy::SecretString::from("another-secret-another-secret-another".to_owned()),
        std::time::Duration::from_secs(60),
    );
    let forged = other_secret.issue(id, Role::Admin, 0).unwrap().token;
    for auth in [
        None,
        Some("Bearer".to_owned()),
        Some("Bearer not.a.jwt".to_owned()),
        Some(format!("Bearer {forged}")),
        Some(format!("Basic {forged}")),
    ] {
        let mut req = TestRequest::get().uri("/api/v1/jobs/catalogue");
        if let Some(a) = &auth {
            req = req.insert_header(("Authorization", a.as_str()));
        }
        let (status, headers, body) = parts(call_service(&svc, req.to_request()).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(error_of(&body)["code"], "unauthorized");
        assert_eq!(header(&headers, "www-authenticate"), Some("Bearer"));
    }
    // POST /jobs too, before anything else is looked at.
    let req = TestRequest::post()
        .uri("/api/v1/jobs")
        .set_json(serde_json::json!({ "job": "maint.backup" }))
        .to_request();
    assert_eq!(
        call_service(&svc, req).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[actix_web::test]
async fn unknown_account_and_wrong_password_get_the_same_answer() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, email) = app.user(Role::Admin).await;

    let wrong = parts(
        call_service(
            &svc,
            login(&email, "wrong password", "10.2.0.1").to_request(),
        )
        .await,
    )
    .await;
    let unknown = parts(
        call_service(
            &svc,
            login("nobody@example.test", PASSWORD, "10.2.0.2").to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(wrong.0, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.0, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.2, unknown.2);
    assert_eq!(error_of(&wrong.2)["message"], "invalid email or password");
}

#[actix_web::test]
async fn inactive_users_cannot_log_in_and_their_tokens_stop_working() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (id, email) = app.user(Role::Admin).await;
    let token = app.token(id, Role::Admin);
    let pool = app.state.pool.clone();
    tokio::task::spawn_blocking(move || {
        user::set_active(&mut pool.get().unwrap(), id, false).unwrap()
    })
    .await
    .unwrap();

    let (status, _, body) =
        parts(call_service(&svc, login(&email, PASSWORD, "10.3.0.1").to_request()).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(&body)["message"], "invalid email or password");

    let req = TestRequest::get()
        .uri("/api/v1/jobs/catalogue")
        .insert_header(("Authorization", format!("Bearer {token}")))
        .to_request();
    assert_eq!(
        call_service(&svc, req).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[actix_web::test]
async fn the_sixth_login_attempt_from_one_ip_within_a_minute_gets_429() {
    let app = TestApp::new().await;
    let svc = service!(app);
    for i in 1..=5 {
        let email = format!("someone{i}@example.test");
        let (status, headers, _) =
            parts(call_service(&svc, login(&email, "x", "10.4.0.1").to_request()).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
        assert_eq!(
            header(&headers, "x-ratelimit-remaining"),
            Some((5 - i).to_string().as_str())
        );
    }
    let (status, headers, body) = parts(
        call_service(
            &svc,
            login("someone6@example.test", "x", "10.4.0.1").to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_of(&body)["code"], "rate_limited");
    let retry_after: u64 = header(&headers, "retry-after").unwrap().parse().unwrap();
    // Sliding window: at most the rest of this minute plus part of the next.
    assert!((1..=120).contains(&retry_after), "{retry_after}");
    assert_eq!(header(&headers, "x-ratelimit-limit"), Some("5"));
    assert_eq!(header(&headers, "x-ratelimit-remaining"), Some("0"));
    let reset: u64 = header(&headers, "x-ratelimit-reset")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(reset, retry_after);

    // Another client is not affected.
    let res = call_service(
        &svc,
        login("someone7@example.test", "x", "10.4.0.2").to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn failures_from_one_ip_never_lock_the_owner_out_from_another_and_keys_hide_the_email() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, email) = app.user(Role::Viewer).await;
    // A stranger hammers the account from many addresses (15 failures, three times the per-minute limit
    // that used to lock the account): each address gets its 3 free failures.
    for i in 1..=5 {
        for attempt in 1..=3 {
            let res = call_service(
                &svc,
                login(&email, "wrong", &format!("10.5.0.{i}")).to_request(),
            )
            .await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{i}/{attempt}");
        }
    }
    // The owner, from their own address, is not delayed at all.
    let res = call_service(
        &svc,
        login(&email.to_uppercase(), PASSWORD, "10.5.1.1").to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);

    let mut conn = app.state.redis();
    let keys: Vec<String> = conn
        .keys(format!("{}:rl:*", app.redis.namespace()))
        .await
        .unwrap();
    assert!(!keys.is_empty());
    let local = email.split('@').next().unwrap();
    for key in &keys {
        assert!(
            !key.contains('@') && !key.contains(local) && !key.contains("10.5.0"),
            "{key}"
        );
    }
}

#[actix_web::test]
async fn failures_of_one_account_from_one_ip_are_spaced_progressively_and_a_success_resets_them() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, email) = app.user(Role::Viewer).await;
    let ip = "10.6.0.1";
    for attempt in 1..=3 {
        let res = call_service(&svc, login(&email, "wrong", ip).to_request()).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{attempt}");
    }
    // Three free failures spent: the pair's next attempt waits 2^(3-3) = 1 s after the last failure,
    // even with the right password.
    let (status, headers, body) =
        parts(call_service(&svc, login(&email, PASSWORD, ip).to_request()).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(error_of(&body)["code"], "rate_limited");
    assert_eq!(header(&headers, "retry-after"), Some("1"));
    // The owner elsewhere is not delayed.
    let res = call_service(&svc, login(&email, PASSWORD, "10.6.0.2").to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    // Once the delay has passed, the right password signs in and clears the pair's failures.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let res = call_service(&svc, login(&email, PASSWORD, ip).to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let mut conn = app.state.redis();
    let pairs: Vec<String> = conn
        .keys(format!("{}:rl:login:pair:*", app.redis.namespace()))
        .await
        .unwrap();
    assert!(pairs.is_empty(), "{pairs:?}");
}

#[actix_web::test]
async fn authenticated_routes_are_rate_limited_per_user_with_headers_on_every_response() {
    let app = TestApp::with_env(&[("RATE_LIMIT_PER_MINUTE", "3")]).await;
    let svc = service!(app);
    let (_, bearer) = app.bearer(Role::Viewer).await;
    let (_, other) = app.bearer(Role::Viewer).await;
    let get = |auth: &str| {
        TestRequest::get()
            .uri("/api/v1/jobs/catalogue")
            .insert_header(("Authorization", auth.to_owned()))
            .to_request()
    };
    for remaining in ["2", "1", "0"] {
        let res = call_service(&svc, get(&bearer)).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(header(res.headers(), "x-ratelimit-limit"), Some("3"));
        assert_eq!(
            header(res.headers(), "x-ratelimit-remaining"),
            Some(remaining)
        );
        assert!(res.headers().contains_key("x-ratelimit-reset"));
    }
    let (status, headers, body) = parts(call_service(&svc, get(&bearer)).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_of(&body)["code"], "rate_limited");
    assert!(headers.contains_key("retry-after"));
    // Error responses of authenticated routes carry the headers too.
    let req = TestRequest::get()
        .uri("/api/v1/jobs/not-an-id")
        .insert_header(("Authorization", other.clone()))
        .to_request();
    let res = call_service(&svc, req).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(header(res.headers(), "x-ratelimit-remaining"), Some("2"));
}

#[actix_web::test]
async fn login_rejects_unknown_fields_and_non_json() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let req = TestRequest::post()
        .uri("/api/v1/auth/login")
        .set_json(serde_json::json!({ "email": "a@b.c", "password": "x", "remember": true }))
        .to_request();
    let (status, _, body) = parts(call_service(&svc, req).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body)["field"], "remember");

    let req = TestRequest::post()
        .uri("/api/v1/auth/login")
        .insert_header(("Content-Type", "text/plain"))
        .set_payload("email=a")
        .to_request();
    let (status, _, body) = parts(call_service(&svc, req).await).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(error_of(&body)["code"], "unsupported_media_type");
}
