#!/usr/bin/env bash
# Runs S3Proxy (the test-scope dependency the S3 tests use, from the Maven local repository) in the foreground as an
# S3 server on 127.0.0.1:PORT, storing objects under DATA_DIR (jclouds' filesystem backend), with SigV2/SigV4
# authentication for AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the bucket BUCKET created empty if missing.
# `bench --repository s3` starts it this way unless given --s3-endpoint; it is also handy for trying an S3 repository
# by hand. Stop it with Ctrl-C or SIGTERM. Not for production: it binds to loopback only and keeps no redundancy.
#
#   AWS_ACCESS_KEY_ID=key AWS_SECRET_ACCESS_KEY=secret scripts/s3proxy.sh DATA_DIR PORT [BUCKET]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -lt 2 ]; then
  echo "usage: AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... $0 DATA_DIR PORT [BUCKET]" >&2
  exit 2
fi
DATA="$1"
PORT="$2"
BUCKET="${3:-meridian}"
: "${AWS_ACCESS_KEY_ID:?set AWS_ACCESS_KEY_ID (the identity S3Proxy accepts)}"
: "${AWS_SECRET_ACCESS_KEY:?set AWS_SECRET_ACCESS_KEY (the secret S3Proxy accepts)}"

# The test classpath (S3Proxy and what it needs), resolved once per pom.xml change.
CP_FILE="$ROOT/target/s3proxy.classpath"
if [ ! -s "$CP_FILE" ] || [ "$ROOT/pom.xml" -nt "$CP_FILE" ]; then
  mkdir -p "$ROOT/target"
  if ! (cd "$ROOT" && { mvn -B -o -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$CP_FILE" \
        || mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$CP_FILE"; } >&2); then
    echo "s3proxy.sh: could not resolve S3Proxy from Maven; run 'mvn -B dependency:build-classpath' in $ROOT to see why" >&2
    exit 1
  fi
fi

mkdir -p "$DATA/$BUCKET"
PROPS="$DATA/.s3proxy.properties"
umask 077
cat > "$PROPS" <<PROPS
s3proxy.endpoint=http://127.0.0.1:$PORT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$AWS_ACCESS_KEY_ID
s3proxy.credential=$AWS_SECRET_ACCESS_KEY
jclouds.provider=filesystem
jclouds.filesystem.basedir=$DATA
PROPS
# Warnings only: without a configuration logback logs every request at DEBUG, which slows the server several-fold.
LOGBACK="$DATA/.s3proxy-logback.xml"
cat > "$LOGBACK" <<'XML'
<configuration>
  <appender name="err" class="ch.qos.logback.core.ConsoleAppender"><target>System.err</target>
    <encoder><pattern>s3proxy %level %logger{0}: %msg%n</pattern></encoder></appender>
  <root level="WARN"><appender-ref ref="err"/></root>
</configuration>
XML
exec java ${S3PROXY_JAVA_OPTS:-} -Dlogback.configurationFile="$LOGBACK" -cp "$(cat "$CP_FILE")" org.gaul.s3proxy.Main --properties "$PROPS"
