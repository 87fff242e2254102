//! OAuth tokens inside the sync jobs, against mock token and API endpoints with real Postgres and Redis:
//! an expiring token refreshed before the first call, a 401 refreshed once then retried, Microsoft's
//! rotated refresh token persisted (decrypted and checked), a revoked grant marking the account for
//! re-consent with a permanent error, and the `workers` binary doing the same from its environment.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;
use crate::providers;

use base64::Engine;
use chrono::Duration;
use chrono::Utc;
use crm_queue::JobState;
use crm_workers::jobs::mail::sync_error;
use serde_json::json;
use shared::crypto::SecretBox;
use shared::models::email_account::Provider;
use shared::models::email_account::{self as accounts, EmailAccountId, ImapAuth, NewEmailAccount};
use shared::models::interaction;
use shared::models::user::Role;
use wiremock::MockServer;
use wiremock::matchers::{body_string_contains, header};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use providers::*;

#[tokio::test]
async fn expired_token_is_refreshed_first_and_the_rotated_refresh_token_kept() {
    let fx = Fx::new().await;
    let id = fx.account(
        Provider::Outlook,
        &["INBOX"],
        "old-access",
        Some("M.rotating-1"),
        Duration::seconds(-30),
    );
    Mock::given(method("POST"))
        .and(path("/ms/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("refresh_token=M.rotating-1"))
        .and(body_string_contains("client_id=ms-client"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "token_type": "Bearer", "scope": "Mail.Read", "expires_in": 3600,
            "access_token": "new-access", "refresh_token": "M.rotating-2",
        })))
        .expect(1)
        .mount(&fx.mock)
        .await;
    Mock::given(header("authorization", "Bearer old-access"))
        .respond_with(ResponseTemplate::new(401))
        .expect(0)
        .mount(&fx.mock)
        .await;
    let m = Mock::given(method("GET"))
        .and(path(format!("{GRAPH}/mailFolders/inbox/messages/delta")))
        .and(header("authorization", "Bearer new-access"));
    m.respond_with(ResponseTemplate::new(200).set_body_json(delta_page(
        &fx,
        &[item("a1")],
        None,
        Some("d1"),
    )))
    .mount(&fx.mock)
    .await;
    Mock::given(method("GET"))
        .and(path(format!("{GRAPH}/messages/a1/$value")))
        .and(header("authorization", "Bearer new-access"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(mime("a1", "c@example.fr"), "message/rfc822"),
        )
        .mount(&fx.mock)
        .await;
    let out = fx.sync(id).await.unwrap();
    assert_eq!(out.totals.inserted, 1);
    let tokens = fx.tokens(id);
    assert_eq!(tokens.access_token, "new-access");
    assert_eq!(tokens.refresh_token.as_deref(), Some("M.rotating-2"));
    let expiry = fx.account_row(id).token_expires_at.unwrap();
    assert!(expiry > Utc::now() + Duration::minutes(50), "{expiry}");
}

#[tokio::test]
async fn a_401_refreshes_once_and_retries() {
    let fx = Fx::new().await;
    let id = fx.account(
        Provider::Gmail,
        &["INBOX"],
        "stale",
        Some("1//google-refresh"),
        Duration::hours(1),
    );
    Mock::given(header("authorization", "Bearer stale"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": {"code": 401, "message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED"}
        })))
        .mount(&fx.mock)
        .await;
    // Google answers a refresh without a refresh token: the stored one stays.
    Mock::given(method("POST"))
        .and(path("/google/token"))
        .and(body_string_contains("refresh_token=1%2F%2Fgoogle-refresh"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "fresh", "expires_in": 3599, "token_type": "Bearer",
        })))
        .expect(1)
        .mount(&fx.mock)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{GMAIL}/profile")))
        .and(header("authorization", "Bearer fresh"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"historyId": "7"})))
        .mount(&fx.mock)
        .await;
    mount_gmail_list(&fx, "INBOX", None, &["m1"], None).await;
    mount_gmail_message(&fx, "m1", &["INBOX"], "client@example.fr").await;
    let out = fx.sync(id).await.unwrap();
    assert_eq!(out.totals.inserted, 1);
    let tokens = fx.tokens(id);
    assert_eq!(tokens.access_token, "fresh");
    assert_eq!(tokens.refresh_token.as_deref(), Some("1//google-refresh"));
}

