//! Uploads by the GraphQL multipart request spec: an image is checked by its
//! bytes, stored oriented and without metadata in sizes a client fetches
//! from `Photo.url`; what is refused, or fails, leaves no row and no object;
//! deleting a photo removes its objects; `folio media gc` finds orphans.

use std::io::Cursor;

use entity::photo;
use exif::{Field, In, Rational, Tag};
use folio_tests::{TestApp, TestDb};
use sea_orm::sea_query::{Alias, Table};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

const CREATE_PHOTO: &str = "mutation($input: CreatePhotoInput!) { createPhoto(input: $input) { id filename caption width height byteSize contentType sha256 original: url thumbnail: url(size: THUMBNAIL) large: url(size: LARGE) tags { name } } }";

/// A multipart part: its name, the file name it carries, its bytes.
struct Part<'a> {
    name: &'a str,
    filename: &'a str,
    bytes: Vec<u8>,
}

/// POSTs a multipart GraphQL request (with `Apollo-Require-Preflight`
/// unless `preflight` is false); returns the status and the body.
async fn multipart(
    app: &TestApp,
    token: Option<&str>,
    operations: Value,
    map: Value,
    parts: Vec<Part<'_>>,
    preflight: bool,
) -> (u16, Value) {
    let mut form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", map.to_string());
    for part in parts {
        form = form.part(
            part.name.to_owned(),
            reqwest::multipart::Part::bytes(part.bytes).file_name(part.filename.to_owned()),
        );
    }
    let mut request = app.client.post(app.url("/graphql")).multipart(form);
    if preflight {
        request = request.header("apollo-require-preflight", "true");
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// `createPhoto` with `bytes` uploaded as `filename`, and `tags`.
async fn create_photo(
    app: &TestApp,
    token: &str,
    filename: &str,
    bytes: Vec<u8>,
    tags: &[&str],
) -> (u16, Value) {
    multipart(
        app,
        Some(token),
        json!({ "query": CREATE_PHOTO, "variables": { "input": {
            "file": null, "caption": "Uploaded", "tags": tags,
        } } }),
        json!({ "0": ["variables.input.file"] }),
        vec![Part {
            name: "0",
            filename,
            bytes,
        }],
        true,
    )
    .await
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<no code>")
}

/// A `width`×`height` JPEG whose left half is red and right half blue,
/// carrying EXIF that says "rotate 90° clockwise to show" (orientation 6)
/// and where it was taken (GPS).
fn jpeg_with_orientation_and_gps(width: u32, height: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            image::Rgb([220, 20, 20])
        } else {
            image::Rgb([20, 20, 220])
        }
    });
    let degrees = |d: u32| Field {
        tag: Tag::GPSLatitude,
        ifd_num: In::PRIMARY,
        value: exif::Value::Rational(vec![
            Rational::from((d, 1)),
            Rational::from((30, 1)),
            Rational::from((0, 1)),
        ]),
    };
    let orientation = Field {
        tag: Tag::Orientation,
        ifd_num: In::PRIMARY,
        value: exif::Value::Short(vec![6]),
    };
    let latitude_ref = Field {
        tag: Tag::GPSLatitudeRef,
        ifd_num: In::PRIMARY,
        value: exif::Value::Ascii(vec![b"N".to_vec()]),
    };
    let latitude = degrees(48);
    let mut longitude = degrees(2);
    longitude.tag = Tag::GPSLongitude;
    let mut writer = exif::experimental::Writer::new();
    for field in [&orientation, &latitude_ref, &latitude, &longitude] {
        writer.push_field(field);
    }
    let mut tiff = Cursor::new(Vec::new());
    writer.write(&mut tiff, false).unwrap();

    let mut out = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
    image::ImageEncoder::set_exif_metadata(&mut encoder, tiff.into_inner()).unwrap();
    image::ImageEncoder::write_image(
        encoder,
        picture.as_raw(),
        width,
        height,
        image::ExtendedColorType::Rgb8,
    )
    .unwrap();
    out
}

/// The EXIF GPS latitude in `bytes`, if there is any EXIF and it has one.
fn gps_latitude(bytes: &[u8]) -> Option<String> {
    let exif = exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .ok()?;
    exif.get_field(Tag::GPSLatitude, In::PRIMARY)
        .map(|field| field.display_value().to_string())
}

