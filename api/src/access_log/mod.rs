//! The RGPD data access log of the API: which routes touch personal data ([`rules`]), the middleware that
//! records an entry after each successful request to one ([`record`]), and the writer that stores entries
//! in batches off the request path ([`AccessLogWriter`]). Handlers that know better than the route which
//! record they touched (a suggestion's person, a request's subject) [`note`] it.

mod middleware;
mod rules;
mod writer;

use actix_web::{HttpMessage, HttpRequest};
use shared::models::access_log::{AccessAction, EntityType};

pub use middleware::record;
pub use rules::{IdFrom, RULES, Rule, rule_for};
pub use writer::AccessLogWriter;

/// Entities a handler touched, read by the middleware after the response.
#[derive(Debug, Clone, Default)]
pub(crate) struct Notes(pub Vec<(EntityType, Option<i64>, Option<AccessAction>)>);

/// Records that this request touched `entity` `id` (the route's action unless `action` is given); replaces
/// the route's default entry.
pub fn note(req: &HttpRequest, entity: EntityType, id: Option<i64>, action: Option<AccessAction>) {
    let mut ext = req.extensions_mut();
    match ext.get_mut::<Notes>() {
        Some(notes) => notes.0.push((entity, id, action)),
        None => {
            ext.insert(Notes(vec![(entity, id, action)]));
        }
    }
}

/// Notes the person or organisation an autofill suggestion is about (`id` is `None` for a proposed new
/// record not created yet).
pub fn note_suggestion(
    req: &HttpRequest,
    subject: shared::models::autofill_suggestion::EntityType,
    id: Option<i64>,
) {
    use shared::models::autofill_suggestion::EntityType as Subject;
    let entity = match subject {
        Subject::Person => EntityType::Person,
        Subject::Organisation => EntityType::Organisation,
    };
    note(req, entity, id, None);
}
