#!/usr/bin/env bash
# Runs the MCP conformance suite (@modelcontextprotocol/conformance, on Node 22 from npm) against a real
# `bin/meridian-backup serve` on a free loopback port: every generic server scenario of both requirement sets
# (2025-11-25 sessions and the stateless 2026-07-28), each at its revision, and the Tasks extension scenarios
# (io.modelcontextprotocol/tasks) whose checks this server can answer, and the Skills extension scenarios (SEP-2640),
# whose checks the suite skips for a server that does not declare that extension (this one does not). Scenarios (and single checks) that need
# the suite's reference test tools, prompts or resources do not apply to this server; they are printed with the
# reason in a table. Exits non-zero if any applicable check fails (or the suite cannot be installed or the server
# does not start).
#
#   bash .ci/mcp-conformance.sh
#
# MCP_CONFORMANCE_DIR: keep the npm install there between runs (default: a temp dir, removed at exit).
set -euo pipefail

CONFORMANCE_VERSION="0.2.0-alpha.12"
# revision:scenario. The 2025-11-25 ones run in an initialize session, the 2026-07-28 ones statelessly.
SCENARIOS=(
  2025-11-25:server-initialize 2025-11-25:server-session-lifecycle 2025-11-25:ping 2025-11-25:logging-set-level
  2025-11-25:tools-list 2025-11-25:server-sse-multiple-streams 2025-11-25:dns-rebinding-protection
  2025-11-25:json-schema-2020-12
  2026-07-28:server-stateless 2026-07-28:tools-list 2026-07-28:caching 2026-07-28:http-header-validation
  2026-07-28:http-custom-header-server-validation 2026-07-28:server-sse-multiple-streams
  2026-07-28:dns-rebinding-protection 2026-07-28:json-schema-2020-12 2026-07-28:input-required-result-unsupported-methods
  2026-07-28:sep-2640-skills-directory 2026-07-28:sep-2640-skills-enumeration 2026-07-28:sep-2640-skills-manifest
  2026-07-28:tasks-capability-negotiation 2026-07-28:tasks-dispatch-and-envelope 2026-07-28:tasks-request-headers
)
# Scenarios of the two requirement sets that do not apply, and why (printed, not run).
NOT_APPLICABLE=(
  "tools-call-simple-text, -image, -audio, -embedded-resource, -mixed-content, -error, -with-progress, -with-logging, -sampling, -elicitation|both|call the suite's reference tools (test_simple_text, test_tool_with_progress, ...); this server's tools back up databases (progress and logs are covered by McpStatelessTest and McpProgressHeartbeatTest)"
  "completion-complete|both|needs the completions capability; this server has no prompts or resource templates to complete"
  "resources-list, resources-read-text, resources-read-binary, resources-templates-read, resources-subscribe, resources-unsubscribe, sep-2164-resource-not-found|both|the server offers no resources (no resources capability)"
  "prompts-list, prompts-get-simple, -with-args, -embedded-resource, -with-image|both|the server offers no prompts (no prompts capability)"
  "elicitation-sep1034-defaults, elicitation-sep1330-enums, server-sse-polling|2025-11-25|call reference tools (test_elicitation_*, test_reconnection)"
  "input-required-result-basic-elicitation, -basic-sampling, -basic-list-roots, -request-state, -multiple-input-requests, -multi-round, -missing-input-response, -non-tool-request, -result-type, -tampered-state, -capability-check, -ignore-extra-params, -validate-input (13 of the 14; -unsupported-methods runs above)|2026-07-28|call reference tools (test_input_required_result_*) or a reference prompt; this server asks only to confirm destructive calls: McpInputRequiredTest checks that flow's shape, retry, re-ask on a missing answer, ignored extra answers, tampered/replayed/misused state (-32602) and declared capabilities, and .ci/mcp-ts-sdk-2.sh confirms a delete through it with the TS SDK v2 client"
  "tasks-lifecycle, tasks-wire-fields, tasks-request-state-removal|extension|every check calls the suite's reference tools (greet, slow_compute, failing_job, protocol_error_job); McpTasksTest covers create, poll, inlined result, cancel ack (also on an ended task), ttlMs/pollIntervalMs and the restart"
  "tasks-mrtr-input, tasks-mrtr-composition|extension|call reference tools (confirm_delete, multi_input, test_tool_with_task); no task of this server waits for input (tasks/update answers -32602)"
  "tasks-required-task-error|extension|needs a tool that requires a task (failing_job); every task tool here also runs without the extension"
  "tasks-status-notifications|extension|the suite skips it (pending its subscriptions/listen rewrite); this server sends no notifications/tasks, which the extension allows"
)
# Single checks inside a run scenario that need what this server does not have (scenario:check-id|why).
NA_CHECKS=(
  "server-stateless:sep-2575-server-rejects-undeclared-capability|calls the reference tool test_missing_capability; no tool of this server needs a client capability"
  "server-stateless:sep-2575-missing-capability-http-400|same reference tool (test_missing_capability)"
  "server-stateless:sep-2575-http-server-no-independent-requests-on-stream|calls the reference tool test_streaming_elicitation; this server sends no requests at all"
  "server-stateless:sep-2575-server-no-log-without-loglevel|calls the reference tool test_logging_tool; McpStatelessTest checks it with backup.create"
  "json-schema-2020-12:json-schema-2020-12-tool-found|calls for the reference tool json_schema_2020_12_tool (its schema keywords); this server's own schemas pass the suite's wire-schema check here and in every scenario"
  "caching:sep-2549-prompts-list-caching-hints|the server offers no prompts (prompts/list is -32601)"
  "caching:sep-2549-resources-list-caching-hints|the server offers no resources (resources/list is -32601)"
  "caching:sep-2549-resources-templates-list-caching-hints|the server offers no resources (resources/templates/list is -32601)"
  "tasks-capability-negotiation:sep-2663-server-rejects-undeclared-client|calls the reference tool slow_compute; McpTasksTest checks a backup.create without the extension is answered at once"
  "tasks-capability-negotiation:tasks-per-request-meta-opt-in|calls the reference tool slow_compute; every task of McpTasksTest is opted into per request"
  "tasks-dispatch-and-envelope:tasks-server-directed-creation-no-hint|calls the reference tool failing_job"
  "tasks-dispatch-and-envelope:sep-2663-legacy-task-param-ignored|calls the reference tool greet"
  "tasks-dispatch-and-envelope:tasks-immediate-result-shortcut|calls the reference tool slow_compute"
  "tasks-dispatch-and-envelope:tasks-result-type-complete-on-non-task-responses|calls the reference tools greet, slow_compute, confirm_delete"
  "tasks-dispatch-and-envelope:sep-2663-durable-create-strong-consistency|calls the reference tool slow_compute; McpTasksTest reads the record and tasks/get right after the CreateTaskResult"
  "tasks-request-headers:tasks-headers-tolerate-mcp-method-on-tools-call|calls the reference tool greet"
  "tasks-request-headers:sep-2663-routing-headers-accepted-on-tasks-get|needs a task of the reference tool slow_compute; McpTasksTest sends Mcp-Name on every tasks/*"
  "tasks-request-headers:sep-2663-server-rejects-mismatched-mcp-name-on-tasks-get|needs the task of the check above; McpTasksTest checks a mismatched Mcp-Name on tasks/get is -32020"
)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ci_setup mcp-conformance

