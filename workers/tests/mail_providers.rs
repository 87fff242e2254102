//! Gmail API and Microsoft Graph sync against wiremock servers answering the documented JSON, with real
//! Postgres and Redis: Gmail full sync over several pages then `history.list`, an expired history id
//! (404) falling back to a full sync; Graph delta pages to the deltaLink, the next sync from it, `@removed`,
//! 410 Gone resetting the folder; OAuth tokens refreshed before expiry and after a 401, Microsoft's rotated
//! refresh token persisted, a revoked grant marking the account for re-consent; a paging link to a foreign
//! host refused. Dedupe is checked by counting stored rows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use crm_workers::jobs::mail::sync_error;
use crm_workers::jobs::maint::NoProgress;
use crm_workers::mail::oauth::{OAuthConfig, ProviderConfig, StoredTokens};
use crm_workers::mail::sync::{SyncDeps, SyncError, SyncOutcome, SyncSettings, sync_account};
use reqwest::Url;
use secrecy::SecretString;
use serde_json::json;
use shared::crypto::SecretBox;
use shared::jobs::JobState;
use shared::models::UserId;
use shared::models::email_account::{
    self as accounts, EmailAccount, EmailAccountId, ImapAuth, NewEmailAccount, Provider,
};
use shared::models::interaction::{self, Direction, Interaction, SkippedReason};
use shared::models::user::{Role, create_user};
use shared::test_utils::{TestDb, TestRedis};
use wiremock::matchers::{
    body_string_contains, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ADDRESS: &str = "jeanne@mail.test";
const GMAIL: &str = "/gmail/gmail/v1/users/me";
const GRAPH: &str = "/graph/v1.0/me";

struct Fx {
    db: TestDb,
    redis: TestRedis,
    secrets: SecretBox,
    owner: UserId,
    mock: MockServer,
}

impl Fx {
    async fn new() -> Self {
        let db = TestDb::new();
        let owner = create_user(
            &mut db.conn(),
            "owner@crm.test",
            "pw-pw-pw-pw",
            Role::User,
            None,
        )
        .unwrap()
        .id;
        Self {
            db,
            redis: TestRedis::new(),
            secrets: SecretBox::from_key_bytes(&[7; 32]).unwrap(),
            owner,
            mock: MockServer::start().await,
        }
    }

    fn url(&self, p: &str) -> Url {
        Url::parse(&format!("{}{p}", self.mock.uri())).unwrap()
    }

    fn settings(&self) -> SyncSettings {
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
            ..SyncSettings::default()
        }
    }

    fn account(
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

    async fn sync(&self, id: EmailAccountId) -> Result<SyncOutcome, SyncError> {
        self.sync_with(id, &self.settings()).await
    }

    async fn sync_with(
        &self,
        id: EmailAccountId,
        settings: &SyncSettings,
    ) -> Result<SyncOutcome, SyncError> {
        let queue = self.redis.queue().await;
        let deps = SyncDeps {
            pool: self.db.pool(),
            redis: queue.connection(),
            namespace: self.redis.namespace(),
            secrets: Some(&self.secrets),
            analysis_queue: None,
        };
        sync_account(&deps, settings, id.0, &NoProgress).await
    }

    fn stored(&self, id: EmailAccountId) -> Vec<Interaction> {
        interaction::list_for_account(&mut self.db.conn(), id).unwrap()
    }

    fn account_row(&self, id: EmailAccountId) -> EmailAccount {
        accounts::find_account(&mut self.db.conn(), id)
            .unwrap()
            .unwrap()
    }

    fn tokens(&self, id: EmailAccountId) -> StoredTokens {
        let sealed = self.account_row(id).secret_ciphertext.unwrap();
        serde_json::from_slice(&self.secrets.decrypt(&sealed).unwrap()).unwrap()
    }

    fn cursor(&self, id: EmailAccountId, folder: &str) -> (Option<String>, Option<String>) {
        let s = accounts::folder_state(&mut self.db.conn(), id, folder)
            .unwrap()
            .expect("folder state");
        (s.history_id, s.delta_link)
    }

    async fn get(&self, p: &str, body: serde_json::Value) {
        Mock::given(method("GET"))
            .and(path(p))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&self.mock)
            .await;
    }
}

