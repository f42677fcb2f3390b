#!/usr/bin/env python3
"""Writes src/api/openapi.json, the OpenAPI 3.1 document served at /api/openapi.json.

Edit this file, not the JSON, when an endpoint changes; then run
    python3 src/api/openapi_gen.py
The operations, their summaries and who may call them come from the route table
(src/api/route_table.rs) through routes.json (rewritten by `HOTSPOT_WRITE_ROUTES=1 cargo test
--test openapi`). tests/openapi.rs checks that both files match the table, and that the document names every route and that its examples answer, and
tests/python/fuzz_api.py fuzzes the live binary against it with schemathesis.
"""
import json
import os
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "openapi.json")

CATEGORIES = ["violence", "threats", "robbery", "theft", "burglary", "vandalism", "drugs", "weapons", "harassment"]
KINDS = ["lighting", "visibility", "hidden_corner", "maintenance", "loitering", "walkway", "feeling"]
LEVELS = ["bydel", "district", "rode"]
PRECISIONS = ["address", "street", "area", "approximate"]
EMERGING_CLASSES = [f"{c}_{t}" for t in ("hot", "cold") for c in (
    "new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "oscillating", "historical")] + ["no_pattern"]

DISTRICT_ID_PATTERN = r"^(bydel|district|rode)-[0-9]+$"
INSTANT = r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))?"
DATETIME_PATTERN = rf"^({INSTANT}|({INSTANT}|\.\.)?/({INSTANT}|\.\.)?)$"

def ref(kind, name):
    return {"$ref": f"#/components/{kind}/{name}"}

def sref(name):
    return ref("schemas", name)

def pref(name):
    return ref("parameters", name)

def rref(name):
    return ref("responses", name)

OPTIONAL_AUTH = [{}, {"bearer": []}]

# ---------------------------------------------------------------- schemas

def fc(feature_schema, extra_props=None, required_extra=(), description=None):
    props = {
        "type": {"const": "FeatureCollection"},
        "features": {"type": "array", "items": feature_schema},
    }
    props.update(extra_props or {})
    s = {"type": "object", "required": ["type", "features", *required_extra], "properties": props}
    if description:
        s["description"] = description
    return s

NOTICE = {"type": "string", "description": "Present while synthetic demo data are loaded: says they are not real."}
SYNTHETIC = {"type": "boolean", "description": "True when the answer is made from synthetic demo data."}
DATA_VERSION = {"type": "string", "pattern": "^v1-[0-9a-f]+$", "description": "FNV-1a digest over every loaded record: the same data give the same version."}
SOFTWARE_VERSION = {"type": "string", "description": "The hotspot version that computed the answer."}
RFC3339 = {"type": "string", "format": "date-time", "description": "RFC 3339, UTC (`Z`)."}
NULLABLE_COUNT = {"type": ["integer", "null"], "minimum": 0,
                  "description": "Incidents; `null` where a public answer suppresses a small count (1 to `suppressed_below` − 1, see `privacy`)."}

schemas = {
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details (`application/problem+json`). Known `type`s: `/api/problems/invalid-parameter` (400), `/api/problems/unauthorized` (401), `/api/problems/forbidden` (403), `/api/problems/not-found` (404), `/api/problems/method-not-allowed` (405), `/api/problems/too-large` (413), `/api/problems/unprocessable` and `/api/problems/import-refused` (422), `/api/problems/internal` (500).",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string", "format": "uri-reference", "description": "A URI reference naming the kind of problem, e.g. `/api/problems/invalid-parameter`."},
            "title": {"type": "string", "description": "Short summary of the kind, e.g. `Invalid parameter`."},
            "status": {"type": "integer", "minimum": 400, "maximum": 599, "description": "The HTTP status code."},
            "detail": {"type": "string", "description": "What went wrong and what is expected, e.g. `bbox: looks like lat,lon order; …`."},
            "field": {"type": "string", "description": "For 400 (and 413): the parameter, path segment or part of the request at fault (`bbox`, `z`, `body`, `Content-Type`, …)."},
        },
        "additionalProperties": True,
    },
    "ImportRefused": {
        "description": "422 of an import: nothing was written because some records were refused; `summary` lists every refusal.",
        "allOf": [sref("Problem"), {"type": "object", "required": ["summary"], "properties": {"summary": sref("ImportSummary")}}],
    },
    "Link": {
        "type": "object",
        "required": ["href", "rel"],
        "properties": {
            "href": {"type": "string", "format": "uri"},
            "rel": {"type": "string"},
            "type": {"type": "string"},
            "title": {"type": "string"},
        },
        "additionalProperties": True,
    },
    "Links": {"type": "array", "items": sref("Link")},
    "Position": {
        "type": "array",
        "description": "A WGS84 position `[lon, lat]` in degrees (RFC 7946 order), 7 decimals (about 1 cm).",
        "minItems": 2, "maxItems": 2,
        "prefixItems": [{"type": "number", "minimum": -180, "maximum": 180}, {"type": "number", "minimum": -90, "maximum": 90}],
        "items": {"type": "number"},
    },
    "LinearRing": {"type": "array", "minItems": 4, "items": sref("Position"), "description": "A closed ring: the first and last positions are equal."},
    "PointGeometry": {
        "type": "object", "required": ["type", "coordinates"],
        "properties": {"type": {"const": "Point"}, "coordinates": sref("Position")},
    },
    "PolygonGeometry": {
        "type": "object", "required": ["type", "coordinates"],
        "properties": {"type": {"const": "Polygon"}, "coordinates": {"type": "array", "minItems": 1, "items": sref("LinearRing")}},
    },
    "MultiPolygonGeometry": {
        "type": "object", "required": ["type", "coordinates"],
        "properties": {"type": {"const": "MultiPolygon"},
                       "coordinates": {"type": "array", "items": {"type": "array", "minItems": 1, "items": sref("LinearRing")}}},
    },
    # --- items
    "IncidentProperties": {
        "type": "object",
        "required": ["category", "occurred_at", "precision", "source", "source_id"],
        "properties": {
            "category": {"type": "string", "enum": CATEGORIES, "description": "Incident category code."},
            "occurred_at": {"type": "string", "format": "date-time", "description": "When, RFC 3339 UTC. Floored to the whole hour in the generalised (public and planner) view."},
            "precision": {"type": "string", "enum": PRECISIONS, "description": "How exactly the point is known: `address`, `street`, `area`; `approximate` in the generalised view (moved to the centre of its H3 resolution-10 cell, ≤ 80 m)."},
            "source": {"type": "string", "description": "The data set the record came from (e.g. `synthetic-demo`, `police-uk`)."},
            "source_id": {"type": "string", "description": "The record's id in its source; empty in the generalised view."},
        },
        "additionalProperties": False,
    },
    "IncidentFeature": {
        "type": "object", "required": ["type", "id", "geometry", "properties"],
        "properties": {
            "type": {"const": "Feature"},
            "id": {"type": "integer", "description": "Stable incident id."},
            "geometry": sref("PointGeometry"),
            "properties": sref("IncidentProperties"),
            "links": sref("Links"),
        },
    },
    "ObservationProperties": {
        "type": "object",
        "required": ["kind", "rating", "note", "observed_at", "source", "source_id"],
        "properties": {
            "kind": {"type": "string", "enum": KINDS, "description": "What was observed on the safety walk."},
            "rating": {"type": "integer", "minimum": 1, "maximum": 5, "description": "1 = very poor/unsafe … 5 = good/safe."},
            "note": {"type": "string", "description": "Free-text note (Danish)."},
            "observed_at": {"type": "string", "format": "date-time", "description": "When, RFC 3339 UTC."},
            "source": {"type": "string"},
            "source_id": {"type": "string"},
        },
        "additionalProperties": False,
    },
    "ObservationFeature": {
        "type": "object", "required": ["type", "id", "geometry", "properties"],
        "properties": {
            "type": {"const": "Feature"},
            "id": {"type": "integer", "description": "Stable observation id."},
            "geometry": sref("PointGeometry"),
            "properties": sref("ObservationProperties"),
            "links": sref("Links"),
        },
    },
    "DistrictProperties": {
        "type": "object",
        "required": ["id", "name", "level", "population", "parent"],
        "properties": {
            "id": {"type": "string", "pattern": DISTRICT_ID_PATTERN, "description": "`bydel-N`, `district-N` (district-8 is the Hotspot area) or `rode-N`."},
            "name": {"type": "string"},
            "level": {"type": "string", "enum": LEVELS},
            "population": {"type": ["integer", "null"], "minimum": 0, "description": "Residents; null where unknown."},
            "parent": {"type": ["string", "null"], "description": "Id of the enclosing district, if any."},
        },
        "additionalProperties": False,
    },
    "DistrictFeature": {
        "type": "object", "required": ["type", "id", "geometry", "properties"],
        "properties": {
            "type": {"const": "Feature"},
            "id": {"type": "string", "pattern": DISTRICT_ID_PATTERN},
            "geometry": sref("MultiPolygonGeometry"),
            "properties": sref("DistrictProperties"),
            "links": sref("Links"),
        },
    },
}

def items_collection(feature):
    return fc(sref(feature), {
        "numberMatched": {"type": "integer", "minimum": 0, "description": "Features matching the filters (all pages)."},
        "numberReturned": {"type": "integer", "minimum": 0, "description": "Features on this page."},
        "timeStamp": {"type": "string", "format": "date-time"},
        "links": {"description": "`self`, and `next` / `prev` when there are more pages.", **sref("Links")},
        "notice": NOTICE,
    }, ["numberMatched", "numberReturned", "timeStamp", "links"],
        "An OGC API – Features page: GeoJSON FeatureCollection (RFC 7946).")

schemas["IncidentCollection"] = items_collection("IncidentFeature")
schemas["ObservationCollection"] = items_collection("ObservationFeature")
schemas["DistrictCollection"] = items_collection("DistrictFeature")

EXPORT_MEMBERS = {"name": {"type": "string", "description": "The collection."},
                  "numberMatched": {"type": "integer", "minimum": 0, "description": "Features in the file."},
                  "notice": NOTICE}
schemas["IncidentExport"] = fc(sref("IncidentFeature"), EXPORT_MEMBERS, description="A GeoJSON export (`f=geojson`): every matching feature, no paging members. Imports back unchanged with `hotspot import`.")
schemas["ObservationExport"] = fc(sref("ObservationFeature"), EXPORT_MEMBERS, description="A GeoJSON export (`f=geojson`).")
schemas["DistrictExport"] = fc(sref("DistrictFeature"), EXPORT_MEMBERS, description="A GeoJSON export (`f=geojson`).")

schemas["LandingPage"] = {
    "type": "object", "required": ["title", "links"],
    "properties": {"title": {"type": "string"}, "description": {"type": "string"}, "attribution": {"type": "string"}, "links": sref("Links")},
}
schemas["Conformance"] = {
    "type": "object", "required": ["conformsTo"],
    "properties": {"conformsTo": {"type": "array", "items": {"type": "string", "format": "uri"}}},
}
schemas["Label"] = {
    "type": "object", "required": ["code", "label_da", "label_en"],
    "properties": {"code": {"type": "string"}, "label_da": {"type": "string"}, "label_en": {"type": "string"}},
}
schemas["CollectionInfo"] = {
    "type": "object",
    "required": ["id", "title", "description", "itemType", "crs", "extent", "links", "count"],
    "properties": {
        "id": {"type": "string", "enum": ["districts", "incidents", "observations", "reports", "initiatives"]},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "itemType": {"const": "feature"},
        "crs": {"type": "array", "items": {"type": "string", "format": "uri"}},
        "extent": {
            "type": "object",
            "properties": {
                "spatial": {"type": "object", "properties": {
                    "bbox": {"type": "array", "items": {"type": ["array", "null"], "items": {"type": "number"}, "minItems": 4, "maxItems": 4}},
                    "crs": {"type": "string"}}},
                "temporal": {"type": "object", "properties": {
                    "interval": {"type": "array", "items": {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": ["string", "null"], "format": "date-time"}}},
                    "trs": {"type": "string"}}},
            },
        },
        "links": sref("Links"),
        "count": {"type": "integer", "minimum": 0, "description": "Features in the collection."},
        "categories": {"type": "array", "items": sref("Label"), "description": "incidents: the 9 categories with Danish and English labels."},
        "kinds": {"type": "array", "items": sref("Label"), "description": "observations: the 7 kinds; initiatives: the 6 kinds."},
        "levels": {"type": "array", "items": {"type": "string", "enum": LEVELS}, "description": "districts: the levels."},
        "attribution": {"type": "string"},
        "synthetic": SYNTHETIC,
        "synthetic_count": {"type": "integer", "minimum": 0},
        "notice": NOTICE, "notice_en": NOTICE, "notice_da": NOTICE,
    },
}
schemas["Collections"] = {
    "type": "object", "required": ["collections", "links"],
    "properties": {"collections": {"type": "array", "items": sref("CollectionInfo")}, "links": sref("Links"), "notice": NOTICE},
}
schemas["Health"] = {
    "type": "object",
    "required": ["status", "version", "data_version", "counts", "synthetic", "uptime_s"],
    "properties": {
        "status": {"enum": ["ok", "stale"], "description": "`stale` (with 503) when the server has failed to follow its store for more than 3 s: it cannot learn of token revocations or other replicas' writes, so a load balancer should send requests elsewhere."},
        "store_unreachable_s": {"type": ["number", "null"], "minimum": 0, "description": "Seconds for which following the store has failed; null while it works."},
        "version": SOFTWARE_VERSION,
        "data_version": DATA_VERSION,
        "counts": {"type": "object", "required": ["districts", "incidents", "observations"],
                   "properties": {k: {"type": "integer", "minimum": 0} for k in ("districts", "incidents", "observations")}},
        "synthetic": {"type": "object", "required": ["incidents", "observations"], "description": "Synthetic (demo) records loaded, per layer.",
                      "properties": {k: {"type": "integer", "minimum": 0} for k in ("incidents", "observations")}},
        "uptime_s": {"type": "integer", "minimum": 0, "description": "Seconds since the server started."},
    },
}
schemas["Privacy"] = {
    "type": "object",
    "description": "How much the answer discloses: exact data (`{\"exact\": true}`), or the generalised public view.",
    "required": ["exact"],
    "properties": {
        "exact": {"type": "boolean"},
        "approximate": {"type": "boolean"},
        "suppressed_below": {"type": "integer", "minimum": 1, "description": "Counts of 1 to this − 1 incidents are left out or null."},
        "method": {"type": "string"},
    },
}

ANALYSIS_COMMON = {
    "data_version": DATA_VERSION,
    "software_version": SOFTWARE_VERSION,
    "synthetic": SYNTHETIC,
    "notice": NOTICE,
    "privacy": sref("Privacy"),
    "parameters": {"type": "object", "description": "The parameters the answer was computed with, defaults filled in.", "additionalProperties": True},
}

schemas["HexbinCollection"] = fc({
    "type": "object", "required": ["type", "id", "geometry", "properties"],
    "properties": {
        "type": {"const": "Feature"},
        "id": {"type": "string", "pattern": "^[0-9a-f]{15}$"},
        "geometry": {"oneOf": [sref("PolygonGeometry"), sref("PointGeometry")], "description": "The cell outline, or its centre with `geometry=point`."},
        "properties": {"type": "object", "required": ["h3", "count", "area_km2", "per_km2"], "properties": {
            "h3": {"type": "string", "pattern": "^[0-9a-f]{15}$", "description": "H3 cell index, hex."},
            "count": NULLABLE_COUNT,
            "area_km2": {"type": "number", "minimum": 0, "description": "Cell area, km²."},
            "per_km2": {"type": ["number", "null"], "minimum": 0, "description": "Incidents per km², 1 decimal."},
        }},
    },
}, {**ANALYSIS_COMMON,
    "numberOfCells": {"type": "integer", "minimum": 0},
    "numberOfIncidents": NULLABLE_COUNT,
    "suppressedCells": {"type": "integer", "minimum": 0, "description": "Public answers: cells left out because they hold 1 to `privacy.suppressed_below` − 1 incidents."}},
    ["parameters", "numberOfCells", "numberOfIncidents", "data_version", "software_version", "synthetic"],
    "Incidents per H3 cell (cells with no incident are not listed), GeoJSON.")

schemas["HotspotCollection"] = fc({
    "type": "object", "required": ["type", "id", "geometry", "properties"],
    "properties": {
        "type": {"const": "Feature"},
        "id": {"type": "string", "pattern": "^[0-9a-f]{15}$"},
        "geometry": sref("PolygonGeometry"),
        "properties": {"type": "object", "required": ["h3", "count", "gi_z", "gi_p", "bin"], "properties": {
            "h3": {"type": "string", "pattern": "^[0-9a-f]{15}$"},
            "count": NULLABLE_COUNT,
            "gi_z": {"type": "number", "description": "Gi* z-score (= PySAL esda G_Local(star=True).Zs)."},
            "gi_p": {"type": "number", "minimum": 0, "maximum": 1, "description": "Two-sided normal p-value."},
            "bin": {"type": "integer", "minimum": -3, "maximum": 3, "description": "±3/±2/±1 = hot/cold at 99/95/90 % after Benjamini–Hochberg FDR; 0 = not significant."},
            "p_sim": {"type": ["number", "null"], "minimum": 0, "maximum": 1, "description": "Conditional-permutation pseudo p-value; null without `permutations`."},
        }},
    },
}, {**ANALYSIS_COMMON,
    "method": {"type": "string"},
    "numberOfCells": {"type": "integer", "minimum": 0},
    "numberOfIncidents": NULLABLE_COUNT},
    ["parameters", "method", "numberOfCells", "numberOfIncidents", "data_version", "software_version", "synthetic"],
    "Getis-Ord Gi* over the H3 cells of the study area (zero cells included), GeoJSON.")

schemas["EmergingCollection"] = fc({
    "type": "object", "required": ["type", "id", "geometry", "properties"],
    "properties": {
        "type": {"const": "Feature"},
        "id": {"type": "string", "pattern": "^[0-9a-f]{15}$"},
        "geometry": sref("PolygonGeometry"),
        "properties": {"type": "object", "required": ["h3", "class", "trend_z", "trend_p", "counts", "z", "sig"], "properties": {
            "h3": {"type": "string", "pattern": "^[0-9a-f]{15}$"},
            "class": {"type": "string", "enum": EMERGING_CLASSES},
            "trend_z": {"type": ["number", "null"], "description": "Mann-Kendall z of the cell's Gi* z-series."},
            "trend_p": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
            "total": NULLABLE_COUNT,
            "counts": {"type": "array", "items": {"type": ["integer", "null"], "minimum": 0}, "description": "Incidents per time step."},
            "z": {"type": "array", "items": {"type": ["number", "null"]}, "description": "Space-time Gi* z per time step."},
            "sig": {"type": "array", "items": {"type": "integer", "minimum": -1, "maximum": 1}, "description": "Per step: 1 significant hot, −1 significant cold, 0 neither (BH-FDR, 95 %)."},
        }},
    },
}, {**ANALYSIS_COMMON,
    "method": {"type": "string"},
    "steps": {"type": "array", "items": {"type": "string", "format": "date-time"}, "description": "Start of each time step, RFC 3339 UTC."},
    "classes": {"type": "array", "items": {"type": "object", "required": ["class", "definition"], "properties": {
        "class": {"type": "string", "enum": EMERGING_CLASSES}, "definition": {"type": "string"}}}},
    "classCounts": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}, "description": "Cells per class (classes with no cell are left out)."},
    "numberOfCells": {"type": "integer", "minimum": 0},
    "numberOfIncidents": NULLABLE_COUNT,
    "warning": {"type": "string", "description": "Present with fewer than 10 time steps."}},
    ["parameters", "method", "steps", "classes", "classCounts", "numberOfCells", "numberOfIncidents", "data_version", "software_version", "synthetic"],
    "Emerging hot-spot class per H3 cell (Esri's Emerging Hot Spot Analysis), GeoJSON.")

