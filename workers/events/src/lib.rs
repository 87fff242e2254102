//! The event relay: reads the `events` outbox the database triggers write, and in one transaction per
//! batch creates a webhook delivery per subscribed endpoint ([`crm_webhooks::message`]) and the in-app
//! notifications the event calls for ([`notify`]), then marks the events relayed. After the commit the
//! deliveries are handed to `webhooks.deliver` jobs and the notifications published on Redis, where every
//! API replica's stream picks them up.
//!
//! Every worker process runs a relay; `FOR UPDATE SKIP LOCKED` gives each batch to one of them. An event
//! is relayed at least once and its deliveries and notifications exist once (unique per event and
//! endpoint, per event and user). A delivery whose enqueue failed is picked up by `webhooks.sweep`.

pub mod notify;
pub mod relay;
pub mod tasks;

pub use relay::{RelayEnv, RelayOutcome, relay_once, run};
