//! HTTP API of the CRM job platform (actix-web): authentication, rate limits, run-now and job lookup,
//! dead letters, schedules, health, metrics and the OpenAPI document.
//!
//! Tests build the app from [`app_config`] and [`build_state`] (with `actix_web::test` or a real server);
//! the `api` binary calls [`run`].

pub mod access_log;
pub mod audit;
pub mod auth;
pub mod dashboard;
pub mod error;
pub mod extract;
pub mod health;
pub mod live;
pub mod middleware;
pub mod openapi;
pub mod rate_limit;
pub mod routes;
pub mod settings;
pub mod sse;
pub mod state;
pub mod telemetry;
pub mod test_logins;

use std::io;
use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use shared::db::{run_blocking, run_migrations};

pub use error::ApiError;
pub use settings::{Settings, SettingsError};
pub use state::{AppState, build_state};

/// How long in-flight requests may take to finish after SIGTERM/SIGINT.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Registers the state, the extractor limits and error handlers, the middleware and every route.
/// Use as `App::new().configure(app_config(state))`. With `API_METRICS_BIND` set, `/metrics` and
/// `/api/v1/health/detailed` are left to [`metrics_app_config`]; otherwise they are served here to admins.
pub fn app_config(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let limit = state.config.max_body_bytes;
        let separate_metrics = state.config.metrics_bind.is_some();
        cfg.app_data(web::Data::new(state))
            .app_data(
                web::JsonConfig::default()
                    .limit(limit)
                    .error_handler(error::json_config_error(limit)),
            )
            .app_data(web::PayloadConfig::new(limit))
            .app_data(web::PathConfig::default().error_handler(error::path_config_error))
            .app_data(web::QueryConfig::default().error_handler(error::query_config_error))
            .service(
                // An empty scope, so the middleware also wraps the JSON 404 of unknown paths.
                web::scope("")
                    .wrap(actix_web::middleware::from_fn(access_log::record))
                    .wrap(actix_web::middleware::from_fn(middleware::guard_input))
                    .wrap(actix_web::middleware::from_fn(middleware::observe))
                    .configure(|cfg| routes::configure(cfg, !separate_metrics))
                    .default_service(web::to(routes::not_found)),
            );
    }
}

/// The app of the `API_METRICS_BIND` listener: `/metrics` and `/api/v1/health/detailed`, without
/// authentication (the bind is meant for the monitoring network only), and a JSON 404 for anything else.
pub fn metrics_app_config(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::new(state)).service(
            web::scope("")
                .wrap(actix_web::middleware::from_fn(middleware::observe))
                .configure(routes::configure_monitoring)
                .default_service(web::to(routes::not_found)),
        );
    }
}

/// Longest time to receive a request's head, whatever `HTTP_REQUEST_TIMEOUT_SECS` says (actix's default):
/// a head is small, only a body may legitimately take longer.
const MAX_HEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// The API's HTTP server on `listener`: the app of [`app_config`] with the connection limits of the
/// settings (the request head must arrive within `HTTP_REQUEST_TIMEOUT_SECS` but at most 5 s, and its body
/// within `HTTP_REQUEST_TIMEOUT_SECS` of the head, see `middleware::guard_input`). Not yet running: spawn
/// or await [`Server`].
pub fn api_server(state: AppState, listener: TcpListener) -> io::Result<Server> {
    let timeout = state.config.request_timeout.min(MAX_HEAD_TIMEOUT);
    Ok(
        HttpServer::new(move || App::new().configure(app_config(state.clone())))
            .client_request_timeout(timeout)
            .client_disconnect_timeout(Duration::from_secs(1))
            .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
            .listen(listener)?
            .run(),
    )
}

/// The monitoring server on `listener` (`API_METRICS_BIND`): the app of [`metrics_app_config`].
pub fn metrics_server(state: AppState, listener: TcpListener) -> io::Result<Server> {
    let timeout = state.config.request_timeout.min(MAX_HEAD_TIMEOUT);
    Ok(
        HttpServer::new(move || App::new().configure(metrics_app_config(state.clone())))
            .workers(1)
            .client_request_timeout(timeout)
            .client_disconnect_timeout(Duration::from_secs(1))
            .shutdown_timeout(5)
            .listen(listener)?
            .run(),
    )
}

/// Runs the API until SIGTERM or SIGINT: builds the state, applies pending migrations when
/// `RUN_MIGRATIONS`, serves on `API_BIND` (and the monitoring routes on `API_METRICS_BIND` when set) and
/// lets in-flight requests finish (up to 30 s).
pub async fn run(settings: Settings) -> io::Result<()> {
    let bind = settings.api.bind;
    let metrics_bind = settings.api.metrics_bind;
    let migrate = settings.api.run_migrations;
    let public_url = settings.api.public_url.clone();
    let state = build_state(settings)
        .await
        .map_err(|e| io::Error::other(format!("{e:#}")))?;
    if migrate {
        let applied = run_blocking(&state.pool, run_migrations)
            .await
            .map_err(|e| io::Error::other(format!("running migrations: {e}")))?;
        for name in &applied {
            tracing::info!(migration = %name, "migration applied");
        }
    }
    let listener = TcpListener::bind(bind)
        .map_err(|e| io::Error::new(e.kind(), format!("API_BIND={bind}: {e}")))?;
    let monitoring = match metrics_bind {
        Some(addr) => {
            let l = TcpListener::bind(addr)
                .map_err(|e| io::Error::new(e.kind(), format!("API_METRICS_BIND={addr}: {e}")))?;
            tracing::info!(bind = %addr, "metrics and detailed health listening");
            Some(metrics_server(state.clone(), l)?)
        }
        None => None,
    };
    let access_log = state.access_log.clone();
    let server = api_server(state, listener)?;
    tracing::info!(bind = %bind, url = %public_url, "API listening");
    // actix handles SIGTERM and SIGINT: each server stops accepting, then waits for in-flight requests.
    match monitoring {
        Some(m) => {
            futures::future::try_join(server, m).await?;
        }
        None => server.await?,
    }
    // In-flight requests are done: store the access-log entries they left.
    access_log.flush().await;
    tracing::info!("API stopped");
    Ok(())
}