# 1. The suite and Node 22, installed from npm into a scratch dir (the machine's Node may be older).
TOOLS="${MCP_CONFORMANCE_DIR:-$WORK/npm}"
ci_node22 "$TOOLS" "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION"
CLI="$TOOLS/node_modules/@modelcontextprotocol/conformance/dist/index.js"

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
ci_serve "$WORK/meridian.conf"
say "server at $URL/mcp"

# 3. Each scenario on its own, at its revision; its checks.json is read below (the suite's exit code also counts
#    the not-applicable checks above as failures).
for entry in "${SCENARIOS[@]}"; do
  revision="${entry%%:*}"; scenario="${entry#*:}"
  force=()
  case "$scenario" in tasks-*|sep-2640-*) force=(--force) ;; esac  # extension scenarios are off the revision's timeline
  "$NODE" "$CLI" server --url "$URL/mcp" --scenario "$scenario" --spec-version "$revision" "${force[@]}" \
    -o "$WORK/out/$revision" >"$WORK/$revision-$scenario.txt" 2>&1 || true
done

# 4. The table: passed / failed / not applicable per scenario, with check counts.
printf '%s\n' "${NA_CHECKS[@]}" >"$WORK/na-checks.txt"
JS_RC=0
"$NODE" - "$WORK" "${SCENARIOS[@]}" <<'JS' || JS_RC=$?
const fs = require('fs'), path = require('path');
const [work, ...scenarios] = process.argv.slice(2);
const na = new Map(fs.readFileSync(path.join(work, 'na-checks.txt'), 'utf8').split('\n').filter(Boolean)
  .map(l => { const [key, why] = l.split('|'); return [key, why]; }));
