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

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Text};

use super::email_account::EmailAccountId;
use super::interaction::InteractionId;
use super::sql::lower;
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

/// Places freshly stored messages of `account` in threads, merging threads they connect. Runs in one
/// transaction holding a per-account advisory lock, so concurrent writers of one account take turns.
/// Returns the number of messages linked.
///
/// A message joins the threads of every stored message sharing one of its keys (its Message-ID and
/// References); the lowest thread id absorbs the others. Threading was most of the time of a large sync,
/// in round trips: the batch's facts and the threads already stored that it touches are read in two
/// queries, the batch's own messages are followed in memory, and each grown thread is refreshed once.
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
        let ids: Vec<InteractionId> = messages.iter().map(|m| m.id).collect();
        let mut facts: HashMap<InteractionId, Facts> = interactions::table
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
            .map(|(id, message_id, references, sent_at)| {
                let references: Vec<String> = references.into_iter().flatten().collect();
                let mut keys = references.clone();
                keys.push(message_id.clone());
                (
                    id,
                    Facts {
                        message_id,
                        references,
                        keys,
                        sent_at,
                    },
                )
            })
            .collect();
        let mut batch = Batch::default();
        let mut stored = stored_threads(conn, account, messages, &facts)?;
        for (i, m) in messages.iter().enumerate() {
            let facts = facts.remove(&m.id).ok_or(diesel::result::Error::NotFound)?;
            let found = stored.remove(&i).unwrap_or_default();
            link_one(conn, account, m, facts, found, &mut batch)?;
        }
        for thread in batch.touched {
            refresh(conn, thread)?;
        }
        Ok(messages.len())
    })
}

/// What linking needs of a stored message.
struct Facts {
    message_id: String,
    references: Vec<String>,
    /// References and Message-ID: what relates it to other messages.
    keys: Vec<String>,
    sent_at: Option<DateTime<Utc>>,
}

/// What linking a batch follows in memory from one message to the next.
#[derive(Default)]
struct Batch {
    /// Thread of each key of the batch's messages linked so far.
    by_key: HashMap<String, EmailThreadId>,
    /// Threads merged away during the batch, to the thread that absorbed them.
    merged: HashMap<EmailThreadId, EmailThreadId>,
    /// Threads grown by the batch: their counts are refreshed at the end.
    touched: BTreeSet<EmailThreadId>,
}

impl Batch {
    fn resolve(&self, mut thread: EmailThreadId) -> EmailThreadId {
        while let Some(next) = self.merged.get(&thread) {
            thread = *next;
        }
        thread
    }
}

