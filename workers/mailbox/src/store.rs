//! Storing parsed messages: people matched by address, deduplicated insert, threading. Shared by every
//! source (IMAP, imports, later Gmail and Graph).

use std::collections::HashSet;

use crm_queue::{EnqueueOptions, JobQueue};
use shared::db::{DbError, PgPool, run_blocking};
use shared::jobs::payloads::intel::AnalyzeEmail;
use shared::models::email_account::EmailAccountId;
use shared::models::email_thread::{self, ToLink};
use shared::models::interaction::{self, Direction, NewInteraction, SkippedReason};

use super::parse::ParsedEmail;

/// One message to store, with where it was found.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub uid: Option<i64>,
    pub provider_id: Option<String>,
    pub email: ParsedEmail,
}

/// The account facts storing needs.
#[derive(Clone)]
pub struct Target {
    pub account_id: EmailAccountId,
    /// Lower-cased address of the mailbox (From equal to it means outbound).
    pub address: String,
    /// Where `intel.analyze_email` is enqueued for every new inbound message (none: not analysed).
    pub analysis_queue: Option<JobQueue>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("account_id", &self.account_id)
            .field("analysis_queue", &self.analysis_queue.is_some())
            .finish_non_exhaustive()
    }
}

/// Counts of one stored batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stored {
    pub inserted: usize,
    pub duplicates: usize,
    pub skipped: usize,
}

impl std::ops::AddAssign for Stored {
    fn add_assign(&mut self, o: Self) {
        self.inserted += o.inserted;
        self.duplicates += o.duplicates;
        self.skipped += o.skipped;
    }
}

/// True for the folders whose messages the account sent.
pub fn is_sent_folder(folder: &str) -> bool {
    let last = folder
        .rsplit(['/', '.'])
        .next()
        .unwrap_or(folder)
        .to_lowercase();
    matches!(
        last.as_str(),
        "sent"
            | "sent items"
            | "sent messages"
            | "sent mail"
            | "envoyés"
            | "messages envoyés"
            | "éléments envoyés"
            | "gesendet"
            | "gesendete elemente"
    )
}

/// Stores a batch found in `folder`: each message once per account, linked into threads, its
/// counterpart matched to a person. Messages already stored are left as they are.
pub async fn store_batch(
    pool: &PgPool,
    target: &Target,
    folder: &str,
    sent_folder: bool,
    batch: Vec<Fetched>,
) -> Result<Stored, DbError> {
    if batch.is_empty() {
        return Ok(Stored::default());
    }
    let queue = target.analysis_queue.clone();
    let target = target.clone();
    let folder = folder.to_owned();
    let (stored, new_inbound) = run_blocking(pool, move |conn| {
        let mut addresses: HashSet<String> = HashSet::new();
        for f in &batch {
            let e = &f.email;
            addresses.extend(e.from.iter().map(|a| a.address.clone()));
            addresses.extend(e.to.iter().cloned());
            addresses.extend(e.cc.iter().cloned());
        }
        let addresses: Vec<String> = addresses.into_iter().collect();
        let people = interaction::match_people(conn, &addresses)?;

        // One row per Message-ID within the batch too (the same message twice in one folder).
        let mut seen = HashSet::new();
        let mut rows = Vec::with_capacity(batch.len());
        let mut skipped = 0;
        for f in batch {
            let e = f.email;
            if !seen.insert(e.message_id.clone()) {
                continue;
            }
            let from_address = e.from.as_ref().map(|a| a.address.clone());
            let outbound = sent_folder || from_address.as_deref() == Some(target.address.as_str());
            let direction = if outbound {
                Direction::Outbound
            } else {
                Direction::Inbound
            };
            let person_id = if outbound {
                e.to.iter()
                    .chain(&e.cc)
                    .find_map(|a| people.get(a).copied())
            } else {
                from_address.as_ref().and_then(|a| people.get(a).copied())
            };
            let skipped_reason = if e.malformed {
                Some(SkippedReason::Malformed)
            } else if e.oversized {
                Some(SkippedReason::Oversized)
            } else {
                None
            };
            skipped += usize::from(skipped_reason.is_some());
            rows.push(NewInteraction {
                account_id: Some(target.account_id),
                folder: folder.clone(),
                uid: f.uid,
                provider_id: f.provider_id,
                parent_message_id: e.references.last().cloned(),
                message_id: e.message_id,
                in_reply_to: e.in_reply_to,
                message_references: e.references,
                from_address,
                from_name: e.from.and_then(|a| a.name),
                to_addresses: e.to,
                cc_addresses: e.cc,
                subject: e.subject,
                sent_at: e.date,
                direction,
                body_text: e.body_text.map(|b| b.replace('\0', "")),
                size_bytes: i64::try_from(e.size_bytes).unwrap_or(i64::MAX),
                person_id,
                skipped_reason,
                automated: e.automated,
            });
        }
        let total = rows.len();
        let inserted = interaction::insert_new(conn, &rows)?;
        let to_link: Vec<ToLink> = inserted
            .iter()
            .map(|(id, message_id)| {
                let subject = rows
                    .iter()
                    .find(|r| r.message_id == *message_id)
                    .and_then(|r| r.subject.as_deref())
                    .unwrap_or_default();
                let base = mail::subject::base_subject(subject);
                ToLink {
                    id: *id,
                    normalised_subject: base.text,
                    reply_or_forward: base.reply_or_forward,
                }
            })
            .collect();
        email_thread::link_messages(conn, target.account_id, &to_link)?;
        let new_inbound: Vec<AnalyzeEmail> = inserted
            .iter()
            .filter(|(_, message_id)| {
                rows.iter()
                    .any(|r| r.message_id == *message_id && r.direction == Direction::Inbound)
            })
            .map(|(id, _)| AnalyzeEmail {
                interaction_id: *id,
            })
            .collect();
        let stored = Stored {
            inserted: inserted.len(),
            duplicates: total - inserted.len() + (seen.len().saturating_sub(total)),
            skipped,
        };
        Ok((stored, new_inbound))
    })
    .await?;
    if let Some(queue) = queue {
        enqueue_analyses(&queue, &new_inbound).await;
    }
    Ok(stored)
}

/// Enqueues the analysis of new inbound messages. A failure is logged and does not fail the sync: the
/// messages are stored, and `intel.reanalyze` (results missing) catches them up.
async fn enqueue_analyses(queue: &JobQueue, jobs: &[AnalyzeEmail]) {
    if jobs.is_empty() {
        return;
    }
    if let Err(e) = queue.enqueue_bulk(jobs, EnqueueOptions::default()).await {
        tracing::warn!(count = jobs.len(), error = %e, "could not enqueue email analyses");
    }
}
