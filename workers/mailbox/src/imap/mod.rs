//! IMAP: connecting ([`connect`]), the bounds on every read ([`bounded`]) and the incremental per-folder
//! sync ([`folder`]).

pub mod bounded;
pub mod connect;
pub mod folder;

pub use bounded::{ReadLimitError, ReadLimits};
pub use connect::{Credentials, ImapSession, ImapSettings, LOGIN_READ_BYTES, connect};
pub use folder::{FolderOutcome, list_folders, sync_folder};

/// An IMAP failure, classified where it is understood. Messages carry no credentials nor content, and
/// never the server's own bytes (its greeting, its error texts): only our words and, for a refused
/// login, a standard IMAP response code.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// The server refused the credentials; retrying cannot help.
    #[error("authentication failed: {0}")]
    Auth(String),
    /// Connection refused, reset, timed out: worth retrying.
    #[error("network: {0}")]
    Network(String),
    /// The server answered something unexpected.
    #[error("protocol: {0}")]
    Protocol(String),
    /// Settings that cannot work (bad host name, refused certificate).
    #[error("configuration: {0}")]
    Config(String),
    /// The egress policy refused the destination, or the connection failed before the server spoke.
    #[error(transparent)]
    Egress(#[from] egress::EgressError),
    /// `security: none` while the operator does not allow plaintext IMAP (`IMAP_ALLOW_PLAINTEXT`).
    #[error(
        "plaintext IMAP (security `none`) is disabled on this platform: use `tls` or `starttls`"
    )]
    PlaintextRefused,
    /// The server sent more than a read may hold (an oversized literal or answer): refused before
    /// buffering it.
    #[error("{doing}: {limit}")]
    Limit {
        doing: String,
        limit: ReadLimitError,
    },
    #[error("database: {0}")]
    Db(#[from] shared::db::DbError),
}

impl ImapError {
    /// Maps an async-imap error met while `doing` something. Its own text is never kept: async-imap
    /// quotes the bytes it could not parse.
    pub fn from_imap(e: async_imap::error::Error, doing: &str) -> Self {
        use async_imap::error::Error as E;
        match e {
            E::Io(io) => Self::from_io(&io, doing),
            E::ConnectionLost => Self::Network(format!("{doing}: connection lost")),
            E::No(_) => Self::Protocol(format!("{doing}: the server refused the command")),
            E::Bad(_) => Self::Protocol(format!("{doing}: the server rejected the command")),
            E::Parse(_) => Self::Protocol(format!("{doing}: the server's answer is not IMAP")),
            _ => Self::Protocol(format!("{doing}: unexpected answer from the server")),
        }
    }

    /// Maps an I/O error: a broken read limit, or the error's kind only (async-imap's parse errors are
    /// I/O errors quoting the server's bytes).
    pub fn from_io(e: &std::io::Error, doing: &str) -> Self {
        match ReadLimitError::of(e) {
            Some(ReadLimitError::TimedOut) => {
                Self::Network(format!("{doing}: the server did not answer in time"))
            }
            Some(limit) => Self::Limit {
                doing: doing.to_owned(),
                limit,
            },
            None if e.kind() == std::io::ErrorKind::Other => {
                Self::Protocol(format!("{doing}: the server's answer is not IMAP"))
            }
            None => Self::Network(format!("{doing}: {}", e.kind())),
        }
    }

    /// True when a later attempt may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Network(_) | Self::Protocol(_) => true,
            Self::Egress(e) => !e.is_refusal(),
            Self::Db(e) => e.is_transient(),
            Self::Auth(_) | Self::Config(_) | Self::PlaintextRefused | Self::Limit { .. } => false,
        }
    }
}

/// Standard response codes (RFC 3501, RFC 5530) a login refusal may carry; only these are repeated.
const LOGIN_CODES: &[(&str, &str)] = &[
    ("AUTHENTICATIONFAILED", "wrong user name or password"),
    ("AUTHORIZATIONFAILED", "this user may not use this mailbox"),
    ("EXPIRED", "the password has expired"),
    (
        "PRIVACYREQUIRED",
        "the server requires an encrypted connection",
    ),
    (
        "CONTACTADMIN",
        "the server asks to contact its administrator",
    ),
    ("UNAVAILABLE", "the server is temporarily unavailable"),
    ("LIMIT", "the server's connection limit was reached"),
    ("ALERT", "the server sent an alert"),
];

/// Our text for a refused login: the standard response code the server gave, if any, never its text.
/// `reason` is async-imap's `code: Some(..), info: Some("..")`: a code imap-proto knows is in the first
/// part (its debug form), an other one stays at the start of the text as `[CODE]`. Only a code of
/// [`LOGIN_CODES`] is repeated.
pub(crate) fn refusal_text(reason: &str) -> String {
    let normalise = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_uppercase()
    };
    let reason = reason.trim();
    let (code_part, info) = match reason.strip_prefix("code: ") {
        Some(rest) => rest.split_once(", info: ").unwrap_or((rest, "")),
        None => ("", reason),
    };
    let known = normalise(code_part);
    let leading = info
        .trim_start_matches("Some(\"")
        .strip_prefix('[')
        .and_then(|r| r.split(']').next())
        .map(normalise)
        .unwrap_or_default();
    let found = LOGIN_CODES
        .iter()
        .find(|(c, _)| (!known.is_empty() && known.contains(c)) || leading == *c);
    match found {
        Some((c, meaning)) => format!("the server refused the login [{c}]: {meaning}"),
        None => "the server refused the login".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_login_keeps_the_standard_code_only() {
        let t = refusal_text("[AUTHENTICATIONFAILED] Authentication failed.");
        assert!(t.contains("AUTHENTICATIONFAILED"), "{t}");
        assert!(!t.contains("Authentication failed."), "{t}");
        let t = refusal_text("MariaDB 5.5.5-salt:x8#kQ0 refuse");
        assert_eq!(t, "the server refused the login");
        let t = refusal_text("[X-SECRET-BANNER-abc] hi");
        assert_eq!(t, "the server refused the login");
        // async-imap's form: the code's debug text, then the server's text (never repeated).
        let t = refusal_text(
            "code: Some(Other(\"AUTHENTICATIONFAILED\", None)), info: Some(\"ALERT hunter2\")",
        );
        assert!(t.contains("[AUTHENTICATIONFAILED]"), "{t}");
        assert!(!t.contains("hunter2"), "{t}");
        let t = refusal_text("code: None, info: Some(\"[EXPIRED] hunter2\")");
        assert!(t.contains("[EXPIRED]"), "{t}");
        assert!(!t.contains("hunter2"), "{t}");
        let t = refusal_text("code: None, info: Some(\"[EXPIRED hunter2] x\")");
        assert_eq!(t, "the server refused the login");
    }

    #[test]
    fn parse_errors_never_quote_the_server() {
        let io = std::io::Error::other("Error(..) during parsing of \"+OK NATS banner 4222\"");
        let e = ImapError::from_imap(async_imap::error::Error::Io(io), "reading the greeting");
        assert!(!e.to_string().contains("NATS"), "{e}");
        let e = ImapError::from_imap(
            async_imap::error::Error::No("secret text".into()),
            "EXAMINE",
        );
        assert!(!e.to_string().contains("secret"), "{e}");
    }
}
