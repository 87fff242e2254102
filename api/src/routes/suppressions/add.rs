use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use shared::db::run_blocking;
use shared::models::campaign as model;
use shared::models::user::Role;

use crate::audit;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::middleware::RequestId;
use crate::state::AppState;

/// Why an admin suppresses an address.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ManualReason {
    Manual,
}

/// An address to suppress.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuppressInput {
    /// `local@domain`, at most 320 characters.
    #[schema(min_length = 3, max_length = 320)]
    pub address: String,
    pub reason: ManualReason,
}

/// Where an address stands.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Suppressed {
    /// False when it was already suppressed (its reason is kept).
    pub created: bool,
    /// `unsubscribed`, `hard_bounce`, `soft_bounces`, `complaint` or `manual`.
    pub reason: String,
}

/// Suppresses an address by hand (admins): campaigns never mail it again until it is lifted. Only its
/// keyed hash is stored; audited without the address.
#[utoipa::path(
    post,
    path = "/api/v1/suppressions",
    tag = "campaigns",
    request_body = SuppressInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Suppressed", body = Suppressed),
        (status = 200, description = "Already suppressed", body = Suppressed),
        (status = 400, description = "`address` or `reason` is invalid", body = crate::error::ErrorBody),
        (status = 403, description = "Not an admin", body = crate::error::ErrorBody),
    )
)]
pub async fn add(
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    body: JsonBody<SuppressInput>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let hash = super::hash_of(&state, &body.address)?;
    let h = hash.clone();
    let (created, reason) = run_blocking(&state.pool, move |c| {
        let created = model::suppress_manually(c, &h)?;
        let reason = model::suppression_reason(c, &h)?.unwrap_or_else(|| "manual".into());
        Ok((created, reason))
    })
    .await?;
    if created {
        audit::record(
            &state,
            audit::Entry {
                actor: user.id,
                action: "suppression.add",
                target_type: "email_suppression",
                target_id: hash,
                details: serde_json::json!({ "reason": "manual" }),
                request_id: &request_id,
            },
        )
        .await;
    }
    let answer = Suppressed { created, reason };
    Ok(if created {
        HttpResponse::Created().json(answer)
    } else {
        HttpResponse::Ok().json(answer)
    })
}
