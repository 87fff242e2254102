//! Webhook endpoints, their deliveries and the delivery log (`webhook_attempts`). Signing and sending are
//! `crm-webhooks`'; this module stores.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::UserId;
use super::text_list::TextList;
use crate::db::DbError;
use crate::schema::{webhook_attempts as a, webhook_deliveries as d, webhook_endpoints as e};

id_newtype!(
    /// Id of a row of `webhook_endpoints`.
    WebhookEndpointId
);
id_newtype!(
    /// Id of a row of `webhook_deliveries`.
    WebhookDeliveryId
);

/// A row of `webhook_endpoints`, secrets included (sealed). Never serialised: see [`EndpointView`].
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = e, check_for_backend(diesel::pg::Pg))]
pub struct WebhookEndpoint {
    pub id: WebhookEndpointId,
    pub url: String,
    pub description: String,
    #[diesel(deserialize_as = TextList)]
    pub event_types: Vec<String>,
    pub secret_enc: Vec<u8>,
    pub previous_secret_enc: Option<Vec<u8>>,
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub active: bool,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub failing_since: Option<DateTime<Utc>>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What the API shows of an endpoint: everything but the secrets.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct EndpointView {
    #[schema(value_type = i64)]
    pub id: WebhookEndpointId,
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub active: bool,
    /// Why the platform turned it off (`gone`: the receiver answered 410; `failing`: every attempt failed
    /// for five days).
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// Start of the current run of failures.
    pub failing_since: Option<DateTime<Utc>>,
    /// Until when the secret replaced by the last rotation still signs.
    pub previous_secret_until: Option<DateTime<Utc>>,
    #[schema(value_type = Option<i64>)]
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<WebhookEndpoint> for EndpointView {
    fn from(w: WebhookEndpoint) -> Self {
        Self {
            id: w.id,
            url: w.url,
            description: w.description,
            event_types: w.event_types,
            active: w.active,
            disabled_reason: w.disabled_reason,
            disabled_at: w.disabled_at,
            failing_since: w.failing_since,
            previous_secret_until: w.previous_secret_until,
            created_by: w.created_by,
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// Insert form of [`WebhookEndpoint`].
#[derive(Debug, Clone, PartialEq, Eq, Insertable)]
#[diesel(table_name = e)]
pub struct NewWebhookEndpoint {
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub secret_enc: Vec<u8>,
    pub active: bool,
    pub created_by: Option<UserId>,
}

/// The fields an admin may change (`None`: unchanged). Re-activating clears the platform's reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointChanges {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub active: Option<bool>,
}

pub fn create(
    conn: &mut PgConnection,
    new: &NewWebhookEndpoint,
) -> Result<WebhookEndpoint, DbError> {
    Ok(diesel::insert_into(e::table)
        .values(new)
        .returning(WebhookEndpoint::as_returning())
        .get_result(conn)?)
}

pub fn list(conn: &mut PgConnection) -> Result<Vec<WebhookEndpoint>, DbError> {
    Ok(e::table
        .select(WebhookEndpoint::as_select())
        .order(e::id.asc())
        .load(conn)?)
}

pub fn find(
    conn: &mut PgConnection,
    id: WebhookEndpointId,
) -> Result<Option<WebhookEndpoint>, DbError> {
    Ok(e::table
        .find(id)
        .select(WebhookEndpoint::as_select())
        .first(conn)
        .optional()?)
}

/// Applies `changes` to endpoint `id`; `None` when it does not exist.
pub fn update(
    conn: &mut PgConnection,
    id: WebhookEndpointId,
    changes: &EndpointChanges,
) -> Result<Option<WebhookEndpoint>, DbError> {
    conn.transaction(|conn| {
        let Some(current) = find(conn, id)? else {
            return Ok(None);
        };
        let reactivated = changes.active == Some(true) && !current.active;
        let deactivated = changes.active == Some(false) && current.active;
        let row = diesel::update(e::table.find(id))
            .set((
                e::url.eq(changes.url.as_ref().unwrap_or(&current.url)),
                e::description.eq(changes.description.as_ref().unwrap_or(&current.description)),
                e::event_types.eq(changes.event_types.as_ref().unwrap_or(&current.event_types)),
                e::active.eq(changes.active.unwrap_or(current.active)),
                e::disabled_reason.eq(if reactivated || deactivated {
                    None
                } else {
                    current.disabled_reason
                }),
                e::disabled_at.eq(if reactivated {
                    None
                } else if deactivated {
                    Some(Utc::now())
                } else {
                    current.disabled_at
                }),
                e::failing_since.eq(if reactivated {
                    None
                } else {
                    current.failing_since
                }),
            ))
            .returning(WebhookEndpoint::as_returning())
            .get_result(conn)?;
        Ok(Some(row))
    })
}

/// Deletes endpoint `id` with its deliveries and their log; false when it did not exist.
pub fn delete(conn: &mut PgConnection, id: WebhookEndpointId) -> Result<bool, DbError> {
    Ok(diesel::delete(e::table.find(id)).execute(conn)? > 0)
}

/// Replaces the secret of endpoint `id`; the previous one keeps signing until `previous_until`.
pub fn rotate_secret(
    conn: &mut PgConnection,
    id: WebhookEndpointId,
    new_secret_enc: &[u8],
    previous_until: DateTime<Utc>,
) -> Result<Option<WebhookEndpoint>, DbError> {
    Ok(diesel::update(e::table.find(id))
        .set((
            e::previous_secret_enc.eq(e::secret_enc.nullable()),
            e::previous_secret_until.eq(Some(previous_until)),
            e::secret_enc.eq(new_secret_enc),
        ))
        .returning(WebhookEndpoint::as_returning())
        .get_result(conn)
        .optional()?)
}

/// Turns endpoint `id` off for `reason` unless it already is; true when this call did it.
pub fn disable(
    conn: &mut PgConnection,
    id: WebhookEndpointId,
    reason: &str,
) -> Result<bool, DbError> {
    let n = diesel::update(e::table.find(id).filter(e::active))
        .set((
            e::active.eq(false),
            e::disabled_reason.eq(Some(reason)),
            e::disabled_at.eq(Some(Utc::now())),
        ))
        .execute(conn)?;
    Ok(n > 0)
}

/// Records the outcome of an attempt on the endpoint: a success clears `failing_since`, a failure starts
/// it when unset. Returns the start of the failing run (None after a success).
pub fn mark_health(
    conn: &mut PgConnection,
    id: WebhookEndpointId,
    success: bool,
) -> Result<Option<DateTime<Utc>>, DbError> {
    use diesel::sql_types::{Nullable, Timestamptz};
    if success {
        diesel::update(e::table.find(id).filter(e::failing_since.is_not_null()))
            .set(e::failing_since.eq(None::<DateTime<Utc>>))
            .execute(conn)?;
        return Ok(None);
    }
    let since: Option<Option<DateTime<Utc>>> = diesel::update(e::table.find(id))
        .set(
            e::failing_since.eq(diesel::dsl::sql::<Nullable<Timestamptz>>(
                "coalesce(failing_since, now())",
            )),
        )
        .returning(e::failing_since)
        .get_result(conn)
        .optional()?;
    Ok(since.flatten())
}

/// One message to one endpoint.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = d, check_for_backend(diesel::pg::Pg))]
pub struct WebhookDelivery {
    #[schema(value_type = i64)]
    pub id: WebhookDeliveryId,
    #[schema(value_type = i64)]
    pub endpoint_id: WebhookEndpointId,
    pub event_id: Option<i64>,
    /// The `webhook-id` header: the same on every attempt.
    pub message_id: String,
    pub event_type: String,
    /// The body sent.
    pub payload: serde_json::Value,
    /// `pending`, `succeeded` or `failed` (every attempt of the schedule failed, or the endpoint is off).
    pub state: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub job_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Insert form of [`WebhookDelivery`].
#[derive(Debug, Clone, PartialEq, Insertable)]
#[diesel(table_name = d)]
pub struct NewDelivery {
    pub endpoint_id: WebhookEndpointId,
    pub event_id: Option<i64>,
    pub message_id: String,
    pub event_type: String,
    pub payload: serde_json::Value,
    /// When the first attempt is due (now): a delivery whose job is lost is found by this date.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// Inserts deliveries; one per (endpoint, event) however often it is called. Returns the new ones.
pub fn insert_deliveries(
    conn: &mut PgConnection,
    rows: &[NewDelivery],
) -> Result<Vec<WebhookDelivery>, DbError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    Ok(diesel::insert_into(d::table)
        .values(rows)
        .on_conflict_do_nothing()
        .returning(WebhookDelivery::as_returning())
        .get_results(conn)?)
}

pub fn find_delivery(
    conn: &mut PgConnection,
    id: WebhookDeliveryId,
) -> Result<Option<WebhookDelivery>, DbError> {
    Ok(d::table
        .find(id)
        .select(WebhookDelivery::as_select())
        .first(conn)
        .optional()?)
}

/// Notes the job that will make the next attempt of delivery `id`.
pub fn set_delivery_job(
    conn: &mut PgConnection,
    id: WebhookDeliveryId,
    job_id: &str,
) -> Result<(), DbError> {
    diesel::update(d::table.find(id))
        .set(d::job_id.eq(Some(job_id)))
        .execute(conn)?;
    Ok(())
}

/// The newest deliveries of endpoint `id`, `limit` of them before delivery `before` (paging).
pub fn deliveries_of(
    conn: &mut PgConnection,
    id: WebhookEndpointId,
    before: Option<WebhookDeliveryId>,
    limit: i64,
) -> Result<Vec<WebhookDelivery>, DbError> {
    let mut q = d::table
        .filter(d::endpoint_id.eq(id))
        .select(WebhookDelivery::as_select())
        .order(d::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(b) = before {
        q = q.filter(d::id.lt(b));
    }
    Ok(q.load(conn)?)
}

/// Pending deliveries whose next attempt was due before `due_before` (their job was lost, or never
/// enqueued): the sweep hands them to a job again.
pub fn overdue_pending(
    conn: &mut PgConnection,
    due_before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<WebhookDelivery>, DbError> {
    Ok(d::table
        .filter(d::state.eq("pending"))
        .filter(d::next_attempt_at.lt(due_before))
        .select(WebhookDelivery::as_select())
        .order(d::next_attempt_at.asc())
        .limit(limit)
        .load(conn)?)
}

/// One line of the delivery log.
#[derive(
    Debug, Clone, PartialEq, Eq, Queryable, Selectable, serde::Serialize, utoipa::ToSchema,
)]
#[diesel(table_name = a, check_for_backend(diesel::pg::Pg))]
pub struct WebhookAttempt {
    pub id: i64,
    #[schema(value_type = i64)]
    pub delivery_id: WebhookDeliveryId,
    pub attempt: i32,
    /// The receiver's HTTP status; none when no answer came (refused, timeout, connection error).
    pub status: Option<i32>,
    pub latency_ms: i32,
    /// The first 1,000 characters of the answer.
    pub response_excerpt: Option<String>,
    pub error: Option<String>,
    /// Replayed by an admin.
    pub manual: bool,
    pub at: DateTime<Utc>,
}

/// Insert form of [`WebhookAttempt`].
#[derive(Debug, Clone, PartialEq, Eq, Insertable)]
#[diesel(table_name = a)]
pub struct NewAttempt {
    pub delivery_id: WebhookDeliveryId,
    pub attempt: i32,
    pub status: Option<i32>,
    pub latency_ms: i32,
    pub response_excerpt: Option<String>,
    pub error: Option<String>,
    pub manual: bool,
}

/// Where a delivery stands after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Succeeded,
    /// Another attempt is due at this time.
    Retry(DateTime<Utc>),
    Failed,
}

/// Writes an attempt to the log and the delivery's new state, in one transaction.
pub fn record_attempt(
    conn: &mut PgConnection,
    attempt: &NewAttempt,
    state: DeliveryState,
) -> Result<(), DbError> {
    conn.transaction(|conn| {
        diesel::insert_into(a::table)
            .values(attempt)
            .execute(conn)?;
        let (label, next) = match state {
            DeliveryState::Succeeded => ("succeeded", None),
            DeliveryState::Retry(at) => ("pending", Some(at)),
            DeliveryState::Failed => ("failed", None),
        };
        diesel::update(d::table.find(attempt.delivery_id))
            .set((
                d::state.eq(label),
                d::attempts.eq(d::attempts + 1),
                d::last_status.eq(attempt.status),
                d::last_error.eq(&attempt.error),
                d::next_attempt_at.eq(next),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Puts delivery `id` back to pending for an attempt due now (a manual replay).
pub fn reopen(conn: &mut PgConnection, id: WebhookDeliveryId) -> Result<bool, DbError> {
    let n = diesel::update(d::table.find(id))
        .set((
            d::state.eq("pending"),
            d::next_attempt_at.eq(Some(Utc::now())),
        ))
        .execute(conn)?;
    Ok(n > 0)
}

/// Fails every pending delivery of endpoint `id` (it was turned off); returns how many.
pub fn fail_pending_of(
    conn: &mut PgConnection,
    id: WebhookEndpointId,
    reason: &str,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        d::table
            .filter(d::endpoint_id.eq(id))
            .filter(d::state.eq("pending")),
    )
    .set((
        d::state.eq("failed"),
        d::last_error.eq(Some(reason)),
        d::next_attempt_at.eq(None::<DateTime<Utc>>),
    ))
    .execute(conn)?)
}

/// The log of delivery `id`, oldest first.
pub fn attempts_of(
    conn: &mut PgConnection,
    id: WebhookDeliveryId,
) -> Result<Vec<WebhookAttempt>, DbError> {
    Ok(a::table
        .filter(a::delivery_id.eq(id))
        .select(WebhookAttempt::as_select())
        .order(a::id.asc())
        .load(conn)?)
}

/// Deletes finished deliveries (and their log) older than `before`; returns how many.
pub fn purge_finished(conn: &mut PgConnection, before: DateTime<Utc>) -> Result<usize, DbError> {
    Ok(diesel::delete(
        d::table
            .filter(d::state.ne("pending"))
            .filter(d::updated_at.lt(before)),
    )
    .execute(conn)?)
}
