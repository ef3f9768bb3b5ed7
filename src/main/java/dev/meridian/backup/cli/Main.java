package dev.meridian.backup.cli;

import dev.meridian.backup.model.BackupException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "meridian-backup", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "meridian-backup 0.1.0",
        description = "Backup and restore for RocksDB: content-addressed, Blake3-checked, deduplicated.",
        footer = {"", "Exit codes: 0 ok, 1 failure, 2 usage or invalid input, 3 verification failed."})
public final class Main {
    /**
     * Each verb's name and class, in help order. The classes are named, not referenced, and only the invoked verb's
     * class is loaded: picocli reflects over every subcommand it is given, and serve, mcp and bench reach the engine
     * (Pekko, RocksDB, hashing), which a client verb must not load (it has to answer in well under a second).
     */
    static final Map<String, String> VERBS = verbs("serve", "ServeCommand", "create", "CreateCommand", "list", "ListCommand",
            "show", "ShowCommand", "verify", "VerifyCommand", "restore", "RestoreCommand", "delete", "DeleteCommand",
            "stats", "StatsCommand", "retention", "RetentionCommand", "bench", "BenchCommand", "mcp", "McpCommand",
            "unlock", "UnlockCommand", "init", "InitCommand", "key", "KeyCommand", "copy", "CopyCommand");

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        CommandLine cl = commandLine(args);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            Throwable t = cause(e);
            if (t instanceof CliException ce) {
                cmd.getErr().println("error: " + ce.getMessage());
                return ce.exitCode();
            }
            if (t instanceof BackupException be) {
                cmd.getErr().println("error: " + be.getMessage());
                return CliException.exitCodeFor(be.code().wireName());
            }
            cmd.getErr().println("error: " + (t.getMessage() == null ? t.toString() : t.getMessage()));
            return CliException.FAILURE;
        });
        return cl.execute(args);
    }

    /**
     * The command line for {@code args}: with only the named verb when the first argument names one, with no verb for
     * --version, and with every verb otherwise (top-level help, and suggestions for a mistyped verb).
     */
    static CommandLine commandLine(String... args) {
        CommandLine cl = new CommandLine(new Main());
        String first = args.length == 0 ? "" : args[0];
        if (VERBS.containsKey(first)) {
            cl.addSubcommand(verbClass(first));
        } else if (!(args.length == 1 && (first.equals("-V") || first.equals("--version")))) {
            VERBS.keySet().forEach(v -> cl.addSubcommand(verbClass(v)));
        }
        return cl;
    }

    private static Class<?> verbClass(String verb) {
        try {
            return Class.forName(Main.class.getPackageName() + "." + VERBS.get(verb), false, Main.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("verb class missing for " + verb, e);
        }
    }

    private static Map<String, String> verbs(String... nameThenClass) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < nameThenClass.length; i += 2) {
            m.put(nameThenClass[i], nameThenClass[i + 1]);
        }
        return m;
    }

    /** Unwraps the layers futures add (as runtime.Blocking.cause does, without loading the engine's classes). */
    private static Throwable cause(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }
}
