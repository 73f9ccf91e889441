// A small typed Folio client built on the generated documents: queries and
// mutations over HTTP (uploads as GraphQL multipart requests, built with
// extract-files as apollo-upload-client builds them), subscriptions over a
// graphql-ws client. It is only
// type-checked (`npm run typecheck`): if an operation in operations/ or the
// schema changes shape, these functions stop compiling.
import { print } from 'graphql';
import type { Client } from 'graphql-ws';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import extractFiles from 'extract-files/extractFiles.mjs';
import isExtractableFile from 'extract-files/isExtractableFile.mjs';
import {
  CreatePhotoDocument,
  DeletePhotoDocument,
  LoginDocument,
  PhotoFeedDocument,
  PostCreatedDocument,
  RegisterDocument,
  ReplacePhotoFileDocument,
  TagPageDocument,
  TagPhotoDocument,
  UpdatePostDocument,
  UpdateViewerProfileDocument,
  UploadPhotoDocument,
  UserPageDocument,
} from './generated/graphql';
import type {
  CreatePhotoMutation,
  PhotoCardFragment,
  PhotoFeedQuery,
  PostCreatedSubscription,
  PostCreatedSubscriptionVariables,
  ReplacePhotoFileMutation,
  TagPageQuery,
  UploadPhotoMutation,
  UserPageQuery,
} from './generated/graphql';
import type { CreatePhotoInput, ProfileInput } from './generated/schema';

/** A GraphQL error as Folio sends it: every one carries `extensions.code`. */
export interface FolioError {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: { code?: string; field?: string };
}

export class FolioRequestError extends Error {
  constructor(readonly errors: readonly FolioError[]) {
    super(errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; '));
  }
}

/** Runs one typed operation: the result and variable types come from the document. */
export async function request<TResult, TVariables extends Record<string, unknown>>(
  endpoint: string,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
  token?: string,
): Promise<TResult> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json, application/json;q=0.9',
  };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(endpoint, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as { data?: TResult | null; errors?: FolioError[] };
  if (body.errors?.length) throw new FolioRequestError(body.errors);
  if (body.data == null) throw new Error(`no data (HTTP ${response.status})`);
  return body.data;
}

/**
 * Runs one typed operation whose variables carry files (`Upload` is a Blob
 * or File) as a GraphQL multipart request: `operations` with each file
 * replaced by null, `map` from part names to the variables' paths, then the
 * files. The preflight header is what Folio, like Apollo Server, asks of a
 * multipart request so that a plain HTML form cannot send one.
 */
export async function uploadRequest<TResult, TVariables extends Record<string, unknown>>(
  endpoint: string,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
  token: string,
): Promise<TResult> {
  const { clone, files } = extractFiles({ query: print(document), variables }, isExtractableFile, '');
  const form = new FormData();
  form.append('operations', JSON.stringify(clone));
  const parts = [...files];
  form.append('map', JSON.stringify(Object.fromEntries(parts.map(([, paths], i) => [String(i + 1), paths]))));
  parts.forEach(([file], i) => form.append(String(i + 1), file, file instanceof File ? file.name : 'blob'));
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      accept: 'application/graphql-response+json, application/json;q=0.9',
      authorization: `Bearer ${token}`,
      'apollo-require-preflight': 'true',
    },
    body: form,
  });
  const body = (await response.json()) as { data?: TResult | null; errors?: FolioError[] };
  if (body.errors?.length) throw new FolioRequestError(body.errors);
  if (body.data == null) throw new Error(`no data (HTTP ${response.status})`);
  return body.data;
}

/** Every distinct tag name on a page of the feed, in first-seen order. */
export function tagNames(feed: PhotoFeedQuery): string[] {
  const names = new Set<string>();
  for (const edge of feed.photos.edges) {
    for (const tag of edge.node.tags) names.add(tag.name);
  }
  return [...names];
}

/** The name shown for a photo's owner: the profile's display name, else the username. */
export function ownerLabel(photo: PhotoCardFragment): string {
  return photo.owner.profile?.displayName ?? photo.owner.username;
}

/** The cursor to pass as `after` for the next page, or null on the last page. */
export function nextFeedCursor(feed: PhotoFeedQuery): string | null {
  return feed.photos.pageInfo.hasNextPage ? feed.photos.pageInfo.endCursor : null;
}

/** A user page's headline and post titles; null when there is no such user. */
export function userSummary(page: UserPageQuery): { heading: string; titles: string[] } | null {
  const user = page.user;
  if (!user) return null;
  const name = user.profile?.displayName ?? user.username;
  return {
    heading: `${name} (@${user.username}): ${user.postCount} posts, ${user.photoCount} photos`,
    titles: user.posts.nodes.map((post) => post.title),
  };
}

