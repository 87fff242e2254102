//! Every route, one handler per file (`routes/<resource>/<action>.rs`).

pub mod ai;
pub mod auth;
pub mod autofill;
pub mod campaigns;
pub mod dashboard;
pub mod email_accounts;
pub mod enrichment;
pub mod health;
pub mod intelligence;
pub mod interactions;
pub mod jobs;
pub mod mail_templates;
pub mod metrics;
pub mod notifications;
pub mod oauth;
pub mod openapi;
pub(crate) mod owned;
pub mod rgpd;
pub mod routing_rules;
pub mod schedules;
pub mod segments;
pub mod suppressions;
pub mod webhooks;

use actix_web::{HttpResponse, web};

use crate::error::ApiError;

/// Registers every route. Literal paths (`/jobs/dead`, `/jobs/catalogue`) come before `/jobs/{id}`, which
/// would otherwise capture them. `monitoring`: also serve `/metrics` and `/api/v1/health/detailed`, to admins
/// only (when `API_METRICS_BIND` is unset; otherwise they live on that bind alone).
pub fn configure(cfg: &mut web::ServiceConfig, monitoring: bool) {
    if monitoring {
        cfg.route("/metrics", web::get().to(metrics::render_for_admin));
    }
    cfg.configure(dashboard::configure).service(
        web::scope("/api/v1")
            .wrap(actix_web::middleware::from_fn(
                crate::middleware::viewer_read_only,
            ))
            .route("/health", web::get().to(health::live::live))
            .configure(|cfg| {
                if monitoring {
                    cfg.route(
                        "/health/detailed",
                        web::get().to(health::detailed::detailed_for_admin),
                    );
                }
            })
            .route("/openapi.json", web::get().to(openapi::document))
            .route("/auth/login", web::post().to(auth::login::login))
            .route("/auth/logout", web::post().to(auth::logout::logout))
            .route("/auth/password", web::post().to(auth::password::change))
            .route("/jobs", web::post().to(jobs::create::create))
            .route("/jobs/dead", web::get().to(jobs::dead::list_dead))
            .route("/jobs/catalogue", web::get().to(jobs::catalogue::catalogue))
            .route("/jobs/{id}", web::get().to(jobs::show::show))
            .route("/jobs/{id}/events", web::get().to(jobs::events::events))
            .route("/jobs/{id}/requeue", web::post().to(jobs::requeue::requeue))
            .route("/analyze", web::post().to(intelligence::analyze::analyze))
            .route(
                "/intelligence/stats",
                web::get().to(intelligence::stats::stats),
            )
            .route(
                "/interactions/{id}/analysis",
                web::get().to(interactions::analysis::show),
            )
            .route("/schedules", web::get().to(schedules::list::list))
            .route("/schedules/{name}/run", web::post().to(schedules::run::run))
            .configure(autofill::configure)
            .configure(routing_rules::configure)
            .configure(ai::configure)
            .route(
                "/enrichment/organisation",
                web::post().to(enrichment::organisation::enrich),
            )
            .configure(rgpd::configure)
            .configure(webhooks::configure)
            .configure(notifications::configure)
            .configure(email_accounts::configure)
            .configure(oauth::configure)
            .configure(mail_templates::configure)
            .configure(segments::configure)
            .configure(campaigns::configure)
            .configure(suppressions::configure),
    );
}

/// The routes of the `API_METRICS_BIND` listener, unauthenticated: `/metrics` and
/// `/api/v1/health/detailed`.
pub fn configure_monitoring(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(metrics::render)).route(
        "/api/v1/health/detailed",
        web::get().to(health::detailed::detailed),
    );
}

/// Answer for paths no route matches, in the API's error shape.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found("no such endpoint"))
}
