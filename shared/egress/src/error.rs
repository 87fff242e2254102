//! Why an outbound connection was not made. Texts are meant for users: they never hold the peer's bytes,
//! nor the address a name resolved to.

use std::io;

use crate::BlockedRange;

/// An outbound connection refused by the policy, or failed before any byte of the peer was read.
#[derive(Debug, thiserror::Error)]
pub enum EgressError {
    /// The destination resolves only to addresses the policy refuses.
    #[error("the destination is not allowed: it is a {0} address")]
    Refused(BlockedRange),
    /// The host name is not a name (empty, or not valid in a URL).
    #[error("the destination is not a valid host name")]
    InvalidHost,
    /// Only `http` and `https` URLs are fetched.
    #[error("the URL scheme is not allowed (http or https only)")]
    Scheme,
    /// DNS failed or gave no address.
    #[error("the host name could not be resolved")]
    Resolve(#[source] Option<io::Error>),
    /// No connection within the connect timeout.
    #[error("timed out connecting")]
    ConnectTimeout,
    /// Every allowed address refused or reset the connection.
    #[error("could not connect")]
    Connect(#[source] io::Error),
    /// A response body is larger than its cap; reading stopped there.
    #[error("the response is larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    /// More redirects than allowed.
    #[error("too many redirects")]
    TooManyRedirects,
    /// No HTTP client under the policy could be built: nothing is sent.
    #[error("outbound HTTP is unavailable")]
    Unavailable,
    /// The HTTP exchange failed (transport, TLS, timeout). The cause is kept for logs, without its URL.
    #[error("HTTP request failed")]
    Http(#[source] reqwest::Error),
}

impl EgressError {
    /// A short stable code for API answers and metrics: `egress_refused` for a policy refusal,
    /// `egress_failed` otherwise.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Refused(_) | Self::InvalidHost | Self::Scheme => "egress_refused",
            _ => "egress_failed",
        }
    }

    /// True when the policy (not the network) said no: retrying cannot help.
    pub fn is_refusal(&self) -> bool {
        matches!(self, Self::Refused(_) | Self::InvalidHost | Self::Scheme)
    }
}

impl From<reqwest::Error> for EgressError {
    fn from(e: reqwest::Error) -> Self {
        Self::Http(e.without_url())
    }
}
