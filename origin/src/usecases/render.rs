//! Markdown to HTML for readers: CommonMark with GFM tables, strikethrough,
//! autolinks and footnotes, then sanitised against an allow-list so that nothing the Markdown
//! carries (raw HTML, `javascript:` links, event attributes) reaches a reader as
//! live code.
//!
//! The HTML is derived on read and never stored: the stored item stays the
//! owner's Markdown (one source, small items, exports without derived data). A
//! bounded cache keyed by the Markdown keeps a warm origin from rendering the
//! same text twice. It holds the HTML as a JSON string literal, escaped once:
//! escaping it on every list was a fifth of that request's CPU.
//!
//! Rendering is linear in the Markdown's size. The HTML sanitiser's tree builder
//! (html5ever) is quadratic in nesting depth (`>` × 25,000 took 2 s), so the HTML it
//! is given nests at most `MAX_NESTING` levels: deeper block quotes and lists are
//! flattened into their parent, and raw HTML that would open an element past the
//! limit is shown as text. The bare-URL autolinker scans each character a bounded
//! number of times. `BENCHMARKS.md` ("Rendering hostile Markdown") has the figures.

use std::sync::{Arc, LazyLock};

use moka::sync::Cache;
use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, TextMergeStream};
use serde_json::value::RawValue;

use crate::support::caches::weighed_in_bytes;

/// What the render cache may hold, in bytes of Markdown and of its HTML escaped
/// as a JSON string.
const CACHE_BYTES: u64 = 8 * 1024 * 1024;

/// URL schemes a link or image may use; anything else (`javascript:`, `data:`,
/// `vbscript:`) is dropped with the attribute. Relative URLs stay.
const URL_SCHEMES: &[&str] = &["http", "https", "mailto"];

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(URL_SCHEMES.iter().copied().collect())
        .url_relative(ammonia::UrlRelative::Custom(Box::new(relative_url)))
        .add_tag_attributes("code", ["class"])
        // A footnote's definition is the target of its references' links.
        .add_tag_attributes("div", ["id"])
        // What `sized_images` gives an image: loaded when near, and the copy the
        // screen needs.
        .add_tag_attributes("img", ["loading", "decoding", "srcset", "sizes"])
        // Fenced code keeps its `language-…` class (for a frontend's highlighter);
        // no other class survives.
        .attribute_filter(|element, attribute, value| {
            let keep = match (element, attribute) {
                ("code", "class") => is_language_class(value),
                ("div", "id") => value.starts_with(FOOTNOTE_ID_PREFIX),
                ("img", "loading") => matches!(value, "lazy" | "eager"),
                ("img", "decoding") => matches!(value, "async" | "sync" | "auto"),
                ("img", "sizes") => value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b" (),:.-%".contains(&b)),
                ("img", "srcset") => is_safe_srcset(value),
                _ => true,
            };
            keep.then(|| value.into())
        });
    builder
});

/// A relative URL stays as written unless a browser would read it as another
/// host's: `//evil.example`, and `\\evil.example` or `/\evil.example`, which
/// browsers read as `//evil.example` (the URL Standard treats `\` as `/` in http(s)
/// URLs). Those are dropped: a link to another site is written with its scheme.
fn relative_url(url: &str) -> Option<std::borrow::Cow<'_, str>> {
    let trimmed = url.trim_start_matches(|c: char| c.is_ascii_whitespace() || c.is_ascii_control());
    let mut leading = trimmed
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .take(2);
    let other_host = leading.next().is_some_and(|c| c == '/' || c == '\\')
        && leading.next().is_some_and(|c| c == '/' || c == '\\');
    (!other_host).then_some(std::borrow::Cow::Borrowed(url))
}

/// A `srcset` whose every address is one a `src` may have: `http(s)://…`, or a
/// path on this host (not `//other.example`); descriptors `<n>w` or `<n>x`.
fn is_safe_srcset(value: &str) -> bool {
    value.split(',').all(|candidate| {
        let mut words = candidate.split_whitespace();
        let url_ok = words.next().is_some_and(|url| {
            let lower = url.to_ascii_lowercase();
            ((lower.starts_with("https://") || lower.starts_with("http://"))
                || (url.starts_with('/') && relative_url(url).is_some()))
                && !url.contains('\\')
        });
        let descriptor_ok = words.next().is_none_or(|d| {
            d.strip_suffix(['w', 'x']).is_some_and(|n| {
                !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            })
        });
        url_ok && descriptor_ok && words.next().is_none()
    })
}

