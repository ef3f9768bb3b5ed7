package dev.meridian.backup.store;

import java.util.regex.Pattern;

/** Keys are relative, '/'-separated, and every segment is a plain name: nothing can address a file outside the store. */
public final class BlobKeys {
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,254}");
    private static final int MAX_LENGTH = 1024;

    private BlobKeys() {}

    public static String check(String key) {
        if (key == null || key.isEmpty() || key.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("invalid blob key: empty or longer than " + MAX_LENGTH);
        }
        for (String segment : key.split("/", -1)) {
            if (!SEGMENT.matcher(segment).matches() || segment.equals("..") || segment.equals(".")) {
                throw new IllegalArgumentException("invalid blob key '" + key + "': segment '" + segment + "' is not a plain name");
            }
        }
        return key;
    }

    /** A prefix is a key, a key followed by '/', or empty (everything). */
    public static String checkPrefix(String prefix) {
        if (prefix.isEmpty()) {
            return prefix;
        }
        String trimmed = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
        check(trimmed);
        return prefix;
    }
}
