/**
 * The command line, {@code bin/meridian-backup}: {@code Main} and one class per verb ({@code serve}, {@code mcp},
 * {@code create}, {@code list}, {@code show}, {@code verify}, {@code restore}, {@code delete}, {@code retention},
 * {@code stats}, {@code bench}). Client verbs talk REST to a server through {@code ApiClient}, or with {@code --repo}
 * read a repository directly ({@code DirectRepository}); {@code Output} prints tables or JSON; failures are
 * {@code CliException}s with documented exit codes.
 *
 * <p>Layer 11 (process wiring). May import: every layer below, and {@code server} and {@code bench}. {@code Main}
 * loads only the verb it runs, by name, so a verb talking to a server never loads the repository, hashing or
 * RocksDB classes (a client verb answers in well under a second).
 */
package dev.meridian.backup.cli;
