//! Names: company names compared without legal forms, case or accents (Jaro-Winkler similarity), and
//! person names split into first and last name.

use unicode_normalization::UnicodeNormalization;

/// Legal forms and filler words dropped before comparing company names.
const NOISE: &[&str] = &[
    "sa", "sas", "sasu", "sarl", "eurl", "sca", "sci", "scs", "snc", "se", "gie", "ag", "gmbh",
    "kg", "bv", "nv", "spa", "srl", "ltd", "limited", "llp", "llc", "inc", "plc", "corp", "co",
    "cie", "et", "and", "the", "le", "la", "les", "l", "de", "du", "des", "d", "group", "groupe",
];

/// Lower-case, accents removed, punctuation as spaces, legal forms and fillers dropped.
pub fn company_key(name: &str) -> String {
    let folded: String = name
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        // `S.A.` is `sa`: dots join abbreviations.
        .filter(|c| *c != '.')
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    folded
        .split_whitespace()
        .filter(|w| !NOISE.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Similarity of two company names in [0, 1] (Jaro-Winkler on [`company_key`]); 0 when either is empty.
pub fn company_similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (company_key(a), company_key(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    strsim::jaro_winkler(&a, &b)
}

/// Particles of last names.
const PARTICLES: &[&str] = &[
    "de", "du", "des", "d'", "le", "la", "van", "von", "der", "den", "di", "da", "del",
];

/// A person's name split into (first, last): the last word is the last name unless written in capitals
/// first (`MARTIN Jeanne`, the French administrative order). `None` without two words.
pub fn split_person_name(name: &str) -> Option<(String, String)> {
    let words: Vec<&str> = name
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .collect();
    if words.len() < 2 || words.len() > 5 {
        return None;
    }
    let upper = |w: &str| {
        w.chars()
            .filter(|c| c.is_alphabetic())
            .all(char::is_uppercase)
    };
    let first_upper = upper(words[0]) && !words[1..].iter().all(|w| upper(w));
    let (first, last) = if first_upper {
        (words[1..].join(" "), title_case(words[0]))
    } else {
        // Particles before the last word belong to the last name (`de Villiers`, `van der Berg`).
        let mut cut = words.len() - 1;
        while cut > 1 && PARTICLES.contains(&words[cut - 1].to_lowercase().as_str()) {
            cut -= 1;
        }
        let last: Vec<String> = words[cut..]
            .iter()
            .map(|w| {
                if upper(w) {
                    title_case(w)
                } else {
                    (*w).to_owned()
                }
            })
            .collect();
        (words[..cut].join(" "), last.join(" "))
    };
    Some((first, last))
}

/// `MARTIN` → `Martin`, `LE-GALL` → `Le-Gall`.
fn title_case(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut start = true;
    for c in word.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        start = !c.is_alphabetic();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_names_compare_without_legal_forms_or_accents() {
        assert_eq!(company_key("Société Générale S.A."), "societe generale");
        assert_eq!(company_key("ODDO BHF SCA"), "oddo bhf");
        assert!(company_similarity("Société Générale", "SOCIETE GENERALE SA") > 0.99);
        assert!(company_similarity("Amundi Asset Management", "Amundi AM") > 0.85);
        assert!(company_similarity("Lazard Frères Gestion", "Rothschild & Co") < 0.7);
        assert_eq!(company_similarity("SA", "Lazard"), 0.0);
    }

    #[test]
    fn person_names_split_in_both_orders() {
        let s = |n: &str| split_person_name(n);
        assert_eq!(s("Jeanne Martin"), Some(("Jeanne".into(), "Martin".into())));
        assert_eq!(s("MARTIN Jeanne"), Some(("Jeanne".into(), "Martin".into())));
        assert_eq!(
            s("Jean-Pierre LE-GALL"),
            Some(("Jean-Pierre".into(), "Le-Gall".into()))
        );
        assert_eq!(
            s("Marie Anne de Villiers"),
            Some(("Marie Anne".into(), "de Villiers".into()))
        );
        assert_eq!(s("Jeanne"), None);
        assert_eq!(s("JM"), None);
    }
}
