//! The list header fields of bulk mail, as lettre headers: `List-Id` (RFC 2919), `List-Unsubscribe`
//! (RFC 2369) and `List-Unsubscribe-Post` (RFC 8058 one-click unsubscription). RFC 8058 section 4 wants
//! the last two covered by a DKIM signature, which [`crate::dkim::SIGNED_HEADERS`] does.
//!
//! Values go through lettre's header encoder: a CR or LF cannot inject a header field, it gets
//! RFC 2047-encoded (which breaks the value, so callers pass URIs and ids without them).

use lettre::message::header::{Header, HeaderName, HeaderValue};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// `List-Unsubscribe`: angle-bracketed URIs separated by commas, the HTTPS one first for one-click
/// unsubscription, e.g. `<https://crm.example.fr/u/TOKEN>, <mailto:unsubscribe@example.fr?subject=TOKEN>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListUnsubscribe(pub String);

impl ListUnsubscribe {
    /// The field for these URIs, in the order given (`<a>, <b>`).
    pub fn from_uris<'a>(uris: impl IntoIterator<Item = &'a str>) -> Self {
        let uris: Vec<String> = uris.into_iter().map(|u| format!("<{u}>")).collect();
        Self(uris.join(", "))
    }
}

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, BoxError> {
        let s = s.trim();
        if s.starts_with('<') && s.ends_with('>') {
            Ok(Self(s.to_owned()))
        } else {
            Err("List-Unsubscribe holds angle-bracketed URIs".into())
        }
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): the HTTPS URI of `List-Unsubscribe`
/// unsubscribes on a POST without any further page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListUnsubscribePost;

impl ListUnsubscribePost {
    /// The only value RFC 8058 defines.
    pub const VALUE: &str = "List-Unsubscribe=One-Click";
}

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(s: &str) -> Result<Self, BoxError> {
        if s.trim() == Self::VALUE {
            Ok(Self)
        } else {
            Err("List-Unsubscribe-Post must be List-Unsubscribe=One-Click".into())
        }
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), Self::VALUE.to_owned())
    }
}

/// `List-Id`: an optional description and the list's id in angle brackets, e.g.
/// `Newsletter <newsletter.crm.example.fr>` (a non-ASCII description is RFC 2047-encoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListId(pub String);

impl Header for ListId {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Id")
    }

    fn parse(s: &str) -> Result<Self, BoxError> {
        let s = s.trim();
        if s.ends_with('>') && s.contains('<') {
            Ok(Self(s.to_owned()))
        } else {
            Err("List-Id ends with the id in angle brackets".into())
        }
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "test")]
    use lettre::message::header::Headers;

    use super::*;

    #[test]
    fn fields_print_and_read_back() {
        let mut headers = Headers::new();
        headers.set(ListUnsubscribe::from_uris([
            "https://crm.test/u/t0k",
            "mailto:unsubscribe@crm.test?subject=t0k",
        ]));
        headers.set(ListUnsubscribePost);
        headers.set(ListId("Lettre d'été <news.crm.test>".into()));
        // Long values fold at spaces; unfolded, they read as given.
        let text = headers.to_string().replace("\r\n ", " ");
        assert!(
            text.contains(
                "List-Unsubscribe: <https://crm.test/u/t0k>, <mailto:unsubscribe@crm.test?subject=t0k>\r\n"
            ),
            "{text}"
        );
        assert!(text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
        assert!(
            text.contains("<news.crm.test>") && !text.contains("été"),
            "{text}"
        );
        assert_eq!(
            headers.get::<ListUnsubscribePost>(),
            Some(ListUnsubscribePost)
        );
        assert_eq!(
            headers.get::<ListUnsubscribe>().unwrap().0,
            "<https://crm.test/u/t0k>, <mailto:unsubscribe@crm.test?subject=t0k>"
        );
        assert!(ListUnsubscribePost::parse("List-Unsubscribe=Later").is_err());
        assert!(ListUnsubscribe::parse("https://no-brackets").is_err());
    }
}
