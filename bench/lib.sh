# Shared by the bench scripts: a Postgres (system binaries, the peer bench's settings and table) and a Kafka broker
# (KRaft, its own JVM) in a temp dir removed on exit. Source it; then call start_postgres and start_kafka.
set -Eeuo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# BRIDGE_JAR: another build of the jar (an A/B of two builds in one session); default the one mvn package made
JAR="${BRIDGE_JAR:-$ROOT/target/cdc-bridge.jar}"
# JAVA_HOME picks the JDK for everything started here (as it does for ../shared/peer-bench/run.sh)
if [[ -n "${JAVA_HOME:-}" ]]; then export PATH="$JAVA_HOME/bin:$PATH"; fi
source "$ROOT/bench/defaults.sh"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now_ms() { date +%s%3N; }
secs() { awk -v m="$1" 'BEGIN{printf "%.3f", m/1000}'; }
rate() { awk -v n="$1" -v m="$2" 'BEGIN{ if (m<=0) m=1; printf "%.0f", n*1000/m}'; }
cpu_ms() { awk -v t="$(getconf CLK_TCK)" '{print int(($14+$15)*1000/t)}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# CPU of a JVM's JIT compiler threads (C1/C2) still alive (compiler threads the JVM retired take theirs with them)
jit_ms() { local t sum=0 tck; tck=$(getconf CLK_TCK)
  for t in /proc/"$1"/task/*; do [[ "$(cat "$t/comm" 2>/dev/null)" == C[12]\ Compiler* ]] || continue
    sum=$(( sum + $(awk '{print $14+$15}' "$t/stat" 2>/dev/null || echo 0) )); done
  echo $(( sum * 1000 / tck )); }
# per-thread CPU of a process: "tid ticks name" lines (for THREADS=1 in capture.sh)
thread_ticks() { local t; for t in /proc/"$1"/task/*; do printf '%s %s %s\n' "${t##*/}" "$(awk '{print $14+$15}' "$t/stat" 2>/dev/null || echo 0)" "$(tr ' ' '_' 2>/dev/null <"$t/comm")"; done 2>/dev/null; }
# CPU of every Postgres process still running (the server and its backends, the walsender included)
pg_cpu_ms() { local p sum=0 tck; tck=$(getconf CLK_TCK)
  for p in $(pgrep -u postgres 2>/dev/null || pgrep -x postgres); do sum=$(( sum + $(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0) )); done
  echo $(( sum * 1000 / tck )); }
vm() { awk -v k="$2:" '$1==k{print int($2/1024)}' "/proc/$1/status" 2>/dev/null || echo 0; }
alive() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; }
wait_for() { local desc=$1 t=$2; shift 2; local end=$(( $(date +%s) + t )); until "$@"; do (( $(date +%s) < end )) || die "timed out waiting for $desc"; sleep 0.05; done; }
free_port() { local p; while :; do p=$(( 20000 + RANDOM % 40000 )); (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }; done; }

build_jar() { # the jar and, with "tests", the test classes (fakes, bench drivers)
  # rebuilt when a source is newer than the jar: a bench must not measure an older build without a word
  # (unless BRIDGE_JAR names another build)
  if [[ ! -f "$JAR" || ( -z "${BRIDGE_JAR:-}" && -n "$(find "$ROOT/src" "$ROOT/pom.xml" -newer "$JAR" -print -quit)" ) \
        || ( "${1:-}" == tests && ! -d "$ROOT/target/test-classes/io/cdcbridge/bench" ) ]]; then
    log "building (mvn package -DskipTests)"; (cd "$ROOT" && mvn -q -B package -DskipTests) || die "build failed"
  fi
  cds_archive
}

