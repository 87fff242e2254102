//! HTTP API of the CRM job platform (actix-web): authentication, rate limits, run-now and job lookup,
//! dead letters, schedules, health, metrics and the OpenAPI document.
//!
//! Tests build the app from [`app_config`] and [`build_state`] (with `actix_web::test` or a real server);
//! the `api` binary calls [`run`].

pub mod audit;
pub mod auth;
pub mod dashboard;
pub mod error;
pub mod extract;
pub mod health;
pub mod middleware;
pub mod openapi;
pub mod rate_limit;
pub mod routes;
pub mod settings;
pub mod state;
pub mod telemetry;
pub mod test_logins;

use std::io;
use std::time::Duration;

use actix_web::{App, HttpServer, web};
use shared::db::{run_blocking, run_migrations};

pub use error::ApiError;
pub use settings::{Settings, SettingsError};
pub use state::{AppState, build_state};

/// How long in-flight requests may take to finish after SIGTERM/SIGINT.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Registers the state, the extractor limits and error handlers, the middleware and every route.
/// Use as `App::new().configure(app_config(state))`.
pub fn app_config(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let limit = state.config.max_body_bytes;
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
                    .wrap(actix_web::middleware::from_fn(middleware::observe))
                    .configure(routes::configure)
                    .default_service(web::to(routes::not_found)),
            );
    }
}

/// Runs the API until SIGTERM or SIGINT: builds the state, applies pending migrations when
/// `RUN_MIGRATIONS`, serves on `API_BIND` and lets in-flight requests finish (up to 30 s).
pub async fn run(settings: Settings) -> io::Result<()> {
    let bind = settings.api.bind;
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
    let server = HttpServer::new(move || App::new().configure(app_config(state.clone())))
        .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
        .bind(bind)?;
    tracing::info!(bind = %bind, url = %public_url, "API listening");
    // actix handles SIGTERM and SIGINT: it stops accepting, then waits for in-flight requests.
    server.run().await?;
    tracing::info!("API stopped");
    Ok(())
}
