//! `pg_dump` streamed through gzip into a temporary file, hashed on the way: memory use stays at a few chunks
//! whatever the size of the database.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::anyhow;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;
use tokio::process::ChildStdout;
use tokio::sync::mpsc;

use crate::pg::{self, ClientUrl, TableCounts};
use crm_queue::JobError;
use shared::progress::ReportProgress;

/// Size of the pieces read from `pg_dump` and handed to the compressing thread.
const CHUNK: usize = 64 * 1024;
/// Chunks in flight between the reading task and the compressing thread.
const CHANNEL_DEPTH: usize = 8;
/// Progress is reported every this many bytes of SQL.
const PROGRESS_EVERY: u64 = 16 * 1024 * 1024;

/// What the finished temporary file holds.
pub struct DumpedFile {
    pub size_bytes: u64,
    /// SHA-256 of the gzip bytes, lower-case hex.
    pub sha256: String,
}

/// A transaction holding the snapshot `pg_dump` dumps, and the row counts seen in that same snapshot.
/// Dropping it closes the connection, which ends the transaction.
pub struct Snapshot {
    _conn: PgConnection,
    pub id: String,
    pub database_bytes: u64,
    pub counts: TableCounts,
}

#[derive(QueryableByName)]
struct SnapshotRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = BigInt)]
    size: i64,
}

impl Snapshot {
    /// Opens a REPEATABLE READ transaction on `database_url`, exports its snapshot and counts every table in it.
    pub async fn take(database_url: &str) -> Result<Self, JobError> {
        let url = database_url.to_owned();
        tokio::task::spawn_blocking(move || {
            let mut conn =
                PgConnection::establish(&url).map_err(|e| connect_error(&e.to_string(), &url))?;
            let (row, counts) = export(&mut conn).map_err(|e| {
                let error = anyhow!("taking the dump snapshot: {e}");
                if pg::is_permanent_failure(&e.to_string()) {
                    JobError::permanent(error)
                } else {
                    JobError::transient(error)
                }
            })?;
            Ok(Self {
                _conn: conn,
                id: row.id,
                database_bytes: u64::try_from(row.size).unwrap_or(0),
                counts,
            })
        })
        .await
        .map_err(|e| JobError::transient(anyhow!("snapshot task failed: {e}")))?
    }
}

fn export(conn: &mut PgConnection) -> QueryResult<(SnapshotRow, TableCounts)> {
    conn.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
    let row: SnapshotRow = diesel::sql_query(
        "SELECT pg_catalog.pg_export_snapshot() AS id, \
         pg_catalog.pg_database_size(pg_catalog.current_database()) AS size",
    )
    .get_result(conn)?;
    let counts = pg::count_rows(conn)?;
    Ok((row, counts))
}

/// A connection failure of the database, classified: credentials and unknown databases are permanent.
pub fn connect_error(message: &str, url: &str) -> JobError {
    let secrets = secrets_of(url);
    let text = pg::summarise_stderr(
        message,
        &secrets.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let error = anyhow!("cannot connect to the database: {text}");
    if pg::is_permanent_failure(message) {
        JobError::permanent(error)
    } else {
        JobError::transient(error)
    }
}

/// The strings that must never appear in an error: the URL itself and its password.
pub fn secrets_of(url: &str) -> Vec<String> {
    let mut secrets = vec![url.to_owned()];
    if let Some(password) = ClientUrl::parse(url).password {
        secrets.push(password);
    }
    secrets
}

/// A file written under a temporary name, removed when dropped unless [`PartialFile::persist`] renamed it.
pub struct PartialFile {
    path: PathBuf,
    keep: bool,
}

impl PartialFile {
    /// Creates (or truncates) the file now, so that a cancelled run always finds something to remove.
    pub async fn create(path: PathBuf) -> Result<(Self, File), JobError> {
        let file = tokio::fs::File::create(&path)
            .await
            .map_err(|e| io_error(e, "creating the temporary backup file"))?;
        Ok((Self { path, keep: false }, file.into_std().await))
    }

    /// Renames the file to `target` and makes the rename durable.
    pub async fn persist(mut self, target: &Path) -> Result<(), JobError> {
        tokio::fs::rename(&self.path, target)
            .await
            .map_err(|e| io_error(e, "renaming the backup into place"))?;
        self.keep = true;
        if let Some(dir) = target.parent().map(Path::to_owned) {
            tokio::task::spawn_blocking(move || File::open(dir)?.sync_all())
                .await
                .map_err(|e| JobError::transient(anyhow!("directory sync task failed: {e}")))?
                .map_err(|e| io_error(e, "syncing the backup directory"))?;
        }
        Ok(())
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.keep
            && let Err(e) = std::fs::remove_file(&self.path)
            && e.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(error = %e, "could not remove a partial backup file");
        }
    }
}

/// An I/O failure while writing backups; worth a retry (space may be freed), except missing rights.
pub fn io_error(e: io::Error, doing: &str) -> JobError {
    let error = anyhow!("{doing}: {e}");
    if e.kind() == io::ErrorKind::PermissionDenied {
        JobError::permanent(error)
    } else {
        JobError::transient(error)
    }
}

