#!/usr/bin/env bash
# Micro-benchmarks of the per-row mapping code (JMH): bench/jmh.sh [JMH options, e.g. -p columns=50]
set -Eeuo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mvn -q -B test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test.classpath
exec java -cp "target/test-classes:target/classes:$(cat target/test.classpath)" org.openjdk.jmh.Main 'io.cdcbridge.bench.MappingBench' "$@"