schemas["KdeRaster"] = {
    "type": "object",
    "description": "`format=raster`: the density grid, row-major from the north-west corner.",
    "required": ["kernel", "unit", "parameters", "numberOfIncidents", "raster", "data_version", "software_version", "synthetic"],
    "properties": {
        **ANALYSIS_COMMON,
        "kernel": {"const": "quartic (biweight)"},
        "unit": {"const": "incidents per km²"},
        "numberOfIncidents": NULLABLE_COUNT,
        "raster": {"type": "object", "required": ["width", "height", "cell_m", "bandwidth_m", "bbox", "values", "max"], "properties": {
            "width": {"type": "integer", "minimum": 1, "maximum": 512},
            "height": {"type": "integer", "minimum": 1, "maximum": 512},
            "cell_m": {"type": "number", "description": "Cell size, metres."},
            "bandwidth_m": {"type": "number", "description": "Kernel bandwidth used, metres."},
            "bbox": {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}, "description": "minlon,minlat,maxlon,maxlat of the grid, WGS84."},
            "values": {"type": "array", "items": {"type": "number", "minimum": 0}, "description": "width × height densities, incidents per km², row-major from the north-west."},
            "max": {"type": "number", "minimum": 0},
        }},
    },
}
schemas["KdeGrid"] = fc({
    "type": "object", "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"const": "Feature"},
        "geometry": sref("PolygonGeometry"),
        "properties": {"type": "object", "required": ["density"], "properties": {"density": {"type": "number", "minimum": 0, "description": "Incidents per km²."}}},
    },
}, {**ANALYSIS_COMMON,
    "kernel": {"const": "quartic (biweight)"},
    "unit": {"const": "incidents per km²"},
    "numberOfIncidents": NULLABLE_COUNT},
    ["kernel", "unit", "parameters", "numberOfIncidents", "data_version", "software_version", "synthetic"],
    "`format=geojson`: the non-empty grid cells as polygons (at most 20,000).")

schemas["CategoryChange"] = {
    "type": "object",
    "required": ["code", "label_da", "label_en", "count", "previous", "rate_ratio", "change_pct", "p_value", "significant"],
    "properties": {
        "code": {"type": "string", "enum": CATEGORIES + ["all"]},
        "label_da": {"type": "string"}, "label_en": {"type": "string"},
        "count": NULLABLE_COUNT,
        "previous": NULLABLE_COUNT,
        "rate_ratio": {"type": ["number", "null"], "description": "count / previous; null when the previous period is not covered or is 0."},
        "change_pct": {"type": ["number", "null"]},
        "p_value": {"type": ["number", "null"], "minimum": 0, "maximum": 1, "description": "Exact two-sided conditional test (Binomial(n, ½))."},
        "significant": {"type": ["boolean", "null"], "description": "p < 0.05."},
    },
}
PERIOD = {"type": "object", "required": ["from", "to"], "properties": {"from": RFC3339, "to": RFC3339}}
schemas["DistrictSummary"] = {
    "type": "object",
    "required": ["district", "period", "previous_period", "previous_period_covered", "categories", "hour_weekday", "night_share",
                 "top_cells", "observations", "data_version", "software_version", "synthetic"],
    "properties": {
        **ANALYSIS_COMMON,
        "district": {"type": "object", "required": ["id", "name", "level", "population"], "properties": {
            "id": {"type": "string"}, "name": {"type": "string"}, "level": {"type": "string", "enum": LEVELS},
            "population": {"type": ["integer", "null"]}}},
        "period": PERIOD,
        "previous_period": PERIOD,
        "previous_period_covered": {"type": "boolean"},
        "previous_period_note": {"type": ["string", "null"]},
        "change_test": {"type": "string"},
        "categories": {"type": "array", "items": sref("CategoryChange"), "description": "Per category, and `all`."},
        "hour_weekday": {"type": "array", "minItems": 7, "maxItems": 7, "description": "Rows Monday…Sunday, columns hour 0…23, Copenhagen local time.",
                         "items": {"type": "array", "minItems": 24, "maxItems": 24, "items": {"type": ["integer", "null"], "minimum": 0}}},
        "hour_weekday_note": {"type": "string"},
        "night": {"type": "string"},
        "night_share": {"type": ["number", "null"], "minimum": 0, "maximum": 1, "description": "Share of incidents 22:00–05:59 Copenhagen time; null without incidents."},
        "top_cells": {"type": "array", "items": {"type": "object", "required": ["h3", "count", "gi_z", "bin"], "properties": {
            "h3": {"type": "string"}, "count": NULLABLE_COUNT, "gi_z": {"type": "number"}, "bin": {"type": "integer", "minimum": -3, "maximum": 3}}}},
        "top_cells_note": {"type": ["string", "null"]},
        "observations": {"type": "array", "items": {"type": "object", "required": ["kind", "count", "mean_rating", "poor"], "properties": {
            "kind": {"type": "string", "enum": KINDS}, "count": {"type": "integer", "minimum": 0},
            "mean_rating": {"type": ["number", "null"], "minimum": 1, "maximum": 5}, "poor": {"type": "integer", "minimum": 0}}}},
        "reports": {"type": "object", "required": ["total", "by_service"],
                    "description": "Resident reports received in the period inside the district (rejected ones and duplicates left out), by type; for the public, counts of 1 to suppressed_below − 1 are null (and one more beside any hidden one).",
                    "properties": {
                        "total": {"type": ["integer", "null"], "minimum": 0},
                        "by_service": {"type": "array", "items": {"type": "object", "required": ["code", "label_da", "label_en", "count"],
                            "properties": {"code": {"type": "string", "enum": ["poor_lighting", "dark_place", "harassment", "drug_dealing", "vandalism", "unsafe_crossing", "other"]},
                                           "label_da": {"type": "string"}, "label_en": {"type": "string"},
                                           "count": {"type": ["integer", "null"], "minimum": 0}}}}}},
        "reports_note": {"type": "string"},
    },
}
schemas["SafetyIndex"] = {
    "type": "object",
    "required": ["year", "thresholds", "method", "groups", "levels", "data_version", "software_version", "synthetic"],
    "properties": {
        **ANALYSIS_COMMON,
        "year": {"type": "integer"},
        "thresholds": {"type": "object", "required": ["markant", "intensiveret"], "properties": {
            "markant": {"type": "number"}, "intensiveret": {"type": "number"}}},
        "method": {"type": "string"},
        "population_note": {"type": "string"},
        "groups": {"type": "array", "items": {"type": "object", "required": ["code", "label_da", "label_en", "categories"], "properties": {
            "code": {"type": "string"}, "label_da": {"type": "string"}, "label_en": {"type": "string"},
            "categories": {"type": "array", "items": {"type": "string", "enum": CATEGORIES}}}}},
        "levels": {"type": "array", "items": {"type": "object",
            "required": ["district", "name", "group", "count", "population", "population_estimated", "rate_per_1000", "city_rate_per_1000", "ratio", "level"],
            "properties": {
                "district": {"type": "string", "pattern": "^district-[0-9]+$"},
                "name": {"type": "string"},
                "group": {"type": "string"},
                "count": NULLABLE_COUNT,
                "population": {"type": "number", "description": "Residents used (recorded or estimated)."},
                "population_estimated": {"type": "boolean"},
                "rate_per_1000": {"type": ["number", "null"], "description": "Incidents per 1,000 residents in the year."},
                "city_rate_per_1000": {"type": ["number", "null"]},
                "ratio": {"type": ["number", "null"], "description": "rate / city rate."},
                "level": {"type": "string", "enum": ["markant", "intensiveret", "ordinær"]},
            }}},
    },
}
schemas["Rejected"] = {
    "type": "object", "required": ["location", "reason"],
    "properties": {"location": {"type": "string", "description": "`line 12` (CSV), `feature 3` (GeoJSON)…"}, "reason": {"type": "string"}},
}
schemas["ImportSummary"] = {
    "type": "object",
    "required": ["layer", "read", "imported", "duplicates", "ignored", "rejected", "unmapped", "notes", "committed", "seconds"],
    "properties": {
        "layer": {"type": "string", "enum": ["districts", "incidents", "observations"]},
        "read": {"type": "integer", "minimum": 0},
        "imported": {"type": "integer", "minimum": 0, "description": "New records written."},
        "duplicates": {"type": "integer", "minimum": 0, "description": "Already there (same source and source id), left as they were."},
        "ignored": {"type": "object", "additionalProperties": {"type": "integer"}, "description": "Rows skipped on purpose, by source type."},
        "rejected": {"type": "array", "items": sref("Rejected")},
        "unmapped": {"type": "object", "additionalProperties": {"type": "integer"}},
        "notes": {"type": "array", "items": {"type": "string"}},
        "committed": {"type": "boolean"},
        "seconds": {"type": "number"},
    },
}
schemas["AuditEntry"] = {
    "type": "object",
    "required": ["id", "at", "actor", "role", "action", "collection", "format", "query", "features"],
    "properties": {
        "id": {"type": "integer"},
        "at": RFC3339,
        "actor": {"type": "string", "description": "`public`, `token ID (NAME, ROLE)` (never the token itself) or `command line`."},
        "role": {"type": "string", "description": "The role it acted in: `public`, `planner`, `police` or `admin`."},
        "action": {"type": "string", "enum": ["export"]},
        "collection": {"type": "string", "enum": ["districts", "incidents", "observations"]},
        "format": {"type": "string", "pattern": "^(geojson|csv|shapefile( EPSG:[0-9]+)?)$", "description": "`geojson`, `csv`, or `shapefile EPSG:4326` / `shapefile EPSG:25832`."},
        "query": {"type": "string", "description": "The export's parameters, URL-encoded."},
        "features": {"type": "integer", "minimum": 0, "description": "Features exported."},
    },
}
schemas["AuditLog"] = {
    "type": "object", "required": ["entries", "numberMatched", "numberReturned"],
    "properties": {
        "entries": {"type": "array", "items": sref("AuditEntry"), "description": "Newest first."},
        "numberMatched": {"type": "integer", "minimum": 0},
        "numberReturned": {"type": "integer", "minimum": 0},
    },
}
schemas["TileJSON"] = {
    "type": "object",
    "description": "TileJSON 3.0.0 (https://github.com/mapbox/tilejson-spec/tree/master/3.0.0); `tiles` carries the request's filters.",
    "required": ["tilejson", "tiles", "vector_layers", "bounds", "center", "minzoom", "maxzoom", "attribution"],
    "properties": {
        "tilejson": {"const": "3.0.0"},
        "name": {"type": "string"},
        "description": {"type": "string"},
        "version": {"type": "string", "pattern": "^[0-9]+\\.[0-9]+\\.[0-9]+$", "description": "The tiles' schema version (semver): the minor number goes up when a field is added, the major when one changes meaning."},
        "data_version": {"type": "string", "description": "The data's version; also the `v` of every tile URL, so new data means new URLs for every cache."},
        "attribution": {"type": "string"},
        "scheme": {"const": "xyz"},
        "tiles": {"type": "array", "minItems": 1, "items": {"type": "string"}, "description": "URL template `…/tiles/{collection}/{z}/{x}/{y}.mvt?filters&v=DATA_VERSION`."},
        "minzoom": {"const": 0},
        "maxzoom": {"const": 22},
        "bounds": {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}, "description": "minlon,minlat,maxlon,maxlat, WGS84."},
        "center": {"type": "array", "minItems": 3, "maxItems": 3, "items": {"type": "number"}, "description": "lon, lat, zoom."},
        "vector_layers": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["id", "fields"], "properties": {
            "id": {"type": "string", "enum": ["districts", "incidents", "observations"]},
            "description": {"type": "string"},
            "minzoom": {"type": "integer"}, "maxzoom": {"type": "integer"},
            "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}},
        "privacy": sref("Privacy"),
        "synthetic": SYNTHETIC,
        "notice": NOTICE,
    },
}
schemas["WebConfig"] = {
    "type": "object", "required": ["basemap_tiles", "basemap_attribution", "attribution"],
    "properties": {
        "basemap_tiles": {"type": ["string", "null"], "description": "Raster basemap URL template, or null for the offline basemap."},
        "basemap_attribution": {"type": ["string", "null"]},
        "attribution": {"type": "string"},
    },
}
schemas["OpenAPI"] = {"type": "object", "required": ["openapi", "info", "paths"], "properties": {"openapi": {"type": "string"}}}

