/**
 * The MCP gateway. {@code McpServer} is the protocol without transport (initialize, ping, tools/list, tools/call,
 * logging/setLevel); {@code JsonRpc} frames its messages; {@code McpHttpRoute} carries it over Streamable HTTP at
 * {@code /mcp} with {@code McpSessions}, and {@code McpStdio} over stdin/stdout. {@code BackupTools} declares the
 * tools, each a {@code Tool} bound to an entry of the operation table, with its input schema generated from the same
 * declarations that check the {@code ToolArguments}; {@code CallNotifier} sends a call's progress and log
 * notifications. {@code DestructivePolicy} decides what destructive calls do ({@code meridian.mcp.destructive},
 * read-only): it plans them ({@code DestructivePlan}), confirms them by {@code ConfirmationTokens} or by an
 * elicitation/create request that {@code ClientRequests} sends and matches with the client's answer.
 *
 * <p>Layer 10 (gateways). May import: {@code operation}, {@code engine}, {@code model}, {@code config},
 * {@code runtime}; Pekko, pekko-http, Jackson. Never {@code http}, a job, {@code database}, {@code repository} or
 * {@code rocks}.
 */
package dev.meridian.backup.mcp;
