#!/usr/bin/env bash
# Capture benchmark: Postgres (pgoutput) -> cdc-bridge -> Kafka, the same job and table as
# ../shared/peer-bench/run.sh measures for Kafka Connect + Debezium.
#
# usage: bench/capture.sh [N]     N = rows inserted in one transaction (default 100000)
#
# Postgres (system binaries, as the peer bench) and a Kafka broker (a separate JVM) start
# first; then the bridge's jar is launched and measured: JVM launch -> streaming, then per
# round N rows in one transaction -> N events on the topic. Round 1 is the cold JVM, the
# following rounds are warm. Environment: ROUNDS (default 3), PG_BIN, BRIDGE_OPTS (JVM flags
# for the bridge, default -Xms1g -Xmx1g -XX:+UseParallelGC, bench/defaults.sh), JAVA_HOME (the
# JDK), THREADS=1 (each round's busiest bridge threads), WIDTH=50 (a 50-column table), KEEP_WORK=1,
# BRIDGE_JAR (another build of the jar, for an A/B in one session).
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
N="${1:-100000}"
ROUNDS="${ROUNDS:-3}"
[[ "$N" =~ ^[1-9][0-9]*$ ]] || { echo "N must be a positive integer (got '$N')" >&2; exit 1; }
source "$HERE/lib.sh"
build_jar
start_postgres
start_kafka
HTTP_PORT=$(free_port)

# --- the bridge
mkdir -p "$WORK/bridge"
LAUNCH=$(now_ms)
(cd "$WORK/bridge" && exec java $BRIDGE_OPTS -Dcdc.source.host=127.0.0.1 -Dcdc.source.port="$PG_PORT" -Dcdc.source.database=bench \
  -Dcdc.source.user=postgres -Dcdc.source.password=postgres -Dcdc.source.tables=public.sales -Dcdc.source.slot=cdc_bench \
  -Dcdc.source.publication=cdc_bench -Dcdc.source.snapshot-mode=no_data -Dcdc.kafka.brokers="$BOOTSTRAP" -Dcdc.kafka.topic-prefix=bench \
  -Dcdc.routes.reload=false -Dcdc.http.port="$HTTP_PORT" -jar "$JAR") >"$LOGS/bridge.log" 2>&1 &
BRIDGE_PID=$!
streaming() { alive "$BRIDGE_PID" || die "the bridge exited"; grep -q "Streaming changes from slot" "$LOGS/bridge.log"; }
wait_for "the bridge to stream" 120 streaming
STREAMING_MS=$(( $(now_ms) - LAUNCH ))
STREAMING_UPTIME=$(grep -o '([0-9]* ms after JVM start)' "$LOGS/bridge.log" | head -1 | tr -dc 0-9)
STARTUP_HWM=$(vm "$BRIDGE_PID" VmHWM)

TOPIC=bench.public.sales
insert_rows 1                         # warm-up: the topic exists and the pipeline is live
BASE=1; RESULTS=()
for ((r = 1; r <= ROUNDS; r++)); do
  java -cp "$JAR" "$HERE/TopicWatch.java" "$BOOTSTRAP" "$TOPIC" "$BASE" "$N" 900 >"$WORK/watch.out" 2>"$LOGS/watch.log" &
  WATCH=$!
  wait_for "watcher" 120 grep -q READY "$WORK/watch.out"
  [[ "${THREADS:-0}" == 1 ]] && thread_ticks "$BRIDGE_PID" >"$WORK/threads.0"
  C0=$(cpu_ms "$BRIDGE_PID"); J0=$(jit_ms "$BRIDGE_PID"); K0=$(cpu_ms "$KAFKA_PID"); T0=$(now_ms)
  insert_rows "$N"
  T_INS=$(( $(now_ms) - T0 ))
  wait "$WATCH" || die "watcher: $(cat "$WORK/watch.out")"
  T1=$(awk '$1=="DONE"{print $2}' "$WORK/watch.out"); FIRST=$(awk '$1=="FIRST"{print $2}' "$WORK/watch.out")
  MS=$(( T1 - T0 )); CPU=$(( $(cpu_ms "$BRIDGE_PID") - C0 )); JIT=$(( $(jit_ms "$BRIDGE_PID") - J0 )); (( JIT < 0 )) && JIT=0; BROKER=$(( $(cpu_ms "$KAFKA_PID") - K0 ))
  RESULTS+=("$MS")
  [[ $r -eq 1 ]] && KIND=cold || KIND=warm
  echo "cdc-bridge round $r ($KIND): $N events in $(secs $MS) s = $(rate "$N" "$MS") events/s (insert $(secs $T_INS) s, first event after $(secs $(( FIRST - T0 ))) s, bridge CPU $(secs $CPU) s, of which JIT compiler threads $(secs $JIT) s; broker CPU $(secs $BROKER) s)"
  if [[ "${THREADS:-0}" == 1 ]]; then # the busiest threads of the round: which one is the pipeline's limit
    thread_ticks "$BRIDGE_PID" | awk -v tck="$(getconf CLK_TCK)" 'NR==FNR{a[$1]=$2; next} {d=$2-a[$1]; if (d>0) printf "    %6.2f s  %s\n", d/tck, $3}' "$WORK/threads.0" - | sort -rn | head -6
  fi
  BASE=$(( BASE + N ))
done
echo "cdc-bridge-cold: $(rate "$N" "${RESULTS[0]}") events/s"
if [[ $ROUNDS -gt 1 ]]; then
  WARM=$(printf '%s\n' "${RESULTS[@]:1}" | sort -n | awk '{a[NR]=$1} END{print a[int(NR/2)+1]}')
  echo "cdc-bridge-warm: $(rate "$N" "$WARM") events/s (median of rounds 2..$ROUNDS)"
fi
echo "cdc-bridge-peak-rss: $(vm "$BRIDGE_PID" VmHWM) MiB (VmHWM; $STARTUP_HWM MiB once streaming; $BRIDGE_OPTS)"
echo "cdc-bridge-startup: streaming $(secs $STREAMING_MS) s after launch (JVM uptime at streaming: $(secs "${STREAMING_UPTIME:-0}") s)"
echo "machine: $(nproc) cores, $(java -version 2>&1 | head -1)"