# --- resident reports (Open311 GeoReport v2) and the secretariat's side of them

SERVICE_CODES = ["poor_lighting", "dark_place", "harassment", "drug_dealing", "vandalism", "unsafe_crossing", "other"]
REPORT_STATUSES = ["new", "open", "acknowledged", "in_progress", "closed", "rejected", "duplicate"]
TIMES_OF_DAY = ["day", "evening", "night"]
WALK_ROLES = ["resident", "police", "municipality", "housing", "youth_worker", "planner", "business", "other"]
REQUEST_ID = {"type": "string", "pattern": "^[1-9][0-9]*$", "description": "The `service_request_id`: a whole number, as a string."}

schemas["Open311Error"] = {
    "type": "object", "required": ["code", "description"],
    "properties": {
        "code": {"type": "integer", "minimum": 400, "maximum": 599, "description": "The HTTP status code."},
        "description": {"type": "string", "description": "`field: what is wrong`, e.g. `lat: is required (WGS84 degrees)`, or what was not found."},
    },
    "additionalProperties": False,
}
schemas["Open311Errors"] = {
    "type": "array", "minItems": 1, "items": sref("Open311Error"),
    "description": "Open311's error form (not problem details): `[{\"code\": 400, \"description\": \"field: …\"}]`.",
}
schemas["Open311Service"] = {
    "type": "object",
    "required": ["service_code", "service_name", "service_name_da", "service_name_en", "description", "description_da",
                 "description_en", "metadata", "type", "keywords", "group"],
    "properties": {
        "service_code": {"type": "string", "enum": SERVICE_CODES},
        "service_name": {"type": "string", "description": "Danish, or English with `locale=en…`."},
        "service_name_da": {"type": "string"},
        "service_name_en": {"type": "string"},
        "description": {"type": "string", "description": "Danish, or English with `locale=en…`."},
        "description_da": {"type": "string"},
        "description_en": {"type": "string"},
        "metadata": {"const": True, "description": "Every service takes the attribute `time_of_day`, declared in its service definition (`services/{service_code}.json`)."},
        "type": {"const": "realtime"},
        "keywords": {"type": "string"},
        "group": {"type": "string"},
    },
    "additionalProperties": False,
}
REQUEST_PROPERTIES = {
    "service_request_id": REQUEST_ID,
    "status": {"type": "string", "enum": ["open", "closed"], "description": "Open311's status: `closed` for closed, rejected and duplicate reports, else `open` (a new report not yet moderated is `open` too)."},
    "detailed_status": {"type": "string", "enum": REPORT_STATUSES, "description": "hotspot's own status (`new` = not yet moderated)."},
    "status_notes": {"type": ["string", "null"], "description": "The secretariat's public note of what was done."},
    "service_name": {"type": "string", "description": "Danish name of the service."},
    "service_code": {"type": "string", "enum": SERVICE_CODES},
    "description": {"type": "string", "description": "The description with e-mail addresses, phone, CPR and number-plate numbers replaced by `[fjernet]`."},
    "agency_responsible": {"type": "string"},
    "requested_datetime": RFC3339,
    "updated_datetime": RFC3339,
    "lat": {"type": "number", "minimum": -90, "maximum": 90, "description": "Latitude of the centre of the report's H3 resolution-10 cell (≤ 80 m from the point given), 7 decimals; for planners too (the exact point is `exact_lat`)."},
    "long": {"type": "number", "minimum": -180, "maximum": 180, "description": "Longitude of that cell centre."},
    "time_of_day": {"type": ["string", "null"], "enum": TIMES_OF_DAY + [None], "description": "When the place feels unsafe (`attribute[time_of_day]`)."},
    "me_too": {"type": "integer", "minimum": 0, "description": "Residents who said \"me too\", and reports marked duplicates of this one."},
    "published": {"type": "boolean", "description": "Whether the public sees it (always true in public lists)."},
    "duplicate_of": {"type": ["string", "null"], "pattern": "^[1-9][0-9]*$", "description": "The report this one repeats."},
}
schemas["Open311ServiceDefinition"] = {
    "type": "object", "required": ["service_code", "attributes"], "additionalProperties": False,
    "properties": {
        "service_code": {"type": "string", "enum": SERVICE_CODES},
        "attributes": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["variable", "code", "datatype", "required", "datatype_description", "order", "description", "values"],
            "properties": {
                "variable": {"const": True}, "code": {"const": "time_of_day"}, "datatype": {"const": "singlevaluelist"},
                "required": {"const": False}, "datatype_description": {"type": "string"}, "order": {"type": "integer"},
                "description": {"type": "string"},
                "values": {"type": "array", "items": {"type": "object", "required": ["key", "name"], "additionalProperties": False,
                                                      "properties": {"key": {"type": "string", "enum": TIMES_OF_DAY}, "name": {"type": "string"}}}},
            }}},
    },
    "description": "GeoReport v2's service definition: the attributes a report of the service may carry.",
}
schemas["Open311Request"] = {
    "type": "object", "required": list(REQUEST_PROPERTIES), "properties": REQUEST_PROPERTIES, "additionalProperties": False,
    "description": "A service request as the public (and its reporter, with the follow key) sees it: generalised position, scrubbed text, no contact.",
}
PLANNER_PROPERTIES = {
    **REQUEST_PROPERTIES,
    "description_original": {"type": "string", "description": "The description as sent."},
    "contact": {"type": ["object", "null"], "description": "What the reporter left; null when nothing.", "required": ["email", "first_name", "last_name"],
                "properties": {k: {"type": ["string", "null"]} for k in ("email", "first_name", "last_name")}, "additionalProperties": False},
    "reason": {"type": ["string", "null"], "description": "Why it was rejected."},
    "exact_lat": {"type": "number", "minimum": -90, "maximum": 90, "description": "The latitude as sent."},
    "exact_long": {"type": "number", "minimum": -180, "maximum": 180, "description": "The longitude as sent."},
    "district": {"type": ["string", "null"], "pattern": "^district-[0-9]+$", "description": "The safety district it lies in."},
    "moderation_version": {"type": "string", "pattern": "^m[0-9a-f]{16}$", "description": "The version of its moderated state (status, publication, reason, duplicate, note): send it as `If-Match` with a moderation decided on this view of it."},
}
schemas["ReportForPlanner"] = {
    "type": "object", "required": list(PLANNER_PROPERTIES), "properties": PLANNER_PROPERTIES, "additionalProperties": False,
    "description": "A report as the secretariat (planner, admin) sees it: the public fields and the original text, contact, reason, exact position and district.",
}
schemas["PossibleDuplicate"] = {
    "type": "object",
    "required": ["service_request_id", "service_code", "description", "distance_m", "requested_datetime", "me_too", "lat", "long"],
    "properties": {
        "service_request_id": REQUEST_ID,
        "service_code": {"type": "string", "enum": SERVICE_CODES},
        "description": {"type": "string", "description": "Scrubbed, as published."},
        "distance_m": {"type": "number", "minimum": 0, "description": "To a reporter: metres between the two public positions (0 = the same H3 resolution-10 cell, about 115 m = the next one); never a distance to an exact point. To a moderator: metres between the exact positions."},
        "requested_datetime": {**RFC3339, "description": "The hour it came in (public precision)."},
        "me_too": {"type": "integer", "minimum": 0},
        "lat": {"type": "number", "description": "The public (generalised) position, WGS84."},
        "long": {"type": "number", "description": "The public (generalised) position, WGS84."},
    },
    "additionalProperties": False,
    "description": "A published report of the same service from the last 60 days (at most 5, nearest first): for a reporter, one shown in the same or a neighbouring public cell; for a moderator, one within 50 m.",
}
schemas["Open311Created"] = {
    "type": "array", "minItems": 1, "maxItems": 1,
    "items": {
        "type": "object",
        "required": ["service_request_id", "service_notice", "account_id", "follow_key", "follow_url", "possible_duplicates"],
        "properties": {
            "service_request_id": REQUEST_ID,
            "service_notice": {"type": "string", "description": "Danish and English: the secretariat reads every report before it is shown."},
            "account_id": {"type": "null"},
            "follow_key": {"type": "string", "pattern": "^[1-9][0-9]*_[0-9a-f]{64}$",
                           "description": "`<id>_<secret>`, shown once (only a salted hash is kept): `GET /open311/v2/requests/{id}.json?key=` shows the reporter the report before it is published."},
            "follow_url": {"type": "string", "description": "The web map showing the report: `/?report=<id>&key=<follow_key>`."},
            "possible_duplicates": {"type": "array", "maxItems": 5, "items": sref("PossibleDuplicate")},
        },
        "additionalProperties": False,
    },
}
schemas["Open311MeToo"] = {
    "type": "array", "minItems": 1, "maxItems": 1,
    "items": {"type": "object", "required": ["service_request_id", "me_too", "counted"], "additionalProperties": False,
              "properties": {"service_request_id": REQUEST_ID, "me_too": {"type": "integer", "minimum": 0, "description": "The count after this one."},
                             "counted": {"type": "boolean", "description": "false when this client already said \"me too\" to this report (within a day): each client counts once."}}},
}
NEW_REQUEST_FIELDS = {
    "service_code": {"type": "string", "enum": SERVICE_CODES, "description": "Required."},
    "lat": {"type": "number", "minimum": -90, "maximum": 90, "description": "Required, WGS84 degrees; the point must lie in the Municipality of Copenhagen (400 otherwise, saying so when lat and long look swapped)."},
    "long": {"type": "number", "minimum": -180, "maximum": 180, "description": "Required, WGS84 degrees."},
    "description": {"type": "string", "minLength": 1, "maxLength": 2000, "description": "Required: what makes the place feel unsafe; at most 2,000 characters, no control characters but newline and tab. Published only after moderation, with e-mail addresses, phone, CPR and number-plate numbers removed."},
    "email": {"type": "string", "maxLength": 254, "description": "Optional, for the secretariat only (never public)."},
    "first_name": {"type": "string", "maxLength": 100, "description": "Optional, for the secretariat only."},
    "last_name": {"type": "string", "maxLength": 100, "description": "Optional, for the secretariat only."},
    "attribute[time_of_day]": {"type": "string", "enum": TIMES_OF_DAY, "description": "Optional: when the place feels unsafe."},
    "website": {"type": "string", "maxLength": 0, "description": "A honeypot people never see: must be absent or empty (400 `website: must be empty`)."},
    "jurisdiction_id": {"type": "string", "description": "Accepted and ignored (one jurisdiction)."},
    "api_key": {"type": "string", "description": "Accepted and ignored (no key is needed)."},
    "address_string": {"type": "string", "description": "Accepted and ignored: there is no geocoding, `lat` and `long` are required."},
    "device_id": {"type": "string", "description": "Accepted and ignored."},
    "account_id": {"type": "string", "description": "Accepted and ignored."},
    "address_id": {"type": "string", "description": "Accepted and ignored."},
    "media_url": {"type": "string", "description": "Accepted, not stored (no photos are kept: a photo of a place can show people); `service_notice` says so."},
    "phone": {"type": "string", "description": "Accepted, not stored; `service_notice` says so."},
    "zipcode": {"type": "string", "description": "Accepted and ignored."},
    "idempotency_key": {"type": "string", "minLength": 16, "maxLength": 255, "pattern": "^[!-~]+$",
                        "description": "Optional, for clients that cannot set headers: the same as the `Idempotency-Key` header (if both are given they must be equal)."},
}
schemas["Open311NewRequestForm"] = {
    "type": "object", "required": ["service_code", "lat", "long", "description"], "properties": NEW_REQUEST_FIELDS, "additionalProperties": False,
    "description": "A new service request, form-encoded. Any other field, or a field given twice: 400 naming it. Only `address_string` without `lat`/`long`: 400 naming `lat` (there is no geocoding).",
}
schemas["Open311NewRequestJson"] = {
    "type": "object", "required": ["service_code", "lat", "long", "description"],
    "properties": {
        **{k: v for k, v in NEW_REQUEST_FIELDS.items() if k not in ("lat", "long")},
        "lat": {"anyOf": [NEW_REQUEST_FIELDS["lat"], {"type": "string"}], "description": NEW_REQUEST_FIELDS["lat"]["description"] + " A number or a numeric string."},
        "long": {"anyOf": [NEW_REQUEST_FIELDS["long"], {"type": "string"}], "description": "Required, WGS84 degrees; a number or a numeric string."},
        "attribute": {"type": "object", "description": "Attributes as an object, the same as `attribute[time_of_day]`.", "additionalProperties": False,
                      "properties": {"time_of_day": {"type": "string", "enum": TIMES_OF_DAY}}},
    },
    "additionalProperties": False,
    "description": "The same fields as the form, as one JSON object of strings or numbers (`null` = absent); `attribute` may be an object.",
}
schemas["ReportQueue"] = {
    "type": "object", "required": ["numberMatched", "numberReturned", "reports"],
    "properties": {
        "numberMatched": {"type": "integer", "minimum": 0},
        "numberReturned": {"type": "integer", "minimum": 0},
        "reports": {"type": "array", "description": "Newest first.", "items": {
            "type": "object", "required": [*PLANNER_PROPERTIES, "possible_duplicates"], "additionalProperties": False,
            "properties": {**PLANNER_PROPERTIES, "possible_duplicates": {"type": "array", "maxItems": 5, "items": sref("PossibleDuplicate")}}}},
    },
}
schemas["ModerationRequest"] = {
    "type": "object", "required": ["action"], "additionalProperties": False,
    "properties": {
        "action": {"type": "string", "enum": ["publish", "reject", "mark_duplicate", "set_status"],
                   "description": "`publish` (not if published; status becomes `open`); `reject` (needs `reason`; unpublishes); `mark_duplicate` (needs `duplicate_of`, a published report other than this one, which gains a \"me too\"; unpublishes); `set_status` (published reports only; needs `status`, takes `status_note`)."},
        "reason": {"type": ["string", "null"], "maxLength": 1000, "description": "Why (required to reject); kept in the log, never public."},
        "duplicate_of": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": "^[0-9]+$"}, {"type": "null"}], "description": "The report this one repeats (`mark_duplicate`)."},
        "status": {"type": ["string", "null"], "enum": ["open", "acknowledged", "in_progress", "closed", None], "description": "The new status (`set_status`)."},
        "status_note": {"type": ["string", "null"], "maxLength": 1000, "description": "A public note of what was done (scrubbed of personal data like descriptions)."},
    },
}
schemas["ModerationEntry"] = {
    "type": "object", "required": ["report_id", "at", "actor", "action", "reason", "status", "status_note", "duplicate_of"],
    "additionalProperties": False,
    "properties": {
        "report_id": {"type": "integer", "minimum": 1},
        "at": RFC3339,
        "actor": {"type": "string", "description": "`token ID (NAME, ROLE)`."},
        "action": {"type": "string", "enum": ["publish", "reject", "mark_duplicate", "set_status"]},
        "reason": {"type": ["string", "null"]},
        "status": {"type": "string", "enum": REPORT_STATUSES, "description": "The status after the action."},
        "status_note": {"type": ["string", "null"]},
        "duplicate_of": {"type": ["integer", "null"]},
    },
}
schemas["ModerationLog"] = {
    "type": "object", "required": ["report", "actions"], "additionalProperties": False,
    "properties": {"report": REQUEST_ID, "actions": {"type": "array", "items": sref("ModerationEntry"), "description": "Oldest first."}},
}
LINESTRING = {"type": "object", "required": ["type", "coordinates"],
              "properties": {"type": {"const": "LineString"}, "coordinates": {"type": "array", "minItems": 2, "items": sref("Position")}},
              "description": "A GeoJSON LineString, WGS84 lon/lat."}
