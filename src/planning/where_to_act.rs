//! Where to act: H3 cells of a district ranked as places for new public-space initiatives.
//!
//! Three signals, each scaled to 0–1, weighed 50/25/25:
//! - **evening and night hot spot** — the Gi* z-score of incidents between 18:00 and 06:00
//!   (Copenhagen time) in the chosen window, over the district's cells (k = 1); z ≥ 3.29
//!   (p ≈ 0.001) counts fully, z ≤ 0 not at all;
//! - **poor observation ratings** — per cell and kind (lighting, visibility, hidden corner,
//!   walkway, feeling of safety), the newest safety-walk rating; each kind rated 1–2 adds ⅓
//!   (three or more count fully), so a spot rated well on a later walk stops counting;
//! - **resident reports** — reports (not rejected, not duplicates) in the window up to now, plus
//!   their "me too"s; five count fully.
//!
//! Each place lists the reasons it ranks high and the initiatives within 100 m of its centre.

use std::collections::HashMap;

use geo::{Geometry, MultiPolygon};
use h3o::{CellIndex, LatLng, Resolution};

use crate::analysis::evaluation::{distance_m, LocalPlane};
use crate::analysis::gistar::{self, GiError};
use crate::catalog::Catalog;
use crate::index::PointFilter;
use crate::model::{time, ObservationKind};
use crate::reports::{Report, Service, Status};

/// Weight of the hot-spot signal.
pub const W_HOTSPOT: f64 = 0.5;
/// Weight of the observation signal.
pub const W_OBSERVATIONS: f64 = 0.25;
/// Weight of the report signal.
pub const W_REPORTS: f64 = 0.25;

/// Kinds of observation that speak to the physical space.
const SPACE_KINDS: [ObservationKind; 5] = [
    ObservationKind::Lighting,
    ObservationKind::Visibility,
    ObservationKind::HiddenCorner,
    ObservationKind::Walkway,
    ObservationKind::Feeling,
];

/// What to rank.
pub struct Inputs<'a> {
    /// The loaded layers (exact: the ranking is for planners).
    pub catalog: &'a Catalog,
    /// The district to rank cells of.
    pub area: &'a MultiPolygon<f64>,
    /// H3 resolution of the cells.
    pub resolution: Resolution,
    /// Incidents from `[start, end]`, Unix seconds.
    pub incidents: (i64, i64),
    /// Reports from this time on, Unix seconds.
    pub reports_since: i64,
    /// Every report.
    pub reports: &'a [Report],
    /// Initiatives: id and geometry (WGS84).
    pub initiatives: &'a [(i64, Geometry<f64>)],
}

/// A ranked place.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Place {
    /// Rank, 1 = first.
    pub rank: usize,
    /// H3 cell.
    #[serde(serialize_with = "cell_string")]
    pub cell: CellIndex,
    /// 0–1.
    pub score: f64,
    /// Evening/night incidents in the cell.
    pub evening_night_incidents: u32,
    /// Gi* z-score of evening/night incidents.
    pub gi_z: f64,
    /// Whether Gi* marks a hot spot after the false-discovery-rate correction.
    pub gi_hot_spot: bool,
    /// Poorly rated kinds (code, newest rating).
    pub poor_observations: Vec<(&'static str, u8)>,
    /// Reports in the window.
    pub reports: u32,
    /// Their "me too"s.
    pub me_too: u32,
    /// Report services with counts.
    pub report_services: Vec<(&'static str, u32)>,
    /// Initiatives within 100 m of the centre.
    pub initiatives: Vec<i64>,
    /// Why it ranks high, English.
    pub reasons_en: Vec<String>,
    /// Why, Danish.
    pub reasons_da: Vec<String>,
}

fn cell_string<S: serde::Serializer>(c: &CellIndex, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&c.to_string())
}

