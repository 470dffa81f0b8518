#!/usr/bin/env bash
# Writes a class-data archive (AppCDS, the JDK's dynamic archive) for a cdc-bridge jar. Started with
# -XX:SharedArchiveFile=ARCHIVE, the JVM maps the classes the bridge uses (Camel, Debezium, Kafka's clients, the sinks)
# from the archive instead of reading, parsing and verifying each at every start: launch -> streaming 2.5-2.7 s ->
# 1.5-1.6 s, and 2-3 CPU seconds less in a 1M-row initial load on 2 cores (docs/benchmarks.md, "Class-data archive").
#
# usage: deploy/cds-train.sh JAR DEMO_JAR ARCHIVE
#   JAR       the jar to train: /app/cdc-bridge-server.jar in the image (Dockerfile), the benchmarked jar in bench/
#   DEMO_JAR  target/cdc-bridge.jar: its embedded Postgres (the bookstore and its sales generator) and Kafka broker
#             are the training's servers; nothing outside this machine is touched
#   ARCHIVE   the archive to write. It holds only for JAR at the same path with the same size and time, and the same
#             JDK; a JVM given another starts without it (or, with -Xshare:on, stops).
# TRAIN_OPTS: JVM flags for both processes (heap and collector; the image's JDK_JAVA_OPTIONS apply too).
#
# The training: JAR snapshots the bookstore, streams the generator's sales, answers its health and metrics endpoints
# and delivers with both sinks in dry run until each has written a request, then stops; its JVM writes the archive as
# it exits. The archive is written beside the work files, checked (a JVM started from it with -Xshare:on) and only
# then put at ARCHIVE: a failed or interrupted training leaves no archive, never a partial one.
set -euo pipefail
[[ $# -eq 3 ]] || { echo "usage: $0 JAR DEMO_JAR ARCHIVE" >&2; exit 2; }
for f in "$1" "$2"; do [[ -f "$f" ]] || { echo "cds-train: no such jar: $f" >&2; exit 2; }; done
# absolute paths: the processes run in their own directories, and the archive records the jar's path
JAR="$(realpath "$1")"; DEMO_JAR="$(realpath "$2")"; ARCHIVE="$(realpath -m "$3")"
[[ -d "$(dirname "$ARCHIVE")" && -w "$(dirname "$ARCHIVE")" ]] || { echo "cds-train: cannot write into $(dirname "$ARCHIVE")" >&2; exit 2; }

WORK="$(mktemp -d)"
DEMO_PID=""; TRAIN_PID=""
alive() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; }
# TERM, then wait for the exit (the bridge drains, its JVM writes the archive); KILL after 60 s. Fails when it had to
# kill or the process exited with a failure.
stop() {
  local pid=$1 i; alive "$pid" || return 0; kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 600; i++)); do alive "$pid" || break; sleep 0.1; done
  if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; return 1; fi
  local rc=0; wait "$pid" 2>/dev/null || rc=$?; return "$rc" # a bridge stopped by SIGTERM exits 0
}
cleanup() { stop "$TRAIN_PID" || true; stop "$DEMO_PID" || true; rm -rf "$WORK"; }
trap cleanup EXIT; trap 'exit 130' INT; trap 'exit 143' TERM
die() {
  echo "cds-train: $*" >&2
  for log in "$WORK"/*.log; do [[ -f "$log" ]] && { echo "--- last lines of $log" >&2; tail -20 "$log" >&2; }; done
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
USED_PORTS=" "
free_port() { local p; while :; do p=$((20000 + RANDOM % 40000)); [[ "$USED_PORTS" == *" $p "* ]] && continue
  (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { USED_PORTS+="$p "; echo "$p"; return; }; done; }
has_rows() { compgen -G "$1/*.jsonl" >/dev/null && [[ -n "$(cat "$1"/*.jsonl 2>/dev/null | head -c 1)" ]]; }
http_ok() { # GET 127.0.0.1:$1$2 answers 200 (bash's /dev/tcp: the script needs no HTTP client)
  local status
  status=$( { exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$2" >&3 && head -1 <&3; } 2>/dev/null) || return 1
  [[ "$status" == *" 200 "* ]]
}
# The JVMs see no CDC_* variables or cdc.* properties of the caller (a CDC_CONFIG or an election setting would point
# the training elsewhere): only PATH, HOME and the image's JDK_JAVA_OPTIONS pass.
CLEAN_ENV=(env -i PATH="$PATH" HOME="${HOME:-/tmp}")
[[ -n "${JDK_JAVA_OPTIONS:-}" ]] && CLEAN_ENV+=(JDK_JAVA_OPTIONS="$JDK_JAVA_OPTIONS")

PG_PORT=$(free_port); KAFKA_PORT=$(free_port); HTTP_PORT=$(free_port)
# the servers: the demo with its own sinks off (its capture runs, harmlessly, on its own slot and topics)
mkdir -p "$WORK/demo" "$WORK/train"
(cd "$WORK/demo" && exec "${CLEAN_ENV[@]}" java ${TRAIN_OPTS:-} -Dcdc.data-dir="$WORK/demo/data" -Dcdc.http.port=-1 \
  -Dcdc.demo.postgres-port="$PG_PORT" -Dcdc.demo.kafka-port="$KAFKA_PORT" -Dcdc.demo.generator-rate=200 \
  -Dcdc.bigquery.enabled=false -Dcdc.carol.enabled=false -jar "$DEMO_JAR") >"$WORK/demo.log" 2>&1 &
DEMO_PID=$!
wait_for "demo servers (its capture streaming)" "$DEMO_PID" 180 grep -q "Streaming changes from slot" "$WORK/demo.log"

# the jar under training with what a deployment uses: offsets in Kafka, the HTTP endpoints, both sinks (their
# requests written, not sent); its routes are the jar's own, as the image's routes/ are copies of them
(cd "$WORK/train" && exec "${CLEAN_ENV[@]}" java ${TRAIN_OPTS:-} -XX:ArchiveClassesAtExit="$WORK/archive.jsa" \
  -Dcdc.data-dir="$WORK/train/data" -Dcdc.http.port="$HTTP_PORT" -Dcdc.offsets.store=kafka \
  -Dcdc.source.host=127.0.0.1 -Dcdc.source.port="$PG_PORT" -Dcdc.source.user=postgres -Dcdc.source.password=postgres \
  -Dcdc.source.slot=cds_train -Dcdc.source.publication=cds_train -Dcdc.kafka.brokers="127.0.0.1:$KAFKA_PORT" \
  -Dcdc.kafka.topic-prefix=train -Dcdc.sink.dry-run=true -Dcdc.bigquery.project=train -Dcdc.bigquery.dataset=bookstore \
  -Dcdc.carol.url=https://train.invalid -Dcdc.carol.connector-id=train -Dcdc.carol.auth=apikey -Dcdc.carol.api-key=train \
  -jar "$JAR") >"$WORK/train.log" 2>&1 &
TRAIN_PID=$!
wait_for "capture streaming (training)" "$TRAIN_PID" 120 grep -q "Streaming changes from slot" "$WORK/train.log"
wait_for "BigQuery dry-run rows (training)" "$TRAIN_PID" 120 has_rows "$WORK/train/data/out/bigquery"
wait_for "Carol dry-run rows (training)" "$TRAIN_PID" 60 has_rows "$WORK/train/data/out/carol"
wait_for "ready on /health/ready (training)" "$TRAIN_PID" 60 http_ok "$HTTP_PORT" /health/ready
http_ok "$HTTP_PORT" /metrics || die "/metrics did not answer 200 (training)"
stop "$TRAIN_PID" || die "the trained bridge did not stop cleanly within 60 s of SIGTERM"
TRAIN_PID=""
[[ -s "$WORK/archive.jsa" ]] || die "the JVM wrote no archive"
"${CLEAN_ENV[@]}" java ${TRAIN_OPTS:-} -Xshare:on -XX:SharedArchiveFile="$WORK/archive.jsa" -jar "$JAR" version >"$WORK/check.log" 2>&1 \
  || die "a JVM cannot start from the archive just written"
# a copy beside ARCHIVE, then a rename: whoever reads ARCHIVE sees the old archive or the new one, never half of one
rm -f "$ARCHIVE.partial"; cp "$WORK/archive.jsa" "$ARCHIVE.partial"; mv -f "$ARCHIVE.partial" "$ARCHIVE"
echo "cds-train: $ARCHIVE ($(du -h "$ARCHIVE" | cut -f1)) for $JAR"
