//! Incremental sync of one folder: EXAMINE (read-only, so nothing is ever marked `\Seen`), UIDVALIDITY
//! check, `UID FETCH` of the new UIDs' sizes, then their bodies with `BODY.PEEK[]` in batches (headers
//! only above the size limit). The folder state advances after each stored batch, so an interrupted sync
//! resumes where it stopped; the (account, Message-ID) key makes a replayed batch insert nothing.
//!
//! Every command's answer has a byte budget set just before it ([`Bounded`](super::bounded::Bounded)):
//! body fetches are grouped so that a group's announced sizes stay under `MAIL_MAX_BYTES` (one message
//! alone may reach it), and no literal may exceed `MAIL_MAX_BYTES`. A server that announces (or sends)
//! more than it said fails the command before the excess is buffered.

use std::time::Duration;

use futures::TryStreamExt;
use shared::db::{PgPool, run_blocking};
use shared::models::email_account as accounts;

use super::{ImapError, ImapSession, ReadLimits};
use crate::parse::{parse_headers_only, parse_message};
use crate::store::{Fetched, Stored, Target, is_sent_folder, store_batch};
use crate::utf7;
use shared::progress::ReportProgress;

/// What syncing a folder did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct FolderOutcome {
    pub folder: String,
    /// The folder does not exist on the server (skipped).
    pub missing: bool,
    /// UIDVALIDITY changed since the last sync (Gmail: history expired, Graph: delta link gone): the
    /// folder was read again from the start.
    pub resynced: bool,
    /// Messages fetched (IMAP: new UIDs; Gmail, Graph: new or changed messages).
    pub new_uids: usize,
    /// Graph `@removed` items seen (counted only: the CRM keeps its history).
    pub removed: usize,
    pub stored: Stored,
}

/// Tuning of a folder sync.
#[derive(Debug, Clone, Copy)]
pub struct FolderLimits {
    pub max_bytes: u64,
    pub batch_size: usize,
    /// Longest time one IMAP command's answer may take (`IMAP_COMMAND_TIMEOUT_SECS`).
    pub command_timeout: Duration,
}

/// Budget of an answer that carries no message (EXAMINE, LIST, LOGOUT): folder lists of thousands.
pub const SMALL_ANSWER_BYTES: u64 = 4 * 1_048_576;
/// Budget of the FETCH items around each message (UID, size, flags, the parentheses).
const PER_MESSAGE_OVERHEAD: u64 = 4 * 1_024;
/// Budget of a message's header when only the header is fetched.
const HEADER_BYTES: u64 = 1_048_576;

impl FolderLimits {
    /// Limits of the next command: `bytes` in all for its answer, literals up to `MAIL_MAX_BYTES`.
    pub fn answer(&self, bytes: u64) -> ReadLimits {
        ReadLimits {
            command_bytes: bytes,
            max_literal: self.max_bytes.min(bytes),
            command_timeout: self.command_timeout,
        }
    }
}

/// Sets the limits of the next command of `session`.
pub fn limit_next(session: &mut ImapSession, limits: ReadLimits) {
    session.get_mut().set_limits(limits);
}

/// Folders of the account as the server names them, decoded to UTF-8, with whether each is the special-use
/// `\Sent` folder.
pub async fn list_folders(session: &mut ImapSession) -> Result<Vec<(String, bool)>, ImapError> {
    let names: Vec<_> = session
        .list(Some(""), Some("*"))
        .await
        .map_err(|e| ImapError::from_imap(e, "LIST"))?
        .try_collect()
        .await
        .map_err(|e| ImapError::from_imap(e, "LIST"))?;
    Ok(names
        .iter()
        .map(|n| {
            let sent = n
                .attributes()
                .iter()
                .any(|a| matches!(a, async_imap::types::NameAttribute::Sent));
            (utf7::decode_lossy(n.name()), sent)
        })
        .collect())
}

