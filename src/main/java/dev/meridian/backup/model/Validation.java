package dev.meridian.backup.model;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.regex.Pattern;

/** Checks for every value that comes from outside. Each failure names the value and says what is allowed. */
public final class Validation {
    private static final Pattern DATABASE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
    // Public so the MCP tool schemas publish exactly the patterns enforced here.
    public static final Pattern TAG = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}");
    public static final Pattern SCHEMA_VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,63}");
    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,254}");
    public static final int MAX_TAGS = 32;
    public static final int MAX_DESCRIPTION = 1024;

    private Validation() {}

    public static String databaseName(String name) {
        if (name == null || !DATABASE.matcher(name).matches()) {
            throw BackupException.invalid("invalid database name '" + printable(name)
                    + "': use 1-64 letters, digits, '_' or '-', starting with a letter or digit");
        }
        return name;
    }

    /** A file inside a RocksDB directory: a plain name, never a path. */
    public static String fileName(String name) {
        if (name == null || !FILE_NAME.matcher(name).matches() || name.contains("..")) {
            throw BackupException.invalid("invalid file name '" + printable(name) + "' in manifest: only plain names are allowed");
        }
        return name;
    }

    public static List<String> tags(List<String> tags) {
        if (tags == null) {
            return List.of();
        }
        if (tags.size() > MAX_TAGS) {
            throw BackupException.invalid("too many tags (" + tags.size() + "); at most " + MAX_TAGS + " are allowed");
        }
        LinkedHashSet<String> unique = new LinkedHashSet<>();
        for (String tag : tags) {
            unique.add(tag(tag));
        }
        return List.copyOf(new ArrayList<>(unique));
    }

    public static String tag(String tag) {
        if (tag == null || !TAG.matcher(tag).matches()) {
            throw BackupException.invalid("invalid tag '" + printable(tag)
                    + "': use 1-64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit");
        }
        return tag;
    }

    public static String description(String description) {
        if (description == null) {
            return "";
        }
        if (description.length() > MAX_DESCRIPTION) {
            throw BackupException.invalid("description is " + description.length() + " characters; at most " + MAX_DESCRIPTION + " are allowed");
        }
        for (int i = 0; i < description.length(); i++) {
            char c = description.charAt(i);
            if (Character.isISOControl(c) && c != '\n' && c != '\t') {
                throw BackupException.invalid("description contains control character U+" + String.format("%04X", (int) c) + "; remove it");
            }
        }
        return description;
    }

    public static String schemaVersion(String v) {
        if (v == null) {
            return null;
        }
        if (!SCHEMA_VERSION.matcher(v).matches()) {
            throw BackupException.invalid("invalid schema_version '" + printable(v)
                    + "': use 1-64 letters, digits, '.', '_', '+' or '-'");
        }
        return v;
    }

    public static int limit(Integer limit, int defaultValue, int max) {
        if (limit == null) {
            return defaultValue;
        }
        if (limit < 1 || limit > max) {
            throw BackupException.invalid("limit " + limit + " is out of range; use 1.." + max);
        }
        return limit;
    }

    /** Renders untrusted text for an error message: bounded, control characters escaped. */
    public static String printable(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 80; i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        if (b.length() >= 80) {
            b.append("...");
        }
        return b.toString();
    }
}
