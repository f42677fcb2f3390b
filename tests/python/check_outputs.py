#!/usr/bin/env python3
"""Checks what a live hotspot server hands out, with readers that share no code with it.

Ground truth is the store itself (SQLite, opened read-only): every exact incident position,
time, precision and source id. Against it, over HTTP, as the public (no token), a planner, the
police and an admin:

1. tiles      `/tiles/incidents/{z}/{x}/{y}.mvt` decoded with mapbox-vector-tile (y down,
              extent 4096): z16 tiles over district 8 hold exactly the items of the tile plus its
              64-unit buffer (id, category, occurred_at, precision), each where our own Web
              Mercator formula puts it (± 1 unit), for police (exact) and the public
              (generalised); a z12 tile's clusters carry only `count` and equal our own count per
              64 × 64 grid square (public: squares of 1 or 2 left out); 204 for an empty tile,
              400 for z = 23 and x or y ≥ 2^z, `ETag` + `Cache-Control` (private for exact
              tiles) and 304 on `If-None-Match`; TileJSON 3.0.0.
2. privacy    every page of public items, a sample of single items, public z16 tiles, hexbins
              and hot spots: no coordinate equals an exact stored one (7 decimals), every public
              incident is `approximate`, floored to the hour, without `source_id`, and within
              80 m (haversine) of its exact point; bbox probes around exact points do not find
              their incident; the police get the exact data from the same requests.
3. suppression public hexbins at resolution 11, hot spots and the district-8 summary show no
              count of 1 or 2 (null or left out, `suppressedCells` > 0) where the planner's do.
              Also prints a NOTE (not a failure) when a public summary lets a suppressed count
              be worked out by subtraction from the published total.
4. exports    (police) `f=geojson` of district 8 equals the items; `f=csv` read with `csv`,
              `f=shapefile` in EPSG:4326 and EPSG:25832 read with pyshp (25832 transformed back
              with pyproj) equal the GeoJSON, `occ_date` the Copenhagen date (zoneinfo); `.prj`, `.cpg`, `Content-Disposition`; the
              districts Shapefile (public) has the 444 districts; the public gets 401 and a
              planner 403 for incident exports.
5. audit      (admin) `/api/audit` lists each export made by this run (collection, format,
              features, actor `token N (name, role)`), newest first; police 403, public 401.
6. planning   goal 2 (weapons-law incidents in district 8 per year) equals our own count from
              the store (point in polygon with shapely, Copenhagen calendar years with zoneinfo);
              the status report (`/api/status-report`, DA and EN, public and planner) parses
              with html5lib in strict mode (any HTML parse error fails), every inline SVG is
              well-formed XML, it has every section, the synthetic notice, no script and no
              external reference; its weapons row equals the store's count; the public edition
              leaves out the unpublished demo initiative and says how it is generalised.

Run it against a server on a fresh data dir with the synthetic demo, with tokens made by
`hotspot token create --role police|planner|admin --name "check police"` (etc.):

    /tmp/venv-st/bin/pip install -r tests/python/requirements.txt
    hotspot serve --listen 127.0.0.1:18097 --data-dir /tmp/hs-check &
    python3 tests/python/check_outputs.py --url http://127.0.0.1:18097 \\
        --store /tmp/hs-check/hotspot.sqlite --police hs_1_… --planner hs_2_… --admin hs_3_…

Prints one line per check and a summary; exit status 1 (with every failure listed) if any check
fails, 2 for bad arguments or an unreachable server.
"""

import argparse
import csv
import datetime as dt
import io
import json
import math
import pathlib
import re
import hashlib
import sqlite3
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections import Counter

import xml.etree.ElementTree as ET
import zoneinfo

import html5lib
import mapbox_vector_tile
import shapely.geometry
import pyproj
import shapefile

EXTENT = 4096  # tile units per tile side
BUFFER = 64  # tile units drawn beyond each edge
CLUSTER = 64  # tile units per cluster grid square below the detail zoom
MAX_ZOOM = 22
DISTRICT = "district-8"
PUBLIC_MAX_SHIFT_M = 80.0  # an H3 res-10 cell's circumradius in Copenhagen is below this
PAGE = 10000
EARTH_RADIUS_M = 6371008.8
INCIDENT_FIELDS = ("category", "occurred_at", "precision", "source", "source_id")


class CheckFailed(Exception):
    """A check found the server's answer wrong."""


def require(ok, message):
    if not ok:
        raise CheckFailed(message)


# --------------------------------------------------------------------------------------------
# HTTP


class Response:
    def __init__(self, url, status, headers, body):
        self.url = url
        self.status = status
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError as e:
            raise CheckFailed(f"GET {self.url}: body is not JSON ({e}): {self.body[:200]!r}")

    def describe(self):
        return f"{self.status} {self.body[:300].decode('utf-8', 'replace')}"


class Client:
    """GET requests as one of the roles: public (no token), planner, police, admin."""

    def __init__(self, base, tokens):
        self.base = base.rstrip("/")
        self.tokens = tokens
        self.requests = 0

    def get(self, path, role="public", headers=None):
        url = path if path.startswith("http") else self.base + path
        h = dict(headers or {})
        if role != "public":
            h["Authorization"] = "Bearer " + self.tokens[role]
        req = urllib.request.Request(url, headers=h)
        self.requests += 1
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return Response(url, r.status, dict(r.headers), r.read())
        except urllib.error.HTTPError as e:
            return Response(url, e.code, dict(e.headers), e.read())

    def ok(self, path, role="public", status=200, headers=None):
        r = self.get(path, role, headers)
        require(r.status == status, f"GET {path} as {role}: expected {status}, got {r.describe()}")
        return r


def query(**params):
    return urllib.parse.urlencode(params)


# --------------------------------------------------------------------------------------------
# Geometry: Web Mercator tiles and distances, written out here, independent of the server


def world(lon, lat):
    """(lon, lat) in the Web Mercator unit square: x east from −180°, y down from 85.05° N."""
    lat = max(-85.0511287798066, min(85.0511287798066, lat))
    r = math.radians(lat)
    return (lon + 180.0) / 360.0, (1.0 - math.log(math.tan(r) + 1.0 / math.cos(r)) / math.pi) / 2.0


def tile_units(tile, lon, lat):
    """Position of (lon, lat) in the tile's units (0..4096 inside, y down)."""
    z, x, y = tile
    mx, my = world(lon, lat)
    s = float(2**z)
    return (mx * s - x) * EXTENT, (my * s - y) * EXTENT


