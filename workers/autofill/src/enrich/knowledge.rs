//! A SerpAPI Google result's `knowledge_graph` block read into organisation fields with a confidence.
//! Knowledge graphs are often partial or absent: every field is optional.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{domain, names};

/// What a knowledge graph says about an organisation (as cached: no confidence, that depends on the
/// organisation it is compared with).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Knowledge {
    pub title: Option<String>,
    pub website: Option<String>,
    pub address: Option<String>,
    /// As written; made E.164 when proposed.
    pub phone: Option<String>,
    pub linkedin: Option<String>,
    pub description: Option<String>,
}

impl Knowledge {
    /// Reads the `knowledge_graph` object of a SerpAPI answer; `None` when absent or without a title.
    pub fn from_answer(answer: &Value) -> Option<Self> {
        let kg = answer.get("knowledge_graph")?.as_object()?;
        let text = |keys: &[&str]| {
            keys.iter().find_map(|k| {
                kg.get(*k)
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|v| !v.is_empty() && v.chars().count() <= 2_000)
                    .map(str::to_owned)
            })
        };
        let linkedin = kg
            .get("profiles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| p.get("link").and_then(Value::as_str))
            .find(|link| {
                url::Url::parse(link).is_ok_and(|u| {
                    u.host_str()
                        .is_some_and(|h| h == "linkedin.com" || h.ends_with(".linkedin.com"))
                })
            })
            .map(str::to_owned);
        let website = text(&["website"])
            .filter(|w| url::Url::parse(w).is_ok_and(|u| matches!(u.scheme(), "http" | "https")));
        let k = Self {
            title: text(&["title"]),
            website,
            address: text(&["address", "headquarters"]),
            phone: text(&["phone", "customer_service"]),
            linkedin,
            description: text(&["description"]),
        };
        k.title.is_some().then_some(k)
    }

    /// True when it holds none of the fields enrichment looks for (a retry with the city may do better).
    pub fn is_partial(&self) -> bool {
        self.website.is_none() && self.address.is_none() && self.phone.is_none()
    }
}

/// A field found, with its confidence for this organisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposed {
    pub field: crate::fields::Field,
    pub value: String,
    pub confidence: f64,
    /// `knowledge_graph.<key>`.
    pub source: &'static str,
}

/// How much a field of the knowledge graph is worth when the graph is about the organisation.
const BASE: &[(crate::fields::Field, f64)] = &[
    (crate::fields::Field::OrgWebsite, 0.93),
    (crate::fields::Field::OrgLinkedin, 0.93),
    (crate::fields::Field::OrgPhone, 0.88),
    (crate::fields::Field::OrgAddress, 0.88),
    (crate::fields::Field::OrgDescription, 0.80),
];

/// The fields of `k` for the organisation named `name` (whose email or website domain, when known, is
/// `known_domain`), each with a confidence: the field's base value times how surely the graph is about
/// this organisation (its title's similarity to the name; a website on the known domain settles it).
pub fn propose(k: &Knowledge, name: &str, known_domain: Option<&str>) -> Vec<Proposed> {
    use crate::fields::Field;
    let similarity = k
        .title
        .as_deref()
        .map_or(0.0, |t| names::company_similarity(t, name));
    let site_domain = k.website.as_deref().and_then(domain::of_website);
    let same_site = site_domain.is_some() && site_domain.as_deref() == known_domain;
    let about = if same_site || similarity >= 0.95 {
        1.0
    } else if similarity >= 0.88 {
        0.85
    } else {
        0.5
    };
    let mut out = Vec::new();
    for (field, base) in BASE {
        let (value, source) = match field {
            Field::OrgWebsite => (k.website.clone(), "knowledge_graph.website"),
            Field::OrgLinkedin => (k.linkedin.clone(), "knowledge_graph.profiles"),
            Field::OrgPhone => (
                k.phone
                    .as_deref()
                    .and_then(intel::contact::phone::normalize)
                    .map(|p| p.e164),
                "knowledge_graph.phone",
            ),
            Field::OrgAddress => (k.address.clone(), "knowledge_graph.address"),
            Field::OrgDescription => (k.description.clone(), "knowledge_graph.description"),
            _ => (None, ""),
        };
        if let Some(value) = value {
            let boost = if same_site && *field == Field::OrgWebsite {
                0.05
            } else {
                0.0
            };
            out.push(Proposed {
                field: *field,
                value,
                confidence: ((base + boost) * about).min(0.99),
                source,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "test")]
    use super::*;
    use crate::fields::Field;
    use serde_json::json;

    fn answer() -> Value {
        json!({
            "search_metadata": { "status": "Success" },
            "knowledge_graph": {
                "title": "Gestion Privée Conseil",
                "type": "Société de gestion",
                "website": "https://www.gpc-gestion.fr/",
                "address": "12 Rue de la Paix, 75002 Paris",
                "phone": "01 42 00 00 00",
                "description": "Société de gestion de portefeuille indépendante.",
                "profiles": [
                    { "name": "Twitter", "link": "https://twitter.com/gpc" },
                    { "name": "LinkedIn", "link": "https://www.linkedin.com/company/gpc-gestion" }
                ]
            }
        })
    }

    #[test]
    fn a_full_knowledge_graph_gives_every_field() {
        let k = Knowledge::from_answer(&answer()).unwrap();
        assert_eq!(
            k.linkedin.as_deref(),
            Some("https://www.linkedin.com/company/gpc-gestion")
        );
        let p = propose(&k, "GESTION PRIVEE CONSEIL SAS", None);
        let phone = p.iter().find(|p| p.field == Field::OrgPhone).unwrap();
        assert_eq!(phone.value, "+33142000000");
        let site = p.iter().find(|p| p.field == Field::OrgWebsite).unwrap();
        assert!(site.confidence >= 0.92, "{}", site.confidence);
        assert_eq!(p.len(), 5);
    }

    #[test]
    fn a_graph_about_another_company_is_not_trusted() {
        let k = Knowledge::from_answer(&answer()).unwrap();
        let p = propose(&k, "Rothschild & Co", None);
        assert!(p.iter().all(|p| p.confidence < 0.70), "{p:?}");
        // ...unless its website is the organisation's own domain.
        let p = propose(&k, "GPC", Some("gpc-gestion.fr"));
        assert!(p.iter().all(|p| p.confidence >= 0.80), "{p:?}");
    }

    #[test]
    fn empty_partial_and_hostile_graphs() {
        assert!(Knowledge::from_answer(&json!({ "organic_results": [] })).is_none());
        assert!(Knowledge::from_answer(&json!({ "knowledge_graph": {} })).is_none());
        let k = Knowledge::from_answer(&json!({ "knowledge_graph": {
            "title": "X", "type": "Company",
            "website": "javascript:alert(1)",
            "profiles": [{ "name": "LinkedIn", "link": "https://linkedin.com.evil.io/x" }]
        }}))
        .unwrap();
        assert!(k.website.is_none() && k.linkedin.is_none() && k.is_partial());
        let k = Knowledge::from_answer(
            &json!({ "knowledge_graph": { "title": "X", "headquarters": "Paris" }}),
        )
        .unwrap();
        assert_eq!(k.address.as_deref(), Some("Paris"));
    }
}
