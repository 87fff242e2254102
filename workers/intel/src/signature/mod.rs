//! The sender's signature: locate the block, cut its lines into pieces, and pick the name, title,
//! company, phones, emails, websites, LinkedIn URL and postal address, each with a confidence.

pub mod address;
pub mod block;
pub mod fields;
pub mod lexicon;
pub mod model;

use crate::analysis::{FieldConfidence, Phone, Signature};
use crate::body::disclaimer::is_legal_line;
use crate::contact::{email, phone, url};
use crate::text::{fold, re};
use address::AddressCue;
use block::Anchor;
use regex::Regex;
use std::sync::LazyLock;

/// What the message headers tell about the sender.
#[derive(Debug, Clone, Default)]
pub struct SenderHints {
    /// Display name of the From header.
    pub name: Option<String>,
    /// Address of the From header.
    pub email: Option<String>,
}

static SEPARATORS: LazyLock<Regex> =
    LazyLock::new(|| re(r"\s+[|·•/–—-]\s+|\s*\|\s*|\t+|\s{3,}|\s+[·•]\s*"));
static ON_BEHALF: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:pour (?:la soci[ée]t[ée]|la st[ée]|le cabinet|le compte de|l'[ée]tude)|on behalf of|for and on behalf of)\s+(.{2,80}?)\s*[,.]?$",
    )
});
static MANAGED_BY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:g[ée]r[ée]e? par|managed by|une marque (?:de|du groupe)|a brand of|filiale (?:de|du groupe)|a subsidiary of|membre du groupe|part of)\s+(.{2,60}?)\s*[,.]?$",
    )
});

/// One piece of a signature line between separators.
#[derive(Debug, Clone)]
struct Seg {
    line: usize,
    text: String,
    /// Separator written before this piece on its line (empty for the first piece).
    sep: String,
    legal: bool,
    cue: AddressCue,
}

#[derive(Debug, Default)]
struct Contacts {
    phones: Vec<Phone>,
    phone_labelled: Vec<bool>,
    fax: Vec<String>,
    emails: Vec<String>,
    urls: Vec<String>,
    linkedin: Option<String>,
}

