//! IMAP: connecting ([`connect`]) and the incremental per-folder sync ([`folder`]).

pub mod connect;
pub mod folder;

pub use connect::{Credentials, ImapSession, ImapSettings, connect};
pub use folder::{FolderOutcome, list_folders, sync_folder};

/// An IMAP failure, classified where it is understood. Messages carry no credentials nor content.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// The server refused the credentials; retrying cannot help. Holds the server's reason.
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
    #[error("database: {0}")]
    Db(#[from] shared::db::DbError),
}

impl ImapError {
    /// Maps an async-imap error met while `doing` something.
    pub fn from_imap(e: async_imap::error::Error, doing: &str) -> Self {
        use async_imap::error::Error as E;
        match e {
            E::Io(io) => Self::Network(format!("{doing}: {io}")),
            E::ConnectionLost => Self::Network(format!("{doing}: connection lost")),
            other => Self::Protocol(format!("{doing}: {other}")),
        }
    }

    /// True when a later attempt may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Network(_) | Self::Protocol(_) => true,
            Self::Db(e) => e.is_transient(),
            Self::Auth(_) | Self::Config(_) => false,
        }
    }
}
