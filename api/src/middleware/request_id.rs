//! The request id: taken from `X-Request-Id` when it looks like an id, otherwise a new ULID. It is echoed in
//! the response, logged in the request's span, written to audit entries and carried into enqueued jobs.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

/// Header carrying the request id, both ways.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The current request's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    /// The caller's id when acceptable (1 to 64 characters of letters, digits, `-`, `_`, `.`, `:`), so
    /// arbitrary text never reaches the logs; a new ULID otherwise.
    pub fn from_header(value: Option<&str>) -> Self {
        match value.map(str::trim) {
            Some(v)
                if (1..=64).contains(&v.len())
                    && v.chars().all(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')
                    }) =>
            {
                RequestId(v.to_owned())
            }
            _ => RequestId(ulid::Ulid::new().to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromRequest for RequestId {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let existing = req.extensions().get::<RequestId>().cloned();
        ready(Ok(existing.unwrap_or_else(|| {
            // Outside the middleware (unit tests): make one up and keep it for the rest of the request.
            let id = RequestId::from_header(None);
            req.extensions_mut().insert(id.clone());
            id
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_sane_ids_and_replaces_others() {
        assert_eq!(RequestId::from_header(Some("abc-123")).0, "abc-123");
        let generated = RequestId::from_header(Some("has spaces and <html>"));
        assert_eq!(generated.0.len(), 26);
        assert_eq!(RequestId::from_header(Some(&"x".repeat(65))).0.len(), 26);
        assert_eq!(RequestId::from_header(None).0.len(), 26);
    }
}
