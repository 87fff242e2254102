//! The domain events of the platform: written to the `events` outbox by database triggers (see the
//! `create_events_webhooks` migration), relayed by the workers to webhook endpoints and notifications.
//!
//! Events are thin: ids, the names of changed columns and job figures. A receiver fetches the record it
//! cares about through the API; no personal data travels in an event or stays in the outbox.

/// One event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct EventType {
    pub name: &'static str,
    /// Webhook endpoints may subscribe to it (the others only feed notifications).
    pub subscribable: bool,
    pub description: &'static str,
}

const fn public(name: &'static str, description: &'static str) -> EventType {
    EventType {
        name,
        subscribable: true,
        description,
    }
}

/// Every event type, subscribable ones first.
pub const ALL: &[EventType] = &[
    public(
        "organisation.created",
        "An organisation was created: `id`, `owner_id`",
    ),
    public(
        "organisation.updated",
        "An organisation changed: `id`, `changed` (column names); `pipeline_stage` and `previous_stage` when the stage moved",
    ),
    public("organisation.deleted", "An organisation was deleted: `id`"),
    public("person.created", "A person was created: `id`"),
    public(
        "person.updated",
        "A person changed: `id`, `changed` (column names)",
    ),
    public("person.deleted", "A person was deleted: `id`"),
    public(
        "interaction.created",
        "An email was stored: `id`, `account_id`, `direction`",
    ),
    public(
        "suggestion.applied",
        "An autofill suggestion was applied: `id`, `entity_type`, `entity_id`, `action`, `field`, `status`",
    ),
    public(
        "job.failed",
        "A job failed with an error retrying cannot fix: `job_id`, `job`, `queue`, `attempts`, `error`",
    ),
    public(
        "job.dead",
        "A job ran out of attempts: `job_id`, `job`, `queue`, `attempts`, `error`",
    ),
    public(
        "rgpd.erased",
        "A data subject was erased: `subject_type`, `subject_id`, `reason`, `request_id`",
    ),
    public(
        "task.due",
        "An open task's due time passed: `id`, `assigned_user_id`, `priority`, `due_at`",
    ),
    public(
        "webhook.endpoint.disabled",
        "The platform turned a webhook endpoint off: `endpoint_id`, `reason`",
    ),
    EventType {
        name: "interaction.assigned",
        subscribable: false,
        description: "A routing rule assigned an email to a user (notification)",
    },
    EventType {
        name: "rgpd.request_received",
        subscribable: false,
        description: "An RGPD request was filed (notification to admins)",
    },
    EventType {
        name: "rgpd.export_ready",
        subscribable: false,
        description: "An RGPD export is ready to download (notification to the requester)",
    },
];

/// The type named `name`, if it exists.
pub fn find(name: &str) -> Option<&'static EventType> {
    ALL.iter().find(|e| e.name == name)
}

/// The names endpoints may subscribe to.
pub fn subscribable() -> impl Iterator<Item = &'static str> {
    ALL.iter().filter(|e| e.subscribable).map(|e| e.name)
}
