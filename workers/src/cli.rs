//! Command-line interface of the `workers` binary.

use std::io::Read;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use crm_queue::{EnqueueOptions, JobQueue, Keys};
use futures::FutureExt;
use secrecy::ExposeSecret;
use shared::config::{ConfigError, EnvSource, WorkerConfig};
use shared::db::{self, PgPool};
use shared::models::user::{self, Role};
use tokio_util::sync::CancellationToken;

use crm_queue::runtime::{self, AppCtx};

/// Worker process of the CRM job platform, and its admin commands.
#[derive(Debug, Parser)]
#[command(name = "workers", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the workers of every configured queue and the scheduler (the default).
    Run,
    /// Apply pending database migrations.
    Migrate,
    /// Create a user; prints a generated password once unless --password-stdin is given.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: Role,
        #[arg(long)]
        team: Option<String>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set an active user's password (generated and printed once unless --password-stdin is given); every
    /// API token and dashboard session of the user is revoked.
    SetPassword {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Create the first admin if there is none; prints its credentials once.
    BootstrapAdmin {
        #[arg(long, default_value = "admin@crm.local")]
        email: String,
    },
    /// Enqueue a job from the shell; prints its id.
    Enqueue {
        job: String,
        #[arg(long, default_value = "{}")]
        payload: String,
        /// RFC 3339 time to run at.
        #[arg(long)]
        run_at: Option<chrono::DateTime<chrono::Utc>>,
        #[arg(long)]
        idempotency_key: Option<String>,
    },
    /// Print the cron table with the next fire times.
    Schedules,
    /// Restore a backup into the empty database named by the `RESTORE_DATABASE_URL` variable (kept out of
    /// the command line, which other users can read), then replay the erasure ledger on it so that no
    /// erased person comes back. Prints the outcome as JSON.
    Restore {
        /// The backup's id (default: the newest that succeeded).
        #[arg(long)]
        backup_id: Option<i64>,
    },
    /// Analyse emails offline: `workers analyze FILE.eml...` or `workers analyze --text` (JSON lines on
    /// stdin). Needs no database, Redis or network.
    #[command(disable_help_flag = true)]
    Analyze {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Print the RFC 5256 `THREAD REFERENCES` answer for the messages of an mbox file (no database needed).
    Thread { mbox: std::path::PathBuf },
    /// Score the analyser over an evaluation folder (default `../shared/eval`).
    Eval {
        #[arg(default_value = "../shared/eval")]
        dir: std::path::PathBuf,
        /// Also write a tuning report (confusion matrix, masked errors) to this Markdown file.
        #[arg(long)]
        report: Option<std::path::PathBuf>,
    },
}

/// Runs the CLI; returns the process exit code.
pub async fn main(cli: Cli) -> i32 {
    let env = EnvSource::process();
    let result = match cli.command.unwrap_or(Command::Run) {
        Command::Analyze { args } => {
            let stdin = std::io::stdin();
            return intel::cli::run(&args, stdin.lock(), std::io::stdout().lock());
        }
        Command::Thread { mbox } => {
            return mail::cli::thread_command(&mbox, std::io::stdout().lock());
        }
        Command::Eval { dir, report } => match intel::eval::run(&dir, std::io::stdout().lock()) {
            Ok(rep) => {
                let Some(path) = report else { return 0 };
                match std::fs::File::create(&path)
                    .and_then(|mut f| intel::eval::report::write(&rep, &mut f))
                {
                    Ok(()) => return 0,
                    Err(e) => Err(anyhow::Error::new(e).context("writing the eval report")),
                }
            }
            Err(e) => Err(e),
        },
        Command::Run => run_workers(&env).await,
        Command::Migrate => migrate(&env).await,
        Command::CreateUser {
            email,
            role,
            team,
            password_stdin,
        } => create_user(&env, email, role, team, password_stdin).await,
        Command::SetPassword {
            email,
            password_stdin,
        } => set_password(&env, email, password_stdin).await,
        Command::BootstrapAdmin { email } => bootstrap_admin(&env, email).await,
        Command::Enqueue {
            job,
            payload,
            run_at,
            idempotency_key,
        } => enqueue(&env, job, payload, run_at, idempotency_key).await,
        Command::Schedules => schedules(&env),
        Command::Restore { backup_id } => restore(&env, backup_id).await,
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            if let Some(ce) = e.downcast_ref::<ConfigError>() {
                eprintln!("configuration error: {ce}");
                2
            } else {
                eprintln!("error: {e:#}");
                1
            }
        }
    }
}

fn pool_from_env(env: &EnvSource, size: u32) -> anyhow::Result<PgPool> {
    let url = env.url("DATABASE_URL", &["postgres", "postgresql"])?;
    Ok(db::build_pool(url.expose_secret(), size)?)
}

