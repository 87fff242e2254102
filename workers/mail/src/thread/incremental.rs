//! Incremental threading for the sync: place one new message among stored threads.
//!
//! The database keeps a thread id per stored message. A thread is a conversation: the messages
//! connected through Message-ID / References / In-Reply-To, whatever order they arrive in. [`place`]
//! asks a [`ThreadIndex`] (two indexed queries) which stored messages are related to the new one and
//! returns a [`Placement`]: the thread to join (or a new one), threads to merge into it (when the new
//! message links conversations that were apart, e.g. a parent arriving after replies from two
//! branches), and the stored messages it adopts as their parent. Apply it in one transaction:
//!
//! 1. thread = `placement.thread` or a newly created thread;
//! 2. move every message of each thread in `placement.merge` to it and delete those threads;
//! 3. insert the message with that thread and `placement.parent_id`;
//! 4. `placement.reparented` are the stored messages whose parent is the new message (their
//!    parent id does not change; a UI showing them under a placeholder can now show the parent).
//!
//! The display tree of one thread comes from [`super::thread`] over that thread's messages. A thread
//! may hold a little more than one JWZ tree: JWZ drops a link that conflicts with an earlier one (to
//! keep a tree), a conversation keeps every message that references another.
//! Subject-only grouping is opt-in through [`ThreadIndex::thread_by_subject`] and only for replies, so
//! that two unrelated "Rapport mensuel" mails months apart are not merged.

use std::collections::{BTreeSet, HashMap};

use super::ThreadInput;
use crate::subject::base_subject;

/// A stored message as the index returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownMessage<T> {
    pub message_id: String,
    /// Its parent: the last References id, else the In-Reply-To id.
    pub parent_id: Option<String>,
    pub thread: T,
}

/// The lookups the sync's database answers.
pub trait ThreadIndex {
    type ThreadId: Clone + Ord;

    /// Stored messages whose Message-ID is one of `ids`.
    fn by_message_ids(&self, ids: &[String]) -> Vec<KnownMessage<Self::ThreadId>>;

    /// Stored messages whose References or In-Reply-To hold one of `ids`.
    fn referencing(&self, ids: &[String]) -> Vec<KnownMessage<Self::ThreadId>>;

    /// A thread whose root has this base subject key ([`crate::subject::BaseSubject::key`]); asked only
    /// for replies/forwards that reference nothing stored. `None` by default (no subject grouping).
    fn thread_by_subject(&self, _key: &str) -> Option<Self::ThreadId> {
        None
    }
}

/// Where a new message goes and what changes around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement<T> {
    /// Thread to join; `None`: create a new thread.
    pub thread: Option<T>,
    /// Other threads this message connects: fold them into the chosen thread.
    pub merge: Vec<T>,
    /// Parent id of the new message (last reference), stored or not.
    pub parent_id: Option<String>,
    /// Stored messages whose parent is the new message (they arrived before it).
    pub reparented: Vec<String>,
    /// The thread was chosen by base subject only.
    pub by_subject: bool,
}

/// The references threading uses: References, else the In-Reply-To id.
pub fn thread_references(msg: &ThreadInput) -> Vec<String> {
    if msg.references.is_empty() {
        msg.in_reply_to.iter().cloned().collect()
    } else {
        msg.references.clone()
    }
}

/// Place a new message; see the module documentation for how to apply the result.
pub fn place<I: ThreadIndex + ?Sized>(index: &I, msg: &ThreadInput) -> Placement<I::ThreadId> {
    let refs = thread_references(msg);
    let own = msg.message_id.clone();
    let parent_id = refs.last().cloned();

    let mut threads = BTreeSet::new();
    let mut reparented = Vec::new();
    if !refs.is_empty() {
        for known in index.by_message_ids(&refs) {
            threads.insert(known.thread);
        }
    }
    let mut asked = refs.clone();
    asked.extend(own.iter().cloned());
    if !asked.is_empty() {
        for known in index.referencing(&asked) {
            if own.is_some()
                && known.parent_id == own
                && !known.message_id.is_empty()
                && Some(&known.message_id) != own.as_ref()
            {
                reparented.push(known.message_id.clone());
            }
            threads.insert(known.thread);
        }
    }
    reparented.sort();
    reparented.dedup();

    let mut by_subject = false;
    if threads.is_empty() {
        let base = base_subject(&msg.subject);
        if base.reply_or_forward
            && !base.text.is_empty()
            && let Some(t) = index.thread_by_subject(&base.key())
        {
            threads.insert(t);
            by_subject = true;
        }
    }
    let mut threads = threads.into_iter();
    let thread = threads.next();
    Placement {
        thread,
        merge: threads.collect(),
        parent_id,
        reparented,
        by_subject,
    }
}

