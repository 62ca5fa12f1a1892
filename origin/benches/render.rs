//! What rendered HTML costs the origin: a post's Markdown to sanitised HTML the
//! first time (pulldown-cmark, then ammonia), and again (the render cache); and
//! hostile Markdown at 25,000 to 200,000 characters (the content limit), whose
//! time must grow linearly with its size.
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
            b.iter(|| black_box(markdown_to_html(black_box(&markdown), None)))
        });
        let renderer = Renderer::default();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        runtime.block_on(renderer.render_json(&markdown));
        c.bench_function(&format!("render {kb} KB post, cached"), |b| {
            b.iter(|| black_box(runtime.block_on(renderer.render_json(black_box(&markdown)))))
        });
    }
}

/// Markdown built to find worse-than-linear paths, `n` characters long or so.
fn hostile(name: &str, n: usize) -> String {
    match name {
        "url + ) x n" => format!("https://a.example/{}", ")".repeat(n)),
        "> x n" => ">".repeat(n),
        "- x n/2" => "- ".repeat(n / 2),
        "<div> x n/5" => "<div>".repeat(n / 5),
        "xwww. x n/5" => format!("{} https://x.example", "xwww.".repeat(n / 5)),
        "www.a.example x n/14" => "www.a.example ".repeat(n / 14),
        "*_ ... _*" => format!("{}a{}", "*_".repeat(n / 4), "_*".repeat(n / 4)),
        "[ x n" => "[".repeat(n),
        _ => "<b>".repeat(n / 3),
    }
}

fn render_hostile(c: &mut Criterion) {
    let mut group = c.benchmark_group("render hostile");
    group.sample_size(10);
    for name in [
        "url + ) x n",
        "> x n",
        "- x n/2",
        "<div> x n/5",
        "xwww. x n/5",
        "www.a.example x n/14",
        "*_ ... _*",
        "[ x n",
        "<b> x n/3",
    ] {
        for n in [25_000, 50_000, 100_000, 200_000] {
            let markdown = hostile(name, n);
            group.bench_function(format!("{name}, n = {n}"), |b| {
                b.iter(|| black_box(markdown_to_html(black_box(&markdown), None)))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, render, render_hostile);
criterion_main!(benches);
