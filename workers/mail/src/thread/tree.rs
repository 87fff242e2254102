//! Steps (2)-(4) and (6): root set, dummy pruning, sorting, and the output tree.

use super::link::Forest;
use super::{ThreadInput, ThreadNode};

/// Sort key of a message: sent date (seconds, missing = 0 as IMAP servers do), then id.
pub(super) fn msg_key(messages: &[ThreadInput], msg: usize) -> (i64, u32) {
    let m = &messages[msg];
    (m.sent_date.map_or(0, |d| d.timestamp()), m.id)
}

/// Sort key of a container: its message's, or for a dummy its earliest child's.
pub(super) fn key(forest: &Forest, messages: &[ThreadInput], node: usize) -> (i64, u32) {
    match forest.nodes[node].msg {
        Some(m) => msg_key(messages, m),
        None => forest.nodes[node]
            .children
            .iter()
            .map(|&c| key(forest, messages, c))
            .min()
            .unwrap_or((i64::MAX, u32::MAX)),
    }
}

/// Sort a container's children by key.
pub(super) fn sort_children(forest: &mut Forest, messages: &[ThreadInput], node: usize) {
    let mut children = std::mem::take(&mut forest.nodes[node].children);
    children.sort_by_key(|&c| key(forest, messages, c));
    forest.nodes[node].children = children;
}

/// Fill children lists and return the sorted roots. A message whose parent is a dummy moves up to its
/// nearest real ancestor, or to the topmost dummy when there is none; a root dummy with one child
/// gives way to that child and a childless one disappears (RFC 5256 step 4).
pub(super) fn roots_after_pruning(forest: &mut Forest, messages: &[ThreadInput]) -> Vec<usize> {
    let mut roots = Vec::new();
    for n in 0..forest.nodes.len() {
        let Some(mut parent) = forest.nodes[n].parent else {
            roots.push(n);
            continue;
        };
        if forest.nodes[n].msg.is_none() {
            continue;
        }
        while forest.nodes[parent].msg.is_none() {
            match forest.nodes[parent].parent {
                Some(p) => parent = p,
                None => break,
            }
        }
        forest.nodes[parent].children.push(n);
    }
    let mut kept = Vec::with_capacity(roots.len());
    for r in roots {
        if forest.nodes[r].msg.is_some() {
            kept.push(r);
            continue;
        }
        match forest.nodes[r].children.as_slice() {
            [] => {}
            [only] => {
                let only = *only;
                forest.nodes[only].parent = None;
                kept.push(only);
            }
            _ => kept.push(r),
        }
    }
    for &r in &kept {
        forest.nodes[r].parent = None;
    }
    sort_roots(forest, messages, &mut kept);
    kept
}

pub(super) fn sort_roots(forest: &Forest, messages: &[ThreadInput], roots: &mut [usize]) {
    roots.sort_by_key(|&r| key(forest, messages, r));
}

/// The output tree under `node`, children sorted.
pub(super) fn to_node(forest: &Forest, messages: &[ThreadInput], node: usize) -> ThreadNode {
    let mut children: Vec<usize> = forest.nodes[node].children.clone();
    children.sort_by_key(|&c| key(forest, messages, c));
    ThreadNode {
        id: forest.nodes[node].msg.map(|m| messages[m].id),
        children: children
            .into_iter()
            .map(|c| to_node(forest, messages, c))
            .collect(),
    }
}
