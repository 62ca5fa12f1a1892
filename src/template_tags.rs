//! What static-site generators write into Markdown that Markdown cannot render:
//! Jekyll's Liquid (`{% … %}`, `{{ … }}`), Hugo's shortcodes (`{{< … >}}`,
//! `{{% … %}}`) and MDX's `import`/`export` lines and components. The common ones
//! whose meaning is plain are converted; everything else is left as it was and
//! named, with its line, so nothing is published as stray template code without
//! a word. Fenced code is never touched (template code shown as an example is
//! content). One pass over the lines: time stays linear in the text.

/// The body with what could be converted converted, and a note per thing left.
pub fn convert(body: &str, mdx: bool) -> (String, Vec<String>) {
    let mut out = String::with_capacity(body.len());
    let mut notes = Vec::new();
    let mut fence: Option<String> = None;
    for (n, line) in body.lines().enumerate() {
        let number = n + 1;
        let trimmed = line.trim_start();
        if let Some(open) = &fence {
            if trimmed.starts_with(open.as_str()) {
                fence = None;
            }
            out.push_str(line);
            out.push('\n');
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(trimmed[..3].to_string());
            out.push_str(line);
            out.push('\n');
            continue;
        }
        if mdx && (trimmed.starts_with("import ") || trimmed.starts_with("export ")) {
            notes.push(format!("line {number}: MDX `{}` left out", short(trimmed)));
            continue;
        }
        let converted = convert_line(line, number, &mut notes);
        if mdx && has_component(&converted) {
            notes.push(format!(
                "line {number}: an MDX component (`{}`) is not rendered",
                short(converted.trim())
            ));
        }
        out.push_str(&converted);
        out.push('\n');
    }
    (out.trim_end().to_string(), notes)
}

fn short(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

fn has_component(line: &str) -> bool {
    line.match_indices('<')
        .any(|(i, _)| line[i + 1..].starts_with(|c: char| c.is_ascii_uppercase()))
}

/// The words of a tag between its delimiters: `{% highlight ruby linenos %}` →
/// `["highlight", "ruby", "linenos"]`.
fn words(inner: &str) -> Vec<&str> {
    inner.split_whitespace().collect()
}

/// A `key="value"` of a Hugo shortcode.
fn attribute<'a>(inner: &'a str, key: &str) -> Option<&'a str> {
    let at = inner.find(&format!("{key}=\""))? + key.len() + 2;
    let end = inner[at..].find('"')? + at;
    Some(&inner[at..end])
}

fn convert_line(line: &str, number: usize, notes: &mut Vec<String>) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let (close, kind) = match tail.get(..3) {
            Some("{{<") => (">}}", "Hugo shortcode"),
            Some("{{%") => ("%}}", "Hugo shortcode"),
            _ => match tail.get(..2) {
                Some("{%") => ("%}", "Liquid tag"),
                Some("{{") => ("}}", "Liquid output"),
                _ => {
                    out.push('{');
                    rest = &tail[1..];
                    continue;
                }
            },
        };
        let open_len = if kind == "Hugo shortcode" { 3 } else { 2 };
        let Some(end) = tail[open_len..].find(close) else {
            out.push_str(tail);
            notes.push(format!("line {number}: an unclosed {kind} left as text"));
            return out;
        };
        let inner = tail[open_len..open_len + end].trim();
        let whole = &tail[..open_len + end + close.len()];
        rest = &tail[open_len + end + close.len()..];
        match replacement(kind, inner) {
            Some(text) => out.push_str(&text),
            None => {
                notes.push(format!(
                    "line {number}: {kind} `{}` left as text",
                    short(whole)
                ));
                out.push_str(whole);
            }
        }
    }
    out.push_str(rest);
    out
}

/// What a tag means in Markdown, when that is plain.
fn replacement(kind: &str, inner: &str) -> Option<String> {
    let w = words(inner);
    let first = w.first().copied().unwrap_or("");
    match kind {
        "Liquid tag" => match first {
            "highlight" => Some(format!("```{}", w.get(1).copied().unwrap_or(""))),
            "endhighlight" => Some("```".into()),
            "raw" | "endraw" => Some(String::new()),
            // A link to another post: its page under the default post path.
            "post_url" => w.get(1).map(|name| {
                let slug = name.rsplit('/').next().unwrap_or(name);
                let slug = slug
                    .get(11..)
                    .filter(|_| slug.as_bytes().get(10) == Some(&b'-'));
                format!("/blog/{}", slug.unwrap_or(name))
            }),
            _ => None,
        },
        "Liquid output" => match inner {
            "site.baseurl" | "site.url" | "site.url }}{{ site.baseurl" => Some(String::new()),
            _ => None,
        },
        _ => match first {
            "figure" => attribute(inner, "src").map(|src| {
                let alt = attribute(inner, "alt")
                    .or_else(|| attribute(inner, "caption"))
                    .unwrap_or("");
                format!("![{alt}]({src})")
            }),
            "highlight" => Some(format!("```{}", w.get(1).copied().unwrap_or(""))),
            "/highlight" => Some("```".into()),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_meanings_are_converted_and_the_rest_is_named_with_its_line() {
        let body = "Intro {{ site.baseurl }}/about\n\n{% highlight ruby %}\nputs 1\n{% endhighlight %}\n\n{{< figure src=\"/img/a.png\" alt=\"A\" >}}\n\nSee [the post]({% post_url 2019-05-01-jekyll-days %}).\n\n{% include note.html %}\n\n```\n{% not touched %}\n```";
        let (out, notes) = convert(body, false);
        assert!(out.starts_with("Intro /about"), "{out}");
        assert!(out.contains("```ruby\nputs 1\n```"), "{out}");
        assert!(out.contains("![A](/img/a.png)"), "{out}");
        assert!(out.contains("(/blog/jekyll-days)"), "{out}");
        assert!(
            out.contains("{% include note.html %}"),
            "left as it was: {out}"
        );
        assert!(out.contains("{% not touched %}"), "code is content: {out}");
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].starts_with("line 11: Liquid tag `{% include note.html %}`"),
            "{notes:?}"
        );
    }

    #[test]
    fn mdx_imports_are_left_out_and_components_named() {
        let (out, notes) = convert(
            "import Chart from '../Chart.astro'\n\n# Hi\n\n<Chart data={x} />\n",
            true,
        );
        assert!(!out.contains("import Chart"), "{out}");
        assert!(notes[0].contains("line 1: MDX `import Chart"), "{notes:?}");
        assert!(notes[1].contains("line 5: an MDX component"), "{notes:?}");
    }
}
