package dev.meridian.backup.model;

/** Progress of one long operation (backup, restore, verify), sent to whoever asked for it. */
public record ProgressUpdate(String requestId, String operation, String subject, long done, long total, String message) {}
