//! Imports from disk: an mbox file (mboxrd/mboxo, `From ` separators) or a Maildir folder (`cur/` and
//! `new/`), stored like synced mail (deduplicated, threaded). Only paths below `MAIL_IMPORT_DIR`.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use crm_queue::JobQueue;
use shared::db::{DbError, PgPool, run_blocking};
use shared::models::email_account::{self as accounts, EmailAccountId};

use super::parse::parse_message;
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

/// Imports the mbox file or Maildir folder at `path` (already resolved) into the account.
pub async fn import_path(
    pool: &PgPool,
    account_id: i64,
    path: &Path,
    folder: &str,
    max_bytes: u64,
    progress: &dyn ReportProgress,
) -> Result<ImportOutcome, ImportError> {
    import_path_analysed(pool, None, account_id, path, folder, max_bytes, progress).await
}

/// [`import_path`], enqueueing `intel.analyze_email` on `analysis_queue` for every new inbound message.
pub async fn import_path_analysed(
    pool: &PgPool,
    analysis_queue: Option<JobQueue>,
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
        analysis_queue,
    };
    let raws: Box<dyn Iterator<Item = std::io::Result<Vec<u8>>> + Send> = if path.is_dir() {
        if !path.join("cur").is_dir() && !path.join("new").is_dir() {
            return Err(ImportError::UnknownFormat);
        }
        Box::new(maildir_messages(path)?)
    } else {
        Box::new(MboxReader::new(std::io::BufReader::new(
            std::fs::File::open(path)?,
        )))
    };
    let sent = is_sent_folder(folder);
    let mut outcome = ImportOutcome {
        account_id,
        ..ImportOutcome::default()
    };
    let mut batch = Vec::with_capacity(BATCH);
    for raw in raws {
        let raw = raw?;
        batch.push(Fetched {
            uid: None,
            provider_id: None,
            email: parse_message(&raw, max_bytes),
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

fn maildir_messages(
    dir: &Path,
) -> std::io::Result<impl Iterator<Item = std::io::Result<Vec<u8>>> + Send + use<>> {
    let mut files = Vec::new();
    for sub in ["cur", "new"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for entry in entries {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                files.push(entry.path());
            }
        }
    }
    // Maildir names start with the delivery time: sorting gives arrival order.
    files.sort();
    Ok(files.into_iter().map(std::fs::read))
}

/// Splits an mbox stream into messages, one at a time (memory stays flat on large files).
pub struct MboxReader<R> {
    reader: R,
    pending_from: bool,
    done: bool,
}

impl<R: BufRead> MboxReader<R> {
    pub fn new(reader: R) -> Self {
        Self {
            reader,
            pending_from: false,
            done: false,
        }
    }
}

impl<R: BufRead> Iterator for MboxReader<R> {
    type Item = std::io::Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut message = Vec::new();
        let mut line = Vec::new();
        let mut started = self.pending_from;
        loop {
            line.clear();
            match self.reader.read_until(b'\n', &mut line) {
                Err(e) => return Some(Err(e)),
                Ok(0) => {
                    self.done = true;
                    return started.then_some(Ok(trim_separator(message)));
                }
                Ok(_) => {}
            }
            if line.starts_with(b"From ") {
                if started {
                    self.pending_from = true;
                    return Some(Ok(trim_separator(message)));
                }
                started = true;
                continue;
            }
            if !started {
                // Text before the first separator is not a message.
                continue;
            }
            // mboxrd: ">From " lines (any number of '>') lose one '>'.
            let unescaped = {
                let quotes = line.iter().take_while(|b| **b == b'>').count();
                if quotes > 0 && line[quotes..].starts_with(b"From ") {
                    &line[1..]
                } else {
                    &line[..]
                }
            };
            message.extend_from_slice(unescaped);
        }
    }
}

/// Drops the blank line that precedes the next `From ` separator.
fn trim_separator(mut message: Vec<u8>) -> Vec<u8> {
    if message.ends_with(b"\r\n\r\n") {
        message.truncate(message.len() - 2);
    } else if message.ends_with(b"\n\n") {
        message.truncate(message.len() - 1);
    }
    message
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn mbox_is_split_and_unescaped() {
        let mbox = "preamble\nFrom a@b Tue Mar  3 10:00:00 2026\nSubject: one\n\n>From here\n\nFrom c@d Tue Mar  3 11:00:00 2026\nSubject: two\n\nbody\n";
        let msgs: Vec<Vec<u8>> = MboxReader::new(mbox.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0], b"Subject: one\n\nFrom here\n");
        assert_eq!(msgs[1], b"Subject: two\n\nbody\n");
    }

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
