//! Conversations. Messages are linked through Message-ID, In-Reply-To and References (JWZ): a message
//! joins every thread holding one of its referenced ids, a message it references, or a message that
//! references it, and those threads merge. So a parent that arrives after its children re-links them, and
//! siblings whose common parent is missing still share a thread.
//!
//! A message that nothing links to a stored thread joins one by subject, as JWZ's subject grouping does,
//! but only when its subject marks it as a reply or forward ("RE :", "TR:", "AW:"...) and the thread with
//! that base subject had a message within [`SUBJECT_WINDOW_DAYS`] before it: clients that drop
//! References still land in their conversation, while two unrelated "Rapport mensuel" months apart do
//! not merge.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};

use super::email_account::EmailAccountId;
use super::interaction::InteractionId;
use crate::db::DbError;
use crate::schema::{email_threads, interactions};

id_newtype!(
    /// Id of a row of `email_threads`.
    EmailThreadId
);

/// A row of `email_threads`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable, serde::Serialize)]
#[diesel(table_name = email_threads, check_for_backend(diesel::pg::Pg))]
pub struct EmailThread {
    pub id: EmailThreadId,
    pub account_id: Option<EmailAccountId>,
    pub root_message_id: String,
    pub subject: String,
    pub last_message_at: Option<DateTime<Utc>>,
    pub message_count: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// How far back a reply without references may join a thread by subject.
pub const SUBJECT_WINDOW_DAYS: i32 = 60;

/// A freshly stored message to place in a thread, with its subject already normalised.
#[derive(Debug, Clone)]
pub struct ToLink {
    pub id: InteractionId,
    pub normalised_subject: String,
    /// Its subject carried a reply/forward prefix (it may join a thread by subject).
    pub reply_or_forward: bool,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Places freshly stored messages of `account` in threads, merging threads they connect. Runs in one
/// transaction holding a per-account advisory lock, so concurrent writers of one account take turns.
/// Returns the number of messages linked.
pub fn link_messages(
    conn: &mut PgConnection,
    account: EmailAccountId,
    messages: &[ToLink],
) -> Result<usize, DbError> {
    if messages.is_empty() {
        return Ok(0);
    }
    conn.transaction(|conn| {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended('email_threads', $1))")
            .bind::<BigInt, _>(account.0)
            .execute(conn)?;
        for m in messages {
            link_one(conn, account, m)?;
        }
        Ok(messages.len())
    })
}

fn link_one(conn: &mut PgConnection, account: EmailAccountId, m: &ToLink) -> Result<(), DbError> {
    let (message_id, references, sent_at): (String, Vec<Option<String>>, Option<DateTime<Utc>>) =
        interactions::table
            .find(m.id)
            .select((
                interactions::message_id,
                interactions::message_references,
                interactions::sent_at,
            ))
            .first(conn)?;
    let references: Vec<String> = references.into_iter().flatten().collect();
    let mut keys = references.clone();
    keys.push(message_id.clone());
    let related: Vec<Row> = diesel::sql_query(
        "SELECT DISTINCT thread_id AS id FROM interactions \
         WHERE account_id = $1 AND thread_id IS NOT NULL AND id <> $2 \
           AND (message_id = ANY($3) OR message_references && $3) \
         ORDER BY 1",
    )
    .bind::<BigInt, _>(account.0)
    .bind::<BigInt, _>(m.id.0)
    .bind::<Array<Text>, _>(&keys)
    .load(conn)?;
    let related = if related.is_empty() && m.reply_or_forward && !m.normalised_subject.is_empty() {
        diesel::sql_query(
            "SELECT id FROM email_threads \
             WHERE account_id = $1 AND lower(subject) = lower($2) \
               AND last_message_at IS NOT NULL AND $3 IS NOT NULL \
               AND last_message_at BETWEEN $3 - make_interval(days => $4) AND $3 + interval '1 day' \
             ORDER BY last_message_at DESC, id DESC LIMIT 1",
        )
        .bind::<BigInt, _>(account.0)
        .bind::<Text, _>(&m.normalised_subject)
        .bind::<diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>, _>(sent_at)
        .bind::<diesel::sql_types::Integer, _>(SUBJECT_WINDOW_DAYS)
        .load(conn)?
    } else {
        related
    };
    let Some((target, others)) = related.split_first() else {
        let root = references.first().cloned().unwrap_or(message_id);
        let thread: EmailThreadId = diesel::insert_into(email_threads::table)
            .values((
                email_threads::account_id.eq(account),
                email_threads::root_message_id.eq(root),
                email_threads::subject.eq(&m.normalised_subject),
                email_threads::last_message_at.eq(sent_at),
                email_threads::message_count.eq(1),
            ))
            .returning(email_threads::id)
            .get_result(conn)?;
        diesel::update(interactions::table.find(m.id))
            .set(interactions::thread_id.eq(thread))
            .execute(conn)?;
        return Ok(());
    };
    let target = EmailThreadId(target.id);
    let others: Vec<i64> = others.iter().map(|r| r.id).collect();
    diesel::update(
        interactions::table.filter(
            interactions::id
                .eq(m.id)
                .or(interactions::thread_id.eq_any(&others)),
        ),
    )
    .set(interactions::thread_id.eq(target))
    .execute(conn)?;
    if !others.is_empty() {
        diesel::delete(email_threads::table.filter(email_threads::id.eq_any(&others)))
            .execute(conn)?;
    }
    refresh(conn, target)
}

/// Recomputes a thread's count, latest date and root (the first reference of the message with the
/// fewest references, i.e. the oldest ancestor known).
fn refresh(conn: &mut PgConnection, thread: EmailThreadId) -> Result<(), DbError> {
    diesel::sql_query(
        "UPDATE email_threads t SET \
            message_count = s.n, last_message_at = s.last, root_message_id = COALESCE(r.root, t.root_message_id) \
         FROM (SELECT count(*)::int AS n, max(sent_at) AS last FROM interactions WHERE thread_id = $1) s \
         LEFT JOIN LATERAL ( \
            SELECT COALESCE(message_references[1], message_id) AS root FROM interactions \
            WHERE thread_id = $1 ORDER BY cardinality(message_references), sent_at NULLS LAST, id LIMIT 1 \
         ) r ON true \
         WHERE t.id = $1",
    )
    .bind::<BigInt, _>(thread.0)
    .execute(conn)?;
    Ok(())
}

/// Finds a thread by id.
pub fn find_thread(
    conn: &mut PgConnection,
    id: EmailThreadId,
) -> Result<Option<EmailThread>, DbError> {
    Ok(email_threads::table
        .find(id)
        .select(EmailThread::as_select())
        .first(conn)
        .optional()?)
}

/// Threads of an account, most recent first, at most `limit`.
pub fn list_for_account(
    conn: &mut PgConnection,
    account: EmailAccountId,
    limit: i64,
) -> Result<Vec<EmailThread>, DbError> {
    Ok(email_threads::table
        .filter(email_threads::account_id.eq(account))
        .order((
            email_threads::last_message_at.desc().nulls_last(),
            email_threads::id.desc(),
        ))
        .limit(limit)
        .select(EmailThread::as_select())
        .load(conn)?)
}
