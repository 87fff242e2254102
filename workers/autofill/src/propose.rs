//! From one analysed email to proposed changes: create the sender from their signature, fill their empty
//! fields, link them to an organisation (by registrable domain, else by name), fill the organisation's.
//! Pure: the caller loads what is known and stores what is proposed.

use serde_json::{Value, json};
use shared::models::UserId;
use shared::models::autofill_suggestion::{EntityType, NewSuggestion, SuggestionAction};

use crate::fields::{self, Field};
use crate::{domain, evidence, names};

/// Confidence of an organisation link found by registrable domain alone.
const DOMAIN_MATCH: f64 = 0.95;
/// ...by domain and a similar company name in the signature.
const DOMAIN_AND_NAME_MATCH: f64 = 0.98;
/// Lowest company-name similarity that counts as a match.
const NAME_MATCH_MIN: f64 = 0.90;
/// A link found by name only is scaled below the auto-apply threshold: always reviewed.
const NAME_MATCH_SCALE: f64 = 0.9;
/// A link for a free-mail sender (by name only) is at most this sure.
const FREE_MAIL_CAP: f64 = 0.7;

/// The email the proposals come from.
#[derive(Debug, Clone)]
pub struct Email<'a> {
    pub interaction_id: i64,
    pub from_address: &'a str,
    pub from_name: Option<&'a str>,
    pub signature: &'a intel::Signature,
    pub analyzer_version: &'a str,
    /// The owner of the mailbox it arrived in (who reviews).
    pub owner: Option<UserId>,
}

/// What the CRM holds about the sender.
#[derive(Debug, Clone, Default)]
pub struct KnownPerson {
    pub id: i64,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub linkedin: Option<String>,
    pub organisation_ids: Vec<i64>,
}

/// An organisation as matching and filling need it.
#[derive(Debug, Clone, Default)]
pub struct KnownOrg {
    pub id: i64,
    pub name: String,
    pub website: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

/// The organisations of the CRM, indexed by registrable domain.
#[derive(Debug, Default)]
pub struct Orgs {
    list: Vec<KnownOrg>,
    by_domain: std::collections::HashMap<String, Vec<usize>>,
}

/// How an organisation was matched.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgMatch {
    pub index: usize,
    /// `domain`, `domain+name` or `name`.
    pub how: &'static str,
    pub confidence: f64,
    pub similarity: Option<f64>,
}

impl Orgs {
    pub fn new(list: Vec<KnownOrg>) -> Self {
        let mut by_domain: std::collections::HashMap<String, Vec<usize>> = Default::default();
        for (i, o) in list.iter().enumerate() {
            let mut domains: Vec<String> = Vec::new();
            domains.extend(o.website.as_deref().and_then(domain::of_website));
            domains.extend(o.email.as_deref().and_then(domain::of_address));
            domains.dedup();
            for d in domains {
                if !evidence::is_free_mail(&d) {
                    by_domain.entry(d).or_default().push(i);
                }
            }
        }
        Self { list, by_domain }
    }

    pub fn get(&self, index: usize) -> &KnownOrg {
        &self.list[index]
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The organisation of a sender at `sender_domain` signing for `company`.
    pub fn find(&self, sender_domain: Option<&str>, company: Option<&str>) -> Option<OrgMatch> {
        let free = sender_domain.is_none_or(evidence::is_free_mail);
        let similarity =
            |i: usize| company.map(|c| names::company_similarity(c, &self.list[i].name));
        if !free && let Some(candidates) = sender_domain.and_then(|d| self.by_domain.get(d)) {
            let best = candidates.iter().copied().max_by(|a, b| {
                let (sa, sb) = (similarity(*a).unwrap_or(0.0), similarity(*b).unwrap_or(0.0));
                sa.total_cmp(&sb).then(b.cmp(a))
            })?;
            let sim = similarity(best);
            let named = sim.is_some_and(|s| s >= NAME_MATCH_MIN);
            let mut confidence = if named {
                DOMAIN_AND_NAME_MATCH
            } else {
                DOMAIN_MATCH
            };
            // Several organisations share the domain and the name does not pick one: not sure.
            if candidates.len() > 1 && !named {
                confidence = 0.8;
            }
            return Some(OrgMatch {
                index: best,
                how: if named { "domain+name" } else { "domain" },
                confidence,
                similarity: sim,
            });
        }
        let company = company.filter(|c| !names::company_key(c).is_empty())?;
        let (index, sim) = (0..self.list.len())
            .map(|i| (i, names::company_similarity(company, &self.list[i].name)))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))?;
        if sim < NAME_MATCH_MIN {
            return None;
        }
        let mut confidence = sim * NAME_MATCH_SCALE;
        if free {
            confidence = confidence.min(FREE_MAIL_CAP);
        }
        Some(OrgMatch {
            index,
            how: "name",
            confidence,
            similarity: Some(sim),
        })
    }
}

