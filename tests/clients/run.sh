#!/usr/bin/env bash
# Client-side checks of a built Folio binary, the one entry point CI calls:
#
#   bash tests/clients/run.sh path/to/folio
#
# Installs Chromium from the distribution if /usr/bin/chromium is missing,
# runs `npm ci` here, starts `folio serve --demo` on a scratch SQLite database
# and a free port on 127.0.0.1, then runs six steps against it:
#   audit      graphql-http's GraphQL-over-HTTP server audits (fails on a MUST)
#   schema     graphql-js: introspection and schema.graphql print the same
#   typecheck  graphql-codegen over operations/, then tsc --noEmit
#   subscribe  the graphql-ws client library: a new post reaches a signed-in
#              and an anonymous subscriber, each as it may see it
#   uploads    multipart uploads built with extract-files (apollo-upload-
#              client's way): a PNG and a JPEG, their original and thumbnail
#              fetched back from /media/ and measured; no upload without the
#              preflight header or a token
#   browser    GraphiQL in headless Chromium, a query, a subscription and an
#              uploaded thumbnail in an <img> (screenshot: target/graphiql.png)
# Every step runs even if an earlier one failed; the last lines give one
# result per step, and the exit status is non-zero if any failed.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 path/to/folio" >&2
  exit 2
fi
if [[ ! -x "$1" ]]; then
  echo "$0: $1 is not an executable folio binary" >&2
  exit 2
fi
FOLIO="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HEALTH_DEADLINE_SECS="${FOLIO_HEALTH_DEADLINE_SECS:-60}"

log() { printf '[clients] %s\n' "$*"; }

# --- Chromium, from the distribution, only when missing ----------------------
if [[ ! -x /usr/bin/chromium ]]; then
  log "installing chromium (apt-get)"
  SUDO=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "$0: /usr/bin/chromium is missing and I am not root" >&2; exit 1; }
    SUDO=(sudo)
  fi
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi

# --- Node packages, exactly as locked ------------------------------------------
cd "$HERE"
log "npm ci"
npm ci --no-audit --no-fund

# --- The server -------------------------------------------------------------
SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/folio-clients.XXXXXX")"
SERVER_PID=""
stop_server() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
cleanup() {
  stop_server
  rm -rf "$SCRATCH"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  node -e 'const s = require("net").createServer();
           s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

healthy() {
  node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1"
}

# Starts the server on a fresh port; false if it exits or never gets healthy.
start_server() {
  PORT="$(free_port)"
  BASE_URL="http://127.0.0.1:$PORT"
  rm -f "$SCRATCH"/folio.db*
  DATABASE_URL="sqlite://$SCRATCH/folio.db?mode=rwc" \
    FOLIO_STORAGE_URL="file://$SCRATCH/media" \
    FOLIO_JWT_SECRET="folio-clients-test-secret-of-at-least-32-bytes" \
    RUST_LOG="${RUST_LOG:-info}" \
    "$FOLIO" serve --demo --bind "127.0.0.1:$PORT" >"$SCRATCH/server.log" 2>&1 &
  SERVER_PID=$!
  local deadline=$((SECONDS + HEALTH_DEADLINE_SECS))
  until healthy "$BASE_URL/healthz"; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      log "folio exited before it was healthy:"
      tail -n 20 "$SCRATCH/server.log" >&2
      SERVER_PID=""
      return 1
    fi
    if ((SECONDS >= deadline)); then
      log "folio was not healthy within ${HEALTH_DEADLINE_SECS}s:"
      tail -n 20 "$SCRATCH/server.log" >&2
      stop_server
      return 1
    fi
    sleep 0.1 # polling interval, not a wait for readiness
  done
}

# The port is free when chosen but could be taken before folio binds it: retry.
started=false
for attempt in 1 2 3; do
  if start_server; then
    started=true
    break
  fi
  log "starting folio failed (attempt $attempt)"
done
if [[ $started != true ]]; then
  echo "$0: could not start folio" >&2
  exit 1
fi
log "folio (pid $SERVER_PID) is healthy at $BASE_URL"

# --- The steps ----------------------------------------------------------------
declare -a RESULTS=()
FAILED=0
step() {
  local name=$1
  shift
  log "=== $name: $*"
  local start=$SECONDS status=0
  "$@" || status=$?
  local took=$((SECONDS - start))
  if [[ $status -eq 0 ]]; then
    RESULTS+=("$(printf '%-10s PASS  (%ss)' "$name" "$took")")
  else
    RESULTS+=("$(printf '%-10s FAIL  (exit %s, %ss)' "$name" "$status" "$took")")
    FAILED=1
  fi
}

step audit node audit.mjs "$BASE_URL/graphql"
step schema node schema.mjs "$BASE_URL/graphql"
step typecheck npm run --silent typecheck
step subscribe node subscriptions.mjs "$BASE_URL/graphql"
step uploads node uploads.mjs "$BASE_URL/graphql"
step browser node browser.mjs "$BASE_URL"

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  log "folio died during the run; its log:"
  tail -n 40 "$SCRATCH/server.log" >&2
  FAILED=1
fi
stop_server

echo
for line in "${RESULTS[@]}"; do
  log "$line"
done
if [[ $FAILED -ne 0 ]]; then
  log "FAILED"
  exit 1
fi
log "all passed"
