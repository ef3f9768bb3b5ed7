package dev.meridian.backup.hash;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.bouncycastle.crypto.digests.Blake3Digest;
import org.bouncycastle.crypto.params.Blake3Parameters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every check runs twice: on the scalar path and on the SIMD path. The SIMD runs are skipped (not failed) when the
 * JVM lacks {@code --add-modules jdk.incubator.vector}, so a skipped count here means the fast path went untested.
 */
class Blake3Test {
    private static final String KEY = "whats the Elvish word for friend";
    private static final String CONTEXT = "BLAKE3 2019-12-27 16:29:52 test vectors context";

    /** Official BLAKE3 test vectors (test_vectors.json): input length, then the first 32 bytes of hash, keyed_hash, derive_key. */
    private static final List<String[]> VECTORS = List.of(
        vector(0, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
                "92b2b75604ed3c761f9d6f62392c8a9227ad0ea3f09573e783f1498a4ed60d26",
                "2cc39783c223154fea8dfb7c1b1660f2ac2dcbd1c1de8277b0b0dd39b7e50d7d"),
        vector(1, "2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213",
                "6d7878dfff2f485635d39013278ae14f1454b8c0a3a2d34bc1ab38228a80c95b",
                "b3e2e340a117a499c6cf2398a19ee0d29cca2bb7404c73063382693bf66cb06c"),
        vector(1023, "10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11",
                "c951ecdf03288d0fcc96ee3413563d8a6d3589547f2c2fb36d9786470f1b9d6e",
                "74a16c1c3d44368a86e1ca6df64be6a2f64cce8f09220787450722d85725dea5"),
        vector(1024, "42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7",
                "75c46f6f3d9eb4f55ecaaee480db732e6c2105546f1e675003687c31719c7ba4",
                "7356cd7720d5b66b6d0697eb3177d9f8d73a4a5c5e968896eb6a689684302706"),
        vector(1025, "d00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444",
                "357dc55de0c7e382c900fd6e320acc04146be01db6a8ce7210b7189bd664ea69",
                "effaa245f065fbf82ac186839a249707c3bddf6d3fdda22d1b95a3c970379bcb"),
        vector(2048, "e776b6028c7cd22a4d0ba182a8bf62205d2ef576467e838ed6f2529b85fba24a",
                "879cf1fa2ea0e79126cb1063617a05b6ad9d0b696d0d757cf053439f60a99dd1",
                "7b2945cb4fef70885cc5d78a87bf6f6207dd901ff239201351ffac04e1088a23"),
        vector(2049, "5f4d72f40d7a5f82b15ca2b2e44b1de3c2ef86c426c95c1af0b6879522563030",
                "9f29700902f7c86e514ddc4df1e3049f258b2472b6dd5267f61bf13983b78dd5",
                "2ea477c5515cc3dd606512ee72bb3e0e758cfae7232826f35fb98ca1bcbdf273"),
        vector(3072, "b98cb0ff3623be03326b373de6b9095218513e64f1ee2edd2525c7ad1e5cffd2",
                "044a0e7b172a312dc02a4c9a818c036ffa2776368d7f528268d2e6b5df191770",
                "050df97f8c2ead654d9bb3ab8c9178edcd902a32f8495949feadcc1e0480c46b"),
        vector(3073, "7124b49501012f81cc7f11ca069ec9226cecb8a2c850cfe644e327d22d3e1cd3",
                "68dede9bef00ba89e43f31a6825f4cf433389fedae75c04ee9f0cf16a427c95a",
                "72613c9ec9ff7e40f8f5c173784c532ad852e827dba2bf85b2ab4b76f7079081"),
        vector(4096, "015094013f57a5277b59d8475c0501042c0b642e531b0a1c8f58d2163229e969",
                "befc660aea2f1718884cd8deb9902811d332f4fc4a38cf7c7300d597a081bfc0",
                "1e0d7f3db8c414c97c6307cbda6cd27ac3b030949da8e23be1a1a924ad2f25b9"),
        vector(4097, "9b4052b38f1c5fc8b1f9ff7ac7b27cd242487b3d890d15c96a1c25b8aa0fb995",
                "00df940cd36bb9fa7cbbc3556744e0dbc8191401afe70520ba292ee3ca80abbc",
                "aca51029626b55fda7117b42a7c211f8c6e9ba4fe5b7a8ca922f34299500ead8"),
        vector(5120, "9cadc15fed8b5d854562b26a9536d9707cadeda9b143978f319ab34230535833",
                "2c493e48e9b9bf31e0553a22b23503c0a3388f035cece68eb438d22fa1943e20",
                "7a7acac8a02adcf3038d74cdd1d34527de8a0fcc0ee3399d1262397ce5817f60"),
        vector(5121, "628bd2cb2004694adaab7bbd778a25df25c47b9d4155a55f8fbd79f2fe154cff",
                "6ccf1c34753e7a044db80798ecd0782a8f76f33563accaddbfbb2e0ea4b2d024",
                "b07f01e518e702f7ccb44a267e9e112d403a7b3f4883a47ffbed4b48339b3c34"),
        vector(6144, "3e2e5b74e048f3add6d21faab3f83aa44d3b2278afb83b80b3c35164ebeca205",
                "3d6b6d21281d0ade5b2b016ae4034c5dec10ca7e475f90f76eac7138e9bc8f1d",
                "2a95beae63ddce523762355cf4b9c1d8f131465780a391286a5d01abb5683a15"),
        vector(6145, "f1323a8631446cc50536a9f705ee5cb619424d46887f3c376c695b70e0f0507f",
                "9ac301e9e39e45e3250a7e3b3df701aa0fb6889fbd80eeecf28dbc6300fbc539",
                "379bcc61d0051dd489f686c13de00d5b14c505245103dc040d9e4dd1facab8e5"),
        vector(7168, "61da957ec2499a95d6b8023e2b0e604ec7f6b50e80a9678b89d2628e99ada77a",
                "b42835e40e9d4a7f42ad8cc04f85a963a76e18198377ed84adddeaecacc6f3fc",
                "11c37a112765370c94a51415d0d651190c288566e295d505defdad895dae2237"),
        vector(7169, "a003fc7a51754a9b3c7fae0367ab3d782dccf28855a03d435f8cfe74605e7817",
                "ed9b1a922c046fdb3d423ae34e143b05ca1bf28b710432857bf738bcedbfa511",
                "554b0a5efea9ef183f2f9b931b7497995d9eb26f5c5c6dad2b97d62fc5ac31d9"),
        vector(8192, "aae792484c8efe4f19e2ca7d371d8c467ffb10748d8a5a1ae579948f718a2a63",
                "dc9637c8845a770b4cbf76b8daec0eebf7dc2eac11498517f08d44c8fc00d58a",
                "ad01d7ae4ad059b0d33baa3c01319dcf8088094d0359e5fd45d6aeaa8b2d0c3d"),
        vector(8193, "bab6c09cb8ce8cf459261398d2e7aef35700bf488116ceb94a36d0f5f1b7bc3b",
                "954a2a75420c8d6547e3ba5b98d963e6fa6491addc8c023189cc519821b4a1f5",
                "af1e0346e389b17c23200270a64aa4e1ead98c61695d917de7d5b00491c9b0f1"),
        vector(16384, "f875d6646de28985646f34ee13be9a576fd515f76b5b0a26bb324735041ddde4",
                "9e9fc4eb7cf081ea7c47d1807790ed211bfec56aa25bb7037784c13c4b707b0d",
                "160e18b5878cd0df1c3af85eb25a0db5344d43a6fbd7a8ef4ed98d0714c3f7e1"),
        vector(31744, "62b6960e1a44bcc1eb1a611a8d6235b6b4b78f32e7abc4fb4c6cdcce94895c47",
                "efa53b389ab67c593dba624d898d0f7353ab99e4ac9d42302ee64cbf9939a419",
                "39772aef80e0ebe60596361e45b061e8f417429d529171b6764468c22928e28e"),
        vector(102400, "bc3e3d41a1146b069abffad3c0d44860cf664390afce4d9661f7902e7943e085",
                "1c35d1a5811083fd7119f5d5d1ba027b4d01c0c6c49fb6ff2cf75393ea5db4a7",
                "4652cff7a3f385a6103b5c260fc1593e13c778dbe608efb092fe7ee69df6e9c6"));

