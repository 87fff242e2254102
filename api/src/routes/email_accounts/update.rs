use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::db::run_blocking;
use shared::models::email_account as accounts;

use super::{EmailAccountView, visible_account};
use crate::audit;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::middleware::RequestId;
use crate::state::AppState;

/// What to change; absent fields stay as they are.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEmailAccountRequest {
    /// False stops the periodic sync (the account and its emails stay).
    #[serde(default)]
    pub active: Option<bool>,
    /// Folders to sync (1 to 100 names of at most 200 bytes, no control characters).
    #[serde(default)]
    pub folders: Option<Vec<String>>,
}

/// Enables or disables an account's sync, or changes its folders (owner or admin).
#[utoipa::path(
    patch,
    path = "/api/v1/email-accounts/{id}",
    tag = "email-accounts",
    params(("id" = i64, Path, description = "Email account id")),
    request_body = UpdateEmailAccountRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated account", body = EmailAccountView),
        (status = 400, description = "Invalid field", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "A viewer (read-only)", body = crate::error::ErrorBody),
        (status = 404, description = "No such account, or another user's", body = crate::error::ErrorBody),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    id: web::Path<i64>,
    body: JsonBody<UpdateEmailAccountRequest>,
) -> Result<HttpResponse, ApiError> {
    let req = body.into_inner();
    if let Some(folders) = &req.folders {
        crm_mailbox::accounts::check_folder_names(folders).map_err(|reason| {
            ApiError::invalid_field("folders", format!("invalid `folders`: {reason}"))
        })?;
    }
    let account = visible_account(&state, &user, id.into_inner()).await?;
    let account_id = account.id;
    let UpdateEmailAccountRequest { active, folders } = req;
    let changed = serde_json::json!({ "active": active, "folders": folders.is_some() });
    let updated = run_blocking(&state.pool, move |c| {
        if let Some(active) = active {
            accounts::set_active(c, account_id, active)?;
        }
        if let Some(folders) = &folders {
            accounts::set_folders(c, account_id, folders)?;
        }
        accounts::find_account(c, account_id)
    })
    .await?
    .ok_or_else(|| ApiError::not_found(format!("email account {account_id} not found")))?;
    audit::record(
        &state,
        audit::Entry {
            actor: user.id,
            action: "email_account.update",
            target_type: "email_account",
            target_id: account_id.to_string(),
            details: changed,
            request_id: &request_id,
        },
    )
    .await;
    Ok(HttpResponse::Ok().json(EmailAccountView::from(updated)))
}