# The class-data archive the image ships (Dockerfile, deploy/cds-train.sh), trained for the jar under test and this
# JDK, written once per build next to the jar; the bridge then starts from it with -Xshare:on, so a run that cannot
# use it stops instead of measuring without it. CDS=0: without (an A/B of the two).
cds_archive() {
  [[ "${CDS:-1}" == 1 ]] || return 0
  local jdk archive train_opts
  # the JDK's identity: its binary and its full version (an archive holds only for the build that wrote it)
  jdk=$( { readlink -f "$(command -v java)"; java -version 2>&1 | grep -v '^Picked up'; } | cksum | cut -d' ' -f1)
  archive="${JAR%.jar}-jdk$jdk.jsa"
  # the heap and collector of the bridge's flags only: not a recording or a log file the bench asked of the bridge
  train_opts=$(printf '%s\n' $BRIDGE_OPTS | grep -E '^-(Xm[sx]|XX:[+-]Use[A-Za-z]*GC$)' | tr '\n' ' ' || true)
  if [[ ! -s "$archive" ]] || ! java $train_opts -Xshare:on -XX:SharedArchiveFile="$archive" -jar "$JAR" version >/dev/null 2>&1; then
    log "training the class-data archive for $(basename "$JAR") (deploy/cds-train.sh)"
    TRAIN_OPTS="$train_opts" "$ROOT/deploy/cds-train.sh" "$JAR" "$ROOT/target/cdc-bridge.jar" "$archive" >&2 \
      || die "the class-data archive could not be trained (CDS=0 runs without it)"
  fi
  BRIDGE_OPTS="$BRIDGE_OPTS -Xshare:on -XX:SharedArchiveFile=$archive"; export BRIDGE_OPTS
}

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
PGDATA="$WORK/pgdata"; PG_STARTED=0; KAFKA_PID=""; BRIDGE_PID=""; EXTRA_PIDS=()
stop_pid() { local pid=$1 i; alive "$pid" || return 0; kill -TERM "$pid"; for ((i = 0; i < 300; i++)); do alive "$pid" || break; sleep 0.1; done; kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
cleanup() {
  local rc=$?; set +e; trap - EXIT
  [[ $rc -ne 0 ]] && for f in "$LOGS"/*.log "$WORK"/bridge/*.log; do [[ -s "$f" ]] && { printf '\n== %s ==\n' "$f" >&2; tail -n 40 "$f" >&2; }; done
  for p in "${EXTRA_PIDS[@]}"; do stop_pid "$p"; done
  stop_pid "$BRIDGE_PID"; stop_pid "$KAFKA_PID"
  [[ $PG_STARTED -eq 1 ]] && (cd "$WORK" && "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1)
  [[ "${KEEP_WORK:-0}" == 1 ]] && log "kept $WORK" || rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT; trap 'exit 130' INT; trap 'exit 143' TERM

PG_PORT=$(free_port); KAFKA_PORT=$(free_port); BOOTSTRAP="127.0.0.1:$KAFKA_PORT"

start_postgres() {
  mkdir -p "$PGDATA" "$WORK/sock"; chmod 700 "$PGDATA"
  [[ ${#AS_PG[@]} -gt 0 ]] && chown postgres "$PGDATA" "$WORK/sock" "$LOGS"
  (cd "$WORK" && "${AS_PG[@]}" "$PG_BIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --no-locale >"$LOGS/initdb.log" 2>&1) || die "initdb failed"
  printf "listen_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = '%s'\nwal_level = logical\nmax_wal_senders = 10\nmax_replication_slots = 10\n" \
    "$PG_PORT" "$WORK/sock" >>"$PGDATA/postgresql.conf"
  (cd "$WORK" && "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$LOGS/postgres.log" -w start >/dev/null) || die "postgres did not start"
  PG_STARTED=1
  PSQL=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -At)
  "${PSQL[@]}" -d postgres -c "CREATE DATABASE bench"
  sql "CREATE TABLE sales(id serial PRIMARY KEY, book_id int, user_id int, quantity int, price numeric(10,2), sold_at timestamptz DEFAULT now())"
  # WIDTH=50: the same table with 44 more columns (ints, texts, numerics, filled by their defaults)
  local w extra=""
  for ((w = 7; w <= ${WIDTH:-6}; w++)); do
    case $(( w % 3 )) in
      0) extra+=", ADD COLUMN c$w int DEFAULT $w" ;;
      1) extra+=", ADD COLUMN c$w text DEFAULT 'coluna número $w'" ;;
      2) extra+=", ADD COLUMN c$w numeric(12,3) DEFAULT $w.125" ;;
    esac
  done
  [[ -n "$extra" ]] && sql "ALTER TABLE sales ${extra#, }"
  return 0
}
sql() { "${PSQL[@]}" -d bench -c "$1"; }
insert_rows() { sql "INSERT INTO sales(book_id, user_id, quantity, price) SELECT 1 + g % 1000, 1 + g % 5000, 1 + g % 5, (1 + g % 100) * 1.25 FROM generate_series(1, $1) g"; }

start_kafka() {
  java -Xmx1G -cp "$JAR" io.cdcbridge.demo.EmbeddedKafkaBroker "$WORK/kafka" "$KAFKA_PORT" >"$LOGS/kafka.log" 2>&1 &
  KAFKA_PID=$!
  wait_for "kafka broker" 120 grep -q "Kafka broker started" "$LOGS/kafka.log"
  log "postgres :$PG_PORT ($("$PG_BIN/postgres" --version)), kafka $BOOTSTRAP up"
}
