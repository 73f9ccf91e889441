//! SIGTERM ends the process within `--shutdown-timeout-secs`, even while an
//! image is being decoded and resized on a blocking thread; the upload cut
//! short leaves no photo row.

use std::time::{Duration, Instant};

use entity::photo;
use folio_tests::TestDb;
use folio_tests::instance::Instance;
use sea_orm::{EntityTrait, PaginatorTrait};

/// The side of the test image: noise at JPEG quality 100 is the costliest
/// image per pixel to decode and re-encode, so this one takes seconds,
/// far longer than the shutdown timeout below.
const SIDE: u32 = 4_000;

/// A `SIDE` × `SIDE` JPEG of noise (a xorshift stream) at quality 100.
fn noise_jpeg() -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let pixels: Vec<u8> = (0..SIDE * SIDE * 3)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let picture = image::RgbImage::from_raw(SIDE, SIDE, pixels).unwrap();
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(picture)
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
            &mut out, 100,
        ))
        .unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_image_work_exits_within_the_shutdown_timeout_and_leaves_no_row() {
    let db = TestDb::empty().await;
    let media = tempfile::tempdir().unwrap();
    let storage = format!("file://{}", media.path().display());
    let pixels = (u64::from(SIDE) * u64::from(SIDE)).to_string();
    let mut folio = Instance::start(
        env!("CARGO_BIN_EXE_folio"),
        &db.url,
        &[
            "--storage-url",
            &storage,
            "--shutdown-timeout-secs",
            "1",
            "--max-image-pixels",
            &pixels,
            "--max-upload-bytes",
            "500000000",
            "--image-time-budget-ms",
            "600000",
        ],
    )
    .await;
    let token = folio.register("ada").await;
    let jpeg = noise_jpeg();

    let upload = tokio::spawn(folio.upload_photo(&token, "noise.jpg", jpeg));

    // Wait until the image work has used a second of CPU: it is under way.
    let before = folio.cpu_time();
    let started = Instant::now();
    while folio.cpu_time() < before + Duration::from_secs(1) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the upload never started working"
        );
        assert!(
            !upload.is_finished(),
            "the upload finished before the signal: make SIDE larger"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        !upload.is_finished(),
        "the upload finished before the signal: make SIDE larger"
    );

    let signalled = Instant::now();
    folio.terminate();
    let status = folio.exit_within(Duration::from_secs(10)).await;
    let took = signalled.elapsed();
    println!("exited {took:.1?} after SIGTERM, with {status:?}");
    assert!(status.is_some(), "still running 10 s after SIGTERM");
    assert!(
        took < Duration::from_secs(3),
        "exited {took:.1?} after SIGTERM, with a 1 s shutdown timeout"
    );
    // The client saw its connection end, not an answer.
    let answered = upload.await.unwrap();
    assert!(
        answered.is_err() || !answered.unwrap().status().is_success(),
        "the upload was answered as a success"
    );
    assert_eq!(photo::Entity::find().count(&db.conn).await.unwrap(), 0);
}
