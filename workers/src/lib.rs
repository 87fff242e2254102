//! The worker side of the CRM job platform: job handlers by domain (registered in [`jobs::registry`]) and
//! the CLI. The runtime that runs them is `crm_queue::runtime`; the mailbox domain is `crm-mailbox`.

pub mod cli;
pub mod jobs;
