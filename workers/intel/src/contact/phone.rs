//! Phone numbers: candidates in a line, their label (Tél., Mob., Ligne directe, Fax...), and E.164
//! normalisation with France as the default region.

use crate::analysis::{Phone, PhoneKind};
use crate::text::{fold, re};
use phonenumber::{Mode, country};
use regex::Regex;
use std::sync::LazyLock;

/// Most numbers looked up in one text (the library's per-country metadata is costly on first use).
pub const MAX_PER_TEXT: usize = 24;

static CANDIDATE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:\+|\b00|\(|\b)\d(?:[ .\-]{0,2}(?:\(0\)|\(\d{1,4}\)|\d)){6,17}\b"));
static NANP: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?:\+?1[ .\-]?)?\(?[2-9]\d{2}\)?[ .\-]?\d{3}[ .\-]\d{4}$"));
static MOBILE_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:^|[\s(|:./-])(mob|mobile|portable|port|gsm|cell|cellular|cellulaire|handy|m)\s*[.:]?\s*$",
    )
});
static FAX_LABEL: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:^|[\s(|:./-])(fax|telefax|telecopie|f)\s*[.:]?\s*$"));
static LANDLINE_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:^|[\s(|:./-])(tel|tel\. standard|tel standard|telephone|phone|ph|t|p|d|o|ligne directe|direct|direct line|desk|bureau|standard|switchboard|office|fixe|work)\s*[.:]?\s*$",
    )
});
static NOT_PHONE_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(orias|siret|siren|rcs|tva|vat|capital|iban|bic|rib|n°|no\.|numero|num\.|agrement|gp-|cpi|carte|dossier|contrat|compte|account|isin|ref|reference|client|associe|adherent|police|matricule|code)\s*[:.]?\s*$",
    )
});

/// Read one number as written (`01 42 00 00 00`, `+33 (0)1 42...`, `(713) 853-0380`) into E.164.
pub fn normalize(raw: &str) -> Option<Phone> {
    let t = raw.trim();
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 8 || digits.len() > 15 {
        return None;
    }
    let intl = t.starts_with('+') || t.starts_with("00");
    let region = if intl {
        None
    } else if digits.starts_with('0') && digits.len() == 10 {
        Some(country::Id::FR)
    } else if NANP.is_match(t) {
        Some(country::Id::US)
    } else if digits.len() == 9 && !digits.starts_with('0') {
        // French number written without its leading 0 ("6 39 98 ...") is rare; refuse
        return None;
    } else {
        Some(country::Id::FR)
    };
    let cleaned: String = if intl {
        // "+33 (0)4 ..." → drop the trunk prefix in brackets
        let no_trunk = t.replace("(0)", "");
        let d: String = no_trunk.chars().filter(char::is_ascii_digit).collect();
        let d = d.strip_prefix("00").map(str::to_string).unwrap_or(d);
        format!("+{d}")
    } else {
        digits.clone()
    };
    let parsed = phonenumber::parse(region, &cleaned).ok();
    let e164 = match &parsed {
        Some(n) => n.format().mode(Mode::E164).to_string(),
        None if intl => cleaned.clone(),
        None => return None,
    };
    let e_digits = e164.len().saturating_sub(1);
    if !(8..=15).contains(&e_digits) {
        return None;
    }
    // a French national number must have 9 digits after +33
    if e164.starts_with("+33") && e164.len() != 12 {
        return None;
    }
    let mut kind = match parsed
        .as_ref()
        .map(|n| n.number_type(&phonenumber::metadata::DATABASE))
    {
        Some(phonenumber::Type::Mobile) => PhoneKind::Mobile,
        Some(phonenumber::Type::FixedLine) => PhoneKind::Landline,
        _ => PhoneKind::Unknown,
    };
    if kind == PhoneKind::Unknown && e164.starts_with("+33") {
        kind = match e164.as_bytes().get(3) {
            Some(b'6' | b'7') => PhoneKind::Mobile,
            Some(b'1'..=b'5' | b'9') => PhoneKind::Landline,
            _ => PhoneKind::Unknown,
        };
    }
    Some(Phone {
        e164,
        kind,
        raw: t.to_string(),
    })
}

/// A number found in a line.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundPhone {
    pub phone: Phone,
    pub start: usize,
    pub end: usize,
    /// Labelled as a fax ("Fax :", "F.", "(fax)").
    pub fax: bool,
}

