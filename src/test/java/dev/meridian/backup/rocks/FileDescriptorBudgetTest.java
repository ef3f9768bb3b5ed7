package dev.meridian.backup.rocks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Review finding (issue 7 item 8): the warm-up's scratch engine, one database, set the process-wide count of
 * databases to 1 while the server's engine had four, so each of the four opened with the whole budget (15000 of a
 * 20000 limit, 60000 in all). The limit is the process's: every engine's databases share it, and an engine that stops
 * gives its share back.
 */
class FileDescriptorBudgetTest {
    @Test
    void enginesInOneProcessSplitTheLimitAndGiveTheirShareBack() {
        int before = FileDescriptorBudget.databasesSharing();
        Runnable server = FileDescriptorBudget.share(4);
        Runnable scratch = FileDescriptorBudget.share(1);
        int together = FileDescriptorBudget.databasesSharing();
        assertEquals(before == 1 ? 5 : before + 5, together, "both engines' databases share the limit");
        assertEquals(FileDescriptorBudget.perDatabase(FileDescriptorBudget.processLimit(), together), FileDescriptorBudget.perDatabase());
        scratch.run();
        scratch.run();
        assertEquals(together - 1, FileDescriptorBudget.databasesSharing(), "a share is given back once");
        server.run();
        assertEquals(before, FileDescriptorBudget.databasesSharing());
    }
}
