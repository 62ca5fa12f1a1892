//! Markdown import: a small set of posts as Hugo (YAML and TOML front matter),
//! Jekyll and Astro write them, mapped field by field and imported twice.

use std::path::Path;

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
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/markdown");
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
    assert!(
        notes.iter().any(|n| n == "not mapped: heroImage"),
        "{notes:?}"
    );
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
