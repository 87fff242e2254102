//! OAuth consent for Gmail and Outlook against wiremock token and profile endpoints, real Postgres and
//! Redis: the one-time state (missing, expired, reused, another user's, which leaves the owner's intact),
//! PKCE S256 (the mock token endpoints check `code_verifier` against the consent's `code_challenge`, as
//! Google's and Microsoft's do), the code exchange (form POST), tokens stored encrypted, account created
//! then updated, first sync enqueued.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service};
use base64::Engine;
use common::{TestApp, error_of, parts};
use sha2::Digest;
use shared::crypto::SecretBox;
use shared::models::email_account::{self as accounts, EmailAccountId};
use shared::models::user::Role;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Code challenges of every consent URL issued in this test binary (random, so tests cannot collide).
static CHALLENGES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Records the S256 code challenge of a consent URL.
fn expect_pkce(url: &str) {
    let url = reqwest::Url::parse(url).unwrap();
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(
        param("code_challenge_method").as_deref(),
        Some("S256"),
        "{url}"
    );
    let challenge = param("code_challenge").unwrap();
    assert_eq!(challenge.len(), 43, "{challenge}");
    CHALLENGES.lock().unwrap().push(challenge);
}

/// Matches a token request whose `code_verifier` hashes (SHA-256, base64url) to an issued challenge.
struct Pkce;

impl wiremock::Match for Pkce {
    fn matches(&self, request: &Request) -> bool {
        let Some(verifier) = url::form_urlencoded::parse(&request.body)
            .find(|(k, _)| k == "code_verifier")
            .map(|(_, v)| v.into_owned())
        else {
            return false;
        };
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()));
        CHALLENGES.lock().unwrap().contains(&challenge)
    }
}

const KEY: &str = "2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a";
const ACCESS: &str = "ya29.access-token-abc123";
const REFRESH: &str = "1//refresh-token-xyz789";

async fn app(mock: &MockServer) -> TestApp {
    let base = mock.uri();
    let vars: Vec<(String, String)> = vec![
        ("MAIL_ENCRYPTION_KEY".into(), KEY.into()),
        ("GOOGLE_OAUTH_CLIENT_ID".into(), "google-client".into()),
        ("GOOGLE_OAUTH_CLIENT_SECRET".into(), "google-secret".into()),
        ("GOOGLE_AUTH_URL".into(), format!("{base}/google/auth")),
        ("GOOGLE_TOKEN_URL".into(), format!("{base}/google/token")),
        ("GMAIL_API_URL".into(), format!("{base}/gmail")),
        ("MS_OAUTH_CLIENT_ID".into(), "ms-client".into()),
        ("MS_OAUTH_CLIENT_SECRET".into(), "ms-secret".into()),
        ("MS_AUTH_URL".into(), format!("{base}/ms/authorize")),
        ("MS_TOKEN_URL".into(), format!("{base}/ms/token")),
        ("GRAPH_API_URL".into(), format!("{base}/graph/v1.0")),
        (
            "OAUTH_REDIRECT_BASE".into(),
            "https://crm.example.test".into(),
        ),
    ];
    let refs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    TestApp::with_env(&refs).await
}

async fn mock_google(mock: &MockServer, code: &str) {
    Mock::given(method("POST"))
        .and(path("/google/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains("grant_type=authorization_code"))
        .and(body_string_contains(format!("code={code}").as_str()))
        .and(body_string_contains("client_id=google-client"))
        .and(Pkce)
        .and(body_string_contains(
            "redirect_uri=https%3A%2F%2Fcrm.example.test%2Fapi%2Fv1%2Foauth%2Fgmail%2Fcallback",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": ACCESS,
            "expires_in": 3599,
            "refresh_token": REFRESH,
            "scope": "https://www.googleapis.com/auth/gmail.readonly",
            "token_type": "Bearer",
        })))
        .mount(mock)
        .await;
    Mock::given(method("GET"))
        .and(path("/gmail/gmail/v1/users/me/profile"))
        .and(header("authorization", format!("Bearer {ACCESS}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "emailAddress": "jeanne@gmail.test",
            "messagesTotal": 12,
            "threadsTotal": 9,
            "historyId": "4242",
        })))
        .mount(mock)
        .await;
}

