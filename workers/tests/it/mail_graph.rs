//! Microsoft Graph sync against a mock server answering the documented JSON, with real Postgres and
//! Redis: delta pages to the deltaLink, the next sync from it, `@removed` counted, 410 Gone resetting the
//! folder without duplicates, Sent items outbound, a paging link to a foreign host refused, throttling
//! and server errors, an oversized message, folders by display name.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::providers;

use chrono::Duration;
use crm_mailbox::sync::SyncSettings;
use serde_json::json;
use shared::models::email_account::Provider;
use shared::models::email_account::{self as accounts, EmailAccountId, ImapAuth, NewEmailAccount};
use shared::models::interaction::{Direction, SkippedReason};
use wiremock::matchers::query_param_is_missing;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use providers::*;

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
        let page = delta_page_in(self, "sentitems", &[item("o1")], None, Some("s"));
        mount_delta_in(self, "sentitems", None, 200, page).await;
        mount_value(self, "o1", "other@mail.test").await;
        id
    }
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
async fn outlook_folders_resolve_by_display_name() {
    let fx = Fx::new().await;
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
        let page = delta_page_in(self, "AAMk-clients=", &[item("c1")], None, Some("c"));
        mount_delta_in(self, "AAMk-clients=", None, 200, page).await;
        mount_value(self, "c1", "client@example.fr").await;
        id
    }
}
