//! Outgoing mail: [`SmtpConfig`] (`SMTP_*`, read once at boot), [`Mailer`] (a pooled lettre SMTP transport
//! connected to an address the egress policy checked, TLS verified against the configured host name), and
//! the daily digest of notifications users chose to receive by email ([`digest`]).

pub mod config;
pub mod digest;
pub mod sender;

pub use config::{SmtpConfig, SmtpSecurity};
pub use sender::{Mailer, MailerError};
