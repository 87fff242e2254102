//! Server-Sent Events responses: a task writes frames into a bounded channel that is the response body.
//! When the client goes away the body is dropped, the channel closes, and the task's next send ends it.

use actix_web::HttpResponse;
use actix_web::web::Bytes;
use tokio::sync::mpsc;

/// Frames a stream may have in flight to a slow client.
const BUFFER: usize = 64;

/// The sending side given to the task.
pub type Frames = mpsc::Sender<Bytes>;

/// A `text/event-stream` response fed by `task`.
pub fn respond<F, Fut>(task: F) -> HttpResponse
where
    F: FnOnce(Frames) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = mpsc::channel::<Bytes>(BUFFER);
    tokio::spawn(task(tx));
    let body = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|frame| (Ok::<_, actix_web::Error>(frame), rx))
    });
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("cache-control", "no-cache"))
        // Tells nginx not to buffer the stream.
        .insert_header(("x-accel-buffering", "no"))
        .streaming(body)
}

/// The `Last-Event-ID` header (sent by browsers on reconnect) or the `last_event_id` query parameter.
pub fn last_event_id(req: &actix_web::HttpRequest) -> Result<Option<i64>, crate::error::ApiError> {
    let raw = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            url::form_urlencoded::parse(req.query_string().as_bytes())
                .find(|(k, _)| k == "last_event_id")
                .map(|(_, v)| v.into_owned())
        });
    match raw {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => v.trim().parse::<i64>().map(Some).map_err(|_| {
            crate::error::ApiError::invalid_field(
                "last_event_id",
                "Last-Event-ID must be the id of an event of this stream",
            )
        }),
    }
}

/// One Server-Sent Events frame, as a client's parser hands it over: `event` names it, `data` is one line
/// of JSON, `id` (notification streams) is what `Last-Event-ID` sends back.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SseFrame {
    /// `ready`, `notification` (notification stream); `state`, `progress` (job stream).
    pub event: String,
    /// A JSON document, on one line.
    pub data: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}
