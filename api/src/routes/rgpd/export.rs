use actix_web::{HttpRequest, HttpResponse, web};
use shared::models::rgpd_request::RequestKind;

use super::open::{Opening, open};
use super::subject::{RequestAccepted, SubjectRequest, resolve};
use crate::access_log;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::middleware::RequestId;
use crate::state::AppState;

/// Asks for an export (RGPD Art. 15 access, Art. 20 portability) of everything held about the caller's
/// account (`{"subject": "self"}`) or, for admins, a person (`{"subject": "person", "person_id": 7}`) or a
/// user. Enqueues `rgpd.export`; when it is done, `GET /api/v1/rgpd/requests/{id}` shows a signed link
/// that downloads the zip (JSON and CSV) once, until `RGPD_EXPORT_LINK_TTL`. An open export of the same
/// subject is returned rather than a second one (`duplicate`).
#[utoipa::path(
    post,
    path = "/api/v1/rgpd/export",
    tag = "rgpd",
    request_body = SubjectRequest,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Request stored and its job enqueued (or the open one: `duplicate`)", body = RequestAccepted),
        (status = 400, description = "Bad subject, id or reason; `field` names it", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "Another subject than the caller, asked by a non-admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such person or user", body = crate::error::ErrorBody),
    )
)]
pub async fn export(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    request_id: RequestId,
    body: JsonBody<SubjectRequest>,
) -> Result<HttpResponse, ApiError> {
    let (subject_type, subject_id, reason) = resolve(&state, &user, &body.into_inner()).await?;
    access_log::note(&req, subject_type.into(), Some(subject_id), None);
    let opening = Opening {
        kind: RequestKind::Export,
        subject_type,
        subject_id,
        reason,
        needs_confirmation: false,
    };
    open(&state, &user, &request_id, opening).await
}
