//! The demo report's Markdown tables and its self-contained HTML page.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

/// Appends a Markdown table.
pub fn md_table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(
        out,
        "|{}|",
        header.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
    for r in rows {
        let _ = writeln!(out, "| {} |", r.join(" | "));
    }
    out.push('\n');
}

/// The report as one self-contained HTML page: the Markdown rendered by `pulldown-cmark`, every
/// picture it links (PNG or SVG in `dir`) embedded as a data URI, so the file can be mailed.
pub fn report_html(md: &str, dir: &Path) -> Result<String> {
    use base64::Engine as _;
    use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag};
    let mut events = Vec::new();
    for ev in Parser::new_ext(md, Options::ENABLE_TABLES) {
        let ev = match ev {
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let mime = if dest_url.ends_with(".svg") {
                    "image/svg+xml"
                } else {
                    "image/png"
                };
                let bytes = std::fs::read(dir.join(dest_url.as_ref()))
                    .with_context(|| format!("embedding {dest_url} in report.html"))?;
                let uri = format!(
                    "data:{mime};base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(bytes)
                );
                Event::Start(Tag::Image {
                    link_type,
                    dest_url: CowStr::from(uri),
                    title,
                    id,
                })
            }
            other => other,
        };
        events.push(ev);
    }
    let mut body = String::new();
    html::push_html(&mut body, events.into_iter());
    Ok(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>genmodels demo report</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#222}}\
         table{{border-collapse:collapse;margin:1rem 0}}td,th{{border:1px solid #ccc;padding:.2rem .6rem;text-align:right}}\
         th{{background:#f3f3f3}}img{{max-width:100%}}code{{background:#f3f3f3;padding:0 .2rem}}\
         </style></head><body>\n{body}</body></html>\n"
    ))
}