schemas["NewWalk"] = {
    "type": "object", "required": ["title", "date"], "additionalProperties": False,
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 200, "description": "e.g. `Tryghedsvandring Blågården, efterår`."},
        "date": {"type": "string", "format": "date", "description": "The day, `YYYY-MM-DD`."},
        "route": {"anyOf": [LINESTRING, {"type": "null"}], "description": "The route walked, if drawn."},
        "participants": {"type": "array", "items": {"type": "string", "enum": WALK_ROLES}, "description": "Participants' roles, never names. Default none."},
    },
}
WALK_PROPERTIES = {
    "id": {"type": "integer", "minimum": 1},
    "title": {"type": "string"},
    "date": {"type": "string", "format": "date"},
    "route": {"anyOf": [LINESTRING, {"type": "null"}]},
    "participants": {"type": "array", "items": {"type": "string", "enum": WALK_ROLES}},
    "observations": {"type": "integer", "minimum": 0, "description": "Observations recorded on the walk."},
}
schemas["WalkCreated"] = {"type": "object", "required": list(WALK_PROPERTIES), "properties": WALK_PROPERTIES, "additionalProperties": False}
schemas["Walks"] = {
    "type": "object", "required": ["walks"], "additionalProperties": False,
    "properties": {"walks": {"type": "array", "description": "Newest (by date) first.", "items": {
        "type": "object", "required": [*WALK_PROPERTIES, "created_by"], "additionalProperties": False,
        "properties": {**WALK_PROPERTIES, "created_by": {"type": "string", "description": "`token ID (NAME, ROLE)`."}}}}},
}
schemas["NewWalkObservation"] = {
    "type": "object", "required": ["kind", "rating", "lon", "lat"], "additionalProperties": False,
    "properties": {
        "kind": {"type": "string", "enum": KINDS},
        "rating": {"type": "integer", "minimum": 1, "maximum": 5, "description": "1 = very poor/unsafe … 5 = good/safe."},
        "note": {"type": "string", "maxLength": 1000, "description": "Free text (Danish), scrubbed of personal data. Default empty."},
        "lon": {"type": "number", "minimum": -180, "maximum": 180, "description": "WGS84; the point must lie in Copenhagen."},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "observed_at": {"type": ["string", "null"], "format": "date-time", "description": "RFC 3339; default now."},
    },
}
schemas["ReportFeature"] = {
    "type": "object", "required": ["type", "id", "geometry", "properties"],
    "properties": {
        "type": {"const": "Feature"},
        "id": {"type": "integer", "minimum": 1, "description": "The `service_request_id`."},
        "geometry": {**sref("PointGeometry"), "description": "`[long, lat]` of the properties: the generalised position (also for planners)."},
        "properties": {"anyOf": [sref("Open311Request"), sref("ReportForPlanner")], "description": "The Open311 request fields: the public view, or the secretariat's for planner and admin tokens."},
    },
}
schemas["ReportCollection"] = fc(sref("ReportFeature"), {
    "numberMatched": {"type": "integer", "minimum": 0},
    "numberReturned": {"type": "integer", "minimum": 0},
    "note": {"type": "string", "description": "What the answer holds (public: published reports, generalised)."},
    "timeStamp": RFC3339,
    "links": sref("Links"),
}, ["numberMatched", "numberReturned", "note", "links"], "Resident reports as GeoJSON points (planners: newest first; the public: by the hour they came in, then id), with `self`/`next`/`prev` links.")

# ---------------------------------------------------------------- parameters

parameters = {
    "bbox": {
        "name": "bbox", "in": "query", "required": False, "style": "form", "explode": False,
        "description": "Bounding box `minlon,minlat,maxlon,maxlat` in WGS84 degrees (RFC 7946 order; CRS84), edges included. "
                       "minlon ≤ maxlon (no antimeridian crossing), minlat ≤ maxlat; lon −180..180, lat −90..90; 3-D boxes are refused. "
                       "A box that misses the data but would hit it with lon and lat swapped is refused as a likely lat,lon mistake (400).",
        "schema": {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number", "minimum": -180, "maximum": 180},
                   "prefixItems": [{"type": "number", "minimum": -180, "maximum": 180}, {"type": "number", "minimum": -90, "maximum": 90},
                                   {"type": "number", "minimum": -180, "maximum": 180}, {"type": "number", "minimum": -90, "maximum": 90}]},
        "example": [12.54, 55.68, 12.57, 55.70],
    },
    "datetime": {
        "name": "datetime", "in": "query", "required": False,
        "description": "Time filter: an RFC 3339 instant (`2011-03-01T00:00:00Z`), a date (`2011-03-01` = that whole day in Copenhagen time), "
                       "or an interval `start/end` whose ends are either of these, with `..` or nothing for an open end (not both open). Both ends included. "
                       "Write a `+` offset as `%2B`.",
        "schema": {"type": "string", "pattern": DATETIME_PATTERN},
        "example": "2011-03-01/2012-02-29",
    },
    "limit": {
        "name": "limit", "in": "query", "required": False,
        "description": "Page size, features (1–10,000; a larger value is taken as 10,000, not refused, as OGC API – Features asks). The `next` link asks for twice this page's size (up to 10,000), so a client that only follows links soon gets full pages. An export (`f=geojson|csv|shapefile`) has no page limit: it holds every matching feature, or at most `limit` (1–100,000,000) when given, after `offset`.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100},
    },
    "offset": {
        "name": "offset", "in": "query", "required": False,
        "description": "Features to skip (paging; follow the `next` link).",
        "schema": {"type": "integer", "minimum": 0, "maximum": 100000000, "default": 0},
    },
    "category": {
        "name": "category", "in": "query", "required": False, "style": "form", "explode": False,
        "description": "One or more incident categories, comma-separated (any of them matches). Default: all.",
        "schema": {"type": "array", "minItems": 1, "items": {"type": "string", "enum": CATEGORIES}},
        "example": ["violence", "threats"],
    },
    "kind": {
        "name": "kind", "in": "query", "required": False, "style": "form", "explode": False,
        "description": "One or more observation kinds, comma-separated. Default: all.",
        "schema": {"type": "array", "minItems": 1, "items": {"type": "string", "enum": KINDS}},
        "example": ["lighting"],
    },
    "district": {
        "name": "district", "in": "query", "required": False,
        "description": "Only records inside this district's polygon (boundary included): `bydel-N`, `district-N` (district-8 is the Hotspot area, Indre Nørrebro) or `rode-N`. Unknown ids are refused (400).",
        "schema": {"type": "string", "pattern": DISTRICT_ID_PATTERN},
        "example": "district-8",
    },
    "level": {
        "name": "level", "in": "query", "required": False,
        "description": "Only districts of this level: the 10 `bydel`, the 35 safety `district`s, the 399 `rode`r.",
        "schema": {"type": "string", "enum": LEVELS},
    },
    "crs": {
        "name": "crs", "in": "query", "required": False,
        "description": "Coordinate system of a Shapefile export: `EPSG:4326` (WGS84 lon/lat, default) or `EPSG:25832` (ETRS89 / UTM 32N, metres; the .prj says which). Only with `f=shapefile`: with `f=json` any `crs` is a 400, and GeoJSON and CSV exports are always EPSG:4326 (`crs=EPSG:25832` with them is a 400). Other spellings of the same codes (`25832`, `urn:ogc:def:crs:EPSG::25832`) are accepted.",
        "schema": {"type": "string", "enum": ["EPSG:4326", "EPSG:25832"], "default": "EPSG:4326"},
    },
    "dialect": {
        "name": "dialect", "in": "query", "required": False,
        "description": "CSV exports only (`f=csv`): `rfc4180` (default: `,`, `.` decimals, RFC 3339 UTC times) or `excel-da`, what Excel in a Danish locale opens by double-click: a UTF-8 byte-order mark, `;` between fields, decimal commas, CRLF, and times as Copenhagen local time `YYYY-MM-DD hh:mm:ss` in a column `occurred_local`/`observed_local`. With any other `f`: 400.",
        "schema": {"type": "string", "enum": ["rfc4180", "excel-da"], "default": "rfc4180"},
    },
    "tileVersion": {
        "name": "v", "in": "query", "required": False,
        "description": "The data version TileJSON puts in its tile URLs (any value is accepted; it only makes the URL change with the data).",
        "schema": {"type": "string"},
    },
    "resolution": {
        "name": "resolution", "in": "query", "required": False,
        "description": "H3 resolution: 7 (≈ 5.2 km² cells) … 10 (≈ 0.015 km², edge ≈ 66 m) … 12 (≈ 0.0003 km²).",
        "schema": {"type": "integer", "minimum": 7, "maximum": 12, "default": 10},
    },
    "k": {
        "name": "k", "in": "query", "required": False,
        "description": "Neighbourhood: cells within `k` H3 grid steps (the cell itself included) are neighbours.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 5, "default": 1},
    },
    "districts": {
        "name": "district", "in": "query", "required": False, "style": "form", "explode": False,
        "description": "Study area: one or more district ids, comma-separated (at most 50; duplicates ignored); their polygons are united. Default `district-8`.",
        "schema": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": DISTRICT_ID_PATTERN}, "default": ["district-8"]},
        "example": ["district-8"],
    },
    "ifNoneMatch": {
        "name": "If-None-Match", "in": "header", "required": False,
        "description": "An `ETag` from an earlier answer (or `*`): 304 Not Modified when it still matches.",
        "schema": {"type": "string"},
    },
}

# ---------------------------------------------------------------- responses, headers

def problem_response(description):
    return {"description": description, "content": {"application/problem+json": {"schema": sref("Problem")}}}

responses = {
    "BadRequest": problem_response("Invalid parameter: malformed or out of range, unknown (not one this endpoint takes) or repeated. `field` names it."),
    "Unauthorized": {**problem_response("A token is needed here (none was given), or the `Authorization` header is malformed or names an unknown or revoked token."),
                     "headers": {"WWW-Authenticate": {"schema": {"const": "Bearer"}}}},
    "Forbidden": problem_response("A valid token whose role may not do this."),
    "NotFound": problem_response("No such collection, feature, district or endpoint."),
    "MethodNotAllowed": {**problem_response("The method is not allowed here (every reading route answers GET and HEAD; `…/items` also POST). Methods that would need a token get 401 first."),
                         "headers": {"Allow": {"schema": {"type": "string"}, "description": "e.g. `GET, HEAD`."}}},
    "PayloadTooLarge": problem_response("The request body is larger than 64 MiB."),
    "Unprocessable": problem_response("Well-formed, but the data cannot answer it (e.g. fewer than 30 incidents in the study area, no incidents in the year)."),
    "PreconditionFailed": problem_response("`If-Match` named a version of the report that is no longer current: another moderator decided on it since it was read; nothing was written: reload it and decide again."),
    "Conflict": problem_response("The report was moderated by someone else (here or through another replica) while this action was decided; nothing was written: reload it and decide again."),
    "ImportRefused": {"description": "Some records were refused, so nothing was imported (all-or-nothing); every refusal is in `summary.rejected`. Send `skip_invalid=true` to import the rest.",
                      "content": {"application/problem+json": {"schema": sref("ImportRefused")}}},
}
def open311_response(description, headers=None):
    r = {"description": description, "content": {"application/json": {"schema": sref("Open311Errors")}}}
    if headers:
        r["headers"] = headers
    return r

RETRY_AFTER = {"Retry-After": {"description": "Seconds until the client may send again.", "schema": {"type": "integer", "minimum": 0}}}
responses.update({
    "Open311BadRequest": open311_response("A malformed, unknown or repeated parameter or field: `[{\"code\": 400, \"description\": \"field: what is wrong\"}]`."),
    "Open311NotFound": open311_response("No such (published) request: `[{\"code\": 404, \"description\": \"service_request_id: …\"}]`."),
    "Open311TooLarge": open311_response("The body is larger than 32 KiB (32,768 bytes)."),
    "Open311KeyReused": open311_response("The `Idempotency-Key` was sent before with a different report: `[{\"code\": 422, \"description\": \"Idempotency-Key: …\"}]`."),
    "Open311UnsupportedMediaType": open311_response("A `Content-Type` other than `application/x-www-form-urlencoded` (or none) or `application/json`."),
    "Open311TooManyRequests": open311_response("More than 5 reports and \"me too\"s from this client (IP address, kept only as an expiring salted hash) in 10 minutes (the default; `--report-limit N` / `HOTSPOT_REPORT_LIMIT`).",
                                               RETRY_AFTER),
    "Open311Internal": open311_response("The report could not be stored: `[{\"code\": 500, \"description\": \"the report could not be stored; please try again\"}]`."),
    "JsonBodyTooLarge": {"description": "The body is larger than 256 KiB (262,144 bytes). This answer is actix-web's own: `text/plain`, not problem details.",
                         "content": {"text/plain; charset=utf-8": {"schema": {"type": "string"}}}},
})

for name in [n for n in list(responses) if n.startswith("Open311")]:
    r = responses[name]
    responses[name + "Xml"] = {**r, "content": {"text/xml; charset=utf-8": {"schema": {"type": "string", "description": "`<errors><error><code/><description/></error></errors>`"}}}}

headers = {
    "ETag": {"description": "Entity tag of the answer; send it back as `If-None-Match`.", "schema": {"type": "string"}},
    "CacheControl": {"description": "Caching rule, e.g. `public, max-age=300` (tiles; `private` for exact data) or `no-cache`.", "schema": {"type": "string"}},
    "ContentDisposition": {"description": "`attachment; filename=\"COLLECTION-YYYYMMDD.EXT\"`, e.g. `incidents-20261127.geojson`.", "schema": {"type": "string"}},
    "Vary": {"description": "`Authorization`: the answer depends on the caller's role.", "schema": {"type": "string"}},
}

# ---------------------------------------------------------------- paths

def json_ok(schema, description, media="application/json", extra_headers=None):
    r = {"description": description, "content": {media: {"schema": schema}}}
    if extra_headers:
        r["headers"] = extra_headers
    return r

def api_errors(*codes):
    names = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
             409: "Conflict", 412: "PreconditionFailed", 413: "PayloadTooLarge", 422: "Unprocessable"}
    return {str(c): rref(names[c]) for c in codes}

paths = {}

# The route table (src/api/route_table.rs, as data in routes.json) names every operation, its
# summary and who may call it; this script adds the rest and may neither add nor leave out one.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "routes.json"), encoding="utf-8") as f:
    TABLE = {(o["method"], o["path"]): o for o in json.load(f)["operations"]}

