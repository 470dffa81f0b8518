#!/usr/bin/env bash
# BigQuery's two write paths side by side in one run (docs/bigquery.md, "Write API"; issue 19): bench/e2e.sh with
# cdc.bigquery.write-api=insertall, then with storage (the default: Storage Write API, with the _current tables), each
# into both fakes (the REST fake for insertAll and tables, its gRPC Storage Write sibling, the Carol fake).
#
# usage: bench/writepaths.sh [N] [RATE] [SECONDS]   (bench/e2e.sh's arguments; default 100000 2000 20)
# Prints, per path: warm rows/s into both fakes, when BigQuery alone was done, the bridge's CPU seconds per 100k rows in
# a warm round, and commit -> BigQuery p50/p99/max at RATE. Then the Storage Write API's two stream kinds with the real
# client against the gRPC fake (io.cdcbridge.bench.WriteStreamsBench: _default, at least once, against a COMMITTED
# stream with offsets, the exactly-once protocol): rows/s and CPU per 100k rows.
# Environment: as bench/e2e.sh (ROUNDS, BRIDGE_OPTS, E2E_OPTS); STREAM_ROWS (default 200000) for the stream kinds.
set -Eeuo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
N="${1:-100000}"; RATE="${2:-2000}"; SECS="${3:-20}"
declare -A OUT
for api in insertall storage; do
  OUT[$api]=$(mktemp)
  echo "== write API $api"
  WRITE_API=$api "$HERE/e2e.sh" "$N" "$RATE" "$SECS" | tee "${OUT[$api]}"
done
echo "== write paths side by side (N=$N, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
for api in insertall storage; do
  f=${OUT[$api]}
  # the last warm round
  line=$(grep 'cdc-bridge-e2e round .* (warm)' "$f" | tail -1)
  rate=$(grep -oE '= [0-9]+ rows/s' <<<"$line" | grep -oE '[0-9]+')
  bq=$(grep -oE 'BigQuery done after [0-9.]+ s' <<<"$line" | grep -oE '[0-9.]+')
  cpu=$(grep -oE 'bridge [0-9.]+ s' <<<"$line" | grep -oE '[0-9.]+')
  lat=$(grep -m1 'cdc-bridge-e2e-latency' "$f" | sed 's/.*: //')
  path=$(grep -m1 'cdc-bridge-e2e-write-path' "$f" | sed 's/.*: //')
  printf '%-9s warm %s rows/s into both fakes (BigQuery done after %s s); bridge CPU %s s per 100k rows; %s; %s\n' "$api" "$rate" "$bq" \
    "$(awk -v c="$cpu" -v n="$N" 'BEGIN{printf "%.2f", c*100000/n}')" "$lat" "$path"
  rm -f "$f"
done
ROOT="$(cd "$HERE/.." && pwd)"
echo "== Storage Write stream kinds (the real client against the gRPC fake, one JVM; batches of 500 awaited one by one)"
java -Xmx2G -cp "${BRIDGE_JAR:-$ROOT/target/cdc-bridge.jar}:$ROOT/target/test-classes" io.cdcbridge.bench.WriteStreamsBench "${STREAM_ROWS:-200000}" 500 \
  2>"${TMPDIR:-/tmp}/writestreams.err" || { tail -20 "${TMPDIR:-/tmp}/writestreams.err" >&2; exit 1; }
