//! The media function's work per image: an upload's WebP copies at 480, 960 and
//! 1600 px (`support::images::smaller_copies`), for a phone photograph, a
//! screenshot and a WebP, timed over a few runs each; and the peak memory of a
//! process that makes one image's copies (`VmHWM`, each shape in a fresh
//! process of this bench).
//!
//! Run: `cargo bench -p folio-origin --bench images`

use std::io::Cursor;
use std::time::Instant;

use folio_origin::ports::media::SMALLER_WIDTHS;
use folio_origin::support::images::smaller_copies;

const SHAPES: &[(&str, &str, u32, u32)] = &[
    (
        "phone photograph, 4032 × 3024 JPEG (12 MP)",
        "image/jpeg",
        4032,
        3024,
    ),
    ("screenshot, 2880 × 1800 PNG", "image/png", 2880, 1800),
    ("1600 × 1000 WebP", "image/webp", 1600, 1000),
];

/// A picture with detail everywhere (so it encodes like a photograph, not a flat gradient).
fn picture(content_type: &str, width: u32, height: u32) -> Vec<u8> {
    let mut state = 0x2545_F491_u32;
    let pixels = image::RgbImage::from_fn(width, height, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let noise = (state % 24) as u8;
        image::Rgb([
            ((x / 7) % 200) as u8 + noise,
            ((y / 5) % 200) as u8 + noise,
            (((x + y) / 11) % 200) as u8 + noise,
        ])
    });
    let format = match content_type {
        "image/png" => image::ImageFormat::Png,
        "image/jpeg" => image::ImageFormat::Jpeg,
        _ => image::ImageFormat::WebP,
    };
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(pixels)
        .write_to(&mut out, format)
        .expect("encodes");
    out.into_inner()
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    // One shape in this process: its peak memory while making the copies.
    if let Ok(index) = std::env::var("FOLIO_BENCH_IMAGE") {
        let (_, content_type, w, h) = SHAPES[index.parse::<usize>().expect("an index")];
        let bytes = picture(content_type, w, h);
        let before = vm_hwm_kib();
        let (_, copies) = smaller_copies(&bytes, content_type, SMALLER_WIDTHS).expect("copies");
        println!("{} {} {}", before, vm_hwm_kib(), copies.len());
        return;
    }
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    println!(
        "| image | upload | copies (bytes) | time per image, median of 5 (min–max) | peak RSS: before / while making copies |"
    );
    println!("|---|---|---|---|---|");
    for (index, (label, content_type, w, h)) in SHAPES.iter().enumerate() {
        let bytes = picture(content_type, *w, *h);
        let mut times = Vec::new();
        let mut sizes = Vec::new();
        for _ in 0..5 {
            let start = Instant::now();
            let (_, copies) = smaller_copies(&bytes, content_type, SMALLER_WIDTHS).expect("copies");
            times.push(start.elapsed().as_secs_f64() * 1000.0);
            sizes = copies
                .iter()
                .map(|c| format!("{}: {}", c.dimensions.width, c.webp.len()))
                .collect();
        }
        times.sort_by(|a, b| a.total_cmp(b));
        let out = std::process::Command::new(std::env::current_exe().expect("this bench"))
            .env("FOLIO_BENCH_IMAGE", index.to_string())
            .output()
            .expect("runs");
        let text = String::from_utf8_lossy(&out.stdout);
        let numbers: Vec<u64> = text
            .split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect();
        let (before, peak) = (
            numbers.first().copied().unwrap_or(0),
            numbers.get(1).copied().unwrap_or(0),
        );
        println!(
            "| {label} | {} KiB | {} | {:.0} ms ({:.0}–{:.0}) | {:.1} / {:.1} MiB |",
            bytes.len() / 1024,
            sizes.join(", "),
            times[2],
            times[0],
            times[4],
            before as f64 / 1024.0,
            peak as f64 / 1024.0
        );
    }
}
