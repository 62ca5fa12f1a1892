//! Images made smaller for readers: an upload's dimensions read from its header,
//! and WebP copies of it at smaller widths.
//!
//! Decoding is where a hostile file costs: a 50 KB PNG can declare 100,000 ×
//! 100,000 pixels (40 GB of RGBA). So the header is read first and the image is
//! refused on its declared size before a pixel is decoded (`MAX_SIDE`,
//! `MAX_PIXELS`), and the decoder itself runs under `image::Limits` as well, in
//! case a format's pixel data claims more than its header.
//!
//! Decoding is pure Rust (the `image` crate: PNG, JPEG, WebP); encoding is
//! libwebp's lossy encoder (the `webp` crate), because the `image` crate writes
//! lossless WebP only, which for a photograph is larger than the JPEG it came
//! from. CPU-bound: callers on async workers run it with `spawn_blocking`.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// An image's width and height in pixels, as a browser shows it (a JPEG's EXIF
/// orientation applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dimensions {
    pub width: u32,
    pub height: u32,
}

/// The longest side accepted: a 24-megapixel camera's 6,000 × 4,000 fits.
pub const MAX_SIDE: u32 = 6_000;
/// The most pixels accepted: 36 megapixels, 144 MB as RGBA while it is made
/// smaller. It is `MAX_SIDE` squared, so the document's per-side maximum is the
/// whole rule: any size within it is accepted (a request valid by the document
/// is never refused for its area).
pub const MAX_PIXELS: u64 = MAX_SIDE as u64 * MAX_SIDE as u64;
/// WebP quality of the smaller copies (libwebp's 0–100 scale; 80 is its
/// "photo" preset's default).
pub const QUALITY: f32 = 80.0;

impl Dimensions {
    /// Why these dimensions are refused, if they are.
    pub fn refusal(self) -> Option<String> {
        if self.width == 0 || self.height == 0 {
            return Some("an image has at least one pixel each way".into());
        }
        if self.width > MAX_SIDE || self.height > MAX_SIDE {
            return Some(format!(
                "{} × {} pixels: each side may be at most {MAX_SIDE}",
                self.width, self.height
            ));
        }
        if u64::from(self.width) * u64::from(self.height) > MAX_PIXELS {
            return Some(format!(
                "{} × {} pixels is more than {} megapixels",
                self.width,
                self.height,
                MAX_PIXELS / 1_000_000
            ));
        }
        None
    }

    /// The height at `width`, keeping the aspect ratio (at least one pixel).
    pub fn height_at(self, width: u32) -> u32 {
        let h = (u64::from(self.height) * u64::from(width) + u64::from(self.width) / 2)
            / u64::from(self.width.max(1));
        u32::try_from(h).unwrap_or(u32::MAX).max(1)
    }
}

/// Why an image could not be read or made smaller.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ImageError {
    /// Not an image of a type we make smaller copies of (GIF and AVIF are kept as sent).
    #[error("smaller copies are made of PNG, JPEG and WebP images, not {0}")]
    Unsupported(String),
    #[error("the image's header cannot be read: {0}")]
    Unreadable(String),
    #[error("the image is too large: {0}")]
    TooLarge(String),
    #[error("the image cannot be decoded: {0}")]
    Undecodable(String),
    #[error("the WebP copy cannot be written: {0}")]
    Unencodable(String),
}

/// One smaller copy: its dimensions and its WebP bytes.
#[derive(Debug)]
pub struct Smaller {
    pub dimensions: Dimensions,
    pub webp: Vec<u8>,
}

fn format_of(content_type: &str) -> Result<ImageFormat, ImageError> {
    match content_type {
        "image/png" => Ok(ImageFormat::Png),
        "image/jpeg" => Ok(ImageFormat::Jpeg),
        "image/webp" => Ok(ImageFormat::WebP),
        other => Err(ImageError::Unsupported(other.to_string())),
    }
}

/// Whether smaller copies are made of images of this type.
pub fn makes_smaller(content_type: &str) -> bool {
    format_of(content_type).is_ok()
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    // The decoded image as RGBA, and as much again for the decoder's own buffers.
    limits.max_alloc = Some(MAX_PIXELS * 4 * 2);
    limits
}

/// A decoder for `bytes`, its header read and nothing else, with the dimensions
/// it will show at (orientation applied).
fn open<'a>(
    bytes: &'a [u8],
    content_type: &str,
) -> Result<
    (
        impl ImageDecoder + 'a,
        Dimensions,
        image::metadata::Orientation,
    ),
    ImageError,
> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format_of(content_type)?);
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(|e| match e {
        image::ImageError::Limits(limit) => ImageError::TooLarge(limit.to_string()),
        other => ImageError::Unreadable(other.to_string()),
    })?;
    let (width, height) = decoder.dimensions();
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    use image::metadata::Orientation::*;
    let dimensions = match orientation {
        Rotate90 | Rotate270 | Rotate90FlipH | Rotate270FlipH => Dimensions {
            width: height,
            height: width,
        },
        _ => Dimensions { width, height },
    };
    if let Some(why) = dimensions.refusal() {
        return Err(ImageError::TooLarge(why));
    }
    Ok((decoder, dimensions, orientation))
}

