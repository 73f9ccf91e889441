// The committed schema.graphql against what a running Folio server says of
// itself, compared by graphql-js: the introspection result (every option
// graphql-js can ask for: descriptions, specifiedByURL, the schema's
// description, repeatable directives, deprecated arguments, oneOf) is built
// into a client schema, schema.graphql into another, and both are printed
// sorted; the two printouts must be equal.
//
//   node schema.mjs http://127.0.0.1:PORT/graphql
//   FOLIO_URL=http://127.0.0.1:PORT/graphql node schema.mjs
//
// Exits 1 and prints the first differing lines when they differ.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  lexicographicSortSchema,
  printSchema,
} from 'graphql';

const url = process.argv[2] ?? process.env.FOLIO_URL;
if (!url) {
  console.error('usage: node schema.mjs http://127.0.0.1:PORT/graphql (or set FOLIO_URL)');
  process.exit(2);
}

const query = getIntrospectionQuery({
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
  oneOf: true,
});
const response = await fetch(url, {
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
  body: JSON.stringify({ query }),
});
const body = await response.json();
if (!response.ok || body.errors) {
  console.error(`introspection failed: ${response.status} ${JSON.stringify(body)}`);
  process.exit(1);
}

const print = (schema) => printSchema(lexicographicSortSchema(schema));
const live = print(buildClientSchema(body.data));
const path = fileURLToPath(new URL('../../schema.graphql', import.meta.url));
const committed = print(buildSchema(readFileSync(path, 'utf8')));

if (live === committed) {
  console.log(`schema.graphql says what ${url} says (${live.split('\n').length} printed lines)`);
  process.exit(0);
}

const liveLines = live.split('\n');
const committedLines = committed.split('\n');
const first = liveLines.findIndex((line, i) => line !== committedLines[i]);
const at = first === -1 ? liveLines.length : first;
console.error(`schema.graphql differs from introspection at printed line ${at + 1}:`);
for (let i = Math.max(0, at - 3); i < at + 5; i++) {
  if (i < committedLines.length) console.error(`  schema.graphql | ${committedLines[i]}`);
}
for (let i = Math.max(0, at - 3); i < at + 5; i++) {
  if (i < liveLines.length) console.error(`  introspection  | ${liveLines[i]}`);
}
process.exit(1);
