//! From uploaded bytes to the images Folio serves: the format is sniffed
//! from the content (never from a name or a declared type), the pixel size
//! is read from the header and checked before anything is decoded, the
//! EXIF orientation is applied, and every image is re-encoded, which drops
//! all metadata (GPS position, camera, comments) with it.
//!
//! Pure and blocking: no storage, no database, no async. [`super::Media`]
//! runs it on a blocking thread, a bounded number at a time.

use std::io::Cursor;
use std::time::{Duration, Instant};

use image::codecs::jpeg::JpegEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageBuffer, ImageDecoder, ImageFormat, ImageReader, Limits};
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
    /// GIF: accepted, and stored as the PNG of its first frame; photos
    /// uploaded as GIF before that keep their GIF objects.
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

    /// The kind an original of this kind is stored as: itself, but a GIF
    /// becomes the PNG of its first frame (see [`process`]).
    pub fn stored(self) -> Kind {
        match self {
            Kind::Gif => Kind::Png,
            kind => kind,
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
    /// The most bytes of pixels one image may need while it is processed:
    /// its decoded pixels (8 bits a channel) times [`WORKING_COPIES`].
    pub max_memory: u64,
    /// How long processing one image may take; checked between its steps
    /// (decoding, orienting, each encoding), so one step is the most that
    /// runs past it.
    pub time_budget: Duration,
    /// The longest side of the large size.
    pub large: u32,
    /// The longest side of the thumbnail.
    pub thumbnail: u32,
}

/// How many images of the original's size are held at once while it is
/// processed: the decoded pixels and one more while they are turned
/// upright (a quarter turn cannot be done in place) or converted for an
/// encoder. The smaller sizes are made from the decoded pixels directly,
/// with no full-size buffer between.
pub const WORKING_COPIES: u64 = 2;

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
    /// Processing it would take more memory than `--max-image-memory-mib`,
    /// known from the header (size and channels) before anything is decoded.
    #[error(
        "the image is {width}×{height} pixels with {channels} channels, which takes \
         {needed_mib} MiB to process; at most {max_mib} MiB are accepted: send a smaller image"
    )]
    TooMuchMemory {
        /// The width the header declares.
        width: u32,
        /// The height the header declares.
        height: u32,
        /// Colour channels, alpha included.
        channels: u8,
        /// What processing it would take, rounded up.
        needed_mib: u64,
        /// The limit.
        max_mib: u64,
    },
    /// Processing it took longer than `--image-time-budget-ms`.
    #[error("the image took more than {budget_ms} ms to process: send a smaller or simpler image")]
    TooSlow {
        /// The budget.
        budget_ms: u128,
    },
    /// The header or the data is damaged or cut short.
    #[error("the image could not be read: it is damaged or incomplete")]
    Damaged,
}

