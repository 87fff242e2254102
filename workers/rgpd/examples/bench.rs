//! RGPD anonymisation benchmark (issue 16): time `rgpd.anonymize_inactive` over 1,000,000 emails of
//! inactive contacts, while the real `api` binary answers a read endpoint (an email's analysis, of contacts
//! that stay) under load: its p50/p99 before and during the run.
//!
//! Run by `ops/bench/rgpd`. Needs DATABASE_URL (a server where a scratch database can be created),
//! REDIS_URL and API_BIN (the built `api`). Knobs: BENCH_RGPD_PEOPLE (10000), BENCH_RGPD_PER_PERSON (100),
//! BENCH_RGPD_BATCH (1000), BENCH_RGPD_READERS (4), BENCH_RGPD_READ_RATE (25 requests/s per reader, a
//! fixed rate: the front end's polling, not a saturating loop). Prints one JSON object.
#![expect(
    clippy::expect_used,
    reason = "a benchmark: a panic with its message is the report"
)]

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use shared::config::{EnvSource, RgpdConfig};
use shared::progress::NoProgress;

fn var(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

struct Api(Child);

impl Drop for Api {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Latencies of the reads of one phase.
#[derive(Default)]
struct Phase {
    hist: Option<Histogram<u64>>,
    non_2xx: u64,
}

impl Phase {
    fn record(&mut self, us: u64, ok: bool) {
        let h = self.hist.get_or_insert_with(|| {
            Histogram::new_with_bounds(1, 60_000_000, 3).expect("histogram")
        });
        let _ = h.record(us.max(1));
        if !ok {
            self.non_2xx += 1;
        }
    }

    fn summary(&self, secs: f64) -> Value {
        match &self.hist {
            None => json!({ "requests": 0 }),
            Some(h) => json!({
                "requests": h.len(),
                "per_s": h.len() as f64 / secs,
                "non_2xx": self.non_2xx,
                "p50_ms": h.value_at_quantile(0.50) as f64 / 1000.0,
                "p99_ms": h.value_at_quantile(0.99) as f64 / 1000.0,
                "max_ms": h.max() as f64 / 1000.0,
            }),
        }
    }
}

#[tokio::main]
async fn main() {
    shared::db::init_tls();
    let admin_url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let redis_url = var("REDIS_URL", "redis://127.0.0.1:6379");
    let api_bin = std::env::var("API_BIN").expect("API_BIN");
    let people: i64 = var("BENCH_RGPD_PEOPLE", "10000").parse().expect("people");
    let per_person: i64 = var("BENCH_RGPD_PER_PERSON", "100")
        .parse()
        .expect("per person");
    let batch = var("BENCH_RGPD_BATCH", "1000");
    let readers: usize = var("BENCH_RGPD_READERS", "4").parse().expect("readers");
    let rate: f64 = var("BENCH_RGPD_READ_RATE", "25")
        .parse()
        .expect("read rate");

    let name = format!(
        "crm_bench_rgpd_{}",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let scratch =
        shared::scratch_db::ScratchDb::create(&admin_url, &name, None).expect("scratch db");
    let url = scratch.url();
    let mut conn = PgConnection::establish(&url).expect("connect");
    shared::db::run_migrations(&mut conn).expect("migrations");

    // Inactive contacts with `per_person` emails each (bodies of ~600 bytes, 1 in 10 analysed), and 1% of
    // contacts active (their emails are what the API reads during the run).
    let seed_started = Instant::now();
    conn.batch_execute(&format!(
        "INSERT INTO users (email, password_hash, role) VALUES ('bench-owner@crm.test', 'x', 'admin');
         INSERT INTO email_accounts (owner_user_id, provider, address, imap_host, imap_port, imap_security, imap_auth, folders)
           VALUES (1, 'imap', 'sales@crm.test', '127.0.0.1', 993, 'tls', 'login', '{{INBOX}}');
         INSERT INTO people (first_name, last_name, email, phone, created_at, updated_at)
           SELECT 'Prénom' || g, 'Nom' || g, 'contact' || g || '@client' || (g % 97) || '.fr', '+3314200' || lpad(g::text, 4, '0'),
                  now() - interval '4 years', now() - interval '3 years'
           FROM generate_series(1, {people}) g;
         INSERT INTO interactions (account_id, folder, message_id, from_address, from_name, to_addresses, subject, sent_at,
                                   direction, body_text, size_bytes, person_id, created_at)
           SELECT 1, 'INBOX', 'm' || g || '@bench', 'contact' || p || '@client' || (p % 97) || '.fr', 'Prénom' || p || ' Nom' || p,
                  ARRAY['sales@crm.test'], 'Re: proposition ' || g, now() - interval '3 years' - (g || ' minutes')::interval,
                  'inbound', repeat('Bonjour, merci pour votre retour sur le fonds. ', 12) || 'Prénom' || p || ' Nom' || p, 600, p,
                  now() - interval '3 years'
           FROM generate_series(1, {people} * {per_person}) g, LATERAL (SELECT (g - 1) % {people} + 1 AS p) x;
         INSERT INTO interaction_analyses (interaction_id, analyzer_version, source, language, intent_label,
                                           intent_confidence, signature, signature_found, entities, keywords, duration_ms, cache)
           SELECT id, 'bench', 'rules', 'fr', 'interest', 0.9, jsonb_build_object('name', from_name), true, '{{}}', '[]', 1, 'disabled'
           FROM interactions WHERE id % 10 = 0;
         UPDATE people SET updated_at = now() WHERE id % 100 = 0;
         UPDATE interactions SET sent_at = now() WHERE person_id % 100 = 0;
         ANALYZE;"
    ))
    .expect("seed");
    let seed_secs = seed_started.elapsed().as_secs_f64();
    eprintln!("bench: seeded {people} contacts x {per_person} emails in {seed_secs:.0} s");
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    let readable: Vec<i64> = diesel::sql_query(
        "SELECT interaction_id AS id FROM interaction_analyses a JOIN interactions i ON i.id = a.interaction_id \
         WHERE i.person_id % 100 = 0",
    )
    .load::<Id>(&mut conn)
    .expect("readable ids")
    .into_iter()
    .map(|r| r.id)
    .collect();
    let to_anonymise =
        diesel::sql_query("SELECT count(*) AS id FROM interactions WHERE person_id % 100 <> 0")
            .get_result::<Id>(&mut conn)
            .expect("count")
            .id;
    shared::models::user::create_user(
        &mut conn,
        "bench-reader@crm.test",
        "bench reader password",
        shared::models::user::Role::Admin,
        None,
    )
    .expect("reader");

    // The real API on the scratch database.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let ns = format!("br{}", &name[name.len() - 8..]);
    let _api = Api(Command::new(&api_bin)
        .env_clear()
        .envs([
            ("PATH", var("PATH", "")),
            ("DATABASE_URL", url.clone()),
            ("REDIS_URL", redis_url.clone()),
            ("REDIS_NAMESPACE", ns),
            ("API_BIND", format!("127.0.0.1:{port}")),
            ("API_PUBLIC_URL", format!("http://127.0.0.1:{port}")),
            (
                "JWT_SECRET",
                "bench-secret-0123456789abcdef0123456789abcdef".to_owned(),
            ),
            ("RATE_LIMIT_PER_MINUTE", "1000000".to_owned()),
            ("RUN_MIGRATIONS", "false".to_owned()),
            ("RUST_LOG", "warn".to_owned()),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn api"));
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let token = {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let res = http
                .post(format!("{base}/api/v1/auth/login"))
                .json(
                    &json!({"email": "bench-reader@crm.test", "password": "bench reader password"}),
                )
                .send()
                .await;
            if let Ok(r) = res
                && r.status().is_success()
            {
                let v: Value = r.json().await.expect("login json");
                break v["access_token"].as_str().expect("token").to_owned();
            }
            assert!(Instant::now() < deadline, "api did not come up");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };

    // Readers at a fixed rate each, picking analysed emails of the contacts that stay.
    let phase = Arc::new(Mutex::new((Phase::default(), Phase::default())));
    let during = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let ids = Arc::new(readable);
    let mut tasks = Vec::new();
    for r in 0..readers {
        let (http, base, token) = (http.clone(), base.clone(), token.clone());
        let (phase, during, stop, ids) = (phase.clone(), during.clone(), stop.clone(), ids.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = r;
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let id = ids[i % ids.len()];
                i += readers * 7 + 1;
                let t = Instant::now();
                let ok = http
                    .get(format!("{base}/api/v1/interactions/{id}/analysis"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .map(|res| res.status().is_success())
                    .unwrap_or(false);
                let us = t.elapsed().as_micros() as u64;
                let mut p = phase.lock().expect("lock");
                if during.load(Ordering::Relaxed) {
                    p.1.record(us, ok);
                } else {
                    p.0.record(us, ok);
                }
            }
        }));
    }
    let baseline = Duration::from_secs(5);
    tokio::time::sleep(baseline).await;

    let dir = std::env::temp_dir().join(&name);
    let ledger = dir.join("erasure-ledger.jsonl");
    let config = RgpdConfig::from_env(&EnvSource::from_pairs(&[
        ("RGPD_HASH_KEY", &"5a".repeat(32)),
        ("RGPD_LEDGER_PATH", ledger.to_str().expect("path")),
        ("RGPD_ANONYMISE_BATCH", &batch),
    ]))
    .expect("config");
    let env = crm_rgpd::RgpdEnv {
        pool: shared::db::build_pool(&url, 4).expect("pool"),
        config,
        redis: None,
        cache_patterns: Vec::new(),
    };
    eprintln!("bench: baseline reads done; anonymising");
    during.store(true, Ordering::Relaxed);
    let started = Instant::now();
    let outcome = crm_rgpd::inactive::sweep(&env, false, None, &NoProgress)
        .await
        .expect("sweep");
    let run = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    let left = diesel::sql_query(
        "SELECT count(*) AS id FROM interactions WHERE person_id % 100 <> 0 AND body_text IS NOT NULL",
    )
    .get_result::<Id>(&mut conn)
    .expect("left")
    .id;
    let (before, while_running) = {
        let p = phase.lock().expect("lock");
        (
            p.0.summary(baseline.as_secs_f64()),
            p.1.summary(run.as_secs_f64()),
        )
    };
    println!(
        "{}",
        json!({
            "bench": "rgpd.anonymize_inactive",
            "people": people,
            "interactions_anonymised": outcome.rows.get("interactions"),
            "interactions_expected": to_anonymise,
            "interactions_left_with_body": left,
            "people_anonymised": outcome.people,
            "batch": batch,
            "seconds": run.as_secs_f64(),
            "interactions_per_s": to_anonymise as f64 / run.as_secs_f64(),
            "seed_seconds": seed_secs,
            "api_read": { "endpoint": "GET /api/v1/interactions/{id}/analysis", "readers": readers,
                          "rate_per_reader": rate,
                          "before": before, "during": while_running },
            "rows": outcome.rows,
        })
    );
    drop(conn);
    let _ = std::fs::remove_dir_all(&dir);
    drop(env);
    let _ = scratch.drop_now();
}
