//! Demo incidents: how many per district, category and year, when in the day and week, and
//! where along streets or inside blocks.

use geo::{BoundingRect, Centroid, Contains, Point};
use rand::Rng;
use rand_distr::{Distribution, LogNormal, Poisson};

use super::places::{cumulative, hotness, pick, step_away, DistrictPlaces, Places};
use crate::model::{time, Category, Precision, HOTSPOT_DISTRICT_ID};
use crate::store::{NewIncident, DEMO_SOURCE};

/// Incidents per year across the whole city before district factors (about 18,000).
const CITY_PER_YEAR: f64 = 18_000.0;

/// The years the demo covers.
pub const YEARS: std::ops::RangeInclusive<i64> = 2010..=2014;

/// Share of each category in the city-wide mix, in `Category::ALL` order.
const SHARE: [f64; 9] = [0.10, 0.05, 0.025, 0.40, 0.11, 0.13, 0.09, 0.025, 0.06];

/// A gentle city-wide decline, per year from 2010.
const CITY_TREND: [f64; 5] = [1.0, 0.98, 0.95, 0.93, 0.91];

/// District 8 against the city rate per category and year (2010 … 2014): markedly above for
/// violence, threats, theft and vandalism (*markant* in 2010), elevated for drugs and harassment
/// (*intensiveret*), with weapons-law cases from the gang conflict; all falling towards 2014.
fn district8_factor(c: Category, year_ix: usize) -> f64 {
    let f: [f64; 5] = match c {
        Category::Violence | Category::Threats => [2.8, 2.5, 2.1, 1.7, 1.35],
        Category::Theft => [2.4, 2.2, 1.9, 1.6, 1.3],
        Category::Vandalism => [2.6, 2.3, 1.9, 1.5, 1.2],
        Category::Drugs => [1.9, 1.8, 1.6, 1.4, 1.2],
        Category::Harassment => [1.8, 1.7, 1.5, 1.3, 1.1],
        Category::Weapons => [3.0, 2.6, 2.0, 1.6, 1.3],
        Category::Robbery => [2.0, 1.8, 1.6, 1.4, 1.2],
        Category::Burglary => [1.1, 1.1, 1.0, 1.0, 1.0],
    };
    f[year_ix]
}

/// Relative weight of each hour of the day (local time), by category.
fn hour_weights(c: Category) -> [f64; 24] {
    match c {
        Category::Violence | Category::Threats | Category::Robbery | Category::Weapons => [
            8.0, 7.0, 6.0, 5.0, 3.0, 1.5, 1.0, 1.0, 1.2, 1.5, 1.8, 2.0, 2.3, 2.5, 2.8, 3.2, 3.5,
            3.8, 4.0, 4.5, 5.0, 5.8, 6.5, 7.5,
        ],
        Category::Theft => [
            1.5, 1.0, 0.8, 0.6, 0.5, 0.5, 0.8, 1.5, 2.5, 3.5, 4.5, 5.0, 5.5, 5.5, 5.5, 5.8, 6.0,
            5.5, 5.0, 4.0, 3.5, 3.0, 2.5, 2.0,
        ],
        Category::Burglary => [
            1.5, 1.2, 1.0, 1.0, 0.8, 0.8, 1.0, 1.5, 2.5, 3.5, 4.0, 4.0, 4.0, 4.0, 4.2, 4.5, 4.5,
            4.0, 3.5, 3.0, 2.5, 2.2, 2.0, 1.8,
        ],
        Category::Vandalism => [
            6.0, 6.0, 5.5, 4.5, 3.0, 1.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.2, 1.3, 1.5, 1.8, 2.2, 2.5,
            2.8, 3.2, 3.8, 4.5, 5.0, 5.5, 6.0,
        ],
        Category::Drugs => [
            3.0, 2.0, 1.5, 1.0, 0.5, 0.3, 0.3, 0.5, 0.8, 1.2, 1.8, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0,
            5.5, 6.0, 6.0, 5.8, 5.2, 4.5, 3.8,
        ],
        Category::Harassment => [
            2.0, 1.5, 1.0, 0.6, 0.4, 0.3, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5,
            5.5, 5.5, 5.0, 4.5, 4.0, 3.2, 2.5,
        ],
    }
}

