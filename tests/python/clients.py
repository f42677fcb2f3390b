#!/usr/bin/env python3
"""The clients our users already run, pointed at a live hotspot server (issue 14).

Each check drives a real client, or replays one's exact requests, and asserts what that client
needs to work on the first try. Nothing here shares code with the server.

1. gdal        GDAL's OAPIF driver (`ogr2ogr` of Debian's gdal-bin 3.6, what QGIS uses) copies
               every collection listed under /api/collections into a GeoPackage with no page-size
               hint: the feature count equals the server's numberMatched, for the public and,
               where a role sees more, with its token through GDAL's header option
               (GDAL_HTTP_HEADERS); the demo's incidents in under 5 s (read and written, without
               the GeoPackage's spatial index, GDAL's own work after the copy). Also GDAL's MVT
               driver on the densest tiles. Prints how many requests GDAL made, and notes what
               GDAL >= 3.8 would read from the API document for its page size.
2. owslib      OWSLib's `owslib.ogcapi.features.Features` for every listed collection: landing
               page, `api()` (the service-desc link), conformance, collections, one
               collection, items with limit (and the next link; a limit above the maximum is
               clamped, not refused), offset, bbox, datetime, single items.
3. tiles       every tile of every tile layer (the collections' rel=tiles TileJSON) at z8-z16
               over the TileJSON bounds: decodes with mapbox-vector-tile; the raw protobuf keeps
               the MVT 2.1 rules (command sequences, ClosePath, zero-length segments, exterior
               rings with positive area in tile coordinates, tags, one value field); no key or
               value repeated within a layer; every polygon valid by GEOS (shapely), both as
               the specification classifies the rings and as mapbox-vector-tile decodes them.
4. tilejson    every layer's TileJSON validates against the official TileJSON 3.0.0 schema
               (tests/fixtures/tilejson-3.0.0.schema.json) and keeps the specification's other
               MUSTs (absolute tile URLs, zoom range, bounds, center, vector_layers).
5. georeport   the `georeport` Open311 client from PyPI in JSON and XML modes: services,
               service definitions (every service declares the attributes POST takes), a
               request posted (form-encoded, with its attributes) and, once a planner published
               it, read back singly, by id list, by service code and status, by date range.
6. fixmystreet the exact request sequence of FixMyStreet's Open311 client (perllib/Open311.pm,
               Open311::PopulateServiceList, Open311::GetServiceRequests): services.xml,
               services/{code}.xml for services with metadata, POST requests.xml (api_key,
               first_name/last_name/email/phone, lat/long to 6 decimals, attribute[...],
               media_url for a photo), the answer read as XML::Simple reads it
               (request/service_request_id), an address-only report and an unknown service
               answered with <errors><error><code/><description/></error></errors>, then
               requests.xml by date range and by service_request_id list.

It posts at most 5 resident reports (the default per-client limit in 10 minutes): run it on a
server that has not had reports from this address recently (or one started with
`--report-limit 0`).

    python3 -m venv /tmp/venv-clients && /tmp/venv-clients/bin/pip install -r tests/python/requirements.txt
    apt-get install gdal-bin          # ogr2ogr, ogrinfo
    hotspot serve --listen 127.0.0.1:18080 --data-dir /tmp/hs &
    /tmp/venv-clients/bin/python tests/python/clients.py --url http://127.0.0.1:18080 \\
        --police hs_1_… --planner hs_2_… --admin hs_3_…  [--only gdal,tiles]

Prints one line per check and a summary, then every failure with the request and the server's
answer; exit status 1 if any check fails, 2 for bad arguments or an unreachable server.
"""

import argparse
import concurrent.futures
import datetime as dt
import json
import math
import os
import pathlib
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict

import jsonschema_rs
import mapbox_vector_tile
import requests
import shapely.geometry
import shapely.validation
from georeport import GeoReport
from mapbox_vector_tile.Mapbox import vector_tile_pb2

ROOT = pathlib.Path(__file__).resolve().parents[2]
TILEJSON_SCHEMA = ROOT / "tests/fixtures/tilejson-3.0.0.schema.json"
INCIDENTS_COPY_LIMIT_S = 5.0
GDAL_TIMEOUT_S = 60  # a copy still running then is stopped (GDAL 3.6 at 10 features a page takes minutes)
TILE_ZOOMS = range(8, 17)
MAX_TILES_PER_LAYER = 20000
OAPIF_CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
OAPIF_GEOJSON = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
OAPIF_OAS30 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"
# Which roles see more of a collection than the public (README, "Roles and tokens").
ROLE_VIEWS = {"incidents": ["police"], "reports": ["planner"], "initiatives": ["planner"]}
POINT, LINESTRING, POLYGON = 1, 2, 3
MOVE_TO, LINE_TO, CLOSE_PATH = 1, 2, 7


class CheckFailed(Exception):
    """A check could not go on."""


# --------------------------------------------------------------------------------------------
# Shared state, HTTP, failures


class Context:
    def __init__(self, args):
        self.url = args.url.rstrip("/")
        self.tokens = {"police": args.police, "planner": args.planner, "admin": args.admin}
        self.failures = []  # (check, message)
        self.notes = []  # (check, message)
        self.current = None
        self.local = threading.local()
        self.posts = 0
        self._collections = None
        self._tile_layers = None
        self.tilejson = {}  # layer → (TileJSON URL, document)
        self.densest = {}  # (layer, z) → (x, y) of the tile with the most features

    def fail(self, msg):
        self.failures.append((self.current, self.redact(msg)))

    def note(self, msg):
        if (self.current, self.redact(msg)) not in self.notes:
            self.notes.append((self.current, self.redact(msg)))

    def redact(self, text):
        for t in self.tokens.values():
            text = text.replace(t, "hs_…")
        return text

    def headers(self, role):
        return {} if role == "public" else {"Authorization": "Bearer " + self.tokens[role]}

    def session(self):
        s = getattr(self.local, "session", None)
        if s is None:
            s = self.local.session = requests.Session()
        return s

    def get(self, path, role="public", params=None, headers=None):
        url = path if path.startswith("http") else self.url + path
        h = {**self.headers(role), **(headers or {})}
        return self.session().get(url, params=params, headers=h, timeout=120)

    def post(self, path, role="public", **kw):
        url = path if path.startswith("http") else self.url + path
        return self.session().post(url, headers=self.headers(role), timeout=60, **kw)

    def collections(self):
        """The public /api/collections listing (id → collection object)."""
        if self._collections is None:
            r = self.get("/api/collections")
            if r.status_code != 200:
                raise CheckFailed(f"GET /api/collections: {describe(r)}")
            self._collections = {c["id"]: c for c in r.json().get("collections", [])}
            if not self._collections:
                raise CheckFailed("GET /api/collections lists no collection")
        return self._collections

    def views(self):
        """(collection, role) pairs to check: the public everywhere, and each role that sees more."""
        out = []
        for cid in self.collections():
            out.append((cid, "public"))
            out.extend((cid, role) for role in ROLE_VIEWS.get(cid, []))
        return out


def describe(r, n=400):
    """A server's answer in one line: status, content type, the start of the body."""
    body = r.content[:n].decode("utf-8", "replace").replace("\n", " ")
    return f"{r.status_code} [{r.headers.get('Content-Type', '-')}] {body}"


def request_line(r):
    req = r.request
    line = f"{req.method} {req.url}"
    if req.body:
        body = req.body if isinstance(req.body, str) else req.body.decode("utf-8", "replace")
        line += f" body: {body[:300]}"
    return line


def link(obj, rel, type_=None):
    for lk in obj.get("links") or []:
        if lk.get("rel") == rel and (type_ is None or lk.get("type") == type_):
            return lk
    return None


