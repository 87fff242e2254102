//! The erasure ledger: each erasure is appended to a file beside the backups (`RGPD_LEDGER_PATH`) and
//! recorded in `erasure_ledger`, before it acts. A backup taken before an erasure still holds the person;
//! [`replay`] erases again every subject of the ledger found un-erased, which `maint.backup_verify` runs on
//! its scratch restore and `workers restore` on a real one.

use std::collections::BTreeSet;
use std::io::{self, BufRead, Write};
use std::path::Path;

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt};
use serde::Serialize;
use shared::db::DbError;
use shared::models::erasure_ledger::{self, LedgerEntry};
use shared::models::rgpd_request::SubjectType;

use crate::erase::{self, EraseCounts};
use crate::subject;

/// Appends `entries` to the ledger file (one JSON object per line, flushed to disk) and records them in
/// the table. A retry may append an entry twice; readers deduplicate.
pub fn record(
    conn: &mut PgConnection,
    path: &Path,
    entries: &[LedgerEntry],
) -> Result<(), LedgerError> {
    if entries.is_empty() {
        return Ok(());
    }
    append_file(path, entries).map_err(LedgerError::File)?;
    erasure_ledger::insert_new(conn, entries).map_err(LedgerError::Db)?;
    Ok(())
}

/// Why the ledger could not be written (the erasure then does not start).
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("writing the erasure ledger file")]
    File(#[source] io::Error),
    #[error("recording the erasure ledger")]
    Db(#[source] DbError),
}

fn append_file(path: &Path, entries: &[LedgerEntry]) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut buf = Vec::new();
    for e in entries {
        serde_json::to_writer(&mut buf, e)?;
        buf.push(b'\n');
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    // One write of whole lines: concurrent appenders do not interleave within a line.
    file.write_all(&buf)?;
    file.sync_data()
}

/// The entries of the ledger file, first occurrence of each subject kept; a missing file is empty. A line
/// that does not parse (a torn last write) is skipped with a warning.
pub fn read_file(path: &Path) -> io::Result<Vec<LedgerEntry>> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (n, line) in io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<LedgerEntry>(&line) {
            Ok(e) => {
                if seen.insert((e.subject_type.as_str(), e.subject_id)) {
                    out.push(e);
                }
            }
            Err(err) => {
                tracing::warn!(line = n + 1, error = %err, "unreadable erasure ledger line skipped")
            }
        }
    }
    Ok(out)
}

/// What a replay did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReplayOutcome {
    /// Entries in the ledger.
    pub entries: usize,
    /// Subjects found un-erased and erased again.
    pub reerased: usize,
    /// Rows changed per table.
    pub rows: EraseCounts,
}

/// Erases again every subject of `entries` that the database holds un-erased, and records the entries
/// its ledger table lacks. Idempotent.
pub fn replay(
    conn: &mut PgConnection,
    entries: &[LedgerEntry],
    chunk: usize,
) -> Result<ReplayOutcome, DbError> {
    let mut outcome = ReplayOutcome {
        entries: entries.len(),
        ..ReplayOutcome::default()
    };
    for kind in [SubjectType::Person, SubjectType::User] {
        let ids: Vec<i64> = entries
            .iter()
            .filter(|e| e.subject_type == kind)
            .map(|e| e.subject_id)
            .collect();
        for part in ids.chunks(chunk.max(1)) {
            let pending = unerased(conn, kind, part)?;
            if pending.is_empty() {
                continue;
            }
            let mut idents = subject::Identifiers::default();
            for (_, i) in subject::of(conn, kind, &pending)? {
                idents.extend(&i);
            }
            let rows = match kind {
                SubjectType::Person => erase::people(conn, &pending, &idents, chunk)?,
                SubjectType::User => erase::users(conn, &pending, &idents, chunk)?,
            };
            outcome.reerased += pending.len();
            for (table, n) in rows {
                *outcome.rows.entry(table).or_default() += n;
            }
        }
    }
    erasure_ledger::insert_new(conn, entries)?;
    Ok(outcome)
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Those of `ids` whose row exists and is not anonymised (admins included: a ledger entry of an admin is
/// a bug this makes visible rather than hides).
pub fn unerased(
    conn: &mut PgConnection,
    kind: SubjectType,
    ids: &[i64],
) -> Result<Vec<i64>, DbError> {
    let sql = match kind {
        SubjectType::Person => "SELECT id FROM people WHERE id = ANY($1) AND anonymised_at IS NULL",
        SubjectType::User => "SELECT id FROM users WHERE id = ANY($1) AND anonymised_at IS NULL",
    };
    Ok(diesel::sql_query(sql)
        .bind::<Array<BigInt>, _>(ids)
        .load::<Id>(conn)?
        .into_iter()
        .map(|r| r.id)
        .collect())
}
