//! Evaluation of an initiative: incidents inside its area (its geometry plus a buffer) in equal
//! windows before and after its start, against a control area, as a difference-in-differences
//! rate ratio with a 95 % confidence interval; and the same for a ring around the area, to see
//! displacement (crime moving next door) or a diffusion of benefits.
//!
//! Method: with counts a₁, a₂ (area, before/after) and c₁, c₂ (control), the ratio of rate
//! ratios RR = (a₂/a₁)/(c₂/c₁) is the exponent of the interaction term of a Poisson model with
//! area and period effects; its log has standard error √(1/a₁ + 1/a₂ + 1/c₁ + 1/c₂) (Woolf).
//! A zero count gets 0.5 added to all four (Haldane–Anscombe) and the answer says so. Fewer
//! than 10 incidents in any cell: the answer says the numbers are too small to conclude.
//! Distances are Euclidean in a local metric plane around the initiative (error < 0.1 % within
//! a few km).

use geo::{Distance, Euclidean, Geometry, Point};

use crate::catalog::Catalog;
use crate::index::{LonLatBox, PointFilter};

/// Metres per degree of latitude (mean, WGS84).
const M_PER_DEG_LAT: f64 = 111_132.0;

/// Counts before and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// In the window before the start.
    pub before: u64,
    /// In the window from the start on.
    pub after: u64,
}

/// A rate ratio against the control, with its 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RateRatio {
    /// (after/before here) / (after/before in the control).
    pub rate_ratio: f64,
    /// Lower end of the 95 % interval.
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
    /// Whether 0.5 was added to every count because one was zero.
    pub continuity_corrected: bool,
    /// Whether any of the four counts is below 10.
    pub small_numbers: bool,
}

/// The ratio of rate ratios of `area` against `control` (see the module's method).
pub fn did(area: Counts, control: Counts) -> RateRatio {
    let cells = [area.before, area.after, control.before, control.after];
    let corrected = cells.contains(&0);
    let add = if corrected { 0.5 } else { 0.0 };
    let [a1, a2, c1, c2] = cells.map(|n| n as f64 + add);
    let rr = (a2 / a1) / (c2 / c1);
    let se = (1.0 / a1 + 1.0 / a2 + 1.0 / c1 + 1.0 / c2).sqrt();
    RateRatio {
        rate_ratio: rr,
        ci_low: (rr.ln() - 1.959_964 * se).exp(),
        ci_high: (rr.ln() + 1.959_964 * se).exp(),
        continuity_corrected: corrected,
        small_numbers: cells.iter().any(|&n| n < 10),
    }
}

/// A local metric plane around `(lon0, lat0)`: degrees to metres.
#[derive(Debug, Clone, Copy)]
pub struct LocalPlane {
    lon0: f64,
    lat0: f64,
    m_per_deg_lon: f64,
}

impl LocalPlane {
    /// The plane centred on `(lon0, lat0)`.
    pub fn new(lon0: f64, lat0: f64) -> LocalPlane {
        LocalPlane {
            lon0,
            lat0,
            m_per_deg_lon: M_PER_DEG_LAT * lat0.to_radians().cos(),
        }
    }

    /// `(lon, lat)` in metres east and north of the centre.
    pub fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            (lon - self.lon0) * self.m_per_deg_lon,
            (lat - self.lat0) * M_PER_DEG_LAT,
        )
    }

    /// A geometry in this plane.
    pub fn geometry(&self, g: &Geometry<f64>) -> Geometry<f64> {
        use geo::MapCoords;
        g.map_coords(|c| {
            let (x, y) = self.project(c.x, c.y);
            geo::coord! { x: x, y: y }
        })
    }

    /// The lon/lat box of everything within `m` metres of the projected box `(x0, y0, x1, y1)`.
    pub fn lonlat_box(&self, b: (f64, f64, f64, f64), m: f64) -> LonLatBox {
        LonLatBox {
            min_lon: self.lon0 + (b.0 - m) / self.m_per_deg_lon,
            min_lat: self.lat0 + (b.1 - m) / M_PER_DEG_LAT,
            max_lon: self.lon0 + (b.2 + m) / self.m_per_deg_lon,
            max_lat: self.lat0 + (b.3 + m) / M_PER_DEG_LAT,
        }
    }
}

