package dev.meridian.backup.server;

import dev.meridian.backup.config.Settings;
import dev.meridian.backup.engine.Engine;
import dev.meridian.backup.engine.EngineWarmup;
import dev.meridian.backup.engine.Guardian;
import dev.meridian.backup.engine.StartupRecovery;
import dev.meridian.backup.http.HttpServer;
import dev.meridian.backup.http.OriginPolicy;
import dev.meridian.backup.mcp.McpHttpRoute;
import dev.meridian.backup.mcp.McpSettings;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.repository.FileFingerprints;
import dev.meridian.backup.repository.IoThrottle;
import dev.meridian.backup.repository.JobJournal;
import dev.meridian.backup.repository.Repository;
import dev.meridian.backup.repository.RepositoryLock;
import dev.meridian.backup.repository.StateDirectory;
import dev.meridian.backup.repository.seal.Password;
import dev.meridian.backup.runtime.Blocking;
import dev.meridian.backup.runtime.JobContext;
import dev.meridian.backup.runtime.Metrics;
import dev.meridian.backup.store.s3.S3BlobStore;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the whole service in this JVM: opens the repository (taking its lock, sweeping tmp/), recovers
 * interrupted work, starts the actor system and, unless told not to, the HTTP gateway. Shutdown goes through
 * CoordinatedShutdown: unbind HTTP, let databases finish what runs and close, release the repository.
 */
