package dev.meridian.backup.embed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.backup.embed.example.ExampleHost;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.StringAppendOperator;

/** docs/embedding.md's example host is this source file, verbatim, and it runs: the example cannot rot. */
class ExampleHostTest {
    private static final Path EXAMPLE = Path.of("src/test/java/dev/meridian/backup/embed/example/ExampleHost.java");

    @Test
    void theDocumentationShowsTheExampleHostVerbatim() throws Exception {
        String doc = Files.readString(Path.of("docs/embedding.md"));
        String begin = "<!-- example: " + EXAMPLE + " -->\n```java\n";
        int start = doc.indexOf(begin);
        assertTrue(start >= 0, "docs/embedding.md must include the example after the marker " + begin.trim());
        int from = start + begin.length();
        String shown = doc.substring(from, doc.indexOf("```\n", from));
        assertEquals(Files.readString(EXAMPLE), shown, "docs/embedding.md's example differs from " + EXAMPLE
                + "; copy the file into the doc");
    }

    @Test
    void theExampleHostRunsBackupMigrationsAndAnInPlaceRestore(@TempDir Path work) throws Exception {
        PrintStream out = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try {
            ExampleHost.main(new String[] {work.toString()});
        } finally {
            System.setOut(out);
        }
        String text = printed.toString(StandardCharsets.UTF_8);
        out.print(text);
        assertTrue(text.contains("migration to schema 2: applied"), text);
        assertTrue(text.contains("migration to schema 3: rolled_back; schema is 2"), text);
        assertTrue(text.contains("after restore: order:1 = 3 apples, schema = null"), text);
        // The application's write after the restore was kept: read the database as the application opens it.
        try (DBOptions o = new DBOptions(); ColumnFamilyOptions cf = new ColumnFamilyOptions().setMergeOperator(new StringAppendOperator())) {
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            try (RocksDB db = RocksDB.openReadOnly(o, work.resolve("orders").toString(), List.of(
                    new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cf),
                    new ColumnFamilyDescriptor("lines".getBytes(StandardCharsets.UTF_8), cf)), handles)) {
                assertEquals("1 pear", new String(db.get(handles.get(0), "order:2".getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8));
                assertNull(db.get(handles.get(0), "schema".getBytes(StandardCharsets.UTF_8)));
                handles.forEach(ColumnFamilyHandle::close);
            }
        }
    }
}
