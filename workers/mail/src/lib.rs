//! Pure mail library for the mailbox sync jobs: no database, network or logging.
//!
//! - [`parse`]: raw RFC 5322 bytes to a [`ParsedEmail`] (never panics, stable synthetic ids).
//! - [`subject`]: RFC 5256 base subject, extended with French and German reply/forward prefixes.
//! - [`thread`]: RFC 5256 `THREAD=REFERENCES` (JWZ) and an incremental placement API for the DB layer.
//! - [`mbox`] and [`maildir`]: streaming readers for imports and for the `workers thread` command.
//! - [`cli`]: `workers thread FILE.mbox`.

pub mod cli;
pub mod maildir;
pub mod mbox;
pub mod parse;
pub mod subject;
pub mod thread;

pub use parse::{Mailbox, ParsedEmail, parse_message};
pub use subject::{BaseSubject, base_subject};
pub use thread::{ThreadInput, ThreadNode, format_imap, thread};
