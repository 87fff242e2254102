//! Payload types of every job, by domain.

pub mod diag;
pub mod intel;
pub mod mail;
pub mod maint;
