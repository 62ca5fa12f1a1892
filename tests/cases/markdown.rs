//! Markdown import: a small set of posts as Hugo (YAML and TOML front matter),
//! Jekyll and Astro write them, mapped field by field and imported twice.

use folio::markdown_import::{Converted, Defaults, convert_dir};
use folio_origin::usecases::portable::{self, Record};
use folio_shared::domain::{BlogPost, Status};

use crate::support::*;

fn post(converted: &[Converted], title: &str) -> (BlogPost, Vec<String>) {
    let found = converted
        .iter()
        .find(|c| matches!(&c.record, Ok(Record::Blog { item }) if item.title == title))
        .unwrap_or_else(|| panic!("no post titled {title}: {converted:#?}"));
    match &found.record {
        Ok(Record::Blog { item }) => (item.clone(), found.notes.clone()),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn hugo_jekyll_and_astro_posts_map_field_by_field_and_import_once() {
    let dir = folio_testkit::package_dir().join("tests/fixtures/markdown");
    let converted = convert_dir(&dir, &Defaults::default()).unwrap();
    assert_eq!(converted.len(), 4);

    let (hugo, notes) = post(&converted, "Hello from Hugo");
    assert_eq!(hugo.slug, "hello-from-hugo");
    assert_eq!(hugo.published_at, "2021-03-04");
    assert_eq!(hugo.meta.created_at.as_str(), "2021-03-04T00:00:00Z");
    assert_eq!(hugo.meta.updated_at.as_str(), "2021-04-01T00:00:00Z");
    assert_eq!(hugo.meta.status, Status::Published);
    assert_eq!(hugo.tags, ["rust", "aws"]);
    assert_eq!(hugo.category, "Engineering");
    assert_eq!(hugo.excerpt, "A Hugo post with YAML front matter.");
    assert!(hugo.content.starts_with("Hugo writes **Markdown**"));
    assert!(
        notes.iter().any(|n| n.contains("dropped: Extra")),
        "{notes:?}"
    );
    assert!(notes.iter().any(|n| n == "not mapped: author"), "{notes:?}");

    let (toml, _) = post(&converted, "Notes in TOML");
    assert_eq!(toml.meta.status, Status::Draft);
    assert_eq!(toml.published_at, "2020-01-02");
    assert_eq!(toml.excerpt, "Hugo also writes TOML front matter.");
    assert_eq!(
        (toml.category.as_str(), toml.tags.as_slice()),
        ("Notes", &["notes".to_string()][..])
    );

    let (jekyll, notes) = post(&converted, "Jekyll days");
    assert_eq!(
        (jekyll.slug.as_str(), jekyll.published_at.as_str()),
        ("jekyll-days", "2019-05-01")
    );
    assert_eq!(jekyll.tags, ["ruby", "static"]);
    assert_eq!(jekyll.category, "Blog");
    assert_eq!(
        jekyll.excerpt, "The date and the slug come from the file name.",
        "an excerpt from the first paragraph is plain text (no ** or link syntax)"
    );
    assert!(notes.iter().any(|n| n == "not mapped: layout"), "{notes:?}");

    let (astro, notes) = post(&converted, "First post in Astro");
    assert_eq!(astro.published_at, "2022-07-08");
    assert_eq!(astro.slug, "first-post-in-astro");
    assert_eq!(astro.excerpt, "Lorem ipsum dolor sit amet");
    assert_eq!(astro.tags, ["untagged"]);
    assert!(notes.iter().any(|n| n.contains("no tags")), "{notes:?}");
    // Astro's heroImage is the cover, brought in by the import (here it is
    // missing from the fixture's public/, which the import names).
    let astro_file = converted
        .iter()
        .find(|c| c.file.ends_with("first-astro-post.md"))
        .unwrap();
    assert_eq!(
        astro_file.images,
        vec![folio::markdown_import::LocalImage {
            reference: "/blog-placeholder-3.jpg".into(),
            file: None,
            place: folio::markdown_import::ImagePlace::Cover,
        }]
    );
    assert!(!notes.iter().any(|n| n.contains("heroImage")), "{notes:?}");
    // The owner chooses what a post without a category or tags gets.
    let chosen = Defaults {
        category: "Writing".into(),
        tag: "imported".into(),
    };
    let converted = convert_dir(&dir, &chosen).unwrap();
    let (astro, notes) = post(&converted, "First post in Astro");
    assert_eq!(
        (astro.category.as_str(), astro.tags.as_slice()),
        ("Writing", &["imported".to_string()][..])
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("\"imported\" (--default-tag)")),
        "{notes:?}"
    );

    // Imported through the same path as `folio import DIR`: the second run changes nothing.
    let s = TestServer::spawn().await;
    let store = s.server.app.store.as_ref();
    for round in 0..2 {
        let mut summary = portable::Summary::default();
        for file in convert_dir(&dir, &Defaults::default()).unwrap() {
            let outcome = portable::import_record(store, file.record.unwrap(), "local", false)
                .await
                .unwrap()
                .unwrap();
            summary.count(outcome);
        }
        let expected = if round == 0 { (4, 0) } else { (0, 4) };
        assert_eq!(
            (summary.created, summary.unchanged),
            expected,
            "round {round}"
        );
    }
    let public = s.get("/v1/blog/posts", None).await;
    let titles = public.post_titles();
    assert_eq!(
        titles,
        ["First post in Astro", "Hello from Hugo", "Jekyll days"],
        "newest first, the draft hidden"
    );
}

/// Real sites carry more than the fixtures above: template code, section pages,
/// page bundles, translations, expired pages and MDX. Each is imported as what
/// it means, or named.
#[test]
fn real_site_shapes_are_imported_as_what_they_mean_or_named() {
    let site = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let file = site.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    };
    write(
        "content/posts/_index.md",
        "---\ntitle: Posts\n---\nAll the posts.\n",
    );
    write(
        "content/posts/bundle/index.md",
        "---\ntitle: A bundle\ntags: [a]\ncategories: [B]\n---\n{{< figure src=\"cover.jpg\" alt=\"The cover\" >}}\n\nText.\n",
    );
    write(
        "content/posts/hello.fr.md",
        "---\ntitle: Bonjour\ntags: [a]\ncategories: [B]\n---\nSalut.\n",
    );
    write(
        "content/posts/old.md",
        "---\ntitle: Old news\nexpiryDate: 2001-01-01\ntags: [a]\ncategories: [B]\n---\nGone.\n",
    );
    write(
        "src/content/blog/chart.mdx",
        "---\ntitle: With a chart\n---\nimport Chart from '../Chart.astro'\n\nA chart:\n\n<Chart />\n",
    );
    write(
        "_posts/2020-02-02-liquid.md",
        "---\ntitle: Liquid\n---\n{% highlight ruby %}\nputs 1\n{% endhighlight %}\n\n{% include aside.html %}\n",
    );
    let converted = convert_dir(site.path(), &Defaults::default()).unwrap();
    let named = |end: &str| {
        converted
            .iter()
            .find(|c| c.file.ends_with(end))
            .unwrap_or_else(|| panic!("{end} not seen: {converted:#?}"))
    };
    let section = named("_index.md");
    assert!(
        section
            .record
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("section page"),
        "{section:?}"
    );
    let (bundle, _) = post(&converted, "A bundle");
    assert!(
        bundle.content.starts_with("![The cover](cover.jpg)"),
        "{}",
        bundle.content
    );
    let translation = named("hello.fr.md");
    assert!(
        translation
            .notes
            .iter()
            .any(|n| n.contains("a translation (fr)")),
        "{translation:?}"
    );
    let (old, notes) = post(&converted, "Old news");
    assert_eq!(old.meta.status, Status::Draft);
    assert!(
        notes.iter().any(|n| n.contains("expired on 2001-01-01")),
        "{notes:?}"
    );
    let (chart, notes) = post(&converted, "With a chart");
    assert!(!chart.content.contains("import Chart"));
    assert!(
        notes.iter().any(|n| n.contains("MDX component")),
        "{notes:?}"
    );
    let (liquid, notes) = post(&converted, "Liquid");
    assert!(
        liquid.content.starts_with("```ruby\nputs 1\n```"),
        "{}",
        liquid.content
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("line 5: Liquid tag `{% include aside.html %}`")),
        "{notes:?}"
    );
}
