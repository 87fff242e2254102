//! Base subject for threading: RFC 5256 section 2.1, with the reply/forward prefixes of French and
//! German mail clients added to `subj-refwd`.
//!
//! `subj-refwd` here is `("re" / "fw" / "fwd" / "tr" / "aw" / "wg" / ("ref" / "réf") ["."]) *WSP
//! [subj-blob] ":"`, case-insensitive. The colon stays mandatory, so "Réf. 2024-017 contrat" (a genuine
//! reference number) and words such as "Trésorerie:" are left alone, while "RE :", "Re[2]:",
//! "TR:", "Réf. :", "AW:" and "WG:" are removed, as are `[list tags]`, `(fwd)` trailers and
//! `[fwd: ...]` wrappers.

use unicode_normalization::UnicodeNormalization;

/// The base subject of a message and whether its subject marked it as a reply or forward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseSubject {
    /// Base subject in its original case, whitespace collapsed.
    pub text: String,
    /// A reply/forward prefix, a `(fwd)` trailer or a `[fwd: ]` wrapper was removed.
    pub reply_or_forward: bool,
}

impl BaseSubject {
    /// Comparison key: case-folded and compatibility-decomposed (as i;unicode-casemap compares).
    pub fn key(&self) -> String {
        self.text.to_lowercase().nfkd().collect()
    }
}

/// Prefixes accepted before the optional blob and the colon.
const REFWD: &[&str] = &["re", "fw", "fwd", "tr", "aw", "wg", "ref", "réf"];

/// RFC 5256 base subject of a decoded subject.
pub fn base_subject(subject: &str) -> BaseSubject {
    // (1) collapse whitespace; NFC so that a decomposed "é" still matches "réf".
    let mut s: Vec<char> = Vec::with_capacity(subject.len());
    for c in subject.nfc() {
        let c = if c.is_whitespace() { ' ' } else { c };
        if !(c == ' ' && s.last() == Some(&' ')) {
            s.push(c);
        }
    }
    let mut reply = false;
    loop {
        // (2) trailers
        loop {
            if s.last() == Some(&' ') {
                s.pop();
            } else if ends_with_ci(&s, "(fwd)") {
                s.truncate(s.len() - 5);
                reply = true;
            } else {
                break;
            }
        }
        // (3)-(5) leaders and blobs
        loop {
            let mut changed = false;
            while s.first() == Some(&' ') {
                s.remove(0);
                changed = true;
            }
            if let Some(end) = leader_end(&s) {
                s.drain(..end);
                reply = true;
                changed = true;
            }
            if let Some(end) = blob_end(&s, 0)
                && s[end..].iter().any(|c| *c != ' ')
            {
                s.drain(..end);
                changed = true;
            }
            if !changed {
                break;
            }
        }
        // (6) [fwd: ...] wrapper
        if starts_with_ci(&s, "[fwd:") && s.last() == Some(&']') {
            s.pop();
            s.drain(..5);
            reply = true;
            continue;
        }
        break;
    }
    BaseSubject {
        text: s.into_iter().collect(),
        reply_or_forward: reply,
    }
}

/// End of `*subj-blob subj-refwd` at the start of `s`.
fn leader_end(s: &[char]) -> Option<usize> {
    let mut pos = 0;
    while let Some(end) = blob_end(s, pos) {
        pos = end;
    }
    REFWD.iter().find_map(|p| refwd_end(s, pos, p))
}

fn refwd_end(s: &[char], start: usize, prefix: &str) -> Option<usize> {
    let mut pos = start;
    for p in prefix.chars() {
        let c = *s.get(pos)?;
        if !c.to_lowercase().eq(p.to_lowercase()) {
            return None;
        }
        pos += 1;
    }
    if prefix.starts_with('r') && prefix.ends_with('f') && s.get(pos) == Some(&'.') {
        pos += 1;
    }
    while s.get(pos) == Some(&' ') {
        pos += 1;
    }
    if let Some(end) = blob_end(s, pos) {
        pos = end;
    }
    (s.get(pos) == Some(&':')).then_some(pos + 1)
}

/// End of `"[" *BLOBCHAR "]" *WSP` starting at `start`.
fn blob_end(s: &[char], start: usize) -> Option<usize> {
    if s.get(start) != Some(&'[') {
        return None;
    }
    let close = start + 1 + s[start + 1..].iter().position(|c| *c == ']' || *c == '[')?;
    if s[close] != ']' {
        return None;
    }
    let mut pos = close + 1;
    while s.get(pos) == Some(&' ') {
        pos += 1;
    }
    Some(pos)
}

fn starts_with_ci(s: &[char], prefix: &str) -> bool {
    let n = prefix.chars().count();
    s.len() >= n
        && s[..n]
            .iter()
            .zip(prefix.chars())
            .all(|(a, b)| a.eq_ignore_ascii_case(&b))
}

fn ends_with_ci(s: &[char], suffix: &str) -> bool {
    let n = suffix.chars().count();
    s.len() >= n
        && s[s.len() - n..]
            .iter()
            .zip(suffix.chars())
            .all(|(a, b)| a.eq_ignore_ascii_case(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(s: &str) -> (String, bool) {
        let b = base_subject(s);
        (b.text, b.reply_or_forward)
    }

    #[test]
    fn english_prefixes_and_counters() {
        assert_eq!(
            base("Re: Re[2]: RE:  Fwd: fw: Hello"),
            ("Hello".into(), true)
        );
        assert_eq!(base("Hello (fwd) (FWD)  "), ("Hello".into(), true));
        assert_eq!(base("[fwd: Re: Hello]"), ("Hello".into(), true));
        assert_eq!(base("  Hello\t\r\n  world "), ("Hello world".into(), false));
    }

    #[test]
    fn french_and_german_prefixes() {
        assert_eq!(base("RE : TR: Réf. : Contrat"), ("Contrat".into(), true));
        assert_eq!(base("RÉF.: Contrat"), ("Contrat".into(), true));
        assert_eq!(base("Ref: AW: WG: Angebot"), ("Angebot".into(), true));
        assert_eq!(base("Tr : devis"), ("devis".into(), true));
    }

    #[test]
    fn list_tags_and_blobs() {
        assert_eq!(base("[crm-dev] Re: [crm-dev] Bug"), ("Bug".into(), true));
        assert_eq!(base("[ann] Release"), ("Release".into(), false));
        // A blob that is the whole subject stays.
        assert_eq!(base("[ann]"), ("[ann]".into(), false));
    }

    #[test]
    fn words_that_only_look_like_prefixes_stay() {
        assert_eq!(
            base("Réf. 2024-017 contrat"),
            ("Réf. 2024-017 contrat".into(), false)
        );
        assert_eq!(
            base("Trésorerie: point mensuel"),
            ("Trésorerie: point mensuel".into(), false)
        );
        assert_eq!(base("Request: access"), ("Request: access".into(), false));
        assert_eq!(base("Awesome: news"), ("Awesome: news".into(), false));
    }

    #[test]
    fn key_is_case_insensitive() {
        assert_eq!(
            base_subject("Re: HELLO World").key(),
            base_subject("hello world").key()
        );
    }

    #[test]
    fn empty_and_prefix_only() {
        assert_eq!(base(""), (String::new(), false));
        assert_eq!(base("Re:"), (String::new(), true));
    }
}
