use actix_web::{HttpResponse, web};
use serde::Serialize;
use shared::db::run_blocking;
use shared::models::ai_preference;

use crate::audit;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Forgotten {
    pub deleted: usize,
}

/// Deletes every choice the caller made (their right to erasure); audited with the count only.
#[utoipa::path(
    delete,
    path = "/api/v1/ai/learning/preferences",
    tag = "autofill",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Deleted", body = Forgotten),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
    )
)]
pub async fn forget(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
) -> Result<HttpResponse, ApiError> {
    let id = user.id;
    let deleted = run_blocking(&state.pool, move |conn| ai_preference::delete_of(conn, id)).await?;
    audit::record(
        &state,
        audit::Entry {
            actor: user.id,
            action: "ai.preferences_deleted",
            target_type: "user",
            target_id: user.id.to_string(),
            details: serde_json::json!({ "deleted": deleted }),
            request_id: &request_id,
        },
    )
    .await;
    Ok(HttpResponse::Ok().json(Forgotten { deleted }))
}