def op(path, method, **kw):
    t = TABLE.get((method, path))
    if t is None:
        sys.exit(f"{method.upper()} {path} is not in the route table (src/api/route_table.rs)")
    kw = {"summary": t["summary"], **kw}
    kw["security"] = {"open": [], "anyone": OPTIONAL_AUTH}.get(t["access"], [{"bearer": []}])
    paths.setdefault(path, {})[method] = kw

# --- features
op("/api", "get", tags=["features"], operationId="getLandingPage", description="Title, description, attribution and links: the API definition (`service-desc`, this document) and its documentation (`service-doc`), the conformance classes, the collections, the health check and the web map. Takes no parameters.",
   responses={"200": json_ok(sref("LandingPage"), "The landing page."), **api_errors(401)})
op("/api/conformance", "get", tags=["features"], operationId="getConformance", description="OGC API – Features Part 1 Core and GeoJSON.", responses={"200": json_ok(sref("Conformance"), "The conformance classes."), **api_errors(401)})
op("/api/health", "get", tags=["features"], operationId="getHealth", description="Liveness with the records loaded per layer, how many are synthetic, and the data version; 503 when the server cannot follow its store.", responses={"200": json_ok(sref("Health"), "The service is up."), "503": json_ok(sref("Health"), "The server has failed to follow its store for more than 3 s (status `stale`)."), **api_errors(401)})
op("/api/collections", "get", tags=["features"], operationId="getCollections", description="Metadata of `districts`, `incidents` and `observations`: extent, links, and for incidents the 9 categories with Danish and English labels, for observations the 7 kinds.",
   responses={"200": json_ok(sref("Collections"), "The collections."), **api_errors(401)})
op("/api/collections/{collectionId}", "get", tags=["features"], operationId="getCollection", parameters=[{"name": "collectionId", "in": "path", "required": True, "description": "The collection.",
                "schema": {"type": "string", "enum": ["districts", "incidents", "observations", "reports", "initiatives"]}, "example": "incidents"}],
   responses={"200": json_ok(sref("CollectionInfo"), "The collection's metadata."), **api_errors(401, 404)})

EXPORT_TEXT = ("`f=json` (default) answers one page as OGC API – Features GeoJSON. `f=geojson`, `f=csv` and `f=shapefile` are **exports**: "
               "every matching feature (no page limit unless `limit` is given) streamed as an attachment "
               "(`Content-Disposition: attachment; filename=\"{c}-YYYYMMDD.geojson\"` etc.), as `application/geo+json`, "
               "`text/csv; charset=utf-8` or `application/zip` (a zipped Shapefile: .shp .shx .dbf .prj .cpg). "
               "Every export is recorded in the audit log (`GET /api/audit`).")

DBF_NOTE = {
    "incidents": "Attribute columns (at most 10 characters): `id`, `category`, `occurred` (= `occurred_at`, RFC 3339 UTC), `occ_date` (dBase date: the Copenhagen calendar day), `occ_time` (Copenhagen local time of day, `hh:mm:ss`), `precision`, `source`, `source_id`.",
    "observations": "Attribute columns (at most 10 characters): `id`, `kind`, `rating`, `note`, `observed` (= `observed_at`, RFC 3339 UTC), `obs_date` (dBase date: the Copenhagen calendar day), `obs_time` (Copenhagen local time of day, `hh:mm:ss`), `source`, `source_id`.",
    "districts": "Attribute columns: `id`, `name`, `level`, `population`.",
}

def items_paths(c, feature, coll, export_schema, params, f_values, csv_note, extra_desc):
    base = f"/api/collections/{c}/items"
    f_param = {"name": "f", "in": "query", "required": False,
               "description": "Answer format: `json` = the paged GeoJSON answer; `geojson`, `csv`, `shapefile` = exports (see above)." + csv_note,
               "schema": {"type": "string", "enum": f_values, "default": "json"}}
    export_auth = ""
    if c == "incidents":
        export_auth = " Exports of incidents need a police or admin token (401 without one, 403 for another role)."
    ok_content = {
        "application/geo+json": {"schema": {"anyOf": [sref(coll), sref(export_schema)]}},
        "application/zip": {"schema": {"type": "string", "format": "binary", "description": "`f=shapefile`: a ZIP of `" + c + ".shp`, `.shx`, `.dbf`, `.prj` and `.cpg` (UTF-8). " + DBF_NOTE[c]}},
    }
    if "csv" in f_values:
        ok_content["text/csv; charset=utf-8"] = {"schema": {"type": "string",
                                                 "description": "`f=csv`: a header line and one row per feature, coordinates as `lon`,`lat` (WGS84) columns."}}
    op(base, "get", tags=["features"], operationId=f"get{feature}s",
       description=extra_desc + "\n\n" + EXPORT_TEXT.replace("{c}", c) + export_auth,
       parameters=params + [pref("limit"), pref("offset"), f_param, pref("crs")],
       responses={"200": {"description": "A page (`f=json`) or an export.",
                          "headers": {"Content-Disposition": ref("headers", "ContentDisposition"),
                                      "X-Number-Matched": {"description": "Exports: the number of features in the file.", "schema": {"type": "integer", "minimum": 0}},
                                      "Cache-Control": {"description": "Exports: `no-store`.", "schema": {"type": "string"}}},
                          "content": ok_content},
                  **api_errors(400, 401, 403)})
    op(base + "/{featureId}", "get", tags=["features"], operationId=f"get{feature}",
       description="One GeoJSON Feature with `self` and `collection` links." + (
           " Generalised for the public and planners, exact for police and admin, as in the items." if c == "incidents" else ""),
       parameters=[{"name": "featureId", "in": "path", "required": True,
                    "description": "The feature id: " + ("a district id `bydel-N`, `district-N` or `rode-N`." if c == "districts" else "a whole number."),
                    "schema": {"type": "string", "pattern": DISTRICT_ID_PATTERN} if c == "districts" else {"type": "string", "pattern": "^[0-9]+$"},
                    "example": "district-8" if c == "districts" else "1"},
                   {"name": "f", "in": "query", "required": False, "description": "Answer format; both mean GeoJSON.",
                    "schema": {"type": "string", "enum": ["json", "geojson"], "default": "json"}}],
       responses={"200": json_ok(sref(feature + "Feature"), "The feature.", "application/geo+json"), **api_errors(400, 401, 404)})
    # import
    imp_params = [
        {"name": "skip_invalid", "in": "query", "required": False, "description": "`true`: import the valid records and list the rest; `false` (default): all or nothing.",
         "schema": {"type": "boolean", "default": False}},
        {"name": "source", "in": "query", "required": False, "description": "Source name the records are known by (with their source id). Default: the preset's, or `http:FILENAME`.",
         "schema": {"type": "string", "minLength": 1}},
        {"name": "preset", "in": "query", "required": False, "description": "CSV column preset: `police-uk` (police.uk street-level CSV) or `vpd` (Vancouver Police Department). Detected from the header when absent.",
         "schema": {"type": "string", "enum": ["police-uk", "police.uk", "vpd", "vancouver"]}},
        {"name": "crs", "in": "query", "required": False, "description": "CRS of the file's coordinates when it does not say, e.g. `EPSG:25832`. Supported: EPSG:4326, 4258, 3857, 25832, 25833, 32632, 26910, 27700.",
         "schema": {"type": "string"}},
        {"name": "format", "in": "query", "required": False, "description": "File format, when the Content-Type (or the multipart file name) does not tell it.",
         "schema": {"type": "string", "enum": ["geojson", "csv"]}},
        {"name": "level", "in": "query", "required": False, "description": "districts: the level of the imported polygons.", "schema": {"type": "string", "enum": LEVELS}},
        {"name": "encoding", "in": "query", "required": False, "description": "Text encoding of the file, e.g. `latin1`, `windows-1252`, `utf-8`.", "schema": {"type": "string"}},
    ]
    op(base, "post", tags=["admin"], operationId=f"import{feature}s",
       description="Imports a GeoJSON or CSV file into the collection, with the same checks, reprojection and all-or-nothing rule as `hotspot import`. "
                   "Re-importing is idempotent (records are known by source and source id). Bodies over 64 MiB get 413. Needs a police or admin token.",
       parameters=imp_params,
       requestBody={"required": True, "content": {
           "application/geo+json": {"schema": {"type": "object", "description": "A GeoJSON FeatureCollection (RFC 7946 lon/lat) with the collection's properties."}},
           "application/json": {"schema": {"type": "object"}},
           "text/csv": {"schema": {"type": "string"}},
           "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}}},
       }},
       responses={"201": json_ok(sref("ImportSummary"), "Imported; the summary."),
                  **api_errors(400, 401, 403, 413), "422": rref("ImportRefused")})

items_paths("incidents", "Incident", "IncidentCollection", "IncidentExport",
            [pref("bbox"), pref("datetime"), pref("category"), pref("district"), pref("dialect")],
            ["json", "geojson", "csv", "shapefile"], "",
            "Police-recorded incidents, one point each. **Generalised for the public (no token) and planners**: each point moved to the centre of its "
            "H3 resolution-10 cell (≤ 80 m), the time floored to the hour, `source_id` empty, `precision` = `approximate`; police and admin tokens get exact data.")
items_paths("observations", "Observation", "ObservationCollection", "ObservationExport",
            [pref("bbox"), pref("datetime"), pref("kind"), pref("district"), pref("dialect")],
            ["json", "geojson", "csv", "shapefile"], "",
            "Safety-walk observations (tryghedsvandringer), one point each.")
items_paths("districts", "District", "DistrictCollection", "DistrictExport",
            [pref("bbox"), {**parameters["datetime"], "description": "Checked like everywhere (400 when malformed), then every district answers: districts have no time (OGC API – Features 1, /req/core/fc-time-response)."}, pref("level")],
            ["json", "geojson", "shapefile"], " (`csv` is not offered for district polygons: 400.)",
            "Copenhagen's 10 bydele, 35 safety districts and 399 roder as MultiPolygons. With `bbox`, a district matches when its extent meets the box.")

op("/api/openapi.json", "get", tags=["features"], operationId="getOpenApi", description="The OpenAPI 3.1 description of the HTTP API (rendered at `/api/docs`).", responses={"200": json_ok(sref("OpenAPI"), "The document."), **api_errors(401)})

# --- analysis
NOTE_AGG = " Answers for the public are made from the generalised incidents (counts of 1 to `privacy.suppressed_below` − 1 suppressed); planners, police and admin get exact aggregates."
op("/api/analysis/hexbins", "get", tags=["analysis"], operationId="getHexbins", description="Counts of incidents per H3 cell under the filters (cells with no incident are not listed), as GeoJSON cell outlines or, with `geometry=point`, cell centres (for heatmaps)." + NOTE_AGG,
   parameters=[pref("resolution"), pref("category"), pref("datetime"), pref("district"), pref("bbox"),
               {"name": "geometry", "in": "query", "required": False, "description": "`polygon`: cell outlines; `point`: cell centres.",
                "schema": {"type": "string", "enum": ["polygon", "point"], "default": "polygon"}}],
   responses={"200": json_ok(sref("HexbinCollection"), "The cells.", "application/geo+json"), **api_errors(400, 401)})
op("/api/analysis/hotspots", "get", tags=["analysis"], operationId="getHotspots", description="Getis-Ord Gi* over the H3 cells whose centre lies in the study area (zero cells included), binary weights within `k` grid steps including the cell itself, "
               "analytic z (= PySAL `esda.G_Local(y, w, transform='B', star=True).Zs`), two-sided normal p, bins −3…3 at 99/95/90 % after Benjamini–Hochberg FDR. "
               "Fewer than 30 incidents in the study area: 422. Work is bounded (≈ 250,000 cells, 2·10⁸ neighbour values): beyond that 400 naming the parameter." + NOTE_AGG,
   parameters=[pref("districts"), pref("resolution"), pref("k"), pref("category"), pref("datetime"),
               {"name": "permutations", "in": "query", "required": False, "description": "Conditional permutations for pseudo p-values `p_sim`; 0 = none.",
                "schema": {"type": "integer", "minimum": 0, "maximum": 9999, "default": 0}},
               {"name": "seed", "in": "query", "required": False, "description": "Random seed of the permutations (unsigned 64-bit).",
                "schema": {"type": "integer", "minimum": 0, "maximum": 18446744073709551615, "default": 20110301}}],
   responses={"200": json_ok(sref("HotspotCollection"), "The cells with their Gi* statistics.", "application/geo+json"), **api_errors(400, 401, 422)})
op("/api/analysis/kde", "get", tags=["analysis"], operationId="getKde", description="Quartic (biweight) kernel density `K(d) = 3/(πh²)(1 − d²/h²)²` in incidents per km², on a grid in true metres over a district's extent "
               "(default `district-8`) or a `bbox` (not both). At most 512 × 512 cells and 4·10⁸ kernel evaluations (beyond: 400 naming `cell_m` or `bandwidth_m`)." + NOTE_AGG,
   parameters=[{**parameters["district"], "description": "The area: this district's extent. Default `district-8`. Not together with `bbox`."},
               {**{k: v for k, v in parameters["bbox"].items() if k != "example"}, "description": parameters["bbox"]["description"] + " The area of the grid; not together with `district`; within ±85° latitude."},
               pref("category"), pref("datetime"),
               {"name": "cell_m", "in": "query", "required": False, "description": "Grid cell size, metres.",
                "schema": {"type": "number", "minimum": 5, "maximum": 1000, "default": 25}},
               {"name": "bandwidth_m", "in": "query", "required": False,
                "description": "Kernel bandwidth, metres (20–5000), or `auto` = Silverman's rule `0.9·min(σ, IQR/1.34)·n^-1/5`.",
                "schema": {"anyOf": [{"type": "number", "minimum": 20, "maximum": 5000}, {"const": "auto"}], "default": 150}},
               {"name": "format", "in": "query", "required": False, "description": "`raster`: the compact grid; `geojson`: the non-empty cells as polygons (at most 20,000, else 400).",
                "schema": {"type": "string", "enum": ["raster", "geojson"], "default": "raster"}}],
   responses={"200": json_ok({"anyOf": [sref("KdeRaster"), sref("KdeGrid")]}, "The density grid."), **api_errors(400, 401)})
op("/api/analysis/emerging", "get", tags=["analysis"], operationId="getEmerging", description="Emerging Hot Spot Analysis after Esri: counts per cell and time step (Copenhagen calendar), space-time Gi* (neighbours within `k` steps in space, "
               "in the same and `time_window` earlier steps), significance after BH-FDR at 95 %, a Mann-Kendall test of each cell's z-series, and a class per cell." + NOTE_AGG,
   parameters=[pref("districts"), pref("resolution"), pref("k"), pref("category"), pref("datetime"),
               {"name": "step", "in": "query", "required": False, "description": "Time-step length (Copenhagen calendar).",
                "schema": {"type": "string", "enum": ["month", "quarter", "year"], "default": "quarter"}},
               {"name": "time_window", "in": "query", "required": False, "description": "Earlier time steps that count as neighbours.",
                "schema": {"type": "integer", "minimum": 0, "maximum": 12, "default": 1}}],
   responses={"200": json_ok(sref("EmergingCollection"), "The cells with their class and series.", "application/geo+json"), **api_errors(400, 401, 422)})