fn is_language_class(value: &str) -> bool {
    value.strip_prefix("language-").is_some_and(|lang| {
        !lang.is_empty()
            && lang
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '#'))
    })
}

/// What a footnote's anchor starts with: the page's own ids (a frontend's) stay
/// clear of the Markdown's labels, and only these ids survive the sanitiser.
const FOOTNOTE_ID_PREFIX: &str = "folio-fn-";

/// How deeply the rendered HTML nests: block quotes, lists and raw HTML elements
/// together. Far beyond what prose uses; bounded so the sanitiser stays linear.
pub const MAX_NESTING: usize = 32;

/// HTML elements that have no end tag: they never nest.
const VOID_ELEMENTS: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// Markdown to sanitised HTML. CPU-bound (a 200,000-character post takes
/// milliseconds): callers on async workers run it with `spawn_blocking`.
/// `media_base` is where `/media/` is served (`MEDIA_URL`), for `sized_images`.
pub fn markdown_to_html(markdown: &str, media_base: Option<&str>) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES;
    // Text arrives in pieces (split at would-be emphasis): merged, a URL is whole.
    let events = bound_nesting(sized_images(
        autolink(TextMergeStream::new(Parser::new_ext(markdown, options)).map(namespace_footnote)),
        media_base,
    ));
    let mut html = String::with_capacity(markdown.len() * 5 / 4);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    SANITIZER.clean(&html).to_string()
}

/// The first paragraph of `markdown` as plain text (emphasis, links and code as
/// their words; HTML left out), for an excerpt a frontend prints as text.
pub fn first_paragraph_text(markdown: &str) -> Option<String> {
    let mut text = String::new();
    let mut in_paragraph = false;
    for event in Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Start(Tag::Paragraph) => in_paragraph = true,
            Event::End(TagEnd::Paragraph) if in_paragraph => {
                let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
                if !words.is_empty() {
                    return Some(words);
                }
                in_paragraph = false;
                text.clear();
            }
            Event::Text(t) | Event::Code(t) if in_paragraph => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak if in_paragraph => text.push(' '),
            _ => {}
        }
    }
    None
}

/// A footnote's label as an id of its own (`FOOTNOTE_ID_PREFIX`), in its
/// references and its definition alike.
fn namespace_footnote(event: Event<'_>) -> Event<'_> {
    let namespaced = |label: &CowStr<'_>| CowStr::from(format!("{FOOTNOTE_ID_PREFIX}{label}"));
    match event {
        Event::FootnoteReference(label) => Event::FootnoteReference(namespaced(&label)),
        Event::Start(Tag::FootnoteDefinition(label)) => {
            Event::Start(Tag::FootnoteDefinition(namespaced(&label)))
        }
        other => other,
    }
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
                let mut urls = BareUrls::new(&text);
                if let Some(first) = urls.find(0) {
                    split_links(&text, first, &mut urls, &mut out);
                    continue;
                }
            }
            _ => {}
        }
        out.push(event);
    }
    out
}