/// Calls `GET /oauth/{provider}/authorize`, asserts 200 and returns the body.
macro_rules! authorize {
    ($svc:expr, $bearer:expr, $provider:expr) => {{
        let (status, _, body) = parts(
            call_service(
                &$svc,
                TestRequest::get()
                    .uri(&format!("/api/v1/oauth/{}/authorize", $provider))
                    .insert_header(("Authorization", $bearer.to_owned()))
                    .to_request(),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        expect_pkce(body["url"].as_str().unwrap());
        body
    }};
}

macro_rules! callback {
    ($bearer:expr, $provider:expr, $query:expr $(,)?) => {
        TestRequest::get()
            .uri(&format!("/api/v1/oauth/{}/callback?{}", $provider, $query))
            .insert_header(("Authorization", $bearer.to_owned()))
            .to_request()
    };
}

#[actix_web::test]
async fn gmail_consent_stores_encrypted_tokens_enqueues_a_sync_and_the_state_is_single_use() {
    let mock = MockServer::start().await;
    mock_google(&mock, "good-code").await;
    let app = app(&mock).await;
    let svc = service!(app);
    let (owner_id, owner) = app.bearer(Role::User).await;

    let auth = authorize!(svc, &owner, "gmail");
    let state = auth["state"].as_str().unwrap().to_owned();
    assert_eq!(state.len(), 64);
    let url = auth["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/google/auth?", mock.uri())),
        "{url}"
    );
    for part in [
        "client_id=google-client",
        "response_type=code",
        "access_type=offline",
        &format!("state={state}"),
        "redirect_uri=https%3A%2F%2Fcrm.example.test%2Fapi%2Fv1%2Foauth%2Fgmail%2Fcallback",
    ] {
        assert!(url.contains(part), "{part} missing from {url}");
    }
    let ttl: i64 = redis::cmd("TTL")
        .arg(format!("{}:oauth:state:{state}", app.redis.namespace()))
        .query_async(&mut app.state.redis())
        .await
        .unwrap();
    assert!((290..=300).contains(&ttl), "ttl {ttl}");

    let (status, _, body) = parts(
        call_service(
            &svc,
            callback!(&owner, "gmail", &format!("code=good-code&state={state}")),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let text = body.to_string();
    assert!(!text.contains(ACCESS) && !text.contains(REFRESH), "{text}");
    assert_eq!(body["created"], true);
    assert_eq!(body["account"]["provider"], "gmail");
    assert_eq!(body["account"]["address"], "jeanne@gmail.test");
    assert_eq!(body["account"]["owner_user_id"], owner_id.0);
    let id = body["account"]["id"].as_i64().unwrap();
    let job_id: crm_queue::JobId = body["job_id"].as_str().unwrap().parse().unwrap();
    let job = app.state.queue.get(&job_id).await.unwrap().unwrap();
    assert_eq!(job.job, "mail.sync_account");
    assert_eq!(job.payload["account_id"], id);

    let mut conn = app.state.pool.get().unwrap();
    let account = accounts::find_account(&mut conn, EmailAccountId(id))
        .unwrap()
        .unwrap();
    let sealed = account.secret_ciphertext.clone().unwrap();
    for plain in [ACCESS, REFRESH] {
        assert!(
            !sealed.windows(plain.len()).any(|w| w == plain.as_bytes()),
            "plaintext token in the DB"
        );
    }
    let opened = SecretBox::from_encoded_key(KEY)
        .unwrap()
        .decrypt(&sealed)
        .unwrap();
    let tokens: serde_json::Value = serde_json::from_slice(&opened).unwrap();
    assert_eq!(tokens["access_token"], ACCESS);
    assert_eq!(tokens["refresh_token"], REFRESH);
    assert!(
        account.token_expires_at.unwrap() > chrono::Utc::now() + chrono::Duration::seconds(3000)
    );

    // Reused state.
    let (status, _, body) = parts(
        call_service(
            &svc,
            callback!(&owner, "gmail", &format!("code=good-code&state={state}")),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body)["code"], "invalid_state");

    // A second consent for the same mailbox updates the account instead of creating another.
    let again = authorize!(svc, &owner, "gmail");
    let (status, _, body) = parts(
        call_service(
            &svc,
            callback!(
                &owner,
                "gmail",
                &format!("code=good-code&state={}", again["state"].as_str().unwrap()),
            ),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["created"], false);
    assert_eq!(body["account"]["id"], id);
}

#[actix_web::test]
async fn missing_expired_and_another_users_state_are_refused_before_any_exchange() {
    let mock = MockServer::start().await;
    // No token endpoint may be called.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&mock)
        .await;
    let app = app(&mock).await;
    let svc = service!(app);
    let (_, alice) = app.bearer(Role::User).await;
    let (_, bob) = app.bearer(Role::User).await;

    for query in ["code=abc", "code=abc&state=", "code=abc&state=never-issued"] {
        let (status, _, body) =
            parts(call_service(&svc, callback!(&alice, "gmail", query)).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(error_of(&body)["code"], "invalid_state", "{query}");
    }

    // Expired.
    let auth = authorize!(svc, &alice, "outlook");
    let state = auth["state"].as_str().unwrap();
    let _: i64 = redis::cmd("PEXPIRE")
        .arg(format!("{}:oauth:state:{state}", app.redis.namespace()))
        .arg(1)
        .query_async(&mut app.state.redis())
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let (status, _, body) = parts(
        call_service(
            &svc,
            callback!(&alice, "outlook", &format!("code=abc&state={state}")),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body)["code"], "invalid_state");

    // Another user's state, and a state issued for the other provider.
    let auth = authorize!(svc, &bob, "outlook");
    let state = auth["state"].as_str().unwrap();
    let (status, _, body) = parts(
        call_service(
            &svc,
            callback!(&alice, "outlook", &format!("code=abc&state={state}")),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body)["code"], "invalid_state");
    let auth = authorize!(svc, &alice, "outlook");
    let state = auth["state"].as_str().unwrap();
    let (status, _, body) = parts(
        call_service(
            &svc,
            callback!(&alice, "gmail", &format!("code=abc&state={state}")),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body)["code"], "invalid_state");

    let (status, _, _) = parts(
        call_service(
            &svc,
            TestRequest::get()
                .uri("/api/v1/oauth/yahoo/authorize")
                .insert_header(("Authorization", alice.clone()))
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn outlook_consent_uses_graph_me_and_a_refused_code_is_a_400() {
    let mock = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/ms/token"))
        .and(body_string_contains("code=bad-code"))
        .and(Pkce)
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": "invalid_grant",
            "error_description": "AADSTS70000: The provided authorization code is invalid.",
        })))
        .mount(&mock)
        .await;
    Mock::given(method("POST"))
        .and(path("/ms/token"))
        .and(body_string_contains("code=ms-code"))
        .and(body_string_contains("client_secret=ms-secret"))
        .and(Pkce)
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "token_type": "Bearer",
            "scope": "https://graph.microsoft.com/Mail.Read https://graph.microsoft.com/User.Read",
            "expires_in": 3600,
            "ext_expires_in": 3600,
            "access_token": ACCESS,
            "refresh_token": REFRESH,
        })))
        .mount(&mock)
        .await;
    Mock::given(method("GET"))
        .and(path("/graph/v1.0/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "id": "87d349ed-44d7-43e1-9a83-5f2406dee5bd",
            "displayName": "Jeanne Martin",
            "mail": "jeanne@contoso.test",
            "userPrincipalName": "jeanne@contoso.onmicrosoft.test",
        })))
        .mount(&mock)
        .await;
    let app = app(&mock).await;
    let svc = service!(app);
    let (_, owner) = app.bearer(Role::User).await;

    let auth = authorize!(svc, &owner, "outlook");
    let url = auth["url"].as_str().unwrap();
    assert!(
        url.contains("offline_access") && url.contains("client_id=ms-client"),
        "{url}"
    );
    let (status, _, body) = parts(
        call_service(
            &svc,
            callback!(
                &owner,
                "outlook",
                &format!("code=bad-code&state={}", auth["state"].as_str().unwrap()),
            ),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let err = error_of(&body);
    assert_eq!(err["code"], "oauth_exchange_failed");
    assert!(err["message"].as_str().unwrap().contains("invalid_grant"));

    let auth = authorize!(svc, &owner, "outlook");
    let (status, _, body) = parts(
        call_service(
            &svc,
            callback!(
                &owner,
                "outlook",
                &format!("code=ms-code&state={}", auth["state"].as_str().unwrap()),
            ),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["account"]["provider"], "outlook");
    assert_eq!(body["account"]["address"], "jeanne@contoso.test");
    assert_eq!(
        body["account"]["folders"],
        serde_json::json!(["inbox", "sentitems"])
    );
}

#[actix_web::test]
async fn another_users_attempt_leaves_the_owners_state_usable() {
    let mock = MockServer::start().await;
    mock_google(&mock, "bobs-code").await;
    let app = app(&mock).await;
    let svc = service!(app);
    let (_, alice) = app.bearer(Role::User).await;
    let (bob_id, bob) = app.bearer(Role::User).await;

    let auth = authorize!(svc, &bob, "gmail");
    let state = auth["state"].as_str().unwrap().to_owned();
    // Alice replays Bob's state (for both providers): refused...
    for provider in ["gmail", "outlook"] {
        let (status, _, body) = parts(
            call_service(
                &svc,
                callback!(&alice, provider, &format!("code=bobs-code&state={state}")),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error_of(&body)["code"], "invalid_state");
    }
    // ...without destroying it: Bob completes his consent.
    let (status, _, body) = parts(
        call_service(
            &svc,
            callback!(&bob, "gmail", &format!("code=bobs-code&state={state}")),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["account"]["owner_user_id"], bob_id.0);
}

#[actix_web::test]
async fn the_code_exchange_proves_the_consents_pkce_verifier() {
    let mock = MockServer::start().await;
    mock_google(&mock, "pkce-code").await;
    let app = app(&mock).await;
    let svc = service!(app);
    let (_, owner) = app.bearer(Role::User).await;

    // The verifier is kept server-side with the state, never handed to the client.
    let auth = authorize!(svc, &owner, "gmail");
    let state = auth["state"].as_str().unwrap().to_owned();
    let stored: String = redis::cmd("GET")
        .arg(format!("{}:oauth:state:{state}", app.redis.namespace()))
        .query_async(&mut app.state.redis())
        .await
        .unwrap();
    let verifier = stored.rsplit(':').next().unwrap();
    assert!((43..=128).contains(&verifier.len()), "{stored}");
    assert!(!auth.to_string().contains(verifier));

    // A token endpoint that only answers the right verifier (the matcher) accepts the exchange.
    let (status, _, body) = parts(
        call_service(
            &svc,
            callback!(&owner, "gmail", &format!("code=pkce-code&state={state}")),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let received = mock.received_requests().await.unwrap();
    let exchange = received
        .iter()
        .find(|r| r.url.path() == "/google/token")
        .unwrap();
    let form = String::from_utf8_lossy(&exchange.body).into_owned();
    assert!(
        form.contains(&format!("code_verifier={verifier}")),
        "{form}"
    );
}
