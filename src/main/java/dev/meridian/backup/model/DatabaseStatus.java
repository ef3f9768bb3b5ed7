package dev.meridian.backup.model;

import java.time.Instant;

/**
 * A database as its actor sees it. The RocksDB numbers are cached after each operation (reading them live would
 * touch RocksDB from the caller's thread), and {@code statsAt} says when.
 */
public record DatabaseStatus(String name, String path, String state, String currentOperation, int queued, int queueCapacity,
        Long sequenceNumber, Long estimatedKeys, Long liveSstBytes, Instant statsAt, String error) {}
