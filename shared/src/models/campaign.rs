//! Campaign mail as stored: templates, campaigns with their steps, the recipients enrolled and one send
//! record per recipient and step. Audiences are [`super::segment`]'s; sending, tracking and bounces are
//! `crm-campaigns`'.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::UserId;
use super::segment::SegmentId;
use crate::db::DbError;
use crate::schema::{
    campaign_sends as s, campaign_steps as st, campaigns as c, mail_templates as t,
};

id_newtype!(
    /// Id of a row of `mail_templates`.
    MailTemplateId
);
id_newtype!(
    /// Id of a row of `campaigns`.
    CampaignId
);
id_newtype!(
    /// Id of a row of `campaign_sends`: one message to one recipient for one step.
    CampaignSendId
);

text_enum! {
    /// Where a campaign stands. `paused` is the kill switch: nothing more leaves until it is resumed.
    pub enum CampaignStatus ("campaign status") {
        Draft => "draft",
        Scheduled => "scheduled",
        Sending => "sending",
        Paused => "paused",
        Completed => "completed",
        Cancelled => "cancelled",
    }
}

text_enum! {
    /// Where one send record stands.
    pub enum SendStatus ("send status") {
        Pending => "pending",
        /// Claimed by a job for its SMTP transaction.
        Sending => "sending",
        Sent => "sent",
        Failed => "failed",
        /// Not sent, for the reason in `skip_reason` (suppressed, no address, campaign cancelled…).
        Skipped => "skipped",
    }
}

/// A row of `mail_templates`.
#[derive(
    Debug, Clone, PartialEq, Eq, Queryable, Selectable, serde::Serialize, utoipa::ToSchema,
)]
#[diesel(table_name = t, check_for_backend(diesel::pg::Pg))]
pub struct MailTemplate {
    #[schema(value_type = i64)]
    pub id: MailTemplateId,
    pub name: String,
    pub subject: String,
    pub html: String,
    /// `None`: the text part is generated from the HTML.
    pub text_body: Option<String>,
    #[schema(value_type = Option<i64>)]
    pub owner_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Insert and update form of [`MailTemplate`].
#[derive(Debug, Clone, PartialEq, Eq, Insertable, AsChangeset)]
#[diesel(table_name = t, treat_none_as_null = true)]
pub struct TemplateFields {
    pub name: String,
    pub subject: String,
    pub html: String,
    pub text_body: Option<String>,
}

/// A row of `campaigns`.
#[derive(
    Debug, Clone, PartialEq, Eq, Queryable, Selectable, serde::Serialize, utoipa::ToSchema,
)]
#[diesel(table_name = c, check_for_backend(diesel::pg::Pg))]
pub struct Campaign {
    #[schema(value_type = i64)]
    pub id: CampaignId,
    pub name: String,
    #[schema(value_type = i64)]
    pub segment_id: SegmentId,
    #[schema(value_type = String)]
    pub status: CampaignStatus,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub tracking: bool,
    pub stop_on_reply: bool,
    #[schema(value_type = Option<i64>)]
    pub owner_id: Option<UserId>,
    pub launched_at: Option<DateTime<Utc>>,
    pub paused_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A row of `campaign_steps`.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    Queryable,
    Selectable,
    Insertable,
    serde::Serialize,
    utoipa::ToSchema,
)]
#[diesel(table_name = st, check_for_backend(diesel::pg::Pg))]
pub struct CampaignStep {
    #[schema(value_type = i64)]
    pub campaign_id: CampaignId,
    pub step: i16,
    #[schema(value_type = i64)]
    pub template_id: MailTemplateId,
    /// Hours after the recipient's previous step (step 1: sent at launch).
    pub delay_hours: i32,
    /// Variant B's subject (A/B test); `None`: one subject.
    pub subject_b: Option<String>,
}

