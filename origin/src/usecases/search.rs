//! Search over what readers can see, the published posts, projects and
//! certifications, and for the owner over every item of any status, ranked with BM25 over their fields (a title weighs more than
//! a body), every query word required, words of four letters or more matching
//! as prefixes and with one typo, and a snippet of each hit with the words
//! marked (the text escaped, `<mark>` the only markup).
//!
//! Each index (the readers', and the owner's of every status, built only when
//! the owner searches) lives in the origin's memory, built from its items when
//! the store's change counter (`repo::content::changes`, bumped after every
//! content write) differs from the one it was built at: one small read per
//! search that misses CloudFront's cache, and a rebuild after each change.
//! Readers' answers are cached like other public reads and purged with the
//! content; the owner's never are. Two indexes, not one filtered: the readers'
//! scores must not move with the words of drafts.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use folio_shared::domain::{
    BlogPost, Certification, Content, ContentKind, ItemId, Project, Status,
};
use serde::Serialize;
use serde_json::Value;

use crate::ports::Store;
use crate::repo::content as repo;
use crate::support::markup::xml;
use crate::usecases::error::UseCaseError;

/// The longest query read, in characters.
pub const MAX_QUERY_CHARS: usize = 100;
/// Query words used; the rest are ignored.
const MAX_WORDS: usize = 8;
/// Words this long or longer also match as prefixes and with one typo.
pub const FUZZY_FROM: usize = 4;
/// Terms longer than this are not indexed (hashes, base64, URLs run together).
const MAX_TERM_CHARS: usize = 40;
/// Index terms a prefix may stand for.
const MAX_EXPANSIONS: usize = 50;
const SNIPPET_CHARS: usize = 160;

/// How much a word counts in each part of an item.
const TITLE_WEIGHT: f32 = 6.0;
const META_WEIGHT: f32 = 2.0;
const BODY_WEIGHT: f32 = 1.0;
/// How much a prefix or a one-typo match counts against the word itself.
const PREFIX_MATCH: f32 = 0.8;
const TYPO_MATCH: f32 = 0.5;
/// BM25's usual constants.
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// What an item offers search, in plain text.
#[derive(Debug, Clone)]
pub struct Source {
    pub kind: ContentKind,
    pub id: ItemId,
    pub status: Status,
    pub slug: Option<String>,
    pub title: String,
    /// Excerpt or description, category, tags, issuer...: text between the two.
    pub meta: String,
    /// The Markdown body, as plain text.
    pub body: String,
}

/// The fields of each kind, by their names in the item's JSON.
fn field_names(
    kind: ContentKind,
) -> (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
) {
    match kind {
        ContentKind::Blog => ("title", &["excerpt", "category", "tags"], &["content"]),
        ContentKind::Project => (
            "name",
            &["description", "company", "tech"],
            &["longDescription"],
        ),
        ContentKind::Certification => ("name", &["issuer", "type"], &["description"]),
    }
}

