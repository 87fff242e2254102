//! Campaign mail templates: a subject, an HTML body and an optional text body written in Jinja syntax
//! (MiniJinja), rendered once per recipient.
//!
//! Templates are written by users, so rendering is bounded: sources are capped at [`MAX_SOURCE_BYTES`],
//! each rendered part at [`MAX_OUTPUT_BYTES`], and the engine runs on a fuel budget so that a loop
//! cannot spin for long. There is no template loader: `{% include %}`, `{% import %}` and
//! `{% extends %}` are refused. Only the names in [`VARIABLES`] exist; any other name is an error
//! (strict undefined behaviour) rather than an empty string in a customer's mail.
//!
//! The HTML part is auto-escaped and then has its `<style>` rules inlined into `style` attributes,
//! since most email clients drop or ignore `<style>` blocks; at-rules such as `@media` cannot live in
//! an attribute, so they stay in a `<style>` block for the clients that honour them. `<link>`
//! stylesheets are neither fetched nor kept. When the template has no text body, the text part is
//! generated from the inlined HTML, with links as numbered footnotes.
//!
//! Error messages never carry recipient data: syntax errors quote the template, undefined variables
//! are named as written in the template, and failures while rendering for a recipient keep only the
//! kind of error (the full detail is given by [`validate`], which renders [`sample_context`]).

use std::fmt;
use std::io;

use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior, Value};

/// The variables a template may use; [`sample_context`] has a value for each.
pub const VARIABLES: &[&str] = &[
    "person.first_name",
    "person.last_name",
    "person.title",
    "organisation.name",
    "organisation.city",
    "campaign.name",
    "unsubscribe_url",
];

/// Largest accepted source of one part (subject, HTML or text), in bytes.
pub const MAX_SOURCE_BYTES: usize = 256 * 1024;

/// Largest rendered part (after CSS inlining for the HTML), in bytes.
pub const MAX_OUTPUT_BYTES: usize = 1024 * 1024;

/// MiniJinja fuel per part and render: roughly instructions executed. A mail template uses a few
/// hundred; this stops `{% for i in range(100000) %}` nested twice in a few milliseconds.
const FUEL: u64 = 500_000;

/// Width of the generated text part: 78 characters is the line length RFC 5322 recommends.
const TEXT_WIDTH: usize = 78;

/// A template as stored: the three parts' sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateSource<'a> {
    /// Subject line; rendered without HTML escaping, then made safe for a header.
    pub subject: &'a str,
    /// HTML body; rendered with HTML auto-escaping, then CSS-inlined.
    pub html: &'a str,
    /// Text body; generated from the HTML when `None`.
    pub text: Option<&'a str>,
}

/// A template rendered for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Subject on one line: control characters replaced by spaces, trimmed.
    pub subject: String,
    /// HTML body with the CSS inlined.
    pub html: String,
    /// Text body, rendered or generated from the HTML.
    pub text: String,
}

/// The part of a template an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The subject line.
    Subject,
    /// The HTML body.
    Html,
    /// The text body (given, or generated from the HTML).
    Text,
}

impl Part {
    /// The part's name as the API reports it: `subject`, `html` or `text`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Part::Subject => "subject",
            Part::Html => "html",
            Part::Text => "text",
        }
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A limit that stopped a render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// The fuel budget: the template executes too much (typically a large loop).
    Fuel,
    /// [`MAX_OUTPUT_BYTES`] of output.
    Output,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::Fuel => "the template does too much work (loop too long?)",
            Limit::Output => "the rendered output is larger than 1 MiB",
        })
    }
}

