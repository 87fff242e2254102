//! Latency of `GET /api/v1/dashboard/overview` at size: 1,000,000 finished jobs in `job_history` and
//! 100,000 waiting jobs in Redis (run through `ops/bench/dashboard`, which provides a fresh database).
//!
//! Env: DATABASE_URL (a database this run may fill), REDIS_URL, BENCH_HISTORY (1000000),
//! BENCH_WAITING (100000), BENCH_REQUESTS (200). Prints one JSON line with the latency percentiles.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use actix_web::{App, HttpServer};
use crm_queue::EnqueueOptions;
use diesel::RunQueryDsl;
use hdrhistogram::Histogram;
use shared::config::EnvSource;
use shared::jobs::payloads::diag;
use shared::models::user::{self, Role};

const PASSWORD: &str = "dashboard bench password";

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Finished jobs spread evenly over the last 7 days (the history retention), 1 in 20 dead.
const SEED_HISTORY: &str = "INSERT INTO job_history \
    (job_id, job, queue, state, attempts, created_at, started_at, finished_at, duration_ms, last_error) \
    SELECT 'bench-' || i, 'diag.noop', (ARRAY['default','maint','diag','mail'])[1 + i % 4], \
           CASE WHEN i % 20 = 0 THEN 'dead' ELSE 'succeeded' END, 1 + (i % 20 = 0)::int * 3, \
           t - interval '2 seconds', t - interval '1 second', t, 1000, \
           CASE WHEN i % 20 = 0 THEN 'bench failure' END \
    FROM (SELECT i, now() - (i * (604800.0 / $1)) * interval '1 second' AS t \
          FROM generate_series(1, $1) AS i) s";

/// HDR histogram of the samples in µs (3 significant figures).
fn histogram_us(samples: &[Duration]) -> Histogram<u64> {
    let mut hist = Histogram::<u64>::new(3).expect("3 significant figures are supported");
    for s in samples {
        hist.record(u64::try_from(s.as_micros()).unwrap_or(u64::MAX))
            .expect("a latency fits the histogram");
    }
    hist
}

/// Latency at quantile `q` (0 to 1) in ms.
fn percentile(hist: &Histogram<u64>, q: f64) -> f64 {
    hist.value_at_quantile(q) as f64 / 1000.0
}

#[actix_web::main]
async fn main() {
    let history = env_or("BENCH_HISTORY", 1_000_000);
    let waiting = env_or("BENCH_WAITING", 100_000);
    let requests = env_or("BENCH_REQUESTS", 200);
    let db_url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let redis_url = std::env::var("REDIS_URL").expect("REDIS_URL");
    let namespace = format!("bench-dash-{}", ulid::Ulid::new()).to_lowercase();

    let vars: HashMap<String, String> = [
        ("DATABASE_URL", db_url.as_str()),
        ("REDIS_URL", redis_url.as_str()),
        ("REDIS_NAMESPACE", namespace.as_str()),
        ("JWT_SECRET", "a-benchmark-secret-of-at-least-32-bytes!"),
        ("RUN_MIGRATIONS", "true"),
        ("RATE_LIMIT_PER_MINUTE", "100000"),
        ("LOG_FORMAT", "text"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let settings = crm_api::Settings::from_env(&EnvSource::from_map(vars)).unwrap();
    let state = crm_api::build_state(settings).await.unwrap();

    let pool = state.pool.clone();
    let email = "bench-admin@example.test".to_owned();
    let seeded = tokio::task::spawn_blocking({
        let email = email.clone();
        move || {
            let mut conn = pool.get().unwrap();
            shared::db::run_migrations(&mut conn).unwrap();
            let started = Instant::now();
            let rows = diesel::sql_query(SEED_HISTORY)
                .bind::<diesel::sql_types::Integer, _>(i32::try_from(history).unwrap())
                .execute(&mut conn)
                .unwrap();
            diesel::sql_query("ANALYZE job_history")
                .execute(&mut conn)
                .unwrap();
            user::create_user(&mut conn, &email, PASSWORD, Role::Admin, None).unwrap();
            (rows, started.elapsed())
        }
    })
    .await
    .unwrap();
    eprintln!(
        "seeded {} job_history rows in {:.1} s",
        seeded.0,
        seeded.1.as_secs_f64()
    );

    let started = Instant::now();
    let jobs: Vec<diag::Noop> = (0..waiting)
        .map(|i| diag::Noop {
            tag: Some(format!("bench-{i}")),
        })
        .collect();
    for chunk in jobs.chunks(10_000) {
        state
            .queue
            .enqueue_bulk(chunk, EnqueueOptions::default())
            .await
            .unwrap();
    }
    eprintln!(
        "enqueued {waiting} waiting jobs in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let app_state = state.clone();
    let server =
        HttpServer::new(move || App::new().configure(crm_api::app_config(app_state.clone())))
            .workers(2)
            .listen(listener)
            .unwrap()
            .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let login = http
        .post(format!("{base}/api/v1/dashboard/session"))
        .json(&serde_json::json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert!(
        login.status().is_success(),
        "sign-in failed: {}",
        login.status()
    );
    let cookie = login
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();

    let overview = || {
        http.get(format!("{base}/api/v1/dashboard/overview"))
            .header("Cookie", cookie.clone())
            .send()
    };
    let first: serde_json::Value = overview().await.unwrap().json().await.unwrap();
    let diag_waiting = first["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["queue"] == "diag")
        .unwrap()["waiting"]
        .as_u64()
        .unwrap();
    assert_eq!(
        diag_waiting as usize, waiting,
        "the overview sees the backlog"
    );
    for _ in 0..20 {
        overview().await.unwrap().bytes().await.unwrap();
    }
    let mut samples = Vec::with_capacity(requests);
    for _ in 0..requests {
        let t = Instant::now();
        let res = overview().await.unwrap();
        assert!(res.status().is_success());
        res.bytes().await.unwrap();
        samples.push(t.elapsed());
    }
    let hist = histogram_us(&samples);
    let mean = samples.iter().sum::<Duration>().as_secs_f64() * 1000.0 / samples.len() as f64;
    println!(
        "{}",
        serde_json::json!({
            "endpoint": "GET /api/v1/dashboard/overview",
            "history_rows": seeded.0,
            "waiting_jobs": waiting,
            "requests": requests,
            "mean_ms": (mean * 100.0).round() / 100.0,
            "p50_ms": (percentile(&hist, 0.50) * 100.0).round() / 100.0,
            "p95_ms": (percentile(&hist, 0.95) * 100.0).round() / 100.0,
            "p99_ms": (percentile(&hist, 0.99) * 100.0).round() / 100.0,
            "max_ms": (samples.iter().max().unwrap().as_secs_f64() * 100_000.0).round() / 100.0,
        })
    );

    handle.stop(true).await;
    // Leave nothing behind in Redis (the database is dropped by the caller).
    let mut conn = state.redis();
    let mut cursor: u64 = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{namespace}:*"))
            .arg("COUNT")
            .arg(5_000)
            .query_async(&mut conn)
            .await
            .unwrap();
        if !keys.is_empty() {
            let _: () = redis::cmd("UNLINK")
                .arg(&keys)
                .query_async(&mut conn)
                .await
                .unwrap();
        }
        if next == 0 {
            break;
        }
        cursor = next;
    }
}
