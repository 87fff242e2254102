use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::db::run_blocking;
use shared::models::campaign::{
    self as model, CampaignId, CampaignSend, CampaignSendId, SendStatus,
};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{Query, page_limit};
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SendsQuery {
    /// Only sends in this status: `pending`, `sending`, `sent`, `failed` or `skipped`.
    #[param(value_type = Option<String>)]
    pub status: Option<SendStatus>,
    /// Only this step (1 to 20).
    pub step: Option<i16>,
    /// Sends older than this id (the last id of the previous page).
    pub before: Option<i64>,
    /// 1 to 500 (default 100).
    pub limit: Option<i64>,
}

/// One message to one recipient for one step. The address is never shown (records keep only its keyed
/// hash), and addresses an SMTP server quoted in `error` are masked.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SendView {
    pub id: i64,
    pub person_id: i64,
    pub step: i16,
    /// `a` or `b`.
    pub variant: String,
    /// `pending`, `sending`, `sent`, `failed` or `skipped`.
    pub status: String,
    /// Why it was skipped (`suppressed`, `no_address`, `cancelled`…).
    pub skip_reason: Option<String>,
    pub due_at: DateTime<Utc>,
    pub attempts: i32,
    pub sent_at: Option<DateTime<Utc>>,
    /// The last failure.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<CampaignSend> for SendView {
    fn from(s: CampaignSend) -> Self {
        Self {
            id: s.id.0,
            person_id: s.person_id,
            step: s.step,
            variant: s.variant,
            status: s.status.as_str().to_owned(),
            skip_reason: s.skip_reason,
            due_at: s.due_at,
            attempts: s.attempts,
            sent_at: s.sent_at,
            error: s.error.as_deref().map(mask_addresses),
            created_at: s.created_at,
        }
    }
}

/// `text` with every word holding an `@` replaced by `[address]`: SMTP replies quote the recipient.
fn mask_addresses(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            if word.contains('@') {
                "[address]"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A campaign's send records, newest first (every signed-in user).
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/{id}/sends",
    tag = "campaigns",
    params(("id" = i64, Path, description = "Campaign id"), SendsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Newest first", body = [SendView]),
        (status = 400, description = "A parameter is invalid; `field` names it", body = crate::error::ErrorBody),
        (status = 404, description = "No such campaign", body = crate::error::ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    _user: AuthUser,
    id: web::Path<i64>,
    query: Query<SendsQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let limit = page_limit(q.limit, 100, 500)?;
    let id = CampaignId(id.into_inner());
    let before = q.before.map(CampaignSendId);
    let rows = run_blocking(&state.pool, move |c| {
        if model::find(c, id)?.is_none() {
            return Ok(None);
        }
        model::sends(c, id, q.status, q.step, before, limit).map(Some)
    })
    .await?
    .ok_or_else(|| super::not_found(id))?;
    let views: Vec<SendView> = rows.into_iter().map(SendView::from).collect();
    Ok(HttpResponse::Ok().json(views))
}

#[cfg(test)]
mod tests {
    use super::mask_addresses;

    #[test]
    fn addresses_quoted_by_smtp_servers_are_masked() {
        assert_eq!(
            mask_addresses("550 5.1.1 <jane.doe@example.fr>: Recipient address rejected"),
            "550 5.1.1 [address] Recipient address rejected"
        );
        assert_eq!(mask_addresses("421 try later"), "421 try later");
    }
}
