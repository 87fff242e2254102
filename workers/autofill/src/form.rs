//! Suggestions for a form field (the CRM's context menu): the values the team already uses for that
//! field, scored 60 % by how often and 40 % by how recently, boosted +10 % per time this user accepted the
//! same value (their team's accepts when they have none for the field), the boost capped at +50 % and the
//! score at 1.
//!
//! Only fields whose values are shared across records are offered (title, city, country, category):
//! another person's phone number or address is never suggested.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamptz};
use serde::Serialize;
use shared::db::DbError;
use shared::models::ai_preference;
use shared::models::{TeamId, UserId};

/// Candidates read per field (the most used).
const CANDIDATES: i64 = 200;
/// Recency halves every 30 days.
const HALF_LIFE_DAYS: f64 = 30.0;
/// +10 % per accept, at most +50 %.
const BOOST_PER_ACCEPT: f64 = 0.10;
const BOOST_MAX: f64 = 0.50;

/// A form field with suggestions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormField {
    /// A person's title (`role` in the CRM's person form).
    Title,
    City,
    Country,
    /// An organisation's category.
    Category,
}

impl FormField {
    pub const NAMES: &'static [&'static str] = &["title", "role", "city", "country", "category"];

    /// The field called `name` (`role` is the person form's name for `title`).
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "title" | "role" => Self::Title,
            "city" => Self::City,
            "country" => Self::Country,
            "category" => Self::Category,
            _ => return None,
        })
    }

    /// The name preferences are stored under.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Title => "title",
            Self::City => "city",
            Self::Country => "country",
            Self::Category => "category",
        }
    }

    fn source(&self) -> (&'static str, &'static str) {
        match self {
            Self::Title => ("people", "title"),
            Self::City => ("organisations", "city"),
            Self::Country => ("organisations", "country"),
            Self::Category => ("organisations", "category"),
        }
    }
}

/// A value in use.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct Candidate {
    #[diesel(sql_type = Text)]
    pub value: String,
    #[diesel(sql_type = BigInt)]
    pub uses: i64,
    #[diesel(sql_type = Timestamptz)]
    pub last_used: DateTime<Utc>,
}

/// A suggestion with its score and how it was made.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Scored {
    pub value: String,
    /// 0 to 1, the order of the menu.
    pub score: f64,
    /// 0.6 frequency + 0.4 recency, before the boost.
    pub base_score: f64,
    pub boost: f64,
    /// Records holding the value, plus past accepts of it.
    pub uses: i64,
    pub last_used: DateTime<Utc>,
    /// Accepts counted in the boost (this user's, else their team's).
    pub accepts: i64,
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Scores `candidates` at `now` with the accept counts of each value.
pub fn score(
    candidates: Vec<Candidate>,
    accepts: &HashMap<String, i64>,
    now: DateTime<Utc>,
) -> Vec<Scored> {
    let max_uses = candidates.iter().map(|c| c.uses).max().unwrap_or(1).max(1) as f64;
    let mut out: Vec<Scored> = candidates
        .into_iter()
        .map(|c| {
            let frequency = c.uses as f64 / max_uses;
            let age_days = (now - c.last_used).num_seconds().max(0) as f64 / 86_400.0;
            let recency = 0.5_f64.powf(age_days / HALF_LIFE_DAYS);
            let base = 0.6 * frequency + 0.4 * recency;
            let n = accepts.get(&c.value).copied().unwrap_or(0);
            let boost = (n as f64 * BOOST_PER_ACCEPT).min(BOOST_MAX);
            Scored {
                score: round3((base + boost).min(1.0)),
                base_score: round3(base),
                boost: round3(boost),
                uses: c.uses,
                last_used: c.last_used,
                accepts: n,
                value: c.value,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.uses.cmp(&a.uses))
            .then(a.value.cmp(&b.value))
    });
    out
}

/// The `limit` best suggestions of `field` for `user` (of `team`).
pub fn suggestions(
    conn: &mut PgConnection,
    field: FormField,
    user: UserId,
    team: Option<TeamId>,
    limit: usize,
) -> Result<Vec<Scored>, DbError> {
    let (table, column) = field.source();
    let mut candidates: Vec<Candidate> = diesel::sql_query(format!(
        "SELECT btrim({column}) AS value, count(*) AS uses, max(updated_at) AS last_used FROM {table} \
         WHERE {column} IS NOT NULL AND btrim({column}) <> '' GROUP BY btrim({column}) \
         ORDER BY count(*) DESC, max(updated_at) DESC LIMIT $1"
    ))
    .bind::<BigInt, _>(CANDIDATES)
    .load(conn)?;
    let mine = ai_preference::accepted_values(conn, field.name(), Some(user), None)?;
    let accepted = if mine.is_empty() {
        match team {
            Some(t) => ai_preference::accepted_values(conn, field.name(), None, Some(t))?,
            None => Vec::new(),
        }
    } else {
        mine
    };
    let mut accepts = HashMap::new();
    for (value, n, at) in accepted {
        accepts.insert(value.clone(), n);
        match candidates.iter_mut().find(|c| c.value == value) {
            Some(c) => {
                c.uses += n;
                c.last_used = c.last_used.max(at);
            }
            None => candidates.push(Candidate {
                value,
                uses: n,
                last_used: at,
            }),
        }
    }
    let mut scored = score(candidates, &accepts, Utc::now());
    scored.truncate(limit);
    Ok(scored)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(value: &str, uses: i64, days_ago: i64) -> Candidate {
        Candidate {
            value: value.into(),
            uses,
            last_used: Utc::now() - chrono::Duration::days(days_ago),
        }
    }

    #[test]
    fn frequency_and_recency_then_the_users_accepts() {
        let now = Utc::now();
        let list = vec![
            c("Gérant", 10, 60),
            c("Directeur", 5, 0),
            c("Analyste", 1, 300),
        ];
        let plain = score(list.clone(), &HashMap::new(), now);
        // Gérant: 0.6 + 0.4 x 0.25 = 0.7; Directeur: 0.3 + 0.4 = 0.7 (ties by uses).
        assert_eq!(plain[0].value, "Gérant");
        assert!((plain[0].base_score - 0.7).abs() < 0.01, "{plain:?}");
        assert!((plain[1].base_score - 0.7).abs() < 0.01);
        assert_eq!(plain[2].value, "Analyste");
        let accepts: HashMap<String, i64> = [("Analyste".to_owned(), 3)].into();
        let boosted = score(list.clone(), &accepts, now);
        let analyste = boosted
            .iter()
            .find(|s| s.value == "Analyste")
            .unwrap_or(&boosted[0]);
        assert!((analyste.boost - 0.3).abs() < 1e-9);
        // The boost is capped at +0.5, the score at 1.
        let many: HashMap<String, i64> = [("Gérant".to_owned(), 9)].into();
        let top = &score(list, &many, now)[0];
        assert_eq!(
            (top.value.as_str(), top.boost, top.score),
            ("Gérant", 0.5, 1.0)
        );
    }

    #[test]
    fn only_shared_fields_are_offered() {
        assert_eq!(FormField::parse("role"), Some(FormField::Title));
        for private in ["phone", "email", "address", "personal_email", "linkedin"] {
            assert_eq!(FormField::parse(private), None, "{private}");
        }
    }
}
