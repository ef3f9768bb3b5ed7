/**
 * Configuration, read once at startup and checked there. {@code Settings} is the typed form of {@code meridian.*}
 * (HOCON), with {@code DatabaseSettings} per database (path, schedule, retention policies per backup type) and
 * {@code AuthToken}s with their {@code Scope}s; {@code ConfigKeys} refuses every unknown {@code meridian.*} key.
 * Settings reach the jobs as model values ({@code RetentionPolicy}, {@code Schedule}), so nothing here imports a job.
 *
 * <p>Layer 4. May import: {@code repository}, {@code rocks}, {@code store}, {@code model}, {@code hash}, Typesafe
 * Config, the JDK.
 */
package dev.meridian.backup.config;