fn text_of(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

impl Source {
    pub fn of<T: Content>(item: &T) -> Self {
        let json = serde_json::to_value(item).unwrap_or(Value::Null);
        let (title, meta, body) = field_names(T::KIND);
        let join = |names: &[&str]| {
            names
                .iter()
                .map(|n| plain_text(&text_of(json.get(*n))))
                .collect::<Vec<_>>()
                .join(" · ")
        };
        Self {
            kind: T::KIND,
            id: item.id().clone(),
            status: item.status(),
            slug: item.slug().map(str::to_string),
            title: text_of(json.get(title)),
            meta: join(meta),
            body: join(body),
        }
    }
}

/// Markdown as the words a reader sees: link targets, images' addresses, HTML
/// tags and emphasis marks left out. One pass, linear in the text.
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut chars = markdown.char_indices().peekable();
    // Where the next `)` and `>` are: found once and reused until passed, so a
    // text of many unclosed `](` or `<a` stays linear.
    let (mut close_paren, mut close_angle) = (None, None);
    while let Some((at, c)) = chars.next() {
        let skip_to = match c {
            // `](target)`: the target is not text.
            ']' if markdown[at + 1..].starts_with('(') => {
                next_at(markdown, ')', at + 1, &mut close_paren).filter(|end| end - at <= 2048)
            }
            '<' if markdown[at + 1..]
                .starts_with(|c: char| c.is_ascii_alphabetic() || c == '/') =>
            {
                next_at(markdown, '>', at + 1, &mut close_angle).filter(|end| end - at <= 512)
            }
            '#' | '*' | '_' | '`' | '>' | '~' | '|' | '[' | ']' | '!' | '\\' | '<' => None,
            c if c.is_whitespace() => None,
            c => {
                out.push(c);
                continue;
            }
        };
        if let Some(end) = skip_to {
            while chars.peek().is_some_and(|(i, _)| *i <= end) {
                chars.next();
            }
        }
        if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    out.trim().to_string()
}

/// The first `ch` at or after `from`, remembered in `found` (`Some(None)`: there
/// is none further on).
fn next_at(text: &str, ch: char, from: usize, found: &mut Option<Option<usize>>) -> Option<usize> {
    match *found {
        Some(None) => return None,
        Some(Some(at)) if at >= from => return Some(at),
        _ => {}
    }
    let at = text[from..].find(ch).map(|i| from + i);
    *found = Some(at);
    at
}

/// The words of a text, lowercased, with where each starts and ends.
fn words(text: &str) -> impl Iterator<Item = (usize, usize, String)> + '_ {
    let mut start = None;
    text.char_indices()
        .chain(std::iter::once((text.len(), ' ')))
        .filter_map(move |(at, c)| {
            if c.is_alphanumeric() {
                start.get_or_insert(at);
                None
            } else {
                start.take().map(|s| (s, at))
            }
        })
        .filter(|(s, e)| text[*s..*e].chars().count() <= MAX_TERM_CHARS)
        .map(move |(s, e)| (s, e, text[s..e].to_lowercase()))
}

#[derive(Debug)]
struct Doc {
    source: Source,
    /// Weighted length: words times their field's weight.
    len: f32,
}

/// The inverted index of every published item.
#[derive(Debug, Default)]
pub struct Index {
    docs: Vec<Doc>,
    /// Term → (document, weighted term frequency).
    terms: BTreeMap<String, Vec<(u32, f32)>>,
    avg_len: f32,
}

/// One hit, as the API answers it.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Hit {
    pub content_type: ContentKind,
    pub id: ItemId,
    /// The item's status: in the owner's answers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    pub title: String,
    /// Escaped text around the first match, the matching words in `<mark>`.
    pub snippet: String,
    pub score: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Results {
    pub query: String,
    pub total: usize,
    pub results: Vec<Hit>,
}

/// Whether `a` becomes `b` with at most one insertion, deletion or substitution.
fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    if long.len() - short.len() > 1 {
        return false;
    }
    let mut i = 0;
    while i < short.len() && short[i] == long[i] {
        i += 1;
    }
    if i == short.len() {
        // Equal, or one more at the end.
        true
    } else if short.len() == long.len() {
        short[i + 1..] == long[i + 1..]
    } else {
        short[i..] == long[i + 1..]
    }
}

impl Index {
    pub fn build(sources: Vec<Source>) -> Self {
        let mut index = Index::default();
        let mut total = 0.0;
        for (n, source) in sources.into_iter().enumerate() {
            let mut tf: HashMap<String, f32> = HashMap::new();
            let mut len = 0.0;
            for (text, weight) in [
                (&source.title, TITLE_WEIGHT),
                (&source.meta, META_WEIGHT),
                (&source.body, BODY_WEIGHT),
            ] {
                for (_, _, word) in words(text) {
                    *tf.entry(word).or_default() += weight;
                    len += weight;
                }
            }
            for (term, f) in tf {
                index.terms.entry(term).or_default().push((n as u32, f));
            }
            total += len;
            index.docs.push(Doc { source, len });
        }
        index.avg_len = if index.docs.is_empty() {
            1.0
        } else {
            (total / index.docs.len() as f32).max(1.0)
        };
        index
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// About how much memory the index holds: its terms, its postings and the
    /// text snippets are cut from (for the benchmark's figures).
    pub fn approx_bytes(&self) -> usize {
        let terms: usize = self
            .terms
            .iter()
            .map(|(t, p)| t.len() + 48 + p.len() * std::mem::size_of::<(u32, f32)>())
            .sum();
        let docs: usize = self
            .docs
            .iter()
            .map(|d| d.source.title.len() + d.source.meta.len() + d.source.body.len() + 160)
            .sum();
        terms + docs
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// The index terms a query word stands for, each with how much it counts.
    fn expand(&self, word: &str) -> Vec<(&str, f32)> {
        let mut found: Vec<(&str, f32)> = Vec::new();
        if let Some((term, _)) = self.terms.get_key_value(word) {
            found.push((term.as_str(), 1.0));
        }
        if word.chars().count() < FUZZY_FROM {
            return found;
        }
        found.extend(
            self.terms
                .range::<str, _>((std::ops::Bound::Excluded(word), std::ops::Bound::Unbounded))
                .take_while(|(t, _)| t.starts_with(word))
                .take(MAX_EXPANSIONS)
                .map(|(t, _)| (t.as_str(), PREFIX_MATCH)),
        );
        let chars = word.chars().count();
        found.extend(
            self.terms
                .keys()
                .filter(|t| {
                    t.len().abs_diff(word.len()) <= 4 && t.chars().count().abs_diff(chars) <= 1
                })
                .filter(|t| t.as_str() != word && !t.starts_with(word) && within_one_edit(t, word))
                .take(MAX_EXPANSIONS)
                .map(|t| (t.as_str(), TYPO_MATCH)),
        );
        found
    }

    fn bm25(&self, df: usize, tf: f32, len: f32) -> f32 {
        let n = self.docs.len() as f32;
        let idf = (1.0 + (n - df as f32 + 0.5) / (df as f32 + 0.5)).ln();
        idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len / self.avg_len))
    }

