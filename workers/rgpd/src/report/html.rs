//! The report as a standalone HTML page (no scripts, no external resources).

use super::Figures;

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The HTML document of `f`.
pub fn render(f: &Figures) -> String {
    let title = escape(&f.title());
    let mut out = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font-family:sans-serif;max-width:48rem;margin:2rem auto}}\
         table{{border-collapse:collapse;width:100%;margin-bottom:1.5rem}}\
         td{{border-bottom:1px solid #ddd;padding:.3rem}}td.v{{text-align:right}}</style></head><body>\n\
         <h1>{title}</h1>\n<p>Generated {}</p>\n",
        escape(&f.generated_at.to_rfc3339())
    );
    for section in f.sections() {
        out.push_str(&format!("<h2>{}</h2>\n<table>\n", escape(section.title)));
        for (label, value) in section.lines {
            out.push_str(&format!(
                "<tr><td>{}</td><td class=\"v\">{}</td></tr>\n",
                escape(&label),
                escape(&value)
            ));
        }
        out.push_str("</table>\n");
    }
    out.push_str("</body></html>\n");
    out
}
