//! Storing parsed messages: people matched by address, deduplicated insert, threading. Shared by every
//! source (IMAP, imports, later Gmail and Graph).

use std::collections::HashSet;

use crm_queue::{EnqueueOptions, JobQueue};
use shared::db::{DbError, PgPool, run_blocking};
use shared::jobs::payloads::intel::AnalyzeEmail;
use shared::models::email_account::EmailAccountId;
use shared::models::email_thread::{self, ToLink};
use shared::models::interaction::{self, Direction, NewInteraction, SkippedReason};

use super::bounces::{self, CampaignFeedback, FeedbackCounts};
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
    /// Campaign feedback (bounces, complaints, mailto unsubscriptions) read from inbound messages; used
    /// only when this account is its bounce mailbox.
    pub feedback: Option<CampaignFeedback>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("account_id", &self.account_id)
            .field("analysis_queue", &self.analysis_queue.is_some())
            .field("feedback", &self.feedback.is_some())
            .finish_non_exhaustive()
    }
}

/// Counts of one stored batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stored {
    pub inserted: usize,
    pub duplicates: usize,
    pub skipped: usize,
    /// Campaign feedback recorded (bounce mailbox only).
    #[serde(skip_serializing_if = "FeedbackCounts::is_empty")]
    pub feedback: FeedbackCounts,
}

impl std::ops::AddAssign for Stored {
    fn add_assign(&mut self, o: Self) {
        self.inserted += o.inserted;
        self.duplicates += o.duplicates;
        self.skipped += o.skipped;
        self.feedback += o.feedback;
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

/// True for a message the account sent: found in a sent folder, or from the account's address.
fn is_outbound(email: &ParsedEmail, target: &Target, sent_folder: bool) -> bool {
    sent_folder
        || email
            .from
            .as_ref()
            .is_some_and(|a| a.address == target.address)
}

/// Stores a batch found in `folder`: each message once per account, linked into threads, its
/// counterpart matched to a person. Messages already stored are left as they are. In the bounce mailbox,
/// the campaign feedback of every inbound message of the batch is recorded too (once per event, so a
/// batch stored again records nothing twice).
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
    let feedback = target
        .feedback
        .as_ref()
        .filter(|f| f.account_id == target.account_id);
    let events: Vec<_> = feedback
        .map(|f| {
            batch
                .iter()
                .filter(|m| !is_outbound(&m.email, target, sent_folder))
                .flat_map(|m| f.events(&m.email))
                .collect()
        })
        .unwrap_or_default();
    let soft_bounce_limit = feedback.map_or(0, |f| f.soft_bounce_limit);
    let account_id = target.account_id;
    let queue = target.analysis_queue.clone();
    let target = target.clone();
    let folder = folder.to_owned();
    let (mut stored, new_inbound) = run_blocking(pool, move |conn| {
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
            let outbound = is_outbound(&e, &target, sent_folder);
            let from_address = e.from.as_ref().map(|a| a.address.clone());
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
            feedback: FeedbackCounts::default(),
        };
        Ok((stored, new_inbound))
    })
    .await?;
    if let Some(queue) = queue {
        enqueue_analyses(&queue, &new_inbound).await;
    }
    // After the messages: a failure here fails the batch, whose messages are read again by the next sync.
    stored.feedback = bounces::record(pool, events, soft_bounce_limit).await?;
    if !stored.feedback.is_empty() {
        tracing::info!(
            account.id = account_id.0,
            bounces = stored.feedback.bounces,
            complaints = stored.feedback.complaints,
            unsubscribes = stored.feedback.unsubscribes,
            suppressed = stored.feedback.suppressed,
            "campaign feedback recorded"
        );
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
