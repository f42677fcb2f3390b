#!/usr/bin/env python3
"""Writes N synthetic incidents over the whole of Copenhagen as CSV (lon, lat, category,
occurred_at, source_id): half spread evenly over 12.45–12.65 E × 55.62–55.72 N, half in 40
Gaussian clusters, times uniform over 2010–2014. Seeded (5), so every run writes the same file;
the same recipe as benches/serve_load.sh's GeoJSON. Synthetic: no figure made from it is real.

usage: benches/gen_incidents.py N OUT.csv
"""
import random
import sys
import time

n, out = int(sys.argv[1]), sys.argv[2]
random.seed(5)
cats = ["violence", "threats", "robbery", "theft", "burglary", "vandalism", "drugs", "weapons", "harassment"]
places = [(random.uniform(12.50, 12.60), random.uniform(55.66, 55.71)) for _ in range(40)]
with open(out, "w") as f:
    f.write("lon,lat,category,occurred_at,source_id\n")
    lines = []
    for i in range(n):
        if i % 2 == 0:
            lon, lat = random.uniform(12.45, 12.65), random.uniform(55.62, 55.72)
        else:
            x, y = places[i % 40]
            lon, lat = x + random.gauss(0, 0.004), y + random.gauss(0, 0.0025)
        t = 1262304000 + random.randrange(157766400)
        ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
        lines.append(f"{lon:.7f},{lat:.7f},{cats[i % 9]},{ts},b-{i}\n")
        if len(lines) == 100_000:
            f.writelines(lines)
            lines = []
    f.writelines(lines)