fn mime(n: &str, from: &str) -> String {
    format!(
        "Message-ID: <{n}@provider.test>\r\nFrom: {from}\r\nTo: {ADDRESS}\r\nSubject: Devis {n}\r\n\
Date: Tue, 3 Mar 2026 10:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour, devis {n}.\r\n"
    )
}

fn gmail_raw(id: &str, labels: &[&str], from: &str) -> serde_json::Value {
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

async fn mount_gmail_message(fx: &Fx, id: &str, labels: &[&str], from: &str) {
    Mock::given(method("GET"))
        .and(path(format!("{GMAIL}/messages/{id}")))
        .and(query_param("format", "raw"))
        .respond_with(ResponseTemplate::new(200).set_body_json(gmail_raw(id, labels, from)))
        .mount(&fx.mock)
        .await;
}

async fn mount_gmail_list(
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

#[tokio::test]
async fn gmail_full_sync_over_pages_then_history() {
    let fx = Fx::new().await;
    let id = fx.account(
        Provider::Gmail,
        &["INBOX", "SENT"],
        "ya29.ok",
        Some("1//r"),
        Duration::hours(1),
    );
    fx.get(
        &format!("{GMAIL}/profile"),
        json!({"emailAddress": ADDRESS, "historyId": "1000"}),
    )
    .await;
    mount_gmail_list(&fx, "INBOX", None, &["m1", "m2"], Some("page-2")).await;
    mount_gmail_list(&fx, "INBOX", Some("page-2"), &["m3", "big", "bad"], None).await;
    mount_gmail_list(&fx, "SENT", None, &["s1"], None).await;
    for m in ["m1", "m2", "m3"] {
        mount_gmail_message(&fx, m, &["INBOX"], "Client <client@example.fr>").await;
    }
    mount_gmail_message(&fx, "s1", &["SENT"], ADDRESS).await;
    // Over MAIL_MAX_BYTES by its size estimate: the headers come from format=metadata.
    let mut big = gmail_raw("big", &["INBOX"], "client@example.fr");
    big["sizeEstimate"] = json!(30 * 1_048_576);
    Mock::given(method("GET"))
        .and(path(format!("{GMAIL}/messages/big")))
        .and(query_param("format", "raw"))
        .respond_with(ResponseTemplate::new(200).set_body_json(big))
        .mount(&fx.mock)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{GMAIL}/messages/big")))
        .and(query_param("format", "metadata"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "big", "labelIds": ["INBOX"], "sizeEstimate": 30 * 1_048_576,
            "payload": {"headers": [
                {"name": "Message-ID", "value": "<big@provider.test>"},
                {"name": "From", "value": "client@example.fr"},
                {"name": "Subject", "value": "Plans"},
            ]},
        })))
        .mount(&fx.mock)
        .await;
    let mut bad = gmail_raw("bad", &["INBOX"], "client@example.fr");
    bad["raw"] = json!("%%% not base64 %%%");
    Mock::given(method("GET"))
        .and(path(format!("{GMAIL}/messages/bad")))
        .and(query_param("format", "raw"))
        .respond_with(ResponseTemplate::new(200).set_body_json(bad))
        .mount(&fx.mock)
        .await;

    let out = fx.sync(id).await.unwrap();
    assert_eq!(out.totals.inserted, 6, "{out:?}");
    assert_eq!(out.totals.skipped, 2, "{out:?}");
    let rows = fx.stored(id);
    assert_eq!(rows.len(), 6);
    let by_provider = |p: &str| {
        rows.iter()
            .find(|r| r.provider_id.as_deref() == Some(p))
            .unwrap()
    };
    assert_eq!(by_provider("s1").direction, Direction::Outbound);
    assert_eq!(by_provider("m1").direction, Direction::Inbound);
    assert_eq!(by_provider("m1").message_id, "m1@provider.test");
    assert!(
        by_provider("m1")
            .body_text
            .as_deref()
            .unwrap()
            .contains("devis m1")
    );
    assert_eq!(
        by_provider("big").skipped_reason,
        Some(SkippedReason::Oversized)
    );
    assert_eq!(by_provider("big").message_id, "big@provider.test");
    assert!(by_provider("big").body_text.is_none());
    assert_eq!(
        by_provider("bad").skipped_reason,
        Some(SkippedReason::Malformed)
    );
    // The cursor is the profile's historyId taken before listing, not the messages' own.
    assert_eq!(fx.cursor(id, "INBOX").0.as_deref(), Some("1000"));
    assert_eq!(fx.cursor(id, "SENT").0.as_deref(), Some("1000"));

    // Incremental: history.list from 1000, two pages; m2 is re-added (label change) and stays single.
    fx.mock.reset().await;
    let history = |start: &str, label: &str, token: Option<&str>| {
        let m = Mock::given(method("GET"))
            .and(path(format!("{GMAIL}/history")))
            .and(query_param("startHistoryId", start.to_owned()))
            .and(query_param("labelId", label.to_owned()))
            .and(query_param("historyTypes", "messageAdded"))
            .and(query_param("historyTypes", "labelAdded"));
        match token {
            Some(t) => m.and(query_param("pageToken", t.to_owned())),
            None => m.and(query_param_is_missing("pageToken")),
        }
    };
    history("1000", "INBOX", None)
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "history": [{"id": "1001", "messages": [{"id": "m4"}],
                         "messagesAdded": [{"message": {"id": "m4", "threadId": "t", "labelIds": ["INBOX"]}}]}],
            "nextPageToken": "h-2",
            "historyId": "1010",
        })))
        .mount(&fx.mock)
        .await;
    history("1000", "INBOX", Some("h-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "history": [
                {"id": "1002", "messagesAdded": [
                    {"message": {"id": "m5", "labelIds": ["INBOX"]}},
                    {"message": {"id": "m2", "labelIds": ["INBOX"]}}]},
                // m6 moved back to the inbox counts; m7 only starred does not.
                {"id": "1003", "labelsAdded": [
                    {"message": {"id": "m6", "labelIds": ["INBOX", "IMPORTANT"]}, "labelIds": ["INBOX"]},
                    {"message": {"id": "m7", "labelIds": ["INBOX", "STARRED"]}, "labelIds": ["STARRED"]}]}],
            "historyId": "1012",
        })))
        .mount(&fx.mock)
        .await;
    history("1000", "SENT", None)
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"historyId": "1012"})))
        .mount(&fx.mock)
        .await;
    for m in ["m2", "m4", "m5", "m6"] {
        mount_gmail_message(&fx, m, &["INBOX"], "client@example.fr").await;
    }
    Mock::given(method("GET"))
        .and(path(format!("{GMAIL}/messages/m7")))
        .respond_with(ResponseTemplate::new(200).set_body_json(gmail_raw(
            "m7",
            &["INBOX"],
            "c@example.fr",
        )))
        .expect(0)
        .mount(&fx.mock)
        .await;
    let out = fx.sync(id).await.unwrap();
    assert_eq!(out.totals.inserted, 3, "{out:?}");
    assert_eq!(out.totals.duplicates, 1, "{out:?}");
    // m2 is already stored under its Gmail id: not downloaded again.
    assert_eq!(out.folders[0].new_uids, 3, "{out:?}");
    assert_eq!(fx.stored(id).len(), 9);
    assert_eq!(fx.cursor(id, "INBOX").0.as_deref(), Some("1012"));
    assert_eq!(fx.cursor(id, "SENT").0.as_deref(), Some("1012"));
    assert!(!out.folders[0].resynced);
}