def tile_lonlat(tile, u, v):
    """The (lon, lat) of tile units (u, v)."""
    z, x, y = tile
    s = float(2**z)
    mx, my = (x + u / EXTENT) / s, (y + v / EXTENT) / s
    return mx * 360.0 - 180.0, math.degrees(math.atan(math.sinh(math.pi * (1.0 - 2.0 * my))))


def tile_bbox(tile, units=0.0):
    """The tile's (minlon, minlat, maxlon, maxlat), grown by `units` tile units each side."""
    w, n = tile_lonlat(tile, -units, -units)
    e, s = tile_lonlat(tile, EXTENT + units, EXTENT + units)
    return w, s, e, n


def tile_of(z, lon, lat):
    mx, my = world(lon, lat)
    return z, int(mx * 2**z), int(my * 2**z)


def metres_per_unit(tile, lat):
    return 2 * math.pi * 6378137.0 * math.cos(math.radians(lat)) / (2 ** tile[0] * EXTENT)


def haversine_m(lon1, lat1, lon2, lat2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def key7(lon, lat):
    return (round(lon, 7), round(lat, 7))


def rfc3339(t):
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def bbox_param(b):
    return ",".join(f"{v:.9f}" for v in b)


# --------------------------------------------------------------------------------------------
# Shared state: the store's ground truth, and answers fetched once and used by several checks


class Context:
    def __init__(self, args):
        self.args = args
        self.http = Client(args.url, {"police": args.police, "planner": args.planner, "admin": args.admin})
        self.started = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        self.exports = []  # (collection, format code, features, role) of every export made
        self._store = None
        self._cache = {}

    @property
    def store(self):
        """id → (lon, lat, category, occurred_at, precision, source, source_id), read-only."""
        if self._store is None:
            uri = pathlib.Path(self.args.store).resolve().as_uri() + "?mode=ro"
            con = sqlite3.connect(uri, uri=True)
            try:
                rows = con.execute(
                    "SELECT id, lon, lat, category, occurred_at, precision, source, source_id FROM incidents ORDER BY id"
                ).fetchall()
                key = con.execute("SELECT value FROM meta WHERE key = 'public_id_key'").fetchone()
            finally:
                con.close()
            require(rows, f"{self.args.store}: the incidents table is empty (is the demo loaded?)")
            require(key, f"{self.args.store}: no public_id_key in meta")
            self._store = {r[0]: r[1:] for r in rows}
            self.exact_keys = {key7(r[1], r[2]) for r in rows}
            # The public ids, computed here independently of the server (privacy::public_id).
            self.public_of, self.exact_of = {}, {}
            secret = bytes.fromhex(key[0])
            for r in rows:
                rnd = 0
                while True:
                    d = hashlib.sha256(secret + r[0].to_bytes(8, "little", signed=True) + rnd.to_bytes(4, "little")).digest()
                    pid = (int.from_bytes(d[:8], "little") & ((1 << 52) - 1)) + 1
                    if pid not in self.exact_of:
                        break
                    rnd += 1
                self.public_of[r[0]], self.exact_of[pid] = pid, r[0]
        return self._store

    def items(self, role, **params):
        """Every feature of `/api/collections/incidents/items?…` as `role`, following `next`."""
        key = (role, tuple(sorted(params.items())))
        if key not in self._cache:
            params.setdefault("limit", PAGE)
            url = "/api/collections/incidents/items?" + query(**params)
            features, matched, pages = [], None, 0
            while url:
                page = self.http.ok(url, role).json()
                matched = page["numberMatched"] if matched is None else matched
                require(page["numberMatched"] == matched, f"GET {url}: numberMatched changed between pages")
                require(page["numberReturned"] == len(page["features"]), f"GET {url}: numberReturned ≠ features")
                features.extend(page["features"])
                nxt = [link["href"] for link in page.get("links", []) if link.get("rel") == "next"]
                url = nxt[0] if nxt else None
                pages += 1
                require(pages <= 200, "more than 200 pages: the next links do not end")
            require(len(features) == matched, f"items {params} as {role}: {len(features)} features over the pages, numberMatched {matched}")
            ids = [f["id"] for f in features]
            require(len(set(ids)) == len(ids), f"items {params} as {role}: a feature appears on two pages")
            self._cache[key] = features
        return self._cache[key]


def by_id(features):
    return {f["id"]: f for f in features}


def coords(f):
    c = f["geometry"]["coordinates"]
    return c[0], c[1]


def decode_tile(body):
    return mapbox_vector_tile.decode(body, default_options={"y_coord_down": True})


def same_as_store(ctx, f, where):
    """Police data: `f` is the stored incident exactly (7 decimals, every property)."""
    s = ctx.store.get(f["id"])
    require(s is not None, f"{where}: feature {f['id']} is not in the store")
    lon, lat = coords(f)
    require(abs(lon - s[0]) <= 5.01e-8 and abs(lat - s[1]) <= 5.01e-8,
            f"{where}: feature {f['id']} at {lon},{lat}, stored at {s[0]},{s[1]}")
    want = {"category": s[2], "occurred_at": rfc3339(s[3]), "precision": s[4], "source": s[5], "source_id": s[6]}
    got = {k: f["properties"].get(k) for k in INCIDENT_FIELDS}
    require(got == want, f"{where}: feature {f['id']} has {got}, the store {want}")


def generalised(ctx, f, where):
    """Public data: `f` is a generalised incident, never the stored point or time, under its
    public id (a keyed hash of the store id, never the store id's order)."""
    s = ctx.store.get(ctx.exact_of.get(f["id"]))
    require(s is not None, f"{where}: feature {f['id']} is not in the store")
    lon, lat = coords(f)
    p = f["properties"]
    require(key7(lon, lat) not in ctx.exact_keys,
            f"{where}: feature {f['id']} at {lon},{lat} is an exact stored incident position")
    require(p.get("precision") == "approximate", f"{where}: feature {f['id']} has precision {p.get('precision')!r}, not 'approximate'")
    require(p.get("source_id") == "", f"{where}: feature {f['id']} has source_id {p.get('source_id')!r}, not ''")
    floored = rfc3339(s[3] - s[3] % 3600)
    require(p.get("occurred_at") == floored,
            f"{where}: feature {f['id']} occurred_at {p.get('occurred_at')!r}, expected the hour {floored} (stored {rfc3339(s[3])})")
    require(p.get("category") == s[2], f"{where}: feature {f['id']} category {p.get('category')!r}, stored {s[2]!r}")
    d = haversine_m(lon, lat, s[0], s[1])
    require(d < PUBLIC_MAX_SHIFT_M, f"{where}: feature {f['id']} is {d:.1f} m from its exact point (limit {PUBLIC_MAX_SHIFT_M} m)")


# --------------------------------------------------------------------------------------------
# 1. Tiles


def district_tiles(ctx, z, n):
    """The `n` tiles at zoom `z` holding the most police items of district 8."""
    counts = Counter(tile_of(z, *coords(f)) for f in ctx.items("police", district=DISTRICT))
    require(counts, f"no police items in {DISTRICT}")
    return [t for t, _ in counts.most_common(n)]


def compare_detail_tile(tile, layer, items, where):
    """A z ≥ 14 tile against the items of its box: same ids, properties and positions; none
    missing that lies inside (the tile or its buffer, 1 unit off the edges); none extra."""
    feats = {f["id"]: f for f in layer["features"]}
    require(len(feats) == len(layer["features"]), f"{where}: two features share an id")
    must, may = set(), {}
    for f in items:
        u, v = tile_units(tile, *coords(f))
        if -BUFFER - 1 <= u <= EXTENT + BUFFER + 1 and -BUFFER - 1 <= v <= EXTENT + BUFFER + 1:
            may[f["id"]] = (u, v, f)
            if -BUFFER + 1 <= u < EXTENT + BUFFER - 1 and -BUFFER + 1 <= v < EXTENT + BUFFER - 1:
                must.add(f["id"])
    inside = {i for i in must if 0 < may[i][0] < EXTENT and 0 < may[i][1] < EXTENT}
    missing = sorted(inside - feats.keys())
    require(not missing, f"{where}: {len(missing)} items inside the tile are not in it, e.g. id {missing[:5]}")
    missing = sorted(must - feats.keys())
    require(not missing, f"{where}: {len(missing)} items in the 64-unit buffer are not in the tile, e.g. id {missing[:5]}")
    extra = sorted(feats.keys() - may.keys())
    require(not extra, f"{where}: {len(extra)} features are no item of the tile plus buffer, e.g. id {extra[:5]}")
    for i, tf in feats.items():
        u, v, item = may[i]
        require(tf["geometry"]["type"] == "Point", f"{where}: feature {i} is a {tf['geometry']['type']}")
        tu, tv = tf["geometry"]["coordinates"]
        require(abs(tu - u) <= 1.0 and abs(tv - v) <= 1.0,
                f"{where}: feature {i} at ({tu},{tv}) tile units, its item projects to ({u:.2f},{v:.2f})")
        want = {k: item["properties"][k] for k in ("category", "occurred_at", "precision")}
        require(tf["properties"] == want, f"{where}: feature {i} has {tf['properties']}, the item {want}")
    return len(feats), len(inside)


def cluster_counts(tile, features):
    """Our own count per 64 × 64 grid square of the points of `features` that fall in `tile`."""
    squares = Counter()
    for f in features:
        u, v = tile_units(tile, *coords(f))
        cx, cy = math.floor(u / CLUSTER), math.floor(v / CLUSTER)
        if 0 <= cx < EXTENT // CLUSTER and 0 <= cy < EXTENT // CLUSTER:
            squares[(cx, cy)] += 1
    return squares


def compare_cluster_tile(tile, layer, expected, min_count, where):
    got = {}
    for f in layer["features"]:
        require(set(f["properties"]) == {"count"}, f"{where}: a cluster carries {sorted(f['properties'])}, only 'count' expected")
        u, v = f["geometry"]["coordinates"]
        sq = (math.floor(u / CLUSTER), math.floor(v / CLUSTER))
        require((u, v) == ((sq[0] + 0.5) * CLUSTER, (sq[1] + 0.5) * CLUSTER), f"{where}: cluster at ({u},{v}) is not a square's centre")
        require(sq not in got, f"{where}: two clusters in square {sq}")
        got[sq] = f["properties"]["count"]
    want = {sq: n for sq, n in expected.items() if n >= min_count}
    small = sorted(sq for sq, n in got.items() if n < min_count)
    require(not small, f"{where}: squares {small[:5]} show counts below {min_count}: {[got[s] for s in small[:5]]}")
    diff = sorted(sq for sq in got.keys() | want.keys() if got.get(sq) != want.get(sq))
    require(not diff, f"{where}: {len(diff)} grid squares differ from our count, e.g. "
            + ", ".join(f"{sq}: tile {got.get(sq)} vs ours {want.get(sq)}" for sq in diff[:5]))
    return sum(got.values()), len(got)


def check_tiles(ctx):
    """Tiles decode to the features of the items they stand for."""
    http = ctx.http
    # TileJSON, as the public and the police.
    for role, exact in (("public", False), ("police", True)):
        tj = http.ok("/tiles/incidents.json", role).json()
        require(tj.get("tilejson") == "3.0.0", f"TileJSON as {role}: tilejson is {tj.get('tilejson')!r}")
        tiles = tj.get("tiles") or []
        require(tiles and tiles[0].startswith(http.base) and tiles[0].split("?")[0].endswith("/tiles/incidents/{z}/{x}/{y}.mvt"),
                f"TileJSON as {role}: tiles is {tiles!r}")
        require(any(l.get("id") == "incidents" for l in tj.get("vector_layers", [])), f"TileJSON as {role}: no vector layer 'incidents'")
        require((tj.get("privacy") or {}).get("exact") is exact, f"TileJSON as {role}: privacy {tj.get('privacy')}, expected exact {exact}")

    z16 = district_tiles(ctx, 16, 3)
    n16 = {"police": 0, "public": 0}
    inside = 0
    for tile in z16:
        z, x, y = tile
        path = f"/tiles/incidents/{z}/{x}/{y}.mvt"
        box = bbox_param(tile_bbox(tile, BUFFER + 2))
        for role in ("police", "public"):
            r = http.ok(path, role)
            require(r.headers.get("content-type", "").startswith("application/vnd.mapbox-vector-tile"),
                    f"GET {path} as {role}: content-type {r.headers.get('content-type')}")
            layers = decode_tile(r.body)
            require(set(layers) == {"incidents"}, f"GET {path} as {role}: layers {sorted(layers)}")
            layer = layers["incidents"]
            require(layer["extent"] == EXTENT, f"GET {path} as {role}: extent {layer['extent']}")
            items = ctx.items(role, bbox=box)
            n, k = compare_detail_tile(tile, layer, items, f"GET {path} as {role}")
            n16[role] += n
            inside += k if role == "police" else 0
            # Cache headers: exact tiles must not be kept by shared caches.
            etag, cc = r.headers.get("etag"), r.headers.get("cache-control", "")
            require(etag and cc, f"GET {path} as {role}: ETag {etag!r}, Cache-Control {cc!r}")
            want = "public" if role == "public" else "private"
            require(want in cc, f"GET {path} as {role}: Cache-Control {cc!r} should say {want}")
            require("authorization" in r.headers.get("vary", "").lower(), f"GET {path} as {role}: no Vary: Authorization")
            again = http.get(path, role, {"If-None-Match": etag})
            require(again.status == 304 and not again.body, f"GET {path} as {role} with If-None-Match {etag}: {again.describe()}")
        require(n16["police"] > 0, f"GET {path}: empty police tile over {DISTRICT}")

    # A z12 tile of district 8: clusters, counted square by square against all the items.
    tile12 = district_tiles(ctx, 12, 1)[0]
    z, x, y = tile12
    path = f"/tiles/incidents/{z}/{x}/{y}.mvt"
    clusters = {}
    for role, min_count in (("police", 1), ("public", 3)):
        layer = decode_tile(http.ok(path, role).body)["incidents"]
        expected = cluster_counts(tile12, ctx.items(role))
        clusters[role] = compare_cluster_tile(tile12, layer, expected, min_count, f"GET {path} as {role}")
    require(clusters["police"][0] > 1000, f"GET {path} as police: only {clusters['police'][0]} incidents in clusters")

    # Empty and bad addresses.
    sea = tile_of(16, 0.0, 0.0)  # the Gulf of Guinea
    r = http.ok("/tiles/incidents/%d/%d/%d.mvt" % sea, "public", 204)
    require(not r.body and r.headers.get("etag"), f"empty tile: body {len(r.body)} bytes, ETag {r.headers.get('etag')!r}")
    for bad, field in (("23/0/0", "z"), ("3/8/0", "x"), ("3/0/8", "y"), ("16/65536/20508", "x")):
        r = http.ok(f"/tiles/incidents/{bad}.mvt", "public", 400)
        require(r.headers.get("content-type", "").startswith("application/problem+json") and r.json().get("field") == field,
                f"GET /tiles/incidents/{bad}.mvt: {r.describe()} (expected a problem naming {field!r})")
    return (f"{len(z16)} z16 tiles over {DISTRICT} ({n16['police']} police / {n16['public']} public features, "
            f"{inside} items strictly inside) match the items ±1 unit; z12 {z}/{x}/{y}: {clusters['police'][1]} police squares "
            f"({clusters['police'][0]} incidents), {clusters['public'][1]} public squares (none < 3) match our counts; "
            f"204/400/304, ETag, Cache-Control, TileJSON")


# --------------------------------------------------------------------------------------------
# 2. The public never gets an exact coordinate


def check_privacy(ctx):
    """Public answers are generalised; the police's are exact."""
    http = ctx.http
    store = ctx.store
    # Every page of public and of police items.
    public = ctx.items("public")
    police = ctx.items("police")
    require(len(public) == len(store), f"public items: {len(public)} features, the store holds {len(store)}")
    require(len(police) == len(store), f"police items: {len(police)} features, the store holds {len(store)}")
    for f in public:
        generalised(ctx, f, "public items")
    for f in police:
        same_as_store(ctx, f, "police items")
    points = Counter(key7(*coords(f)) for f in public)
    require(len(points) * 3 < len(public),
            f"public items: {len(points)} distinct points for {len(public)} incidents; cell centres should be shared")

    # Single items: a spread over the whole layer and over district 8.
    pub = by_id(public)
    d8 = sorted(f["id"] for f in ctx.items("police", district=DISTRICT))
    ids = sorted(store)
    sample = sorted(set(ids[:: max(1, len(ids) // 25)] + d8[:: max(1, len(d8) // 15)]))
    for i in sample:
        j = ctx.public_of[i]
        f = http.ok(f"/api/collections/incidents/items/{j}", "public").json()
        generalised(ctx, f, f"GET /api/collections/incidents/items/{j} as public")
        require(coords(f) == coords(pub[j]), f"public item {j} at {coords(f)}, on the items page at {coords(pub[j])}")
        same_as_store(ctx, http.ok(f"/api/collections/incidents/items/{i}", "police").json(),
                      f"GET /api/collections/incidents/items/{i} as police")

    # Public z16 tiles decoded back to lon/lat: the public point, never the exact one.
    tiles = district_tiles(ctx, 16, 3)
    tile_points = 0
    for tile in tiles:
        path = "/tiles/incidents/%d/%d/%d.mvt" % tile
        layer = decode_tile(http.ok(path, "public").body).get("incidents", {"features": []})
        for tf in layer["features"]:
            i = tf["id"]
            u, v = tf["geometry"]["coordinates"]
            lon, lat = tile_lonlat(tile, u, v)
            s = store[ctx.exact_of[i]]
            mpu = metres_per_unit(tile, lat)
            d_exact = haversine_m(lon, lat, s[0], s[1])
            d_pub = haversine_m(lon, lat, *coords(pub[i]))
            # Near the exact point only if the public point (a cell centre) happens to be too.
            require(d_exact > 0.5 or haversine_m(*coords(pub[i]), s[0], s[1]) <= 0.5 + 1.5 * mpu,
                    f"GET {path} as public: feature {i} decodes to {lon:.7f},{lat:.7f}, {d_exact:.2f} m from its "
                    f"exact point {s[0]},{s[1]}; its public point is {coords(pub[i])}")
            require(d_pub <= 1.5 * mpu, f"GET {path} as public: feature {i} is {d_pub:.2f} m from its public item")
            require(tf["properties"].get("precision") == "approximate", f"GET {path} as public: feature {i} {tf['properties']}")
            tile_points += 1
    require(tile_points > 0, "public z16 tiles over district 8 are empty")

    # Bbox probes: a tiny box around an exact point must not find the incident for the public
    # (unless its public point is in the box too); it does for the police.
    probes = 0
    for i in d8[:: max(1, len(d8) // 20)]:
        lon, lat = store[i][0], store[i][1]
        box = (lon - 2e-6, lat - 2e-6, lon + 2e-6, lat + 2e-6)
        q = "/api/collections/incidents/items?" + query(bbox=bbox_param(box), limit=PAGE)
        found = {f["id"] for f in http.ok(q, "public").json()["features"]}
        plon, plat = coords(pub[ctx.public_of[i]])
        if not (box[0] <= plon <= box[2] and box[1] <= plat <= box[3]):
            require(ctx.public_of[i] not in found, f"GET {q} as public: finds incident {i} by its exact position (public point {plon},{plat})")
        require(i in {f["id"] for f in http.ok(q, "police").json()["features"]}, f"GET {q} as police: incident {i} not found")
        probes += 1

    # Analyses: cell centres and outlines, never an exact point.
    analyses = 0
    for path in ("/api/analysis/hexbins?geometry=point", f"/api/analysis/hexbins?geometry=point&district={DISTRICT}",
                 f"/api/analysis/hexbins?district={DISTRICT}", "/api/analysis/hotspots"):
        body = http.ok(path, "public").json()
        require(body.get("features"), f"GET {path} as public: no features")
        for f in body["features"]:
            for lon, lat in flatten(f["geometry"]["coordinates"]):
                require(key7(lon, lat) not in ctx.exact_keys, f"GET {path} as public: {lon},{lat} is an exact incident position")
                analyses += 1
    return (f"{len(public)} public items (all pages), {len(sample)} single items, {tile_points} public tile points, "
            f"{analyses} analysis coordinates: no exact position, all approximate/hourly/no source_id/< 80 m; "
            f"{probes} bbox probes blind; police items = store exactly")


def flatten(c):
    if isinstance(c[0], (int, float)):
        yield c[0], c[1]
    else:
        for part in c:
            yield from flatten(part)


# --------------------------------------------------------------------------------------------
# 3. Small counts are suppressed for the public


def small(values):
    return [v for v in values if v in (1, 2)]


def check_suppression(ctx):
    """Counts of 1 or 2 are never shown to the public; the planner sees them."""
    http = ctx.http
    # Resolution 10 (the finest the public and planners may ask for) and one category, so that
    # small counts occur.
    path = f"/api/analysis/hexbins?resolution=10&category=robbery&district={DISTRICT}"
    pub, plan = http.ok(path, "public").json(), http.ok(path, "planner").json()
    pub_counts = [f["properties"]["count"] for f in pub["features"]]
    plan_counts = [f["properties"]["count"] for f in plan["features"]]
    require(not small(pub_counts), f"GET {path} as public: cells with counts {Counter(small(pub_counts))}")
    require((pub.get("suppressedCells") or 0) > 0, f"GET {path} as public: suppressedCells {pub.get('suppressedCells')!r}")
    require(small(plan_counts), f"GET {path} as planner: no cell with 1 or 2 (so the check proves nothing)")

    path = "/api/analysis/hotspots"
    pub_hot = [f["properties"]["count"] for f in http.ok(path, "public").json()["features"]]
    require(not small(pub_hot), f"GET {path} as public: cells with counts {Counter(small(pub_hot))}")

    # The district summary: hour × weekday (and the category counts).
    def summary(role, q):
        p = f"/api/districts/{DISTRICT}/summary" + (("?" + q) if q else "")
        return p, http.ok(p, role).json()

    for q in ("", "from=2014-06-01&to=2014-06-30"):
        p, plan_s = summary("planner", q)
        if small(v for row in plan_s["hour_weekday"] for v in row):
            break
    else:
        raise CheckFailed(f"GET {p} as planner: no hour × weekday cell of 1 or 2 (so the check proves nothing)")
    p, pub_s = summary("public", q)
    grid = [v for row in pub_s["hour_weekday"] for v in row]
    require(len(pub_s["hour_weekday"]) == 7 and len(grid) == 7 * 24, f"GET {p} as public: hour_weekday is not 7 × 24")
    require(not small(grid), f"GET {p} as public: hour_weekday shows {Counter(small(grid))}")
    require(None in grid, f"GET {p} as public: no null in hour_weekday")
    cats = [c.get(k) for c in pub_s["categories"] for k in ("count", "previous")]
    require(not small(cats), f"GET {p} as public: category counts show {Counter(small(cats))}")
    return (f"hexbins res 10 (robbery): public {len(pub_counts)} cells, none of 1-2, {pub['suppressedCells']} suppressed; "
            f"planner {len(small(plan_counts))} cells of 1-2; hot spots none of 1-2; summary{' (' + q + ')' if q else ''}: "
            f"public {grid.count(None)} nulls, none of 1-2, planner has them")


def note_differencing(ctx):
    """Not a failure: whether suppressed summary counts can be recovered as total − shown."""
    found = []
    for m in range(1, 13):
        q = f"from=2010-{m:02d}-01&to=2010-{m:02d}-28"
        s = ctx.http.ok(f"/api/districts/{DISTRICT}/summary?{q}", "public").json()
        total = next((c["count"] for c in s["categories"] if c["code"] == "all"), None)
        shown = [c["count"] for c in s["categories"] if c["code"] != "all"]
        hidden = shown.count(None)
        if total is None or not hidden:
            continue
        rest = total - sum(v for v in shown if v is not None)
        # One hidden count is the rest; k hidden counts summing to k are all 1s. (k counts summing
        # to 2k pin them only if all are small; the server always hides a count ≥ the threshold
        # with small ones, or else the total, so that sum no longer pins them.)
        if hidden == 1 or rest == hidden:
            found.append(f"2010-{m:02d} ({hidden} hidden, total − shown = {rest})")
    return found


# --------------------------------------------------------------------------------------------
# 4. Exports


def attachment(r, where, ext):
    cd = r.headers.get("content-disposition", "")
    m = re.fullmatch(r'attachment; filename="incidents-(\d{8})\.' + ext + '"', cd)
    require(m, f"{where}: Content-Disposition {cd!r}")
    today = {d.strftime("%Y%m%d") for d in (dt.datetime.now(dt.timezone.utc).date(), dt.date.today())}
    require(m.group(1) in today, f"{where}: file name dated {m.group(1)}, today is {sorted(today)}")


def export(ctx, role, collection, fmt, expected_features, **params):
    """Fetches one export, records it for the audit check."""
    q = dict(params, f=fmt)
    path = f"/api/collections/{collection}/items?" + query(**q)
    r = ctx.http.ok(path, role)
    code = fmt if fmt != "shapefile" else "shapefile " + params.get("crs", "EPSG:4326")
    n = r.headers.get("x-number-matched")
    require(n is None or int(n) == expected_features, f"GET {path}: X-Number-Matched {n}, expected {expected_features}")
    ctx.exports.append((collection, code, expected_features, role))
    return path, r


def read_shapefile(body, where):
    """Opens a zipped Shapefile with pyshp; returns (reader, {extension: bytes})."""
    z = zipfile.ZipFile(io.BytesIO(body))
    parts = {}
    for name in z.namelist():
        ext = name.rsplit(".", 1)[-1].lower()
        parts[ext] = z.read(name)
    missing = {"shp", "shx", "dbf", "prj", "cpg"} - parts.keys()
    require(not missing, f"{where}: the zip lacks {sorted(missing)} (has {z.namelist()})")
    cpg = parts["cpg"].decode("ascii", "replace").strip()
    require(cpg.upper().replace("-", "") == "UTF8", f"{where}: .cpg says {cpg!r}, not UTF-8")
    reader = shapefile.Reader(shp=io.BytesIO(parts["shp"]), shx=io.BytesIO(parts["shx"]),
                              dbf=io.BytesIO(parts["dbf"]), encoding="utf-8")
    return reader, parts


def compare_incident_shapefile(body, geo, epsg, where):
    reader, parts = read_shapefile(body, where)
    prj = parts["prj"].decode("utf-8", "replace")
    crs = pyproj.CRS.from_wkt(prj)
    require(crs.to_epsg(min_confidence=70) == epsg, f"{where}: .prj is {crs.name!r} ({crs.to_epsg()}), expected EPSG:{epsg}")
    if epsg == 25832:
        flat = re.sub(r"[^A-Z0-9]", "", prj.upper())
        require(("ETRS89" in flat or "ETRS1989" in flat) and ("UTMZONE32N" in flat or "UTM32N" in flat),
                f"{where}: .prj does not name ETRS89 / UTM zone 32N: {prj[:120]}")
    require(reader.shapeType == shapefile.POINT, f"{where}: shape type {reader.shapeTypeName}, not POINT")
    fields = [f[0] for f in reader.fields[1:]]
    require(fields == ["id", "category", "occurred", "occ_date", "occ_time", "precision", "source", "source_id"], f"{where}: fields {fields}")
    types = {f[0]: f[1] for f in reader.fields[1:]}
    require(types["occ_date"] == "D", f"{where}: occ_date is of dBase type {types['occ_date']!r}, not D (date)")
    cph = zoneinfo.ZoneInfo("Europe/Copenhagen")
    require(len(reader) == len(geo), f"{where}: {len(reader)} records, the GeoJSON has {len(geo)}")
    back = pyproj.Transformer.from_crs(25832, 4326, always_xy=True) if epsg == 25832 else None
    tol = 1e-6 if back else 1e-7
    worst = 0.0
    for sr in reader.iterShapeRecords():
        rec = sr.record.as_dict()
        i = int(rec["id"])
        f = geo.get(i)
        require(f is not None, f"{where}: record id {i} is not in the GeoJSON")
        p = f["properties"]
        got = (rec["category"], rec["occurred"], rec["precision"], rec["source"], rec["source_id"])
        want = (p["category"], p["occurred_at"], p["precision"], p["source"], p["source_id"])
        require(got == want, f"{where}: record {i} has {got}, the GeoJSON {want}")
        local = dt.datetime.fromisoformat(p["occurred_at"].replace("Z", "+00:00")).astimezone(cph)
        day = local.date()
        require(rec["occ_date"] == day, f"{where}: record {i} occ_date {rec['occ_date']!r}, the Copenhagen date of {p['occurred_at']} is {day}")
        require(rec["occ_time"] == local.strftime("%H:%M:%S"), f"{where}: record {i} occ_time {rec['occ_time']!r}, the Copenhagen time of {p['occurred_at']} is {local:%H:%M:%S}")
        require(len(sr.shape.points) == 1, f"{where}: record {i} has {len(sr.shape.points)} points")
        x, y = sr.shape.points[0]
        lon, lat = back.transform(x, y) if back else (x, y)
        glon, glat = coords(f)
        err = max(abs(lon - glon), abs(lat - glat))
        worst = max(worst, err)
        require(err <= tol, f"{where}: record {i} at {lon:.9f},{lat:.9f} (from {x},{y}), GeoJSON {glon},{glat}")
    return len(reader), worst


def check_exports(ctx):
    """Exports read back with independent readers equal the items."""
    http = ctx.http
    items = ctx.items("police", district=DISTRICT)
    n = len(items)
    ref = by_id(items)

    path, r = export(ctx, "police", "incidents", "geojson", n, district=DISTRICT)
    attachment(r, f"GET {path}", "geojson")
    require(r.headers.get("content-type", "").startswith("application/geo+json"), f"GET {path}: content-type {r.headers.get('content-type')}")
    fc = r.json()
    require(fc.get("type") == "FeatureCollection", f"GET {path}: type {fc.get('type')!r}")
    geo = by_id(fc["features"])
    require(len(geo) == len(fc["features"]) == n, f"GET {path}: {len(fc['features'])} features, the items {n}")
    require([f["id"] for f in fc["features"]] == [f["id"] for f in items], f"GET {path}: not the items' ids in their order")
    for i, f in geo.items():
        require(f["geometry"] == ref[i]["geometry"] and f["properties"] == ref[i]["properties"],
                f"GET {path}: feature {i} is {f['geometry']} {f['properties']}, the item {ref[i]['geometry']} {ref[i]['properties']}")

    path, r = export(ctx, "police", "incidents", "csv", n, district=DISTRICT)
    attachment(r, f"GET {path}", "csv")
    rows = list(csv.DictReader(io.StringIO(r.body.decode("utf-8"))))
    header = list(rows[0].keys()) if rows else []
    require(header == ["id", "lon", "lat", "category", "occurred_at", "precision", "source", "source_id"], f"GET {path}: header {header}")
    require(len(rows) == n, f"GET {path}: {len(rows)} rows, the GeoJSON {n}")
    for row in rows:
        f = geo.get(int(row["id"]))
        require(f is not None, f"GET {path}: row id {row['id']} is not in the GeoJSON")
        require((float(row["lon"]), float(row["lat"])) == coords(f), f"GET {path}: row {row['id']} at {row['lon']},{row['lat']}, GeoJSON {coords(f)}")
        got = {k: row[k] for k in INCIDENT_FIELDS}
        require(got == f["properties"], f"GET {path}: row {row['id']} {got}, GeoJSON {f['properties']}")

    shp = {}
    for epsg in (4326, 25832):
        path, r = export(ctx, "police", "incidents", "shapefile", n, district=DISTRICT, crs=f"EPSG:{epsg}")
        attachment(r, f"GET {path}", "zip")
        shp[epsg] = compare_incident_shapefile(r.body, geo, epsg, f"GET {path}")

    # Districts, public: every district with its polygon parts.
    dgeo = ctx.http.ok("/api/collections/districts/items?limit=1000", "public").json()["features"]
    path, r = export(ctx, "public", "districts", "shapefile", len(dgeo))
    reader, _ = read_shapefile(r.body, f"GET {path}")
    require(reader.shapeType == shapefile.POLYGON, f"GET {path}: shape type {reader.shapeTypeName}")
    require(len(reader) == 444 == len(dgeo), f"GET {path}: {len(reader)} records, expected 444 (items: {len(dgeo)})")
    dref = {f["properties"]["id"]: f for f in dgeo}
    seen = set()
    for sr in reader.iterShapeRecords():
        d = sr.record.as_dict()
        did = d["id"]
        require(did in dref and did not in seen, f"GET {path}: record id {did!r} unknown or repeated")
        seen.add(did)
        require(len(sr.shape.parts) >= 1 and len(sr.shape.points) >= 4, f"GET {path}: {did} has {len(sr.shape.parts)} parts")
        ring_points = [list(flatten(poly)) for poly in gpolys(dref[did]["geometry"])]
        xs = [p[0] for ring in ring_points for p in ring]
        ys = [p[1] for ring in ring_points for p in ring]
        got = sr.shape.bbox
        want = [min(xs), min(ys), max(xs), max(ys)]
        require(all(abs(a - b) <= 1e-7 for a, b in zip(got, want)), f"GET {path}: {did} bbox {got}, GeoJSON {want}")
        require(d["name"] == dref[did]["properties"]["name"] and d["level"] == dref[did]["properties"]["level"],
                f"GET {path}: {did} name/level {d['name']!r}/{d['level']!r}")
    levels = Counter(i.split("-")[0] for i in seen)
    require(levels == {"bydel": 10, "district": 35, "rode": 399}, f"GET {path}: levels {dict(levels)}")

    # Who may not export incidents.
    refused = 0
    for fmt in ("geojson", "csv", "shapefile"):
        path = "/api/collections/incidents/items?" + query(district=DISTRICT, f=fmt)
        for role, status in (("public", 401), ("planner", 403)):
            r = http.get(path, role)
            require(r.status == status and r.headers.get("content-type", "").startswith("application/problem+json"),
                    f"GET {path} as {role}: expected {status}, got {r.describe()}")
            refused += 1
    return (f"{DISTRICT}: GeoJSON = items ({n}), CSV = GeoJSON, Shapefile 4326 = GeoJSON (worst {shp[4326][1]:.1e}°), "
            f"25832 via pyproj (worst {shp[25832][1]:.1e}°); districts Shapefile 444 records; {refused} refusals 401/403")


def gpolys(g):
    return [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]


# --------------------------------------------------------------------------------------------
# 5. Audit log


ACTOR = re.compile(r"token (\d+) \((.*), (planner|police|admin)\)")


def check_audit(ctx):
    """Every export of this run is in the audit log, newest first; only admins read it."""
    http = ctx.http
    for role, status in (("police", 403), ("planner", 403), ("public", 401)):
        r = http.get("/api/audit", role)
        require(r.status == status, f"GET /api/audit as {role}: expected {status}, got {r.describe()}")
    require(ctx.exports, "no export was made in this run (the export check failed early)")
    log = http.ok("/api/audit?limit=10000", "admin").json()
    entries = log["entries"]
    require(log["numberReturned"] == len(entries), "GET /api/audit: numberReturned ≠ entries")
    ats = [e["at"] for e in entries]
    require(ats == sorted(ats, reverse=True), f"GET /api/audit: not newest first: {ats[:10]}")
    ids = [e["id"] for e in entries]
    require(ids == sorted(ids, reverse=True), f"GET /api/audit: ids not descending: {ids[:10]}")
    since = (ctx.started - dt.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = [e for e in entries if e["at"] >= since]
    police_id = int(ctx.args.police.split("_")[1])
    unmatched = list(recent)
    for collection, fmt, features, role in ctx.exports:
        def fits(e):
            if (e["collection"], e["format"], e["features"], e["action"], e["role"]) != (collection, fmt, features, "export", role):
                return False
            if role == "public":
                return e["actor"] == "public"
            m = ACTOR.fullmatch(e["actor"])
            return bool(m) and int(m.group(1)) == police_id and m.group(2) == ctx.args.police_name and m.group(3) == role
        hit = next((e for e in unmatched if fits(e)), None)
        require(hit, f"GET /api/audit: no entry for the {role} export of {collection} as {fmt} ({features} features) "
                f"since {since}; entries: {json.dumps(recent[:8])}")
        unmatched.remove(hit)
    leaked = [e for e in unmatched if e["collection"] == "incidents" and e["role"] in ("public", "planner")]
    require(not leaked, f"GET /api/audit: refused exports were logged as made: {leaked}")
    return f"{len(ctx.exports)} exports of this run found with their actor 'token {police_id} ({ctx.args.police_name}, police)'; newest first; 403/403/401 for police/planner/public"


# --------------------------------------------------------------------------------------------



# --------------------------------------------------------------------------------------------
# planning: goals and the status report

REPORT_SECTIONS = ["summary", "map", "incidents", "safety-index", "goals", "initiatives", "reports", "provenance"]


def weapons_per_year(ctx):
    """Weapons-law incidents inside district 8 per Copenhagen calendar year, from the store."""
    d8 = ctx.http.ok("/api/collections/districts/items/district-8").json()
    poly = shapely.geometry.shape(d8["geometry"])
    uri = pathlib.Path(ctx.args.store).resolve().as_uri() + "?mode=ro"
    con = sqlite3.connect(uri, uri=True)
    try:
        rows = con.execute("SELECT lon, lat, occurred_at FROM incidents WHERE category = 'weapons'").fetchall()
    finally:
        con.close()
    cph = zoneinfo.ZoneInfo("Europe/Copenhagen")
    years = Counter()
    for lon, lat, t in rows:
        if poly.covers(shapely.geometry.Point(lon, lat)):
            years[dt.datetime.fromtimestamp(t, cph).year] += 1
    return years


def check_report_html(body, where):
    text = body.decode("utf-8")
    try:
        html5lib.HTMLParser(strict=True).parse(text)
    except Exception as e:  # html5lib raises ParseError with the position
        raise CheckFailed(f"{where}: not valid HTML: {e}")
    svgs = re.findall(r"<svg\b.*?</svg>", text, flags=re.S)
    require(svgs, f"{where}: no inline SVG")
    for i, svg in enumerate(svgs):
        try:
            ET.fromstring(svg)
        except ET.ParseError as e:
            raise CheckFailed(f"{where}: SVG {i} is not well-formed XML: {e}")
    for section in REPORT_SECTIONS:
        require(f'<section id="{section}">' in text, f"{where}: no section {section}")
    require('id="synthetic"' in text, f"{where}: no synthetic-data notice on demo data")
    require("<script" not in text.lower(), f"{where}: holds a script")
    external = re.findall(r'(?:src|href)="(https?:[^"]*)"', text)
    require(not external, f"{where}: refers to external files {external[:3]}")
    return text


def check_planning(ctx):
    goals = {g["id"]: g for g in ctx.http.ok("/api/goals", "planner").json()["goals"]}
    require(len(goals) == 14, f"expected the programme's 14 goal indicators, got {sorted(goals)}")
    ours = weapons_per_year(ctx)
    compared = 0
    for v in goals["2"]["values"]:
        if v.get("partial"):
            continue
        year = int(v["period"])
        require(v["value"] == ours[year], f"goal 2 in {year}: the service says {v['value']}, the store {ours[year]}")
        compared += 1
    require(compared >= 3, f"goal 2 has only {compared} whole years")
    year = 2013
    categories = ctx.http.ok("/api/collections/incidents").json()["categories"]
    weapons = next(c for c in categories if c["code"] == "weapons")
    for role in ("public", "planner"):
        for lang in ("da", "en"):
            r = ctx.http.ok("/api/status-report?" + query(year=year, lang=lang), role)
            require(r.headers.get("content-type", "").startswith("text/html"), f"report {role}/{lang}: {r.headers.get('content-type')}")
            text = check_report_html(r.body, f"report {year} {role}/{lang}")
            require(f'<html lang="{lang}">' in text, f"report {role}/{lang}: wrong html lang")
            label = weapons["label_" + lang]
            m = re.search(r"<td>" + label + r'</td><td class="num">([^<]*)</td><td class="num">([^<]*)</td>', text)
            require(m, f"report {role}/{lang}: no {label} row")
            if role == "planner":
                got = int(m.group(2).replace(".", "").replace(",", ""))
                require(got == ours[year], f"report {role}/{lang}: {label} {year} = {got}, the store {ours[year]}")
            unpublished = "Aftenåben klub" in text
            require(unpublished == (role == "planner"),
                    f"report {role}/{lang}: the unpublished demo initiative {'is' if unpublished else 'is not'} shown")
            require(('class="privacy"' in text) == (role == "public"), f"report {role}/{lang}: privacy statement wrong")
    bad = ctx.http.get("/api/status-report?year=abc")
    require(bad.status == 400 and bad.json().get("field") == "year", f"year=abc: {bad.describe()}")
    return f"goal 2 = store for {compared} years; 4 reports valid HTML with {len(REPORT_SECTIONS)} sections"

CHECKS = [
    ("tiles", check_tiles),
    ("privacy", check_privacy),
    ("suppression", check_suppression),
    ("exports", check_exports),
    ("audit", check_audit),
    ("planning", check_planning),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", required=True, help="the server, e.g. http://127.0.0.1:18097")
    ap.add_argument("--store", required=True, help="the server's DATA_DIR/hotspot.sqlite (read only)")
    ap.add_argument("--police", required=True, help="a police token hs_…")
    ap.add_argument("--planner", required=True, help="a planner token hs_…")
    ap.add_argument("--admin", required=True, help="an admin token hs_…")
    ap.add_argument("--police-name", default="check police", help="the name the police token was created with")
    args = ap.parse_args()
    for role in ("police", "planner", "admin"):
        if not re.fullmatch(r"hs_\d+_\S+", getattr(args, role)):
            ap.error(f"--{role}: not a token like hs_<id>_<secret>")
    if not pathlib.Path(args.store).is_file():
        ap.error(f"--store: {args.store} is not a file")

    ctx = Context(args)
    t0 = time.monotonic()
    try:
        health = ctx.http.ok("/api/health").json()
    except (urllib.error.URLError, OSError, CheckFailed) as e:
        print(f"check_outputs: cannot reach {args.url}: {e}", file=sys.stderr)
        return 2
    print(f"check_outputs: {args.url} ({health.get('counts')}, {health.get('data_version')})")

    failures = []
    for name, check in CHECKS:
        t = time.monotonic()
        try:
            said = check(ctx)
            print(f"ok    {name:<12} {time.monotonic() - t:5.1f} s  {said}")
        except CheckFailed as e:
            failures.append((name, str(e)))
            print(f"FAIL  {name:<12} {time.monotonic() - t:5.1f} s  {e}")
        except Exception as e:  # a crash in a check is a failure too, with its cause
            failures.append((name, f"{type(e).__name__}: {e}"))
            print(f"FAIL  {name:<12} {time.monotonic() - t:5.1f} s  {type(e).__name__}: {e}")
    try:
        months = note_differencing(ctx)
        if months:
            print(f"NOTE  public {DISTRICT} summaries: the suppressed category counts can be worked out as 'all' "
                  f"minus the shown counts (no secondary suppression) for {len(months)} of 12 months of 2010: {', '.join(months)}")
    except Exception as e:
        print(f"NOTE  differencing probe did not run: {e}")

    took = time.monotonic() - t0
    print(f"check_outputs: {len(CHECKS) - len(failures)}/{len(CHECKS)} checks passed, {ctx.http.requests} requests, {took:.1f} s")
    if failures:
        print("\nfailures:", file=sys.stderr)
        for name, msg in failures:
            print(f"  {name}: {msg}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
