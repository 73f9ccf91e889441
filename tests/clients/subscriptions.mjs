// Subscriptions as the graphql-ws client library sees them, against a running
// Folio server.
//
//   node subscriptions.mjs http://127.0.0.1:PORT/graphql
//
// Registers a user over HTTP, opens two graphql-ws clients on the same
// endpoint over WebSocket (`ws` for Node 20, which has no global WebSocket):
// one signed in with the token in `connectionParams`, one anonymous. Both
// subscribe with operations/PostCreated.graphql. The protocol has no "now
// listening" message, so the user writes warm-up posts until both clients
// have seen one; then one post with a fresh title, which must be the next
// event of both within a few seconds: with the author's e-mail for the
// author, null for the anonymous client. The clients are graphql-ws's own
// implementation of graphql-transport-ws, not Folio's test code.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const EVENT_DEADLINE_MS = 5_000;
const WARM_UP_DEADLINE_MS = 15_000;
const WARM_UP_INTERVAL_MS = 200;
const here = dirname(fileURLToPath(import.meta.url));
const POST_CREATED = readFileSync(join(here, 'operations/PostCreated.graphql'), 'utf8');

const endpoint = process.argv[2] ?? process.env.FOLIO_GRAPHQL_URL;
if (!endpoint) {
  console.error('usage: node subscriptions.mjs http://127.0.0.1:PORT/graphql');
  process.exit(2);
}
const socketUrl = new URL(endpoint);
socketUrl.protocol = socketUrl.protocol === 'https:' ? 'wss:' : 'ws:';

/** Runs one operation over HTTP; its data, or an error naming what went wrong. */
async function post(query, variables, token) {
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = await response.json();
  if (body.errors?.length) throw new Error(`HTTP ${response.status}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/**
 * One graphql-ws client subscribed to PostCreated, its events queued until
 * read with `next`. A subscription error or a closed socket fails the reads.
 */
class Subscriber {
  constructor(name, token) {
    this.name = name;
    this.events = [];
    this.failure = null;
    /** The event that counted, once seen. */
    this.seen = null;
    this.wake = () => {};
    this.client = createClient({
      url: socketUrl.href,
      webSocketImpl: WebSocket,
      connectionParams: token ? { authorization: `Bearer ${token}` } : undefined,
      // A dropped socket is a failure here, not something to paper over.
      retryAttempts: 0,
    });
    this.unsubscribe = this.client.subscribe(
      { query: POST_CREATED, variables: {} },
      {
        next: (result) => {
          if (result.errors?.length) this.fail(new Error(`errors: ${JSON.stringify(result.errors)}`));
          else this.events.push(result.data.postCreated);
          this.wake();
        },
        error: (err) => this.fail(err instanceof Error ? err : new Error(`socket closed: ${err?.code} ${err?.reason}`)),
        complete: () => this.fail(new Error('the server completed the subscription')),
      },
    );
  }

  fail(err) {
    this.failure ??= err;
    this.wake();
  }

  /** The next event, waiting until `deadline` (a Date.now() value) at most. */
  async next(deadline) {
    while (this.events.length === 0) {
      if (this.failure) throw new Error(`${this.name}: ${this.failure.message}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: no event before the deadline`);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.events.shift();
  }

  async close() {
    this.unsubscribe();
    await this.client.dispose();
  }
}

const stamp = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const username = `sub_${stamp}`.slice(0, 32);
const email = `${username}@example.com`;
const { register } = await post(
  'mutation ($input: RegisterInput!) { register(input: $input) { token } }',
  { input: { username, email, password: 'subscriptions-check-password' } },
);
const token = register.token;
console.log(`registered ${username} over HTTP`);

const CREATE_POST = 'mutation ($input: CreatePostInput!) { createPost(input: $input) { id title } }';
const createPost = (title) => post(CREATE_POST, { input: { title, body: 'Written by subscriptions.mjs.' } }, token);

const author = new Subscriber('the author', token);
const anonymous = new Subscriber('the anonymous client', null);
const subscribers = [author, anonymous];
let failed = false;
try {
  // Warm-up: post until each subscriber has seen an event, so both are
  // listening before the post that counts. A bounded loop, not a sleep.
  const warmUpDeadline = Date.now() + WARM_UP_DEADLINE_MS;
  let warmUps = 0;
  while (subscribers.some((s) => s.events.length === 0)) {
    for (const s of subscribers) if (s.failure) throw new Error(`${s.name}: ${s.failure.message}`);
    if (Date.now() >= warmUpDeadline) {
      const waiting = subscribers.filter((s) => s.events.length === 0).map((s) => s.name);
      throw new Error(`no warm-up event reached ${waiting.join(' and ')} within ${WARM_UP_DEADLINE_MS} ms`);
    }
    warmUps += 1;
    await createPost(`Warm-up ${warmUps}`);
    await new Promise((resolve) => setTimeout(resolve, WARM_UP_INTERVAL_MS));
  }
  console.log(`both subscribers are listening (after ${warmUps} warm-up posts)`);
  for (const s of subscribers) s.events.length = 0;

  // Events after the queue was cleared may still be warm-ups posted just
  // before; skip those, and expect nothing else before the real one.
  const title = `Live ${stamp}`;
  const { createPost: created } = await createPost(title);
  const deadline = Date.now() + EVENT_DEADLINE_MS;
  for (const s of subscribers) {
    let event;
    do event = await s.next(deadline);
    while (event.post.title.startsWith('Warm-up '));
    if (event.post.title !== title) throw new Error(`${s.name} got "${event.post.title}", not "${title}"`);
    if (event.post.id !== created.id) throw new Error(`${s.name} got post ${event.post.id}, not ${created.id}`);
    if (event.post.author.username !== username) throw new Error(`${s.name}: author ${event.post.author.username}`);
    if (!event.cursor) throw new Error(`${s.name}: the event has no cursor`);
    s.seen = event;
  }
  if (author.seen.post.author.email !== email) {
    throw new Error(`the author sees e-mail ${JSON.stringify(author.seen.post.author.email)}, not ${email}`);
  }
  if (anonymous.seen.post.author.email !== null) {
    throw new Error(`the anonymous client sees e-mail ${JSON.stringify(anonymous.seen.post.author.email)}, not null`);
  }
  console.log(`"${title}" reached both subscribers; the author sees ${email}, the anonymous client null`);
} catch (err) {
  console.error(`PROBLEM: ${err?.stack ?? err}`);
  failed = true;
} finally {
  await Promise.all(subscribers.map((s) => s.close()));
}
if (failed) process.exit(1);
console.log('subscriptions test passed');
