#!/usr/bin/env bash
# Runs the README's second command, `bin/meridian-backup serve`, on its embedded default in a scratch working
# directory, then drives it with the CLI: create, list, verify, restore into a directory, stats. Fails on any error.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
LOG="$WORK/serve.log"
cleanup() {
  if [ -n "${PID:-}" ] && kill -0 "$PID" 2>/dev/null; then
    kill "$PID"; wait "$PID" || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"
"$ROOT/bin/meridian-backup" serve >"$LOG" 2>&1 &
PID=$!
# Wait for the port (bash's /dev/tcp: no curl needed); the launcher may build the jar first.
for _ in $(seq 1 600); do
  if (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then break; fi
  if ! kill -0 "$PID" 2>/dev/null; then cat "$LOG"; echo "server exited" >&2; exit 1; fi
  sleep 1
done
B="$ROOT/bin/meridian-backup"
ID=$("$B" create -m "smoke test" --json | sed -n 's/^ *"backup_id" *: *"\([^"]*\)".*/\1/p')
test -n "$ID"
"$B" list
"$B" verify "$ID"
"$B" restore "$ID" --target "$WORK/var/restore/smoke-copy" --yes
test -f "$WORK/var/restore/smoke-copy/CURRENT"
"$B" stats
"$B" list --repo "$WORK/var/backups" >/dev/null
# The client verbs' class data sharing archive exists and holds picocli: a static dump does, a dynamic one (JDK 17)
# leaves picocli's Java 5 class files to the jar (docs/performance.md, "CLI latency").
CLASSES=$(java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:SharedArchiveFile="$ROOT/target/meridian-client.jsa" \
  -Xlog:class+load -jar "$ROOT/target/meridian-backup-0.1.0-all.jar" --version)
grep -q 'picocli.CommandLine source: shared objects file' <<<"$CLASSES" \
  || { echo "the client verbs' CDS archive does not hold picocli" >&2; exit 1; }
echo "smoke test passed"
