use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use serde::Serialize;
use shared::db::run_blocking;
use shared::models::ai_preference::{self, PreferenceAction};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct FieldStats {
    pub field: String,
    pub total: i64,
    pub accepts: i64,
}

/// The caller's own learning figures (unexpired choices).
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct LearningStats {
    pub total: i64,
    /// Choices by action.
    pub by_action: BTreeMap<String, i64>,
    /// Accepts over accepts, rejects and manual entries (menus closed unused are not counted).
    pub accept_rate: Option<f64>,
    /// Most used first.
    pub fields: Vec<FieldStats>,
}

/// The caller's learning statistics.
#[utoipa::path(
    get,
    path = "/api/v1/ai/learning/stats",
    tag = "autofill",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's figures", body = LearningStats),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
    )
)]
pub async fn stats(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let id = user.id;
    let counts = run_blocking(&state.pool, move |conn| ai_preference::counts(conn, id)).await?;
    let mut out = LearningStats::default();
    let mut fields: BTreeMap<String, FieldStats> = BTreeMap::new();
    for (field, action, n) in counts {
        out.total += n;
        *out.by_action.entry(action.as_str().to_owned()).or_default() += n;
        let f = fields.entry(field.clone()).or_insert_with(|| FieldStats {
            field,
            ..FieldStats::default()
        });
        f.total += n;
        if action == PreferenceAction::Accept {
            f.accepts += n;
        }
    }
    let count = |a: PreferenceAction| out.by_action.get(a.as_str()).copied().unwrap_or(0);
    let decided = count(PreferenceAction::Accept)
        + count(PreferenceAction::Reject)
        + count(PreferenceAction::Manual);
    out.accept_rate =
        (decided > 0).then(|| count(PreferenceAction::Accept) as f64 / decided as f64);
    out.fields = fields.into_values().collect();
    out.fields
        .sort_by(|a, b| b.total.cmp(&a.total).then(a.field.cmp(&b.field)));
    Ok(HttpResponse::Ok().json(out))
}
