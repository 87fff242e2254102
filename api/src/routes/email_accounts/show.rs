use actix_web::{HttpResponse, web};

use super::{EmailAccountView, visible_account};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// One email account (its owner or an admin).
#[utoipa::path(
    get,
    path = "/api/v1/email-accounts/{id}",
    tag = "email-accounts",
    params(("id" = i64, Path, description = "Email account id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account, without secret", body = EmailAccountView),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 404, description = "No such account, or another user's", body = crate::error::ErrorBody),
    )
)]
pub async fn show(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let account = visible_account(&state, &user, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(EmailAccountView::from(account)))
}
