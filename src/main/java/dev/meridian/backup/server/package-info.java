/**
 * {@code Server} starts the whole service in this JVM: it opens the repository (taking its lock, sweeping
 * {@code tmp/}), runs startup recovery, starts the actor system and the engine and, unless told not to, binds the
 * HTTP gateway (REST, and MCP at {@code /mcp}); shutdown goes through CoordinatedShutdown (unbind, finish or fail
 * work in flight, close the databases, release the repository).
 *
 * <p>Layer 11 (process wiring). May import: every layer below; nothing imports it but {@code cli} and
 * {@code bench}.
 */
package dev.meridian.backup.server;