/// Extract the signature of the author's own lines.
pub fn extract(own: &[String], hints: &SenderHints) -> Signature {
    let (loc, lines_model) = locate(own);
    let Some(loc) = loc else {
        return Signature::default();
    };
    let lines: Vec<&str> = own[loc.start..loc.end].iter().map(String::as_str).collect();
    let mut contacts = Contacts::default();
    let mut segs: Vec<Seg> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if block::is_delimiter(line) || line.trim().is_empty() || block::is_closing(line) {
            continue;
        }
        let residual = take_contacts(line, &mut contacts);
        let legal = is_legal_line(line);
        split_segments(i, &residual, legal, &mut segs);
    }
    let from_domain = hints
        .email
        .as_deref()
        .and_then(|e| e.rsplit_once('@'))
        .map(|(_, d)| d.to_lowercase());
    let mut domains: Vec<String> = contacts
        .emails
        .iter()
        .filter_map(|e| e.rsplit_once('@').map(|(_, d)| d.to_lowercase()))
        .chain(contacts.urls.iter().map(|u| url_domain(u)))
        .collect();
    domains.extend(from_domain);
    let local_part = hints
        .email
        .as_deref()
        .or(contacts.emails.first().map(String::as_str))
        .and_then(|e| e.split_once('@'))
        .map(|(l, _)| l.to_string());

    let mut sig = Signature::default();
    let mut used = vec![false; segs.len()];
    let mut conf = FieldConfidence::default();

    // address first: its pieces are not names or companies
    if let Some((addr, c)) = pick_address(&segs, &mut used) {
        sig.address = Some(addr);
        conf.address = c;
    }
    // name
    if let Some((idx, name, score)) =
        pick_name(&segs, &used, hints, local_part.as_deref(), loc.anchor)
    {
        used[idx] = true;
        conf.name = name_confidence(score, loc.anchor);
        sig.name = Some(name);
    }
    // company given explicitly ("Pour la société X", "gérée par X")
    for (i, s) in segs.iter().enumerate() {
        if used[i] {
            continue;
        }
        let cap = ON_BEHALF
            .captures(s.text.trim())
            .or_else(|| MANAGED_BY.captures(s.text.trim()));
        if let Some(c) = cap.and_then(|c| c.get(1)) {
            let v = clean_company(c.as_str());
            if !v.is_empty() {
                sig.company = Some(v);
                conf.company = 0.85;
                used[i] = true;
                // the piece before "– gérée par" names a product, not the company
                if i > 0 && segs[i - 1].line == s.line {
                    used[i - 1] = true;
                }
                break;
            }
        }
    }
    // title
    if let Some((title, c)) = pick_title(&segs, &mut used, &domains) {
        sig.title = Some(title);
        conf.title = c;
    }
    // company by score
    if sig.company.is_none()
        && let Some((company, c)) = pick_company(&segs, &mut used, &domains, sig.name.as_deref())
    {
        sig.company = Some(company);
        conf.company = c;
    }

    if let Some(classes) = &lines_model {
        apply_line_model(
            &mut sig, &mut conf, &segs, &mut used, classes, loc.start, hints,
        );
        // a company written as a domain: its line held only a URL, so no piece is left for it
        if sig.company.is_none()
            && let Some((i, p)) = lines.iter().enumerate().find_map(|(i, l)| {
                let (c, p) = classes.get(loc.start + i).copied()?;
                let t = l.trim();
                let whole_url = url::find(t).first().is_some_and(|u| u.url == t);
                (c == model::COMPANY && p >= 0.5 && whole_url).then_some((i, p))
            })
        {
            sig.company = Some(lines[i].trim().to_string());
            conf.company = f64::from(p).min(0.8);
        }
    }

    sig.phones = contacts.phones.iter().map(|p| p.e164.clone()).collect();
    conf.phones = if sig.phones.is_empty() {
        0.0
    } else if contacts.phone_labelled.iter().all(|&l| l) {
        0.95
    } else {
        0.85
    };
    sig.phone_details = contacts.phones;
    sig.fax = contacts.fax;
    conf.emails = if contacts.emails.is_empty() {
        0.0
    } else {
        0.97
    };
    sig.emails = contacts.emails;
    conf.urls = if contacts.urls.is_empty() { 0.0 } else { 0.9 };
    sig.urls = contacts.urls;
    conf.linkedin = if contacts.linkedin.is_some() {
        0.97
    } else {
        0.0
    };
    sig.linkedin = contacts.linkedin;

    let has_any = sig.name.is_some()
        || sig.title.is_some()
        || sig.company.is_some()
        || !sig.phones.is_empty()
        || !sig.emails.is_empty()
        || !sig.urls.is_empty()
        || sig.linkedin.is_some()
        || sig.address.is_some();
    if !has_any {
        return Signature::default();
    }
    // a trailing block found without closing formula is less certain
    if loc.anchor == Anchor::Trailing {
        for c in [&mut conf.title, &mut conf.company, &mut conf.address] {
            *c *= 0.9;
        }
    }
    sig.block = Some(lines.join("\n").trim().to_string());
    sig.confidence = conf;
    sig.overall_confidence = overall_confidence(&sig);
    sig
}

/// The block by the rules, widened by the line model: when no closing formula or delimiter
/// anchors it, the model's start of the trailing signature wins if it is earlier (a name alone on
/// the first line); when the rules find nothing, the model's block is taken. Also returns the
/// model's classes of the own lines (indexes into `own`).
fn locate(own: &[String]) -> (Option<block::Located>, Option<Vec<(usize, f32)>>) {
    let rules = block::locate(own);
    let from = own.len().saturating_sub(model::MAX_LINES);
    let tail: Vec<&str> = own[from..].iter().map(String::as_str).collect();
    let Some(classes) = model::classify(&tail) else {
        return (rules, None);
    };
    let mut full = vec![(0usize, 0f32); from];
    full.extend(classes);
    let start = model::block_start(&full[from..], &tail).map(|s| s + from);
    let located = match (rules, start) {
        (Some(l), Some(s)) if l.anchor == Anchor::Trailing && s < l.start => {
            Some(block::Located { start: s, ..l })
        }
        (None, Some(s)) => Some(block::Located {
            start: s,
            end: own.len(),
            anchor: Anchor::Trailing,
            closing: None,
        }),
        (l, _) => l,
    };
    (located, Some(full))
}

