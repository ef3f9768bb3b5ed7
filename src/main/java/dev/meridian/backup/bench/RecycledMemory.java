package dev.meridian.backup.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Puts every timed operation of {@code bench --cold}, cold or warm, on the same memory: just before it, a scratch
 * file of the given size is written (not synced) and deleted, so the operation's new page-cache and heap pages come
 * from memory the kernel has just freed, not from memory free for a long time.
 *
 * <p>Why: on a virtual machine whose host takes back the guest's free memory (virtio-balloon free page reporting,
 * as on the Firecracker VMs this project is measured on), the first touch of a page that has been free for a while
 * is a fault in the host. Measured there: 128 MiB written into new files while the earlier ones were kept took
 * 0.48-0.53 s, into a file just deleted and written again 0.08-0.10 s; a cold restore of 64 MiB took 110-153 ms
 * right after 128 MiB had been freed and 316-416 ms when nothing had, in the same cold code. Whether freed pages are
 * at hand otherwise depends on what ran just before (a warm round follows the deletion of the previous round's
 * files, a cold operation the start of its process), and the ratio the benchmark reports should hold the warm-up,
 * not that.
 */
final class RecycledMemory {
    private static final int BUFFER = 1 << 20;

    private RecycledMemory() {}

    /**
     * Writes {@code bytes} to a scratch file under {@code dir}, unsynced, and deletes it; 0: nothing. The file is
     * deleted before the kernel's write-back would usually start (30 s, or 10% of memory dirty), so normally nothing
     * reaches the disk; on a machine with little memory a large one (the database's size + 64 MiB for
     * {@code bench --cold}) may start write-back. It needs that much free space in {@code dir} for a moment.
     */
    static void recycle(Path dir, long bytes) throws IOException {
        if (bytes <= 0) {
            return;
        }
        Files.createDirectories(dir);
        Path scratch = Files.createTempFile(dir, "recycle-", ".tmp");
        try (FileChannel out = FileChannel.open(scratch, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.allocate(BUFFER);
            for (long left = bytes; left > 0; left -= BUFFER) {
                buf.clear().limit((int) Math.min(BUFFER, left));
                while (buf.hasRemaining()) {
                    out.write(buf);
                }
            }
        } finally {
            Files.delete(scratch);
        }
    }
}