#[tokio::test]
async fn gmail_expired_history_falls_back_to_a_full_sync_without_duplicates() {
    let fx = Fx::new().await;
    let id = fx.account(
        Provider::Gmail,
        &["INBOX"],
        "ya29.ok",
        Some("1//r"),
        Duration::hours(1),
    );
    fx.get(&format!("{GMAIL}/profile"), json!({"historyId": "100"}))
        .await;
    mount_gmail_list(&fx, "INBOX", None, &["m1", "m2"], None).await;
    for m in ["m1", "m2", "m3"] {
        mount_gmail_message(&fx, m, &["INBOX"], "client@example.fr").await;
    }
    assert_eq!(fx.sync(id).await.unwrap().totals.inserted, 2);

    fx.mock.reset().await;
    Mock::given(method("GET"))
        .and(path(format!("{GMAIL}/history")))
        .and(query_param("startHistoryId", "100"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}
        })))
        .expect(1)
        .mount(&fx.mock)
        .await;
    fx.get(&format!("{GMAIL}/profile"), json!({"historyId": "250"}))
        .await;
    mount_gmail_list(&fx, "INBOX", None, &["m3", "m2", "m1"], None).await;
    for m in ["m1", "m2", "m3"] {
        mount_gmail_message(&fx, m, &["INBOX"], "client@example.fr").await;
    }
    let out = fx.sync(id).await.unwrap();
    assert!(out.folders[0].resynced, "{out:?}");
    assert_eq!(out.totals.inserted, 1, "{out:?}");
    assert_eq!(out.totals.duplicates, 2, "{out:?}");
    assert_eq!(out.folders[0].new_uids, 1, "{out:?}");
    assert_eq!(fx.stored(id).len(), 3);
    assert_eq!(fx.cursor(id, "INBOX").0.as_deref(), Some("250"));
}

