#!/usr/bin/env bash
# Side by side, in one run on this machine: cdc-bridge (bench/capture.sh) and the peer stack, Kafka Connect +
# Debezium (../shared/peer-bench/run.sh), on the same N-row transaction; prints both outputs and the ratios.
#
# usage: bench/compare.sh [N]      (default 100000; ROUNDS=3 each: round 1 cold, the median of the others warm)
#        SNAPSHOT_ROWS=M bench/compare.sh [N]   also the initial load of an M-row table: bench/snapshot.sh M beside
#        the peer's SNAPSHOT_ROWS=M run, and their ratio; and VIA=backfill bench/snapshot.sh M (the same rows read
#        by a backfill requested on a running bridge) against the same peer run
#        E2E=1 bench/compare.sh [N]   also bench/e2e.sh N (the same ROUNDS; RATE and E2E_SECONDS for its latency
#        phase, default 2000 and 20): rows into both fakes against the peer's capture-only rate of this run
# Environment: JAVA_HOME (the JDK for both stacks); AOT=1 (JDK 25+: first a training run of each stack writes a JVM
# AOT cache, JEP 483/515, then both measured runs start from their own cache). The bridge starts from the class-data
# archive its image ships (bench/lib.sh, deploy/cds-train.sh) unless CDS=0; the peer as its distribution runs it.
set -Eeuo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
N="${1:-100000}"
export ROUNDS="${ROUNDS:-3}"
PEER_SRC="${PEER_BENCH:-$ROOT/../shared/peer-bench}"
[[ -x "$PEER_SRC/run.sh" ]] || { echo "peer bench not found at $PEER_SRC (set PEER_BENCH)" >&2; exit 1; }
# the peer bench builds its jars into its own directory: run a writable copy
PEER="$ROOT/target/peer-bench"
if [[ ! -d "$PEER" ]]; then mkdir -p "$ROOT/target" && cp -r "$PEER_SRC" "$PEER" && chmod -R u+w "$PEER"; fi

OURS=$(mktemp); THEIRS=$(mktemp); trap 'rm -f "$OURS" "$THEIRS"' EXIT
if [[ "${AOT:-0}" == 1 ]]; then
  export CDS=0 # the AOT cache holds the classes too; the JVM takes one or the other
  # the same treatment for both: one training run each (the same N-row rounds), then the measured runs use the caches
  AOT_DIR="$ROOT/target/aot"; rm -rf "$AOT_DIR"; mkdir -p "$AOT_DIR"
  source "$HERE/defaults.sh"
  export CONNECT_HEAP_OPTS="${CONNECT_HEAP_OPTS:--Xms256M -Xmx2G}"
  echo "== AOT training runs (caches in $AOT_DIR)"
  BRIDGE_OPTS="$BRIDGE_OPTS -XX:AOTCacheOutput=$AOT_DIR/cdc-bridge.aot" "$HERE/capture.sh" "$N" | grep -- '-cold:\|-warm:' || true
  CONNECT_HEAP_OPTS="$CONNECT_HEAP_OPTS -XX:AOTCacheOutput=$AOT_DIR/connect.aot" "$PEER/run.sh" "$N" | grep 'per round' | head -1 || true
  [[ -s "$AOT_DIR/cdc-bridge.aot" && -s "$AOT_DIR/connect.aot" ]] || { echo "AOT caches not written (AOT=1 needs JDK 25+ in JAVA_HOME)" >&2; exit 1; }
  BRIDGE_OPTS+=" -XX:AOTCache=$AOT_DIR/cdc-bridge.aot"; CONNECT_HEAP_OPTS+=" -XX:AOTCache=$AOT_DIR/connect.aot"
fi
echo "== cdc-bridge"; "$HERE/capture.sh" "$N" | tee "$OURS"
echo "== peer: Kafka Connect + Debezium"; "$PEER/run.sh" "$N" | tee "$THEIRS"
SNAP_OURS=""
if [[ -n "${SNAPSHOT_ROWS:-}" ]]; then
  SNAP_OURS=$(mktemp); echo "== cdc-bridge initial load"; "$HERE/snapshot.sh" "$SNAPSHOT_ROWS" | tee "$SNAP_OURS"
  SNAP_BF=$(mktemp); echo "== cdc-bridge initial load by backfill"; VIA=backfill "$HERE/snapshot.sh" "$SNAPSHOT_ROWS" | tee "$SNAP_BF"
