use actix_web::{HttpResponse, web};
use shared::db::run_blocking;
use shared::models::campaign::{self as model, MailTemplate};
use shared::models::user::Role;

use super::TemplateInput;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::AppState;

/// Creates a mail template owned by the caller. The template is compiled and rendered once with sample
/// values: a syntax error, a variable that does not exist or a limit reached is a 400 naming the part.
#[utoipa::path(
    post,
    path = "/api/v1/mail-templates",
    tag = "campaigns",
    request_body = TemplateInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = MailTemplate),
        (status = 400, description = "A field is invalid (`field` names it: `name`, `subject`, `html` or `text`)", body = crate::error::ErrorBody),
        (status = 403, description = "A viewer (read-only)", body = crate::error::ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<TemplateInput>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::User)?;
    let fields = body.into_inner().check().await?;
    let owner = user.id;
    let created = run_blocking(&state.pool, move |c| {
        model::create_template(c, &fields, owner)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/mail-templates/{}", created.id),
        ))
        .json(created))
}
