use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::email_account as accounts;

use super::visible_account;
use crate::audit;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::state::AppState;

/// Deletes an account and its sync state (owner or admin): no further sync; the stored emails stay, under
/// the retention rules.
#[utoipa::path(
    delete,
    path = "/api/v1/email-accounts/{id}",
    tag = "email-accounts",
    params(("id" = i64, Path, description = "Email account id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "A viewer (read-only)", body = crate::error::ErrorBody),
        (status = 404, description = "No such account, or another user's", body = crate::error::ErrorBody),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let account = visible_account(&state, &user, id.into_inner()).await?;
    let account_id = account.id;
    run_blocking(&state.pool, move |c| {
        accounts::delete_account(c, account_id)
    })
    .await?;
    tracing::info!(account.id = account_id.0, "email account deleted");
    audit::record(
        &state,
        audit::Entry {
            actor: user.id,
            action: "email_account.delete",
            target_type: "email_account",
            target_id: account_id.to_string(),
            details: serde_json::json!({ "provider": account.provider.as_str() }),
            request_id: &request_id,
        },
    )
    .await;
    Ok(HttpResponse::NoContent().finish())
}
