//! `Query<T>`: a query string whose errors name the offending parameter (`serde_path_to_error` over
//! `serde_urlencoded`), unlike `web::Query`'s bare serde messages.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A deserialized query string.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Parses a query string into `T`; a 400 naming the parameter when serde says which.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize::<_, T>(de).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        match path.as_str() {
            "" | "." => {
                ApiError::bad_request("invalid_query", format!("invalid query string: {message}"))
            }
            field => ApiError::invalid_field(
                field.to_owned(),
                format!("invalid query parameter `{field}`: {message}"),
            ),
        }
    })
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(parse_query(req.query_string()).map(Query))
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::extract::Timestamp;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only the errors are tested")]
    struct Q {
        from: Option<Timestamp>,
        limit: Option<u32>,
    }

    fn field(query: &str) -> Option<String> {
        match parse_query::<Q>(query) {
            Ok(_) => None,
            Err(ApiError::BadRequest { field, .. }) => field,
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_name_the_parameter() {
        assert_eq!(field("from=2026-01-01T00:00:00Z&limit=3"), None);
        assert_eq!(field("from=-262143-01-01T00:00:00Z"), Some("from".into()));
        assert_eq!(field("from=%2B10000-01-01T00:00:00Z"), Some("from".into()));
        assert_eq!(field("limit=many"), Some("limit".into()));
    }
}
