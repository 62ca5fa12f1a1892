//! Markdown to HTML for readers: CommonMark with GFM tables, strikethrough and
//! autolinks, then sanitised against an allow-list so that nothing the Markdown
//! carries (raw HTML, `javascript:` links, event attributes) reaches a reader as
//! live code.
//!
//! The HTML is derived on read and never stored: the stored item stays the
//! owner's Markdown (one source, small items, exports without derived data). A
//! bounded cache keyed by the Markdown keeps a warm origin from rendering the
//! same text twice. It holds the HTML as a JSON string literal, escaped once:
//! escaping it on every list was a fifth of that request's CPU.

use std::sync::{Arc, LazyLock};

use moka::sync::Cache;
use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, TextMergeStream};
use serde_json::value::RawValue;

/// What the render cache may hold, in bytes of HTML escaped as JSON strings.
const CACHE_BYTES: u64 = 8 * 1024 * 1024;

/// URL schemes a link or image may use; anything else (`javascript:`, `data:`,
/// `vbscript:`) is dropped with the attribute. Relative URLs stay.
const URL_SCHEMES: &[&str] = &["http", "https", "mailto"];

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(URL_SCHEMES.iter().copied().collect())
        .add_tag_attributes("code", ["class"])
        // Fenced code keeps its `language-…` class (for a frontend's highlighter);
        // no other class survives.
        .attribute_filter(|element, attribute, value| {
            let keep = element != "code" || attribute != "class" || is_language_class(value);
            keep.then(|| value.into())
        });
    builder
});

fn is_language_class(value: &str) -> bool {
    value.strip_prefix("language-").is_some_and(|lang| {
        !lang.is_empty()
            && lang
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '#'))
    })
}

/// Markdown to sanitised HTML.
pub fn markdown_to_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    // Text arrives in pieces (split at would-be emphasis): merged, a URL is whole.
    let events = autolink(TextMergeStream::new(Parser::new_ext(markdown, options)));
    let mut html = String::with_capacity(markdown.len() * 5 / 4);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    SANITIZER.clean(&html).to_string()
}

/// GFM's extended autolinks: bare `https://…`, `http://…` and `www.…` in text
/// (not inside links or code) become links. pulldown-cmark has CommonMark's
/// `<https://…>` form only.
fn autolink<'a>(events: impl Iterator<Item = Event<'a>>) -> Vec<Event<'a>> {
    let mut out = Vec::new();
    let mut in_link = 0usize;
    for event in events {
        match &event {
            Event::Start(Tag::Link { .. } | Tag::Image { .. }) => in_link += 1,
            Event::End(TagEnd::Link | TagEnd::Image) => in_link = in_link.saturating_sub(1),
            Event::Text(text) if in_link == 0 => {
                let text = text.to_string();
                if let Some(first) = find_bare_url(&text, 0) {
                    split_links(&text, first, &mut out);
                    continue;
                }
            }
            _ => {}
        }
        out.push(event);
    }
    out
}

fn split_links<'a>(text: &str, mut found: (usize, usize), out: &mut Vec<Event<'a>>) {
    let mut done = 0;
    loop {
        let (start, end) = found;
        if start > done {
            out.push(Event::Text(CowStr::from(text[done..start].to_string())));
        }
        let shown = &text[start..end];
        let href = if shown.starts_with("www.") {
            format!("http://{shown}")
        } else {
            shown.to_string()
        };
        out.push(Event::Start(Tag::Link {
            link_type: pulldown_cmark::LinkType::Autolink,
            dest_url: CowStr::from(href),
            title: CowStr::from(""),
            id: CowStr::from(""),
        }));
        out.push(Event::Text(CowStr::from(shown.to_string())));
        out.push(Event::End(TagEnd::Link));
        done = end;
        match find_bare_url(text, done) {
            Some(next) => found = next,
            None => break,
        }
    }
    if done < text.len() {
        out.push(Event::Text(CowStr::from(text[done..].to_string())));
    }
}

/// The next bare URL at or after `from`: its byte range, trailing punctuation and
/// an unbalanced closing parenthesis left out (GFM §6.9).
fn find_bare_url(text: &str, from: usize) -> Option<(usize, usize)> {
    let mut search = from;
    while search < text.len() {
        let rest = &text[search..];
        let start = ["https://", "http://", "www."]
            .iter()
            .filter_map(|p| rest.find(p).map(|i| (search + i, p.len())))
            .min_by_key(|(i, _)| *i)?;
        let (begin, prefix_len) = start;
        // A URL starts a word: after the start of text, a space or an opening bracket.
        let boundary = text[..begin]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || matches!(c, '(' | '*' | '_' | '~'));
        let mut end = begin
            + text[begin..]
                .find(|c: char| c.is_whitespace() || c == '<')
                .unwrap_or(text.len() - begin);
        while end > begin {
            let last = text[..end].chars().next_back().unwrap_or(' ');
            let unbalanced_paren = last == ')'
                && text[begin..end].matches('(').count() < text[begin..end].matches(')').count();
            if matches!(
                last,
                '?' | '!' | '.' | ',' | ':' | '*' | '_' | '~' | '\'' | '"'
            ) || unbalanced_paren
            {
                end -= last.len_utf8();
            } else {
                break;
            }
        }
        if boundary
            && end > begin + prefix_len
            && text[begin + prefix_len..end].contains(|c: char| c.is_alphanumeric())
        {
            return Some((begin, end));
        }
        search = begin + prefix_len;
    }
    None
}