# --- summaries
op("/api/districts/{districtId}/summary", "get", tags=["summaries"], operationId="getDistrictSummary", description="Counts per category for the period and the period of the same length just before, with the rate ratio, change in per cent and an exact two-sided test; "
               "a 7×24 hour-by-weekday matrix (Copenhagen time); the night share (22:00–05:59); the top Gi* cells; safety-walk ratings by kind." + NOTE_AGG +
               " Exception: district 8 over exactly one calendar year (`from=YYYY-01-01&to=YYYY-12-31`) or its first half (`…-01-01` to `…-06-30`) is one of the programme's fixed figures, "
               "which planners see exactly, as in the status report (the same counts in both).",
   parameters=[{"name": "districtId", "in": "path", "required": True, "description": "`bydel-N`, `district-N` or `rode-N`.",
                "schema": {"type": "string", "pattern": DISTRICT_ID_PATTERN}, "example": "district-8"},
               {"name": "from", "in": "query", "required": False, "description": "First day, `YYYY-MM-DD` (Copenhagen calendar day, from local midnight). Default: 365 days before `to`.",
                "schema": {"type": "string", "format": "date"}},
               {"name": "to", "in": "query", "required": False, "description": "Last day, `YYYY-MM-DD`, included through 23:59:59 Copenhagen time. Default: the last incident.",
                "schema": {"type": "string", "format": "date"}}],
   responses={"200": json_ok(sref("DistrictSummary"), "The summary."), **api_errors(400, 401, 404)})
op("/api/safety-index", "get", tags=["summaries"], operationId="getSafetyIndex", description="Per safety district and crime group: incidents per 1,000 residents in the year against the rate of the 35 districts together; "
               "`markant` at `markant`× or more, `intensiveret` at `intensiveret`× or more, else `ordinær`. hotspot's convention, not the official Tryghedsindeks method. "
               "A year without incidents: 422.",
   parameters=[{"name": "year", "in": "query", "required": True, "description": "Copenhagen calendar year.", "schema": {"type": "integer", "minimum": 1900, "maximum": 2100}, "example": 2010},
               {"name": "markant", "in": "query", "required": False, "description": "Ratio from which the level is `markant`; must be above `intensiveret`.",
                "schema": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 100, "default": 2.0}},
               {"name": "intensiveret", "in": "query", "required": False, "description": "Ratio from which the level is `intensiveret`; must be below `markant`.",
                "schema": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 100, "default": 1.3}},
               {"name": "district", "in": "query", "required": False, "description": "Only this safety district (`district-N`).",
                "schema": {"type": "string", "pattern": "^district-[0-9]+$"}}],
   responses={"200": json_ok(sref("SafetyIndex"), "The levels."), **api_errors(400, 401, 422)})

# --- admin
op("/api/audit", "get", tags=["admin"], operationId="getAuditLog", description="Every export (`…/items?f=geojson|csv|shapefile`), newest first: who, when, what. Needs an admin token.",
   parameters=[{**parameters["limit"], "description": "Entries per page."}, {**parameters["offset"], "description": "Entries to skip."}],
   responses={"200": json_ok(sref("AuditLog"), "A page of the log.", extra_headers={"Cache-Control": {"description": "`no-store`.", "schema": {"type": "string"}}}),
              **api_errors(400, 401, 403)})

# --- tiles
TILE_FILTERS = {
    "incidents": [pref("category"), pref("datetime"), pref("district")],
    "observations": [pref("kind"), pref("datetime"), pref("district")],
    "districts": [pref("level")],
}
TILE_NOTES = {
    "incidents": " Generalised for the public and planners (as the items), exact for police and admin. Below zoom 14, points are gathered into a 64 × 64 grid per tile with `count`; from zoom 14, one feature per incident with `category`, `occurred_at`, `precision`.",
    "observations": " Below zoom 14, grid clusters with `count`; from zoom 14, one feature per observation with `kind`, `rating`, `observed_at`.",
    "districts": " Polygons clipped to the tile (plus a buffer) with `id`, `name`, `level`, `population`.",
}
for c, filters in TILE_FILTERS.items():
    op(f"/tiles/{c}.json", "get", tags=["tiles"], operationId=f"get{c.capitalize()}TileJson", description=f"TileJSON 3.0.0 for the `{c}` vector tiles (valid by the official schema); the filters given are carried into the `tiles` URL template, with the data version as `v`.", parameters=list(filters) + [pref("tileVersion")],
       responses={"200": json_ok(sref("TileJSON"), "The TileJSON.", extra_headers={"Vary": ref("headers", "Vary")}), **api_errors(400, 401)})
    tile_headers = {"ETag": ref("headers", "ETag"), "Cache-Control": ref("headers", "CacheControl"), "Vary": ref("headers", "Vary")}
    op(f"/tiles/{c}/{{z}}/{{x}}/{{y}}.mvt", "get", tags=["tiles"], operationId=f"get{c.capitalize()}Tile", description="Mapbox Vector Tile 2.1 in the XYZ Web Mercator scheme (y from the north), extent 4096, one layer named `" + c + "`." + TILE_NOTES[c],
       parameters=[
           {"name": "z", "in": "path", "required": True, "description": "Zoom, 0–22.", "schema": {"type": "integer", "minimum": 0, "maximum": 22}, "example": 14},
           {"name": "x", "in": "path", "required": True, "description": "Column, 0 … 2^z − 1 (400 outside).", "schema": {"type": "integer", "minimum": 0, "maximum": 4194303}, "example": 8763},
           {"name": "y", "in": "path", "required": True, "description": "Row from the north, 0 … 2^z − 1 (400 outside).", "schema": {"type": "integer", "minimum": 0, "maximum": 4194303}, "example": 5126},
           *filters, pref("tileVersion"), pref("ifNoneMatch")],
       responses={
           "200": {"description": "The tile.", "headers": tile_headers,
                   "content": {"application/vnd.mapbox-vector-tile": {"schema": {"type": "string", "format": "binary"}}}},
           "204": {"description": "Nothing in this tile under the filters.", "headers": tile_headers},
           "304": {"description": "Not modified: `If-None-Match` matches the tile's `ETag`.", "headers": tile_headers},
           **api_errors(400, 401)})

# --- resident reports: Open311 GeoReport v2 (public; errors in Open311's form)
OPEN311_NOTE = (" Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2/): the same call answers JSON at `.json` and XML at `.xml` "
                "(the JSON's members as elements; a list as `<service_requests><request>…`, `<services><service>…`). No token is needed (an `Authorization` header is ignored; "
                "`api_key` and `jurisdiction_id` are taken and ignored on every call); "
                "errors are Open311's `[{\"code\", \"description\"}]` (schema `Open311Errors`; `<errors><error><code/><description/></error></errors>` in XML), not problem details. "
                "A method a route does not take gets 405 in that form, with `Allow`.")
API_KEY = {"name": "api_key", "in": "query", "required": False, "description": "Accepted and ignored: reading and reporting need no key.",
           "schema": {"type": "string"}}
JURISDICTION = {"name": "jurisdiction_id", "in": "query", "required": False, "description": "Accepted and ignored: one jurisdiction, Københavns Kommune.",
                "schema": {"type": "string"}}
REQUEST_ID_PATH = {"name": "id", "in": "path", "required": True, "description": "The `service_request_id`: a whole number without leading zeros (anything else: 404).",
                   "schema": {"type": "string", "pattern": "^[1-9][0-9]{0,17}$"}, "example": "1"}

SUFFIX = {"json": "", "xml": "Xml"}

def o311_ok(ext, schema, description):
    if ext == "json":
        return json_ok(schema, description)
    return {"description": description + " As XML.", "content": {"text/xml; charset=utf-8": {"schema": {"type": "string"}}}}

def o311_err(ext, name):
    return rref(name + SUFFIX[ext])

def open311_ops(ext):
    op(f"/open311/v2/services.{ext}", "get", tags=["open311"], operationId="getOpen311Services" + SUFFIX[ext], description="The 7 kinds of unsafe spot a resident can report, with Danish and English names and descriptions." + OPEN311_NOTE,
       parameters=[JURISDICTION, API_KEY,
                   {"name": "locale", "in": "query", "required": False, "description": "A value starting with `en` puts the English name and description in `service_name` and `description`; anything else (or none) the Danish.",
                    "schema": {"type": "string"}, "example": "en"}],
       responses={"200": o311_ok(ext, {"type": "array", "items": sref("Open311Service")}, "The services."), "400": o311_err(ext, "Open311BadRequest")})
    op(f"/open311/v2/requests.{ext}", "get", tags=["open311"], operationId="getOpen311Requests" + SUFFIX[ext], description="Published reports, newest first, at their generalised position (the centre of their H3 resolution-10 cell, ≤ 80 m away), with the scrubbed description and no contact. "
                   "Filters combine (all must match); a parameter given twice counts once, the last value. Unknown parameters: 400. "
                   "Without dates every published report is listed (up to `limit`), not only the last 90 days." + OPEN311_NOTE,
       parameters=[
           {"name": "status", "in": "query", "required": False, "description": "`open` or `closed` (Open311's status; one value: `open,closed` is a 400).",
            "schema": {"type": "string", "enum": ["open", "closed"]}},
           {"name": "service_code", "in": "query", "required": False, "style": "form", "explode": False, "description": "One or more service codes, comma-separated (any matches). Unknown codes: 400.",
            "schema": {"type": "array", "minItems": 1, "items": {"type": "string", "enum": SERVICE_CODES}}, "example": ["poor_lighting"]},
           {"name": "service_request_id", "in": "query", "required": False, "style": "form", "explode": False,
            "description": "One or more ids, comma-separated. Filters like the other parameters (it does not override them); a part that is not a whole number: 400.",
            "schema": {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 1, "maximum": 999999999999}}},
           {"name": "start_date", "in": "query", "required": False,
            "description": "Earliest `requested_datetime` included: RFC 3339 (`2026-11-01T00:00:00Z`; write a `+` offset as `%2B`), or a date `YYYY-MM-DD` meaning its midnight **UTC**. After `end_date`: 400.",
            "schema": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}]}},
           {"name": "end_date", "in": "query", "required": False,
            "description": "Latest `requested_datetime` included, as `start_date`. A date means its midnight UTC, so `end_date=2026-11-27` leaves out the reports of 27 November itself.",
            "schema": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}]}},
           {"name": "bbox", "in": "query", "required": False, "style": "form", "explode": False,
            "description": "`minlon,minlat,maxlon,maxlat` (WGS84) around the generalised positions, edges included; minlon ≤ maxlon and minlat ≤ maxlat, else 400.",
            "schema": parameters["bbox"]["schema"], "example": [12.54, 55.68, 12.57, 55.70]},
           {"name": "limit", "in": "query", "required": False, "description": "At most this many requests (1–10,000; an extension of Open311).",
            "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1000}},
           JURISDICTION, API_KEY],
       responses={"200": o311_ok(ext, {"type": "array", "items": sref("Open311Request")}, "The matching published requests (possibly none)."), "400": o311_err(ext, "Open311BadRequest")})
    FORM_BODY = sref("Open311NewRequestForm")
    op(f"/open311/v2/requests.{ext}", "post", tags=["open311"], operationId="createOpen311Request" + SUFFIX[ext], description="A resident's report. It is stored (durably) before the answer, but shown to the public only after the secretariat publishes it; "
                   "`follow_key` lets the reporter see it before that. Checks, in order: the body (≤ 32 KiB; 413), its type (415), each field (400 naming it; "
                   "`media_url` and `phone` are taken but not stored, and `service_notice` says so; unknown fields are refused; `address_string` alone is refused naming `lat`), then the rate limit (429 with `Retry-After`). "
                   "`possible_duplicates` lists published reports of the same service from the last 60 days shown in the same or a neighbouring public cell (H3 resolution 10), in their public form: a client may offer \"me too\" on one instead. "
                   "With an `Idempotency-Key` (header, or the `idempotency_key` field), a retried POST — after a lost answer, through any replica — returns the report the first one stored, with the same follow key and the header `Idempotent-Replayed: true`, instead of storing a second one; a key names one report for a day, and a later POST with it and a different report (type, place, text, contact, time of day) is refused with 422, so a guessed key discloses nothing." + OPEN311_NOTE,
       parameters=[{"name": "Idempotency-Key", "in": "header", "required": False,
                    "description": "A key the client makes for this report (16–255 visible ASCII characters; a UUID will do) and sends again with every retry of it.",
                    "schema": {"type": "string", "minLength": 16, "maxLength": 255, "pattern": "^[!-~]+$"}}],
       requestBody={"required": True, "content": {
           "application/x-www-form-urlencoded": {"schema": FORM_BODY,
                                                 "example": {"service_code": "poor_lighting", "lat": 55.6925, "long": 12.5535, "description": "Lampen ved porten er gået ud.", "attribute[time_of_day]": "night"}},
           "application/json": {"schema": sref("Open311NewRequestJson"),
                                "example": {"service_code": "dark_place", "lat": 55.692, "long": 12.554, "description": "Mørk gård uden lys.", "attribute": {"time_of_day": "evening"}}},
       }},
       responses={"201": o311_ok(ext, sref("Open311Created"), "Stored; the id, the follow key (shown once) and possible duplicates."),
                  "400": o311_err(ext, "Open311BadRequest"), "413": o311_err(ext, "Open311TooLarge"), "415": o311_err(ext, "Open311UnsupportedMediaType"),
                  "422": o311_err(ext, "Open311KeyReused"),
                  "429": o311_err(ext, "Open311TooManyRequests"), "500": o311_err(ext, "Open311Internal")})
    op(f"/open311/v2/requests/{{id}}.{ext}", "get", tags=["open311"], operationId="getOpen311Request" + SUFFIX[ext], description="One report as a one-element array (Open311's form), in the public view. An unpublished report is a 404 unless `key` is its follow key." + OPEN311_NOTE,
       parameters=[REQUEST_ID_PATH,
                   {"name": "key", "in": "query", "required": False, "description": "The reporter's `follow_key` (`<id>_<secret>` from the 201): shows the report before it is published. A wrong key is no error (published: shown; unpublished: 404).",
                    "schema": {"type": "string"}},
                   JURISDICTION, API_KEY],
       responses={"200": o311_ok(ext, {"type": "array", "minItems": 1, "maxItems": 1, "items": sref("Open311Request")}, "The report."),
                  "400": o311_err(ext, "Open311BadRequest"), "404": o311_err(ext, "Open311NotFound")})
    op(f"/open311/v2/requests/{{id}}/me_too.{ext}", "post", tags=["open311"], operationId="meTooOpen311Request" + SUFFIX[ext], description="A resident says the same about a published report; its `me_too` count goes up by one, once per client and report (a repeat answers `counted: false`). Takes no body. Counts towards the same rate limit as new reports." + OPEN311_NOTE,
       parameters=[REQUEST_ID_PATH],
       responses={"200": o311_ok(ext, sref("Open311MeToo"), "Counted; the new count."), "404": o311_err(ext, "Open311NotFound"),
                  "429": o311_err(ext, "Open311TooManyRequests"), "500": o311_err(ext, "Open311Internal")})


for ext in ("json", "xml"):
    open311_ops(ext)
    op(f"/open311/v2/services/{{service_code}}.{ext}", "get", tags=["open311"], operationId="getOpen311ServiceDefinition" + SUFFIX[ext], description="The attributes a report of this service may carry: `time_of_day` (a single-value list: `day`, `evening`, `night`), posted as `attribute[time_of_day]=night`. "
                   "`locale=en…` for English texts." + OPEN311_NOTE,
       parameters=[{"name": "service_code", "in": "path", "required": True, "description": "The service (unknown: 404).",
                    "schema": {"type": "string", "enum": SERVICE_CODES}, "example": "dark_place"},
                   JURISDICTION, API_KEY,
                   {"name": "locale", "in": "query", "required": False, "description": "`en…` for English texts.", "schema": {"type": "string"}}],
       responses={"200": o311_ok(ext, sref("Open311ServiceDefinition"), "The definition."), "400": o311_err(ext, "Open311BadRequest"),
                  "404": o311_err(ext, "Open311NotFound")})