async fn mount_value(fx: &Fx, id: &str, from: &str) {
    Mock::given(method("GET"))
        .and(path(format!("{GRAPH}/messages/{id}/$value")))
        .respond_with(ResponseTemplate::new(200).set_body_raw(mime(id, from), "message/rfc822"))
        .mount(&fx.mock)
        .await;
}

fn delta_page(
    fx: &Fx,
    items: &[serde_json::Value],
    next: Option<&str>,
    delta: Option<&str>,
) -> serde_json::Value {
    let link = |q: &str| {
        format!(
            "{}{GRAPH}/mailFolders/inbox/messages/delta?{q}",
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

fn item(id: &str) -> serde_json::Value {
    json!({"@odata.type": "#microsoft.graph.message", "@odata.etag": "W/\"x\"", "id": id})
}

async fn mount_delta(fx: &Fx, q: Option<(&str, &str)>, status: u16, body: serde_json::Value) {
    let m =
        Mock::given(method("GET")).and(path(format!("{GRAPH}/mailFolders/inbox/messages/delta")));
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

#[tokio::test]
async fn graph_delta_pages_delta_link_removed_and_gone() {
    let fx = Fx::new().await;
    let id = fx.account(
        Provider::Outlook,
        &["INBOX"],
        "eyJ.ok",
        Some("M.r"),
        Duration::hours(1),
    );
    mount_delta(
        &fx,
        None,
        200,
        delta_page(&fx, &[item("a1"), item("a2")], Some("s2"), None),
    )
    .await;
    let removed = json!({"@odata.type": "#microsoft.graph.message", "id": "a0", "@removed": {"reason": "deleted"}});
    mount_delta(
        &fx,
        Some(("$skiptoken", "s2")),
        200,
        delta_page(&fx, &[item("a3"), removed], None, Some("d1")),
    )
    .await;
    for a in ["a1", "a2", "a3", "a4", "a5"] {
        mount_value(&fx, a, "Client <client@example.fr>").await;
    }
    let out = fx.sync(id).await.unwrap();
    assert_eq!(out.totals.inserted, 3, "{out:?}");
    assert_eq!(out.folders[0].removed, 1, "{out:?}");
    let d1 = format!(
        "{}{GRAPH}/mailFolders/inbox/messages/delta?$deltatoken=d1",
        fx.mock.uri()
    );
    assert_eq!(fx.cursor(id, "INBOX").1.as_deref(), Some(d1.as_str()));
    assert!(
        fx.stored(id)
            .iter()
            .all(|r| r.direction == Direction::Inbound && r.folder == "INBOX")
    );

    // The next sync starts from the deltaLink and gets only what changed; a1 is reported again
    // (its flags changed): counted as a duplicate, not downloaded.
    mount_delta(
        &fx,
        Some(("$deltatoken", "d1")),
        200,
        delta_page(&fx, &[item("a1"), item("a4")], None, Some("d2")),
    )
    .await;
    let out = fx.sync(id).await.unwrap();
    assert_eq!(
        (out.totals.inserted, out.totals.duplicates),
        (1, 1),
        "{out:?}"
    );
    assert_eq!(out.folders[0].new_uids, 1, "{out:?}");
    assert_eq!(fx.stored(id).len(), 4);
    assert!(
        fx.cursor(id, "INBOX")
            .1
            .unwrap()
            .ends_with("$deltatoken=d2")
    );

    // 410 Gone on the stored link: the folder is read again from the start, nothing stored twice.
    fx.mock.reset().await;
    mount_delta(
        &fx,
        Some(("$deltatoken", "d2")),
        410,
        json!({"error": {"code": "SyncStateNotFound", "message": "The sync state generation is not found."}}),
    )
    .await;
    let all: Vec<_> = ["a1", "a2", "a3", "a4", "a5"]
        .iter()
        .map(|a| item(a))
        .collect();
    mount_delta(&fx, None, 200, delta_page(&fx, &all, None, Some("d3"))).await;
    for a in ["a1", "a2", "a3", "a4", "a5"] {
        mount_value(&fx, a, "client@example.fr").await;
    }
    let out = fx.sync(id).await.unwrap();
    assert!(out.folders[0].resynced, "{out:?}");
    assert_eq!(
        (out.totals.inserted, out.totals.duplicates),
        (1, 4),
        "{out:?}"
    );
    assert_eq!(out.folders[0].new_uids, 1, "{out:?}");
    assert_eq!(fx.stored(id).len(), 5);
    assert!(
        fx.cursor(id, "INBOX")
            .1
            .unwrap()
            .ends_with("$deltatoken=d3")
    );
}

#[tokio::test]
async fn graph_sent_items_are_outbound_and_foreign_links_are_refused() {
    let fx = Fx::new().await;
    let id = fx.account(
        Provider::Outlook,
        &["INBOX"],
        "eyJ.ok",
        Some("M.r"),
        Duration::hours(1),
    );
    let mut page = delta_page(&fx, &[item("a1")], None, None);
    page["@odata.nextLink"] =
        json!("https://attacker.example/v1.0/me/mailFolders/inbox/messages/delta?$skiptoken=x");
    mount_delta(&fx, None, 200, page).await;
    mount_value(&fx, "a1", "client@example.fr").await;
    let err = fx.sync(id).await.unwrap_err();
    assert!(
        err.to_string().contains("outside the configured API URL"),
        "{err}"
    );
    assert!(!err.is_transient());
    assert!(
        accounts::folder_state(&mut fx.db.conn(), id, "INBOX")
            .unwrap()
            .and_then(|s| s.delta_link)
            .is_none()
    );
    assert!(fx.account_row(id).last_error.is_some());

    let sent = fx.account_sent().await;
    let out = fx.sync(sent).await.unwrap();
    assert_eq!(out.totals.inserted, 1, "{out:?}");
    assert_eq!(fx.stored(sent)[0].direction, Direction::Outbound);
}

impl Fx {
    /// A second Outlook account syncing `Sent` (Graph's `sentitems`).
    async fn account_sent(&self) -> EmailAccountId {
        let new = NewEmailAccount {
            owner_user_id: self.owner,
            provider: Provider::Outlook,
            address: "other@mail.test".into(),
            imap_host: None,
            imap_port: None,
            imap_security: None,
            imap_auth: ImapAuth::Xoauth2,
            username: None,
            secret_ciphertext: Some(self.secrets.encrypt(br#"{"access_token":"eyJ.ok"}"#)),
            token_expires_at: None,
            folders: vec!["Sent".into()],
        };
        let id = accounts::create_account(&mut self.db.conn(), &new)
            .unwrap()
            .id;
        let link = format!(
            "{}{GRAPH}/mailFolders/sentitems/messages/delta?$deltatoken=s",
            self.mock.uri()
        );
        Mock::given(method("GET"))
            .and(path(format!(
                "{GRAPH}/mailFolders/sentitems/messages/delta"
            )))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "value": [item("o1")], "@odata.deltaLink": link,
            })))
            .mount(&self.mock)
            .await;
        mount_value(self, "o1", "other@mail.test").await;
        id
    }
}

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

#[tokio::test]
async fn server_errors_are_transient() {
    let fx = Fx::new().await;
    let id = fx.account(
        Provider::Outlook,
        &["INBOX"],
        "ok",
        Some("M.r"),
        Duration::hours(1),
    );
    mount_delta(
        &fx,
        None,
        503,
        json!({"error": {"code": "ServiceUnavailable"}}),
    )
    .await;
    let err = fx.sync(id).await.unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert!(!fx.account_row(id).needs_reconsent);
}

#[tokio::test]
async fn a_short_retry_after_is_waited_out() {
    let fx = Fx::new().await;
    let id = fx.account(
        Provider::Outlook,
        &["INBOX"],
        "ok",
        Some("M.r"),
        Duration::hours(1),
    );
    Mock::given(method("GET"))
        .and(path(format!("{GRAPH}/mailFolders/inbox/messages/delta")))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&fx.mock)
        .await;
    mount_delta(
        &fx,
        None,
        200,
        delta_page(&fx, &[item("a1")], None, Some("d1")),
    )
    .await;
    mount_value(&fx, "a1", "client@example.fr").await;
    let out = fx.sync(id).await.unwrap();
    assert_eq!(out.totals.inserted, 1, "{out:?}");
}

#[tokio::test]
async fn gmail_rate_limit_403_is_transient_and_a_plain_403_is_not() {
    let fx = Fx::new().await;
    let id = fx.account(
        Provider::Gmail,
        &["INBOX"],
        "ok",
        Some("1//r"),
        Duration::hours(1),
    );
    Mock::given(method("GET"))
        .and(path(format!("{GMAIL}/profile")))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"error": {
            "code": 403, "message": "User-rate limit exceeded.",
            "errors": [{"domain": "usageLimits", "reason": "userRateLimitExceeded"}],
        }})))
        .up_to_n_times(1)
        .mount(&fx.mock)
        .await;
    let err = fx.sync(id).await.unwrap_err();
    assert!(err.is_transient(), "{err}");
    Mock::given(method("GET"))
        .and(path(format!("{GMAIL}/profile")))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"error": {
            "code": 403, "message": "Request had insufficient authentication scopes.",
            "errors": [{"domain": "global", "reason": "insufficientPermissions"}],
        }})))
        .mount(&fx.mock)
        .await;
    let err = fx.sync(id).await.unwrap_err();
    assert!(!err.is_transient(), "{err}");
}

