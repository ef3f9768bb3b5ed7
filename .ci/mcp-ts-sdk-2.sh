#!/usr/bin/env bash
# The TypeScript SDK v2 client (@modelcontextprotocol/client, on Node 22 from npm) with versionNegotiation 'auto'
# against this server over stdio (`bin/meridian-backup mcp --stdio`) and over Streamable HTTP (`serve`): it probes
# with server/discover and must settle on the stateless revision 2026-07-28 without falling back to initialize, list
# the tools with their caching hints, and call all eight tools: backup_create with progress, restore into a
# directory, and backup_delete and backup_create_scheduled through their plan and confirmation token; then a second
# client that declares form elicitation deletes a backup through the input_required result (multi round-trip
# request) its SDK fulfils with an elicitation handler. Exits non-zero on any failure.
#
#   bash .ci/mcp-ts-sdk-2.sh
#
# MCP_TS_SDK_2_DIR: keep the npm install there between runs (default: a temp dir, removed at exit).
set -euo pipefail

CLIENT_VERSION="2.4.0"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ci_setup mcp-ts-sdk-2

TOOLS="${MCP_TS_SDK_2_DIR:-$WORK/npm}"
ci_node22 "$TOOLS" "@modelcontextprotocol/client@$CLIENT_VERSION"

cat > "$TOOLS/probe.mjs" <<'EOF'
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

const [target, launcher, restoreRoot] = process.argv.slice(2);
const fail = (m) => { console.error('FAIL: ' + m); process.exit(1); };
const transport = target.startsWith('http')
  ? new StreamableHTTPClientTransport(new URL(target))
  : new StdioClientTransport({ command: launcher, args: ['mcp', '--stdio', '--config', target], stderr: 'ignore' });
const client = new Client({ name: 'ts-sdk-2', version: '2.4.0' }, { versionNegotiation: { mode: 'auto' } });
await client.connect(transport);
const era = client.getProtocolEra(), version = client.getNegotiatedProtocolVersion();
if (era !== 'modern' || version !== '2026-07-28') fail(`negotiated ${era} ${version}, not modern 2026-07-28`);
const { tools, ttlMs, cacheScope } = await client.listTools();
if (tools.length !== 8) fail('expected 8 tools, got ' + tools.map((t) => t.name));
if (!(ttlMs >= 0) || cacheScope !== 'public') fail(`tools/list caching hints: ttlMs ${ttlMs}, cacheScope ${cacheScope}`);
const list = await client.callTool({ name: 'backup_list', arguments: { database: 'notes' } });
if (list.isError) fail('backup_list: ' + list.content[0].text);
let progress = 0;
const created = await client.callTool({ name: 'backup_create', arguments: { database: 'notes' } }, { onprogress: () => progress++ });
if (created.isError) fail('backup_create: ' + created.content[0].text);
if (progress === 0) fail('no progress notification for backup_create');
// The other six tools, as an agent would call them; destructive ones return a plan first (meridian.mcp.destructive
// = confirm, the default) and act only when called again with the plan's one-time token.
const call = async (name, args) => {
  const r = await client.callTool({ name, arguments: args });
  if (r.isError) fail(`${name}: ${r.content[0].text}`);
  return r.structuredContent;
};
const confirmed = async (name, args) => {
  const plan = await call(name, args);
  if (plan.status !== 'confirmation_required' || !plan.confirmation?.token) fail(`${name}: expected a plan, got ${JSON.stringify(plan)}`);
  return call(name, { ...args, confirmation: plan.confirmation.token });
};
const id = created.structuredContent.backup_id;
await call('backup_get_stats', { database: 'notes' });
const pre = await call('backup_create_pre_migration', { database: 'notes', schema_version: '7' });
if (!(await call('backup_verify', { backup_id: id })).valid) fail('backup_verify: not valid');
await call('backup_restore', { backup_id: id, target_path: `${restoreRoot}/copy` });
await confirmed('backup_delete', { backup_id: pre.backup_id });
await confirmed('backup_create_scheduled', { database: 'notes' });
await client.close();

// A second client declares form elicitation: a destructive call then answers input_required (2026-07-28, multi
// round-trip requests), which the SDK fulfils through this handler and retries with the server's requestState.
const asked = [];
const asker = new Client({ name: 'ts-sdk-2-elicit', version: '2.4.0' },
  { versionNegotiation: { mode: 'auto' }, capabilities: { elicitation: { form: {} } } });
asker.setRequestHandler('elicitation/create', async (request) => {
  asked.push(request.params.message);
  return { action: 'accept', content: { confirm: true } };
});
await asker.connect(target.startsWith('http')
  ? new StreamableHTTPClientTransport(new URL(target))
  : new StdioClientTransport({ command: launcher, args: ['mcp', '--stdio', '--config', target], stderr: 'ignore' }));
if (asker.getNegotiatedProtocolVersion() !== '2026-07-28') fail('elicitation client negotiated ' + asker.getNegotiatedProtocolVersion());
const victim = (await asker.callTool({ name: 'backup_create', arguments: { database: 'notes' } })).structuredContent.backup_id;
const gone = await asker.callTool({ name: 'backup_delete', arguments: { backup_id: victim } });
if (gone.isError || gone.structuredContent?.deleted !== true) fail('backup_delete through input_required: ' + JSON.stringify(gone));
if (asked.length !== 1 || !asked[0].startsWith('Confirm backup_delete')) fail('expected one confirmation form, got ' + JSON.stringify(asked));
const listed = (await asker.callTool({ name: 'backup_list', arguments: { database: 'notes' } })).structuredContent;
if (listed.backups.some((b) => b.backup_id === victim)) fail(`backup ${victim} still listed after the confirmed delete`);
await asker.close();
console.log(`ok: ${target.startsWith('http') ? 'HTTP' : 'stdio'} ${era} ${version}; ${tools.length} tools (ttlMs ${ttlMs}, ${cacheScope}); `
  + `backup ${id} with ${progress} progress notifications; all eight tools called (delete and create_scheduled confirmed by token); `
  + `a delete confirmed through input_required elicitation ("${asked[0].slice(0, 60)}...")`);
EOF

conf() {  # $1: name; a repository and database of its own (stdio runs its own engine)
  mkdir -p "$WORK/$1/restore"
  cat > "$WORK/$1.conf" <<EOF
meridian {
  http { host = "127.0.0.1", port = 0 }
  repository.path = "$WORK/$1/repo"
  restore-roots = ["$WORK/$1/restore"]
  databases = [ { name = "notes", path = "$WORK/$1/db/notes", create-if-missing = true, seed-keys = 100 } ]
}
EOF
}

conf stdio
say "stdio: bin/meridian-backup mcp --stdio"
(cd "$TOOLS" && "$NODE" probe.mjs "$WORK/stdio.conf" "$ROOT/bin/meridian-backup" "$WORK/stdio/restore")

conf http
ci_serve "$WORK/http.conf"
say "HTTP: $URL/mcp"
(cd "$TOOLS" && "$NODE" probe.mjs "$URL/mcp" "" "$WORK/http/restore")
