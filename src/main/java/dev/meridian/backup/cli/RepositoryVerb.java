package dev.meridian.backup.cli;

import picocli.CommandLine.Mixin;

/** A client verb that works through the server, or with --repo on a repository directly. */
abstract class RepositoryVerb extends Verb {
    @Mixin
    RepositoryOptions repo;

    @Override
    RepositoryOptions repository() {
        return repo;
    }
}