/// A row of `campaign_sends`.
#[derive(
    Debug, Clone, PartialEq, Eq, Queryable, Selectable, serde::Serialize, utoipa::ToSchema,
)]
#[diesel(table_name = s, check_for_backend(diesel::pg::Pg))]
pub struct CampaignSend {
    #[schema(value_type = i64)]
    pub id: CampaignSendId,
    #[schema(value_type = i64)]
    pub campaign_id: CampaignId,
    pub person_id: i64,
    pub step: i16,
    pub variant: String,
    #[schema(value_type = String)]
    pub status: SendStatus,
    pub skip_reason: Option<String>,
    pub due_at: DateTime<Utc>,
    pub attempts: i32,
    pub enqueued_at: Option<DateTime<Utc>>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub message_id: String,
    #[serde(skip)]
    pub address_hash: Option<String>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub fn find_template(
    conn: &mut PgConnection,
    id: MailTemplateId,
) -> Result<Option<MailTemplate>, DbError> {
    Ok(t::table
        .find(id)
        .select(MailTemplate::as_select())
        .first(conn)
        .optional()?)
}

pub fn find(conn: &mut PgConnection, id: CampaignId) -> Result<Option<Campaign>, DbError> {
    Ok(c::table
        .find(id)
        .select(Campaign::as_select())
        .first(conn)
        .optional()?)
}

/// The campaign's owner: `None` when there is no such campaign, `Some(None)` when its owner was deleted.
pub fn owner_of(
    conn: &mut PgConnection,
    id: CampaignId,
) -> Result<Option<Option<UserId>>, DbError> {
    Ok(c::table
        .find(id)
        .select(c::owner_id)
        .first::<Option<UserId>>(conn)
        .optional()?)
}

/// The campaign's steps, in order.
pub fn steps(conn: &mut PgConnection, id: CampaignId) -> Result<Vec<CampaignStep>, DbError> {
    Ok(st::table
        .filter(st::campaign_id.eq(id))
        .select(CampaignStep::as_select())
        .order(st::step.asc())
        .load(conn)?)
}

pub fn find_send(
    conn: &mut PgConnection,
    id: CampaignSendId,
) -> Result<Option<CampaignSend>, DbError> {
    Ok(s::table
        .find(id)
        .select(CampaignSend::as_select())
        .first(conn)
        .optional()?)
}

/// A template without its bodies, for listings.
#[derive(
    Debug, Clone, PartialEq, Eq, Queryable, Selectable, serde::Serialize, utoipa::ToSchema,
)]
#[diesel(table_name = t, check_for_backend(diesel::pg::Pg))]
pub struct TemplateSummary {
    #[schema(value_type = i64)]
    pub id: MailTemplateId,
    pub name: String,
    pub subject: String,
    #[schema(value_type = Option<i64>)]
    pub owner_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Insert and update form of [`Campaign`]'s editable fields.
#[derive(Debug, Clone, PartialEq, Eq, Insertable, AsChangeset)]
#[diesel(table_name = c)]
pub struct CampaignFields {
    pub name: String,
    pub segment_id: SegmentId,
    pub tracking: bool,
    pub stop_on_reply: bool,
}

/// One step as given; its number is its place in the list (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepFields {
    pub template_id: MailTemplateId,
    pub delay_hours: i32,
    pub subject_b: Option<String>,
}

/// What a delete did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    Deleted,
    NotFound,
    /// Still referenced (a template by a campaign step, a segment by a campaign).
    InUse,
}

/// What a conditional change of a campaign did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<T> {
    Done(T),
    NotFound,
    /// The campaign is not in a state the change applies to; its current status.
    Refused(CampaignStatus),
}

/// A change of a campaign's status. Each applies only from its states ([`Change::from`]), in one
/// conditional UPDATE, so two concurrent changes cannot both succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// draft → scheduled, step 1 due at the instant given.
    Schedule(DateTime<Utc>),
    /// scheduled | sending → paused.
    Pause,
    /// paused → sending when it was launched, else scheduled.
    Resume,
    /// draft | scheduled | sending | paused → cancelled; pending sends become skipped (`cancelled`).
    Cancel,
}

impl Change {
    /// The states the change applies from.
    pub fn from(self) -> &'static [CampaignStatus] {
        use CampaignStatus::*;
        match self {
            Change::Schedule(_) => &[Draft],
            Change::Pause => &[Scheduled, Sending],
            Change::Resume => &[Paused],
            Change::Cancel => &[Draft, Scheduled, Sending, Paused],
        }
    }
}

pub fn list_templates(
    conn: &mut PgConnection,
    before: Option<MailTemplateId>,
    limit: i64,
) -> Result<Vec<TemplateSummary>, DbError> {
    let mut q = t::table
        .select(TemplateSummary::as_select())
        .order(t::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        q = q.filter(t::id.lt(before));
    }
    Ok(q.load(conn)?)
}

pub fn create_template(
    conn: &mut PgConnection,
    fields: &TemplateFields,
    owner: UserId,
) -> Result<MailTemplate, DbError> {
    Ok(diesel::insert_into(t::table)
        .values((fields, t::owner_id.eq(owner)))
        .returning(MailTemplate::as_returning())
        .get_result(conn)?)
}

