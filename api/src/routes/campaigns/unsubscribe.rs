use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use crm_campaigns::feedback::{self, Event, EventKind, Source, Subject};
use shared::db::run_blocking;

use crate::state::AppState;

/// The form a one-click unsubscription posts (RFC 8058), as `application/x-www-form-urlencoded` or
/// `multipart/form-data`.
#[derive(Debug, utoipa::ToSchema)]
pub struct OneClickForm {
    /// `One-Click`.
    #[schema(rename = "List-Unsubscribe", example = "One-Click")]
    pub list_unsubscribe: String,
}

/// Unsubscribes the recipient of a campaign message (no authentication: the signed token is the
/// credential): RFC 8058 one-click from the mail client (`List-Unsubscribe-Post`), or the button of the
/// unsubscribe page. The address goes on the suppression list and the recipient's drip stops, in one
/// transaction; doing it again changes nothing and answers the same page.
#[utoipa::path(
    post,
    path = "/api/v1/campaigns/unsubscribe/{token}",
    tag = "campaigns-public",
    params(("token" = String, Path, description = "The message's signed unsubscribe token")),
    request_body(
        description = "`List-Unsubscribe=One-Click` (the body is not required: the token decides)",
        content(
            (OneClickForm = "application/x-www-form-urlencoded"),
            (OneClickForm = "multipart/form-data"),
        )
    ),
    responses(
        (status = 200, description = "Unsubscribed (or already): the confirmation page", content_type = "text/html"),
        (status = 404, description = "Not a valid token: a page saying so", content_type = "text/html"),
        (status = 503, description = "The database is unavailable: nothing recorded, try again", content_type = "text/html"),
    )
)]
pub async fn unsubscribe(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let token = super::token(&req);
    let Some(send) = super::links(&state).and_then(|l| l.verify_unsubscribe(token)) else {
        return super::page::not_found();
    };
    let event = Event {
        subject: Subject::Send(send),
        kind: EventKind::Unsubscribe,
        source: Source::OneClick,
        dedupe_key: Some(format!("unsubscribe:{}", send.0)),
        machine: false,
        url: None,
        occurred_at: Utc::now(),
        address_hash: None,
    };
    let limit = state.config.common.campaigns.soft_bounce_limit;
    match run_blocking(&state.pool, move |c| feedback::record(c, &event, limit)).await {
        Ok(_) => {
            tracing::info!(send.id = send.0, "campaign unsubscription");
            super::page::unsubscribed()
        }
        Err(e) => {
            tracing::warn!(send.id = send.0, error = %e, "unsubscription not recorded");
            super::page::unavailable()
        }
    }
}
