//! Routing of analysed inbound emails: the first active rule (by priority, then id) whose criteria all
//! match assigns the email to its owner or team; otherwise the default owner (`ROUTING_DEFAULT_USER_ID`)
//! when set. An email a person assigned is never re-routed.

use serde::Serialize;
use shared::db::{DbError, PgPool, run_blocking};
use shared::models::UserId;
use shared::models::interaction::{self, Direction, InteractionId};
use shared::models::interaction_analysis as analyses;
use shared::models::routing_rule::{self as rules, Assignment, RoutingRule};
use unicode_normalization::UnicodeNormalization;

/// The intent labels a rule may name (the analyser's).
pub fn intents() -> Vec<&'static str> {
    intel::IntentLabel::ALL.iter().map(|l| l.as_str()).collect()
}

/// What a rule is matched against.
#[derive(Debug, Clone, Default)]
pub struct RouteInput<'a> {
    pub intent: Option<&'a str>,
    pub from_address: Option<&'a str>,
    pub subject: &'a str,
    pub body: &'a str,
    pub account_id: Option<i64>,
}

/// Lower case without accents, for keyword search.
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// `*` matches any run of characters (none included); everything else literally.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

/// A sender pattern against an address: with `@`, the whole address; without, its domain (a bare domain
/// also matches its subdomains).
pub fn sender_matches(pattern: &str, address: &str) -> bool {
    let (pattern, address) = (pattern.trim().to_lowercase(), address.trim().to_lowercase());
    if pattern.contains('@') {
        return glob(&pattern, &address);
    }
    let Some((_, domain)) = address.rsplit_once('@') else {
        return false;
    };
    glob(&pattern, domain) || (!pattern.contains('*') && domain.ends_with(&format!(".{pattern}")))
}

/// True when every criterion `rule` sets matches `email`.
pub fn matches(rule: &RoutingRule, email: &RouteInput<'_>) -> bool {
    if rule
        .intent
        .as_deref()
        .is_some_and(|i| email.intent != Some(i))
    {
        return false;
    }
    if let Some(p) = &rule.sender_pattern
        && !email.from_address.is_some_and(|a| sender_matches(p, a))
    {
        return false;
    }
    if rule
        .account_id
        .is_some_and(|a| email.account_id != Some(a.0))
    {
        return false;
    }
    if !rule.keywords.is_empty() {
        let text = fold(&format!("{}\n{}", email.subject, email.body));
        if !rule.keywords.iter().any(|k| text.contains(&fold(k.trim()))) {
            return false;
        }
    }
    true
}

/// The first of `rules` (already in evaluation order, active ones) matching `email`.
pub fn first_match<'a>(
    rules: &'a [RoutingRule],
    email: &RouteInput<'_>,
) -> Option<&'a RoutingRule> {
    rules
        .iter()
        .filter(|r| r.active)
        .find(|r| matches(r, email))
}

/// Where routing put an email.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Routed {
    /// `rule`, `default`, `none`, `human` (kept as a person assigned it) or `outbound` (not routed).
    pub by: &'static str,
    pub rule_id: Option<i64>,
    pub user_id: Option<i64>,
    pub team_id: Option<i64>,
}

