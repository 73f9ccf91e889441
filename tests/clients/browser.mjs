// GraphiQL in a real (headless) Chromium against a running Folio server.
//
//   node browser.mjs http://127.0.0.1:PORT
//   FOLIO_URL=http://127.0.0.1:PORT node browser.mjs
//
// Opens /graphql as a browser does (GraphiQL), records every request and
// WebSocket the page opens and fails if one goes anywhere but 127.0.0.1, puts
// a nested photos → tags query into the editor, runs it with the run button,
// and waits for a tag name (known from asking the API directly) to appear in
// the result pane. Then it runs a postCreated subscription the same way, with
// a user's token in GraphiQL's Headers tab, writes posts as that user over
// HTTP, and waits for the result pane to show the last one's title and the
// author's e-mail (which only a signed-in author sees: the token reached the
// socket). Last, it uploads a 960×540 PNG as that user from Node (a
// multipart request, multipart.mjs) and shows the photo's thumbnail in an
// <img> added to the GraphiQL page: the image must load from Folio's /media/
// (the page's CSP allows images from its own origin only) at 320×180, with no
// CSP violation. It saves a screenshot, thumbnail included, to
// target/graphiql.png under the repository root. Installs nothing: it drives
// the system's /usr/bin/chromium through playwright-core.

import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { pngImage } from './images.mjs';
import { postMultipart } from './multipart.mjs';

const ALLOWED_HOST = '127.0.0.1';
const STEP_TIMEOUT_MS = 30_000;
const here = dirname(fileURLToPath(import.meta.url));
const screenshotPath = resolve(here, '../../target/graphiql.png');
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';

const base = process.argv[2] ?? process.env.FOLIO_URL;
if (!base) {
  console.error('usage: node browser.mjs http://127.0.0.1:PORT (or set FOLIO_URL)');
  process.exit(2);
}
const origin = new URL(base).origin;
if (new URL(origin).hostname !== ALLOWED_HOST) {
  console.error(`refusing to test ${origin}: only ${ALLOWED_HOST} is allowed`);
  process.exit(2);
}
const graphqlUrl = `${origin}/graphql`;

// GraphiQL's editors and result pane are CodeMirror 5 instances.
const QUERY_EDITOR = '.graphiql-query-editor .CodeMirror';
const RESULT_PANE = '.graphiql-response .CodeMirror';
// The variables and headers editors share a place; the hidden one has `.hidden`.
const SHOWN_TOOL_EDITOR = '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror';

const QUERY = `# browser.mjs: photos with their tags and owner
query PhotosWithTags {
  photos(first: 5) {
    totalCount
    nodes {
      filename
      owner {
        username
      }
      tags {
        name
      }
    }
  }
}
`;

const SUBSCRIPTION = `# browser.mjs: new posts, live
subscription NewPosts {
  postCreated {
    post {
      title
      author {
        email
      }
    }
  }
}
`;
/** The image uploaded for the <img> check, and the thumbnail Folio makes of it (320 on the longest side). */
const UPLOAD = { filename: 'browser.png', width: 960, height: 540 };
const THUMBNAIL = { width: 320, height: 180 };
const UPLOAD_PHOTO = readFileSync(join(here, 'operations/UploadPhoto.graphql'), 'utf8');

/** How long the subscription may take to show a post, and how often one is written meanwhile. */
const SUBSCRIPTION_DEADLINE_MS = 15_000;
const POST_INTERVAL_MS = 250;

