//! Bounces and complaints: delivery-status notifications (RFC 3464) read from a mailbox ([`dsn`]) and
//! SendGrid's signed event webhook ([`sendgrid`]).

pub mod dsn;
pub mod sendgrid;

use serde::{Deserialize, Serialize};

/// How a failed delivery bears on the address: suppress it now, or only count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BounceKind {
    /// The address itself cannot receive mail (no such mailbox or domain, mailbox disabled): suppress it.
    Hard,
    /// Delivery failed or was delayed for a reason that may pass (full mailbox, policy or reputation block,
    /// message too large, remote trouble): count it, and let repeated soft bounces decide.
    Soft,
}
