//! Step (5): roots that share a base subject are gathered.

use std::collections::HashMap;

use super::ThreadInput;
use super::link::Forest;
use super::tree::{sort_children, sort_roots};
use crate::subject::base_subject;

struct RootSubject {
    key: String,
    reply: bool,
}

/// Gather roots by base subject; `roots` come sorted and leave sorted.
pub(super) fn group_by_subject(
    forest: &mut Forest,
    messages: &[ThreadInput],
    roots: Vec<usize>,
) -> Vec<usize> {
    let subjects: Vec<Option<RootSubject>> = roots
        .iter()
        .map(|&r| root_subject(forest, messages, r))
        .collect();
    let is_dummy = |forest: &Forest, n: usize| forest.nodes[n].msg.is_none();

    // (5B) the subject table: a dummy wins, then a message that is not a reply.
    let mut table: HashMap<&str, usize> = HashMap::new();
    let mut reply: HashMap<usize, bool> = HashMap::new();
    for (i, s) in subjects.iter().enumerate() {
        let Some(s) = s else { continue };
        reply.insert(roots[i], s.reply);
        match table.get(s.key.as_str()) {
            None => {
                table.insert(&s.key, roots[i]);
            }
            Some(&t) => {
                if !is_dummy(forest, t) && (is_dummy(forest, roots[i]) || (reply[&t] && !s.reply)) {
                    table.insert(&s.key, roots[i]);
                }
            }
        }
    }

    // (5C) merge every other root into the table's container.
    let mut removed = vec![false; roots.len()];
    let mut added = Vec::new();
    for (i, s) in subjects.iter().enumerate() {
        let Some(s) = s else { continue };
        let cur = roots[i];
        let t = table[s.key.as_str()];
        if t == cur {
            continue;
        }
        removed[i] = true;
        if is_dummy(forest, cur) {
            // Both dummies: the children become siblings.
            let children = std::mem::take(&mut forest.nodes[cur].children);
            for &c in &children {
                forest.nodes[c].parent = Some(t);
            }
            forest.nodes[t].children.extend(children);
        } else if is_dummy(forest, t) || (s.reply && !reply[&t]) {
            adopt(forest, t, cur);
        } else {
            // Both replies or neither: siblings under a new dummy, which takes the table's place.
            let d = forest.push(None);
            adopt(forest, d, t);
            adopt(forest, d, cur);
            if let Some(pos) = roots.iter().position(|&r| r == t) {
                removed[pos] = true;
            }
            added.push(d);
            table.insert(&s.key, d);
        }
    }
    let mut out: Vec<usize> = roots
        .iter()
        .zip(&removed)
        .filter(|(_, gone)| !**gone)
        .map(|(r, _)| *r)
        .collect();
    out.extend(added);
    for &r in &out {
        sort_children(forest, messages, r);
    }
    sort_roots(forest, messages, &mut out);
    out
}

fn adopt(forest: &mut Forest, parent: usize, child: usize) {
    forest.nodes[child].parent = Some(parent);
    forest.nodes[parent].children.push(child);
}

/// Subject of a root: its message's, or for a dummy its earliest child's; `None` when empty.
fn root_subject(forest: &mut Forest, messages: &[ThreadInput], root: usize) -> Option<RootSubject> {
    let msg = match forest.nodes[root].msg {
        Some(m) => m,
        None => {
            sort_children(forest, messages, root);
            let first = *forest.nodes[root].children.first()?;
            forest.nodes[first].msg?
        }
    };
    let base = base_subject(&messages[msg].subject);
    let key = base.key();
    (!key.is_empty()).then_some(RootSubject {
        key,
        reply: base.reply_or_forward,
    })
}