public final class Server implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Server.class);

    private final ActorSystem<Void> system;
    private final Engine engine;
    private final ServerBinding binding;
    private final List<String> recovered;

    private Server(ActorSystem<Void> system, Engine engine, ServerBinding binding, List<String> recovered) {
        this.system = system;
        this.engine = engine;
        this.binding = binding;
        this.recovered = recovered;
    }

    /** The service as the {@code serve} verb runs it: REST, MCP over HTTP at {@code /mcp}, and the scheduler. */
    public static Server serve(Settings settings) throws Exception {
        return start(settings, true, Server::mcpRoutes);
    }

    /** The MCP endpoint ({@code /mcp}) served beside REST, configured by {@code meridian.mcp}. */
    public static List<Route> mcpRoutes(Engine engine) {
        return List.of(new McpHttpRoute(engine, McpSettings.from(engine.settings().config())).route());
    }

    /**
     * @param http      whether to bind the HTTP gateway
     * @param extraRoutes routes added to the gateway (MCP), built from the engine
     */
    public static Server start(Settings settings, boolean http, Function<Engine, List<Route>> extraRoutes) throws Exception {
        if (http) {
            OriginPolicy.from(settings); // a bad Host/Origin allow-list is refused before the repository is locked
            requireFreePort(settings.httpHost(), settings.httpPort());
        }
        // Runs the hot paths (hashing, zstd, manifest JSON) on synthetic data in the background while the engine starts.
        EngineWarmup.start(settings.compression());
        Repository repository = openRepository(settings);
        try {
            Repository.OpenReport report = repository.openReport();
            if (report.pendingWritesSwept() > 0) {
                log.warn("[recovery] removed {} unfinished writes from {}", report.pendingWritesSwept(), repository.store().describe());
            }
            StateDirectory state = repository.stateDirectory();
            JobJournal journal = new JobJournal(state.journal());
            List<String> recovered = new ArrayList<>(
                    StartupRecovery.adoptLegacyState(settings.repositoryPath(), journal, state.fingerprints()));
            recovered.addAll(StartupRecovery.run(settings, journal));
            FileFingerprints fingerprints = new FileFingerprints(state.fingerprints());
            fingerprints.preload(settings.databases().keySet());
            JobContext env = new JobContext(repository, journal, fingerprints, new Metrics(), Clock.systemUTC());
            CompletableFuture<Engine> ready = new CompletableFuture<>();
            ActorSystem<Void> system = ActorSystem.create(Guardian.create(settings, env, ready), "meridian", settings.config());
            Engine engine = ready.get(30, TimeUnit.SECONDS);
            ServerBinding binding = null;
            if (http) {
                try {
                    binding = HttpServer.bind(engine, extraRoutes.apply(engine)).toCompletableFuture().get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    system.terminate();
                    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
                    throw new IllegalStateException("cannot listen on " + settings.httpHost() + ":" + settings.httpPort()
                            + ": " + dev.meridian.backup.runtime.Blocking.cause(e).getMessage()
                            + "; is another server running? Set meridian.http.port to a free port", e);
                }
            }
            // The first operation should find its database open, the hot paths compiled and the CPU free of warm-up work.
            EngineWarmup.awaitReady(engine, EngineWarmup.START_WAIT_MILLIS);
            Server server = new Server(system, engine, binding, recovered);
            server.registerShutdown(repository);
            log.info("Meridian Backup started: {} database(s), repository {} ({} backups){}", settings.databases().size(),
                    repository.store().describe(), repository.catalog().size(),
                    binding == null ? "" : ", listening on http://" + binding.localAddress().getHostString() + ":" + binding.localAddress().getPort());
            return server;
        } catch (Exception | Error e) {
            repository.close();
            throw e;
        }
    }

    /**
     * The repository of {@code meridian.repository}: on local disk with its OS lock, or on S3 with its lock object
     * (refused, naming the holder, when another server holds it). An S3 blob being written is spooled under the local
     * directory ({@code meridian.state-dir}/s3-spool/...).
     */
    private static Repository openRepository(Settings settings) throws Exception {
        IoThrottle throttle = new IoThrottle(settings.ioRateLimit());
        var s3 = settings.s3Repository();
        if (s3.isEmpty()) {
            return Repository.openFile(settings.repositoryPath(), settings.compression(), throttle, settings.stateDir(),
                    settings.encryption(), settings.passwordSource());
        }
        // Upload spool: local state, one directory per bucket and prefix (start-up sweeps it, so never shared).
        java.nio.file.Path spool = settings.stateDir().resolve("s3-spool")
                .resolve((s3.get().bucket() + "-" + s3.get().prefix()).replaceAll("[^A-Za-z0-9._-]", "_"));
        S3BlobStore store = S3BlobStore.open(s3.get(), spool, S3BlobStore.Tuning.DEFAULT);
        RepositoryLock lock;
        Function<String, Password> password;
        try {
            // The password first: a missing or wrong one must fail before the lock object is written.
            Password early = Repository.needsPassword(store, settings.encryption())
                    ? settings.passwordSource().read("repository " + s3.get().describe() + " is encrypted") : null;
            password = early == null ? settings.passwordSource()::read : what -> early;
            lock = RepositoryLock.acquire(S3BlobStore.open(s3.get(), spool, S3BlobStore.Tuning.DEFAULT), settings.s3LockTtl());
        } catch (Exception | Error e) {
            store.close();
            throw e;
        }
        try {
            return Repository.open(store, settings.compression(), throttle, true, lock, settings.stateDir(),
                    settings.encryption(), password);
        } catch (Exception | Error e) {
            store.close();
            lock.close();
            throw e;
        }
    }

    /**
     * Refuses a port another process already listens on before anything is created or locked (the repository, a
     * database with create-if-missing): binding only after the engine started would leave those behind and print the
     * HTTP server's bind failure. Port 0 (any free port) needs no check. A port taken between this probe and the real
     * bind still fails there, with the same message.
     *
     * @throws BackupException (unavailable) naming the address and what to do
     */
    static void requireFreePort(String host, int port) {
        if (port == 0) {
            return;
        }
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(host, port));
        } catch (java.io.IOException e) {
            throw new BackupException(ErrorCode.UNAVAILABLE, "cannot listen on " + host + ":" + port + ": "
                    + (e.getMessage() == null ? e.toString() : e.getMessage())
                    + "; is another server running? Set meridian.http.port to a free port");
        }
    }

    private void registerShutdown(Repository repository) {
        CoordinatedShutdown cs = CoordinatedShutdown.get(system);
        if (binding != null) {
            cs.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "http-unbind",
                    () -> binding.unbind().thenApply(x -> Done.getInstance()));
        }
        // A warm-up still running (its scratch engine, its scratch directory) is stopped and cleaned up first.
        cs.addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "stop-warm-up",
                () -> Blocking.supply(system, JobContext.IO_DISPATCHER, () -> {
                    try {
                        EngineWarmup.stop(4_000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return Done.getInstance();
                }));
        cs.addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "close-databases",
                () -> engine.closeDatabases(Duration.ofSeconds(55)).handle((x, e) -> Done.getInstance()));
        // Verifications (auto-verify too) are cancelled, not awaited: they are re-doable, and their hashing threads
        // must be off the repository before it closes below.
        cs.addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "stop-verifications",
                () -> engine.stopVerifications(Duration.ofSeconds(55)).handle((x, e) -> Done.getInstance()));
        // On the I/O dispatcher: closing an S3 repository deletes its lock object, blocking work (invariant 8).
        cs.addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "close-repository",
                () -> Blocking.supply(system, JobContext.IO_DISPATCHER, () -> {
                    try {
                        repository.close();
                    } catch (Exception e) {
                        log.warn("Closing the repository failed: {}", e.getMessage());
                    }
                    return Done.getInstance();
                }));
    }

    /**
     * Binds the REST and MCP gateways on {@code host:port} (port 0: any free port) for a server started without
     * HTTP (the embedding API), with the same routes as {@link #serve}; they are unbound at shutdown.
     *
     * @return the bound address
     * @throws BackupException (unavailable) when the port is taken
     */
    public InetSocketAddress startGateways(String host, int port) throws Exception {
        requireFreePort(host, port);
        ServerBinding b = HttpServer.bind(engine, mcpRoutes(engine), host, port).toCompletableFuture().get(30, TimeUnit.SECONDS);
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "http-unbind-" + b.localAddress().getPort(),
                () -> b.unbind().thenApply(x -> Done.getInstance()));
        log.info("Meridian Backup gateways listening on http://{}:{}", b.localAddress().getHostString(), b.localAddress().getPort());
        return b.localAddress();
    }

    public Engine engine() {
        return engine;
    }

    public List<String> recovered() {
        return recovered;
    }

    /** The bound HTTP address (port 0 in tests becomes the real port here). */
    public InetSocketAddress address() {
        return binding == null ? null : binding.localAddress();
    }

    public ActorSystem<Void> system() {
        return system;
    }

    public void awaitTermination() throws Exception {
        system.getWhenTerminated().toCompletableFuture().get();
    }

    /** Runs CoordinatedShutdown and waits for it (90 s at most). */
    @Override
    public void close() {
        try {
            CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason()).toCompletableFuture().get(90, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            log.warn("Shutdown did not complete cleanly: {}", e.getMessage());
        }
    }
}
