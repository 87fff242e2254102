//! RGPD (GDPR) endpoints: data subjects' export and erasure requests, the one-time download of an
//! export, the data access log, and the monthly compliance reports.
//!
//! Who may ask: any signed-in user for their own account (viewers included: exercising one's rights is
//! not a write to the CRM), admins for any person or user. A user's erasure of their own account takes two
//! steps: the request, then its confirmation with the password. Admin accounts are never erased (demote
//! first).

pub mod access_logs;
pub mod confirm;
pub mod download;
pub mod erase;
pub mod export;
pub mod my_access_logs;
mod open;
pub mod report_document;
pub mod reports;
pub mod request_list;
pub mod request_show;
mod subject;

pub use subject::{RequestAccepted, RequestView, SubjectRequest};

use actix_web::web;
use chrono::{DateTime, Utc};
use shared::keyed_hash::{KeyedHasher, Purpose};
use shared::models::rgpd_request::RgpdRequestId;

/// Registers the routes under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/rgpd/export", web::post().to(export::export))
        .route("/rgpd/erase", web::post().to(erase::erase))
        .route("/rgpd/requests", web::get().to(request_list::list))
        .route("/rgpd/requests/{id}", web::get().to(request_show::show))
        .route(
            "/rgpd/requests/{id}/confirm",
            web::post().to(confirm::confirm),
        )
        .route(
            "/rgpd/exports/{id}/download",
            web::get().to(download::download),
        )
        .route("/rgpd/access-logs", web::get().to(access_logs::access_logs))
        .route(
            "/rgpd/my-access-logs",
            web::get().to(my_access_logs::my_access_logs),
        )
        .route("/rgpd/reports", web::get().to(reports::reports))
        .route(
            "/rgpd/reports/{id}/{format}",
            web::get().to(report_document::document),
        );
}

/// The message a download link signs.
fn link_message(id: RgpdRequestId, expires: i64) -> String {
    format!("{id}:{expires}")
}

/// The signed download path of export `id`, valid until `expires`.
pub(crate) fn download_path(
    hasher: &KeyedHasher,
    id: RgpdRequestId,
    expires: DateTime<Utc>,
) -> String {
    let expires = expires.timestamp();
    let signature = hasher.hash(Purpose::DownloadLink, link_message(id, expires).as_bytes());
    format!("/api/v1/rgpd/exports/{id}/download?expires={expires}&signature={signature}")
}

/// True when `signature` signs export `id` until `expires`.
pub(crate) fn link_is_signed(
    hasher: &KeyedHasher,
    id: RgpdRequestId,
    expires: i64,
    signature: &str,
) -> bool {
    hasher.verify(
        Purpose::DownloadLink,
        link_message(id, expires).as_bytes(),
        signature,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_signed_for_one_request_and_time() {
        let h = KeyedHasher::new([3; 32]);
        let t = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let path = download_path(&h, RgpdRequestId(5), t);
        let sig = path.rsplit('=').next().unwrap_or_default();
        assert!(link_is_signed(&h, RgpdRequestId(5), 1_800_000_000, sig));
        assert!(!link_is_signed(&h, RgpdRequestId(6), 1_800_000_000, sig));
        assert!(!link_is_signed(&h, RgpdRequestId(5), 1_800_000_001, sig));
    }
}
