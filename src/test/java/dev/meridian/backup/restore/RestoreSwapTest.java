package dev.meridian.backup.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.meridian.backup.repository.JobJournal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Recovery from every directory state a crash can leave during a swap or a rollback (invariant 4): afterwards the
 * live path holds one whole database, the one the state calls for, and no scratch directory remains. Each
 * directory carries a marker naming which copy it is. {@code CrashRecoveryTest} kills real processes at the swap
 * steps; the rollback steps need a restored copy that fails to open, so they are laid out here directly.
 */
class RestoreSwapTest {
    @TempDir
    Path dir;

    /** A crash point: the journal phase written last, which directories exist (and holding what), what must win. */
    enum State {
        // swap(): journal SWAPPING, rename live->old, rename staging->live, journal SWAPPED
        SWAPPING_BEFORE_FIRST_RENAME(RestoreSwap.SWAPPING, "OLD", "NEW", null, "OLD"),
        SWAPPING_BETWEEN_RENAMES(RestoreSwap.SWAPPING, null, "NEW", "OLD", "NEW"),
        SWAPPING_AFTER_SECOND_RENAME(RestoreSwap.SWAPPING, "NEW", null, "OLD", "NEW"),
        SWAPPED(RestoreSwap.SWAPPED, "NEW", null, "OLD", "NEW"),
        // rollBack(): journal ROLLING_BACK, rename live->failed, rename old->live, delete failed
        ROLLING_BACK_BEFORE_MOVING_THE_FAILED_COPY(RestoreSwap.ROLLING_BACK, "FAILED", null, "OLD", "OLD"),
        ROLLING_BACK_AFTER_MOVING_THE_FAILED_COPY(RestoreSwap.ROLLING_BACK, null, null, "OLD", "OLD"),
        ROLLING_BACK_AFTER_PUTTING_OLD_BACK(RestoreSwap.ROLLING_BACK, "OLD", null, null, "OLD");

        final String phase;
        final String live;
        final String staging;
        final String old;
        final String expected;

        State(String phase, String live, String staging, String old, String expected) {
            this.phase = phase;
            this.live = live;
            this.staging = staging;
            this.old = old;
            this.expected = expected;
        }
    }

    @ParameterizedTest
    @EnumSource(State.class)
    void recoveryLeavesExactlyTheRightDatabaseInPlace(State s) throws Exception {
        Path live = dir.resolve("db");
        Path staging = RestoreSwap.staging(live, "job");
        Path old = RestoreSwap.old(live, "job");
        Path failed = RestoreSwap.failed(live, "job");
        lay(live, s.live);
        lay(staging, s.staging);
        lay(old, s.old);
        if (s.phase.equals(RestoreSwap.ROLLING_BACK) && s.live == null) {
            lay(failed, "FAILED");
        }
        JobJournal.Entry entry = new JobJournal.Entry("job", "restore", "db", "backup", s.phase, live.toString(),
                staging.toString(), old.toString(), List.of(staging.toString()));

        RestoreSwap.recover(entry);

        assertEquals(s.expected, Files.readString(live.resolve("MARKER")), s.name());
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(live), left.toList(), "no scratch directory remains after " + s.name());
        }
        // Recovering twice (a crash during recovery) changes nothing.
        RestoreSwap.recover(entry);
        assertEquals(s.expected, Files.readString(live.resolve("MARKER")), s.name() + ", recovered twice");
        assertFalse(Files.exists(failed));
    }

    @ParameterizedTest
    @EnumSource(State.class)
    void recoveryThroughASymlinkRestoresTheRealDirectoryAndKeepsTheLink(State s) throws Exception {
        // The configured path app/db is a symlink to vol/db (issue 7, item 4): the journal holds the real paths,
        // the swap and its recovery act on vol/, and the link is never touched.
        Path vol = Files.createDirectories(dir.resolve("vol"));
        Path app = Files.createDirectories(dir.resolve("app"));
        Path link = app.resolve("db");
        Files.createSymbolicLink(link, Path.of("../vol/db"));
        Path live = vol.toRealPath().resolve("db");
        Path staging = RestoreSwap.staging(live, "job");
        Path old = RestoreSwap.old(live, "job");
        lay(live, s.live);
        lay(staging, s.staging);
        lay(old, s.old);
        if (s.phase.equals(RestoreSwap.ROLLING_BACK) && s.live == null) {
            lay(RestoreSwap.failed(live, "job"), "FAILED");
        }
        JobJournal.Entry entry = new JobJournal.Entry("job", "restore", "db", "backup", s.phase, live.toString(),
                staging.toString(), old.toString(), List.of(staging.toString()));

        RestoreSwap.recover(entry);

        assertEquals(s.expected, Files.readString(link.resolve("MARKER")), s.name() + ", read through the link");
        assertEquals(Path.of("../vol/db"), Files.readSymbolicLink(link), "the link is unchanged");
        try (Stream<Path> left = Files.list(vol)) {
            assertEquals(List.of(live), left.toList(), "no scratch directory remains after " + s.name());
        }
        try (Stream<Path> left = Files.list(app)) {
            assertEquals(List.of(link), left.toList());
        }
    }

    private static void lay(Path at, String marker) throws Exception {
        if (marker != null) {
            Files.createDirectories(at);
            Files.writeString(at.resolve("MARKER"), marker);
        }
    }
}