/// Metres from a projected point to a projected geometry (0 inside a polygon).
pub fn distance_m(p: (f64, f64), g: &Geometry<f64>) -> f64 {
    let p = Point::new(p.0, p.1);
    match g {
        Geometry::Point(q) => Euclidean.distance(&p, q),
        Geometry::LineString(l) => Euclidean.distance(&p, l),
        Geometry::Polygon(poly) => Euclidean.distance(&p, poly),
        Geometry::MultiPolygon(mp) => mp
            .iter()
            .map(|poly| Euclidean.distance(&p, poly))
            .fold(f64::INFINITY, f64::min),
        Geometry::MultiLineString(ml) => ml
            .iter()
            .map(|l| Euclidean.distance(&p, l))
            .fold(f64::INFINITY, f64::min),
        Geometry::MultiPoint(mp) => mp
            .iter()
            .map(|q| Euclidean.distance(&p, q))
            .fold(f64::INFINITY, f64::min),
        _ => f64::INFINITY,
    }
}

/// What an evaluation counts.
pub struct EvaluationInput<'a> {
    /// The initiative's geometry, WGS84 lon/lat.
    pub geometry: &'a Geometry<f64>,
    /// The control area (e.g. the rest of the district), WGS84.
    pub control: &'a geo::MultiPolygon<f64>,
    /// Category bit mask.
    pub categories: u16,
    /// Start of the initiative, Unix seconds.
    pub start: i64,
    /// Length of each window, seconds.
    pub window: i64,
    /// Buffer around the geometry, metres.
    pub buffer_m: f64,
    /// Outer edge of the displacement ring, metres from the geometry.
    pub ring_m: f64,
}

/// Seconds in a month of 30.44 days (a year / 12).
pub const MONTH_S: i64 = 2_629_746;

/// Months (of [`MONTH_S`]) in a window of `window` seconds, the first one partial if need be;
/// the same number follows the start.
pub fn months_before(window: i64) -> usize {
    (window.max(0) + MONTH_S - 1).div_euclid(MONTH_S) as usize
}

/// The counts of an evaluation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EvaluationCounts {
    /// Inside the geometry plus buffer.
    pub area: Counts,
    /// In the ring from the buffer to `ring_m`.
    pub ring: Counts,
    /// In the control area outside both.
    pub control: Counts,
    /// Area incidents per month of 30.44 days, counted back and forth from the start (so no
    /// month straddles it): [`months_before`] months before, then the months after.
    pub area_monthly: Vec<u64>,
    /// Control incidents per month, likewise.
    pub control_monthly: Vec<u64>,
}

/// Safety-walk ratings near an initiative before and after its start.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Ratings {
    /// Observations in the window.
    pub n: u64,
    /// Their mean rating (1 very poor … 5 good), `None` without any.
    pub mean: Option<f64>,
}

/// Observations (ratings) and resident reports within the buffer of the initiative, before
/// and after its start. `reports` are `(lon, lat, created_at)`.
pub fn nearby(
    cat: &Catalog,
    input: &EvaluationInput<'_>,
    reports: &[(f64, f64, i64)],
) -> ((Ratings, Ratings), Counts) {
    use geo::Centroid;
    let centre = input
        .geometry
        .centroid()
        .map(|c| (c.x(), c.y()))
        .unwrap_or((12.55, 55.69));
    let plane = LocalPlane::new(centre.0, centre.1);
    let g = plane.geometry(input.geometry);
    let (from, to) = (input.start - input.window, input.start + input.window - 1);
    let inside = |lon: f64, lat: f64| distance_m(plane.project(lon, lat), &g) <= input.buffer_m;
    let mut sums = [(0u64, 0u64); 2];
    for o in &cat.observations {
        if o.observed_at >= from && o.observed_at <= to && inside(o.lon, o.lat) {
            let s = &mut sums[usize::from(o.observed_at >= input.start)];
            s.0 += 1;
            s.1 += u64::from(o.rating);
        }
    }
    let ratings = sums.map(|(n, total)| Ratings {
        n,
        mean: (n > 0).then(|| (total as f64 / n as f64 * 100.0).round() / 100.0),
    });
    let mut reps = Counts {
        before: 0,
        after: 0,
    };
    for &(lon, lat, t) in reports {
        if t >= from && t <= to && inside(lon, lat) {
            if t < input.start {
                reps.before += 1;
            } else {
                reps.after += 1;
            }
        }
    }
    ((ratings[0], ratings[1]), reps)
}