/// Syncs the new messages of `folder` (a decoded name) into the account.
pub async fn sync_folder(
    session: &mut ImapSession,
    pool: &PgPool,
    target: &Target,
    folder: &str,
    limits: FolderLimits,
    progress: &dyn ReportProgress,
) -> Result<FolderOutcome, ImapError> {
    let mut outcome = FolderOutcome {
        folder: folder.to_owned(),
        ..FolderOutcome::default()
    };
    limit_next(session, limits.answer(SMALL_ANSWER_BYTES));
    let mailbox = match session.examine(utf7::encode(folder)).await {
        Ok(m) => m,
        Err(async_imap::error::Error::No(_)) => {
            outcome.missing = true;
            return Ok(outcome);
        }
        Err(e) => return Err(ImapError::from_imap(e, "EXAMINE")),
    };
    let uidvalidity = i64::from(
        mailbox
            .uid_validity
            .ok_or_else(|| ImapError::Protocol("EXAMINE gave no UIDVALIDITY".into()))?,
    );
    let account = target.account_id;
    let state = {
        let folder = folder.to_owned();
        run_blocking(pool, move |c| accounts::folder_state(c, account, &folder)).await?
    };
    let mut last_uid = match state {
        Some(s) if s.uidvalidity == Some(uidvalidity) => s.last_uid,
        Some(_) => {
            outcome.resynced = true;
            0
        }
        None => 0,
    };
    let save = |last_uid: i64| {
        let folder = folder.to_owned();
        async move {
            run_blocking(pool, move |c| {
                accounts::save_imap_state(c, account, &folder, uidvalidity, last_uid)
            })
            .await
        }
    };
    if mailbox.exists == 0 {
        save(last_uid).await?;
        return Ok(outcome);
    }

    // Sizes first: cheap, and they tell which bodies may be fetched at all.
    limit_next(
        session,
        limits.answer(u64::from(mailbox.exists).saturating_mul(256) + SMALL_ANSWER_BYTES),
    );
    let mut sizes: Vec<(u32, u32)> = session
        .uid_fetch(format!("{}:*", last_uid + 1), "(UID RFC822.SIZE)")
        .await
        .map_err(|e| ImapError::from_imap(e, "UID FETCH sizes"))?
        .try_filter_map(|f| async move { Ok(f.uid.map(|uid| (uid, f.size.unwrap_or(0)))) })
        .try_collect()
        .await
        .map_err(|e| ImapError::from_imap(e, "UID FETCH sizes"))?;
    // `n:*` always matches the highest UID, even below n.
    sizes.retain(|(uid, _)| i64::from(*uid) > last_uid);
    sizes.sort_unstable();
    sizes.dedup_by_key(|(uid, _)| *uid);
    outcome.new_uids = sizes.len();
    let sent = is_sent_folder(folder);
    let total = sizes.len().max(1);
    let mut done = 0;
    // Batch N is stored while batch N+1 is fetched and parsed, so the IMAP server, the parser and Postgres
    // work at the same time (storing, threading above all, is the slower half). The folder state still
    // advances only past stored batches; if the fetch fails, the batch being stored may still commit, and
    // the next sync fetches it again and inserts nothing twice.
    let mut pending: Option<Pending<'_>> = None;
    let chunks = sizes.chunks(limits.batch_size.max(1)).map(Some);
    for chunk in chunks.chain([None]) {
        let fetch = async {
            match chunk {
                Some(c) => {
                    let mut batch = Vec::with_capacity(c.len());
                    fetch_chunk(session, c, limits, &mut batch)
                        .await
                        .map(|()| Some(batch))
                }
                None => Ok(None),
            }
        };
        let store = async {
            match pending.take() {
                Some((batch, stored)) => store_batch(pool, target, folder, sent, batch)
                    .await
                    .map(|counts| Some((counts, stored)))
                    .map_err(ImapError::from),
                None => Ok(None),
            }
        };
        let (fetched, stored) = futures::try_join!(fetch, store)?;
        pending = fetched.zip(chunk);
        let Some((counts, stored)) = stored else {
            continue;
        };
        outcome.stored += counts;
        if let Some((max_uid, _)) = stored.last() {
            last_uid = last_uid.max(i64::from(*max_uid));
        }
        save(last_uid).await?;
        done += stored.len();
        let pct = u8::try_from(done * 100 / total).unwrap_or(100);
        progress
            .report(
                pct,
                &format!(
                    "folder {}: {done} of {} messages",
                    folder_tag(folder),
                    sizes.len()
                ),
            )
            .await;
    }
    save(last_uid).await?;
    Ok(outcome)
}

