//! Incremental placement: the thread a message joins does not depend on arrival order, a parent
//! arriving late adopts its children, and a message bridging two threads merges them.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a panic with its message is the failure report"
)]

mod corpus;

use std::collections::HashMap;

use mail::cli::mbox_thread_inputs;
use mail::thread::{MemoryThreadIndex, ThreadInput};

fn input(id: u32, mid: &str, refs: &[&str], subject: &str) -> ThreadInput {
    ThreadInput {
        id,
        message_id: Some(mid.to_string()),
        references: refs.iter().map(|r| r.to_string()).collect(),
        in_reply_to: None,
        subject: subject.to_string(),
        sent_date: None,
    }
}

#[test]
fn late_parent_adopts_children_of_two_branches_and_merges_nothing_twice() {
    let mut index = MemoryThreadIndex::new();
    let (t1, p1) = index.insert(&input(1, "c@x", &["a@x", "b@x"], "Re: Devis"));
    assert_eq!(p1.thread, None);
    assert_eq!(p1.parent_id.as_deref(), Some("b@x"));
    // A sibling under the same missing parent joins the same thread.
    let (t2, _) = index.insert(&input(2, "d@x", &["a@x", "b@x"], "Re: Devis"));
    assert_eq!(t1, t2);
    // The missing parent arrives: it joins and adopts both.
    let (t3, p3) = index.insert(&input(3, "b@x", &["a@x"], "Re: Devis"));
    assert_eq!(t3, t1);
    assert_eq!(p3.reparented, ["c@x", "d@x"]);
    assert!(p3.merge.is_empty());
}

#[test]
fn a_bridging_message_merges_threads() {
    let mut index = MemoryThreadIndex::new();
    let (ta, _) = index.insert(&input(1, "a@x", &[], "Alpha"));
    let (tz, _) = index.insert(&input(2, "z@x", &["y@x"], "Re: Zeta"));
    assert_ne!(ta, tz);
    // Its References name a stored message of each thread.
    let (tb, placement) = index.insert(&input(3, "b@x", &["a@x", "y@x"], "Re: Alpha"));
    assert_eq!(tb, ta.min(tz));
    assert_eq!(placement.merge, [ta.max(tz)]);
    assert_eq!(index.thread_of("z@x"), Some(tb));
    assert_eq!(index.thread_of("a@x"), Some(tb));
}

#[test]
fn subject_grouping_is_opt_in_and_for_replies_only() {
    let mut index = MemoryThreadIndex::new();
    let (t1, _) = index.insert(&input(1, "r1@x", &[], "Rapport mensuel"));
    let (t2, _) = index.insert(&input(2, "r2@x", &[], "Re: Rapport mensuel"));
    assert_ne!(t1, t2);
    let mut grouped = MemoryThreadIndex::new();
    grouped.group_by_subject = true;
    let (g1, _) = grouped.insert(&input(1, "r1@x", &[], "Rapport mensuel"));
    let (g2, p) = grouped.insert(&input(2, "r2@x", &[], "RE : Rapport mensuel"));
    assert_eq!(g1, g2);
    assert!(p.by_subject);
    let (g3, _) = grouped.insert(&input(3, "r3@x", &[], "Rapport mensuel"));
    assert_ne!(
        g3, g1,
        "a new non-reply with the same subject starts its own thread"
    );
}

/// Partition of message ids into threads, as sets, independent of thread numbering.
fn partition(inputs: &[ThreadInput], order: &[usize]) -> Vec<Vec<u32>> {
    let mut index = MemoryThreadIndex::new();
    for &i in order {
        index.insert(&inputs[i]);
    }
    // Each input's final thread: by Message-ID, or for one without, by asking where it would go
    // (`place` has no side effects).
    let mut groups: HashMap<u64, Vec<u32>> = HashMap::new();
    for input in inputs {
        let thread = match &input.message_id {
            Some(id) => index.thread_of(id).unwrap(),
            _ => {
                let placement = mail::thread::place(&index, input);
                placement.thread.unwrap_or(u64::MAX - u64::from(input.id))
            }
        };
        groups.entry(thread).or_default().push(input.id);
    }
    let mut out: Vec<Vec<u32>> = groups
        .into_values()
        .map(|mut v| {
            v.sort();
            v
        })
        .collect();
    out.sort();
    out
}

#[test]
fn arrival_order_does_not_change_threads() {
    let dir = tempfile::tempdir().unwrap();
    for seed in 1..=6u64 {
        let path = dir.path().join("c.mbox");
        std::fs::write(&path, corpus::generate(seed, 50)).unwrap();
        // Duplicated Message-IDs are deduplicated by the sync before threading.
        let mut seen = std::collections::HashSet::new();
        let inputs: Vec<ThreadInput> = mbox_thread_inputs(&path)
            .unwrap()
            .into_iter()
            .filter(|i| {
                i.message_id
                    .as_ref()
                    .is_none_or(|id| seen.insert(id.clone()))
            })
            .collect();
        let forward: Vec<usize> = (0..inputs.len()).collect();
        let backward: Vec<usize> = forward.iter().rev().copied().collect();
        let mut rng = corpus::Rng(seed);
        let mut shuffled = forward.clone();
        for i in (1..shuffled.len()).rev() {
            shuffled.swap(i, rng.below(i + 1));
        }
        let expected = partition(&inputs, &forward);
        assert_eq!(
            partition(&inputs, &backward),
            expected,
            "seed {seed} backward"
        );
        assert_eq!(
            partition(&inputs, &shuffled),
            expected,
            "seed {seed} shuffled"
        );
        // Every message shares its thread with each stored message it references.
        let by_mid: HashMap<&str, u32> = inputs
            .iter()
            .filter_map(|i| Some((i.message_id.as_deref()?, i.id)))
            .collect();
        for input in &inputs {
            let group = expected.iter().find(|g| g.contains(&input.id)).unwrap();
            for r in mail::thread::incremental::thread_references(input) {
                if let Some(other) = by_mid.get(r.as_str()) {
                    assert!(
                        group.contains(other),
                        "seed {seed}: {} and {other}",
                        input.id
                    );
                }
            }
        }
    }
}