/// The `workers` binary reads the OAuth providers from its environment (no `OAUTH_REDIRECT_BASE`):
/// one Outlook account syncs, a revoked one is dead-lettered after a single attempt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workers_binary_syncs_outlook_and_stops_on_a_revoked_grant() {
    let env = common::Env::new().await;
    let mock = MockServer::start().await;
    let secrets = SecretBox::from_key_bytes(&[7; 32]).unwrap();
    let owner = create_user(
        &mut env.db.conn(),
        "o@crm.test",
        "pw-pw-pw-pw",
        Role::User,
        None,
    )
    .unwrap()
    .id;
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
                    &shared::jobs::payloads::mail::SyncAccount { account_id: id.0 },
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

#[tokio::test]
async fn graph_message_over_the_limit_keeps_its_headers_only_and_the_sync_goes_on() {
    let fx = Fx::new().await;
    let id = fx.account(
        Provider::Outlook,
        &["INBOX"],
        "ok",
        Some("M.r"),
        Duration::hours(1),
    );
    mount_delta(
        &fx,
        None,
        200,
        delta_page(&fx, &[item("huge"), item("a1")], None, Some("d1")),
    )
    .await;
    let huge = format!(
        "{}{}",
        mime("huge", "client@example.fr"),
        "x".repeat(200_000)
    );
    Mock::given(method("GET"))
        .and(path(format!("{GRAPH}/messages/huge/$value")))
        .respond_with(ResponseTemplate::new(200).set_body_raw(huge, "message/rfc822"))
        .mount(&fx.mock)
        .await;
    mount_value(&fx, "a1", "client@example.fr").await;
    let settings = SyncSettings {
        max_bytes: 4_096,
        ..fx.settings()
    };
    let out = fx.sync_with(id, &settings).await.unwrap();
    assert_eq!((out.totals.inserted, out.totals.skipped), (2, 1), "{out:?}");
    let rows = fx.stored(id);
    let huge = rows
        .iter()
        .find(|r| r.message_id == "huge@provider.test")
        .unwrap();
    assert_eq!(huge.skipped_reason, Some(SkippedReason::Oversized));
    assert!(huge.body_text.is_none());
    assert!(huge.size_bytes > 200_000, "{}", huge.size_bytes);
    assert_eq!(huge.subject.as_deref(), Some("Devis huge"));
}

