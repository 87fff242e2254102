//! Scoring one piece of a signature line as a person's name, a job title or an organisation.

use super::lexicon::*;
use crate::text::{fold, is_all_caps_word, is_capitalized, is_initial};
use std::collections::HashSet;
use std::sync::LazyLock;

fn set(words: &[&'static str]) -> HashSet<&'static str> {
    words.iter().copied().collect()
}

static TITLE_HEAD: LazyLock<HashSet<&str>> = LazyLock::new(|| set(TITLE_HEADS));
static TITLE_TAIL: LazyLock<HashSet<&str>> = LazyLock::new(|| set(TITLE_TAILS));
static AMBIGUOUS: LazyLock<HashSet<&str>> = LazyLock::new(|| set(AMBIGUOUS_HEADS));
static LEGAL: LazyLock<HashSet<&str>> = LazyLock::new(|| set(LEGAL_FORMS));
static CUE: LazyLock<HashSet<&str>> = LazyLock::new(|| set(COMPANY_CUES));
static PLACE: LazyLock<HashSet<&str>> = LazyLock::new(|| set(PLACES));
static HONORIFIC: LazyLock<HashSet<&str>> = LazyLock::new(|| set(HONORIFICS));
static CREDENTIAL: LazyLock<HashSet<&str>> = LazyLock::new(|| set(CREDENTIALS));
static NOT_NAME_SET: LazyLock<HashSet<&str>> = LazyLock::new(|| set(NOT_NAME));
static BRANCH: LazyLock<HashSet<&str>> = LazyLock::new(|| set(BRANCH_HEADS));

const PARTICLES: &[&str] = &[
    "de", "du", "des", "d'", "van", "von", "der", "den", "le", "la", "di", "da", "del", "della",
    "dos", "das", "ben", "bin", "al", "el", "zu", "ter", "ten", "y", "e", "st", "st.", "saint",
    "sainte",
];
/// Small words allowed in lower case inside proper names of organisations.
const SMALL: &[&str] = &[
    "de", "du", "des", "d", "la", "le", "les", "l", "et", "en", "of", "the", "and", "for", "&",
    "a", "au", "aux", "sur", "pour", "par", "-", "–", "y", "und", "für",
];

/// Words of a segment, split on spaces (punctuation kept inside words).
fn tokens(s: &str) -> Vec<&str> {
    s.split_whitespace().collect()
}

/// Folded word without surrounding punctuation and without inner dots ("S.A." → "sa").
fn key(w: &str) -> String {
    fold(w.trim_matches(|c: char| !c.is_alphanumeric() && c != '&' && c != '\'' && c != '-'))
        .replace('.', "")
}

/// Folded word with elision stripped ("d'Oise" → "oise").
fn key_noelision(w: &str) -> String {
    let k = key(w);
    match k.split_once('\'') {
        Some((a, b)) if a.len() <= 2 && !b.is_empty() => b.to_string(),
        _ => k,
    }
}

/// Drop leading articles ("Le Directeur Général" → "Directeur Général").
pub fn strip_article(s: &str) -> &str {
    let t = s.trim();
    for a in ["Le ", "La ", "Les ", "L'", "The ", "le ", "la ", "l'"] {
        if let Some(rest) = t.strip_prefix(a) {
            return rest.trim_start();
        }
    }
    t
}

fn first_key(s: &str) -> String {
    strip_article(s)
        .split_whitespace()
        .next()
        .map(key)
        .unwrap_or_default()
}

fn is_legal_token(w: &str) -> bool {
    let bare = w.trim_matches(|c: char| matches!(c, ',' | ';' | '(' | ')'));
    let k = key(bare);
    if !LEGAL.contains(k.as_str()) {
        return false;
    }
    // "SA", "SAS", "NV", "AG" are written in capitals; "GmbH", "Ltd", "Inc", "Cie", "Co" as such
    let letters: String = bare.chars().filter(|c| c.is_alphabetic()).collect();
    letters.chars().all(char::is_uppercase)
        || matches!(
            letters.as_str(),
            "GmbH"
                | "Ltd"
                | "Limited"
                | "Inc"
                | "Corp"
                | "Cie"
                | "Co"
                | "Sàrl"
                | "Sarl"
                | "plc"
                | "Plc"
                | "SpA"
                | "Srl"
                | "Oy"
                | "Kft"
                | "BVBA"
                | "sprl"
        )
}

/// Job title score: 3 for a title head word ("Directrice ..."), 2.5 for an English title ending
/// ("... Manager"), 0 when it does not look like a title.
pub fn title_score(seg: &str) -> f64 {
    let s = strip_article(seg).trim_end_matches([',', '.', ';']);
    let toks = tokens(s);
    if toks.is_empty()
        || toks.len() > 12
        || s.contains('@')
        || s.chars().any(|c| c.is_ascii_digit())
    {
        return 0.0;
    }
    let first = key(toks[0]);
    let last = key(toks[toks.len() - 1]);
    let mut score = if TITLE_HEAD.contains(first.as_str()) && !AMBIGUOUS.contains(first.as_str()) {
        3.0
    } else if AMBIGUOUS.contains(first.as_str()) {
        if TITLE_TAIL.contains(last.as_str())
            || toks.iter().any(|w| TITLE_TAIL.contains(key(w).as_str()))
        {
            3.0
        } else {
            0.5
        }
    } else if TITLE_TAIL.contains(last.as_str()) {
        2.5
    } else if toks.iter().skip(1).any(|w| {
        matches!(
            key(w).as_str(),
            "manager"
                | "director"
                | "officer"
                | "head"
                | "directeur"
                | "directrice"
                | "responsable"
        )
    }) {
        2.0
    } else {
        0.0
    };
    if score > 0.0 && toks.iter().any(|w| is_legal_token(w)) {
        score -= 2.0;
    }
    score
}

fn is_proper(toks: &[&str]) -> bool {
    let content: Vec<&&str> = toks
        .iter()
        .filter(|w| !SMALL.contains(&key(w).as_str()))
        .collect();
    if content.is_empty() {
        return false;
    }
    let caps = content
        .iter()
        .filter(|w| {
            let w = w.trim_start_matches(|c: char| !c.is_alphanumeric());
            // "d'Oise": look after the elision
            let w = match w.split_once('\'') {
                Some((a, b)) if a.chars().count() <= 2 && !b.is_empty() => b,
                _ => w,
            };
            w.chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
        })
        .count();
    caps * 4 >= content.len() * 3
}

/// Does the text share a distinctive part with an email domain (`alizarine-gestion.fr`)?
pub fn domain_overlap(seg: &str, domains: &[String]) -> bool {
    let letters: String = fold(seg)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    if letters.len() < 3 {
        return false;
    }
    domains.iter().any(|d| {
        let label = d.rsplit_once('.').map_or(d.as_str(), |(a, _)| a);
        let label = label.rsplit('.').next().unwrap_or(label);
        let compact: String = label
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        if compact.len() >= 4
            && (letters.contains(&compact) || (letters.len() >= 5 && compact.contains(&letters)))
        {
            return true;
        }
        // a distinctive word of the segment (5+ letters, not a generic cue) is part of the domain
        seg.split_whitespace().any(|w| {
            let k = key_noelision(w);
            let k: String = k.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
            k.len() >= 5 && !CUE.contains(k.as_str()) && compact.contains(&k)
        })
    })
}

/// Organisation score: legal forms, typical words, "&", capitals, email domain.
pub fn company_score(seg: &str, domains: &[String]) -> f64 {
    let s = strip_article(seg).trim_end_matches([',', '.', ';', ':']);
    let toks = tokens(s);
    if toks.is_empty() || toks.len() > 10 || s.contains('@') || s.ends_with('?') {
        return 0.0;
    }
    let digits = s.chars().filter(char::is_ascii_digit).count();
    if digits > 3 {
        return 0.0;
    }
    let proper = is_proper(&toks);
    let mut score = 0.0;
    if toks.iter().any(|w| is_legal_token(w)) {
        score += 3.0;
    }
    let mut cues = 0;
    for w in &toks {
        let k = key_noelision(w);
        let counted = match k.as_str() {
            // "AM", "IM" only as capitals (not the English verb)
            "am" | "im" => w.trim_matches(|c: char| !c.is_alphabetic()) == k.to_uppercase(),
            k => CUE.contains(k),
        };
        if counted {
            cues += 1;
        }
    }
    score += match (cues, proper) {
        (0, _) => 0.0,
        (1, true) => 2.0,
        (_, true) => 3.0,
        (_, false) => 0.5,
    };
    if s.contains(" & ") && proper {
        score += 2.0;
    }
    let caps_words = toks
        .iter()
        .filter(|w| is_all_caps_word(w.trim_matches(|c: char| !c.is_alphabetic())))
        .count();
    if caps_words >= 2
        && caps_words
            == toks
                .iter()
                .filter(|w| !SMALL.contains(&key(w).as_str()))
                .count()
    {
        score += 1.5;
    }
    if proper && domain_overlap(s, domains) {
        score += 2.0;
    }
    let first = first_key(s);
    if TITLE_HEAD.contains(first.as_str())
        && !AMBIGUOUS.contains(first.as_str())
        && title_score(s) >= 3.0
    {
        score -= 3.0;
    } else if title_score(s) >= 2.5 {
        score -= 2.0;
    }
    if BRANCH.contains(first.as_str()) {
        score -= 2.5;
    }
    let content: Vec<String> = toks
        .iter()
        .map(|w| key(w))
        .filter(|k| !SMALL.contains(&k.as_str()))
        .collect();
    if !content.is_empty() && content.iter().all(|k| PLACE.contains(k.as_str())) {
        score -= 3.0;
    }
    score
}

/// A person's name cleaned of honorifics and credentials, with its score (0 when not a name).
pub fn name_candidate(
    seg: &str,
    from_name: Option<&str>,
    local_part: Option<&str>,
) -> Option<(String, f64)> {
    let mut s = seg.trim().trim_end_matches([',', ';']).trim();
    // credentials after a comma: "Laurent Pichard, CFA"
    if let Some((a, b)) = s.split_once(',') {
        if b.split_whitespace()
            .all(|w| CREDENTIAL.contains(key(w).as_str()))
        {
            s = a.trim();
        } else {
            return None;
        }
    }
    let mut toks: Vec<&str> = tokens(s);
    while toks
        .first()
        .is_some_and(|w| HONORIFIC.contains(key(w).as_str()) && toks.len() > 1)
    {
        toks.remove(0);
    }
    while toks.len() > 1
        && toks
            .last()
            .is_some_and(|w| CREDENTIAL.contains(key(w).as_str()) && is_all_caps_word(w))
    {
        toks.pop();
    }
    if toks.is_empty() || toks.len() > 5 {
        return None;
    }
    if toks.iter().any(|w| {
        w.chars().any(|c| {
            c.is_ascii_digit() || matches!(c, '@' | ':' | '/' | '|' | '(' | ')' | '+' | '?' | '!')
        })
    }) {
        return None;
    }
    let first = key(toks[0]);
    if !is_initial(toks[0])
        && (NOT_NAME_SET.contains(first.as_str())
            || TITLE_HEAD.contains(first.as_str())
            || CUE.contains(first.as_str()))
    {
        return None;
    }
    let mut n_real = 0;
    let mut capitalized = 0;
    let mut all_caps = 0;
    for (i, w) in toks.iter().enumerate() {
        let k = key(w);
        let wl = w.to_lowercase();
        if i > 0 && PARTICLES.contains(&wl.as_str()) {
            continue;
        }
        // "Le Bras", "De Kerlann": capitalised particles after the first name
        let k_is_stop = !is_initial(w)
            && NOT_NAME_SET.contains(k.as_str())
            && !(i > 0 && PARTICLES.contains(&k.as_str()));
        if k_is_stop
            || CUE.contains(k.as_str())
            || (TITLE_HEAD.contains(k.as_str()) && !AMBIGUOUS.contains(k.as_str()))
            || is_legal_token(w)
        {
            return None;
        }
        let w_clean = w.trim_end_matches(',');
        let w_elided = match w_clean.split_once('\'') {
            Some((a, b)) if a.chars().count() <= 2 && !b.is_empty() => b,
            _ => w_clean,
        };
        if is_capitalized(w_elided) {
            capitalized += 1;
        } else if is_all_caps_word(w_elided) {
            all_caps += 1;
        } else if is_initial(w_clean) {
            // initials count as capitalised parts
            capitalized += 1;
        } else {
            return None;
        }
        n_real += 1;
    }
    if n_real == 0 || n_real > 4 {
        return None;
    }
    let mut score = match (n_real, capitalized, all_caps) {
        (1, 1, 0) => 1.5,
        (1, _, _) => return None,
        (_, 0, _) => 1.5,
        (2 | 3, _, _) => 3.0,
        _ => 2.0,
    };
    // a lone initial is not a name
    if n_real == 1 && is_initial(toks[0]) {
        return None;
    }
    let folded: Vec<String> = toks.iter().map(|w| key(w)).collect();
    if let Some(fname) = from_name {
        let fk: Vec<String> = fname
            .split_whitespace()
            .map(key)
            .filter(|k| k.len() >= 2)
            .collect();
        let hits = folded
            .iter()
            .filter(|k| k.len() >= 2 && fk.contains(k))
            .count();
        if hits >= 1 {
            score += if hits >= 2 { 3.0 } else { 1.5 };
        }
    }
    if let Some(lp) = local_part {
        let lp = fold(lp);
        if folded
            .iter()
            .any(|k| k.len() >= 3 && lp.contains(k.as_str()))
        {
            score += 1.0;
        }
    }
    let name = toks.join(" ");
    Some((name, score))
}

/// Pieces of text that only label a contact ("Tél. :", "E :", "Mob.", "(ligne directe)").
pub fn is_contact_label(seg: &str) -> bool {
    let t = seg.trim();
    if t.is_empty() {
        return true;
    }
    if t.ends_with(':') && t.split_whitespace().count() <= 4 {
        return true;
    }
    if t.starts_with('(') && t.ends_with(')') {
        return true;
    }
    let f = fold(t.trim_end_matches([':', '.', ' ']));
    let f = f.trim_end_matches([':', '.', ' ']);
    matches!(
        f,
        "t" | "m"
            | "d"
            | "e"
            | "w"
            | "l"
            | "f"
            | "p"
            | "o"
            | "tel"
            | "tél"
            | "tel standard"
            | "mob"
            | "mobile"
            | "portable"
            | "port"
            | "fax"
            | "email"
            | "e-mail"
            | "mail"
            | "courriel"
            | "web"
            | "site"
            | "site web"
            | "website"
            | "linkedin"
            | "ligne directe"
            | "direct"
            | "standard"
            | "bureau"
            | "office"
            | "desk"
            | "phone"
            | "telephone"
            | "cell"
            | "gsm"
            | "www"
            | "skype"
            | "teams"
            | "ph"
            | "tel."
            | "fixe"
    ) || t.chars().all(|c| !c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles() {
        assert!(title_score("Directrice Associée") >= 3.0);
        assert!(title_score("Le Directeur Général,") >= 3.0);
        assert!(title_score("Senior Relationship Manager") >= 3.0);
        assert!(title_score("Private Banker") >= 3.0);
        assert!(title_score("Structured Products Sales") >= 2.5);
        assert!(title_score("Family Office") < 2.0);
        assert!(title_score("Banque Morlaix & Cie") < 2.0);
    }

    #[test]
    fn companies() {
        let d = vec!["alizarine-gestion.fr".to_string()];
        assert!(company_score("Alizarine Gestion", &d) >= 4.0);
        assert!(company_score("Banque Morlaix & Cie", &[]) >= 2.0);
        assert!(company_score("CABINET ARGOAT CONSEIL", &[]) >= 2.0);
        assert!(company_score("Moselle Fund Services S.A.", &[]) >= 2.0);
        assert!(company_score("Orsay AM", &[]) >= 2.0);
        assert!(company_score("Conseil patrimonial", &[]) < 2.0);
        assert!(company_score("Conseiller en gestion de patrimoine indépendant", &[]) < 2.0);
        assert!(company_score("France & Benelux", &[]) < 2.0);
        assert!(company_score("Bureau de Paris", &[]) < 2.0);
        assert!(company_score("Sallès & Vidalenc", &[]) >= 2.0);
    }

    #[test]
    fn names() {
        let n = |s: &str| name_candidate(s, None, None).map(|(n, _)| n);
        assert_eq!(
            n("Maître Hélène Dartigues").as_deref(),
            Some("Hélène Dartigues")
        );
        assert_eq!(
            n("Laurent Pichard, CFA").as_deref(),
            Some("Laurent Pichard")
        );
        assert_eq!(
            n("DELACROIX Christine").as_deref(),
            Some("DELACROIX Christine")
        );
        assert_eq!(n("J. Kervella").as_deref(), Some("J. Kervella"));
        assert_eq!(n("Gwenaël Le Bras").as_deref(), Some("Gwenaël Le Bras"));
        assert_eq!(n("Amaury de Kerlann").as_deref(), Some("Amaury de Kerlann"));
        assert_eq!(
            n("M. Gérald Fournival").as_deref(),
            Some("Gérald Fournival")
        );
        assert_eq!(n("Séverine").as_deref(), Some("Séverine"));
        assert_eq!(n("Le Service Clients"), None);
        assert_eq!(n("STOP"), None);
        assert_eq!(n("Kessler Family Office"), None);
        assert_eq!(n("Bureau de Paris"), None);
    }

    #[test]
    fn labels() {
        assert!(is_contact_label("Tél. :"));
        assert!(is_contact_label("(ligne directe)"));
        assert!(is_contact_label("Mob."));
        assert!(!is_contact_label("Gérant"));
    }
}