/// The cells of the area ranked by score (cells scoring 0 left out).
pub fn rank(inputs: &Inputs<'_>) -> Result<Vec<Place>, GiError> {
    let res = inputs.resolution;
    let cells = gistar::study_cells(&[inputs.area], res);
    let pos: HashMap<CellIndex, usize> = cells.iter().enumerate().map(|(i, &c)| (c, i)).collect();
    let cat = inputs.catalog;
    let mut counts = vec![0u32; cells.len()];
    let mut used = 0;
    for p in cat.query_incidents(
        &PointFilter {
            bbox: None,
            within: Some(inputs.area),
            time: Some(inputs.incidents),
        },
        u16::MAX,
    ) {
        let (hour, _) = time::copenhagen_hour_weekday(cat.incidents[p as usize].occurred_at);
        if !(6..18).contains(&hour) {
            if let Some(&i) = pos.get(&cat.incident_cell(p, res)) {
                counts[i] += 1;
                used += 1;
            }
        }
    }
    if used < gistar::MIN_INCIDENTS {
        return Err(GiError::TooFewIncidents(used));
    }
    let gi = gistar::gi_star(&cells, &counts, &gistar::neighbours(&cells, 1), 0, 0)?;

    // Newest rating per cell and kind.
    let mut newest: HashMap<(usize, &'static str), (i64, u8)> = HashMap::new();
    for p in cat.query_observations(&PointFilter {
        bbox: None,
        within: Some(inputs.area),
        time: None,
    }) {
        let o = &cat.observations[p as usize];
        if !SPACE_KINDS.contains(&o.kind) {
            continue;
        }
        let Some(i) = cell_of(o.lon, o.lat, res).and_then(|c| pos.get(&c).copied()) else {
            continue;
        };
        let e = newest.entry((i, o.kind.code())).or_insert((i64::MIN, 5));
        if o.observed_at > e.0 {
            *e = (o.observed_at, o.rating);
        }
    }
    let mut poor: Vec<Vec<(&'static str, u8)>> = vec![Vec::new(); cells.len()];
    for (&(i, kind), &(_, rating)) in &newest {
        if rating <= 2 {
            poor[i].push((kind, rating));
        }
    }
    let mut reports = vec![(0u32, 0u32, HashMap::<&'static str, u32>::new()); cells.len()];
    for r in inputs.reports {
        if r.created_at < inputs.reports_since
            || matches!(r.status, Status::Rejected | Status::Duplicate)
        {
            continue;
        }
        if let Some(i) = cell_of(r.lon, r.lat, res).and_then(|c| pos.get(&c).copied()) {
            let e = &mut reports[i];
            e.0 += 1;
            e.1 += r.me_too;
            *e.2.entry(r.service.code()).or_default() += 1;
        }
    }

    let mut places: Vec<Place> = Vec::new();
    for (i, g) in gi.iter().enumerate() {
        let hot = (g.z / 3.29).clamp(0.0, 1.0);
        let mut kinds = std::mem::take(&mut poor[i]);
        kinds.sort();
        let obs = (kinds.len() as f64 / 3.0).min(1.0);
        let (n_rep, me_too, services) = std::mem::take(&mut reports[i]);
        let rep = ((n_rep + me_too) as f64 / 5.0).min(1.0);
        let score = W_HOTSPOT * hot + W_OBSERVATIONS * obs + W_REPORTS * rep;
        if score <= 0.0 {
            continue;
        }
        let mut services: Vec<(&'static str, u32)> = services.into_iter().collect();
        services.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let ll = LatLng::from(g.cell);
        let plane = LocalPlane::new(ll.lng(), ll.lat());
        let initiatives: Vec<i64> = inputs
            .initiatives
            .iter()
            .filter(|(_, geom)| distance_m((0.0, 0.0), &plane.geometry(geom)) <= 100.0)
            .map(|(id, _)| *id)
            .collect();
        let mut en = Vec::new();
        let mut da = Vec::new();
        if g.z > 0.0 && g.count > 0 {
            let sig = if g.bin > 0 {
                " — a significant hot spot"
            } else {
                ""
            };
            let sig_da = if g.bin > 0 {
                " — et signifikant hot spot"
            } else {
                ""
            };
            en.push(format!(
                "{} evening/night incidents (18–06), Gi* z = {:.1}{sig}",
                g.count, g.z
            ));
            da.push(format!(
                "{} hændelser aften/nat (18–06), Gi* z = {:.1}{sig_da}",
                g.count, g.z
            ));
        }
        if !kinds.is_empty() {
            let list = |da: bool| -> String {
                kinds
                    .iter()
                    .map(|(k, r)| {
                        let name = k.parse::<ObservationKind>().map_or(*k, |kind| {
                            let l = kind.labels();
                            if da {
                                l.label_da
                            } else {
                                l.label_en
                            }
                        });
                        format!("{} {r}/5", name.to_lowercase())
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            en.push(format!("poor safety-walk ratings: {}", list(false)));
            da.push(format!(
                "dårlige vurderinger på tryghedsvandring: {}",
                list(true)
            ));
        }
        if n_rep > 0 {
            let list = |da: bool| -> String {
                services
                    .iter()
                    .map(|(s, n)| {
                        let name = Service::parse(s).map_or(*s, |sv| {
                            let l = sv.labels();
                            if da {
                                l.label_da
                            } else {
                                l.label_en
                            }
                        });
                        format!("{} ×{n}", name.to_lowercase())
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            en.push(format!(
                "{n_rep} resident report(s) (+{me_too} me too): {}",
                list(false)
            ));
            da.push(format!(
                "{n_rep} borgerhenvendelse(r) (+{me_too} også mig): {}",
                list(true)
            ));
        }
        if !initiatives.is_empty() {
            let ids: Vec<String> = initiatives.iter().map(|i| format!("#{i}")).collect();
            en.push(format!(
                "already has initiative(s) {} within 100 m",
                ids.join(", ")
            ));
            da.push(format!(
                "har allerede indsats(er) {} inden for 100 m",
                ids.join(", ")
            ));
        }
        places.push(Place {
            rank: 0,
            cell: g.cell,
            score: (score * 1000.0).round() / 1000.0,
            evening_night_incidents: g.count,
            gi_z: (g.z * 100.0).round() / 100.0,
            gi_hot_spot: g.bin > 0,
            poor_observations: kinds,
            reports: n_rep,
            me_too,
            report_services: services,
            initiatives,
            reasons_en: en,
            reasons_da: da,
        });
    }
    places.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.evening_night_incidents.cmp(&a.evening_night_incidents))
            .then(a.cell.cmp(&b.cell))
    });
    for (i, p) in places.iter_mut().enumerate() {
        p.rank = i + 1;
    }
    Ok(places)
}

fn cell_of(lon: f64, lat: f64, res: Resolution) -> Option<CellIndex> {
    LatLng::new(lat, lon).ok().map(|ll| ll.to_cell(res))
}

/// The cell's boundary as a closed GeoJSON ring, `[lon, lat]` pairs.
pub fn cell_ring(c: CellIndex) -> Vec<[f64; 2]> {
    let mut ring: Vec<[f64; 2]> = c.boundary().iter().map(|ll| [ll.lng(), ll.lat()]).collect();
    if let Some(&first) = ring.first() {
        ring.push(first);
    }
    ring
}
