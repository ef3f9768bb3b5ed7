package dev.meridian.backup.bench;

/** What the benchmark times, in table order. */
enum Operation {
    FULL_BACKUP("full backup"),
    INCREMENTAL("backup after 1% new data"),
    /** After {@link #INCREMENTAL}: 1% other new data written through the open database, and another backup. */
    NEXT_INCREMENTAL("the next backup after 1% new data"),
    VERIFY("verify"),
    RESTORE("restore"),
    COPY("copy of the database files");

    final String label;

    Operation(String label) {
        this.label = label;
    }
}
