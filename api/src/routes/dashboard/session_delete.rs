use actix_web::{HttpRequest, HttpResponse, web};

use crate::dashboard::{DashUser, session};
use crate::error::ApiError;
use crate::state::AppState;

/// `DELETE /api/v1/dashboard/session`: signs out (CSRF token required) and clears the cookie.
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: DashUser,
) -> Result<HttpResponse, ApiError> {
    session::destroy(&state, &user.token).await?;
    tracing::info!(user.id = user.id.0, "dashboard logout");
    Ok(HttpResponse::NoContent()
        .cookie(session::removal_cookie(&state, &req))
        .finish())
}
