//! Markdown files with front matter (Hugo, Jekyll, Astro) as blog posts, ready for
//! `folio import`. YAML front matter between `---` lines or TOML between `+++`
//! lines. What maps:
//!
//! | front matter | post |
//! |---|---|
//! | `title` (else the first `# ` heading, else the file name) | `title` |
//! | `date`, `pubDate`, `publishDate` (else a Jekyll `YYYY-MM-DD-` file name) | `publishedAt`, `createdAt` |
//! | `lastmod`, `updated`, `updatedDate` | `updatedAt` |
//! | `draft: true`, Jekyll's `published: false` | status draft (else published) |
//! | `tags` (a list, or one string split on commas or spaces) | `tags` |
//! | `categories` (the first), `category` | `category` |
//! | `summary`, `description`, `excerpt` (else the first paragraph, as plain text) | `excerpt` |
//! | `slug` (else the Jekyll file name, else the title) | `slug` |
//! | `cover` (a path, or `cover.image`), `heroImage`, `image`, `featured_image`, `featuredImage`, `thumbnail` | `coverImage` |
//! | the body | `content` |
//!
//! Images come along: a local cover and every local picture in the body (a page
//! bundle's `index.md` beside its images, `/images/…` from the site's `static/`
//! or `public/`) are stored in the target's media storage by the import and the
//! links rewritten; one that cannot be found is named with its line
//! (`crate::import_images`).
//!
//! Anything else is reported per file, as are the defaults a file needed. The id is
//! derived from the file's path under the directory, so importing the same
//! directory again updates the same posts instead of adding new ones.
//!
//! The directory is treated as hostile (`crate::untrusted_files`): no symbolic link
//! is followed (a linked file or directory is named in the notes and skipped, so a
//! loop cannot be walked), only regular files are read, each at most
//! `MAX_FILE_BYTES`; the walk stops with an error past `MAX_DEPTH` directories or
//! `MAX_FILES` Markdown files; YAML front matter may not use aliases (a few hundred
//! bytes of nested aliases expand to gigabytes) nor nest deeper than
//! `MAX_MATTER_DEPTH`, and front matter is at most `MAX_MATTER_BYTES`.

use std::path::{Path, PathBuf};

use crate::error::CommandError;
use crate::untrusted_files::{self, UntrustedFileError};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use folio_origin::usecases::portable::Record;
use folio_shared::domain::{BlogPost, HttpUrl, Meta, Status, read_time, slugify};
use serde_json::{Map, Value};

/// One file, converted: the record, what could not be mapped as it was, and the
/// local images it uses (to be stored and linked by the import).
#[derive(Debug)]
pub struct Converted {
    pub file: PathBuf,
    pub record: Result<Record, Skipped>,
    pub notes: Vec<String>,
    pub images: Vec<LocalImage>,
    /// The slug the file asked for, when folio had to change it (`3.0` → `3-0`).
    pub slug_changed_from: Option<String>,
}

/// An image of the site a post uses: its cover, or a picture in its content at
/// `range` (of the record's `content`, as converted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalImage {
    pub reference: String,
    /// The file it names, if it is inside the site (`crate::import_images`).
    pub file: Option<PathBuf>,
    pub place: ImagePlace,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImagePlace {
    Cover,
    Body {
        range: std::ops::Range<usize>,
        line: usize,
    },
}

/// Why a file was skipped (named in the import's notes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Skipped {
    #[error(transparent)]
    Unreadable(#[from] UntrustedFileError),
    #[error("front matter of {0} bytes; at most {MAX_MATTER_BYTES}")]
    MatterTooLarge(usize),
    #[error("TOML front matter: {0}")]
    Toml(String),
    #[error("YAML front matter: {0}")]
    Yaml(String),
    #[error("front matter is not a map of keys")]
    NotMap,
    #[error("front matter opened with {0} is never closed")]
    Unclosed(&'static str),
    #[error("it has no body to be the post's content")]
    NoBody,
    #[error("a Hugo section page (_index), not a post")]
    SectionPage,
    /// Dates or an id the item cannot be made of.
    #[error("{0}")]
    Meta(String),
}

const EXCERPT_CHARS: usize = 500;

/// The largest file read: a post's content at its limit
/// (`MARKDOWN_MAX_CHARS` characters) in 4-byte characters, with front matter.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// The largest front matter parsed.
pub const MAX_MATTER_BYTES: usize = 64 * 1024;
/// How deeply YAML or TOML front matter may nest.
pub const MAX_MATTER_DEPTH: usize = 32;
/// How deep the walk goes below the directory.
pub const MAX_DEPTH: usize = 32;
/// How many Markdown files one import reads.
pub const MAX_FILES: usize = 10_000;
/// How much of a parser's message is shown (a TOML error can quote a 200 KB line).
const MAX_MESSAGE_CHARS: usize = 300;

fn short(message: impl std::fmt::Display) -> String {
    let message = message.to_string();
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message,
    }
}