    /// Every item of the index that matches, best first (readers' hits: no status).
    pub fn query(&self, query: &str, limit: usize) -> Results {
        self.query_among(query, limit, None)
    }

    /// The matches among the items of `statuses` (`None`: all of them, with no
    /// status in the hits).
    pub fn query_among(&self, query: &str, limit: usize, statuses: Option<&[Status]>) -> Results {
        let mut asked: Vec<String> = Vec::new();
        for (_, _, word) in words(query) {
            if !asked.contains(&word) && asked.len() < MAX_WORDS {
                asked.push(word);
            }
        }
        let mut scores: Option<HashMap<u32, f32>> = None;
        let mut matched_terms: HashSet<&str> = HashSet::new();
        for word in &asked {
            // Per document, the best of the word's variants: a word matching
            // many terms does not count many times.
            let mut best: HashMap<u32, f32> = HashMap::new();
            for (term, weight) in self.expand(word) {
                let postings = &self.terms[term];
                matched_terms.insert(term);
                for &(doc, tf) in postings {
                    let s = weight * self.bm25(postings.len(), tf, self.docs[doc as usize].len);
                    let e = best.entry(doc).or_default();
                    *e = e.max(s);
                }
            }
            // Every word is required.
            scores = Some(match scores {
                None => best,
                Some(so_far) => so_far
                    .into_iter()
                    .filter_map(|(doc, s)| best.get(&doc).map(|b| (doc, s + b)))
                    .collect(),
            });
        }
        let mut ranked: Vec<(u32, f32)> = scores
            .unwrap_or_default()
            .into_iter()
            .filter(|(doc, _)| {
                statuses.is_none_or(|s| s.contains(&self.docs[*doc as usize].source.status))
            })
            .collect();
        ranked.sort_by(|a, b| {
            b.1.total_cmp(&a.1).then_with(|| {
                self.docs[a.0 as usize]
                    .source
                    .title
                    .cmp(&self.docs[b.0 as usize].source.title)
            })
        });
        let total = ranked.len();
        let results = ranked
            .into_iter()
            .take(limit)
            .map(|(doc, score)| {
                let source = &self.docs[doc as usize].source;
                Hit {
                    content_type: source.kind,
                    id: source.id.clone(),
                    status: statuses.map(|_| source.status),
                    slug: source.slug.clone(),
                    title: source.title.clone(),
                    snippet: snippet(source, &matched_terms),
                    score: (f64::from(score) * 1000.0).round() / 1000.0,
                }
            })
            .collect();
        Results {
            query: asked.join(" "),
            total,
            results,
        }
    }
}

