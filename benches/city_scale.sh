#!/usr/bin/env bash
# City scale, end to end over HTTP, beside the peers a user would pick instead, on the same data
# in the same run (issue 17):
#   - makes N synthetic incidents over the whole city (benches/gen_incidents.py, seeded);
#   - imports them into hotspot (timed: rows/s) and starts `hotspot serve` (timed: start to a
#     ready /api/health; resident memory once the snapshot is warm), then restarts it (timed:
#     the incidents now come from the snapshot file the first start wrote);
#   - starts a throwaway PostgreSQL 15 + PostGIS 3 cluster (Debian's postgresql-15-postgis-3),
#     loads the same CSV with COPY plus a GiST index (timed) and the same districts;
#   - runs benches/city_scale.py: whole-city Gi* (esda alone, and the whole Python pipeline),
#     district pages and summaries, a 10k-feature bbox page, uncached z15 tiles.
#   usage: benches/city_scale.sh [N=1000000] [RUNS=7]
#   PEERS=0 benches/city_scale.sh 10000000 5      hotspot alone (no PostGIS, no Python pipeline)
# Needs: curl, python3 (a venv with esda, libpysal, h3, psycopg2 is made in target/bench-venv),
# postgresql-15-postgis-3. Run as root or as a user that may run initdb.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
runs=${2:-7}
cargo build --release -q
bin=$PWD/target/release/hotspot
work=$(mktemp -d /tmp/city-scale.XXXXXX)
chmod 755 "$work"
port=18777
pgport=15477
pid=
pgbin=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  [ -d "$work/pg" ] && as_pg "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

venv=target/bench-venv
if [ ! -x $venv/bin/python ]; then
  python3 -m venv $venv
  $venv/bin/pip install -q -r benches/requirements.txt
fi

csv=${CITY_SCALE_CSV:-target/city-scale/incidents_$n.csv}
mkdir -p "$(dirname "$csv")"
[ -s "$csv" ] || python3 benches/gen_incidents.py "$n" "$csv"
chmod a+r "$csv"
echo "data: $csv ($n synthetic incidents)"

t0=$(date +%s%N)
$bin import incidents "$csv" --lon lon --lat lat --category category --datetime occurred_at \
  --id source_id --source bench --data-dir "$work/var" >/dev/null
t1=$(date +%s%N)
echo "hotspot import: $(( (t1 - t0) / 1000000 )) ms, $(( n * 1000 / ((t1 - t0) / 1000000) )) rows/s"
token=$($bin token create --role police --name bench --data-dir "$work/var" 2>/dev/null | grep -o 'hs_[0-9]*_[0-9a-f]*')

# Starts `hotspot serve` on the store; prints the time to a ready /api/health (as $1) and the
# resident memory once the snapshot is warm (as $2). Sets $pid.
start_serve() {
  local t0 t1
  t0=$(date +%s%N)
  HOTSPOT_LOG=hotspot=debug $bin serve --no-demo --listen 127.0.0.1:$port --data-dir "$work/var" 2>"$work/serve.log" & pid=$!
  until curl -sf http://127.0.0.1:$port/api/health >/dev/null; do sleep 0.01; done
  t1=$(date +%s%N)
  echo "$1: $(( (t1 - t0) / 1000000 )) ms"
  until grep -q "snapshot warmed" "$work/serve.log"; do sleep 0.1; done
  echo "$2: $(grep -o 'snapshot warmed.*' "$work/serve.log" | head -1); RSS $(awk '/VmRSS/ {print int($2/1024)}' /proc/$pid/status) MB"
}

start_serve "hotspot start to ready" "hotspot"
# A restart: the incidents come from the snapshot file the first start wrote beside the store.
until grep -q "incident snapshot written\|no incident snapshot" "$work/serve.log"; do sleep 0.1; done
grep -o 'incident snapshot written.*\|no incident snapshot.*' "$work/serve.log" | head -1
kill "$pid"; wait "$pid" 2>/dev/null || true
start_serve "hotspot restart to ready (incident snapshot)" "hotspot after the restart"

if [ "${PEERS:-1}" = 0 ]; then
  $venv/bin/python benches/city_scale.py "http://127.0.0.1:$port" "$token" - "$runs"
  echo "hotspot RSS after the run: $(awk '/VmRSS/ {print int($2/1024)}' /proc/$pid/status) MB"
  exit 0
fi

# PostGIS: a throwaway cluster on a free loopback port.
mkdir -p "$work/pg" && chown postgres "$work/pg" 2>/dev/null || true
as_pg "$pgbin/initdb" -D "$work/pg" -A trust -U postgres >/dev/null
as_pg "$pgbin/pg_ctl" -D "$work/pg" -o "-p $pgport -k $work/pg -c listen_addresses=127.0.0.1 -c shared_buffers=1GB -c work_mem=64MB" -l "$work/pg/log" -w start >/dev/null
dsn="host=127.0.0.1 port=$pgport user=postgres dbname=postgres"
psql="psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $pgport -U postgres"
$psql -c "CREATE EXTENSION postgis"
t0=$(date +%s%N)
$psql <<SQL
CREATE TABLE incidents (id bigserial PRIMARY KEY, lon float8, lat float8, category text,
  occurred_at timestamptz, source_id text);
\copy incidents (lon, lat, category, occurred_at, source_id) FROM '$PWD/$csv' WITH (FORMAT csv, HEADER true)
ALTER TABLE incidents ADD COLUMN geom geometry(Point, 4326);
UPDATE incidents SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4326);
CREATE INDEX ON incidents USING gist (geom);
ANALYZE incidents;
SQL
t1=$(date +%s%N)
echo "PostGIS COPY + geometry + GiST index: $(( (t1 - t0) / 1000000 )) ms"
curl -s "http://127.0.0.1:$port/api/collections/districts/items?limit=1000" > "$work/districts.geojson"
$venv/bin/python - "$work/districts.geojson" "$dsn" <<'PY'
import json, sys, psycopg2
fc = json.load(open(sys.argv[1]))
pg = psycopg2.connect(sys.argv[2]); pg.autocommit = True
c = pg.cursor()
c.execute("CREATE TABLE districts (id text PRIMARY KEY, level text, geom geometry(MultiPolygon, 4326))")
for f in fc["features"]:
    c.execute("INSERT INTO districts VALUES (%s, %s, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326)))",
              (f["id"], f["properties"]["level"], json.dumps(f["geometry"])))
c.execute("CREATE INDEX ON districts USING gist (geom); ANALYZE districts")
print(f"PostGIS districts: {len(fc['features'])}")
PY

$venv/bin/python benches/city_scale.py "http://127.0.0.1:$port" "$token" "$dsn" "$runs"
echo "hotspot RSS after the run: $(awk '/VmRSS/ {print int($2/1024)}' /proc/$pid/status) MB"
