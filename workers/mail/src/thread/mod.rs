//! RFC 5256 `THREAD=REFERENCES`: the JWZ algorithm over a batch of messages ([`thread`]), the IMAP
//! response syntax ([`format_imap`]), and an incremental placement API for the sync ([`incremental`]).
//!
//! Steps: (1) id table and links from References (or the first In-Reply-To id), no link that would
//! make a loop, the later of two messages with the same Message-ID gets a container of its own;
//! (2-4) root set and dummy pruning; (5) roots with the same base subject grouped; (6) siblings
//! sorted by sent date, then by id. Roots are sorted before step 5 so the outcome of step 5 never
//! depends on input order.

mod group;
mod imap;
pub mod incremental;
mod link;
mod tree;

use chrono::{DateTime, Utc};

pub use imap::format_imap;
pub use incremental::{KnownMessage, MemoryThreadIndex, Placement, ThreadIndex, place};

/// What threading needs of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadInput {
    /// Caller's number for the message (IMAP sequence number or UID); breaks ties between equal dates.
    pub id: u32,
    /// Message-ID, normalised as [`crate::parse::message_id`] does; `None` when missing.
    pub message_id: Option<String>,
    /// References ids in header order.
    pub references: Vec<String>,
    /// First valid In-Reply-To id; used only when `references` is empty.
    pub in_reply_to: Option<String>,
    /// Decoded subject ("" when missing).
    pub subject: String,
    /// Sent date (Date header, else the caller's fallback); `None` sorts first.
    pub sent_date: Option<DateTime<Utc>>,
}

/// One node of a thread tree: a message, or a dummy (`id == None`) holding sibling messages whose
/// common parent is missing or that share a base subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadNode {
    pub id: Option<u32>,
    pub children: Vec<ThreadNode>,
}

impl ThreadNode {
    /// Ids of this node and its descendants, depth first.
    pub fn ids(&self) -> Vec<u32> {
        let mut out = Vec::new();
        self.collect_ids(&mut out);
        out
    }

    fn collect_ids(&self, out: &mut Vec<u32>) {
        out.extend(self.id);
        for child in &self.children {
            child.collect_ids(out);
        }
    }
}

/// Thread a batch of messages (RFC 5256 REFERENCES). Roots and siblings come sorted.
pub fn thread(messages: &[ThreadInput]) -> Vec<ThreadNode> {
    let mut forest = link::link(messages);
    let roots = tree::roots_after_pruning(&mut forest, messages);
    let roots = group::group_by_subject(&mut forest, messages, roots);
    roots
        .into_iter()
        .map(|r| tree::to_node(&forest, messages, r))
        .collect()
}
