//! Cluster-wide pause honoured by two worker processes, and durable job history in Postgres.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use std::time::Duration;

use crm_queue::{EnqueueOptions, JobId, JobState};
use shared::jobs::Queue;
use shared::jobs::payloads::diag::{Fail, Noop};
use shared::models::job_history;

#[tokio::test(flavor = "multi_thread")]
async fn paused_queue_accepts_jobs_but_no_process_runs_them_until_resumed() {
    let env = common::Env::new().await;
    let _a = env.spawn_workers(&[]);
    let _b = env.spawn_workers(&[]);
    // Both processes are up once a first job runs.
    let warm = env.enqueue(&Noop::default()).await;
    env.wait_state(&warm, JobState::Succeeded, Duration::from_secs(15))
        .await;

    assert!(env.queue.pause(Queue::Diag).await.unwrap());
    assert_eq!(env.queue.paused().await.unwrap(), vec![Queue::Diag]);
    // Workers read the flag every 500 ms; give every process time to stop fetching.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let jobs: Vec<Noop> = (0..20)
        .map(|i| Noop {
            tag: Some(i.to_string()),
        })
        .collect();
    let ids: Vec<JobId> = env
        .queue
        .enqueue_bulk(&jobs, EnqueueOptions::default())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.job_id)
        .collect();
    tokio::time::sleep(Duration::from_secs(3)).await;
    for id in &ids {
        assert_eq!(
            env.record(id).await.state,
            JobState::Waiting,
            "a paused queue ran a job"
        );
    }

    assert!(env.queue.resume(Queue::Diag).await.unwrap());
    for id in &ids {
        env.wait_state(id, JobState::Succeeded, Duration::from_secs(15))
            .await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn finished_jobs_are_kept_in_postgres_history() {
    let env = common::Env::new().await;
    let _w = env.spawn_workers(&[]);
    let ok = env.enqueue(&Noop::default()).await;
    let dead = env
        .queue
        .enqueue(
            &Fail {
                succeed_on_attempt: None,
                permanent: true,
                backoff_ms: None,
                succeed_after: None,
                throttle_ms: None,
            },
            EnqueueOptions {
                request_id: Some("req-123".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .job_id;
    env.wait_state(&ok, JobState::Succeeded, Duration::from_secs(15))
        .await;
    env.wait_state(&dead, JobState::Dead, Duration::from_secs(15))
        .await;
    let pool = env.db.pool();
    let found = common::eventually(Duration::from_secs(10), || {
        let pool = pool.clone();
        async move {
            let mut conn = pool.get().unwrap();
            job_history::find(&mut conn, &ok.to_string())
                .unwrap()
                .is_some()
                && job_history::find(&mut conn, &dead.to_string())
                    .unwrap()
                    .is_some()
        }
    })
    .await;
    assert!(found, "history rows not written");
    let mut conn = pool.get().unwrap();
    let row = job_history::find(&mut conn, &ok.to_string())
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.state.as_str(), row.attempts, row.job.as_str()),
        ("succeeded", 1, "diag.noop")
    );
    let row = job_history::find(&mut conn, &dead.to_string())
        .unwrap()
        .unwrap();
    assert_eq!(row.state, "dead");
    assert!(row.last_error.unwrap().contains("deliberate failure"));
    assert_eq!(row.request_id.as_deref(), Some("req-123"));
}
