//! Click and open tracking: links of a rendered HTML body rewritten through a tracking URL, and a
//! 1×1 pixel appended, with lol_html (a streaming rewriter: the rest of the document is copied
//! byte for byte).

use std::cell::Cell;
use std::rc::Rc;

use lol_html::html_content::{ContentType, Element};
use lol_html::{RewriteStrSettings, element, end, end_tag, rewrite_str};

/// Why a body could not be rewritten.
#[derive(Debug, thiserror::Error)]
pub enum TrackingError {
    /// lol_html gave up on the document (memory limit or a handler error); the message names the
    /// cause, not the content.
    #[error("HTML could not be rewritten for tracking: {0}")]
    Rewrite(#[from] lol_html::errors::RewritingError),
}

/// Rewrites every `<a href>` whose target is http(s) through `click(url) -> Option<String>` (None
/// leaves it), leaving mailto:, tel:, fragments, and any link equal to `keep` (the unsubscribe URL)
/// untouched; appends `<img src="{pixel}" width="1" height="1" alt="" style="display:none">` just
/// before `</body>` (or at the end when there is no `</body>`) when `pixel` is Some.
///
/// `click` sees the URL with its HTML entities decoded (`&amp;` is `&`) and surrounding whitespace
/// removed; the href it returns, and `pixel`, are attribute-encoded here.
pub fn rewrite(
    html: &str,
    keep: &str,
    pixel: Option<&str>,
    click: impl Fn(&str) -> Option<String>,
) -> Result<String, TrackingError> {
    let pixel_tag = pixel.map(|src| {
        format!(
            r#"<img src="{}" width="1" height="1" alt="" style="display:none">"#,
            htmlize::escape_attribute(src)
        )
    });
    // Set once the pixel went before a `</body>`; otherwise it goes at the end of the document
    // (no body, or a body closed implicitly).
    let placed = Rc::new(Cell::new(false));

    let links = element!("a[href]", |el: &mut Element| {
        let Some(raw) = el.get_attribute("href") else {
            return Ok(());
        };
        let url = htmlize::unescape_attribute(raw.as_str());
        // Browsers ignore leading and trailing whitespace in a URL.
        let url = url.trim_matches(|c: char| c.is_ascii_whitespace());
        if !is_http(url) || url == keep {
            return Ok(());
        }
        if let Some(tracked) = click(url) {
            el.set_attribute("href", &htmlize::escape_attribute(&tracked))?;
        }
        Ok(())
    });
    let body = element!("body", |el: &mut Element| {
        if let Some(tag) = pixel_tag.clone() {
            let placed = Rc::clone(&placed);
            el.on_end_tag(end_tag!(move |end| {
                if !placed.replace(true) {
                    end.before(&tag, ContentType::Html);
                }
                Ok(())
            }))?;
        }
        Ok(())
    });
    let document_end = end!(|end| {
        if let Some(tag) = &pixel_tag
            && !placed.get()
        {
            end.append(tag, ContentType::Html);
        }
        Ok(())
    });

    let settings = RewriteStrSettings::new()
        .append_element_content_handler(links)
        .append_element_content_handler(body)
        .append_document_content_handler(document_end)
        // Mail bodies are plain HTML: no ESI, and ambiguous markup is copied rather than refused.
        .with_enable_esi_tags(false)
        .with_strict(false);
    Ok(rewrite_str(html, settings)?)
}

/// Whether `url` is an absolute http or https URL (schemes are case-insensitive).
fn is_http(url: &str) -> bool {
    let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
    scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "test")]

    use std::cell::RefCell;

    use super::*;

    const UNSUBSCRIBE: &str = "https://crm.example.com/unsubscribe/t0k?c=1&r=2";

    fn track(url: &str) -> Option<String> {
        Some(format!("https://t.example.com/c?u={}&s=1", url.len()))
    }

    #[test]
    fn http_and_https_links_are_rewritten() {
        let html = r#"<p><a href="http://a.example/x">a</a> <a class="b" href="https://b.example/y">b</a></p>"#;
        let out = rewrite(html, UNSUBSCRIBE, None, track).unwrap();
        assert_eq!(
            out,
            r#"<p><a href="https://t.example.com/c?u=18&amp;s=1">a</a> <a class="b" href="https://t.example.com/c?u=19&amp;s=1">b</a></p>"#
        );
    }

    #[test]
    fn other_links_are_untouched() {
        let html = "<a href=\"mailto:x@example.com\">m</a><a href=\"tel:+331\">t</a><a href=\"#top\">f</a>\
                    <a href=\"/relative\">r</a><a name=\"anchor\">n</a>\
                    <a href=\"https://crm.example.com/unsubscribe/t0k?c=1&amp;r=2\">u</a>";
        let seen = RefCell::new(Vec::new());
        let out = rewrite(html, UNSUBSCRIBE, None, |url| {
            seen.borrow_mut().push(url.to_owned());
            None
        })
        .unwrap();
        assert_eq!(out, html);
        assert!(seen.borrow().is_empty(), "{:?}", seen.borrow());
    }

    #[test]
    fn none_from_click_leaves_the_link() {
        let html = r#"<a href="https://a.example/">a</a>"#;
        assert_eq!(rewrite(html, UNSUBSCRIBE, None, |_| None).unwrap(), html);
    }

    #[test]
    fn entities_are_decoded_before_click_and_encoded_after() {
        let html =
            r#"<a href=" https://a.example/p?x=1&amp;y=&quot;2&quot;&#38;z=3&copy=4 ">a</a>"#;
        let seen = RefCell::new(Vec::new());
        let out = rewrite(html, UNSUBSCRIBE, None, |url| {
            seen.borrow_mut().push(url.to_owned());
            Some(format!("https://t.example/c?to={url}&a=\"b\"<"))
        })
        .unwrap();
        // `&copy=` is not an entity inside an attribute value (WHATWG rule for legacy entities).
        assert_eq!(
            seen.borrow().as_slice(),
            [r#"https://a.example/p?x=1&y="2"&z=3&copy=4"#]
        );
        assert_eq!(
            out,
            r#"<a href="https://t.example/c?to=https://a.example/p?x=1&amp;y=&quot;2&quot;&amp;z=3&amp;copy=4&amp;a=&quot;b&quot;&lt;">a</a>"#
        );
    }

    #[test]
    fn uppercase_tags_and_schemes_are_rewritten() {
        let html = r#"<A HREF="HTTPS://A.example/">a</A>"#;
        let out = rewrite(html, UNSUBSCRIBE, None, |_| {
            Some("https://t.example/1".into())
        })
        .unwrap();
        assert_eq!(out, r#"<A HREF="https://t.example/1">a</A>"#);
    }

    #[test]
    fn pixel_goes_before_the_closing_body() {
        let html = "<html><body><p>Hi</p></body></html>";
        let out = rewrite(
            html,
            UNSUBSCRIBE,
            Some("https://t.example/o?m=1&r=2"),
            track,
        )
        .unwrap();
        assert_eq!(
            out,
            "<html><body><p>Hi</p><img src=\"https://t.example/o?m=1&amp;r=2\" width=\"1\" height=\"1\" \
             alt=\"\" style=\"display:none\"></body></html>"
        );
        assert_eq!(out.matches("<img").count(), 1);
    }

    #[test]
    fn pixel_goes_at_the_end_without_a_closing_body() {
        let pixel =
            r#"<img src="https://t.example/o" width="1" height="1" alt="" style="display:none">"#;
        for html in ["<p>Hi</p>", "<html><body><p>Hi</p>"] {
            let out = rewrite(html, UNSUBSCRIBE, Some("https://t.example/o"), track).unwrap();
            assert_eq!(out, format!("{html}{pixel}"));
        }
    }

    #[test]
    fn no_pixel_when_none() {
        let html = "<html><body><p>Hi</p></body></html>";
        assert_eq!(rewrite(html, UNSUBSCRIBE, None, track).unwrap(), html);
    }
}
