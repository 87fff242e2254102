//! Request extractors that answer in the API's error shape.

mod json;

pub use json::JsonBody;
