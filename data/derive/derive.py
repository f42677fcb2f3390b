#!/usr/bin/env python3
"""Derive the data files that hotspot ships from the real source data sets.

Usage (from the repository root):

    pip install -r data/derive/requirements.txt
    python3 data/derive/derive.py [SHARED_DATA_DIR] [--out OUT_DIR]

SHARED_DATA_DIR defaults to ``../shared/data`` relative to the repository root
(the folder beside the checkout; see its README.md and each folder's SOURCE.md).
OUT_DIR defaults to ``data/`` in the repository.

Writes (see data/SOURCE.md for provenance, licences and what is changed):

    districts.geojson  10 bydele + 35 safety districts (dissolved roder) + 399 roder
    streets.geojson    OpenStreetMap highway ways of Frederiksberg/Nørrebro
    blocks.geojson     city blocks (karréer) in Københavns Kommune
    parks.geojson      parks and green areas

The output is deterministic: the same input gives byte-identical files.
Coordinates are lon/lat (RFC 7946), rounded to 6 decimals; polygon exteriors
are counter-clockwise, holes clockwise; every polygon is valid after rounding.
Each repair is printed as a line starting with "repair:"; filters and other
decisions are printed as lines starting with "note:".
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiPolygon, Polygon, shape
from shapely.validation import explain_validity

if tuple(int(x) for x in shapely.__version__.split(".")[:2]) < (2, 1):
    sys.exit(f"derive.py needs shapely >= 2.1 (found {shapely.__version__}); "
             "pip install -r data/derive/requirements.txt")

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SHARED = REPO_ROOT / ".." / "shared" / "data"
DEFAULT_OUT = REPO_ROOT / "data"

DECIMALS = 6
GRID = 10.0 ** -DECIMALS
# Polygon parts and holes below this area (m², measured in ETRS89 / UTM 32N) are
# slivers -- in the source, left by a repair, or left by dissolving neighbouring
# roder -- and are removed (each removal is logged). A feature left with no part is
# dropped (blocks, parks) or is an error (bydele, roder, districts).
SLIVER_M2 = 1.0
# Blocks are simplified only if this is set (degrees; 5e-6° ≈ 0.3–0.55 m here).
# Unsimplified, blocks.geojson stays well under the ~3 MB budget, so it is off.
BLOCKS_SIMPLIFY_TOLERANCE: float | None = None

# Inputs, relative to SHARED_DATA_DIR, with the sha256 recorded in data/SOURCE.md.
INPUTS = {
    "bydele": ("kk_bydele/bydel.json",
               "2c2075eb13044bda8c67d8a47cebe8d02c39f64ae8bf9933bdca80d8963da52f"),
    "roder": ("kk_roder/rode.geojson",
              "0fa77bad3491c48df3fa5802a8df61d173296438d057640979addae5ef423b93"),
    "blocks": ("kk_wfs_layers/karre_oversigtskort.json",
               "caa5e9971c86839698cd355fa6ed1abd41458f54a782f0f66d577112dfa1ad4f"),
    "parks": ("kk_wfs_layers/park_groent_omr_oversigtskort.json",
              "0872bfc4bf2e28b21b3a086a8b7dcd3bdb0deb0c1cefcc8a652b006a2799e978"),
    "osm": ("osm_overpass_frb_norrebro/66f89635a061363a1277bdb500f975ff82040540.json",
            "a52d4bd3fb492baf6942d6ea94a00beaad184c9ca6033af4325fbc0b9386376c"),
}

DISTRICT_NAMES = {8: "Distrikt 8 – Indre Nørrebro"}
DISTRICT_POPULATION = {8: 13988}  # residents of district 8 on 1 January 2009

# OSM `lit` normalisation. Values meaning "lit at night, at least by schedule or on
# demand" become "yes"; values meaning "no working lights" become "no"; anything
# else (e.g. "yes;no", partly lit) is ambiguous and becomes null.
LIT_YES = {"yes", "24/7", "automatic", "limited", "interval", "sunset-sunrise",
           "dusk-dawn", "sunset-23:00"}
LIT_NO = {"no", "disused"}

_TO_METRIC = Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True)


def log(kind: str, msg: str) -> None:
    print(f"{kind}: {msg}", flush=True)


# --------------------------------------------------------------------------- geometry


def to_metric(geom):
    def f(c):
        x, y = _TO_METRIC.transform(c[:, 0], c[:, 1])
        return np.column_stack([x, y])
    return shapely.transform(geom, f)


def area_m2(geom) -> float:
    return float(to_metric(geom).area)


def round_coords(geom):
    """Round every coordinate to DECIMALS with Python's correctly rounded round()."""
    def f(c):
        return np.array([round(v, DECIMALS) for v in c.ravel().tolist()],
                        dtype=float).reshape(c.shape)
    return shapely.transform(geom, f)


