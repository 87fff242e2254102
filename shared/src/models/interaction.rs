//! Stored emails. One row per account and Message-ID: inserts use `ON CONFLICT DO NOTHING` on that key,
//! so re-syncs, overlapping folders and retries never store a message twice.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::on_constraint;

use super::email_account::EmailAccountId;
use super::email_thread::EmailThreadId;
use super::sql::lower_nullable;
use super::text_list::TextList;
use super::{PersonId, UserId};
use crate::db::DbError;
use crate::schema::{interactions, people};

id_newtype!(
    /// Id of a row of `interactions`.
    InteractionId
);

/// The dedupe constraint.
pub const DEDUPE_CONSTRAINT: &str = "interactions_account_message_key";

text_enum! {
    /// Whether the account received or sent the message.
    pub enum Direction ("direction") {
        Inbound => "inbound",
        Outbound => "outbound",
    }
}

text_enum! {
    /// Why only the metadata of a message was stored.
    pub enum SkippedReason ("skipped reason") {
        Oversized => "oversized",
        Malformed => "malformed",
    }
}

/// A row of `interactions`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable, serde::Serialize)]
#[diesel(table_name = interactions, check_for_backend(diesel::pg::Pg))]
pub struct Interaction {
    pub id: InteractionId,
    pub account_id: Option<EmailAccountId>,
    pub folder: String,
    pub uid: Option<i64>,
    pub provider_id: Option<String>,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    #[diesel(deserialize_as = TextList)]
    pub message_references: Vec<String>,
    pub from_address: Option<String>,
    pub from_name: Option<String>,
    #[diesel(deserialize_as = TextList)]
    pub to_addresses: Vec<String>,
    #[diesel(deserialize_as = TextList)]
    pub cc_addresses: Vec<String>,
    pub subject: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub direction: Direction,
    pub body_text: Option<String>,
    pub body_purged_at: Option<DateTime<Utc>>,
    pub size_bytes: i64,
    pub thread_id: Option<EmailThreadId>,
    pub parent_message_id: Option<String>,
    pub person_id: Option<PersonId>,
    pub skipped_reason: Option<SkippedReason>,
    pub created_at: DateTime<Utc>,
}

/// Insert form of [`Interaction`]. `message_references` holds the References ids, oldest first, with
/// In-Reply-To appended when References lacks it (what threading follows).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = interactions)]
pub struct NewInteraction {
    pub account_id: Option<EmailAccountId>,
    pub folder: String,
    pub uid: Option<i64>,
    pub provider_id: Option<String>,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub message_references: Vec<String>,
    pub from_address: Option<String>,
    pub from_name: Option<String>,
    pub to_addresses: Vec<String>,
    pub cc_addresses: Vec<String>,
    pub subject: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub direction: Direction,
    pub body_text: Option<String>,
    pub size_bytes: i64,
    pub parent_message_id: Option<String>,
    pub person_id: Option<PersonId>,
    pub skipped_reason: Option<SkippedReason>,
    /// Bulk or automated mail per its headers (`list`, `precedence:bulk`…); never autofill evidence.
    pub automated: Option<String>,
}

impl NewInteraction {
    /// An inbound email of no mailbox, from `from`, with a Message-ID of its own: the smallest complete
    /// row (tests, demos and benchmarks set the fields they need on it).
    pub fn inbound(from: &str, subject: &str, body: &str) -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let now = Utc::now();
        Self {
            account_id: None,
            folder: "INBOX".into(),
            uid: None,
            provider_id: None,
            message_id: format!(
                "{}.{}.{n}@crm.local",
                now.timestamp_nanos_opt().unwrap_or_default(),
                std::process::id()
            ),
            in_reply_to: None,
            message_references: Vec::new(),
            from_address: Some(from.to_owned()),
            from_name: None,
            to_addresses: Vec::new(),
            cc_addresses: Vec::new(),
            subject: Some(subject.to_owned()),
            sent_at: Some(now),
            direction: Direction::Inbound,
            body_text: Some(body.to_owned()),
            size_bytes: i64::try_from(body.len()).unwrap_or(i64::MAX),
            parent_message_id: None,
            person_id: None,
            skipped_reason: None,
            automated: None,
        }
    }
}

/// Inserts the messages not stored yet (by account and Message-ID) and returns the new rows' ids with
/// their Message-IDs; messages already there are left untouched.
pub fn insert_new(
    conn: &mut PgConnection,
    rows: &[NewInteraction],
) -> Result<Vec<(InteractionId, String)>, DbError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    Ok(diesel::insert_into(interactions::table)
        .values(rows)
        .on_conflict(on_constraint(DEDUPE_CONSTRAINT))
        .do_nothing()
        .returning((interactions::id, interactions::message_id))
        .get_results(conn)?)
}

