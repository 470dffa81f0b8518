#!/usr/bin/env bash
# Backfill benchmark: how long streaming of another table pauses while an N-row table is backfilled
# (docs/operations.md, "Backfill"; issue 21 item 2).
#
# usage: bench/backfill.sh [N]    N = rows of the backfilled table (default 1000000)
#
# Postgres (system binaries) and a Kafka broker (its own JVM) start first; the N-row table `big` is written and
# vacuumed, the bridge captures `big` and `ticks` with snapshot mode no_data (streaming at once, no initial read). A
# steady load (bench/StreamLatency.java: RATE rows/s into `ticks`, one per transaction, default 100) runs throughout;
# after a baseline of BASELINE_S seconds (default 10) `java -jar cdc-bridge.jar backfill --table public.big` goes to the
# running bridge over JMX, and the load goes on until TAIL_S seconds (default 5) after the log says the backfill is
# done. Per `ticks` event: its commit (client time, right after the commit) -> its arrival on the topic. Reported for
# the baseline and for the backfill: median, p99 and max latency, and the longest gap between two arrivals; plus the
# backfill's duration, rows/s, and the bridge's CPU seconds per 100k backfilled rows (the load's share included).
# Environment: RATE, BASELINE_S, TAIL_S, THREADS=1 (the bridge's busiest threads during the backfill), BRIDGE_OPTS, PG_BIN, JAVA_HOME, KEEP_WORK=1.
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
N="${1:-1000000}"
[[ "$N" =~ ^[1-9][0-9]*$ ]] || { echo "N must be a positive integer (got '$N')" >&2; exit 1; }
RATE="${RATE:-100}"; BASELINE_S="${BASELINE_S:-10}"; TAIL_S="${TAIL_S:-5}"
source "$HERE/lib.sh"
build_jar
start_postgres
start_kafka
HTTP_PORT=$(free_port); JMX_PORT=$(free_port)

sql "CREATE TABLE big(id int PRIMARY KEY, book_id int, user_id int, quantity int, price numeric(10,2), sold_at timestamptz DEFAULT now())"
sql "INSERT INTO big SELECT g, 1 + g % 1000, 1 + g % 5000, 1 + g % 5, (1 + g % 100) * 1.25, now() FROM generate_series(1, $N) g"
sql "VACUUM ANALYZE big"
sql "CREATE TABLE ticks(id bigint PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())"

mkdir -p "$WORK/bridge"
(cd "$WORK/bridge" && exec java $BRIDGE_OPTS -Dcdc.source.host=127.0.0.1 -Dcdc.source.port="$PG_PORT" -Dcdc.source.database=bench \
  -Dcdc.source.user=postgres -Dcdc.source.password=postgres -Dcdc.source.tables=public.big,public.ticks -Dcdc.source.slot=cdc_backfill \
  -Dcdc.source.publication=cdc_backfill -Dcdc.source.snapshot-mode=no_data -Dcdc.kafka.brokers="$BOOTSTRAP" -Dcdc.kafka.topic-prefix=bf \
  -Dcdc.http.port="$HTTP_PORT" -Dcdc.jmx.port="$JMX_PORT" -jar "$JAR") >"$LOGS/bridge.log" 2>&1 &
BRIDGE_PID=$!
wait_for "the bridge streaming" 180 grep -q "Streaming changes from slot" "$LOGS/bridge.log"
wait_for "remote JMX" 60 grep -q "Remote JMX on" "$LOGS/bridge.log"

# the load runs long enough for any backfill; it is stopped once the measurement is over (bounded by its own SECONDS)
java -cp "$JAR" "$HERE/StreamLatency.java" "$BOOTSTRAP" bf.public.ticks "jdbc:postgresql://127.0.0.1:$PG_PORT/bench?user=postgres" \
  "$RATE" 3600 >"$WORK/latency.out" 2>"$LOGS/latency.log" &
