//! The OpenAPI document, generated from the handlers' `#[utoipa::path]` annotations and the types' schemas.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes;

mod common_responses;

use common_responses::CommonResponses;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "CRM job platform API",
        description = "Authenticate, start and inspect background jobs, schedules and health.\n\n\
                       Errors are `{\"error\": {\"code\", \"message\", \"field\"?}}`. Every response carries \
                       `X-Request-Id` (the caller's, when given). Authenticated and login responses carry \
                       `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (limits count the \
                       last 60 seconds; the reset is the seconds until the current minute ends, or, on a 429, \
                       until a request would be accepted again, which `Retry-After` repeats)."
    ),
    paths(
        routes::health::live::live,
        routes::health::detailed::detailed_for_admin,
        routes::auth::login::login,
        routes::auth::logout::logout,
        routes::auth::password::change,
        routes::jobs::create::create,
        routes::jobs::show::show,
        routes::jobs::events::events,
        routes::jobs::dead::list_dead,
        routes::jobs::requeue::requeue,
        routes::jobs::catalogue::catalogue,
        routes::intelligence::analyze::analyze,
        routes::intelligence::stats::stats,
        routes::interactions::analysis::show,
        routes::schedules::list::list,
        routes::schedules::run::run,
        routes::email_accounts::create::create,
        routes::email_accounts::list::list,
        routes::email_accounts::show::show,
        routes::email_accounts::update::update,
        routes::email_accounts::delete::delete,
        routes::email_accounts::sync::sync,
        routes::oauth::authorize::authorize,
        routes::oauth::callback::callback,
        routes::autofill::run_now::run_now,
        routes::autofill::list::list,
        routes::autofill::show::show,
        routes::autofill::approve::approve,
        routes::autofill::reject::reject,
        routes::autofill::bulk::bulk,
        routes::autofill::accuracy::accuracy,
        routes::enrichment::organisation::enrich,
        routes::routing_rules::list::list,
        routes::routing_rules::create::create,
        routes::routing_rules::show::show,
        routes::routing_rules::update::update,
        routes::routing_rules::delete::delete,
        routes::routing_rules::test::test,
        routes::rgpd::export::export,
        routes::rgpd::erase::erase,
        routes::rgpd::request_list::list,
        routes::rgpd::request_show::show,
        routes::rgpd::confirm::confirm,
        routes::rgpd::download::download,
        routes::rgpd::access_logs::access_logs,
        routes::rgpd::my_access_logs::my_access_logs,
        routes::rgpd::reports::reports,
        routes::rgpd::report_document::document,
        routes::ai::field_suggestions::suggestions,
        routes::ai::track::track,
        routes::ai::stats::stats,
        routes::ai::forget::forget,
        routes::webhooks::list::list,
        routes::webhooks::create::create,
        routes::webhooks::show::show,
        routes::webhooks::update::update,
        routes::webhooks::delete::delete,
        routes::webhooks::rotate::rotate,
        routes::webhooks::test::test,
        routes::webhooks::deliveries::list,
        routes::webhooks::delivery_show::show,
        routes::webhooks::replay::replay,
        routes::webhooks::event_types::event_types,
        routes::webhooks::event_show::show,
        routes::notifications::list::list,
        routes::notifications::unread_count::unread_count,
        routes::notifications::read::read,
        routes::notifications::read_all::read_all,
        routes::notifications::preferences::preferences,
        routes::notifications::set_preferences::set_preferences,
        routes::notifications::stream::stream,
        routes::mail_templates::list::list,
        routes::mail_templates::create::create,
        routes::mail_templates::show::show,
        routes::mail_templates::update::update,
        routes::mail_templates::delete::delete,
        routes::mail_templates::preview::preview,
        routes::segments::list::list,
        routes::segments::create::create,
        routes::segments::show::show,
        routes::segments::update::update,
        routes::segments::delete::delete,
        routes::segments::preview::preview,
        routes::segments::members_add::add,
        routes::segments::members_remove::remove,
        routes::campaigns::list::list,
        routes::campaigns::create::create,
        routes::campaigns::show::show,
        routes::campaigns::update::update,
        routes::campaigns::delete::delete,
        routes::campaigns::schedule::schedule,
        routes::campaigns::pause::pause,
        routes::campaigns::resume::resume,
        routes::campaigns::cancel::cancel,
        routes::campaigns::report::report,
        routes::campaigns::sends::list,
        routes::campaigns::unsubscribe_page::page,
        routes::campaigns::unsubscribe::unsubscribe,
        routes::campaigns::open::open,
        routes::campaigns::click::click,
        routes::campaigns::sendgrid::events,
        routes::suppressions::summary::summary,
        routes::suppressions::add::add,
        routes::suppressions::lift::lift,
        routes::suppressions::check::check,
    ),
    components(schemas(
        crate::error::ErrorBody,
        crate::error::ErrorDetail,
        crm_queue::JobState,
        crm_queue::Progress,
        crm_queue::AttemptError,
    )),
    modifiers(&BearerAuth, &CommonResponses, &AccessLogMarks),
    tags(
        (name = "health", description = "Liveness and dependency health"),
        (name = "auth", description = "Sign in, sign out, change the password"),
        (name = "jobs", description = "Run, inspect and requeue jobs"),
        (name = "schedules", description = "The cron table"),
        (name = "intelligence", description = "Email intelligence: analyses and statistics"),
        (name = "email-accounts", description = "Mailboxes synced into the CRM"),
        (name = "oauth", description = "Connect Gmail and Outlook mailboxes"),
        (name = "routing", description = "Routing rules: who handles an analysed inbound email"),
        (name = "autofill", description = "Suggestions for people and organisations from mail and the web, and their review"),
        (name = "webhooks", description = "Signed webhooks (Standard Webhooks 1.0): endpoints, secrets, the delivery log and replays"),
        (name = "notifications", description = "The caller's notifications, channel preferences and live stream"),
        (name = "rgpd", description = "RGPD: data subjects' exports and erasures, the data access log, compliance reports"),
        (name = "campaigns", description = "Campaign mail: templates, segments (audiences), campaigns with their steps, state, report and send records; the suppression list (admins)"),
        (name = "campaigns-public", description = "What campaign messages point to, without authentication: unsubscription (RFC 8058 one-click), the open pixel, the click redirect, and SendGrid's signed event webhook"),
    )
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme the paths refer to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Marks each operation that touches personal data with `x-access-log` (`entity`, `action`, where the id
/// comes from), from the access log's own table: what the document says is what the middleware logs.
struct AccessLogMarks;

impl Modify for AccessLogMarks {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                ("GET", &mut item.get),
                ("POST", &mut item.post),
                ("PUT", &mut item.put),
                ("PATCH", &mut item.patch),
                ("DELETE", &mut item.delete),
            ];
            for (method, op) in operations {
                let (Some(op), Some(rule)) =
                    (op.as_mut(), crate::access_log::rule_for(method, path))
                else {
                    continue;
                };
                let id = match rule.id {
                    crate::access_log::IdFrom::Path => "path",
                    crate::access_log::IdFrom::Caller => "caller",
                    crate::access_log::IdFrom::Handler => "handler",
                    crate::access_log::IdFrom::None => "none",
                };
                let mark = serde_json::json!({
                    "entity": rule.entity.as_str(),
                    "action": rule.action.as_str(),
                    "id": id,
                });
                op.extensions
                    .get_or_insert_with(Default::default)
                    .insert("x-access-log".to_owned(), mark);
            }
        }
    }
}
