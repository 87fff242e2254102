//! `JsonBody<T>`: a JSON request body, size-limited by `API_MAX_BODY_BYTES`, whose errors name the offending
//! field (`serde_path_to_error`), unlike `web::Json`'s bare serde messages. A NUL character (`\u0000`) in
//! any string or key is refused with a 400 naming its path: PostgreSQL refuses 0x00 in text and jsonb.

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, json_body_error, payload_error, unsupported_media_type};
use crate::state::AppState;

/// A deserialized JSON body.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for JsonBody<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// `application/json` or any `application/*+json`.
fn is_json(req: &HttpRequest) -> bool {
    let ct = req.content_type().trim().to_ascii_lowercase();
    ct == "application/json" || (ct.starts_with("application/") && ct.ends_with("+json"))
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(262_144, |s| s.config.max_body_bytes);
        if !is_json(req) {
            return Box::pin(async { Err(unsupported_media_type()) });
        }
        // `web::Bytes` honours the `PayloadConfig` limit registered by `app_config`, refusing a declared
        // `Content-Length` over it before reading anything.
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = body.await.map_err(|e| match e.as_error::<PayloadError>() {
                Some(pe) => payload_error(pe, limit),
                None => ApiError::bad_request("invalid_body", e.to_string()),
            })?;
            if let Some(path) = nul_path(&bytes) {
                return Err(ApiError::invalid_field(
                    path.clone(),
                    format!("invalid field `{path}`: NUL characters are not accepted"),
                ));
            }
            let mut de = serde_json::Deserializer::from_slice(&bytes);
            let value = serde_path_to_error::deserialize::<_, T>(&mut de).map_err(|e| {
                let path = e.path().to_string();
                json_body_error(Some(path), e.inner())
            })?;
            de.end().map_err(|e| json_body_error(None, &e))?;
            Ok(JsonBody(value))
        })
    }
}

/// The path (`a.b[2]`) of the first string or key holding a NUL character, if any. JSON can only carry NUL
/// escaped (`\u0000`), so bodies without that sequence (nearly all) are not parsed twice.
fn nul_path(bytes: &[u8]) -> Option<String> {
    const ESCAPED_NUL: &[u8] = b"\\u0000";
    if !bytes.windows(ESCAPED_NUL.len()).any(|w| w == ESCAPED_NUL) {
        return None;
    }
    // Invalid JSON is reported by the typed parse that follows.
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let mut path = String::new();
    find_nul(&value, &mut path).then(|| {
        if path.is_empty() {
            "body".to_owned()
        } else {
            path
        }
    })
}

fn find_nul(value: &serde_json::Value, path: &mut String) -> bool {
    match value {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = find_nul(item, path);
            if !found {
                path.truncate(len);
            }
            found
        }),
        serde_json::Value::Object(map) => map.iter().any(|(key, item)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            if key.contains('\0') {
                path.push_str(&key.replace('\0', ""));
                return true;
            }
            path.push_str(key);
            let found = find_nul(item, path);
            if !found {
                path.truncate(len);
            }
            found
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::nul_path;

    #[test]
    fn nul_characters_are_found_with_their_path() {
        assert_eq!(nul_path(br#"{"email":"a@b.c","password":"x"}"#), None);
        assert_eq!(
            nul_path(br#"{"email":"a\u0000@b.c"}"#).as_deref(),
            Some("email")
        );
        assert_eq!(
            nul_path(br#"{"folders":["INBOX","Sent\u0000"]}"#).as_deref(),
            Some("folders[1]")
        );
        assert_eq!(
            nul_path(br#"{"payload":{"a":1,"b\u0000":2}}"#).as_deref(),
            Some("payload.b")
        );
        // An escaped backslash followed by `u0000` is text, not a NUL.
        assert_eq!(nul_path(br#"{"note":"C:\\u0000"}"#), None);
    }
}
