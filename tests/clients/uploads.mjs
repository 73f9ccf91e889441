// Uploads as a multipart client library sends them, against a running Folio
// server.
//
//   node uploads.mjs http://127.0.0.1:PORT/graphql
//
// Registers a user over HTTP, then sends operations/UploadPhoto.graphql with
// an 800×600 PNG written here, and operations/ReplacePhotoFile.graphql with
// the 480×640 JPEG in fixtures/, each as a GraphQL multipart request built
// by `extract-files` (multipart.mjs, apollo-upload-client's way) with the
// token as a Bearer token and `Apollo-Require-Preflight`. Fetches the
// original and the thumbnail each answer names from Folio's /media/ and
// checks the status, the content type, the caching headers and the pixel
// size read from the bytes: the original as sent, the thumbnail scaled to
// 320 pixels on its longest side. Then sends the same upload without the
// preflight header and without the token (in one piece, see below): each
// must be refused with its code, and neither may add a photo.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { imageSize, pngImage } from './images.mjs';
import { postMultipart } from './multipart.mjs';

/** Folio's default `--image-thumbnail-size`: a thumbnail's longest side. */
const THUMBNAIL_SIDE = 320;
const here = dirname(fileURLToPath(import.meta.url));
const UPLOAD_PHOTO = readFileSync(join(here, 'operations/UploadPhoto.graphql'), 'utf8');
const REPLACE_PHOTO_FILE = readFileSync(join(here, 'operations/ReplacePhotoFile.graphql'), 'utf8');

const endpoint = process.argv[2] ?? process.env.FOLIO_GRAPHQL_URL;
if (!endpoint) {
  console.error('usage: node uploads.mjs http://127.0.0.1:PORT/graphql');
  process.exit(2);
}

/** Runs one operation as JSON; its data, or an error naming what went wrong. */
async function post(query, variables, token) {
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = await response.json();
  if (body.errors?.length) throw new Error(`HTTP ${response.status}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** Runs one upload that must succeed; its data. */
async function upload(query, variables, token) {
  const { status, body } = await postMultipart(endpoint, { query, variables }, { token });
  if (status !== 200 || body.errors?.length) throw new Error(`upload: HTTP ${status}: ${JSON.stringify(body)}`);
  return body.data;
}

/** The size a thumbnail of a `width`×`height` image has: never enlarged, the aspect kept. */
function thumbnailSize(width, height) {
  const scale = Math.min(1, THUMBNAIL_SIDE / Math.max(width, height));
  return { width: Math.round(width * scale), height: Math.round(height * scale) };
}

/** GETs one of the photo's images from Folio and checks what a browser would rely on. */
async function checkServed(what, path, type, expected) {
  const url = new URL(path, endpoint);
  if (url.origin !== new URL(endpoint).origin || !url.pathname.startsWith('/media/')) {
    throw new Error(`${what}: ${path} is not served by Folio under /media/`);
  }
  const response = await fetch(url);
  const bytes = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200) throw new Error(`${what}: GET ${url.pathname} is ${response.status}`);
  const contentType = response.headers.get('content-type');
  if (contentType !== type) throw new Error(`${what}: content type ${contentType}, not ${type}`);
  if (!response.headers.get('etag')) throw new Error(`${what}: no ETag`);
  if (!(response.headers.get('cache-control') ?? '').includes('immutable')) {
    throw new Error(`${what}: Cache-Control is ${response.headers.get('cache-control')}, not immutable`);
  }
  const size = imageSize(bytes);
  if (`image/${size.format}` !== type) throw new Error(`${what}: the bytes are ${size.format}, served as ${type}`);
  if (size.width !== expected.width || size.height !== expected.height) {
    throw new Error(`${what}: ${size.width}×${size.height}, not ${expected.width}×${expected.height}`);
  }
  console.log(`  ${what}: 200 ${type}, ${size.width}×${size.height}, ${bytes.length} bytes (${url.pathname})`);
  return size;
}

/** Checks an uploaded photo's answer and the images it names against the file sent. */
async function checkPhoto(photo, sent) {
  const { filename, type, width, height } = sent;
  if (photo.filename !== filename) throw new Error(`filename ${photo.filename}, not ${filename}`);
  if (photo.contentType !== type) throw new Error(`contentType ${photo.contentType}, not ${type}`);
  if (photo.width !== width || photo.height !== height) {
    throw new Error(`the answer says ${photo.width}×${photo.height}, not ${width}×${height}`);
  }
  await checkServed('original', photo.original, type, { width, height });
  const thumbnail = await checkServed('thumbnail', photo.thumbnail, type, thumbnailSize(width, height));
  if (Math.max(thumbnail.width, thumbnail.height) > THUMBNAIL_SIDE) {
    throw new Error(`the thumbnail's longest side is over ${THUMBNAIL_SIDE}`);
  }
}

