#!/usr/bin/env bash
# District filters end to end over HTTP: `items?district=…&limit=100` and a district summary,
# police token (exact data), each binary given started in turn on the same data dir; medians of
# 7 after one warm-up request (the first request after a start is printed on its own).
#   usage: benches/district_filter.sh DATA_DIR TOKEN BIN [BIN...]
# e.g. with the 1M incidents of benches/serve_load.sh imported into DATA_DIR, and the binary of
# an older commit beside target/release/hotspot to compare.
set -euo pipefail
dir=$1; token=$2; shift 2
port=18556
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for bin in "$@"; do
  "$bin" serve --listen 127.0.0.1:$port --data-dir "$dir" >/dev/null 2>&1 &
  pid=$!
  until curl -sf -o /dev/null http://127.0.0.1:$port/api/health; do sleep 0.2; done
  echo "$bin"
  for q in "api/collections/incidents/items?district=bydel-4&limit=100" \
           "api/collections/incidents/items?district=district-8&limit=100" \
           "api/districts/district-8/summary"; do
    first=$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $token" "http://127.0.0.1:$port/$q")
    med=$(for i in 1 2 3 4 5 6 7; do curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" "http://127.0.0.1:$port/$q"; done | median)
    printf '  %-70s first %6.1f ms  median %6.1f ms\n' "$q" "$(echo "$first*1000" | bc -l)" "$(echo "$med*1000" | bc -l)"
  done
  kill $pid; wait $pid 2>/dev/null || true
done
