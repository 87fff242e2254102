//! Backups against the real Postgres: the dump is a valid gzip whose checksum is recorded, it restores with
//! the recorded row counts, retention never removes the newest verified-good backup, and failures leave no
//! file behind.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a panic with its message is the failure report"
)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::{Duration, Utc};
use crm_backup::{BackupSettings, apply_retention, run_backup, verify_backup};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};
use shared::db::with_database;
use shared::models::BackupId;
use shared::models::backup::{self as rows, Backup, BackupStatus, VerifyResult};
use shared::models::organisation::{NewOrganisation, OrgType, create_organisation};
use shared::models::user::{NewUser, Role};
use shared::progress::NoProgress;
use shared::schema::{backups, users};
use shared::test_utils::TestDb;

/// A directory of its own for one test, removed with its contents on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let path =
            std::env::temp_dir().join(format!("crm-backup-test-{:016x}", rand::random::<u64>()));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    /// File names in the directory, sorted.
    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .map(|entries| {
                entries
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn settings(db: &TestDb, dir: &TempDir) -> BackupSettings {
    BackupSettings {
        dir: dir.path().to_owned(),
        retention_days: 10,
        pg_bin_dir: None,
        database_url: db.url().to_owned(),
        ledger_path: dir.path().join("erasure-ledger.jsonl"),
    }
}

/// Three users and two organisations.
fn seed(db: &TestDb) {
    let mut conn = db.conn();
    for i in 0..3 {
        let email = format!("user{i}@example.test");
        diesel::insert_into(users::table)
            .values(NewUser {
                email: &email,
                password_hash: "not-a-real-hash",
                role: Role::User,
                team_id: None,
                display_name: None,
            })
            .execute(&mut conn)
            .unwrap();
    }
    for name in ["Acme Capital", "Globex Distribution"] {
        create_organisation(&mut conn, &NewOrganisation::new(name, OrgType::Investor)).unwrap();
    }
}

fn sha256_hex(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

fn backup_row(db: &TestDb, id: i64) -> Backup {
    rows::find_backup(&mut db.conn(), BackupId(id))
        .unwrap()
        .unwrap()
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = Bool)]
    exists: bool,
}

fn database_exists(db: &TestDb, name: &str) -> bool {
    diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
        .bind::<Text, _>(name)
        .get_result::<Exists>(&mut db.conn())
        .unwrap()
        .exists
}

fn is_backup_name(name: &str) -> bool {
    let Some(stamp) = name
        .strip_prefix("crm-backup-")
        .and_then(|rest| rest.strip_suffix(".sql.gz"))
    else {
        return false;
    };
    stamp.len() == 16
        && stamp.as_bytes()[8] == b'T'
        && stamp.ends_with('Z')
        && stamp[..8]
            .bytes()
            .chain(stamp[9..15].bytes())
            .all(|b| b.is_ascii_digit())
}

#[tokio::test]
async fn backup_is_a_valid_gzip_and_restores_with_matching_counts() {
    let db = TestDb::new();
    seed(&db);
    let dir = TempDir::new();
    let settings = settings(&db, &dir);

    let outcome = run_backup(&settings, db.pool(), &NoProgress).await.unwrap();

    assert!(is_backup_name(&outcome.file_name), "{}", outcome.file_name);
    assert_eq!(
        dir.files(),
        vec![outcome.file_name.clone()],
        "only the final file is left"
    );
    let path = dir.path().join(&outcome.file_name);
    let mut sql = String::new();
    MultiGzDecoder::new(std::fs::File::open(&path).unwrap())
        .read_to_string(&mut sql)
        .expect("the whole file decodes as gzip");
    assert!(sql.contains("PostgreSQL database dump complete"));
    assert!(sql.contains("COPY public.organisations"));

    let row = backup_row(&db, outcome.backup_id);
    assert_eq!(row.status, BackupStatus::Succeeded);
    assert_eq!(row.file_name, outcome.file_name);
    assert_eq!(row.sha256.as_deref(), Some(sha256_hex(&path).as_str()));
    assert_eq!(outcome.sha256, sha256_hex(&path));
    let size = std::fs::metadata(&path).unwrap().len();
    assert_eq!(row.size_bytes, Some(i64::try_from(size).unwrap()));
    assert_eq!(outcome.size_bytes, size);
    let counts = row.table_counts.unwrap();
    assert_eq!(counts["users"], 3);
    assert_eq!(counts["organisations"], 2);
    // The snapshot sees this run's own `running` row.
    assert_eq!(counts["backups"], 1);
    assert!(counts.get("__diesel_schema_migrations").is_none());

    let verified = verify_backup(&settings, db.pool(), None, &NoProgress)
        .await
        .unwrap();
    assert_eq!(verified.result, VerifyResult::Ok, "{}", verified.details);
    assert_eq!(verified.backup_id, outcome.backup_id);
    assert_eq!(
        verified.details["rows"],
        counts
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_i64().unwrap())
            .sum::<i64>()
    );
    assert!(verified.scratch_dropped);
    let scratch = verified.scratch_database.unwrap();
    assert!(scratch.starts_with("crm_verify_"));
    assert!(
        !database_exists(&db, &scratch),
        "scratch database {scratch} still exists"
    );

    let row = backup_row(&db, outcome.backup_id);
    assert_eq!(row.verify_result, Some(VerifyResult::Ok));
    assert!(row.verified_at.is_some());
}

