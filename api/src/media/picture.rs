//! From uploaded bytes to the images Folio serves: the format is sniffed
//! from the content (never from a name or a declared type), the pixel size
//! is read from the header and checked before anything is decoded, the
//! EXIF orientation is applied, and every image is re-encoded, which drops
//! all metadata (GPS position, camera, comments) with it.
//!
//! Pure and blocking: no storage, no database, no async. [`super::Media`]
//! runs it on a blocking thread, a bounded number at a time.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

/// The image formats Folio accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
    /// WebP.
    WebP,
    /// GIF (only its first frame is kept).
    Gif,
}

impl Kind {
    /// The accepted kind `format` is, if it is one.
    fn of(format: ImageFormat) -> Option<Kind> {
        match format {
            ImageFormat::Jpeg => Some(Kind::Jpeg),
            ImageFormat::Png => Some(Kind::Png),
            ImageFormat::WebP => Some(Kind::WebP),
            ImageFormat::Gif => Some(Kind::Gif),
            _ => None,
        }
    }

    /// The kind a stored `image/…` media type names.
    pub fn from_content_type(content_type: &str) -> Option<Kind> {
        [Kind::Jpeg, Kind::Png, Kind::WebP, Kind::Gif]
            .into_iter()
            .find(|kind| kind.content_type() == content_type)
    }

    /// The media type images of this kind are served with.
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::WebP => "image/webp",
            Kind::Gif => "image/gif",
        }
    }

    /// The file extension of this kind's objects.
    pub fn extension(self) -> &'static str {
        match self {
            Kind::Jpeg => "jpg",
            Kind::Png => "png",
            Kind::WebP => "webp",
            Kind::Gif => "gif",
        }
    }

    /// The kind of the smaller sizes made from an original of this kind: a
    /// photograph stays JPEG; anything else, which may be transparent or
    /// drawn, becomes PNG (image's WebP encoder is lossless only, and a GIF
    /// has 256 colours).
    pub fn derived(self) -> Kind {
        match self {
            Kind::Jpeg => Kind::Jpeg,
            Kind::Png | Kind::WebP | Kind::Gif => Kind::Png,
        }
    }

    /// The kind the extension `extension` names.
    pub fn from_extension(extension: &str) -> Option<Kind> {
        [Kind::Jpeg, Kind::Png, Kind::WebP, Kind::Gif]
            .into_iter()
            .find(|kind| kind.extension() == extension)
    }
}

/// How uploads are checked and which sizes are made.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// The most pixels (width × height) an image may have.
    pub max_pixels: u64,
    /// The longest side of the large size.
    pub large: u32,
    /// The longest side of the thumbnail.
    pub thumbnail: u32,
}

/// Why an upload is not an image Folio takes; each says so to the client.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refusal {
    /// The bytes are no image format at all (a text file named `.jpg`).
    #[error("the file is not an image: send a JPEG, PNG, WebP or GIF")]
    NotAnImage,
    /// An image format other than the four accepted.
    #[error("{0} images are not accepted: send a JPEG, PNG, WebP or GIF")]
    Unsupported(String),
    /// More pixels than `--max-image-pixels`, read from the header alone.
    #[error("the image is {width}×{height} pixels; at most {max} pixels are accepted")]
    TooManyPixels {
        /// The width the header declares.
        width: u32,
        /// The height the header declares.
        height: u32,
        /// The limit.
        max: u64,
    },
    /// The header or the data is damaged or cut short.
    #[error("the image could not be read: it is damaged or incomplete")]
    Damaged,
}

/// An upload made ready to store: the original, re-encoded without its
/// metadata, and its smaller sizes.
#[derive(Debug)]
pub struct Processed {
    /// The original's kind.
    pub kind: Kind,
    /// The original's width as served (orientation applied).
    pub width: u32,
    /// The original's height as served.
    pub height: u32,
    /// The SHA-256 of `original`, lowercase hex.
    pub sha256: String,
    /// The original, re-encoded.
    pub original: Vec<u8>,
    /// At most [`Sizes::large`] pixels on its longest side.
    pub large: Vec<u8>,
    /// At most [`Sizes::thumbnail`] pixels on its longest side.
    pub thumbnail: Vec<u8>,
}

