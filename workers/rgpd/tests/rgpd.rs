//! RGPD against real Postgres and Redis: after an erasure no trace of the person's name, address, phone
//! or email remains in any table, Redis key, log line, or a backup restored afterwards (the ledger
//! replay); an export holds every row the database has about its subject; the inactivity sweep spares
//! admins and active people; the compliance report counts what happened.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a panic with its message is the failure report"
)]

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use crm_queue::test_utils::TestRedis;
use crm_rgpd::RgpdEnv;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use redis::AsyncCommands;
use shared::config::{EnvSource, RgpdConfig};
use shared::models::rgpd_request::{
    self as requests, NewRgpdRequest, RequestKind, RequestState, SubjectType,
};
use shared::models::user::Role;
use shared::progress::NoProgress;
use shared::test_utils::TestDb;

/// What identifies the person erased in these tests; each must vanish.
const NAME_FIRST: &str = "Bérénice";
const NAME_LAST: &str = "Quintard-Lefebvre";
const EMAIL: &str = "berenice.quintard@quintard-conseil.fr";
const PHONE: &str = "+33142685300";
const MOBILE: &str = "+33671234598";
const ADDRESS: &str = "14 rue Vavin";
const LLM_PREFIX: &str = "rgpdtest:llm:";

fn traces() -> [&'static str; 6] {
    [NAME_FIRST, NAME_LAST, EMAIL, PHONE, MOBILE, ADDRESS]
}