/// Every Markdown image gets `loading="lazy"` and `decoding="async"`; one of our
/// uploads whose name declares its size (`ports::media::sources`) also gets its
/// `width` and `height` (so the page does not jump as it loads) and a `srcset`
/// of its smaller copies with `sizes` (so a phone fetches a phone-sized copy).
/// The image becomes one piece of inline HTML, which the sanitiser then checks
/// like any other.
fn sized_images<'a>(events: Vec<Event<'a>>, media_base: Option<&str>) -> Vec<Event<'a>> {
    use crate::support::markup::xml;
    let mut out = Vec::with_capacity(events.len());
    let mut events = events.into_iter();
    while let Some(event) = events.next() {
        let Event::Start(Tag::Image {
            dest_url, title, ..
        }) = event
        else {
            out.push(event);
            continue;
        };
        // The alt text: the words inside, images nested in it included, as
        // pulldown-cmark's own writer takes them.
        let mut alt = String::new();
        let mut depth = 1usize;
        for inner in events.by_ref() {
            match inner {
                Event::Start(Tag::Image { .. }) => depth += 1,
                Event::End(TagEnd::Image) => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                Event::Text(t) | Event::Code(t) | Event::InlineHtml(t) | Event::Html(t) => {
                    alt.push_str(&t)
                }
                Event::SoftBreak | Event::HardBreak => alt.push(' '),
                _ => {}
            }
        }
        let mut html = format!("<img src=\"{}\" alt=\"{}\"", xml(&dest_url), xml(&alt));
        if !title.is_empty() {
            html.push_str(&format!(" title=\"{}\"", xml(&title)));
        }
        if let Some(sources) = crate::ports::media::sources(&dest_url, media_base) {
            let w = sources.width;
            html.push_str(&format!(
                " width=\"{w}\" height=\"{}\" srcset=\"{}\" sizes=\"(max-width: {w}px) 100vw, {w}px\"",
                sources.height,
                xml(&sources.srcset)
            ));
        }
        html.push_str(" loading=\"lazy\" decoding=\"async\">");
        out.push(Event::InlineHtml(CowStr::from(html)));
    }
    out
}

/// Whether a Markdown element is a container that nests in HTML.
fn is_container(tag: &Tag) -> bool {
    matches!(tag, Tag::BlockQuote(_) | Tag::List(_) | Tag::Item)
}

fn ends_container(tag: &TagEnd) -> bool {
    matches!(tag, TagEnd::BlockQuote(_) | TagEnd::List(_) | TagEnd::Item)
}

/// The tags `html` opens and closes, in order: `(name, true)` for an opening tag
/// of an element that can nest, `(name, false)` for a closing one.
fn raw_tags(html: &str) -> Vec<(String, bool)> {
    let mut tags = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let (closing, name_at) = match rest.strip_prefix('/') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let name: String = name_at
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        let self_closing = name_at
            .find('>')
            .is_some_and(|end| name_at[..end].ends_with('/'));
        if closing {
            tags.push((name, false));
        } else if !self_closing && !VOID_ELEMENTS.contains(&name.as_str()) {
            tags.push((name, true));
        }
    }
    tags
}

/// Keeps the HTML's nesting within `MAX_NESTING` (see the module's comment): a
/// container past it is dropped with its end (its content stays, in the parent),
/// and raw HTML that would open an element past it becomes text.
fn bound_nesting(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let mut out = Vec::with_capacity(events.len());
    // Per open container: whether it was kept.
    let mut containers: Vec<bool> = Vec::new();
    let mut kept = 0usize;
    // Raw HTML elements open now, innermost last.
    let mut raw: Vec<String> = Vec::new();
    for event in events {
        match &event {
            Event::Start(tag) if is_container(tag) => {
                let keep = kept + raw.len() < MAX_NESTING;
                containers.push(keep);
                if !keep {
                    continue;
                }
                kept += 1;
            }
            Event::End(tag) if ends_container(tag) => {
                if !containers.pop().unwrap_or(true) {
                    continue;
                }
                kept = kept.saturating_sub(1);
            }
            Event::Html(html) | Event::InlineHtml(html) => {
                let tags = raw_tags(html);
                let opens = tags.iter().filter(|(_, open)| *open).count();
                if kept + raw.len() + opens > MAX_NESTING {
                    out.push(Event::Text(html.clone()));
                    continue;
                }
                for (name, open) in tags {
                    if open {
                        raw.push(name);
                    } else if let Some(at) = raw.iter().rposition(|n| *n == name) {
                        // A closing tag closes what it names and what is inside it.
                        raw.truncate(at);
                    }
                }
            }
            _ => {}
        }
        out.push(event);
    }
    out
}

fn split_links<'a>(
    text: &str,
    mut found: (usize, usize),
    urls: &mut BareUrls<'_>,
    out: &mut Vec<Event<'a>>,
) {
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
        match urls.find(done) {
            Some(next) => found = next,
            None => break,
        }
    }
    if done < text.len() {
        out.push(Event::Text(CowStr::from(text[done..].to_string())));
    }
}

const URL_PREFIXES: [&str; 3] = ["https://", "http://", "www."];