/// The text around the first matching word of the body (else of the other
/// fields), escaped, each matching word in `<mark>`.
fn snippet(source: &Source, matched: &HashSet<&str>) -> String {
    let text = [&source.body, &source.meta, &source.title]
        .into_iter()
        .find(|t| words(t).any(|(_, _, w)| matched.contains(w.as_str())))
        .unwrap_or(&source.body);
    let first = words(text)
        .find(|(_, _, w)| matched.contains(w.as_str()))
        .map_or(0, |(s, _, _)| s);
    // Start a little before the match, at a word's start.
    let mut start = text[..first]
        .char_indices()
        .rev()
        .nth(SNIPPET_CHARS / 3)
        .map_or(0, |(i, _)| i);
    if start > 0 {
        start = text[start..]
            .find(' ')
            .map_or(start, |s| start + s + 1)
            .min(first);
    }
    let end = text[start..]
        .char_indices()
        .nth(SNIPPET_CHARS)
        .map_or(text.len(), |(i, _)| start + i);
    let end = if end < text.len() {
        text[..end].rfind(' ').filter(|e| *e > first).unwrap_or(end)
    } else {
        end
    };
    let window = &text[start..end];
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut last = 0;
    for (s, e, word) in words(window) {
        if matched.contains(word.as_str()) {
            out.push_str(&xml(&window[last..s]));
            out.push_str("<mark>");
            out.push_str(&xml(&window[s..e]));
            out.push_str("</mark>");
            last = e;
        }
    }
    out.push_str(&xml(&window[last..]));
    if end < text.len() {
        out.push('…');
    }
    out
}

/// The index of one audience the origin holds, with the store's change count it
/// was built at.
#[derive(Default)]
pub struct SearchIndex(Mutex<Option<(i64, Arc<Index>)>>);

impl SearchIndex {
    fn current(&self, changes: i64) -> Option<Arc<Index>> {
        let held = self.0.lock().ok()?;
        held.as_ref()
            .filter(|(at, _)| *at == changes)
            .map(|(_, index)| Arc::clone(index))
    }

    fn keep(&self, changes: i64, index: Arc<Index>) {
        if let Ok(mut held) = self.0.lock() {
            *held = Some((changes, index));
        }
    }
}

/// The two indexes: what readers can find, and what the owner can.
#[derive(Default)]
pub struct SearchIndexes {
    pub readers: SearchIndex,
    pub owner: SearchIndex,
}

/// Who searches: readers find published items; the owner finds items of the
/// statuses asked for (any of them), each hit with its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Searcher {
    Reader,
    Owner(&'static [Status]),
}

async fn sources_of<T: Content>(
    store: &dyn Store,
    statuses: &[Status],
    out: &mut Vec<Source>,
) -> Result<(), UseCaseError> {
    out.extend(
        repo::list::<T>(store, statuses)
            .await?
            .iter()
            .map(Source::of),
    );
    Ok(())
}

/// Every item of `statuses`, as search reads it.
pub async fn sources(store: &dyn Store, statuses: &[Status]) -> Result<Vec<Source>, UseCaseError> {
    let mut out = Vec::new();
    sources_of::<BlogPost>(store, statuses, &mut out).await?;
    sources_of::<Project>(store, statuses, &mut out).await?;
    sources_of::<Certification>(store, statuses, &mut out).await?;
    Ok(out)
}

fn blocking_failed(e: tokio::task::JoinError) -> UseCaseError {
    UseCaseError::Corrupt(format!("search task failed: {e}"))
}

