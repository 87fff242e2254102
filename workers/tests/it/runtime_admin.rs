//! Operator actions and views of the job store: listings, cancel, delete, retry now, stats, processes.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use std::time::Duration;

use crm_queue::{ActionOutcome, EnqueueOptions, JobState, ListState};
use shared::jobs::Queue;
use shared::jobs::payloads::diag::{Fail, Noop, Sleep};

fn later(secs: i64) -> EnqueueOptions {
    EnqueueOptions {
        run_at: Some(chrono::Utc::now() + chrono::Duration::seconds(secs)),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn listings_cancel_delete_and_retry_now_without_workers() {
    let env = common::Env::new().await;
    let q = &env.queue;
    let waiting = q
        .enqueue(
            &Noop {
                tag: Some("needle-1".into()),
            },
            EnqueueOptions::default(),
        )
        .await
        .unwrap()
        .job_id;
    let other = q
        .enqueue(
            &Noop {
                tag: Some("hay".into()),
            },
            EnqueueOptions::default(),
        )
        .await
        .unwrap()
        .job_id;
    let scheduled = q
        .enqueue(
            &Noop {
                tag: Some("later".into()),
            },
            later(3_600),
        )
        .await
        .unwrap()
        .job_id;

    let (total, page) = q
        .list_jobs(Queue::Diag, ListState::Waiting, 0, 10, None)
        .await
        .unwrap();
    assert_eq!(total, 2);
    assert_eq!(
        page.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![waiting, other]
    );
    let (n, found) = q
        .list_jobs(Queue::Diag, ListState::Waiting, 0, 10, Some("needle-1"))
        .await
        .unwrap();
    assert_eq!((n, found[0].id), (1, waiting), "payload substring search");
    let (n, found) = q
        .list_jobs(
            Queue::Diag,
            ListState::Waiting,
            0,
            10,
            Some(&other.to_string()),
        )
        .await
        .unwrap();
    assert_eq!((n, found[0].id), (1, other), "search by job id");
    let (total, page) = q
        .list_jobs(Queue::Diag, ListState::Scheduled, 0, 10, None)
        .await
        .unwrap();
    assert_eq!((total, page[0].id), (1, scheduled));

    let stats = q.queue_stats(Queue::Diag).await.unwrap();
    assert_eq!(
        (stats.waiting, stats.scheduled, stats.running, stats.dead),
        (2, 1, 0, 0)
    );

    assert_eq!(q.cancel(&waiting).await.unwrap(), ActionOutcome::Done);
    assert_eq!(
        q.get(&waiting).await.unwrap().unwrap().state,
        JobState::Cancelled
    );
    assert_eq!(q.cancel(&waiting).await.unwrap(), ActionOutcome::WrongState);
    assert_eq!(q.delete(&other).await.unwrap(), ActionOutcome::Done);
    assert!(q.get(&other).await.unwrap().is_none());
    assert_eq!(q.delete(&other).await.unwrap(), ActionOutcome::NotFound);
    assert_eq!(q.queue_stats(Queue::Diag).await.unwrap().waiting, 0);

    assert_eq!(q.retry_now(&scheduled).await.unwrap(), ActionOutcome::Done);
    let stats = q.queue_stats(Queue::Diag).await.unwrap();
    assert_eq!((stats.waiting, stats.scheduled), (1, 0));

    // A worker now runs the promoted job and skips the cancelled one.
    let _w = env.spawn_workers(&[]);
    env.wait_state(&scheduled, JobState::Succeeded, Duration::from_secs(15))
        .await;
    assert_eq!(
        q.get(&waiting).await.unwrap().unwrap().state,
        JobState::Cancelled
    );
    // Cancelled and deleted jobs' tasks left apalis' storage too, not only the one that ran.
    env.wait_no_apalis_leftovers(Queue::Diag, Duration::from_secs(5))
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stats_series_running_dead_and_processes_reflect_the_workers() {
    let env = common::Env::new().await;
    let q = &env.queue;
    let _w = env.spawn_workers(&[]);
    let sleeper = q
        .enqueue(
            &Sleep {
                millis: 3_000,
                steps: Some(3),
                tag: None,
            },
            EnqueueOptions::default(),
        )
        .await
        .unwrap()
        .job_id;
    let ok = q
        .enqueue(&Noop::default(), EnqueueOptions::default())
        .await
        .unwrap()
        .job_id;
    let dead = q
        .enqueue(
            &Fail {
                succeed_on_attempt: None,
                permanent: true,
                backoff_ms: None,
                succeed_after: None,
                throttle_ms: None,
            },
            EnqueueOptions::default(),
        )
        .await
        .unwrap()
        .job_id;
    env.wait_state(&sleeper, JobState::Running, Duration::from_secs(15))
        .await;
    env.wait_state(&ok, JobState::Succeeded, Duration::from_secs(15))
        .await;
    let first_death = env
        .wait_state(&dead, JobState::Dead, Duration::from_secs(15))
        .await;

    let (n, running) = q
        .list_jobs(Queue::Diag, ListState::Running, 0, 10, None)
        .await
        .unwrap();
    assert_eq!((n, running[0].id), (1, sleeper));
    let (n, deads) = q
        .list_jobs(Queue::Diag, ListState::Dead, 0, 10, None)
        .await
        .unwrap();
    assert_eq!((n, deads[0].id), (1, dead));
    let stats = q.queue_stats(Queue::Diag).await.unwrap();
    assert_eq!((stats.running, stats.dead), (1, 1));
    assert!(
        stats.succeeded_last_hour >= 1 && stats.failed_last_hour >= 1,
        "{stats:?}"
    );
    let series = q.minute_series(None, 60).await.unwrap();
    assert_eq!(series.len(), 60);
    assert!(series.iter().map(|p| p.dead).sum::<u64>() >= 1);

    let procs = q.processes().await.unwrap();
    assert_eq!(procs.len(), 1);
    assert!(procs[0].queues.contains(&"diag".to_string()));

    assert_eq!(
        q.cancel(&sleeper).await.unwrap(),
        ActionOutcome::WrongState,
        "running jobs are not cancelled"
    );
    assert_eq!(
        q.delete(&sleeper).await.unwrap(),
        ActionOutcome::WrongState,
        "nor deleted"
    );
    assert_eq!(q.requeue_all_dead(Some(Queue::Diag)).await.unwrap(), 1);
    // the requeued job runs again on the live worker and fails permanently again: it leaves the
    // dead set and comes back (a loaded machine can do both before a read, so wait for the second
    // death rather than read the count in between)
    let again = env
        .wait_job(&dead, Duration::from_secs(15), |r| {
            r.state == JobState::Dead && r.started_at > first_death.started_at
        })
        .await;
    assert_eq!(again.attempts, 1, "a fresh attempt budget");
    assert_eq!(q.dead_count(None).await.unwrap(), 1);
    env.wait_state(&sleeper, JobState::Succeeded, Duration::from_secs(15))
        .await;
    assert_eq!(q.queue_stats(Queue::Diag).await.unwrap().running, 0);
}

/// "Requeue all" takes the dead jobs of the moment it starts: a job that dies again while it runs (a fast
/// permanent failure) stays dead instead of being requeued over and over.
#[tokio::test(flavor = "multi_thread")]
async fn requeue_all_dead_leaves_jobs_that_died_after_it_started() {
    use redis::AsyncCommands;
    let env = common::Env::new().await;
    let q = &env.queue;
    let fail = Fail {
        succeed_on_attempt: None,
        permanent: true,
        backoff_ms: None,
        succeed_after: None,
        throttle_ms: None,
    };
    let earlier = env.enqueue(&fail).await;
    let again = env.enqueue(&fail).await;
    let w = env.spawn_workers(&[]);
    env.wait_state(&earlier, JobState::Dead, Duration::from_secs(15))
        .await;
    env.wait_state(&again, JobState::Dead, Duration::from_secs(15))
        .await;
    drop(w);
    // `again` is scored as if it had died a minute from now, i.e. during the call.
    let keys = q.keys();
    let future = crm_queue::now_ms() + 60_000;
    let mut conn = q.connection();
    for set in [keys.dead(), keys.dead_in(Queue::Diag)] {
        let _: () = conn.zadd(set, again.to_string(), future).await.unwrap();
    }
    assert_eq!(q.requeue_all_dead(Some(Queue::Diag)).await.unwrap(), 1);
    assert_eq!(env.record(&earlier).await.state, JobState::Waiting);
    assert_eq!(env.record(&again).await.state, JobState::Dead);
    assert_eq!(q.dead_count(Some(Queue::Diag)).await.unwrap(), 1);
}