fi
E2E_OURS=""
if [[ "${E2E:-0}" == 1 ]]; then
  E2E_OURS=$(mktemp); echo "== cdc-bridge end to end into both fakes"; "$HERE/e2e.sh" "$N" "${RATE:-2000}" "${E2E_SECONDS:-20}" | tee "$E2E_OURS"
fi

num() { grep -m1 "$1" "$2" | grep -oE "$3" | grep -oE '[0-9.]+' | head -1; }
our_cold=$(num '^cdc-bridge-cold:' "$OURS" '[0-9]+ events/s')
our_warm=$(num '^cdc-bridge-warm:' "$OURS" '[0-9]+ events/s')
our_rss=$(num '^cdc-bridge-peak-rss:' "$OURS" '[0-9]+ MiB')
our_start=$(num '^cdc-bridge-startup:' "$OURS" 'streaming [0-9.]+ s')
# the peer's per-round times: round 1 cold, the median of the others warm
peer_rounds=$(grep -m1 'kafka-connect-debezium per round' "$THEIRS" | sed 's/.*: //' || true)
if [[ -n "$peer_rounds" ]]; then
  read -r -a pr <<<"$peer_rounds"
  peer_cold=$(awk -v n="$N" -v s="${pr[0]}" 'BEGIN{printf "%.0f", n/s}')
  peer_warm=$(printf '%s\n' "${pr[@]:1}" | sort -n | awk -v n="$N" '{a[NR]=$1} END{printf "%.0f", n/a[int(NR/2)+1]}')
else
  peer_cold=$(num '^kafka-connect-debezium:' "$THEIRS" '[0-9]+ events/s'); peer_warm=$peer_cold
fi
peer_rss=$(num 'connect-worker-peak-rss:' "$THEIRS" '[0-9]+ MiB')
peer_start=$(num 'connect-startup:' "$THEIRS" 'slot streaming [0-9.]+ s')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b<=0) print "n/a"; else printf "%.2f", a/b}'; }
echo "== comparison (N=$N, $(nproc) cores, $("${JAVA_HOME:+$JAVA_HOME/bin/}java" -version 2>&1 | head -1)${AOT:+, AOT=$AOT})"
echo "capture cold: cdc-bridge $our_cold events/s, peer $peer_cold events/s, ratio $(ratio "$our_cold" "$peer_cold")x"
echo "capture warm: cdc-bridge $our_warm events/s, peer $peer_warm events/s, ratio $(ratio "$our_warm" "$peer_warm")x"
echo "peak RSS: cdc-bridge $our_rss MiB, peer worker $peer_rss MiB, ratio $(ratio "$our_rss" "$peer_rss")"
echo "start to streaming: cdc-bridge $our_start s, peer $peer_start s"
if [[ -n "$SNAP_OURS" ]]; then
  our_snap=$(num '^cdc-bridge-snapshot:' "$SNAP_OURS" '= [0-9]+ rows/s')
  peer_snap=$(num '^kafka-connect-debezium-snapshot:' "$THEIRS" '= [0-9]+ rows/s')
  our_bf=$(num '^cdc-bridge-snapshot:' "$SNAP_BF" '= [0-9]+ rows/s')
  echo "initial load ($SNAPSHOT_ROWS rows): cdc-bridge $our_snap rows/s (from launch), peer $peer_snap rows/s (from connector creation), ratio $(ratio "$our_snap" "$peer_snap")x"
  echo "initial load by backfill ($SNAPSHOT_ROWS rows): cdc-bridge $our_bf rows/s (from the request on a running bridge), peer $peer_snap rows/s, ratio $(ratio "$our_bf" "$peer_snap")x"
  rm -f "$SNAP_OURS" "$SNAP_BF"
fi
if [[ -n "$E2E_OURS" ]]; then
  e2e_cold=$(num '^cdc-bridge-e2e-cold:' "$E2E_OURS" '[0-9]+ rows/s')
  e2e_warm=$(num '^cdc-bridge-e2e-warm:' "$E2E_OURS" '[0-9]+ rows/s')
  echo "end to end into both fakes: cdc-bridge cold $e2e_cold rows/s, warm $e2e_warm rows/s; against the peer's capture only: cold $(ratio "$e2e_cold" "$peer_cold")x, warm $(ratio "$e2e_warm" "$peer_warm")x"
  rm -f "$E2E_OURS"
fi
