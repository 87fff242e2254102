//! Campaign mail: campaigns (a segment, 1 to 20 steps of templates), their state machine (draft →
//! scheduled → sending → completed; paused, the kill switch; cancelled), their report and send records;
//! and the public endpoints their messages point to: the unsubscribe page and RFC 8058 one-click
//! unsubscription, the open pixel, the click redirect, and SendGrid's signed event webhook. Sending is the
//! workers' (`crm-campaigns`): the minute tick `campaigns.tick` launches a scheduled campaign when due.

pub mod cancel;
pub mod click;
pub mod create;
pub mod delete;
pub mod list;
pub mod open;
pub mod pause;
pub mod report;
pub mod resume;
pub mod schedule;
pub mod sendgrid;
pub mod sends;
pub mod show;
pub mod unsubscribe;
pub mod unsubscribe_page;
pub mod update;

mod machine;
mod page;

use actix_web::{HttpResponse, web};
use crm_campaigns::links::Links;
use crm_campaigns::template::{self, TemplateSource};
use serde::{Deserialize, Serialize};
use shared::db::{DbError, run_blocking};
use shared::models::campaign::{
    self as model, Campaign, CampaignFields, CampaignId, CampaignStatus, CampaignStep, Change,
    MailTemplateId, Outcome, StepFields,
};
use shared::models::segment::{self, SegmentId};

use crate::audit;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::state::AppState;

/// Most steps of a campaign.
pub const MAX_STEPS: usize = 20;
/// Longest delay between two steps: a year.
pub const MAX_DELAY_HOURS: i32 = 8_760;

/// Registers the routes under `/api/v1`. The public routes come first: their literal second segment
/// (`unsubscribe`, `o`, `c`, `sendgrid`) must not be read as a campaign id.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/campaigns/unsubscribe/{token}",
        web::get().to(unsubscribe_page::page),
    )
    .route(
        "/campaigns/unsubscribe/{token}",
        web::post().to(unsubscribe::unsubscribe),
    )
    .route("/campaigns/o/{token}", web::get().to(open::open))
    .route("/campaigns/c/{token}", web::get().to(click::click))
    .route(
        "/campaigns/sendgrid/events",
        web::post().to(sendgrid::events),
    )
    .route("/campaigns", web::get().to(list::list))
    .route("/campaigns", web::post().to(create::create))
    .route("/campaigns/{id}", web::get().to(show::show))
    .route("/campaigns/{id}", web::put().to(update::update))
    .route("/campaigns/{id}", web::delete().to(delete::delete))
    .route(
        "/campaigns/{id}/schedule",
        web::post().to(schedule::schedule),
    )
    .route("/campaigns/{id}/pause", web::post().to(pause::pause))
    .route("/campaigns/{id}/resume", web::post().to(resume::resume))
    .route("/campaigns/{id}/cancel", web::post().to(cancel::cancel))
    .route("/campaigns/{id}/report", web::get().to(report::report))
    .route("/campaigns/{id}/sends", web::get().to(sends::list));
}

/// A name: trimmed, 1 to 200 characters, no control characters; a 400 names `field`.
pub(crate) fn check_name(field: &str, raw: &str) -> Result<String, ApiError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid_field(
            field,
            format!("{field} must have 1 to 200 characters, none a control character"),
        ));
    }
    Ok(name.to_owned())
}

fn yes() -> bool {
    true
}

/// A campaign as written.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignInput {
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// The audience (`/api/v1/segments`), enrolled at launch.
    pub segment_id: i64,
    /// Open pixel and click redirects (default true).
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub tracking: bool,
    /// Stop a recipient's drip once they reply (default true).
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub stop_on_reply: bool,
    /// 1 to 20 steps, in order; step 1 goes out at launch (its `delay_hours` is 0).
    #[schema(min_items = 1, max_items = 20)]
    pub steps: Vec<StepInput>,
}

/// One step of a campaign.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    /// The mail template sent (`/api/v1/mail-templates`).
    pub template_id: i64,
    /// Hours after the recipient's previous step, 0 to 8,760; 0 for step 1.
    #[schema(minimum = 0, maximum = 8760)]
    pub delay_hours: i32,
    /// A/B test: the subject (Jinja) half the recipients get instead of the template's.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 998)]
    pub subject_b: Option<String>,
}

/// A campaign with its steps.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CampaignView {
    #[serde(flatten)]
    pub campaign: Campaign,
    pub steps: Vec<CampaignStep>,
}

impl CampaignInput {
    /// Checks the fields, then that the segment and the templates exist (a 400 names `segment_id` or
    /// `steps[i].template_id`).
    pub(crate) async fn check(
        self,
        state: &AppState,
    ) -> Result<(CampaignFields, Vec<StepFields>), ApiError> {
        let name = check_name("name", &self.name)?;
        if self.steps.is_empty() || self.steps.len() > MAX_STEPS {
            return Err(ApiError::invalid_field(
                "steps",
                "steps must list 1 to 20 steps",
            ));
        }
        let mut steps = Vec::with_capacity(self.steps.len());
        for (i, s) in self.steps.into_iter().enumerate() {
            if !(0..=MAX_DELAY_HOURS).contains(&s.delay_hours) {
                return Err(ApiError::invalid_field(
                    format!("steps[{i}].delay_hours"),
                    "delay_hours must be between 0 and 8,760 (a year)",
                ));
            }
            if i == 0 && s.delay_hours != 0 {
                return Err(ApiError::invalid_field(
                    "steps[0].delay_hours",
                    "step 1 goes out at launch: its delay_hours must be 0",
                ));
            }
            let subject_b = match s.subject_b {
                None => None,
                Some(subject) => Some(check_subject_b(i, subject).await?),
            };
            steps.push(StepFields {
                template_id: MailTemplateId(s.template_id),
                delay_hours: s.delay_hours,
                subject_b,
            });
        }
        let segment_id = SegmentId(self.segment_id);
        let templates: Vec<MailTemplateId> = steps.iter().map(|s| s.template_id).collect();
        let (segment_found, found) = run_blocking(&state.pool, move |c| {
            Ok((
                segment::find(c, segment_id)?.is_some(),
                model::existing_templates(c, &templates)?,
            ))
        })
        .await?;
        if !segment_found {
            return Err(ApiError::invalid_field(
                "segment_id",
                format!("no segment {segment_id}"),
            ));
        }
        if let Some(i) = steps.iter().position(|s| !found.contains(&s.template_id)) {
            return Err(ApiError::invalid_field(
                format!("steps[{i}].template_id"),
                format!("no mail template {}", steps[i].template_id),
            ));
        }
        Ok((
            CampaignFields {
                name,
                segment_id,
                tracking: self.tracking,
                stop_on_reply: self.stop_on_reply,
            },
            steps,
        ))
    }
}

