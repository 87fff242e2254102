use actix_web::{HttpResponse, web};
use serde::Serialize;
use shared::jobs::catalogue;
use shared::models::user::Role;

use crate::dashboard::DashUser;
use crate::state::AppState;

/// A job the user may start from the run form.
#[derive(Serialize)]
pub struct RunnableJob {
    pub name: &'static str,
    pub queue: &'static str,
    pub description: &'static str,
    pub max_attempts: u32,
    pub run_role: &'static str,
}

/// `GET /api/v1/dashboard/run`: the catalogue jobs the user may run (none for viewers and users; the
/// admin-only ones such as `maint.*` for admins only).
pub async fn form(_state: web::Data<AppState>, user: DashUser) -> HttpResponse {
    let jobs: Vec<RunnableJob> = if user.can_act() {
        catalogue::all()
            .iter()
            .filter(|spec| user.role.at_least(spec.run_role) && user.role.at_least(Role::Manager))
            .map(|spec| RunnableJob {
                name: spec.name,
                queue: spec.queue.as_str(),
                description: spec.description,
                max_attempts: spec.policy.max_attempts,
                run_role: spec.run_role.as_str(),
            })
            .collect()
    } else {
        Vec::new()
    };
    HttpResponse::Ok().json(jobs)
}