/// The dimensions an image will show at, from its header alone: nothing is
/// decoded, so a decompression bomb costs only its header.
pub fn dimensions(bytes: &[u8], content_type: &str) -> Result<Dimensions, ImageError> {
    open(bytes, content_type).map(|(_, dimensions, _)| dimensions)
}

/// WebP copies of the image at each of `widths` narrower than it, largest first
/// (each made from the one before, so the cost is mostly the first).
pub fn smaller_copies(
    bytes: &[u8],
    content_type: &str,
    widths: &[u32],
) -> Result<(Dimensions, Vec<Smaller>), ImageError> {
    let (decoder, dimensions, orientation) = open(bytes, content_type)?;
    let mut wanted: Vec<u32> = widths
        .iter()
        .copied()
        .filter(|w| *w < dimensions.width)
        .collect();
    wanted.sort_unstable_by(|a, b| b.cmp(a));
    wanted.dedup();
    if wanted.is_empty() {
        return Ok((dimensions, Vec::new()));
    }
    let mut image =
        DynamicImage::from_decoder(decoder).map_err(|e| ImageError::Undecodable(e.to_string()))?;
    image.apply_orientation(orientation);
    let opaque = !image.color().has_alpha();
    let mut copies = Vec::with_capacity(wanted.len());
    for width in wanted {
        let height = dimensions.height_at(width);
        image = image.resize_exact(width, height, image::imageops::FilterType::CatmullRom);
        let webp = if opaque {
            let rgb = image.to_rgb8();
            webp::Encoder::from_rgb(rgb.as_raw(), width, height)
                .encode(QUALITY)
                .to_vec()
        } else {
            let rgba = image.to_rgba8();
            webp::Encoder::from_rgba(rgba.as_raw(), width, height)
                .encode(QUALITY)
                .to_vec()
        };
        if webp.is_empty() {
            return Err(ImageError::Unencodable(format!("{width} × {height}")));
        }
        copies.push(Smaller {
            dimensions: Dimensions { width, height },
            webp,
        });
    }
    Ok((dimensions, copies))
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A PNG of `width` × `height` with a gradient (so it compresses like a picture).
    pub fn png(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
        });
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    /// A PNG declaring `width` × `height` with a few bytes of pixel data: what a
    /// decompression bomb looks like before it is decoded.
    pub fn png_header(width: u32, height: u32) -> Vec<u8> {
        let mut header = Vec::new();
        header.extend_from_slice(&width.to_be_bytes());
        header.extend_from_slice(&height.to_be_bytes());
        header.extend_from_slice(&[8, 2, 0, 0, 0]);
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        for (kind, data) in [
            (&b"IHDR"[..], &header[..]),
            (
                b"IDAT",
                &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01][..],
            ),
            (b"IEND", &[][..]),
        ] {
            png.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
            let mut chunk = kind.to_vec();
            chunk.extend_from_slice(data);
            png.extend_from_slice(&chunk);
            png.extend_from_slice(&crc32(&chunk).to_be_bytes());
        }
        png
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for b in bytes {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn dimensions_come_from_the_header_alone() {
        assert_eq!(
            dimensions(&png(300, 200), "image/png"),
            Ok(Dimensions {
                width: 300,
                height: 200
            })
        );
        assert_eq!(
            dimensions(&png_header(640, 480), "image/png"),
            Ok(Dimensions {
                width: 640,
                height: 480
            })
        );
    }

    #[test]
    fn a_decompression_bomb_is_refused_on_its_header() {
        for (w, h) in [(100_000, 100_000), (6_001, 10), (8_000, 8_000)] {
            let bomb = png_header(w, h);
            assert!(
                matches!(dimensions(&bomb, "image/png"), Err(ImageError::TooLarge(_))),
                "{w} × {h}"
            );
            assert!(matches!(
                smaller_copies(&bomb, "image/png", &[480]),
                Err(ImageError::TooLarge(_))
            ));
        }
    }

    #[test]
    fn copies_are_webp_at_each_narrower_width_keeping_the_aspect_ratio() {
        let (original, copies) =
            smaller_copies(&png(1000, 500), "image/png", &[480, 960, 1600]).expect("copies");
        assert_eq!(
            original,
            Dimensions {
                width: 1000,
                height: 500
            }
        );
        let sizes: Vec<(u32, u32)> = copies
            .iter()
            .map(|c| (c.dimensions.width, c.dimensions.height))
            .collect();
        assert_eq!(sizes, vec![(960, 480), (480, 240)]);
        for copy in &copies {
            assert_eq!(&copy.webp[..4], b"RIFF");
            assert_eq!(&copy.webp[8..12], b"WEBP");
            let back = dimensions(&copy.webp, "image/webp").expect("a readable WebP");
            assert_eq!(back, copy.dimensions);
        }
    }

    #[test]
    fn gif_and_garbage_are_not_made_smaller() {
        assert!(matches!(
            smaller_copies(b"GIF89a....", "image/gif", &[480]),
            Err(ImageError::Unsupported(_))
        ));
        assert!(matches!(
            dimensions(b"\x89PNG\r\n\x1a\nnot really", "image/png"),
            Err(ImageError::Unreadable(_))
        ));
    }
}
