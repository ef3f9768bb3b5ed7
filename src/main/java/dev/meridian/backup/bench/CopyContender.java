package dev.meridian.backup.bench;

import java.nio.file.Path;

/** The physical limit: one sequential copy of the database files, each fsynced (cp -a, then sync). */
final class CopyContender implements Contender {
    @Override
    public String name() {
        return "copy";
    }

    @Override
    public void run(Plan plan, Path work, Round round) throws Exception {
        Path target = work.resolve("copy");
        try {
            round.bytes.put(Operation.COPY, round.time(Operation.COPY, () -> BenchData.copyDatabase(plan.source(), target)));
        } finally {
            BenchData.deleteTrees(target);
        }
    }
}
