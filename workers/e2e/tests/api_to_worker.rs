//! End to end through HTTP: the real API (actix server on a free port) and the real `workers` binary.
//! It lives in a crate of its own so that neither `api` nor `workers` depends on the other.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a panic with its message is the failure report"
)]

use std::collections::HashMap;
use std::time::Duration;

use actix_web::{App, HttpServer};
use crm_queue::test_utils::Env;
use crm_queue::{JobId, JobState};
use serde_json::{Value, json};
use shared::config::EnvSource;
use shared::models::user::{self, Role};

const PASSWORD: &str = "end-to-end password 42";

struct Api {
    base: String,
    http: reqwest::Client,
    token: String,
}

impl Api {
    async fn start(env: &Env) -> Self {
        let vars: HashMap<String, String> = [
            ("DATABASE_URL", env.db.url()),
            ("REDIS_URL", env.redis.url()),
            ("REDIS_NAMESPACE", env.redis.namespace()),
            ("JWT_SECRET", "an-end-to-end-secret-of-at-least-32-bytes"),
            ("RUN_MIGRATIONS", "false"),
            // Mock servers of tests listen on 127.0.0.1.
            ("EGRESS_ALLOW_CIDRS", "127.0.0.1/32"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let settings = crm_api::Settings::from_env(&EnvSource::from_map(vars)).unwrap();
        let state = crm_api::build_state(settings).await.unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server =
            HttpServer::new(move || App::new().configure(crm_api::app_config(state.clone())))
                .workers(1)
                .listen(listener)
                .unwrap()
                .run();
        tokio::spawn(server);

        let pool = env.db.pool().clone();
        let email = format!("admin-{}@example.test", ulid::Ulid::new()).to_lowercase();
        let e = email.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().unwrap();
            user::create_user(&mut conn, &e, PASSWORD, Role::Admin, None).unwrap();
        })
        .await
        .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let login: Value = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = login["access_token"].as_str().expect("token").to_owned();
        Self { base, http, token }
    }

