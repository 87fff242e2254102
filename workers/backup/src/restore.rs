//! Restoring a gzip dump into a scratch database: decompressed on a blocking thread and streamed into
//! `psql`'s stdin, without a temporary file.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::anyhow;
use diesel::prelude::*;
use flate2::read::MultiGzDecoder;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use crate::dump::{connect_error, secrets_of, spawn_error};
use crate::pg::{self, ClientUrl, TableCounts};
use crm_queue::JobError;
use shared::scratch_db::{ScratchDb, ScratchError};

const CHUNK: usize = 64 * 1024;
const CHANNEL_DEPTH: usize = 8;

/// Creates an empty scratch database (`crm_verify_<random>`, from `template0`) on the server of
/// `admin_url` for one restore check.
pub async fn create_scratch(admin_url: &str) -> Result<ScratchDb, JobError> {
    let name = format!("crm_verify_{:016x}", rand::random::<u64>());
    let url = admin_url.to_owned();
    tokio::task::spawn_blocking(move || {
        ScratchDb::create(&url, &name, Some("template0")).map_err(|e| match e {
            ScratchError::Connect(e) => connect_error(&e.to_string(), &url),
            ScratchError::Sql(e) => {
                let error = anyhow!("creating the scratch database: {e}");
                if pg::is_permanent_failure(&e.to_string()) {
                    JobError::permanent(error)
                } else {
                    JobError::transient(error)
                }
            }
        })
    })
    .await
    .map_err(|e| JobError::transient(anyhow!("scratch database task failed: {e}")))?
}

/// Drops the scratch database, ending any connection still open to it. The error never holds the URL's
/// password.
pub async fn drop_scratch(scratch: ScratchDb) -> Result<(), String> {
    let secrets = secrets_of(&scratch.url());
    tokio::task::spawn_blocking(move || scratch.drop_now())
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| {
            let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
            pg::summarise_stderr(&e.to_string(), &secrets)
        })
}

/// Exact row counts of the scratch database once restored.
pub async fn count_rows(url: String) -> Result<TableCounts, JobError> {
    tokio::task::spawn_blocking(move || {
        let mut conn =
            PgConnection::establish(&url).map_err(|e| connect_error(&e.to_string(), &url))?;
        pg::count_rows(&mut conn)
            .map_err(|e| JobError::transient(anyhow!("counting restored rows: {e}")))
    })
    .await
    .map_err(|e| JobError::transient(anyhow!("count task failed: {e}")))?
}

/// How a restore ended when the tools themselves worked.
pub enum Restore {
    Done,
    /// The backup does not restore: the reason, fit for the record.
    Failed(String),
}

/// Streams `file` through gunzip into `psql --single-transaction` on `url`. `Err` means the check could not
/// run (client missing, server unreachable); a dump that does not restore is `Ok(Restore::Failed)`.
pub async fn restore(psql: &Path, url: &str, file: PathBuf) -> Result<Restore, JobError> {
    let client = ClientUrl::parse(url);
    let mut cmd = client.command(psql);
    cmd.args([
        "--no-psqlrc",
        "--quiet",
        "--set",
        "ON_ERROR_STOP=1",
        "--single-transaction",
    ])
    .stdin(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| spawn_error(&e, psql))?;
    let (Some(mut stdin), Some(stderr)) = (child.stdin.take(), child.stderr.take()) else {
        return Err(JobError::transient(anyhow!("psql pipes missing")));
    };
    let stderr = tokio::spawn(pg::read_stderr(stderr));

    let (tx, mut rx) = mpsc::channel(CHANNEL_DEPTH);
    let reader = tokio::task::spawn_blocking(move || decompress(&file, &tx));
    let mut fed = Ok(());
    while let Some(chunk) = rx.recv().await {
        fed = stdin.write_all(&chunk).await;
        if fed.is_err() {
            break;
        }
    }
    drop(rx);
    let read = reader
        .await
        .map_err(|e| JobError::transient(anyhow!("decompression task failed: {e}")))?;
    if let Err(e) = read {
        let _ = child.start_kill();
        let _ = child.wait().await;
        return Ok(Restore::Failed(format!(
            "backup file does not decompress: {e}"
        )));
    }
    if fed.is_ok() {
        fed = stdin.shutdown().await;
    }
    drop(stdin);
    let status = child
        .wait()
        .await
        .map_err(|e| JobError::transient(anyhow!("waiting for psql: {e}")))?;
    let stderr = stderr.await.unwrap_or_default();

    let secrets = secrets_of(url);
    let summary = pg::summarise_stderr(
        &stderr,
        &secrets.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    if !status.success() {
        // psql's own connection problems are about the server, not the backup.
        if stderr.starts_with("psql: error:") || stderr.contains("connection to server was lost") {
            let error = anyhow!("psql could not restore: {summary}");
            return Err(if pg::is_permanent_failure(&stderr) {
                JobError::permanent(error)
            } else {
                JobError::transient(error)
            });
        }
        return Ok(Restore::Failed(format!(
            "restore failed ({status}): {summary}"
        )));
    }
    if let Err(e) = fed {
        return Ok(Restore::Failed(format!(
            "psql stopped reading the dump: {e}"
        )));
    }
    Ok(Restore::Done)
}

/// The reading thread: gunzip `file` and hand the SQL over in chunks; stops early when nobody listens.
fn decompress(file: &Path, tx: &mpsc::Sender<Vec<u8>>) -> io::Result<()> {
    let mut gz = MultiGzDecoder::new(BufReader::new(File::open(file)?));
    loop {
        let mut chunk = vec![0_u8; CHUNK];
        let n = gz.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        chunk.truncate(n);
        if tx.blocking_send(chunk).is_err() {
            return Ok(());
        }
    }
}
