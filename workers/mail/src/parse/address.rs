//! Address lists (From, To, Cc) reduced to (display name, lower-cased address).

use mail_parser::{Addr, Address};
use serde::{Deserialize, Serialize};

/// One mailbox of an address header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mailbox {
    /// Display name, trimmed; `None` when absent or blank.
    pub name: Option<String>,
    /// Address, lower-cased (people are matched case-insensitively by address).
    pub address: String,
}

/// Mailboxes of every occurrence of an address header, group members flattened, entries without an
/// address dropped.
pub fn mailboxes<'a>(values: impl Iterator<Item = &'a Address<'a>>) -> Vec<Mailbox> {
    let mut out = Vec::new();
    for value in values {
        match value {
            Address::List(list) => out.extend(list.iter().filter_map(mailbox)),
            Address::Group(groups) => {
                out.extend(
                    groups
                        .iter()
                        .flat_map(|g| g.addresses.iter())
                        .filter_map(mailbox),
                );
            }
        }
    }
    out
}

fn mailbox(addr: &Addr<'_>) -> Option<Mailbox> {
    let address = addr.address.as_deref()?.trim().to_lowercase();
    if address.is_empty() {
        return None;
    }
    let name = addr
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    Some(Mailbox { name, address })
}
