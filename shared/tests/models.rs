//! Data layer against the real Postgres of `DATABASE_URL`: each test gets its own database.
#![cfg(feature = "test-utils")]
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::json;
use shared::db::{DbError, revert_all_migrations, run_blocking, run_migrations};
use shared::models::audit::{self, NewAuditEntry};
use shared::models::backup::{self, VerifyResult};
use shared::models::organisation::{
    self, NewOrganisation, OrgType, OrganisationChanges, PipelineStage,
};
use shared::models::person::{self, NewPerson};
use shared::models::person_link::{self, NewPersonOrganisationLink};
use shared::models::team;
use shared::models::user::{self, Role};
use shared::test_utils::TestDb;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

const OUR_TABLES: &str =
    "'teams','users','organisations','people','person_organisation_links','backups','audit_log'";

fn table_count(conn: &mut PgConnection) -> i64 {
    diesel::sql_query(format!(
        "SELECT count(*) AS n FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_name IN ({OUR_TABLES})"
    ))
    .get_result::<Count>(conn)
    .unwrap()
    .n
}

#[test]
fn migrations_go_down_and_up_again() {
    let db = TestDb::new();
    let mut conn = db.conn();
    assert_eq!(table_count(&mut conn), 7);
    assert!(
        run_migrations(&mut conn).unwrap().is_empty(),
        "template is fully migrated"
    );

    let all = migration_names();
    let reverted = revert_all_migrations(&mut conn).unwrap();
    assert_eq!(reverted.len(), all.len());
    assert_eq!(reverted.first(), all.last(), "newest reverted first");
    assert_eq!(table_count(&mut conn), 0);

    let applied = run_migrations(&mut conn).unwrap();
    assert_eq!(applied, all);
    assert_eq!(applied[0], "2026-11-21-000001_updated_at_trigger");
    assert_eq!(table_count(&mut conn), 7);
}

#[test]
fn users_hash_verify_and_look_up_ignoring_case() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let sales = team::find_or_create_team(&mut conn, "Sales").unwrap();
    assert_eq!(
        team::find_or_create_team(&mut conn, "Sales").unwrap(),
        sales
    );

    let password = user::generate_password();
    assert_eq!(password.len(), 24);
    assert!(password.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_ne!(password, user::generate_password());

    let alice = user::create_user(
        &mut conn,
        "Alice@Example.com",
        &password,
        Role::Manager,
        Some(sales.id),
    )
    .unwrap();
    assert!(alice.password_hash.starts_with("$argon2id$"));
    assert!(!alice.password_hash.contains(&password));
    assert!(user::verify_password(&alice.password_hash, &password));
    assert!(!user::verify_password(&alice.password_hash, "wrong"));
    assert!(!user::verify_password("not a phc string", &password));
    assert_eq!(alice.team_id, Some(sales.id));
    assert!(alice.active && alice.last_login_at.is_none());
    assert!(
        !format!("{alice:?}").contains("argon2"),
        "Debug hides the hash"
    );
    assert!(
        serde_json::to_value(&alice)
            .unwrap()
            .get("password_hash")
            .is_none()
    );

    let found = user::find_active_by_email(&mut conn, " alice@EXAMPLE.COM")
        .unwrap()
        .unwrap();
    assert_eq!(found.id, alice.id);

    let dup = user::create_user(&mut conn, "ALICE@example.com", "x", Role::Viewer, None);
    assert!(matches!(dup, Err(DbError::EmailTaken)), "{dup:?}");

    user::record_login(&mut conn, alice.id).unwrap();
    let logged = user::find_user(&mut conn, alice.id).unwrap().unwrap();
    assert!(logged.last_login_at.is_some());
    assert!(logged.updated_at >= alice.updated_at);

    user::set_active(&mut conn, alice.id, false).unwrap();
    assert!(
        user::find_active_by_email(&mut conn, "alice@example.com")
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        user::record_login(&mut conn, 999_999.into()),
        Err(DbError::NotFound)
    ));
}

