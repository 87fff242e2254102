//! The operator dashboard: its page (`GET /dashboard`) and its JSON endpoints under `/api/v1/dashboard`.
//! Reads need a session (viewer and above); actions need a manager or admin and the session's CSRF token,
//! and are written to the audit log.

pub mod autofill;
pub mod dead_list;
pub mod dead_retry_all;
pub mod history;
pub mod job_action;
pub mod job_events;
pub mod job_show;
pub mod malformed;
pub mod me;
pub mod overview;
pub mod page;
pub mod queue_jobs;
pub mod queue_pause;
pub mod rate_limits;
pub mod run_form;
pub mod run_job;
pub mod schedule_run;
pub mod schedule_toggle;
pub mod schedules_list;
pub mod session_create;
pub mod session_delete;
pub mod workers;

use actix_web::web;
use shared::jobs::{JobSpec, Queue};
use shared::models::user::Role;

use crate::audit;
use crate::dashboard::DashUser;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::state::AppState;

/// Registers the page, its assets and the JSON endpoints (called from `routes::configure`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard", web::get().to(page::index))
        .route("/dashboard/", web::get().to(page::index))
        .route("/dashboard/assets/{file}", web::get().to(page::asset))
        .service(
            web::scope("/api/v1/dashboard")
                .route("/session", web::post().to(session_create::create))
                .route("/session", web::delete().to(session_delete::delete))
                .route("/me", web::get().to(me::me))
                .route("/overview", web::get().to(overview::overview))
                .route("/queues/{queue}/jobs", web::get().to(queue_jobs::list))
                .route("/queues/{queue}/pause", web::post().to(queue_pause::pause))
                .route(
                    "/queues/{queue}/resume",
                    web::post().to(queue_pause::resume),
                )
                .route("/jobs/{id}", web::get().to(job_show::show))
                .route("/jobs/{id}/events", web::get().to(job_events::events))
                .route("/jobs/{id}", web::delete().to(job_action::delete))
                .route("/jobs/{id}/retry", web::post().to(job_action::retry))
                .route("/jobs/{id}/cancel", web::post().to(job_action::cancel))
                .route("/dead", web::get().to(dead_list::list))
                .route("/dead/retry-all", web::post().to(dead_retry_all::retry_all))
                .route("/malformed", web::get().to(malformed::list))
                .route(
                    "/malformed/{queue}/{task_id}",
                    web::delete().to(malformed::discard),
                )
                .route("/history", web::get().to(history::list))
                .route("/workers", web::get().to(workers::list))
                .route("/rate-limits", web::get().to(rate_limits::list))
                .route("/autofill", web::get().to(autofill::overview))
                .route("/autofill/{id}/approve", web::post().to(autofill::approve))
                .route("/autofill/{id}/reject", web::post().to(autofill::reject))
                .route("/schedules", web::get().to(schedules_list::list))
                .route("/schedules/{name}/run", web::post().to(schedule_run::run))
                .route(
                    "/schedules/{name}/enable",
                    web::post().to(schedule_toggle::enable),
                )
                .route(
                    "/schedules/{name}/disable",
                    web::post().to(schedule_toggle::disable),
                )
                .route("/run", web::get().to(run_form::form))
                .route("/run", web::post().to(run_job::run))
                .default_service(web::to(super::not_found)),
        );
}

/// Parses a queue name from the path, 404 `unknown_queue` otherwise.
pub(crate) fn parse_queue(raw: &str) -> Result<Queue, ApiError> {
    raw.parse().map_err(|e: String| ApiError::NotFound {
        code: "unknown_queue",
        message: e.chars().take(200).collect(),
    })
}

/// Refuses unless the user may act and may run `spec` (its catalogue `run_role`, e.g. admin for `maint.*`).
pub(crate) fn require_runner(user: &DashUser, spec: &JobSpec) -> Result<(), ApiError> {
    user.require_operator()?;
    if spec.run_role.at_least(Role::Manager) {
        user.require(spec.run_role)
    } else {
        Ok(())
    }
}

/// Writes the audit entry of a dashboard action.
pub(crate) async fn audit_action(
    state: &AppState,
    user: &DashUser,
    request_id: &RequestId,
    action: &'static str,
    target_type: &'static str,
    target_id: String,
    details: serde_json::Value,
) {
    audit::record(
        state,
        audit::Entry {
            actor: user.id,
            action,
            target_type,
            target_id,
            details,
            request_id,
        },
    )
    .await;
}
