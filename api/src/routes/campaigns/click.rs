use actix_web::http::header::{CACHE_CONTROL, LOCATION, REFERRER_POLICY};
use actix_web::{HttpRequest, HttpResponse, web};
use crm_campaigns::feedback::EventKind;

use super::machine::record_engagement;
use crate::state::AppState;

/// The click redirect of a campaign message (no authentication): a 302 to `u` only when the token's
/// signature covers exactly that URL and it is `http(s)`, so the route cannot be used to send anyone
/// elsewhere (no open redirect); anything else is a 404 page. The click is recorded, flagged as a
/// machine's when it is likely a link scanner (within 60 s of sending, no User-Agent, or a known
/// scanner's).
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/c/{token}",
    tag = "campaigns-public",
    params(
        ("token" = String, Path, description = "The message's signed click token"),
        ("u" = String, Query, description = "The link's target, as the message held it (the token's signature covers it)"),
    ),
    responses(
        (status = 302, description = "To the link's target", headers(("Location" = String, description = "The target"))),
        (status = 404, description = "Not a valid token for this target: a page saying so", content_type = "text/html"),
    )
)]
pub async fn click(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let token = super::token(&req);
    // Read by hand: a missing or repeated `u` is a 404 page like any link that is not ours.
    let Some(target) = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "u")
        .map(|(_, v)| v.into_owned())
    else {
        return super::page::not_found();
    };
    let Some(send) = super::links(&state).and_then(|l| l.verify_click(token, &target)) else {
        return super::page::not_found();
    };
    let Some(url) = url::Url::parse(&target)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
    else {
        return super::page::not_found();
    };
    record_engagement(&state, &req, send, EventKind::Click, Some(target)).await;
    HttpResponse::Found()
        .insert_header((LOCATION, url.as_str()))
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((REFERRER_POLICY, "no-referrer"))
        .finish()
}