#[test]
fn a_password_change_a_deactivation_and_a_logout_bump_the_token_version() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let bob = user::create_user(&mut conn, "bob@example.com", "old-pw", Role::User, None).unwrap();
    assert_eq!(bob.token_version, 0);
    assert_eq!(user::set_password(&mut conn, bob.id, "new-pw").unwrap(), 1);
    let found = user::find_user(&mut conn, bob.id).unwrap().unwrap();
    assert!(user::verify_password(&found.password_hash, "new-pw"));
    assert!(!user::verify_password(&found.password_hash, "old-pw"));
    assert_eq!(user::bump_token_version(&mut conn, bob.id).unwrap(), 2);
    user::set_active(&mut conn, bob.id, false).unwrap();
    user::set_active(&mut conn, bob.id, true).unwrap();
    let found = user::find_user(&mut conn, bob.id).unwrap().unwrap();
    assert_eq!(found.token_version, 3, "only the deactivation bumps it");
    assert!(matches!(
        user::set_password(&mut conn, 999_999.into(), "x"),
        Err(DbError::NotFound)
    ));
}

#[test]
fn count_admins_counts_active_admins_only() {
    let db = TestDb::new();
    let mut conn = db.conn();
    assert_eq!(user::count_admins(&mut conn).unwrap(), 0);
    let admin = user::create_user(&mut conn, "root@example.com", "pw", Role::Admin, None).unwrap();
    user::create_user(&mut conn, "m@example.com", "pw", Role::Manager, None).unwrap();
    assert_eq!(user::count_admins(&mut conn).unwrap(), 1);
    user::set_active(&mut conn, admin.id, false).unwrap();
    assert_eq!(user::count_admins(&mut conn).unwrap(), 0);
}

#[test]
fn roles_are_ordered_and_spelled_lowercase() {
    assert!(Role::Admin > Role::Manager && Role::Manager > Role::User && Role::User > Role::Viewer);
    assert!(Role::Admin.at_least(Role::Admin));
    assert!(Role::Manager.at_least(Role::User));
    assert!(!Role::Viewer.at_least(Role::User));
    assert!(!Role::Manager.at_least(Role::Admin));
    for role in Role::ALL {
        assert_eq!(role.to_string().parse::<Role>().unwrap(), *role);
        assert_eq!(serde_json::to_value(role).unwrap(), json!(role.as_str()));
    }
    assert_eq!("viewer".parse::<Role>().unwrap(), Role::Viewer);
    assert!("Admin".parse::<Role>().is_err());
    assert_eq!(
        serde_json::from_value::<Role>(json!("manager")).unwrap(),
        Role::Manager
    );
}

