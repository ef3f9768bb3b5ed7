package dev.meridian.backup.database;

/** What a database's running operation is, as its status names it ({@code current_operation} on the wire). */
enum OperationKind {
    BACKUP("backup"), RESTORE("restore"), DELETE("delete"), RETENTION("retention"), DIRECT("direct");

    private final String wireName;

    OperationKind(String wireName) {
        this.wireName = wireName;
    }

    String wireName() {
        return wireName;
    }
}
