//! The report as a PDF: A4 pages of text in the standard Helvetica font (no embedded fonts), written with
//! `pdf-writer`.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use super::Figures;

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
const LINE: f32 = 16.0;

/// One line to draw: text, size, bold, and an optional right-aligned value.
struct Line {
    text: String,
    value: String,
    size: f32,
    bold: bool,
}

/// WinAnsi bytes of `s` (Latin-1 range kept, other characters as `?`).
fn win_ansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match u32::from(c) {
            0x20..=0x7e | 0xa0..=0xff => c as u8,
            _ => b'?',
        })
        .collect()
}

/// Rough Helvetica width, for right-aligning values (0.55 em per character).
fn width(s: &str, size: f32) -> f32 {
    s.chars().count() as f32 * size * 0.55
}

/// The PDF document of `f`.
pub fn render(f: &Figures) -> Vec<u8> {
    let mut lines = vec![
        Line {
            text: f.title(),
            value: String::new(),
            size: 16.0,
            bold: true,
        },
        Line {
            text: format!("Generated {}", f.generated_at.format("%Y-%m-%d %H:%M UTC")),
            value: String::new(),
            size: 9.0,
            bold: false,
        },
    ];
    for section in f.sections() {
        lines.push(Line {
            text: String::new(),
            value: String::new(),
            size: 6.0,
            bold: false,
        });
        lines.push(Line {
            text: section.title.to_owned(),
            value: String::new(),
            size: 12.0,
            bold: true,
        });
        for (label, value) in section.lines {
            lines.push(Line {
                text: label,
                value,
                size: 10.0,
                bold: false,
            });
        }
    }
    let per_page = ((HEIGHT - 2.0 * MARGIN) / LINE) as usize;
    let pages: Vec<&[Line]> = lines.chunks(per_page.max(1)).collect();

    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let mut next = 5;
    let mut page_refs = Vec::new();
    let mut contents = Vec::new();
    for _ in &pages {
        page_refs.push(Ref::new(next));
        contents.push(Ref::new(next + 1));
        next += 2;
    }
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_refs.iter().copied())
        .count(i32::try_from(pages.len()).unwrap_or(i32::MAX));
    for (font, base) in [(regular, "Helvetica"), (bold, "Helvetica-Bold")] {
        pdf.type1_font(font)
            .base_font(Name(base.as_bytes()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    for (i, page_lines) in pages.iter().enumerate() {
        let mut page = pdf.page(page_refs[i]);
        page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT));
        page.parent(tree);
        page.contents(contents[i]);
        page.resources()
            .fonts()
            .pair(Name(b"F1"), regular)
            .pair(Name(b"F2"), bold);
        page.finish();

        let mut content = Content::new();
        let mut y = HEIGHT - MARGIN;
        for line in page_lines.iter() {
            let font = if line.bold { Name(b"F2") } else { Name(b"F1") };
            if !line.text.is_empty() {
                content.begin_text();
                content.set_font(font, line.size);
                content.next_line(MARGIN, y);
                content.show(Str(&win_ansi(&line.text)));
                content.end_text();
            }
            if !line.value.is_empty() {
                content.begin_text();
                content.set_font(font, line.size);
                content.next_line(WIDTH - MARGIN - width(&line.value, line.size), y);
                content.show(Str(&win_ansi(&line.value)));
                content.end_text();
            }
            y -= LINE.max(line.size + 4.0);
        }
        pdf.stream(contents[i], &content.finish());
    }
    pdf.finish()
}