let failed = 0;
const rows = [];
for (const entry of scenarios) {
  const [revision, scenario] = [entry.slice(0, 10), entry.slice(11)];
  const dir = path.join(work, 'out', revision);
  const run = fs.existsSync(dir) ? fs.readdirSync(dir).find(d => d.startsWith(`server-${scenario}-2`)) : undefined;
  if (!run) {
    rows.push([revision, scenario, 'FAILED', 'no result (see the suite output below)']);
    process.stderr.write(fs.readFileSync(path.join(work, `${revision}-${scenario}.txt`), 'utf8'));
    failed++;
    continue;
  }
  const checks = JSON.parse(fs.readFileSync(path.join(dir, run, 'checks.json'), 'utf8'));
  const count = { pass: 0, fail: 0, warn: 0, skip: 0, info: 0, na: 0 };
  const bad = [];
  for (const c of checks) {
    if (c.status === 'SUCCESS') count.pass++;
    else if (c.status === 'WARNING') { count.warn++; bad.push(`WARNING ${c.id}: ${c.errorMessage}`); }
    else if (c.status === 'SKIPPED') count.skip++;
    else if (c.status === 'INFO') count.info++;
    else if (na.has(`${scenario}:${c.id}`)) count.na++;
    else { count.fail++; bad.push(`FAILURE ${c.id}: ${c.errorMessage}`); }
  }
  const verdict = count.fail > 0 ? 'FAILED' : 'passed';
  if (count.fail > 0) failed++;
  rows.push([revision, scenario, verdict, `${checks.length} checks: ${count.pass} passed, ${count.fail} failed, `
    + `${count.na} not applicable, ${count.skip} skipped, ${count.warn} warnings, ${count.info} info`]);
  for (const b of bad) rows.push(['', '', '', '  ' + b.slice(0, 200)]);
}
const w = [10, 42, 7];
console.log('\nMCP conformance (@modelcontextprotocol/conformance) against bin/meridian-backup serve:\n');
console.log(['revision'.padEnd(w[0]), 'scenario'.padEnd(w[1]), 'result'.padEnd(w[2]), 'checks'].join(' | '));
for (const r of rows) console.log([r[0].padEnd(w[0]), r[1].padEnd(w[1]), r[2].padEnd(w[2]), r[3]].join(' | '));
console.log('\nNot applicable checks inside the scenarios above:');
for (const [key, why] of na) console.log(`  ${key}: ${why}`);
process.exitCode = failed > 0 ? 1 : 0;
fs.writeFileSync(path.join(work, 'failed'), String(failed));
JS
echo
echo "Not applicable scenarios (not run):"
for row in "${NOT_APPLICABLE[@]}"; do
  IFS='|' read -r names sets why <<<"$row"
  echo "  [$sets] $names: $why"
done
failed="$(cat "$WORK/failed" 2>/dev/null || echo 1)"
echo "mcp-conformance: $(( ${#SCENARIOS[@]} - failed )) passed, $failed failed (suite $CONFORMANCE_VERSION)"
[ "$JS_RC" -eq 0 ] && [ "$failed" -eq 0 ]
