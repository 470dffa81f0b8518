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
# for the bridge, default -Xmx1G), KEEP_WORK=1.
set -Eeuo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
N="${1:-100000}"
ROUNDS="${ROUNDS:-3}"
BRIDGE_OPTS="${BRIDGE_OPTS:--Xmx1G}"
JAR="$ROOT/target/cdc-bridge.jar"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now_ms() { date +%s%3N; }
secs() { awk -v m="$1" 'BEGIN{printf "%.3f", m/1000}'; }
rate() { awk -v n="$1" -v m="$2" 'BEGIN{ if (m<=0) m=1; printf "%.0f", n*1000/m}'; }
cpu_ms() { awk -v t="$(getconf CLK_TCK)" '{print int(($14+$15)*1000/t)}' "/proc/$1/stat" 2>/dev/null || echo 0; }
vm() { awk -v k="$2:" '$1==k{print int($2/1024)}' "/proc/$1/status" 2>/dev/null || echo 0; }

[[ "$N" =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer (got '$N')"
[[ -f "$JAR" ]] || { log "building $JAR (mvn package -DskipTests)"; (cd "$ROOT" && mvn -q -B package -DskipTests) || die "build failed"; }

find_pg_bin() {
  if [[ -n "${PG_BIN:-}" ]]; then echo "$PG_BIN"; return; fi
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do [[ -x "$d/initdb" ]] && { echo "$d"; return; }; done
  command -v initdb >/dev/null && { dirname "$(readlink -f "$(command -v initdb)")"; return; }
  return 1
}
PG_BIN=$(find_pg_bin) || die "PostgreSQL server binaries not found (apt-get install postgresql, or set PG_BIN)"
if [[ $(id -u) -eq 0 ]]; then AS_PG=(runuser -u postgres --); else AS_PG=(); fi

WORK=$(mktemp -d -t cdc-bench.XXXXXX); chmod 755 "$WORK"
LOGS="$WORK/logs"; mkdir -p "$LOGS"
PGDATA="$WORK/pgdata"; PG_STARTED=0; KAFKA_PID=""; BRIDGE_PID=""
alive() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; }
stop_pid() { local pid=$1 i; alive "$pid" || return 0; kill -TERM "$pid"; for ((i = 0; i < 300; i++)); do alive "$pid" || break; sleep 0.1; done; kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
cleanup() {
  local rc=$?; set +e; trap - EXIT
  [[ $rc -ne 0 ]] && for f in "$LOGS"/*.log; do printf '\n== %s ==\n' "$f" >&2; tail -n 40 "$f" >&2; done
  stop_pid "$BRIDGE_PID"; stop_pid "$KAFKA_PID"
  [[ $PG_STARTED -eq 1 ]] && (cd "$WORK" && "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1)
  [[ "${KEEP_WORK:-0}" == 1 ]] && log "kept $WORK" || rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT; trap 'exit 130' INT; trap 'exit 143' TERM
wait_for() { local desc=$1 t=$2; shift 2; local end=$(( $(date +%s) + t )); until "$@"; do (( $(date +%s) < end )) || die "timed out waiting for $desc"; sleep 0.05; done; }
free_port() { local p; while :; do p=$(( 20000 + RANDOM % 40000 )); (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }; done; }
PG_PORT=$(free_port); KAFKA_PORT=$(free_port); HTTP_PORT=$(free_port); BOOTSTRAP="127.0.0.1:$KAFKA_PORT"

# --- Postgres, the peer bench's settings and table
mkdir -p "$PGDATA" "$WORK/sock"; chmod 700 "$PGDATA"
[[ ${#AS_PG[@]} -gt 0 ]] && chown postgres "$PGDATA" "$WORK/sock" "$LOGS"
(cd "$WORK" && "${AS_PG[@]}" "$PG_BIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --no-locale >"$LOGS/initdb.log" 2>&1) || die "initdb failed"
printf "listen_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = '%s'\nwal_level = logical\nmax_wal_senders = 10\nmax_replication_slots = 10\n" \
  "$PG_PORT" "$WORK/sock" >>"$PGDATA/postgresql.conf"
(cd "$WORK" && "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$LOGS/postgres.log" -w start >/dev/null) || die "postgres did not start"
PG_STARTED=1
PSQL=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -At)
"${PSQL[@]}" -d postgres -c "CREATE DATABASE bench"
sql() { "${PSQL[@]}" -d bench -c "$1"; }
sql "CREATE TABLE sales(id serial PRIMARY KEY, book_id int, user_id int, quantity int, price numeric(10,2), sold_at timestamptz DEFAULT now())"
insert_rows() { sql "INSERT INTO sales(book_id, user_id, quantity, price) SELECT 1 + g % 1000, 1 + g % 5000, 1 + g % 5, (1 + g % 100) * 1.25 FROM generate_series(1, $1) g"; }

# --- Kafka broker (KRaft) in its own JVM, so only the bridge is in the measured process
java -Xmx1G -cp "$JAR" io.cdcbridge.demo.EmbeddedKafkaBroker "$WORK/kafka" "$KAFKA_PORT" >"$LOGS/kafka.log" 2>&1 &
KAFKA_PID=$!
wait_for "kafka broker" 120 grep -q "Kafka broker started" "$LOGS/kafka.log"
log "postgres :$PG_PORT ($("$PG_BIN/postgres" --version)), kafka $BOOTSTRAP up"

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
  C0=$(cpu_ms "$BRIDGE_PID"); T0=$(now_ms)
  insert_rows "$N"
  T_INS=$(( $(now_ms) - T0 ))
  wait "$WATCH" || die "watcher: $(cat "$WORK/watch.out")"
  T1=$(awk '$1=="DONE"{print $2}' "$WORK/watch.out"); FIRST=$(awk '$1=="FIRST"{print $2}' "$WORK/watch.out")
  MS=$(( T1 - T0 )); CPU=$(( $(cpu_ms "$BRIDGE_PID") - C0 ))
  RESULTS+=("$MS")
  [[ $r -eq 1 ]] && KIND=cold || KIND=warm
  echo "cdc-bridge round $r ($KIND): $N events in $(secs $MS) s = $(rate "$N" "$MS") events/s (insert $(secs $T_INS) s, first event after $(secs $(( FIRST - T0 ))) s, bridge CPU $(secs $CPU) s)"
  BASE=$(( BASE + N ))
done
echo "cdc-bridge-cold: $(rate "$N" "${RESULTS[0]}") events/s"
if [[ $ROUNDS -gt 1 ]]; then
  WARM=$(printf '%s\n' "${RESULTS[@]:1}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  echo "cdc-bridge-warm: $(rate "$N" "$WARM") events/s (median of rounds 2..$ROUNDS)"
fi
echo "cdc-bridge-peak-rss: $(vm "$BRIDGE_PID" VmHWM) MiB (VmHWM; $STARTUP_HWM MiB once streaming; $BRIDGE_OPTS)"
echo "cdc-bridge-startup: streaming $(secs $STREAMING_MS) s after launch (JVM uptime at streaming: $(secs "${STREAMING_UPTIME:-0}") s)"
echo "machine: $(nproc) cores, $(java -version 2>&1 | head -1)"