#[test]
fn a_person_has_at_most_one_primary_organisation() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let acme = organisation::create_organisation(
        &mut conn,
        &NewOrganisation::new("Acme", OrgType::Investor),
    )
    .unwrap();
    let globex = organisation::create_organisation(
        &mut conn,
        &NewOrganisation::new("Globex", OrgType::Issuer),
    )
    .unwrap();
    let jane = person::create_person(&mut conn, &NewPerson::new("Jane", "Doe")).unwrap();

    let primary = |org| NewPersonOrganisationLink {
        person_id: jane.id,
        organisation_id: org,
        role: Some("CIO"),
        is_primary: true,
    };
    person_link::insert_link(&mut conn, &primary(acme.id)).unwrap();
    let second = person_link::insert_link(&mut conn, &primary(globex.id));
    match second {
        Err(DbError::UniqueViolation { constraint }) => {
            assert_eq!(
                constraint.as_deref(),
                Some("person_organisation_links_one_primary_key")
            );
        }
        other => panic!("expected a unique violation, got {other:?}"),
    }
    let again = person_link::insert_link(&mut conn, &primary(acme.id));
    assert!(
        matches!(again, Err(DbError::UniqueViolation { .. })),
        "{again:?}"
    );

    let link = person_link::link_person(&mut conn, jane.id, globex.id, Some("Board")).unwrap();
    assert!(!link.is_primary);
    let relinked = person_link::link_person(&mut conn, jane.id, globex.id, Some("Chair")).unwrap();
    assert_eq!(
        (relinked.id, relinked.role.as_deref()),
        (link.id, Some("Chair"))
    );

    person_link::set_primary_organisation(&mut conn, jane.id, globex.id).unwrap();
    let orgs = person_link::organisations_of_person(&mut conn, jane.id).unwrap();
    let flags: Vec<(&str, bool)> = orgs
        .iter()
        .map(|(l, o)| (o.name.as_str(), l.is_primary))
        .collect();
    assert_eq!(flags, [("Globex", true), ("Acme", false)]);
    let now_primary = person_link::primary_organisation(&mut conn, jane.id)
        .unwrap()
        .unwrap();
    assert_eq!(now_primary.id, globex.id);
    assert_eq!(
        person_link::people_of_organisation(&mut conn, acme.id)
            .unwrap()
            .len(),
        1
    );

    assert!(organisation::delete_organisation(&mut conn, globex.id).unwrap());
    assert!(
        person_link::primary_organisation(&mut conn, jane.id)
            .unwrap()
            .is_none()
    );
    assert!(person_link::unlink_person(&mut conn, jane.id, acme.id).unwrap());
    assert!(
        person_link::organisations_of_person(&mut conn, jane.id)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn organisations_default_to_prospect_and_track_updates() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let org = organisation::create_organisation(
        &mut conn,
        &NewOrganisation::new("Ca_se 100%", OrgType::Supplier),
    )
    .unwrap();
    assert_eq!(org.pipeline_stage, PipelineStage::Prospect);
    organisation::create_organisation(
        &mut conn,
        &NewOrganisation::new("Case 1000", OrgType::Supplier),
    )
    .unwrap();

    let found = organisation::search_organisations(&mut conn, "CA_SE 100%", 10).unwrap();
    assert_eq!(
        found.len(),
        1,
        "LIKE wildcards in the query match literally"
    );

    let signed =
        organisation::set_pipeline_stage(&mut conn, org.id, PipelineStage::Signed).unwrap();
    assert!(
        signed.updated_at > org.updated_at,
        "trigger bumps updated_at"
    );
    let changes = OrganisationChanges {
        city: Some("Paris".into()),
        ..Default::default()
    };
    let updated = organisation::update_organisation(&mut conn, org.id, &changes).unwrap();
    assert_eq!(
        (updated.city.as_deref(), updated.name.as_str()),
        (Some("Paris"), "Ca_se 100%")
    );
    assert_eq!(
        organisation::list_by_stage(&mut conn, PipelineStage::Signed, 10)
            .unwrap()
            .len(),
        1
    );

    let bad = diesel::sql_query("UPDATE organisations SET org_type = 'bank' WHERE id = $1")
        .bind::<BigInt, _>(org.id.0)
        .execute(&mut conn)
        .map_err(DbError::from);
    assert!(
        matches!(bad, Err(DbError::CheckViolation { .. })),
        "{bad:?}"
    );

    let p = person::create_person(
        &mut conn,
        &NewPerson {
            email: Some("J.Doe@x.fr".into()),
            ..NewPerson::new("J", "Doe")
        },
    )
    .unwrap();
    assert_eq!(
        person::find_people_by_email(&mut conn, "j.doe@X.FR").unwrap()[0].id,
        p.id
    );
}

#[test]
fn newest_verified_good_skips_failed_unverified_and_mismatched_backups() {
    let db = TestDb::new();
    let mut conn = db.conn();
    assert!(backup::newest_verified_good(&mut conn).unwrap().is_none());
    let counts = json!({"users": 1});

    let good = backup::start_backup(&mut conn, "b1.dump").unwrap();
    backup::finish_backup(&mut conn, good.id, 10, "aa", &counts).unwrap();
    backup::record_verification(&mut conn, good.id, VerifyResult::Ok, &json!({})).unwrap();

    let mismatched = backup::start_backup(&mut conn, "b2.dump").unwrap();
    backup::finish_backup(&mut conn, mismatched.id, 10, "bb", &counts).unwrap();
    backup::record_verification(
        &mut conn,
        mismatched.id,
        VerifyResult::Mismatch,
        &json!({"users": [1, 2]}),
    )
    .unwrap();
    let failed = backup::start_backup(&mut conn, "b3.dump").unwrap();
    let failed = backup::fail_backup(&mut conn, failed.id, "pg_dump exited 1").unwrap();
    assert_eq!(failed.error.as_deref(), Some("pg_dump exited 1"));
    assert!(failed.finished_at.is_some());
    let unverified = backup::start_backup(&mut conn, "b4.dump").unwrap();
    let unverified = backup::finish_backup(&mut conn, unverified.id, 12, "cc", &counts).unwrap();
    assert_eq!(unverified.table_counts, Some(counts.clone()));

    assert_eq!(
        backup::newest_verified_good(&mut conn).unwrap().unwrap().id,
        good.id
    );
    assert!(matches!(
        backup::start_backup(&mut conn, "b1.dump"),
        Err(DbError::UniqueViolation { .. })
    ));

    let newer = backup::start_backup(&mut conn, "b5.dump").unwrap();
    backup::finish_backup(&mut conn, newer.id, 10, "dd", &counts).unwrap();
    backup::record_verification(&mut conn, newer.id, VerifyResult::Ok, &json!({})).unwrap();
    let best = backup::newest_verified_good(&mut conn).unwrap().unwrap();
    assert_eq!(
        (best.id, best.verify_result),
        (newer.id, Some(VerifyResult::Ok))
    );

    let names: Vec<String> = backup::list_backups(&mut conn, 10)
        .unwrap()
        .into_iter()
        .map(|b| b.file_name)
        .collect();
    assert_eq!(
        names,
        ["b5.dump", "b4.dump", "b3.dump", "b2.dump", "b1.dump"]
    );
    assert!(backup::delete_backup(&mut conn, good.id).unwrap());
}

