//! The demo's images: a few small pictures drawn from their index alone
//! (a diagonal gradient between two colours of a palette, with a sun), put
//! through the same checks, orientation and resizing as an upload and
//! stored in the configured store. Photo `n` of the demo shows picture
//! `n % DEMO_IMAGES`: objects are named by their content, so a dozen
//! pictures serve any number of photos.
//!
//! It writes no rows: [`super::seed_with_images`] puts what it stored on the
//! photos.

use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};

use crate::error::ApiError;
use crate::media::{Media, Stored};

/// How many distinct demo pictures there are.
pub const DEMO_IMAGES: usize = 12;

/// Sky, sea, sand, dusk…: the colours the gradients run between.
const PALETTE: [[u8; 3]; 8] = [
    [38, 84, 124],
    [239, 71, 111],
    [255, 209, 102],
    [6, 214, 160],
    [17, 138, 178],
    [7, 59, 76],
    [244, 162, 97],
    [42, 157, 143],
];

/// Demo picture `i` as a JPEG, 640 × 427 pixels.
pub fn picture(i: usize) -> Vec<u8> {
    let (width, height) = (640u32, 427u32);
    let from = PALETTE[i % PALETTE.len()];
    let to = PALETTE[(i * 3 + 1) % PALETTE.len()];
    let sun = (
        (width / 5 + (i as u32 * 97) % (width * 3 / 5)) as i64,
        (height / 4 + (i as u32 * 53) % (height / 3)) as i64,
    );
    let picture = RgbImage::from_fn(width, height, |x, y| {
        let (dx, dy) = (i64::from(x) - sun.0, i64::from(y) - sun.1);
        if dx * dx + dy * dy < 40 * 40 {
            return Rgb([255, 244, 214]);
        }
        let t = (x + y) as f32 / (width + height) as f32;
        let mix = |a: u8, b: u8| (f32::from(a) * (1.0 - t) + f32::from(b) * t) as u8;
        Rgb([
            mix(from[0], to[0]),
            mix(from[1], to[1]),
            mix(from[2], to[2]),
        ])
    });
    let mut out = Vec::new();
    // Encoding a small picture into memory cannot fail short of a bug.
    if let Err(err) = picture.write_with_encoder(JpegEncoder::new_with_quality(&mut out, 85)) {
        tracing::error!(error = %err, "could not encode a demo picture");
    }
    out
}

/// Stores every demo picture in `media` (with its sizes) and returns what
/// each photo row should say of it, in order.
pub async fn store(media: &Media) -> Result<Vec<Stored>, ApiError> {
    let mut stored = Vec::with_capacity(DEMO_IMAGES);
    for i in 0..DEMO_IMAGES {
        stored.push(media.ingest("demo image", picture(i)).await?.stored);
    }
    Ok(stored)
}
