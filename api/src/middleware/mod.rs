//! Request middleware: request id, a tracing span per request, HTTP metrics and rate-limit headers; viewers
//! kept read-only.

mod observe;
mod request_id;
mod viewer_read_only;

pub use observe::observe;
pub use request_id::{REQUEST_ID_HEADER, RequestId};
pub use viewer_read_only::viewer_read_only;