#[test]
fn audit_entries_are_recorded_and_listed_newest_first() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let admin = user::create_user(&mut conn, "admin@example.com", "pw", Role::Admin, None).unwrap();
    let first = audit::record(
        &mut conn,
        &NewAuditEntry::new("job.run_now")
            .with_actor(admin.id)
            .with_target("job", "01JOB")
            .with_details(json!({"queue": "maint"}))
            .with_request_id("req-1"),
    )
    .unwrap();
    assert_eq!(first.actor_user_id, Some(admin.id));
    assert_eq!(first.details, json!({"queue": "maint"}));
    let second = audit::record(
        &mut conn,
        &NewAuditEntry::new("user.create").with_target("user", admin.id),
    )
    .unwrap();
    assert_eq!(second.details, json!({}));
    assert_eq!(
        second.target_id.as_deref(),
        Some(admin.id.to_string().as_str())
    );

    let recent: Vec<_> = audit::list_recent(&mut conn, 10)
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(recent, [second.id, first.id]);
    assert_eq!(audit::list_recent(&mut conn, 1).unwrap().len(), 1);
    let for_job = audit::list_for_target(&mut conn, "job", "01JOB", 10).unwrap();
    assert_eq!(for_job.len(), 1);
    assert_eq!(for_job[0].request_id.as_deref(), Some("req-1"));

    diesel::delete(shared::schema::users::table)
        .execute(&mut conn)
        .unwrap();
    let kept = audit::list_for_target(&mut conn, "job", "01JOB", 10).unwrap();
    assert_eq!(
        kept[0].actor_user_id, None,
        "deleting the actor keeps the entry"
    );
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    exists: bool,
}

fn database_exists(conn: &mut PgConnection, name: &str) -> bool {
    diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
        .bind::<Text, _>(name)
        .get_result::<Exists>(conn)
        .unwrap()
        .exists
}

#[test]
fn test_databases_are_independent_and_dropped() {
    let a = TestDb::new();
    let b = TestDb::new();
    assert_ne!(a.name(), b.name());
    assert_ne!(a.url(), b.url());
    team::create_team(&mut a.conn(), "Only in A").unwrap();
    assert_eq!(team::list_teams(&mut a.conn()).unwrap().len(), 1);
    assert!(team::list_teams(&mut b.conn()).unwrap().is_empty());

    let a_name = a.name().to_owned();
    let mut b_conn = b.conn();
    assert!(database_exists(&mut b_conn, &a_name));
    let leaked = a.conn();
    drop(a);
    assert!(
        !database_exists(&mut b_conn, &a_name),
        "dropped even with a connection still open"
    );
    drop(leaked);
}

#[tokio::test]
async fn run_blocking_runs_on_a_pooled_connection() {
    let db = TestDb::new();
    let team = run_blocking(db.pool(), |conn| team::create_team(conn, "Ops"))
        .await
        .unwrap();
    let teams = run_blocking(db.pool(), team::list_teams).await.unwrap();
    assert_eq!(teams, [team]);
    let err = run_blocking(db.pool(), |conn| team::create_team(conn, "Ops"))
        .await
        .unwrap_err();
    assert!(matches!(err, DbError::UniqueViolation { .. }) && !err.is_transient());
}

#[test]
fn concurrent_migration_runs_apply_each_migration_once() {
    let db = TestDb::new();
    revert_all_migrations(&mut db.conn()).unwrap();
    let runs: Vec<_> = (0..3)
        .map(|_| {
            let pool = db.pool().clone();
            std::thread::spawn(move || run_migrations(&mut pool.get().unwrap()))
        })
        .collect();
    let applied: Vec<usize> = runs
        .into_iter()
        .map(|r| r.join().unwrap().unwrap().len())
        .collect();
    assert_eq!(
        applied.iter().sum::<usize>(),
        migration_names().len(),
        "{applied:?}"
    );
    assert_eq!(table_count(&mut db.conn()), 7);
}

