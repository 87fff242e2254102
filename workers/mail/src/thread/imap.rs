//! The IMAP THREAD response syntax (RFC 5256 section 4): a node with one child continues its list,
//! a node with several children opens one nested list per child: `(3 6 (4 23)(44 7 96))`.

use std::fmt::Write;

use super::ThreadNode;

/// The parenthesised thread list, without the `* THREAD ` prefix; "" for no messages.
pub fn format_imap(threads: &[ThreadNode]) -> String {
    let mut out = String::new();
    for t in threads {
        out.push('(');
        members(&mut out, t);
        out.push(')');
    }
    out
}

fn members(out: &mut String, node: &ThreadNode) {
    let mut node = node;
    let mut first = true;
    loop {
        if let Some(id) = node.id {
            if !first {
                out.push(' ');
            }
            let _ = write!(out, "{id}");
            first = false;
        }
        match node.children.as_slice() {
            [] => return,
            [only] if node.id.is_some() => node = only,
            children => {
                if !first {
                    out.push(' ');
                }
                for c in children {
                    out.push('(');
                    members(out, c);
                    out.push(')');
                }
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(id: u32, children: Vec<ThreadNode>) -> ThreadNode {
        ThreadNode {
            id: Some(id),
            children,
        }
    }

    #[test]
    fn rfc_example_shape() {
        let t = vec![
            n(2, vec![]),
            n(
                3,
                vec![n(
                    6,
                    vec![
                        n(4, vec![n(23, vec![])]),
                        n(44, vec![n(7, vec![n(96, vec![])])]),
                    ],
                )],
            ),
        ];
        assert_eq!(format_imap(&t), "(2)(3 6 (4 23)(44 7 96))");
    }

    #[test]
    fn dummy_root_lists_its_children() {
        let t = vec![ThreadNode {
            id: None,
            children: vec![n(1, vec![]), n(2, vec![n(3, vec![])])],
        }];
        assert_eq!(format_imap(&t), "((1)(2 3))");
        assert_eq!(format_imap(&[]), "");
    }
}