/// Relative weight of each weekday, Monday first, by category.
fn weekday_weights(c: Category) -> [f64; 7] {
    match c {
        Category::Violence | Category::Threats | Category::Robbery | Category::Vandalism => {
            [0.8, 0.8, 0.9, 1.0, 1.3, 1.7, 1.4]
        }
        Category::Burglary => [1.1, 1.1, 1.1, 1.1, 1.1, 0.8, 0.7],
        Category::Theft => [1.0, 1.0, 1.0, 1.0, 1.15, 1.15, 0.8],
        _ => [0.9, 0.9, 1.0, 1.0, 1.15, 1.15, 0.9],
    }
}

/// Relative weight of each month, January first: more street violence in summer, more
/// burglary in the dark months.
fn month_weights(c: Category) -> [f64; 12] {
    match c {
        Category::Violence | Category::Threats | Category::Harassment => [
            0.85, 0.85, 0.9, 1.0, 1.1, 1.15, 1.2, 1.15, 1.0, 0.95, 0.9, 0.95,
        ],
        Category::Burglary => [1.2, 1.1, 1.0, 0.9, 0.85, 0.8, 0.9, 0.9, 0.95, 1.1, 1.2, 1.3],
        _ => [1.0; 12],
    }
}

/// Whether an incident of this category happens in the street (else at an address in a block).
fn in_street(c: Category, rng: &mut impl Rng) -> bool {
    match c {
        Category::Burglary => false,
        Category::Theft => rng.random_bool(0.55),
        Category::Vandalism => rng.random_bool(0.8),
        _ => rng.random_bool(0.9),
    }
}

fn days_in_month(y: i64, m: u32) -> u32 {
    let next = if m == 12 {
        time::days_from_civil(y + 1, 1, 1)
    } else {
        time::days_from_civil(y, m + 1, 1)
    };
    (next - time::days_from_civil(y, m, 1)) as u32
}

/// A local date-time in `year` drawn from the category's rhythms, as Unix seconds.
fn draw_time(c: Category, year: i64, rng: &mut impl Rng) -> i64 {
    let months = cumulative(month_weights(c).into_iter());
    let hours = cumulative(hour_weights(c).into_iter());
    let wd = weekday_weights(c);
    let max_wd = wd.iter().cloned().fold(0.0, f64::max);
    let month = pick(&months, rng) as u32 + 1;
    let day = loop {
        let d = rng.random_range(1..=days_in_month(year, month));
        let weekday = (time::days_from_civil(year, month, d) + 3).rem_euclid(7) as usize;
        if rng.random::<f64>() * max_wd <= wd[weekday] {
            break d;
        }
    };
    let hour = pick(&hours, rng) as u32;
    let minute = rng.random_range(0..60);
    time::copenhagen_to_utc(year, month, day, hour, minute)
}

/// A street position in the district: on an OSM segment where the district has them, else
/// a few metres out from a block's edge (never in a park).
fn street_point(
    d: &DistrictPlaces,
    seg_cum: &[f64],
    edge_cum: &[f64],
    places: &Places,
    rng: &mut impl Rng,
) -> Option<(f64, f64)> {
    if !d.segments.is_empty() {
        let s = &d.segments[pick(seg_cum, rng)];
        return Some(s.at(rng.random::<f64>()));
    }
    for _ in 0..20 {
        let (block, _) = &d.blocks[pick(edge_cum, rng)];
        let Some(c) = block.centroid() else { continue };
        let ring = &block.0.first()?.exterior().0;
        let lens: Vec<f64> = ring
            .windows(2)
            .map(|w| super::places::dist_m((w[0].x, w[0].y), (w[1].x, w[1].y)))
            .collect();
        if lens.is_empty() {
            continue;
        }
        let k = pick(&cumulative(lens.iter().copied()), rng);
        let t = rng.random::<f64>();
        let p = (
            ring[k].x + (ring[k + 1].x - ring[k].x) * t,
            ring[k].y + (ring[k + 1].y - ring[k].y) * t,
        );
        let p = step_away(p, (c.x(), c.y()), rng.random_range(4.0..9.0));
        if !places.in_park(p.0, p.1) {
            return Some(p);
        }
    }
    None
}

