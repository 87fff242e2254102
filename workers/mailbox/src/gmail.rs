//! Gmail API sync (REST, `gmail/v1/users/me`): each configured folder is a label. A full sync lists the
//! label's messages (`messages.list`, paginated) and fetches each one raw (`messages.get?format=raw`);
//! later syncs read `history.list` from the stored `historyId` and fetch the messages added to the
//! label (new, or labelled later) only.
//!
//! The cursor stored after a full sync is the mailbox's `historyId` read from the profile *before* the
//! listing started: whatever arrives during the listing is then replayed by the next history read, and
//! the (account, Message-ID) key makes seeing it twice harmless. An expired `startHistoryId` (404) falls
//! back to a full sync.

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use reqwest::StatusCode;
use serde::Deserialize;
use shared::db::{PgPool, run_blocking};
use shared::models::email_account as accounts;

use super::imap::FolderOutcome;
use super::imap::folder::FolderLimits;
use super::parse::{ParsedEmail, parse_headers_only, parse_message};
use super::provider::{Answer, ApiClient, ProviderError, drop_known};
use super::store::{Fetched, Stored, Target, is_sent_folder, store_batch};
use super::sync::FolderProgress;
use shared::progress::ReportProgress;

/// Messages asked for per `messages.list` page.
const PAGE_SIZE: &str = "100";

/// Gmail's `raw` is base64url, padded or not.
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    history_id: String,
}

#[derive(Deserialize)]
struct Labels {
    #[serde(default)]
    labels: Vec<Label>,
}

#[derive(Deserialize)]
struct Label {
    id: String,
    name: String,
}

