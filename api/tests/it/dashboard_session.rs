//! Dashboard sign-in: the session cookie's flags, `me` and its CSRF token, sign-out, the shared login
//! rate limit, and the page and its embedded assets.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;
use crate::dashboard_common;

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service};
use common::{TestApp, error_of, header, parts};
use dashboard_common::sign_in_request;
use shared::models::user::Role;

#[actix_web::test]
async fn sign_in_sets_a_strict_httponly_cookie_and_me_gives_the_csrf_token() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (id, email) = app.user(Role::Manager).await;

    let (status, headers, body) =
        parts(call_service(&svc, sign_in_request(&email).to_request()).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cookie = header(&headers, "set-cookie").unwrap();
    assert!(cookie.starts_with("crm_session="), "{cookie}");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="] {
        assert!(cookie.contains(flag), "{flag} missing in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    assert_eq!(header(&headers, "cache-control"), Some("no-store"));
    assert_eq!(body["role"], "manager");
    let csrf = body["csrf_token"].as_str().unwrap().to_owned();
    assert_eq!(csrf.len(), 40);
    let browser = dashboard_common::browser_from(&headers, &body);
    // The cookie value is not stored as such in Redis (only its hash).
    let token = browser.cookie.trim_start_matches("crm_session=").to_owned();
    let mut conn = app.state.redis();
    let found: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}:dash:sess:*", app.state.keys().ns()))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert!(!found[0].contains(&token));

    let (status, _, me) =
        parts(call_service(&svc, browser.get("/api/v1/dashboard/me").to_request()).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user_id"], id.0);
    assert_eq!(me["email"], email);
    assert_eq!(me["can_act"], true);
    assert_eq!(me["is_admin"], false);
    assert_eq!(me["csrf_token"], csrf);
    assert_eq!(
        me["queues"].as_array().unwrap().len(),
        shared::jobs::Queue::ALL.len()
    );

    // Sign-out is state-changing: without the token it is refused and the session lives on.
    let res = call_service(
        &svc,
        browser
            .raw("DELETE", "/api/v1/dashboard/session", None, None)
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = call_service(
        &svc,
        browser
            .send("DELETE", "/api/v1/dashboard/session", None)
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let cleared = header(res.headers(), "set-cookie").unwrap().to_owned();
    assert!(
        cleared.starts_with("crm_session=;") || cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    let (status, _, body) =
        parts(call_service(&svc, browser.get("/api/v1/dashboard/me").to_request()).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(&body)["code"], "unauthorized");
}

#[actix_web::test]
async fn wrong_passwords_unknown_accounts_and_missing_cookies_get_401() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (_, email) = app.user(Role::Viewer).await;
    for (who, password) in [(email.as_str(), "wrong"), ("nobody@example.test", "x")] {
        let req = TestRequest::post()
            .uri("/api/v1/dashboard/session")
            .set_json(serde_json::json!({ "email": who, "password": password }))
            .to_request();
        let (status, headers, body) = parts(call_service(&svc, req).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(header(&headers, "set-cookie").is_none());
        assert_eq!(body["error"]["message"], "invalid email or password");
    }
    for uri in ["/api/v1/dashboard/me", "/api/v1/dashboard/overview"] {
        let res = call_service(&svc, TestRequest::get().uri(uri).to_request()).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{uri}");
        let forged = TestRequest::get()
            .uri(uri)
            .insert_header((
                "Cookie",
                "crm_session=0123456789abcdef0123456789abcdef01234567",
            ))
            .to_request();
        assert_eq!(
            call_service(&svc, forged).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
}

#[actix_web::test]
async fn the_cookie_is_secure_when_the_public_url_is_https() {
    let app = TestApp::with_env(&[("API_PUBLIC_URL", "https://crm.example.test")]).await;
    let svc = service!(app);
    let (_, email) = app.user(Role::Viewer).await;
    let res = call_service(&svc, sign_in_request(&email).to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = header(res.headers(), "set-cookie").unwrap();
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
}

#[actix_web::test]
async fn sign_in_shares_the_login_rate_limit() {
    let app = TestApp::with_env(&[("LOGIN_RATE_LIMIT_PER_MINUTE", "2")]).await;
    let svc = service!(app);
    let (_, email) = app.user(Role::Viewer).await;
    // One attempt through the bearer-token login, one through the dashboard: the third is refused.
    let login = TestRequest::post()
        .uri("/api/v1/auth/login")
        .set_json(serde_json::json!({ "email": email, "password": "wrong" }))
        .to_request();
    assert_eq!(
        call_service(&svc, login).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call_service(&svc, sign_in_request(&email).to_request())
            .await
            .status(),
        StatusCode::OK
    );
    let res = call_service(&svc, sign_in_request(&email).to_request()).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(header(res.headers(), "retry-after").is_some());
}

#[actix_web::test]
async fn both_sign_ins_refuse_a_blank_email_without_counting_it() {
    let app = TestApp::with_env(&[("LOGIN_RATE_LIMIT_PER_MINUTE", "1")]).await;
    let svc = service!(app);
    let (_, email) = app.user(Role::Viewer).await;
    for uri in ["/api/v1/auth/login", "/api/v1/dashboard/session"] {
        let req = TestRequest::post()
            .uri(uri)
            .set_json(serde_json::json!({ "email": "  ", "password": "x" }))
            .to_request();
        let (status, headers, body) = parts(call_service(&svc, req).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(error_of(&body)["field"], "email", "{uri}");
        assert_eq!(error_of(&body)["message"], "email must not be empty");
        assert!(header(&headers, "x-ratelimit-limit").is_none(), "{uri}");
    }
    // Neither blank attempt used the one attempt allowed per minute.
    assert_eq!(
        call_service(&svc, sign_in_request(&email).to_request())
            .await
            .status(),
        StatusCode::OK
    );
}

#[actix_web::test]
async fn the_page_and_its_assets_are_served_from_the_binary_with_a_strict_csp() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let res = call_service(&svc, TestRequest::get().uri("/dashboard").to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        header(res.headers(), "content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = header(res.headers(), "content-security-policy")
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));
    let html = String::from_utf8(actix_web::test::read_body(res).await.to_vec()).unwrap();
    assert!(
        html.contains("/dashboard/assets/app.js") && html.contains("/dashboard/assets/app.css")
    );
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external resources"
    );
    for (file, ty) in [("app.js", "text/javascript"), ("app.css", "text/css")] {
        let res = call_service(
            &svc,
            TestRequest::get()
                .uri(&format!("/dashboard/assets/{file}"))
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK, "{file}");
        assert!(
            header(res.headers(), "content-type")
                .unwrap()
                .starts_with(ty)
        );
    }
    let res = call_service(
        &svc,
        TestRequest::get()
            .uri("/dashboard/assets/../Cargo.toml")
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn sessions_expire_in_redis_and_a_deactivated_account_is_locked_out_at_once() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (id, email) = app.user(Role::Manager).await;
    let (status, headers, body) =
        parts(call_service(&svc, sign_in_request(&email).to_request()).await).await;
    assert_eq!(status, StatusCode::OK);
    let browser = dashboard_common::browser_from(&headers, &body);

    let mut conn = app.state.redis();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}:dash:sess:*", app.state.keys().ns()))
        .query_async(&mut conn)
        .await
        .unwrap();
    let ttl: i64 = redis::cmd("TTL")
        .arg(&keys[0])
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(ttl > 7 * 3_600 && ttl <= 8 * 3_600, "ttl {ttl}");

    let pool = app.state.pool.clone();
    tokio::task::spawn_blocking(move || {
        shared::models::user::set_active(&mut pool.get().unwrap(), id, false).unwrap()
    })
    .await
    .unwrap();
    let res = call_service(&svc, browser.get("/api/v1/dashboard/overview").to_request()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn unknown_dashboard_paths_get_the_json_404() {
    let app = TestApp::new().await;
    let svc = service!(app);
    let (status, _, body) = parts(
        call_service(
            &svc,
            TestRequest::get()
                .uri("/api/v1/dashboard/nope")
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_of(&body)["code"], "not_found");
}
