#!/usr/bin/env bash
# Issue 16's figures for replicas over PostgreSQL + PostGIS, against the real binary, the real
# database and the real proxy, on loopback:
#   - resident reports through three replicas behind HAProxy (deploy/haproxy.cfg, ports
#     changed): wrk POSTs Open311 reports, each with its own Idempotency-Key, with CONNS
#     connections for SECONDS; every 201 is committed to PostgreSQL before it is sent; the
#     stored count is checked against wrk's count of 201s. The same load against one replica
#     (no proxy) and against one server on SQLite, in the same run, for comparison.
#   - with INCIDENTS > 0: a replica's start from PostgreSQL holding that many incidents
#     (imported with `hotspot import --database-url`, timed), and how long one observation
#     written through one replica takes to be served by another; and items and a tile served by
#     a replica beside one server on SQLite holding the same import (both from memory).
#   usage: benches/replicas.sh [SECONDS] [CONNS] [INCIDENTS]
#   needs: wrk, haproxy, postgresql-15-postgis-3, curl, python3 (installed with apt-get when
#   run as root)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-64}
incidents=${3:-0}
if [ -z "${BIN:-}" ]; then cargo build --release -q; fi
bin=$(realpath "${BIN:-target/release/hotspot}")
pg=/usr/lib/postgresql/15/bin
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v haproxy >/dev/null || need+=(haproxy)
[ -x $pg/initdb ] && [ -f /usr/share/postgresql/15/extension/postgis.control ] || need+=(postgresql-15-postgis-3)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else echo "run: sudo apt-get install ${need[*]}"; exit 2; fi
fi
dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  as_pg $pg/pg_ctl -D "$dir/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$dir"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# A throwaway cluster with durable commits (fsync on: a 201 means on disk, as in production).
pgport=$(free_port)
as_pg $pg/initdb -D "$dir/pg" -A trust -U postgres -E UTF8 >/dev/null
as_pg $pg/pg_ctl -D "$dir/pg" -l "$dir/pg.log" -w \
  -o "-p $pgport -k $dir -c listen_addresses=127.0.0.1 -c max_connections=100 -c shared_buffers=512MB -c max_wal_size=4GB" start >/dev/null
psql -q -h 127.0.0.1 -p "$pgport" -U postgres -c "CREATE DATABASE hotspot"
db="postgres://postgres@127.0.0.1:$pgport/hotspot"
export HOTSPOT_LOG=warn
planner=$(HOTSPOT_DATABASE_URL=$db $bin token create --role planner --name bench 2>/dev/null)

wait_up() { until curl -sf "$1/api/health" >/dev/null; do sleep 0.05; done; }
serve() { # port [extra env]
  mkdir -p "$dir/r$1"
  env HOTSPOT_DATABASE_URL="$db" $bin serve --no-demo --report-limit 0 --listen "127.0.0.1:$1" --data-dir "$dir/r$1" 2>/dev/null &
  pids+=($!)
}

if [ "$incidents" -gt 0 ]; then
  csv=target/city-scale/incidents_$incidents.csv
  [ -f "$csv" ] || python3 benches/gen_incidents.py "$incidents" "$csv"
  echo "== import of $incidents incidents into PostgreSQL"
  t0=$(date +%s.%N)
  HOTSPOT_DATABASE_URL=$db $bin import incidents "$csv" --lon lon --lat lat --category category \
    --datetime occurred_at --id source_id --source bench --data-dir "$dir/imp" 2>&1 | tail -1
  echo "import: $(python3 -c "print(round($(date +%s.%N) - $t0, 2))") s"
fi

ports=($(free_port) $(free_port) $(free_port))
replicas=()
start_replicas() {
  replicas=()
  for p in "${ports[@]}"; do
    t0=$(date +%s.%N)
    serve "$p"
    replicas+=($!)
    wait_up "http://127.0.0.1:$p"
    echo "replica on :$p serving after $(python3 -c "print(round($(date +%s.%N) - $t0, 2))") s"
  done
}
start_replicas

if [ "$incidents" -gt 0 ]; then
  echo "== one observation through replica 1, until replica 2 serves it (5 times)"
  police=$(HOTSPOT_DATABASE_URL=$db $bin token create --role police --name bench-police 2>/dev/null)
  python3 - "http://127.0.0.1:${ports[0]}" "http://127.0.0.1:${ports[1]}" "$police" <<'PY'
