//! Which events notify whom, with what text. Texts name records by id (the front end shows the record),
//! never a person's name or address.

use diesel::prelude::*;
use serde_json::{Value, json};
use shared::db::DbError;
use shared::models::UserId;
use shared::models::event::Event;
use shared::models::notification::{self, NewNotification};
use shared::schema::users;

fn admins(conn: &mut PgConnection) -> Result<Vec<UserId>, DbError> {
    Ok(users::table
        .filter(users::role.eq("admin"))
        .filter(users::active)
        .select(users::id)
        .load(conn)?)
}

fn user_id(data: &Value, field: &str) -> Option<UserId> {
    data.get(field).and_then(Value::as_i64).map(UserId)
}

fn text(data: &Value, field: &str) -> String {
    data.get(field)
        .and_then(Value::as_str)
        .unwrap_or("?")
        .chars()
        .take(200)
        .collect()
}

fn num(data: &Value, field: &str) -> i64 {
    data.get(field).and_then(Value::as_i64).unwrap_or(0)
}

/// A notification of `kind` for `users` about `event`, before preferences are applied.
struct Draft {
    kind: &'static str,
    users: Vec<UserId>,
    title: String,
    body: String,
    link: Option<String>,
}

fn draft(conn: &mut PgConnection, event: &Event) -> Result<Option<Draft>, DbError> {
    let d = &event.data;
    let draft = match event.event_type.as_str() {
        "organisation.updated" if d.get("pipeline_stage").is_some() => {
            let Some(owner) = user_id(d, "owner_id") else {
                return Ok(None);
            };
            Draft {
                kind: "pipeline_stage_changed",
                users: vec![owner],
                title: format!(
                    "Organisation #{} moved to {}",
                    num(d, "id"),
                    text(d, "pipeline_stage")
                ),
                body: format!(
                    "Pipeline stage: {} → {}",
                    text(d, "previous_stage"),
                    text(d, "pipeline_stage")
                ),
                link: Some(format!("/organisations/{}", num(d, "id"))),
            }
        }
        "task.due" => {
            let Some(user) = user_id(d, "assigned_user_id") else {
                return Ok(None);
            };
            Draft {
                kind: "task_due",
                users: vec![user],
                title: format!("Task #{} is due", num(d, "id")),
                body: format!("Due {}", text(d, "due_at")),
                link: Some(format!("/tasks/{}", num(d, "id"))),
            }
        }
        "interaction.assigned" => {
            let Some(user) = user_id(d, "user_id") else {
                return Ok(None);
            };
            Draft {
                kind: "assignment",
                users: vec![user],
                title: format!("Email #{} assigned to you", num(d, "id")),
                body: match d.get("routing_rule_id").and_then(Value::as_i64) {
                    Some(rule) => format!("By routing rule #{rule}"),
                    None => "By the default assignee setting".to_owned(),
                },
                link: Some(format!("/interactions/{}", num(d, "id"))),
            }
        }
        kind @ ("job.failed" | "job.dead") => Draft {
            kind: "job_failed",
            users: admins(conn)?,
            title: format!(
                "Job {} {}",
                text(d, "job"),
                if kind == "job.failed" {
                    "failed"
                } else {
                    "ran out of attempts"
                }
            ),
            body: format!(
                "Queue {}, {} attempt(s): {}",
                text(d, "queue"),
                num(d, "attempts"),
                text(d, "error")
            ),
            link: Some(format!("/dashboard/jobs/{}", text(d, "job_id"))),
        },
        "webhook.endpoint.disabled" => Draft {
            kind: "webhook_endpoint_disabled",
            users: admins(conn)?,
            title: format!("Webhook endpoint #{} turned off", num(d, "endpoint_id")),
            body: match text(d, "reason").as_str() {
                "gone" => "The receiver answered 410 Gone.".to_owned(),
                _ => "Every delivery attempt failed for days.".to_owned(),
            },
            link: Some(format!("/api/v1/webhooks/{}", num(d, "endpoint_id"))),
        },
        "rgpd.request_received" => Draft {
            kind: "rgpd_request_received",
            users: admins(conn)?,
            title: format!(
                "RGPD {} request #{} received",
                text(d, "kind"),
                num(d, "id")
            ),
            body: format!("Answer due by {}", text(d, "due_by")),
            link: Some(format!("/api/v1/rgpd/requests/{}", num(d, "id"))),
        },
        "rgpd.export_ready" => {
            let Some(user) = user_id(d, "user_id") else {
                return Ok(None);
            };
            Draft {
                kind: "export_ready",
                users: vec![user],
                title: "Your export is ready".to_owned(),
                body: format!(
                    "The download link works once, until {}",
                    text(d, "link_expires_at")
                ),
                link: Some(format!("/api/v1/rgpd/requests/{}", num(d, "id"))),
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(draft))
}

/// The notifications `event` calls for, minus users who turned the kind off (critical kinds excepted).
pub fn for_event(conn: &mut PgConnection, event: &Event) -> Result<Vec<NewNotification>, DbError> {
    let Some(mut draft) = draft(conn, event)? else {
        return Ok(Vec::new());
    };
    let Some(kind) = notification::kind(draft.kind) else {
        return Ok(Vec::new());
    };
    if !kind.critical {
        let muted = notification::muted(conn, &draft.users, kind.name)?;
        draft.users.retain(|u| !muted.contains(u));
    }
    draft.users.sort();
    draft.users.dedup();
    // An urgent or high task's reminder is high priority.
    let priority = match event.data.get("priority").and_then(Value::as_str) {
        Some("urgent" | "high") if kind.name == "task_due" => "high",
        _ => kind.priority,
    };
    Ok(draft
        .users
        .into_iter()
        .map(|user_id| NewNotification {
            user_id,
            kind: kind.name.to_owned(),
            priority: priority.to_owned(),
            title: draft.title.clone(),
            body: draft.body.clone(),
            link: draft.link.clone(),
            data: json!({ "event_type": event.event_type, "event": event.data }),
            event_id: Some(event.id),
        })
        .collect())
}
