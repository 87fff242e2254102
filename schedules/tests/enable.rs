//! Operators' enable/disable is persisted in Redis and applied by a running scheduler without restart.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

use std::collections::HashMap;
use std::time::Duration;

use crm_queue::test_utils::TestRedis;
use crm_schedules::{Runner, ScheduleTable, enabled_overrides, set_enabled};
use redis::AsyncCommands;
use shared::config::EnvSource;
use tokio_util::sync::CancellationToken;

async fn fired(redis: &TestRedis, queue: &crm_queue::JobQueue) -> usize {
    let mut conn = queue.connection();
    let keys: Vec<String> = conn
        .keys(format!("{}:idem:sched:diag.heartbeat:*", redis.namespace()))
        .await
        .unwrap();
    keys.len()
}

#[tokio::test(flavor = "multi_thread")]
async fn disabled_entry_stops_firing_and_resumes_when_enabled() {
    let redis = TestRedis::new();
    let queue = redis.queue().await;
    let env = EnvSource::from_map(HashMap::from([(
        "SCHEDULE_DIAG_HEARTBEAT".to_string(),
        "* * * * * *".to_string(),
    )]));
    let table = ScheduleTable::load(&env, chrono_tz::Europe::Paris).unwrap();
    let stop = CancellationToken::new();
    let runner = Runner::new(
        queue.clone(),
        table,
        Duration::from_millis(900),
        "test".into(),
    );
    let task = tokio::spawn(runner.run(stop.clone()));

    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert!(fired(&redis, &queue).await >= 1, "enabled entry fires");

    set_enabled(&queue, "diag.heartbeat", false).await.unwrap();
    assert_eq!(
        enabled_overrides(&queue)
            .await
            .unwrap()
            .get("diag.heartbeat"),
        Some(&false)
    );
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let before = fired(&redis, &queue).await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(
        fired(&redis, &queue).await,
        before,
        "disabled entry must not fire"
    );

    set_enabled(&queue, "diag.heartbeat", true).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let after = fired(&redis, &queue).await;
    assert!(after > before, "re-enabled entry fires again");
    assert!(
        after - before <= 4,
        "no backlog of the disabled period is fired: {}",
        after - before
    );
    stop.cancel();
    task.await.unwrap();
}