#[tokio::test]
async fn custom_folders_resolve_by_label_name_and_display_name() {
    let fx = Fx::new().await;
    let gmail = fx.account(
        Provider::Gmail,
        &["Clients", "Nope"],
        "ok",
        Some("1//r"),
        Duration::hours(1),
    );
    fx.get(
        &format!("{GMAIL}/labels"),
        json!({"labels": [
            {"id": "INBOX", "name": "INBOX", "type": "system"},
            {"id": "Label_12", "name": "Clients", "type": "user"},
        ]}),
    )
    .await;
    fx.get(&format!("{GMAIL}/profile"), json!({"historyId": "9"}))
        .await;
    mount_gmail_list(&fx, "Label_12", None, &["m1"], None).await;
    mount_gmail_message(&fx, "m1", &["Label_12"], "client@example.fr").await;
    let out = fx.sync(gmail).await.unwrap();
    assert_eq!(out.totals.inserted, 1, "{out:?}");
    assert!(!out.folders[0].missing && out.folders[1].missing, "{out:?}");
    assert_eq!(fx.stored(gmail)[0].folder, "Clients");
    assert_eq!(fx.cursor(gmail, "Clients").0.as_deref(), Some("9"));

    let outlook = fx.account_outlook_custom().await;
    let out = fx.sync(outlook).await.unwrap();
    assert_eq!(out.totals.inserted, 1, "{out:?}");
    assert!(!out.folders[0].missing && out.folders[1].missing, "{out:?}");
}

