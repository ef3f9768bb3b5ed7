package dev.meridian.backup.embed;

import dev.meridian.backup.model.BackupId;
import dev.meridian.backup.model.BackupSummary;
import dev.meridian.backup.model.BackupType;
import java.nio.file.Path;

/**
 * A host application as its own JVM, for crash tests: it starts Meridian (which recovers interrupted work), opens
 * its database, registers it with a hand-off, and does one thing. Run with {@code -Dmeridian.test.crash-at=POINT}
 * it halts there (exit 137, no shutdown hooks).
 *
 * <p>Arguments: {@code CONFIG DB seed} (writers run, a backup, more writes; prints {@code BACKUP id} and
 * {@code DIGEST hex} of the state it leaves), {@code CONFIG DB backup} (a backup while 4 writers write),
 * {@code CONFIG DB restore ID} (an in-place restore of backup ID through the hand-off).
 */
public final class CrashingHost {
    private CrashingHost() {}

    public static void main(String[] args) throws Exception {
        Path config = Path.of(args[0]);
        try (Meridian meridian = Meridian.start(config); WritingHost host = new WritingHost(Path.of(args[1]))) {
            meridian.register("app", host.db(), host.handles(), host);
            switch (args[2]) {
                case "seed" -> {
                    host.startWriters();
                    Thread.sleep(150);
                    host.pauseWriters();
                    BackupSummary b = meridian.backup("app", BackupType.MANUAL, "seed");
                    System.out.println("BACKUP " + b.backupId() + " " + host.digest());
                    host.resumeWriters();
                    Thread.sleep(150);
                    host.stopWriters();
                    System.out.println("DIGEST " + host.digest());
                }
                case "backup" -> {
                    host.startWriters();
                    Thread.sleep(100);
                    meridian.backup("app", BackupType.MANUAL, "crashing");
                    host.stopWriters();
                }
                case "restore" -> meridian.restoreInPlace(new BackupId(args[3]));
                default -> throw new IllegalArgumentException(args[2]);
            }
            System.out.println("DONE");
        }
    }
}