/// Refuses YAML that uses aliases or nests deeper than `MAX_MATTER_DEPTH`, reading
/// its events one by one (the loader would expand aliases, and recurses).
fn check_yaml(matter: &str) -> Result<(), Skipped> {
    use yaml_rust2::parser::{Event, Parser};
    let mut parser = Parser::new_from_str(matter);
    let mut depth = 0usize;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| Skipped::Yaml(short(e)))?;
        match event {
            Event::StreamEnd => return Ok(()),
            Event::Alias(_) => {
                return Err(Skipped::Yaml(format!(
                    "an alias (*name) at line {}: folio reads front matter without aliases",
                    mark.line()
                )));
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                depth += 1;
                if depth > MAX_MATTER_DEPTH {
                    return Err(Skipped::Yaml(format!(
                        "nested deeper than {MAX_MATTER_DEPTH} levels at line {}",
                        mark.line()
                    )));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
}

/// Refuses TOML nested deeper than `MAX_MATTER_DEPTH` before it is parsed: arrays
/// and inline tables open with `[` or `{` outside strings and comments.
fn check_toml(matter: &str) -> Result<(), Skipped> {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut escaped = false;
    for c in matter.chars() {
        if comment {
            comment = c != '\n';
            continue;
        }
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => quote = Some(c),
                '#' => comment = true,
                '[' | '{' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
    }
    // A table header `[a]` or `[[a]]` counts too, at most 2: still far below.
    if deepest > MAX_MATTER_DEPTH {
        return Err(Skipped::Toml(format!(
            "nested deeper than {MAX_MATTER_DEPTH} levels"
        )));
    }
    Ok(())
}

fn yaml_to_json(yaml: &yaml_rust2::Yaml) -> Value {
    use yaml_rust2::Yaml;
    match yaml {
        Yaml::Real(s) | Yaml::String(s) => Value::String(s.clone()),
        Yaml::Integer(n) => Value::from(*n),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(items) => Value::Array(items.iter().map(yaml_to_json).collect()),
        Yaml::Hash(map) => Value::Object(
            map.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), yaml_to_json(v))))
                .collect(),
        ),
        _ => Value::Null,
    }
}

fn toml_to_json(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(n) => Value::from(*n),
        toml::Value::Float(f) => Value::from(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

/// The front matter (as JSON) and the body of a file's text.
fn split(text: &str) -> Result<(Map<String, Value>, &str), Skipped> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (fence, is_toml) in [("---", false), ("+++", true)] {
        let Some(rest) = text
            .strip_prefix(fence)
            .and_then(|r| r.strip_prefix("\r\n").or_else(|| r.strip_prefix('\n')))
        else {
            continue;
        };
        let mut offset = 0;
        for line in rest.split_inclusive('\n') {
            let bare = line.trim_end();
            if bare == fence || (!is_toml && bare == "...") {
                let matter = &rest[..offset];
                let body = &rest[offset + line.len()..];
                if matter.len() > MAX_MATTER_BYTES {
                    return Err(Skipped::MatterTooLarge(matter.len()));
                }
                let value = if is_toml {
                    check_toml(matter)?;
                    let table: toml::Table =
                        toml::from_str(matter).map_err(|e| Skipped::Toml(short(e)))?;
                    toml_to_json(&toml::Value::Table(table))
                } else {
                    check_yaml(matter)?;
                    let docs = yaml_rust2::YamlLoader::load_from_str(matter)
                        .map_err(|e| Skipped::Yaml(short(e)))?;
                    docs.first().map(yaml_to_json).unwrap_or(Value::Null)
                };
                return match value {
                    Value::Object(map) => Ok((map, body)),
                    Value::Null => Ok((Map::new(), body)),
                    _ => Err(Skipped::NotMap),
                };
            }
            offset += line.len();
        }
        return Err(Skipped::Unclosed(fence));
    }
    Ok((Map::new(), text))
}

/// A date from the forms static-site generators write: `2021-03-04`, an RFC 3339
/// date-time, or Astro's `Jul 08 2022`.
fn date_of(value: &Value) -> Option<NaiveDate> {
    let text = value.as_str()?.trim();
    if let Some(day) = text
        .get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    {
        return Some(day);
    }
    ["%b %d %Y", "%B %d %Y", "%b %d, %Y", "%B %d, %Y"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::trim).map(String::from))
            .filter(|s| !s.is_empty())
            .collect(),
        Value::String(s) if s.contains(',') => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        Value::String(s) => s.split_whitespace().map(String::from).collect(),
        _ => Vec::new(),
    }
}