/// The bare URLs of one text, in order: each `find(from)` gives the next at or
/// after `from`, its byte range, trailing punctuation and an unbalanced closing
/// parenthesis left out (GFM §6.9).
///
/// Linear in the text over all the calls: each prefix's next occurrence is found
/// once and kept until the search passes it, and a URL's end and its parentheses
/// are counted once (trimming `)` × 199,000 used to recount them for every one).
struct BareUrls<'t> {
    text: &'t str,
    /// Each prefix's next occurrence at or after where it was last looked for.
    next: [Option<usize>; 3],
    looked: bool,
}

impl<'t> BareUrls<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            text,
            next: [None; 3],
            looked: false,
        }
    }

    fn find(&mut self, from: usize) -> Option<(usize, usize)> {
        let text = self.text;
        let mut search = from;
        while search < text.len() {
            for (i, prefix) in URL_PREFIXES.iter().enumerate() {
                // Still ahead of the search (or none left): what was found holds.
                if self.looked && self.next[i].is_none_or(|at| at >= search) {
                    continue;
                }
                self.next[i] = text[search..].find(prefix).map(|at| search + at);
            }
            self.looked = true;
            let (begin, prefix_len) = self
                .next
                .iter()
                .enumerate()
                .filter_map(|(i, at)| at.map(|at| (at, URL_PREFIXES[i].len())))
                .min_by_key(|(at, _)| *at)?;
            // A URL starts a word: after the start of text, a space or an opening bracket.
            let boundary = text[..begin]
                .chars()
                .next_back()
                .is_none_or(|c| c.is_whitespace() || matches!(c, '(' | '*' | '_' | '~'));
            if !boundary {
                search = begin + prefix_len;
                continue;
            }
            let run_end = begin
                + text[begin..]
                    .find(|c: char| c.is_whitespace() || c == '<')
                    .unwrap_or(text.len() - begin);
            let url = &text[begin..run_end];
            let mut opens = url.matches('(').count();
            let mut closes = url.matches(')').count();
            let mut end = run_end;
            while end > begin {
                let last = text[..end].chars().next_back().unwrap_or(' ');
                let unbalanced_paren = last == ')' && opens < closes;
                if matches!(
                    last,
                    '?' | '!' | '.' | ',' | ':' | '*' | '_' | '~' | '\'' | '"'
                ) || unbalanced_paren
                {
                    end -= last.len_utf8();
                    match last {
                        '(' => opens -= 1,
                        ')' => closes -= 1,
                        _ => {}
                    }
                } else {
                    break;
                }
            }
            if end > begin + prefix_len
                && text[begin + prefix_len..end].contains(|c: char| c.is_alphanumeric())
            {
                return Some((begin, end));
            }
            // Nothing linkable in this run of text: the next URL starts after it (any
            // prefix inside it has letters, so this run would have been linked).
            search = run_end.max(begin + prefix_len);
        }
        None
    }
}

/// Markdown and its HTML (a JSON string literal), as the cache keeps them.
struct Rendered {
    markdown: Box<str>,
    html: Arc<RawValue>,
}

/// Rendered HTML by Markdown (as JSON string literals), bounded by bytes.
pub struct Renderer {
    /// Keyed by XXH3-128 of the Markdown, which a hit is compared with: a hash is
    /// not a proof (as in the origin's other caches found by a hash).
    cache: Cache<u128, Arc<Rendered>>,
    /// Where `/media/` is served, once media are configured (`set_media_base`).
    media_base: Arc<std::sync::OnceLock<String>>,
}

impl Default for Renderer {
    fn default() -> Self {
        Self {
            cache: weighed_in_bytes(CACHE_BYTES, |_, kept: &Arc<Rendered>| {
                kept.markdown.len() + kept.html.get().len()
            })
            .build(),
            media_base: Arc::default(),
        }
    }
}

impl Renderer {
    /// Where `/media/` is served: images there get their sizes. Set once at
    /// start, before anything is rendered (the cache holds HTML made with it).
    pub fn set_media_base(&self, base: &str) {
        if self.media_base.set(base.to_string()).is_ok() {
            self.cache.invalidate_all();
        }
    }

    pub fn media_base(&self) -> Option<&str> {
        self.media_base.get().map(String::as_str)
    }