/// Why a template cannot be compiled or rendered. Messages name the part and, when known, the line,
/// and never contain recipient data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The template does not parse, or uses a tag that is not available (such as `include`).
    #[error("{part}{}: syntax error: {message}", AtLine(*.line))]
    Syntax {
        /// The part with the error.
        part: Part,
        /// 1-based line of the error.
        line: Option<usize>,
        /// What is wrong, quoting the template.
        message: String,
    },
    /// A name that is not one of [`VARIABLES`] (or is missing from the recipient's values).
    #[error("{part}{}: undefined variable `{name}`", AtLine(*.line))]
    UndefinedVariable {
        /// The part with the error.
        part: Part,
        /// 1-based line of the error.
        line: Option<usize>,
        /// The expression as written in the template, e.g. `person.age`.
        name: String,
    },
    /// The source of a part is larger than [`MAX_SOURCE_BYTES`].
    #[error("{part}: the template is {size} bytes, more than the {max} allowed", max = MAX_SOURCE_BYTES)]
    TooLarge {
        /// The part that is too large.
        part: Part,
        /// Its size in bytes.
        size: usize,
    },
    /// Rendering was stopped by a limit.
    #[error("{part}{}: {limit}", AtLine(*.line))]
    LimitExceeded {
        /// The part being rendered.
        part: Part,
        /// 1-based line reached, when known.
        line: Option<usize>,
        /// The limit reached.
        limit: Limit,
    },
    /// Any other failure while rendering, such as a filter applied to a value of the wrong type.
    #[error("{part}{}: {message}", AtLine(*.line))]
    Render {
        /// The part being rendered.
        part: Part,
        /// 1-based line of the error.
        line: Option<usize>,
        /// The kind of error; its detail too when rendering [`sample_context`].
        message: String,
    },
    /// The CSS of the rendered HTML could not be inlined.
    #[error("html: CSS could not be inlined: {message}")]
    Css {
        /// What went wrong.
        message: String,
    },
    /// The text part could not be generated from the HTML.
    #[error("text: could not be generated from the HTML: {message}")]
    Text {
        /// What went wrong.
        message: String,
    },
}

impl TemplateError {
    /// The part the error is about: `subject`, `html` or `text`.
    pub fn part(&self) -> &'static str {
        match self {
            TemplateError::Syntax { part, .. }
            | TemplateError::UndefinedVariable { part, .. }
            | TemplateError::TooLarge { part, .. }
            | TemplateError::LimitExceeded { part, .. }
            | TemplateError::Render { part, .. } => part.as_str(),
            TemplateError::Css { .. } => Part::Html.as_str(),
            TemplateError::Text { .. } => Part::Text.as_str(),
        }
    }

    /// The 1-based line in the part's source, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            TemplateError::Syntax { line, .. }
            | TemplateError::UndefinedVariable { line, .. }
            | TemplateError::LimitExceeded { line, .. }
            | TemplateError::Render { line, .. } => *line,
            TemplateError::TooLarge { .. }
            | TemplateError::Css { .. }
            | TemplateError::Text { .. } => None,
        }
    }
}

/// Formats ` (line N)` when the line is known.
struct AtLine(Option<usize>);

impl fmt::Display for AtLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(line) => write!(f, " (line {line})"),
            None => Ok(()),
        }
    }
}

/// Whether error details may be reported: only when the values are the fake sample ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Values {
    Sample,
    Recipient,
}

/// Compiles all parts and renders them once against [`sample_context`]; used when a template is
/// saved (the API answers 400 with the error). Also refuses names outside [`VARIABLES`] in branches
/// the sample does not take.
pub fn validate(t: &TemplateSource) -> Result<(), TemplateError> {
    let compiled = CompiledTemplate::new(t)?;
    compiled.check_names()?;
    compiled.render_with(&sample_context(), Values::Sample)?;
    Ok(())
}

/// Renders for one recipient. `vars` is a JSON object holding [`VARIABLES`]; a `null` value renders
/// as nothing. To render many recipients, compile once with [`CompiledTemplate::new`].
pub fn render(t: &TemplateSource, vars: &serde_json::Value) -> Result<Rendered, TemplateError> {
    CompiledTemplate::new(t)?.render(vars)
}

/// The variables templates may use, with a fake sample value each (used by [`validate`] and by the
/// API's preview).
pub fn sample_context() -> serde_json::Value {
    serde_json::json!({
        "person": { "first_name": "Ada", "last_name": "Lovelace", "title": "Director" },
        "organisation": { "name": "Analytical Engines Ltd", "city": "London" },
        "campaign": { "name": "Spring newsletter" },
        "unsubscribe_url": "https://example.com/unsubscribe/sample-token",
    })
}

/// A template compiled once, to render many recipients.
pub struct CompiledTemplate<'a> {
    env: Environment<'a>,
    has_text: bool,
}

impl fmt::Debug for CompiledTemplate<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledTemplate")
            .field("has_text", &self.has_text)
            .finish_non_exhaustive()
    }
}

