#!/usr/bin/env bash
# Issue #5's load figures against the real binary with 1M incidents (seeded, clustered over
# Copenhagen, imported with `hotspot import`):
#   - cached vector tiles per second: wrk over 25 warmed z15 tiles around Nørrebro, public and
#     police, raw and gzip-compressed (as browsers ask), beside /api/health in the same run as
#     the server's per-request floor;
#   - a 1M-feature GeoJSON export (police token) streamed through curl: MB/s, and the server's
#     peak memory during the export against its memory before (VmHWM reset just before).
#   usage: benches/serve_load.sh [SECONDS_PER_WRK_RUN]      (needs wrk, curl, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
# BIN=path/to/hotspot measures that binary instead of building this checkout's.
if [ -z "${BIN:-}" ]; then cargo build --release -q; fi
bin=${BIN:-target/release/hotspot}
dir=$(mktemp -d)
port=18555
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$dir"' EXIT

python3 - "$dir/incidents.geojson" <<'PY'
import json, random, sys
random.seed(5)
cats = ["violence", "threats", "robbery", "theft", "burglary", "vandalism", "drugs", "weapons", "harassment"]
places = [(random.uniform(12.50, 12.60), random.uniform(55.66, 55.71)) for _ in range(40)]
with open(sys.argv[1], "w") as f:
    f.write('{"type":"FeatureCollection","features":[')
    for i in range(1_000_000):
        if i % 2 == 0:
            lon, lat = random.uniform(12.45, 12.65), random.uniform(55.62, 55.72)
        else:
            x, y = places[i % 40]
            lon, lat = x + random.gauss(0, 0.004), y + random.gauss(0, 0.0025)
        t = 1262304000 + random.randrange(157766400)
        import datetime
        ts = datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        f.write(("," if i else "") + json.dumps({"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]},
                "properties": {"category": cats[i % 9], "occurred_at": ts, "precision": "street", "source_id": f"b-{i}"}}))
    f.write("]}")
PY
/usr/bin/time -f "import: %e s, peak %M KiB" $bin import incidents "$dir/incidents.geojson" --source bench --data-dir "$dir/var" >/dev/null
token=$($bin token create --role police --name bench --data-dir "$dir/var" 2>/dev/null)
HOTSPOT_LOG=warn $bin serve --no-demo --listen 127.0.0.1:$port --data-dir "$dir/var" 2>/dev/null & pid=$!
until curl -sf http://127.0.0.1:$port/api/health >/dev/null; do sleep 0.1; done

# 5 × 5 z15 tiles around Blågårds Plads (17526, 10254).
paths=()
for dx in -2 -1 0 1 2; do for dy in -2 -1 0 1 2; do
  paths+=("/tiles/incidents/15/$((17526 + dx))/$((10254 + dy)).mvt")
done; done
bytes=0
for p in "${paths[@]}"; do
  n=$(curl -s -o /dev/null -w '%{size_download}' "http://127.0.0.1:$port$p")
  curl -s -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:$port$p"
  bytes=$((bytes + n))
done
gz=$(curl -s -o /dev/null -w '%{size_download}' -H "Accept-Encoding: gzip" "http://127.0.0.1:$port${paths[12]}")
echo "25 public z15 tiles, mean $((bytes / 25)) bytes; the middle one gzip-compressed: $gz bytes"
lua="$dir/rotate.lua"
{
  echo 'local paths = {'
  for p in "${paths[@]}"; do echo "  \"$p\","; done
  echo '}'
  echo 'local i = 0'
  echo 'request = function() i = i % #paths + 1; return wrk.format("GET", paths[i]) end'
} > "$lua"
{ head -n -1 "$lua"; echo 'request = function() i = i % #paths + 1; return wrk.format("GET", paths[i], {["Authorization"] = "Bearer '"$token"'"}) end'; } > "$dir/police.lua"

run() { wrk -t2 -c32 -d"${secs}s" --latency "$@" | grep -E "Requests/sec|50%|99%"; }
echo "== /api/health (floor)";        run "http://127.0.0.1:$port/api/health"
echo "== cached tiles, public, raw";                 run -s "$lua" "http://127.0.0.1:$port"
echo "== cached tiles, public, gzip (as browsers ask)"; run -H "Accept-Encoding: gzip" -s "$lua" "http://127.0.0.1:$port"
echo "== cached tiles, police, gzip";                 run -H "Accept-Encoding: gzip" -s "$dir/police.lua" "http://127.0.0.1:$port"

echo "== 1M-feature GeoJSON export"
rss() { awk '/^'"$1"':/ {print $2}' /proc/$pid/status; }
echo 5 > /proc/$pid/clear_refs 2>/dev/null || true
before=$(rss VmRSS)
out=$(curl -s -o /dev/null -w '%{size_download} %{time_total}' -H "Authorization: Bearer $token" \
  "http://127.0.0.1:$port/api/collections/incidents/items?f=geojson")
read -r size total <<<"$out"
peak=$(rss VmHWM)
awk -v s="$size" -v t="$total" -v b="$before" -v p="$peak" 'BEGIN {
  printf "export: %.0f MB in %.2f s = %.0f MB/s; server RSS before %.0f MB, peak during export %.0f MB (+%.0f MB)\n",
    s / 1e6, t, s / 1e6 / t, b / 1024, p / 1024, (p - b) / 1024 }'
