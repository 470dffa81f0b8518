#!/usr/bin/env bash
# Initial-load benchmark: an N-row table -> cdc-bridge's snapshot -> N events on Kafka, the same table and rows as
# ../shared/peer-bench/run.sh measures for Kafka Connect + Debezium with SNAPSHOT_ROWS=N.
#
# usage: bench/snapshot.sh [N]    N = rows of the table (default 200000)
#        VIA=backfill bench/snapshot.sh [N]   the same rows read by a backfill (Debezium's incremental snapshot, the
#                                            bridge's patched read-only source) requested on a running bridge that
#                                            streams and has read nothing (snapshot mode no_data): t0 = the request
#
# Postgres (system binaries) and a Kafka broker (a separate JVM) start first; the table is written and vacuumed
# before the clock starts. Then the bridge is launched (snapshot mode initial, that table only): t0 = the launch (the
# request: a bridge starting on a database it has not captured), t1 = N events on the topic. The peer's clock starts
# when its connector is created on an already running worker, so the output also gives the time from the first event
# to the last (JVM start and preflight left out). Environment: BRIDGE_OPTS, BRIDGE_JAR (another build), PG_BIN, JAVA_HOME,
# THREADS=1 (the bridge's busiest threads over the load: which one is its limit), KEEP_WORK=1.
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
N="${1:-200000}"; VIA="${VIA:-}"
[[ -z "$VIA" || "$VIA" == backfill ]] || { echo "VIA must be empty or backfill (got '$VIA')" >&2; exit 1; }
[[ "$N" =~ ^[1-9][0-9]*$ ]] || { echo "N must be a positive integer (got '$N')" >&2; exit 1; }
source "$HERE/lib.sh"
build_jar
start_postgres
start_kafka
HTTP_PORT=$(free_port)

# the peer's table and rows (peer-bench/run.sh, SNAPSHOT_ROWS)
sql "CREATE TABLE sales_snap(id int PRIMARY KEY, book_id int, user_id int, quantity int,
                             price numeric(10,2), sold_at timestamptz DEFAULT now())"
sql "INSERT INTO sales_snap SELECT g, 1 + g % 1000, 1 + g % 5000, 1 + g % 5, (1 + g % 100) * 1.25, now()
     FROM generate_series(1, $N) g"
sql "VACUUM ANALYZE sales_snap"
TOPIC=snap.public.sales_snap
java -cp "$JAR" "$HERE/TopicWatch.java" "$BOOTSTRAP" "$TOPIC" 0 "$N" 1800 >"$WORK/watch.out" 2>"$LOGS/watch.log" &
WATCH=$!
wait_for "watcher" 120 grep -q READY "$WORK/watch.out"

mkdir -p "$WORK/bridge"
BRIDGE_ARGS=(-Dcdc.source.host=127.0.0.1 -Dcdc.source.port="$PG_PORT" -Dcdc.source.database=bench
  -Dcdc.source.user=postgres -Dcdc.source.password=postgres -Dcdc.source.tables=public.sales_snap -Dcdc.source.slot=cdc_snap
  -Dcdc.source.publication=cdc_snap -Dcdc.kafka.brokers="$BOOTSTRAP" -Dcdc.kafka.topic-prefix=snap -Dcdc.http.port="$HTTP_PORT")
if [[ "$VIA" == backfill ]]; then
  # a running bridge that streams and has read nothing (snapshot mode no_data); the clock starts at the request
  JMX_PORT=$(free_port)
  (cd "$WORK/bridge" && exec java $BRIDGE_OPTS "${BRIDGE_ARGS[@]}" -Dcdc.source.snapshot-mode=no_data -Dcdc.jmx.port="$JMX_PORT" -jar "$JAR") >"$LOGS/bridge.log" 2>&1 &
  BRIDGE_PID=$!
  wait_for "the bridge streaming" 180 grep -q "Streaming changes from slot" "$LOGS/bridge.log"
  wait_for "remote JMX" 60 grep -q "Remote JMX on" "$LOGS/bridge.log"
  K0=$(cpu_ms "$KAFKA_PID"); C0=$(cpu_ms "$BRIDGE_PID"); P0=$(pg_cpu_ms); T0=$(now_ms)
  [[ "${THREADS:-0}" == 1 ]] && thread_ticks "$BRIDGE_PID" >"$WORK/threads.0"
  (cd "$WORK" && java -jar "$JAR" backfill --table public.sales_snap --jmx "127.0.0.1:$JMX_PORT") >"$WORK/backfill.out" 2>&1 || die "backfill: $(cat "$WORK/backfill.out")"
  WHAT="backfill requested on a running bridge -> all rows on the topic"
else
  K0=$(cpu_ms "$KAFKA_PID"); C0=0; P0=$(pg_cpu_ms); T0=$(now_ms); echo "0 0 none" >"$WORK/threads.0"
  (cd "$WORK/bridge" && exec java $BRIDGE_OPTS "${BRIDGE_ARGS[@]}" -Dcdc.source.snapshot-mode=initial -jar "$JAR") >"$LOGS/bridge.log" 2>&1 &
  BRIDGE_PID=$!
  WHAT="bridge launched -> all rows on the topic"
fi
# CPU is read while the bridge still runs: sample it until the watcher is done
CPU=0
while alive "$WATCH"; do
  alive "$BRIDGE_PID" || die "the bridge exited: $(tail -3 "$LOGS/bridge.log")"
  c=$(cpu_ms "$BRIDGE_PID"); (( c > CPU )) && CPU=$c
  [[ "${THREADS:-0}" == 1 ]] && thread_ticks "$BRIDGE_PID" >"$WORK/threads.1"
  sleep 0.2
done
wait "$WATCH" || die "watcher: $(cat "$WORK/watch.out")"
c=$(cpu_ms "$BRIDGE_PID"); (( c > CPU )) && CPU=$c
T1=$(awk '$1=="DONE"{print $2}' "$WORK/watch.out"); FIRST=$(awk '$1=="FIRST"{print $2}' "$WORK/watch.out")
BROKER=$(( $(cpu_ms "$KAFKA_PID") - K0 )); PGCPU=$(( $(pg_cpu_ms) - P0 ))
MS=$(( T1 - T0 )); CPU=$(( CPU - C0 ))
echo "cdc-bridge-snapshot: $N rows in $(secs $MS) s = $(rate "$N" "$MS") rows/s ($WHAT; first event after $(secs $(( FIRST - T0 ))) s)"
echo "  first event -> last: $(secs $(( T1 - FIRST ))) s = $(rate "$N" $(( T1 - FIRST ))) rows/s (the snapshot's own rate$([[ -n "$VIA" ]] || echo ', JVM start and preflight left out'))"
echo "  CPU: bridge $(secs $CPU) s ($(awk -v c="$CPU" -v n="$N" 'BEGIN{printf "%.2f", c/1000*100000/n}') s per 100k rows, $([[ -n "$VIA" ]] && echo 'from the request' || echo 'JVM start included')), broker $(secs $BROKER) s, Postgres $(secs $PGCPU) s; peak RSS $(vm "$BRIDGE_PID" VmHWM) MiB"
if [[ "${THREADS:-0}" == 1 ]]; then # the bridge's busiest threads over the load (to the last sample before it ended)
  awk -v tck="$(getconf CLK_TCK)" 'NR==FNR{a[$1]=$2; next} {d=$2-a[$1]; if (d>0) printf "    %6.2f s  %s\n", d/tck, $3}' "$WORK/threads.0" "$WORK/threads.1" | sort -rn | head -8
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(java -version 2>&1 | head -1)"
stop_pid "$BRIDGE_PID"
