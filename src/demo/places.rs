//! Where demo records may be placed: street segments and city blocks per safety district, with
//! "hot" spots that attract more incidents, and parks to stay out of.

use geo::{Area, BoundingRect, Centroid, Contains, Intersects, MultiPolygon, Point};
use rand::Rng;

use crate::index::DistrictIndex;
use crate::ingest::Street;
use crate::model::{District, DistrictLevel, HOTSPOT_DISTRICT_ID};

/// Metres per degree of latitude, and of longitude at Copenhagen (55.68° N): a local
/// equirectangular approximation, good to well under 1 % across the municipality.
const M_PER_DEG_LAT: f64 = 111_320.0;
const M_PER_DEG_LON: f64 = 62_800.0;

/// Spread of a hot spot's pull, metres.
const HOT_SIGMA_M: f64 = 110.0;

/// A straight piece of an OSM street.
#[derive(Debug, Clone)]
pub struct Segment {
    /// Start, lon/lat.
    pub a: (f64, f64),
    /// End, lon/lat.
    pub b: (f64, f64),
    /// Length in metres.
    pub len_m: f64,
    /// OSM `lit`.
    pub lit: Option<bool>,
    /// Street name, where tagged.
    pub name: Option<String>,
}

impl Segment {
    /// The point at fraction `t` (0–1) along the segment.
    pub fn at(&self, t: f64) -> (f64, f64) {
        (
            self.a.0 + (self.b.0 - self.a.0) * t,
            self.a.1 + (self.b.1 - self.a.1) * t,
        )
    }
}

/// A hot spot: a centre (lon/lat) and how strongly it pulls.
#[derive(Debug, Clone, Copy)]
pub struct Hot {
    /// Centre, lon/lat.
    pub at: (f64, f64),
    /// Extra weight at the centre (1 = double the background).
    pub strength: f64,
}

/// One safety district's places.
pub struct DistrictPlaces {
    /// `district-N`.
    pub id: String,
    /// Total block area, m²: the activity weight of the district.
    pub block_area_m2: f64,
    /// Blocks in the district (by centroid) with their area in m².
    pub blocks: Vec<(MultiPolygon<f64>, f64)>,
    /// OSM street segments, for districts wholly inside the OSM extract.
    pub segments: Vec<Segment>,
    /// The district's hot spots.
    pub hot: Vec<Hot>,
}

/// Everything the generator needs to place records.
pub struct Places {
    /// The 35 safety districts, by number.
    pub districts: Vec<DistrictPlaces>,
    parks: Vec<MultiPolygon<f64>>,
    park_index: DistrictIndex,
}

/// Distance in metres between two lon/lat points (local approximation).
pub fn dist_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let dx = (a.0 - b.0) * M_PER_DEG_LON;
    let dy = (a.1 - b.1) * M_PER_DEG_LAT;
    (dx * dx + dy * dy).sqrt()
}

/// How much more likely a place at `p` is than the background, given hot spots.
pub fn hotness(hot: &[Hot], p: (f64, f64)) -> f64 {
    1.0 + hot
        .iter()
        .map(|h| {
            let d = dist_m(h.at, p);
            h.strength * (-(d * d) / (2.0 * HOT_SIGMA_M * HOT_SIGMA_M)).exp()
        })
        .sum::<f64>()
}

fn area_m2(p: &MultiPolygon<f64>) -> f64 {
    p.unsigned_area() * M_PER_DEG_LAT * M_PER_DEG_LON
}

/// Picks an index with probability proportional to `weights` (cumulative, ascending).
pub fn pick(cumulative: &[f64], rng: &mut impl Rng) -> usize {
    let total = *cumulative.last().expect("non-empty weights");
    let x = rng.random::<f64>() * total;
    cumulative
        .partition_point(|&c| c <= x)
        .min(cumulative.len() - 1)
}

/// Running sums of `weights`.
pub fn cumulative(weights: impl Iterator<Item = f64>) -> Vec<f64> {
    weights
        .scan(0.0, |acc, w| {
            *acc += w;
            Some(*acc)
        })
        .collect()
}

/// Named streets of district 8 that the demo makes hot, with their pull. Their centres are
/// taken from the OSM data, not typed in.
const DISTRICT8_HOT_STREETS: &[(&str, f64)] = &[
    ("Blågårds Plads", 7.0),
    ("Blågårdsgade", 4.0),
    ("Stengade", 3.0),
    ("Rantzausgade", 2.5),
    ("Griffenfeldsgade", 2.0),
];

