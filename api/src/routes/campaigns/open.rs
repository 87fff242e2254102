use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpRequest, HttpResponse, web};
use crm_campaigns::feedback::EventKind;

use super::machine::record_engagement;
use crate::state::AppState;

/// A 1×1 transparent GIF (GIF89a, two-colour table, colour 0 transparent).
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// The open pixel of a campaign message (no authentication). Always the same transparent GIF, never
/// cached, whatever the token; an open is recorded only for a valid one, flagged as a machine's when it
/// is likely a prefetch (within 60 s of sending, no User-Agent, or a known scanner's or proxy's).
#[utoipa::path(
    get,
    path = "/api/v1/campaigns/o/{token}",
    tag = "campaigns-public",
    params(("token" = String, Path, description = "The message's signed open token, ending in `.gif`")),
    responses(
        (status = 200, description = "A 1×1 transparent GIF (`Cache-Control: no-store`)", content_type = "image/gif"),
    )
)]
pub async fn open(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let token = super::token(&req);
    if let Some(send) = super::links(&state).and_then(|l| l.verify_open(token)) {
        record_engagement(&state, &req, send, EventKind::Open, None).await;
    }
    HttpResponse::Ok()
        .content_type("image/gif")
        .insert_header((
            CACHE_CONTROL,
            "no-store, no-cache, must-revalidate, max-age=0",
        ))
        .body(PIXEL)
}