/// Replaces a template's fields; `None` when there is no such template.
pub fn update_template(
    conn: &mut PgConnection,
    id: MailTemplateId,
    fields: &TemplateFields,
) -> Result<Option<MailTemplate>, DbError> {
    Ok(diesel::update(t::table.find(id))
        .set(fields)
        .returning(MailTemplate::as_returning())
        .get_result(conn)
        .optional()?)
}

/// The template's owner: `None` when there is no such template, `Some(None)` when its owner was deleted.
pub fn template_owner(
    conn: &mut PgConnection,
    id: MailTemplateId,
) -> Result<Option<Option<UserId>>, DbError> {
    Ok(t::table
        .find(id)
        .select(t::owner_id)
        .first::<Option<UserId>>(conn)
        .optional()?)
}

/// Deletes a template unless a campaign step uses it (the foreign key decides, so a step added meanwhile
/// cannot be orphaned).
pub fn delete_template(conn: &mut PgConnection, id: MailTemplateId) -> Result<Deletion, DbError> {
    match diesel::delete(t::table.find(id))
        .execute(conn)
        .map_err(DbError::from)
    {
        Ok(0) => Ok(Deletion::NotFound),
        Ok(_) => Ok(Deletion::Deleted),
        Err(DbError::ForeignKeyViolation { .. }) => Ok(Deletion::InUse),
        Err(e) => Err(e),
    }
}

/// The ids among `ids` that are templates.
pub fn existing_templates(
    conn: &mut PgConnection,
    ids: &[MailTemplateId],
) -> Result<Vec<MailTemplateId>, DbError> {
    Ok(t::table
        .filter(t::id.eq_any(ids))
        .select(t::id)
        .load(conn)?)
}

/// Campaigns, newest first, optionally of one status.
pub fn list(
    conn: &mut PgConnection,
    status: Option<CampaignStatus>,
    before: Option<CampaignId>,
    limit: i64,
) -> Result<Vec<Campaign>, DbError> {
    let mut q = c::table
        .select(Campaign::as_select())
        .order(c::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(status) = status {
        q = q.filter(c::status.eq(status));
    }
    if let Some(before) = before {
        q = q.filter(c::id.lt(before));
    }
    Ok(q.load(conn)?)
}

fn insert_steps(
    conn: &mut PgConnection,
    id: CampaignId,
    steps: &[StepFields],
) -> Result<Vec<CampaignStep>, DbError> {
    let rows: Vec<CampaignStep> = steps
        .iter()
        .zip(1i16..)
        .map(|(s, step)| CampaignStep {
            campaign_id: id,
            step,
            template_id: s.template_id,
            delay_hours: s.delay_hours,
            subject_b: s.subject_b.clone(),
        })
        .collect();
    diesel::insert_into(st::table).values(&rows).execute(conn)?;
    Ok(rows)
}

/// Creates a draft campaign owned by `owner`, with its steps.
pub fn create(
    conn: &mut PgConnection,
    owner: UserId,
    fields: &CampaignFields,
    steps: &[StepFields],
) -> Result<(Campaign, Vec<CampaignStep>), DbError> {
    conn.transaction(|conn| {
        let campaign = diesel::insert_into(c::table)
            .values((fields, c::owner_id.eq(owner)))
            .returning(Campaign::as_returning())
            .get_result(conn)?;
        let steps = insert_steps(conn, campaign.id, steps)?;
        Ok((campaign, steps))
    })
}

/// The status of a campaign a conditional change did not apply to.
fn refusal<T>(conn: &mut PgConnection, id: CampaignId) -> Result<Outcome<T>, DbError> {
    Ok(
        match c::table
            .find(id)
            .select(c::status)
            .first::<CampaignStatus>(conn)
            .optional()?
        {
            Some(status) => Outcome::Refused(status),
            None => Outcome::NotFound,
        },
    )
}

/// Replaces a draft's fields and steps; refused once it is scheduled.
pub fn update_draft(
    conn: &mut PgConnection,
    id: CampaignId,
    fields: &CampaignFields,
    steps: &[StepFields],
) -> Result<Outcome<(Campaign, Vec<CampaignStep>)>, DbError> {
    conn.transaction(|conn| {
        let updated = diesel::update(
            c::table
                .find(id)
                .filter(c::status.eq(CampaignStatus::Draft)),
        )
        .set(fields)
        .returning(Campaign::as_returning())
        .get_result(conn)
        .optional()?;
        let Some(campaign) = updated else {
            return refusal(conn, id);
        };
        diesel::delete(st::table.filter(st::campaign_id.eq(id))).execute(conn)?;
        let steps = insert_steps(conn, id, steps)?;
        Ok(Outcome::Done((campaign, steps)))
    })
}

/// Applies `change` when the campaign is in one of its states (one conditional UPDATE).
pub fn transition(
    conn: &mut PgConnection,
    id: CampaignId,
    change: Change,
) -> Result<Outcome<Campaign>, DbError> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Nullable, Text, Timestamptz};
    conn.transaction(|conn| {
        let target = c::table.find(id).filter(c::status.eq_any(change.from()));
        let updated = match change {
            Change::Schedule(at) => diesel::update(target)
                .set((
                    c::status.eq(CampaignStatus::Scheduled),
                    c::scheduled_at.eq(at),
                ))
                .returning(Campaign::as_returning())
                .get_result(conn)
                .optional()?,
            Change::Pause => diesel::update(target)
                .set((
                    c::status.eq(CampaignStatus::Paused),
                    c::paused_at.eq(sql::<Nullable<Timestamptz>>("now()")),
                ))
                .returning(Campaign::as_returning())
                .get_result(conn)
                .optional()?,
            Change::Resume => diesel::update(target)
                .set((
                    c::status.eq(sql::<Text>(
                        "CASE WHEN launched_at IS NULL THEN 'scheduled' ELSE 'sending' END",
                    )),
                    c::paused_at.eq(None::<DateTime<Utc>>),
                ))
                .returning(Campaign::as_returning())
                .get_result(conn)
                .optional()?,
            Change::Cancel => diesel::update(target)
                .set(c::status.eq(CampaignStatus::Cancelled))
                .returning(Campaign::as_returning())
                .get_result(conn)
                .optional()?,
        };
        let Some(campaign) = updated else {
            return refusal(conn, id);
        };
        if change == Change::Cancel {
            diesel::update(
                s::table
                    .filter(s::campaign_id.eq(id))
                    .filter(s::status.eq(SendStatus::Pending)),
            )
            .set((
                s::status.eq(SendStatus::Skipped),
                s::skip_reason.eq("cancelled"),
            ))
            .execute(conn)?;
        }
        Ok(Outcome::Done(campaign))
    })
}