/// A succeeded backup row `days_ago` old with a junk file, optionally with a verification result.
fn fake_backup(
    db: &TestDb,
    dir: &TempDir,
    name: &str,
    days_ago: i64,
    verify: Option<VerifyResult>,
) -> i64 {
    let mut conn = db.conn();
    std::fs::write(dir.path().join(name), b"not really a dump").unwrap();
    let row = rows::start_backup(&mut conn, name).unwrap();
    rows::finish_backup(&mut conn, row.id, 17, "00", &serde_json::json!({})).unwrap();
    if let Some(result) = verify {
        rows::record_verification(&mut conn, row.id, result, &serde_json::json!({})).unwrap();
    }
    diesel::update(backups::table.find(row.id))
        .set(backups::started_at.eq(Utc::now() - Duration::days(days_ago)))
        .execute(&mut conn)
        .unwrap();
    row.id.0
}

#[tokio::test]
async fn retention_keeps_the_newest_verified_good_backup() {
    let db = TestDb::new();
    let dir = TempDir::new();
    let settings = settings(&db, &dir);
    let older_good = fake_backup(
        &db,
        &dir,
        "crm-backup-20200101T020000Z.sql.gz",
        40,
        Some(VerifyResult::Ok),
    );
    let newest_good = fake_backup(
        &db,
        &dir,
        "crm-backup-20200111T020000Z.sql.gz",
        30,
        Some(VerifyResult::Ok),
    );
    let unverified = fake_backup(&db, &dir, "crm-backup-20200121T020000Z.sql.gz", 20, None);
    let bad = fake_backup(
        &db,
        &dir,
        "crm-backup-20200126T020000Z.sql.gz",
        15,
        Some(VerifyResult::Failed),
    );
    let recent = fake_backup(&db, &dir, "crm-backup-20200201T020000Z.sql.gz", 2, None);

    let outcome = run_backup(&settings, db.pool(), &NoProgress).await.unwrap();

    let retention = outcome.retention.unwrap();
    assert_eq!(retention.kept_verified, Some(newest_good));
    let mut deleted = retention.deleted.clone();
    deleted.sort();
    assert_eq!(
        deleted,
        vec![
            "crm-backup-20200101T020000Z.sql.gz",
            "crm-backup-20200121T020000Z.sql.gz",
            "crm-backup-20200126T020000Z.sql.gz",
        ]
    );
    assert_eq!(
        dir.files(),
        vec![
            "crm-backup-20200111T020000Z.sql.gz".to_owned(),
            "crm-backup-20200201T020000Z.sql.gz".to_owned(),
            outcome.file_name.clone(),
        ]
    );
    let mut conn = db.conn();
    for gone in [older_good, unverified, bad] {
        assert!(
            rows::find_backup(&mut conn, BackupId(gone))
                .unwrap()
                .is_none()
        );
    }
    for kept in [newest_good, recent, outcome.backup_id] {
        assert!(
            rows::find_backup(&mut conn, BackupId(kept))
                .unwrap()
                .is_some()
        );
    }
    drop(conn);

    // Once the new backup verifies, it is the one to keep and the old verified one may go.
    let verified = verify_backup(&settings, db.pool(), Some(outcome.backup_id), &NoProgress)
        .await
        .unwrap();
    assert_eq!(verified.result, VerifyResult::Ok, "{}", verified.details);
    let again = apply_retention(&settings, db.pool(), &[]).await.unwrap();
    assert_eq!(again.kept_verified, Some(outcome.backup_id));
    assert_eq!(
        again.deleted,
        vec!["crm-backup-20200111T020000Z.sql.gz".to_owned()]
    );
    assert_eq!(
        dir.files(),
        vec![
            "crm-backup-20200201T020000Z.sql.gz".to_owned(),
            outcome.file_name.clone()
        ]
    );
}