/// Phone numbers in one line (labels are read on the same line).
pub fn find_in_line(line: &str) -> Vec<FoundPhone> {
    let mut out = Vec::new();
    let mut prev_end = 0;
    for m in CANDIDATE.find_iter(line) {
        let raw = m.as_str();
        let before = &line[..m.start()];
        let after = &line[m.end()..];
        // amounts, percentages, dates and times are not phones
        let after_t = after.trim_start();
        if after_t.starts_with('€')
            || after_t.starts_with('%')
            || after_t.starts_with('$')
            || fold(after_t).starts_with("eur")
            || after.starts_with(':')
            || after.starts_with('/')
            || before.ends_with('/')
            || before.ends_with('-')
            || before.ends_with('@')
            || before.ends_with('.') && !before.ends_with(". ")
            || after.starts_with('@')
        {
            continue;
        }
        let label = fold(&line[prev_end..m.start()]);
        let label = label.trim_end();
        if NOT_PHONE_CONTEXT.is_match(label) {
            continue;
        }
        let Some(mut phone) = normalize(raw) else {
            continue;
        };
        let after_label = fold(after_t.get(..after_t.len().min(14)).unwrap_or(""));
        let fax = FAX_LABEL.is_match(label)
            || after_label.starts_with("(fax")
            || after_label.starts_with("fax");
        if MOBILE_LABEL.is_match(label)
            || after_label.starts_with("(mob")
            || after_label.starts_with("(cell")
            || after_label.starts_with("(port")
        {
            phone.kind = PhoneKind::Mobile;
        } else if LANDLINE_LABEL.is_match(label) && phone.kind == PhoneKind::Unknown {
            phone.kind = PhoneKind::Landline;
        }
        out.push(FoundPhone {
            phone,
            start: m.start(),
            end: m.end(),
            fax,
        });
        prev_end = m.end();
    }
    out
}

/// Phone numbers of a whole text (at most [`MAX_PER_TEXT`]), E.164, without duplicates.
pub fn find_all(text: &str) -> Vec<FoundPhone> {
    let mut out: Vec<FoundPhone> = Vec::new();
    for line in text.lines() {
        if !line.bytes().any(|b| b.is_ascii_digit()) {
            continue;
        }
        for f in find_in_line(line) {
            if !out.iter().any(|o| o.phone.e164 == f.phone.e164) {
                out.push(f);
            }
            if out.len() >= MAX_PER_TEXT {
                return out;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(s: &str) -> Option<String> {
        normalize(s).map(|p| p.e164)
    }

    #[test]
    fn french_formats() {
        assert_eq!(e164("01 99 00 23 41").as_deref(), Some("+33199002341"));
        assert_eq!(e164("06.39.98.21.47").as_deref(), Some("+33639982147"));
        assert_eq!(e164("0261914471").as_deref(), Some("+33261914471"));
        assert_eq!(
            e164("+33 (0)4 65 71 48 20").as_deref(),
            Some("+33465714820")
        );
        assert_eq!(e164("+33.1.99.00.64.21").as_deref(), Some("+33199006421"));
        assert_eq!(e164("0033 1 42 00 00 00").as_deref(), Some("+33142000000"));
    }

    #[test]
    fn foreign_formats() {
        assert_eq!(e164("+44 20 7946 0211").as_deref(), Some("+442079460211"));
        assert_eq!(e164("+352 26 48 91 20").as_deref(), Some("+35226489120"));
        assert_eq!(e164("+41 22 318 44 70").as_deref(), Some("+41223184470"));
        assert_eq!(e164("(713) 853-0380").as_deref(), Some("+17138530380"));
        assert_eq!(e164("713-853-0380").as_deref(), Some("+17138530380"));
    }

    #[test]
    fn kinds() {
        assert_eq!(
            normalize("06 12 34 56 78").map(|p| p.kind),
            Some(PhoneKind::Mobile)
        );
        assert_eq!(
            normalize("01 42 00 00 00").map(|p| p.kind),
            Some(PhoneKind::Landline)
        );
    }

    #[test]
    fn labels_and_fax() {
        let f =
            find_in_line("Tél. : 02 61 91 33 70 – Mob. : 06 39 98 57 12 – Fax : 02 61 91 33 71");
        assert_eq!(f.len(), 3);
        assert_eq!(f[1].phone.kind, PhoneKind::Mobile);
        assert!(f[2].fax && !f[0].fax && !f[1].fax);
        let f = find_in_line("713-646-5745 (fax)");
        assert!(f[0].fax);
        let f = find_in_line("Tél. 01 99 00 34 67 / 06 39 98 34 67");
        assert_eq!(f.len(), 2);
    }

    #[test]
    fn not_phones() {
        assert!(find_in_line("N° ORIAS : 14 005 812").is_empty());
        assert!(find_in_line("SIRET 812 447 903 00018").is_empty());
        assert!(find_in_line("SAS au capital de 40 000 000 €").is_empty());
        assert!(find_in_line("RCS Lyon 821 447 050").is_empty());
        assert!(find_in_line("Status code: 550 5.1.10").is_empty());
    }
}