impl<'a> CompiledTemplate<'a> {
    /// Checks the sizes and compiles every part.
    pub fn new(t: &TemplateSource<'a>) -> Result<Self, TemplateError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(FUEL));
        // Debug mode is what names the undefined expression in errors (`person.age` is undefined).
        env.set_debug(true);
        env.set_auto_escape_callback(|name| {
            if name == Part::Html.as_str() {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        // A missing value (`null`) prints nothing rather than "none".
        env.set_formatter(|out, state, value| {
            if value.is_none() {
                Ok(())
            } else {
                minijinja::escape_formatter(out, state, value)
            }
        });
        let parts = [
            (Part::Subject, Some(t.subject)),
            (Part::Html, Some(t.html)),
            (Part::Text, t.text),
        ];
        for (part, source) in parts {
            let Some(source) = source else { continue };
            if source.len() > MAX_SOURCE_BYTES {
                return Err(TemplateError::TooLarge {
                    part,
                    size: source.len(),
                });
            }
            env.add_template(part.as_str(), source)
                .map_err(|err| convert(part, &err, Values::Sample))?;
        }
        Ok(CompiledTemplate {
            env,
            has_text: t.text.is_some(),
        })
    }

    /// Renders for one recipient; see [`render`].
    pub fn render(&self, vars: &serde_json::Value) -> Result<Rendered, TemplateError> {
        self.render_with(vars, Values::Recipient)
    }

    fn render_with(
        &self,
        vars: &serde_json::Value,
        values: Values,
    ) -> Result<Rendered, TemplateError> {
        let ctx = Value::from(Serde(vars));
        let subject = header_safe(&self.render_part(Part::Subject, &ctx, values)?);
        let html = inline_css(&self.render_part(Part::Html, &ctx, values)?, values)?;
        let text = if self.has_text {
            self.render_part(Part::Text, &ctx, values)?
        } else {
            html_to_text(&html)?
        };
        Ok(Rendered {
            subject,
            html,
            text,
        })
    }

    fn render_part(
        &self,
        part: Part,
        ctx: &Value,
        values: Values,
    ) -> Result<String, TemplateError> {
        let template = self
            .env
            .get_template(part.as_str())
            .map_err(|err| convert(part, &err, values))?;
        let mut out = Capped::default();
        match template.render_captured_to(ctx.clone(), &mut out) {
            Ok(_) => {}
            Err(err) if out.exceeded => {
                return Err(TemplateError::LimitExceeded {
                    part,
                    line: err.line(),
                    limit: Limit::Output,
                });
            }
            Err(err) => return Err(convert(part, &err, values)),
        }
        // MiniJinja writes only `str` data, so this is valid UTF-8; lossy keeps this free of a panic.
        Ok(String::from_utf8(out.buf)
            .unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned()))
    }

    /// Refuses names that are not [`VARIABLES`] (nor a prefix of one, nor a builtin like `range`)
    /// anywhere in the template, including branches a render does not take.
    fn check_names(&self) -> Result<(), TemplateError> {
        for part in [Part::Subject, Part::Html, Part::Text] {
            let Ok(template) = self.env.get_template(part.as_str()) else {
                continue;
            };
            let mut names: Vec<String> = template.undeclared_variables(true).into_iter().collect();
            names.sort();
            for name in names {
                let known = VARIABLES.iter().any(|v| {
                    *v == name || is_dotted_prefix(v, &name) || is_dotted_prefix(&name, v)
                }) || self.env.globals().any(|(global, _)| global == name);
                if !known {
                    return Err(TemplateError::UndefinedVariable {
                        part,
                        line: None,
                        name,
                    });
                }
            }
        }
        Ok(())
    }
}

/// Whether `prefix` is `name` up to one of its dots (`person` for `person.first_name`).
fn is_dotted_prefix(prefix: &str, name: &str) -> bool {
    name.strip_prefix(prefix)
        .is_some_and(|rest| rest.starts_with('.'))
}

/// Maps a MiniJinja error to ours, keeping recipient values out of the message.
fn convert(part: Part, err: &minijinja::Error, values: Values) -> TemplateError {
    let line = err.line();
    match err.kind() {
        // Compile-time errors quote the template source only.
        ErrorKind::SyntaxError | ErrorKind::BadEscape | ErrorKind::InvalidDelimiter => {
            TemplateError::Syntax {
                part,
                line,
                message: err.detail().unwrap_or("invalid syntax").to_owned(),
            }
        }
        ErrorKind::UndefinedError => TemplateError::UndefinedVariable {
            part,
            line,
            name: err
                .detail()
                .and_then(undefined_name)
                .unwrap_or("?")
                .to_owned(),
        },
        ErrorKind::OutOfFuel => TemplateError::LimitExceeded {
            part,
            line,
            limit: Limit::Fuel,
        },
        kind => TemplateError::Render {
            part,
            line,
            message: match (values, err.detail()) {
                (Values::Sample, Some(detail)) => format!("{kind}: {detail}"),
                _ => kind.to_string(),
            },
        },
    }
}

/// The expression in MiniJinja's "`person.age` is undefined" detail.
fn undefined_name(detail: &str) -> Option<&str> {
    let end = detail.find("` is undefined")?;
    let start = detail[..end].rfind('`')? + 1;
    Some(&detail[start..end])
}

/// Replaces CR, LF and every other control character by a space (no header injection, no folded
/// lines) and trims.
fn header_safe(subject: &str) -> String {
    let line: String = subject
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                ' '
            } else {
                c
            }
        })
        .collect();
    line.trim().to_owned()
}