/// The first 33 bytes of a PNG (signature and header) declaring
/// `width`×`height` pixels, then an empty end: no pixel data at all.
fn png_header(width: u32, height: u32) -> Vec<u8> {
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
        chunk.extend_from_slice(kind);
        chunk.extend_from_slice(data);
        let mut crc = crc32fast::Hasher::new();
        crc.update(kind);
        crc.update(data);
        chunk.extend_from_slice(&crc.finalize().to_be_bytes());
        chunk
    };
    let mut header = width.to_be_bytes().to_vec();
    header.extend_from_slice(&height.to_be_bytes());
    // 8-bit RGB, deflate, adaptive filtering, no interlace.
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &header));
    png.extend(chunk(b"IEND", &[]));
    png
}

/// Asserts that a refused or failed upload left no photo row and no object.
async fn assert_nothing_kept(app: &TestApp) {
    assert_eq!(photo_rows(app).await, 0, "a photo row was kept");
    assert!(app.stored_objects().is_empty(), "an object was kept");
}

async fn photo_rows(app: &TestApp) -> u64 {
    photo::Entity::find().count(&app.db.conn).await.unwrap()
}

/// GETs `url` from the server: status, headers, bytes.
async fn fetch(app: &TestApp, url: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let response = app.client.get(app.url(url)).send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn an_uploaded_jpeg_is_served_upright_resized_and_without_gps() {
    let app = TestApp::spawn().await;
    let (token, _) = app.register("ada").await;
    let upload = jpeg_with_orientation_and_gps(400, 300);
    assert!(gps_latitude(&upload).is_some(), "the fixture carries GPS");

    let (status, body) = create_photo(&app, &token, "beach.jpg", upload, &["sea"]).await;
    assert_eq!(status, 200, "{body:#}");
    assert!(body.get("errors").is_none(), "{body:#}");
    let photo = &body["data"]["createPhoto"];
    assert_eq!(photo["filename"], "beach.jpg");
    assert_eq!(photo["caption"], "Uploaded");
    assert_eq!(photo["tags"], json!([{ "name": "sea" }]));
    // Orientation 6 turns the 400×300 picture upright: 300 wide, 400 high.
    assert_eq!(
        (photo["width"].as_i64(), photo["height"].as_i64()),
        (Some(300), Some(400))
    );
    assert_eq!(photo["contentType"], "image/jpeg");

    let (status, headers, original) = fetch(&app, photo["original"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/jpeg");
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable"),
        "{headers:?}"
    );
    assert_eq!(photo["byteSize"].as_u64(), Some(original.len() as u64));
    let sha = photo["sha256"].as_str().unwrap();
    assert_eq!(sha.len(), 64);
    assert_eq!(gps_latitude(&original), None, "no GPS in what is served");
    let decoded = image::load_from_memory(&original).unwrap().to_rgb8();
    assert_eq!(decoded.dimensions(), (300, 400));
    // The picture's left (red) half is now on top, its right (blue) half below.
    let top = decoded.get_pixel(150, 50);
    let bottom = decoded.get_pixel(150, 350);
    assert!(top[0] > 150 && top[2] < 100, "top is red: {top:?}");
    assert!(
        bottom[2] > 150 && bottom[0] < 100,
        "bottom is blue: {bottom:?}"
    );

    let (status, headers, thumbnail) = fetch(&app, photo["thumbnail"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(gps_latitude(&thumbnail), None);
    let thumbnail = image::load_from_memory(&thumbnail).unwrap().to_rgb8();
    assert_eq!(thumbnail.dimensions(), (240, 320));
    assert!(thumbnail.get_pixel(120, 20)[0] > 150, "upright too");
    // A name that never changes meaning is revalidated by its ETag alone.
    let etag = headers["etag"].clone();
    let again = app
        .client
        .get(app.url(photo["thumbnail"].as_str().unwrap()))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    // The large size is never larger than the original.
    let (_, _, large) = fetch(&app, photo["large"].as_str().unwrap()).await;
    let large = image::load_from_memory(&large).unwrap();
    assert_eq!((large.width(), large.height()), (300, 400));
    assert_eq!(app.stored_objects().len(), 3);
}

#[tokio::test]
async fn a_photo_takes_a_file_or_a_filename_but_not_both() {
    let app = TestApp::spawn().await;
    let (token, _) = app.register("ada").await;
    let neither = app
        .graphql_as(
            Some(&token),
            CREATE_PHOTO,
            json!({ "input": { "caption": "nothing" } }),
        )
        .await;
    assert_eq!(code(&neither), "BAD_USER_INPUT");
    assert_eq!(neither["errors"][0]["extensions"]["field"], "input.file");
    let (_, both) = multipart(
        &app,
        Some(&token),
        json!({ "query": CREATE_PHOTO, "variables": { "input": { "file": null, "filename": "x.jpg" } } }),
        json!({ "0": ["variables.input.file"] }),
        vec![Part {
            name: "0",
            filename: "x.jpg",
            bytes: jpeg_with_orientation_and_gps(8, 8),
        }],
        true,
    )
    .await;
    assert_eq!(code(&both), "BAD_USER_INPUT");
    assert_eq!(both["errors"][0]["extensions"]["field"], "input.file");
    // By name alone, as before uploads: no image, no address.
    let by_name = app
        .graphql_as(
            Some(&token),
            CREATE_PHOTO,
            json!({ "input": { "filename": "old.jpg" } }),
        )
        .await;
    let photo = &by_name["data"]["createPhoto"];
    assert_eq!(photo["filename"], "old.jpg", "{by_name:#}");
    assert_eq!(photo["original"], Value::Null);
    assert_eq!(photo["width"], Value::Null);
    assert_eq!(photo_rows(&app).await, 1);
    assert!(app.stored_objects().is_empty());
}

#[tokio::test]
async fn what_is_not_an_acceptable_image_is_refused_and_leaves_nothing() {
    let app = TestApp::spawn().await;
    let (token, _) = app.register("ada").await;
    let text = b"Dear diary, today I renamed a text file.".to_vec();
    let (status, body) = create_photo(&app, &token, "diary.jpg", text, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "input.file");

    let bomb = png_header(50_000, 50_000);
    let (_, body) = create_photo(&app, &token, "bomb.png", bomb, &[]).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "input.file");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("50000×50000"), "{message}");

    assert_nothing_kept(&app).await;
}

#[tokio::test]
async fn a_file_over_the_limit_is_413_and_leaves_nothing() {
    let mut config = api::config::ServerConfig::default();
    config.media.max_upload_bytes = 16 * 1024;
    let app = TestApp::spawn_on(TestDb::new().await, config).await;
    let (token, _) = app.register("ada").await;
    let mut large = jpeg_with_orientation_and_gps(8, 8);
    large.resize(64 * 1024, 0);
    let (status, body) = create_photo(&app, &token, "large.jpg", large, &[]).await;
    assert_eq!(status, 413, "{body:#}");
    assert_eq!(code(&body), "PAYLOAD_TOO_LARGE");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("16384 bytes"),
        "{body:#}"
    );
    assert_nothing_kept(&app).await;
}

#[tokio::test]
async fn a_multipart_request_without_a_preflight_header_is_refused() {
    let app = TestApp::spawn().await;
    let (token, _) = app.register("ada").await;
    let (status, body) = multipart(
        &app,
        Some(&token),
        json!({ "query": CREATE_PHOTO, "variables": { "input": { "file": null } } }),
        json!({ "0": ["variables.input.file"] }),
        vec![Part {
            name: "0",
            filename: "x.jpg",
            bytes: jpeg_with_orientation_and_gps(8, 8),
        }],
        false,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(code(&body), "PREFLIGHT_REQUIRED");
    assert_nothing_kept(&app).await;
}

#[tokio::test]
async fn a_failing_transaction_leaves_no_object() {
    let app = TestApp::spawn().await;
    let (token, _) = app.register("ada").await;
    // With its join table gone, linking the photo's tags fails after the
    // photo row was inserted, inside the transaction.
    let rename = Table::rename()
        .table(Alias::new("photo_tags"), Alias::new("photo_tags_away"))
        .to_owned();
    app.db.conn.execute(&rename).await.unwrap();
    let upload = jpeg_with_orientation_and_gps(64, 48);
    let (_, body) = create_photo(&app, &token, "doomed.jpg", upload, &["sea"]).await;
    assert_eq!(code(&body), "INTERNAL_SERVER_ERROR", "{body:#}");
    assert_eq!(photo_rows(&app).await, 0);
    assert!(
        app.stored_objects().is_empty(),
        "{:?}",
        app.stored_objects()
    );
}

#[tokio::test]
async fn deleting_a_photo_removes_its_objects_unless_another_photo_shares_them() {
    let app = TestApp::spawn().await;
    let (token, _) = app.register("ada").await;
    let upload = jpeg_with_orientation_and_gps(64, 48);
    let (_, first) = create_photo(&app, &token, "a.jpg", upload.clone(), &[]).await;
    let (_, second) = create_photo(&app, &token, "b.jpg", upload, &[]).await;
    let first = &first["data"]["createPhoto"];
    let second = &second["data"]["createPhoto"];
    assert_eq!(
        first["sha256"], second["sha256"],
        "the same image, stored once"
    );
    assert_eq!(app.stored_objects().len(), 3);
    let delete = "mutation($id: ID!) { deletePhoto(id: $id) { deletedId } }";
    let body = app
        .graphql_as(Some(&token), delete, json!({ "id": first["id"] }))
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    assert_eq!(app.stored_objects().len(), 3, "still used by the second");
    let (status, _, _) = fetch(&app, second["thumbnail"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    app.graphql_as(Some(&token), delete, json!({ "id": second["id"] }))
        .await;
    assert!(app.stored_objects().is_empty());
    let (status, _, body) = fetch(&app, second["thumbnail"].as_str().unwrap()).await;
    assert_eq!(status, 404);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(code(&body), "NOT_FOUND");
}

/// GETs `url` with `If-None-Match: if_none_match`: status and body.
async fn fetch_if_none_match(app: &TestApp, url: &str, if_none_match: &str) -> (u16, Vec<u8>) {
    let response = app
        .client
        .get(app.url(url))
        .header("if-none-match", if_none_match)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn a_conditional_get_is_not_modified_only_while_the_image_exists() {
    let app = TestApp::spawn().await;
    let (token, _) = app.register("ada").await;
    let upload = jpeg_with_orientation_and_gps(64, 48);
    let (_, created) = create_photo(&app, &token, "a.jpg", upload, &[]).await;
    let photo = &created["data"]["createPhoto"];
    let thumbnail = photo["thumbnail"].as_str().unwrap();
    let (status, headers, _) = fetch(&app, thumbnail).await;
    assert_eq!(status, 200);
    let etag = headers["etag"].to_str().unwrap().to_owned();
    for tag in ["*", etag.as_str()] {
        let (status, _) = fetch_if_none_match(&app, thumbnail, tag).await;
        assert_eq!(status, 304, "If-None-Match: {tag}");
    }

    let delete = "mutation($id: ID!) { deletePhoto(id: $id) { deletedId } }";
    let body = app
        .graphql_as(Some(&token), delete, json!({ "id": photo["id"] }))
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    let never_stored = format!("/media/ab/ab{}/thumbnail.jpg", "0".repeat(62));
    for (url, tag) in [
        (thumbnail, "*"),
        (thumbnail, etag.as_str()),
        (never_stored.as_str(), "*"),
    ] {
        let (status, body) = fetch_if_none_match(&app, url, tag).await;
        assert_eq!(status, 404, "{url} with If-None-Match: {tag}");
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(code(&body), "NOT_FOUND");
    }
}

#[tokio::test]
async fn deleting_the_viewer_removes_the_objects_of_their_photos() {
    let app = TestApp::spawn().await;
    let (token, _) = app.register("ada").await;
    create_photo(
        &app,
        &token,
        "a.jpg",
        jpeg_with_orientation_and_gps(64, 48),
        &[],
    )
    .await;
    assert_eq!(app.stored_objects().len(), 3);
    let body = app
        .graphql_as(
            Some(&token),
            "mutation { deleteViewer { deletedId } }",
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    assert!(app.stored_objects().is_empty());
}

#[tokio::test]
async fn replacing_a_photos_file_serves_the_new_image_and_drops_the_old() {
    let app = TestApp::spawn().await;
    let (token, _) = app.register("ada").await;
    let (_, created) = create_photo(
        &app,
        &token,
        "a.jpg",
        jpeg_with_orientation_and_gps(64, 48),
        &[],
    )
    .await;
    let created = &created["data"]["createPhoto"];
    let replace = "mutation($id: ID!, $file: Upload!) { replacePhotoFile(id: $id, file: $file) { filename width height sha256 url } }";
    let (status, body) = multipart(
        &app,
        Some(&token),
        json!({ "query": replace, "variables": { "id": created["id"], "file": null } }),
        json!({ "0": ["variables.file"] }),
        vec![Part {
            name: "0",
            filename: "b.png",
            bytes: png_of(20, 10),
        }],
        true,
    )
    .await;
    assert_eq!(status, 200);
    let replaced = &body["data"]["replacePhotoFile"];
    assert_eq!(replaced["filename"], "b.png", "{body:#}");
    assert_eq!(
        (replaced["width"].as_i64(), replaced["height"].as_i64()),
        (Some(20), Some(10))
    );
    assert_ne!(replaced["sha256"], created["sha256"]);
    let (status, headers, _) = fetch(&app, replaced["url"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/png");
    let (status, _, _) = fetch(&app, created["original"].as_str().unwrap()).await;
    assert_eq!(status, 404, "the old image is gone");
    assert_eq!(app.stored_objects().len(), 3);
}

/// A `width`×`height` grey PNG.
fn png_of(width: u32, height: u32) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::new_luma8(width, height)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

#[tokio::test]
async fn media_gc_finds_a_planted_orphan_and_keeps_what_photos_use() {
    let app = TestApp::spawn().await;
    let (token, _) = app.register("ada").await;
    create_photo(
        &app,
        &token,
        "a.jpg",
        jpeg_with_orientation_and_gps(64, 48),
        &[],
    )
    .await;
    let orphan_hash = "ab".repeat(32);
    let orphan = app
        .media
        .path()
        .join(format!("ab/{orphan_hash}/original.jpg"));
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    std::fs::write(&orphan, b"left behind by a crash").unwrap();
    let storage = api::config::StorageConfig {
        url: format!("file://{}", app.media.path().display()),
    };
    let gc = |dry_run| api::cli::MediaAction::Gc {
        dry_run,
        min_age_secs: 0,
    };

    let mut out = Vec::new();
    api::cli::media(&app.db.conn, &storage, gc(true), &mut out)
        .await
        .unwrap();
    let report = String::from_utf8(out).unwrap();
    assert!(
        report.contains(&format!("would remove ab/{orphan_hash}/original.jpg")),
        "{report}"
    );
    assert!(report.contains("would remove 1 objects"), "{report}");
    assert!(orphan.exists(), "a dry run removes nothing");

    let mut out = Vec::new();
    api::cli::media(&app.db.conn, &storage, gc(false), &mut out)
        .await
        .unwrap();
    assert!(!orphan.exists());
    assert_eq!(app.stored_objects().len(), 3, "the photo's objects stay");
    // Young objects may belong to an upload in flight: left alone by default.
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    std::fs::write(&orphan, b"an upload in flight").unwrap();
    let young = api::cli::MediaAction::Gc {
        dry_run: false,
        min_age_secs: 3600,
    };
    api::cli::media(&app.db.conn, &storage, young, &mut Vec::new())
        .await
        .unwrap();
    assert!(orphan.exists());
}

#[tokio::test]
async fn uploads_work_the_same_on_an_s3_compatible_store() {
    let Some(s3) = folio_tests::s3::S3Server::start().await else {
        eprintln!(
            "not run: set {} to a moto_server program",
            folio_tests::s3::MOTO_SERVER
        );
        return;
    };
    let mut config = api::config::ServerConfig::default();
    config.media.storage.url = s3.storage_url("media");
    let app = TestApp::spawn_on(TestDb::new().await, config).await;
    let (token, _) = app.register("ada").await;

    let text = b"not an image".to_vec();
    let (_, refused) = create_photo(&app, &token, "notes.jpg", text, &[]).await;
    assert_eq!(code(&refused), "BAD_USER_INPUT");
    assert!(s3.keys().await.is_empty());

    let upload = jpeg_with_orientation_and_gps(400, 300);
    let (status, body) = create_photo(&app, &token, "beach.jpg", upload, &[]).await;
    assert_eq!(status, 200, "{body:#}");
    let photo = &body["data"]["createPhoto"];
    let sha = photo["sha256"].as_str().unwrap();
    let mut keys = s3.keys().await;
    keys.sort();
    let fan = &sha[..2];
    assert_eq!(
        keys,
        [
            format!("media/{fan}/{sha}/large.jpg"),
            format!("media/{fan}/{sha}/original.jpg"),
            format!("media/{fan}/{sha}/thumbnail.jpg"),
        ]
    );
    let (status, _, thumbnail) = fetch(&app, photo["thumbnail"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(gps_latitude(&thumbnail), None);
    let thumbnail = image::load_from_memory(&thumbnail).unwrap().to_rgb8();
    assert_eq!(thumbnail.dimensions(), (240, 320));
    assert!(thumbnail.get_pixel(120, 20)[0] > 150, "upright");
    let (_, _, original) = fetch(&app, photo["original"].as_str().unwrap()).await;
    assert_eq!(gps_latitude(&original), None);
    assert_eq!(photo["byteSize"].as_u64(), Some(original.len() as u64));

    let delete = "mutation($id: ID!) { deletePhoto(id: $id) { deletedId } }";
    let body = app
        .graphql_as(Some(&token), delete, json!({ "id": photo["id"] }))
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    assert!(s3.keys().await.is_empty());
}

#[tokio::test]
async fn a_forged_upload_reference_is_refused() {
    let app = TestApp::spawn().await;
    let (token, _) = app.register("ada").await;
    for forged in ["#__graphql_file__:7", "#__graphql_file__:x"] {
        let body = app
            .graphql_as(
                Some(&token),
                CREATE_PHOTO,
                json!({ "input": { "file": forged } }),
            )
            .await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
        let inline =
            format!("mutation {{ createPhoto(input: {{ file: \"{forged}\" }}) {{ id }} }}");
        let body = app.graphql_as(Some(&token), &inline, json!({})).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
    }
    assert_eq!(photo_rows(&app).await, 0);
}

#[tokio::test]
async fn more_files_than_allowed_is_413_and_leaves_nothing() {
    let app = TestApp::spawn().await;
    let (token, _) = app.register("ada").await;
    let names = ["0", "1", "2", "3", "4"];
    let map: serde_json::Map<String, Value> = names
        .iter()
        .map(|name| (name.to_string(), json!([format!("variables.files.{name}")])))
        .collect();
    let parts = names
        .iter()
        .map(|name| Part {
            name,
            filename: "x.jpg",
            bytes: jpeg_with_orientation_and_gps(8, 8),
        })
        .collect();
    let (status, body) = multipart(
        &app,
        Some(&token),
        json!({ "query": CREATE_PHOTO, "variables": {
            "input": { "file": null }, "files": [null, null, null, null, null],
        } }),
        Value::Object(map),
        parts,
        true,
    )
    .await;
    assert_eq!(status, 413, "{body:#}");
    assert_eq!(code(&body), "PAYLOAD_TOO_LARGE");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 4 files"),
        "{body:#}"
    );
    assert_nothing_kept(&app).await;
}

#[tokio::test]
async fn a_map_listing_too_many_paths_is_refused_before_any_file_is_read() {
    let app = TestApp::spawn().await;
    let (token, _) = app.register("ada").await;
    // One file for a thousand variables: each path once held a descriptor.
    let paths: Vec<String> = (0..1000)
        .map(|index| format!("variables.files.{index}"))
        .collect();
    let (status, body) = multipart(
        &app,
        Some(&token),
        json!({ "query": CREATE_PHOTO, "variables": {
            "input": { "file": null }, "files": vec![Value::Null; 1000],
        } }),
        json!({ "0": paths }),
        vec![Part {
            name: "0",
            filename: "x.jpg",
            bytes: jpeg_with_orientation_and_gps(8, 8),
        }],
        true,
    )
    .await;
    assert_eq!(status, 400, "{body:#}");
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "map", "{body:#}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 40 variable paths"),
        "{body:#}"
    );
    assert_nothing_kept(&app).await;

    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let (status, body) = create_photo(
        &app,
        &token,
        "next.jpg",
        jpeg_with_orientation_and_gps(8, 8),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body:#}");
    assert_eq!(
        body["data"]["createPhoto"]["filename"], "next.jpg",
        "{body:#}"
    );
}

#[tokio::test]
async fn one_file_mapped_to_two_variables_fills_both() {
    let app = TestApp::spawn().await;
    let (token, _) = app.register("ada").await;
    let bytes = jpeg_with_orientation_and_gps(8, 8);
    let (status, body) = multipart(
        &app,
        Some(&token),
        json!({
            "query": "mutation($a: CreatePhotoInput!, $b: CreatePhotoInput!) { \
                      a: createPhoto(input: $a) { byteSize sha256 } \
                      b: createPhoto(input: $b) { byteSize sha256 } }",
            "variables": { "a": { "file": null }, "b": { "file": null } },
        }),
        // The first path names no variable: the file goes to the next ones.
        json!({ "0": ["variables.nothing", "variables.a.file", "variables.b.file"] }),
        vec![Part {
            name: "0",
            filename: "twice.jpg",
            bytes,
        }],
        true,
    )
    .await;
    assert_eq!(status, 200, "{body:#}");
    assert!(body.get("errors").is_none(), "{body:#}");
    assert_eq!(body["data"]["a"], body["data"]["b"], "{body:#}");
    assert!(
        body["data"]["a"]["byteSize"].as_i64().unwrap() > 0,
        "{body:#}"
    );
    assert_eq!(photo_rows(&app).await, 2);
}

#[tokio::test]
async fn an_upload_without_a_valid_token_is_refused_before_it_is_read() {
    let app = TestApp::spawn().await;
    for token in [None, Some("not-a-token")] {
        let (status, body) = multipart(
            &app,
            token,
            json!({ "query": CREATE_PHOTO, "variables": { "input": { "file": null } } }),
            json!({ "0": ["variables.input.file"] }),
            vec![Part {
                name: "0",
                filename: "x.jpg",
                bytes: jpeg_with_orientation_and_gps(8, 8),
            }],
            true,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(code(&body), "UNAUTHENTICATED", "{body:#}");
    }
    assert_nothing_kept(&app).await;
}

/// POSTs `createPhoto` with `bytes` as a multipart body sent in four pieces
/// `pause` apart, as a slow link would; returns the status and the body.
async fn slow_upload(
    app: &TestApp,
    token: &str,
    bytes: Vec<u8>,
    pause: std::time::Duration,
) -> (u16, Value) {
    use futures_util::StreamExt;
    let boundary = "folio-slow-upload-boundary";
    let operations = json!({ "query": CREATE_PHOTO, "variables": { "input": {
        "file": null, "caption": "Slow", "tags": [],
    } } });
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{operations}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{\"0\": [\"variables.input.file\"]}}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"slow.png\"\r\n\
         Content-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let quarter = body.len().div_ceil(4);
    let pieces: Vec<Vec<u8>> = body.chunks(quarter).map(<[u8]>::to_vec).collect();
    let stream = futures_util::stream::iter(pieces.into_iter().enumerate()).then(
        move |(i, piece)| async move {
            // The pauses are the slow link under test, not a wait.
            if i > 0 {
                tokio::time::sleep(pause).await;
            }
            Ok::<_, std::io::Error>(piece)
        },
    );
    let response = app
        .client
        .post(app.url("/graphql"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header("apollo-require-preflight", "true")
        .bearer_auth(token)
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// The token secret of the servers that sign tokens for users made here.
const SECRET: &str = "a test secret of at least thirty-two bytes";

/// A token for a user `username` written straight to `app`'s database,
/// signed with [`SECRET`].
async fn token_of_a_new_user(app: &TestApp, username: &str) -> String {
    let user = folio_tests::fixtures::user(&app.db.conn, username)
        .await
        .unwrap();
    api::auth::Tokens::new(SECRET.as_bytes(), std::time::Duration::from_secs(3600))
        .issue(user.id)
        .unwrap()
}

#[tokio::test]
async fn an_upload_has_its_own_time_limit_not_the_request_timeout() {
    let mut config = api::config::ServerConfig {
        request_timeout_secs: 1,
        jwt_secret: Some(SECRET.into()),
        ..Default::default()
    };
    config.media.upload_timeout_secs = 30;
    let app = TestApp::spawn_on(TestDb::new().await, config).await;
    // Signed up without `register`, whose password hashing may itself take
    // longer than this server's one-second request timeout on a busy machine.
    let token = token_of_a_new_user(&app, "ada").await;
    // About 1.5 s in all: past the request timeout, well within the upload's.
    let pause = std::time::Duration::from_millis(500);
    let (status, body) = slow_upload(&app, &token, png_of(40, 30), pause).await;
    assert_eq!(status, 200, "{body:#}");
    assert_eq!(body["data"]["createPhoto"]["width"], 40, "{body:#}");

    // An upload slower than its own limit is stopped, and leaves nothing.
    let mut config = api::config::ServerConfig {
        jwt_secret: Some(SECRET.into()),
        ..Default::default()
    };
    config.media.upload_timeout_secs = 1;
    let app = TestApp::spawn_on(TestDb::new().await, config).await;
    let token = token_of_a_new_user(&app, "ada").await;
    let (status, body) = slow_upload(&app, &token, png_of(40, 30), pause).await;
    assert_eq!(status, 408, "{body:#}");
    assert_eq!(code(&body), "REQUEST_TIMEOUT", "{body:#}");
    assert_nothing_kept(&app).await;
}

#[tokio::test]
async fn a_gif_is_kept_as_the_png_of_its_first_frame() {
    let app = TestApp::spawn().await;
    let (token, _) = app.register("ada").await;
    let gif = folio_tests::images::palette_gif(2500);
    assert!(gif.len() < 16 * 1024, "{} bytes", gif.len());
    let (status, body) = create_photo(&app, &token, "palette.gif", gif, &[]).await;
    assert_eq!(status, 200, "{body:#}");
    let photo = &body["data"]["createPhoto"];
    assert_eq!(photo["contentType"], "image/png", "{body:#}");
    assert_eq!(
        (photo["width"].as_u64(), photo["height"].as_u64()),
        (Some(2500), Some(2500))
    );
    let url = photo["original"].as_str().unwrap();
    assert!(url.ends_with("/original.png"), "{url}");
    let (status, headers, bytes) = fetch(&app, url).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/png");
    let original = image::load_from_memory(&bytes).unwrap().to_rgba8();
    // The frame's colours where the frame was, transparency around it.
    assert_eq!(original.get_pixel(1, 0).0, [1, 254, 0, 255]);
    assert_eq!(original.get_pixel(100, 100).0[3], 0);
}

#[tokio::test]
async fn an_image_past_its_processing_budget_is_refused_and_leaves_nothing() {
    let mut config = api::config::ServerConfig::default();
    config.media.image_time_budget_ms = 0;
    let app = TestApp::spawn_on(TestDb::new().await, config).await;
    let (token, _) = app.register("ada").await;
    let (status, body) = create_photo(&app, &token, "grey.png", png_of(400, 300), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "input.file");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("more than 0 ms to process"), "{message}");
    assert_nothing_kept(&app).await;
}

/// A `side` × `side` RGB PNG at 16 bits a channel: a gradient, so that it
/// compresses to a few kilobytes.
fn png16(side: u32) -> Vec<u8> {
    let picture =
        image::ImageBuffer::from_fn(side, side, |x, _| image::Rgb([(x * 16) as u16, 0, 65_535]));
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb16(picture)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

#[tokio::test]
async fn memory_is_counted_in_bytes_from_the_header_at_8_bits_a_channel() {
    let mut config = api::config::ServerConfig::default();
    config.media.max_image_memory_mib = 1;
    let app = TestApp::spawn_on(TestDb::new().await, config).await;
    let (token, _) = app.register("ada").await;
    // 600 × 600 × 3 channels × 2 copies: 2.1 MB, over 1 MiB.
    let (_, body) = create_photo(&app, &token, "deep.png", png16(600), &[]).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "input.file");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains(
            "600×600 pixels with 3 channels, which takes 3 MiB to process; at most 1 MiB"
        ),
        "{message}"
    );
    assert_nothing_kept(&app).await;

    // 400 × 400: 960,000 bytes at 8 bits, within the limit (at 16 bits it
    // would not be), and stored as an 8-bit PNG.
    let (status, body) = create_photo(&app, &token, "deep.png", png16(400), &[]).await;
    assert_eq!(status, 200, "{body:#}");
    let url = body["data"]["createPhoto"]["original"].as_str().unwrap();
    let (_, _, bytes) = fetch(&app, url).await;
    let original = image::load_from_memory(&bytes).unwrap();
    assert_eq!(original.color(), image::ColorType::Rgb8);
    assert_eq!(original.to_rgb8().get_pixel(100, 7).0, [6, 0, 255]);
}

/// Asserts that every size of the photo `created` (a `createPhoto` answer)
/// is served.
async fn assert_served(app: &TestApp, created: &Value, what: &str) {
    for size in ["original", "large", "thumbnail"] {
        let url = created[size]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: {created:#}"));
        let (status, _, _) = fetch(app, url).await;
        assert_eq!(status, 200, "{what}: its {size} is gone");
    }
}

/// Rounds of each race below; the start of the second side moves by a
/// millisecond a round, across the time an upload takes.
const RACE_ROUNDS: u32 = 24;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_racing_the_delete_of_a_photo_with_the_same_bytes_keeps_its_objects() {
    let app = TestApp::spawn().await;
    let (token, _) = app.register("ada").await;
    let delete = "mutation($id: ID!) { deletePhoto(id: $id) { deletedId } }";
    for round in 0..RACE_ROUNDS {
        let image = png_of(300 + round, 200);
        let (_, first) = create_photo(&app, &token, "first.png", image.clone(), &[]).await;
        let first_id = first["data"]["createPhoto"]["id"].clone();
        let (deleted, (status, second)) = tokio::join!(
            async {
                tokio::time::sleep(std::time::Duration::from_millis(u64::from(round))).await;
                app.graphql_as(Some(&token), delete, json!({ "id": first_id }))
                    .await
            },
            create_photo(&app, &token, "second.png", image, &[]),
        );
        assert!(deleted.get("errors").is_none(), "{deleted:#}");
        assert_eq!(status, 200, "{second:#}");
        let what = format!("round {round}: the photo uploaded while its twin was deleted");
        assert_served(&app, &second["data"]["createPhoto"], &what).await;
    }
    assert_eq!(
        app.stored_objects().len(),
        3 * RACE_ROUNDS as usize,
        "each second photo's objects, and nothing of the first ones"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_gc_racing_uploads_keeps_their_objects() {
    let app = TestApp::spawn().await;
    let (token, _) = app.register("ada").await;
    let storage = api::config::StorageConfig {
        url: format!("file://{}", app.media.path().display()),
    };
    for round in 0..RACE_ROUNDS {
        let ((status, created), ()) = tokio::join!(
            create_photo(&app, &token, "new.png", png_of(300 + round, 200), &[]),
            async {
                tokio::time::sleep(std::time::Duration::from_millis(u64::from(round))).await;
                // With no minimum age: every object of an upload in flight is a candidate.
                for _ in 0..3 {
                    let gc = api::cli::MediaAction::Gc {
                        dry_run: false,
                        min_age_secs: 0,
                    };
                    api::cli::media(&app.db.conn, &storage, gc, &mut Vec::new())
                        .await
                        .unwrap();
                }
            },
        );
        assert_eq!(status, 200, "{created:#}");
        let what = format!("round {round}: the photo uploaded while media gc ran");
        assert_served(&app, &created["data"]["createPhoto"], &what).await;
    }
    assert_eq!(app.stored_objects().len(), 3 * RACE_ROUNDS as usize);
}
