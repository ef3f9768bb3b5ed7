#!/usr/bin/env bash
# Runs the MCP conformance suite (@modelcontextprotocol/conformance, on Node 22 from npm) against a real
# `bin/meridian-backup serve` on a free loopback port, for the server scenarios that need no conformance fixtures.
# Exits non-zero if any scenario fails (or the suite cannot be installed or the server does not start).
#
#   bash .ci/mcp-conformance.sh
#
# MCP_CONFORMANCE_DIR: keep the npm install there between runs (default: a temp dir, removed at exit).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONFORMANCE_VERSION="0.1.16"
SCENARIOS=(server-initialize ping tools-list logging-set-level server-sse-multiple-streams dns-rebinding-protection)

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

say() { echo "mcp-conformance: $*" >&2; }

# 1. The suite and Node 22, installed from npm into a scratch dir (the machine's Node may be older).
TOOLS="${MCP_CONFORMANCE_DIR:-$WORK/npm}"
mkdir -p "$TOOLS"
NODE="$TOOLS/node_modules/node/bin/node"
CLI="$TOOLS/node_modules/@modelcontextprotocol/conformance/dist/index.js"
if [ ! -x "$NODE" ] || [ ! -f "$CLI" ] || ! grep -q "\"version\": \"$CONFORMANCE_VERSION\"" \
    "$TOOLS/node_modules/@modelcontextprotocol/conformance/package.json" 2>/dev/null; then
  say "installing node@22 and @modelcontextprotocol/conformance@$CONFORMANCE_VERSION into $TOOLS"
  (cd "$TOOLS" && { [ -f package.json ] || npm init -y >/dev/null; } \
    && npm install --no-audit --no-fund --loglevel=error "node@22" "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION") >&2
fi
case "$("$NODE" --version)" in
  v22.*) ;;
  *) say "expected Node 22 at $NODE, found $("$NODE" --version)"; exit 1 ;;
esac

# 2. A server of its own: temp repository and database, port 0 (the real port is read from its startup line).
cat > "$WORK/meridian.conf" <<EOF
meridian {
  http { host = "127.0.0.1", port = 0 }
  repository.path = "$WORK/repo"
  restore-roots = ["$WORK/restore"]
  databases = [ { name = "demo", path = "$WORK/db/demo", create-if-missing = true, seed-keys = 200 } ]
}
EOF
mkdir -p "$WORK/restore"
"$ROOT/bin/meridian-backup" serve --config "$WORK/meridian.conf" >"$WORK/server.out" 2>"$WORK/server.log" &
SERVER_PID=$!
URL=""
for _ in $(seq 1 1200); do  # up to 10 minutes: the launcher may build the jar first
  URL="$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$WORK/server.log" | sed -n "1s/listening on //p")" || true
  [ -n "$URL" ] && break
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    say "the server exited before listening:"; cat "$WORK/server.log" >&2; exit 1
  fi
  sleep 0.5
done
if [ -z "$URL" ]; then
  say "the server did not start listening in time:"; tail -20 "$WORK/server.log" >&2; exit 1
fi
say "server at $URL/mcp"

# 3. Each scenario on its own; the suite exits non-zero when a check fails.
failed=()
for scenario in "${SCENARIOS[@]}"; do
  if "$NODE" "$CLI" server --url "$URL/mcp" --scenario "$scenario" >"$WORK/$scenario.txt" 2>&1; then
    say "PASS $scenario"
  else
    say "FAIL $scenario"; cat "$WORK/$scenario.txt" >&2
    failed+=("$scenario")
  fi
done

passed=$(( ${#SCENARIOS[@]} - ${#failed[@]} ))
echo "mcp-conformance: $passed passed, ${#failed[@]} failed"
[ "${#failed[@]}" -eq 0 ]
