package dev.meridian.backup.rocks;

import dev.meridian.backup.model.BackupException;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A child JVM (started under a low {@code ulimit -n}) that opens one database through {@link LiveDatabase} and
 * prints one line: {@code OPENED keys=... k00000=...}, or {@code REFUSED <message>}. With the argument
 * {@code exhaust} it first uses up every free file descriptor but two, as other work in the process could.
 */
public final class OpenProbe {
    public static void main(String[] args) throws Exception {
        Path db = Path.of(args[0]);
        boolean exhaust = args.length > 1 && args[1].equals("exhaust");
        System.out.println("LIMIT " + FileDescriptorBudget.processLimit() + " budget " + FileDescriptorBudget.perDatabase());
        List<FileInputStream> held = new ArrayList<>();
        if (exhaust) {
            // Load what the error path needs while descriptors are still free.
            BackupException.class.getName();
            dev.meridian.backup.model.ErrorCode.UNAVAILABLE.name();
            Class.forName(LiveDatabase.class.getName());
            Class.forName(OptionsFile.class.getName());
            "x".concat(String.valueOf(1L)).toLowerCase(java.util.Locale.ROOT);
            try {
                while (true) {
                    held.add(new FileInputStream("/dev/null"));
                }
            } catch (IOException e) {
                for (int i = 0; i < 2; i++) {
                    held.remove(held.size() - 1).close();
                }
            }
        }
        try (LiveDatabase live = LiveDatabase.open("probe", db, false)) {
            for (FileInputStream f : held) {
                f.close();
            }
            byte[] first = live.handle().get("k00000".getBytes(StandardCharsets.UTF_8));
            System.out.println("OPENED keys=" + live.estimatedKeys()
                    + " k00000=" + (first == null ? "missing" : new String(first, StandardCharsets.UTF_8)));
        } catch (BackupException e) {
            for (FileInputStream f : held) {
                f.close();
            }
            System.out.println("REFUSED " + e.getMessage());
        }
    }
}
