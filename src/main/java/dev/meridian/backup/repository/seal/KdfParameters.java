package dev.meridian.backup.repository.seal;

import dev.meridian.backup.model.BackupException;
import java.util.Arrays;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Argon2id (RFC 9106, version 0x13) cost parameters of one key slot: memory in KiB, iterations (passes) and lanes.
 * {@link #DEFAULT} is m = 64 MiB, t = 3, p = 1: RFC 9106's second recommended option (64 MiB, t = 3) with one lane,
 * since BouncyCastle runs lanes one after another (more lanes would cost us time and an attacker nothing); above
 * OWASP's minimum (19 MiB, t = 2, p = 1). About half a second on one core, paid once per open.
 */
public record KdfParameters(int memoryKib, int iterations, int parallelism) {
    public static final KdfParameters DEFAULT = new KdfParameters(64 * 1024, 3, 1);
    public static final int KEY_LEN = 32;
    public static final int SALT_LEN = 16;

    /** Refuses parameters outside sane bounds (a slot edited to demand 1 TiB must not hang the process). */
    public KdfParameters {
        if (parallelism < 1 || parallelism > 16 || iterations < 1 || iterations > 64
                || memoryKib < 8 * parallelism || memoryKib > 4 * 1024 * 1024) {
            throw BackupException.invalid("Argon2id parameters m=" + memoryKib + " KiB, t=" + iterations + ", p=" + parallelism
                    + " are out of range (p 1..16, t 1..64, m 8*p KiB..4 GiB)");
        }
    }

    /** The 32-byte key that {@code password} and {@code salt} derive under these parameters. */
    public byte[] derive(byte[] password, byte[] salt) {
        Argon2Parameters p = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withSalt(salt)
                .withMemoryAsKB(memoryKib)
                .withIterations(iterations)
                .withParallelism(parallelism)
                .build();
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(p);
        byte[] out = new byte[KEY_LEN];
        generator.generateBytes(password, out);
        Arrays.fill(password, (byte) 0);
        return out;
    }
}
