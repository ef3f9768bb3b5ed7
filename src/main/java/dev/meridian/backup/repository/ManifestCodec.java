package dev.meridian.backup.repository;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.meridian.backup.hash.Blake3;
import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.Json;
import dev.meridian.backup.model.Manifest;
import java.io.IOException;

/** Manifest files: pretty JSON with a {@code manifest_hash} over the canonical form, checked on every read. */
public final class ManifestCodec {
    private ManifestCodec() {}

    public static String key(String database, BackupId id) {
        return "manifests/" + database + "/" + id.value() + ".json";
    }

    public static String hashOf(Manifest m) {
        try {
            byte[] canonical = Json.CANONICAL.writeValueAsBytes(m.withManifestHash(null));
            return Blake3.hex(Blake3.hash(canonical));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("manifest " + m.id() + " cannot be serialized", e);
        }
    }

    /** Returns the manifest with its hash filled in, and its bytes. */
    public static Manifest seal(Manifest m) {
        return m.withManifestHash(hashOf(m));
    }

    public static byte[] encode(Manifest sealed) throws IOException {
        return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(sealed);
    }

    /** Parses and checks a manifest; any damage is reported as an IOException naming the key. */
    public static Manifest decode(String key, byte[] bytes) throws IOException {
        Manifest m;
        try {
            m = Json.MAPPER.readValue(bytes, Manifest.class);
        } catch (IOException | RuntimeException e) {
            throw new IOException("manifest " + key + " is unreadable: " + firstLine(e.getMessage()), e);
        }
        if (m.format() != Manifest.FORMAT) {
            throw new IOException("manifest " + key + " has format " + m.format() + "; this build reads format " + Manifest.FORMAT);
        }
        if (m.manifestHash() == null || !m.manifestHash().equals(hashOf(m))) {
            throw new IOException("manifest " + key + " is damaged: its manifest_hash does not match its content");
        }
        if (!key.equals(key(m.database(), m.id()))) {
            throw new IOException("manifest " + key + " describes backup " + m.id() + " of database " + m.database()
                    + ", which belongs elsewhere");
        }
        return m;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
