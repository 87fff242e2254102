//! The RGPD jobs through the real `workers` binary: an admin's erasure request runs as `rgpd.erase` (the
//! worker re-checks the request's rule), forgets the person in Postgres and in the Redis caches the process
//! is configured with, and no log line of the process names them; a request the actor may not act on dies
//! without touching anything.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use std::time::Duration;

use crm_queue::{EnqueueOptions, JobState};
use diesel::prelude::*;
use redis::AsyncCommands;
use shared::jobs::payloads::rgpd::Erase;
use shared::models::UserId;
use shared::models::rgpd_request::{
    self as requests, NewRgpdRequest, RequestKind, RequestState, SubjectType,
};
use shared::models::user::Role;
use shared::permissions::Actor;

const WAIT: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erasure_request_runs_through_the_workers_and_leaves_no_trace_in_their_logs() {
    let env = common::Env::new().await;
    let ns = env.redis.namespace().to_owned();
    let admin = env.db.user(&format!("admin-{ns}@crm.test"), Role::Admin);
    let someone = env.db.user(&format!("user-{ns}@crm.test"), Role::User);
    let person = {
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            id: i64,
        }
        diesel::sql_query(
            "INSERT INTO people (first_name, last_name, email, phone) VALUES \
             ('Ondine', 'Ferracci-Vidal', 'ondine.ferracci@vidal-patrimoine.fr', '+33491554433') RETURNING id",
        )
        .get_result::<Id>(&mut env.db.conn())
        .unwrap()
        .id
    };
    let request = |by: UserId| {
        requests::create(
            &mut env.db.conn(),
            &NewRgpdRequest {
                kind: RequestKind::Erasure,
                subject_type: SubjectType::Person,
                subject_id: person,
                requested_by: Some(by),
                state: RequestState::Queued,
                reason: None,
                confirmed_at: None,
            },
        )
        .unwrap()
        .id
    };
    // A cached LLM answer that names the person, under the prefix the process is given.
    let llm_prefix = format!("{ns}-llm:");
    let client = redis::Client::open(env.redis.url()).unwrap();
    let mut rc = client.get_multiplexed_async_connection().await.unwrap();
    let cached = format!("{llm_prefix}0123");
    let _: () = rc
        .set(
            &cached,
            "{\"signature\":{\"name\":\"Ondine Ferracci-Vidal\"}}",
        )
        .await
        .unwrap();

    let log = std::env::temp_dir().join(format!("{ns}-workers.log"));
    let mut worker = env.spawn_workers_logged(
        &[
            ("RUST_LOG", "debug"),
            ("LLM_CACHE_PREFIX", llm_prefix.as_str()),
            ("RGPD_HASH_KEY", &"7c".repeat(32)),
        ],
        &log,
    );

    // A user's job on an admin's request is refused by the worker's check before the handler runs.
    let foreign = request(admin);
    let opts = |actor| EnqueueOptions {
        actor,
        ..EnqueueOptions::default()
    };
    let refused = env
        .queue
        .enqueue(
            &Erase {
                request_id: foreign,
            },
            opts(Actor::User(someone)),
        )
        .await
        .unwrap()
        .job_id;
    let rec = env.wait_state(&refused, JobState::Dead, WAIT).await;
    assert_eq!(rec.attempts, 1, "{rec:?}");
    let still = requests::find(&mut env.db.conn(), foreign)
        .unwrap()
        .unwrap();
    assert_eq!(
        still.state,
        RequestState::Queued,
        "the refused job touched nothing"
    );

    // The admin's own request runs (a request of its own: the refused job keeps its idempotency key).
    let mine = request(admin);
    let id = env
        .queue
        .enqueue(&Erase { request_id: mine }, opts(Actor::User(admin)))
        .await
        .unwrap()
        .job_id;
    let rec = env.wait_state(&id, JobState::Succeeded, WAIT).await;
    assert_eq!(rec.attempts, 1, "{rec:?}");
    let done = requests::find(&mut env.db.conn(), mine).unwrap().unwrap();
    assert_eq!(done.state, RequestState::Done);
    let exists: bool = rc.exists(&cached).await.unwrap();
    assert!(!exists, "the cached answer naming the person is gone");
    // No email refers to the person: the row itself is gone.
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let left: Count = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM people WHERE id = {person}"
    ))
    .get_result(&mut env.db.conn())
    .unwrap();
    assert_eq!(left.n, 0);
    let ledger = std::path::Path::new(&env.vars["BACKUP_DIR"]).join("erasure-ledger.jsonl");
    assert!(
        std::fs::read_to_string(&ledger)
            .unwrap()
            .contains(&format!("\"subject_id\":{person}"))
    );

    worker.signal("TERM");
    worker.wait_exit(Duration::from_secs(30));
    let text = std::fs::read_to_string(&log).unwrap().to_lowercase();
    assert!(
        text.contains("rgpd erasure done"),
        "the process logged at debug level"
    );
    for t in ["ondine", "ferracci", "vidal-patrimoine", "+33491554433"] {
        assert!(!text.contains(t), "{t} in the workers' log");
    }
    let _ = std::fs::remove_file(&log);
}
