#!/usr/bin/env python3
"""City-scale timings, end to end, hotspot beside its peers on the same data in the same run
(issue 17). Called by benches/city_scale.sh, which makes the data, imports it into hotspot and
into a throwaway PostgreSQL + PostGIS cluster, and starts both.

Every figure is the median wall time a client waits for (request sent until the last byte is
read), over RUNS runs, on one keep-alive connection; PostGIS queries through psycopg2 with the
rows fetched. Prints a Markdown table: what, hotspot, the peer, the ratio.

usage: city_scale.py URL TOKEN PG_DSN RUNS        (PG_DSN "-": hotspot alone, no peers)
"""
import http.client
import json
import statistics
import sys
import time
import urllib.parse

import h3
import libpysal
import numpy as np
import psycopg2
from esda.getisord import G_Local

url, token, dsn, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
u = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
# "-" for no peers (the 10M run: loading PostGIS takes longer than the rest together).
peers = dsn != "-"
if peers:
    pg = psycopg2.connect(dsn)
    pg.autocommit = True
rows = []
CITY = ",".join(f"district-{i}" for i in range(1, 36))


def get(path, headers=None, auth=True):
    global conn
    h = {"Authorization": f"Bearer {token}"} if auth else {}
    h.update(headers or {})
    try:
        conn.request("HEAD", "/api/health")
        conn.getresponse().read()
    except (http.client.HTTPException, ConnectionError):
        # The server closed the idle keep-alive connection (e.g. during the Python pipeline).
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
    t0 = time.perf_counter()
    conn.request("GET", path, headers=h)
    r = conn.getresponse()
    body = r.read()
    dt = time.perf_counter() - t0
    if r.status not in (200, 304):
        raise SystemExit(f"GET {path}: {r.status} {body[:300]!r}")
    return dt, body, r


def sql(q, args=None):
    t0 = time.perf_counter()
    with pg.cursor() as c:
        c.execute(q, args)
        out = c.fetchall()
    return time.perf_counter() - t0, out


def median(f, n=runs):
    return statistics.median(f(i) for i in range(n))


def ms(s):
    return f"{s * 1000:.1f} ms" if s < 10 else f"{s:.1f} s"


def row(what, ours, peer_name, peer, note=""):
    ratio = f"{peer / ours:.1f}×" if peer and ours else "–"
    rows.append((what, ms(ours), f"{peer_name} {ms(peer)}" if peer else peer_name, ratio, note))
    print(f"{what}: ours {ms(ours)}; {peer_name} {ms(peer) if peer else ''}; {ratio}", file=sys.stderr)


# --- whole-city Gi* at resolution 11 --------------------------------------------------------
gi = f"/api/analysis/hotspots?district={CITY}&resolution=11"
cold, body, _ = get(gi)
answer = json.loads(body)
cats = ["violence", "threats", "robbery", "theft", "burglary", "vandalism", "drugs", "weapons", "harassment"]
# New parameters each run (not a kept answer; the snapshot's study grid is warm).
fresh = median(lambda i: get(gi + f"&category={cats[i % 9]},{cats[(i + 4) % 9]}&k={1 + i // 9 % 2}")[0], min(runs, 9))
repeat = median(lambda i: get(gi)[0])
_, _, r = get(gi)
etag = r.getheader("ETag")
revalidate = median(lambda i: get(gi, {"If-None-Match": etag})[0])

cells = [f["properties"]["h3"] for f in answer["features"]]
y = np.array([f["properties"]["count"] for f in answer["features"]], dtype=float)
pos = {c: i for i, c in enumerate(cells)}
w = libpysal.weights.W(
    {i: [pos[n] for n in h3.grid_disk(c, 1) if n in pos and n != c] for i, c in enumerate(cells)},
    silence_warnings=True,
)


def g_local(_):
    t0 = time.perf_counter()
    g = G_Local(y, w, transform="B", star=True, permutations=0)
    dt = time.perf_counter() - t0
    ours = np.array([f["properties"]["gi_z"] for f in answer["features"]])
    assert np.allclose(g.Zs, ours, atol=1e-9), "esda's z differ from ours"
    return dt


esda_alone = median(g_local, 3) if peers else None


def pipeline(_):
    """What a Python user would run: PostGIS point-in-polygon, h3 cells, polyfill, weights, esda."""
    t0 = time.perf_counter()
    _, pts = sql(
        "SELECT i.lon, i.lat FROM incidents i WHERE EXISTS (SELECT 1 FROM districts d "
        "WHERE d.level = 'district' AND ST_Intersects(d.geom, i.geom))"
    )
    _, polys = sql("SELECT ST_AsGeoJSON(geom) FROM districts WHERE level = 'district'")
    study = set()
    for (gj,) in polys:
        g = json.loads(gj)
        for part in g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]:
            shape = h3.LatLngPoly([(lat, lon) for lon, lat in part[0]], *[[(lat, lon) for lon, lat in r] for r in part[1:]])
            study.update(h3.h3shape_to_cells(shape, 11))
    study = sorted(study)
    idx = {c: i for i, c in enumerate(study)}
    counts = np.zeros(len(study))
    for lon, lat in pts:
        i = idx.get(h3.latlng_to_cell(lat, lon, 11))
        if i is not None:
            counts[i] += 1
    ww = libpysal.weights.W(
        {i: [idx[n] for n in h3.grid_disk(c, 1) if n in idx and n != c] for i, c in enumerate(study)},
        silence_warnings=True,
    )
    G_Local(counts, ww, transform="B", star=True, permutations=0)
    return time.perf_counter() - t0


