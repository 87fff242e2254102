//! Test harness: a fresh database and Redis namespace per test, an `AppState` on them, users and tokens.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    dead_code,
    reason = "helpers shared by several test binaries, each using a part"
)]

use std::collections::HashMap;

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use crm_api::{AppState, Settings, build_state};
use crm_queue::test_utils::TestRedis;
use shared::config::EnvSource;
use shared::models::UserId;
use shared::models::email_account::{
    self as accounts, EmailAccountId, ImapAuth, ImapSecurity, NewEmailAccount, Provider,
};
use shared::models::user::{self, Role};
use shared::test_utils::TestDb;

pub const JWT_SECRET: &str = "test-secret-for-the-api-0123456789abcdef";
pub const PASSWORD: &str = "correct horse battery staple";

/// Builds the service of `$app` (a [`TestApp`]) with `actix_web::test::init_service`.
#[macro_export]
macro_rules! service {
    ($app:expr) => {
        actix_web::test::init_service(
            actix_web::App::new().configure(crm_api::app_config($app.state.clone())),
        )
        .await
    };
}

/// Builds the service of the monitoring listener (`API_METRICS_BIND`: `/metrics`, detailed health) of `$app`.
#[macro_export]
macro_rules! monitoring_service {
    ($app:expr) => {
        actix_web::test::init_service(
            actix_web::App::new().configure(crm_api::metrics_app_config($app.state.clone())),
        )
        .await
    };
}

pub struct TestApp {
    pub state: AppState,
    pub redis: TestRedis,
    pub db: TestDb,
}

/// Settings on the given stores; `extra` adds or overrides variables.
pub fn settings(
    db_url: &str,
    redis_url: &str,
    namespace: &str,
    extra: &[(&str, &str)],
) -> Settings {
    let mut vars: HashMap<String, String> = [
        ("DATABASE_URL", db_url),
        ("DATABASE_POOL_SIZE", "4"),
        ("REDIS_URL", redis_url),
        ("REDIS_NAMESPACE", namespace),
        ("JWT_SECRET", JWT_SECRET),
        ("API_MAX_BODY_BYTES", "4096"),
        ("RUN_MIGRATIONS", "false"),
        // Dovecot and the mock servers of tests listen on 127.0.0.1, and the test Dovecot speaks plaintext.
        ("EGRESS_ALLOW_CIDRS", "127.0.0.1/32"),
        ("IMAP_ALLOW_PLAINTEXT", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for (k, v) in extra {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    Settings::from_env(&EnvSource::from_map(vars)).expect("test settings are valid")
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_env(&[]).await
    }

    pub async fn with_env(extra: &[(&str, &str)]) -> Self {
        let db = tokio::task::spawn_blocking(TestDb::new).await.unwrap();
        let redis = TestRedis::new();
        let state = build_state(settings(db.url(), redis.url(), redis.namespace(), extra))
            .await
            .expect("state builds");
        Self { state, redis, db }
    }

    /// Creates an active user with [`PASSWORD`]; returns its id and email.
    pub async fn user(&self, role: Role) -> (UserId, String) {
        let email = format!("{}-{}@example.test", role, ulid::Ulid::new()).to_lowercase();
        let pool = self.state.pool.clone();
        let e = email.clone();
        let created = tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().unwrap();
            user::create_user(&mut conn, &e, PASSWORD, role, None).unwrap()
        })
        .await
        .unwrap();
        (created.id, email)
    }

    /// An IMAP mailbox of `owner` (stored only: nothing connects to it).
    pub fn mailbox(&self, owner: UserId) -> EmailAccountId {
        let new = NewEmailAccount {
            owner_user_id: owner,
            provider: Provider::Imap,
            address: format!("sales-{}@crm.test", owner.0),
            imap_host: Some("127.0.0.1".into()),
            imap_port: Some(143),
            imap_security: Some(ImapSecurity::Tls),
            imap_auth: ImapAuth::Login,
            username: None,
            secret_ciphertext: None,
            token_expires_at: None,
            folders: vec!["INBOX".into()],
        };
        accounts::create_account(&mut self.db.conn(), &new)
            .unwrap()
            .id
    }

    /// A valid token for `id` under token version 0, a new user's (the role in the token is informational:
    /// the API re-reads the account).
    pub fn token(&self, id: UserId, role: Role) -> String {
        self.state.jwt.issue(id, role, 0).unwrap().token
    }

    /// A user of `role` and a bearer header value for it.
    pub async fn bearer(&self, role: Role) -> (UserId, String) {
        let (id, _) = self.user(role).await;
        (id, format!("Bearer {}", self.token(id, role)))
    }
}

/// A JSON POST with a bearer header.
pub fn post(bearer: &str, uri: &str, body: serde_json::Value) -> actix_web::test::TestRequest {
    actix_web::test::TestRequest::post()
        .uri(uri)
        .insert_header(("Authorization", bearer.to_owned()))
        .set_json(body)
}

/// A GET with a bearer header.
pub fn get(bearer: &str, uri: &str) -> actix_web::test::TestRequest {
    actix_web::test::TestRequest::get()
        .uri(uri)
        .insert_header(("Authorization", bearer.to_owned()))
}

/// Status, headers and JSON body of a response (`Value::Null` when the body is not JSON).
pub async fn parts<B: MessageBody>(
    res: ServiceResponse<B>,
) -> (StatusCode, HeaderMap, serde_json::Value) {
    let status = res.status();
    let headers = res.headers().clone();
    let body = actix_web::test::read_body(res).await;
    let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    (status, headers, json)
}

/// A header as a string.
pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Asserts the error shape and returns the error object.
pub fn error_of(json: &serde_json::Value) -> &serde_json::Value {
    let err = &json["error"];
    assert!(err["code"].is_string(), "no error code in {json}");
    assert!(err["message"].is_string(), "no error message in {json}");
    err
}
