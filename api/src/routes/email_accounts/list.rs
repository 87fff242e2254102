use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::email_account as accounts;
use shared::models::user::Role;

use super::EmailAccountView;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// The caller's email accounts (an admin sees every account), oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/email-accounts",
    tag = "email-accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The accounts, without secrets", body = [EmailAccountView]),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
    )
)]
pub async fn list(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let all = user.role.at_least(Role::Admin);
    let owner = user.id;
    let rows = run_blocking(&state.pool, move |c| {
        if all {
            accounts::list_all(c)
        } else {
            accounts::list_for_owner(c, owner)
        }
    })
    .await?;
    let views: Vec<EmailAccountView> = rows.into_iter().map(EmailAccountView::from).collect();
    Ok(HttpResponse::Ok().json(views))
}
