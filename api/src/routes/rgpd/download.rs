use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;
use shared::db::run_blocking;
use shared::models::rgpd_request::{self as requests, DownloadRefusal, RgpdRequestId};

use super::link_is_signed;
use crate::access_log;
use crate::error::ApiError;
use crate::extract::Query;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DownloadQuery {
    /// Unix time the link stops working (part of what is signed).
    pub expires: i64,
    /// The link's signature (hex).
    pub signature: String,
}

/// Downloads a finished export once, through the signed link its requester got (no token needed: the
/// link is the credential, so keep it private). The archive is deleted as it is handed over; a second
/// click, or one after the link expired, is 410.
#[utoipa::path(
    get,
    path = "/api/v1/rgpd/exports/{id}/download",
    tag = "rgpd",
    params(("id" = i64, Path, description = "Request id"), DownloadQuery),
    responses(
        (status = 200, description = "The zip (export.json, csv/*.csv, README.txt)", content_type = "application/zip"),
        (status = 400, description = "Missing expires or signature", body = crate::error::ErrorBody),
        (status = 403, description = "The link is not signed by this platform", body = crate::error::ErrorBody),
        (status = 404, description = "No finished export of that id", body = crate::error::ErrorBody),
        (status = 410, description = "Expired (`link_expired`) or already downloaded (`already_downloaded`)", body = crate::error::ErrorBody),
    )
)]
pub async fn download(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: Query<DownloadQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = RgpdRequestId(path.into_inner());
    let DownloadQuery { expires, signature } = query.into_inner();
    if !link_is_signed(&state.config.common.rgpd.hasher, id, expires, &signature) {
        return Err(ApiError::Forbidden("the download link is not valid".into()));
    }
    if expires <= Utc::now().timestamp() {
        return Err(ApiError::Gone {
            code: "link_expired",
            message: "the download link has expired: ask for a new export".into(),
        });
    }
    let (taken, request) = run_blocking(&state.pool, move |c| {
        Ok((requests::take_export_file(c, id)?, requests::find(c, id)?))
    })
    .await?;
    let (file_name, bytes) = match taken {
        Ok(file) => file,
        Err(DownloadRefusal::NotReady) => {
            return Err(ApiError::not_found(format!("no finished export {id}")));
        }
        Err(DownloadRefusal::Gone) => {
            return Err(ApiError::Gone {
                code: "already_downloaded",
                message: "this export was already downloaded or has expired: ask for a new one"
                    .into(),
            });
        }
    };
    if let Some(r) = request {
        access_log::note(&req, r.subject_type.into(), Some(r.subject_id), None);
    }
    tracing::info!(rgpd.request = %id, bytes = bytes.len(), "RGPD export downloaded");
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "application/zip"))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .body(bytes))
}
