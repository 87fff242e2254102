//! Mailbox sync: parsing, storing (dedupe, people, threads), IMAP, imports, retention. Plain functions
//! the job handlers of `jobs::mail` call and tests call directly.

pub mod accounts;
pub mod cleanup;
pub mod imap;
pub mod import;
pub mod lock;
pub mod oauth;
pub mod parse;
pub mod store;
pub mod sync;
pub mod utf7;
