use actix_web::{HttpRequest, HttpResponse, web};

use crate::state::AppState;

/// The page of a campaign message's unsubscribe link (no authentication): a confirmation button that
/// posts the one-click form. Opening the link changes nothing, since mail scanners open links.
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/unsubscribe/{token}",
    tag = "campaigns-public",
    params(("token" = String, Path, description = "The message's signed unsubscribe token")),
    responses(
        (status = 200, description = "The confirmation page (French and English)", content_type = "text/html"),
        (status = 404, description = "Not a valid token: a page saying so", content_type = "text/html"),
    )
)]
pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let token = super::token(&req);
    match super::links(&state).and_then(|l| l.verify_unsubscribe(token)) {
        Some(_) => super::page::confirm(),
        None => super::page::not_found(),
    }
}