def polygon_parts(geom) -> list[Polygon]:
    """The non-empty polygons of any geometry (collections are flattened)."""
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom]
    if isinstance(geom, MultiPolygon):
        return [p for p in geom.geoms if not p.is_empty]
    if hasattr(geom, "geoms"):
        out: list[Polygon] = []
        for g in geom.geoms:
            out.extend(polygon_parts(g))
        return out
    return []


def as_polygonal(parts: list[Polygon]):
    parts = [p for p in parts if not p.is_empty]
    if not parts:
        return Polygon()
    if len(parts) == 1:
        return parts[0]
    return MultiPolygon(parts)


def drop_slivers(geom, label: str, why: str):
    """Remove polygon parts and holes smaller than SLIVER_M2, logging each."""
    out = []
    for p in polygon_parts(geom):
        a = area_m2(p)
        if a < SLIVER_M2:
            log("repair", f"{label}: removed {why} part of {a:.3g} m² "
                          f"at {p.representative_point().coords[0]}")
            continue
        holes = []
        for h in p.interiors:
            ha = area_m2(Polygon(h))
            if ha < SLIVER_M2:
                log("repair", f"{label}: filled {why} hole of {ha:.3g} m² "
                              f"at {Polygon(h).representative_point().coords[0]}")
            else:
                holes.append(h)
        out.append(Polygon(p.exterior, holes) if len(holes) != len(p.interiors) else p)
    return as_polygonal(out)


def drop_degenerate_rings(coords_mp: list, label: str) -> list:
    """Remove rings with fewer than 3 distinct vertices from MultiPolygon coordinates.

    A degenerate exterior removes its polygon; a degenerate hole removes the hole.
    """
    out = []
    for pi, poly in enumerate(coords_mp):
        rings = []
        for ri, ring in enumerate(poly):
            distinct = {tuple(pt[:2]) for pt in ring}
            if len(distinct) < 3:
                what = "exterior ring (polygon dropped)" if ri == 0 else "hole"
                log("repair", f"{label}: removed degenerate {what} #{pi}.{ri} with "
                              f"{len(ring)} points but {len(distinct)} distinct, at {ring[0][:2]}")
                if ri == 0:
                    rings = None
                    break
                continue
            rings.append(ring)
        if rings:
            out.append(rings)
    return out


def clean_polygonal(geojson_geom: dict, label: str):
    """Source GeoJSON (Multi)Polygon -> valid, rounded, oriented shapely geometry.

    Returns None if nothing polygonal survives (the caller drops or rejects it).
    """
    gtype = geojson_geom["type"]
    coords = geojson_geom["coordinates"]
    if gtype == "Polygon":
        coords = [coords]
    elif gtype != "MultiPolygon":
        raise ValueError(f"{label}: unexpected geometry type {gtype}")
    coords = drop_degenerate_rings(coords, label)
    geom = shape({"type": "MultiPolygon", "coordinates": coords})
    if not geom.is_valid:
        reason = explain_validity(geom)
        geom = shapely.make_valid(geom, method="structure", keep_collapsed=False)
        log("repair", f"{label}: source geometry invalid ({reason}); "
                      f"make_valid -> {geom.geom_type}, polygonal parts kept")
    geom = drop_slivers(as_polygonal(polygon_parts(geom)), label, "sliver")
    if geom.is_empty:
        return None
    return finish_polygonal(geom, label)


