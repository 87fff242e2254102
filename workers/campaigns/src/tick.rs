//! The minute tick: launches the scheduled campaigns that are due (enrolling their audience and making
//! step 1's send records), stops the drips of recipients who replied, makes the drip steps that fell due,
//! finds the send records to hand to `campaigns.send` jobs and completes campaigns with nothing left.
//! Everything here is set-based SQL; the caller enqueues what [`tick`] returns.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Interval, Text, Timestamptz};
use shared::db::DbError;
use shared::models::UserId;
use shared::models::campaign::{CampaignId, CampaignSendId};
use shared::permissions::{Access, Resource, access_to, load_principal};

/// A pending send whose job was enqueued this long ago and never ran (lost with a Redis failover, or
/// dropped) is handed to a new job. Longer than a large campaign's wait behind its rate limit.
pub const REHAND_AFTER_SECS: i64 = 6 * 3_600;

/// A send record to hand to a job, with the user the job acts for (the campaign's owner).
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Due {
    #[diesel(sql_type = BigInt)]
    pub send_id: CampaignSendId,
    #[diesel(sql_type = BigInt)]
    pub campaign_id: CampaignId,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    pub owner_id: Option<UserId>,
    /// The hand-over's number (its time in milliseconds): part of the job's idempotency key.
    #[diesel(sql_type = BigInt)]
    pub round: i64,
}

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TickReport {
    pub launched: usize,
    pub enrolled: usize,
    /// Campaigns paused because their owner may no longer change them (deactivated, demoted).
    pub paused_owner_lost: usize,
    pub replied: usize,
    pub steps_made: usize,
    pub completed: usize,
    #[serde(skip)]
    pub due: Vec<Due>,
    pub handed: usize,
}

#[derive(QueryableByName)]
struct Launch {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    owner_id: Option<i64>,
}

/// May the campaign's owner still change it? The rule of `Resource::Campaign`, as its endpoints apply it.
fn owner_may_send(
    conn: &mut PgConnection,
    campaign: CampaignId,
    owner: Option<i64>,
) -> Result<bool, DbError> {
    let Some(owner) = owner else {
        return Ok(false);
    };
    let Some(principal) = load_principal(conn, UserId(owner))? else {
        return Ok(false);
    };
    Ok(access_to(conn, &principal, Resource::Campaign(campaign))? == Access::Write)
}

fn pause_for_owner(conn: &mut PgConnection, campaign: i64) -> Result<(), DbError> {
    diesel::sql_query(
        "UPDATE campaigns SET status = 'paused', paused_at = now() \
         WHERE id = $1 AND status IN ('scheduled', 'sending')",
    )
    .bind::<BigInt, _>(campaign)
    .execute(conn)?;
    tracing::warn!(
        campaign.id = campaign,
        "campaign paused: its owner may no longer change it"
    );
    Ok(())
}

