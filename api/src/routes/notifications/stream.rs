use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use shared::db::run_blocking;
use shared::models::UserId;
use shared::models::notification;
use tokio::sync::broadcast::error::RecvError;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::live::{Live, frame, keep_alive};
use crate::sse::{Frames, last_event_id, respond};
use crate::state::AppState;

/// Notifications sent per catch-up query.
const PAGE: i64 = 500;
/// A comment is sent when nothing else was for this long.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Sends the caller's notifications after `last`; false when the client is gone.
async fn catch_up(state: &AppState, user: UserId, last: &mut i64, tx: &Frames) -> bool {
    loop {
        let after = *last;
        let rows = match run_blocking(&state.pool, move |c| {
            notification::after(c, user, after, PAGE)
        })
        .await
        {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "notification stream catch-up failed");
                return true;
            }
        };
        let full = rows.len() as i64 == PAGE;
        for n in rows {
            let json = serde_json::to_string(&n).unwrap_or_default();
            if tx
                .send(frame(Some(n.id), "notification", &json))
                .await
                .is_err()
            {
                return false;
            }
            *last = n.id;
        }
        if !full {
            return true;
        }
    }
}

async fn pump(state: AppState, user: UserId, start: Option<i64>, tx: Frames) {
    // Subscribe before reading the table: nothing published in between is missed.
    let mut live = state.live.notifications_of(user);
    let mut last = match start {
        Some(id) => id,
        None => run_blocking(&state.pool, move |c| notification::latest_id(c, user))
            .await
            .unwrap_or(0),
    };
    let unread = run_blocking(&state.pool, move |c| notification::unread_count(c, user))
        .await
        .unwrap_or(0);
    let ready = serde_json::json!({ "unread": unread, "last_event_id": last }).to_string();
    if tx.send(frame(None, "ready", &ready)).await.is_err() {
        return;
    }
    if !catch_up(&state, user, &mut last, &tx).await {
        return;
    }
    loop {
        let next = tokio::time::timeout(KEEP_ALIVE, live.recv()).await;
        let ok = match next {
            Err(_) => tx.send(keep_alive()).await.is_ok(),
            // The hub sends this user's notifications only; one already sent (caught up) is skipped.
            Ok(Ok(Live::Notification(id, json))) if id > last => {
                last = id;
                tx.send(frame(Some(id), "notification", &json))
                    .await
                    .is_ok()
            }
            Ok(Ok(Live::Notification(..) | Live::Message(_))) => true,
            Ok(Ok(Live::Resync)) | Ok(Err(RecvError::Lagged(_))) => {
                catch_up(&state, user, &mut last, &tx).await
            }
            Ok(Err(RecvError::Closed)) => false,
        };
        if !ok {
            return;
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct StreamQuery {
    /// Same as the `Last-Event-ID` header (for clients that cannot set it).
    pub last_event_id: Option<i64>,
}

/// The caller's new notifications as they are created (Server-Sent Events). Frames: `ready` first
/// (`{unread, last_event_id}`), then `notification` frames whose `id` is the notification's. A client
/// reconnecting with `Last-Event-ID` (browsers do it by themselves) first receives every notification it
/// missed. Any API replica serves it; a `: keep-alive` comment every 15 s keeps proxies from closing it.
#[utoipa::path(
    get,
    path = "/api/v1/notifications/stream",
    tag = "notifications",
    params(
        StreamQuery,
        ("Last-Event-ID" = Option<i64>, Header, description = "The id of the last notification received"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A stream of frames (text/event-stream)", content_type = "text/event-stream", body = crate::sse::SseFrame),
        (status = 400, description = "Last-Event-ID is not a number", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
    )
)]
pub async fn stream(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let start = last_event_id(&req)?;
    let state = state.get_ref().clone();
    let id = user.id;
    Ok(respond(move |tx| pump(state, id, start, tx)))
}