import json, sys, time, urllib.request
a, b, police = sys.argv[1:4]
def observations(base):
    with urllib.request.urlopen(base + "/api/health") as r:
        return json.load(r)["counts"]["observations"]
for n in range(1, 6):
    before = observations(b)
    body = json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature",
        "geometry": {"type": "Point", "coordinates": [12.553, 55.687]},
        "properties": {"kind": "lighting", "rating": 2, "note": f"bench {n}",
                       "observed_at": f"2024-01-0{n}T20:00:00Z", "source_id": f"bench-obs-{n}-{time.time()}"}}]}).encode()
    req = urllib.request.Request(a + "/api/collections/observations/items", data=body, method="POST",
        headers={"Authorization": "Bearer " + police, "Content-Type": "application/geo+json"})
    t0 = time.monotonic()
    urllib.request.urlopen(req).read()
    t1 = time.monotonic()
    while observations(b) <= before:
        time.sleep(0.001)
    t2 = time.monotonic()
    print(f"observation {n}: written (and served by its replica) in {(t1 - t0) * 1000:.0f} ms, "
          f"served by another replica {(t2 - t0) * 1000:.0f} ms after it was sent")
    time.sleep(0.3)
PY
fi

sport=
if [ "$incidents" -gt 0 ]; then
  # Items and tiles are answered from memory on either backend: replica 1 beside one server on
  # SQLite holding the same import (the peer of the report load below too).
  echo "== items and tiles at $incidents incidents: replica 1 (PostgreSQL) beside one server on SQLite with the same import"
  $bin import incidents "$csv" --lon lon --lat lat --category category --datetime occurred_at \
    --id source_id --source bench --data-dir "$dir/sqlite" 2>&1 | tail -1
  sport=$(free_port)
  env -u HOTSPOT_DATABASE_URL $bin serve --no-demo --report-limit 0 --listen "127.0.0.1:$sport" --data-dir "$dir/sqlite" 2>/dev/null &
  pids+=($!)
  wait_up "http://127.0.0.1:$sport"
  for what in "items:/api/collections/incidents/items?bbox=12.545,55.683,12.565,55.693&limit=1000" \
              "tile:/tiles/incidents/15/17525/10252.mvt"; do
    for side in "postgres:${ports[0]}" "sqlite:$sport"; do
      printf '%s from %s: ' "${what%%:*}" "${side%%:*}"
      wrk -t2 -c16 -d5s --latency "http://127.0.0.1:${side#*:}${what#*:}" \
        | awk '/Requests\/sec/{r=$2} /^ +50%/{p50=$2} /^ +99%/{p99=$2} END{print r " req/s, p50 " p50 ", p99 " p99}'
    done
  done
fi

# HAProxy with the shipped configuration, its ports and socket changed.
hport=$(free_port)
sed -e "s/bind :8080/bind 127.0.0.1:$hport/" -e "s#/run/haproxy/hotspot.sock#$dir/haproxy.sock#" \
    -e "s/127.0.0.1:8081/127.0.0.1:${ports[0]}/" -e "s/127.0.0.1:8082/127.0.0.1:${ports[1]}/" \
    -e "s/127.0.0.1:8083/127.0.0.1:${ports[2]}/" -e "s/^    log stdout.*//" deploy/haproxy.cfg > "$dir/haproxy.cfg"
haproxy -db -f "$dir/haproxy.cfg" >/dev/null 2>&1 &
haproxy_pid=$!
pids+=($!)
wait_up "http://127.0.0.1:$hport"