/// A B subject: 1 to 998 characters that compile and render with the sample values.
async fn check_subject_b(i: usize, subject: String) -> Result<String, ApiError> {
    let field = format!("steps[{i}].subject_b");
    if subject.trim().is_empty() || subject.chars().count() > 998 {
        return Err(ApiError::invalid_field(
            field,
            "subject_b must have 1 to 998 characters",
        ));
    }
    let (subject, checked) = web::block(move || {
        let checked = template::validate(&TemplateSource {
            subject: &subject,
            html: "<p></p>",
            text: Some(""),
        });
        (subject, checked)
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("subject check: {e}")))?;
    match checked {
        Ok(()) => Ok(subject),
        Err(e) => Err(ApiError::invalid_field(field, e.to_string())),
    }
}

/// Maps a foreign-key violation of a campaign write (its segment or a template deleted meanwhile) to a
/// 400 naming the field.
pub(crate) fn reference_gone(err: DbError) -> ApiError {
    match &err {
        DbError::ForeignKeyViolation { constraint } => {
            let field = match constraint.as_deref() {
                Some(c) if c.contains("segment") => "segment_id",
                _ => "steps",
            };
            ApiError::invalid_field(field, format!("{field}: refers to something deleted"))
        }
        _ => err.into(),
    }
}

/// Checks that `user` may change campaign `id` (the rule of `Resource::Campaign`, which the workers
/// apply to its sends): 404 when there is none, 403 unless they own it or are a manager or admin.
pub(crate) async fn writable(
    state: &AppState,
    user: &AuthUser,
    id: CampaignId,
) -> Result<(), ApiError> {
    let owner_of = move |c: &mut diesel::PgConnection| model::owner_of(c, id);
    crate::routes::owned::check_write(state, user, "campaign", owner_of, not_found(id)).await
}

pub(crate) fn not_found(id: CampaignId) -> ApiError {
    ApiError::not_found(format!("campaign {id} not found"))
}

/// The 409 of a change refused in the campaign's current status, naming it.
pub(crate) fn wrong_status(id: CampaignId, status: CampaignStatus, action: &str) -> ApiError {
    ApiError::Conflict {
        code: "campaign_state",
        message: format!("campaign {id} is {status}: {action}"),
    }
}

fn states(list: &[CampaignStatus]) -> String {
    let names: Vec<&str> = list.iter().map(CampaignStatus::as_str).collect();
    names.join(" or ")
}

/// Applies a status change (owner, managers, admins), audited; the campaign as changed, or a 409 naming
/// its current status.
pub(crate) async fn apply(
    state: &AppState,
    user: &AuthUser,
    request_id: &RequestId,
    id: CampaignId,
    change: Change,
) -> Result<HttpResponse, ApiError> {
    writable(state, user, id).await?;
    let (verb, action) = match change {
        Change::Schedule(_) => ("scheduled", "campaign.schedule"),
        Change::Pause => ("paused", "campaign.pause"),
        Change::Resume => ("resumed", "campaign.resume"),
        Change::Cancel => ("cancelled", "campaign.cancel"),
    };
    match run_blocking(&state.pool, move |c| model::transition(c, id, change)).await? {
        Outcome::Done(campaign) => {
            audit::record(
                state,
                audit::Entry {
                    actor: user.id,
                    action,
                    target_type: "campaign",
                    target_id: id.to_string(),
                    details: serde_json::json!({ "status": campaign.status }),
                    request_id,
                },
            )
            .await;
            Ok(HttpResponse::Ok().json(campaign))
        }
        Outcome::NotFound => Err(not_found(id)),
        Outcome::Refused(status) => Err(wrong_status(
            id,
            status,
            &format!("only a {} campaign can be {verb}", states(change.from())),
        )),
    }
}

/// The `{token}` of a public route, as sent: read from the match rather than a `Path<String>`, whose
/// refusal of a segment that is not UTF-8 would be a JSON 400 instead of the route's own answer.
pub(crate) fn token(req: &actix_web::HttpRequest) -> &str {
    req.match_info().get("token").unwrap_or_default()
}

/// The link checker. Only the signature matters to a check, not the base address, so links mailed before
/// `API_PUBLIC_URL` changed (or was unset) keep working.
pub(crate) fn links(state: &AppState) -> Option<Links> {
    let base = state
        .config
        .common
        .campaigns
        .public_url
        .clone()
        .or_else(|| url::Url::parse("http://localhost/").ok())?;
    Some(Links::new(&base, state.config.common.rgpd.hasher.clone()))
}
