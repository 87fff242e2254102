//! The API under HTTP load: signed-in viewers polling a job's status (what the CRM front end does while a
//! job runs), each under the per-user rate limit, and a steady stream of liveness probes. Reports
//! latencies, request rates and the `api` process's RSS and CPU while it serves them.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use crm_queue::JobId;
use serde_json::{Value, json};
use shared::models::user::{Role, create_user};

use crate::procfs::{clock_ticks_per_sec, cpu_ticks, mib, rss_kib};
use crate::stats::Percentiles;

/// Signed-in users (the login limit allows 5 per minute from one address).
const USERS: usize = 5;
/// Status polls per second per user: under the default 1000 requests per minute per user.
const POLLS_PER_USER_PER_S: f64 = 15.0;
/// Liveness probe tasks and the rate of each.
const HEALTH_TASKS: usize = 2;
const PROBES_PER_TASK_PER_S: f64 = 250.0;

/// The running `api` process.
pub struct ApiTarget {
    pub pid: u32,
    pub port: u16,
}

#[derive(Default)]
struct Samples {
    latencies_us: Vec<u64>,
    non_2xx: u64,
    errors: u64,
}

impl Samples {
    fn summary(&self, window: Duration) -> Value {
        let v = &self.latencies_us;
        let p = Percentiles::new(v.iter().copied());
        json!({
            "requests": v.len(),
            "per_s": v.len() as f64 / window.as_secs_f64(),
            "non_2xx": self.non_2xx,
            "transport_errors": self.errors,
            "p50_us": p.at(50.0),
            "p99_us": p.at(99.0),
            "max_us": v.iter().max(),
        })
    }
}

async fn login(
    http: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<String> {
    let res = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await?;
    if !res.status().is_success() {
        bail!("login answered {}", res.status());
    }
    let body: Value = res.json().await?;
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .context("no access_token in the login answer")
}

async fn hit(req: reqwest::RequestBuilder, out: &Mutex<Samples>) {
    let t = Instant::now();
    let answer = match req.send().await {
        // The body is read too: the request is complete only then.
        Ok(r) => {
            let ok = r.status().is_success();
            r.bytes().await.ok().map(|_| ok)
        }
        Err(_) => None,
    };
    let us = u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX);
    let mut s = out.lock().unwrap();
    match answer {
        Some(ok) => {
            s.latencies_us.push(us);
            s.non_2xx += u64::from(!ok);
        }
        None => s.errors += 1,
    }
}

/// Calls `request` `rate` times a second until `deadline` (one at a time: a slow answer delays the next).
async fn paced<F, Fut>(rate: f64, deadline: Instant, request: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    let every = Duration::from_secs_f64(1.0 / rate);
    let mut next = Instant::now();
    while Instant::now() < deadline {
        request().await;
        next += every;
        tokio::time::sleep_until(next.into()).await;
    }
}

/// Creates the viewers, signs them in, then loads the API for `duration`.
pub async fn run(
    target: &ApiTarget,
    database_url: &str,
    job: &JobId,
    duration: Duration,
) -> anyhow::Result<Value> {
    let base = format!("http://127.0.0.1:{}", target.port);
    let pool = shared::db::build_pool(database_url, 2)?;
    let tag = ulid::Ulid::new().to_string().to_lowercase();
    let password: String = (0..24)
        .map(|_| char::from(b'a' + rand::random::<u8>() % 26))
        .collect();
    let emails: Vec<String> = (0..USERS)
        .map(|i| format!("bench-{tag}-{i}@bench.test"))
        .collect();
    {
        let (emails, password) = (emails.clone(), password.clone());
        shared::db::run_blocking(&pool, move |c| {
            for e in &emails {
                create_user(c, e, &password, Role::Viewer, None)?;
            }
            Ok(())
        })
        .await?;
    }
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(USERS + HEALTH_TASKS)
        .build()?;
    let mut tokens = Vec::new();
    for e in &emails {
        tokens.push(login(&http, &base, e, &password).await?);
    }

    let polls = Arc::new(Mutex::new(Samples::default()));
    let health = Arc::new(Mutex::new(Samples::default()));
    let ticks = clock_ticks_per_sec();
    let cpu0 = cpu_ticks(target.pid).unwrap_or(0);
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::new();
    for token in tokens {
        let (http, out, url) = (
            http.clone(),
            polls.clone(),
            format!("{base}/api/v1/jobs/{job}"),
        );
        tasks.push(tokio::spawn(paced(
            POLLS_PER_USER_PER_S,
            deadline,
            move || {
                let (req, out) = (http.get(&url).bearer_auth(&token), out.clone());
                async move { hit(req, &out).await }
            },
        )));
    }
    for _ in 0..HEALTH_TASKS {
        let (http, out, url) = (
            http.clone(),
            health.clone(),
            format!("{base}/api/v1/health"),
        );
        tasks.push(tokio::spawn(paced(
            PROBES_PER_TASK_PER_S,
            deadline,
            move || {
                let (req, out) = (http.get(&url), out.clone());
                async move { hit(req, &out).await }
            },
        )));
    }
    let mut rss = Vec::new();
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if let Some((r, _)) = rss_kib(target.pid) {
            rss.push(r);
        }
    }
    for t in tasks {
        t.await?;
    }
    let window = start.elapsed();
    let cpu1 = cpu_ticks(target.pid).unwrap_or(0);
    let polls = polls.lock().unwrap().summary(window);
    let health = health.lock().unwrap().summary(window);
    Ok(json!({
        "window_s": window.as_secs_f64(),
        "users": USERS,
        "job_status_polls": polls,
        "health_probes": health,
        "api_rss_max_mib": rss.iter().copied().max().map(mib),
        "api_cpu_cores": cpu1.saturating_sub(cpu0) as f64 / ticks / window.as_secs_f64(),
        "method": format!(
            "{USERS} signed-in viewers each poll GET /api/v1/jobs/{{id}} {POLLS_PER_USER_PER_S} times a second \
             (under the 1000/min per-user limit) while {HEALTH_TASKS} tasks call GET /api/v1/health \
             {PROBES_PER_TASK_PER_S} times a second each; no worker load meanwhile"
        ),
    }))
}
