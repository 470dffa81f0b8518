#!/usr/bin/env bash
# Soak: Postgres -> cdc-bridge -> Kafka -> both delivery routes -> the BigQuery and Carol fakes, at a steady rate for a
# long time (issue 23: 30 minutes at 2,000 changes/s over four tables).
#
# usage: bench/soak.sh [SECONDS] [RATE]     (default 1800 s at 2000 changes/s)
# The load starts as soon as the bridge streams; its first SOAK_WARMUP_MINUTES (default 1) are the cold JVM's, printed
# as warm-up and not measured (a restart under load: how long it takes to catch up shows there), then SECONDS are.
# Per minute: the bridge's RSS, commit -> BigQuery p50/p99/max of the rows that arrived in that minute and where the
# time went (commit -> the sink's batch, the batch -> stored), the bridge's GC pauses in it and how far each fake is
# behind; a summary of the measured minutes (worst p99, RSS spread around its mean, longest pause); at the end, after
# the fakes have drained, each row's latest state in both fakes against Postgres ("soak-result: ... lost 0, stale 0",
# the warm-up's changes included). Environment: SOAK_WARMUP_MINUTES, BRIDGE_OPTS (the bridge's JVM flags,
# default -Xms1g -Xmx1g -XX:+UseParallelGC, bench/defaults.sh), BRIDGE_JAR, DRIVER_OPTS (the driver's, default -Xmx12G -XX:+UseZGC: the fakes hold the current tables, and a stop-the-world pause of theirs would count as the bridge's latency; with 6G, ZGC's cycles on two busy cores fell behind the driver's allocation once its live set passed 2.5 GB after minute 20, and its allocation stalls, up to 4-5 s every two minutes, held both fakes and so both sinks: docs/benchmarks.md, soak runs 3 and 4),
# SOAK_OPTS (bridge settings under test), JAVA_HOME.
# The fakes run in the driver JVM (io.cdcbridge.bench.SoakBench, test classes); the bridge is the jar.
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SECONDS_="${1:-1800}"; RATE="${2:-2000}"
[[ "$SECONDS_" =~ ^[1-9][0-9]*$ && "$RATE" =~ ^[1-9][0-9]*$ ]] || { echo "usage: bench/soak.sh [SECONDS] [RATE]" >&2; exit 1; }
source "$HERE/lib.sh"
build_jar tests
start_postgres
start_kafka
java ${DRIVER_OPTS:--Xmx12G -XX:+UseZGC} -cp "$JAR:$ROOT/target/test-classes" io.cdcbridge.bench.SoakBench "$JAR" "$PG_PORT" "$BOOTSTRAP" "$WORK/bridge" "$RATE" "$SECONDS_"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(java -version 2>&1 | head -1)"
