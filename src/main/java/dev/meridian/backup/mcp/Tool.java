package dev.meridian.backup.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.meridian.backup.config.Settings.Scope;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.Json;
import dev.meridian.backup.model.ProgressUpdate;
import dev.meridian.backup.operation.Failures;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * One MCP tool: what tools/list shows (title, description, schemas, hints) and what tools/call runs. The input
 * schema is generated from {@code params}, and the same declarations validate the arguments, so they cannot drift.
 *
 * @param scope             the bearer-token scope a call needs over HTTP
 * @param progressOperation the engine operation whose bytes are reported as progress ("backup", "restore",
 *                          "verify"; "delete" reports none, but may wait in a queue, so its calls get heartbeats),
 *                          or null for quick tools that send no notifications
 */
record Tool(String name, String title, String description, List<Param> params, ObjectNode outputSchema,
        boolean readOnly, boolean destructive, boolean idempotent, Scope scope, String progressOperation, Handler handler) {

    Tool {
        params = List.copyOf(params);
    }

    /** A declared argument: JSON type, whether required, and its schema (type, description, constraints). */
    record Param(String name, Type type, boolean required, ObjectNode schema) {
        enum Type {
            STRING("a string"), INTEGER("an integer"), BOOLEAN("true or false"), STRING_LIST("an array of strings"),
            /** A label that is often a number (schema_version 7): a JSON string, or an integer taken as its decimal text. */
            STRING_OR_INTEGER("a string or an integer");

            final String expected;

            Type(String expected) {
                this.expected = expected;
            }
        }
    }

    /** What a handler gets besides its arguments: the engine request id (for cancel) and where progress goes. */
    record Context(String requestId, ActorRef<ProgressUpdate> progress, CallNotifier notifier) {}

    @FunctionalInterface
    interface Handler {
        CompletionStage<Result> call(ToolArguments args, Context context);
    }

    /**
     * A tools/call result. Success carries {@code structured} (also sent as JSON text); failures carry a message an
     * agent can act on, and structured content only when it still matches the output schema (a failed verify).
     * {@code inputRequired}, when not null, is a whole 2026-07-28 InputRequiredResult ({@code resultType},
     * {@code inputRequests}, {@code requestState}) sent instead of a CallToolResult: the call did nothing yet and is
     * to be retried with the answers (basic/patterns/mrtr).
     */
    record Result(JsonNode structured, boolean isError, String message, ObjectNode inputRequired) {
        Result(JsonNode structured, boolean isError, String message) {
            this(structured, isError, message, null);
        }

        static Result inputRequired(ObjectNode result) {
            return new Result(null, false, null, result);
        }

        static Result ok(Object value) {
            return new Result(Json.MAPPER.valueToTree(value), false, null);
        }

        static Result failure(BackupException e) {
            return new Result(null, true, Failures.toolMessage(e));
        }

        /** The result as the session's protocol revision defines it: structuredContent only from 2025-06-18 on. */
        ObjectNode toJson(String protocolVersion) {
            if (inputRequired != null) {
                return inputRequired.deepCopy();
            }
            ObjectNode r = JsonRpc.NODES.objectNode();
            ArrayNode content = r.putArray("content");
            if (message != null) {
                content.addObject().put("type", "text").put("text", message);
            }
            if (structured != null) {
                content.addObject().put("type", "text").put("text", JsonRpc.write(structured));
                if (McpServer.hasStructuredOutput(protocolVersion)) {
                    r.set("structuredContent", structured);
                }
            }
            r.put("isError", isError);
            return r;
        }
    }

    /**
     * The tools/list entry under the given name, with only the fields the session's revision defines: title and
     * outputSchema from 2025-06-18 on, annotations from 2025-03-26 on.
     */
    ObjectNode definition(String wireName, String protocolVersion) {
        ObjectNode d = JsonRpc.NODES.objectNode();
        d.put("name", wireName);
        if (McpServer.hasStructuredOutput(protocolVersion)) {
            d.put("title", title);
        }
        d.put("description", description);
        ObjectNode input = d.putObject("inputSchema");
        input.put("type", "object");
        ObjectNode props = input.putObject("properties");
        ArrayNode required = JsonRpc.NODES.arrayNode();
        for (Param p : params) {
            props.set(p.name(), p.schema());
            if (p.required()) {
                required.add(p.name());
            }
        }
        if (!required.isEmpty()) {
            input.set("required", required);
        }
        input.put("additionalProperties", false);
        if (McpServer.hasStructuredOutput(protocolVersion)) {
            d.set("outputSchema", outputSchema);
        }
        if (!McpServer.hasAnnotations(protocolVersion)) {
            return d;
        }
        ObjectNode a = d.putObject("annotations");
        a.put("title", title);
        a.put("readOnlyHint", readOnly);
        a.put("destructiveHint", destructive);
        a.put("idempotentHint", idempotent);
        a.put("openWorldHint", false);
        return d;
    }
}