/// The id of the post a file becomes: stable for the same file of the same site,
/// and different for the same path in another directory, so two imports never
/// overwrite each other's posts (`source` is the imported directory's full path).
fn id_of(source: &str, relative: &str) -> String {
    let key = format!("{source}\n{relative}");
    format!(
        "md-{}",
        folio_shared::digest::sha256_hex_prefix(key.as_bytes(), 16)
    )
}

fn timestamp(day: NaiveDate) -> String {
    format!("{day}T00:00:00Z")
}

/// What a post gets when its front matter names no category or no tag: the API
/// requires both (as the reference API does), so the owner chooses them on the
/// command line (`--default-category`, `--default-tag`) and the import says so up
/// front and per file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defaults {
    pub category: String,
    pub tag: String,
}

impl Default for Defaults {
    fn default() -> Self {
        Self {
            category: "Uncategorized".into(),
            tag: "untagged".into(),
        }
    }
}

/// Where a file comes from: the imported directory (its full path names the
/// source), and the directories the site's root may be.
pub struct Site {
    pub source: String,
    pub roots: Vec<PathBuf>,
}

impl Site {
    pub fn of(dir: &Path) -> Self {
        let full = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        Self {
            source: full.to_string_lossy().into_owned(),
            roots: crate::import_images::site_roots(&full),
        }
    }
}

/// What converting one file found besides the record.
#[derive(Default)]
struct Found {
    notes: Vec<String>,
    images: Vec<LocalImage>,
    slug_changed_from: Option<String>,
}

/// Converts one file; `relative` is its path under the imported directory.
pub fn convert(file: &Path, relative: &str, site: &Site, defaults: &Defaults) -> Converted {
    let mut found = Found::default();
    let record = untrusted_files::read_text_bounded(file, MAX_FILE_BYTES)
        .map_err(Skipped::from)
        .and_then(|text| post_of(&text, file, relative, site, defaults, &mut found));
    Converted {
        file: file.to_path_buf(),
        record,
        notes: found.notes,
        images: found.images,
        slug_changed_from: found.slug_changed_from,
    }
}

