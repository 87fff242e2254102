//! Request extractors that answer in the API's error shape, and the bounded input types they accept.

mod json;
mod limit;
mod query;
mod timestamp;

pub use json::JsonBody;
pub use limit::page_limit;
pub use query::{Query, parse_query};
pub use timestamp::Timestamp;