/// Checks `bytes` and makes the images to serve from them.
pub fn process(bytes: &[u8], sizes: Sizes) -> Result<Processed, Refusal> {
    let format = image::guess_format(bytes).map_err(|_| Refusal::NotAnImage)?;
    let kind = Kind::of(format).ok_or_else(|| Refusal::Unsupported(format!("{format:?}")))?;
    // The header alone (imagesize reads nothing past it, where image's PNG
    // reader wants the first data chunk): a 50,000 × 50,000 bomb is refused
    // before a byte of it is decoded.
    let declared = imagesize::blob_size(bytes).map_err(|_| Refusal::Damaged)?;
    let (Ok(width), Ok(height)) = (
        u32::try_from(declared.width),
        u32::try_from(declared.height),
    ) else {
        return Err(Refusal::Damaged);
    };
    if u64::from(width) * u64::from(height) > sizes.max_pixels {
        return Err(Refusal::TooManyPixels {
            width,
            height,
            max: sizes.max_pixels,
        });
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    // The decoder must stay within what the header promised: a file whose
    // frames claim more is damaged, not large.
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| Refusal::Damaged)?;
    // A broken EXIF block only loses the orientation: the pixels are still good.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(|_| Refusal::Damaged)?;
    picture.apply_orientation(orientation);

    let original = encode(&picture, kind);
    let large = encode(&fit(&picture, sizes.large), kind.derived());
    let thumbnail = encode(&fit(&picture, sizes.thumbnail), kind.derived());
    Ok(Processed {
        kind,
        width: picture.width(),
        height: picture.height(),
        sha256: format!("{:x}", Sha256::digest(&original)),
        original,
        large,
        thumbnail,
    })
}

/// `picture` with its longest side at most `side` pixels, aspect kept; a
/// smaller picture is left as it is (never enlarged).
fn fit(picture: &DynamicImage, side: u32) -> DynamicImage {
    if picture.width().max(picture.height()) <= side {
        return picture.clone();
    }
    picture.resize(side, side, image::imageops::FilterType::Triangle)
}

/// JPEG's quality for every JPEG Folio writes.
const JPEG_QUALITY: u8 = 88;

/// `picture` encoded as `kind`, with no metadata. Encoding into memory an
/// image that decoded fails only on a bug, so a failure is logged and gives
/// an empty file rather than an error to explain to the client.
fn encode(picture: &DynamicImage, kind: Kind) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let written = match kind {
        Kind::Jpeg => DynamicImage::ImageRgb8(picture.to_rgb8())
            .write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)),
        Kind::Png => picture.write_to(&mut out, ImageFormat::Png),
        Kind::WebP => {
            DynamicImage::ImageRgba8(picture.to_rgba8()).write_to(&mut out, ImageFormat::WebP)
        }
        Kind::Gif => {
            DynamicImage::ImageRgba8(picture.to_rgba8()).write_to(&mut out, ImageFormat::Gif)
        }
    };
    if let Err(err) = written {
        tracing::error!(error = %err, ?kind, "could not encode a decoded image");
    }
    out.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZES: Sizes = Sizes {
        max_pixels: 1_000_000,
        large: 64,
        thumbnail: 16,
    };

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        DynamicImage::new_rgb8(width, height)
            .write_to(&mut out, ImageFormat::Png)
            .unwrap_or_else(|err| unreachable!("encoding a PNG in memory: {err}"));
        out.into_inner()
    }

    #[test]
    fn text_is_not_an_image() {
        assert_eq!(
            process(b"hello, I am a text file", SIZES).err(),
            Some(Refusal::NotAnImage)
        );
    }

    #[test]
    fn the_pixel_limit_is_checked_from_the_header() {
        // Only the first 33 bytes (signature and IHDR) of a large PNG: no pixels at all.
        let header = &png(2000, 1000)[..33];
        assert_eq!(
            process(header, SIZES).err(),
            Some(Refusal::TooManyPixels {
                width: 2000,
                height: 1000,
                max: 1_000_000
            })
        );
    }

    #[test]
    fn smaller_sizes_keep_the_aspect_and_never_enlarge() {
        let done = process(&png(200, 100), SIZES).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!((done.width, done.height), (200, 100));
        let size = |bytes: &[u8]| image::load_from_memory(bytes).map(|i| (i.width(), i.height()));
        assert_eq!(size(&done.large).ok(), Some((64, 32)));
        assert_eq!(size(&done.thumbnail).ok(), Some((16, 8)));
        let small = process(&png(10, 5), SIZES).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(size(&small.thumbnail).ok(), Some((10, 5)));
        assert_eq!(done.sha256.len(), 64);
    }
}
