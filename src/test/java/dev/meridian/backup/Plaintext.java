package dev.meridian.backup;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.rocksdb.FlushOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteOptions;

/** Looking for plaintext where only ciphertext may be: a known marker written into a database, then searched for. */
public final class Plaintext {
    private Plaintext() {}

    /** Whether {@code needle} occurs in {@code hay}. */
    public static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** The regular files under {@code root} whose bytes contain {@code needle}. */
    public static List<Path> filesContaining(Path root, byte[] needle) throws Exception {
        List<Path> hits = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (Files.isRegularFile(p) && contains(Files.readAllBytes(p), needle)) {
                    hits.add(p);
                }
            }
        }
        return hits;
    }

    /**
     * Writes {@code count} values into {@code database} through the running engine, each the marker four times (so a
     * compressor still leaves it whole somewhere) around 64 random bytes from {@code seed}, and flushes them to SSTs.
     */
    public static void writeMarkedValues(TestEnv env, String database, byte[] marker, int count, long seed) throws Exception {
        TestEnv.await(env.server.engine().withDatabase(database, live -> {
            SplittableRandom r = new SplittableRandom(seed);
            try (WriteOptions wo = new WriteOptions(); FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
                for (int i = 0; i < count; i++) {
                    byte[] v = new byte[4 * marker.length + 64];
                    r.nextBytes(v);
                    for (int k = 0; k < 4; k++) {
                        System.arraycopy(marker, 0, v, k * marker.length, marker.length);
                    }
                    live.handle().put(wo, String.format("marked-%06d", i).getBytes(StandardCharsets.UTF_8), v);
                }
                live.handle().flush(fo);
            } catch (RocksDBException e) {
                throw new IllegalStateException(e);
            }
            return null;
        }));
    }
}
