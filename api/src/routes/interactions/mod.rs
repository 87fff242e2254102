//! Stored emails (interactions): their email-intelligence result.

pub mod analysis;