/// Let the line model name the name, title and company lines: a line it reads as a name with
/// probability 0.5 or more, whose text the rules accept as a name, is the name; a company line
/// becomes the company when the rules found none or took the name's line; a title line gives the
/// title when the rules found none.
fn apply_line_model(
    sig: &mut Signature,
    conf: &mut FieldConfidence,
    segs: &[Seg],
    used: &mut [bool],
    classes: &[(usize, f32)],
    block_start: usize,
    hints: &SenderHints,
) {
    let class_of = |seg: &Seg| classes.get(block_start + seg.line).copied();
    let whole_line = |i: usize| {
        let s = &segs[i];
        s.sep.is_empty() && segs.get(i + 1).is_none_or(|n| n.line != s.line)
    };
    let name_idx = (0..segs.len()).find(|&i| {
        whole_line(i)
            && class_of(&segs[i]).is_some_and(|(c, p)| c == model::NAME && p >= 0.5)
            && fields::name_candidate(&segs[i].text, hints.name.as_deref(), None).is_some()
    });
    if let Some(i) = name_idx
        && let Some((name, _)) = fields::name_candidate(&segs[i].text, hints.name.as_deref(), None)
        && sig.name.as_deref() != Some(name.as_str())
        // a full name beats a first name alone ("Paul" above "Paul Girardot")
        && (name.split_whitespace().count() >= 2
            || sig.name.as_deref().is_none_or(|n| n.split_whitespace().count() < 2))
    {
        if sig.company.as_deref() == Some(name.as_str()) {
            sig.company = None;
        }
        // the line the rules took for a name may be the company
        if let Some(old) = sig.name.take()
            && sig.company.is_none()
            && let Some(j) = (0..segs.len()).find(|&j| segs[j].text.trim() == old)
            && class_of(&segs[j]).is_some_and(|(c, _)| c == model::COMPANY)
        {
            sig.company = Some(clean_company(&segs[j].text));
            conf.company = 0.7;
        }
        used[i] = true;
        sig.name = Some(name);
        conf.name = f64::from(class_of(&segs[i]).map_or(0.5, |(_, p)| p)).min(0.95);
    }
    for (i, s) in segs.iter().enumerate() {
        if used[i] || !whole_line(i) {
            continue;
        }
        let Some((c, p)) = class_of(s) else { continue };
        if p < 0.5 {
            continue;
        }
        let text = s.text.trim();
        if c == model::COMPANY && sig.company.is_none() && sig.name.as_deref() != Some(text) {
            let v = clean_company(text);
            if !v.is_empty() {
                sig.company = Some(v);
                conf.company = f64::from(p).min(0.9);
                used[i] = true;
            }
        } else if c == model::TITLE && sig.title.is_none() {
            sig.title = Some(clean_title(text));
            conf.title = f64::from(p).min(0.9);
            used[i] = true;
        }
    }
}

/// Mean confidence of the fields that were found (0 when none).
pub fn overall_confidence(sig: &Signature) -> f64 {
    let c = &sig.confidence;
    let vals: Vec<f64> = [
        c.name, c.title, c.company, c.phones, c.emails, c.urls, c.linkedin, c.address,
    ]
    .into_iter()
    .filter(|&v| v > 0.0)
    .collect();
    if vals.is_empty() {
        0.0
    } else {
        let m = vals.iter().sum::<f64>() / vals.len() as f64;
        (m * 1000.0).round() / 1000.0
    }
}

fn url_domain(u: &str) -> String {
    let l = u.to_lowercase();
    let l = l
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_start_matches("www.");
    l.split('/').next().unwrap_or("").to_string()
}