async fn migrate(env: &EnvSource) -> anyhow::Result<()> {
    let pool = pool_from_env(env, 1)?;
    let applied = db::run_blocking(&pool, db::run_migrations).await?;
    if applied.is_empty() {
        println!("migrations: up to date");
    }
    for m in applied {
        println!("applied {m}");
    }
    Ok(())
}

/// The password of `create-user` and `set-password`: read from stdin (without its line ending), or
/// generated (then printed once); at least 12 characters.
fn new_password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    let (password, generated) = if from_stdin {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        (s.trim_end_matches(['\n', '\r']).to_owned(), false)
    } else {
        (user::generate_password(), true)
    };
    anyhow::ensure!(
        password.len() >= 12,
        "password must be at least 12 characters"
    );
    Ok((password, generated))
}

async fn create_user(
    env: &EnvSource,
    email: String,
    role: Role,
    team: Option<String>,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let pool = pool_from_env(env, 1)?;
    let (password, generated) = new_password(password_stdin)?;
    let created = db::run_blocking(&pool, move |c| {
        let team_id = match team {
            Some(name) => Some(shared::models::team::find_or_create_team(c, &name)?.id),
            None => None,
        };
        user::create_user(c, &email, &password, role, team_id).map(|u| (u, password))
    })
    .await?;
    println!("created user id={} role={}", created.0.id, role);
    if generated {
        println!("PASSWORD={}", created.1);
    }
    Ok(())
}

async fn set_password(env: &EnvSource, email: String, password_stdin: bool) -> anyhow::Result<()> {
    let pool = pool_from_env(env, 1)?;
    let (password, generated) = new_password(password_stdin)?;
    let pw = password.clone();
    let changed = db::run_blocking(&pool, move |c| {
        match user::find_active_by_email(c, &email)? {
            Some(found) => user::set_password(c, found.id, &pw).map(|_| Some(found.id)),
            None => Ok(None),
        }
    })
    .await?;
    let id = changed.ok_or_else(|| anyhow::anyhow!("no active user with this email"))?;
    println!("password set for user id={id}; its tokens and sessions are revoked");
    if generated {
        println!("PASSWORD={password}");
    }
    Ok(())
}

async fn bootstrap_admin(env: &EnvSource, email: String) -> anyhow::Result<()> {
    let pool = pool_from_env(env, 1)?;
    let out = db::run_blocking(&pool, move |c| {
        if user::count_admins(c)? > 0 {
            return Ok(None);
        }
        let password = user::generate_password();
        user::create_user(c, &email, &password, Role::Admin, None).map(|_| Some((email, password)))
    })
    .await?;
    match out {
        Some((email, password)) => {
            println!("ADMIN_EMAIL={email}");
            println!("ADMIN_PASSWORD={password}");
            println!("(shown once: store it now)");
        }
        None => println!("admin already exists"),
    }
    Ok(())
}

async fn queue_from_env(env: &EnvSource) -> anyhow::Result<JobQueue> {
    let common = shared::config::CommonConfig::from_env(env)?;
    let conn = shared::redis_conn::connect(&common.redis_target())
        .await
        .context("connecting to Redis")?;
    Ok(JobQueue::new(
        conn,
        Keys::new(common.redis_namespace),
        common.job_record_ttl,
    ))
}

async fn enqueue(
    env: &EnvSource,
    job: String,
    payload: String,
    run_at: Option<chrono::DateTime<chrono::Utc>>,
    idempotency_key: Option<String>,
) -> anyhow::Result<()> {
    let payload: serde_json::Value =
        serde_json::from_str(&payload).context("--payload is not valid JSON")?;
    let queue = queue_from_env(env).await?;
    let out = queue
        .enqueue_json(
            &job,
            payload,
            EnqueueOptions {
                run_at,
                idempotency_key,
                request_id: None,
                // An operator at the shell runs jobs as the platform does.
                actor: shared::permissions::Actor::System,
            },
        )
        .await?;
    println!(
        "{}{}",
        out.job_id,
        if out.duplicate { " (duplicate)" } else { "" }
    );
    Ok(())
}

async fn restore(env: &EnvSource, backup_id: Option<i64>) -> anyhow::Result<()> {
    let config = WorkerConfig::from_env(env)?;
    let target = env.url("RESTORE_DATABASE_URL", &["postgres", "postgresql"])?;
    let database_url = config.common.database_url.expose_secret().to_owned();
    let pool = db::build_pool(&database_url, 1)?;
    let settings = crm_backup::BackupSettings::of(&config, database_url);
    let outcome = crm_backup::restore_into(&settings, &pool, backup_id, target.expose_secret())
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    println!("{}", serde_json::to_string_pretty(&outcome)?);
    Ok(())
}

