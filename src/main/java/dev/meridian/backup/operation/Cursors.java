package dev.meridian.backup.operation;

import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.BackupId;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Opaque pagination cursors: the last backup id of the previous page, base64url-encoded. */
public final class Cursors {
    private Cursors() {}

    public static String encode(BackupId after) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("after:" + after.value()).getBytes(StandardCharsets.UTF_8));
    }

    public static BackupId decode(String cursor) {
        if (cursor == null) {
            return null;
        }
        try {
            String s = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            if (s.startsWith("after:")) {
                return BackupId.parse(s.substring(6));
            }
        } catch (IllegalArgumentException | BackupException e) {
            // not base64, or not a backup id inside: falls through to the error below
        }
        throw BackupException.invalid("invalid cursor; pass the next_cursor value from the previous page unchanged");
    }
}