/// Inlines `<style>` rules into `style` attributes. Remote and local stylesheets are never loaded
/// (`<link>` tags are dropped); at-rules such as `@media` are kept in a `<style>` block because they
/// cannot be inlined; `width`/`height` attributes are added for Outlook, which ignores those CSS
/// properties; `var()` is resolved because email clients do not support custom properties.
fn inline_css(html: &str, values: Values) -> Result<String, TemplateError> {
    let inliner = css_inline::CSSInliner::options()
        .load_remote_stylesheets(false)
        .keep_link_tags(false)
        .keep_style_tags(false)
        .keep_at_rules(true)
        .apply_width_attributes(true)
        .apply_height_attributes(true)
        .resolve_css_variables(true)
        .build();
    let mut out = Capped::default();
    match inliner.inline_to(html, &mut out) {
        Ok(()) => {}
        Err(_) if out.exceeded => {
            return Err(TemplateError::LimitExceeded {
                part: Part::Html,
                line: None,
                limit: Limit::Output,
            });
        }
        Err(err) => {
            // A CSS parse error quotes the rendered CSS, which may hold recipient values.
            let message = match values {
                Values::Sample => err.to_string(),
                Values::Recipient => "invalid CSS".to_owned(),
            };
            return Err(TemplateError::Css { message });
        }
    }
    Ok(String::from_utf8(out.buf)
        .unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned()))
}

/// The text part generated from the HTML: wrapped at [`TEXT_WIDTH`], links as `[text][1]` with
/// numbered footnotes listing the URLs.
fn html_to_text(html: &str) -> Result<String, TemplateError> {
    html2text::config::plain()
        .link_footnotes(true)
        .string_from_read(html.as_bytes(), TEXT_WIDTH)
        .map_err(|err| TemplateError::Text {
            message: err.to_string(),
        })
}

/// An output buffer that refuses to grow past [`MAX_OUTPUT_BYTES`].
#[derive(Default)]
struct Capped {
    buf: Vec<u8>,
    exceeded: bool,
}

impl io::Write for Capped {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.len().saturating_add(data.len()) > MAX_OUTPUT_BYTES {
            self.exceeded = true;
            return Err(io::Error::other("output limit reached"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "test")]

    use super::*;