/// The test database's URL with a password added, to check it never reaches an error message.
fn with_password(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest))
            if rest.contains('@') && !rest.split('@').next().unwrap().contains(':') =>
        {
            let (user, host) = rest.split_once('@').unwrap();
            format!("{scheme}://{user}:s3cret-pw@{host}")
        }
        _ => url.to_owned(),
    }
}

fn only_row(db: &TestDb) -> Backup {
    let all = rows::list_backups(&mut db.conn(), 10).unwrap();
    assert_eq!(all.len(), 1);
    all.into_iter().next().unwrap()
}

#[tokio::test]
async fn dump_of_a_missing_database_fails_cleanly() {
    let db = TestDb::new();
    let dir = TempDir::new();
    let mut settings = settings(&db, &dir);
    settings.database_url = with_password(&with_database(db.url(), "crm_missing_database"));

    let err = run_backup(&settings, db.pool(), &NoProgress)
        .await
        .unwrap_err();

    let message = err.describe();
    assert!(err.is_permanent(), "{message}");
    assert!(message.contains("does not exist"), "{message}");
    assert!(!message.contains("s3cret-pw"), "{message}");
    assert!(dir.files().is_empty(), "{:?}", dir.files());
    let row = only_row(&db);
    assert_eq!(row.status, BackupStatus::Failed);
    assert_eq!(row.error.as_deref(), Some(message.as_str()));
    assert!(row.finished_at.is_some());
}

#[tokio::test]
async fn missing_pg_dump_is_permanent_and_leaves_no_file() {
    let db = TestDb::new();
    let dir = TempDir::new();
    let bin = TempDir::new();
    let mut settings = settings(&db, &dir);
    settings.pg_bin_dir = Some(bin.path().to_owned());

    let err = run_backup(&settings, db.pool(), &NoProgress)
        .await
        .unwrap_err();

    assert!(err.is_permanent());
    assert!(err.describe().contains("not found"), "{}", err.describe());
    assert!(dir.files().is_empty(), "{:?}", dir.files());
    assert_eq!(only_row(&db).status, BackupStatus::Failed);
}

