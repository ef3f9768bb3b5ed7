#!/usr/bin/env bash
# An older MCP client against the stdio server: the TypeScript SDK 1.0.4 (it asks for protocol revision 2024-11-05
# and disconnects when answered with another) starts `bin/meridian-backup mcp --stdio`, lists the tools (every name
# must match ^[a-zA-Z0-9_-]{1,64}$), takes a backup with progress, and passes schema_version as a JSON number.
# Exits non-zero on any failure. Needs Node >= 18 and npm.
#
#   bash .ci/mcp-ts-sdk-1.0.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SDK_VERSION="1.0.4"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
say() { echo "mcp-ts-sdk-1.0: $*" >&2; }

say "installing @modelcontextprotocol/sdk@$SDK_VERSION into $WORK"
(cd "$WORK" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error "@modelcontextprotocol/sdk@$SDK_VERSION") >&2

mkdir -p "$WORK/repo" "$WORK/restore" "$WORK/db"
cat > "$WORK/agent.conf" <<EOF
meridian {
  repository.path = "$WORK/repo"
  restore-roots = ["$WORK/restore"]
  databases = [ { name = "notes", path = "$WORK/db/notes", create-if-missing = true, seed-keys = 100 } ]
}
EOF

cat > "$WORK/client.mjs" <<'EOF'
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { CallToolResultSchema, LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";

const [launcher, conf] = process.argv.slice(2);
const fail = (m) => { console.error("FAIL: " + m); process.exit(1); };
const transport = new StdioClientTransport({ command: launcher, args: ["mcp", "--stdio", "--config", conf], stderr: "inherit" });
const client = new Client({ name: "ts-sdk-1.0", version: "1.0.4" }, { capabilities: {} });
await client.connect(transport); // throws "Server's protocol version is not supported" on a mismatch
console.log(`connected with ${LATEST_PROTOCOL_VERSION} to ${JSON.stringify(client.getServerVersion())}`);
const { tools } = await client.listTools();
const names = tools.map((t) => t.name);
console.log("tools: " + names.join(", "));
if (names.length !== 8) fail("expected 8 tools");
for (const n of names) if (!/^[a-zA-Z0-9_-]{1,64}$/.test(n)) fail(`tool name ${n} does not match ^[a-zA-Z0-9_-]{1,64}$`);
let progress = 0;
const created = await client.request({ method: "tools/call", params: { name: "backup_create", arguments: { description: "ts sdk 1.0" } } },
  CallToolResultSchema, { onprogress: () => { progress++; } });
if (created.isError) fail("backup_create: " + created.content[0].text);
if (progress === 0) fail("no progress notification for a call with a progress token");
const pre = await client.callTool({ name: "backup.create_pre_migration", arguments: { schema_version: 7 } });
if (pre.isError) fail("backup.create_pre_migration with schema_version 7: " + pre.content[0].text);
if (JSON.parse(pre.content[0].text).schema_version !== "7") fail("schema_version 7 was not recorded as \"7\"");
await client.close();
console.log(`ok: backup created with ${progress} progress notifications; the dotted alias and an integer schema_version work`);
EOF

say "running the client against $ROOT/bin/meridian-backup mcp --stdio"
(cd "$WORK" && node client.mjs "$ROOT/bin/meridian-backup" "$WORK/agent.conf")
