// GraphQL-over-HTTP conformance of a running Folio server, checked with
// graphql-http's server audits.
//
//   node audit.mjs http://127.0.0.1:PORT/graphql
//   FOLIO_URL=http://127.0.0.1:PORT/graphql node audit.mjs
//
// Prints every audit's id, result and name (and, for a failure, the reason and
// what the server answered). Exits 1 if any MUST fails (or an audit cannot
// run); failing SHOULDs and MAYs are reported but do not fail the run.

import { serverAudits } from 'graphql-http';

const url = process.argv[2] ?? process.env.FOLIO_URL;
if (!url) {
  console.error('usage: node audit.mjs http://127.0.0.1:PORT/graphql (or set FOLIO_URL)');
  process.exit(2);
}

/** The first line of what the server answered to a failing audit. */
async function describeResponse(response) {
  if (!response) return '';
  let body = '';
  try {
    body = (await response.clone().text()).replace(/\s+/g, ' ').trim();
  } catch {
    // The audit already read the body; the status and headers still tell a lot.
  }
  if (body.length > 300) body = `${body.slice(0, 300)}…`;
  const type = response.headers.get('content-type') ?? '(no content-type)';
  return `${response.status} ${type}${body ? ` ${body}` : ''}`;
}

const counts = {}; // level -> { ok, failed }
const failures = [];

for (const audit of serverAudits({ url })) {
  const level = audit.name.split(' ')[0]; // MUST | SHOULD | MAY
  counts[level] ??= { ok: 0, failed: 0 };
  let result;
  try {
    result = await audit.fn();
  } catch (err) {
    // graphql-http throws only when an audit cannot run at all.
    result = { id: audit.id, name: audit.name, status: 'error', reason: `audit threw: ${err?.message ?? err}` };
  }
  if (result.status === 'ok') {
    counts[level].ok++;
    console.log(`${audit.id}  ok      ${audit.name}`);
    continue;
  }
  counts[level].failed++;
  const answered = await describeResponse(result.response);
  failures.push({ level, id: audit.id, name: audit.name, reason: result.reason, answered });
  console.log(`${audit.id}  FAILED  ${audit.name}`);
  console.log(`        reason:   ${result.reason}`);
  if (answered) console.log(`        answered: ${answered}`);
}

console.log('');
for (const level of ['MUST', 'SHOULD', 'MAY']) {
  const c = counts[level] ?? { ok: 0, failed: 0 };
  console.log(`${level.padEnd(6)} ${c.ok}/${c.ok + c.failed} pass${c.failed ? `, ${c.failed} failing` : ''}`);
}
for (const f of failures) console.log(`failing ${f.level} ${f.id}: ${f.name} — ${f.reason}`);

const mustFailures = failures.filter((f) => f.level === 'MUST');
if (mustFailures.length > 0) {
  console.error(`\n${mustFailures.length} MUST audit(s) failed`);
  process.exit(1);
}
