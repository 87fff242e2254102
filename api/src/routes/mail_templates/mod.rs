//! Mail templates of campaigns: subject, HTML and optional text in Jinja syntax (`crm_campaigns::template`),
//! checked when saved, previewed with sample values. Every signed-in user reads them; their owner,
//! managers and admins change them.

pub mod create;
pub mod delete;
pub mod list;
pub mod preview;
pub mod show;
pub mod update;

use actix_web::web;
use crm_campaigns::template::{self, TemplateSource};
use serde::Deserialize;
use shared::models::campaign::{self as model, MailTemplateId, TemplateFields};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::routes::campaigns::check_name;
use crate::state::AppState;

/// Longest subject template, in characters (RFC 5322's line length).
const MAX_SUBJECT_CHARS: usize = 998;

/// Registers the routes under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/mail-templates", web::get().to(list::list))
        .route("/mail-templates", web::post().to(create::create))
        .route("/mail-templates/{id}", web::get().to(show::show))
        .route("/mail-templates/{id}", web::put().to(update::update))
        .route("/mail-templates/{id}", web::delete().to(delete::delete))
        .route(
            "/mail-templates/{id}/preview",
            web::post().to(preview::preview),
        );
}

/// A template as written.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// The subject line (Jinja), at most 998 characters.
    #[schema(min_length = 1, max_length = 998)]
    pub subject: String,
    /// The HTML body (Jinja, auto-escaped), at most 256 KiB; `<style>` rules are inlined when sent.
    #[schema(min_length = 1)]
    pub html: String,
    /// The text body (Jinja), at most 256 KiB; absent: generated from the HTML.
    #[serde(default)]
    pub text: Option<String>,
}

impl TemplateInput {
    /// Checks the sizes, then compiles and renders the template with the sample values (off the async
    /// workers: rendering is bounded but not free); a 400 names the part (`subject`, `html`, `text`).
    pub(crate) async fn check(self) -> Result<TemplateFields, ApiError> {
        let name = check_name("name", &self.name)?;
        if self.subject.trim().is_empty() || self.subject.chars().count() > MAX_SUBJECT_CHARS {
            return Err(ApiError::invalid_field(
                "subject",
                "subject must have 1 to 998 characters",
            ));
        }
        if self.html.trim().is_empty() {
            return Err(ApiError::invalid_field("html", "html must not be empty"));
        }
        for (field, part) in [("html", Some(&self.html)), ("text", self.text.as_ref())] {
            if part.is_some_and(|p| p.len() > template::MAX_SOURCE_BYTES) {
                return Err(ApiError::invalid_field(
                    field,
                    format!("{field} is larger than 256 KiB"),
                ));
            }
        }
        let fields = TemplateFields {
            name,
            subject: self.subject,
            html: self.html,
            text_body: self.text.filter(|t| !t.trim().is_empty()),
        };
        web::block(move || {
            let checked = template::validate(&source(&fields));
            (fields, checked)
        })
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("template check: {e}")))
        .and_then(|(fields, checked)| match checked {
            Ok(()) => Ok(fields),
            Err(e) => Err(ApiError::invalid_field(e.part(), e.to_string())),
        })
    }
}

/// The template's parts as the renderer takes them.
pub(crate) fn source(fields: &TemplateFields) -> TemplateSource<'_> {
    TemplateSource {
        subject: &fields.subject,
        html: &fields.html,
        text: fields.text_body.as_deref(),
    }
}

/// Checks that `user` may change template `id`: 404 when there is none, 403 unless they own it or are a
/// manager or admin.
pub(crate) async fn writable(
    state: &AppState,
    user: &AuthUser,
    id: MailTemplateId,
) -> Result<(), ApiError> {
    let owner_of = move |c: &mut diesel::PgConnection| model::template_owner(c, id);
    crate::routes::owned::check_write(state, user, "template", owner_of, not_found(id)).await
}

pub(crate) fn not_found(id: MailTemplateId) -> ApiError {
    ApiError::not_found(format!("mail template {id} not found"))
}
