use actix_web::{HttpResponse, web};
use crm_campaigns::template;
use serde::Serialize;
use shared::db::run_blocking;
use shared::models::campaign::{self as model, MailTemplateId, TemplateFields};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// A template rendered with sample values.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Preview {
    pub subject: String,
    /// With the CSS inlined, as sent.
    pub html: String,
    /// The text part, written or generated from the HTML.
    pub text: String,
}

/// Renders a mail template with fixed sample values (a fictitious person and organisation, never a real
/// person's data), as a recipient would receive it.
#[utoipa::path(
    post,
    path = "/api/v1/mail-templates/{id}/preview",
    tag = "campaigns",
    params(("id" = i64, Path, description = "Template id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The rendered parts", body = Preview),
        (status = 400, description = "The stored template does not render; `field` names the part", body = crate::error::ErrorBody),
        (status = 403, description = "A viewer (read-only)", body = crate::error::ErrorBody),
        (status = 404, description = "No such template", body = crate::error::ErrorBody),
    )
)]
pub async fn preview(
    state: web::Data<AppState>,
    _user: AuthUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = MailTemplateId(id.into_inner());
    let found = run_blocking(&state.pool, move |c| model::find_template(c, id))
        .await?
        .ok_or_else(|| super::not_found(id))?;
    let fields = TemplateFields {
        name: found.name,
        subject: found.subject,
        html: found.html,
        text_body: found.text_body,
    };
    let rendered =
        web::block(move || template::render(&super::source(&fields), &template::sample_context()))
            .await
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("template preview: {e}")))?
            .map_err(|e| ApiError::invalid_field(e.part(), e.to_string()))?;
    Ok(HttpResponse::Ok().json(Preview {
        subject: rendered.subject,
        html: rendered.html,
        text: rendered.text,
    }))
}