/// An upload made ready to store: the original, re-encoded without its
/// metadata, and its smaller sizes.
#[derive(Debug)]
pub struct Processed {
    /// The kind the original is stored as (a GIF's first frame becomes a PNG).
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

/// The time left of one image's budget.
struct Clock {
    started: Instant,
    budget: Duration,
}

impl Clock {
    /// `TooSlow` once the budget is spent: called between steps.
    fn check(&self) -> Result<(), Refusal> {
        if self.started.elapsed() > self.budget {
            return Err(Refusal::TooSlow {
                budget_ms: self.budget.as_millis(),
            });
        }
        Ok(())
    }
}

/// Checks `bytes` and makes the images to serve from them.
///
/// What it costs is bounded by the image's pixels: the pixel and memory
/// limits are checked from the header before anything is decoded, every
/// encoder used is linear in the pixels (a GIF is stored as the PNG of its
/// first frame: GIF's encoder must quantise colours, and its quantiser is
/// slow without bound on some palettes), and the smaller sizes are made by
/// averaging each source pixel into one target pixel. `benches/images.rs`
/// measures the cost per megapixel of each format.
pub fn process(bytes: &[u8], sizes: Sizes) -> Result<Processed, Refusal> {
    let clock = Clock {
        started: Instant::now(),
        budget: sizes.time_budget,
    };
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
    let (mut picture, orientation) = match kind {
        Kind::Png => decode_png(bytes, width, height, &sizes)?,
        Kind::Jpeg | Kind::WebP | Kind::Gif => decode(bytes, format, width, height, &sizes)?,
    };
    clock.check()?;
    picture.apply_orientation(orientation);
    clock.check()?;

    let stored = kind.stored();
    let original = encode(&picture, stored);
    clock.check()?;
    let large = encode(&fit(&picture, sizes.large), kind.derived());
    clock.check()?;
    let thumbnail = encode(&fit(&picture, sizes.thumbnail), kind.derived());
    clock.check()?;
    Ok(Processed {
        kind: stored,
        width: picture.width(),
        height: picture.height(),
        sha256: format!("{:x}", Sha256::digest(&original)),
        original,
        large,
        thumbnail,
    })
}

/// `TooMuchMemory` when an image of `width` × `height` with `channels`
/// 8-bit channels needs more than `sizes.max_memory` to process.
fn check_memory(width: u32, height: u32, channels: u8, sizes: &Sizes) -> Result<(), Refusal> {
    let needed = u64::from(width)
        .saturating_mul(u64::from(height))
        .saturating_mul(u64::from(channels))
        .saturating_mul(WORKING_COPIES);
    if needed > sizes.max_memory {
        const MIB: u64 = 1024 * 1024;
        return Err(Refusal::TooMuchMemory {
            width,
            height,
            channels,
            needed_mib: needed.div_ceil(MIB),
            max_mib: sizes.max_memory / MIB,
        });
    }
    Ok(())
}

/// A JPEG, WebP or GIF (its first frame), by image's decoders, which give 8
/// bits a channel for these formats.
fn decode(
    bytes: &[u8],
    format: ImageFormat,
    width: u32,
    height: u32,
    sizes: &Sizes,
) -> Result<(DynamicImage, Orientation), Refusal> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    // The decoder must stay within what the header promised: a file whose
    // frames claim more is damaged, not large.
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    limits.max_alloc = Some(sizes.max_memory);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| Refusal::Damaged)?;
    let color = decoder.color_type();
    check_memory(width, height, color.channel_count(), sizes)?;
    // A broken EXIF block only loses the orientation: the pixels are still good.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let picture = DynamicImage::from_decoder(decoder).map_err(|_| Refusal::Damaged)?;
    Ok((picture, orientation))
}

/// A PNG, decoded at 8 bits a channel whatever its depth: every size Folio
/// serves is 8-bit, and a 16-bit decode took twice the memory for nothing
/// (image's own PNG decoder keeps 16 bits).
fn decode_png(
    bytes: &[u8],
    width: u32,
    height: u32,
    sizes: &Sizes,
) -> Result<(DynamicImage, Orientation), Refusal> {
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(|_| Refusal::Damaged)?;
    if reader.info().size() != (width, height) {
        return Err(Refusal::Damaged);
    }
    let (color, _) = reader.output_color_type();
    check_memory(width, height, color.samples() as u8, sizes)?;
    let orientation = reader
        .info()
        .exif_metadata
        .as_deref()
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);
    let size = reader.output_buffer_size().ok_or(Refusal::Damaged)?;
    let mut pixels = vec![0; size];
    let frame = reader
        .next_frame(&mut pixels)
        .map_err(|_| Refusal::Damaged)?;
    pixels.truncate(frame.buffer_size());
    let picture = match frame.color_type {
        png::ColorType::Grayscale => {
            ImageBuffer::from_raw(width, height, pixels).map(DynamicImage::ImageLuma8)
        }
        png::ColorType::GrayscaleAlpha => {
            ImageBuffer::from_raw(width, height, pixels).map(DynamicImage::ImageLumaA8)
        }
        png::ColorType::Rgb => {
            ImageBuffer::from_raw(width, height, pixels).map(DynamicImage::ImageRgb8)
        }
        png::ColorType::Rgba => {
            ImageBuffer::from_raw(width, height, pixels).map(DynamicImage::ImageRgba8)
        }
        // Expanded to RGB(A) by the transformations above.
        png::ColorType::Indexed => None,
    };
    Ok((picture.ok_or(Refusal::Damaged)?, orientation))
}

