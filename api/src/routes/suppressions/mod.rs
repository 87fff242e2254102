//! The suppression list of campaign mail (admins): its counts by reason, adding or lifting an address by
//! hand, checking one. Only the keyed hash of an address is stored (`crm_campaigns::feedback::address_hash`);
//! addresses are never logged.

pub mod add;
pub mod check;
pub mod lift;
pub mod summary;

use actix_web::web;
use serde::Deserialize;

use crate::error::ApiError;
use crate::state::AppState;

/// Registers the routes under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/suppressions/summary", web::get().to(summary::summary))
        .route("/suppressions/check", web::post().to(check::check))
        .route("/suppressions", web::post().to(add::add))
        .route("/suppressions", web::delete().to(lift::lift));
}

/// An address.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    /// `local@domain`, at most 320 characters; compared lower-cased.
    #[schema(min_length = 3, max_length = 320)]
    pub address: String,
}

/// The keyed hash of `address` as the suppression list keeps it, after checking its shape (a 400 on
/// `address`, which never quotes it).
pub(crate) fn hash_of(state: &AppState, address: &str) -> Result<String, ApiError> {
    let a = address.trim();
    let valid = a.len() <= 320
        && a.rsplit_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && !a.chars().any(|c| c.is_whitespace() || c.is_control());
    if !valid {
        return Err(ApiError::invalid_field(
            "address",
            "address must be an email address (local@domain, at most 320 characters)",
        ));
    }
    Ok(crm_campaigns::feedback::address_hash(
        &state.config.common.rgpd.hasher,
        a,
    ))
}
