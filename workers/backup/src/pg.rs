//! Helpers shared by the backup jobs: connection URLs for the client binaries, their error output, and exact
//! per-table row counts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

pub use shared::db::quote_ident;

/// Migrations bookkeeping: not application data, so not counted.
const UNCOUNTED_TABLE: &str = "__diesel_schema_migrations";

/// At most this much of a client binary's stderr is kept.
const STDERR_LIMIT: usize = 64 * 1024;

/// Row count per table of the `public` schema.
pub type TableCounts = BTreeMap<String, i64>;

/// A connection URL split for a client binary: the password goes in `PGPASSWORD`, never on the command line
/// (where `ps` shows it to every local user).
pub struct ClientUrl {
    /// The URL without its password; still not for logs.
    pub without_password: String,
    pub password: Option<String>,
}

impl ClientUrl {
    /// Splits `postgres://user:secret@host/db?x=y`. A key=value connection string is passed on unchanged.
    pub fn parse(url: &str) -> Self {
        let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
            return Self {
                without_password: url.to_owned(),
                password: None,
            };
        };
        let rest = &url[scheme_end..];
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        let Some(at) = authority.rfind('@') else {
            return Self {
                without_password: url.to_owned(),
                password: None,
            };
        };
        let userinfo = &authority[..at];
        let Some((user, password)) = userinfo.split_once(':') else {
            return Self {
                without_password: url.to_owned(),
                password: None,
            };
        };
        Self {
            without_password: format!("{}{user}{}", &url[..scheme_end], &rest[at..]),
            password: Some(percent_decode(password)),
        }
    }

    /// A client command (`pg_dump`, `psql`) connecting with this URL: English messages, no prompt for a
    /// password, killed when the handle is dropped (a cancelled job must not leave it running). Without a
    /// password in the URL, an inherited `PGPASSWORD` or `~/.pgpass` still applies.
    pub fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.arg(format!("--dbname={}", self.without_password))
            .arg("--no-password")
            .env("LC_MESSAGES", "C")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(password) = &self.password {
            cmd.env("PGPASSWORD", password);
        }
        cmd
    }
}

/// Decodes `%XX` escapes (URL user info); malformed escapes stay as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = text
                .get(i + 1..i + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `dir/name` when a binary directory is configured, else the bare name looked up in `PATH`.
pub fn binary(bin_dir: Option<&Path>, name: &str) -> PathBuf {
    bin_dir.map_or_else(|| PathBuf::from(name), |dir| dir.join(name))
}

/// Reads a child's stderr to the end, keeping the first [`STDERR_LIMIT`] bytes.
pub async fn read_stderr<R: AsyncRead + Unpin>(mut stderr: R) -> String {
    let mut kept = Vec::new();
    let mut buf = [0_u8; 8 * 1024];
    loop {
        match stderr.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = STDERR_LIMIT.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
    String::from_utf8_lossy(&kept).into_owned()
}

/// The lines of a client's stderr worth recording: errors and fatal messages, without the DETAIL/CONTEXT lines
/// that can quote row contents, with `secrets` (the URL, the password) masked, at most 500 characters.
pub fn summarise_stderr(stderr: &str, secrets: &[&str]) -> String {
    let mut lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| l.contains("error") || l.contains("ERROR") || l.contains("FATAL"))
        .collect();
    if lines.is_empty() {
        lines = stderr
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("DETAIL") && !l.starts_with("CONTEXT"))
            .take(1)
            .collect();
    }
    let mut text = lines.join("; ");
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        text = text.replace(secret, "***");
    }
    if text.is_empty() {
        return "no error message".to_owned();
    }
    text.chars().take(500).collect()
}

/// True when a connection or client error cannot go away by itself: wrong credentials, unknown database or
/// role, missing rights, an incompatible client. Everything else (server down, network, a table dropped
/// while dumping) is worth a retry.
pub fn is_permanent_failure(message: &str) -> bool {
    const PERMANENT: &[&str] = &[
        "password authentication failed",
        "authentication failed",
        "no password supplied",
        "no pg_hba.conf entry",
        "permission denied",
        "must be owner",
        "server version mismatch",
        "invalid connection option",
        "invalid URI",
        "invalid integer value",
    ];
    PERMANENT.iter().any(|p| message.contains(p))
        || message.lines().any(|line| {
            line.contains("does not exist")
                && (line.contains("database \"") || line.contains("role \""))
        })
}

#[derive(QueryableByName)]
struct TableName {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct RowCount {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// Exact `count(*)` of every ordinary or partitioned table of the `public` schema, in the connection's
/// current snapshot.
pub fn count_rows(conn: &mut PgConnection) -> QueryResult<TableCounts> {
    let tables: Vec<TableName> = diesel::sql_query(
        "SELECT c.relname::text AS name FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> $1 \
         ORDER BY 1",
    )
    .bind::<Text, _>(UNCOUNTED_TABLE)
    .load(conn)?;
    let mut counts = TableCounts::new();
    for table in tables {
        let row: RowCount = diesel::sql_query(format!(
            "SELECT count(*) AS count FROM public.{}",
            quote_ident(&table.name)
        ))
        .get_result(conn)?;
        counts.insert(table.name, row.count);
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_leaves_the_url() {
        let split = ClientUrl::parse("postgres://crm:s%40cr:et@db.local:5432/crm?sslmode=require");
        assert_eq!(
            split.without_password,
            "postgres://crm@db.local:5432/crm?sslmode=require"
        );
        assert_eq!(split.password.as_deref(), Some("s@cr:et"));

        let none = ClientUrl::parse("postgres://postgres@127.0.0.1/postgres");
        assert_eq!(
            none.without_password,
            "postgres://postgres@127.0.0.1/postgres"
        );
        assert!(none.password.is_none());

        let conninfo = ClientUrl::parse("host=/run/postgresql dbname=crm");
        assert_eq!(conninfo.without_password, "host=/run/postgresql dbname=crm");
    }

    #[test]
    fn stderr_summary_drops_row_contents_and_secrets() {
        let stderr = "psql:<stdin>:42: ERROR:  duplicate key value violates unique constraint \"users_pkey\"\n\
                      DETAIL:  Key (email)=(someone@example.com) already exists.\n\
                      CONTEXT:  COPY users, line 1\n";
        let summary = summarise_stderr(stderr, &[]);
        assert!(summary.contains("users_pkey"));
        assert!(!summary.contains("example.com"));

        let leaked = "pg_dump: error: connection to postgres://u:hunter2@h/db failed";
        assert!(!summarise_stderr(leaked, &["hunter2"]).contains("hunter2"));
    }

    #[test]
    fn credentials_problems_are_permanent() {
        assert!(is_permanent_failure(
            "FATAL:  password authentication failed for user \"crm\""
        ));
        assert!(is_permanent_failure(
            "FATAL:  database \"nope\" does not exist"
        ));
        assert!(!is_permanent_failure(
            "connection to server at \"127.0.0.1\", port 5432 failed: Connection refused"
        ));
    }
}
