//! Conversations. Messages are linked through Message-ID, In-Reply-To and References (JWZ): a message
//! joins every thread holding one of its referenced ids, a message it references, or a message that
//! references it, and those threads merge. So a parent that arrives after its children re-links them, and
//! siblings whose common parent is missing still share a thread.

use std::collections::{BTreeSet, HashMap};

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

/// A freshly stored message to place in a thread, with its subject already normalised.
#[derive(Debug, Clone)]
pub struct ToLink {
    pub id: InteractionId,
    pub normalised_subject: String,
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
        // One read of the batch's ids and one refresh per thread touched, instead of one of each per
        // message: threading was most of the time of a large sync, in round trips.
        let ids: Vec<InteractionId> = messages.iter().map(|m| m.id).collect();
        let facts: HashMap<InteractionId, Facts> = interactions::table
            .filter(interactions::id.eq_any(&ids))
            .select((
                interactions::id,
                interactions::message_id,
                interactions::message_references,
                interactions::sent_at,
            ))
            .load::<(
                InteractionId,
                String,
                Vec<Option<String>>,
                Option<DateTime<Utc>>,
            )>(conn)?
            .into_iter()
            .map(|(id, message_id, references, sent_at)| (id, (message_id, references, sent_at)))
            .collect();
        let mut touched = BTreeSet::new();
        for m in messages {
            let facts = facts.get(&m.id).ok_or(diesel::result::Error::NotFound)?;
            link_one(conn, account, m, facts, &mut touched)?;
        }
        for thread in touched {
            refresh(conn, thread)?;
        }
        Ok(messages.len())
    })
}

/// Message-ID, References and date of a stored message.
type Facts = (String, Vec<Option<String>>, Option<DateTime<Utc>>);

/// Links one message; threads it grew are added to `touched` (their counts are refreshed at the end).
fn link_one(
    conn: &mut PgConnection,
    account: EmailAccountId,
    m: &ToLink,
    (message_id, references, sent_at): &Facts,
    touched: &mut BTreeSet<EmailThreadId>,
) -> Result<(), DbError> {
    let (message_id, sent_at) = (message_id.clone(), *sent_at);
    let references: Vec<String> = references.iter().flatten().cloned().collect();
    let mut keys = references.clone();
    keys.push(message_id.clone());
    // Two probes, each on its own index, rather than one `message_id = ANY($3) OR message_references && $3`:
    // without fresh statistics (a new database, a first large sync) the planner answers the OR with a
    // scan of the account's rows, which made every link cost time linear in the messages already stored.
    // The GIN probe runs alone (materialised) for the same reason; Message-IDs are rare across accounts.
    let related: Vec<Row> = diesel::sql_query(
        "WITH referencing AS MATERIALIZED ( \
            SELECT id, account_id, thread_id FROM interactions WHERE message_references && $3) \
         SELECT thread_id AS id FROM interactions \
         WHERE account_id = $1 AND message_id = ANY($3) AND thread_id IS NOT NULL AND id <> $2 \
         UNION \
         SELECT thread_id FROM referencing \
         WHERE account_id = $1 AND thread_id IS NOT NULL AND id <> $2 \
         ORDER BY 1",
    )
    .bind::<BigInt, _>(account.0)
    .bind::<BigInt, _>(m.id.0)
    .bind::<Array<Text>, _>(&keys)
    .load(conn)?;
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
        for gone in &others {
            touched.remove(&EmailThreadId(*gone));
        }
    }
    touched.insert(target);
    Ok(())
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