# --- the secretariat's side: moderation queue, moderation, safety walks (planner, admin)
PLANNER_ONLY = " Needs a planner or admin token (401 without one, 403 for another role)."
REPORT_ID_PATH = {"name": "id", "in": "path", "required": True, "description": "The report's `service_request_id` (a whole number without leading zeros; anything else: 404).",
                  "schema": {"type": "string", "pattern": "^[1-9][0-9]{0,17}$"}, "example": "1"}
op("/api/reports", "get", tags=["reports"], operationId="getReportQueue", description="Every report, newest first, as the secretariat sees it: the original text, contact details, exact position, reason, and possible duplicates. "
               "`status=new` is the moderation queue." + PLANNER_ONLY,
   parameters=[{"name": "status", "in": "query", "required": False, "description": "Only reports with this (detailed) status.",
                "schema": {"type": "string", "enum": REPORT_STATUSES}, "example": "new"},
               {**parameters["limit"], "description": "Reports per page (1–10,000)."},
               {**parameters["offset"], "description": "Reports to skip."}],
   responses={"200": json_ok(sref("ReportQueue"), "A page of reports.", extra_headers={"Cache-Control": {"description": "`no-store`.", "schema": {"type": "string"}}}),
              **api_errors(400, 401, 403)})
op("/api/reports/{id}/moderation", "post", tags=["reports"], operationId="moderateReport", description="One moderation action on a report, recorded in its log with who, when and why. Answers the report as it now is. "
   "Send the report's `moderation_version`, as read, in `If-Match` (the web app does): when the report was moderated since, nothing is written and the answer is 412. "
   "Without it, the action is written only if the report is still as the moderator's replica held it when deciding: if another moderator (on any replica) changed it meanwhile, nothing is written and the answer is 409 — so a rejection is never undone by an action decided on the report as it was; reload the report and decide again." + PLANNER_ONLY,
   parameters=[REPORT_ID_PATH, {"name": "If-Match", "in": "header", "required": False, "description": "The report's `moderation_version` as the moderator read it (quoted or bare; `*` for any).",
                                "schema": {"type": "string", "maxLength": 70}, "example": "\"m0123456789abcdef\""}],
   requestBody={"required": True, "content": {"application/json": {"schema": sref("ModerationRequest"),
                                                                    "example": {"action": "set_status", "status": "in_progress", "status_note": "Vi har bestilt en ny lampe."}}}},
   responses={"200": json_ok(sref("ReportForPlanner"), "Done; the report."),
              **api_errors(400, 401, 403, 404, 409, 412), "413": rref("JsonBodyTooLarge")})
op("/api/reports/{id}/moderation", "get", tags=["reports"], operationId="getModerationLog", description="Every moderation action on the report, oldest first." + PLANNER_ONLY,
   parameters=[REPORT_ID_PATH],
   responses={"200": json_ok(sref("ModerationLog"), "The log."), **api_errors(401, 403, 404)})
op("/api/walks", "post", tags=["reports"], operationId="createWalk", description="Records a safety walk (tryghedsvandring): title, day, route, participants' roles (never names)." + PLANNER_ONLY,
   requestBody={"required": True, "content": {"application/json": {"schema": sref("NewWalk"),
                                                                    "example": {"title": "Tryghedsvandring Blågården", "date": "2026-11-20", "participants": ["resident", "police"]}}}},
   responses={"201": json_ok(sref("WalkCreated"), "Recorded; the walk with its id."), **api_errors(400, 401, 403), "413": rref("JsonBodyTooLarge")})
op("/api/walks", "get", tags=["reports"], operationId="getWalks", description="Every safety walk, newest date first, with its number of observations. Takes no parameters." + PLANNER_ONLY,
   responses={"200": json_ok(sref("Walks"), "The walks."), **api_errors(401, 403)})
op("/api/walks/{id}/observations", "post", tags=["reports"], operationId="addWalkObservation", description="One observation from the field; it is in the `observations` collection (source `walk-ID`) when this answers." + PLANNER_ONLY,
   parameters=[{"name": "id", "in": "path", "required": True, "description": "The walk's id (unknown or not a number: 404).", "schema": {"type": "integer"}, "example": 1}],
   requestBody={"required": True, "content": {"application/json": {"schema": sref("NewWalkObservation"),
                                                                    "example": {"kind": "lighting", "rating": 2, "note": "Mørk sti", "lon": 12.551, "lat": 55.6905}}}},
   responses={"201": json_ok(sref("ObservationFeature"), "Recorded; the observation as a GeoJSON Feature.", "application/geo+json"),
              **api_errors(400, 401, 403, 404), "413": rref("JsonBodyTooLarge")})

op("/api/walks/{id}/observations", "get", tags=["reports"], operationId="getWalkObservations", description="The observations recorded on one walk, in time order, as GeoJSON." + PLANNER_ONLY,
   parameters=[{"name": "id", "in": "path", "required": True, "description": "The walk's id (unknown or not a number: 404).", "schema": {"type": "integer"}, "example": 1}],
   responses={"200": {"description": "The walk's observations.", "content": {"application/geo+json": {"schema": {"type": "object", "required": ["type", "walk", "features"],
              "properties": {"type": {"const": "FeatureCollection"}, "walk": {"type": "integer"}, "features": {"type": "array", "items": sref("ObservationFeature")}}}}}},
              **api_errors(401, 403, 404)})
op("/api/walks/{id}/compare", "get", tags=["reports"], operationId="compareWalks", description="Each observation of walk `id` beside the nearest observation of the same kind within 50 m on walk `with`, with the change in rating (later − earlier), and a summary of better / worse / same / unmatched." + PLANNER_ONLY,
   parameters=[{"name": "id", "in": "path", "required": True, "description": "The earlier walk.", "schema": {"type": "integer"}, "example": 1},
               {"name": "with", "in": "query", "required": True, "description": "The later walk.", "schema": {"type": "integer"}, "example": 2}],
   responses={"200": json_ok({"type": "object", "required": ["walk", "with", "rule", "summary", "pairs"], "properties": {
                  "walk": {"type": "integer"}, "with": {"type": "integer"}, "rule": {"type": "string"},
                  "summary": {"type": "object", "properties": {k: {"type": "integer", "minimum": 0} for k in ["pairs", "better", "worse", "same", "unmatched"]}},
                  "pairs": {"type": "array", "items": {"type": "object", "properties": {
                      "kind": {"type": "string"}, "before": {"type": "object"}, "after": {"type": ["object", "null"]},
                      "distance_m": {"type": ["number", "null"]}, "change": {"type": ["integer", "null"]}}}}}}, "The comparison."),
              **api_errors(400, 401, 403, 404)})

INITIATIVE_ID = [{"name": "id", "in": "path", "required": True, "description": "The initiative's id (unknown, or unpublished for the public: 404).", "schema": {"type": "integer"}, "example": 1}]
INITIATIVE_FEATURE = {"type": "object", "required": ["type", "geometry", "properties"], "properties": {
    "type": {"const": "Feature"}, "id": {"type": "integer"},
    "geometry": {"type": "object", "description": "GeoJSON Point, LineString or Polygon, WGS84 lon/lat"},
    "properties": {"type": "object", "required": ["title", "kind", "start_date"], "properties": {
        "title": {"type": "string", "maxLength": 200}, "description": {"type": ["string", "null"]},
        "kind": {"type": "string", "enum": ["lighting", "public_space", "youth_activity", "safety_walk", "outreach", "other"]},
        "start_date": {"type": "string", "format": "date"}, "end_date": {"type": ["string", "null"], "format": "date"},
        "budget_dkk": {"type": ["number", "null"], "minimum": 0}, "pool": {"type": ["string", "null"]}, "owner": {"type": ["string", "null"]},
        "status": {"type": "string", "enum": ["planned", "running", "done"]}, "challenge": {"type": ["integer", "null"], "minimum": 1, "maximum": 3},
        "goals": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 9}}, "published": {"type": "boolean"}}}}}
op("/api/initiatives", "post", tags=["planning"], operationId="createInitiative", description="A GeoJSON Feature whose properties are the initiative's fields; answers with the stored feature and its id." + PLANNER_ONLY,
   requestBody={"required": True, "content": {"application/json": {"schema": INITIATIVE_FEATURE}}},
   responses={"201": json_ok(INITIATIVE_FEATURE, "Stored.", "application/geo+json"), **api_errors(400, 401, 403)})
op("/api/initiatives", "get", tags=["planning"], operationId="getInitiatives", description="Published initiatives as GeoJSON (every one for planners and admins).",
   responses={"200": json_ok({"type": "object", "required": ["type", "features"], "properties": {"type": {"const": "FeatureCollection"}, "numberReturned": {"type": "integer"}, "features": {"type": "array", "items": INITIATIVE_FEATURE}}}, "The initiatives.", "application/geo+json"), **api_errors(400, 401)})
op("/api/initiatives/{id}", "get", tags=["planning"], operationId="getInitiative", parameters=INITIATIVE_ID,
   responses={"200": json_ok(INITIATIVE_FEATURE, "The initiative.", "application/geo+json"), **api_errors(401, 404)})
op("/api/initiatives/{id}/evaluation", "get", tags=["planning"], operationId="evaluateInitiative", description="Incidents inside the initiative's area plus `buffer_m`, in equal windows of `months` before and after its start, against a control area (default: the safety district it lies in): a difference-in-differences rate ratio (`rate_ratio`, `ci_low`, `ci_high`, 95 %, Woolf), a displacement ring (buffer to buffer + 200 m), and flags for small numbers. Planners get exact counts; the public gets the generalised view with small counts suppressed.",
   parameters=INITIATIVE_ID + [
       {"name": "category", "in": "query", "schema": {"type": "string"}, "description": "Incident categories, comma-separated (default all)."},
       {"name": "months", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 60, "default": 12}},
       {"name": "buffer_m", "in": "query", "schema": {"type": "number", "minimum": 0, "maximum": 2000, "default": 100}},
       {"name": "control", "in": "query", "schema": {"type": "string"}, "description": "A district id for the control area (default: the safety district the initiative lies in)."}],
   responses={"200": json_ok({"type": "object", "required": ["rate_ratio", "ci_low", "ci_high", "counts", "method"], "properties": {
                  "rate_ratio": {"type": ["number", "null"], "description": "null in the public view when a count it is made from is withheld (it would reveal it)"},
                  "ci_low": {"type": ["number", "null"]}, "ci_high": {"type": ["number", "null"]},
                  "counts": {"type": "object"}, "method": {"type": "string"}, "displacement": {"type": "object"},
                  "monthly": {"type": "array", "description": "Months of 30.44 days counted back and forth from the start (none straddles it); in the public view a series with a withheld month is withheld whole.",
                              "items": {"type": "object", "properties": {"from": {"type": "string", "format": "date-time"}, "to": {"type": "string", "format": "date-time"}, "after": {"type": "boolean"}, "area": {"type": ["integer", "null"]}, "control": {"type": ["integer", "null"]}}}},
                  "observations": {"type": "object", "description": "safety-walk ratings within the buffer: n and mean before and after"},
                  "reports": {"type": ["object", "null"], "description": "resident reports within the buffer before and after (planners; null for others)"}}}, "The evaluation."),
              **api_errors(400, 401, 404, 422)})

op("/api/initiatives/{id}", "put", tags=["planning"], operationId="updateInitiative", description="Replaces the initiative with the Feature given (the same fields and checks as `POST /api/initiatives`)." + PLANNER_ONLY,
   parameters=INITIATIVE_ID,
   requestBody={"required": True, "content": {"application/json": {"schema": INITIATIVE_FEATURE}}},
   responses={"200": json_ok(INITIATIVE_FEATURE, "Stored.", "application/geo+json"), **api_errors(400, 401, 403, 404)})
op("/api/initiatives/{id}", "delete", tags=["planning"], operationId="deleteInitiative", description="Removes the initiative." + PLANNER_ONLY,
   parameters=INITIATIVE_ID,
   responses={"204": {"description": "Deleted."}, **api_errors(401, 403, 404)})

GOAL_ID = [{"name": "id", "in": "path", "required": True, "description": "The goal's id: its number in the programme, with a letter where it has several indicators (1, 1b, 2, 3, 4, 5a, 5b, 6a, 6b, 7, 8, 9a, 9b, 9c).", "schema": {"type": "string"}, "example": "3"}]
GOAL = {"type": "object", "required": ["id", "number", "challenge", "title_da", "title_en", "direction", "owner", "measure", "values", "status"], "properties": {
    "id": {"type": "string"}, "number": {"type": "integer", "minimum": 1, "maximum": 9}, "challenge": {"type": "integer", "minimum": 1, "maximum": 3},
    "title_da": {"type": "string"}, "title_en": {"type": "string"}, "unit_da": {"type": "string"}, "unit_en": {"type": "string"},
    "direction": {"type": "string", "enum": ["down", "up"]}, "target": {"type": ["number", "null"]},
    "baseline": {"type": ["object", "null"], "properties": {"period": {"type": "string"}, "value": {"type": "number"}}},
    "owner": {"type": "string"}, "measure": {"type": "string", "enum": ["safety_index", "weapons_incidents", "entered"]}, "how": {"type": "string"},
    "values": {"type": "array", "items": {"type": "object", "required": ["period"], "properties": {
        "period": {"type": "string", "pattern": "^[0-9]{4}(-H[12])?$"}, "value": {"type": ["number", "null"], "description": "null: a small count withheld from the public"},
        "partial": {"type": "boolean", "description": "the data do not cover the whole period; left out of the status"},
        "detail": {"type": "object"}, "note": {"type": "string"}, "source": {"type": "string"}}}},
    "status": {"type": "string", "enum": ["on_track", "off_track", "no_data"]},
    "status_reason_en": {"type": "string"}, "status_reason_da": {"type": "string"},
    "reference": {"type": ["object", "null"]}, "latest": {"type": ["object", "null"]},
    "initiatives": {"type": "array", "items": {"type": "integer"}}}}
GOALS_META = {"status_rule_en": {"type": "string"}, "status_rule_da": {"type": "string"}, "privacy": {"type": "object"},
              "data_version": {"type": "string"}, "synthetic": {"type": "boolean"}, "notice": {"type": "string"}}
MEASUREMENT = {"type": "object", "required": ["period", "value"], "additionalProperties": False, "properties": {
    "period": {"type": "string", "pattern": "^[0-9]{4}(-H[12])?$", "example": "2012"}, "value": {"type": "number", "example": 38.5},
    "note": {"type": "string", "maxLength": 500}, "source": {"type": "string", "maxLength": 500}}}
op("/api/goals", "get", tags=["planning"], operationId="getGoals", description="The effect goals of the framework programme (shipped as the default set), each with indicator, unit, direction, target, baseline, owner and how it is measured; "
               "goal 1 (safety-index level) and goal 2 (weapons-law incidents in district 8) are counted per calendar year from the incidents, the others are entered by their owners. "
               "Each has a status (on_track, off_track, no_data) by the rule stated in `status_rule_en`.",
   responses={"200": json_ok({"type": "object", "required": ["goals", "status_rule_en"], "properties": {"goals": {"type": "array", "items": GOAL}, **GOALS_META}}, "The goals."), **api_errors(400, 401)})
op("/api/goals/{id}", "get", tags=["planning"], operationId="getGoal", parameters=GOAL_ID,
   responses={"200": json_ok({"type": "object", "required": ["goal"], "properties": {"goal": GOAL, **GOALS_META}}, "The goal."), **api_errors(400, 401, 404)})
