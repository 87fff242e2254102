//! Outgoing mail: [`SmtpConfig`] (`SMTP_*`, read once at boot), [`Mailer`] (a pooled lettre SMTP transport
//! connected to an address the egress policy checked, TLS verified against the configured host name), the
//! daily digest of notifications users chose to receive by email ([`digest`]), DKIM signing
//! ([`DkimSigner`], `DKIM_*`) and the `List-*` header fields of bulk mail ([`list_headers`]).

pub mod config;
pub mod digest;
pub mod dkim;
pub mod list_headers;
pub mod sender;

pub use config::{SmtpConfig, SmtpSecurity};
pub use dkim::{DkimAlgorithm, DkimSigner};
pub use sender::{Mailer, MailerError};