/// A position inside a block of the district (an address), drawn by area and hotness.
fn block_point(d: &DistrictPlaces, area_cum: &[f64], rng: &mut impl Rng) -> Option<(f64, f64)> {
    for _ in 0..20 {
        let (block, _) = &d.blocks[pick(area_cum, rng)];
        let r = block.bounding_rect()?;
        for _ in 0..30 {
            let p = Point::new(
                rng.random_range(r.min().x..=r.max().x),
                rng.random_range(r.min().y..=r.max().y),
            );
            if block.contains(&p) {
                return Some((p.x(), p.y()));
            }
        }
    }
    None
}

/// Generates the incidents.
pub fn generate(places: &Places, rng: &mut impl Rng) -> Vec<NewIncident> {
    let total_area: f64 = places.districts.iter().map(|d| d.block_area_m2).sum();
    let district_factor = LogNormal::new(0.0, 0.35).expect("valid log-normal");
    let mut out = Vec::new();
    for d in places.districts.iter().filter(|d| !d.blocks.is_empty()) {
        let is8 = d.id == HOTSPOT_DISTRICT_ID;
        let factor = if is8 {
            1.0
        } else {
            district_factor.sample(rng)
        };
        let seg_cum = cumulative(
            d.segments
                .iter()
                .map(|s| s.len_m * hotness(&d.hot, s.at(0.5))),
        );
        let edge_cum = cumulative(d.blocks.iter().map(|(b, a)| {
            let c = b.centroid().map(|c| (c.x(), c.y())).unwrap_or_default();
            a.sqrt() * hotness(&d.hot, c)
        }));
        let area_cum = cumulative(d.blocks.iter().map(|(b, a)| {
            let c = b.centroid().map(|c| (c.x(), c.y())).unwrap_or_default();
            a * hotness(&d.hot, c).sqrt()
        }));
        for (yi, year) in YEARS.enumerate() {
            for (ci, c) in Category::ALL.into_iter().enumerate() {
                let mut lambda = CITY_PER_YEAR * SHARE[ci] * d.block_area_m2 / total_area
                    * factor
                    * CITY_TREND[yi];
                if is8 {
                    lambda *= district8_factor(c, yi);
                }
                if lambda <= 0.0 {
                    continue;
                }
                let n = Poisson::new(lambda).expect("positive rate").sample(rng) as usize;
                for _ in 0..n {
                    let street = in_street(c, rng);
                    let pos = if street {
                        street_point(d, &seg_cum, &edge_cum, places, rng)
                    } else {
                        block_point(d, &area_cum, rng)
                    };
                    let Some((lon, lat)) = pos else { continue };
                    let seq = out.len() + 1;
                    out.push(NewIncident {
                        category: c,
                        occurred_at: draw_time(c, year, rng),
                        lon: (lon * 1e7).round() / 1e7,
                        lat: (lat * 1e7).round() / 1e7,
                        precision: if street {
                            Precision::Street
                        } else {
                            Precision::Address
                        },
                        source: DEMO_SOURCE.to_owned(),
                        source_id: format!("demo-{seq}"),
                        synthetic: true,
                    });
                }
            }
        }
    }
    // Store in time order, as a police extract would come.
    out.sort_by_key(|i| i.occurred_at);
    for (n, i) in out.iter_mut().enumerate() {
        i.source_id = format!("demo-{}", n + 1);
    }
    out
}