/// Deletes a campaign that is a draft or cancelled (with its steps, sends and events).
pub fn delete(conn: &mut PgConnection, id: CampaignId) -> Result<Outcome<()>, DbError> {
    conn.transaction(|conn| {
        let n = diesel::delete(
            c::table
                .find(id)
                .filter(c::status.eq_any([CampaignStatus::Draft, CampaignStatus::Cancelled])),
        )
        .execute(conn)?;
        if n == 0 {
            return refusal(conn, id);
        }
        Ok(Outcome::Done(()))
    })
}

/// A campaign's send records, newest first.
pub fn sends(
    conn: &mut PgConnection,
    id: CampaignId,
    status: Option<SendStatus>,
    step: Option<i16>,
    before: Option<CampaignSendId>,
    limit: i64,
) -> Result<Vec<CampaignSend>, DbError> {
    let mut q = s::table
        .filter(s::campaign_id.eq(id))
        .select(CampaignSend::as_select())
        .order(s::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(status) = status {
        q = q.filter(s::status.eq(status));
    }
    if let Some(step) = step {
        q = q.filter(s::step.eq(step));
    }
    if let Some(before) = before {
        q = q.filter(s::id.lt(before));
    }
    Ok(q.load(conn)?)
}

/// The figures of one step and variant of a campaign. Opens and clicks count sends (unique), not fetches.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName, serde::Serialize, utoipa::ToSchema)]
pub struct ReportRow {
    #[diesel(sql_type = diesel::sql_types::SmallInt)]
    pub step: i16,
    /// `a`, or `b` (the step's `subject_b`).
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub variant: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub sent: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub failed: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub skipped: i64,
    /// Not sent yet (pending, or being sent now).
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub pending: i64,
    /// Sends the receiving server accepted (as a provider reports it).
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub delivered: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub bounces_hard: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub bounces_soft: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub complaints: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub unsubscribes: i64,
    /// Sends opened at least once, machine fetches included.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub unique_opens: i64,
    /// Sends with at least one open not flagged as a machine's (sends whose only opens are image-proxy
    /// prefetches are left out).
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub unique_opens_human: i64,
    /// Sends with at least one click not flagged as a machine's (link scanners left out).
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub unique_clicks: i64,
}

/// The report of a campaign: one row per step and variant (the steps' declared variants, and any variant
/// a send was made for), in order.
pub fn report(conn: &mut PgConnection, id: CampaignId) -> Result<Vec<ReportRow>, DbError> {
    Ok(diesel::sql_query(
        "WITH keys AS (
            SELECT step, 'a'::text AS variant FROM campaign_steps WHERE campaign_id = $1
            UNION SELECT step, 'b' FROM campaign_steps WHERE campaign_id = $1 AND subject_b IS NOT NULL
            UNION SELECT step, variant FROM campaign_sends WHERE campaign_id = $1
        ), ev AS (
            SELECT send_id,
                bool_or(kind = 'delivered') AS delivered,
                bool_or(kind = 'bounce_hard') AS bounce_hard,
                bool_or(kind = 'bounce_soft') AS bounce_soft,
                bool_or(kind = 'complaint') AS complaint,
                bool_or(kind = 'unsubscribe') AS unsubscribe,
                bool_or(kind = 'open') AS opened,
                bool_or(kind = 'open' AND NOT machine) AS opened_human,
                bool_or(kind = 'click' AND NOT machine) AS clicked
            FROM email_events WHERE campaign_id = $1 AND send_id IS NOT NULL
            GROUP BY send_id
        )
        SELECT k.step, k.variant,
            count(s.id) FILTER (WHERE s.status = 'sent') AS sent,
            count(s.id) FILTER (WHERE s.status = 'failed') AS failed,
            count(s.id) FILTER (WHERE s.status = 'skipped') AS skipped,
            count(s.id) FILTER (WHERE s.status IN ('pending', 'sending')) AS pending,
            count(s.id) FILTER (WHERE ev.delivered) AS delivered,
            count(s.id) FILTER (WHERE ev.bounce_hard) AS bounces_hard,
            count(s.id) FILTER (WHERE ev.bounce_soft) AS bounces_soft,
            count(s.id) FILTER (WHERE ev.complaint) AS complaints,
            count(s.id) FILTER (WHERE ev.unsubscribe) AS unsubscribes,
            count(s.id) FILTER (WHERE ev.opened) AS unique_opens,
            count(s.id) FILTER (WHERE ev.opened_human) AS unique_opens_human,
            count(s.id) FILTER (WHERE ev.clicked) AS unique_clicks
        FROM keys k
        LEFT JOIN campaign_sends s
            ON s.campaign_id = $1 AND s.step = k.step AND s.variant = k.variant
        LEFT JOIN ev ON ev.send_id = s.id
        GROUP BY k.step, k.variant
        ORDER BY k.step, k.variant",
    )
    .bind::<diesel::sql_types::BigInt, _>(id.0)
    .load(conn)?)
}