/// A string front-matter value, or the `image` of a map (PaperMod's `cover.image`).
fn image_value(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Object(map) => map
            .get("image")
            .or_else(|| map.get("src"))
            .and_then(|v| v.as_str())
            .map(|s| s.trim().to_string()),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

fn post_of(
    text: &str,
    file: &Path,
    relative: &str,
    site: &Site,
    defaults: &Defaults,
    found: &mut Found,
) -> Result<Record, Skipped> {
    let notes = &mut found.notes;
    let (mut matter, body) = split(text)?;
    let mut take = |keys: &[&str]| keys.iter().find_map(|k| matter.remove(*k));
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("post");
    // Jekyll: `_posts/2019-05-01-the-slug.md`.
    let jekyll = stem
        .get(..11)
        .filter(|p| p.ends_with('-'))
        .and_then(|p| NaiveDate::parse_from_str(&p[..10], "%Y-%m-%d").ok())
        .map(|day| (day, &stem[11..]));
    let mdx = file.extension().is_some_and(|e| e == "mdx");
    let (content, template_notes) = crate::template_tags::convert(body.trim(), mdx);
    notes.extend(template_notes);
    if content.is_empty() {
        return Err(Skipped::NoBody);
    }
    // `post.fr.md`: a translation; folio has no languages.
    if let Some((_, lang)) = stem.rsplit_once('.')
        && (lang.len() == 2 || (lang.len() == 5 && lang.as_bytes()[2] == b'-'))
        && lang.chars().all(|c| c.is_ascii_alphabetic() || c == '-')
    {
        notes.push(format!(
            "a translation ({lang}): imported as a post of its own (folio has no languages)"
        ));
    }
    let title = take(&["title"])
        .and_then(|v| v.as_str().map(str::trim).map(String::from))
        .filter(|t| !t.is_empty())
        .or_else(|| {
            content
                .lines()
                .find_map(|l| l.strip_prefix("# "))
                .map(|t| t.trim().to_string())
        })
        .unwrap_or_else(|| {
            notes.push("no title: the file name is the title".into());
            stem.to_string()
        });
    let published = match take(&["date", "pubDate", "publishDate"]) {
        Some(value) => match date_of(&value) {
            Some(day) => Some(day),
            None => {
                notes.push(format!("date {value} is not a date it can read: left out"));
                None
            }
        },
        None => jekyll.map(|(day, _)| day),
    };
    let updated = take(&["lastmod", "updated", "updatedDate"]).and_then(|v| date_of(&v));
    // Hugo's `expiryDate`: past it, the site no longer shows the page.
    let expired = take(&["expiryDate", "expirydate"])
        .and_then(|v| date_of(&v))
        .filter(|day| *day <= Utc::now().date_naive());
    if let Some(day) = expired {
        notes.push(format!(
            "expired on {day} (expiryDate): imported as a draft"
        ));
    }
    let draft = take(&["draft"]).and_then(|v| v.as_bool()).unwrap_or(false)
        || take(&["published"]).and_then(|v| v.as_bool()) == Some(false)
        || expired.is_some();
    let mut tags = take(&["tags"]).map(|v| strings(&v)).unwrap_or_default();
    let mut categories = take(&["categories"])
        .map(|v| strings(&v))
        .unwrap_or_default();
    if let Some(one) = take(&["category"]).and_then(|v| v.as_str().map(String::from)) {
        categories.insert(0, one);
    }
    if categories.len() > 1 {
        notes.push(format!(
            "only the first category is kept ({}); dropped: {}",
            categories[0],
            categories[1..].join(", ")
        ));
    }
    let category = categories.into_iter().next().unwrap_or_else(|| {
        notes.push(format!(
            "no category: filed under {:?} (--default-category)",
            defaults.category
        ));
        defaults.category.clone()
    });
    if tags.is_empty() {
        notes.push(format!(
            "no tags: tagged {:?} (--default-tag)",
            defaults.tag
        ));
        tags.push(defaults.tag.clone());
    }
    let mut excerpt = take(&["summary", "description", "excerpt"])
        .and_then(|v| v.as_str().map(str::trim).map(String::from))
        .filter(|e| !e.is_empty())
        .or_else(|| folio_origin::usecases::render::first_paragraph_text(&content))
        .unwrap_or_else(|| title.clone());
    if excerpt.chars().count() > EXCERPT_CHARS {
        notes.push(format!("the excerpt was cut to {EXCERPT_CHARS} characters"));
        excerpt = excerpt.chars().take(EXCERPT_CHARS - 1).collect::<String>() + "…";
    }
    let asked = take(&["slug"])
        .and_then(|v| v.as_str().map(|s| s.trim().to_string()))
        .or_else(|| jekyll.map(|(_, s)| s.to_string()));
    let slug = asked
        .as_deref()
        .map(slugify)
        .unwrap_or_else(|| slugify(&title));
    if let Some(asked) = asked.filter(|asked| *asked != slug) {
        notes.push(format!(
            "the slug {asked:?} is not one folio can serve: it is {slug:?} (see the redirects below)"
        ));
        found.slug_changed_from = Some(asked);
    }
    let dir = file.parent().unwrap_or(Path::new("."));
    let mut cover_image = None;
    if let Some(cover) = take(&[
        "cover",
        "heroImage",
        "image",
        "featured_image",
        "featuredImage",
        "thumbnail",
    ])
    .as_ref()
    .and_then(image_value)
    {
        if crate::import_images::is_local(&cover) {
            found.images.push(LocalImage {
                file: crate::import_images::resolve(&cover, dir, &site.roots),
                reference: cover,
                place: ImagePlace::Cover,
            });
        } else {
            match HttpUrl::parse("coverImage", &cover) {
                Ok(url) => cover_image = Some(url),
                Err(_) => notes.push(format!(
                    "the cover {cover:?} is not a URL or a file: left out"
                )),
            }
        }
    }
    for image in crate::import_images::body_images(&content) {
        found.images.push(LocalImage {
            file: crate::import_images::resolve(&image.reference, dir, &site.roots),
            reference: image.reference,
            place: ImagePlace::Body {
                range: image.range,
                line: image.line,
            },
        });
    }
    let mut unmapped: Vec<&String> = matter.keys().collect();
    unmapped.sort();
    if !unmapped.is_empty() {
        let names: Vec<&str> = unmapped.iter().map(|s| s.as_str()).collect();
        notes.push(format!("not mapped: {}", names.join(", ")));
    }
    let modified = std::fs::metadata(file)
        .and_then(|m| m.modified())
        .map(|t| DateTime::<Utc>::from(t).to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into());
    let created = published.map(timestamp).unwrap_or_else(|| modified.clone());
    let meta: Meta = serde_json::from_value(serde_json::json!({
        "id": id_of(&site.source, relative),
        "status": if draft { Status::Draft } else { Status::Published },
        "createdAt": created,
        "updatedAt": updated.map(timestamp).unwrap_or_else(|| created.clone()),
    }))
    .map_err(|e| Skipped::Meta(e.to_string()))?;
    Ok(Record::Blog {
        item: BlogPost {
            meta,
            slug,
            title,
            excerpt,
            read_time: read_time(&content),
            published_at: published.map(|d| d.to_string()).unwrap_or_default(),
            category,
            tags,
            content,
            cover_image,
        },
    })
}

/// Every `.md` / `.markdown` file under `dir` (sorted, so runs are the same),
/// converted; links and what is not a regular file are listed as skipped, never
/// followed or read.
pub fn convert_dir(dir: &Path, defaults: &Defaults) -> Result<Vec<Converted>, CommandError> {
    let site = Site::of(dir);
    let is_markdown = |path: &Path| {
        path.extension()
            .is_some_and(|e| e == "md" || e == "markdown" || e == "mdx")
    };
    let mut files = Vec::new();
    let mut refused = Vec::new();
    let mut pending = vec![(dir.to_path_buf(), 0usize)];
    while let Some((next, depth)) = pending.pop() {
        let entries = std::fs::read_dir(&next)
            .map_err(|e| CommandError::Refused(format!("cannot read {}: {e}", next.display())))?;
        for entry in entries.flatten() {
            let path = entry.path();
            // The entry's own type: a link is a link, never what it points to.
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            if file_type.is_dir() {
                if depth + 1 > MAX_DEPTH {
                    return Err(CommandError::Refused(format!(
                        "{} is more than {MAX_DEPTH} directories below {}: import a directory nearer the posts",
                        path.display(),
                        dir.display()
                    )));
                }
                pending.push((path, depth + 1));
            } else if file_type.is_file() {
                if is_markdown(&path) && path.file_stem().is_some_and(|s| s == "_index") {
                    // Hugo's section page: the list of a section, not a post.
                    refused.push((path, Skipped::SectionPage));
                } else if is_markdown(&path) {
                    files.push(path);
                    if files.len() > MAX_FILES {
                        return Err(CommandError::Refused(format!(
                            "more than {MAX_FILES} Markdown files under {}: import it a directory at a time",
                            dir.display()
                        )));
                    }
                }
            } else if file_type.is_symlink() || is_markdown(&path) {
                // Named, so the owner knows what was left out and why.
                let why = if file_type.is_symlink() {
                    UntrustedFileError::Link
                } else {
                    UntrustedFileError::NotRegular(untrusted_files::kind(file_type))
                };
                refused.push((path, Skipped::Unreadable(why)));
            }
        }
    }
    files.sort();
    refused.sort_by(|a, b| a.0.cmp(&b.0));
    let relative = |file: &Path| {
        file.strip_prefix(dir)
            .unwrap_or(file)
            .to_string_lossy()
            .replace('\\', "/")
    };
    let mut converted: Vec<Converted> = files
        .iter()
        .map(|file| convert(file, &relative(file), &site, defaults))
        .collect();
    converted.extend(refused.into_iter().map(|(file, why)| Converted {
        file,
        record: Err(why),
        notes: Vec::new(),
        images: Vec::new(),
        slug_changed_from: None,
    }));
    Ok(converted)
}
