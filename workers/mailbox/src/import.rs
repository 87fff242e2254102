//! Imports from disk: an mbox file (mboxrd/mboxo, `From ` separators) or a Maildir folder (`cur/` and
//! `new/`), stored like synced mail (deduplicated, threaded). Only paths below `MAIL_IMPORT_DIR`.

use std::path::{Path, PathBuf};

use crm_queue::JobQueue;
use shared::db::{DbError, PgPool, run_blocking};
use shared::models::email_account::{self as accounts, EmailAccountId};

use super::bounces::CampaignFeedback;
use super::parse::{parse_headers_only, parse_message};
use super::store::{Fetched, Stored, Target, is_sent_folder, store_batch};
use shared::progress::ReportProgress;

/// Messages stored per transaction.
const BATCH: usize = 100;

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("MAIL_IMPORT_DIR is not set: imports are disabled")]
    Disabled,
    #[error("the path is not below MAIL_IMPORT_DIR or does not exist")]
    OutsideImportDir,
    #[error("email account {0} not found")]
    NotFound(i64),
    #[error("the path is neither an mbox file nor a Maildir folder")]
    UnknownFormat,
    #[error("reading: {0}")]
    Io(#[from] std::io::Error),
    #[error("database: {0}")]
    Db(#[from] DbError),
}

/// What an import did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportOutcome {
    pub account_id: i64,
    pub messages: usize,
    pub stored: Stored,
}

/// Resolves `path` (absolute, or relative to `import_dir`) and checks it lies below `import_dir`
/// (symbolic links and `..` resolved first).
pub fn resolve_path(import_dir: Option<&Path>, path: &str) -> Result<PathBuf, ImportError> {
    let dir = import_dir.ok_or(ImportError::Disabled)?;
    let dir = dir
        .canonicalize()
        .map_err(|_| ImportError::OutsideImportDir)?;
    let candidate = Path::new(path);
    let joined = if candidate.is_absolute() {
        candidate.to_path_buf()
    } else {
        dir.join(candidate)
    };
    let real = joined
        .canonicalize()
        .map_err(|_| ImportError::OutsideImportDir)?;
    if !real.starts_with(&dir) {
        return Err(ImportError::OutsideImportDir);
    }
    Ok(real)
}

/// What imported messages lead to besides being stored.
#[derive(Clone, Default)]
pub struct ImportHooks {
    /// Where `intel.analyze_email` is enqueued for every new inbound message (none: not analysed).
    pub analysis_queue: Option<JobQueue>,
    /// The bounce mailbox's campaign feedback context, used when importing into that account.
    pub feedback: Option<CampaignFeedback>,
}

/// Imports the mbox file or Maildir folder at `path` (already resolved) into the account, enqueueing
/// `intel.analyze_email` on `hooks.analysis_queue` (when given) for every new inbound message, and
/// reading campaign feedback when the account is the bounce mailbox.
pub async fn import_path(
    pool: &PgPool,
    hooks: ImportHooks,
    account_id: i64,
    path: &Path,
    folder: &str,
    max_bytes: u64,
    progress: &dyn ReportProgress,
) -> Result<ImportOutcome, ImportError> {
    let id = EmailAccountId(account_id);
    let account = run_blocking(pool, move |c| accounts::find_account(c, id))
        .await?
        .ok_or(ImportError::NotFound(account_id))?;
    let target = Target {
        account_id: id,
        address: account.address.to_lowercase(),
        analysis_queue: hooks.analysis_queue,
        feedback: hooks.feedback,
    };
    // Each message is read up to the cap (memory stays flat); a larger one keeps its headers only.
    let cap = usize::try_from(max_bytes).unwrap_or(usize::MAX);
    let messages: Box<dyn Iterator<Item = std::io::Result<Capped>> + Send> = if path.is_dir() {
        let reader = mail::maildir::open(path).map_err(|_| ImportError::UnknownFormat)?;
        Box::new(
            reader
                .with_max_message_bytes(cap)
                .map(|m| m.map(|m| Capped::new(m.raw, m.size, m.truncated))),
        )
    } else {
        Box::new(
            mail::mbox::open(path)?
                .with_max_message_bytes(cap)
                .map(|m| m.map(|m| Capped::new(m.raw, m.size, m.truncated))),
        )
    };
    let sent = is_sent_folder(folder);
    let mut outcome = ImportOutcome {
        account_id,
        ..ImportOutcome::default()
    };
    let mut batch = Vec::with_capacity(BATCH);
    for message in messages {
        let message = message?;
        let email = if message.truncated {
            parse_headers_only(&message.raw, message.size)
        } else {
            parse_message(&message.raw, max_bytes)
        };
        batch.push(Fetched {
            uid: None,
            provider_id: None,
            email,
        });
        outcome.messages += 1;
        if batch.len() == BATCH {
            outcome.stored +=
                store_batch(pool, &target, folder, sent, std::mem::take(&mut batch)).await?;
            progress
                .report(50, &format!("{} messages imported", outcome.messages))
                .await;
        }
    }
    outcome.stored += store_batch(pool, &target, folder, sent, batch).await?;
    progress.report(100, "import done").await;
    Ok(outcome)
}

/// One message as read from an mbox or a Maildir, cut at the size cap.
struct Capped {
    raw: Vec<u8>,
    size: u64,
    truncated: bool,
}

impl Capped {
    fn new(raw: Vec<u8>, size: u64, truncated: bool) -> Self {
        Self {
            raw,
            size,
            truncated,
        }
    }
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        reason = "tests: a panic with its message is the failure report"
    )]
    use super::*;

    #[test]
    fn paths_outside_the_import_dir_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.mbox"), "").unwrap();
        assert!(resolve_path(Some(dir.path()), "a.mbox").is_ok());
        assert!(matches!(
            resolve_path(Some(dir.path()), "../../etc/passwd"),
            Err(ImportError::OutsideImportDir)
        ));
        assert!(matches!(
            resolve_path(Some(dir.path()), "/etc/passwd"),
            Err(ImportError::OutsideImportDir)
        ));
        assert!(matches!(
            resolve_path(None, "a.mbox"),
            Err(ImportError::Disabled)
        ));
    }
}