/** Runs one operation over HTTP as `token`'s user; its data. */
async function graphql(query, variables, token) {
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(graphqlUrl, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = await response.json();
  if (body.errors?.length) throw new Error(`the API rejected an operation: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** Signs a fresh user up over HTTP: its token and e-mail address. */
async function register() {
  const username = `browser_${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const email = `${username}@example.com`;
  const data = await graphql(
    'mutation ($input: RegisterInput!) { register(input: $input) { token } }',
    { input: { username, email, password: 'browser-check-password' } },
  );
  return { token: data.register.token, email, stamp: username.slice('browser_'.length) };
}

/** Writes a post as `token`'s user over HTTP. */
async function createPost(token, title) {
  await graphql(
    'mutation ($input: CreatePostInput!) { createPost(input: $input) { id } }',
    { input: { title, body: 'Written by browser.mjs.' } },
    token,
  );
}

/** Uploads a photo as `token`'s user with a multipart request; the thumbnail's address. */
async function uploadPhoto(token) {
  const file = new File([pngImage(UPLOAD.width, UPLOAD.height)], UPLOAD.filename, { type: 'image/png' });
  const variables = { file, caption: 'Shown by browser.mjs', tags: [] };
  const { status, body } = await postMultipart(graphqlUrl, { query: UPLOAD_PHOTO, variables }, { token });
  if (status !== 200 || body.errors?.length) throw new Error(`the upload failed: HTTP ${status} ${JSON.stringify(body)}`);
  return body.data.createPhoto.thumbnail;
}

/** The text of the CodeMirror editor that `selector` finds. */
function editorValue(page, selector) {
  return page.evaluate((s) => document.querySelector(s).CodeMirror.getValue(), selector);
}

/** Puts `text` into the CodeMirror editor that `selector` finds, as typing would end. */
async function setEditorValue(page, selector, text) {
  const editor = page.locator(selector);
  await editor.waitFor({ state: 'visible' });
  await editor.click();
  await page.evaluate(([s, t]) => document.querySelector(s).CodeMirror.setValue(t), [selector, text]);
  const typed = await editorValue(page, selector);
  if (typed !== text) throw new Error(`${selector} holds ${JSON.stringify(typed)}, not ${JSON.stringify(text)}`);
}

/**
 * Waits until GraphiQL has parsed the query editor's text (it does so shortly
 * after each change) and picked `name` as the operation to run. The run
 * button sends the operation picked last, over the socket only if that one is
 * a subscription: pressed too early, it sends the previous operation's name.
 */
async function waitForOperation(page, name) {
  await page.waitForFunction(
    ([s, n]) => document.querySelector(s)?.CodeMirror?.operationName === n,
    [QUERY_EDITOR, name],
  );
}

/** The tag names the API itself returns for QUERY: what the result pane must show. */
async function expectedTagNames() {
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query: QUERY }),
  });
  const body = await response.json();
  if (body.errors?.length) throw new Error(`the API rejected the query: ${JSON.stringify(body.errors)}`);
  const names = body.data.photos.nodes.flatMap((photo) => photo.tags.map((tag) => tag.name));
  if (names.length === 0) throw new Error('the demo data has no tagged photos: nothing to look for');
  return [...new Set(names)];
}

/** Whether a request stays on this machine: 127.0.0.1, or a URL that is no network request at all. */
function isLocal(url) {
  const parsed = new URL(url);
  if (['data:', 'blob:', 'about:'].includes(parsed.protocol)) return true;
  return parsed.hostname === ALLOWED_HOST;
}

const tagNames = await expectedTagNames();
const expectedTag = tagNames[0];
console.log(`API check: the query returns tags ${tagNames.join(', ')}; waiting for "${expectedTag}" in GraphiQL`);

