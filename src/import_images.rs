//! The images an imported Markdown file uses: its front-matter cover and the
//! pictures in its body (`![alt](path)`, `<img src="path">`), found as text so
//! they can be rewritten in place once uploaded.
//!
//! A reference is resolved without trusting it: remote (`http:`, `https:`, `//`)
//! and `data:` references are left alone; a relative one is taken from the
//! file's directory (a Hugo page bundle's `post/index.md` beside `post/cover.jpg`),
//! a site-absolute one (`/images/x.png`) from the site's root or its `static/`,
//! `public/` or `assets/` directory. Either must stay inside the site (at most
//! `SITE_LEVELS` directories above the imported one): `../../../../etc/x.png`
//! names nothing. The bytes are read by `crate::untrusted_files` (no link
//! followed, at most `MAX_IMAGE_BYTES`) and must start like the image type their
//! extension names.

use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use folio_origin::ports::media::{MAX_IMAGE_BYTES, content_name, looks_like, type_of_extension};

/// How many directories above the imported one may hold the site's root (Astro's
/// `src/content/blog` is three below the `public/` its images live in).
pub const SITE_LEVELS: usize = 3;

/// Where a site keeps files served at its root, besides the root itself.
const STATIC_DIRS: &[&str] = &["static", "public", "assets", ""];

/// A picture in a post's body: where its reference sits in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyImage {
    pub range: Range<usize>,
    pub reference: String,
    /// 1-based, for the notes.
    pub line: usize,
}

/// Whether a reference points at a file of the site (not the web, not inline).
pub fn is_local(reference: &str) -> bool {
    let lower = reference.trim().to_ascii_lowercase();
    !(lower.is_empty()
        || lower.starts_with("http:")
        || lower.starts_with("https:")
        || lower.starts_with("//")
        || lower.starts_with("data:")
        || lower.starts_with('#')
        || lower.starts_with("mailto:"))
}

/// Every local picture in `markdown`, in order: the destinations of `![…](…)` and
/// the `src` of `<img>` tags. Linear in the text's length.
pub fn body_images(markdown: &str) -> Vec<BodyImage> {
    // How far back an alt text, or on how far a tag, may reach: bounds the work
    // per mark, so the scan stays linear.
    const REACH: usize = 2000;
    let boundary = |mut at: usize| {
        while !markdown.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    let mut ranges = Vec::new();
    // ![alt](destination "title")
    let mut from = 0;
    while let Some(i) = markdown[from..].find("](") {
        let open = from + i + 2;
        from = open;
        let window = boundary((open - 2).saturating_sub(REACH));
        let Some(bang) = markdown[window..open - 2].rfind("![").map(|b| window + b) else {
            continue;
        };
        // The alt text is this link's own: no paragraph break, no other link.
        let alt = &markdown[bang + 2..open - 2];
        if alt.contains("\n\n") || alt.contains("](") {
            continue;
        }
        let rest = &markdown[open..boundary((open + REACH).min(markdown.len()))];
        let (start, end) = if let Some(inner) = rest.strip_prefix('<') {
            match inner.find('>') {
                Some(close) => (open + 1, open + 1 + close),
                None => continue,
            }
        } else {
            match rest.find(|c: char| c.is_whitespace() || c == ')') {
                Some(len) => (open, open + len),
                None => continue,
            }
        };
        // A destination ends the link: `)`, or a title and then `)`.
        let after = markdown[end..].trim_start_matches('>').trim_start();
        if !(after.starts_with(')') || after.starts_with('"') || after.starts_with('\'')) {
            continue;
        }
        ranges.push(start..end);
    }
    // <img ... src="destination">
    let lower = markdown.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find("<img") {
        let tag_start = from + i;
        let reach = boundary((tag_start + REACH).min(lower.len()));
        let tag_end = lower[tag_start..reach]
            .find('>')
            .map_or(reach, |e| tag_start + e);
        from = tag_start + 4;
        let Some(s) = lower[tag_start..tag_end].find("src=") else {
            continue;
        };
        let value = tag_start + s + 4;
        if value >= tag_end {
            continue;
        }
        let quote = markdown.as_bytes().get(value).copied();
        let (start, end) = match quote {
            Some(q @ (b'"' | b'\'')) => match markdown[value + 1..tag_end].find(q as char) {
                Some(close) => (value + 1, value + 1 + close),
                None => continue,
            },
            _ => {
                let len = markdown[value..tag_end]
                    .find(|c: char| c.is_whitespace() || c == '/')
                    .unwrap_or(tag_end - value);
                (value, value + len)
            }
        };
        ranges.push(start..end);
    }
    ranges.sort_by_key(|range| range.start);
    // Lines in one pass over the text.
    let (mut line, mut at) = (1, 0);
    let mut found = Vec::new();
    for range in ranges {
        line += markdown[at..range.start].matches('\n').count();
        at = range.start;
        let reference = &markdown[range.clone()];
        if is_local(reference) {
            found.push(BodyImage {
                reference: reference.to_string(),
                range,
                line,
            });
        }
    }
    found
}

/// `path` with `.` and `..` taken out, without touching the filesystem; `None`
/// when `..` climbs above its root.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    Some(out)
}

/// The directories a site's root may be: the imported one and up to
/// `SITE_LEVELS` above it, nearest first.
pub fn site_roots(imported: &Path) -> Vec<PathBuf> {
    let mut roots = Vec::new();
    let mut next = Some(imported.to_path_buf());
    while let Some(dir) = next {
        if roots.len() > SITE_LEVELS {
            break;
        }
        next = dir.parent().map(Path::to_path_buf);
        roots.push(dir);
    }
    roots
}

