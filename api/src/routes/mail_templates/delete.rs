use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::campaign::{self as model, Deletion, MailTemplateId};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Deletes a mail template (its owner, managers and admins) that no campaign step uses.
#[utoipa::path(
    delete,
    path = "/api/v1/mail-templates/{id}",
    tag = "campaigns",
    params(("id" = i64, Path, description = "Template id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not the owner, a manager or an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such template", body = crate::error::ErrorBody),
        (status = 409, description = "A campaign step uses it (`in_use`)", body = crate::error::ErrorBody),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = MailTemplateId(id.into_inner());
    super::writable(&state, &user, id).await?;
    match run_blocking(&state.pool, move |c| model::delete_template(c, id)).await? {
        Deletion::Deleted => Ok(HttpResponse::NoContent().finish()),
        Deletion::NotFound => Err(super::not_found(id)),
        Deletion::InUse => Err(ApiError::Conflict {
            code: "in_use",
            message: format!("mail template {id} is used by a campaign step"),
        }),
    }
}
