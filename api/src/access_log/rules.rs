//! The routes that touch personal data: one table, read by the access-log middleware and published in
//! the OpenAPI document as `x-access-log` on each operation (a test walks them).

use shared::models::access_log::{AccessAction, EntityType};

/// Where the id of the touched record comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdFrom {
    /// The `{id}` segment of the path.
    Path,
    /// The caller's own account (`/ai/learning/*`, `/auth/password`, `/rgpd/my-access-logs`).
    Caller,
    /// The handler notes the record (and its kind) it touched: a suggestion's person or organisation, a
    /// request's subject. The rule's entity is only the fallback.
    Handler,
    /// A listing or a creation: no single id.
    None,
}

/// One route that touches personal data.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub method: &'static str,
    /// The route's pattern as registered (`/api/v1/interactions/{id}/analysis`).
    pub pattern: &'static str,
    pub entity: EntityType,
    pub action: AccessAction,
    pub id: IdFrom,
}

const fn rule(
    method: &'static str,
    pattern: &'static str,
    entity: EntityType,
    action: AccessAction,
    id: IdFrom,
) -> Rule {
    Rule {
        method,
        pattern,
        entity,
        action,
        id,
    }
}

use AccessAction::{Anonymise, Delete, Export, Read, Update};
use EntityType::{Interaction, Mailbox, Organisation, Person, User};

/// Every route that reads, exports, changes, deletes or anonymises personal data.
#[rustfmt::skip]
pub const RULES: &[Rule] = &[
    rule("GET", "/api/v1/interactions/{id}/analysis", Interaction, Read, IdFrom::Path),
    rule("GET", "/api/v1/email-accounts", Mailbox, Read, IdFrom::None),
    rule("POST", "/api/v1/email-accounts", Mailbox, Update, IdFrom::None),
    rule("GET", "/api/v1/email-accounts/{id}", Mailbox, Read, IdFrom::Path),
    rule("PATCH", "/api/v1/email-accounts/{id}", Mailbox, Update, IdFrom::Path),
    rule("DELETE", "/api/v1/email-accounts/{id}", Mailbox, Delete, IdFrom::Path),
    rule("POST", "/api/v1/email-accounts/{id}/sync", Mailbox, Read, IdFrom::Path),
    rule("GET", "/api/v1/autofill/suggestions", Person, Read, IdFrom::None),
    rule("POST", "/api/v1/autofill/suggestions/bulk", Person, Update, IdFrom::None),
    rule("GET", "/api/v1/autofill/suggestions/{id}", Person, Read, IdFrom::Handler),
    rule("POST", "/api/v1/autofill/suggestions/{id}/approve", Person, Update, IdFrom::Handler),
    rule("POST", "/api/v1/autofill/suggestions/{id}/reject", Person, Update, IdFrom::Handler),
    rule("POST", "/api/v1/enrichment/organisation", Organisation, Update, IdFrom::Handler),
    rule("GET", "/api/v1/ai/autofill/suggestions", User, Read, IdFrom::Caller),
    rule("POST", "/api/v1/ai/learning/track", User, Update, IdFrom::Caller),
    rule("GET", "/api/v1/ai/learning/stats", User, Read, IdFrom::Caller),
    rule("DELETE", "/api/v1/ai/learning/preferences", User, Delete, IdFrom::Caller),
    rule("POST", "/api/v1/auth/password", User, Update, IdFrom::Caller),
    rule("POST", "/api/v1/rgpd/export", User, Export, IdFrom::Handler),
    rule("POST", "/api/v1/rgpd/erase", User, Anonymise, IdFrom::Handler),
    rule("GET", "/api/v1/rgpd/requests", User, Read, IdFrom::None),
    rule("GET", "/api/v1/rgpd/requests/{id}", User, Read, IdFrom::Handler),
    rule("POST", "/api/v1/rgpd/requests/{id}/confirm", User, Anonymise, IdFrom::Caller),
    rule("GET", "/api/v1/rgpd/exports/{id}/download", User, Export, IdFrom::Handler),
    rule("GET", "/api/v1/rgpd/access-logs", User, Read, IdFrom::None),
    rule("GET", "/api/v1/rgpd/my-access-logs", User, Read, IdFrom::Caller),
    // Campaign audiences and what was sent to whom (person ids).
    rule("GET", "/api/v1/segments/{id}/preview", Person, Read, IdFrom::None),
    rule("POST", "/api/v1/segments/{id}/members", Person, Update, IdFrom::None),
    rule("DELETE", "/api/v1/segments/{id}/members", Person, Update, IdFrom::None),
    rule("GET", "/api/v1/campaigns/{id}/sends", Person, Read, IdFrom::None),
    // The dashboard's review of suggestions.
    rule("GET", "/api/v1/dashboard/autofill", Person, Read, IdFrom::None),
    rule("POST", "/api/v1/dashboard/autofill/{id}/approve", Person, Update, IdFrom::Handler),
    rule("POST", "/api/v1/dashboard/autofill/{id}/reject", Person, Update, IdFrom::Handler),
];

/// The rule of `method` on route `pattern`, if it touches personal data.
pub fn rule_for(method: &str, pattern: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| r.method == method && r.pattern == pattern)
}
