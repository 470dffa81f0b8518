#!/usr/bin/env bash
# Writes a class-data archive (AppCDS, the JDK's dynamic archive) for a cdc-bridge jar. Started with
# -XX:SharedArchiveFile=ARCHIVE, the JVM maps the classes the bridge uses (Camel, Debezium, Kafka's clients, the sinks)
# from the archive instead of reading, parsing and verifying each at every start: launch -> streaming 3.0-3.4 s ->
# 1.7-2.0 s, and 2-3 CPU seconds less in a 1M-row initial load on 2 cores (docs/benchmarks.md, "Class-data archive").
#
# usage: deploy/cds-train.sh JAR DEMO_JAR ARCHIVE
#   JAR       the jar to train: /app/cdc-bridge-server.jar in the image (Dockerfile), the benchmarked jar in bench/
#   DEMO_JAR  target/cdc-bridge.jar: its embedded Postgres (the bookstore and its sales generator) and Kafka broker
#             are the training's servers; nothing outside this machine is touched
#   ARCHIVE   the archive to write. It holds only for JAR at the same path (the JVM checks its path, size and time)
#             and the same JDK; with another, the JVM warns and starts without it.
# TRAIN_OPTS: JVM flags for both processes (the bench passes its BRIDGE_OPTS; the image's JDK_JAVA_OPTIONS apply anyway).
#
# The training: JAR snapshots the bookstore, streams the generator's sales and delivers them with both sinks in dry
# run until each sink has written a request, then stops; its JVM writes the archive as it exits.
set -euo pipefail
[[ $# -eq 3 ]] || { echo "usage: $0 JAR DEMO_JAR ARCHIVE" >&2; exit 2; }
for f in "$1" "$2"; do [[ -f "$f" ]] || { echo "cds-train: no such jar: $f" >&2; exit 2; }; done
# absolute paths: the processes run in their own directories (the archive records the jar's path as given)
JAR="$(realpath "$1")"; DEMO_JAR="$(realpath "$2")"; ARCHIVE="$(realpath -m "$3")"

WORK="$(mktemp -d)"
DEMO_PID=""; TRAIN_PID=""
alive() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; }
stop() { # TERM, then wait for the exit (the bridge drains and the JVM writes the archive); KILL after 60 s
  local pid=$1 i; alive "$pid" || return 0; kill -TERM "$pid"
  for ((i = 0; i < 600; i++)); do alive "$pid" || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
}
cleanup() { stop "$TRAIN_PID"; stop "$DEMO_PID"; rm -rf "$WORK"; }
trap cleanup EXIT
die() {
  echo "cds-train: $*" >&2
  for log in "$WORK"/*.log; do echo "--- last lines of $log" >&2; tail -20 "$log" >&2; done
  exit 1
}
# waits for a condition (polled every 0.2 s) while the process lives; names what it waited for when it gives up
wait_for() {
  local what=$1 pid=$2 limit=$3 i; shift 3
  for ((i = 0; i < limit * 5; i++)); do
    "$@" && return 0
    alive "$pid" || die "the process stopped while waiting for $what"
    sleep 0.2
  done
  die "no $what after $limit s"
}
free_port() { local p; while :; do p=$((20000 + RANDOM % 40000)); (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }; done; }
has_rows() { compgen -G "$1/*.jsonl" >/dev/null && [[ -n "$(cat "$1"/*.jsonl 2>/dev/null | head -c 1)" ]]; }

PG_PORT=$(free_port); KAFKA_PORT=$(free_port)
# the servers: the demo with its own sinks off (its capture runs, harmlessly, on its own slot and topics)
mkdir -p "$WORK/demo" "$WORK/train"
(cd "$WORK/demo" && exec java ${TRAIN_OPTS:-} -Dcdc.data-dir="$WORK/demo/data" -Dcdc.http.port=-1 \
  -Dcdc.demo.postgres-port="$PG_PORT" -Dcdc.demo.kafka-port="$KAFKA_PORT" -Dcdc.demo.generator-rate=200 \
  -Dcdc.bigquery.enabled=false -Dcdc.carol.enabled=false -jar "$DEMO_JAR") >"$WORK/demo.log" 2>&1 &
DEMO_PID=$!
wait_for "demo servers (its capture streaming)" "$DEMO_PID" 240 grep -q "Streaming changes from slot" "$WORK/demo.log"

rm -f "$ARCHIVE"
# the jar under training, as the image runs it (its routes are the jar's own: no routes directory here)
(cd "$WORK/train" && exec java ${TRAIN_OPTS:-} -XX:ArchiveClassesAtExit="$ARCHIVE" -Dcdc.data-dir="$WORK/train/data" \
  -Dcdc.http.port=-1 -Dcdc.source.host=127.0.0.1 -Dcdc.source.port="$PG_PORT" \
  -Dcdc.source.user=postgres -Dcdc.source.password=postgres -Dcdc.source.slot=cds_train -Dcdc.source.publication=cds_train \
  -Dcdc.kafka.brokers="127.0.0.1:$KAFKA_PORT" -Dcdc.kafka.topic-prefix=train -Dcdc.sink.dry-run=true \
  -Dcdc.bigquery.project=train -Dcdc.bigquery.dataset=bookstore -Dcdc.carol.url=https://train.invalid \
  -Dcdc.carol.connector-id=train -Dcdc.carol.auth=apikey -Dcdc.carol.api-key=train -jar "$JAR") >"$WORK/train.log" 2>&1 &
TRAIN_PID=$!
wait_for "capture streaming (training)" "$TRAIN_PID" 120 grep -q "Streaming changes from slot" "$WORK/train.log"
wait_for "BigQuery dry-run rows (training)" "$TRAIN_PID" 120 has_rows "$WORK/train/data/out/bigquery"
wait_for "Carol dry-run rows (training)" "$TRAIN_PID" 120 has_rows "$WORK/train/data/out/carol"
stop "$TRAIN_PID"
[[ -s "$ARCHIVE" ]] || die "the JVM wrote no archive at $ARCHIVE"
echo "cds-train: $ARCHIVE ($(du -h "$ARCHIVE" | cut -f1)) for $JAR"