/// Remove phones, emails and URLs from a line (recording them); returns what is left.
fn take_contacts(line: &str, c: &mut Contacts) -> String {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for e in email::find(line) {
        if !c.emails.iter().any(|x| x.eq_ignore_ascii_case(&e.2)) {
            c.emails.push(e.2.clone());
        }
        spans.push((e.0, e.1));
    }
    for u in url::find(line) {
        if u.linkedin {
            if c.linkedin.is_none() {
                c.linkedin = Some(u.url.clone());
            }
        } else if let Some(i) = c.urls.iter().position(|x| url::same_site(x, &u.url)) {
            // one website once, in its most explicit form (`www.x.fr` over a bare `X.fr`)
            if url::is_explicit(&u.url) && !url::is_explicit(&c.urls[i]) {
                c.urls[i] = u.url.clone();
            }
        } else {
            c.urls.push(u.url.clone());
        }
        spans.push((u.start, u.end));
    }
    if line.bytes().filter(u8::is_ascii_digit).count() >= 8 {
        for p in phone::find_in_line(line) {
            if spans.iter().any(|&(s, e)| p.start < e && s < p.end) {
                continue;
            }
            if p.fax {
                if !c.fax.contains(&p.phone.e164) {
                    c.fax.push(p.phone.e164.clone());
                }
            } else if !c.phones.iter().any(|x| x.e164 == p.phone.e164)
                && c.phones.len() < phone::MAX_PER_TEXT
            {
                let before = fold(&line[..p.start]);
                c.phone_labelled.push(
                    before.trim_end().ends_with(':')
                        || before.contains("tel")
                        || before.trim_end().ends_with('.'),
                );
                c.phones.push(p.phone);
            }
            spans.push((p.start, p.end));
        }
    }
    if spans.is_empty() {
        return line.to_string();
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(line.len());
    let mut pos = 0;
    for (s, e) in spans {
        if s < pos {
            pos = pos.max(e);
            continue;
        }
        out.push_str(&line[pos..s]);
        out.push_str(" | ");
        pos = e;
    }
    out.push_str(&line[pos.min(line.len())..]);
    out
}

fn split_segments(line: usize, text: &str, legal: bool, out: &mut Vec<Seg>) {
    let mut last = 0;
    let mut sep = String::new();
    let push = |piece: &str, sep: &str, out: &mut Vec<Seg>| {
        let t = piece.trim();
        if fields::is_contact_label(t) {
            return;
        }
        // leading emoji or bullets
        let t = t.trim_start_matches(|c: char| !c.is_alphanumeric() && c != '(' && c != '\'');
        if t.is_empty() {
            return;
        }
        let t = address::strip_label(t).trim();
        out.push(Seg {
            line,
            text: t.to_string(),
            sep: sep.to_string(),
            legal,
            cue: address::cue(t),
        });
    };
    for m in SEPARATORS.find_iter(text) {
        push(&text[last..m.start()], &sep, out);
        sep = m.as_str().to_string();
        last = m.end();
    }
    push(&text[last..], &sep, out);
}

fn pick_address(segs: &[Seg], used: &mut [bool]) -> Option<(String, f64)> {
    let strong = |c: AddressCue| {
        matches!(
            c,
            AddressCue::Full | AddressCue::Street | AddressCue::PostcodeCity
        )
    };
    // prefer addresses outside legal lines
    for pass_legal in [false, true] {
        let Some(first) = segs
            .iter()
            .position(|s| strong(s.cue) && s.legal == pass_legal)
        else {
            continue;
        };
        let line = segs[first].line;
        // extend backwards on the same line over address pieces (building, box), and over a
        // previous building line
        let mut start = first;
        while start > 0 && segs[start - 1].line == line && segs[start - 1].cue != AddressCue::None {
            start -= 1;
        }
        if start > 0
            && segs[start - 1].line + 1 == line
            && matches!(
                segs[start - 1].cue,
                AddressCue::Building | AddressCue::Street
            )
            && (start < 2 || segs[start - 2].line != segs[start - 1].line)
        {
            start -= 1;
        }
        let mut end = first + 1;
        let mut full = segs[first].cue == AddressCue::Full;
        let mut has_street = matches!(segs[first].cue, AddressCue::Full | AddressCue::Street);
        let mut has_post = matches!(segs[first].cue, AddressCue::Full | AddressCue::PostcodeCity);
        while end < segs.len() {
            let s = &segs[end];
            let prev_line = segs[end - 1].line;
            let same_line = s.line == prev_line;
            let next_line = s.line == prev_line + 1 && segs[end - 1].cue != AddressCue::None;
            if s.cue == AddressCue::None
                || !(same_line || next_line)
                || s.legal != pass_legal && !same_line
            {
                break;
            }
            // a new line must start with its address piece
            if next_line && segs.iter().take(end).any(|x| x.line == s.line) {
                break;
            }
            has_street |= matches!(s.cue, AddressCue::Full | AddressCue::Street);
            has_post |= matches!(s.cue, AddressCue::Full | AddressCue::PostcodeCity);
            full |= s.cue == AddressCue::Full;
            end += 1;
        }
        let mut text = String::new();
        for (k, s) in segs[start..end].iter().enumerate() {
            if k > 0 {
                if s.line != segs[start + k - 1].line {
                    text.push('\n');
                } else {
                    text.push_str(&s.sep);
                }
            }
            text.push_str(s.text.trim_end_matches([',', ';']));
        }
        for u in used.iter_mut().take(end).skip(start) {
            *u = true;
        }
        let conf = if full || has_street && has_post {
            0.9
        } else if has_street {
            0.7
        } else {
            0.6
        };
        return Some((
            text.trim().to_string(),
            if pass_legal { conf * 0.8 } else { conf },
        ));
    }
    None
}

fn pick_name(
    segs: &[Seg],
    used: &[bool],
    hints: &SenderHints,
    local_part: Option<&str>,
    anchor: Anchor,
) -> Option<(usize, String, f64)> {
    let mut cands: Vec<(usize, String, f64)> = Vec::new();
    for (i, s) in segs.iter().enumerate() {
        if used[i] || s.legal {
            continue;
        }
        // a name stands first on its line
        if !s.sep.is_empty()
            && segs
                .get(i.wrapping_sub(1))
                .is_some_and(|p| p.line == s.line)
        {
            // "Thomas Rigal / Rigal Finance": only the first piece is a name candidate
            continue;
        }
        if fields::title_score(&s.text) >= 2.5 || fields::company_score(&s.text, &[]) >= 2.0 {
            continue;
        }
        if let Some((name, mut score)) =
            fields::name_candidate(&s.text, hints.name.as_deref(), local_part)
        {
            if cands.is_empty() {
                score += 0.5;
            }
            cands.push((i, name, score));
        }
    }
    // a full name beats a first name alone ("Paul" then "Paul Girardot", "Fred" then "Frédéric ...")
    let full = cands
        .iter()
        .filter(|c| c.1.split_whitespace().count() >= 2)
        .max_by(|a, b| {
            a.2.partial_cmp(&b.2)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(b.0.cmp(&a.0))
        });
    if let Some(f) = full {
        return Some(f.clone());
    }
    // a lone first name only right at the top of a block after a closing formula or as the whole
    // trailing block
    let first = cands.first()?;
    if first.0 == 0 || anchor != Anchor::Trailing || segs.len() == 1 {
        return Some(first.clone());
    }
    None
}

fn name_confidence(score: f64, anchor: Anchor) -> f64 {
    let base: f64 = if score >= 5.0 {
        0.95
    } else if score >= 3.0 {
        0.88
    } else {
        0.7
    };
    match anchor {
        Anchor::Trailing => base * 0.9,
        _ => base,
    }
}

fn clean_title(s: &str) -> String {
    fields::strip_article(s)
        .trim_end_matches([',', ';', ':'])
        .trim()
        .to_string()
}

fn pick_title(segs: &[Seg], used: &mut [bool], domains: &[String]) -> Option<(String, f64)> {
    let best = segs
        .iter()
        .enumerate()
        .filter(|(i, s)| !used[*i] && !s.legal && s.cue == AddressCue::None)
        .map(|(i, s)| (i, fields::title_score(&s.text)))
        .find(|(_, sc)| *sc >= 2.0)?;
    let (i, score) = best;
    used[i] = true;
    let mut title = segs[i].text.clone();
    // merge the following pieces of the same line that describe the job (a dash or slash between)
    let mut j = i + 1;
    while j < segs.len() && segs[j].line == segs[i].line && !used[j] {
        let sep = segs[j].sep.trim();
        let t = &segs[j].text;
        let is_title = fields::title_score(t) >= 2.0;
        let dash = matches!(sep, "–" | "—" | "-");
        let slash = sep == "/";
        let descriptor = fields::company_score(t, domains) < 2.0 && fields::title_score(t) < 2.0;
        if (dash && (is_title || descriptor)) || (slash && is_title) {
            title.push_str(&segs[j].sep);
            title.push_str(t);
            used[j] = true;
            j += 1;
        } else {
            break;
        }
    }
    let conf = if score >= 3.0 { 0.85 } else { 0.7 };
    Some((clean_title(&title), conf))
}

fn clean_company(s: &str) -> String {
    let t = fields::strip_article(s)
        .trim()
        .trim_end_matches([',', ';', ':', '.'])
        .trim();
    // "SCP Dartigues & Lafon, notaires associés" → cut a lower-case description or a place
    let t = match t.split_once(", ") {
        Some((a, b)) => {
            let b_first = b.chars().next();
            let is_place = b.split_whitespace().count() <= 2
                && b_first.is_some_and(char::is_uppercase)
                && !b.contains('&');
            if b_first.is_some_and(char::is_lowercase) || is_place {
                a
            } else {
                t
            }
        }
        None => t,
    };
    t.trim().to_string()
}

fn pick_company(
    segs: &[Seg],
    used: &mut [bool],
    domains: &[String],
    name: Option<&str>,
) -> Option<(String, f64)> {
    let mut best: Option<(usize, f64)> = None;
    for (i, s) in segs.iter().enumerate() {
        if used[i] || s.cue >= AddressCue::Box {
            continue;
        }
        let mut sc = fields::company_score(&s.text, domains);
        if s.legal {
            sc -= 1.5;
        }
        // "Saphir Gestion – Groupe Mutualiste Saphir": the second organisation describes the first
        if i > 0
            && segs[i - 1].line == s.line
            && fields::company_score(&segs[i - 1].text, domains) >= 2.0
        {
            sc -= 2.0;
        }
        if name.is_some_and(|n| n.eq_ignore_ascii_case(s.text.trim())) {
            continue;
        }
        if sc >= 2.0 && best.is_none_or(|(_, b)| sc > b + 0.01) {
            best = Some((i, sc));
        }
    }
    let (i, sc) = best?;
    used[i] = true;
    let conf = if sc >= 4.0 {
        0.9
    } else if sc >= 3.0 {
        0.8
    } else {
        0.65
    };
    Some((clean_company(&segs[i].text), conf))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(text: &str) -> Signature {
        let p = crate::body::prepare(text);
        extract(&p.own, &SenderHints::default())
    }

    #[test]
    fn classic_french_signature() {
        let s = sig(
            "Bonjour,\n\nVoici le document.\n\nCordialement,\n\nSophie Garnier-Leduc\nResponsable Partenariats\nAlizarine Gestion\n18 rue de la République\nCS 30125\n69289 Lyon Cedex 02\nTél. : +33 (0)4 65 71 48 20\nsophie.garnier-leduc@alizarine-gestion.fr\nwww.alizarine-gestion.fr",
        );
        assert_eq!(s.name.as_deref(), Some("Sophie Garnier-Leduc"));
        assert_eq!(s.title.as_deref(), Some("Responsable Partenariats"));
        assert_eq!(s.company.as_deref(), Some("Alizarine Gestion"));
        assert_eq!(
            s.address.as_deref(),
            Some("18 rue de la République\nCS 30125\n69289 Lyon Cedex 02")
        );
        assert_eq!(s.phones, vec!["+33465714820"]);
        assert_eq!(s.urls, vec!["www.alizarine-gestion.fr"]);
        assert!(s.overall_confidence > 0.5);
    }

    #[test]
    fn one_line_signature() {
        let s = sig(
            "Merci.\n\nBien cordialement,\n\nMarc-Antoine Delaunay | Directeur de la Gestion Privée | Banque Morlaix & Cie | 01 99 00 23 41 | ma.delaunay@banque-morlaix.fr",
        );
        assert_eq!(s.name.as_deref(), Some("Marc-Antoine Delaunay"));
        assert_eq!(s.title.as_deref(), Some("Directeur de la Gestion Privée"));
        assert_eq!(s.company.as_deref(), Some("Banque Morlaix & Cie"));
        assert_eq!(s.phones, vec!["+33199002341"]);
    }

    #[test]
    fn nothing_to_sign() {
        assert_eq!(sig("STOP"), Signature::default());
        assert_eq!(
            sig("Please unsubscribe me from your mailing list."),
            Signature::default()
        );
    }
}