#[tokio::test]
async fn a_revoked_grant_marks_the_account_and_stops_retrying() {
    let fx = Fx::new().await;
    let id = fx.account(
        Provider::Outlook,
        &["INBOX"],
        "old",
        Some("M.revoked"),
        Duration::seconds(10),
    );
    Mock::given(method("POST"))
        .and(path("/ms/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_grant",
            "error_description": "AADSTS70000: The provided grant has expired due to it being revoked.",
        })))
        .expect(1)
        .mount(&fx.mock)
        .await;
    let err = fx.sync(id).await.unwrap_err();
    assert!(!err.is_transient(), "{err}");
    assert!(sync_error(err).is_permanent());
    let row = fx.account_row(id);
    assert!(row.needs_reconsent);
    let reason = row.last_error.unwrap();
    assert!(reason.contains("invalid_grant"), "{reason}");
    // The provider's free-text description is not kept (it may quote account details).
    assert!(!reason.contains("AADSTS"), "{reason}");
    // Not retried: the next sync is skipped without calling anyone.
    let out = fx.sync(id).await.unwrap();
    assert_eq!(out.skipped, Some("needs_reconsent"));
    assert!(fx.stored(id).is_empty());
}

/// The `workers` binary reads the OAuth providers from its environment (no `OAUTH_REDIRECT_BASE`):
/// one Outlook account syncs, a revoked one is dead-lettered after a single attempt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workers_binary_syncs_outlook_and_stops_on_a_revoked_grant() {
    let env = common::Env::new().await;
    let mock = MockServer::start().await;
    let secrets = SecretBox::from_key_bytes(&[7; 32]).unwrap();
    let owner = env.db.user("o@crm.test", Role::User);
    let account = |address: &str, tokens: &str, expires: Duration| {
        let new = NewEmailAccount {
            owner_user_id: owner,
            provider: Provider::Outlook,
            address: address.into(),
            imap_host: None,
            imap_port: None,
            imap_security: None,
            imap_auth: ImapAuth::Xoauth2,
            username: None,
            secret_ciphertext: Some(secrets.encrypt(tokens.as_bytes())),
            token_expires_at: Some(Utc::now() + expires),
            folders: vec!["INBOX".into()],
        };
        accounts::create_account(&mut env.db.conn(), &new)
            .unwrap()
            .id
    };
    let good = account(
        "good@mail.test",
        r#"{"access_token":"good","refresh_token":"M.g"}"#,
        Duration::hours(1),
    );
    let revoked = account(
        "gone@mail.test",
        r#"{"access_token":"x","refresh_token":"M.revoked"}"#,
        Duration::hours(-1),
    );
    Mock::given(method("POST"))
        .and(path("/ms/token"))
        .and(body_string_contains("refresh_token=M.revoked"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": "invalid_grant"})))
        .expect(1)
        .mount(&mock)
        .await;
    let link = format!(
        "{}{GRAPH}/mailFolders/inbox/messages/delta?$deltatoken=d",
        mock.uri()
    );
    Mock::given(method("GET"))
        .and(path(format!("{GRAPH}/mailFolders/inbox/messages/delta")))
        .and(header("authorization", "Bearer good"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [item("w1")], "@odata.deltaLink": link,
        })))
        .mount(&mock)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{GRAPH}/messages/w1/$value")))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(mime("w1", "c@example.fr"), "message/rfc822"),
        )
        .mount(&mock)
        .await;

    let key_b64 = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    let graph = format!("{}/graph/v1.0", mock.uri());
    let token = format!("{}/ms/token", mock.uri());
    let _worker = env.spawn_workers(&[
        ("MAIL_ENCRYPTION_KEY", &key_b64),
        ("MS_OAUTH_CLIENT_ID", "ms-client"),
        ("MS_OAUTH_CLIENT_SECRET", "ms-secret"),
        ("MS_TOKEN_URL", &token),
        ("GRAPH_API_URL", &graph),
    ]);
    let enqueue = |id: EmailAccountId| {
        let queue = env.queue.clone();
        async move {
            queue
                .enqueue(
                    &shared::jobs::payloads::mail::SyncAccount { account_id: id },
                    Default::default(),
                )
                .await
                .unwrap()
                .job_id
        }
    };
    let ok = enqueue(good).await;
    let dead = enqueue(revoked).await;
    env.wait_state(&ok, JobState::Succeeded, std::time::Duration::from_secs(30))
        .await;
    let rec = env
        .wait_state(&dead, JobState::Dead, std::time::Duration::from_secs(30))
        .await;
    assert_eq!(rec.attempts, 1, "no retry: {rec:?}");
    assert_eq!(
        interaction::list_for_account(&mut env.db.conn(), good)
            .unwrap()
            .len(),
        1
    );
    let row = accounts::find_account(&mut env.db.conn(), revoked)
        .unwrap()
        .unwrap();
    assert!(row.needs_reconsent);
}