/// `picture` with its longest side at most `side` pixels, aspect kept; a
/// smaller picture is left as it is (never enlarged). Each source pixel is
/// averaged into one target pixel: linear in the source, with no buffer
/// but the target's.
fn fit(picture: &DynamicImage, side: u32) -> std::borrow::Cow<'_, DynamicImage> {
    if picture.width().max(picture.height()) <= side {
        return std::borrow::Cow::Borrowed(picture);
    }
    std::borrow::Cow::Owned(picture.thumbnail(side, side))
}

/// JPEG's quality for every JPEG Folio writes.
const JPEG_QUALITY: u8 = 88;

/// `picture` encoded as `kind`, with no metadata, converted only where the
/// encoder needs it. Encoding into memory an image that decoded fails only
/// on a bug, so a failure is logged and gives an empty file rather than an
/// error to explain to the client.
fn encode(picture: &DynamicImage, kind: Kind) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let written = match (kind, picture) {
        (Kind::Jpeg, DynamicImage::ImageRgb8(_) | DynamicImage::ImageLuma8(_)) => {
            picture.write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))
        }
        (Kind::Jpeg, _) => DynamicImage::ImageRgb8(picture.to_rgb8())
            .write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)),
        (Kind::WebP, DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_)) => {
            picture.write_to(&mut out, ImageFormat::WebP)
        }
        (Kind::WebP, _) => {
            DynamicImage::ImageRgba8(picture.to_rgba8()).write_to(&mut out, ImageFormat::WebP)
        }
        // Never asked for (see [`Kind::stored`]): a PNG is what a GIF is kept as.
        (Kind::Png | Kind::Gif, _) => picture.write_to(&mut out, ImageFormat::Png),
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
        max_memory: 64 * 1024 * 1024,
        time_budget: Duration::from_secs(10),
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

    /// A `width`×`height` RGB PNG at 16 bits a channel.
    fn png16(width: u32, height: u32) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        DynamicImage::ImageRgb16(ImageBuffer::from_fn(width, height, |x, y| {
            image::Rgb([(x * 300) as u16, (y * 300) as u16, 40_000])
        }))
        .write_to(&mut out, ImageFormat::Png)
        .unwrap_or_else(|err| unreachable!("encoding a PNG in memory: {err}"));
        out.into_inner()
    }

    #[test]
    fn a_16_bit_png_is_decoded_at_8_bits_and_its_memory_counted_so() {
        // 100 × 100 × 3 channels × 2 copies: 60,000 bytes at 8 bits (twice
        // that at 16 bits, which this limit would refuse).
        let sizes = Sizes {
            max_memory: 60_000,
            ..SIZES
        };
        let done = process(&png16(100, 100), sizes).unwrap_or_else(|err| panic!("{err}"));
        let original = image::load_from_memory(&done.original).expect("a PNG");
        assert_eq!(original.color(), image::ColorType::Rgb8);
        assert_eq!(original.to_rgb8().get_pixel(1, 0).0, [1, 0, 156]);
        let tight = Sizes {
            max_memory: 59_999,
            ..SIZES
        };
        assert_eq!(
            process(&png16(100, 100), tight).err(),
            Some(Refusal::TooMuchMemory {
                width: 100,
                height: 100,
                channels: 3,
                needed_mib: 1,
                max_mib: 0
            })
        );
    }

    #[test]
    fn a_gif_is_stored_as_the_png_of_its_first_frame() {
        let mut out = Cursor::new(Vec::new());
        DynamicImage::ImageRgba8(ImageBuffer::from_pixel(
            20,
            10,
            image::Rgba([200, 0, 0, 255]),
        ))
        .write_to(&mut out, ImageFormat::Gif)
        .unwrap_or_else(|err| unreachable!("encoding a GIF in memory: {err}"));
        let done = process(&out.into_inner(), SIZES).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(done.kind, Kind::Png);
        assert_eq!(
            image::guess_format(&done.original).ok(),
            Some(ImageFormat::Png)
        );
        let original = image::load_from_memory(&done.original).expect("a PNG");
        assert_eq!((original.width(), original.height()), (20, 10));
        assert_eq!(original.to_rgba8().get_pixel(3, 3).0, [200, 0, 0, 255]);
    }

    #[test]
    fn an_image_past_its_time_budget_is_refused() {
        let sizes = Sizes {
            time_budget: Duration::ZERO,
            ..SIZES
        };
        assert_eq!(
            process(&png(200, 100), sizes).err(),
            Some(Refusal::TooSlow { budget_ms: 0 })
        );
    }
}
