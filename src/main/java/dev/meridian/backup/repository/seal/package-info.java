/**
 * Encryption at rest: the master key and name key of an encrypted repository ({@code RepositoryKeys}), the key slots
 * that wrap them under Argon2id-derived keys ({@code KeySlots}, {@code KeySlot}, {@code KdfParameters}), the
 * password an operator supplies ({@code Password}) and the AES-256-GCM sealing of whole blobs and object frames
 * ({@code Seal}). The exact format is in {@code docs/repository-format.md}, "Encrypted repositories".
 *
 * <p>Part of the Repository layer. May import: {@code store}, {@code model}, {@code hash}, Jackson, BouncyCastle,
 * {@code javax.crypto}, the JDK.
 */
package dev.meridian.backup.repository.seal;
