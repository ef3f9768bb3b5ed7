package dev.meridian.backup.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.meridian.backup.config.Settings;
import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import dev.meridian.backup.model.DatabaseStatus;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.IecSize;
import dev.meridian.backup.operation.Failures;
import dev.meridian.backup.runtime.Blocking;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server-side policy for destructive MCP tools ({@code meridian.mcp.destructive}, {@code meridian.mcp.read-only};
 * docs/mcp.md, "Destructive tools ask first"). Destructive calls: {@code backup.restore} into a configured database
 * (without a target: over the live database the backup came from), {@code backup.delete}, and
 * {@code backup.create_scheduled} (its retention deletes backups). A restore into a new directory is not destructive.
 * <ul>
 *   <li>{@code allow}: they run at once.</li>
 *   <li>{@code confirm} (default): the first call changes nothing and returns a {@link DestructivePlan}. It runs only
 *   once confirmed, by a form the client answers with action {@code accept} and {@code confirm: true}, asked when the
 *   client declared the {@code elicitation} capability:
 *   <ul>
 *     <li>MCP 2026-07-28 (stateless): an {@code input_required} result whose {@code inputRequests} hold that form
 *     under the key {@value #INPUT_KEY} and whose {@code requestState} is a one-time token bound to the plan; the
 *     client retries the same call with the answer in {@code inputResponses} and the state echoed
 *     (basic/patterns/mrtr);</li>
 *     <li>MCP 2025-11-25 sessions: an {@code elicitation/create} request sent while the call is open, when the
 *     call's answer can carry one (an SSE response, or stdio; client/elicitation);</li>
 *   </ul>
 *   or else, in every revision, by calling again with the plan's one-time token in the {@code confirmation} argument
 *   ({@link ConfirmationTokens}). The plan is recomputed at confirmation, and a token or state is accepted only once
 *   and only for that same plan.</li>
 *   <li>{@code deny}: the destructive tools are not listed, and calls to them are refused.</li>
 * </ul>
 * With {@code read-only = true} only the read tools are listed and run: {@code backup.list}, {@code backup.get_stats}
 * and {@code backup.verify} (verify reads the repository back; it only records its outcome in the backup's
 * {@code verified} flag and changes no backup or database).
 *
 * <p>An elicitation answer is relayed by the client; it is not proof that a person agreed. Bearer-token scopes and
 * this policy stay authoritative: a confirmation never widens what the caller's token allows.
 */
final class DestructivePolicy {
    private static final Logger log = LoggerFactory.getLogger(DestructivePolicy.class);
    /** The argument that carries a plan's token back. */
    static final String CONFIRMATION = "confirmation";
    /** The boolean field of the elicitation form that confirms the plan. */
    static final String CONFIRM_FIELD = "confirm";
    static final String STATUS_CONFIRMATION_REQUIRED = "confirmation_required";
    /** The key of the confirmation form in an input_required result's inputRequests (and of its answer). */
    static final String INPUT_KEY = "confirm";
    /** Where an input_required result carries the plan itself, for clients that show more than the message. */
    static final String PLAN_META = "dev.meridian.backup/plan";

    private final Engine engine;
    private final McpSettings settings;
    private final ConfirmationTokens tokens;
    private final Clock clock;

    DestructivePolicy(Engine engine, McpSettings settings) {
        this(engine, settings, Clock.systemUTC());
    }

    DestructivePolicy(Engine engine, McpSettings settings, Clock clock) {
        this.engine = engine;
        this.settings = settings;
        this.clock = clock;
        this.tokens = new ConfirmationTokens(settings.confirmationTtl(), clock);
    }

    McpSettings.Destructive mode() {
        return settings.destructive();
    }

    /** Whether tools/list shows the tool (and tools/call runs it). */
    boolean listed(Tool t) {
        if (settings.readOnly()) {
            return t.readOnly();
        }
        return !(t.destructive() && settings.destructive() == McpSettings.Destructive.DENY);
    }

    /**
     * Why a call of {@code t} is refused: a {@link ErrorCode#FORBIDDEN} error naming the setting that hides the tool,
     * or null when the policy lists it. Callers answer it before they look at the arguments, so that a hidden tool's
     * parameters are not revealed by argument errors.
     */
    BackupException refusal(Tool t, String wireName) {
        if (listed(t)) {
            return null;
        }
        String why = settings.readOnly()
                ? "this server is read-only for MCP (meridian.mcp.read-only = true): only backup_list, backup_get_stats "
                        + "and backup_verify are offered"
                : "destructive MCP tools are turned off on this server (meridian.mcp.destructive = deny)";
        return new BackupException(ErrorCode.FORBIDDEN, wireName + " is not available: " + why
                + ". Nothing was changed. Ask an operator to use the REST API or the CLI, which keep their own scopes "
                + "and confirmation, or to change the setting.");
    }

    /** The tool with a handler that refuses every call when the policy hides it; otherwise the tool unchanged. */
    Tool gate(Tool t, String wireName) {
        BackupException refused = refusal(t, wireName);
        if (refused == null) {
            return t;
        }
        return new Tool(t.name(), t.title(), t.description(), t.params(), t.outputSchema(), t.readOnly(), t.destructive(),
                t.idempotent(), t.scope(), t.progressOperation(),
                (args, ctx) -> CompletableFuture.completedFuture(Tool.Result.failure(refused)));
    }

    /** What a destructive tool's description adds under {@code confirm}; empty otherwise. */
    String descriptionNote() {
        if (settings.destructive() != McpSettings.Destructive.CONFIRM) {
            return "";
        }
        return " On this server (meridian.mcp.destructive = confirm) a call that would replace a database or delete "
                + "backups first changes nothing and returns a plan (status confirmation_required). It is carried out "
                + "only once confirmed: the client asks the user through elicitation when it supports it; otherwise, "
                + "after the user approves the plan, call again with the same arguments and 'confirmation' set to the "
                + "plan's confirmation.token.";
    }

    /** The {@code confirmation} argument a destructive tool takes under {@code confirm}; none otherwise. */
    List<Tool.Param> confirmationParam(String wireName) {
        if (settings.destructive() != McpSettings.Destructive.CONFIRM) {
            return List.of();
        }
        ObjectNode s = ToolSchemas.string("Leave out on the first call: it then changes nothing and returns a plan "
                + "(status confirmation_required). After a person has approved that plan, call again with the same "
                + "arguments and this set to the plan's confirmation.token. One use, valid for "
                + settings.confirmationTtl().toSeconds() + " s, only for that exact plan.");
        return List.of(new Tool.Param(CONFIRMATION, Tool.Param.Type.STRING, false, s));
    }

    /** Under {@code confirm}, a destructive tool's output schema also admits a plan; otherwise it is unchanged. */
    ObjectNode outputSchema(ObjectNode result) {
        if (settings.destructive() != McpSettings.Destructive.CONFIRM) {
            return result;
        }
        ObjectNode plan = ToolSchemas.props();
        plan.set("status", ToolSchemas.string("confirmation_required: nothing was done yet.").put("const",
                STATUS_CONFIRMATION_REQUIRED));
        plan.set("plan", ToolSchemas.type("object", "What the call would replace or delete, the safety backup it "
                + "would take, and the bytes involved."));
        ObjectNode confirmation = ToolSchemas.props();
        confirmation.set("token", ToolSchemas.string("Pass back as the 'confirmation' argument to carry out this plan."));
        confirmation.set("expires_at", ToolSchemas.timestamp("When the token stops being accepted (UTC)."));
        confirmation.set("how", ToolSchemas.string("How to confirm, in words."));
        plan.set("confirmation", ToolSchemas.object(confirmation, "token", "expires_at"));
        ObjectNode s = JsonRpc.NODES.objectNode().put("type", "object");
        s.putArray("anyOf").add(result).add(ToolSchemas.object(plan, "status", "plan", "confirmation"));
        return s;
    }

    /**
     * Whether answering this tools/call may send an {@code elicitation/create} request to the client first, so the
     * HTTP transport answers it with an SSE stream: a 2025-11-25 session's destructive tool under {@code confirm},
     * and a client that declared elicitation (also when the call carries a token, which is then refused because the
     * client can be asked).
     */
    boolean mayElicit(McpSession s, Tool t, JsonNode callParams) {
        return !stateless(s) && t.destructive() && settings.destructive() == McpSettings.Destructive.CONFIRM && !settings.readOnly()
                && elicits(s);
    }

    /**
     * Whether a call's answer is a plan or a question that changes nothing: {@code confirm}, a destructive tool, and
     * neither a {@code confirmation} argument nor (2026-07-28) a {@code requestState} with an accepting answer; for a
     * restore, a target that is a configured database (none: the live database it came from). Such a call is
     * answered at once, never as a task ({@link McpTasks}), so a task never waits for input.
     */
    boolean asksFirst(McpSession s, Tool t, ToolArguments args) {
        if (!(t.destructive() && settings.destructive() == McpSettings.Destructive.CONFIRM && !settings.readOnly())
                || args.string(CONFIRMATION) != null || s.requestState() != null && accepted(answer(s))) {
            return false;
        }
        if (!t.name().equals(BackupTools.RESTORE)) {
            return true;
        }
        String target = args.string("target_path") != null ? args.string("target_path") : args.string("target");
        if (target == null) {
            return true;
        }
        try {
            return intoDatabase(engine.backup(BackupId.parse(args.string("backup_id"))).database(), target) != null;
        } catch (RuntimeException e) {
            return false; // an unknown backup: the call fails with not_found, as a task or not
        }
    }

    private static boolean stateless(McpSession s) {
        return McpStateless.REVISION.equals(s.protocolVersion());
    }

    /** The stateless retry's answer to the confirmation form, or null. */
    private static JsonNode answer(McpSession s) {
        JsonNode responses = s.inputResponses();
        return responses == null ? null : responses.get(INPUT_KEY);
    }

    /** The client declared form elicitation at initialize ({@code {}} or {@code {"form": {}}}; 2025-11-25). */
    static boolean elicits(McpSession s) {
        JsonNode e = s.clientCapabilities().get("elicitation");
        return e != null && e.isObject() && (e.isEmpty() || e.has("form"));
    }

    /**
     * Runs a destructive tool's call under the policy.
     *
     * @param tool    the dotted tool name
     * @param args    the call's arguments (its {@code confirmation}, if any, is read here)
     * @param plan    computes the plan from the arguments and the current state, changing nothing; empty when this
     *                call is not destructive (a restore into a new directory)
     * @param act     carries the call out; it gets the confirmed plan, or null when none was needed
     */
    CompletionStage<Tool.Result> run(String tool, ToolArguments args, Tool.Context ctx,
            Supplier<CompletionStage<Optional<DestructivePlan>>> plan, Function<DestructivePlan, CompletionStage<Tool.Result>> act) {
        if (settings.destructive() == McpSettings.Destructive.ALLOW) {
            return act.apply(null);
        }
        String wire = settings.toolNameStyle().apply(tool);
        String token = args.string(CONFIRMATION);
        McpSession session = ctx.notifier().session();
        String principal = session.principal();
        return guarded(plan).thenCompose(p -> {
            if (p.isEmpty()) {
                return act.apply(null);
            }
            DestructivePlan planned = p.get();
            Outbox out = ctx.notifier().outbox();
            boolean asksUser = stateless(session) ? elicits(session) : elicits(session) && out != null;
            if (token != null && (session.requestState() != null || session.inputResponses() != null)) {
                throw new BackupException(ErrorCode.INVALID_ARGUMENT, wire + " got both a 'confirmation' token and an "
                        + "input_required retry (requestState/inputResponses); send one or the other. Nothing was changed.");
            }
            if (token != null && asksUser) {
                throw new BackupException(ErrorCode.FORBIDDEN, wire + " is confirmed through the form this client shows "
                        + "its user (it declared elicitation), not by a token. Nothing was changed; call again without "
                        + "'confirmation' to be asked.");
            }
            if (token != null) {
                tokens.redeem(token, planned.binding(principal));
                log.info("MCP {} confirmed by token (database {}, backups {}, caller {})", wire, planned.database(),
                        planned.backupIds(), principal == null ? "-" : principal);
                return act.apply(planned);
            }
            if (stateless(session)) {
                return inputRequired(wire, planned, session, act);
            }
            if (asksUser) {
                return elicit(wire, planned, ctx, session, out, plan, act);
            }
            return CompletableFuture.completedFuture(planResult(wire, planned, principal));
        }).exceptionally(err -> Tool.Result.failure(Failures.of(err, wire)));
    }

    private CompletionStage<Tool.Result> elicit(String wire, DestructivePlan planned, Tool.Context ctx, McpSession session,
            Outbox out, Supplier<CompletionStage<Optional<DestructivePlan>>> plan,
            Function<DestructivePlan, CompletionStage<Tool.Result>> act) {
        return session.clientRequests().send(out, "elicitation/create", elicitation(wire, planned), settings.confirmationTtl())
                .handle((answer, err) -> {
                    if (err != null) {
                        Throwable c = Blocking.cause(err);
                        String why = c instanceof TimeoutException
                                ? "the client did not answer within " + settings.confirmationTtl().toSeconds() + " s"
                                : "the client answered with an error: " + c.getMessage();
                        throw new BackupException(ErrorCode.UNAVAILABLE, wire + " needs confirmation, and asking through "
                                + "elicitation/create failed: " + why + ". Nothing was changed; call again to be asked again.");
                    }
                    return answer;
                })
                .thenCompose(answer -> {
                    if (session.cancelled(ctx.requestId())) {
                        throw new BackupException(ErrorCode.CONFLICT, wire + " was cancelled while awaiting confirmation; nothing was changed");
                    }
                    if (!accepted(answer)) {
                        return CompletableFuture.completedFuture(notConfirmed(wire, answer, planned));
                    }
                    log.info("MCP {} confirmed through elicitation (database {}, backups {}); the answer is the client's, "
                            + "not proof that a person agreed", wire, planned.database(), planned.backupIds());
                    // The state may have changed while the question was open: act only if the plan still holds.
                    return guarded(plan).thenCompose(now -> {
                        if (now.isEmpty() || !now.get().binding(null).equals(planned.binding(null))) {
                            throw new BackupException(ErrorCode.CONFLICT, wire + " was confirmed, but what it would do "
                                    + "changed while the question was open (a backup was added or deleted); nothing was "
                                    + "changed. Call again for a new plan.");
                        }
                        return act.apply(now.get());
                    });
                });
    }

    /**
     * MCP 2026-07-28 (basic/patterns/mrtr): without an answer to the confirmation form, the answer is an
     * input_required result asking it (or, for a client that did not declare elicitation, the plan with its token);
     * with one, its requestState is redeemed for the plan as it is now, and the call acts only on an accepting
     * answer. A retry without the form's answer is asked again (spec, Error Handling), and unknown answers are ignored.
     */
    private CompletionStage<Tool.Result> inputRequired(String wire, DestructivePlan planned, McpSession session,
            Function<DestructivePlan, CompletionStage<Tool.Result>> act) {
        String principal = session.principal();
        JsonNode answer = answer(session);
        if (session.requestState() == null || answer == null) {
            return CompletableFuture.completedFuture(elicits(session) ? inputRequiredResult(wire, planned, principal)
                    : planResult(wire, planned, principal));
        }
        if (!accepted(answer)) {
            return CompletableFuture.completedFuture(notConfirmed(wire, answer, planned));
        }
        tokens.redeem(session.requestState(), planned.binding(principal), ConfirmationTokens.Use.REQUEST_STATE);
        log.info("MCP {} confirmed through an input_required elicitation (database {}, backups {}, caller {}); the "
                + "answer is the client's, not proof that a person agreed", wire, planned.database(), planned.backupIds(),
                principal == null ? "-" : principal);
        return act.apply(planned);
    }

    /** The InputRequiredResult that asks to confirm {@code plan}; its requestState is a one-time token for it. */
    private Tool.Result inputRequiredResult(String wire, DestructivePlan plan, String principal) {
        ConfirmationTokens.Minted state = tokens.mint(plan.binding(principal), ConfirmationTokens.Use.REQUEST_STATE);
        ObjectNode r = JsonRpc.NODES.objectNode();
        r.put("resultType", "input_required");
        ObjectNode ask = r.putObject("inputRequests").putObject(INPUT_KEY);
        ask.put("method", "elicitation/create");
        ask.set("params", elicitation(wire, plan));
        r.put("requestState", state.token());
        r.putObject("_meta").set(PLAN_META, plan.details());
        return Tool.Result.inputRequired(r);
    }

    private static Tool.Result notConfirmed(String wire, JsonNode answer, DestructivePlan planned) {
        String action = answer.path("action").asText("?");
        log.info("MCP {} not confirmed through elicitation (action {}); nothing changed", wire, action);
        return Tool.Result.failure(new BackupException(ErrorCode.FORBIDDEN, wire + " was not confirmed (the elicitation "
                + "answer was '" + action + "'" + (action.equals("accept") ? " without " + CONFIRM_FIELD + " = true" : "")
                + "), so nothing was changed: " + planned.summary()));
    }

    /**
     * Checks a stateless retry's requestState before anything runs: minted here, unaltered, unexpired, and handed out
     * as a requestState ({@link ConfirmationTokens#verify}).
     *
     * @throws BackupException {@link ErrorCode#FORBIDDEN} naming the failed check
     */
    void checkRequestState(String state, String toolWireName) {
        tokens.verify(state, ConfirmationTokens.Use.REQUEST_STATE, toolWireName);
    }

    private static CompletionStage<Optional<DestructivePlan>> guarded(Supplier<CompletionStage<Optional<DestructivePlan>>> plan) {
        try {
            return plan.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * The form that asks a person to confirm {@code plan}: {@code {"mode": "form", "message": <summary>,
     * "requestedSchema": {"type": "object", "properties": {"confirm": {"type": "boolean", ...}}, "required":
     * ["confirm"]}}}: the params of a 2025-11-25 {@code elicitation/create} request, and of the one a 2026-07-28
     * {@code input_required} result carries (client/elicitation, Form Mode).
     */
    ObjectNode elicitation(String wireName, DestructivePlan plan) {
        ObjectNode p = JsonRpc.NODES.objectNode();
        p.put("mode", "form");
        p.put("message", "Confirm " + wireName + ": " + plan.summary());
        ObjectNode schema = p.putObject("requestedSchema");
        schema.put("type", "object");
        schema.putObject("properties").putObject(CONFIRM_FIELD).put("type", "boolean")
                .put("title", "Carry out this plan").put("description", "true to " + plan.action().replace('_', ' ')
                        + " as described; nothing changes otherwise").put("default", false);
        schema.putArray("required").add(CONFIRM_FIELD);
        return p;
    }

    /** An elicitation result confirms only as {@code {"action": "accept", "content": {"confirm": true}}}. */
    static boolean accepted(JsonNode elicitResult) {
        return elicitResult != null && "accept".equals(elicitResult.path("action").asText())
                && elicitResult.path("content").path(CONFIRM_FIELD).isBoolean()
                && elicitResult.path("content").path(CONFIRM_FIELD).asBoolean();
    }

    /** The result of a first call under {@code confirm}: the plan, a token, and how to confirm. Nothing was done. */
    Tool.Result planResult(String wireName, DestructivePlan plan, String principal) {
        ConfirmationTokens.Minted minted = tokens.mint(plan.binding(principal));
        ObjectNode r = JsonRpc.NODES.objectNode();
        r.put("status", STATUS_CONFIRMATION_REQUIRED);
        r.set("plan", plan.details());
        ObjectNode c = r.putObject("confirmation");
        c.put("token", minted.token());
        c.put("expires_at", minted.expiresAt().truncatedTo(ChronoUnit.SECONDS).toString());
        String how = "Show this plan to the user. Only if they approve, call " + wireName + " again with the same "
                + "arguments plus \"" + CONFIRMATION + "\": \"<token>\" before " + c.path("expires_at").asText()
                + ". The token works once and only for this plan.";
        c.put("how", how);
        String text = "NOT DONE YET: " + wireName + " needs confirmation (meridian.mcp.destructive = confirm); nothing "
                + "was changed. Plan: " + plan.summary() + " " + how;
        return new Tool.Result(r, false, text);
    }

    // ---- plans: each reads the catalog and the live databases, and changes nothing ----

    /**
     * A restore's plan, or empty when {@code target} is a new directory (not destructive; the engine checks it).
     * Digest: the backup's manifest hash, the database replaced, the target and create_safety_backup.
     */
    CompletionStage<Optional<DestructivePlan>> planRestore(BackupId id, String target, boolean safetyBackup) {
        BackupSummary b = engine.backup(id);
        String db = intoDatabase(b.database(), target);
        if (db == null) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return engine.readManifest(id).thenCombine(engine.databases(), (m, statuses) -> {
            DatabaseStatus live = statuses.stream().filter(x -> x.name().equals(db)).findFirst().orElse(null);
            long liveBytes = live == null || live.liveSstBytes() == null ? 0 : live.liveSstBytes();
            String action = db.equals(b.database()) ? "restore_in_place" : "replace_database";
            ObjectNode d = JsonRpc.NODES.objectNode();
            d.put("action", action);
            d.put("database", db);
            ObjectNode replaces = d.putObject("replaces");
            replaces.put("database", db);
            replaces.put("path", engine.settings().database(db).map(x -> x.path().toString()).orElse(null));
            replaces.put("live_sst_bytes", liveBytes);
            if (live != null && live.sequenceNumber() != null) {
                replaces.put("sequence_number", live.sequenceNumber());
            }
            replaces.put("lost", "every write to " + db + " not in backup " + id + ", including writes made after this plan");
            ObjectNode restores = d.putObject("restores");
            restores.put("backup_id", id.value());
            restores.put("database", b.database());
            restores.put("type", b.type().wireName());
            restores.put("created_at", b.createdAt().toString());
            restores.put("file_count", b.fileCount());
            restores.put("bytes", b.sizeBytes());
            restores.put("manifest_hash", m.manifestHash());
            ObjectNode safety = d.putObject("safety_backup");
            safety.put("taken", safetyBackup);
            if (safetyBackup) {
                safety.put("database", db);
                safety.put("type", BackupType.MANUAL.wireName());
                safety.putArray("tags").add("safety");
                safety.put("estimated_bytes", liveBytes);
                safety.put("note", "a backup of " + db + " as it is just before the swap; its id is returned as "
                        + "safety_backup_id, and restoring it undoes this restore");
            } else {
                safety.put("note", "create_safety_backup is false: the current state of " + db + " is not kept");
            }
            long bytes = b.sizeBytes() + (safetyBackup ? liveBytes : 0);
            d.put("bytes", bytes);
            d.put("file_count", b.fileCount());
            String summary = "replace the live database " + db + " (" + IecSize.format(liveBytes) + " of SST files now) with "
                    + "backup " + id + described(b) + " of " + b.database() + " taken " + b.createdAt() + " (" + b.fileCount()
                    + " files, " + IecSize.format(b.sizeBytes()) + "); " + (safetyBackup ? "a safety backup of the current "
                    + db + " (about " + IecSize.format(liveBytes) + ") is taken first, so it can be undone"
                    : "NO safety backup is taken, so it cannot be undone")
                    + ". Writes to " + db + " that are not in the backup are lost.";
            String digest = digest("restore", db, id.value(), m.manifestHash(), String.valueOf(target), String.valueOf(safetyBackup));
            return Optional.of(new DestructivePlan(BackupTools.RESTORE, action, db, List.of(id.value()), target, digest,
                    bytes, d, summary));
        });
    }

    /** A delete's plan. Digest: the backup's manifest hash. */
    CompletionStage<Optional<DestructivePlan>> planDelete(BackupId id) {
        BackupSummary b = engine.backup(id);
        return engine.readManifest(id).thenApply(m -> {
            int remaining = engine.backupsOf(b.database()).size() - 1;
            ObjectNode d = JsonRpc.NODES.objectNode();
            d.put("action", "delete_backup");
            d.put("database", b.database());
            d.putArray("deletes").add(backupView(b));
            d.put("remaining_backups", remaining);
            d.put("bytes", b.sizeBytes());
            d.put("file_count", b.fileCount());
            d.put("note", "permanent; storage only this backup uses is reclaimed later, files shared with other backups stay");
            String summary = "permanently delete backup " + id + described(b) + " of " + b.database() + " ("
                    + b.type().wireName() + ", taken " + b.createdAt() + ", " + b.fileCount() + " files, "
                    + IecSize.format(b.sizeBytes()) + "); "
                    + remaining + " backup(s) of " + b.database() + " remain.";
            return Optional.of(new DestructivePlan(BackupTools.DELETE, "delete_backup", b.database(), List.of(id.value()), null,
                    digest("delete", id.value(), m.manifestHash()), b.sizeBytes(), d, summary));
        });
    }

    /**
     * A scheduled backup's plan: the backups its retention would delete, predicted by applying the database's
     * policies to its backups plus a scheduled backup taken now. Digest: the database's whole backup set (ids and
     * types), so a plan made before any backup was added or deleted is refused. A confirmed call applies retention
     * only if it deletes no backup beyond these ({@link #unplanned}).
     */
    CompletionStage<Optional<DestructivePlan>> planScheduled(String database) {
        String db = engine.databaseOrOnly(database);
        Settings.DatabaseSettings ds = engine.settings().database(db).orElseThrow();
        List<BackupSummary> backups = engine.backupsOf(db);
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        BackupSummary next = new BackupSummary(BackupId.generate(now, new SplittableRandom()), db, BackupType.SCHEDULED, "",
                List.of(), now, now, 0, 0, 0, 0, 0, 0, null, null, null);
        List<BackupSummary> deleted = new ArrayList<>();
        for (BackupType type : BackupType.values()) {
            List<BackupSummary> ofType = new ArrayList<>(backups.stream().filter(x -> x.type() == type).toList());
            if (type == BackupType.SCHEDULED) {
                ofType.add(next);
            }
            Map<BackupId, List<String>> kept = ds.policyFor(type).reasons(ofType, now);
            ofType.stream().filter(x -> x != next && !kept.containsKey(x.backupId())).forEach(deleted::add);
        }
        deleted.sort((x, y) -> x.backupId().compareTo(y.backupId()));
        ObjectNode d = JsonRpc.NODES.objectNode();
        d.put("action", "scheduled_backup_and_retention");
        d.put("database", db);
        d.putObject("creates").put("database", db).put("type", BackupType.SCHEDULED.wireName());
        ArrayNode del = d.putArray("deletes");
        deleted.forEach(x -> del.add(backupView(x)));
        d.put("kept_backups", backups.size() - deleted.size() + 1);
        long bytes = deleted.stream().mapToLong(BackupSummary::sizeBytes).sum();
        d.put("bytes", bytes);
        d.put("file_count", deleted.stream().mapToInt(BackupSummary::fileCount).sum());
        d.put("note", "deletions predicted as if the new backup were taken now; retention is applied only if it deletes "
                + "no backup beyond these, else the new backup is kept and retention is left to the scheduler");
        String summary = "take a scheduled backup of " + db + ", then apply its retention policy, which would "
                + (deleted.isEmpty() ? "delete no backup" : "permanently delete " + deleted.size() + " backup(s) ("
                + deleted.stream().map(x -> x.backupId().value()).collect(Collectors.joining(", ")) + "; " + IecSize.format(bytes) + ")")
                + ".";
        List<String> ids = deleted.stream().map(x -> x.backupId().value()).toList();
        String set = backups.stream().map(x -> x.backupId().value() + ":" + x.type().wireName()).sorted()
                .collect(Collectors.joining(","));
        return CompletableFuture.completedFuture(Optional.of(new DestructivePlan(BackupTools.CREATE_SCHEDULED,
                "scheduled_backup_and_retention", db, ids, null, digest("scheduled", db, set), bytes, d, summary)));
    }

    /** The backups a retention run would delete that a confirmed plan did not list (empty: apply it). */
    static List<BackupId> unplanned(DestructivePlan plan, List<BackupId> wouldDelete) {
        return wouldDelete.stream().filter(id -> !plan.backupIds().contains(id.value())).toList();
    }

    /** " ("nightly before upgrade")" for a backup with a description, else nothing. */
    private static String described(BackupSummary b) {
        return b.description() == null || b.description().isBlank() ? ""
                : " (\"" + dev.meridian.backup.model.Validation.printable(b.description()) + "\")";
    }

    private static ObjectNode backupView(BackupSummary b) {
        ObjectNode o = JsonRpc.NODES.objectNode();
        o.put("backup_id", b.backupId().value());
        o.put("type", b.type().wireName());
        o.put("created_at", b.createdAt().toString());
        o.put("file_count", b.fileCount());
        o.put("bytes", b.sizeBytes());
        o.put("stored_bytes", b.storedBytes());
        return o;
    }

    /** The configured database a restore target replaces, or null for a directory (as the engine resolves it). */
    private String intoDatabase(String backupDatabase, String target) {
        return engine.databaseReplacedBy(backupDatabase, target).orElse(null);
    }

    private static String digest(String... parts) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : parts) {
                sha.update(part.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }
}
