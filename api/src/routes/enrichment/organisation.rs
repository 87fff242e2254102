use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::middleware::RequestId;
use crate::routes::jobs::create::{RunJobResponse, run_named};
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrichRequest {
    pub organisation_id: i64,
}

/// Enriches an organisation from the web now (users and above): enqueues `enrich.organisation`, which
/// starts through the `serpapi` rate-limit bucket; a second request the same day returns the first job.
/// Its findings become suggestions (`/api/v1/autofill/suggestions?entity_type=organisation`).
#[utoipa::path(
    post,
    path = "/api/v1/enrichment/organisation",
    tag = "autofill",
    request_body = EnrichRequest,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Enqueued (or the day's earlier job: `duplicate`)", body = RunJobResponse),
        (status = 400, description = "Missing or bad `organisation_id`", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "A viewer (read-only)", body = crate::error::ErrorBody),
        (status = 404, description = "No such organisation", body = crate::error::ErrorBody),
    )
)]
pub async fn enrich(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    body: JsonBody<EnrichRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = body.into_inner().organisation_id;
    if id <= 0 {
        return Err(ApiError::invalid_field(
            "organisation_id",
            "organisation_id must be positive",
        ));
    }
    let payload = serde_json::json!({ "organisation_id": id });
    let answer = run_named(&state, &user, &request_id, "enrich.organisation", payload).await?;
    crate::access_log::note(
        &req,
        shared::models::access_log::EntityType::Organisation,
        Some(id),
        None,
    );
    Ok(answer)
}
