// A GraphQL multipart request (https://github.com/jaydenseric/graphql-multipart-request-spec)
// built the way apollo-upload-client builds one: `extract-files` takes every
// File or Blob out of the operation, leaving null in its place; the
// `operations` part is the operation with those nulls, the `map` part says
// which numbered file part goes where, and the files follow. Node's own
// FormData and fetch write the body and its boundary. Used by uploads.mjs and
// browser.mjs; it knows nothing of Folio's operations.

import extractFiles from 'extract-files/extractFiles.mjs';
import isExtractableFile from 'extract-files/isExtractableFile.mjs';

/**
 * POSTs `operation` ({ query, variables, operationName? }) with its files as
 * a multipart request. `preflight` adds `Apollo-Require-Preflight: true`, as
 * an Apollo Client set up for uploads does; `token` is sent as a Bearer
 * token. The body streams part by part, as a client library sends it.
 * Returns the HTTP status, the content type and the parsed body.
 */
export async function postMultipart(endpoint, operation, { token, preflight = true } = {}) {
  const { clone, files } = extractFiles(operation, isExtractableFile, '');
  if (files.size === 0) throw new Error('the operation carries no file: send it as JSON');

  const form = new FormData();
  form.append('operations', JSON.stringify(clone));
  const map = {};
  let i = 0;
  for (const paths of files.values()) map[++i] = paths;
  form.append('map', JSON.stringify(map));
  i = 0;
  for (const file of files.keys()) form.append(String(++i), file, file.name);

  const headers = { accept: 'application/graphql-response+json, application/json;q=0.9' };
  if (preflight) headers['apollo-require-preflight'] = 'true';
  if (token) headers.authorization = `Bearer ${token}`;
  // No content-type here: fetch writes multipart/form-data with the boundary.
  const response = await fetch(endpoint, { method: 'POST', headers, body: form });
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.json() };
}
