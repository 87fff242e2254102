use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::campaign::{self as model, MailTemplate, MailTemplateId};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// A mail template with its bodies (every signed-in user).
#[utoipa::path(
    get,
    path = "/api/v1/mail-templates/{id}",
    tag = "campaigns",
    params(("id" = i64, Path, description = "Template id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The template", body = MailTemplate),
        (status = 404, description = "No such template", body = crate::error::ErrorBody),
    )
)]
pub async fn show(
    state: web::Data<AppState>,
    _user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = MailTemplateId(id.into_inner());
    let template = run_blocking(&state.pool, move |c| model::find_template(c, id))
        .await?
        .ok_or_else(|| super::not_found(id))?;
    Ok(HttpResponse::Ok().json(template))
}
