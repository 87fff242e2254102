//! Mock Gmail, Graph and token endpoints (wiremock answering the documented JSON) around a fresh
//! database and Redis namespace, for the provider sync tests.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "helpers shared by several test binaries, each using a part"
)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use crm_mailbox::oauth::StoredTokens;
use crm_mailbox::sync::{SyncError, SyncOutcome, SyncSettings};
use crm_queue::test_utils::TestRedis;
use reqwest::Url;
use secrecy::SecretString;
use serde_json::json;
use shared::config::{OAuthConfig, ProviderConfig};
use shared::crypto::SecretBox;
use shared::models::UserId;
use shared::models::email_account::{
    self as accounts, EmailAccount, EmailAccountId, ImapAuth, NewEmailAccount, Provider,
};
use shared::models::interaction::{self, Interaction};
use shared::models::user::Role;
use shared::test_utils::TestDb;
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const ADDRESS: &str = "jeanne@mail.test";
pub const GMAIL: &str = "/gmail/gmail/v1/users/me";
pub const GRAPH: &str = "/graph/v1.0/me";

pub struct Fx {
    pub db: TestDb,
    pub redis: TestRedis,
    pub secrets: SecretBox,
    pub owner: UserId,
    pub mock: MockServer,
}

impl Fx {
    pub async fn new() -> Self {
        let db = TestDb::new();
        let owner = db.user("owner@crm.test", Role::User);
        Self {
            db,
            redis: TestRedis::new(),
            secrets: SecretBox::from_key_bytes(&[7; 32]).unwrap(),
            owner,
            mock: MockServer::start().await,
        }
    }

    pub fn url(&self, p: &str) -> Url {
        Url::parse(&format!("{}{p}", self.mock.uri())).unwrap()
    }

    pub fn settings(&self) -> SyncSettings {
        let provider = |id: &str, token: &str, api: &str| ProviderConfig {
            client_id: id.to_owned(),
            client_secret: SecretString::from("client-secret"),
            auth_url: self.url("/auth"),
            token_url: self.url(token),
            api_url: self.url(api),
        };
        SyncSettings {
            oauth: OAuthConfig {
                google: Some(provider("google-client", "/google/token", "/gmail")),
                microsoft: Some(provider("ms-client", "/ms/token", "/graph/v1.0")),
                redirect_base: None,
            },
            ..crate::common::test_sync_settings()
        }
    }

    pub fn account(
        &self,
        provider: Provider,
        folders: &[&str],
        access: &str,
        refresh: Option<&str>,
        expires_in: Duration,
    ) -> EmailAccountId {
        let tokens = StoredTokens {
            access_token: access.to_owned(),
            refresh_token: refresh.map(str::to_owned),
            scope: None,
            token_type: Some("Bearer".into()),
        };
        let new = NewEmailAccount {
            owner_user_id: self.owner,
            provider,
            address: ADDRESS.into(),
            imap_host: None,
            imap_port: None,
            imap_security: None,
            imap_auth: ImapAuth::Xoauth2,
            username: None,
            secret_ciphertext: Some(
                self.secrets
                    .encrypt(serde_json::to_string(&tokens).unwrap().as_bytes()),
            ),
            token_expires_at: Some(Utc::now() + expires_in),
            folders: folders.iter().map(|f| (*f).to_owned()).collect(),
        };
        accounts::create_account(&mut self.db.conn(), &new)
            .unwrap()
            .id
    }

    pub async fn sync(&self, id: EmailAccountId) -> Result<SyncOutcome, SyncError> {
        self.sync_with(id, &self.settings()).await
    }

    pub async fn sync_with(
        &self,
        id: EmailAccountId,
        settings: &SyncSettings,
    ) -> Result<SyncOutcome, SyncError> {
        crate::common::sync_mailbox(&self.db, &self.redis, &self.secrets, id, settings).await
    }

    pub fn stored(&self, id: EmailAccountId) -> Vec<Interaction> {
        interaction::list_for_account(&mut self.db.conn(), id).unwrap()
    }

    pub fn account_row(&self, id: EmailAccountId) -> EmailAccount {
        accounts::find_account(&mut self.db.conn(), id)
            .unwrap()
            .unwrap()
    }

    pub fn tokens(&self, id: EmailAccountId) -> StoredTokens {
        let sealed = self.account_row(id).secret_ciphertext.unwrap();
        serde_json::from_slice(&self.secrets.decrypt(&sealed).unwrap()).unwrap()
    }

    pub fn cursor(&self, id: EmailAccountId, folder: &str) -> (Option<String>, Option<String>) {
        let s = accounts::folder_state(&mut self.db.conn(), id, folder)
            .unwrap()
            .expect("folder state");
        (s.history_id, s.delta_link)
    }

