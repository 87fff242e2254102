//! Microsoft Graph sync (Outlook, Microsoft 365): per folder, `me/mailFolders/{folder}/messages/delta`
//! is followed through its `@odata.nextLink` pages to the `@odata.deltaLink`, which is stored and read
//! from on the next sync; each new message's MIME comes from `me/messages/{id}/$value` (ids already
//! stored, which delta also reports when only their flags changed, are not downloaded again). A stored link
//! the server forgot (410 Gone) resets the folder to a full read, deduplicated by Message-ID.
//!
//! `@removed` items (deleted or moved out of the folder in the mailbox) are counted but nothing is
//! deleted: an email stays part of the CRM history of the people it involves, under the retention rules
//! (`mail.cleanup`), whatever the user later does in their mailbox.
//!
//! Paging links are absolute URLs chosen by the server; they are followed only on the origin of
//! `GRAPH_API_URL`, so the bearer token never goes to another host.

use reqwest::{StatusCode, Url};
use serde::Deserialize;
use shared::db::{PgPool, run_blocking};
use shared::models::email_account as accounts;

use super::imap::FolderOutcome;
use super::imap::folder::FolderLimits;
use super::parse::{parse_headers_only, parse_message};
use super::provider::{Answer, ApiClient, ProviderError, drop_known};
use super::store::{Fetched, Target, is_sent_folder, store_batch};
use super::sync::FolderProgress;
use shared::progress::ReportProgress;

/// The `Prefer` header of Graph requests: larger delta pages than the default 10.
pub const PREFER: &str = "odata.maxpagesize=100";

/// Graph's well-known folder names, usable in place of a folder id.
const WELL_KNOWN: &[&str] = &[
    "inbox",
    "sentitems",
    "drafts",
    "deleteditems",
    "archive",
    "junkemail",
];

#[derive(Deserialize)]
struct DeltaPage {
    #[serde(default)]
    value: Vec<DeltaItem>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
    #[serde(rename = "@odata.deltaLink")]
    delta_link: Option<String>,
}

