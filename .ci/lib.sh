# Shared by the MCP client scripts in .ci/ (source it; it defines functions and sets WORK, ROOT and SERVER_PID).
#
#   ci_setup NAME          a temp WORK dir, removed at exit with any server started by ci_serve; say() prefixes NAME
#   ci_node22 DIR PKG@V... Node 22 and the npm packages into DIR unless present at those versions; sets NODE
#   ci_serve CONF          `bin/meridian-backup serve --config CONF` in the background; sets URL once it listens

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

ci_setup() {
  CI_NAME="$1"
  WORK="$(mktemp -d)"
  SERVER_PID=""
  trap ci_cleanup EXIT
}

ci_cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}

say() { echo "$CI_NAME: $*" >&2; }

ci_node22() {
  local dir="$1"; shift
  mkdir -p "$dir"
  NODE="$dir/node_modules/node/bin/node"
  local missing=0 pkg name version
  [ -x "$NODE" ] || missing=1
  for pkg in "$@"; do
    name="${pkg%@*}"; version="${pkg##*@}"
    grep -q "\"version\": \"$version\"" "$dir/node_modules/$name/package.json" 2>/dev/null || missing=1
  done
  if [ "$missing" = 1 ]; then
    say "installing node@22 and $* into $dir"
    (cd "$dir" && { [ -f package.json ] || npm init -y >/dev/null; } \
      && npm install --no-audit --no-fund --loglevel=error "node@22" "$@") >&2
  fi
  case "$("$NODE" --version)" in
    v22.*) ;;
    *) say "expected Node 22 at $NODE, found $("$NODE" --version)"; exit 1 ;;
  esac
}

ci_serve() {
  "$ROOT/bin/meridian-backup" serve --config "$1" >"$WORK/server.out" 2>"$WORK/server.log" &
  SERVER_PID=$!
  URL=""
  for _ in $(seq 1 1200); do  # up to 10 minutes: the launcher may build the jar first
    URL="$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$WORK/server.log" | sed -n "1s/listening on //p")" || true
    [ -n "$URL" ] && return 0
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      say "the server exited before listening:"; cat "$WORK/server.log" >&2; exit 1
    fi
    sleep 0.5
  done
  say "the server did not start listening in time:"; tail -20 "$WORK/server.log" >&2; exit 1
}
