//! The mailbox domain, used by both binaries: provider protocols (IMAP, the Gmail API, Microsoft Graph,
//! OAuth token calls), account checks and sealed tokens, and the sync that stores each message once
//! (dedupe, people, threads), imports, retention and the campaign feedback of the bounce mailbox. Plain
//! functions: the job handlers of `workers/src/jobs/mail` and the API's mailbox routes call them, and so
//! do tests.

pub mod accounts;
pub mod bounces;
pub mod cleanup;
pub mod gmail;
pub mod graph;
pub mod imap;
pub mod import;
pub mod lock;
pub mod oauth;
pub mod parse;
pub mod provider;
pub mod schedule;
pub mod store;
pub mod sync;
pub mod tokens;
pub mod utf7;
