use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::campaign::{self as model, MailTemplate, MailTemplateId};

use super::TemplateInput;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::AppState;

/// Replaces a mail template (its owner, managers and admins), checked as at creation. Campaigns already
/// sending use the new version for the messages not sent yet.
#[utoipa::path(
    put,
    path = "/api/v1/mail-templates/{id}",
    tag = "campaigns",
    params(("id" = i64, Path, description = "Template id")),
    request_body = TemplateInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The template as changed", body = MailTemplate),
        (status = 400, description = "A field is invalid; `field` names it", body = crate::error::ErrorBody),
        (status = 403, description = "Not the owner, a manager or an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such template", body = crate::error::ErrorBody),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: JsonBody<TemplateInput>,
) -> Result<HttpResponse, ApiError> {
    let id = MailTemplateId(id.into_inner());
    super::writable(&state, &user, id).await?;
    let fields = body.into_inner().check().await?;
    let updated = run_blocking(&state.pool, move |c| model::update_template(c, id, &fields))
        .await?
        .ok_or_else(|| super::not_found(id))?;
    Ok(HttpResponse::Ok().json(updated))
}
