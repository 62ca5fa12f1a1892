//! Smaller copies of an uploaded image, made once after the upload: WebP at each
//! of `SMALLER_WIDTHS` narrower than the image, beside it under `media/sized/`,
//! so a reader's browser fetches the width its screen needs (`ports::media::sources`).
//!
//! Who calls it: in production the media function, on S3's `ObjectCreated`
//! event for the upload (`src/bin/media.rs`); under `folio serve`, the stand-in
//! for the bucket once an upload is stored; `folio import`, for the images it
//! brings. The copies are created, never replaced (their names follow from the
//! upload's, and an upload is never rewritten), so a second run for the same
//! upload writes nothing.
//!
//! Uploads nothing links to are swept by the tick (`usecases::media_sweep`).

use crate::ports::media::{
    Dimensions, MediaError, MediaObjects, SMALLER_TYPE, SMALLER_WIDTHS, declared_dimensions,
    parse_name, smaller_name,
};
use crate::support::images::{self, ImageError};

/// What was made for one upload.
#[derive(Debug, PartialEq, Eq)]
pub struct Made {
    pub dimensions: Dimensions,
    /// The copies' names and widths, widest first.
    pub copies: Vec<(String, u32)>,
    /// How many of them were there already.
    pub already: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ImagesError {
    #[error("{0:?} is not an upload's name")]
    NotAnUpload(String),
    #[error("{0} is not in storage")]
    Missing(String),
    /// Kept as sent: GIF (which may move) and AVIF.
    #[error("{name}: {source}")]
    Image { name: String, source: ImageError },
    /// The upload is not the size its name declares: pages would lay it out wrong.
    #[error(
        "{name} declares {}×{} pixels but is {}×{}",
        declared.width, declared.height, actual.width, actual.height
    )]
    NotAsDeclared {
        name: String,
        declared: Dimensions,
        actual: Dimensions,
    },
    #[error(transparent)]
    Media(#[from] MediaError),
}

impl ImagesError {
    /// Whether the upload itself is at fault (nothing to retry), rather than storage.
    pub fn is_the_uploads_fault(&self) -> bool {
        !matches!(self, ImagesError::Media(_) | ImagesError::Missing(_))
    }
}

/// Makes the smaller copies of `media/<name>` that are missing.
pub async fn make_smaller(objects: &dyn MediaObjects, name: &str) -> Result<Made, ImagesError> {
    let content_type = parse_name(name).ok_or_else(|| ImagesError::NotAnUpload(name.into()))?;
    let image_error = |source| ImagesError::Image {
        name: name.to_string(),
        source,
    };
    if !images::makes_smaller(content_type) {
        return Err(image_error(ImageError::Unsupported(content_type.into())));
    }
    let bytes = objects
        .get(name)
        .await?
        .ok_or_else(|| ImagesError::Missing(name.into()))?;
    // The header is read (and a bomb refused) before anything is decoded.
    let actual = images::dimensions(&bytes, content_type).map_err(image_error)?;
    if let Some(declared) = declared_dimensions(name)
        && declared != actual
    {
        return Err(ImagesError::NotAsDeclared {
            name: name.into(),
            declared,
            actual,
        });
    }
    let content_type = content_type.to_string();
    let (dimensions, copies) = tokio::task::spawn_blocking(move || {
        images::smaller_copies(&bytes, &content_type, SMALLER_WIDTHS)
    })
    .await
    .map_err(|e| image_error(ImageError::Undecodable(e.to_string())))?
    .map_err(image_error)?;
    let mut made = Made {
        dimensions,
        copies: Vec::with_capacity(copies.len()),
        already: 0,
    };
    for copy in copies {
        let width = copy.dimensions.width;
        let copy_name =
            smaller_name(name, width).ok_or_else(|| ImagesError::NotAnUpload(name.into()))?;
        if !objects.put(&copy_name, SMALLER_TYPE, &copy.webp).await? {
            made.already += 1;
        }
        made.copies.push((copy_name, width));
    }
    Ok(made)
}