/// Every migration's name (`version_name`), oldest first, as embedded in the binary.
#[test]
fn migration_versions_are_unique() {
    // Diesel keys migrations by the version before the first `_`: two folders with one version (two
    // branches adding a migration the same day) would leave one of them never applied.
    let names = migration_names();
    let mut versions: Vec<&str> = names
        .iter()
        .map(|n| n.split('_').next().unwrap_or(n))
        .collect();
    versions.dedup();
    assert_eq!(versions.len(), names.len(), "{names:?}");
}

fn migration_names() -> Vec<String> {
    use diesel::migration::MigrationSource;
    let mut names: Vec<String> =
        MigrationSource::<diesel::pg::Pg>::migrations(&shared::db::MIGRATIONS)
            .unwrap()
            .iter()
            .map(|m| m.name().to_string())
            .collect();
    names.sort();
    names
}

#[test]
fn job_history_batches_insert_update_and_keep_the_last_row_of_a_job() {
    use chrono::{Duration, Utc};
    use shared::models::job_history::{self, JobHistory};
    let db = TestDb::new();
    let mut conn = db.conn();
    // Postgres keeps microseconds.
    let t0 = chrono::DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap()
        - Duration::minutes(5);
    let row = |id: &str, state: &str, attempts: i32, error: Option<&str>| JobHistory {
        job_id: id.into(),
        job: "diag.noop".into(),
        queue: "diag".into(),
        state: state.into(),
        attempts,
        created_at: t0,
        started_at: (state == "succeeded").then_some(t0 + Duration::seconds(1)),
        finished_at: t0 + Duration::seconds(i64::from(attempts) * 10),
        duration_ms: (state == "succeeded").then_some(12),
        last_error: error.map(str::to_owned),
        request_id: None,
        // Both columns round-trip through COPY and the upsert: a user's job ("a") and the system's.
        actor_user_id: (id == "a").then_some(shared::models::UserId(7)),
        resource: (id == "a").then(|| "email_account:3".to_owned()),
        permanent: false,
    };
    let first = vec![
        row("a", "dead", 3, Some("boom 'quoted' \"text\", {braces}")),
        row("b", "succeeded", 1, None),
    ];
    // All new: the COPY path.
    assert_eq!(
        job_history::write_batch_async_commit(&mut conn, &first).unwrap(),
        2
    );
    assert_eq!(
        job_history::find(&mut conn, "a").unwrap().unwrap(),
        first[0]
    );
    assert_eq!(
        job_history::find(&mut conn, "b").unwrap().unwrap(),
        first[1]
    );

    // "a" was requeued and finished twice within one batch: the last row wins, nothing fails.
    let again = vec![
        row("a", "dead", 1, Some("first retry")),
        row("c", "succeeded", 2, None),
        row("a", "succeeded", 2, None),
    ];
    assert_eq!(job_history::upsert_batch(&mut conn, &again).unwrap(), 2);
    assert_eq!(
        job_history::find(&mut conn, "a").unwrap().unwrap(),
        again[2]
    );
    assert_eq!(
        job_history::find(&mut conn, "c").unwrap().unwrap(),
        again[1]
    );
    assert_eq!(job_history::upsert_batch(&mut conn, &[]).unwrap(), 0);
    assert_eq!(
        job_history::write_batch_async_commit(&mut conn, &[]).unwrap(),
        0
    );

    // The writer's path with a job already there ("c"), then with one twice ("d"): COPY fails on the
    // primary key and the batch is upserted instead, nothing lost.
    let existing = vec![
        row("c", "dead", 3, Some("requeued, then dead")),
        row("e", "succeeded", 1, None),
    ];
    assert_eq!(
        job_history::write_batch_async_commit(&mut conn, &existing).unwrap(),
        2
    );
    let twice = vec![
        row("d", "dead", 1, Some("first")),
        row("d", "succeeded", 2, None),
    ];
    assert_eq!(
        job_history::write_batch_async_commit(&mut conn, &twice).unwrap(),
        1
    );
    for (id, want) in [("c", &existing[0]), ("e", &existing[1]), ("d", &twice[1])] {
        assert_eq!(&job_history::find(&mut conn, id).unwrap().unwrap(), want);
    }
}
