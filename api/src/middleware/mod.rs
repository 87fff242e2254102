//! Request middleware: request id, a tracing span per request, HTTP metrics and rate-limit headers; input
//! checks (header size, NUL characters, the body's deadline); viewers kept read-only.

mod guard_input;
mod observe;
mod request_id;
mod viewer_read_only;

pub use guard_input::guard_input;
pub use observe::observe;
pub use request_id::{REQUEST_ID_HEADER, RequestId};
pub use viewer_read_only::viewer_read_only;