let failed = false;
try {
  const stamp = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const username = `up_${stamp}`.slice(0, 32);
  const { register } = await post(
    'mutation ($input: RegisterInput!) { register(input: $input) { token } }',
    { input: { username, email: `${username}@example.com`, password: 'uploads-check-password' } },
  );
  const token = register.token;
  console.log(`registered ${username} over HTTP`);
  const photoCount = async () =>
    (await post('query ($u: String!) { user(username: $u) { photoCount } }', { u: username })).user.photoCount;

  const png = { filename: 'gradient.png', type: 'image/png', width: 800, height: 600 };
  const pngFile = new File([pngImage(png.width, png.height)], png.filename, { type: png.type });
  const { createPhoto } = await upload(UPLOAD_PHOTO, { file: pngFile, caption: 'Uploaded by uploads.mjs', tags: ['upload'] }, token);
  console.log(`UploadPhoto: ${png.filename} (${pngFile.size} bytes) is photo ${createPhoto.id}`);
  await checkPhoto(createPhoto, png);

  const jpeg = { filename: 'portrait.jpg', type: 'image/jpeg', width: 480, height: 640 };
  const jpegFile = new File([readFileSync(join(here, 'fixtures', jpeg.filename))], jpeg.filename, { type: jpeg.type });
  const { replacePhotoFile } = await upload(REPLACE_PHOTO_FILE, { id: createPhoto.id, file: jpegFile }, token);
  if (replacePhotoFile.id !== createPhoto.id) throw new Error(`replacePhotoFile answered photo ${replacePhotoFile.id}`);
  console.log(`ReplacePhotoFile: photo ${replacePhotoFile.id} now shows ${jpeg.filename} (${jpegFile.size} bytes)`);
  await checkPhoto(replacePhotoFile, jpeg);

  // Refusals: the same request as the first upload, less one header each.
  // Streamed part by part, as Node's fetch sends a FormData: Folio reads and
  // throws away a refused body before it answers, so the client always
  // reads the coded refusal rather than meeting a closed connection
  // half-way (each is tried several times: the race was one in two).
  const before = await photoCount();
  const once = [
    { what: 'without Apollo-Require-Preflight', options: { token, preflight: false }, code: 'PREFLIGHT_REQUIRED', status: 400 },
    { what: 'without a token', options: {}, code: 'UNAUTHENTICATED' },
  ];
  const refusals = [...once, ...once, ...once, ...once, ...once];
  for (const { what, options, code, status } of refusals) {
    const operation = { query: UPLOAD_PHOTO, variables: { file: pngFile, tags: [] } };
    const answer = await postMultipart(endpoint, operation, options);
    const got = answer.body.errors?.[0]?.extensions?.code;
    if (got !== code) throw new Error(`an upload ${what}: HTTP ${answer.status} ${JSON.stringify(answer.body)}, not ${code}`);
    if (status && answer.status !== status) throw new Error(`an upload ${what}: HTTP ${answer.status}, not ${status}`);
    if (answer.body.data != null) throw new Error(`an upload ${what} has data: ${JSON.stringify(answer.body.data)}`);
    console.log(`an upload ${what}: HTTP ${answer.status} ${code}`);
  }
  const after = await photoCount();
  if (after !== before) throw new Error(`the refused uploads changed the photo count from ${before} to ${after}`);
} catch (err) {
  console.error(`PROBLEM: ${err?.stack ?? err}`);
  failed = true;
}
if (failed) process.exit(1);
console.log('uploads test passed');
