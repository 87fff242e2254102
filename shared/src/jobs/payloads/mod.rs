//! Payload types of every job, by domain.

pub mod autofill;
pub mod campaigns;
pub mod diag;
pub mod intel;
pub mod mail;
pub mod maint;
pub mod notify;
pub mod rgpd;
pub mod webhooks;