/// Every log line of this test binary, captured once.
fn logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || Capture(writer.clone()))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        buf
    })
    .clone()
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("crm-rgpd-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn env(db: &TestDb, redis: Option<&TestRedis>, dir: &std::path::Path) -> RgpdEnv {
    let ledger = dir.join("erasure-ledger.jsonl");
    let config = RgpdConfig::from_env(&EnvSource::from_pairs(&[
        ("RGPD_HASH_KEY", &"42".repeat(32)),
        ("RGPD_LEDGER_PATH", ledger.to_str().unwrap()),
        ("RGPD_ANONYMISE_BATCH", "2"),
    ]))
    .unwrap();
    let (conn, patterns) = match redis {
        Some(r) => (
            Some(
                shared::redis_conn::connect(&shared::redis_conn::RedisTarget::url(r.url()))
                    .await
                    .unwrap(),
            ),
            vec![
                format!("{}:*", r.namespace()),
                format!("{LLM_PREFIX}{}*", r.namespace()),
            ],
        ),
        None => (None, Vec::new()),
    };
    RgpdEnv {
        pool: db.pool().clone(),
        config,
        redis: conn,
        cache_patterns: patterns,
    }
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

fn id(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Id>(conn).unwrap().id
}

/// Ids of what the seed made.
struct Seeded {
    owner: i64,
    person: i64,
    other_person: i64,
    inbound: i64,
    outbound: i64,
}

/// A person with everything the platform can hold about them, and another person who must stay intact.
fn seed(db: &TestDb) -> Seeded {
    let owner = db
        .user(&format!("owner-{}@crm.test", ulid::Ulid::new()), Role::User)
        .0;
    let mut c = db.conn();
    let c = &mut *c;
    let account = id(
        c,
        &format!(
            "INSERT INTO email_accounts (owner_user_id, provider, address, imap_host, imap_port, imap_security, \
             imap_auth, folders) VALUES ({owner}, 'imap', 'sales-{owner}@crm.test', '127.0.0.1', 993, 'tls', 'login', \
             '{{INBOX}}') RETURNING id"
        ),
    );
    let person = id(
        c,
        &format!(
            "INSERT INTO people (first_name, last_name, email, phone, mobile, title, linkedin, notes, field_sources) \
             VALUES ('{NAME_FIRST}', '{NAME_LAST}', '{EMAIL}', '{PHONE}', '{MOBILE}', 'Gérante', \
             'https://www.linkedin.com/in/bquintard', 'Rencontrée au salon, habite {ADDRESS}', '{{\"phone\": \"autofill\"}}') RETURNING id"
        ),
    );
    let other_person = id(
        c,
        "INSERT INTO people (first_name, last_name, email) VALUES ('Paul', 'Témoin', 'paul.temoin@autre.fr') RETURNING id",
    );
    let org = id(
        c,
        "INSERT INTO organisations (name, org_type, address) VALUES ('Quintard Conseil', 'investor', '1 place Vendôme') RETURNING id",
    );
    diesel::sql_query(format!(
        "INSERT INTO person_organisation_links (person_id, organisation_id, role, is_primary) VALUES ({person}, {org}, 'Gérante', true)"
    ))
    .execute(c)
    .unwrap();
    let thread = id(
        c,
        &format!(
            "INSERT INTO email_threads (account_id, root_message_id, subject) VALUES ({account}, 'root@x', \
             'Proposition pour {NAME_FIRST} {NAME_LAST}') RETURNING id"
        ),
    );
    let body = format!(
        "Bonjour,\n\nMerci pour votre proposition.\n\n{NAME_FIRST} {NAME_LAST}\nGérante\n{ADDRESS}, 75006 Paris\n\
         Tél. {PHONE} - Mobile {MOBILE}\n{EMAIL}"
    );
    let inbound = id(
        c,
        &format!(
            "INSERT INTO interactions (account_id, folder, message_id, from_address, from_name, to_addresses, subject, \
             sent_at, direction, body_text, size_bytes, thread_id, person_id) VALUES ({account}, 'INBOX', 'in-1@x', \
             '{EMAIL}', '{NAME_FIRST} {NAME_LAST}', '{{sales-{owner}@crm.test}}', 'Re: Proposition pour {NAME_LAST}', \
             now(), 'inbound', $${body}$$, 300, {thread}, {person}) RETURNING id"
        ),
    );
    let outbound = id(
        c,
        &format!(
            "INSERT INTO interactions (account_id, folder, message_id, from_address, to_addresses, cc_addresses, subject, \
             sent_at, direction, body_text, size_bytes, thread_id) VALUES ({account}, 'Sent', 'out-1@x', \
             'sales-{owner}@crm.test', '{{{EMAIL}}}', '{{paul.temoin@autre.fr}}', 'Proposition pour {NAME_FIRST} {NAME_LAST}', \
             now(), 'outbound', 'Chère {NAME_FIRST}, voici la proposition.', 100, {thread}) RETURNING id"
        ),
    );
    let witness = id(
        c,
        &format!(
            "INSERT INTO interactions (account_id, folder, message_id, from_address, subject, sent_at, direction, \
             body_text, size_bytes, person_id) VALUES ({account}, 'INBOX', 'in-2@x', 'paul.temoin@autre.fr', \
             'Question', now(), 'inbound', 'Paul Témoin, 3 avenue Foch', 50, {other_person}) RETURNING id"
        ),
    );
    let signature = serde_json::json!({
        "name": format!("{NAME_FIRST} {NAME_LAST}"), "title": "Gérante", "address": format!("{ADDRESS}, 75006 Paris"),
        "phones": [PHONE, MOBILE], "emails": [EMAIL],
    });
    let witness_signature = serde_json::json!({"name": "Paul Témoin", "address": "3 avenue Foch"});
    for (interaction, signature) in [(inbound, &signature), (witness, &witness_signature)] {
        diesel::sql_query(
            "INSERT INTO interaction_analyses (interaction_id, analyzer_version, source, language, intent_label, \
             intent_confidence, signature, signature_found, entities, keywords, duration_ms, cache) \
             VALUES ($1, 'test', 'rules', 'fr', 'interest', 0.9, $2::jsonb, true, '{}', '[]', 1, 'disabled')",
        )
        .bind::<BigInt, _>(interaction)
        .bind::<Text, _>(signature.to_string())
        .execute(c)
        .unwrap();
    }
    diesel::sql_query(format!(
        "INSERT INTO autofill_suggestions (entity_type, entity_id, action, field, value, confidence, source, evidence, \
         interaction_id, analyzer_version, owner_user_id, status, dedupe_key) VALUES \
         ('person', {person}, 'set_field', 'mobile', '\"{MOBILE}\"', 0.8, 'signature', '{{}}', {inbound}, 't', {owner}, 'pending', 'k1'), \
         ('organisation', {org}, 'set_field', 'address', '\"{ADDRESS}, 75006 Paris\"', 0.7, 'signature', '{{}}', {inbound}, 't', {owner}, 'pending', 'k2')"
    ))
    .execute(c)
    .unwrap();
    diesel::sql_query(format!(
        "INSERT INTO ai_user_preferences (user_id, field_name, action, suggested_value, final_value) VALUES \
         ({owner}, 'mobile', 'accept', '{MOBILE}', '{MOBILE}'), ({owner}, 'city', 'accept', 'Paris', 'Paris')"
    ))
    .execute(c)
    .unwrap();
    diesel::sql_query(format!(
        "INSERT INTO routing_rules (name, priority, sender_pattern, assign_user_id) VALUES ('VIP', 1, '{EMAIL}', {owner})"
    ))
    .execute(c)
    .unwrap();
    diesel::sql_query(format!(
        "INSERT INTO data_access_logs (user_id, action, entity_type, entity_id, route) VALUES \
         ({owner}, 'read', 'person', {person}, 'GET /x'), ({owner}, 'read', 'interaction', {inbound}, 'GET /y')"
    ))
    .execute(c)
    .unwrap();
    // A task about the person, naming them (the CRM's tasks table).
    diesel::sql_query(format!(
        "INSERT INTO tasks (title, due_at, person_id, assigned_user_id) VALUES \
         ('Rappeler {NAME_FIRST} {NAME_LAST}', now(), {person}, {owner})"
    ))
    .execute(c)
    .unwrap();
    // A campaign the person was on: listed by hand, sent step 1, opened it.
    diesel::connection::SimpleConnection::batch_execute(
        c,
        &format!(
            "INSERT INTO segments (id, name, owner_id) VALUES (1, 'Liste', {owner}); \
             INSERT INTO segment_members (segment_id, person_id) VALUES (1, {person}); \
             INSERT INTO mail_templates (id, name, subject, html, owner_id) VALUES (1, 'T', 'S', '<p>x</p>', {owner}); \
             INSERT INTO campaigns (id, name, segment_id, status, owner_id) VALUES (1, 'C', 1, 'sending', {owner}); \
             INSERT INTO campaign_steps (campaign_id, step, template_id) VALUES (1, 1, 1); \
             INSERT INTO campaign_recipients (campaign_id, person_id, variant) VALUES (1, {person}, 'a'); \
             INSERT INTO campaign_sends (id, campaign_id, person_id, step, variant, status, due_at, sent_at, message_id) \
               VALUES (1, 1, {person}, 1, 'a', 'sent', now(), now(), 'crm.1@crm.test'); \
             INSERT INTO email_events (send_id, campaign_id, kind, source) VALUES (1, 1, 'open', 'pixel')"
        ),
    )
    .unwrap();
    Seeded {
        owner,
        person,
        other_person,
        inbound,
        outbound,
    }
}

/// Tables (of `url`'s database) whose rows, as text, contain `needle` (any case).
fn tables_containing(conn: &mut PgConnection, needle: &str) -> Vec<String> {
    #[derive(QueryableByName)]
    struct T {
        #[diesel(sql_type = Text)]
        table_name: String,
    }
    let tables: Vec<T> = diesel::sql_query(
        "SELECT table_name::text AS table_name FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    )
    .load(conn)
    .unwrap();
    tables
        .into_iter()
        .map(|t| t.table_name)
        .filter(|t| {
            let n = id(
                conn,
                &format!(
                    "SELECT count(*) AS id FROM \"{t}\" x WHERE strpos(lower(x::text), lower($${needle}$$)) > 0"
                ),
            );
            n > 0
        })
        .collect()
}

/// Every value under the Redis patterns, as text.
async fn redis_text(r: &TestRedis) -> String {
    let client = redis::Client::open(r.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let mut out = String::new();
    for pattern in [
        format!("{}:*", r.namespace()),
        format!("{LLM_PREFIX}{}*", r.namespace()),
    ] {
        let keys: Vec<String> = conn.keys(&pattern).await.unwrap();
        for k in keys {
            out.push_str(&k);
            let kind: String = redis::cmd("TYPE")
                .arg(&k)
                .query_async(&mut conn)
                .await
                .unwrap();
            match kind.as_str() {
                "string" => out.push_str(&conn.get::<_, String>(&k).await.unwrap()),
                "hash" => {
                    let h: Vec<(String, String)> = conn.hgetall(&k).await.unwrap();
                    for (f, v) in h {
                        out.push_str(&f);
                        out.push_str(&v);
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// A queued request of `kind` about a subject, made by user `by`.
fn request(
    db: &TestDb,
    kind: RequestKind,
    subject: SubjectType,
    id: i64,
    by: i64,
) -> requests::RgpdRequestId {
    requests::create(
        &mut db.conn(),
        &NewRgpdRequest {
            kind,
            subject_type: subject,
            subject_id: id,
            requested_by: Some(shared::models::UserId(by)),
            state: RequestState::Queued,
            reason: None,
            confirmed_at: None,
        },
    )
    .unwrap()
    .id
}

fn erasure_request(db: &TestDb, subject: SubjectType, id: i64, by: i64) -> requests::RgpdRequestId {
    request(db, RequestKind::Erasure, subject, id, by)
}

#[tokio::test]
async fn after_an_erasure_no_trace_remains_in_tables_redis_logs_or_a_restored_backup() {
    let logs = logs();
    let db = tokio::task::spawn_blocking(TestDb::new).await.unwrap();
    let redis = TestRedis::new();
    let dir = temp_dir();
    let env = env(&db, Some(&redis), &dir).await;
    let s = seed(&db);
    let admin = db
        .user(
            &format!("admin-{}@crm.test", ulid::Ulid::new()),
            Role::Admin,
        )
        .0;

    // Cached content naming the person (an LLM answer, a job record's result), and some that does not.
    let client = redis::Client::open(redis.url()).unwrap();
    let mut rc = client.get_multiplexed_async_connection().await.unwrap();
    let ns = redis.namespace();
    let llm_key = format!("{LLM_PREFIX}{ns}abc");
    let _: () = rc
        .set(
            &llm_key,
            format!("{{\"signature\":{{\"name\":\"{NAME_FIRST} {NAME_LAST}\"}}}}"),
        )
        .await
        .unwrap();
    let _: () = rc
        .hset_multiple(
            format!("{ns}:job:01"),
            &[
                ("state", "succeeded"),
                ("result", &format!("{{\"from\":\"{EMAIL}\"}}")),
            ],
        )
        .await
        .unwrap();
    let _: () = rc
        .set(format!("{ns}:cache:other"), "Paul Témoin")
        .await
        .unwrap();

    // A backup taken before the erasure: it holds the person.
    let backup_settings = crm_backup::BackupSettings {
        dir: dir.clone(),
        retention_days: 10,
        pg_bin_dir: None,
        database_url: db.url().to_owned(),
        ledger_path: env.config.ledger_path.clone(),
    };
    let backup = crm_backup::run_backup(&backup_settings, db.pool(), &NoProgress)
        .await
        .expect("backup");

    let before = {
        let mut c = db.conn();
        traces().map(|t| (t, tables_containing(&mut c, t)))
    };
    assert!(
        before.iter().all(|(_, tables)| !tables.is_empty()),
        "seed holds every trace: {before:?}"
    );

    let request = erasure_request(&db, SubjectType::Person, s.person, admin);
    let result = crm_rgpd::requests::run_erase(&env, request, &NoProgress, true)
        .await
        .unwrap();
    assert_eq!(result["erased"]["cache"]["keys"], 1, "{result}");
    assert_eq!(result["erased"]["cache"]["fields"], 1, "{result}");

    let mut c = db.conn();
    for t in traces() {
        assert_eq!(
            tables_containing(&mut c, t),
            Vec::<String>::new(),
            "{t} left in the database"
        );
    }
    let cached = redis_text(&redis).await;
    for t in traces() {
        assert!(
            !cached.to_lowercase().contains(&t.to_lowercase()),
            "{t} left in Redis: {cached}"
        );
    }
    assert!(cached.contains("Paul Témoin"), "unrelated cache kept");
    let state: Option<String> = rc.hget(format!("{ns}:job:01"), "state").await.unwrap();
    assert_eq!(
        state.as_deref(),
        Some("succeeded"),
        "the job record keeps its other fields"
    );

    // What must be kept is kept, anonymised: the person's row, the emails as history; the other person
    // and their email are untouched.
    let (first, anonymised): (String, bool) = diesel::sql_query(format!(
        "SELECT first_name AS t, anonymised_at IS NOT NULL AS b FROM people WHERE id = {}",
        s.person
    ))
    .get_result::<TextBool>(&mut c)
    .map(|r| (r.t, r.b))
    .unwrap();
    assert_eq!((first.as_str(), anonymised), ("Contact", true));
    assert_eq!(
        id(
            &mut c,
            &format!(
                "SELECT count(*) AS id FROM interactions WHERE id IN ({}, {})",
                s.inbound, s.outbound
            )
        ),
        2
    );
    assert_eq!(
        id(
            &mut c,
            &format!(
                "SELECT count(*) AS id FROM interactions WHERE person_id = {} AND body_text LIKE '%Foch%'",
                s.other_person
            )
        ),
        1
    );
    assert_eq!(
        id(
            &mut c,
            "SELECT count(*) AS id FROM ai_user_preferences WHERE final_value = 'Paris'"
        ),
        1
    );
    assert_eq!(
        id(
            &mut c,
            &format!(
                "SELECT count(*) AS id FROM erasure_ledger WHERE subject_id = {} AND reason = 'request'",
                s.person
            )
        ),
        1
    );
    // The access log says who anonymised whom, logged before acting.
    assert_eq!(
        id(
            &mut c,
            &format!(
                "SELECT count(*) AS id FROM data_access_logs WHERE action = 'anonymise' AND entity_type = 'person' \
             AND entity_id = {} AND user_id = {admin}",
                s.person
            )
        ),
        1
    );
    let done = requests::find(&mut c, request).unwrap().unwrap();
    assert_eq!(done.state, RequestState::Done);

    // The ledger file holds hashes, never the identifiers.
    let ledger = std::fs::read_to_string(&env.config.ledger_path).unwrap();
    assert!(ledger.contains(&format!("\"subject_id\":{}", s.person)));
    for t in traces() {
        assert!(
            !ledger.to_lowercase().contains(&t.to_lowercase()),
            "{t} in the ledger"
        );
    }

    // Running the erasure again is harmless (idempotent).
    let again = erasure_request(&db, SubjectType::Person, s.person, admin);
    crm_rgpd::requests::run_erase(&env, again, &NoProgress, true)
        .await
        .unwrap();

    // Restoring the backup taken before the erasure replays the ledger: the person stays erased.
    let scratch_name = format!(
        "crm_restore_{}",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let db_url = db.url().to_owned();
    let scratch = tokio::task::spawn_blocking(move || {
        shared::scratch_db::ScratchDb::create(&db_url, &scratch_name, Some("template0")).unwrap()
    })
    .await
    .unwrap();
    let outcome = crm_backup::restore_into(
        &backup_settings,
        db.pool(),
        Some(backup.backup_id),
        &scratch.url(),
    )
    .await
    .expect("restore");
    assert_eq!(outcome.ledger.reerased, 1, "{outcome:?}");
    let scratch_url = scratch.url();
    let leftovers = tokio::task::spawn_blocking(move || {
        let mut sc = PgConnection::establish(&scratch_url).unwrap();
        traces().map(|t| (t, tables_containing(&mut sc, t)))
    })
    .await
    .unwrap();
    for (t, tables) in leftovers {
        assert!(
            tables.is_empty(),
            "{t} came back with the restore in {tables:?}"
        );
    }
    tokio::task::spawn_blocking(move || scratch.drop_now().unwrap())
        .await
        .unwrap();

    let log_text = String::from_utf8_lossy(&logs.lock().unwrap()).to_lowercase();
    assert!(log_text.contains("rgpd erasure done"), "logs were captured");
    for t in traces() {
        assert!(!log_text.contains(&t.to_lowercase()), "{t} in a log line");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[derive(QueryableByName)]
struct TextBool {
    #[diesel(sql_type = Text)]
    t: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    b: bool,
}

#[derive(QueryableByName)]
struct JsonRow {
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    row: serde_json::Value,
}

/// The rows of `table` about the seeded person, found independently of the export's own queries: those
/// that name them (email, full last name, phones) or point at them by id.
fn rows_about_person(conn: &mut PgConnection, table: &str, person: i64) -> Vec<serde_json::Value> {
    let by_id = match table {
        "people" => format!("x.id = {person}"),
        "person_organisation_links"
        | "interactions"
        | "segment_members"
        | "campaign_recipients"
        | "campaign_sends" => format!("x.person_id = {person}"),
        "email_events" => {
            format!("x.send_id IN (SELECT id FROM campaign_sends WHERE person_id = {person})")
        }
        "autofill_suggestions" => format!("x.entity_type = 'person' AND x.entity_id = {person}"),
        "data_access_logs" => format!("x.entity_type = 'person' AND x.entity_id = {person}"),
        "rgpd_requests" => format!("x.subject_type = 'person' AND x.subject_id = {person}"),
        _ => "false".to_owned(),
    };
    let names = [EMAIL, NAME_LAST, PHONE, MOBILE]
        .map(|t| format!("strpos(lower(x::text), lower($${t}$$)) > 0"))
        .join(" OR ");
    diesel::sql_query(format!(
        "SELECT to_jsonb(x) AS row FROM \"{table}\" x WHERE {by_id} OR {names}"
    ))
    .load::<JsonRow>(conn)
    .unwrap()
    .into_iter()
    .map(|r| r.row)
    .collect()
}

#[tokio::test]
async fn an_export_holds_every_row_the_database_has_about_the_person() {
    let db = tokio::task::spawn_blocking(TestDb::new).await.unwrap();
    let dir = temp_dir();
    let env = env(&db, None, &dir).await;
    let s = seed(&db);
    let admin = db
        .user(
            &format!("admin-{}@crm.test", ulid::Ulid::new()),
            Role::Admin,
        )
        .0;
    let request = request(
        &db,
        RequestKind::Export,
        SubjectType::Person,
        s.person,
        admin,
    );
    let mut conn = db.conn();
    #[derive(QueryableByName)]
    struct T {
        #[diesel(sql_type = Text)]
        table_name: String,
    }
    let tables: Vec<T> = diesel::sql_query(
        "SELECT table_name::text AS table_name FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '__diesel_schema_migrations'",
    )
    .load(&mut conn)
    .unwrap();
    // What the database holds about the person before the export runs (the export then logs itself).
    let expected: Vec<(String, Vec<serde_json::Value>)> = tables
        .iter()
        .map(|t| {
            (
                t.table_name.clone(),
                rows_about_person(&mut conn, &t.table_name, s.person),
            )
        })
        .collect();
    drop(conn);
    let result = crm_rgpd::requests::run_export(&env, request, &NoProgress, true)
        .await
        .unwrap();
    assert!(result["bytes"].as_u64().unwrap() > 0);

    let (name, zip) = requests::take_export_file(&mut db.conn(), request)
        .unwrap()
        .unwrap();
    assert!(name.ends_with(".zip"), "{name}");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let json: serde_json::Value =
        serde_json::from_reader(archive.by_name("export.json").unwrap()).unwrap();
    let exported = json["tables"].as_object().unwrap();

    let mut conn = db.conn();
    let mut compared = 0;
    for (t, expected) in &expected {
        // The export's own request is updated as it runs, after the collection.
        if t == "rgpd_requests" {
            continue;
        }
        let got = exported
            .get(t.as_str())
            .and_then(|v| v.as_array())
            .cloned()
            .unwrap_or_default();
        for row in expected {
            assert!(got.contains(row), "{t}: {row} is missing from the export");
        }
        compared += expected.len();
    }
    assert!(
        compared >= 10,
        "the seed puts rows about the person in many tables ({compared})"
    );
    for table in [
        "people",
        "interactions",
        "interaction_analyses",
        "autofill_suggestions",
        "data_access_logs",
    ] {
        assert!(
            archive.by_name(&format!("csv/{table}.csv")).is_ok(),
            "csv/{table}.csv"
        );
    }
    // The other person is not in it.
    assert!(
        !json
            .to_string()
            .contains("paul.temoin@autre.fr\",\"from_name"),
        "witness's own email is not exported"
    );
    // One download only.
    assert!(matches!(
        requests::take_export_file(&mut conn, request).unwrap(),
        Err(requests::DownloadRefusal::Gone)
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_user_export_leaves_credentials_out() {
    let db = tokio::task::spawn_blocking(TestDb::new).await.unwrap();
    let dir = temp_dir();
    let env = env(&db, None, &dir).await;
    let s = seed(&db);
    let request = request(
        &db,
        RequestKind::Export,
        SubjectType::User,
        s.owner,
        s.owner,
    );
    crm_rgpd::requests::run_export(&env, request, &NoProgress, true)
        .await
        .unwrap();
    let collected = crm_rgpd::export::collect(&mut db.conn(), SubjectType::User, s.owner)
        .unwrap()
        .unwrap();
    let users = &collected.tables["users"];
    assert_eq!(users.len(), 1);
    assert!(users[0].get("password_hash").is_none());
    assert_eq!(collected.tables["email_accounts"].len(), 1);
    assert!(
        collected.tables["email_accounts"][0]
            .get("secret_ciphertext")
            .is_none()
    );
    assert_eq!(collected.tables["ai_user_preferences"].len(), 2);
    // Their correspondence: the emails to and from their mailbox address.
    assert_eq!(collected.tables["interactions"].len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_inactivity_sweep_spares_admins_and_active_subjects_and_batches() {
    let db = tokio::task::spawn_blocking(TestDb::new).await.unwrap();
    let dir = temp_dir();
    let env = env(&db, None, &dir).await;
    let mut c = db.conn();
    let old = "now() - interval '3 years'";
    let user = |c: &mut PgConnection, role: &str, login: &str| {
        id(
            c,
            &format!(
                "INSERT INTO users (email, password_hash, role, last_login_at, created_at) VALUES \
                 ('{role}-{}@crm.test', 'x', '{role}', {login}, {old}) RETURNING id",
                ulid::Ulid::new()
            ),
        )
    };
    let idle_admin = user(&mut c, "admin", old);
    let idle_user = user(&mut c, "user", old);
    let never_used = user(&mut c, "viewer", "NULL");
    let active_user = user(&mut c, "user", "now()");
    let person = |c: &mut PgConnection, n: usize| {
        id(
            c,
            &format!(
                "INSERT INTO people (first_name, last_name, email, created_at, updated_at) VALUES \
                 ('P{n}', 'Dormant', 'p{n}@old.fr', {old}, {old}) RETURNING id"
            ),
        )
    };
    let idle: Vec<i64> = (0..3).map(|n| person(&mut c, n)).collect();
    let recent_mail = person(&mut c, 9);
    diesel::sql_query(format!(
        "INSERT INTO interactions (folder, message_id, sent_at, direction, size_bytes, person_id) \
         VALUES ('INBOX', 'recent@x', now() - interval '2 days', 'inbound', 1, {recent_mail})"
    ))
    .execute(&mut c)
    .unwrap();

    let dry = crm_rgpd::inactive::sweep(&env, true, None, &NoProgress)
        .await
        .unwrap();
    assert_eq!((dry.users, dry.people), (2, 3), "{dry:?}");
    assert_eq!(
        id(
            &mut c,
            "SELECT count(*) AS id FROM people WHERE anonymised_at IS NOT NULL"
        ),
        0
    );

    let done = crm_rgpd::inactive::sweep(&env, false, None, &NoProgress)
        .await
        .unwrap();
    assert_eq!((done.users, done.people), (2, 3), "{done:?}");
    // Untouched: the row is there and not anonymised (an anonymised person no email refers to is deleted).
    let untouched = |c: &mut PgConnection, table: &str, id_: i64| -> bool {
        id(
            c,
            &format!(
                "SELECT count(*) AS id FROM {table} WHERE id = {id_} AND anonymised_at IS NULL"
            ),
        ) == 1
    };
    assert!(!untouched(&mut c, "users", idle_user));
    assert!(!untouched(&mut c, "users", never_used));
    assert!(
        untouched(&mut c, "users", idle_admin),
        "admins are never anonymised automatically"
    );
    assert!(untouched(&mut c, "users", active_user));
    for p in &idle {
        assert!(!untouched(&mut c, "people", *p));
    }
    assert_eq!(
        id(
            &mut c,
            "SELECT count(*) AS id FROM people WHERE last_name = 'Dormant'"
        ),
        1,
        "only the contact with recent mail keeps their name; the others, with no email to keep, are gone"
    );
    assert!(untouched(&mut c, "people", recent_mail));
    assert_eq!(
        id(
            &mut c,
            "SELECT count(*) AS id FROM erasure_ledger WHERE reason = 'inactive'"
        ),
        5
    );
    assert_eq!(
        id(
            &mut c,
            "SELECT count(*) AS id FROM data_access_logs WHERE action = 'anonymise' AND user_id IS NULL"
        ),
        5
    );
    assert_eq!(
        id(
            &mut c,
            "SELECT count(*) AS id FROM users WHERE email LIKE '%@old.fr' OR email LIKE 'user-%' AND anonymised_at IS NOT NULL"
        ),
        0
    );
    // A second run finds nothing left.
    let again = crm_rgpd::inactive::sweep(&env, false, None, &NoProgress)
        .await
        .unwrap();
    assert_eq!((again.users, again.people), (0, 0));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_compliance_report_counts_requests_erasures_and_flags_heavy_exporters() {
    let db = tokio::task::spawn_blocking(TestDb::new).await.unwrap();
    let dir = temp_dir();
    let mut env = env(&db, None, &dir).await;
    env.config.export_anomaly_threshold = 1;
    let s = seed(&db);
    let admin = db
        .user(
            &format!("admin-{}@crm.test", ulid::Ulid::new()),
            Role::Admin,
        )
        .0;
    let request = erasure_request(&db, SubjectType::Person, s.person, admin);
    crm_rgpd::requests::run_erase(&env, request, &NoProgress, true)
        .await
        .unwrap();
    let mut c = db.conn();
    diesel::sql_query(format!(
        "INSERT INTO data_access_logs (user_id, action, entity_type, entity_id, route) VALUES \
         ({admin}, 'export', 'person', 1, 'job rgpd.export'), ({admin}, 'export', 'person', 2, 'job rgpd.export')"
    ))
    .execute(&mut c)
    .unwrap();
    drop(c);
    let month = chrono::Utc::now().date_naive();
    let (report_id, figures) = crm_rgpd::report::run(&env, Some(month)).await.unwrap();
    assert_eq!(figures.erasure_requests.received, 1);
    assert_eq!(figures.erasure_requests.done, 1);
    assert_eq!(figures.erasure_requests.late, 0);
    assert_eq!(figures.erasures.get("request/person"), Some(&1));
    assert_eq!(figures.people_anonymised_total, 1);
    assert!(figures.access_log_total >= 3);
    assert!(figures.anomalies.iter().any(|a| matches!(
        a,
        crm_rgpd::report::Anomaly::ExportsAboveThreshold { user_id, exports: 2, .. } if *user_id == admin
    )));
    let mut c = db.conn();
    let html = shared::models::rgpd_report::html(&mut c, report_id)
        .unwrap()
        .unwrap();
    assert!(html.contains("RGPD compliance report"), "{html}");
    assert!(html.contains("exports above threshold"));
    let pdf = shared::models::rgpd_report::pdf(&mut c, report_id)
        .unwrap()
        .unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    assert!(
        pdf.windows(b"Erasure requests".len())
            .any(|w| w == b"Erasure requests")
    );
    // Running it again replaces the month's report.
    let (again, _) = crm_rgpd::report::run(&env, Some(month)).await.unwrap();
    assert_eq!(again, report_id);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_failure_of_the_last_attempt_marks_the_request_failed_and_an_earlier_one_leaves_it_to_the_retry()
 {
    let db = tokio::task::spawn_blocking(TestDb::new).await.unwrap();
    let dir = temp_dir();
    let mut env = env(&db, None, &dir).await;
    // A Redis nobody listens on: the cache purge after the erasure fails, a transient error.
    let timeouts = shared::redis_conn::Timeouts {
        connect: std::time::Duration::from_millis(200),
        response: std::time::Duration::from_millis(200),
        retries: 0,
        max_delay: std::time::Duration::from_millis(10),
    };
    env.redis = Some(
        shared::redis_conn::connect_lazy(
            &shared::redis_conn::RedisTarget::url("redis://127.0.0.1:1"),
            timeouts,
        )
        .unwrap(),
    );
    env.cache_patterns = vec!["nowhere:*".to_owned()];
    let s = seed(&db);
    let admin = db
        .user(
            &format!("admin-{}@crm.test", ulid::Ulid::new()),
            Role::Admin,
        )
        .0;
    let request = erasure_request(&db, SubjectType::Person, s.person, admin);

    let err = crm_rgpd::requests::run_erase(&env, request, &NoProgress, false)
        .await
        .unwrap_err();
    assert!(
        matches!(err, crm_queue::JobError::Transient { .. }),
        "{err:?}"
    );
    let r = requests::find(&mut db.conn(), request).unwrap().unwrap();
    assert_eq!(r.state, RequestState::Running, "left to the retry");
    assert_eq!(r.error, None);

    let err = crm_rgpd::requests::run_erase(&env, request, &NoProgress, true)
        .await
        .unwrap_err();
    assert!(
        matches!(err, crm_queue::JobError::Transient { .. }),
        "{err:?}"
    );
    let r = requests::find(&mut db.conn(), request).unwrap().unwrap();
    assert_eq!(r.state, RequestState::Failed, "no attempt follows the last");
    let reason = r.error.unwrap();
    assert!(reason.contains("purging cached content"), "{reason}");
    for t in traces() {
        assert!(!reason.contains(t), "{t} in the recorded reason");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