def finish_polygonal(geom, label: str):
    """Round to the output grid, re-repair if rounding broke validity, orient.

    Returns None if nothing polygonal survives.
    """
    geom = as_polygonal(polygon_parts(geom))
    rounded = round_coords(geom)
    if not rounded.is_valid:
        log("repair", f"{label}: invalid after rounding to {DECIMALS} decimals "
                      f"({explain_validity(rounded)}); make_valid + snap to grid")
        fixed = shapely.make_valid(rounded, method="structure", keep_collapsed=False)
        fixed = shapely.set_precision(as_polygonal(polygon_parts(fixed)), GRID)
        fixed = drop_slivers(as_polygonal(polygon_parts(fixed)), label, "sliver")
        rounded = round_coords(fixed)
    rounded = as_polygonal(polygon_parts(rounded))
    if rounded.is_empty:
        log("repair", f"{label}: nothing polygonal left after rounding to {DECIMALS} "
                      f"decimals (source area {area_m2(geom):.6f} m²)")
        return None
    if not rounded.is_valid:
        raise RuntimeError(f"{label}: could not produce a valid polygon "
                           f"({explain_validity(rounded)})")
    return shapely.orient_polygons(rounded, exterior_cw=False)


def geom_to_geojson(geom) -> dict:
    def pt(c):
        return [round(float(c[0]), DECIMALS), round(float(c[1]), DECIMALS)]

    def ring(r):
        return [pt(c) for c in r.coords]

    def poly(p):
        return [ring(p.exterior)] + [ring(h) for h in p.interiors]

    if isinstance(geom, Polygon):
        return {"type": "Polygon", "coordinates": poly(geom)}
    if isinstance(geom, MultiPolygon):
        return {"type": "MultiPolygon", "coordinates": [poly(p) for p in geom.geoms]}
    if isinstance(geom, LineString):
        return {"type": "LineString", "coordinates": [pt(c) for c in geom.coords]}
    raise TypeError(geom.geom_type)


# --------------------------------------------------------------------------- I/O


def load_json(shared: Path, key: str):
    rel, want = INPUTS[key]
    path = shared / rel
    data = path.read_bytes()
    got = hashlib.sha256(data).hexdigest()
    if got != want:
        log("warning", f"{rel}: sha256 {got} differs from the recorded {want}; "
                       "update data/SOURCE.md if the input really changed")
    return json.loads(data)


def feature(fid, props: dict, geom) -> dict:
    return {"type": "Feature", "id": fid, "properties": props,
            "geometry": geom_to_geojson(geom)}


def write_fc(path: Path, features: list[dict]) -> None:
    """Compact, key-sorted GeoJSON, one feature per line."""
    lines = [json.dumps(f, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                        allow_nan=False) for f in features]
    text = '{"features":[\n' + ",\n".join(lines) + '\n],"type":"FeatureCollection"}\n'
    path.write_text(text, encoding="utf-8", newline="\n")


def verify(path: Path, expect_count: int, types: set[str]) -> None:
    """Re-read a written file: count, geometry types, validity, decimals."""
    fc = json.loads(path.read_text(encoding="utf-8"))
    feats = fc["features"]
    assert len(feats) == expect_count, (path, len(feats), expect_count)
    ids = [f["id"] for f in feats]
    assert len(set(ids)) == len(ids), f"{path}: duplicate feature ids"
    for f in feats:
        g = f["geometry"]
        assert g["type"] in types, (path, f["id"], g["type"])
        s = shape(g)
        assert not s.is_empty, (path, f["id"])
        if g["type"] != "LineString":
            assert s.is_valid, (path, f["id"], explain_validity(s))
        c = shapely.get_coordinates(s)
        assert all(round(v, DECIMALS) == v for v in c.ravel().tolist()), (path, f["id"])
        assert ((c[:, 0] > -180) & (c[:, 0] < 180) & (c[:, 1] > -90) & (c[:, 1] < 90)).all()


# --------------------------------------------------------------------------- layers