    async fn run(&self, job: &str, payload: Value) -> JobId {
        let res = self
            .http
            .post(format!("{}/api/v1/jobs", self.base))
            .bearer_auth(&self.token)
            .json(&json!({"job": job, "payload": payload}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202);
        let body: Value = res.json().await.unwrap();
        body["job_id"].as_str().unwrap().parse().unwrap()
    }

    async fn job(&self, id: &JobId) -> Value {
        self.http
            .get(format!("{}/api/v1/jobs/{id}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn job_enqueued_through_the_api_starts_within_100ms_on_idle_workers() {
    let env = Env::new().await;
    let api = Api::start(&env).await;
    // The fallback poll is 30 s: only the wake-up path can explain a fast start.
    let _w = env.spawn_workers(&[("WORKER_POLL_FALLBACK_MS", "30000")]);
    let warm = api.run("diag.noop", json!({})).await;
    env.wait_state(&warm, JobState::Succeeded, Duration::from_secs(15))
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut latencies = Vec::new();
    for _ in 0..20 {
        let sent = chrono::Utc::now();
        let id = api.run("diag.noop", json!({})).await;
        let rec = env
            .wait_state(&id, JobState::Succeeded, Duration::from_secs(10))
            .await;
        latencies.push((rec.started_at.unwrap() - sent).num_milliseconds());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    latencies.sort_unstable();
    eprintln!("API -> start latencies (ms): {latencies:?}");
    assert!(
        latencies[10] < 100,
        "median {} ms: {latencies:?}",
        latencies[10]
    );
    // The job view reports what happened.
    let view = api
        .job(&api.run("diag.noop", json!({"tag": "view"})).await)
        .await;
    assert_eq!(view["job"], "diag.noop");
}

#[tokio::test(flavor = "multi_thread")]
async fn dead_job_is_listed_and_requeued_through_the_api_and_completes() {
    let env = Env::new().await;
    let api = Api::start(&env).await;
    let _w = env.spawn_workers(&[]);
    // Fails permanently until the "outage" ends two seconds from now.
    let until = chrono::Utc::now() + chrono::Duration::seconds(2);
    let id = api
        .run(
            "diag.fail",
            json!({"permanent": true, "succeed_after": until}),
        )
        .await;
    env.wait_state(&id, JobState::Dead, Duration::from_secs(15))
        .await;

    let dead: Value = api
        .http
        .get(format!("{}/api/v1/jobs/dead", api.base))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(dead.to_string().contains(&id.to_string()), "{dead}");
    let view = api.job(&id).await;
    assert_eq!(view["state"], "dead");
    assert!(
        view["last_error"]
            .as_str()
            .unwrap()
            .contains("deliberate failure")
    );

    tokio::time::sleep_until(
        tokio::time::Instant::now() + (until - chrono::Utc::now()).to_std().unwrap_or_default(),
    )
    .await;
    let res = api
        .http
        .post(format!("{}/api/v1/jobs/{id}/requeue", api.base))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let rec = env
        .wait_state(&id, JobState::Succeeded, Duration::from_secs(15))
        .await;
    assert_eq!(rec.attempts, 1, "fresh attempt budget after requeue");
}

/// Signs in a new user of `role` through the API: its id and bearer token.
async fn sign_in(api: &Api, env: &Env, role: Role) -> (shared::models::UserId, String) {
    let pool = env.db.pool().clone();
    let email = format!("{role}-{}@example.test", ulid::Ulid::new()).to_lowercase();
    let e = email.clone();
    let id = tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().unwrap();
        user::create_user(&mut conn, &e, PASSWORD, role, None)
            .unwrap()
            .id
    })
    .await
    .unwrap();
    let login: Value = api
        .http
        .post(format!("{}/api/v1/auth/login", api.base))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        id,
        login["access_token"].as_str().expect("token").to_owned(),
    )
}

/// A stored inbound email in a new mailbox of `owner`.
fn email_of(env: &Env, owner: shared::models::UserId) -> i64 {
    use shared::models::email_account::{
        ImapAuth, ImapSecurity, NewEmailAccount, Provider, create_account,
    };
    use shared::models::interaction::{Direction, NewInteraction, insert_new};
    let mut conn = env.db.conn();
    let account = create_account(
        &mut conn,
        &NewEmailAccount {
            owner_user_id: owner,
            provider: Provider::Imap,
            address: format!("sales-{owner}@crm.test"),
            imap_host: Some("127.0.0.1".into()),
            imap_port: Some(143),
            imap_security: Some(ImapSecurity::Tls),
            imap_auth: ImapAuth::Login,
            username: None,
            secret_ciphertext: None,
            token_expires_at: None,
            folders: vec!["INBOX".into()],
        },
    )
    .unwrap()
    .id;
    let row = NewInteraction {
        account_id: Some(account),
        folder: "INBOX".into(),
        uid: None,
        provider_id: None,
        message_id: format!("<{}@acme.fr>", ulid::Ulid::new()),
        in_reply_to: None,
        message_references: Vec::new(),
        from_address: Some("jean.dupont@acme.fr".into()),
        from_name: None,
        to_addresses: Vec::new(),
        cc_addresses: Vec::new(),
        subject: Some("Devis".into()),
        sent_at: Some(chrono::Utc::now()),
        direction: Direction::Inbound,
        body_text: Some("Bonjour, pourriez-vous m'envoyer un devis ?".into()),
        size_bytes: 40,
        parent_message_id: None,
        person_id: None,
        skipped_reason: None,
        automated: None,
    };
    insert_new(&mut conn, &[row]).unwrap()[0].0.0
}

#[tokio::test(flavor = "multi_thread")]
async fn a_users_job_runs_on_their_email_only_and_dies_once_they_are_demoted() {
    let env = Env::new().await;
    let api = Api::start(&env).await;
    let (alice, alice_token) = sign_in(&api, &env, Role::User).await;
    let (bob, bob_token) = sign_in(&api, &env, Role::User).await;
    let (alices, bobs) = (email_of(&env, alice), email_of(&env, bob));
    let run = |token: &str, id: i64, run_at: Option<chrono::DateTime<chrono::Utc>>| {
        api.http
            .post(format!("{}/api/v1/jobs", api.base))
            .bearer_auth(token)
            .json(&json!({"job": "intel.analyze_email", "payload": {"interaction_id": id}, "run_at": run_at}))
            .send()
    };

    // Alice may not analyse Bob's email (404, as the email's own endpoint), but her own runs.
    assert_eq!(run(&alice_token, bobs, None).await.unwrap().status(), 404);
    let _w = env.spawn_workers(&[("WORKER_QUEUES", "intel")]);
    let res = run(&alice_token, alices, None).await.unwrap();
    assert_eq!(res.status(), 202);
    let own: JobId = res.json::<Value>().await.unwrap()["job_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    env.wait_state(&own, JobState::Succeeded, Duration::from_secs(30))
        .await;

    // A job of Alice due in 2 s; she is demoted to viewer meanwhile: the worker refuses it permanently.
    let later = chrono::Utc::now() + chrono::TimeDelta::seconds(2);
    let res = run(&alice_token, alices, Some(later)).await.unwrap();
    assert_eq!(res.status(), 202);
    let queued: JobId = res.json::<Value>().await.unwrap()["job_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    user::set_role(&mut env.db.conn(), alice, Role::Viewer).unwrap();
    let rec = env
        .wait_state(&queued, JobState::Dead, Duration::from_secs(30))
        .await;
    assert_eq!(rec.attempts, 1);
    assert!(
        rec.last_error
            .as_deref()
            .is_some_and(|e| e.contains("may no longer run it")),
        "{rec:?}"
    );

    // Alice still sees her job through the API; Bob does not.
    let view = |token: &str| {
        api.http
            .get(format!("{}/api/v1/jobs/{queued}", api.base))
            .bearer_auth(token)
            .send()
    };
    let seen: Value = view(&alice_token).await.unwrap().json().await.unwrap();
    assert_eq!(seen["state"], "dead", "{seen}");
    assert_eq!(seen["actor"], format!("user:{alice}"));
    assert_eq!(view(&bob_token).await.unwrap().status(), 404);
}

/// The demo mailbox imported, analysed and read by autofill through the API: suggestions (the sure ones
/// applied), reviewed through the API.
#[tokio::test(flavor = "multi_thread")]
async fn the_demo_mailbox_feeds_autofill_reviewed_through_the_api() {
    use shared::models::email_account::{
        ImapAuth, ImapSecurity, NewEmailAccount, Provider, create_account,
    };
    use shared::models::organisation::{NewOrganisation, OrgType, create_organisation};
    let env = Env::new().await;
    let api = Api::start(&env).await;
    let (admin, admin_token) = sign_in(&api, &env, Role::Admin).await;
    let account = create_account(
        &mut env.db.conn(),
        &NewEmailAccount {
            owner_user_id: admin,
            provider: Provider::Imap,
            address: "camille.lefort@distri-demo.fr".into(),
            imap_host: Some("imap.distri-demo.invalid".into()),
            imap_port: Some(993),
            imap_security: Some(ImapSecurity::Tls),
            imap_auth: ImapAuth::Login,
            username: None,
            secret_ciphertext: None,
            token_expires_at: None,
            folders: vec!["INBOX".into()],
        },
    )
    .unwrap()
    .id;
    // Two of the demo's companies are in the CRM already, with their websites.
    for (name, site) in [
        ("Banque Privée Valmont", "https://www.valmont-bp.fr"),
        ("Horizon Gestion", "horizon-gestion.fr"),
    ] {
        let mut org = NewOrganisation::new(name, OrgType::Distributor);
        org.website = Some(site.into());
        create_organisation(&mut env.db.conn(), &org).unwrap();
    }
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ops/demo");
    let _w = env.spawn_workers(&[("MAIL_IMPORT_DIR", demo)]);
    let import = api
        .run(
            "mail.import",
            json!({"account_id": account.0, "path": "mailbox.mbox"}),
        )
        .await;
    env.wait_state(&import, JobState::Succeeded, Duration::from_secs(120))
        .await;
    // Every inbound email analysed.
    let analysed = || {
        use diesel::RunQueryDsl;
        let mut conn = env.db.conn();
        diesel::sql_query(
            "SELECT (SELECT count(*) FROM interactions WHERE direction = 'inbound') = \
             (SELECT count(*) FROM interaction_analyses) AS done",
        )
        .get_result::<Done>(&mut conn)
        .unwrap()
        .done
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while !analysed() {
        assert!(
            std::time::Instant::now() < deadline,
            "analyses did not finish"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let res = api
        .http
        .post(format!("{}/api/v1/autofill-jobs/run-now", api.base))
        .bearer_auth(&admin_token)
        .json(&json!({"limit": 1000}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let job: JobId = res.json::<Value>().await.unwrap()["job_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let rec = env
        .wait_state(&job, JobState::Succeeded, Duration::from_secs(120))
        .await;
    let result = rec.result.unwrap();
    assert!(result["suggestions"].as_u64().unwrap() > 10, "{result}");
    assert!(result["auto_applied"].as_u64().unwrap() > 0, "{result}");
    // Replies from senders already known propose nothing new; nothing is proposed twice.
    assert!(result["nothing_new"].as_u64().unwrap() > 0, "{result}");

    let list = |query: &str| {
        api.http
            .get(format!("{}/api/v1/autofill/suggestions?{query}", api.base))
            .bearer_auth(&admin_token)
            .send()
    };
    let applied: Value = list("status=auto_applied&field=person")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(applied["total"].as_i64().unwrap() > 0, "{applied}");
    let linked: Value = list("field=organisation")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pending: Value = list("status=pending").await.unwrap().json().await.unwrap();
    assert!(pending["total"].as_i64().unwrap() > 0, "{pending}");
    let first = &pending["items"][0];
    let res = api
        .http
        .post(format!(
            "{}/api/v1/autofill/suggestions/{}/approve",
            api.base, first["id"]
        ))
        .bearer_auth(&admin_token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "approved");
    // People created from the demo's signatures are linked to the companies the CRM knows.
    let created_links = applied["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["value"]["organisation"].is_object())
        .count()
        + linked["total"].as_i64().unwrap_or(0) as usize;
    assert!(created_links > 0, "{applied} {linked}");
}

#[derive(diesel::QueryableByName)]
struct Done {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    done: bool,
}
