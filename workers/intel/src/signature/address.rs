//! Postal addresses: French (number + type of way, 5-digit postcode + city, BP/CS, CEDEX),
//! Luxembourg/Belgian/Swiss (`L-2453 Luxembourg`, `Rue du Rhône 48, 1204 Genève`) and English ones.

use crate::text::{fold, re};
use regex::Regex;
use std::sync::LazyLock;

const WAYS: &str = r"rue|avenue|av|ave|bd|boulevard|blvd|place|allee|allees|chemin|quai|cours|esplanade|impasse|route|rte|square|passage|promenade|rond-point|voie|villa|cite|parvis|faubourg|fbg|parc|residence|lieu-dit|hameau|sentier|montee|traverse|mail|chaussee|street|st|road|rd|lane|drive|way|court|plaza|terrace|parkway|pkwy|strasse|platz|weg|via|viale|piazza|calle|rua|laan|straat|steenweg|lei";

static STREET: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?:^|[\s,(–-])\d{{1,4}}(?:\s?(?:bis|ter|quater|[a-d]))?\s*,?\s+(?:{WAYS})\.?\s+\S"
    ))
});
static STREET_EN: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:^|[\s,(])\d{1,5}\s+(?:[a-z][a-z.'\-]*\s+){1,3}(?:street|st|road|rd|avenue|ave|lane|drive|way|boulevard|blvd|court|plaza|parkway|square|terrace|place)\b\.?",
    )
});
static STREET_FIRST: LazyLock<Regex> =
    LazyLock::new(|| re(&format!(r"^(?:{WAYS})\.?\s+[a-z' \-]{{2,40}}\s\d{{1,4}}\b")));
static POSTCODE_CITY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:^|[\s,–-])(?:(?:F|FR|L|B|CH|D|MC|A)-)?\d{4,5}\s+\p{Lu}[\p{L}' \-]{1,40}?(?:\s+(?i:cedex)(?:\s*\d{1,2})?)?\s*(?:,|$|[–-]|\()",
    )
});
static BOX: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?:^|[\s,–-])(?:bp|cs|tsa|po box|p\.o\. box|case postale|cp)\s?\d{1,6}\b|\bcedex\b")
});
static US_STATE_ZIP: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b[A-Z][a-z]+,?\s+[A-Z]{2}\s+\d{5}(?:-\d{4})?\b"));
static SUITE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^(suite|floor|bureau|etage|étage)\s+\w+"));
static BUILDING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:zi|za|zac|zae|zone (?:industrielle|d'activites|artisanale)|parc (?:d'activites|tertiaire|technologique)|tour|immeuble|batiment|bat|residence|centre d'affaires|espace|technopole|campus|domaine|building|house|centre|center)\b",
    )
});
static LABEL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:adresse|address|siege(?: social)?|head office|bureaux?|agence(?: de [a-z' \-]+)?|office|locaux|visit us|nous trouver)\s*:\s*",
    )
});

/// Strength of the address evidence in one segment of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AddressCue {
    None,
    /// "Tour Orion", "ZI des Pradettes": only with a street next to it.
    Building,
    /// BP, CS, CEDEX, "Suite 400".
    Box,
    /// "75008 Paris", "L-2453 Luxembourg".
    PostcodeCity,
    /// "12 rue ...", "Rue du Rhône 48".
    Street,
    /// Street and postcode in the same segment.
    Full,
}

/// Address cue of a piece of text (folded inside).
pub fn cue(text: &str) -> AddressCue {
    let t = text.trim();
    if t.is_empty() || t.contains('@') || t.len() > 160 {
        return AddressCue::None;
    }
    let f = fold(t);
    let street = STREET.is_match(&f) || STREET_FIRST.is_match(&f) || STREET_EN.is_match(&f);
    let post = POSTCODE_CITY.is_match(t) || US_STATE_ZIP.is_match(t);
    match (street, post) {
        (true, true) => AddressCue::Full,
        (true, false) => AddressCue::Street,
        (false, true) => AddressCue::PostcodeCity,
        _ if BOX.is_match(&f) || SUITE.is_match(t) => AddressCue::Box,
        _ if BUILDING.is_match(&f) => AddressCue::Building,
        _ => AddressCue::None,
    }
}

/// Remove a leading label ("Agence de Pau : ", "Adresse : ").
pub fn strip_label(text: &str) -> &str {
    let f = fold(text);
    match LABEL.find(&f) {
        // the folded text has the same char count as the original for these labels only if ASCII
        // folding did not change lengths; map by char count
        Some(m) => {
            let chars = f[..m.end()].chars().count();
            let idx = text
                .char_indices()
                .nth(chars)
                .map_or(text.len(), |(i, _)| i);
            &text[idx..]
        }
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cues() {
        assert_eq!(cue("18 rue de la République"), AddressCue::Street);
        assert_eq!(cue("69289 Lyon Cedex 02"), AddressCue::PostcodeCity);
        assert_eq!(cue("CS 30125"), AddressCue::Box);
        assert_eq!(cue("7 avenue Montaigne, 75008 Paris"), AddressCue::Full);
        assert_eq!(
            cue("12, rue Eugène Ruppert, L-2453 Luxembourg"),
            AddressCue::Full
        );
        assert_eq!(cue("Rue du Rhône 48, 1204 Genève"), AddressCue::Full);
        assert_eq!(cue("Avenue Louise 326, 1050 Brussels"), AddressCue::Full);
        assert_eq!(cue("Tour Orion"), AddressCue::Building);
        assert_eq!(
            cue("1400 Smith Street, Houston, TX 77002"),
            AddressCue::Full
        );
        assert_eq!(cue("Directeur Général"), AddressCue::None);
        assert_eq!(cue("Je serai à Paris le 4 décembre"), AddressCue::None);
    }

    #[test]
    fn labels() {
        assert_eq!(
            strip_label("Agence de Pau : 3 rue Henri IV, 64000 Pau"),
            "3 rue Henri IV, 64000 Pau"
        );
        assert_eq!(strip_label("Adresse : 1 rue X"), "1 rue X");
    }
}