def derive_districts(shared: Path) -> list[dict]:
    bydele_src = load_json(shared, "bydele")
    roder_src = load_json(shared, "roder")

    bydele = {}
    for f in bydele_src["features"]:
        p = f["properties"]
        n = int(p["bydel_nr"])
        assert n not in bydele, f"duplicate bydel_nr {n}"
        geom = clean_polygonal(f["geometry"], f"bydel-{n} {p['navn']}")
        assert geom is not None, f"bydel-{n} collapsed"
        bydele[n] = (p["navn"], geom)
    assert sorted(bydele) == list(range(1, 11)), sorted(bydele)

    roder = {}
    for f in roder_src["features"]:
        p = f["properties"]
        n = int(p["rode_nr"])
        assert n not in roder, f"duplicate rode_nr {n}"
        label = f"rode-{n} {p['rodenavn']}"
        geom = clean_polygonal(f["geometry"], label)
        assert geom is not None, f"{label} collapsed"
        roder[n] = (p["rodenavn"], int(p["distrikt_nr"]), geom)
    assert len(roder) == 399, len(roder)

    by_district: dict[int, list] = defaultdict(list)
    for n in sorted(roder):
        by_district[roder[n][1]].append(roder[n][2])
    assert sorted(by_district) == list(range(1, 36)), sorted(by_district)

    bydele_m = {n: to_metric(g) for n, (_, g) in bydele.items()}
    districts = {}
    for d in sorted(by_district):
        label = f"district-{d}"
        union = shapely.union_all(by_district[d], grid_size=GRID)
        union = drop_slivers(as_polygonal(polygon_parts(union)), label, "dissolve sliver")
        geom = finish_polygonal(union, label)
        assert geom is not None, f"{label} collapsed"
        gm = to_metric(geom)
        shares = {n: gm.intersection(bm).area / gm.area for n, bm in bydele_m.items()}
        parent = max(sorted(shares), key=lambda n: shares[n])
        if shares[parent] < 0.95:
            split = ", ".join(f"{bydele[n][0]} {shares[n]:.1%}"
                              for n in sorted(shares, key=lambda n: -shares[n])
                              if shares[n] >= 0.001)
            outside = 1.0 - sum(shares.values())
            log("note", f"{label}: not nested in one bydel ({split}, outside all bydele "
                        f"{outside:.1%}); parent = bydel-{parent}, the largest share")
        districts[d] = (geom, parent)

    features = []
    for n in sorted(bydele):
        name, geom = bydele[n]
        features.append(feature(f"bydel-{n}", {
            "id": f"bydel-{n}", "name": name, "level": "bydel",
            "population": None, "parent": None}, geom))
    for d in sorted(districts):
        geom, parent = districts[d]
        features.append(feature(f"district-{d}", {
            "id": f"district-{d}", "name": DISTRICT_NAMES.get(d, f"Distrikt {d}"),
            "level": "district", "population": DISTRICT_POPULATION.get(d),
            "parent": f"bydel-{parent}"}, geom))
    for n in sorted(roder):
        name, d, geom = roder[n]
        features.append(feature(f"rode-{n}", {
            "id": f"rode-{n}", "name": name, "level": "rode",
            "population": None, "parent": f"district-{d}"}, geom))
    return features


def normalise_lit(way_id: int, value):
    if value is None:
        return None
    v = str(value).strip().lower()
    if v in LIT_YES:
        out = "yes"
    elif v in LIT_NO:
        out = "no"
    else:
        out = None
    if out != value:
        log("note", f"way {way_id}: lit={value!r} normalised to {out!r}")
    return out


def derive_streets(shared: Path) -> list[dict]:
    src = load_json(shared, "osm")
    nodes = {e["id"]: (e["lon"], e["lat"]) for e in src["elements"] if e["type"] == "node"}
    ways = sorted((e for e in src["elements"] if e["type"] == "way"), key=lambda e: e["id"])
    features = []
    skipped = 0
    for w in ways:
        tags = w.get("tags", {})
        if "highway" not in tags:
            skipped += 1
            continue
        missing = [n for n in w["nodes"] if n not in nodes]
        if missing:
            log("note", f"way {w['id']}: dropped, {len(missing)} node refs do not resolve")
            continue
        pts = []
        for n in w["nodes"]:
            lon, lat = nodes[n]
            p = (round(float(lon), DECIMALS), round(float(lat), DECIMALS))
            if not pts or pts[-1] != p:
                pts.append(p)
        if len(pts) != len(w["nodes"]):
            log("repair", f"way {w['id']}: {len(w['nodes']) - len(pts)} consecutive "
                          f"duplicate point(s) after rounding removed")
        if len(set(pts)) < 2:
            log("repair", f"way {w['id']}: dropped, fewer than 2 distinct points after rounding")
            continue
        name = tags.get("name")
        features.append(feature(w["id"], {
            "osm_id": w["id"],
            "name": name if name else None,
            "highway": tags["highway"],
            "lit": normalise_lit(w["id"], tags.get("lit")),
        }, LineString(pts)))
    if skipped:
        log("note", f"streets: {skipped} ways without a highway tag skipped")
    return features


