//! Entities of the author's text: people, organisations, places, dates, phones and emails.
//! Rules only (capitalisation, honorifics, organisation cues, a gazetteer of cities and countries).

use crate::analysis::Entities;
use crate::contact::{email, phone};
use crate::signature::fields;
use crate::text::{fold, re};
use regex::Regex;
use std::sync::LazyLock;

const MAX_TEXT: usize = 8 * 1024;
const MAX_EACH: usize = 20;

static PERSON_AFTER_TITLE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:M\.|Mme|Mlle|Monsieur|Madame|Mr\.?|Mrs\.?|Ms\.?|Dr\.?|Maître|Me|collègue|colleague|confrère|consœur|assistante?|client|cliente)\s+((?:\p{Lu}\.\s*)?\p{Lu}[\p{Ll}\-']+(?:[ \-]\p{Lu}[\p{L}\-']+)?)",
    )
});
static CAPITAL_SPAN: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\p{Lu}[\p{L}\-'&.]*(?:\s+(?:(?:de|du|des|d'|&|et|of|the|la|le)\s+)?\p{Lu}[\p{L}\-'&.]*){1,4}",
    )
});
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\s+)?\d{1,2}(?:er|st|nd|rd|th)?\s+(?:janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre|january|february|march|april|may|june|july|august|september|october|november|december|janv\.?|févr\.?|sept\.?|oct\.?|nov\.?|déc\.?)(?:\s+\d{4})?\b|\b(?:january|february|march|april|may|june|july|august|september|october|november|december)\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b|\b(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)(?:\s+(?:prochain|matin|après-midi|soir))?\b|\b(?:monday|tuesday|wednesday|thursday|friday)\b",
    )
});
static POSTCODE_CITY: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b\d{5}\s+(\p{Lu}[\p{L}\-']+(?:[ \-]\p{Lu}[\p{L}\-']+)*)"));

const CITIES: &[&str] = &[
    "paris",
    "lyon",
    "marseille",
    "bordeaux",
    "toulouse",
    "nantes",
    "lille",
    "strasbourg",
    "nice",
    "rennes",
    "montpellier",
    "grenoble",
    "dijon",
    "angers",
    "reims",
    "le havre",
    "toulon",
    "brest",
    "tours",
    "limoges",
    "clermont-ferrand",
    "amiens",
    "metz",
    "nancy",
    "rouen",
    "caen",
    "orleans",
    "perpignan",
    "besancon",
    "avignon",
    "pau",
    "bayonne",
    "la rochelle",
    "vannes",
    "lorient",
    "quimper",
    "annecy",
    "chambery",
    "villeurbanne",
    "courbevoie",
    "neuilly-sur-seine",
    "boulogne-billancourt",
    "la defense",
    "levallois-perret",
    "saint-etienne",
    "mulhouse",
    "colmar",
    "poitiers",
    "niort",
    "nimes",
    "aix-en-provence",
    "cannes",
    "monaco",
    "luxembourg",
    "bruxelles",
    "brussels",
    "geneve",
    "geneva",
    "zurich",
    "bale",
    "basel",
    "lausanne",
    "londres",
    "london",
    "francfort",
    "frankfurt",
    "milan",
    "madrid",
    "barcelone",
    "barcelona",
    "amsterdam",
    "dublin",
    "stockholm",
    "oslo",
    "copenhague",
    "copenhagen",
    "vienne",
    "vienna",
    "munich",
    "berlin",
    "rome",
    "lisbonne",
    "lisbon",
    "new york",
    "singapour",
    "singapore",
    "hong kong",
    "tokyo",
    "houston",
    "chicago",
    "boston",
    "france",
    "belgique",
    "belgium",
    "suisse",
    "switzerland",
    "allemagne",
    "germany",
    "italie",
    "italy",
    "espagne",
    "spain",
    "royaume-uni",
    "united kingdom",
    "irlande",
    "ireland",
    "pays-bas",
    "netherlands",
    "suede",
    "sweden",
    "norvege",
    "norway",
    "danemark",
    "denmark",
    "autriche",
    "austria",
    "portugal",
    "etats-unis",
    "united states",
    "canada",
    "europe",
    "benelux",
    "bretagne",
    "normandie",
    "provence",
];

fn push(v: &mut Vec<String>, s: &str) {
    let s = s.trim().trim_end_matches([',', '.', ';', ':']);
    if s.len() >= 2 && v.len() < MAX_EACH && !v.iter().any(|x| x.eq_ignore_ascii_case(s)) {
        v.push(s.to_string());
    }
}

/// Entities of the author's text; `people`/`orgs` seeds come from the signature and headers.
pub fn extract(text: &str, seed_people: &[&str], seed_orgs: &[&str]) -> Entities {
    let t = crate::text::truncate(text, MAX_TEXT);
    let mut e = Entities::default();
    for p in seed_people {
        push(&mut e.people, p);
    }
    for o in seed_orgs {
        push(&mut e.organisations, o);
    }
    for c in PERSON_AFTER_TITLE.captures_iter(t) {
        if let Some(m) = c.get(1)
            && fields::name_candidate(m.as_str(), None, None).is_some()
        {
            push(&mut e.people, m.as_str());
        }
    }
    for m in CAPITAL_SPAN.find_iter(t) {
        let s = m.as_str().trim_end_matches(['.', ',']);
        if fields::company_score(s, &[]) >= 3.0 {
            push(&mut e.organisations, s);
        }
    }
    for c in POSTCODE_CITY.captures_iter(t) {
        if let Some(m) = c.get(1) {
            push(&mut e.places, m.as_str());
        }
    }
    // gazetteer: capitalised words and pairs of words
    let words: Vec<(usize, &str)> = t
        .split(|c: char| {
            c.is_whitespace()
                || matches!(
                    c,
                    ',' | '.' | ';' | ':' | '(' | ')' | '!' | '?' | '"' | '«' | '»'
                )
        })
        .filter(|w| !w.is_empty())
        .enumerate()
        .collect();
    for (i, w) in &words {
        if !w.chars().next().is_some_and(char::is_uppercase) {
            continue;
        }
        if let Some((_, next)) = words.get(i + 1) {
            let pair = format!("{w} {next}");
            if CITIES.contains(&fold(&pair).as_str()) {
                push(&mut e.places, &pair);
                continue;
            }
        }
        if CITIES.contains(&fold(w).as_str()) {
            push(&mut e.places, w);
        }
    }
    for m in DATE.find_iter(t) {
        push(&mut e.dates, m.as_str());
    }
    e.phones = phone::find_all(t)
        .into_iter()
        .filter(|f| !f.fax)
        .map(|f| f.phone.e164)
        .collect();
    e.emails = email::find_all(t);
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_entities() {
        let e = extract(
            "Je serai à Paris le jeudi 4 décembre. Contactez mon collègue Maxime Duret au 06 12 34 56 78 ou chez Banque Rives Privée.",
            &[],
            &[],
        );
        assert_eq!(e.people, vec!["Maxime Duret"]);
        assert!(e.places.contains(&"Paris".to_string()));
        assert!(e.dates.iter().any(|d| d.contains("4 décembre")));
        assert_eq!(e.phones, vec!["+33612345678"]);
        assert!(e.organisations.contains(&"Banque Rives Privée".to_string()));
    }
}
