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
 * token. `buffered` writes the whole body into memory first and sends it in
 * one piece instead of streaming the FormData part by part (see the README:
 * Folio may close the connection while a refused body is still streaming).
 * Returns the HTTP status, the content type and the parsed body.
 */
export async function postMultipart(endpoint, operation, { token, preflight = true, buffered = false } = {}) {
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
  let body = form;
  if (buffered) {
    // A Response serialises the FormData and names its boundary.
    const serialised = new Response(form);
    headers['content-type'] = serialised.headers.get('content-type');
    body = Buffer.from(await serialised.arrayBuffer());
  }
  // Streamed, no content-type here: fetch writes multipart/form-data with the boundary.
  const response = await fetch(endpoint, { method: 'POST', headers, body });
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.json() };
}