def derive_blocks(shared: Path) -> list[dict]:
    src = load_json(shared, "blocks")
    bydele = load_json(shared, "bydele")
    kk = shapely.union_all([shape(f["geometry"]) for f in bydele["features"]])
    shapely.prepare(kk)
    features = []
    dropped = defaultdict(int)
    for f in sorted(src["features"], key=lambda f: f["properties"]["id"]):
        p = f["properties"]
        bid = int(p["id"])
        kommune = p.get("kommune")
        if kommune is not None and kommune != "København":
            dropped[kommune] += 1
            continue
        if f["geometry"] is None:
            log("note", f"block {bid}: null geometry, dropped")
            dropped["null geometry"] += 1
            continue
        geom = clean_polygonal(f["geometry"], f"block {bid}")
        if geom is None:
            log("note", f"block {bid}: dropped (no area left)")
            dropped["only slivers < 1 m²"] += 1
            continue
        if kommune is None:
            inside = kk.contains(geom.representative_point())
            log("note", f"block {bid}: kommune is null; {'kept' if inside else 'dropped'} "
                        f"(representative point {'inside' if inside else 'outside'} "
                        "the bydele of Københavns Kommune)")
            if not inside:
                dropped["kommune null, outside KK"] += 1
                continue
        if BLOCKS_SIMPLIFY_TOLERANCE:
            geom = finish_polygonal(  # never None: simplify keeps topology
                geom.simplify(BLOCKS_SIMPLIFY_TOLERANCE, preserve_topology=True),
                f"block {bid} (simplified)")
        features.append(feature(bid, {"id": bid}, geom))
    log("note", "blocks dropped: " + ", ".join(f"{k} {v}" for k, v in sorted(dropped.items())))
    return features


def derive_parks(shared: Path) -> list[dict]:
    src = load_json(shared, "parks")
    features = []
    for f in sorted(src["features"], key=lambda f: f["properties"]["id"]):
        p = f["properties"]
        pid = int(p["id"])
        if f["geometry"] is None:
            log("note", f"park {pid}: null geometry, dropped")
            continue
        geom = clean_polygonal(f["geometry"], f"park {pid}")
        if geom is None:
            log("note", f"park {pid}: dropped (no area left)")
            continue
        features.append(feature(pid, {"id": pid, "kind": p.get("objekt_type")}, geom))
    return features


# --------------------------------------------------------------------------- main


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("shared", nargs="?", type=Path, default=DEFAULT_SHARED,
                    help="the shared data folder (default: ../shared/data beside the repo)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT,
                    help="output folder (default: data/ in the repo)")
    args = ap.parse_args(argv)
    shared = args.shared.resolve()
    out = args.out.resolve()
    if not shared.is_dir():
        ap.error(f"shared data folder not found: {shared}")
    out.mkdir(parents=True, exist_ok=True)
    print(f"shapely {shapely.__version__} (GEOS {shapely.geos_version_string}), "
          f"numpy {np.__version__}; reading {shared}", flush=True)

    jobs = [
        ("districts.geojson", derive_districts, {"Polygon", "MultiPolygon"}),
        ("streets.geojson", derive_streets, {"LineString"}),
        ("blocks.geojson", derive_blocks, {"Polygon", "MultiPolygon"}),
        ("parks.geojson", derive_parks, {"Polygon", "MultiPolygon"}),
    ]
    summary = []
    for name, fn, types in jobs:
        print(f"--- {name}", flush=True)
        feats = fn(shared)
        path = out / name
        write_fc(path, feats)
        verify(path, len(feats), types)
        data = path.read_bytes()
        summary.append((name, len(feats), len(data), hashlib.sha256(data).hexdigest()))
    print("--- written", flush=True)
    for name, n, size, digest in summary:
        print(f"{name}: {n} features, {size} bytes, sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