/// One tick at `now`. `message_domain` is the right-hand side of the Message-IDs made (the sender's
/// domain); `lease_secs` is how long a claimed send may stay unfinished before it is handed over again.
pub fn tick(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    message_domain: &str,
    lease_secs: i64,
) -> Result<TickReport, DbError> {
    let mut report = TickReport::default();

    // 1. Launch what is due, one campaign per transaction (a failure leaves the others launched).
    let due: Vec<Launch> = diesel::sql_query(
        "SELECT id, owner_id FROM campaigns WHERE status = 'scheduled' AND scheduled_at <= $1 ORDER BY id",
    )
    .bind::<Timestamptz, _>(now)
    .load(conn)?;
    for c in due {
        if !owner_may_send(conn, CampaignId(c.id), c.owner_id)? {
            pause_for_owner(conn, c.id)?;
            report.paused_owner_lost += 1;
            continue;
        }
        let enrolled = conn.transaction(|conn| launch(conn, c.id, now, message_domain))?;
        if let Some(n) = enrolled {
            report.launched += 1;
            report.enrolled += n;
        }
    }

    // 2. Recipients who wrote to us since they were enrolled leave the drip.
    report.replied = diesel::sql_query(
        "UPDATE campaign_recipients r SET state = 'stopped', stop_reason = 'replied' \
         FROM campaigns c \
         WHERE c.id = r.campaign_id AND c.status = 'sending' AND c.stop_on_reply AND r.state = 'active' \
           AND EXISTS (SELECT 1 FROM interactions i WHERE i.person_id = r.person_id \
               AND i.direction = 'inbound' AND COALESCE(i.sent_at, i.created_at) > r.enrolled_at)",
    )
    .execute(conn)?;

    // 3. The next step of every active recipient whose previous step went out long enough ago.
    report.steps_made = diesel::sql_query(
        "INSERT INTO campaign_sends (campaign_id, person_id, step, variant, due_at, message_id) \
         SELECT s.campaign_id, s.person_id, s.step + 1, s.variant, \
                s.sent_at + make_interval(hours => st.delay_hours), \
                'crm.' || gen_random_uuid() || '@' || $2 \
         FROM campaign_sends s \
         JOIN campaigns c ON c.id = s.campaign_id AND c.status = 'sending' \
         JOIN campaign_steps st ON st.campaign_id = s.campaign_id AND st.step = s.step + 1 \
         JOIN campaign_recipients r ON r.campaign_id = s.campaign_id AND r.person_id = s.person_id \
              AND r.state = 'active' \
         WHERE s.status = 'sent' AND s.sent_at + make_interval(hours => st.delay_hours) <= $1 \
         ON CONFLICT (campaign_id, person_id, step) DO NOTHING",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<Text, _>(message_domain)
    .execute(conn)?;

    // 4. Sends to hand to jobs: due and never handed, handed long ago and never run, or claimed by a
    //    job that did not finish within the lease (its worker died).
    let owners: Vec<Launch> = diesel::sql_query(
        "SELECT DISTINCT c.id, c.owner_id FROM campaigns c \
         JOIN campaign_sends s ON s.campaign_id = c.id AND s.status IN ('pending', 'sending') \
         WHERE c.status = 'sending'",
    )
    .load(conn)?;
    let mut allowed = Vec::with_capacity(owners.len());
    for c in owners {
        if owner_may_send(conn, CampaignId(c.id), c.owner_id)? {
            allowed.push(c.id);
        } else {
            pause_for_owner(conn, c.id)?;
            report.paused_owner_lost += 1;
        }
    }
    report.due = diesel::sql_query(
        "UPDATE campaign_sends s SET enqueued_at = $1 \
         FROM campaigns c \
         WHERE c.id = s.campaign_id AND c.id = ANY($2) AND c.status = 'sending' AND ( \
             (s.status = 'pending' AND s.due_at <= $1 \
                 AND (s.enqueued_at IS NULL OR s.enqueued_at < $1 - $3)) \
             OR (s.status = 'sending' AND s.claimed_at < $1 - $4 \
                 AND (s.enqueued_at IS NULL OR s.enqueued_at < $1 - $4))) \
         RETURNING s.id AS send_id, s.campaign_id, c.owner_id, \
             floor(extract(epoch FROM $1) * 1000)::bigint AS round",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<diesel::sql_types::Array<BigInt>, _>(allowed)
    .bind::<Interval, _>(diesel::pg::data_types::PgInterval::from_microseconds(
        REHAND_AFTER_SECS * 1_000_000,
    ))
    .bind::<Interval, _>(diesel::pg::data_types::PgInterval::from_microseconds(
        lease_secs * 1_000_000,
    ))
    .load(conn)?;
    report.handed = report.due.len();

    // 5. Campaigns with no active recipient and nothing in flight are complete.
    report.completed = diesel::sql_query(
        "UPDATE campaigns c SET status = 'completed', completed_at = $1 \
         WHERE c.status = 'sending' \
           AND NOT EXISTS (SELECT 1 FROM campaign_recipients r WHERE r.campaign_id = c.id AND r.state = 'active') \
           AND NOT EXISTS (SELECT 1 FROM campaign_sends s WHERE s.campaign_id = c.id \
               AND s.status IN ('pending', 'sending'))",
    )
    .bind::<Timestamptz, _>(now)
    .execute(conn)?;
    Ok(report)
}

/// Enrols campaign `id`'s audience (the A/B variant drawn per recipient when step 1 has a subject B) and
/// makes its step-1 sends; `None` when another tick launched it first.
fn launch(
    conn: &mut PgConnection,
    id: i64,
    now: DateTime<Utc>,
    message_domain: &str,
) -> Result<Option<usize>, DbError> {
    let claimed = diesel::sql_query(
        "UPDATE campaigns SET status = 'sending', launched_at = $2 \
         WHERE id = $1 AND status = 'scheduled'",
    )
    .bind::<BigInt, _>(id)
    .bind::<Timestamptz, _>(now)
    .execute(conn)?;
    if claimed == 0 {
        return Ok(None);
    }
    // Variant b for about half the recipients when an A/B subject exists: a hash of campaign and person,
    // so the draw is fixed and independent of insertion order.
    let enrolled = diesel::sql_query(
        "INSERT INTO campaign_recipients (campaign_id, person_id, variant, enrolled_at) \
         SELECT $1, a.person_id, \
             CASE WHEN EXISTS (SELECT 1 FROM campaign_steps st WHERE st.campaign_id = $1 \
                                   AND st.subject_b IS NOT NULL) \
                   AND (hashtextextended($1::text || ':' || a.person_id::text, 0) & 1) = 1 \
                  THEN 'b' ELSE 'a' END, \
             $2 \
         FROM segment_audience((SELECT segment_id FROM campaigns WHERE id = $1)) a \
         ON CONFLICT DO NOTHING",
    )
    .bind::<BigInt, _>(id)
    .bind::<Timestamptz, _>(now)
    .execute(conn)?;
    diesel::sql_query(
        "INSERT INTO campaign_sends (campaign_id, person_id, step, variant, due_at, message_id) \
         SELECT r.campaign_id, r.person_id, 1, r.variant, $2, 'crm.' || gen_random_uuid() || '@' || $3 \
         FROM campaign_recipients r WHERE r.campaign_id = $1 \
         ON CONFLICT (campaign_id, person_id, step) DO NOTHING",
    )
    .bind::<BigInt, _>(id)
    .bind::<Timestamptz, _>(now)
    .bind::<Text, _>(message_domain)
    .execute(conn)?;
    tracing::info!(campaign.id = id, recipients = enrolled, "campaign launched");
    Ok(Some(enrolled))
}
