//! Text put into markup the origin writes itself (feeds, the sitemap, the preview
//! page, search snippets): one escaping, whatever the document.

/// Text for XML or HTML character data and attribute values: markup escaped, and
/// the characters XML 1.0 cannot carry at all (most C0 controls) left out.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}