/// Counts incidents of `cat` for an evaluation.
pub fn count(cat: &Catalog, input: &EvaluationInput<'_>) -> EvaluationCounts {
    use geo::{BoundingRect, Centroid, Contains};
    let centre = input
        .geometry
        .centroid()
        .map(|c| (c.x(), c.y()))
        .unwrap_or((12.55, 55.69));
    let plane = LocalPlane::new(centre.0, centre.1);
    let g = plane.geometry(input.geometry);
    let rect = g
        .bounding_rect()
        .map(|r| (r.min().x, r.min().y, r.max().x, r.max().y))
        .unwrap_or((0.0, 0.0, 0.0, 0.0));
    let window = (input.start - input.window, input.start + input.window - 1);
    let mut out = EvaluationCounts {
        area: Counts {
            before: 0,
            after: 0,
        },
        ring: Counts {
            before: 0,
            after: 0,
        },
        control: Counts {
            before: 0,
            after: 0,
        },
        area_monthly: vec![0; 2 * months_before(input.window)],
        control_monthly: vec![0; 2 * months_before(input.window)],
    };
    let before = months_before(input.window) as i64;
    let month = |t: i64| ((t - input.start).div_euclid(MONTH_S) + before).max(0) as usize;
    let tally = |c: &mut Counts, t: i64| {
        if t < input.start {
            c.before += 1;
        } else {
            c.after += 1;
        }
    };
    // Area and ring: the incidents near the geometry.
    let near = cat.query_incidents(
        &PointFilter {
            bbox: Some(plane.lonlat_box(rect, input.ring_m + 1.0)),
            within: None,
            time: Some(window),
        },
        input.categories,
    );
    let mut counted = std::collections::HashSet::new();
    for &i in &near {
        let inc = &cat.incidents[i as usize];
        let d = distance_m(plane.project(inc.lon, inc.lat), &g);
        if d <= input.buffer_m {
            tally(&mut out.area, inc.occurred_at);
            if let Some(m) = out.area_monthly.get_mut(month(inc.occurred_at)) {
                *m += 1;
            }
            counted.insert(i);
        } else if d <= input.ring_m {
            tally(&mut out.ring, inc.occurred_at);
            counted.insert(i);
        }
    }
    // Control: the control polygon, without what the area and ring hold.
    let control = cat.query_incidents(
        &PointFilter {
            bbox: input.control.bounding_rect().map(LonLatBox::from_rect),
            within: Some(input.control),
            time: Some(window),
        },
        input.categories,
    );
    for &i in &control {
        if counted.contains(&i) {
            continue;
        }
        let inc = &cat.incidents[i as usize];
        if input.control.contains(&Point::new(inc.lon, inc.lat)) {
            tally(&mut out.control, inc.occurred_at);
            if let Some(m) = out.control_monthly.get_mut(month(inc.occurred_at)) {
                *m += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Category, Incident, Precision};
    use rand::{Rng, SeedableRng};

    const DAY: i64 = 86_400;
    const START: i64 = 1_350_000_000;

    /// Incidents at `rate` per day for `days` before and `rate * after_factor` after START,
    /// spread uniformly within `radius_m` of `(lon, lat)`.
    fn scatter(
        rng: &mut rand_pcg::Pcg64Mcg,
        out: &mut Vec<Incident>,
        (lon, lat): (f64, f64),
        radius_m: (f64, f64),
        per_window: u64,
        after_factor: f64,
    ) {
        let plane = LocalPlane::new(lon, lat);
        let n_after = (per_window as f64 * after_factor).round() as u64;
        for (n, after) in [(per_window, false), (n_after, true)] {
            for _ in 0..n {
                let r = rng.random_range(radius_m.0..radius_m.1);
                let a = rng.random_range(0.0..std::f64::consts::TAU);
                let (x, y) = (r * a.cos(), r * a.sin());
                let t = if after {
                    START + rng.random_range(0..365 * DAY)
                } else {
                    START - 1 - rng.random_range(0..365 * DAY)
                };
                out.push(Incident {
                    id: out.len() as i64 + 1,
                    category: Category::Theft,
                    occurred_at: t,
                    lon: lon + x / plane.m_per_deg_lon,
                    lat: lat + y / M_PER_DEG_LAT,
                    precision: Precision::Street,
                    source: "t".into(),
                });
            }
        }
    }

    /// An initiative at a point; area = 100 m, ring to 300 m, control = a square 2 km around.
    fn evaluate(
        area_factor: f64,
        ring_factor: f64,
        seed: u64,
    ) -> (EvaluationCounts, RateRatio, RateRatio) {
        let centre = (12.5547, 55.6866);
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
        let mut inc = Vec::new();
        scatter(&mut rng, &mut inc, centre, (0.0, 95.0), 200, area_factor);
        scatter(&mut rng, &mut inc, centre, (110.0, 290.0), 300, ring_factor);
        scatter(&mut rng, &mut inc, centre, (400.0, 900.0), 2000, 1.0);
        let cat = Catalog::build(Vec::new(), inc.into(), Vec::new());
        let d = 0.012;
        let square = geo::MultiPolygon(vec![geo::Polygon::new(
            geo::LineString::from(vec![
                (centre.0 - d * 1.8, centre.1 - d),
                (centre.0 + d * 1.8, centre.1 - d),
                (centre.0 + d * 1.8, centre.1 + d),
                (centre.0 - d * 1.8, centre.1 + d),
                (centre.0 - d * 1.8, centre.1 - d),
            ]),
            vec![],
        )]);
        let g = Geometry::Point(Point::new(centre.0, centre.1));
        let c = count(
            &cat,
            &EvaluationInput {
                geometry: &g,
                control: &square,
                categories: u16::MAX,
                start: START,
                window: 365 * DAY,
                buffer_m: 100.0,
                ring_m: 300.0,
            },
        );
        let (a, r) = (did(c.area, c.control), did(c.ring, c.control));
        (c, a, r)
    }

    #[test]
    fn a_constructed_halving_is_found_and_covered() {
        let (c, area, ring) = evaluate(0.5, 1.0, 1);
        assert_eq!(
            c.area,
            Counts {
                before: 200,
                after: 100
            }
        );
        assert_eq!(
            c.control,
            Counts {
                before: 2000,
                after: 2000
            }
        );
        assert!((area.rate_ratio - 0.5).abs() < 1e-9, "{area:?}");
        assert!(
            area.ci_low < 0.5 && 0.5 < area.ci_high && area.ci_high < 1.0,
            "{area:?}"
        );
        assert!(
            ring.ci_low < 1.0 && 1.0 < ring.ci_high,
            "no displacement: {ring:?}"
        );
        assert!(!area.small_numbers && !area.continuity_corrected);
    }

    #[test]
    fn no_effect_has_an_interval_covering_one() {
        let (_, area, _) = evaluate(1.0, 1.0, 2);
        assert!(area.ci_low < 1.0 && 1.0 < area.ci_high, "{area:?}");
    }

    #[test]
    fn displacement_into_the_ring_is_seen() {
        let (_, area, ring) = evaluate(0.5, 1.6, 3);
        assert!(area.ci_high < 1.0, "{area:?}");
        assert!(ring.ci_low > 1.0, "displacement: {ring:?}");
    }

    #[test]
    fn small_and_zero_counts_say_so() {
        let r = did(
            Counts {
                before: 3,
                after: 0,
            },
            Counts {
                before: 50,
                after: 40,
            },
        );
        assert!(r.continuity_corrected && r.small_numbers);
        assert!(r.ci_high > 1.0, "3 → 0 proves nothing: {r:?}");
    }
}