/// Maps lower-cased addresses to the people having them (the lowest id wins when several share one).
pub fn match_people(
    conn: &mut PgConnection,
    addresses: &[String],
) -> Result<HashMap<String, PersonId>, DbError> {
    if addresses.is_empty() {
        return Ok(HashMap::new());
    }
    let lowered: Vec<String> = addresses.iter().map(|a| a.to_lowercase()).collect();
    let rows: Vec<(PersonId, Option<String>)> = people::table
        .filter(lower_nullable(people::email).eq_any(&lowered))
        .order(people::id.asc())
        .select((people::id, lower_nullable(people::email)))
        .load(conn)?;
    let mut out = HashMap::new();
    for (id, email) in rows {
        if let Some(email) = email {
            out.entry(email).or_insert(id);
        }
    }
    Ok(out)
}

/// Finds a message by account and Message-ID.
/// The owner of the mailbox an email was stored from: `None` when the email is unknown, `Some(None)` when
/// it belongs to no account.
pub fn mailbox_owner(
    conn: &mut PgConnection,
    id: InteractionId,
) -> Result<Option<Option<UserId>>, DbError> {
    use crate::schema::email_accounts;
    Ok(interactions::table
        .left_join(email_accounts::table)
        .filter(interactions::id.eq(id))
        .select(email_accounts::owner_user_id.nullable())
        .first::<Option<UserId>>(conn)
        .optional()?)
}

/// The interaction `id`, if it exists.
pub fn find(conn: &mut PgConnection, id: InteractionId) -> Result<Option<Interaction>, DbError> {
    Ok(interactions::table
        .find(id)
        .select(Interaction::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_message_id(
    conn: &mut PgConnection,
    account: EmailAccountId,
    message_id: &str,
) -> Result<Option<Interaction>, DbError> {
    Ok(interactions::table
        .filter(interactions::account_id.eq(account))
        .filter(interactions::message_id.eq(message_id))
        .select(Interaction::as_select())
        .first(conn)
        .optional()?)
}

/// Messages of an account, oldest first.
pub fn list_for_account(
    conn: &mut PgConnection,
    account: EmailAccountId,
) -> Result<Vec<Interaction>, DbError> {
    Ok(interactions::table
        .filter(interactions::account_id.eq(account))
        .order((interactions::sent_at.asc(), interactions::id.asc()))
        .select(Interaction::as_select())
        .load(conn)?)
}

/// Which of `provider_ids` (Gmail or Graph message ids) the account already stored.
pub fn known_provider_ids(
    conn: &mut PgConnection,
    account: EmailAccountId,
    provider_ids: &[String],
) -> Result<HashSet<String>, DbError> {
    if provider_ids.is_empty() {
        return Ok(HashSet::new());
    }
    let found: Vec<Option<String>> = interactions::table
        .filter(interactions::account_id.eq(account))
        .filter(interactions::provider_id.eq_any(provider_ids))
        .select(interactions::provider_id)
        .load(conn)?;
    Ok(found.into_iter().flatten().collect())
}

/// Number of messages stored for an account.
pub fn count_for_account(conn: &mut PgConnection, account: EmailAccountId) -> Result<i64, DbError> {
    Ok(interactions::table
        .filter(interactions::account_id.eq(account))
        .count()
        .get_result(conn)?)
}

/// Messages of a thread, oldest first.
pub fn list_for_thread(
    conn: &mut PgConnection,
    thread: EmailThreadId,
) -> Result<Vec<Interaction>, DbError> {
    Ok(interactions::table
        .filter(interactions::thread_id.eq(thread))
        .order((interactions::sent_at.asc(), interactions::id.asc()))
        .select(Interaction::as_select())
        .load(conn)?)
}

/// Messages of a person, newest first, at most `limit`.
pub fn list_for_person(
    conn: &mut PgConnection,
    person: PersonId,
    limit: i64,
) -> Result<Vec<Interaction>, DbError> {
    Ok(interactions::table
        .filter(interactions::person_id.eq(person))
        .order((interactions::sent_at.desc(), interactions::id.desc()))
        .limit(limit)
        .select(Interaction::as_select())
        .load(conn)?)
}

/// Retention: clears the bodies of messages sent (or, undated, stored) before `cutoff`, at most `limit`
/// rows per call so a large purge runs in short transactions. Returns how many were purged.
pub fn purge_bodies_before(
    conn: &mut PgConnection,
    cutoff: DateTime<Utc>,
    limit: i64,
) -> Result<usize, DbError> {
    let ids: Vec<InteractionId> = interactions::table
        .filter(interactions::body_text.is_not_null())
        .filter(
            interactions::sent_at.lt(cutoff).or(interactions::sent_at
                .is_null()
                .and(interactions::created_at.lt(cutoff))),
        )
        .select(interactions::id)
        .limit(limit)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(
        diesel::update(interactions::table.filter(interactions::id.eq_any(&ids)))
            .set((
                interactions::body_text.eq(None::<String>),
                interactions::body_purged_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?,
    )
}