#[derive(QueryableByName)]
struct Hit {
    #[diesel(sql_type = Integer)]
    idx: i32,
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Threads of the messages stored before this batch that share a key with each batch message (by index
/// in `messages`). One query: the keys probe the (account, Message-ID) key and the References GIN index.
/// `OFFSET 0` keeps the account filter out of the GIN probe: without statistics (a new database, a first
/// large sync) the planner would otherwise AND it with a scan of all the account's rows, per key.
fn stored_threads(
    conn: &mut PgConnection,
    account: EmailAccountId,
    messages: &[ToLink],
    facts: &HashMap<InteractionId, Facts>,
) -> Result<HashMap<usize, Vec<EmailThreadId>>, DbError> {
    let (mut keys, mut idx, mut own) = (Vec::new(), Vec::new(), Vec::new());
    for (i, m) in messages.iter().enumerate() {
        let Some(f) = facts.get(&m.id) else { continue };
        let i = i32::try_from(i).map_err(|_| diesel::result::Error::NotFound)?;
        for k in &f.keys {
            keys.push(k.as_str());
            idx.push(i);
            own.push(m.id.0);
        }
    }
    let hits: Vec<Hit> = diesel::sql_query(
        "WITH k AS MATERIALIZED (SELECT * FROM unnest($2::text[], $3::int[], $4::bigint[]) AS k(key, idx, own)) \
         SELECT k.idx, x.thread_id AS id FROM k \
         JOIN interactions x ON x.account_id = $1 AND x.message_id = k.key \
         WHERE x.thread_id IS NOT NULL AND x.id <> k.own \
         UNION \
         SELECT k.idx, x.thread_id FROM k CROSS JOIN LATERAL ( \
            SELECT id, account_id, thread_id FROM interactions \
            WHERE message_references @> ARRAY[k.key] OFFSET 0) x \
         WHERE x.account_id = $1 AND x.thread_id IS NOT NULL AND x.id <> k.own",
    )
    .bind::<BigInt, _>(account.0)
    .bind::<Array<Text>, _>(&keys)
    .bind::<Array<Integer>, _>(&idx)
    .bind::<Array<BigInt>, _>(&own)
    .load(conn)?;
    let mut out: HashMap<usize, Vec<EmailThreadId>> = HashMap::new();
    for h in hits {
        let i = usize::try_from(h.idx).map_err(|_| diesel::result::Error::NotFound)?;
        out.entry(i).or_default().push(EmailThreadId(h.id));
    }
    Ok(out)
}

/// Links one message, given the threads stored before the batch that share one of its keys.
fn link_one(
    conn: &mut PgConnection,
    account: EmailAccountId,
    m: &ToLink,
    facts: Facts,
    found: Vec<EmailThreadId>,
    batch: &mut Batch,
) -> Result<(), DbError> {
    // Threads seen at the start of the batch may have merged since; the batch's own messages count too.
    let related: BTreeSet<EmailThreadId> = found
        .into_iter()
        .chain(
            facts
                .keys
                .iter()
                .filter_map(|k| batch.by_key.get(k).copied()),
        )
        .map(|t| batch.resolve(t))
        .collect();
    let mut related = related.into_iter();
    let mut target = related.next();
    if target.is_none() && m.reply_or_forward && !m.normalised_subject.is_empty() {
        target = thread_by_subject(conn, account, &m.normalised_subject, facts.sent_at)?
            .map(|t| batch.resolve(t));
    }
    let Some(target) = target else {
        let root = facts
            .references
            .first()
            .cloned()
            .unwrap_or_else(|| facts.message_id.clone());
        let thread: EmailThreadId = diesel::insert_into(email_threads::table)
            .values((
                email_threads::account_id.eq(account),
                email_threads::root_message_id.eq(root),
                email_threads::subject.eq(&m.normalised_subject),
                email_threads::last_message_at.eq(facts.sent_at),
                email_threads::message_count.eq(1),
            ))
            .returning(email_threads::id)
            .get_result(conn)?;
        diesel::update(interactions::table.find(m.id))
            .set(interactions::thread_id.eq(thread))
            .execute(conn)?;
        for k in facts.keys {
            batch.by_key.insert(k, thread);
        }
        return Ok(());
    };
    let others: Vec<EmailThreadId> = related.collect();
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
            batch.touched.remove(gone);
            batch.merged.insert(*gone, target);
        }
    }
    batch.touched.insert(target);
    for k in facts.keys {
        batch.by_key.insert(k, target);
    }
    Ok(())
}

/// The thread of `account` with this base subject whose last message is the latest within
/// [`SUBJECT_WINDOW_DAYS`] (of 24 h) before `sent_at` (a day after it tolerates clock skew). None without
/// a date.
fn thread_by_subject(
    conn: &mut PgConnection,
    account: EmailAccountId,
    subject: &str,
    sent_at: Option<DateTime<Utc>>,
) -> Result<Option<EmailThreadId>, DbError> {
    let Some(sent_at) = sent_at else {
        return Ok(None);
    };
    let window = chrono::Duration::days(i64::from(SUBJECT_WINDOW_DAYS));
    Ok(email_threads::table
        .filter(email_threads::account_id.eq(account))
        .filter(lower(email_threads::subject).eq(lower(subject)))
        .filter(
            email_threads::last_message_at
                .between(sent_at - window, sent_at + chrono::Duration::days(1)),
        )
        .order((
            email_threads::last_message_at.desc(),
            email_threads::id.desc(),
        ))
        .select(email_threads::id)
        .first(conn)
        .optional()?)
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