    fn source<'a>(subject: &'a str, html: &'a str, text: Option<&'a str>) -> TemplateSource<'a> {
        TemplateSource {
            subject,
            html,
            text,
        }
    }

    fn html_only(html: &str) -> TemplateSource<'_> {
        source("Hi", html, Some(""))
    }

    fn vars(first_name: &str) -> serde_json::Value {
        let mut v = sample_context();
        v["person"]["first_name"] = first_name.into();
        v
    }

    #[test]
    fn variables_are_substituted() {
        let t = source(
            "News for {{ organisation.name }}",
            "<p>Dear {{ person.first_name }} {{ person.last_name }}</p>",
            Some("Dear {{ person.first_name }}, {{ campaign.name }}"),
        );
        let r = render(&t, &sample_context()).unwrap();
        assert_eq!(r.subject, "News for Analytical Engines Ltd");
        assert!(r.html.contains("<p>Dear Ada Lovelace</p>"), "{}", r.html);
        assert_eq!(r.text, "Dear Ada, Spring newsletter");
    }

    #[test]
    fn html_is_escaped_but_subject_and_text_are_not() {
        let t = source(
            "For {{ person.first_name }}",
            "<p>{{ person.first_name }}</p>",
            Some("Hello {{ person.first_name }}"),
        );
        let r = render(&t, &vars("<script>alert(1)</script>")).unwrap();
        assert!(!r.html.contains("<script>"), "{}", r.html);
        assert!(r.html.contains("&lt;script&gt;"), "{}", r.html);
        assert_eq!(r.subject, "For <script>alert(1)</script>");
        assert_eq!(r.text, "Hello <script>alert(1)</script>");
    }

    #[test]
    fn null_values_render_as_nothing() {
        let mut v = sample_context();
        v["person"]["title"] = serde_json::Value::Null;
        let r = render(&source("[{{ person.title }}]", "<p>x</p>", None), &v).unwrap();
        assert_eq!(r.subject, "[]");
    }

    #[test]
    fn undefined_variable_is_named() {
        let t = source("Hi", "<p>\n{{ person.age }}</p>", None);
        let err = validate(&t).unwrap_err();
        assert_eq!(err.part(), "html");
        assert!(
            matches!(&err, TemplateError::UndefinedVariable { name, .. } if name == "person.age"),
            "{err:?}"
        );
        assert!(err.to_string().contains("person.age"), "{err}");

        // At render time too, with the line.
        let err = render(&t, &sample_context()).unwrap_err();
        assert!(
            matches!(&err, TemplateError::UndefinedVariable { name, line: Some(2), .. } if name == "person.age"),
            "{err:?}"
        );
    }

    #[test]
    fn undefined_variable_in_branch_not_taken_is_refused_by_validate() {
        let t = source(
            "{% if not person.title %}{{ person.titel }}{% endif %}",
            "<p></p>",
            None,
        );
        let err = validate(&t).unwrap_err();
        assert!(
            matches!(&err, TemplateError::UndefinedVariable { part: Part::Subject, name, .. } if name == "person.titel"),
            "{err:?}"
        );
    }

    #[test]
    fn syntax_error_reports_part_and_line() {
        let t = source("Hi", "<p>ok</p>", Some("line one\nline two\n{% if %}"));
        let err = validate(&t).unwrap_err();
        assert_eq!(err.part(), "text");
        assert_eq!(err.line(), Some(3));
        assert!(matches!(err, TemplateError::Syntax { .. }), "{err:?}");
        assert!(
            err.to_string().starts_with("text (line 3): syntax error"),
            "{err}"
        );
    }

    #[test]
    fn include_is_refused() {
        for tag in [
            r#"{% include "x.html" %}"#,
            r#"{% import "x.html" as x %}"#,
            r#"{% extends "x.html" %}"#,
        ] {
            let err = validate(&html_only(tag)).unwrap_err();
            assert_eq!(err.part(), "html", "{tag}");
        }
    }

    #[test]
    fn endless_loop_is_stopped_by_fuel() {
        let t = html_only(
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        );
        let started = std::time::Instant::now();
        let err = validate(&t).unwrap_err();
        assert!(
            matches!(
                err,
                TemplateError::LimitExceeded {
                    limit: Limit::Fuel,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(2));

        // A range too large to build is refused outright.
        let err = validate(&html_only("{% for i in range(10**9) %}x{% endfor %}")).unwrap_err();
        assert!(err.to_string().contains("range"), "{err}");
    }

    #[test]
    fn oversized_source_and_output_are_refused() {
        let big = "x".repeat(MAX_SOURCE_BYTES + 1);
        let err = validate(&html_only(&big)).unwrap_err();
        assert!(
            matches!(
                err,
                TemplateError::TooLarge {
                    part: Part::Html,
                    ..
                }
            ),
            "{err:?}"
        );

        // 60,000 iterations of 20 bytes pass the fuel budget but not the output cap.
        let t = html_only("{% for i in range(60000) %}xxxxxxxxxxxxxxxxxxxx{% endfor %}");
        let err = validate(&t).unwrap_err();
        assert!(
            matches!(
                err,
                TemplateError::LimitExceeded {
                    limit: Limit::Output,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn style_block_is_inlined_and_media_queries_kept() {
        let t = html_only(
            "<html><head><style>p.lead { color: red } @media (max-width: 600px) { p { font-size: 18px } }</style>\
             </head><body><p class=\"lead\">Hi</p></body></html>",
        );
        let r = render(&t, &sample_context()).unwrap();
        assert!(
            r.html.contains(r#"<p class="lead" style="color: red;">"#),
            "{}",
            r.html
        );
        assert!(r.html.contains("@media (max-width: 600px)"), "{}", r.html);
    }

    #[test]
    fn link_stylesheet_is_not_loaded() {
        let t = html_only(
            r#"<html><head><link rel="stylesheet" href="/etc/passwd"></head><body>x</body></html>"#,
        );
        let r = render(&t, &sample_context()).unwrap();
        assert!(!r.html.contains("<link"), "{}", r.html);
    }

    #[test]
    fn text_is_generated_when_missing() {
        let t = source(
            "Hi",
            "<html><head><style>a { color: blue }</style></head><body><h1>Spring news</h1>\
             <p>Hello {{ person.first_name }}, read <a href=\"https://example.com/post?a=1&amp;b=2\">our post</a>.</p>\
             </body></html>",
            None,
        );
        let r = render(&t, &sample_context()).unwrap();
        assert!(r.text.contains("Spring news"), "{}", r.text);
        assert!(r.text.contains("Hello Ada, read"), "{}", r.text);
        assert!(r.text.contains("our post"), "{}", r.text);
        assert!(
            r.text.contains("https://example.com/post?a=1&b=2"),
            "{}",
            r.text
        );
        assert!(!r.text.contains("color"), "{}", r.text);
        assert!(
            r.text.lines().all(|l| l.chars().count() <= TEXT_WIDTH),
            "{}",
            r.text
        );
    }

    #[test]
    fn subject_header_injection_is_neutralised() {
        let t = source("  Hello {{ person.first_name }}  ", "<p></p>", None);
        let r = render(&t, &vars("Ada\r\nBcc: victim@example.com\u{0}\t")).unwrap();
        assert_eq!(r.subject, "Hello Ada  Bcc: victim@example.com");
        assert!(!r.subject.chars().any(char::is_control));
    }

    #[test]
    fn validate_accepts_every_variable() {
        let all: String = VARIABLES
            .iter()
            .map(|v| format!("{{{{ {v} }}}} "))
            .collect();
        let t = source(&all, &all, Some(&all));
        validate(&t).unwrap();
        let r = render(&t, &sample_context()).unwrap();
        assert!(r.subject.contains("Ada") && r.subject.contains("example.com/unsubscribe"));
        // Builtins such as `range`, filters and loops are fine.
        validate(&html_only(
            "{% for i in range(3) %}{{ loop.index }}{{ person.first_name|upper }}{% endfor %}",
        ))
        .unwrap();
    }

    #[test]
    fn recipient_values_stay_out_of_render_errors() {
        let t = source("Hi", "<p>{{ person.first_name|int }}</p>", None);
        let err = render(&t, &vars("Secret-Name")).unwrap_err();
        assert!(!format!("{err} {err:?}").contains("Secret"), "{err:?}");
    }

    /// Prints the time of one render of a small template (not asserted; compare with
    /// `cargo test --release -p crm-campaigns --lib render_time -- --nocapture`).
    #[test]
    fn render_time() {
        let t = source(
            "{{ campaign.name }} for {{ person.first_name }}",
            "<html><head><style>p { color: #333; font-family: sans-serif } a { color: #06c }</style></head>\
             <body><h1>Hello {{ person.first_name }} {{ person.last_name }}</h1>\
             <p>News for {{ organisation.name }} in {{ organisation.city }}.</p>\
             <p><a href=\"https://example.com/post\">Read more</a></p>\
             <p><a href=\"{{ unsubscribe_url }}\">Unsubscribe</a></p></body></html>",
            None,
        );
        let ctx = sample_context();
        let n = 200;
        let started = std::time::Instant::now();
        for _ in 0..n {
            render(&t, &ctx).unwrap();
        }
        let per_render = started.elapsed() / n;
        let compiled = CompiledTemplate::new(&t).unwrap();
        let started = std::time::Instant::now();
        for _ in 0..n {
            compiled.render(&ctx).unwrap();
        }
        let per_compiled = started.elapsed() / n;
        println!("render: {per_render:?} per message; precompiled: {per_compiled:?}");
    }
}
