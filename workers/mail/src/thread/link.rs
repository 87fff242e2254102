//! Step (1): the id table and parent links.

use std::collections::HashMap;

use super::ThreadInput;

/// A container: a message (`msg`, index into the input) or a dummy for an id only seen in references.
#[derive(Debug, Clone, Default)]
pub(super) struct Container {
    pub msg: Option<usize>,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
}

/// All containers, linked by `parent` only; children are filled by [`super::tree`].
#[derive(Debug, Default)]
pub(super) struct Forest {
    pub nodes: Vec<Container>,
}

impl Forest {
    pub fn push(&mut self, msg: Option<usize>) -> usize {
        self.nodes.push(Container {
            msg,
            ..Container::default()
        });
        self.nodes.len() - 1
    }

    /// Whether `ancestor` is `node` or one of its ancestors.
    fn has_ancestor(&self, node: usize, ancestor: usize) -> bool {
        let mut cur = Some(node);
        // Parent links never form a cycle (every link is checked), so this walk ends.
        while let Some(n) = cur {
            if n == ancestor {
                return true;
            }
            cur = self.nodes[n].parent;
        }
        false
    }

    /// Make `parent` the parent of `child` unless that would make a loop or `child` already has one.
    fn link(&mut self, parent: usize, child: usize) {
        if self.has_ancestor(parent, child) || self.nodes[child].parent.is_some() {
            return;
        }
        self.nodes[child].parent = Some(parent);
    }
}

/// Build containers and links for every message, in input order.
pub(super) fn link(messages: &[ThreadInput]) -> Forest {
    let mut forest = Forest::default();
    let mut table: HashMap<&str, usize> = HashMap::new();
    for (i, m) in messages.iter().enumerate() {
        let own = match m.message_id.as_deref() {
            Some(id) => match table.get(id) {
                Some(&c) if forest.nodes[c].msg.is_none() => {
                    forest.nodes[c].msg = Some(i);
                    c
                }
                // A duplicate Message-ID: the earlier message keeps it, this one stands alone.
                Some(_) => forest.push(Some(i)),
                None => {
                    let c = forest.push(Some(i));
                    table.insert(id, c);
                    c
                }
            },
            None => forest.push(Some(i)),
        };
        let refs: Vec<&str> = if m.references.is_empty() {
            m.in_reply_to.as_deref().into_iter().collect()
        } else {
            m.references.iter().map(String::as_str).collect()
        };
        let mut prev: Option<usize> = None;
        for r in refs {
            let c = *table.entry(r).or_insert_with(|| forest.push(None));
            if let Some(p) = prev {
                forest.link(p, c);
            }
            prev = Some(c);
        }
        // The last reference is the parent; a conflicting earlier parent (from a truncated
        // References elsewhere) gives way to it.
        if forest.nodes[own].parent.is_some() && forest.nodes[own].parent != prev {
            forest.nodes[own].parent = None;
        }
        if let Some(p) = prev {
            forest.link(p, own);
        }
    }
    forest
}