fn schedules(env: &EnvSource) -> anyhow::Result<()> {
    let tz: chrono_tz::Tz = env.parse_or("SCHEDULER_TIMEZONE", chrono_tz::Europe::Paris)?;
    let table = crm_schedules::ScheduleTable::load(env, tz)?;
    let now = chrono::Utc::now();
    for e in &table.entries {
        let next = if e.enabled {
            e.next_after(now, tz)
                .map(|t| t.with_timezone(&tz).to_rfc3339())
                .unwrap_or_default()
        } else {
            "disabled".into()
        };
        println!(
            "{:<24} {:<18} {:<22} next: {}",
            e.name, e.expression, e.job, next
        );
    }
    Ok(())
}

async fn run_workers(env: &EnvSource) -> anyhow::Result<()> {
    let config = WorkerConfig::from_env(env)?;
    let oauth = shared::config::OAuthConfig::providers_from_env(env)?;
    let mut llm_config = llm::LlmConfig::from_env(|k| env.get(k)).context("LLM configuration")?;
    llm_config.egress = config.common.egress.clone();
    // The cron table is read before anything starts (an invalid entry stops the boot, named).
    let schedule = if config.scheduler.enabled {
        Some(crm_schedules::ScheduleTable::load(
            env,
            config.scheduler.timezone,
        )?)
    } else {
        None
    };
    shared::telemetry::init_tracing(config.common.log_json);
    if let Some(addr) = config.metrics_bind {
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .with_http_listener(addr)
            .install()
            .map_err(|e| anyhow::anyhow!("METRICS_BIND={addr}: {e}"))?;
    }
    let database_url = config.common.database_url.expose_secret().to_owned();
    let db = db::build_pool(&database_url, config.common.database_pool_size)?;
    let conn = shared::redis_conn::connect(&config.common.redis_target())
        .await
        .context("connecting to Redis")?;
    let queue = JobQueue::new(
        conn,
        Keys::new(config.common.redis_namespace.clone()),
        config.common.job_record_ttl,
    );
    if config.common.rgpd.ephemeral_key {
        tracing::warn!(
            "neither RGPD_HASH_KEY nor MAIL_ENCRYPTION_KEY is set: erasure ledger hashes use a per-process key"
        );
    }
    let rgpd = crm_rgpd::RgpdEnv {
        pool: db.clone(),
        config: config.common.rgpd.clone(),
        redis: Some(queue.connection()),
        cache_patterns: vec![
            format!("{}:*", config.common.redis_namespace),
            format!("{}*", llm_config.cache.prefix),
        ],
    };
    let webhooks = crm_webhooks::WebhookEnv {
        pool: db.clone(),
        secrets: config.mail.secrets.clone(),
        http: crm_webhooks::WebhookEnv::http_client(&config.common.egress)
            .context("building the webhook HTTP client")?,
        config: config.common.webhooks,
    };
    let mail_out = crm_mailer::SmtpConfig::from_env(env)?.map(|smtp| {
        Arc::new(crate::jobs::notify::MailOut {
            smtp,
            link_base: env
                .get("NOTIFY_LINK_BASE_URL")
                .filter(|v| !v.trim().is_empty()),
        })
    });
    let campaigns = crm_campaigns::send::CampaignEnv::new(
        db.clone(),
        crm_mailer::SmtpConfig::from_env(env)?,
        crm_mailer::dkim::DkimSigner::from_env(env)?.map(Arc::new),
        config.common.campaigns.clone(),
        config.common.rgpd.hasher.clone(),
        config.common.egress.clone(),
    );
    let services = crate::jobs::Services {
        analyzer: Arc::new(llm::Analyzer::cached(llm_config, queue.connection())),
        rgpd,
        webhooks,
        mail_out,
        campaigns,
    };
    let mut companions: Vec<runtime::Companion> = Vec::new();
    {
        // Every process relays the events outbox; SKIP LOCKED gives each batch to one of them.
        let relay = crm_events::RelayEnv {
            pool: db.clone(),
            queue: queue.clone(),
        };
        companions.push(Box::new(move |_worker_id, stop| {
            crm_events::run(relay, stop).boxed()
        }));
    }
    if let Some(table) = schedule {
        let (queue, lease) = (queue.clone(), config.scheduler.lease);
        companions.push(Box::new(move |worker_id, stop| {
            crm_schedules::Runner::new(queue, table, lease, worker_id)
                .run(stop)
                .boxed()
        }));
    }
    let app = Arc::new(AppCtx {
        config,
        oauth,
        db,
        queue,
        database_url,
    });
    let shutdown = CancellationToken::new();
    tokio::spawn(wait_for_signal(shutdown.clone()));
    runtime::run(app, crate::jobs::registry(&services), companions, shutdown).await
}

async fn wait_for_signal(token: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot install signal handlers");
        return;
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM received"),
        _ = int.recv() => tracing::info!("SIGINT received"),
    }
    token.cancel();
}
