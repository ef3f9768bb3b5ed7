/**
 * Deleting backups, in two phases (invariant 6). {@code RetentionPlan} decides, purely, which backups the policies
 * keep and why; removing their manifests is the coordinator's operation; {@code GarbageCollector} then collects the
 * objects no manifest references, folding requests that arrive meanwhile into one more run.
 *
 * <p>Layer 6 (jobs). May import: {@code runtime}, {@code config}, {@code repository}, {@code store}, {@code model},
 * {@code hash}, and another job package while acyclic; Pekko. Never {@code database}, {@code engine} or a gateway.
 */
package dev.meridian.backup.retention;