/// Folder names may be personal ("Dossier Dupont"): progress shows only the standard ones.
fn folder_tag(folder: &str) -> &str {
    if folder.eq_ignore_ascii_case("INBOX") || is_sent_folder(folder) {
        folder
    } else {
        "(custom)"
    }
}

/// A message's UID and announced size.
type UidSize = (u32, u32);

/// A fetched batch waiting to be stored, with the (UID, size) pairs it was fetched for.
type Pending<'a> = (Vec<Fetched>, &'a [(u32, u32)]);

/// Fetches and parses one batch: whole bodies, or only headers above the size limit. Bodies are asked
/// in groups whose announced sizes add up to at most `max_bytes` (one message alone may reach it), so the
/// answer to each command has a budget that bounds what can be buffered.
async fn fetch_chunk(
    session: &mut ImapSession,
    chunk: &[(u32, u32)],
    limits: FolderLimits,
    out_batch: &mut Vec<Fetched>,
) -> Result<(), ImapError> {
    let (big, small): (Vec<&UidSize>, Vec<&UidSize>) = chunk
        .iter()
        .partition(|(_, size)| u64::from(*size) > limits.max_bytes);
    let mut group: Vec<&(u32, u32)> = Vec::new();
    let mut group_bytes = 0u64;
    for m in small {
        let size = u64::from(m.1);
        if !group.is_empty() && group_bytes + size > limits.max_bytes {
            fetch_group(
                session,
                &group,
                group_bytes,
                "BODY.PEEK[]",
                limits,
                out_batch,
            )
            .await?;
            group.clear();
            group_bytes = 0;
        }
        group.push(m);
        group_bytes += size;
    }
    if !group.is_empty() {
        fetch_group(
            session,
            &group,
            group_bytes,
            "BODY.PEEK[]",
            limits,
            out_batch,
        )
        .await?;
    }
    for headers in big.chunks(16) {
        let bytes = HEADER_BYTES * headers.len() as u64;
        fetch_group(
            session,
            headers,
            bytes,
            "BODY.PEEK[HEADER]",
            limits,
            out_batch,
        )
        .await?;
    }
    Ok(())
}

/// One `UID FETCH` of `uids` whose items announce `bytes` in all, under that budget.
async fn fetch_group(
    session: &mut ImapSession,
    uids: &[&(u32, u32)],
    bytes: u64,
    item: &str,
    limits: FolderLimits,
    out: &mut Vec<Fetched>,
) -> Result<(), ImapError> {
    // Twice the announced sizes: some servers' RFC822.SIZE is a little off the real literal (line ends,
    // re-encoding); the bound stays twice `MAIL_MAX_BYTES` at worst.
    let budget = bytes.saturating_mul(2) + PER_MESSAGE_OVERHEAD * (uids.len() as u64 + 1);
    limit_next(session, limits.answer(budget));
    fetch_into(
        session,
        uids,
        &format!("(UID RFC822.SIZE {item})"),
        limits,
        out,
    )
    .await
}

async fn fetch_into(
    session: &mut ImapSession,
    uids: &[&(u32, u32)],
    query: &str,
    limits: FolderLimits,
    out: &mut Vec<Fetched>,
) -> Result<(), ImapError> {
    let set = uids
        .iter()
        .map(|(uid, _)| uid.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let mut stream = session
        .uid_fetch(&set, query)
        .await
        .map_err(|e| ImapError::from_imap(e, "UID FETCH"))?;
    while let Some(fetch) = stream
        .try_next()
        .await
        .map_err(|e| ImapError::from_imap(e, "UID FETCH"))?
    {
        let Some(uid) = fetch.uid else { continue };
        if !uids.iter().any(|(u, _)| *u == uid) {
            // An unsolicited FETCH (flag change of another message).
            continue;
        }
        let size = u64::from(fetch.size.unwrap_or(0));
        let email = if let Some(body) = fetch.body() {
            parse_message(body, limits.max_bytes)
        } else if let Some(header) = fetch.header() {
            parse_headers_only(header, size)
        } else {
            // Expunged between the two fetches: nothing to store.
            continue;
        };
        out.push(Fetched {
            uid: Some(i64::from(uid)),
            provider_id: None,
            email,
        });
    }
    Ok(())
}