def number(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------------------------
# 1. GDAL's OAPIF driver


def gdal_version():
    try:
        out = subprocess.run(["ogr2ogr", "--version"], capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        raise CheckFailed("ogr2ogr not found: install Debian's gdal-bin (.ci/run does)")
    return out.stdout.strip()


def gdal_copy(ctx, tmp, cid, role):
    """ogr2ogr OAPIF:{url}/api {cid} → GeoPackage as `role`. Returns (count or None, seconds,
    requests made, first items URL, error lines, warning lines)."""
    out = pathlib.Path(tmp) / f"{cid}-{role}.gpkg"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GDAL_HTTP", "CPL_"))}
    env["CPL_DEBUG"] = "HTTP"  # logs each Fetch(url), to count GDAL's requests
    if role != "public":
        env["GDAL_HTTP_HEADERS"] = f"Authorization: Bearer {ctx.tokens[role]}"
    # No spatial index in the GeoPackage: building it is GDAL's own work after the copy (about
    # 1.5 s for the incidents), the same whatever the server does; the time is the reading.
    cmd = ["ogr2ogr", "-f", "GPKG", "-lco", "SPATIAL_INDEX=NO", str(out), f"OAPIF:{ctx.url}/api", cid]
    t = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        output, _ = p.communicate(timeout=GDAL_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        p.kill()
        output, _ = p.communicate()
    took = time.monotonic() - t
    lines = output.splitlines()
    fetches = [ln[len("HTTP: Fetch("):-1] for ln in lines if ln.startswith("HTTP: Fetch(")]
    errors = [ln for ln in lines if ln.startswith("ERROR")]
    warnings = [ln for ln in lines if ln.startswith("Warning")]
    if p.returncode != 0 and not errors:
        errors = [f"stopped after {GDAL_TIMEOUT_S} s" if took >= GDAL_TIMEOUT_S else f"exit status {p.returncode}"] + [
            ln for ln in lines if not ln.startswith("HTTP:")][-3:]
    count = None
    if out.exists():
        con = sqlite3.connect(out)
        try:
            count = con.execute(f'SELECT count(*) FROM "{cid}"').fetchone()[0]
        except sqlite3.Error:
            count = None
        finally:
            con.close()
    items = [u for u in fetches if "/items" in u]
    return count, took, len(fetches), (items[0] if items else None), errors, warnings


def page_size_gdal_38(ctx, cid):
    """What GDAL >= 3.8 (OGROAPIFDataset::DeterminePageSizeFromAPI) would take as its page size:
    paths["/collections/{cid}/items"] (the items URL less the root URL) → get.parameters →
    a `$ref` naming `limit` → schema.maximum / schema.default; min(max(1000, default), maximum)."""
    r = ctx.get("/api")
    desc = link(r.json(), "service-desc", OPENAPI_JSON) if r.status_code == 200 else None
    if not desc:
        return f"1000 (its default): no service-desc link of type {OPENAPI_JSON}"
    api = ctx.get(desc["href"]).json()
    path = (api.get("paths") or {}).get(f"/collections/{cid}/items")
    if path is None:
        near = [p for p in api.get("paths") or {} if p.endswith(f"/collections/{cid}/items")]
        return (f"1000 (its default): the API document has no paths['/collections/{cid}/items'] "
                f"(GDAL looks up the items URL less the root URL …/api, ignoring `servers`; it has {near})")
    maximum = default = None
    for prm in (path.get("get") or {}).get("parameters") or []:
        ref = prm.get("$ref", "")
        if "limit" in ref and ref.startswith("#/"):
            node = api
            for part in ref[2:].split("/"):
                node = node.get(part, {})
            maximum = (node.get("schema") or {}).get("maximum")
            default = (node.get("schema") or {}).get("default")
    if maximum is None and default is None:
        return "1000 (its default): limit is not a $ref parameter there (GDAL reads limit only through a $ref)"
    size = 1000
    if default and maximum:
        size = min(max(size, default), maximum)
    elif default:
        size = max(size, default)
    elif maximum:
        size = maximum
    return f"{size} (limit maximum {maximum}, default {default})"


def check_gdal(ctx):
    version = gdal_version()
    said = []
    with tempfile.TemporaryDirectory(prefix="hotspot-gdal-") as tmp:
        for cid, role in ctx.views():
            r = ctx.get(f"/api/collections/{cid}/items", role, {"limit": 1})
            if r.status_code != 200:
                ctx.fail(f"{cid} as {role}: GET {r.request.url}: {describe(r)}")
                continue
            matched = r.json().get("numberMatched")
            if not isinstance(matched, int):
                ctx.fail(f"{cid} as {role}: GET {r.request.url} has no numberMatched: {describe(r)}")
                continue
            count, took, fetches, first, errors, warnings = gdal_copy(ctx, tmp, cid, role)
            how = f"{cid} as {role}: ogr2ogr -f GPKG -lco SPATIAL_INDEX=NO out.gpkg OAPIF:{ctx.url}/api {cid}" + (
                " (GDAL_HTTP_HEADERS=Authorization: Bearer …)" if role != "public" else "")
            what = (f"{count if count is not None else 'no'} features in {took:.1f} s, {fetches} requests "
                    f"({1000 * took / max(fetches, 1):.0f} ms each), first items request {first}")
            if errors:
                ctx.fail(f"{how}: {what}; GDAL said: {' | '.join(errors[:3])}")
            elif count != matched:
                ctx.fail(f"{how}: copied {count} features, the server's numberMatched is {matched} ({what})")
            elif cid == "incidents" and took >= INCIDENTS_COPY_LIMIT_S:
                ctx.fail(f"{how}: took {took:.1f} s (limit {INCIDENTS_COPY_LIMIT_S} s): {what}")
            for w in sorted(set(warnings))[:3]:
                ctx.note(f"{how}: GDAL warned: {w}")
            said.append(f"{cid}/{role} {count}/{matched} in {took:.1f} s ({fetches} requests)")
            if role == "public":
                ctx.note(f"{cid}: GDAL >= 3.8 would page by {page_size_gdal_38(ctx, cid)}")
    said.extend(gdal_mvt(ctx))
    return f"{version}; " + "; ".join(said)


def gdal_mvt(ctx):
    """GDAL's MVT driver reads the densest z12 and z14 tile of each layer (as found by the tiles
    check, or the tile over Blågårds Plads) with the feature count mapbox-vector-tile decodes."""
    said = []
    with tempfile.TemporaryDirectory(prefix="hotspot-mvt-") as tmp:
        for layer, template in tile_layers(ctx):
            for z in (12, 14):
                tile = ctx_densest(ctx, layer, z)
                url = fill(template, z, *tile)
                r = ctx.get(url)
                if r.status_code != 200:
                    continue
                path = pathlib.Path(tmp) / f"{layer}-{z}.mvt"
                path.write_bytes(r.content)
                p = subprocess.run(
                    ["ogrinfo", "-ro", "-so", "-al", "-oo", f"Z={z}", "-oo", f"X={tile[0]}", "-oo", f"Y={tile[1]}", str(path)],
                    capture_output=True, text=True, timeout=60)
                counts = [int(m) for m in re.findall(r"Feature Count: (\d+)", p.stdout)]
                want = sum(len(lyr["features"]) for lyr in mapbox_vector_tile.decode(r.content).values())
                if p.returncode != 0 or sum(counts) != want:
                    ctx.fail(f"GDAL MVT driver on {url}: ogrinfo exit {p.returncode}, feature counts {counts}, "
                             f"mapbox-vector-tile decodes {want}; {p.stderr.strip()[:300]}")
                else:
                    said.append(f"MVT {layer} z{z} {want} features")
    return said


# --------------------------------------------------------------------------------------------
# 2. OWSLib


def owslib_features(ctx, role):
    """A Features client as `role`. OWSLib keeps its request headers in one module-wide dict
    (owslib.ogcapi.REQUEST_HEADERS), so the previous role's token is dropped first."""
    import owslib.ogcapi
    from owslib.ogcapi.features import Features

    owslib.ogcapi.REQUEST_HEADERS.pop("Authorization", None)
    return Features(ctx.url + "/api", headers=ctx.headers(role) or None, timeout=60)


def ows(ctx, role, url, call):
    """Runs one OWSLib call; on an exception records the request (`url`) and the server's
    answer to it, and returns None."""
    try:
        return call()
    except Exception as e:  # OWSLib raises RuntimeError(body) for a non-2xx answer, or KeyError etc.
        try:
            r = ctx.get(url, role)
            answer = describe(r)
        except requests.RequestException as e2:
            r, answer = None, f"no answer: {e2}"
        if r is not None and r.status_code >= 400 and isinstance(e, RuntimeError):
            ctx.fail(f"OWSLib as {role}: GET {url} → {answer}")
        else:
            ctx.fail(f"OWSLib as {role}: GET {url} → {type(e).__name__}: {str(e)[:200]}; the server answers {answer}")
        return None


def geom_bounds(geometry):
    return shapely.geometry.shape(geometry).bounds


def check_owslib(ctx):
    import owslib

    said = []
    roles = sorted({role for _, role in ctx.views()}, key=lambda r: r != "public")
    for role in roles:
        api = ctx.url + "/api"
        f = ows(ctx, role, api + "/", lambda: owslib_features(ctx, role))
        if f is None:
            continue
        landing = f.response
        for rel in ("self", "service-desc", "conformance", "data"):
            if not link(landing, rel):
                ctx.fail(f"OWSLib as {role}: the landing page GET {api}/ has no rel={rel} link")
        doc = ows(ctx, role, api + "/", f.api)
        if doc is not None:
            if not str(doc.get("openapi", "")).startswith("3.0"):
                ctx.note(f"api(): the service-desc link says {OPENAPI_JSON} but the document says openapi {doc.get('openapi')!r}")
        conf = ows(ctx, role, api + "/conformance", f.conformance)
        if conf is not None:
            classes = conf.get("conformsTo") or []
            for c in (OAPIF_CORE, OAPIF_GEOJSON):
                if c not in classes:
                    ctx.fail(f"OWSLib as {role}: GET {api}/conformance does not declare {c}: {classes}")
            if OAPIF_OAS30 not in classes:
                ctx.note(f"GET {api}/conformance does not declare {OAPIF_OAS30} (the API document is OpenAPI)")
        listing = ows(ctx, role, api + "/collections", f.collections)
        if listing is None:
            continue
        ids = [c.get("id") for c in listing.get("collections", [])]
        checked = 0
        for cid in [c for c, r in ctx.views() if r == role]:
            if cid not in ids:
                ctx.fail(f"OWSLib as {role}: {cid} is not in GET {api}/collections ({ids})")
                continue
            checked += owslib_collection(ctx, f, role, cid)
        said.append(f"{role}: {checked} checks over {len([c for c, r in ctx.views() if r == role])} collections")
    return f"OWSLib {owslib.__version__}; " + "; ".join(said)


def owslib_collection(ctx, f, role, cid):
    """Every Features call on one collection; returns how many calls passed their checks."""
    base = f"{ctx.url}/api/collections/{cid}"
    ok = 0
    col = ows(ctx, role, base, lambda: f.collection(cid))
    if col is None:
        return ok
    if col.get("id") != cid:
        ctx.fail(f"OWSLib as {role}: GET {base} has id {col.get('id')!r}")
    if not link(col, "items"):
        ctx.fail(f"OWSLib as {role}: GET {base} has no rel=items link")
    ok += 1

    def items(**kw):
        q = dict(kw)
        if "bbox" in q:
            q["bbox"] = ",".join(map(str, q["bbox"]))
        if "datetime_" in q:
            q["datetime"] = q.pop("datetime_")
        url = f"{base}/items?{urllib.parse.urlencode(q)}"
        page = ows(ctx, role, url, lambda: f.collection_items(cid, **kw))
        if page is None:
            return None, url
        problems = []
        feats = page.get("features")
        if page.get("type") != "FeatureCollection" or not isinstance(feats, list):
            problems.append(f"not a FeatureCollection: type {page.get('type')!r}")
            feats = []
        if "limit" in kw and len(feats) > kw["limit"]:
            problems.append(f"{len(feats)} features for limit={kw['limit']}")
        if page.get("numberReturned") != len(feats):
            problems.append(f"numberReturned {page.get('numberReturned')} for {len(feats)} features")
        if not isinstance(page.get("numberMatched"), int):
            problems.append(f"numberMatched is {page.get('numberMatched')!r}")
        if not link(page, "self"):
            problems.append("no rel=self link")
        if isinstance(page.get("numberMatched"), int) and page["numberMatched"] > kw.get("offset", 0) + len(feats) and not link(page, "next"):
            problems.append(f"numberMatched {page['numberMatched']} > {len(feats)} returned but no rel=next link")
        for p in problems:
            ctx.fail(f"OWSLib as {role}: GET {url}: {p}")
        return (None if problems else page), url

    first, url = items(limit=3)
    if first is None:
        return ok
    ok += 1
    # A limit above the server's maximum is clamped, not refused (OGC API Features' example:
    # "if you ask for 50000, you might get up to 10000 (server-limited) and … a next link"); GDAL
    # with a PAGE_SIZE hint and QGIS's "features per request" send such limits.
    big, url_big = items(limit=1000000)
    if big is not None:
        ok += 1
    total = first["numberMatched"]
    feats = first["features"]
    nxt = link(first, "next")
    if nxt:
        r = ctx.get(nxt["href"], role)
        if r.status_code != 200 or not r.json().get("features"):
            ctx.fail(f"OWSLib as {role}: the next link of GET {url}: GET {nxt['href']}: {describe(r)}")
        elif {x.get("id") for x in r.json()["features"]} & {x.get("id") for x in feats}:
            ctx.fail(f"OWSLib as {role}: the next page GET {nxt['href']} repeats features of GET {url}")
    if len(feats) >= 3:
        second, url2 = items(limit=2, offset=1)
        if second is not None:
            got = [x.get("id") for x in second["features"]]
            want = [x.get("id") for x in feats[1:3]]
            if got != want:
                ctx.fail(f"OWSLib as {role}: GET {url2} gives ids {got}, GET {url} gave {want} at offset 1")
            else:
                ok += 1

    # bbox: the collection's extent holds every feature; a small box around the first feature finds it.
    extent = (((col.get("extent") or {}).get("spatial") or {}).get("bbox") or [None])[0]
    if extent and len(extent) == 4:
        page, url3 = items(limit=1, bbox=[float(v) for v in extent])
        if page is not None:
            if page["numberMatched"] != total:
                ctx.fail(f"OWSLib as {role}: GET {url3} (the collection's extent) matches {page['numberMatched']} of {total}")
            else:
                ok += 1
    else:
        ctx.fail(f"OWSLib as {role}: GET {base} has no extent.spatial.bbox: {(col.get('extent'))!r}")
    located = [x for x in feats if x.get("geometry")]
    if located:
        x0, y0, x1, y1 = geom_bounds(located[0]["geometry"])
        box = [round(x0 - 0.0005, 7), round(y0 - 0.0005, 7), round(x1 + 0.0005, 7), round(y1 + 0.0005, 7)]
        page, url4 = items(limit=100, bbox=box)
        if page is not None:
            b = shapely.geometry.box(*box)
            outside = [x.get("id") for x in page["features"]
                       if x.get("geometry") and not b.intersects(shapely.geometry.box(*geom_bounds(x["geometry"])))]
            if page["numberMatched"] < 1:
                ctx.fail(f"OWSLib as {role}: GET {url4} (around feature {located[0].get('id')}) matches nothing")
            elif outside:
                ctx.fail(f"OWSLib as {role}: GET {url4} returns features outside the box: {outside[:5]}")
            else:
                ok += 1

    # datetime: the collection's temporal extent holds every feature; 1900 holds none. Without a
    # temporal extent: 1900-2100 holds everything (features without times included, as the issue
    # reads /req/core/fc-time-response), and a collection whose features have times should say so.
    interval = (((col.get("extent") or {}).get("temporal") or {}).get("interval") or [None])[0]
    if interval and len(interval) == 2 and any(interval):
        span = "/".join(v if v else ".." for v in interval)
        page, url5 = items(limit=1, datetime_=span)
        if page is not None:
            if page["numberMatched"] != total:
                ctx.fail(f"OWSLib as {role}: GET {url5} (the collection's temporal extent) matches {page['numberMatched']} of {total}")
            else:
                ok += 1
        page, url6 = items(limit=1, datetime_="1900-01-01T00:00:00Z/1900-12-31T23:59:59Z")
        if page is not None:
            if page["numberMatched"] != 0:
                ctx.fail(f"OWSLib as {role}: GET {url6} matches {page['numberMatched']} (nothing is from 1900)")
            else:
                ok += 1
    else:
        page, url7 = items(limit=1, datetime_="1900-01-01T00:00:00Z/2100-12-31T23:59:59Z")
        if page is not None:
            if page["numberMatched"] != total:
                ctx.fail(f"OWSLib as {role}: GET {url7} matches {page['numberMatched']} of {total}")
            else:
                ok += 1
        page, url8 = items(limit=1, datetime_="1900-01-01T00:00:00Z/1900-12-31T23:59:59Z")
        if page is not None and total and page["numberMatched"] != total:
            ctx.note(f"{cid}: filters by time (GET {url8} matches {page['numberMatched']} of {total}) "
                     f"but its collection has no extent.temporal.interval")

    # single items, equal to what the page says
    for x in feats[:3]:
        fid = x.get("id")
        if fid is None:
            ctx.fail(f"OWSLib as {role}: GET {url}: a feature without id")
            continue
        url9 = f"{base}/items/{urllib.parse.quote(str(fid), safe='')}"
        one = ows(ctx, role, url9, lambda: f.collection_item(cid, str(fid)))
        if one is None:
            continue
        problems = []
        if one.get("type") != "Feature" or one.get("id") != fid:
            problems.append(f"type {one.get('type')!r}, id {one.get('id')!r}")
        if one.get("geometry") != x.get("geometry"):
            problems.append(f"geometry {json.dumps(one.get('geometry'))[:120]} differs from the page's")
        if one.get("properties") != x.get("properties"):
            diff = sorted(k for k in set(one.get("properties") or {}) | set(x.get("properties") or {})
                          if (one.get("properties") or {}).get(k) != (x.get("properties") or {}).get(k))
            problems.append(f"properties differ from the page's in {diff}")
        for rel in ("self", "collection"):
            if not link(one, rel):
                problems.append(f"no rel={rel} link")
        for p in problems:
            ctx.fail(f"OWSLib as {role}: GET {url9}: {p}")
        if not problems:
            ok += 1
    return ok


# --------------------------------------------------------------------------------------------
# 3. Vector tiles


def tile_layers(ctx):
    """(layer, tile URL template) of every collection with a rel=tiles TileJSON link."""
    if ctx._tile_layers is None:
        out = []
        for cid, col in ctx.collections().items():
            lk = link(col, "tiles")
            if not lk:
                continue
            r = ctx.get(lk["href"])
            if r.status_code != 200:
                ctx.fail(f"GET {lk['href']} (rel=tiles of {cid}): {describe(r)}")
                continue
            tj = r.json()
            tiles = tj.get("tiles") or []
            if not tiles:
                ctx.fail(f"GET {lk['href']}: no tiles URL")
                continue
            out.append((cid, tiles[0]))
            ctx.tilejson[cid] = (lk["href"], tj)
        if not out:
            raise CheckFailed("no collection under /api/collections has a rel=tiles link")
        ctx._tile_layers = out
    return ctx._tile_layers


def fill(template, z, x, y):
    url = template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
    return url


def tile_xy(z, lon, lat):
    lat = max(-85.0511287798066, min(85.0511287798066, lat))
    r = math.radians(lat)
    n = 2**z
    x = (lon + 180.0) / 360.0 * n
    y = (1.0 - math.log(math.tan(r) + 1.0 / math.cos(r)) / math.pi) / 2.0 * n
    return min(n - 1, max(0, int(x))), min(n - 1, max(0, int(y)))


def tiles_over(bounds, z):
    w, s, e, n = bounds
    x0, y0 = tile_xy(z, w, n)
    x1, y1 = tile_xy(z, e, s)
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def ctx_densest(ctx, layer, z):
    dense = ctx.densest.get((layer, z))
    if dense:
        return dense
    return tile_xy(z, 12.5535, 55.6865)  # Blågårds Plads


def zigzag(v):
    return (v >> 1) ^ -(v & 1)


def read_commands(geom):
    """The geometry's commands: [(id, count, [(dx, dy)…])], or raises ValueError."""
    out, i = [], 0
    while i < len(geom):
        cid, count = geom[i] & 7, geom[i] >> 3
        i += 1
        if cid in (MOVE_TO, LINE_TO):
            if i + 2 * count > len(geom):
                raise ValueError(f"command {cid} count {count} runs past the geometry's end")
            pairs = [(zigzag(geom[i + 2 * k]), zigzag(geom[i + 2 * k + 1])) for k in range(count)]
            i += 2 * count
            out.append((cid, count, pairs))
        elif cid == CLOSE_PATH:
            out.append((cid, count, []))
        else:
            raise ValueError(f"unknown command id {cid}")
    return out


def ring_area(ring):
    """Surveyor's formula in tile coordinates (y down): positive = exterior (MVT 2.1 4.3.4.4)."""
    return sum(ring[k][0] * ring[(k + 1) % len(ring)][1] - ring[(k + 1) % len(ring)][0] * ring[k][1]
               for k in range(len(ring))) / 2.0


def check_geometry(ftype, geom):
    """MVT 2.1 command rules (4.3). Returns (problems, polygons as [[exterior, *interiors]…])."""
    try:
        cmds = read_commands(geom)
    except ValueError as e:
        return [str(e)], []
    problems = []
    if ftype == POINT:
        if len(cmds) != 1 or cmds[0][0] != MOVE_TO or cmds[0][1] < 1:
            problems.append(f"a POINT must be one MoveTo with count > 0, got {[(c, n) for c, n, _ in cmds]}")
        return problems, []
    if ftype == LINESTRING:
        k = 0
        while k < len(cmds):
            if not (cmds[k][0] == MOVE_TO and cmds[k][1] == 1 and k + 1 < len(cmds)
                    and cmds[k + 1][0] == LINE_TO and cmds[k + 1][1] > 0):
                problems.append("a LINESTRING must repeat MoveTo(1), LineTo(n > 0)")
                break
            if any(d == (0, 0) for d in cmds[k + 1][2]):
                problems.append("a LineTo with dX = dY = 0")
            k += 2
        return problems, []
    if ftype != POLYGON:
        return [f"geometry type {ftype} (UNKNOWN or not in the enum)"], []
    rings, cursor, k = [], (0, 0), 0
    while k < len(cmds):
        if not (k + 2 < len(cmds) and cmds[k][0] == MOVE_TO and cmds[k][1] == 1
                and cmds[k + 1][0] == LINE_TO and cmds[k + 1][1] > 1
                and cmds[k + 2][0] == CLOSE_PATH and cmds[k + 2][1] == 1):
            problems.append("a ring must be MoveTo(1), LineTo(n > 1), ClosePath(1); got "
                            + ", ".join(f"{ {1: 'MoveTo', 2: 'LineTo', 7: 'ClosePath'}.get(c, c)}({n})" for c, n, _ in cmds[k:k + 3]))
            break
        dx, dy = cmds[k][2][0]
        cursor = (cursor[0] + dx, cursor[1] + dy)
        ring = [cursor]
        for d in cmds[k + 1][2]:
            if d == (0, 0):
                problems.append("a LineTo with dX = dY = 0 (zero-length segment)")
            cursor = (cursor[0] + d[0], cursor[1] + d[1])
            ring.append(cursor)
        if ring[-1] == ring[0]:
            problems.append("the cursor before ClosePath repeats the ring's first point")
            ring.pop()
        rings.append(ring)
        k += 3
    polygons = []
    for ring in rings:
        a = ring_area(ring)
        if a == 0:
            problems.append("a ring with zero area (collapsed)")
        elif a > 0:
            polygons.append([ring])
        elif not polygons:
            problems.append("the first ring has negative area: exterior rings must wind clockwise in tile coordinates (y down)")
            polygons.append([list(reversed(ring))])
        else:
            polygons[-1].append(ring)
    return problems, polygons


def value_key(v):
    fields = [f.name for f, _ in v.ListFields()]
    if len(fields) != 1:
        return None
    return (fields[0], getattr(v, fields[0]))


def check_tile(body):
    """Every rule on one tile's bytes. Returns (problems [(kind, detail)], features, polygons, layers)."""
    problems = []
    try:
        decoded = mapbox_vector_tile.decode(body, default_options={"y_coord_down": True})
    except Exception as e:
        return [("decode", f"mapbox-vector-tile cannot decode it: {type(e).__name__}: {e}")], 0, 0, []
    tile = vector_tile_pb2.tile()
    tile.ParseFromString(body)
    names = [lyr.name for lyr in tile.layers]
    if len(set(names)) != len(names):
        problems.append(("layers", f"two layers with the same name: {names}"))
    nfeat = npoly = 0
    for layer in tile.layers:
        if layer.version != 2:
            problems.append(("layers", f"layer {layer.name!r} version {layer.version}, not 2"))
        dup_keys = [k for k, n in Counter(layer.keys).items() if n > 1]
        if dup_keys:
            problems.append(("keys", f"layer {layer.name!r}: {len(layer.keys) - len(set(layer.keys))} repeated keys among {len(layer.keys)} (e.g. {dup_keys[:3]})"))
        vkeys = [value_key(v) for v in layer.values]
        if None in vkeys:
            problems.append(("values", f"layer {layer.name!r}: a value without exactly one field"))
        counts = Counter(k for k in vkeys if k is not None)
        repeated = sum(n - 1 for n in counts.values() if n > 1)
        if repeated:
            example = [k for k, n in counts.items() if n > 1][:3]
            problems.append(("values", f"layer {layer.name!r}: {repeated} repeated values among {len(vkeys)} (e.g. {example})"))
        ids = Counter(f.id for f in layer.features if f.HasField("id"))
        dup_ids = [i for i, n in ids.items() if n > 1]
        if dup_ids:
            problems.append(("ids", f"layer {layer.name!r}: feature ids repeated: {dup_ids[:5]} (SHOULD be unique)"))
        lib_features = decoded.get(layer.name, {}).get("features", [])
        nkeys, nvalues = len(layer.keys), len(layer.values)
        for n, f in enumerate(layer.features):
            nfeat += 1
            label = f"layer {layer.name!r} feature {f.id if f.HasField('id') else '#' + str(n)}"
            tags = f.tags
            if len(tags) % 2 or (tags and (max(tags[0::2]) >= nkeys or max(tags[1::2]) >= nvalues)):
                problems.append(("tags", f"{label}: tags {list(tags)[:10]} are not pairs of valid key/value indices"))
            if not f.HasField("type") or f.type == 0:
                problems.append(("geometry", f"{label}: no geometry type"))
                continue
            geom = f.geometry
            if f.type == POINT and len(geom) == 3 and geom[0] == 9:
                continue  # one MoveTo(1): the common case, nothing more to check
            geom_problems, polygons = check_geometry(f.type, list(geom))
            for p in geom_problems:
                problems.append(("geometry", f"{label}: {p}"))
            if f.type == POLYGON:
                npoly += 1
                for k, rings in enumerate(polygons):
                    poly = shapely.geometry.Polygon(rings[0], rings[1:])
                    if not poly.is_valid:
                        problems.append(("invalid", f"{label} polygon {k} (rings as MVT 2.1 classifies them): {shapely.validation.explain_validity(poly)}"))
                # what a client sees: mapbox-vector-tile's own decoding of the same feature
                if n < len(lib_features):
                    shape = shapely.geometry.shape(lib_features[n]["geometry"])
                    if not shape.is_valid:
                        problems.append(("invalid-decoded", f"{label} as mapbox-vector-tile decodes it: {shapely.validation.explain_validity(shape)}"))
    return problems, nfeat, npoly, names


def check_tiles(ctx):
    layers = tile_layers(ctx)
    jobs = []
    for layer, template in layers:
        _, tj = ctx.tilejson[layer]
        bounds = tj.get("bounds")
        if not (isinstance(bounds, list) and len(bounds) == 4):
            ext = (((ctx.collections()[layer].get("extent") or {}).get("spatial") or {}).get("bbox") or [None])[0]
            ctx.fail(f"TileJSON of {layer} has no bounds ({bounds!r}); using the collection's extent {ext}")
            bounds = ext
        if not bounds:
            continue
        zmin, zmax = tj.get("minzoom", 0), tj.get("maxzoom", 30)
        zooms = [z for z in TILE_ZOOMS if zmin <= z <= zmax]
        if zooms != list(TILE_ZOOMS):
            ctx.note(f"TileJSON of {layer}: zooms {zmin}-{zmax}, so only z{zooms[0] if zooms else '-'}..{zooms[-1] if zooms else '-'} of z8-z16 checked")
        layer_jobs = [(layer, z, x, y, fill(template, z, x, y)) for z in zooms for x, y in tiles_over(bounds, z)]
        if len(layer_jobs) > MAX_TILES_PER_LAYER:
            ctx.fail(f"TileJSON of {layer}: bounds {bounds} cover {len(layer_jobs)} tiles at z8-z16 (> {MAX_TILES_PER_LAYER}); not the demo's area?")
            continue
        jobs.extend(layer_jobs)

    def fetch(job):
        r = ctx.get(job[4])
        return job, r.status_code, (r.content if r.status_code == 200 else describe(r, 200)), r.headers.get("Content-Type")

    # Requests in threads, decoding (pure Python, CPU-bound) in one process per core.
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        fetched = list(pool.map(fetch, jobs))
    bodies = [body for _, status, body, _ in fetched if status == 200]
    with concurrent.futures.ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = iter(list(pool.map(check_tile, bodies, chunksize=16)))

    stats = defaultdict(Counter)
    by_kind = defaultdict(list)  # kind → [(layer, z, url, detail)]
    densest = {}
    for job, status, body, ctype in fetched:
        layer, z, x, y, url = job
        stats[layer]["tiles"] += 1
        stats[layer][status] += 1
        if status == 204:
            continue
        if status != 200:
            by_kind["http"].append((layer, z, url, f"GET {url}: {body}"))
            continue
        problems, nfeat, npoly, names = next(results)
        stats[layer]["features"] += nfeat
        stats[layer]["polygons"] += npoly
        if ctype and not ctype.startswith("application/vnd.mapbox-vector-tile"):
            stats[layer]["ctype:" + ctype] += 1
        if names and names != [layer]:
            by_kind["layers"].append((layer, z, url, f"layers {names}, expected [{layer!r}]"))
        vl = {v.get("id") for v in ctx.tilejson[layer][1].get("vector_layers") or []}
        for nm in names:
            if nm not in vl:
                by_kind["tilejson"].append((layer, z, url, f"layer {nm!r} is not among the TileJSON's vector_layers {sorted(vl)}"))
        if nfeat > densest.get((layer, z), (None, -1))[1]:
            densest[(layer, z)] = ((x, y), nfeat)
        for kind, detail in problems:
            by_kind[kind].append((layer, z, url, detail))
    ctx.densest = {k: v[0] for k, v in densest.items()}

    total = sum(s["tiles"] for s in stats.values())
    for kind, items in sorted(by_kind.items()):
        per = Counter((layer, z) for layer, z, _, _ in items)
        where = ", ".join(f"{layer} z{z}: {n}" for (layer, z), n in sorted(per.items()))
        examples = "; ".join(f"{url}: {detail}" for _, _, url, detail in items[:3])
        ctx.fail(f"{kind}: {len(items)} problems ({where}). E.g. {examples}")
    for layer, s in stats.items():
        odd = [k for k in s if isinstance(k, str) and k.startswith("ctype:")]
        if odd:
            ctx.note(f"{layer} tiles served as {', '.join(k[6:] for k in odd)} (MVT 2.1 says SHOULD be application/vnd.mapbox-vector-tile)")
    return f"{total} tiles at z8-z16: " + "; ".join(
        f"{layer} {s['tiles']} ({s[200]} with data, {s[204]} empty, {s['features']} features, {s['polygons']} polygons)"
        for layer, s in stats.items())


# --------------------------------------------------------------------------------------------
# 4. TileJSON 3.0.0


def check_tilejson(ctx):
    schema = json.loads(TILEJSON_SCHEMA.read_text())
    validator = jsonschema_rs.validator_for(schema)
    layers = tile_layers(ctx)
    urls = [ctx.tilejson[layer][0] for layer, _ in layers]
    # the filters a TileJSON carries into its tile URL (README: "with the filters carried into the tile URL")
    if "incidents" in ctx.tilejson:
        urls.append(ctx.tilejson["incidents"][0] + ("&" if "?" in ctx.tilejson["incidents"][0] else "?") + "category=theft")
    checked = 0
    for url in urls:
        r = ctx.get(url)
        if r.status_code != 200:
            ctx.fail(f"GET {url}: {describe(r)}")
            continue
        tj = r.json()
        errors = [f"{'/'.join(map(str, e.instance_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(tj)]
        for e in errors:
            ctx.fail(f"GET {url}: the TileJSON 3.0.0 schema says {e}")
        problems = []
        tiles = tj.get("tiles") or []
        if not tiles:
            problems.append("tiles is empty (MUST contain at least one endpoint)")
        for t in tiles:
            if not re.match(r"https?://", str(t)):
                problems.append(f"tile URL {t!r} is not absolute (MUST be)")
            if not all(p in str(t) for p in ("{z}", "{x}", "{y}")):
                problems.append(f"tile URL {t!r} lacks {{z}}, {{x}} or {{y}}")
        zmin, zmax = tj.get("minzoom", 0), tj.get("maxzoom", 30)
        if not (isinstance(zmin, int) and isinstance(zmax, int) and 0 <= zmin <= zmax <= 30):
            problems.append(f"minzoom {zmin!r} / maxzoom {zmax!r}: MUST be 0 <= minzoom <= maxzoom <= 30")
        b = tj.get("bounds")
        if b is not None and not (len(b) == 4 and -180 <= b[0] <= b[2] <= 180 and -90 <= b[1] <= b[3] <= 90):
            problems.append(f"bounds {b!r} are not left, bottom, right, top within ±180/±90")
        c = tj.get("center")
        if c is not None:
            if len(c) != 3 or c[2] != int(c[2]) or not (zmin <= c[2] <= zmax):
                problems.append(f"center {c!r}: the third value must be an integer zoom within minzoom..maxzoom")
            if b and len(c) >= 2 and not (b[0] <= c[0] <= b[2] and b[1] <= c[1] <= b[3]):
                problems.append(f"center {c!r} is outside bounds {b!r}")
        layer = url.split("/tiles/")[-1].split(".json")[0]
        if layer not in {v.get("id") for v in tj.get("vector_layers") or []}:
            problems.append(f"vector_layers {[(v.get('id')) for v in tj.get('vector_layers') or []]} lack the tiles' layer {layer!r}")
        if "category=theft" in url and tiles and "category=theft" not in tiles[0]:
            problems.append(f"the filter is not carried into the tile URL {tiles[0]!r}")
        for p in problems:
            ctx.fail(f"GET {url}: {p}")
        if tiles:
            t = tiles[0]
            z = min(max(14, zmin), zmax)
            x, y = tile_xy(z, 12.5535, 55.6865)
            r2 = ctx.get(fill(t, z, x, y))
            if r2.status_code not in (200, 204):
                ctx.fail(f"GET {url}: its tile URL does not work: GET {fill(t, z, x, y)}: {describe(r2, 200)}")
        if not errors and not problems:
            checked += 1
    return f"{checked} of {len(urls)} TileJSON documents valid ({', '.join(u.split('/tiles/')[-1] for u in urls)})"


# --------------------------------------------------------------------------------------------
# Open311 helpers


def post_report(ctx, path, data):
    """POSTs a report form-encoded, counting toward the per-client limit this script keeps to."""
    ctx.posts += 1
    if ctx.posts > 5:
        raise CheckFailed("this script would post more than 5 reports (the server's default limit)")
    r = ctx.post(path, data=data)
    if r.status_code == 429:
        raise CheckFailed(f"{request_line(r)}: 429, rate limited: run on a server without recent reports "
                          f"from this address, or started with --report-limit 0 ({describe(r)})")
    return r


def publish(ctx, rid):
    r = ctx.post(f"/api/reports/{rid}/moderation", "planner", json={"action": "publish"})
    if r.status_code not in (200, 201):
        ctx.fail(f"publishing report {rid} as planner: {request_line(r)}: {describe(r)}")
        return False
    return True


def as_list(x):
    if x is None:
        return []
    return x if isinstance(x, list) else [x]


W3CDTF = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$")
SERVICE_FIELDS = ("service_code", "service_name", "description", "metadata", "type", "keywords", "group")
REQUEST_FIELDS = ("service_request_id", "status", "service_code", "description", "requested_datetime",
                  "updated_datetime", "lat", "long")
LAT, LONG = 55.6866, 12.5547  # Blågårds Plads, district 8


def w3c(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------------------------
# 5. georeport (PyPI), JSON and XML


def gr_call(ctx, mode, what, call):
    try:
        return call()
    except requests.HTTPError as e:
        ctx.fail(f"georeport ({mode}) {what}: {request_line(e.response)} → {describe(e.response)}")
    except Exception as e:
        ctx.fail(f"georeport ({mode}) {what}: {type(e).__name__}: {str(e)[:300]}")
    return None


def check_georeport(ctx):
    import georeport

    root = ctx.url + "/open311/v2"
    services = {}
    definitions = {}
    for mode in ("json", "xml"):
        g = GeoReport(root, output_format=mode)
        got = gr_call(ctx, mode, f"get_service_list() GET {root}/services.{mode}", g.get_service_list)
        got = as_list(got)
        if not got:
            ctx.fail(f"georeport ({mode}) get_service_list(): no services")
            continue
        for s in got:
            missing = [k for k in SERVICE_FIELDS if k not in s]
            if missing:
                ctx.fail(f"georeport ({mode}) GET {root}/services.{mode}: service {s.get('service_code')!r} lacks {missing} (GeoReport v2 fields)")
        services[mode] = {s.get("service_code"): s for s in got}
        for code, s in services[mode].items():
            meta = str(s.get("metadata")).lower()
            if meta != "true":
                ctx.fail(f"georeport ({mode}) GET {root}/services.{mode}: {code} says metadata {s.get('metadata')!r}, "
                         f"but POST takes attribute[time_of_day] for it: declare the attributes")
                continue
            d = gr_call(ctx, mode, f"get_service_definition({code!r}) GET {root}/services/{code}.{mode}",
                        lambda: g.get_service_definition(code))
            if d is None:
                continue
            attrs = d.get("attributes")
            if mode == "xml":
                attrs = as_list((attrs or {}).get("attribute")) if isinstance(attrs, dict) else as_list(attrs)
            if d.get("service_code") != code or not attrs:
                ctx.fail(f"georeport ({mode}) GET {root}/services/{code}.{mode}: service_code {d.get('service_code')!r}, attributes {attrs!r}")
                continue
            for a in attrs:
                missing = [k for k in ("variable", "code", "datatype", "required", "datatype_description", "order", "description") if k not in a]
                if missing:
                    ctx.fail(f"georeport ({mode}) GET {root}/services/{code}.{mode}: attribute {a.get('code')!r} lacks {missing}")
                if a.get("datatype") in ("singlevaluelist", "multivaluelist"):
                    vals = a.get("values")
                    if mode == "xml":
                        vals = as_list((vals or {}).get("value")) if isinstance(vals, dict) else as_list(vals)
                    if not vals or any("key" not in v or "name" not in v for v in vals):
                        ctx.fail(f"georeport ({mode}) GET {root}/services/{code}.{mode}: attribute {a.get('code')!r} values {vals!r} lack key/name")
            codes = {a.get("code") for a in attrs}
            if "time_of_day" not in codes:
                ctx.fail(f"georeport ({mode}) GET {root}/services/{code}.{mode}: no time_of_day attribute ({sorted(codes)}), but POST takes attribute[time_of_day]")
            definitions.setdefault(code, attrs)
    if set(services.get("json", {})) != set(services.get("xml", {})):
        ctx.fail(f"georeport: services.json lists {sorted(services.get('json', {}))}, services.xml {sorted(services.get('xml', {}))}")

    # Post one report (georeport 0.3.1 has no POST call: form-encoded as the GeoReport v2 spec says).
    code = "poor_lighting" if "poor_lighting" in services.get("json", {}) else next(iter(services.get("json", {"poor_lighting": 0})))
    data = {"service_code": code, "lat": LAT, "long": LONG,
            "description": "Lampen i porten ved Blågårds Plads er gået i stykker (georeport).",
            "attribute[time_of_day]": "evening"}
    r = post_report(ctx, "/open311/v2/requests.json", data)
    if r.status_code not in (200, 201):
        ctx.fail(f"{request_line(r)} → {describe(r)}")
        return "could not post a report"
    try:
        created = r.json()[0]
        rid = str(created["service_request_id"])
    except (ValueError, LookupError, TypeError):
        ctx.fail(f"{request_line(r)}: not [{{service_request_id, …}}]: {describe(r)}")
        return "no service_request_id"
    for k in ("service_notice", "account_id"):
        if k not in created:
            ctx.note(f"POST requests.json answer lacks {k} (GeoReport v2 response field)")
    if not publish(ctx, rid):
        return f"posted {rid}, not published"

    seen = {}
    now = dt.datetime.now(dt.timezone.utc)
    for mode in ("json", "xml"):
        g = GeoReport(root, output_format=mode)
        one = gr_call(ctx, mode, f"get_service_request({rid}) GET {root}/requests/{rid}.{mode}", lambda: g.get_service_request(rid))
        if one is not None:
            if isinstance(one, list):
                one = one[0] if one else {}
            missing = [k for k in REQUEST_FIELDS if k not in one]
            if str(one.get("service_request_id")) != rid or missing:
                ctx.fail(f"georeport ({mode}) GET {root}/requests/{rid}.{mode}: id {one.get('service_request_id')!r}, lacks {missing}")
            for k in ("requested_datetime", "updated_datetime"):
                if one.get(k) is not None and not W3CDTF.match(str(one.get(k))):
                    ctx.fail(f"georeport ({mode}) GET {root}/requests/{rid}.{mode}: {k} {one.get(k)!r} is not W3C date-time")
            seen[mode] = one
        for what, kw in (("service_request_id", {"service_request_id": rid}),
                         ("service_code+status", {"service_code": code, "status": "open"}),
                         ("start_date/end_date", {"start_date": w3c(now - dt.timedelta(hours=2)), "end_date": w3c(now + dt.timedelta(minutes=5))})):
            q = urllib.parse.urlencode(kw)
            got = gr_call(ctx, mode, f"get_service_requests({kw}) GET {root}/requests.{mode}?{q}", lambda: g.get_service_requests(**kw))
            if got is None:
                continue
            ids = [str(x.get("service_request_id")) for x in as_list(got)]
            if rid not in ids:
                ctx.fail(f"georeport ({mode}) GET {root}/requests.{mode}?{q}: report {rid} is not among {ids[:10]}")
    if "json" in seen and "xml" in seen:
        diff = []
        for k in REQUEST_FIELDS:
            a, b = seen["json"].get(k), seen["xml"].get(k)
            if number(a) is not None and number(b) is not None:
                same = abs(number(a) - number(b)) < 1e-9
            else:
                same = str(a) == str(b)
            if not same:
                diff.append(f"{k}: {a!r} vs {b!r}")
        if diff:
            ctx.fail(f"georeport: requests/{rid}.json and .xml differ: {diff}")
    return f"georeport {georeport.__version__}: {len(services.get('json', {}))} services, report {rid} posted, published, read back in JSON and XML"


# --------------------------------------------------------------------------------------------
# 6. FixMyStreet's Open311 client, replayed


# Open311::_get_xml_object: XML::Simple->new(ForceArray => [values %$group_tags], KeyAttr => {},
# GroupTags => $group_tags, SuppressEmpty => undef)
FMS_GROUP_TAGS = {"services": "service", "attributes": "attribute", "values": "value",
                  "service_requests": "request", "errors": "error", "service_request_updates": "request_update"}
FMS_FORCE_ARRAY = set(FMS_GROUP_TAGS.values())


def xml_simple(text):
    """What XML::Simple's XMLin gives Open311.pm for `text` (the root element's content), or None
    where XMLin would die (not XML)."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None

    def conv(e):
        kids = list(e)
        if not kids and not e.attrib:
            t = e.text
            return None if t is None or t == "" else t  # SuppressEmpty => undef
        out = dict(e.attrib)
        for c in kids:
            v = conv(c)
            if c.tag in out:  # a repeated element becomes a list
                if not isinstance(out[c.tag], list):
                    out[c.tag] = [out[c.tag]]
                out[c.tag].append(v)
            elif c.tag in FMS_FORCE_ARRAY:
                out[c.tag] = [v]
            else:
                out[c.tag] = v
        for parent, child in FMS_GROUP_TAGS.items():  # GroupTags: <attributes><attribute/>…</attributes> → [ … ]
            if isinstance(out.get(parent), dict) and set(out[parent]) == {child}:
                out[parent] = out[parent][child]
        return out

    obj = conv(root)
    return obj if isinstance(obj, dict) else {}


def fms_process_error(body):
    """Open311::_process_error: "code: description" lines from <errors><error>…, or 'unknown error'."""
    obj = xml_simple(body)
    msg = ""
    if isinstance(obj, dict) and "error" in obj:
        for e in obj["error"] or []:
            e = e if isinstance(e, dict) else {}
            msg += f"{e.get('code') or '???'}: {e.get('description') or 'unknown error'}\n"
    return msg or "unknown error"


def truncate_coordinate(v):
    """Utils::truncate_coordinate: 6 decimals, trailing zeros dropped."""
    out = f"{v:0.6f}".rstrip("0").rstrip(".")
    return out


def check_fixmystreet(ctx):
    root = ctx.url + "/open311/v2/"
    api_key = "fms-replay-key"
    done = []

    def get(path, params=None):
        # Open311::_request GET: endpoint . path, query_form(params + jurisdiction_id if configured);
        # LWP::UserAgent, no Accept header.
        return ctx.session().get(root + path, params=params or {}, headers={"User-Agent": "libwww-perl/6.68"}, timeout=60)

    def post(path, params):
        # Open311::_request POST: HTTP::Request::Common POST $uri, $params →
        # application/x-www-form-urlencoded; api_key added when the body has one.
        return post_report(ctx, root + path, {"api_key": api_key, **params})

    # 1. Open311::PopulateServiceList: get_service_list → services.xml; $list->{service}
    r = get("services.xml")
    lst = xml_simple(r.text) if r.status_code == 200 else None
    if not lst or not lst.get("service"):
        ctx.fail(f"PopulateServiceList: GET {r.request.url} → {describe(r)}: no $list->{{service}} (FixMyStreet: 'did not return a service list')")
        return "no service list"
    services = lst["service"]
    for s in services:
        if not isinstance(s, dict) or s.get("service_code") is None or not s.get("service_name"):
            ctx.fail(f"PopulateServiceList: GET {r.request.url}: a service without service_code/service_name: {s!r}")
    done.append(f"services.xml: {len(services)} services")

    # 2. _add_meta_to_contact for metadata 'true': services/{code}.xml; ref $meta->{attributes} eq 'ARRAY'
    extra = {}
    for s in services:
        code = s.get("service_code")
        if str(s.get("metadata") or "").lower() != "true":
            continue
        r = get(f"services/{code}.xml")
        meta = xml_simple(r.text) if r.status_code == 200 else None
        attrs = (meta or {}).get("attributes")
        if not isinstance(attrs, list):
            ctx.fail(f"PopulateServiceList: GET {r.request.url} → {describe(r)}: $meta_data->{{attributes}} is not an ARRAY ('Empty meta data')")
            continue
        fields = []
        for a in attrs:
            a = a if isinstance(a, dict) else {}
            if number(a.get("order")) is None or a.get("description") is None or not a.get("code"):
                ctx.fail(f"PopulateServiceList: GET {r.request.url}: attribute {a!r} needs a numeric order, a description and a code")
                continue
            values = a.get("values") or []
            if a.get("datatype") in ("singlevaluelist", "multivaluelist") and not (
                    isinstance(values, list) and all(isinstance(v, dict) and v.get("key") for v in values)):
                ctx.fail(f"PopulateServiceList: GET {r.request.url}: attribute {a.get('code')}: values {values!r} are not <values><value><key/><name/></value></values>")
            if str(a.get("variable")).lower() == "true":
                fields.append((a["code"], values[0].get("key") if values and isinstance(values[0], dict) else "x"))
        extra[code] = fields
    done.append(f"{len(extra)} service definitions")

    # 3. send_service_request: POST requests.xml (as _populate_service_request_params builds it)
    code = "poor_lighting" if any(s.get("service_code") == "poor_lighting" for s in services) else services[0].get("service_code")
    base = {
        "description": "Mørk port ved Blågårds Plads\n\nLyset i porten har været slukket i en uge.\n\n"
                       "https://fixmystreet.example/report/4711\n",
        "service_code": code,
        "first_name": "Jens",
        "last_name": "Hansen",
        "email": "jens@example.dk",
        "phone": "+45 12 34 56 78",
        "lat": truncate_coordinate(LAT + 0.0003),
        "long": truncate_coordinate(LONG - 0.0004),
    }
    for name, value in extra.get(code, []):
        base[f"attribute[{name}]"] = value
    ids = []
    for label, params in (("a report", base),
                          ("a report with a photo", {**base, "media_url": "https://fixmystreet.example/photo/4712.0.full.jpeg"})):
        r = post("requests.xml", params)
        if not (200 <= r.status_code < 300):
            ctx.fail(f"send_service_request ({label}): {request_line(r)} → {describe(r)}; FixMyStreet logs "
                     f"'request failed: {r.status_code}, error: {fms_process_error(r.text).strip()}'")
            continue
        obj = xml_simple(r.text)
        req = ((obj or {}).get("request") or [{}])[0]
        rid = req.get("service_request_id") if isinstance(req, dict) else None
        if isinstance(rid, str) and rid:
            ids.append(rid)
            notice = str(req.get("service_notice") or "")
            if "media_url" in params and not re.search(r"media_url|photo|foto|billede", notice, re.I):
                ctx.fail(f"send_service_request ({label}): {request_line(r)} → service_notice {notice!r} does not say "
                         f"that the photo (media_url) was dropped")
        elif isinstance(req, dict) and req.get("token"):
            ctx.note(f"POST requests.xml answered a token, FixMyStreet then GETs tokens/{req['token']}.xml")
        else:
            ctx.fail(f"send_service_request ({label}): {request_line(r)} → {describe(r)}: no $obj->{{request}}->[0]->{{service_request_id}} "
                     f"(FixMyStreet: 'Failed to submit problem over Open311')")
    done.append(f"posted {len(ids)}")

    # 4. Errors as _process_error reads them: an address-only report (FixMyStreet sends
    # address_string when the report has no pinned position), an unknown service.
    for label, params, names in (
            ("address only", {k: v for k, v in base.items() if k not in ("lat", "long")} | {"address_string": "Blågårds Plads 1, 2200 København N"}, ("lat", "long")),
            ("unknown service", {**base, "service_code": "no_such_service"}, ("service_code",))):
        r = post("requests.xml", params)
        if 200 <= r.status_code < 300:
            ctx.fail(f"error case ({label}): {request_line(r)} was accepted: {describe(r)}")
            continue
        obj = xml_simple(r.text)
        errs = (obj or {}).get("error") if isinstance(obj, dict) else None
        msg = fms_process_error(r.text)
        if not isinstance(errs, list) or msg == "unknown error" or not all(isinstance(e, dict) and e.get("code") and e.get("description") for e in errs):
            ctx.fail(f"error case ({label}): {request_line(r)} → {describe(r)}: not <errors><error><code/><description/></error></errors> "
                     f"(FixMyStreet logs '{msg.strip()}')")
        elif not any(n in msg for n in names):
            ctx.fail(f"error case ({label}): {request_line(r)} → '{msg.strip()}' does not name {' or '.join(names)}")
    done.append("2 error cases")

    for rid in ids:
        publish(ctx, rid)

    # 5. Open311::GetServiceRequests: requests.xml?start_date&end_date (the last hour, W3CDTF)
    end = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    start = end - dt.timedelta(hours=1)
    r = get("requests.xml", {"start_date": w3c(start), "end_date": w3c(end)})
    obj = xml_simple(r.text) if r.status_code == 200 else None
    if obj is None:
        ctx.fail(f"GetServiceRequests: GET {r.request.url} → {describe(r)}")
    else:
        reqs = obj.get("request") or []
        got = []
        for q in reqs:
            q = q if isinstance(q, dict) else {}
            if not (q.get("service_request_id") and q.get("lat") and q.get("long")):
                ctx.fail(f"GetServiceRequests: GET {r.request.url}: a request without id, lat or long (skipped by FixMyStreet): {q!r}")
                continue
            if not W3CDTF.match(str(q.get("updated_datetime") or "")):
                ctx.fail(f"GetServiceRequests: GET {r.request.url}: request {q['service_request_id']}: updated_datetime "
                         f"{q.get('updated_datetime')!r} ('bad update time', skipped by FixMyStreet)")
            got.append(q["service_request_id"])
        missing = [i for i in ids if i not in got]
        if missing:
            ctx.fail(f"GetServiceRequests: GET {r.request.url}: the published reports {missing} of this hour are not listed ({got[:10]})")
        done.append(f"requests.xml by date: {len(got)}")

    # 6. update fetching by id list: requests.xml?service_request_id=a,b; each needs updated_datetime
    if ids:
        r = get("requests.xml", {"service_request_id": ",".join(ids)})
        obj = xml_simple(r.text) if r.status_code == 200 else None
        reqs = [q for q in ((obj or {}).get("request") or []) if isinstance(q, dict)]
        got = {q.get("service_request_id"): q for q in reqs}
        if obj is None or set(got) != set(ids) or any(not got[i].get("updated_datetime") for i in got):
            ctx.fail(f"GetUpdates: GET {r.request.url} → {describe(r)}: expected {ids} each with updated_datetime")
        else:
            done.append("requests.xml by id")

    # 7. get_service_request_updates sends api_key on a GET (servicerequestupdates.xml, mySociety's
    # extension); a standard GET with api_key must not be refused either.
    r = get("servicerequestupdates.xml", {"api_key": api_key, "start_date": w3c(start), "end_date": w3c(end)})
    if r.status_code != 200:
        ctx.note(f"GET {r.request.url} → {r.status_code}: mySociety's update extension is not served (FixMyStreet then logs a failed fetch, only if the body fetches updates)")
    for path in ("services.xml", "requests.xml"):
        r = get(path, {"api_key": api_key})
        if r.status_code != 200:
            ctx.fail(f"GET with api_key: GET {r.request.url} → {describe(r)} (a server may ignore api_key, not refuse it)")
    return "; ".join(done)


# --------------------------------------------------------------------------------------------

CHECKS = [
    # Open311 first: the reports they post and publish give the reports collection features.
    ("georeport", check_georeport),
    ("fixmystreet", check_fixmystreet),
    ("tiles", check_tiles),  # before gdal: finds the densest tiles for GDAL's MVT reads
    ("tilejson", check_tilejson),
    ("gdal", check_gdal),
    ("owslib", check_owslib),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True, help="the server, e.g. http://127.0.0.1:18080")
    for role in ("police", "planner", "admin"):
        ap.add_argument(f"--{role}", required=True, help=f"a {role} token (hotspot token create --role {role})")
    ap.add_argument("--only", default="", help="comma-separated checks to run: " + ", ".join(n for n, _ in CHECKS))
    args = ap.parse_args()
    for role in ("police", "planner", "admin"):
        if not re.fullmatch(r"hs_\d+_\S+", getattr(args, role)):
            ap.error(f"--{role}: not a token like hs_<id>_<secret>")
    only = {x.strip() for x in args.only.split(",") if x.strip()}
    unknown = only - {n for n, _ in CHECKS}
    if unknown:
        ap.error(f"--only: unknown checks {sorted(unknown)}")

    ctx = Context(args)
    t0 = time.monotonic()
    try:
        health = ctx.get("/api/health").json()
    except (requests.RequestException, ValueError) as e:
        print(f"clients: cannot reach {args.url}: {e}", file=sys.stderr)
        return 2
    print(f"clients: {args.url} ({health.get('counts')}, {health.get('data_version')})")

    failed = []
    run = [(n, c) for n, c in CHECKS if not only or n in only]
    for name, check in run:
        ctx.current = name
        before = len(ctx.failures)
        t = time.monotonic()
        try:
            said = check(ctx)
        except CheckFailed as e:
            ctx.fail(str(e))
            said = "stopped"
        except Exception as e:  # a crash in a check is a failure too, with its cause
            ctx.fail(f"{type(e).__name__}: {e}")
            said = "crashed"
        n = len(ctx.failures) - before
        if n:
            failed.append(name)
        status = "ok  " if not n else "FAIL"
        print(f"{status}  {name:<12} {time.monotonic() - t:5.1f} s  {ctx.redact(str(said))}" + (f"  ({n} failures)" if n else ""))
    for name, msg in ctx.notes:
        print(f"NOTE  {name}: {msg}")
    print(f"clients: {time.monotonic() - t0:.1f} s, {len(ctx.failures)} failures")
    print(f"clients: {len(run) - len(failed)} passed, {len(failed)} failed")
    if ctx.failures:
        print("\nfailures:", file=sys.stderr)
        for name, msg in ctx.failures:
            print(f"  {name}: {msg}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
