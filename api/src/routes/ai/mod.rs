//! Form-field suggestions and what they learn from users' choices (seed's context menu, "AI memory").

pub mod field_suggestions;
pub mod forget;
pub mod stats;
pub mod track;

use actix_web::web;

/// Registers the routes under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/ai/autofill/suggestions",
        web::get().to(field_suggestions::suggestions),
    )
    .route("/ai/learning/track", web::post().to(track::track))
    .route("/ai/learning/stats", web::get().to(stats::stats))
    .route("/ai/learning/preferences", web::delete().to(forget::forget));
}

/// The field name of a request, if suggestions exist for it.
pub(crate) fn form_field(
    name: &str,
) -> Result<crm_autofill::form::FormField, crate::error::ApiError> {
    crm_autofill::form::FormField::parse(name).ok_or_else(|| {
        crate::error::ApiError::invalid_field(
            "field_name",
            format!(
                "field_name must be one of {}",
                crm_autofill::form::FormField::NAMES.join(", ")
            ),
        )
    })
}