impl Fx {
    /// An Outlook account syncing the top-level folder "Dossiers clients" (found on the second page of
    /// `mailFolders`) and a folder that does not exist.
    async fn account_outlook_custom(&self) -> EmailAccountId {
        let new = NewEmailAccount {
            owner_user_id: self.owner,
            provider: Provider::Outlook,
            address: "custom@mail.test".into(),
            imap_host: None,
            imap_port: None,
            imap_security: None,
            imap_auth: ImapAuth::Xoauth2,
            username: None,
            secret_ciphertext: Some(self.secrets.encrypt(br#"{"access_token":"ok"}"#)),
            token_expires_at: None,
            folders: vec!["Dossiers clients".into(), "Absent".into()],
        };
        let id = accounts::create_account(&mut self.db.conn(), &new)
            .unwrap()
            .id;
        let next = format!("{}{GRAPH}/mailFolders?$skiptoken=f2", self.mock.uri());
        Mock::given(method("GET"))
            .and(path(format!("{GRAPH}/mailFolders")))
            .and(query_param_is_missing("$skiptoken"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "value": [{"id": "AAMk-inbox", "displayName": "Boîte de réception"}],
                "@odata.nextLink": next,
            })))
            .mount(&self.mock)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("{GRAPH}/mailFolders")))
            .and(query_param("$skiptoken", "f2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "value": [{"id": "AAMk-clients=", "displayName": "Dossiers clients"}],
            })))
            .mount(&self.mock)
            .await;
        let link = format!(
            "{}{GRAPH}/mailFolders/AAMk-clients=/messages/delta?$deltatoken=c",
            self.mock.uri()
        );
        Mock::given(method("GET"))
            .and(path(format!(
                "{GRAPH}/mailFolders/AAMk-clients=/messages/delta"
            )))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "value": [item("c1")], "@odata.deltaLink": link,
            })))
            .mount(&self.mock)
            .await;
        mount_value(self, "c1", "client@example.fr").await;
        id
    }
}
