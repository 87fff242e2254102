//! Two worker processes run the scheduler on a one-second schedule: exactly one enqueue per tick, also
//! when the leader is killed halfway.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use crate::common;

use std::collections::BTreeSet;
use std::time::Duration;

use redis::AsyncCommands;

async fn fired_ticks(env: &common::Env) -> (BTreeSet<i64>, usize) {
    let mut conn = env.queue.connection();
    let prefix = format!(
        "{}sched:diag.heartbeat:",
        env.queue.keys().idempotency_prefix()
    );
    let keys: Vec<String> = conn.keys(format!("{prefix}*")).await.unwrap();
    let ticks: BTreeSet<i64> = keys
        .iter()
        .filter_map(|k| k.strip_prefix(&prefix).and_then(|t| t.parse().ok()))
        .collect();
    // Every record of the heartbeat's job (`diag.noop`), scheduled or not. Records of the cron table's other
    // entries are left out: one of them may fire during the test (`mail.sync_all` at every tenth minute).
    let records: Vec<String> = conn
        .keys(env.queue.keys().job_prefix() + "*")
        .await
        .unwrap();
    let mut jobs = 0;
    for key in records.iter().filter(|k| !k.ends_with(":errors")) {
        let job: Option<String> = conn.hget(key, "job").await.unwrap();
        if job.as_deref() == Some("diag.noop") {
            jobs += 1;
        }
    }
    (ticks, jobs)
}

#[tokio::test(flavor = "multi_thread")]
async fn each_tick_fires_once_across_replicas_and_leader_failover() {
    let env = common::Env::new().await;
    let sched = [
        ("SCHEDULER_ENABLED", "true"),
        ("SCHEDULE_DIAG_HEARTBEAT", "* * * * * *"),
        ("SCHEDULER_LEASE_MS", "1500"),
    ];
    let mut a = env.spawn_workers(&sched);
    let mut b = env.spawn_workers(&sched);
    tokio::time::sleep(Duration::from_secs(11)).await;

    // Kill the leader (its id, `host-pid-suffix`, is the lease value).
    let mut conn = env.queue.connection();
    let holder: String = conn.get(env.queue.keys().scheduler_leader()).await.unwrap();
    let pid: i32 = holder.rsplit('-').nth(1).unwrap().parse().unwrap();
    let (leader, survivor) = if pid == a.pid() {
        (&mut a, &mut b)
    } else {
        (&mut b, &mut a)
    };
    assert_eq!(leader.pid(), pid, "lease holder is one of our processes");
    leader.kill9();
    tokio::time::sleep(Duration::from_secs(12)).await;
    assert!(survivor.is_running());
    // Stop the survivor before counting: it fires every second, so a tick landing between the two
    // counts below would be seen as a job without its key.
    survivor.kill9();

    let (ticks, jobs) = fired_ticks(&env).await;
    let ticks: Vec<i64> = ticks.into_iter().collect();
    assert!(
        ticks.len() >= 20,
        "only {} ticks fired: {ticks:?}",
        ticks.len()
    );
    assert_eq!(jobs, ticks.len(), "one job per tick, never two");
    for pair in ticks.windows(2) {
        assert_eq!(pair[1] - pair[0], 1_000, "a tick was skipped: {ticks:?}");
    }
}
