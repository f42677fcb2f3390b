#!/usr/bin/env python3
"""Fuzzes hotspot's public HTTP API with schemathesis against its OpenAPI document.

Runs `st run` against a live server on the public GET endpoints of `src/api/openapi.json` (or
of a server's `/api/openapi.json`), the Open311 GETs (`services.json`, `requests.json`,
`requests/{id}.json`) and the reports collection among them. Left out: the web app's routes (tag
`web`), everything that needs a token (`/api/audit`, imports, the moderation queue and safety
walks), the token-only exports of incidents, and every write: the Open311 POSTs (a new report,
"me too") would create data and run into the per-client rate limit (429 for 10 minutes). Checks:
no 5xx, and status codes, content types, headers and bodies as the document says (Open311's
errors in their own form, `Open311Errors`). Deterministic (fixed seed), bounded
(`--max-examples` per operation), exit status non-zero on any failure.

    python3 -m venv /tmp/venv-st && /tmp/venv-st/bin/pip install -r tests/python/requirements.txt
    hotspot serve --listen 127.0.0.1:18099 --data-dir /tmp/hs-fuzz &
    /tmp/venv-st/bin/python tests/python/fuzz_api.py --url http://127.0.0.1:18099

Arguments after `--` go to `st run` unchanged.
"""

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCHEMA = os.path.normpath(os.path.join(HERE, "..", "..", "src", "api", "openapi.json"))

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
]

# Exports of these collections need a police or admin token: fuzz their paged answer only.
TOKEN_EXPORTS = {"/api/collections/incidents/items"}

# Public GETs that must be fuzzed: a change to the document that drops one (a tag, a security
# requirement) fails the run instead of silently fuzzing less.
MUST_FUZZ = {
    "GET /open311/v2/services.json",
    "GET /open311/v2/requests.json",
    "GET /open311/v2/requests/{id}.json",
    "GET /api/collections/reports/items",
}


def load(location):
    if re.match(r"^https?://", location):
        with urllib.request.urlopen(location, timeout=30) as r:
            return json.load(r)
    with open(location, encoding="utf-8") as f:
        return json.load(f)


def is_public(doc, operation):
    security = operation.get("security", doc.get("security", []))
    return security == [] or {} in security


def public_subset(doc, skip):
    """The public GET operations of `doc`, without the web app and token-only exports."""
    out = copy.deepcopy(doc)
    kept, dropped = [], []
    for path in list(out["paths"]):
        item = out["paths"][path]
        for method in [m for m in list(item) if m in ("get", "put", "post", "delete", "patch", "head", "options", "trace")]:
            operation = item[method]
            reason = None
            if method != "get":
                # Writes: imports need a token; Open311 POSTs create reports and are rate limited.
                reason = "a write"
            elif "web" in operation.get("tags", []):
                reason = "web app"
            elif not is_public(doc, operation):
                reason = "needs a token"
            elif any(re.search(s, path) for s in skip):
                reason = "--skip"
            if reason:
                del item[method]
                dropped.append(f"{method.upper()} {path} ({reason})")
                continue
            if path in TOKEN_EXPORTS:
                params = []
                for p in operation.get("parameters", []):
                    if p.get("$ref") == "#/components/parameters/crs":
                        continue  # only with f=shapefile, an export
                    if p.get("name") == "f" and p.get("in") == "query":
                        p = copy.deepcopy(p)
                        p["schema"] = {"type": "string", "enum": ["json"], "default": "json"}
                    params.append(p)
                operation["parameters"] = params
            kept.append(f"GET {path}")
        if not any(m in item for m in ("get", "put", "post", "delete", "patch", "head", "options", "trace")):
            del out["paths"][path]
    return out, kept, dropped


def wait_for(url, seconds):
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url.rstrip("/") + "/api/health", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            sys.exit(f"fuzz_api: no answer from {url}/api/health within {seconds} s")
        time.sleep(0.5)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default=os.environ.get("HOTSPOT_URL", "http://127.0.0.1:8080"), help="the live server (default %(default)s)")
    ap.add_argument("--schema", default=DEFAULT_SCHEMA, help="OpenAPI document: a file or a URL such as http://…/api/openapi.json (default: src/api/openapi.json)")
    ap.add_argument("--max-examples", type=int, default=75, help="test cases per operation and phase (default %(default)s: about 40 s on 2 cores)")
    ap.add_argument("--seed", type=int, default=20110301, help="random seed (default %(default)s)")
    ap.add_argument("--workers", default="2", help="concurrent schemathesis workers (default %(default)s)")
    ap.add_argument("--skip", action="append", default=[], metavar="REGEX", help="leave out paths matching REGEX (repeatable), e.g. '^/tiles/' against a server without tiles")
    ap.add_argument("--timeout", type=float, default=180, help="give up (exit status 124) after this many seconds (default %(default)s)")
    ap.add_argument("--st", default=None, help="the schemathesis executable (default: `st` beside this Python, else on PATH)")
    ap.add_argument("--report-dir", default=None, help="also write a JUnit report there")
    ap.add_argument("st_args", nargs="*", help="after --: more `st run` arguments")
    args = ap.parse_args()

    st = args.st or os.path.join(os.path.dirname(sys.executable), "st")
    if not os.path.exists(st):
        st = shutil.which("st")
    if not st:
        sys.exit("fuzz_api: schemathesis not found; pip install -r tests/python/requirements.txt")

    wait_for(args.url, 30)
    doc, kept, dropped = public_subset(load(args.schema), args.skip)
    print(f"fuzz_api: {len(kept)} operations fuzzed; left out: {', '.join(dropped) or 'none'}", flush=True)
    if args.schema == DEFAULT_SCHEMA and not args.skip and MUST_FUZZ - set(kept):
        sys.exit(f"fuzz_api: the document no longer offers these for fuzzing: {', '.join(sorted(MUST_FUZZ - set(kept)))}")

    with tempfile.TemporaryDirectory(prefix="hotspot-fuzz-") as tmp:
        schema_path = os.path.join(tmp, "openapi-public.json")
        with open(schema_path, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)
        cmd = [
            st, "run", schema_path,
            "--url", args.url,
            "--checks", ",".join(CHECKS),
            "--phases", "examples,coverage,fuzzing",
            "--max-examples", str(args.max_examples),
            "--seed", str(args.seed),
            "--workers", str(args.workers),
            "--request-timeout", "60",
            "--generation-database", "none",
            "--suppress-health-check", "too_slow,filter_too_much",
            "--no-color",
        ]
        if args.report_dir:
            cmd += ["--report", "junit", "--report-dir", os.path.abspath(args.report_dir)]
        cmd += args.st_args
        print("fuzz_api: " + " ".join(cmd), flush=True)
        started = time.monotonic()
        # In the temporary directory, so schemathesis's cache (.schemathesis/) stays out of the checkout.
        try:
            rc = subprocess.call(cmd, cwd=tmp, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            print(f"fuzz_api: schemathesis did not finish within {args.timeout:.0f} s; lower --max-examples", flush=True)
            return 124
        print(f"fuzz_api: schemathesis exit status {rc} after {time.monotonic() - started:.0f} s", flush=True)
        return rc


if __name__ == "__main__":
    sys.exit(main())
