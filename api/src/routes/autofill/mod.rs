//! Autofill: run a batch now, review its suggestions (one by one or in bulk), read its accuracy.
//! Suggestions follow the mailbox rule: a user sees those read from their own mail (and, for web
//! enrichment, those of organisations they own); admins see every suggestion; viewers read only.

pub mod accuracy;
pub mod approve;
pub mod bulk;
pub mod list;
pub mod reject;
pub mod run_now;
pub mod show;

use actix_web::web;
use crm_autofill::review::{self, ReviewError, Reviewer};
use shared::models::autofill_suggestion::{EntityType, Filter, SuggestionStatus};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::middleware::RequestId;

/// Registers the routes under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/autofill-jobs/run-now", web::post().to(run_now::run_now))
        .route("/autofill/suggestions", web::get().to(list::list))
        .route("/autofill/suggestions/bulk", web::post().to(bulk::bulk))
        .route("/autofill/suggestions/{id}", web::get().to(show::show))
        .route(
            "/autofill/suggestions/{id}/approve",
            web::post().to(approve::approve),
        )
        .route(
            "/autofill/suggestions/{id}/reject",
            web::post().to(reject::reject),
        )
        .route("/autofill/accuracy", web::get().to(accuracy::accuracy));
}

/// The reviewer acting for `user`: admins see every suggestion, others those they own.
pub(crate) fn reviewer(user: &AuthUser, request_id: &RequestId) -> Reviewer {
    Reviewer::new(&user.principal(), Some(request_id.0.clone()))
}

/// The review filters shared by the list and the bulk endpoints, as query or body fields.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SuggestionFilter {
    /// `pending` (the review queue), `auto_applied`, `approved`, `rejected`, `superseded`.
    pub status: Option<String>,
    /// Field name: `title`, `phone`, `mobile`, `linkedin`, `website`, `address`, `description`,
    /// `person` (creations), `organisation` (links).
    pub field: Option<String>,
    pub min_confidence: Option<f32>,
    pub max_confidence: Option<f32>,
    /// `person` or `organisation`.
    pub entity_type: Option<String>,
    pub entity_id: Option<i64>,
    /// The reviewer they belong to (admins only; others see their own).
    pub owner_id: Option<i64>,
    /// Listing only: page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Listing only: rows to skip, at most 100,000.
    pub offset: Option<i64>,
}

impl SuggestionFilter {
    /// The model filter, validated, restricted to what `user` may see.
    pub(crate) fn to_filter(&self, user: &AuthUser) -> Result<Filter, ApiError> {
        let status = self
            .status
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<SuggestionStatus>().map_err(|_| {
                    ApiError::invalid_field(
                        "status",
                        "status must be pending, auto_applied, approved, rejected or superseded",
                    )
                })
            })
            .transpose()?;
        let entity_type = self
            .entity_type
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<EntityType>().map_err(|_| {
                    ApiError::invalid_field(
                        "entity_type",
                        "entity_type must be person or organisation",
                    )
                })
            })
            .transpose()?;
        for (name, v) in [
            ("min_confidence", self.min_confidence),
            ("max_confidence", self.max_confidence),
        ] {
            if v.is_some_and(|c| !(0.0..=1.0).contains(&c) || c.is_nan()) {
                return Err(ApiError::invalid_field(
                    name,
                    format!("{name} must be between 0 and 1"),
                ));
            }
        }
        if let Some(f) = &self.field
            && (f.len() > 50 || !f.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        {
            return Err(ApiError::invalid_field(
                "field",
                "field is a lower-case field name",
            ));
        }
        let admin = user.principal().is_admin();
        if self.owner_id.is_some() && !admin && self.owner_id != Some(user.id.0) {
            return Err(ApiError::Forbidden(
                "only admins filter by another reviewer".into(),
            ));
        }
        Ok(Filter {
            status,
            field: self.field.clone().filter(|f| !f.is_empty()),
            min_confidence: self.min_confidence,
            max_confidence: self.max_confidence,
            entity_type,
            entity_id: self.entity_id,
            owner: self.owner_id.map(shared::models::UserId),
            visible_owners: review::visible_owners(&user.principal()),
            ids: None,
        })
    }
}

/// The API answer to a review error.
pub(crate) fn review_error(e: ReviewError) -> ApiError {
    match e {
        ReviewError::NotFound => ApiError::not_found("no such suggestion"),
        ReviewError::AlreadyDecided(status) => ApiError::Conflict {
            code: "already_decided",
            message: format!("the suggestion was already decided ({status})"),
        },
        ReviewError::Stale(why) => ApiError::Conflict {
            code: "stale_suggestion",
            message: format!("{why}; the suggestion is now superseded"),
        },
        ReviewError::Invalid(msg) => ApiError::invalid_field("value", msg),
        ReviewError::Db(e) => e.into(),
    }
}
