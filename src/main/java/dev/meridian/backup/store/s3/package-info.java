/**
 * {@code S3BlobStore}: blobs as objects in an S3 bucket (AWS S3 or a compatible server: MinIO, Ceph RGW, S3Proxy),
 * on the AWS SDK for Java v2. A blob is spooled to a local file while it is written and hashed, and uploaded under its
 * final key at commit (one PutObject, or a multipart upload with parts in parallel); S3 makes an object visible only
 * when its upload completes. {@code S3Location} is a parsed {@code s3://bucket/prefix} URL with its endpoint settings.
 *
 * <p>Layer 2. May import: {@code store}, {@code model}, {@code hash}, the AWS SDK, SLF4J, the JDK.
 */
package dev.meridian.backup.store.s3;
