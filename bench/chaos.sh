#!/usr/bin/env bash
# Fault injection: the jar against an embedded Postgres, an embedded Kafka broker and the BigQuery and Carol fakes,
# while N row changes run on the bookstore; one fault per run; then every sink's latest state is compared with
# Postgres'. Prints one line per run: lost=0 stale=0 duplicates=<n> dlq=<n> dlq_repeats=<n> (dlq: distinct letters,
# only those the faults cause).
#
# usage: bench/chaos.sh [N] [OUTAGE_S] [FAULT...]
#   N         row changes per run (default 50000)
#   OUTAGE_S  how long a fake answers 503 (default 30)
#   FAULT     kill9 pg-restart kafka-restart bigquery-503 carol-503 token-revoked poison oversize replay scale-out (default: all, one run each)
# The test suite runs the short form (ChaosIT: all faults in one run of 4,000 changes).
set -Eeuo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${1:-50000}"; OUTAGE="${2:-30}"; shift $(( $# > 2 ? 2 : $# )) || true
FAULTS=("$@"); [[ ${#FAULTS[@]} -gt 0 ]] || FAULTS=(kill9 pg-restart kafka-restart bigquery-503 carol-503 token-revoked poison oversize replay scale-out)
cd "$ROOT"
mvn -q -B package -DskipTests dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test.classpath
WORK=$(mktemp -d -t cdc-chaos.XXXXXX); trap 'rm -rf "$WORK"' EXIT
java -Dcdc.test.jar="$ROOT/target/cdc-bridge.jar" -cp "target/test-classes:target/classes:$(cat target/test.classpath)" \
  io.cdcbridge.bench.ChaosRun "$WORK" "$N" "$OUTAGE" "${FAULTS[@]}" 2>&1 | grep -E '^(faults=|injecting)'
