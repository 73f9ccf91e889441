//! Image files for the upload tests and the image benchmark.

/// 256 colours in a 16 × 16 first frame on a `side` × `side` canvas that is
/// otherwise transparent: 257 colours in a few kilobytes, the GIF whose
/// re-encode as GIF went into the slowest colour quantiser (seconds of CPU
/// per upload).
pub fn palette_gif(side: u16) -> Vec<u8> {
    let palette: Vec<u8> = (0..=255u8).flat_map(|i| [i, 255 - i, i / 2]).collect();
    let mut out = Vec::new();
    {
        let mut encoder =
            gif::Encoder::new(&mut out, side, side, &[]).expect("a GIF encoder in memory");
        let frame = gif::Frame {
            width: 16,
            height: 16,
            palette: Some(palette),
            buffer: std::borrow::Cow::Owned((0..=255u8).collect()),
            ..gif::Frame::default()
        };
        encoder
            .write_frame(&frame)
            .expect("writing a frame into memory");
    }
    out
}