#[tokio::test]
async fn pg_dump_failing_midway_leaves_no_partial_file() {
    use std::os::unix::fs::PermissionsExt;

    let db = TestDb::new();
    let dir = TempDir::new();
    let bin = TempDir::new();
    // Writes some SQL, then dies the way pg_dump does when the server goes away.
    let script = bin.path().join("pg_dump");
    std::fs::write(
        &script,
        "#!/bin/sh\nhead -c 200000 /dev/zero | tr '\\0' 'x'\n\
         echo 'pg_dump: error: Dumping the contents of table \"users\" failed: PQgetResult() failed.' >&2\n\
         echo 'pg_dump: detail: Error message from server: server closed the connection unexpectedly' >&2\n\
         exit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut settings = settings(&db, &dir);
    settings.pg_bin_dir = Some(bin.path().to_owned());

    let err = run_backup(&settings, db.pool(), &NoProgress)
        .await
        .unwrap_err();

    let message = err.describe();
    assert!(
        !err.is_permanent(),
        "a lost server is worth a retry: {message}"
    );
    assert!(message.contains("pg_dump failed"), "{message}");
    assert!(message.contains("PQgetResult() failed"), "{message}");
    assert!(dir.files().is_empty(), "{:?}", dir.files());
    let row = only_row(&db);
    assert_eq!(row.status, BackupStatus::Failed);
    assert!(row.error.unwrap().contains("pg_dump failed"));
}

#[tokio::test]
async fn corrupted_backup_fails_verification() {
    let db = TestDb::new();
    seed(&db);
    let dir = TempDir::new();
    let settings = settings(&db, &dir);
    let outcome = run_backup(&settings, db.pool(), &NoProgress).await.unwrap();
    let path = dir.path().join(&outcome.file_name);
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();

    let verified = verify_backup(&settings, db.pool(), None, &NoProgress)
        .await
        .unwrap();

    assert_eq!(verified.result, VerifyResult::Failed);
    assert!(
        verified.details["error"]
            .as_str()
            .unwrap()
            .contains("sha256 mismatch")
    );
    assert!(verified.scratch_database.is_none());
    let row = backup_row(&db, outcome.backup_id);
    assert_eq!(row.verify_result, Some(VerifyResult::Failed));
    assert_eq!(row.verify_details.unwrap(), verified.details);
}

#[tokio::test]
async fn dump_that_does_not_restore_fails_verification_and_drops_the_scratch_database() {
    let db = TestDb::new();
    let dir = TempDir::new();
    let settings = settings(&db, &dir);
    // A well-formed gzip of SQL that fails half-way, with a matching checksum.
    let name = "crm-backup-20240101T000000Z.sql.gz";
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(
        b"CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\nINSERT INTO missing VALUES (1);\n",
    )
    .unwrap();
    let bytes = gz.finish().unwrap();
    std::fs::write(dir.path().join(name), &bytes).unwrap();
    let mut conn = db.conn();
    let row = rows::start_backup(&mut conn, name).unwrap();
    let sha = hex::encode(Sha256::digest(&bytes));
    rows::finish_backup(&mut conn, row.id, 1, &sha, &serde_json::json!({ "t": 1 })).unwrap();
    drop(conn);

    let verified = verify_backup(&settings, db.pool(), Some(row.id.0), &NoProgress)
        .await
        .unwrap();

    assert_eq!(verified.result, VerifyResult::Failed);
    let error = verified.details["error"].as_str().unwrap();
    assert!(
        error.contains("restore failed") && error.contains("missing"),
        "{error}"
    );
    assert!(verified.scratch_dropped);
    assert!(!database_exists(&db, &verified.scratch_database.unwrap()));
}

#[tokio::test]
async fn count_difference_is_a_mismatch() {
    let db = TestDb::new();
    seed(&db);
    let dir = TempDir::new();
    let settings = settings(&db, &dir);
    let outcome = run_backup(&settings, db.pool(), &NoProgress).await.unwrap();
    let mut counts = backup_row(&db, outcome.backup_id).table_counts.unwrap();
    counts["users"] = serde_json::json!(99);
    diesel::update(backups::table.find(BackupId(outcome.backup_id)))
        .set(backups::table_counts.eq(&counts))
        .execute(&mut db.conn())
        .unwrap();

    let verified = verify_backup(&settings, db.pool(), None, &NoProgress)
        .await
        .unwrap();

    assert_eq!(verified.result, VerifyResult::Mismatch);
    assert_eq!(verified.details["tables"]["users"]["expected"], 99);
    assert_eq!(verified.details["tables"]["users"]["actual"], 3);
    assert!(!database_exists(&db, &verified.scratch_database.unwrap()));
}

#[tokio::test]
async fn verify_without_any_backup_is_a_permanent_error() {
    let db = TestDb::new();
    let dir = TempDir::new();
    let err = verify_backup(&settings(&db, &dir), db.pool(), None, &NoProgress)
        .await
        .unwrap_err();
    assert!(err.is_permanent());
    assert!(err.describe().contains("no successful backup"));
}