    pub async fn get(&self, p: &str, body: serde_json::Value) {
        Mock::given(method("GET"))
            .and(path(p))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&self.mock)
            .await;
    }
}

pub fn mime(n: &str, from: &str) -> String {
    format!(
        "Message-ID: <{n}@provider.test>\r\nFrom: {from}\r\nTo: {ADDRESS}\r\nSubject: Devis {n}\r\n\
Date: Tue, 3 Mar 2026 10:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour, devis {n}.\r\n"
    )
}

pub fn gmail_raw(id: &str, labels: &[&str], from: &str) -> serde_json::Value {
    json!({
        "id": id,
        "threadId": format!("t-{id}"),
        "labelIds": labels,
        "snippet": "",
        "historyId": "900",
        "internalDate": "1772528400000",
        "sizeEstimate": 300,
        "raw": URL_SAFE_NO_PAD.encode(mime(id, from)),
    })
}

pub async fn mount_gmail_message(fx: &Fx, id: &str, labels: &[&str], from: &str) {
    Mock::given(method("GET"))
        .and(path(format!("{GMAIL}/messages/{id}")))
        .and(query_param("format", "raw"))
        .respond_with(ResponseTemplate::new(200).set_body_json(gmail_raw(id, labels, from)))
        .mount(&fx.mock)
        .await;
}

pub async fn mount_gmail_list(
    fx: &Fx,
    label: &str,
    token: Option<&str>,
    ids: &[&str],
    next: Option<&str>,
) {
    let mut body = json!({
        "messages": ids.iter().map(|i| json!({"id": i, "threadId": format!("t-{i}")})).collect::<Vec<_>>(),
        "resultSizeEstimate": 4,
    });
    if let Some(n) = next {
        body["nextPageToken"] = json!(n);
    }
    let m = Mock::given(method("GET"))
        .and(path(format!("{GMAIL}/messages")))
        .and(query_param("labelIds", label))
        .and(query_param("maxResults", "100"));
    let m = match token {
        Some(t) => m.and(query_param("pageToken", t)),
        None => m.and(query_param_is_missing("pageToken")),
    };
    m.respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&fx.mock)
        .await;
}

pub async fn mount_value(fx: &Fx, id: &str, from: &str) {
    Mock::given(method("GET"))
        .and(path(format!("{GRAPH}/messages/{id}/$value")))
        .respond_with(ResponseTemplate::new(200).set_body_raw(mime(id, from), "message/rfc822"))
        .mount(&fx.mock)
        .await;
}

/// A page of the inbox's `messages/delta`.
pub fn delta_page(
    fx: &Fx,
    items: &[serde_json::Value],
    next: Option<&str>,
    delta: Option<&str>,
) -> serde_json::Value {
    delta_page_in(fx, "inbox", items, next, delta)
}

/// A page of `messages/delta` of the Graph folder `folder` (a well-known name or an id), with its next or
/// delta link.
pub fn delta_page_in(
    fx: &Fx,
    folder: &str,
    items: &[serde_json::Value],
    next: Option<&str>,
    delta: Option<&str>,
) -> serde_json::Value {
    let link = |q: &str| {
        format!(
            "{}{GRAPH}/mailFolders/{folder}/messages/delta?{q}",
            fx.mock.uri()
        )
    };
    let mut body = json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(message)",
        "value": items,
    });
    if let Some(n) = next {
        body["@odata.nextLink"] = json!(link(&format!("$skiptoken={n}")));
    }
    if let Some(d) = delta {
        body["@odata.deltaLink"] = json!(link(&format!("$deltatoken={d}")));
    }
    body
}

pub fn item(id: &str) -> serde_json::Value {
    json!({"@odata.type": "#microsoft.graph.message", "@odata.etag": "W/\"x\"", "id": id})
}

/// Answers the inbox's `messages/delta`: the first request (no token) or the one with `q`.
pub async fn mount_delta(fx: &Fx, q: Option<(&str, &str)>, status: u16, body: serde_json::Value) {
    mount_delta_in(fx, "inbox", q, status, body).await;
}

/// Answers `messages/delta` of the Graph folder `folder`: the first request (no token) or the one with `q`.
pub async fn mount_delta_in(
    fx: &Fx,
    folder: &str,
    q: Option<(&str, &str)>,
    status: u16,
    body: serde_json::Value,
) {
    let m = Mock::given(method("GET"))
        .and(path(format!("{GRAPH}/mailFolders/{folder}/messages/delta")));
    let m = match q {
        Some((k, v)) => m.and(query_param(k.to_owned(), v.to_owned())),
        None => m
            .and(query_param("$select", "id"))
            .and(header("prefer", "odata.maxpagesize=100"))
            .and(query_param_is_missing("$skiptoken"))
            .and(query_param_is_missing("$deltatoken")),
    };
    m.respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&fx.mock)
        .await;
}