/** Photos per owner on a tag page; an unknown tag has none. */
export function photosByOwner(page: TagPageQuery): Map<string, number> {
  const counts = new Map<string, number>();
  for (const photo of page.tag?.photos.nodes ?? []) {
    counts.set(photo.owner.username, (counts.get(photo.owner.username) ?? 0) + 1);
  }
  return counts;
}

/** Every photo of the feed, following cursors until the last page. */
export async function* allPhotos(endpoint: string, pageSize = 50): AsyncGenerator<PhotoCardFragment> {
  let after: string | null = null;
  do {
    const page: PhotoFeedQuery = await request(endpoint, PhotoFeedDocument, { first: pageSize, after });
    for (const edge of page.photos.edges) yield edge.node;
    after = nextFeedCursor(page);
  } while (after !== null);
}

/** Signs up, or signs in when the account exists; returns the token. */
export async function signIn(
  endpoint: string,
  username: string,
  password: string,
  email = `${username}@example.com`,
): Promise<string> {
  try {
    return (await request(endpoint, LoginDocument, { input: { login: username, password } })).login.token;
  } catch (err) {
    if (!(err instanceof FolioRequestError)) throw err;
    const { register } = await request(endpoint, RegisterDocument, { input: { username, email, password } });
    return register.token;
  }
}

/** Publishes a photo, adds more tags, and returns the photo's final tag names. */
export async function publishPhoto(
  endpoint: string,
  token: string,
  input: CreatePhotoInput,
  extraTags: string[],
): Promise<{ photo: CreatePhotoMutation['createPhoto']; tags: string[] }> {
  const { createPhoto } = await request(endpoint, CreatePhotoDocument, { input }, token);
  const { tagPhoto } = await request(endpoint, TagPhotoDocument, { photoId: createPhoto.id, tags: extraTags }, token);
  return { photo: createPhoto, tags: tagPhoto.tags.map((tag) => tag.name) };
}

/** Publishes a photo by uploading its image; the answer names its original and its thumbnail. */
export async function uploadPhoto(
  endpoint: string,
  token: string,
  file: File,
  caption: string | null,
  tags: string[],
): Promise<UploadPhotoMutation['createPhoto']> {
  return (await uploadRequest(endpoint, UploadPhotoDocument, { file, caption, tags }, token)).createPhoto;
}

/** Swaps a photo's image; the thumbnail's address changes with it. */
export async function replacePhotoImage(
  endpoint: string,
  token: string,
  id: string,
  file: Blob,
): Promise<ReplacePhotoFileMutation['replacePhotoFile']['thumbnail']> {
  return (await uploadRequest(endpoint, ReplacePhotoFileDocument, { id, file }, token)).replacePhotoFile.thumbnail;
}

/** Retitles a post of the viewer's and returns when it changed. */
export async function retitlePost(endpoint: string, token: string, id: string, title: string): Promise<string> {
  const { updatePost } = await request(endpoint, UpdatePostDocument, { id, input: { title } }, token);
  return updatePost.updatedAt;
}

/** Sets fields of the viewer's profile. */
export async function setProfile(endpoint: string, token: string, input: ProfileInput): Promise<string> {
  const { updateViewerProfile } = await request(endpoint, UpdateViewerProfileDocument, { input }, token);
  return updateViewerProfile.displayName;
}

/** Deletes a photo of the viewer's; returns the deleted global id. */
export async function deletePhoto(endpoint: string, token: string, id: string): Promise<string> {
  return (await request(endpoint, DeletePhotoDocument, { id }, token)).deletePhoto.deletedId;
}

/** A user's page, or null for an unknown username. */
export async function userPage(endpoint: string, username: string, first = 10): Promise<UserPageQuery['user']> {
  return (await request(endpoint, UserPageDocument, { username, first })).user;
}

/** A tag's page, or null for an unknown tag. */
export async function tagPage(endpoint: string, name: string, first = 20): Promise<TagPageQuery['tag']> {
  return (await request(endpoint, TagPageDocument, { name, first })).tag;
}

/**
 * New posts as they are written, by `authorId` or by anyone, over a graphql-ws
 * client of `/graphql` (its `connectionParams` carry the token, if any). Ends
 * with a FolioRequestError when the server reports errors.
 */
export async function* postsCreated(
  client: Client,
  variables: PostCreatedSubscriptionVariables,
): AsyncGenerator<PostCreatedSubscription['postCreated']> {
  const results = client.iterate<PostCreatedSubscription>({ query: print(PostCreatedDocument), variables });
  for await (const result of results) {
    if (result.errors?.length) throw new FolioRequestError(result.errors);
    if (result.data) yield result.data.postCreated;
  }
}