/// A field the signature offers for a person, with its confidence.
struct Offered {
    field: Field,
    value: String,
    confidence: f64,
    source: &'static str,
}

fn offered_person_fields(sig: &intel::Signature) -> Vec<Offered> {
    let c = &sig.confidence;
    let mut out = Vec::new();
    if let Some(t) = sig
        .title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        out.push(Offered {
            field: Field::PersonTitle,
            value: t.to_owned(),
            confidence: c.title,
            source: "signature.title",
        });
    }
    let mut mobile = None;
    let mut landline = None;
    for p in &sig.phone_details {
        match p.kind {
            intel::PhoneKind::Mobile => {
                mobile.get_or_insert(p.e164.clone());
            }
            _ => {
                landline.get_or_insert(p.e164.clone());
            }
        }
    }
    if mobile.is_none() && landline.is_none() {
        landline = sig.phones.first().cloned();
    }
    for (field, value) in [
        (Field::PersonPhone, landline),
        (Field::PersonMobile, mobile),
    ] {
        if let Some(v) = value {
            out.push(Offered {
                field,
                value: v,
                confidence: c.phones,
                source: "signature.phones",
            });
        }
    }
    if let Some(l) = sig.linkedin.as_deref().filter(|l| !l.is_empty()) {
        out.push(Offered {
            field: Field::PersonLinkedin,
            value: l.to_owned(),
            confidence: c.linkedin,
            source: "signature.linkedin",
        });
    }
    out
}

fn round(c: f64) -> f32 {
    ((c.clamp(0.0, 1.0) * 1000.0).round() / 1000.0) as f32
}

/// One proposal before the email's facts are added.
struct Draft<'a> {
    target: (EntityType, Option<i64>),
    action: SuggestionAction,
    field: &'a str,
    value: Value,
    current: Option<&'a str>,
    confidence: f64,
    evidence: Value,
    dedupe_key: String,
}

struct Builder<'a, 'e> {
    email: &'a Email<'e>,
    out: Vec<NewSuggestion>,
}

impl Builder<'_, '_> {
    fn push(&mut self, d: Draft<'_>) {
        let Draft {
            target: (entity_type, entity_id),
            action,
            field,
            value,
            current,
            confidence,
            evidence,
            dedupe_key,
        } = d;
        let mut evidence = evidence;
        evidence["interaction_id"] = json!(self.email.interaction_id);
        self.out.push(NewSuggestion {
            entity_type,
            entity_id,
            action,
            field: field.to_owned(),
            value,
            current_value: current.map(str::to_owned),
            confidence: round(confidence),
            source: "signature".to_owned(),
            evidence,
            interaction_id: Some(self.email.interaction_id),
            analyzer_version: self.email.analyzer_version.to_owned(),
            owner_user_id: self.email.owner,
            dedupe_key,
        });
    }
}

/// The signature's name, or the From display name; with its confidence (higher when both agree).
fn sender_name(email: &Email<'_>) -> Option<(String, f64)> {
    let sig = email.signature;
    let display = email
        .from_name
        .map(str::trim)
        .filter(|n| names::split_person_name(n).is_some());
    match (sig.name.as_deref(), display) {
        (Some(n), Some(d)) if names::company_key(n) == names::company_key(d) => {
            Some((n.to_owned(), sig.confidence.name.max(0.95)))
        }
        (Some(n), _) if names::split_person_name(n).is_some() => {
            Some((n.to_owned(), sig.confidence.name))
        }
        // A display name alone (the signature had other fields): a human should look.
        (_, Some(d)) => Some((d.to_owned(), 0.6)),
        _ => None,
    }
}

