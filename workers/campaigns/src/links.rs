//! The signed links of campaign mail: unsubscribe (HTTPS and mailto), open pixel and click redirect. A
//! link carries the send record's id and a keyed signature (`Purpose::CampaignLink`) over what it does, so
//! ids cannot be walked and a click redirect only ever goes to a URL the message itself contained.

use shared::keyed_hash::{KeyedHasher, Purpose};
use shared::models::campaign::CampaignSendId;

/// Hex characters of signature kept in a link (128 bits).
const SIG_HEX: usize = 32;

/// What a link does (part of the signed text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Unsubscribe,
    Open,
    Click,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Unsubscribe => "u",
            Kind::Open => "o",
            Kind::Click => "c",
        }
    }
}

/// Makes and checks links under the API's public address.
#[derive(Debug, Clone)]
pub struct Links {
    base: String,
    hasher: KeyedHasher,
}

impl Links {
    /// `public_url`: the API's public address (`API_PUBLIC_URL`).
    pub fn new(public_url: &url::Url, hasher: KeyedHasher) -> Self {
        Self {
            base: public_url.as_str().trim_end_matches('/').to_owned(),
            hasher,
        }
    }

    fn sign(&self, kind: Kind, send: CampaignSendId, extra: &str) -> String {
        let text = format!("{}:{}:{}", kind.label(), send.0, extra);
        let mut h = self.hasher.hash(Purpose::CampaignLink, text.as_bytes());
        h.truncate(SIG_HEX);
        h
    }

    fn token(&self, kind: Kind, send: CampaignSendId, extra: &str) -> String {
        format!("{}.{}", send.0, self.sign(kind, send, extra))
    }

    fn check(&self, kind: Kind, token: &str, extra: &str) -> Option<CampaignSendId> {
        let (id, sig) = token.split_once('.')?;
        let send = CampaignSendId(id.parse().ok().filter(|n: &i64| *n > 0)?);
        let expected = self.sign(kind, send, extra);
        constant_time_eq(expected.as_bytes(), sig.as_bytes()).then_some(send)
    }

    /// The unsubscribe token of a send (in the HTTPS link and the mailto subject).
    pub fn unsubscribe_token(&self, send: CampaignSendId) -> String {
        self.token(Kind::Unsubscribe, send, "")
    }

    /// `GET` shows a confirmation page, `POST` (RFC 8058 one-click, or the page's button) unsubscribes.
    pub fn unsubscribe_url(&self, send: CampaignSendId) -> String {
        format!(
            "{}/api/v1/campaigns/unsubscribe/{}",
            self.base,
            self.unsubscribe_token(send)
        )
    }

    /// `mailto:` unsubscribe: a message to `address` whose subject carries the token.
    pub fn unsubscribe_mailto(&self, address: &str, send: CampaignSendId) -> String {
        format!(
            "mailto:{address}?subject=unsubscribe%20{}",
            self.unsubscribe_token(send)
        )
    }

    pub fn verify_unsubscribe(&self, token: &str) -> Option<CampaignSendId> {
        self.check(Kind::Unsubscribe, token, "")
    }

    /// Finds an unsubscribe token in a subject (`unsubscribe <token>`, any case, `Re:` prefixes allowed).
    pub fn unsubscribe_in_subject(&self, subject: &str) -> Option<CampaignSendId> {
        let lower = subject.to_ascii_lowercase();
        let at = lower.find("unsubscribe")?;
        subject[at + "unsubscribe".len()..]
            .split(|c: char| c.is_whitespace() || c == ':')
            .find(|w| !w.is_empty())
            .and_then(|t| self.verify_unsubscribe(t))
    }

    pub fn open_url(&self, send: CampaignSendId) -> String {
        format!(
            "{}/api/v1/campaigns/o/{}.gif",
            self.base,
            self.token(Kind::Open, send, "")
        )
    }

    pub fn verify_open(&self, token: &str) -> Option<CampaignSendId> {
        self.check(Kind::Open, token.strip_suffix(".gif").unwrap_or(token), "")
    }

    /// The redirect to `target`, signed over it: only that URL can come out of this link.
    pub fn click_url(&self, send: CampaignSendId, target: &str) -> String {
        let mut url = format!(
            "{}/api/v1/campaigns/c/{}?u=",
            self.base,
            self.token(Kind::Click, send, target)
        );
        url.extend(url::form_urlencoded::byte_serialize(target.as_bytes()));
        url
    }

    /// The send of a click link whose signature covers `target`.
    pub fn verify_click(&self, token: &str, target: &str) -> Option<CampaignSendId> {
        self.check(Kind::Click, token, target)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "test")]
    use super::*;

    fn links() -> Links {
        Links::new(
            &url::Url::parse("https://crm.example.fr/").unwrap(),
            KeyedHasher::new([9; 32]),
        )
    }

    #[test]
    fn links_verify_only_what_they_were_made_for() {
        let l = links();
        let send = CampaignSendId(42);
        let u = l.unsubscribe_url(send);
        assert!(u.starts_with("https://crm.example.fr/api/v1/campaigns/unsubscribe/42."));
        let token = u.rsplit('/').next().unwrap();
        assert_eq!(l.verify_unsubscribe(token), Some(send));
        // A token is bound to its id and its purpose.
        let forged = token.replacen("42.", "43.", 1);
        assert_eq!(l.verify_unsubscribe(&forged), None);
        assert_eq!(l.verify_open(token), None);
        assert_eq!(l.verify_unsubscribe("42"), None);
        assert_eq!(l.verify_unsubscribe("-1.00"), None);
        let o = l.open_url(send);
        assert_eq!(l.verify_open(o.rsplit('/').next().unwrap()), Some(send));
        // A click link only redirects to its own target.
        let c = l.click_url(send, "https://example.com/a?b=1&c=2");
        let parsed = url::Url::parse(&c).unwrap();
        let token = parsed.path().rsplit('/').next().unwrap();
        let target = parsed.query_pairs().next().unwrap().1.into_owned();
        assert_eq!(target, "https://example.com/a?b=1&c=2");
        assert_eq!(l.verify_click(token, &target), Some(send));
        assert_eq!(l.verify_click(token, "https://evil.example/"), None);
        // Another key verifies nothing.
        let other = Links::new(
            &url::Url::parse("https://crm.example.fr").unwrap(),
            KeyedHasher::new([1; 32]),
        );
        assert_eq!(other.verify_click(token, &target), None);
    }

    #[test]
    fn mailto_subjects_are_read_back() {
        let l = links();
        let m = l.unsubscribe_mailto("unsubscribe@example.fr", CampaignSendId(7));
        let subject = m.split("subject=").nth(1).unwrap().replace("%20", " ");
        assert_eq!(l.unsubscribe_in_subject(&subject), Some(CampaignSendId(7)));
        assert_eq!(
            l.unsubscribe_in_subject(&format!("RE: {}", subject.to_uppercase())),
            None,
            "the token's hex is lower-case; an upper-cased copy is not ours"
        );
        assert_eq!(
            l.unsubscribe_in_subject(&format!("Re: {subject}")),
            Some(CampaignSendId(7))
        );
        assert_eq!(l.unsubscribe_in_subject("Hello"), None);
    }
}
