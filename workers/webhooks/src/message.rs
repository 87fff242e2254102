//! The body of a webhook message (Standard Webhooks' `{type, timestamp, data}`), thinned to a reference
//! when it would pass [`MAX_PAYLOAD_BYTES`].

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

/// The largest body sent; a larger event is sent as a reference the receiver fetches with the API.
pub const MAX_PAYLOAD_BYTES: usize = 20 * 1024;

/// A new `webhook-id`: `msg_` + a ULID, unique per message and the same on every attempt.
pub fn new_message_id() -> String {
    format!("msg_{}", ulid::Ulid::new())
}

/// Where a receiver fetches an event whose body was too large to send (API, admins).
pub fn event_path(event_id: i64) -> String {
    format!("/api/v1/webhooks/events/{event_id}")
}

/// The body of the message for event `event_type` with `data`.
pub fn body(event_type: &str, event_id: Option<i64>, at: DateTime<Utc>, data: &Value) -> Value {
    let timestamp = at.to_rfc3339_opts(SecondsFormat::Micros, true);
    let full = json!({ "type": event_type, "timestamp": timestamp, "data": data });
    let size = serde_json::to_vec(&full).map_or(usize::MAX, |b| b.len());
    match event_id {
        Some(id) if size > MAX_PAYLOAD_BYTES => json!({
            "type": event_type,
            "timestamp": timestamp,
            "data": { "event_id": id, "truncated": true, "url": event_path(id) },
        }),
        _ => full,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_bodies_become_a_reference() {
        let at = Utc::now();
        let small = body("person.updated", Some(3), at, &json!({"id": 3}));
        assert_eq!(small["data"]["id"], 3);
        assert_eq!(small["type"], "person.updated");
        let big = json!({"changed": vec!["x".repeat(100); 300]});
        let thin = body("person.updated", Some(4), at, &big);
        assert_eq!(thin["data"]["truncated"], true);
        assert_eq!(thin["data"]["url"], "/api/v1/webhooks/events/4");
        assert!(serde_json::to_vec(&thin).unwrap_or_default().len() < MAX_PAYLOAD_BYTES);
    }

    #[test]
    fn message_ids_are_unique_and_prefixed() {
        let (a, b) = (new_message_id(), new_message_id());
        assert!(a.starts_with("msg_") && a != b);
    }
}