/// A client binary that could not be started: missing or not executable is permanent.
pub fn spawn_error(e: &io::Error, program: &Path) -> JobError {
    let name = program.display();
    match e.kind() {
        io::ErrorKind::NotFound => JobError::permanent(anyhow!(
            "{name} not found: install the PostgreSQL client or set PG_BIN_DIR"
        )),
        io::ErrorKind::PermissionDenied => {
            JobError::permanent(anyhow!("{name} cannot be executed: {e}"))
        }
        _ => JobError::transient(anyhow!("cannot start {name}: {e}")),
    }
}

/// Runs `pg_dump` on the exported snapshot `snapshot_id` and writes its output, gzipped, to `file`; fsyncs
/// it before returning. `database_bytes` only scales the progress reports.
pub async fn dump(
    pg_dump: &Path,
    database_url: &str,
    (snapshot_id, database_bytes): (&str, u64),
    file: File,
    progress: &dyn ReportProgress,
) -> Result<DumpedFile, JobError> {
    let url = ClientUrl::parse(database_url);
    let mut cmd = url.command(pg_dump);
    cmd.args([
        "--format=plain",
        "--no-owner",
        "--no-privileges",
        "--lock-wait-timeout=300000",
    ])
    .arg(format!("--snapshot={snapshot_id}"))
    .stdout(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| spawn_error(&e, pg_dump))?;
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(JobError::transient(anyhow!("pg_dump pipes missing")));
    };
    let stderr = tokio::spawn(pg::read_stderr(stderr));

    let (tx, rx) = mpsc::channel(CHANNEL_DEPTH);
    let writer = tokio::task::spawn_blocking(move || write_gzip(file, rx));
    let pumped = pump(stdout, tx, progress, database_bytes).await;
    let written = writer
        .await
        .map_err(|e| JobError::transient(anyhow!("compression task failed: {e}")))?;
    if written.is_err() || pumped.is_err() {
        // The output can no longer be stored: stop pg_dump rather than wait for it.
        let _ = child.start_kill();
    }
    let status = child
        .wait()
        .await
        .map_err(|e| JobError::transient(anyhow!("waiting for pg_dump: {e}")))?;
    let stderr = stderr.await.unwrap_or_default();

    let dumped = written.map_err(|e| io_error(e, "writing the backup file"))?;
    pumped.map_err(|e| JobError::transient(anyhow!("reading pg_dump output: {e}")))?;
    if !status.success() {
        let secrets = secrets_of(database_url);
        let summary = pg::summarise_stderr(
            &stderr,
            &secrets.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        let error = anyhow!("pg_dump failed ({status}): {summary}");
        return Err(if pg::is_permanent_failure(&stderr) {
            JobError::permanent(error)
        } else {
            JobError::transient(error)
        });
    }
    Ok(dumped)
}

/// Moves `pg_dump`'s output to the compressing thread; stops early when that thread gave up.
async fn pump(
    mut stdout: ChildStdout,
    tx: mpsc::Sender<Vec<u8>>,
    progress: &dyn ReportProgress,
    database_bytes: u64,
) -> io::Result<u64> {
    let mut total = 0_u64;
    let mut next_report = PROGRESS_EVERY;
    loop {
        let mut chunk = vec![0_u8; CHUNK];
        let n = stdout.read(&mut chunk).await?;
        if n == 0 {
            return Ok(total);
        }
        chunk.truncate(n);
        total += n as u64;
        if tx.send(chunk).await.is_err() {
            return Ok(total);
        }
        if total >= next_report {
            next_report += PROGRESS_EVERY;
            // The SQL text is roughly the size of the tables: a fair gauge, capped below the end.
            let pct = 15 + (total.saturating_mul(70) / database_bytes.max(1)).min(70);
            let pct = u8::try_from(pct).unwrap_or(85);
            progress
                .report(pct, &format!("dumped {} MiB", total / (1024 * 1024)))
                .await;
        }
    }
}

/// The compressing thread: gzip, hash and write every chunk, then flush and fsync.
fn write_gzip(file: File, mut rx: mpsc::Receiver<Vec<u8>>) -> io::Result<DumpedFile> {
    let sink = HashingWriter {
        inner: BufWriter::with_capacity(256 * 1024, file),
        hasher: Sha256::new(),
        written: 0,
    };
    let mut gz = GzEncoder::new(sink, Compression::default());
    while let Some(chunk) = rx.blocking_recv() {
        gz.write_all(&chunk)?;
    }
    let mut sink = gz.finish()?;
    sink.flush()?;
    let file = sink
        .inner
        .into_inner()
        .map_err(io::IntoInnerError::into_error)?;
    file.sync_all()?;
    Ok(DumpedFile {
        size_bytes: sink.written,
        sha256: hex::encode(sink.hasher.finalize()),
    })
}

/// Passes bytes through to `inner`, hashing and counting exactly what was accepted.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
