//! Mailbox sync: parsing, storing (dedupe, people, threads), IMAP, the Gmail API, Microsoft Graph
//! (with OAuth token refresh), imports, retention. Plain functions
//! the job handlers of `jobs::mail` call and tests call directly.

pub mod accounts;
pub mod cleanup;
pub mod gmail;
pub mod graph;
pub mod imap;
pub mod import;
pub mod lock;
pub mod oauth;
pub mod parse;
pub mod provider;
pub mod store;
pub mod sync;
pub mod tokens;
pub mod utf7;