/// Suppressed addresses by reason (`unsubscribed`, `hard_bounce`, `soft_bounces`, `complaint`, `manual`).
pub fn suppression_counts(conn: &mut PgConnection) -> Result<Vec<(String, i64)>, DbError> {
    use crate::schema::email_suppressions as sup;
    Ok(sup::table
        .group_by(sup::reason)
        .select((sup::reason, diesel::dsl::count_star()))
        .order(sup::reason)
        .load(conn)?)
}

/// Suppresses the address of hash `hash` by hand (reason `manual`, source `admin`); `false` when it was
/// already suppressed (its reason is kept).
pub fn suppress_manually(conn: &mut PgConnection, hash: &str) -> Result<bool, DbError> {
    use crate::schema::email_suppressions as sup;
    Ok(diesel::insert_into(sup::table)
        .values((
            sup::address_hash.eq(hash),
            sup::reason.eq("manual"),
            sup::source.eq("admin"),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?
        > 0)
}

/// Lifts the suppression of `hash`; `false` when it was not suppressed.
pub fn lift_suppression(conn: &mut PgConnection, hash: &str) -> Result<bool, DbError> {
    use crate::schema::email_suppressions as sup;
    Ok(diesel::delete(sup::table.find(hash)).execute(conn)? > 0)
}

/// Why `hash` is suppressed, if it is.
pub fn suppression_reason(conn: &mut PgConnection, hash: &str) -> Result<Option<String>, DbError> {
    use crate::schema::email_suppressions as sup;
    Ok(sup::table
        .find(hash)
        .select(sup::reason)
        .first(conn)
        .optional()?)
}

/// True when send `id` exists.
pub fn send_exists(conn: &mut PgConnection, id: CampaignSendId) -> Result<bool, DbError> {
    Ok(diesel::select(diesel::dsl::exists(s::table.find(id))).get_result(conn)?)
}

/// True when a campaign mailed the address of hash `hash`.
pub fn address_was_mailed(conn: &mut PgConnection, hash: &str) -> Result<bool, DbError> {
    Ok(diesel::select(diesel::dsl::exists(
        s::table.filter(s::address_hash.eq(hash)),
    ))
    .get_result(conn)?)
}
