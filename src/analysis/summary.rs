//! A district's summary for a period: counts per category against the period of the same
//! length before it (with an exact test of the change), the hour-by-weekday rhythm in
//! Copenhagen time, the night-time share, the strongest hot-spot cells and the safety-walk
//! ratings.

use geo::{Intersects, Point};
use h3o::Resolution;

use super::gistar::{self, HotspotParams};
use super::stats;
use crate::catalog::Catalog;
use crate::index::PointFilter;
use crate::model::{time, Category, District, ObservationKind};

/// Night is 22:00–05:59 Copenhagen time.
pub const NIGHT_HOURS: [u32; 8] = [22, 23, 0, 1, 2, 3, 4, 5];

/// Change of one category.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CategoryChange {
    /// Category code.
    pub code: &'static str,
    /// Danish label.
    pub label_da: &'static str,
    /// English label.
    pub label_en: &'static str,
    /// Incidents in the period.
    pub count: u64,
    /// Incidents in the period of the same length just before.
    pub previous: u64,
    /// `count / previous`, when `previous > 0`.
    pub rate_ratio: Option<f64>,
    /// Change in per cent, when `previous > 0`.
    pub change_pct: Option<f64>,
    /// Exact two-sided p of "same rate in both periods" (conditional binomial test); `None`
    /// when the data do not cover the previous period.
    pub p_value: Option<f64>,
    /// `p_value < 0.05`.
    pub significant: Option<bool>,
}

/// Safety-walk ratings of one kind.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RatingSummary {
    /// Observation kind.
    pub kind: &'static str,
    /// Observations.
    pub count: usize,
    /// Mean rating, 1 (very poor) … 5 (good).
    pub mean_rating: f64,
    /// Observations rated 1 or 2.
    pub poor: usize,
}

/// A hot-spot cell.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TopCell {
    /// H3 cell, hex.
    pub h3: String,
    /// Incidents.
    pub count: u32,
    /// Gi* z.
    pub gi_z: f64,
    /// FDR bin.
    pub bin: i8,
}

/// The whole summary.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    /// Per category (and `all`).
    pub categories: Vec<CategoryChange>,
    /// `hour_weekday[w][h]`: incidents on weekday w (0 = Monday) at hour h, Copenhagen time.
    pub hour_weekday: Vec<Vec<u32>>,
    /// Share of the period's incidents at night (22:00–05:59); `None` without incidents.
    pub night_share: Option<f64>,
    /// Up to 5 hot-spot cells (Gi*, resolution 10, k 1, FDR bin > 0) by z; empty when Gi*
    /// cannot be computed (`top_cells_note` says why).
    pub top_cells: Vec<TopCell>,
    /// Why there are no top cells, if there are none.
    pub top_cells_note: Option<String>,
    /// Safety-walk observations in the district in the period, by kind.
    pub observations: Vec<RatingSummary>,
}

/// Summarises `district` over `[from, to]` (Unix seconds, both included).
pub fn summarise(catalog: &Catalog, district: &District, from: i64, to: i64) -> Summary {
    let len = to - from + 1;
    summarise_against(catalog, district, from, to, (from - len, from - 1))
}

/// [`summarise`], compared with the given previous period `[pfrom, pto]` (Unix seconds) instead
/// of the equally long one just before.
pub fn summarise_against(
    catalog: &Catalog,
    district: &District,
    from: i64,
    to: i64,
    (pfrom, pto): (i64, i64),
) -> Summary {
    let within = Some(&district.geometry);
    let now = catalog.query_incidents(
        &PointFilter {
            bbox: None,
            within,
            time: Some((from, to)),
        },
        u16::MAX,
    );
    let before = catalog.query_incidents(
        &PointFilter {
            bbox: None,
            within,
            time: Some((pfrom, pto)),
        },
        u16::MAX,
    );
    let count = |ps: &[u32], c: Option<Category>| {
        ps.iter()
            .filter(|&&p| c.is_none_or(|c| catalog.incidents[p as usize].category == c))
            .count() as u64
    };

    let change = |code: &'static str, da: &'static str, en: &'static str, n1: u64, n2: u64| {
        let p = stats::poisson_rate_test(n1, 1.0, n2, 1.0);
        CategoryChange {
            code,
            label_da: da,
            label_en: en,
            count: n1,
            previous: n2,
            rate_ratio: (n2 > 0).then(|| n1 as f64 / n2 as f64),
            change_pct: (n2 > 0).then(|| (n1 as f64 / n2 as f64 - 1.0) * 100.0),
            p_value: Some(p),
            significant: Some(p < 0.05),
        }
    };
    let mut categories: Vec<CategoryChange> = Category::ALL
        .iter()
        .map(|&c| {
            let l = c.labels();
            change(
                c.code(),
                l.label_da,
                l.label_en,
                count(&now, Some(c)),
                count(&before, Some(c)),
            )
        })
        .collect();
    categories.push(change(
        "all",
        "Alle",
        "All",
        now.len() as u64,
        before.len() as u64,
    ));

    let mut hour_weekday = vec![vec![0u32; 24]; 7];
    let mut night = 0usize;
    for &p in &now {
        let (h, w) = time::copenhagen_hour_weekday(catalog.incidents[p as usize].occurred_at);
        hour_weekday[w as usize][h as usize] += 1;
        if NIGHT_HOURS.contains(&h) {
            night += 1;
        }
    }

    let params = HotspotParams {
        resolution: Resolution::Ten,
        k: 1,
        categories: u16::MAX,
        time: Some((from, to)),
        permutations: 0,
        seed: 0,
    };
    let (top_cells, top_cells_note) =
        match gistar::hotspots(catalog, &[&district.geometry], &params) {
            Ok(h) => {
                let mut hot: Vec<_> = h.cells.into_iter().filter(|c| c.bin > 0).collect();
                hot.sort_by(|a, b| b.z.total_cmp(&a.z));
                let cells: Vec<TopCell> = hot
                    .into_iter()
                    .take(5)
                    .map(|c| TopCell {
                        h3: c.cell.to_string(),
                        count: c.count,
                        gi_z: c.z,
                        bin: c.bin,
                    })
                    .collect();
                let note = cells
                    .is_empty()
                    .then(|| "no significant hot spot after the FDR correction".to_owned());
                (cells, note)
            }
            Err(e) => (Vec::new(), Some(e.to_string())),
        };

    let obs: Vec<_> = catalog
        .observations
        .iter()
        .filter(|o| {
            o.observed_at >= from
                && o.observed_at <= to
                && district.geometry.intersects(&Point::new(o.lon, o.lat))
        })
        .collect();
    let observations = ObservationKind::ALL
        .iter()
        .filter_map(|&k| {
            let of: Vec<_> = obs.iter().filter(|o| o.kind == k).collect();
            (!of.is_empty()).then(|| RatingSummary {
                kind: k.code(),
                count: of.len(),
                mean_rating: of.iter().map(|o| o.rating as f64).sum::<f64>() / of.len() as f64,
                poor: of.iter().filter(|o| o.rating <= 2).count(),
            })
        })
        .collect();

    Summary {
        categories,
        hour_weekday,
        night_share: (!now.is_empty()).then(|| night as f64 / now.len() as f64),
        top_cells,
        top_cells_note,
        observations,
    }
}