/// Routes stored email `id` after its analysis.
pub async fn route_email(
    pool: &PgPool,
    id: i64,
    default_user: Option<UserId>,
) -> Result<Routed, DbError> {
    run_blocking(pool, move |conn| {
        let Some(email) = interaction::find(conn, InteractionId(id))? else {
            return Err(DbError::NotFound);
        };
        let unrouted = |by| Routed {
            by,
            rule_id: None,
            user_id: None,
            team_id: None,
        };
        if email.direction != Direction::Inbound {
            return Ok(unrouted("outbound"));
        }
        let intent = analyses::find(conn, InteractionId(id))?.map(|a| a.intent_label);
        let rules = rules::active(conn)?;
        let input = RouteInput {
            intent: intent.as_deref(),
            from_address: email.from_address.as_deref(),
            subject: email.subject.as_deref().unwrap_or_default(),
            body: email.body_text.as_deref().unwrap_or_default(),
            account_id: email.account_id.map(|a| a.0),
        };
        let (assignment, routed) = match first_match(&rules, &input) {
            Some(rule) => (
                Assignment::Rule(rule.id, rule.assign_user_id, rule.assign_team_id),
                Routed {
                    by: "rule",
                    rule_id: Some(rule.id.0),
                    user_id: rule.assign_user_id.map(|u| u.0),
                    team_id: rule.assign_team_id.map(|t| t.0),
                },
            ),
            None => match default_user {
                Some(user) => (
                    Assignment::Default(user),
                    Routed {
                        by: "default",
                        rule_id: None,
                        user_id: Some(user.0),
                        team_id: None,
                    },
                ),
                None => (Assignment::None, unrouted("none")),
            },
        };
        if rules::assign(conn, InteractionId(id), assignment)? {
            Ok(routed)
        } else {
            Ok(unrouted("human"))
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::models::routing_rule::RoutingRuleId;

    fn rule(id: i64, priority: i32) -> RoutingRule {
        RoutingRule {
            id: RoutingRuleId(id),
            name: format!("r{id}"),
            priority,
            active: true,
            intent: None,
            sender_pattern: None,
            keywords: Vec::new(),
            account_id: None,
            assign_user_id: Some(UserId(id)),
            assign_team_id: None,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }
    }

    fn email<'a>(from: &'a str, intent: &'a str, subject: &'a str) -> RouteInput<'a> {
        RouteInput {
            intent: Some(intent),
            from_address: Some(from),
            subject,
            body: "",
            account_id: Some(1),
        }
    }

    #[test]
    fn sender_patterns_match_addresses_and_domains() {
        assert!(sender_matches("*@amundi.com", "Jeanne.Martin@Amundi.com"));
        assert!(!sender_matches("*@amundi.com", "j@amundi.com.evil.io"));
        assert!(sender_matches("amundi.com", "j@amundi.com"));
        assert!(sender_matches("amundi.com", "j@mail.amundi.com"));
        assert!(!sender_matches("amundi.com", "j@notamundi.com"));
        assert!(sender_matches("*.lazard.*", "j@fr.lazard.com"));
        assert!(sender_matches("jeanne.*@*", "jeanne.martin@x.fr"));
        assert!(!sender_matches("jeanne.*@*", "marc@x.fr"));
        assert!(!sender_matches("amundi.com", "not-an-address"));
    }

    #[test]
    fn every_criterion_must_match_and_the_first_rule_wins() {
        let mut complaints = rule(1, 10);
        complaints.intent = Some("complaint".into());
        let mut amundi = rule(2, 20);
        amundi.sender_pattern = Some("amundi.com".into());
        let mut souscription = rule(3, 5);
        souscription.keywords = vec!["SOUSCRIPTION".into(), "bulletin".into()];
        souscription.intent = Some("information_request".into());
        let mut off = rule(4, 0);
        off.active = false;
        let fallback = rule(5, 1000);
        let rules = [off, souscription, complaints, amundi, fallback];
        let pick = |e: RouteInput<'_>| first_match(&rules, &e).map(|r| r.id.0);
        assert_eq!(pick(email("a@amundi.com", "complaint", "")), Some(1));
        assert_eq!(pick(email("a@amundi.com", "other", "")), Some(2));
        assert_eq!(
            pick(email("a@x.fr", "information_request", "Votre Souscription")),
            Some(3),
            "keywords ignore case"
        );
        assert_eq!(
            pick(email("a@x.fr", "other", "Souscription")),
            Some(5),
            "the intent must match too"
        );
        let mut accents = rule(6, 0);
        accents.keywords = vec!["réclamation".into()];
        assert!(matches(
            &accents,
            &email("a@x.fr", "other", "RECLAMATION urgente")
        ));
        let mut mailbox = rule(7, 0);
        mailbox.account_id = Some(shared::models::email_account::EmailAccountId(2));
        assert!(!matches(&mailbox, &email("a@x.fr", "other", "")));
    }
}
