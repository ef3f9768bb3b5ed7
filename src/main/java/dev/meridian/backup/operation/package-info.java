/**
 * The one table of operations both gateways bind to. Each operation (list, show, manifest, create, verify, restore,
 * delete, stats, retention, cancel and the rest) is declared once, with its name, the scope it needs, its argument
 * record with validation, the {@code engine.Engine} call it makes and the view of its result; REST routes and MCP
 * tools are thin bindings of these entries, so the two cannot drift. Beside the table: the one mapping from failures
 * to error codes and statuses, the one list query with its opaque cursor, strict JSON argument parsing, the
 * bearer-token check, and the one progress/event stream helper both gateways use to report progress.
 *
 * <p>Layer 10, below the gateways. May import: {@code engine}, {@code model}, {@code config}, {@code runtime};
 * Jackson, Pekko. Never {@code http}, {@code mcp}, a job, {@code database}, {@code repository} or {@code rocks}.
 */
package dev.meridian.backup.operation;
