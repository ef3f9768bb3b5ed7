/**
 * Re-reading backups. {@code Verifier} runs one {@code VerifyJob} per request, all sharing the {@code HashingPool}
 * (the hash dispatcher's threads), so verifications run in parallel up to the pool's size; a deep verification also
 * checks SST block checksums. {@code OfflineVerification} does the same per-file check without a server.
 *
 * <p>Layer 6 (jobs). May import: {@code runtime}, {@code config}, {@code repository}, {@code rocks}, {@code store},
 * {@code store.file}, {@code model}, {@code hash}; Pekko. Never {@code database}, {@code engine} or a gateway.
 */
package dev.meridian.backup.verify;