python_pipeline = median(pipeline, 1) if peers else None
row(f"whole-city Gi*, res 11 ({len(cells):,} cells), first at this resolution", cold, "", None,
    "finds every incident's cell once per resolution and snapshot")
row("whole-city Gi*, res 11, new parameters", fresh, "esda `G_Local` alone", esda_alone,
    "peer: the z-scores only, on our cells, weights prebuilt; z checked equal")
row("whole-city Gi*, res 11, new parameters ", fresh, "Python pipeline", python_pipeline,
    "PostGIS point-in-polygon + h3 + libpysal + esda")
row("whole-city Gi*, res 11, repeated (20 MB body)", repeat, "", None, "kept answer")
row("whole-city Gi*, res 11, revalidated by ETag", revalidate, "", None, "304")

# --- district filters -------------------------------------------------------------------
for d in ["bydel-4", "district-8"]:
    ours = median(lambda i: get(f"/api/collections/incidents/items?district={d}&limit=100")[0])
    page = (
        "SELECT json_agg(f) FROM (SELECT i.id, ST_AsGeoJSON(i.geom) AS g, i.category, i.occurred_at "
        "FROM incidents i JOIN districts d ON ST_Intersects(d.geom, i.geom) WHERE d.id = %s "
        "ORDER BY i.id LIMIT 100) f"
    )
    count = "SELECT count(*) FROM incidents i JOIN districts d ON ST_Intersects(d.geom, i.geom) WHERE d.id = %s"
    peer = median(lambda i: sql(page, (d,))[0] + sql(count, (d,))[0]) if peers else None
    row(f"`items?district={d}&limit=100` (with numberMatched)", ours, "PostGIS page + count", peer)
    ours = median(lambda i: get(f"/api/districts/{d}/summary")[0])
    by_cat = (
        "SELECT i.category, count(*) FROM incidents i JOIN districts d ON ST_Intersects(d.geom, i.geom) "
        "WHERE d.id = %s GROUP BY 1"
    )
    peer = median(lambda i: sql(by_cat, (d,))[0]) if peers else None
    row(f"district summary `{d}`", ours, "PostGIS counts by category", peer,
        "ours also: per year, per hour and weekday, top Gi* cells, reports")

# --- a 10k-feature bbox page and uncached z15 tiles -------------------------------------
bbox = (12.54, 55.68, 12.58, 55.70)
ours = median(lambda i: get("/api/collections/incidents/items?bbox=%s,%s,%s,%s&limit=10000" % bbox)[0])
json_agg = (
    "SELECT json_build_object('type','FeatureCollection','features', json_agg(f)) FROM ("
    "SELECT json_build_object('type','Feature','id',id,'geometry',ST_AsGeoJSON(geom)::json,"
    "'properties',json_build_object('category',category,'occurred_at',occurred_at)) f "
    "FROM incidents WHERE geom && ST_MakeEnvelope(%s,%s,%s,%s,4326) ORDER BY id LIMIT 10000) s"
)
peer = median(lambda i: sql(json_agg, bbox)[0]) if peers else None
row("10k-feature bbox page", ours, "PostGIS `json_agg`", peer)

# Tiles around Blågårds Plads, each asked once of hotspot (so never from its cache), then the
# same tiles of PostGIS.
tiles = [(17526 + dx, 10254 + dy) for dx in range(-4, 5) for dy in range(-4, 5)]
ours = statistics.median(get(f"/tiles/incidents/15/{x}/{y}.mvt")[0] for x, y in tiles[: max(runs, 9)])
mvt = (
    "WITH b AS (SELECT ST_TileEnvelope(15, %s, %s) AS env), m AS ("
    "SELECT ST_AsMVTGeom(ST_Transform(i.geom, 3857), b.env) AS geom, i.id, i.category, i.occurred_at "
    "FROM incidents i, b WHERE i.geom && ST_Transform(b.env, 4326)) SELECT ST_AsMVT(m, 'incidents') FROM m"
)
peer = statistics.median(sql(mvt, (x, y))[0] for x, y in tiles[: max(runs, 9)]) if peers else None
row("uncached z15 incident tile (police: exact positions)", ours, "PostGIS `ST_AsMVT`", peer)
# The same tiles as the public sees them (generalised; a separate cache entry, so uncached too).
ours = statistics.median(
    get(f"/tiles/incidents/15/{x}/{y}.mvt", auth=False)[0] for x, y in tiles[: max(runs, 9)]
)
row("uncached z15 incident tile (public)", ours, "", None)

print("| what | hotspot | peer | peer ÷ hotspot | note |")
print("|---|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")
