//! The answers every operation can give whatever its handler does, added to each operation of the document
//! so that the schema tells the whole truth (schemathesis checks every status code against it):
//! a malformed path or query parameter (400), a missing, invalid or revoked token (401) and the per-user
//! limit (429) on authenticated operations, and the JSON body rules (400, 413, 415) where there is a body.
//! An operation's own description of one of these codes is kept.

use utoipa::Modify;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};

pub struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
                &mut item.head,
                &mut item.options,
                &mut item.trace,
            ];
            for operation in operations.into_iter().flatten() {
                add_common(operation);
            }
        }
    }
}

fn add_common(op: &mut Operation) {
    let params = op.parameters.as_deref().unwrap_or_default();
    let has_path_or_query = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path | ParameterIn::Query));
    let authenticated = op
        .security
        .as_ref()
        .is_some_and(|requirements| !requirements.is_empty());
    let has_body = op.request_body.is_some();

    let responses = &mut op.responses.responses;
    let mut add = |code: &str, description: &str| {
        responses
            .entry(code.to_owned())
            .or_insert_with(|| error_response(description));
    };
    if has_path_or_query {
        add("400", "Malformed path or query parameter; `field` names it");
    }
    if has_body {
        add("400", "Invalid JSON or field; `field` names it");
        add("413", "Body over `API_MAX_BODY_BYTES`");
        add("415", "Content-Type is not `application/json`");
    }
    if authenticated {
        add("401", "Missing, invalid, expired or revoked bearer token");
        add(
            "429",
            "Over the per-user request limit (`Retry-After` says when to retry)",
        );
    }
}

fn error_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .into()
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        reason = "tests: a panic with its message is the failure report"
    )]
    use utoipa::OpenApi;

    use crate::openapi::ApiDoc;

    #[test]
    fn every_authenticated_operation_documents_401_and_429() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        let mut checked = 0;
        for (path, item) in paths {
            for (method, op) in item.as_object().unwrap() {
                let codes = op["responses"].as_object().unwrap();
                if op
                    .get("security")
                    .is_some_and(|s| !s.as_array().unwrap().is_empty())
                {
                    assert!(codes.contains_key("401"), "{method} {path} lacks 401");
                    assert!(codes.contains_key("429"), "{method} {path} lacks 429");
                    checked += 1;
                }
                if op.get("requestBody").is_some() {
                    assert!(codes.contains_key("415"), "{method} {path} lacks 415");
                }
            }
        }
        assert!(checked > 10, "only {checked} authenticated operations seen");
    }
}
