//! What rendered HTML costs the origin: a post's Markdown to sanitised HTML the
//! first time (pulldown-cmark, then ammonia), and again (the render cache).
//! Run: cargo bench -p folio-origin --bench render

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use folio_origin::usecases::render::{Renderer, markdown_to_html};

/// About `kb` KB of realistic Markdown: headings, paragraphs with emphasis and
/// links, a list, a table and fenced code.
fn post(kb: usize) -> String {
    let section = "## A section\n\nSome prose with *emphasis*, **strong words**, `inline code` and a \
[link](https://example.com/a/page). Another sentence follows, and https://example.org/bare too.\n\n\
- one point\n- another point\n- a third\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n\
```rust\nfn main() { println!(\"hello\"); }\n```\n\n";
    section.repeat(kb * 1024 / section.len() + 1)
}

fn render(c: &mut Criterion) {
    for kb in [5, 20] {
        let markdown = post(kb);
        c.bench_function(&format!("render {kb} KB post, first time"), |b| {
            b.iter(|| black_box(markdown_to_html(black_box(&markdown))))
        });
        let renderer = Renderer::default();
        renderer.render(&markdown);
        c.bench_function(&format!("render {kb} KB post, cached"), |b| {
            b.iter(|| black_box(renderer.render(black_box(&markdown))))
        });
    }
}

criterion_group!(benches, render);
criterion_main!(benches);