/// Rendered HTML by Markdown (as JSON string literals), bounded by bytes.
pub struct Renderer {
    /// Keyed by XXH3-128 of the Markdown.
    cache: Cache<u128, Arc<RawValue>>,
}

impl Default for Renderer {
    fn default() -> Self {
        Self {
            cache: Cache::builder()
                .max_capacity(CACHE_BYTES)
                .weigher(|_, html: &Arc<RawValue>| {
                    u32::try_from(html.get().len()).unwrap_or(u32::MAX)
                })
                .build(),
        }
    }
}

impl Renderer {
    /// The HTML of `markdown` as a JSON string literal, to go into a JSON answer as is.
    pub fn render_json(&self, markdown: &str) -> Arc<RawValue> {
        let key = xxhash_rust::xxh3::xxh3_128(markdown.as_bytes());
        self.cache
            .get_with(key, || json_literal(&markdown_to_html(markdown)))
    }

    /// The HTML of `markdown`.
    pub fn render(&self, markdown: &str) -> String {
        serde_json::from_str(self.render_json(markdown).get())
            .unwrap_or_else(|_| markdown_to_html(markdown))
    }
}

/// `text` as a JSON string literal.
fn json_literal(text: &str) -> Arc<RawValue> {
    // Serialising a string cannot fail; `null` keeps the answer valid JSON if it did.
    serde_json::value::to_raw_value(text)
        .map(Arc::from)
        .unwrap_or_else(|_| Arc::from(RawValue::NULL.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_commonmark_and_gfm_tables_strikethrough_and_fenced_code() {
        let html = markdown_to_html(
            "# Title\n\n*em* **strong** ~~gone~~\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```rust\nfn main() {}\n```\n",
        );
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<em>em</em>") && html.contains("<strong>strong</strong>"));
        assert!(html.contains("<del>gone</del>"), "{html}");
        assert!(
            html.contains("<table>") && html.contains("<td>1</td>"),
            "{html}"
        );
        assert!(
            html.contains("<pre><code class=\"language-rust\">fn main() {}"),
            "{html}"
        );
    }

    #[test]
    fn bare_urls_become_links_without_trailing_punctuation() {
        let html = markdown_to_html(
            "See https://example.com/a_(b). Or www.example.org, not `https://code.example`.",
        );
        assert!(
            html.contains("<a href=\"https://example.com/a_(b)\" rel=\"noopener noreferrer\">https://example.com/a_(b)</a>."),
            "{html}"
        );
        assert!(
            html.contains("<a href=\"http://www.example.org\" rel=\"noopener noreferrer\">www.example.org</a>,"),
            "{html}"
        );
        assert!(html.contains("<code>https://code.example</code>"), "{html}");
        let linked = markdown_to_html("[https://a.example](https://b.example)");
        assert_eq!(linked.matches("<a ").count(), 1, "{linked}");
        assert!(markdown_to_html("<https://c.example>").contains("href=\"https://c.example\""));
    }

    #[test]
    fn hostile_markdown_never_renders_live_code() {
        let hostile = [
            "<script>alert(1)</script>",
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](  javascript:alert(1))",
            "![x](javascript:alert(1))",
            "<img src=x onerror=alert(1)>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<div onclick=\"alert(1)\">x</div>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<svg onload=alert(1)>",
            "<style>body{display:none}</style>",
            "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
            "<object data=\"x\"></object><embed src=\"x\">",
            "<form action=\"https://evil.example\"><button>x</button></form>",
            "```\"><script>alert(1)</script>\n```",
            "<code class=\"x\" onmouseover=\"alert(1)\">x</code>",
            "[x](vbscript:msgbox)",
            "<p style=\"background:url(javascript:alert(1))\">x</p>",
        ];
        for markdown in hostile {
            let html = markdown_to_html(markdown).to_ascii_lowercase();
            for live in [
                "<script",
                "javascript:",
                "vbscript:",
                "onerror",
                "onclick",
                "onload",
                "onmouseover",
                "<iframe",
                "<svg",
                "<style",
                "data:",
                "<object",
                "<embed",
                "<form",
                "style=",
            ] {
                assert!(!html.contains(live), "{markdown:?} rendered {html:?}");
            }
        }
    }

    #[test]
    fn safe_raw_html_is_kept_and_links_get_rel() {
        let html = markdown_to_html("a <b>bold</b> [link](https://example.com \"t\")");
        assert!(html.contains("<b>bold</b>"), "{html}");
        assert!(
            html.contains(
                "<a href=\"https://example.com\" title=\"t\" rel=\"noopener noreferrer\">link</a>"
            ),
            "{html}"
        );
    }

    #[test]
    fn the_cache_answers_the_same_html_for_the_same_markdown() {
        let renderer = Renderer::default();
        let first = renderer.render_json("# One");
        let again = renderer.render_json("# One");
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(renderer.render("# Two"), "<h1>Two</h1>\n");
    }

    #[test]
    fn the_cached_html_is_a_json_string_of_the_html() {
        let renderer = Renderer::default();
        let markdown = "Say \"hi\" \\ <b>bye</b>\n\n| a |\n|---|\n| 1 |\n";
        let literal = renderer.render_json(markdown);
        let html: String = serde_json::from_str(literal.get()).expect("a JSON string");
        assert_eq!(html, markdown_to_html(markdown));
        assert_eq!(renderer.render(markdown), html);
    }
}