impl Places {
    /// Sorts blocks and street segments into the safety districts and chooses hot spots.
    pub fn new(
        districts: &[District],
        streets: &[Street],
        blocks: Vec<MultiPolygon<f64>>,
        parks: Vec<MultiPolygon<f64>>,
    ) -> Places {
        let safety: Vec<&District> = districts
            .iter()
            .filter(|d| d.level == DistrictLevel::District)
            .collect();
        let polys: Vec<&MultiPolygon<f64>> = safety.iter().map(|d| &d.geometry).collect();
        let index = DistrictIndex::bulk_load(polys.iter().copied());
        let park_index = DistrictIndex::bulk_load(parks.iter());

        let mut out: Vec<DistrictPlaces> = safety
            .iter()
            .map(|d| DistrictPlaces {
                id: d.id.clone(),
                block_area_m2: 0.0,
                blocks: Vec::new(),
                segments: Vec::new(),
                hot: Vec::new(),
            })
            .collect();

        for block in blocks {
            let Some(c) = block.centroid() else { continue };
            if let Some(&i) = index.containing(&polys, c.x(), c.y()).first() {
                let a = area_m2(&block);
                out[i as usize].block_area_m2 += a;
                out[i as usize].blocks.push((block, a));
            }
        }

        // OSM streets only where the extract covers the whole district, so no district is
        // half-covered.
        let osm_box = streets
            .iter()
            .filter_map(|s| s.line.bounding_rect())
            .reduce(|a, b| {
                geo::Rect::new(
                    geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                    geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
                )
            });
        for (i, d) in safety.iter().enumerate() {
            let covered = match (osm_box, d.geometry.bounding_rect()) {
                (Some(o), Some(r)) => o.contains(&r),
                _ => false,
            };
            if !covered {
                continue;
            }
            for s in streets.iter().filter(|s| walkable(&s.highway)) {
                for w in s.line.0.windows(2) {
                    let a = (w[0].x, w[0].y);
                    let b = (w[1].x, w[1].y);
                    let mid = Point::new((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
                    if d.geometry.intersects(&mid) {
                        let len_m = dist_m(a, b);
                        if len_m > 0.5 {
                            out[i].segments.push(Segment {
                                a,
                                b,
                                len_m,
                                lit: s.lit,
                                name: s.name.clone(),
                            });
                        }
                    }
                }
            }
        }

        let mut places = Places {
            districts: out,
            parks,
            park_index,
        };
        places.choose_hot_spots();
        places
    }

    fn choose_hot_spots(&mut self) {
        for (n, d) in self.districts.iter_mut().enumerate() {
            if d.id == HOTSPOT_DISTRICT_ID {
                for (name, strength) in DISTRICT8_HOT_STREETS {
                    let segs: Vec<&Segment> = d
                        .segments
                        .iter()
                        .filter(|s| s.name.as_deref() == Some(name))
                        .collect();
                    if segs.is_empty() {
                        continue;
                    }
                    let k = segs.len() as f64;
                    let lon = segs.iter().map(|s| s.at(0.5).0).sum::<f64>() / k;
                    let lat = segs.iter().map(|s| s.at(0.5).1).sum::<f64>() / k;
                    d.hot.push(Hot {
                        at: (lon, lat),
                        strength: *strength,
                    });
                }
            } else if !d.blocks.is_empty() {
                // Two or three blocks chosen by a fixed rule (every k-th by area rank), so the
                // choice does not depend on the random stream.
                let mut by_area: Vec<usize> = (0..d.blocks.len()).collect();
                by_area.sort_by(|&a, &b| d.blocks[b].1.total_cmp(&d.blocks[a].1));
                let picks = [
                    by_area.len() / 3,
                    (by_area.len() * 2) / 3,
                    (n * 7) % by_area.len(),
                ];
                for (j, &p) in picks.iter().enumerate() {
                    if let Some(c) = d.blocks[by_area[p]].0.centroid() {
                        d.hot.push(Hot {
                            at: (c.x(), c.y()),
                            strength: [4.0, 2.5, 1.5][j],
                        });
                    }
                }
            }
        }
    }

    /// Whether a lon/lat point is in a park or green area.
    pub fn in_park(&self, lon: f64, lat: f64) -> bool {
        let p = Point::new(lon, lat);
        self.park_index
            .bbox_intersecting(&crate::index::LonLatBox {
                min_lon: lon,
                min_lat: lat,
                max_lon: lon,
                max_lat: lat,
            })
            .into_iter()
            .any(|i| self.parks[i as usize].contains(&p))
    }
}

/// OSM highway kinds on which people walk and incidents are recorded.
fn walkable(highway: &str) -> bool {
    matches!(
        highway,
        "primary"
            | "secondary"
            | "tertiary"
            | "residential"
            | "living_street"
            | "pedestrian"
            | "footway"
            | "path"
            | "service"
            | "unclassified"
            | "cycleway"
            | "steps"
            | "primary_link"
            | "secondary_link"
            | "tertiary_link"
    )
}

/// Offsets `p` by `metres` away from `from` (used to step from a block's edge onto the street).
pub fn step_away(p: (f64, f64), from: (f64, f64), metres: f64) -> (f64, f64) {
    let dx = (p.0 - from.0) * M_PER_DEG_LON;
    let dy = (p.1 - from.1) * M_PER_DEG_LAT;
    let n = (dx * dx + dy * dy).sqrt().max(1e-9);
    (
        p.0 + dx / n * metres / M_PER_DEG_LON,
        p.1 + dy / n * metres / M_PER_DEG_LAT,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_are_metric() {
        // 0.01° of latitude is about 1.1 km.
        let d = dist_m((12.55, 55.68), (12.55, 55.69));
        assert!((d - 1113.2).abs() < 1.0, "{d}");
        let p = step_away((12.55, 55.68), (12.549, 55.68), 10.0);
        assert!((dist_m(p, (12.55, 55.68)) - 10.0).abs() < 0.01);
    }

    #[test]
    fn pick_follows_weights() {
        use rand::SeedableRng;
        let cum = cumulative([1.0, 0.0, 3.0].into_iter());
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(1);
        let mut counts = [0; 3];
        for _ in 0..4000 {
            counts[pick(&cum, &mut rng)] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!(
            (counts[2] as f64 / counts[0] as f64 - 3.0).abs() < 0.4,
            "{counts:?}"
        );
    }
}