LOAD=$!; EXTRA_PIDS+=("$LOAD")
wait_for "the load" 120 grep -q READY "$WORK/latency.out"
wait_for "the first ticks on the topic" 120 awk 'NF==3{n++} END{exit !(n>0)}' "$WORK/latency.out"
# the first seconds are the consumer finding the new topic: the baseline starts after them
sleep 3; B0=$(now_ms)
sleep "$BASELINE_S" # the baseline's length, not a synchronisation

C0=$(cpu_ms "$BRIDGE_PID"); T0=$(now_ms); K0=$(cpu_ms "$KAFKA_PID")
[[ "${THREADS:-0}" == 1 ]] && thread_ticks "$BRIDGE_PID" >"$WORK/threads.0"
(cd "$WORK" && java -jar "$JAR" backfill --table public.big --jmx "127.0.0.1:$JMX_PORT") >"$WORK/backfill.out" 2>&1 || die "backfill: $(cat "$WORK/backfill.out")"
log "$(cat "$WORK/backfill.out")"
wait_for "the backfill done" 7200 grep -q "Backfill backfill-.* done:" "$LOGS/bridge.log"
T1=$(now_ms); C1=$(cpu_ms "$BRIDGE_PID"); K1=$(cpu_ms "$KAFKA_PID")
[[ "${THREADS:-0}" == 1 ]] && thread_ticks "$BRIDGE_PID" >"$WORK/threads.1"
# the done line is logged a tick (1 s) after its last row: T1 is at most that late
DONE_LINE=$(grep -m1 "Backfill backfill-.* done:" "$LOGS/bridge.log")
sleep "$TAIL_S"
stop_pid "$LOAD"
ROWS=$(sed -E 's/.* done: ([0-9]+) rows.*/\1/' <<<"$DONE_LINE")

summary() { # label from to: the events committed in [from, to)
  local f=$2 t=$3 n gap
  awk -v f="$f" -v t="$t" 'NF==3 && $2>=f && $2<t {print $3-$2}' "$WORK/latency.out" | sort -n >"$WORK/lat.txt"
  n=$(wc -l <"$WORK/lat.txt")
  (( n > 0 )) || { echo "  $1: no events"; return; }
  gap=$(awk -v f="$f" -v t="$t" 'NF==3 && $2>=f && $2<t {print $3}' "$WORK/latency.out" | sort -n \
    | awk 'NR>1 { g=$1-last; if (g>gap) gap=g } { last=$1 } END { print gap+0 }')
  printf '  %s: %d events, commit -> topic latency median %d ms, p99 %d ms, max %d ms; longest gap between two arrivals %d ms\n' \
    "$1" "$n" "$(sed -n "$(( (n + 1) / 2 ))p" "$WORK/lat.txt")" "$(sed -n "$(( n * 99 / 100 > 0 ? n * 99 / 100 : 1 ))p" "$WORK/lat.txt")" \
    "$(tail -1 "$WORK/lat.txt")" "$gap"
}
MS=$(( T1 - T0 ))
echo "cdc-bridge-backfill: $N rows (published $ROWS) in $(secs $MS) s = $(rate "$ROWS" "$MS") rows/s while $RATE rows/s stream into another table"
summary "baseline (the ${BASELINE_S} s before the backfill)" "$B0" "$T0"
summary "during the backfill" "$T0" "$T1"
echo "  CPU: bridge $(secs $(( C1 - C0 ))) s during the backfill ($(awk -v c=$(( C1 - C0 )) -v n="$N" 'BEGIN{printf "%.2f", c/1000*100000/n}') s per 100k rows, the load's streaming included); peak RSS $(vm "$BRIDGE_PID" VmHWM) MiB; broker $(secs $(( K1 - K0 ))) s"
if [[ "${THREADS:-0}" == 1 ]]; then # the bridge's busiest threads during the backfill: which one is its limit
  awk -v tck="$(getconf CLK_TCK)" 'NR==FNR{a[$1]=$2; next} {d=$2-a[$1]; if (d>0) printf "    %6.2f s  %s\n", d/tck, $3}' "$WORK/threads.0" "$WORK/threads.1" | sort -rn | head -6
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(java -version 2>&1 | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"