    private static ExecutorService pool;

    @BeforeAll
    static void startPool() {
        pool = Executors.newFixedThreadPool(4);
    }

    @AfterAll
    static void stopPool() {
        pool.shutdownNow();
    }

    private static String[] vector(int len, String hash, String keyed, String derive) {
        return new String[] {Integer.toString(len), hash, keyed, derive};
    }

    private static Blake3 hasher(boolean simd) {
        assumeTrue(!simd || Blake3.LANES > 0, "jdk.incubator.vector not in the boot layer");
        return Blake3.newHasher(simd);
    }

    private static byte[] random(SplittableRandom rnd, int len) {
        byte[] b = new byte[len];
        rnd.nextBytes(b);
        return b;
    }

    private static byte[] bouncyCastle(byte[] data, int off, int len) {
        Blake3Digest d = new Blake3Digest();
        d.update(data, off, len);
        byte[] out = new byte[Blake3.OUT_LEN];
        d.doFinal(out, 0);
        return out;
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(booleans = {false, true})
    void officialVectors(boolean simd) {
        hasher(simd);
        byte[] key = KEY.getBytes(StandardCharsets.US_ASCII);
        for (String[] v : VECTORS) {
            int len = Integer.parseInt(v[0]);
            byte[] input = new byte[len];
            for (int i = 0; i < len; i++) {
                input[i] = (byte) (i % 251);
            }
            assertEquals(v[1], Blake3.hex(Blake3.newHasher(simd).update(input).digest()), "hash " + len);
            assertEquals(v[2], Blake3.hex(Blake3.newKeyedHasher(key, simd).update(input).digest()), "keyed " + len);
            assertEquals(v[3], Blake3.hex(Blake3.newDeriveKeyHasher(CONTEXT, simd).update(input).digest()), "derive " + len);
            if (!simd) {
                assertEquals(v[1], Blake3.hex(Blake3.hash(input)), "one-shot " + len);
            }
        }
    }

    /** Every length up to 4 KiB + 1 in every way of feeding, then every length up to 17 KiB + 1 (where SIMD batches start). */
    @ParameterizedTest(name = "simd={0}")
    @ValueSource(booleans = {false, true})
    void everyLengthMatchesBouncyCastle(boolean simd) {
        hasher(simd);
        SplittableRandom rnd = new SplittableRandom(7);
        int max = 17 * 1024 + 1;
        byte[] pool = random(rnd, max + 64);
        for (int len = 0; len <= max; len++) {
            int off = rnd.nextInt(64);
            byte[] expected = bouncyCastle(pool, off, len);
            checkAllFeeds(simd, rnd, pool, off, len, expected, len <= 4 * 1024 + 1);
        }
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(booleans = {false, true})
    void largerLengthsMatchBouncyCastle(boolean simd) {
        hasher(simd);
        SplittableRandom rnd = new SplittableRandom(11);
        int mib = 1 << 20;
        int[] lengths = {
            8 * 1024 + 1, 15 * 1024 + 1, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 17 * 1024, 17 * 1024 + 1,
            31 * 1024 + 1, 32 * 1024, 32 * 1024 + 1, 33 * 1024 + 7, 64 * 1024 + 1023, 255 * 1024 + 1,
            256 * 1024, 256 * 1024 + 1, 257 * 1024 + 5, 511 * 1024, 600 * 1024 + 13,
            mib - 1, mib, mib + 1, 3 * mib + 1024, 16 * mib + 7
        };
        byte[] data = random(rnd, 16 * mib + 7 + 64);
        for (int len : lengths) {
            int off = rnd.nextInt(64);
            checkAllFeeds(simd, rnd, data, off, len, bouncyCastle(data, off, len), len <= mib + 1);
        }
        for (int i = 0; i < 40; i++) {
            int len = 4097 + rnd.nextInt(300 * 1024);
            checkAllFeeds(simd, rnd, data, 0, len, bouncyCastle(data, 0, len), false);
        }
    }

    /** Feeds data[off, off+len) in one call, in random pieces, optionally byte by byte, and through heap, direct and read-only buffers. */
    private static void checkAllFeeds(boolean simd, SplittableRandom rnd, byte[] data, int off, int len,
                                      byte[] expected, boolean byteByByte) {
        assertArrayEquals(expected, Blake3.newHasher(simd).update(data, off, len).digest(), () -> "one call, len " + len);

        for (int round = 0; round < 2; round++) {
            Blake3 h = Blake3.newHasher(simd);
            int pos = off;
            int end = off + len;
            while (pos < end) {
                int left = end - pos;
                int piece;
                switch (rnd.nextInt(4)) {
                    case 0: piece = 1 + rnd.nextInt(Math.min(left, 70)); break;
                    case 1: piece = Math.min(left, 1024 * (1 + rnd.nextInt(40))); break;
                    case 2: piece = 1 + rnd.nextInt(Math.min(left, 5000)); break;
                    default: piece = 1 + rnd.nextInt(left); break;
                }
                h.update(data, pos, piece);
                pos += piece;
            }
            assertArrayEquals(expected, h.digest(), () -> "random pieces, len " + len);
        }

        if (byteByByte) {
            Blake3 h = Blake3.newHasher(simd);
            for (int i = off; i < off + len; i++) {
                h.update(data, i, 1);
            }
            assertArrayEquals(expected, h.digest(), () -> "byte by byte, len " + len);
        }

        ByteBuffer heap = ByteBuffer.wrap(data, off, len).slice();
        assertArrayEquals(expected, Blake3.newHasher(simd).update(heap).digest(), () -> "heap buffer, len " + len);
        assertEquals(heap.limit(), heap.position(), "heap buffer consumed");

        ByteBuffer direct = ByteBuffer.allocateDirect(len + 3);
        direct.position(3);
        direct.put(data, off, len);
        direct.position(3);
        Blake3 h = Blake3.newHasher(simd);
        // Two updates with a split inside the buffer exercise staging across calls.
        int split = len == 0 ? 0 : rnd.nextInt(len);
        ByteBuffer first = direct.duplicate();
        first.limit(3 + split);
        h.update(first);
        direct.position(3 + split);
        h.update(direct);
        assertEquals(direct.limit(), direct.position(), "direct buffer consumed");
        assertArrayEquals(expected, h.digest(), () -> "direct buffer, len " + len);

        ByteBuffer readOnly = ByteBuffer.wrap(data, off, len).asReadOnlyBuffer();
        assertArrayEquals(expected, Blake3.newHasher(simd).update(readOnly).digest(), () -> "read-only buffer, len " + len);
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(booleans = {false, true})
    void keyedAndDeriveKeyMatchBouncyCastle(boolean simd) {
        hasher(simd);
        SplittableRandom rnd = new SplittableRandom(3);
        byte[] key = random(rnd, 32);
        for (int len : new int[] {0, 1, 1024, 1025, 20 * 1024 + 3, 300 * 1024 + 1}) {
            byte[] data = random(rnd, len);
            Blake3Digest keyed = new Blake3Digest();
            keyed.init(Blake3Parameters.key(key));
            keyed.update(data, 0, len);
            byte[] expected = new byte[32];
            keyed.doFinal(expected, 0);
            assertArrayEquals(expected, Blake3.newKeyedHasher(key, simd).update(data).digest(), "keyed " + len);

            Blake3Digest derive = new Blake3Digest();
            derive.init(Blake3Parameters.context("meridian test context".getBytes(StandardCharsets.UTF_8)));
            derive.update(data, 0, len);
            derive.doFinal(expected, 0);
            assertArrayEquals(expected, Blake3.newDeriveKeyHasher("meridian test context", simd).update(data).digest(),
                    "derive " + len);
        }
        assertThrows(IllegalArgumentException.class, () -> Blake3.newKeyedHasher(new byte[31]));
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(booleans = {false, true})
    void digestIsRepeatableAndResetStartsOver(boolean simd) {
        Blake3 h = hasher(simd);
        byte[] data = random(new SplittableRandom(5), 70_000);
        byte[] expected = bouncyCastle(data, 0, data.length);
        h.update(data);
        assertArrayEquals(expected, h.digest());
        byte[] out = new byte[40];
        h.digest(out, 8);
        assertArrayEquals(expected, java.util.Arrays.copyOfRange(out, 8, 40));
        h.reset().update(data, 0, 5000);
        assertArrayEquals(bouncyCastle(data, 0, 5000), h.digest());
        assertArrayEquals(bouncyCastle(data, 0, 0), h.reset().digest());
    }

    /**
     * Hundreds of thousands of short digests, enough for C2 to compile digest(): when it wrote the output with a loop
     * of int VarHandle stores into the new byte[], JDK 17.0.15 intermittently returned all zeros.
     */
    @Test
    void digestStaysCorrectOnceCompiled() {
        byte[] data = random(new SplittableRandom(19), 200);
        for (int len = 0; len < data.length; len++) {
            byte[] expected = bouncyCastle(data, 0, len);
            for (int r = 0; r < 1500; r++) {
                byte[] got = Blake3.newHasher(false).update(data, 0, len).digest();
                if (!java.util.Arrays.equals(expected, got)) {
                    assertEquals(Blake3.hex(expected), Blake3.hex(got), "len " + len + ", repetition " + r);
                }
            }
        }
    }

    @Test
    void hexIsLowerCase() {
        assertEquals("00ff0aa0", Blake3.hex(new byte[] {0, (byte) 0xFF, 0x0A, (byte) 0xA0}));
        assertEquals("", Blake3.hex(new byte[0]));
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(booleans = {false, true})
    void parallelFileHashMatchesSequential(boolean simd, @TempDir Path dir) throws IOException {
        hasher(simd);
        SplittableRandom rnd = new SplittableRandom(13);
        int mib = 1 << 20;
        byte[] data = random(rnd, 37 * mib);
        for (int size : new int[] {0, 1, 1023, 1024, 1025, mib, mib + 1, 5 * mib + 3, 37 * mib}) {
            Path file = dir.resolve("f" + size);
            Files.write(file, java.util.Arrays.copyOf(data, size));
            byte[] expected = Blake3.newHasher(simd).update(data, 0, size).digest();
            assertArrayEquals(bouncyCastle(data, 0, size), expected, "sequential, size " + size);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                ch.position(7 % (size + 1));
                long position = ch.position();
                for (int parallelism : new int[] {1, 2, 4}) {
                    assertArrayEquals(expected, ParallelFileHash.hash(ch, pool, parallelism, simd),
                            "size " + size + ", parallelism " + parallelism);
                }
                assertEquals(position, ch.position(), "channel position untouched");
            }
            Files.delete(file);
        }
    }

    @Test
    void parallelFileHashCompletesWhenTheExecutorRunsNothing(@TempDir Path dir) throws IOException {
        byte[] data = random(new SplittableRandom(17), 3 * (1 << 20) + 5);
        Path file = dir.resolve("f");
        Files.write(file, data);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            assertArrayEquals(Blake3.hash(data), ParallelFileHash.hash(ch, task -> { }, 4));
            assertArrayEquals(Blake3.hash(data), ParallelFileHash.hash(ch, task -> {
                throw new RejectedExecutionException("full");
            }, 4));
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            assertThrows(IllegalArgumentException.class, () -> ParallelFileHash.hash(ch, pool, 0));
        }
    }
}
