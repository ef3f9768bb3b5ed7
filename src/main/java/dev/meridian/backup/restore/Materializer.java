package dev.meridian.backup.restore;

import dev.meridian.backup.model.FileEntry;
import dev.meridian.backup.model.Progress;
import dev.meridian.backup.repository.Repository;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Writes one backed-up file out of the repository, checking its Blake3 hash as it writes, then fsyncs it. */
public final class Materializer {
    private Materializer() {}

    public static void writeFile(Repository repository, FileEntry f, Path directory, Progress progress) throws IOException {
        Path out = directory.resolve(f.name());
        try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            repository.readFile(f, ch, progress, 0, f.size());
            ch.force(false);
        }
    }
}
