use actix_web::{HttpResponse, web};
use serde::Serialize;
use shared::db::run_blocking;
use shared::jobs::Queue;
use shared::models::user::{Role, find_user};

use crate::dashboard::DashUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Who is signed in, what they may do, and the session's CSRF token.
#[derive(Serialize)]
pub struct Me {
    pub user_id: i64,
    pub email: String,
    pub role: String,
    /// Manager or admin: may retry, cancel, delete, pause, resume and run schedules.
    pub can_act: bool,
    pub is_admin: bool,
    /// Send as `X-CSRF-Token` on every state-changing dashboard request.
    pub csrf_token: String,
    /// Every queue, in the platform's order.
    pub queues: Vec<&'static str>,
}

/// `GET /api/v1/dashboard/me`.
pub async fn me(state: web::Data<AppState>, user: DashUser) -> Result<HttpResponse, ApiError> {
    let id = user.id;
    let email = run_blocking(&state.pool, move |conn| find_user(conn, id))
        .await?
        .map(|u| u.email)
        .unwrap_or_default();
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(Me {
            user_id: user.id.0,
            email,
            role: user.role.to_string(),
            can_act: user.can_act(),
            is_admin: user.role.at_least(Role::Admin),
            csrf_token: user.csrf.clone(),
            queues: Queue::ALL.iter().map(|q| q.as_str()).collect(),
        }))
}
