package dev.meridian.backup.cli;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import dev.meridian.backup.model.Json;
import dev.meridian.backup.repository.RepositoryFormat;
import dev.meridian.backup.repository.seal.Encryption;
import dev.meridian.backup.repository.seal.KdfParameters;
import dev.meridian.backup.repository.seal.KeySlot;
import dev.meridian.backup.repository.seal.KeySlots;
import dev.meridian.backup.repository.seal.Password;
import dev.meridian.backup.store.BlobStore;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "key", description = "Manage the key slots of an encrypted repository (each opens it with its own password).",
        subcommands = {KeyCommand.ListSlots.class, KeyCommand.Add.class, KeyCommand.Remove.class, KeyCommand.Passwd.class})
final class KeyCommand {

    /** Options every key verb takes: the repository (a directory or an S3 bucket) and the password of one of its slots. */
    static final class Access {
        @picocli.CommandLine.Mixin
        RepositoryOptions repository = new RepositoryOptions();

        /** The repository's store, its id, and the slot the password opens; nothing is written. */
        Opened open() throws Exception {
            if (repository.repo == null) {
                throw new CliException(CliException.USAGE, "key needs --repo DIR or --repo s3://bucket/prefix: the "
                        + "encrypted repository whose key slots to manage");
            }
            BlobStore store = DirectRepository.existingStore(repository);
            try {
                RepositoryFormat format = Json.MAPPER.readValue(store.read(RepositoryFormat.KEY), RepositoryFormat.class);
                if (!Encryption.AES_256_GCM.wireName().equals(format.encryption())) {
                    throw new BackupException(ErrorCode.CONFLICT, "repository " + store.describe() + " is not encrypted "
                            + "(encryption " + format.encryption() + "); it has no key slots");
                }
                Password password = Password.Source.of(repository.passwordFile, "--password-file")
                        .read("repository " + store.describe() + " is encrypted");
                return new Opened(store, format.repositoryId(), KeySlots.unlock(store, format.repositoryId(), password));
            } catch (Exception | Error e) {
                store.close();
                throw e;
            }
        }
    }

    record Opened(BlobStore store, String repositoryId, KeySlots.Unlocked unlocked) {}

    /** What a key verb does with the opened slots; returns the line it prints. */
    @FunctionalInterface
    interface SlotWork {
        String run(BlobStore store, Opened opened) throws Exception;
    }

    /** Opens the repository through {@code access}, runs {@code work}, prints its line, closes the store; exit 0. */
    static int onSlots(Access access, SlotWork work) throws Exception {
        Opened o = access.open();
        try (BlobStore store = o.store()) {
            System.out.println(work.run(store, o));
        }
        return 0;
    }

    /** The new password of add and passwd. (No method here names a repository class: picocli reflects over mixins.) */
    static final class NewPassword {
        @Option(names = "--new-password-file", paramLabel = "FILE", required = true,
                description = "File holding the new password (first line).")
        Path file;
    }

    @Command(name = "list", description = "List the key slots: id, Argon2id parameters, creation time; * marks the one your password opens.")
    static final class ListSlots implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Access access;

        @Override
        public Integer call() throws Exception {
            Opened o = access.open();
            try (BlobStore store = o.store()) {
                for (KeySlot s : KeySlots.list(store)) {
                    System.out.println((s.id().equals(o.unlocked().slotId()) ? "* " : "  ") + s.id() + "  " + s.kdf()
                            + " m=" + s.memoryKib() + "KiB t=" + s.iterations() + " p=" + s.parallelism() + "  created "
                            + Json.timestamp(s.createdAt()));
                }
            }
            return 0;
        }
    }

    @Command(name = "add", description = "Add a key slot for a new password (the current one keeps working).")
    static final class Add implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Access access;

        @picocli.CommandLine.Mixin
        NewPassword newPassword;

        @Override
        public Integer call() throws Exception {
            Password next = Password.fromFile(newPassword.file, "--new-password-file");
            return onSlots(access, (store, o) -> "added key slot "
                    + KeySlots.add(store, o.repositoryId(), o.unlocked().keys(), next, KdfParameters.DEFAULT).id());
        }
    }

    @Command(name = "remove", description = "Remove a key slot (never the last one, nor the one your password opens).")
    static final class Remove implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Access access;

        @Parameters(paramLabel = "SLOT_ID")
        String slot;

        @Override
        public Integer call() throws Exception {
            if (!slot.matches("[0-9a-f]{16}")) {
                throw BackupException.invalid("key slot id '" + dev.meridian.backup.model.Validation.printable(slot)
                        + "' is not 16 hex digits; key list shows the ids");
            }
            return onSlots(access, (store, o) -> {
                KeySlots.remove(store, slot, o.unlocked().slotId());
                return "removed key slot " + slot;
            });
        }
    }

    @Command(name = "passwd", description = "Change the password of the slot your current password opens (same slot id).")
    static final class Passwd implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Access access;

        @picocli.CommandLine.Mixin
        NewPassword newPassword;

        @Override
        public Integer call() throws Exception {
            Password next = Password.fromFile(newPassword.file, "--new-password-file");
            return onSlots(access, (store, o) -> {
                KeySlots.changePassword(store, o.repositoryId(), o.unlocked().slotId(), o.unlocked().keys(), next,
                        KdfParameters.DEFAULT);
                return "changed the password of key slot " + o.unlocked().slotId();
            });
        }
    }
}
