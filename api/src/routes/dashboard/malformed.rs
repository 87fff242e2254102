//! Envelopes the workers set aside because they could not decode them (see `crm_queue::malformed`): listed
//! without their content, and discarded by an operator once looked into.

use actix_web::{HttpResponse, web};
use crm_queue::{MALFORMED_LIST_MAX, MalformedTask};
use serde::{Deserialize, Serialize};
use shared::jobs::Queue;

use super::{audit_action, parse_queue};
use crate::dashboard::DashUser;
use crate::error::ApiError;
use crate::middleware::RequestId;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MalformedQuery {
    /// Only this queue's envelopes.
    pub queue: Option<String>,
}

#[derive(Serialize)]
pub struct MalformedPage {
    /// Set-aside envelopes in total (of the queue, when given).
    pub total: u64,
    /// Up to `MALFORMED_LIST_MAX` per queue. A job named here whose record still pointed at the task is in
    /// the dead-letter list, where it can be requeued from its record.
    pub tasks: Vec<MalformedTask>,
}

/// `GET /api/v1/dashboard/malformed?queue=`.
pub async fn list(
    state: web::Data<AppState>,
    _user: DashUser,
    query: web::Query<MalformedQuery>,
) -> Result<HttpResponse, ApiError> {
    let queues = match query.queue.as_deref().filter(|q| !q.is_empty()) {
        Some(q) => vec![parse_queue(q)?],
        None => Queue::ALL.to_vec(),
    };
    let mut page = MalformedPage {
        total: 0,
        tasks: Vec::new(),
    };
    for q in queues {
        let (total, tasks) = state.queue.malformed(q, MALFORMED_LIST_MAX).await?;
        page.total += total;
        page.tasks.extend(tasks);
    }
    Ok(HttpResponse::Ok().json(page))
}

/// Task ids are ULIDs when the platform wrote them; anything else was written by hand, so the bound is loose.
fn parse_task_id(raw: &str) -> Result<&str, ApiError> {
    if (1..=128).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(raw)
    } else {
        Err(ApiError::invalid_field(
            "task_id",
            "task_id must be 1 to 128 visible ASCII characters",
        ))
    }
}

#[derive(Serialize)]
pub struct DiscardResponse {
    pub queue: String,
    pub task_id: String,
    pub action: &'static str,
}

/// `DELETE /api/v1/dashboard/malformed/{queue}/{task_id}`: drops a set-aside envelope for good.
pub async fn discard(
    state: web::Data<AppState>,
    user: DashUser,
    request_id: RequestId,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    user.require_operator()?;
    let (queue, task_id) = path.into_inner();
    let queue = parse_queue(&queue)?;
    let task_id = parse_task_id(&task_id)?;
    if !state.queue.discard_malformed(queue, task_id).await? {
        return Err(ApiError::NotFound {
            code: "unknown_task",
            message: format!("no set-aside envelope {task_id} in queue {queue}"),
        });
    }
    tracing::info!(
        queue = queue.as_str(),
        task_id,
        "set-aside envelope discarded"
    );
    audit_action(
        &state,
        &user,
        &request_id,
        "malformed.discard",
        "task",
        task_id.to_owned(),
        serde_json::json!({ "queue": queue.as_str(), "task_id": task_id }),
    )
    .await;
    Ok(HttpResponse::Ok().json(DiscardResponse {
        queue: queue.as_str().to_owned(),
        task_id: task_id.to_owned(),
        action: "malformed.discard",
    }))
}