#[derive(Deserialize)]
struct MessageRef {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageList {
    #[serde(default)]
    messages: Vec<MessageRef>,
    next_page_token: Option<String>,
    result_size_estimate: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HistoryList {
    #[serde(default)]
    history: Vec<History>,
    next_page_token: Option<String>,
    history_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct History {
    #[serde(default)]
    messages_added: Vec<MessageAdded>,
    #[serde(default)]
    labels_added: Vec<LabelAdded>,
}

#[derive(Deserialize)]
struct MessageAdded {
    message: MessageRef,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LabelAdded {
    message: MessageRef,
    #[serde(default)]
    label_ids: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMessage {
    raw: Option<String>,
    #[serde(default)]
    label_ids: Vec<String>,
    size_estimate: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetadataMessage {
    #[serde(default)]
    label_ids: Vec<String>,
    size_estimate: Option<u64>,
    payload: Option<Payload>,
}

#[derive(Deserialize)]
struct Payload {
    #[serde(default)]
    headers: Vec<Header>,
}

#[derive(Deserialize)]
struct Header {
    name: String,
    value: String,
}

/// Syncs the account's folders (label names or ids) from Gmail.
pub async fn sync(
    api: &mut ApiClient<'_>,
    pool: &PgPool,
    target: &Target,
    folders: &[String],
    limits: FolderLimits,
    progress: &dyn ReportProgress,
) -> Result<Vec<FolderOutcome>, ProviderError> {
    let mut labels: Option<Vec<Label>> = None;
    let mut outcomes = Vec::with_capacity(folders.len());
    for (i, folder) in folders.iter().enumerate() {
        let mut outcome = FolderOutcome {
            folder: folder.clone(),
            ..FolderOutcome::default()
        };
        let Some(label) = label_id(api, &mut labels, folder).await? else {
            outcome.missing = true;
            outcomes.push(outcome);
            continue;
        };
        let scaled = FolderProgress::new(progress, i, folders.len());
        let mut sync = Folder {
            api: &mut *api,
            pool,
            target,
            folder,
            label: &label,
            limits,
            progress: &scaled,
            outcome: &mut outcome,
        };
        sync.run().await?;
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// The label id of a configured folder: INBOX and Sent are system labels; others are looked up by name
/// (or id) in `labels.list`. `None` when the mailbox has no such label.
async fn label_id(
    api: &mut ApiClient<'_>,
    labels: &mut Option<Vec<Label>>,
    folder: &str,
) -> Result<Option<String>, ProviderError> {
    if folder.eq_ignore_ascii_case("inbox") {
        return Ok(Some("INBOX".into()));
    }
    if folder.eq_ignore_ascii_case("sent") {
        return Ok(Some("SENT".into()));
    }
    if labels.is_none() {
        let url = api.url(&["gmail", "v1", "users", "me", "labels"])?;
        let Answer::Ok(list) = api.get_json::<Labels>(&url, "labels.list", &[]).await? else {
            return Err(ProviderError::Protocol("labels.list".into()));
        };
        *labels = Some(list.labels);
    }
    Ok(labels.as_ref().and_then(|all| {
        all.iter()
            .find(|l| l.id == folder)
            .or_else(|| all.iter().find(|l| l.name.eq_ignore_ascii_case(folder)))
            .map(|l| l.id.clone())
    }))
}

struct Folder<'s, 'a> {
    api: &'s mut ApiClient<'a>,
    pool: &'s PgPool,
    target: &'s Target,
    folder: &'s str,
    label: &'s str,
    limits: FolderLimits,
    /// This folder's share of the run's progress.
    progress: &'s dyn ReportProgress,
    outcome: &'s mut FolderOutcome,
}

impl Folder<'_, '_> {
    async fn run(&mut self) -> Result<(), ProviderError> {
        let (account, folder) = (self.target.account_id, self.folder.to_owned());
        let state = run_blocking(self.pool, move |c| {
            accounts::folder_state(c, account, &folder)
        })
        .await?;
        if let Some(start) = state.and_then(|s| s.history_id) {
            match self.incremental(&start).await? {
                Some(cursor) => return self.save(cursor).await,
                None => {
                    tracing::info!(
                        account.id = account.0,
                        "Gmail history expired: full sync of the folder"
                    );
                    self.outcome.resynced = true;
                }
            }
        }
        self.full().await
    }

    async fn save(&self, cursor: String) -> Result<(), ProviderError> {
        let (account, folder) = (self.target.account_id, self.folder.to_owned());
        run_blocking(self.pool, move |c| {
            accounts::save_history_id(c, account, &folder, Some(&cursor))
        })
        .await?;
        Ok(())
    }

    /// Lists every message of the label, page by page, storing each page before the next.
    async fn full(&mut self) -> Result<(), ProviderError> {
        let url = self.api.url(&["gmail", "v1", "users", "me", "profile"])?;
        let Answer::Ok(profile) = self.api.get_json::<Profile>(&url, "profile", &[]).await? else {
            return Err(ProviderError::Protocol("profile".into()));
        };
        let mut page_token: Option<String> = None;
        loop {
            let mut url = self.api.url(&["gmail", "v1", "users", "me", "messages"])?;
            url.query_pairs_mut()
                .append_pair("labelIds", self.label)
                .append_pair("maxResults", PAGE_SIZE);
            if let Some(t) = &page_token {
                url.query_pairs_mut().append_pair("pageToken", t);
            }
            let Answer::Ok(page) = self
                .api
                .get_json::<MessageList>(&url, "messages.list", &[])
                .await?
            else {
                return Err(ProviderError::Protocol("messages.list".into()));
            };
            let ids: Vec<String> = page.messages.into_iter().map(|m| m.id).collect();
            let total = page.result_size_estimate.unwrap_or(0);
            self.fetch_and_store(ids, total).await?;
            match page.next_page_token {
                Some(t) if !t.is_empty() => page_token = Some(t),
                _ => break,
            }
        }
        self.save(profile.history_id).await
    }

    /// Reads the history from `start`; `None` when Gmail no longer has it (404).
    async fn incremental(&mut self, start: &str) -> Result<Option<String>, ProviderError> {
        let mut page_token: Option<String> = None;
        let mut cursor = start.to_owned();
        loop {
            let mut url = self.api.url(&["gmail", "v1", "users", "me", "history"])?;
            url.query_pairs_mut()
                .append_pair("startHistoryId", start)
                .append_pair("labelId", self.label)
                // A message that gets the label later (filed, moved back to the inbox) counts too.
                .append_pair("historyTypes", "messageAdded")
                .append_pair("historyTypes", "labelAdded")
                .append_pair("maxResults", "500");
            if let Some(t) = &page_token {
                url.query_pairs_mut().append_pair("pageToken", t);
            }
            let page = match self
                .api
                .get_json::<HistoryList>(&url, "history.list", &[StatusCode::NOT_FOUND])
                .await?
            {
                Answer::Ok(page) => page,
                Answer::Status(_) => return Ok(None),
            };
            let mut ids: Vec<String> = Vec::new();
            let label = self.label;
            for m in page.history.into_iter().flat_map(|h| {
                let added = h.messages_added.into_iter().map(|a| a.message.id);
                let labelled = h
                    .labels_added
                    .into_iter()
                    .filter(|l| l.label_ids.iter().any(|id| id == label))
                    .map(|l| l.message.id);
                added.chain(labelled)
            }) {
                if !ids.contains(&m) {
                    ids.push(m);
                }
            }
            self.fetch_and_store(ids, 0).await?;
            if let Some(h) = page.history_id {
                cursor = h;
            }
            match page.next_page_token {
                Some(t) if !t.is_empty() => page_token = Some(t),
                _ => return Ok(Some(cursor)),
            }
        }
    }

    async fn fetch_and_store(
        &mut self,
        ids: Vec<String>,
        estimate: u64,
    ) -> Result<(), ProviderError> {
        let (ids, known) = drop_known(self.pool, self.target.account_id, ids).await?;
        self.outcome.stored.duplicates += known;
        let mut inbound = Vec::new();
        let mut sent = Vec::new();
        for id in ids {
            let Some((email, labels)) = self.fetch(&id).await? else {
                continue;
            };
            self.outcome.new_uids += 1;
            let fetched = Fetched {
                uid: None,
                provider_id: Some(id),
                email,
            };
            if labels.iter().any(|l| l == "SENT") {
                sent.push(fetched);
            } else {
                inbound.push(fetched);
            }
        }
        let folder_sent = self.label == "SENT" || is_sent_folder(self.folder);
        let mut stored = Stored::default();
        for (batch, is_sent) in [(inbound, folder_sent), (sent, true)] {
            stored += store_batch(self.pool, self.target, self.folder, is_sent, batch).await?;
        }
        self.outcome.stored += stored;
        let done = self.outcome.new_uids as u64;
        // Without an estimate (history pages), the folder shows as half done until it ends.
        let pct = (done.min(estimate) * 100)
            .checked_div(estimate)
            .map_or(50, |p| u8::try_from(p).unwrap_or(100));
        self.progress
            .report(pct, &format!("Gmail: {done} messages fetched"))
            .await;
        Ok(())
    }

    /// One message and its labels; `None` when it was deleted meanwhile. Above the size limit only
    /// the headers are read (`format=metadata`); an undecodable `raw` is recorded as malformed.
    async fn fetch(
        &mut self,
        id: &str,
    ) -> Result<Option<(ParsedEmail, Vec<String>)>, ProviderError> {
        let max = self.limits.max_bytes;
        let url = self
            .api
            .url(&["gmail", "v1", "users", "me", "messages", id])?;
        let mut raw_url = url.clone();
        raw_url.query_pairs_mut().append_pair("format", "raw");
        // base64 grows the message by 4/3; the JSON around it is small.
        let cap = max.saturating_mul(4) / 3 + 65_536;
        let body = match self
            .api
            .get_capped(&raw_url, "messages.get", cap, &[StatusCode::NOT_FOUND])
            .await?
        {
            Answer::Ok(body) => body,
            Answer::Status(_) => return Ok(None),
        };
        if !body.truncated {
            let msg = serde_json::from_slice::<RawMessage>(&body.bytes)
                .map_err(|_| ProviderError::Protocol("messages.get: not a message".into()))?;
            if msg.size_estimate.is_none_or(|s| s <= max) {
                let email = match msg.raw.as_deref().map(|r| BASE64URL.decode(r.trim())) {
                    Some(Ok(raw)) => parse_message(&raw, max),
                    // Not base64: stored as malformed (a synthetic id from the content), never aborting.
                    Some(Err(_)) | None => {
                        // A missing `raw` gets the message id as content, so two such messages stay apart.
                        let content = msg.raw.unwrap_or_else(|| format!("gmail message {id}"));
                        let mut e = parse_message(content.as_bytes(), max);
                        e.malformed = true;
                        e.body_text = None;
                        e
                    }
                };
                return Ok(Some((email, msg.label_ids)));
            }
        }
        let mut meta_url = url;
        meta_url.query_pairs_mut().append_pair("format", "metadata");
        let meta = match self
            .api
            .get_json::<MetadataMessage>(&meta_url, "messages.get", &[StatusCode::NOT_FOUND])
            .await?
        {
            Answer::Ok(m) => m,
            Answer::Status(_) => return Ok(None),
        };
        let mut block = String::new();
        for h in meta.payload.map(|p| p.headers).unwrap_or_default() {
            block.push_str(&h.name);
            block.push_str(": ");
            block.push_str(&h.value);
            block.push_str("\r\n");
        }
        block.push_str("\r\n");
        let size = meta.size_estimate.unwrap_or(body.size).max(max + 1);
        Ok(Some((
            parse_headers_only(block.as_bytes(), size),
            meta.label_ids,
        )))
    }
}
