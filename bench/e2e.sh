#!/usr/bin/env bash
# End-to-end benchmark: Postgres -> cdc-bridge -> Kafka -> both delivery routes -> the BigQuery and Carol fakes.
#
# usage: bench/e2e.sh [N] [RATE] [SECONDS]
#   N        rows in one transaction, all accepted by the fake (default 100000)
#   RATE     steady commit rate for the latency phase, rows/s (default 2000), for SECONDS (default 20)
# Prints rows/s, commit -> sink p50/p99 latency, the bridge's peak RSS and its start -> streaming time.
# Environment: ROUNDS (default 2: round 1 cold, then warm), BRIDGE_OPTS (the bridge's JVM flags, default
# -Xms1g -Xmx1g -XX:+UseParallelGC, bench/defaults.sh), DRIVER_OPTS (the driver's, default -Xmx2G: the fakes keep the rows of a round, then drop them), E2E_OPTS
# (bridge settings under test, e.g. "-Dcdc.kafka.partitions=2 -Dcdc.bigquery.consumers=2 -Dcdc.carol.consumers=2"),
# WRITE_API (cdc.bigquery.write-api: storage, the default, or insertall), JAVA_HOME (the JDK).
# The fakes run in the driver JVM (io.cdcbridge.bench.EndToEndBench, test classes); the bridge is the jar.
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
N="${1:-100000}"; RATE="${2:-2000}"; SECONDS_="${3:-20}"
source "$HERE/lib.sh"
# the write path under test goes first: an explicit -Dcdc.bigquery.write-api in E2E_OPTS still wins (later flag)
export E2E_OPTS="-Dcdc.bigquery.write-api=${WRITE_API:-storage} ${E2E_OPTS:-}"
echo "write API: ${WRITE_API:-storage}"
build_jar tests
start_postgres
start_kafka
java ${DRIVER_OPTS:--Xmx2G} -cp "$JAR:$ROOT/target/test-classes" io.cdcbridge.bench.EndToEndBench "$JAR" "$PG_PORT" "$BOOTSTRAP" "$WORK/bridge" "$N" "$RATE" "$SECONDS_"
echo "machine: $(nproc) cores, $(java -version 2>&1 | head -1)"