# CPU seconds (user + system) used so far by the server's parts: the replicas, PostgreSQL (the
# postmaster and its backends) and HAProxy; what a load used is the difference (wrk's own is
# not counted).
cpu() {
  python3 - "$(head -1 "$dir/pg/postmaster.pid")" "$haproxy_pid" "${replicas[@]}" <<'PY'
import os, sys
tick = os.sysconf("SC_CLK_TCK")
def stat(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
def secs(pid):
    f = stat(pid)
    return (int(f[11]) + int(f[12])) / tick if f else 0.0
postmaster, haproxy, *replicas = sys.argv[1:]
backends = [p for p in os.listdir("/proc") if p.isdigit() and (stat(p) or [0, 0])[1] == postmaster]
print(sum(map(secs, replicas)), secs(postmaster) + sum(map(secs, backends)), secs(haproxy))
PY
}

cat > "$dir/post.lua" <<LUA
-- Each thread its own keys (each run too): wrk's threads share no random seed.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_tag", "$(date +%s%N)-" .. threads)
end
LUA
cat >> "$dir/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local n = 0
local codes = {"poor_lighting", "dark_place", "harassment", "drug_dealing", "vandalism", "unsafe_crossing", "other"}
request = function()
  n = n + 1
  local lat = 55.6850 + (n % 97) * 0.00005
  local lon = 12.5520 + (n % 89) * 0.00006
  local body = "service_code=" .. codes[n % 7 + 1] .. "&lat=" .. lat .. "&long=" .. lon ..
    "&description=Morkt+og+utrygt+om+aftenen+" .. n
  local headers = {}
  headers["Idempotency-Key"] = string.format("bench-%s-%010d", thread_tag, n)
  return wrk.format(nil, nil, headers, body)
end
local created = 0
response = function(status) if status == 201 then created = created + 1 end end
done = function(summary, latency, requests)
  io.write(string.format("p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
LUA
count() {
  curl -s -H "Authorization: Bearer $planner" "$1/api/reports?limit=1" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["numberMatched"])'
}
# Each run starts from no reports (the report book's cost grows with the reports it holds).
no_reports() {
  for p in "${replicas[@]}"; do kill "$p"; wait "$p" 2>/dev/null || true; done
  psql -q -h 127.0.0.1 -p "$pgport" -U postgres hotspot -c "TRUNCATE reports, moderation, report_keys, limit_hits"
  start_replicas >/dev/null
  sleep 1.5 # HAProxy's health checks take them back
}
load() { # name url
  local before after
  no_reports
  before=$(count "http://127.0.0.1:${ports[0]}")
  echo "== $1: POST /open311/v2/requests.json, $conns connections, ${secs}s"
  local cpu0 cpu1
  cpu0=$(cpu)
  wrk -t2 -c"$conns" -d"${secs}s" -s "$dir/post.lua" "$2/open311/v2/requests.json" \
    | grep -E "requests in|Requests/sec|Non-2xx|p50|Socket errors"
  cpu1=$(cpu)
  sleep 1
  after=$(count "http://127.0.0.1:${ports[0]}")
  echo "stored: $((after - before)) new reports"
  # What each report cost the machine, and so how many such cores a rate of 5,000/s needs.
  python3 - "$((after - before))" $cpu0 $cpu1 <<'PY'
import sys
n = int(sys.argv[1])
a, b = list(map(float, sys.argv[2:5])), list(map(float, sys.argv[5:8]))
ms = [(y - x) * 1000 / n for x, y in zip(a, b)]
print(f"CPU per report: replicas {ms[0]:.2f} ms, PostgreSQL {ms[1]:.2f} ms, HAProxy {ms[2]:.2f} ms; "
      f"all {sum(ms):.2f} ms, so 5,000 reports/s need {sum(ms) * 5:.1f} cores of this machine's")
PY
}
load "three replicas behind HAProxy" "http://127.0.0.1:$hport"
load "one replica, no proxy" "http://127.0.0.1:${ports[0]}"

# The peer: one server on SQLite, the same load.
if [ -z "$sport" ]; then
  sport=$(free_port)
  env -u HOTSPOT_DATABASE_URL $bin serve --no-demo --report-limit 0 --listen "127.0.0.1:$sport" --data-dir "$dir/sqlite" 2>/dev/null &
  pids+=($!)
  wait_up "http://127.0.0.1:$sport"
fi
echo "== one server on SQLite: POST /open311/v2/requests.json, $conns connections, ${secs}s"
wrk -t2 -c"$conns" -d"${secs}s" -s "$dir/post.lua" "http://127.0.0.1:$sport/open311/v2/requests.json" \
  | grep -E "requests in|Requests/sec|Non-2xx|p50|Socket errors"