    /// The HTML of `markdown`, rendered now (not cached): the preview's.
    pub async fn render_fresh(&self, markdown: String) -> Result<String, String> {
        let base = Arc::clone(&self.media_base);
        tokio::task::spawn_blocking(move || {
            markdown_to_html(&markdown, base.get().map(String::as_str))
        })
        .await
        .map_err(|e| format!("rendering failed: {e}"))
    }

    /// The HTML of each Markdown as a JSON string literal, to go into a JSON
    /// answer as is. What the cache lacks is rendered off the async workers, in one
    /// blocking task for the lot.
    pub async fn render_many(&self, markdowns: &[&str]) -> Vec<Arc<RawValue>> {
        let mut out: Vec<Option<Arc<RawValue>>> = Vec::with_capacity(markdowns.len());
        let mut misses = Vec::new();
        for (i, markdown) in markdowns.iter().enumerate() {
            let key = xxhash_rust::xxh3::xxh3_128(markdown.as_bytes());
            let hit = self
                .cache
                .get(&key)
                .filter(|kept| *kept.markdown == **markdown)
                .map(|kept| Arc::clone(&kept.html));
            if hit.is_none() {
                misses.push((i, key, markdown.to_string()));
            }
            out.push(hit);
        }
        if !misses.is_empty() {
            let cache = self.cache.clone();
            let base = Arc::clone(&self.media_base);
            let render = move || {
                let base = base.get().map(String::as_str);
                misses
                    .into_iter()
                    .map(|(i, key, markdown)| {
                        let html = json_literal(&markdown_to_html(&markdown, base));
                        let kept = Rendered {
                            markdown: markdown.into_boxed_str(),
                            html: Arc::clone(&html),
                        };
                        cache.insert(key, Arc::new(kept));
                        (i, html)
                    })
                    .collect::<Vec<_>>()
            };
            // A blocking task that died (a panic in a dependency) leaves its items
            // to the fallback below, rendered here.
            for (i, html) in tokio::task::spawn_blocking(render)
                .await
                .unwrap_or_default()
            {
                out[i] = Some(html);
            }
        }
        out.into_iter()
            .zip(markdowns)
            .map(|(html, markdown)| {
                html.unwrap_or_else(|| json_literal(&markdown_to_html(markdown, self.media_base())))
            })
            .collect()
    }

    /// `render_many` of one.
    pub async fn render_json(&self, markdown: &str) -> Arc<RawValue> {
        self.render_many(&[markdown])
            .await
            .pop()
            .unwrap_or_else(|| json_literal(""))
    }

    /// The HTML of each Markdown, as text (`render_many`, unescaped).
    pub async fn render_many_html(&self, markdowns: &[&str]) -> Vec<String> {
        self.render_many(markdowns)
            .await
            .iter()
            .zip(markdowns)
            .map(|(literal, markdown)| {
                serde_json::from_str(literal.get())
                    .unwrap_or_else(|_| markdown_to_html(markdown, self.media_base()))
            })
            .collect()
    }

