//! Top keywords of the author's text: frequent content words (stop words of French and English
//! removed), ties broken by first appearance.

use crate::text::fold;
use std::collections::HashMap;

const STOP: &[&str] = &[
    "avec",
    "dans",
    "pour",
    "vous",
    "nous",
    "votre",
    "vos",
    "notre",
    "nos",
    "leur",
    "leurs",
    "cette",
    "ces",
    "mais",
    "donc",
    "comme",
    "plus",
    "tres",
    "bien",
    "tout",
    "tous",
    "toute",
    "toutes",
    "sont",
    "suis",
    "etre",
    "avoir",
    "avez",
    "avons",
    "fait",
    "faire",
    "peut",
    "pouvez",
    "pourriez",
    "merci",
    "bonjour",
    "cordialement",
    "madame",
    "monsieur",
    "aussi",
    "alors",
    "quel",
    "quelle",
    "quels",
    "quelles",
    "entre",
    "depuis",
    "apres",
    "avant",
    "encore",
    "deja",
    "ainsi",
    "sans",
    "sous",
    "chez",
    "elle",
    "elles",
    "ils",
    "lui",
    "moi",
    "mon",
    "mes",
    "souhaite",
    "souhaiterais",
    "pourrions",
    "serait",
    "etait",
    "sera",
    "that",
    "this",
    "with",
    "from",
    "have",
    "will",
    "would",
    "could",
    "your",
    "yours",
    "their",
    "there",
    "what",
    "which",
    "when",
    "where",
    "about",
    "please",
    "thanks",
    "thank",
    "regards",
    "best",
    "kind",
    "hello",
    "dear",
    "been",
    "were",
    "they",
    "them",
    "then",
    "than",
    "also",
    "just",
    "into",
    "some",
    "more",
    "only",
    "very",
    "much",
    "many",
    "here",
    "well",
    "next",
    "week",
    "ainsi",
    "afin",
    "lors",
    "notamment",
    "chaque",
    "autre",
    "autres",
    "meme",
    "celle",
    "celui",
    "ceux",
    "dont",
    "vers",
    "part",
    "parts",
    "jour",
    "jours",
    "semaine",
    "mois",
    "annee",
    "demain",
    "hier",
    "aujourd",
    "retour",
];

/// Up to `n` keywords of a text.
pub fn top(text: &str, n: usize) -> Vec<String> {
    let t = crate::text::truncate(text, 16 * 1024);
    // counted by folded form, shown in the first lower-case spelling met
    let mut counts: HashMap<String, (usize, usize, String)> = HashMap::new();
    for (pos, w) in t
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .enumerate()
    {
        let w = w.trim_matches('-');
        if w.chars().count() < 4 || w.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let k = fold(w);
        if STOP.contains(&k.as_str()) {
            continue;
        }
        let e = counts
            .entry(k)
            .or_insert_with(|| (0, pos, w.to_lowercase()));
        e.0 += 1;
    }
    let mut v: Vec<(usize, usize, String)> = counts.into_values().collect();
    v.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    v.into_iter().take(n).map(|(_, _, w)| w).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ranks_by_frequency() {
        let k = super::top(
            "Le fonds obligataire, le fonds daté et le reporting du fonds.",
            3,
        );
        assert_eq!(k[0], "fonds");
        assert!(k.contains(&"obligataire".to_string()));
    }
}
