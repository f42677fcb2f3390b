#!/usr/bin/env bash
# Start-up time of the real binary to a ready /api/health, on a data dir that already holds the
# demo (i.e. after the first start). Prints each run and the median, in milliseconds.
#   usage: benches/startup.sh [RUNS]        (builds with cargo build --release first)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
# BIN=path/to/hotspot measures that binary instead of building this checkout's.
if [ -z "${BIN:-}" ]; then cargo build --release -q; fi
bin=${BIN:-target/release/hotspot}
dir=$(mktemp -d)
port=18765
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT

# First start: generates the demo (timed separately, not part of the median).
t0=$(date +%s%N)
$bin --data-dir "$dir" --listen 127.0.0.1:$port 2>/dev/null & pid=$!
until curl -sf http://127.0.0.1:$port/api/health >/dev/null; do sleep 0.01; done
t1=$(date +%s%N)
echo "first start (generates the demo): $(( (t1 - t0) / 1000000 )) ms"
kill -TERM $pid; wait $pid || true

times=()
for i in $(seq "$runs"); do
  t0=$(date +%s%N)
  $bin --data-dir "$dir" --listen 127.0.0.1:$port 2>/dev/null & pid=$!
  until curl -sf http://127.0.0.1:$port/api/health >/dev/null; do sleep 0.01; done
  t1=$(date +%s%N)
  ms=$(( (t1 - t0) / 1000000 ))
  times+=("$ms")
  echo "restart $i: $ms ms"
  kill -TERM $pid; wait $pid || true
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "median restart to ready /api/health: $median ms over $runs runs"