    /// The HTML of `markdown`.
    pub async fn render(&self, markdown: &str) -> String {
        self.render_many_html(&[markdown])
            .await
            .pop()
            .unwrap_or_default()
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
            None,
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
    fn an_uploaded_image_with_its_size_gets_width_height_and_srcset_and_every_image_is_lazy() {
        let base = "https://d1.cloudfront.net";
        let html = markdown_to_html(
            "![Cover](https://d1.cloudfront.net/media/abc.1000x500.png) ![gif](/media/def.640x480.gif) ![x](https://other.example/media/ghi.1000x500.png)",
            Some(base),
        );
        assert!(html.contains("<img src=\"https://d1.cloudfront.net/media/abc.1000x500.png\" alt=\"Cover\" width=\"1000\" height=\"500\" srcset=\"https://d1.cloudfront.net/media/sized/abc-480.webp 480w, https://d1.cloudfront.net/media/sized/abc-960.webp 960w, https://d1.cloudfront.net/media/abc.1000x500.png 1000w\" sizes=\"(max-width: 1000px) 100vw, 1000px\" loading=\"lazy\" decoding=\"async\">"), "{html}");
        // No copies are made of a GIF: its size, and itself as the only source.
        assert!(
            html.contains("width=\"640\" height=\"480\" srcset=\"/media/def.640x480.gif 640w\""),
            "{html}"
        );
        // Another host's /media/ is not ours: nothing guessed.
        assert!(html.contains("<img src=\"https://other.example/media/ghi.1000x500.png\" alt=\"x\" loading=\"lazy\" decoding=\"async\">"), "{html}");
    }

    #[test]
    fn a_hostile_srcset_or_loading_in_raw_html_is_dropped() {
        let html = markdown_to_html(
            "<img src=\"/a.png\" srcset=\"javascript:alert(1) 1x\" loading=\"x onerror=alert(1)\" sizes=\"<b>\"> <img src=\"/b.png\" srcset=\"//evil.example/b.png 2x\">",
            None,
        );
        for hostile in [
            "javascript:",
            "onerror",
            "evil.example",
            "srcset",
            "loading=",
            "sizes",
        ] {
            assert!(!html.contains(hostile), "{hostile} survived: {html}");
        }
        let kept = markdown_to_html(
            "<img src=\"/a.png\" srcset=\"/a-2.png 2x, https://x.example/a.png 3x\">",
            None,
        );
        assert!(
            kept.contains("srcset=\"/a-2.png 2x, https://x.example/a.png 3x\""),
            "{kept}"
        );
    }

    #[test]
    fn bare_urls_become_links_without_trailing_punctuation() {
        let html = markdown_to_html(
            "See https://example.com/a_(b). Or www.example.org, not `https://code.example`.",
            None,
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
        let linked = markdown_to_html("[https://a.example](https://b.example)", None);
        assert_eq!(linked.matches("<a ").count(), 1, "{linked}");
        assert!(
            markdown_to_html("<https://c.example>", None).contains("href=\"https://c.example\"")
        );
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
            let html = markdown_to_html(markdown, None).to_ascii_lowercase();
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
    fn relative_links_that_browsers_read_as_another_host_are_dropped() {
        for markdown in [
            "[x](//evil.example)",
            "[x](\\\\evil.example)",
            "[x](/\\evil.example)",
            "<a href=\"\\/evil.example\">x</a>",
            "![x](//evil.example/i.png)",
        ] {
            let html = markdown_to_html(markdown, None);
            // What is left may name evil.example only as a path of this site
            // (`%5Cevil.example`): never as a URL a browser reads as that host.
            for attribute in ["href=\"", "src=\""] {
                for value in html.split(attribute).skip(1) {
                    let mut lead = value.chars().take(2);
                    let other_host = lead.next().is_some_and(|c| c == '/' || c == '\\')
                        && lead.next().is_some_and(|c| c == '/' || c == '\\');
                    assert!(!other_host, "{markdown:?} rendered {html:?}");
                }
            }
        }
        let kept = markdown_to_html(
            "[a](/blog/a) [b](b.html) [c](#c) [d](https://other.example)",
            None,
        );
        for href in ["/blog/a", "b.html", "#c", "https://other.example"] {
            assert!(kept.contains(&format!("href=\"{href}\"")), "{href}: {kept}");
        }
    }

    #[test]
    fn a_first_paragraph_reads_as_plain_text() {
        let md = "# Title\n\n<div>raw</div>\n\nSome **bold** and [a link](https://x.example)\nwith `code`.\n\nMore.";
        assert_eq!(
            first_paragraph_text(md).as_deref(),
            Some("Some bold and a link with code.")
        );
        assert_eq!(first_paragraph_text("# Only a title"), None);
    }

    #[test]
    fn footnotes_render_and_link_to_their_definitions() {
        let html = markdown_to_html("A claim.[^src]\n\n[^src]: Where it comes from.\n", None);
        assert!(html.contains("href=\"#folio-fn-src\""), "{html}");
        assert!(html.contains("id=\"folio-fn-src\""), "{html}");
        assert!(html.contains("Where it comes from."), "{html}");
        // Only footnote ids survive: no other id can clobber the page's.
        let raw = markdown_to_html("<div id=\"main\">x</div>", None);
        assert!(!raw.contains("id="), "{raw}");
    }

    #[test]
    fn safe_raw_html_is_kept_and_links_get_rel() {
        let html = markdown_to_html("a <b>bold</b> [link](https://example.com \"t\")", None);
        assert!(html.contains("<b>bold</b>"), "{html}");
        assert!(
            html.contains(
                "<a href=\"https://example.com\" title=\"t\" rel=\"noopener noreferrer\">link</a>"
            ),
            "{html}"
        );
    }

    #[tokio::test]
    async fn the_cache_answers_the_same_html_for_the_same_markdown() {
        let renderer = Renderer::default();
        let first = renderer.render_json("# One").await;
        let again = renderer.render_json("# One").await;
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(renderer.render("# Two").await, "<h1>Two</h1>\n");
        let many = renderer.render_many(&["# One", "# Three", "# One"]).await;
        assert!(Arc::ptr_eq(&many[0], &first) && Arc::ptr_eq(&many[2], &first));
        assert_eq!(many[1].get(), "\"<h1>Three</h1>\\n\"");
    }

    #[tokio::test]
    async fn html_kept_under_the_same_key_for_other_markdown_is_not_used() {
        let renderer = Renderer::default();
        // What a collision of the hash would leave: "# One"'s key, another text's HTML.
        let key = xxhash_rust::xxh3::xxh3_128(b"# One");
        let forged = Rendered {
            markdown: "# Other".into(),
            html: json_literal("<h1>Other</h1>\n"),
        };
        renderer.cache.insert(key, Arc::new(forged));
        assert_eq!(renderer.render("# One").await, "<h1>One</h1>\n");
        // Rendered, it is kept in its place and found again.
        let kept = renderer.render_json("# One").await;
        assert!(Arc::ptr_eq(&kept, &renderer.render_json("# One").await));
    }

    #[tokio::test]
    async fn the_cached_html_is_a_json_string_of_the_html() {
        let renderer = Renderer::default();
        let markdown = "Say \"hi\" \\ <b>bye</b>\n\n| a |\n|---|\n| 1 |\n";
        let literal = renderer.render_json(markdown).await;
        let html: String = serde_json::from_str(literal.get()).expect("a JSON string");
        assert_eq!(html, markdown_to_html(markdown, None));
        assert_eq!(renderer.render(markdown).await, html);
    }

    /// The sanitiser's tree builder is quadratic in depth: the HTML it gets nests
    /// at most MAX_NESTING levels, however deep the Markdown or its raw HTML goes.
    #[test]
    fn nesting_past_the_limit_is_flattened_and_content_is_kept() {
        fn depth(html: &str) -> usize {
            let (mut depth, mut deepest) = (0usize, 0usize);
            for tag in raw_tags(html) {
                if tag.1 {
                    depth += 1;
                    deepest = deepest.max(depth);
                } else {
                    depth = depth.saturating_sub(1);
                }
            }
            deepest
        }
        let quotes = markdown_to_html(&format!("{}deep", ">".repeat(5_000)), None);
        assert!(depth(&quotes) <= MAX_NESTING + 1, "{}", depth(&quotes));
        assert!(quotes.contains("deep"));
        let html = markdown_to_html(&"<div>".repeat(5_000), None);
        assert!(depth(&html) <= MAX_NESTING + 1, "{}", depth(&html));
        assert!(
            html.contains("&lt;div&gt;"),
            "raw HTML past the limit is text"
        );
        let lists = markdown_to_html(&"- ".repeat(5_000), None);
        assert!(depth(&lists) <= MAX_NESTING + 1, "{}", depth(&lists));
        // Within the limit nothing changes.
        assert_eq!(
            markdown_to_html("> a\n>> b", None),
            "<blockquote>\n<p>a</p>\n<blockquote>\n<p>b</p>\n</blockquote>\n</blockquote>\n"
        );
    }

    /// Each of these took seconds to a minute (quadratic): now each is a single
    /// pass. The timing is in BENCHMARKS.md; this holds the shape of the output.
    #[test]
    fn trailing_parentheses_and_failed_url_candidates_are_scanned_once() {
        let html = markdown_to_html(&format!("https://a.example/{}", ")".repeat(50_000)), None);
        assert!(
            html.starts_with("<p><a href=\"https://a.example/\""),
            "{}",
            &html[..80]
        );
        let html = markdown_to_html(
            &format!("{} https://x.example", "xwww.".repeat(20_000)),
            None,
        );
        assert_eq!(html.matches("<a ").count(), 1);
        let html = markdown_to_html(&"www.a.example ".repeat(10_000), None);
        assert_eq!(html.matches("<a ").count(), 10_000);
    }
}
