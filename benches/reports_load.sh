#!/usr/bin/env bash
# Issue #7's load figures against the real binary, on loopback:
#   - durable resident reports per second: wrk POSTs form-encoded Open311 requests with 32
#     connections (2 threads) for SECONDS; every 201 is committed (synchronous=FULL) before it
#     is sent; then the stored count is checked against wrk's count of 201s;
#   - the public list of 10,000 published reports (`GET /open311/v2/requests.json?limit=10000`):
#     latency with wrk, after publishing 10,000 of them in the store and restarting.
#   usage: benches/reports_load.sh [SECONDS]      (needs wrk, curl, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
# BIN=path/to/hotspot measures that binary instead of building this checkout's.
if [ -z "${BIN:-}" ]; then cargo build --release -q; fi
bin=${BIN:-target/release/hotspot}
dir=$(mktemp -d)
port=18556
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
planner=$($bin token create --role planner --name bench --data-dir "$dir/var" 2>/dev/null)
start() {
  HOTSPOT_LOG=warn $bin serve --no-demo --report-limit 0 --listen 127.0.0.1:$port --data-dir "$dir/var" 2>/dev/null & pid=$!
  until curl -sf http://127.0.0.1:$port/api/health >/dev/null; do sleep 0.1; done
}
start
cat > "$dir/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local n = 0
local codes = {"poor_lighting", "dark_place", "harassment", "drug_dealing", "vandalism", "unsafe_crossing", "other"}
request = function()
  n = n + 1
  -- Points over district 8 (inside the Municipality of Copenhagen, as the service area asks).
  local lat = 55.6850 + (n % 97) * 0.00005
  local lon = 12.5520 + (n % 89) * 0.00006
  local body = "service_code=" .. codes[n % 7 + 1] .. "&lat=" .. lat .. "&long=" .. lon ..
    "&description=Morkt+og+utrygt+om+aftenen+" .. n .. "&attribute%5Btime_of_day%5D=evening"
  return wrk.format(nil, nil, nil, body)
end
local created = 0
response = function(status) if status == 201 then created = created + 1 end end
done = function(summary, latency, requests)
  io.write(string.format("p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
LUA
echo "== POST /open311/v2/requests.json, 32 connections, ${secs}s"
wrk -t2 -c32 -d"${secs}s" -s "$dir/post.lua" "http://127.0.0.1:$port/open311/v2/requests.json" \
  | grep -E "requests in|Requests/sec|Non-2xx|p50|Socket errors"
stored=$(curl -s -H "Authorization: Bearer $planner" "http://127.0.0.1:$port/api/reports?limit=1" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["numberMatched"])')
echo "stored reports: $stored"

kill $pid; wait $pid 2>/dev/null || true; pid=
python3 - "$dir/var/hotspot.sqlite" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE reports SET published = 1, status = 'open' WHERE id IN (SELECT id FROM reports ORDER BY id LIMIT 10000)")
c.commit()
print("published:", c.execute("SELECT count(*) FROM reports WHERE published = 1").fetchone()[0])
PY
start
size=$(curl -s -o /dev/null -w '%{size_download}' "http://127.0.0.1:$port/open311/v2/requests.json?limit=10000")
echo "== GET /open311/v2/requests.json?limit=10000 ($size bytes), 4 connections, ${secs}s"
wrk -t2 -c4 -d"${secs}s" --latency "http://127.0.0.1:$port/open311/v2/requests.json?limit=10000" \
  | grep -E "Requests/sec|50%|99%"