/// The file a reference names, if it exists inside the site: relative to
/// `file_dir`, or (starting with `/`) under one of `roots`.
pub fn resolve(reference: &str, file_dir: &Path, roots: &[PathBuf]) -> Option<PathBuf> {
    // `path?query#fragment` and percent-encoded spaces, as a browser would read it.
    let path = reference
        .split(['?', '#'])
        .next()?
        .trim()
        .replace("%20", " ");
    let outer = normalize(roots.last()?)?;
    let inside = |candidate: PathBuf| {
        normalize(&candidate)
            .filter(|p| p.starts_with(&outer))
            .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_file()))
    };
    if let Some(absolute) = path.strip_prefix('/') {
        roots.iter().find_map(|root| {
            STATIC_DIRS
                .iter()
                .find_map(|dir| inside(root.join(dir).join(absolute)))
        })
    } else {
        inside(file_dir.join(&path))
    }
}

/// Why an image could not be brought in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("not found in the site")]
    NotFound,
    #[error("not an image type folio stores (jpg, png, webp, gif, avif)")]
    Type,
    #[error("its bytes are not a {0} file")]
    NotThatType(&'static str),
    #[error(transparent)]
    Unreadable(#[from] crate::untrusted_files::UntrustedFileError),
    /// Its header declares more pixels than folio makes copies of: refused before decoding.
    #[error(transparent)]
    TooLarge(folio_origin::support::images::ImageError),
}

/// An image read from the site, ready to store: its name in the media storage,
/// its type and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFile {
    pub name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// Reads the image at `path` under the rules above.
pub fn read_image(path: &Path) -> Result<ImageFile, ImageError> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .ok_or(ImageError::Type)?;
    let extension = if extension == "jpeg" {
        "jpg".to_string()
    } else {
        extension
    };
    let content_type = type_of_extension(&extension).ok_or(ImageError::Type)?;
    let bytes = crate::untrusted_files::read_bounded(path, MAX_IMAGE_BYTES)?;
    if !looks_like(content_type, &bytes) {
        return Err(ImageError::NotThatType(content_type));
    }
    // The size from the header alone (a decompression bomb is refused on it);
    // GIF and AVIF, and a header we cannot read, are stored without one.
    let dimensions = match folio_origin::support::images::dimensions(&bytes, content_type) {
        Ok(dimensions) => Some(dimensions),
        Err(e @ folio_origin::support::images::ImageError::TooLarge(_)) => {
            return Err(ImageError::TooLarge(e));
        }
        Err(_) => None,
    };
    let name = content_name(&bytes, content_type, dimensions).ok_or(ImageError::Type)?;
    Ok(ImageFile {
        name,
        content_type,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_in_markdown_and_html_are_found_with_their_lines() {
        let text = "# T\n\n![a](cover.jpg) and ![b](<my pic.png> \"t\")\n\n<img class=x src=\"/img/c.webp\">\n![web](https://x.test/d.png) ![inline](data:image/png;base64,AA)\n[link](not-an-image.png)";
        let found = body_images(text);
        let refs: Vec<(&str, usize)> = found
            .iter()
            .map(|f| (f.reference.as_str(), f.line))
            .collect();
        assert_eq!(
            refs,
            vec![("cover.jpg", 3), ("my pic.png", 3), ("/img/c.webp", 5)]
        );
        for image in &found {
            assert_eq!(&text[image.range.clone()], image.reference);
        }
    }

    #[test]
    fn many_unclosed_pictures_stay_linear_enough_to_finish() {
        let text = "![a](".repeat(20_000);
        assert_eq!(body_images(&text).len(), 0);
        let tags = "<img src=".repeat(20_000);
        assert!(body_images(&tags).len() <= 20_000);
    }

    #[test]
    fn references_resolve_inside_the_site_only() {
        let site = tempfile::tempdir().unwrap();
        let root = site.path();
        let posts = root.join("content/posts");
        let bundle = posts.join("trip");
        std::fs::create_dir_all(&bundle).unwrap();
        std::fs::create_dir_all(root.join("static/img")).unwrap();
        std::fs::write(bundle.join("a.png"), b"x").unwrap();
        std::fs::write(root.join("static/img/b.png"), b"x").unwrap();
        std::fs::write(site.path().parent().unwrap().join("outside.png"), b"x").ok();
        let roots = site_roots(&posts);
        assert_eq!(
            resolve("a.png", &bundle, &roots),
            Some(bundle.join("a.png"))
        );
        assert_eq!(
            resolve("./a.png?w=300", &bundle, &roots),
            Some(bundle.join("a.png"))
        );
        assert_eq!(
            resolve("/img/b.png", &bundle, &roots),
            Some(root.join("static/img/b.png"))
        );
        assert_eq!(
            resolve("../../../../../../../../etc/passwd", &bundle, &roots),
            None
        );
        assert_eq!(resolve("missing.png", &bundle, &roots), None);
    }

    #[test]
    fn an_image_is_read_only_when_its_bytes_are_its_type() {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("a.PNG");
        std::fs::write(&png, b"\x89PNG\r\n\x1a\nrest").unwrap();
        let image = read_image(&png).unwrap();
        assert_eq!(image.content_type, "image/png");
        assert!(image.name.ends_with(".png"));
        let fake = dir.path().join("b.jpg");
        std::fs::write(&fake, b"<svg onload=alert(1)>").unwrap();
        assert_eq!(
            read_image(&fake),
            Err(ImageError::NotThatType("image/jpeg"))
        );
        let svg = dir.path().join("c.svg");
        std::fs::write(&svg, b"<svg/>").unwrap();
        assert_eq!(read_image(&svg), Err(ImageError::Type));
    }
}
