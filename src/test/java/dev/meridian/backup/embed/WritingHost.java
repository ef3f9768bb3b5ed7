package dev.meridian.backup.embed;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.StampedLock;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.StringAppendOperator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * A test host application: owns a database with three column families (default, events, counters), all with the
 * built-in {@code stringappend} merge operator, and writes from {@value #WRITERS} threads. Each write is one batch
 * of writer w's record n: {@code events["w<w>:<n>"]}, a merge of n into {@code counters["w<w>"]} and
 * {@code default["last:w<w>"] = n}, so any consistent state holds, per writer, records 0..last and nothing else.
 */
final class WritingHost implements HandOff, AutoCloseable {
    static final int WRITERS = 4;
    static final List<String> FAMILIES = List.of("default", "events", "counters");

    private final Path dir;
    private final DBOptions dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
    private final ColumnFamilyOptions cfOptions = new ColumnFamilyOptions().setMergeOperator(new StringAppendOperator());
    private final StampedLock gate = new StampedLock();
    private final AtomicLong[] next = new AtomicLong[WRITERS];
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicReference<Throwable> writerFailure = new AtomicReference<>();
    private volatile RocksDB db;
    private volatile List<ColumnFamilyHandle> handles;
    private volatile boolean running;
    private volatile boolean paused;
    private long handOffStamp;
    /** When set, quiesceAndClose refuses (a host that cannot let go). */
    volatile boolean refuseToClose;
    /** How many of the next reopens fail (a host that cannot open what it was given). */
    volatile int failingReopens;
    final List<String> outcomes = new java.util.concurrent.CopyOnWriteArrayList<>();
    int closes;
    int reopens;

    WritingHost(Path dir) throws RocksDBException {
        this.dir = dir;
        for (int w = 0; w < WRITERS; w++) {
            next[w] = new AtomicLong();
        }
        open();
        resumeCounters();
    }

    /** Each writer goes on after its last record in the database (which may be a restored, earlier state). */
    private void resumeCounters() throws RocksDBException {
        for (int w = 0; w < WRITERS; w++) {
            String last = get(0, "last:w" + w);
            next[w].set(last == null ? 0 : Long.parseLong(last) + 1);
        }
    }

    private void open() throws RocksDBException {
        List<ColumnFamilyHandle> hs = new ArrayList<>();
        db = RocksDB.open(dbOptions, dir.toString(), descriptors(cfOptions), hs);
        handles = hs;
    }

    static List<ColumnFamilyDescriptor> descriptors(ColumnFamilyOptions cf) {
        return FAMILIES.stream().map(f -> new ColumnFamilyDescriptor(f.getBytes(StandardCharsets.UTF_8), cf)).toList();
    }

    RocksDB db() {
        return db;
    }

    List<ColumnFamilyHandle> handles() {
        return handles;
    }

    void startWriters() {
        running = true;
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            Thread t = new Thread(() -> writeLoop(writer), "host-writer-" + w);
            t.start();
            threads.add(t);
        }
    }

    private void writeLoop(int w) {
        try (WriteOptions wo = new WriteOptions()) {
            while (running) {
                if (paused) {
                    Thread.sleep(1);
                    continue;
                }
                long stamp = gate.readLock();
                try {
                    if (paused) {
                        continue;
                    }
                    long n = next[w].get();
                    try (WriteBatch b = new WriteBatch()) {
                        List<ColumnFamilyHandle> hs = handles;
                        b.put(hs.get(1), bytes(String.format("w%d:%08d", w, n)), bytes("record " + n + " of writer " + w));
                        b.merge(hs.get(2), bytes("w" + w), bytes(Long.toString(n)));
                        b.put(hs.get(0), bytes("last:w" + w), bytes(Long.toString(n)));
                        db.write(wo, b);
                    }
                    next[w].incrementAndGet();
                } finally {
                    gate.unlockRead(stamp);
                }
            }
        } catch (Throwable e) {
            writerFailure.compareAndSet(null, e);
        }
    }

    /** Stops writing and waits for writes in flight. */
    void pauseWriters() {
        paused = true;
        gate.unlockWrite(gate.writeLock());
    }

    void resumeWriters() {
        paused = false;
    }

    void stopWriters() throws Exception {
        running = false;
        for (Thread t : threads) {
            t.join();
        }
        threads.clear();
        if (writerFailure.get() != null) {
            throw new AssertionError("a host writer failed", writerFailure.get());
        }
    }

    long written(int w) {
        return next[w].get();
    }

    /** The host's own write (not one of the numbered writers). */
    void put(int family, String key, String value) throws RocksDBException {
        long stamp = gate.readLock();
        try {
            db.put(handles.get(family), bytes(key), bytes(value));
        } finally {
            gate.unlockRead(stamp);
        }
    }

    String get(int family, String key) throws RocksDBException {
        byte[] v = db.get(handles.get(family), bytes(key));
        return v == null ? null : new String(v, StandardCharsets.UTF_8);
    }

    /** SHA-256 over every column family's keys and values, through the host's handle. */
    String digest() throws Exception {
        return digest(db, handles);
    }

    static String digest(RocksDB db, List<ColumnFamilyHandle> hs) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (int i = 0; i < hs.size(); i++) {
            try (RocksIterator it = db.newIterator(hs.get(i))) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    md.update((byte) i);
                    md.update(it.key());
                    md.update((byte) 0);
                    md.update(it.value());
                    md.update((byte) 0);
                }
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** What an independent reader sees in a database directory. */
    record Contents(long[] lastPerWriter, String digest) {}

    /**
     * Opens {@code dir} read-only with the host's options (its own DBOptions and merge operator, not Meridian's) and
     * checks that each writer's records form a prefix 0..last with nothing missing or beyond, in all three families.
     */
    static Contents readIndependently(Path dir) throws Exception {
        try (DBOptions o = new DBOptions(); ColumnFamilyOptions cf = new ColumnFamilyOptions().setMergeOperator(new StringAppendOperator())) {
            List<ColumnFamilyHandle> hs = new ArrayList<>();
            try (RocksDB ro = RocksDB.openReadOnly(o, dir.toString(), descriptors(cf), hs)) {
                try {
                    long[] last = new long[WRITERS];
                    for (int w = 0; w < WRITERS; w++) {
                        byte[] l = ro.get(hs.get(0), bytes("last:w" + w));
                        last[w] = l == null ? -1 : Long.parseLong(new String(l, StandardCharsets.UTF_8));
                        long expected = 0;
                        try (RocksIterator it = ro.newIterator(hs.get(1))) {
                            String prefix = "w" + w + ":";
                            for (it.seek(bytes(prefix)); it.isValid() && new String(it.key(), StandardCharsets.UTF_8).startsWith(prefix); it.next()) {
                                assertEquals(String.format("w%d:%08d", w, expected), new String(it.key(), StandardCharsets.UTF_8),
                                        "writer " + w + "'s records are a prefix without gaps in " + dir);
                                expected++;
                            }
                        }
                        assertEquals(last[w] + 1, expected, "writer " + w + ": events end where last says in " + dir);
                        byte[] c = ro.get(hs.get(2), bytes("w" + w));
                        StringBuilder want = new StringBuilder();
                        for (long n = 0; n <= last[w]; n++) {
                            want.append(n == 0 ? "" : ",").append(n);
                        }
                        String got = c == null ? null : new String(c, StandardCharsets.UTF_8);
                        String expectedCounter = last[w] < 0 ? null : want.toString();
                        if (!java.util.Objects.equals(expectedCounter, got)) {
                            throw new AssertionError("writer " + w + ": the merged counter does not hold exactly records 0.."
                                    + last[w] + " in " + dir + " (it has " + (got == null ? "none" : got.split(",").length
                                    + " entries, ending " + got.substring(Math.max(0, got.length() - 40))) + ")");
                        }
                    }
                    return new Contents(last, digest(ro, hs));
                } finally {
                    hs.forEach(ColumnFamilyHandle::close);
                }
            }
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // ---- HandOff ----

    @Override
    public void quiesceAndClose() {
        if (refuseToClose) {
            throw new IllegalStateException("the host is in a transaction and cannot close the database now");
        }
        handOffStamp = gate.writeLock();
        handles.forEach(ColumnFamilyHandle::close);
        db.close();
        closes++;
    }

    @Override
    public Reopened reopen(Path directory) throws RocksDBException {
        if (handOffStamp == 0) {
            return new Reopened(db, handles); // it never closed: hand back the open handle
        }
        if (failingReopens > 0) {
            failingReopens--;
            throw new IllegalStateException("the host's schema check refused the database at " + directory);
        }
        open();
        resumeCounters();
        reopens++;
        gate.unlockWrite(handOffStamp);
        handOffStamp = 0;
        return new Reopened(db, handles);
    }

    @Override
    public void restoreEnded(boolean restored, String message) {
        outcomes.add((restored ? "restored: " : "failed: ") + message);
    }

    @Override
    public void close() throws Exception {
        if (running) {
            stopWriters();
        }
        handles.forEach(ColumnFamilyHandle::close);
        db.close();
        cfOptions.close();
        dbOptions.close();
    }
}
