//! Request middleware: request id, a tracing span per request, HTTP metrics and rate-limit headers.

mod observe;
mod request_id;

pub use observe::observe;
pub use request_id::{REQUEST_ID_HEADER, RequestId};
