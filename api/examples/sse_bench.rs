//! Server-Sent Events fan-out benchmark (issue 17): 1,000 users each hold `GET /api/v1/notifications/stream`
//! open on the real `api` binary; each round writes one notification per user (as the relay does for an
//! event that notifies every admin) and publishes them on Redis; the time from the publication to each
//! client's receipt of its frame is recorded. Prints one JSON object: connect time, delivery p50/p99/max
//! over every frame of every round, frames lost.
//!
//! Needs DATABASE_URL (a server where a scratch database is created), REDIS_URL and API_BIN (the built
//! `api`). Knobs: BENCH_SSE_CLIENTS (1000), BENCH_SSE_ROUNDS (20).
#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a benchmark: a panic with its message is the report"
)]

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use secrecy::SecretString;
use serde_json::json;
use shared::models::UserId;
use shared::models::notification::{self, NewNotification};
use shared::models::user::Role;

const JWT_SECRET: &str = "bench-secret-0123456789abcdef0123456789abcdef";

struct Api(Child);

impl Drop for Api {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn var(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// What the clients share: when the round's publication started, and each frame's delay.
#[derive(Default)]
struct Round {
    published_at: Option<Instant>,
    delays_us: Vec<u64>,
}

#[tokio::main]
async fn main() {
    let admin_url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let redis_url = std::env::var("REDIS_URL").expect("REDIS_URL");
    let api_bin = std::env::var("API_BIN").expect("API_BIN");
    let clients: usize = var("BENCH_SSE_CLIENTS", "1000").parse().expect("clients");
    let rounds: usize = var("BENCH_SSE_ROUNDS", "20").parse().expect("rounds");

    let name = format!(
        "crm_bench_sse_{}",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let scratch =
        shared::scratch_db::ScratchDb::create(&admin_url, &name, None).expect("scratch db");
    let url = scratch.url();
    let mut conn = PgConnection::establish(&url).expect("connect");
    shared::db::run_migrations(&mut conn).expect("migrations");
    diesel::sql_query(format!(
        "INSERT INTO users (email, password_hash, role) \
         SELECT 'bench' || g || '@crm.test', 'x', 'admin' FROM generate_series(1, {clients}) g"
    ))
    .execute(&mut conn)
    .expect("users");
    let users: Vec<UserId> = shared::schema::users::table
        .select(shared::schema::users::id)
        .order(shared::schema::users::id)
        .load(&mut conn)
        .expect("user ids");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let ns = format!("bs{}", &name[name.len() - 8..]);
    let _api = Api(Command::new(&api_bin)
        .env_clear()
        .envs([
            ("PATH", var("PATH", "")),
            ("DATABASE_URL", url.clone()),
            ("REDIS_URL", redis_url.clone()),
            ("REDIS_NAMESPACE", ns.clone()),
            ("API_BIND", format!("127.0.0.1:{port}")),
            ("API_PUBLIC_URL", format!("http://127.0.0.1:{port}")),
            ("JWT_SECRET", JWT_SECRET.to_owned()),
            ("RATE_LIMIT_PER_MINUTE", "1000000".to_owned()),
            ("DATABASE_POOL_SIZE", "20".to_owned()),
            ("RUN_MIGRATIONS", "false".to_owned()),
            ("RUST_LOG", "warn".to_owned()),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn api"));
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()
        .expect("client");
    let deadline = Instant::now() + Duration::from_secs(20);
    while http
        .get(format!("{base}/api/v1/health"))
        .send()
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "api did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Every client connects and reads its `ready` frame.
    let jwt =
        crm_api::auth::JwtKeys::new(&SecretString::from(JWT_SECRET), Duration::from_secs(3_600));
    let round = Arc::new(Mutex::new(Round::default()));
    let connect_started = Instant::now();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(clients);
    for user in &users {
        let token = jwt.issue(*user, Role::Admin, 0).expect("token").token;
        let (http, base, round, ready_tx) =
            (http.clone(), base.clone(), round.clone(), ready_tx.clone());
        tokio::spawn(async move {
            let res = http
                .get(format!("{base}/api/v1/notifications/stream"))
                .bearer_auth(token)
                .send()
                .await
                .expect("stream");
            assert!(res.status().is_success(), "stream: {}", res.status());
            let mut res = res;
            let mut buf = String::new();
            while let Ok(Some(chunk)) = res.chunk().await {
                buf.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buf.find("\n\n") {
                    let frame: String = buf.drain(..end + 2).collect();
                    if frame.contains("event: ready") {
                        let _ = ready_tx.send(()).await;
                    } else if frame.contains("event: notification") {
                        let mut r = round.lock().unwrap();
                        if let Some(t0) = r.published_at {
                            let us = t0.elapsed().as_micros() as u64;
                            r.delays_us.push(us);
                        }
                    }
                }
            }
        });
    }
    drop(ready_tx);
    for _ in 0..clients {
        ready_rx.recv().await.expect("every client ready");
    }
    let connect_secs = connect_started.elapsed().as_secs_f64();
    eprintln!("sse bench: {clients} clients connected in {connect_secs:.2} s");

    let redis = shared::redis_conn::connect(&shared::redis_conn::RedisTarget::url(&redis_url))
        .await
        .expect("redis");
    let channel = crm_queue::Keys::new(ns).notifications_channel();
    let mut hist = hdrhistogram::Histogram::<u64>::new(3).expect("histogram");
    let mut lost = 0usize;
    for r in 0..rounds {
        let rows: Vec<NewNotification> = users
            .iter()
            .map(|u| NewNotification {
                user_id: *u,
                kind: "job_failed".into(),
                priority: "high".into(),
                title: format!("Job maint.backup failed (round {r})"),
                body: "Queue maint, 3 attempt(s): pg_dump exited 1".into(),
                link: Some("/dashboard/jobs/01J".into()),
                data: json!({}),
                event_id: None,
            })
            .collect();
        let created = notification::insert_many(&mut conn, &rows).expect("notifications");
        *round.lock().unwrap() = Round {
            published_at: Some(Instant::now()),
            delays_us: Vec::with_capacity(clients),
        };
        crm_events::relay::publish(&redis, &channel, &created)
            .await
            .expect("publish");
        let wait_until = Instant::now() + Duration::from_secs(10);
        loop {
            let got = round.lock().unwrap().delays_us.len();
            if got >= clients || Instant::now() > wait_until {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let r = std::mem::take(&mut *round.lock().unwrap());
        lost += clients.saturating_sub(r.delays_us.len());
        for d in r.delays_us {
            hist.record(d).expect("record");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let ms = |q: f64| hist.value_at_quantile(q) as f64 / 1_000.0;
    let out = json!({
        "clients": clients,
        "rounds": rounds,
        "frames": hist.len(),
        "lost": lost,
        "connect_secs": (connect_secs * 100.0).round() / 100.0,
        "delivery_ms": {
            "p50": ms(0.50),
            "p99": ms(0.99),
            "max": hist.max() as f64 / 1_000.0,
        },
    });
    println!("{}", serde_json::to_string_pretty(&out).expect("json"));
    drop(scratch);
}