const userDataDir = mkdtempSync(join(tmpdir(), 'folio-chromium-'));
const requests = [];
const problems = [];
const notes = [];
let context;
let page;
try {
  // launchPersistentContext is how Playwright passes --user-data-dir (it
  // refuses that flag in `args`); the directory is fresh and removed below.
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1400, height: 900 },
    timeout: STEP_TIMEOUT_MS,
  });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);

  // Every request of every page, worker and popup of this browser context.
  context.on('request', (request) => {
    requests.push(`${request.method()} ${request.url()}`);
    if (!isLocal(request.url())) problems.push(`request to another host: ${request.method()} ${request.url()}`);
  });
  context.on('requestfailed', (request) => {
    problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`);
  });

  page = context.pages()[0] ?? (await context.newPage());
  // WebSockets are not requests to Playwright: the page's are listed apart.
  page.on('websocket', (socket) => {
    requests.push(`WebSocket ${socket.url()}`);
    if (socket.url() !== graphqlUrl.replace(/^http/, 'ws')) problems.push(`WebSocket to ${socket.url()}, not the endpoint`);
    socket.on('socketerror', (error) => problems.push(`WebSocket error: ${error}`));
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const where = message.location().url;
    // The browser asks for /favicon.ico on its own; Folio has none (a 404).
    // That is noted, not failed. Anything else (a Content-Security-Policy
    // violation, a script error) fails the test.
    if (new URL(where || 'about:blank').pathname === '/favicon.ico') {
      notes.push(`console: ${message.text()} (${where})`);
      return;
    }
    problems.push(`console error: ${message.text()} (${where})`);
  });

  const response = await page.goto(graphqlUrl, { waitUntil: 'load' });
  const type = response?.headers()['content-type'] ?? '';
  if (!response?.ok() || !type.includes('text/html')) {
    throw new Error(`GET ${graphqlUrl} as a browser: ${response?.status()} ${type}, not the GraphiQL page`);
  }

  // GraphiQL 3's query editor is CodeMirror 5; its instance hangs off the
  // .CodeMirror element. Setting the value through it is what a user's typing
  // ends in, without auto-closed brackets getting in the way.
  await setEditorValue(page, QUERY_EDITOR, QUERY);
  await waitForOperation(page, 'PhotosWithTags');

  const posts = page.waitForResponse(
    (r) => r.url() === graphqlUrl && r.request().method() === 'POST' && (r.request().postData() ?? '').includes('PhotosWithTags'),
  );
  await page.locator('.graphiql-execute-button').click();
  const graphqlResponse = await posts;
  console.log(`GraphiQL sent the query: HTTP ${graphqlResponse.status()} ${graphqlResponse.headers()['content-type']}`);

  // The result pane is CodeMirror too and renders only its visible lines, so
  // read its whole value rather than the DOM text.
  await page.waitForFunction(
    ([pane, tag]) => Boolean(document.querySelector(pane)?.CodeMirror?.getValue().includes(`"${tag}"`)),
    [RESULT_PANE, expectedTag],
    { timeout: STEP_TIMEOUT_MS },
  );
  const parsed = JSON.parse(await editorValue(page, RESULT_PANE));
  if (parsed.errors) throw new Error(`GraphiQL shows errors: ${JSON.stringify(parsed.errors)}`);
  console.log(`GraphiQL shows ${parsed.data.photos.nodes.length} photos of ${parsed.data.photos.totalCount}, with tag "${expectedTag}"`);

  // A subscription, signed in through the Headers tab.
  const { token, email, stamp } = await register();
  await page.locator('.graphiql-editor-tools button[data-name="headers"]').click();
  await setEditorValue(page, SHOWN_TOOL_EDITOR, JSON.stringify({ authorization: `Bearer ${token}` }, null, 2));
  await setEditorValue(page, QUERY_EDITOR, SUBSCRIPTION);
  await waitForOperation(page, 'NewPosts');
  const opened = page.waitForEvent('websocket', { timeout: 10_000 });
  await page.locator('.graphiql-execute-button').click();
  const socket = await opened;
  console.log(`GraphiQL opened a WebSocket: ${socket.url()}`);

  // The protocol has no "now listening" message: write posts until one shows
  // in the result pane (a bounded loop, not a sleep), then one more, which
  // must show next.
  const deadline = Date.now() + SUBSCRIPTION_DEADLINE_MS;
  const shows = (text) =>
    page.evaluate(([pane, t]) => Boolean(document.querySelector(pane)?.CodeMirror?.getValue().includes(t)), [RESULT_PANE, text]);
  let written = 0;
  while (!(await shows(`"Listening ${stamp} #`))) {
    if (Date.now() >= deadline) throw new Error(`no post showed in GraphiQL within ${SUBSCRIPTION_DEADLINE_MS} ms`);
    written += 1;
    await createPost(token, `Listening ${stamp} #${written}`);
    await page.waitForTimeout(POST_INTERVAL_MS);
  }
  const title = `Seen live in GraphiQL ${stamp}`;
  await createPost(token, title);
  await page.waitForFunction(
    ([pane, t]) => Boolean(document.querySelector(pane)?.CodeMirror?.getValue().includes(`"${t}"`)),
    [RESULT_PANE, title],
    { timeout: Math.max(deadline - Date.now(), 5_000) },
  );
  const event = JSON.parse(await editorValue(page, RESULT_PANE));
  if (event.errors) throw new Error(`GraphiQL shows errors: ${JSON.stringify(event.errors)}`);
  const shown = event.data.postCreated.post;
  if (shown.title !== title) throw new Error(`GraphiQL shows "${shown.title}", not "${title}"`);
  if (shown.author.email !== email) {
    throw new Error(`GraphiQL shows the author's e-mail as ${JSON.stringify(shown.author.email)}, not ${email}: the token did not reach the socket`);
  }
  console.log(`GraphiQL shows the post "${title}" live (after ${written} earlier posts), with the author's e-mail`);

  // An uploaded photo's thumbnail in an <img> of this page, as a photo app
  // shows one: the browser fetches it from Folio under the page's CSP
  // (img-src 'self'), and the request is checked like every other.
  const thumbnailUrl = new URL(await uploadPhoto(token), origin).href;
  console.log(`uploaded ${UPLOAD.filename} (${UPLOAD.width}×${UPLOAD.height}) from Node; its thumbnail is ${thumbnailUrl}`);
  const fetched = page.waitForResponse((r) => r.url() === thumbnailUrl);
  const shownImage = await page.evaluate(async (src) => {
    const violations = [];
    const onViolation = (event) => violations.push(`${event.violatedDirective} blocked ${event.blockedURI}`);
    document.addEventListener('securitypolicyviolation', onViolation);
    const img = document.createElement('img');
    img.alt = 'A thumbnail uploaded by browser.mjs';
    // Set through the CSSOM, which the page's style-src does not govern.
    Object.assign(img.style, {
      position: 'fixed',
      right: '24px',
      bottom: '24px',
      zIndex: '10000',
      border: '4px solid white',
      boxShadow: '0 2px 12px rgba(0, 0, 0, 0.4)',
    });
    const loaded = new Promise((resolve) => {
      img.onload = () => resolve(true);
      img.onerror = () => resolve(false);
    });
    img.src = src;
    document.body.append(img);
    const ok = await loaded;
    document.removeEventListener('securitypolicyviolation', onViolation);
    return { ok, width: img.naturalWidth, height: img.naturalHeight, violations };
  }, thumbnailUrl);
  const mediaResponse = await fetched;
  const mediaType = mediaResponse.headers()['content-type'];
  if (mediaResponse.status() !== 200 || mediaType !== 'image/png') {
    throw new Error(`the browser got ${mediaResponse.status()} ${mediaType} for ${thumbnailUrl}, not 200 image/png`);
  }
  for (const violation of shownImage.violations) problems.push(`CSP violation: ${violation}`);
  if (!shownImage.ok) throw new Error(`the <img> of ${thumbnailUrl} did not load`);
  if (shownImage.width !== THUMBNAIL.width || shownImage.height !== THUMBNAIL.height) {
    throw new Error(`the <img> shows ${shownImage.width}×${shownImage.height}, not the ${THUMBNAIL.width}×${THUMBNAIL.height} thumbnail`);
  }
  console.log(`the page shows the thumbnail in an <img>: ${shownImage.width}×${shownImage.height}, image/png from Folio`);

  mkdirSync(dirname(screenshotPath), { recursive: true });
  await page.screenshot({ path: screenshotPath });
  console.log(`screenshot: ${screenshotPath}`);
} catch (err) {
  problems.push(`failed: ${err?.stack ?? err}`);
  // What the page showed when it failed, for whoever reads the log.
  if (page) {
    mkdirSync(dirname(screenshotPath), { recursive: true });
    await page.screenshot({ path: screenshotPath }).then(
      () => console.log(`screenshot of the failure: ${screenshotPath}`),
      () => {},
    );
  }
} finally {
  await context?.close().catch(() => {});
  rmSync(userDataDir, { recursive: true, force: true });
}

console.log(`${requests.length} requests, all listed:`);
for (const request of requests) console.log(`  ${request}`);
for (const note of notes) console.log(`note: ${note}`);
if (problems.length > 0) {
  for (const problem of problems) console.error(`PROBLEM: ${problem}`);
  process.exit(1);
}
console.log('browser test passed');