/// Searches what `searcher` may find with its index in `held` (rebuilt first if
/// the content changed since it was built).
pub async fn search(
    store: &dyn Store,
    held: &SearchIndexes,
    searcher: Searcher,
    query: &str,
    limit: usize,
) -> Result<Results, UseCaseError> {
    let (held, indexed, among): (_, &[Status], _) = match searcher {
        Searcher::Reader => (&held.readers, &[Status::Published], None),
        Searcher::Owner(statuses) => (&held.owner, &Status::ALL, Some(statuses)),
    };
    let changes = repo::changes(store).await?;
    let index = match held.current(changes) {
        Some(index) => index,
        None => {
            let sources = sources(store, indexed).await?;
            // Building and querying are CPU work: off the async workers.
            let index = Arc::new(
                tokio::task::spawn_blocking(move || Index::build(sources))
                    .await
                    .map_err(blocking_failed)?,
            );
            held.keep(changes, Arc::clone(&index));
            index
        }
    };
    let query = query.to_string();
    tokio::task::spawn_blocking(move || index.query_among(&query, limit, among))
        .await
        .map_err(blocking_failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(id: &str, title: &str, meta: &str, body: &str) -> Source {
        Source {
            kind: ContentKind::Blog,
            id: ItemId::parse("id", id).unwrap(),
            status: Status::Published,
            slug: Some(id.into()),
            title: title.into(),
            meta: meta.into(),
            body: body.into(),
        }
    }

    fn ids(results: &Results) -> Vec<&str> {
        results.results.iter().map(|h| h.id.as_str()).collect()
    }

    fn fixture() -> Index {
        Index::build(vec![
            source(
                "body",
                "Notes from a conference",
                "talks",
                "We ran Kubernetes clusters for a year, and Kubernetes taught us patience.",
            ),
            source(
                "title",
                "Kubernetes in production",
                "ops",
                "What we learned running containers.",
            ),
            source("other", "Baking bread", "food", "Flour, water, salt."),
            source(
                "both",
                "Rust services",
                "rust",
                "Deploying Rust on Kubernetes with small images.",
            ),
        ])
    }

    #[test]
    fn a_title_match_ranks_above_body_matches() {
        let found = fixture().query("kubernetes", 10);
        assert_eq!(found.total, 3);
        assert_eq!(ids(&found)[0], "title");
        assert!(!ids(&found).contains(&"other"));
    }

    #[test]
    fn every_word_is_required() {
        assert_eq!(ids(&fixture().query("rust kubernetes", 10)), ["both"]);
        assert_eq!(fixture().query("kubernetes bread", 10).total, 0);
    }

    #[test]
    fn words_of_four_letters_match_as_prefixes_and_with_one_typo() {
        assert_eq!(ids(&fixture().query("kube", 10)).len(), 3);
        assert_eq!(
            ids(&fixture().query("kubernets", 10)).len(),
            3,
            "one letter missing"
        );
        assert_eq!(
            ids(&fixture().query("brwad", 10)),
            ["other"],
            "one letter wrong"
        );
        assert_eq!(
            fixture().query("kub", 10).total,
            0,
            "three letters match only whole words"
        );
        assert_eq!(
            fixture().query("brxxd", 10).total,
            0,
            "two typos are another word"
        );
    }

    #[test]
    fn snippets_escape_the_text_and_mark_only_the_matches() {
        let index = Index::build(vec![source(
            "x",
            "Markup",
            "",
            "Before <script>alert(1)</script> the word Kubernetes & more \"quoted\" text",
        )]);
        let found = index.query("kubernetes", 10);
        let snippet = &found.results[0].snippet;
        assert!(snippet.contains("<mark>Kubernetes</mark>"), "{snippet}");
        assert!(snippet.contains("&lt;script&gt;"), "{snippet}");
        assert!(
            snippet.contains("&amp; more &quot;quoted&quot;"),
            "{snippet}"
        );
        assert_eq!(
            snippet.matches('<').count(),
            2,
            "only <mark> and </mark>: {snippet}"
        );
    }

    #[test]
    fn a_long_body_gives_a_short_snippet_around_the_match() {
        let body = format!("{} needle {}", "word ".repeat(500), "word ".repeat(500));
        let index = Index::build(vec![source("x", "T", "", &body)]);
        let snippet = &index.query("needle", 1).results[0].snippet;
        assert!(
            snippet.starts_with('…') && snippet.ends_with('…'),
            "{snippet}"
        );
        assert!(snippet.chars().count() < SNIPPET_CHARS + 30, "{snippet}");
        assert!(snippet.contains("<mark>needle</mark>"));
    }

    #[test]
    fn markdown_is_searched_as_the_words_readers_see() {
        assert_eq!(
            plain_text(
                "# Title\n\nSee [the docs](https://example.com/secret-path) and ![a cat](/media/cat.png) <b>bold</b> **strong** `code`"
            ),
            "Title See the docs and a cat bold strong code"
        );
        // Unclosed constructs cost nothing and lose no text.
        let hostile = "](".repeat(50_000) + &"<a".repeat(50_000);
        assert!(!plain_text(&hostile).is_empty());
    }

    #[test]
    fn one_edit_means_one_insertion_deletion_or_substitution() {
        assert!(within_one_edit("bread", "brad"));
        assert!(within_one_edit("bread", "breads"));
        assert!(within_one_edit("bread", "brwad"));
        assert!(within_one_edit("bread", "bread"));
        assert!(!within_one_edit("bread", "braed"));
        assert!(!within_one_edit("bread", "bre"));
    }
}
