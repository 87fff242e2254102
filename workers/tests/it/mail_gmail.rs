//! Gmail API sync against a mock server answering the documented JSON, with real Postgres and Redis:
//! full sync over several `messages.list` pages (oversized and undecodable messages recorded, not
//! fatal), then `history.list` (paged, messageAdded and labelAdded), an expired history id (404) falling
//! back to a full sync without duplicates, rate limits, labels resolved by name.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::providers;

use chrono::Duration;
use serde_json::json;
use shared::models::email_account::Provider;
use shared::models::interaction::{Direction, SkippedReason};
use wiremock::matchers::query_param_is_missing;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use providers::*;

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

#[tokio::test]
async fn gmail_folders_resolve_through_labels_list() {
    let fx = Fx::new().await;
    let id = fx.account(
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
    let out = fx.sync(id).await.unwrap();
    assert_eq!(out.totals.inserted, 1, "{out:?}");
    assert!(!out.folders[0].missing && out.folders[1].missing, "{out:?}");
    assert_eq!(fx.stored(id)[0].folder, "Clients");
    assert_eq!(fx.cursor(id, "Clients").0.as_deref(), Some("9"));
}
