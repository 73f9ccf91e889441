// GraphiQL in a real (headless) Chromium against a running Folio server.
//
//   node browser.mjs http://127.0.0.1:PORT
//   FOLIO_URL=http://127.0.0.1:PORT node browser.mjs
//
// Opens /graphql as a browser does (GraphiQL), records every request the page
// makes and fails if one goes anywhere but 127.0.0.1, puts a nested
// photos → tags query into the editor, runs it with the run button, waits for
// a tag name (known from asking the API directly) to appear in the result
// pane, and saves a screenshot to target/graphiql.png under the repository
// root. Installs nothing: it drives the system's /usr/bin/chromium through
// playwright-core.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

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

  const page = context.pages()[0] ?? (await context.newPage());
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
  const editor = page.locator('.graphiql-query-editor .CodeMirror');
  await editor.waitFor({ state: 'visible' });
  await editor.click();
  await page.evaluate((query) => {
    const element = document.querySelector('.graphiql-query-editor .CodeMirror');
    element.CodeMirror.setValue(query);
  }, QUERY);
  const typed = await page.evaluate(
    () => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue(),
  );
  if (typed !== QUERY) throw new Error(`the query editor holds ${JSON.stringify(typed)}, not the query`);

  const posts = page.waitForResponse(
    (r) => r.url() === graphqlUrl && r.request().method() === 'POST' && (r.request().postData() ?? '').includes('PhotosWithTags'),
  );
  await page.locator('.graphiql-execute-button').click();
  const graphqlResponse = await posts;
  console.log(`GraphiQL sent the query: HTTP ${graphqlResponse.status()} ${graphqlResponse.headers()['content-type']}`);

  // The result pane is CodeMirror too and renders only its visible lines, so
  // read its whole value rather than the DOM text.
  await page.waitForFunction(
    (tag) => {
      const element = document.querySelector('.graphiql-response .CodeMirror');
      return Boolean(element?.CodeMirror?.getValue().includes(`"${tag}"`));
    },
    expectedTag,
    { timeout: STEP_TIMEOUT_MS },
  );
  const result = await page.evaluate(() => document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue());
  const parsed = JSON.parse(result);
  if (parsed.errors) throw new Error(`GraphiQL shows errors: ${JSON.stringify(parsed.errors)}`);
  console.log(`GraphiQL shows ${parsed.data.photos.nodes.length} photos of ${parsed.data.photos.totalCount}, with tag "${expectedTag}"`);

  mkdirSync(dirname(screenshotPath), { recursive: true });
  await page.screenshot({ path: screenshotPath });
  console.log(`screenshot: ${screenshotPath}`);
} catch (err) {
  problems.push(`failed: ${err?.stack ?? err}`);
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
