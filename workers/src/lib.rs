//! The worker side of the CRM job platform: the apalis runtime, job handlers by domain and the CLI.

pub mod cli;
pub mod jobs;
pub mod mail;
pub mod runtime;
