#!/usr/bin/env python3
"""Times PySAL esda's analytic Gi* on the same inputs as hotspot's `gistar_k1` benchmark and
prints both side by side with the ratio.

Inputs: target/gistar-bench/cells_N.json, written by `cargo bench --bench analysis` (H3 disks of
10,267 and 101,017 cells around Blågårds Plads with seeded counts). esda: `G_Local(y, w,
transform='B', star=True, permutations=0)` with binary weights from h3 grid_distance <= 1; the
weights are built outside the timing, as in the Rust `z_p_fdr` benchmark. The Rust figures are
read from criterion's estimates (median). Needs: pip install -r tests/fixtures/requirements.txt

Run: cargo bench --bench analysis -- gistar_k1 && python3 benches/gistar_vs_esda.py
"""
import json
import pathlib
import statistics
import time

import h3
import libpysal
import numpy as np
from esda.getisord import G_Local

root = pathlib.Path(__file__).resolve().parent.parent
bench = root / "target" / "gistar-bench"
crit = root / "target" / "criterion" / "gistar_k1" / "z_p_fdr"

for f in sorted(bench.glob("cells_*.json"), key=lambda p: int(p.stem.split("_")[1])):
    d = json.loads(f.read_text())
    cells, y = d["cells"], np.array(d["counts"], dtype=float)
    pos = {c: i for i, c in enumerate(cells)}
    neighbours = {i: [pos[n] for n in h3.grid_disk(c, 1) if n in pos and n != c] for i, c in enumerate(cells)}
    w = libpysal.weights.W(neighbours, silence_warnings=True)
    runs = []
    for _ in range(3 if len(cells) > 50_000 else 7):
        t0 = time.perf_counter()
        G_Local(y, w, transform="B", star=True, permutations=0)
        runs.append(time.perf_counter() - t0)
    esda_s = statistics.median(runs)
    est = crit / str(len(cells)) / "new" / "estimates.json"
    if est.exists():
        rust_s = json.loads(est.read_text())["median"]["point_estimate"] / 1e9
        print(f"{len(cells):>7} cells: esda {esda_s * 1e3:9.1f} ms   hotspot {rust_s * 1e3:8.3f} ms   {esda_s / rust_s:7.0f}x faster")
    else:
        print(f"{len(cells):>7} cells: esda {esda_s * 1e3:9.1f} ms   (no criterion estimate at {est})")
