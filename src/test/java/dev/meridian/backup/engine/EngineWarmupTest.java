package dev.meridian.backup.engine;

import dev.meridian.backup.engine.EngineWarmup;
import dev.meridian.backup.repository.Compression;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The warm-up swallows its own failures (it only logs at debug level), so a pass that throws would silently warm
 * nothing: each pass must run the encode, decode and manifest paths to the end, for every compression mode.
 */
class EngineWarmupTest {
    @TempDir
    Path dir;

    @Test
    void aWarmUpPassRunsEveryPathToTheEnd() throws Exception {
        Path sample = dir.resolve("sample.bin");
        EngineWarmup.writeSample(sample);
        for (String mode : new String[] {"auto", "off", "zstd:3"}) {
            EngineWarmup.onePass(sample, Compression.parse(mode));
        }
    }
}