/// Every change `email` supports, given what the CRM knows of its sender (`person`) and `orgs`.
pub fn propose(email: &Email<'_>, person: Option<&KnownPerson>, orgs: &Orgs) -> Vec<NewSuggestion> {
    let sig = email.signature;
    let address = email.from_address.trim().to_lowercase();
    let sender_domain = domain::of_address(&address);
    let org = orgs.find(sender_domain.as_deref(), sig.company.as_deref());
    let mut b = Builder {
        email,
        out: Vec::new(),
    };
    let org_value = |m: &OrgMatch| {
        let o = orgs.get(m.index);
        json!({ "organisation_id": o.id, "name": o.name, "match": m.how })
    };
    let org_evidence = |m: &OrgMatch| {
        json!({
            "field_source": if m.how == "name" { "signature.company" } else { "sender.domain" },
            "match": m.how,
            "similarity": m.similarity.map(|s| (s * 1000.0).round() / 1000.0),
            "sender_domain": sender_domain,
        })
    };
    match person {
        None => {
            let Some((name, name_confidence)) = sender_name(email) else {
                return Vec::new();
            };
            let Some((first, last)) = names::split_person_name(&name) else {
                return Vec::new();
            };
            let mut value = json!({ "first_name": first, "last_name": last, "email": address });
            for f in offered_person_fields(sig) {
                value[f.field.column()] = json!(f.value);
            }
            if let Some(m) = &org {
                value["organisation"] = org_value(m);
            }
            b.push(Draft {
                target: (EntityType::Person, None),
                action: SuggestionAction::CreatePerson,
                field: "person",
                value,
                current: None,
                confidence: name_confidence,
                evidence: json!({ "field_source": "signature.name" }),
                dedupe_key: format!("create_person:{address}"),
            });
        }
        Some(p) => {
            for f in offered_person_fields(sig) {
                let current = match f.field {
                    Field::PersonTitle => p.title.as_deref(),
                    Field::PersonPhone => p.phone.as_deref(),
                    Field::PersonMobile => p.mobile.as_deref(),
                    Field::PersonLinkedin => p.linkedin.as_deref(),
                    _ => None,
                }
                .filter(|v| !v.trim().is_empty());
                if current.is_some_and(|c| fields::same_value(f.field, c, &f.value)) {
                    continue;
                }
                b.push(Draft {
                    target: (EntityType::Person, Some(p.id)),
                    action: SuggestionAction::SetField,
                    field: f.field.name(),
                    value: json!(f.value),
                    current,
                    confidence: f.confidence,
                    evidence: json!({ "field_source": f.source }),
                    dedupe_key: format!(
                        "person:{}:{}:{}",
                        p.id,
                        f.field.name(),
                        fields::normalise(f.field, &f.value)
                    ),
                });
            }
            if let Some(m) = &org {
                let o = orgs.get(m.index);
                if !p.organisation_ids.contains(&o.id) {
                    b.push(Draft {
                        target: (EntityType::Person, Some(p.id)),
                        action: SuggestionAction::LinkOrganisation,
                        field: "organisation",
                        value: org_value(m),
                        current: None,
                        confidence: m.confidence,
                        evidence: org_evidence(m),
                        dedupe_key: format!("link:person:{}:organisation:{}", p.id, o.id),
                    });
                }
            }
        }
    }
    // The organisation's own empty fields, from a sender who works there.
    if let Some(m) = org.as_ref().filter(|m| m.how != "name") {
        let o = orgs.get(m.index);
        let mut fill = |field: Field, value: Option<String>, confidence: f64, source: &str| {
            let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
                return;
            };
            let current = match field {
                Field::OrgAddress => o.address.as_deref(),
                Field::OrgWebsite => o.website.as_deref(),
                _ => None,
            }
            .filter(|v| !v.trim().is_empty());
            if current.is_some() {
                return;
            }
            b.push(Draft {
                target: (EntityType::Organisation, Some(o.id)),
                action: SuggestionAction::SetField,
                field: field.name(),
                value: json!(value),
                current: None,
                confidence: confidence * m.confidence,
                evidence: json!({ "field_source": source, "match": m.how }),
                dedupe_key: format!(
                    "organisation:{}:{}:{}",
                    o.id,
                    field.name(),
                    fields::normalise(field, &value)
                ),
            });
        };
        fill(
            Field::OrgAddress,
            sig.address.clone(),
            sig.confidence.address,
            "signature.address",
        );
        let website = sig
            .urls
            .iter()
            .find(|u| domain::of_website(u).is_some() && domain::of_website(u) == sender_domain)
            .cloned();
        fill(
            Field::OrgWebsite,
            website,
            sig.confidence.urls,
            "signature.urls",
        );
    }
    b.out
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "test")]
    use super::*;

    fn sig() -> intel::Signature {
        intel::Signature {
            name: Some("Jeanne Martin".into()),
            title: Some("Directrice des partenariats".into()),
            company: Some("Gestion Privée Conseil".into()),
            phones: vec!["+33142000000".into(), "+33612345678".into()],
            phone_details: vec![
                intel::Phone {
                    e164: "+33142000000".into(),
                    kind: intel::PhoneKind::Landline,
                    raw: "01 42 00 00 00".into(),
                },
                intel::Phone {
                    e164: "+33612345678".into(),
                    kind: intel::PhoneKind::Mobile,
                    raw: "06 12 34 56 78".into(),
                },
            ],
            linkedin: Some("https://www.linkedin.com/in/jeanne-martin".into()),
            address: Some("12 rue de la Paix, 75002 Paris".into()),
            urls: vec!["https://www.gpc-gestion.fr".into()],
            confidence: intel::FieldConfidence {
                name: 0.97,
                title: 0.93,
                company: 0.9,
                phones: 0.96,
                emails: 0.0,
                urls: 0.9,
                linkedin: 0.99,
                address: 0.85,
            },
            ..Default::default()
        }
    }

    fn email<'a>(sig: &'a intel::Signature, from: &'a str) -> Email<'a> {
        Email {
            interaction_id: 7,
            from_address: from,
            from_name: Some("Jeanne Martin"),
            signature: sig,
            analyzer_version: "test",
            owner: Some(UserId(3)),
        }
    }

    fn orgs() -> Orgs {
        Orgs::new(vec![
            KnownOrg {
                id: 10,
                name: "Gestion Privée Conseil SAS".into(),
                website: Some("https://gpc-gestion.fr".into()),
                ..Default::default()
            },
            KnownOrg {
                id: 11,
                name: "Amundi".into(),
                website: Some("amundi.com".into()),
                address: Some("91 bd Pasteur".into()),
                ..Default::default()
            },
        ])
    }

    #[test]
    fn an_unknown_sender_is_proposed_with_their_company() {
        let s = sig();
        let out = propose(&email(&s, "Jeanne.Martin@gpc-gestion.fr"), None, &orgs());
        let create = &out[0];
        assert_eq!(create.action, SuggestionAction::CreatePerson);
        assert_eq!(
            create.dedupe_key,
            "create_person:jeanne.martin@gpc-gestion.fr"
        );
        assert_eq!(create.value["first_name"], "Jeanne");
        assert_eq!(create.value["mobile"], "+33612345678");
        assert_eq!(create.value["phone"], "+33142000000");
        assert_eq!(create.value["organisation"]["organisation_id"], 10);
        assert_eq!(create.value["organisation"]["match"], "domain+name");
        assert!(create.confidence >= 0.95);
        // The organisation's empty address (its website is known), from a sender of its domain.
        let fields: Vec<&str> = out[1..].iter().map(|s| s.field.as_str()).collect();
        assert_eq!(fields, ["address"]);
        assert!(out[1..].iter().all(|s| s.entity_id == Some(10)));
    }

    #[test]
    fn a_known_person_gets_only_new_values_and_a_missing_link() {
        let s = sig();
        let person = KnownPerson {
            id: 5,
            title: Some("directrice des partenariats ".into()),
            phone: Some("01 42 00 00 00".into()),
            ..Default::default()
        };
        let out = propose(&email(&s, "jeanne@gpc-gestion.fr"), Some(&person), &orgs());
        let got: Vec<(&str, &str)> = out
            .iter()
            .map(|s| (s.action.as_str(), s.field.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("set_field", "mobile"),
                ("set_field", "linkedin"),
                ("link_organisation", "organisation"),
                ("set_field", "address")
            ]
        );
        assert_eq!(out[0].dedupe_key, "person:5:mobile:+33612345678");
        assert_eq!(out[0].evidence["interaction_id"], 7);
        assert_eq!(out[0].evidence["field_source"], "signature.phones");
    }

    #[test]
    fn free_mail_senders_are_never_linked_by_domain() {
        let mut s = sig();
        s.company = None;
        let gmail = Orgs::new(vec![KnownOrg {
            id: 1,
            name: "Some Gmail User Org".into(),
            email: Some("someone@gmail.com".into()),
            ..Default::default()
        }]);
        let out = propose(&email(&s, "jeanne.martin@gmail.com"), None, &gmail);
        assert_eq!(out.len(), 1);
        assert!(out[0].value.get("organisation").is_none());
        // By name only, with a free-mail sender: at most 0.7, so always reviewed.
        let mut s = sig();
        s.company = Some("Amundi".into());
        let m = orgs()
            .find(Some("gmail.com"), s.company.as_deref())
            .unwrap();
        assert_eq!(m.how, "name");
        assert!(m.confidence <= 0.7);
    }

    #[test]
    fn name_only_matches_stay_below_auto_apply() {
        let m = orgs()
            .find(Some("other-domain.fr"), Some("AMUNDI SA"))
            .unwrap();
        assert_eq!((m.how, orgs().get(m.index).id), ("name", 11));
        assert!(m.confidence < 0.92, "{}", m.confidence);
        assert!(
            orgs()
                .find(Some("other-domain.fr"), Some("Rothschild"))
                .is_none()
        );
    }

    #[test]
    fn no_name_no_person() {
        let mut s = sig();
        s.name = None;
        let mut e = email(&s, "x@y.fr");
        e.from_name = None;
        assert!(propose(&e, None, &Orgs::default()).is_empty());
        // A display name alone: proposed for review.
        e.from_name = Some("Jeanne Martin");
        let out = propose(&e, None, &Orgs::default());
        assert!((out[0].confidence - 0.6).abs() < 1e-6);
    }
}