op("/api/goals/{id}", "put", tags=["planning"], operationId="setGoal", description="Every field is set; `null` clears it (the shipped target and owner apply again)." + PLANNER_ONLY,
   parameters=GOAL_ID,
   requestBody={"required": True, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": False, "properties": {
       "baseline": {"type": ["object", "null"], "required": ["period", "value"], "properties": {"period": {"type": "string"}, "value": {"type": "number"}}},
       "target": {"type": ["number", "null"]}, "owner": {"type": ["string", "null"], "maxLength": 500}}}}}},
   responses={"200": json_ok(GOAL, "The goal as it is now."), **api_errors(400, 401, 403, 404)})
op("/api/goals/{id}/measurements", "post", tags=["planning"], operationId="addMeasurements", description="One measurement, a list, or CSV with the header `period,value[,note][,source]` (`Content-Type: text/csv`; a decimal comma is accepted). "
               "All or nothing: any bad row refuses the whole request, naming the row. A period already measured is replaced (that is how a figure is corrected). "
               "Counted goals (1, 2) take no measurements (422)." + PLANNER_ONLY,
   parameters=GOAL_ID,
   requestBody={"required": True, "content": {"application/json": {"schema": {"oneOf": [MEASUREMENT, {"type": "array", "items": MEASUREMENT, "maxItems": 500}]}},
                                              "text/csv": {"schema": {"type": "string"}, "example": "period,value,note\n2011,42.5,survey\n2012,38,\n"}}},
   responses={"201": json_ok({"type": "object", "properties": {"goal": {"type": "string"}, "stored": {"type": "integer"}}}, "Stored."), **api_errors(400, 401, 403, 404, 422)})
op("/api/goals/{id}/measurements/{period}", "delete", tags=["planning"], operationId="deleteMeasurement", description="Removes goal `id`'s value for `period`." + PLANNER_ONLY,
   parameters=GOAL_ID + [{"name": "period", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[0-9]{4}(-H[12])?$"}, "example": "2012"}],
   responses={"204": {"description": "Deleted."}, **api_errors(400, 401, 403, 404)})
op("/api/where-to-act", "get", tags=["planning"], operationId="whereToAct", description="The cells of a district ranked as places for new public-space initiatives: 0.5 × the evening/night hot spot (Gi* of incidents 18:00–06:00), "
               "0.25 × poor safety-walk ratings (newest rating per kind), 0.25 × resident reports; each with the reasons it ranks high and the initiatives already within 100 m. "
               "Counts unpublished reports, so planners only." + PLANNER_ONLY,
   parameters=[{"name": "district", "in": "query", "schema": {"type": "string", "default": "district-8"}, "description": "A district id."},
               {"name": "resolution", "in": "query", "schema": {"type": "integer", "minimum": 8, "maximum": 11, "default": 10}, "description": "H3 resolution."},
               {"name": "months", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 120, "default": 24}, "description": "Window: incidents in the last `months` of the data, reports in the last `months` up to now."},
               {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 20}}],
   responses={"200": json_ok({"type": "object", "required": ["type", "features", "method"], "properties": {
                  "type": {"const": "FeatureCollection"}, "numberMatched": {"type": "integer"}, "numberReturned": {"type": "integer"},
                  "method": {"type": "string"}, "features": {"type": "array", "items": {"type": "object", "properties": {
                      "geometry": {"type": "object"}, "properties": {"type": "object", "required": ["rank", "cell", "score", "reasons_en", "reasons_da"], "properties": {
                          "rank": {"type": "integer"}, "cell": {"type": "string"}, "score": {"type": "number", "minimum": 0, "maximum": 1},
                          "evening_night_incidents": {"type": "integer"}, "gi_z": {"type": "number"}, "gi_hot_spot": {"type": "boolean"},
                          "poor_observations": {"type": "array"}, "reports": {"type": "integer"}, "me_too": {"type": "integer"},
                          "report_services": {"type": "array"}, "initiatives": {"type": "array", "items": {"type": "integer"}},
                          "reasons_en": {"type": "array", "items": {"type": "string"}}, "reasons_da": {"type": "array", "items": {"type": "string"}}}}}}}}},
                  "The ranked places.", "application/geo+json"), **api_errors(400, 401, 403, 422)})
op("/api/status-report", "get", tags=["planning"], operationId="getStatusReport", description="A self-contained, printable HTML page for the May (whole year) or November (first half) status: key figures, a map of district 8 with hot spots and initiatives, "
               "incidents by category and month against the year before, the safety-index table, each effect goal's status and trend, each initiative with budget and evaluation, "
               "resident reports handled, and the data's provenance and synthetic-data notice. Planners get exact figures and every initiative; the public gets the generalised, "
               "suppressed view with published initiatives. `hotspot report` writes the same page to a file.",
   parameters=[{"name": "year", "in": "query", "schema": {"type": "integer", "minimum": 1990, "maximum": 2100}, "description": "Calendar year (default: the newest whole year of the data)."},
               {"name": "period", "in": "query", "schema": {"type": "string", "enum": ["full", "h1"], "default": "full"}, "description": "The whole year or its first half."},
               {"name": "lang", "in": "query", "schema": {"type": "string", "enum": ["da", "en"], "default": "da"}, "description": "Language."}],
   responses={"200": {"description": "The report.", "content": {"text/html": {"schema": {"type": "string"}}}}, **api_errors(400, 401, 422)})

op("/api/collections/initiatives/items", "get", tags=["features"], operationId="getInitiativeItems", description="The initiatives as an OGC API – Features items page: the same features as `GET /api/initiatives` (the public sees published ones), paged, with `self`/`next`/`prev` links. "
               "`bbox` selects initiatives whose geometry's extent meets the box; `datetime` those running at some time in it (from the start of `start_date` to the end of `end_date`, open-ended without one, UTC days).",
   parameters=[pref("bbox"), pref("datetime"), pref("limit"), pref("offset"),
               {"name": "f", "in": "query", "required": False, "description": "Both mean GeoJSON.", "schema": {"type": "string", "enum": ["json", "geojson"], "default": "json"}}],
   responses={"200": json_ok({"type": "object", "required": ["type", "features", "links"], "properties": {"type": {"const": "FeatureCollection"}, "numberMatched": {"type": "integer"}, "numberReturned": {"type": "integer"}, "links": sref("Links"), "features": {"type": "array", "items": INITIATIVE_FEATURE}}}, "The initiatives.", "application/geo+json"), **api_errors(400, 401)})
op("/api/collections/initiatives/items/{id}", "get", tags=["features"], operationId="getInitiativeItem", description="One initiative with `self` and `collection` links.",
   parameters=INITIATIVE_ID + [{"name": "f", "in": "query", "required": False, "description": "Both mean GeoJSON.", "schema": {"type": "string", "enum": ["json", "geojson"], "default": "json"}}],
   responses={"200": json_ok(INITIATIVE_FEATURE, "The initiative.", "application/geo+json"), **api_errors(400, 401, 404)})

op("/api/collections/reports/items", "get", tags=["features"], operationId="getReports", description="Resident reports as a GeoJSON FeatureCollection, newest first, with the Open311 request fields as properties. "
               "The public gets published reports in the public view (generalised position, scrubbed text); planner and admin tokens get every report "
               "in the secretariat's view (`ReportForPlanner`) at the exact spot. `bbox` and `datetime` filter on what the caller sees: for the public the generalised position and the hour. "
               "Paged with `self`/`next`/`prev` links; each report is also at `items/{id}`.",
   parameters=[{**parameters["limit"], "description": "Features per page (1–10,000)."},
               {**parameters["offset"], "description": "Features to skip."},
               pref("bbox"), pref("datetime"),
               {"name": "service_code", "in": "query", "required": False, "style": "form", "explode": False,
                "description": "One or more service codes, comma-separated (any matches); codes that are no service match nothing (no error).",
                "schema": {"type": "array", "minItems": 1, "items": {"type": "string", "enum": SERVICE_CODES}}},
               {"name": "f", "in": "query", "required": False, "description": "Both mean GeoJSON.", "schema": {"type": "string", "enum": ["json", "geojson"], "default": "json"}}],
   responses={"200": json_ok(sref("ReportCollection"), "The reports.", "application/geo+json"), **api_errors(400, 401)})
op("/api/collections/reports/items/{id}", "get", tags=["features"], operationId="getReport", description="One report as a GeoJSON Feature with `self` and `collection` links: for the public only a published one, in its public form; for planner and admin tokens any, in the secretariat's view.",
   parameters=[REPORT_ID_PATH, {"name": "f", "in": "query", "required": False, "description": "Both mean GeoJSON.", "schema": {"type": "string", "enum": ["json", "geojson"], "default": "json"}}],
   responses={"200": json_ok(sref("ReportFeature"), "The report.", "application/geo+json"), **api_errors(400, 401, 404)})

# --- web
op("/", "get", tags=["web"], operationId="getWebApp", description="The MapLibre web app (HTML). Its scripts, styles and the vendored MapLibre GL JS are served beside it.",
   parameters=[pref("ifNoneMatch")],
   responses={"200": {"description": "The page.", "headers": {"ETag": ref("headers", "ETag"), "Cache-Control": ref("headers", "CacheControl")},
                      "content": {"text/html; charset=utf-8": {"schema": {"type": "string"}}}},
              "304": {"description": "Not modified.", "headers": {"ETag": ref("headers", "ETag")}}})
op("/api/docs", "get", tags=["web"], operationId="getApiDocs", description="An HTML page that renders `/api/openapi.json`.",
   responses={"200": {"description": "The page.", "content": {"text/html; charset=utf-8": {"schema": {"type": "string"}}}}})
op("/config.json", "get", tags=["web"], operationId="getWebConfig", description="Basemap tile URL and attributions for the web map.",
   responses={"200": json_ok(sref("WebConfig"), "The settings.")})
op("/basemap/{layer}.geojson", "get", tags=["web"], operationId="getBasemapLayer", description="The offline basemap's layers: Københavns Kommune's city blocks and parks (CC BY 4.0), OpenStreetMap streets of Nørrebro with `lit` tags (ODbL).",
   parameters=[{"name": "layer", "in": "path", "required": True, "description": "The layer.", "schema": {"type": "string", "enum": ["blocks", "parks", "streets"]}, "example": "streets"},
               pref("ifNoneMatch")],
   responses={"200": {"description": "The layer, GeoJSON.", "headers": {"ETag": ref("headers", "ETag"), "Cache-Control": ref("headers", "CacheControl")},
                      "content": {"application/geo+json": {"schema": {"type": "object", "required": ["type", "features"],
                                                                      "properties": {"type": {"const": "FeatureCollection"}}}}}},
              "304": {"description": "Not modified.", "headers": {"ETag": ref("headers", "ETag")}},
              "404": {"description": "No such layer (an empty answer)."}})

# ---------------------------------------------------------------- document

doc = {
    "openapi": "3.1.0",
    "info": {
        "title": "hotspot",
        "version": "0.1.0",
        "summary": "Safety mapping for Copenhagen's Hotspot programme on Indre Nørrebro (district 8).",
        "description": (
            "District boundaries, police-recorded incidents and safety-walk observations as OGC API – Features GeoJSON, "
            "resident reports of unsafe spots (Open311 GeoReport v2) with their moderation, "
            "vector tiles, H3 hex aggregates, hot-spot statistics and programme summaries.\n\n"
            "**Conventions.** Coordinates are WGS84 longitude/latitude in degrees (EPSG:4326 in RFC 7946 axis order, i.e. OGC CRS84), "
            "7 decimals; `bbox` is `minlon,minlat,maxlon,maxlat`. Times in answers are RFC 3339 in UTC (`Z`); a date in a parameter is a "
            "Copenhagen calendar day. Distances and sizes are metres, areas km².\n\n"
            "**Parameters.** The service rejects unknown query parameters with 400: every endpoint that takes parameters (items, features, "
            "analysis, summaries, tiles, the audit log) refuses a parameter it does not know (so a typo never silently returns unfiltered data) or a repeated one, "
            "naming it in `field`, as it does malformed or out-of-range values. Lists (`bbox`, `category`, `kind`, several `district`s) are comma-separated.\n\n"
            "**Errors** are RFC 9457 problem details (`application/problem+json`, schema `Problem`) with `type`, `title`, `status`, `detail` "
            "and, for a bad parameter, `field` — except under `/open311/v2/`, which answers Open311's own form, a JSON array "
            "`[{\"code\": 400, \"description\": \"field: …\"}]` (schema `Open311Errors`).\n\n"
            "**Methods.** Every reading route answers GET and HEAD (HEAD: the same answer without its body); other methods get 405 with an `Allow` header, "
            "or 401 first where the method would need a token. Under `/open311/v2/` a method a route does not take gets 404 in Open311's form.\n\n"
            "**Roles.** No `Authorization` header = the public. A token `Authorization: Bearer hs_<id>_<secret>` (made with "
            "`hotspot token create --role planner|police|admin`) names a role. A malformed, unknown or revoked token gets 401 on every `/api` and `/tiles` route; "
            "a valid token of the wrong role 403. Incidents (items, single features, tiles, exports) are generalised for the public and planners "
            "(moved to the centre of their H3 resolution-10 cell, time floored to the hour, `source_id` empty, `precision` `approximate`) and exact for "
            "police and admin; aggregates (analysis, summaries) are exact for planners too, and suppress counts of 1–2 for the public. "
            "Exports of incidents need police or admin; imports need police or admin; the audit log needs admin; "
            "the report moderation queue, moderation and safety walks need planner or admin. The Open311 endpoints need no token. "
            "A server that has not reached its store for more than 3 s (a replica whose database is gone) cannot know whether a token was revoked meanwhile: "
            "it answers every request with a token 503 (`/api/problems/store-unreachable`, `Retry-After`) until it has caught up, and its health says `stale`.\n\n"
            "**Synthetic data.** While the demo data are loaded, answers say so (`synthetic`, `notice`): no incident or observation in them is real.\n\n"
            "Responses are gzip-compressed when asked (`Accept-Encoding`)."
        ),
        "license": {"name": "Data: © Københavns Kommune (CC BY 4.0); © OpenStreetMap contributors (ODbL 1.0)"},
    },
    "servers": [{"url": "/"}],
    "tags": [
        {"name": "features", "description": "OGC API – Features: landing page, conformance, collections, items, exports, health."},
        {"name": "tiles", "description": "TileJSON and Mapbox Vector Tiles."},
        {"name": "analysis", "description": "H3 hex counts, kernel density, Getis-Ord Gi* hot spots, emerging hot spots."},
        {"name": "summaries", "description": "District summaries and safety-index levels."},
        {"name": "admin", "description": "Imports (police, admin) and the export audit log (admin)."},
        {"name": "open311", "description": "Resident reports of unsafe spots, Open311 GeoReport v2 (public; errors in Open311's form)."},
        {"name": "reports", "description": "The secretariat's side of resident reports (moderation) and safety walks (planner, admin)."},
        {"name": "web", "description": "The web map and its files."},
    ],
    "security": OPTIONAL_AUTH,
    "paths": paths,
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "hs_<id>_<secret>",
                                       "description": "An API token from `hotspot token create`, e.g. `Authorization: Bearer hs_12_<64 hex digits>`."}},
        "schemas": schemas,
        "parameters": parameters,
        "responses": responses,
        "headers": headers,
    },
}

missing = sorted(k for k in TABLE if k[0] not in paths.get(k[1], {}))
if missing:
    sys.exit("the route table has operations this script does not describe: " + ", ".join(f"{m.upper()} {p}" for m, p in missing))

with open(OUT, "w", encoding="utf-8") as f:
    json.dump(doc, f, ensure_ascii=False, indent=2)
    f.write("\n")
print(f"wrote {OUT}: {len(paths)} paths, {sum(len(v) for v in paths.values())} operations")