/// An in-memory [`ThreadIndex`] with thread ids `u64`: for imports that thread before storing, and for
/// tests of the placement rules.
#[derive(Debug, Default, Clone)]
pub struct MemoryThreadIndex {
    messages: Vec<Stored>,
    by_id: HashMap<String, Vec<usize>>,
    by_ref: HashMap<String, Vec<usize>>,
    subject_roots: HashMap<String, u64>,
    next_thread: u64,
    /// Use [`ThreadIndex::thread_by_subject`] for replies without stored references.
    pub group_by_subject: bool,
}

#[derive(Debug, Clone)]
struct Stored {
    message_id: Option<String>,
    parent_id: Option<String>,
    thread: u64,
}

impl MemoryThreadIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// Place and store a message; returns its thread and the placement that was applied.
    pub fn insert(&mut self, msg: &ThreadInput) -> (u64, Placement<u64>) {
        let placement = place(self, msg);
        let thread = match placement.thread {
            Some(t) => t,
            None => {
                self.next_thread += 1;
                self.next_thread
            }
        };
        if !placement.merge.is_empty() {
            for s in &mut self.messages {
                if placement.merge.contains(&s.thread) {
                    s.thread = thread;
                }
            }
            for t in self.subject_roots.values_mut() {
                if placement.merge.contains(t) {
                    *t = thread;
                }
            }
        }
        let idx = self.messages.len();
        self.messages.push(Stored {
            message_id: msg.message_id.clone(),
            parent_id: placement.parent_id.clone(),
            thread,
        });
        if let Some(id) = &msg.message_id {
            self.by_id.entry(id.clone()).or_default().push(idx);
        }
        for r in thread_references(msg) {
            self.by_ref.entry(r).or_default().push(idx);
        }
        let base = base_subject(&msg.subject);
        if !base.text.is_empty() {
            self.subject_roots.entry(base.key()).or_insert(thread);
        }
        (thread, placement)
    }

    /// Thread of a stored message.
    pub fn thread_of(&self, message_id: &str) -> Option<u64> {
        self.by_id
            .get(message_id)
            .and_then(|v| v.first())
            .map(|&i| self.messages[i].thread)
    }

    fn known(&self, i: usize) -> Option<KnownMessage<u64>> {
        let s = &self.messages[i];
        Some(KnownMessage {
            message_id: s.message_id.clone()?,
            parent_id: s.parent_id.clone(),
            thread: s.thread,
        })
    }
}

impl ThreadIndex for MemoryThreadIndex {
    type ThreadId = u64;

    fn by_message_ids(&self, ids: &[String]) -> Vec<KnownMessage<u64>> {
        ids.iter()
            .flat_map(|id| self.by_id.get(id).into_iter().flatten())
            .filter_map(|&i| self.known(i))
            .collect()
    }

    fn referencing(&self, ids: &[String]) -> Vec<KnownMessage<u64>> {
        let mut out = Vec::new();
        for &i in ids
            .iter()
            .flat_map(|id| self.by_ref.get(id).into_iter().flatten())
        {
            // A stored message without Message-ID still joins the thread through its references.
            let s = &self.messages[i];
            out.push(KnownMessage {
                message_id: s.message_id.clone().unwrap_or_default(),
                parent_id: s.parent_id.clone(),
                thread: s.thread,
            });
        }
        out
    }

    fn thread_by_subject(&self, key: &str) -> Option<u64> {
        if self.group_by_subject {
            self.subject_roots.get(key).copied()
        } else {
            None
        }
    }
}
