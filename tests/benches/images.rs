//! What an uploaded image costs to process, per megapixel, for each format
//! Folio accepts, on the hardest content of each: noise (nothing for a
//! codec to exploit), 16-bit samples, and the GIF that sent the old
//! re-encode into its slowest colour quantiser (a small first frame of 256
//! colours on a large transparent canvas: 257 colours in all).
//!
//! `cargo bench -p folio-tests --bench images` runs `api::media::picture::process`
//! with the default settings on each image, `FOLIO_IMAGES_ROUNDS` times
//! (default 3), on this thread, and prints the thread's CPU time per
//! megapixel (from `/proc/thread-self/schedstat`), best and worst round, and
//! the largest per format. Nothing is timed against a bound: the figures are
//! the result.

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "a benchmark stops loudly and prints its figures"
)]

use std::io::Cursor;
use std::time::Duration;

use api::config::MediaConfig;
use api::media::picture::{Sizes, process};
use image::{DynamicImage, ImageBuffer, ImageFormat};

/// The thread's CPU time so far.
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    let nanos: u64 = stat.split_whitespace().next().unwrap().parse().unwrap();
    Duration::from_nanos(nanos)
}

/// Bytes no codec can shrink: a xorshift stream.
fn noise(len: usize) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

fn encoded(picture: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    picture.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// A JPEG of noise at quality 100: the most coefficients to decode.
fn jpeg(side: u32) -> Vec<u8> {
    let pixels = noise((side * side * 3) as usize);
    let picture = DynamicImage::ImageRgb8(ImageBuffer::from_raw(side, side, pixels).unwrap());
    let mut out = Cursor::new(Vec::new());
    picture
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
            &mut out, 100,
        ))
        .unwrap();
    out.into_inner()
}

fn main() {
    let rounds: usize = std::env::var("FOLIO_IMAGES_ROUNDS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(3);
    let config = MediaConfig::default();
    let sizes = Sizes {
        max_pixels: config.max_image_pixels,
        max_memory: config.max_image_memory_mib * 1024 * 1024,
        time_budget: Duration::from_millis(config.image_time_budget_ms),
        large: config.large_size,
        thumbnail: config.thumbnail_size,
    };
    let side = 3000u32;
    let rgb = |side: u32| {
        DynamicImage::ImageRgb8(
            ImageBuffer::from_raw(side, side, noise((side * side * 3) as usize)).unwrap(),
        )
    };
    let rgba = |side: u32| {
        DynamicImage::ImageRgba8(
            ImageBuffer::from_raw(side, side, noise((side * side * 4) as usize)).unwrap(),
        )
    };
    println!(
        "generating the images ({side} × {side}, {} MP)…",
        side * side / 1_000_000
    );
    let images: Vec<(&str, Vec<u8>)> = vec![
        ("JPEG, noise, quality 100", jpeg(side)),
        ("PNG, RGB noise", encoded(rgb(side), ImageFormat::Png)),
        ("PNG, RGBA noise", encoded(rgba(side), ImageFormat::Png)),
        ("PNG, 16-bit RGB", {
            let small = rgb(side);
            encoded(DynamicImage::ImageRgb16(small.to_rgb16()), ImageFormat::Png)
        }),
        (
            "WebP, RGBA noise (lossless)",
            encoded(rgba(side), ImageFormat::WebP),
        ),
        ("GIF, RGBA noise", encoded(rgba(side / 2), ImageFormat::Gif)),
        (
            "GIF, 257 colours on a large canvas",
            folio_tests::images::palette_gif(side as u16),
        ),
    ];
    println!(
        "{:<38} {:>10} {:>8} {:>12} {:>12}",
        "image", "file KB", "MP", "best s/MP", "worst s/MP"
    );
    let mut worst_overall = 0.0f64;
    for (name, bytes) in &images {
        let mut per_mp = Vec::new();
        let mut megapixels = 0.0;
        for _ in 0..rounds {
            let before = cpu();
            let done = process(bytes, sizes).unwrap_or_else(|err| panic!("{name}: {err}"));
            let spent = cpu() - before;
            megapixels = f64::from(done.width) * f64::from(done.height) / 1e6;
            per_mp.push(spent.as_secs_f64() / megapixels);
        }
        let best = per_mp.iter().copied().fold(f64::MAX, f64::min);
        let worst = per_mp.iter().copied().fold(0.0, f64::max);
        worst_overall = worst_overall.max(worst);
        println!(
            "{name:<38} {:>10} {megapixels:>8.2} {best:>12.3} {worst:>12.3}",
            bytes.len() / 1024
        );
    }
    println!("worst case: {worst_overall:.3} s of CPU per megapixel");
}
