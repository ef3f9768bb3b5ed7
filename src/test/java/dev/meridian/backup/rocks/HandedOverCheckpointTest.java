package dev.meridian.backup.rocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.TestEnv;
import dev.meridian.backup.model.BackupException;
import dev.meridian.backup.model.ErrorCode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.Checkpoint;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/** The checks of a handed-over checkpoint, without a server: each rule refuses with its code, and nothing is written. */
class HandedOverCheckpointTest {
    @TempDir
    Path dir;

    private Path checkpoint(RocksDB db, String name) throws Exception {
        Path cp = dir.resolve("roots").resolve(name);
        Files.createDirectories(cp.getParent());
        try (Checkpoint c = Checkpoint.create(db)) {
            c.createCheckpoint(cp.toString());
        }
        return cp;
    }

    private HandedOverCheckpoint inspect(Path cp) {
        return HandedOverCheckpoint.inspect("svc", cp, List.of(dir.resolve("roots")), Map.of(dir.resolve("db"), "database 'svc'"));
    }

    private static ErrorCode refusal(Runnable r) {
        return assertThrows(BackupException.class, r::run).code();
    }

    @Test
    void aCompleteCheckpointPassesUnchangedAndAnyLaterChangeIsRefusedBeforePublishing() throws Exception {
        RocksDB.loadLibrary();
        try (Options o = new Options().setCreateIfMissing(true); RocksDB db = RocksDB.open(o, dir.resolve("db").toString())) {
            TestEnv.writeTo(db, "k", 3000, 100, 1);
            db.put("tail".getBytes(), "in the memtable".getBytes());
            Path cp = checkpoint(db, "cp");
            HandedOverCheckpoint checked = inspect(cp);
            assertEquals(db.getLatestSequenceNumber(), checked.sequenceNumber());
            assertEquals(checked.files(), inspect(cp).files(), "the read-only open wrote nothing: same names, sizes, mtimes");
            assertTrue(checked.files().keySet().stream().noneMatch(f -> f.equals("LOCK") || f.startsWith("LOG")),
                    checked.files().toString());
            checked.checkUnchanged("svc");

            Files.writeString(cp.resolve("OPTIONS-999999.txt"), "late");
            assertEquals(ErrorCode.CONFLICT, refusal(() -> checked.checkUnchanged("svc")), "a file that appeared");
            Files.delete(cp.resolve("OPTIONS-999999.txt"));
            Path current = cp.resolve("CURRENT");
            Files.writeString(current, Files.readString(current), StandardOpenOption.TRUNCATE_EXISTING);
            Files.setLastModifiedTime(current, java.nio.file.attribute.FileTime.fromMillis(0));
            assertEquals(ErrorCode.CONFLICT, refusal(() -> checked.checkUnchanged("svc")), "a file rewritten");

            Path locked = checkpoint(db, "with-lock");
            Files.writeString(locked.resolve("LOCK"), "");
            assertEquals(ErrorCode.INVALID_ARGUMENT, refusal(() -> inspect(locked)));
            Path nested = checkpoint(db, "with-dir");
            Files.createDirectory(nested.resolve("sub"));
            assertEquals(ErrorCode.INVALID_ARGUMENT, refusal(() -> inspect(nested)));
            Path plain = checkpoint(db, "plain");
            assertEquals(ErrorCode.FORBIDDEN, refusal(() -> HandedOverCheckpoint.inspect("svc", plain, List.of(), Map.of())),
                    "no checkpoint roots: nothing may be handed over");
            assertEquals(ErrorCode.FORBIDDEN, refusal(() -> HandedOverCheckpoint.inspect("svc", dir.resolve("db"),
                    List.of(dir), Map.of(dir.resolve("db"), "database 'svc'"))), "the live database itself");
            assertEquals(ErrorCode.NOT_FOUND, refusal(() -> inspect(dir.resolve("roots").resolve("nope"))));
        }
    }

    /** A checkpoint of another database (a wrong path in the owning service) is refused by RocksDB's DB id. */
    @Test
    void aCheckpointOfAnotherDatabaseIsRefusedByItsDbId() throws Exception {
        RocksDB.loadLibrary();
        Path live = dir.resolve("db");
        try (Options o = new Options().setCreateIfMissing(true); RocksDB db = RocksDB.open(o, live.toString());
                RocksDB other = RocksDB.open(o, dir.resolve("other").toString())) {
            TestEnv.writeTo(db, "k", 100, 100, 1);
            TestEnv.writeTo(other, "k", 100, 100, 2);
            Path own = checkpoint(db, "own");
            Path foreign = checkpoint(other, "foreign");
            List<Path> roots = List.of(dir.resolve("roots"));
            assertEquals(db.getLatestSequenceNumber(),
                    HandedOverCheckpoint.inspect("svc", own, roots, Map.of(), live).sequenceNumber());
            BackupException e = assertThrows(BackupException.class,
                    () -> HandedOverCheckpoint.inspect("svc", foreign, roots, Map.of(), live));
            assertEquals(ErrorCode.CONFLICT, e.code());
            String liveId = Files.readString(live.resolve("IDENTITY")).strip();
            assertTrue(e.getMessage().contains("checkpoint of another RocksDB database") && e.getMessage().contains(liveId),
                    e.getMessage());
        }
    }
}