#[derive(Deserialize)]
struct DeltaItem {
    id: String,
    #[serde(rename = "@removed")]
    removed: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct FolderPage {
    #[serde(default)]
    value: Vec<MailFolder>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MailFolder {
    id: String,
    display_name: String,
}

/// Syncs the account's folders (well-known names or display names) from Microsoft Graph.
pub async fn sync(
    api: &mut ApiClient<'_>,
    pool: &PgPool,
    target: &Target,
    folders: &[String],
    limits: FolderLimits,
    progress: &dyn ReportProgress,
) -> Result<Vec<FolderOutcome>, ProviderError> {
    let mut listed: Option<Vec<MailFolder>> = None;
    let mut outcomes = Vec::with_capacity(folders.len());
    let n = folders.len().max(1);
    for (i, folder) in folders.iter().enumerate() {
        let mut outcome = FolderOutcome {
            folder: folder.clone(),
            ..FolderOutcome::default()
        };
        let Some(folder_id) = folder_id(api, &mut listed, folder).await? else {
            outcome.missing = true;
            outcomes.push(outcome);
            continue;
        };
        let sent = folder_id == "sentitems" || is_sent_folder(folder);
        let scaled = FolderProgress::new(progress, i, n);
        sync_folder(
            api,
            pool,
            target,
            (folder, &folder_id, sent),
            limits,
            &scaled,
            &mut outcome,
        )
        .await?;
        let pct = u8::try_from(((i + 1) * 100 / n).min(99)).unwrap_or(99);
        progress
            .report(pct, &format!("Outlook: {} of {n} folders synced", i + 1))
            .await;
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// The id to use in paths for a configured folder: a well-known name (INBOX and Sent map to `inbox`
/// and `sentitems`), else the id of the top-level folder with that display name.
async fn folder_id(
    api: &mut ApiClient<'_>,
    listed: &mut Option<Vec<MailFolder>>,
    folder: &str,
) -> Result<Option<String>, ProviderError> {
    let lower = folder.to_lowercase();
    let well_known = match lower.as_str() {
        "sent" | "sent items" => "sentitems",
        other => other,
    };
    if WELL_KNOWN.contains(&well_known) {
        return Ok(Some(well_known.to_owned()));
    }
    if listed.is_none() {
        let mut all = Vec::new();
        let mut url = api.url(&["me", "mailFolders"])?;
        url.query_pairs_mut().append_pair("$top", "100");
        loop {
            let Answer::Ok(page) = api.get_json::<FolderPage>(&url, "mailFolders", &[]).await?
            else {
                return Err(ProviderError::Protocol("mailFolders".into()));
            };
            all.extend(page.value);
            match page.next_link {
                Some(link) => url = api.same_origin(&link)?,
                None => break,
            }
        }
        *listed = Some(all);
    }
    Ok(listed.as_ref().and_then(|all| {
        all.iter()
            .find(|f| f.display_name.eq_ignore_ascii_case(folder) || f.id == folder)
            .map(|f| f.id.clone())
    }))
}

async fn sync_folder(
    api: &mut ApiClient<'_>,
    pool: &PgPool,
    target: &Target,
    (folder, folder_id, sent): (&str, &str, bool),
    limits: FolderLimits,
    progress: &dyn ReportProgress,
    outcome: &mut FolderOutcome,
) -> Result<(), ProviderError> {
    let account = target.account_id;
    let stored_link = {
        let folder = folder.to_owned();
        run_blocking(pool, move |c| accounts::folder_state(c, account, &folder))
            .await?
            .and_then(|s| s.delta_link)
    };
    let initial = {
        let mut url = api.url(&["me", "mailFolders", folder_id, "messages", "delta"])?;
        url.query_pairs_mut().append_pair("$select", "id");
        url
    };
    let mut url = match &stored_link {
        Some(link) => api.same_origin(link)?,
        None => initial.clone(),
    };
    loop {
        let page = match api
            .get_json::<DeltaPage>(&url, "messages.delta", &[StatusCode::GONE])
            .await?
        {
            Answer::Ok(page) => page,
            Answer::Status(_) if !outcome.resynced => {
                tracing::info!(
                    account.id = account.0,
                    "Graph delta state expired: full sync of the folder"
                );
                outcome.resynced = true;
                let folder = folder.to_owned();
                run_blocking(pool, move |c| {
                    accounts::save_delta_link(c, account, &folder, None)
                })
                .await?;
                url = initial.clone();
                continue;
            }
            Answer::Status(s) => {
                return Err(ProviderError::Status {
                    status: s.as_u16(),
                    what: "messages.delta",
                });
            }
        };
        let mut ids = Vec::with_capacity(page.value.len());
        for item in page.value {
            if item.removed.is_some() {
                outcome.removed += 1;
            } else if !ids.contains(&item.id) {
                ids.push(item.id);
            }
        }
        let (ids, known) = drop_known(pool, account, ids).await?;
        outcome.stored.duplicates += known;
        let mut batch = Vec::new();
        for id in ids {
            if let Some(fetched) = fetch(api, &id, limits.max_bytes).await? {
                outcome.new_uids += 1;
                batch.push(fetched);
            }
        }
        outcome.stored += store_batch(pool, target, folder, sent, batch).await?;
        // Delta pages carry no total: the percentage moves per folder, the message per page.
        progress
            .report(
                0,
                &format!("Outlook: {} messages fetched", outcome.new_uids),
            )
            .await;
        match (page.next_link, page.delta_link) {
            (Some(next), _) => url = api.same_origin(&next)?,
            (None, Some(delta)) => {
                api.same_origin(&delta)?;
                let folder = folder.to_owned();
                run_blocking(pool, move |c| {
                    accounts::save_delta_link(c, account, &folder, Some(&delta))
                })
                .await?;
                return Ok(());
            }
            (None, None) => {
                return Err(ProviderError::Protocol(
                    "messages.delta: a page without nextLink nor deltaLink".into(),
                ));
            }
        }
    }
}

/// A message's MIME, read up to `max_bytes` (headers only above); `None` when it was deleted meanwhile.
async fn fetch(
    api: &mut ApiClient<'_>,
    id: &str,
    max_bytes: u64,
) -> Result<Option<Fetched>, ProviderError> {
    let url: Url = api.url(&["me", "messages", id, "$value"])?;
    let body = match api
        .get_capped(&url, "messages.$value", max_bytes, &[StatusCode::NOT_FOUND])
        .await?
    {
        Answer::Ok(body) => body,
        Answer::Status(_) => return Ok(None),
    };
    let email = if body.truncated {
        let end = header_end(&body.bytes).unwrap_or(body.bytes.len());
        parse_headers_only(&body.bytes[..end], body.size.max(max_bytes + 1))
    } else {
        parse_message(&body.bytes, max_bytes)
    };
    Ok(Some(Fetched {
        uid: None,
        provider_id: Some(id.to_owned()),
        email,
    }))
}

/// Where the header block of a raw message ends (after its blank line).
fn header_end(raw: &[u8]) -> Option<usize> {
    let crlf = raw.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    let lf = raw.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
