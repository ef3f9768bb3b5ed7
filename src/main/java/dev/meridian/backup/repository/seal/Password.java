package dev.meridian.backup.repository.seal;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * A repository password as UTF-8 bytes, and where it came from (for messages; never the password itself). A file
 * holds the password on its first line; one trailing newline ({@code \n} or {@code \r\n}) is dropped, as restic does.
 * {@link #toString()} never shows the bytes.
 */
public final class Password {
    public static final String FILE_VARIABLE = "MERIDIAN_PASSWORD_FILE";
    public static final String VARIABLE = "MERIDIAN_PASSWORD";
    /** Every way to supply a password, for the message when none was. */
    public static final String HOW = "pass --password-file FILE (serve: meridian.repository.password-file), or set "
            + FILE_VARIABLE + " or " + VARIABLE;

    private final byte[] bytes;
    private final String origin;

    private Password(byte[] bytes, String origin) {
        this.bytes = bytes;
        this.origin = origin;
    }

    /** A password given directly (the key CLI's new password, tests). Throws INVALID_ARGUMENT when empty. */
    public static Password of(byte[] utf8, String origin) {
        if (utf8.length == 0) {
            throw BackupException.invalid("the password from " + origin + " is empty; a repository password needs at least one character");
        }
        return new Password(utf8.clone(), origin);
    }

    /** Reads a password file as described above. Errors name the file and the option it came from, never the content. */
    public static Password fromFile(Path file, String origin) {
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new BackupException(ErrorCode.INVALID_ARGUMENT, "cannot read the password file " + file + " (from " + origin
                    + "): " + e.getClass().getSimpleName().replace("Exception", "") + "; check the path and its permissions");
        }
        int end = raw.length;
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == '\n') {
                end = i > 0 && raw[i - 1] == '\r' ? i - 1 : i;
                break;
            }
        }
        byte[] first = Arrays.copyOf(raw, end);
        Arrays.fill(raw, (byte) 0);
        return of(first, origin + " " + file);
    }

    /**
     * Where a password comes from, in order: {@code file} (the {@code --password-file} option or its configuration
     * key, named by {@code fileOrigin}), then {@code MERIDIAN_PASSWORD_FILE}, then {@code MERIDIAN_PASSWORD} in
     * {@code environment}. Nothing is read until {@link #read()}, so a plaintext repository never needs one.
     */
    public record Source(Path file, String fileOrigin, Map<String, String> environment, String variables) {
        public Source {
            environment = Map.copyOf(environment);
        }

        /**
         * A source whose environment holds {@code MERIDIAN_PASSWORD_FILE} / {@code MERIDIAN_PASSWORD} under those
         * names (none are named in messages when {@code environment} is empty).
         */
        public Source(Path file, String fileOrigin, Map<String, String> environment) {
            this(file, fileOrigin, environment, environment.isEmpty() ? "" : FILE_VARIABLE + " or " + VARIABLE);
        }

        /** The process environment, with {@code file} (may be null) given by {@code fileOrigin}. */
        public static Source of(Path file, String fileOrigin) {
            return new Source(file, fileOrigin, System.getenv());
        }

        /** A source with no password at all. */
        public static Source none() {
            return new Source(null, "", Map.of());
        }

        /** Whether any of the three ways is set. */
        public boolean present() {
            return file != null || blank(environment.get(FILE_VARIABLE)) || blank(environment.get(VARIABLE));
        }

        private static boolean blank(String s) {
            return s != null && !s.isEmpty();
        }

        /**
         * The password. Throws UNAUTHORIZED naming {@code what} (e.g. "repository /srv/backups is encrypted") and
         * every way to give one when none is set; INVALID_ARGUMENT when a password file cannot be read or is empty.
         */
        public Password read(String what) {
            if (file != null) {
                return fromFile(file, fileOrigin);
            }
            String envFile = environment.get(FILE_VARIABLE);
            if (envFile != null && !envFile.isEmpty()) {
                return fromFile(Path.of(envFile), FILE_VARIABLE);
            }
            String env = environment.get(VARIABLE);
            if (env != null && !env.isEmpty()) {
                return Password.of(env.getBytes(StandardCharsets.UTF_8), VARIABLE);
            }
            throw new BackupException(ErrorCode.UNAUTHORIZED, what + " and no password was given: " + how());
        }

        /** The ways this source takes a password, for the message when none was given. */
        private String how() {
            String first = fileOrigin.isEmpty() ? "" : fileOrigin.startsWith("--") ? "pass " + fileOrigin + " FILE" : "set " + fileOrigin;
            if (first.isEmpty()) {
                return variables.isEmpty() ? HOW : "set " + variables;
            }
            return variables.isEmpty() ? first : first + ", or set " + variables;
        }

        @Override
        public String toString() {
            return "password source (" + (file != null ? fileOrigin : "environment") + ")";
        }
    }

    /** The password's bytes (a copy). */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** Where it came from, e.g. "--password-file /etc/meridian/password" or "MERIDIAN_PASSWORD". */
    public String origin() {
        return origin;
    }

    @Override
    public String toString() {
        return "password from " + origin;
    }
}
