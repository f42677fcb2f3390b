//! Emerging hot spots, after Esri's Emerging Hot Spot Analysis: incidents binned by H3 cell and
//! time step (month, quarter or year, Copenhagen calendar); Getis-Ord Gi* for every cell and
//! step over a space-time neighbourhood (cells within `k` grid steps, in the same step and the
//! `time_window` steps before it; mean and deviation over the whole cube); significance after
//! a Benjamini–Hochberg correction at 95 % over all cell-steps; a Mann-Kendall test of each
//! cell's z-series; and a class per cell from its history (see [`CLASSES`]).

use geo::MultiPolygon;
use h3o::{CellIndex, Resolution};

use super::gistar::{bh_reject, GiError, MIN_INCIDENTS};
use super::stats::normal_sf;
use crate::catalog::Catalog;
use crate::model::time;

/// Every class with its one-sentence definition (hot; the cold classes mirror them).
pub const CLASSES: &[(&str, &str)] = &[
    ("new_hot", "A significant hot spot in the final time step that never was one before."),
    ("consecutive_hot", "A single unbroken run of at least two significant hot steps ending in the final step, never hot before the run, and hot in under 90 % of steps."),
    ("intensifying_hot", "A significant hot spot in at least 90 % of steps including the final one, whose clustering grows significantly over time (Mann-Kendall, p < 0.05)."),
    ("persistent_hot", "A significant hot spot in at least 90 % of steps including the final one, with no significant trend."),
    ("diminishing_hot", "A significant hot spot in at least 90 % of steps including the final one, whose clustering falls significantly over time."),
    ("sporadic_hot", "A significant hot spot in the final step that has been on and off before, in under 90 % of steps, and never a significant cold spot."),
    ("oscillating_hot", "A significant hot spot in the final step that was a significant cold spot in some earlier step, hot in under 90 % of steps."),
    ("historical_hot", "Not hot in the final step, but a significant hot spot in at least 90 % of steps."),
    ("new_cold", "A significant cold spot in the final time step that never was one before."),
    ("consecutive_cold", "A single unbroken run of at least two significant cold steps ending in the final step, never cold before the run, and cold in under 90 % of steps."),
    ("intensifying_cold", "A significant cold spot in at least 90 % of steps including the final one, growing colder significantly over time."),
    ("persistent_cold", "A significant cold spot in at least 90 % of steps including the final one, with no significant trend."),
    ("diminishing_cold", "A significant cold spot in at least 90 % of steps including the final one, growing less cold significantly over time."),
    ("sporadic_cold", "A significant cold spot in the final step that has been on and off before, in under 90 % of steps, and never a significant hot spot."),
    ("oscillating_cold", "A significant cold spot in the final step that was a significant hot spot in some earlier step, cold in under 90 % of steps."),
    ("historical_cold", "Not cold in the final step, but a significant cold spot in at least 90 % of steps."),
    ("no_pattern", "None of the above."),
];

/// Time-step length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Calendar months.
    Month,
    /// Calendar quarters.
    Quarter,
    /// Calendar years.
    Year,
}

impl Step {
    fn months(self) -> i64 {
        match self {
            Step::Month => 1,
            Step::Quarter => 3,
            Step::Year => 12,
        }
    }
}

/// Mann-Kendall trend test: the S statistic's normal approximation with the tie correction
/// and continuity correction. Returns (Z, two-sided p).
pub fn mann_kendall(x: &[f64]) -> (f64, f64) {
    let n = x.len();
    if n < 3 {
        return (0.0, 1.0);
    }
    let mut s = 0.0;
    for i in 0..n {
        for j in i + 1..n {
            s += (x[j] - x[i]).signum() * if x[j] == x[i] { 0.0 } else { 1.0 };
        }
    }
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut ties = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && sorted[j + 1] == sorted[i] {
            j += 1;
        }
        let t = (j - i + 1) as f64;
        ties += t * (t - 1.0) * (2.0 * t + 5.0);
        i = j + 1;
    }
    let nf = n as f64;
    let var = (nf * (nf - 1.0) * (2.0 * nf + 5.0) - ties) / 18.0;
    if var <= 0.0 {
        return (0.0, 1.0);
    }
    let z = if s > 0.0 {
        (s - 1.0) / var.sqrt()
    } else if s < 0.0 {
        (s + 1.0) / var.sqrt()
    } else {
        0.0
    };
    (z, (2.0 * normal_sf(z.abs())).min(1.0))
}

/// The class of a cell from its significance series (+1 hot, −1 cold, 0 not) and trend.
pub fn classify(sig: &[i8], trend_z: f64, trend_p: f64) -> &'static str {
    let n = sig.len();
    if n == 0 {
        return "no_pattern";
    }
    let of = |s: i8| -> Option<&'static str> {
        let count = sig.iter().filter(|&&v| v == s).count();
        let other = sig.iter().any(|&v| v == -s);
        let final_ = sig[n - 1] == s;
        let share = count as f64 / n as f64;
        let rising = trend_p < 0.05 && if s > 0 { trend_z > 0.0 } else { trend_z < 0.0 };
        let falling = trend_p < 0.05 && if s > 0 { trend_z < 0.0 } else { trend_z > 0.0 };
        if share >= 0.9 {
            return Some(if !final_ {
                "historical"
            } else if rising {
                "intensifying"
            } else if falling {
                "diminishing"
            } else {
                "persistent"
            });
        }
        if !final_ {
            return None;
        }
        if count == 1 {
            return Some("new");
        }
        let run = sig.iter().rev().take_while(|&&v| v == s).count();
        if run >= 2 && run == count {
            return Some("consecutive");
        }
        Some(if other { "oscillating" } else { "sporadic" })
    };
    let name = |base: &str, hot: bool| -> &'static str {
        let full = format!("{base}_{}", if hot { "hot" } else { "cold" });
        CLASSES
            .iter()
            .find(|(c, _)| *c == full)
            .map(|(c, _)| *c)
            .unwrap_or("no_pattern")
    };
    if let Some(b) = of(1) {
        return name(b, true);
    }
    if let Some(b) = of(-1) {
        return name(b, false);
    }
    "no_pattern"
}

/// One cell's result.
#[derive(Debug, Clone)]
pub struct EmergingCell {
    /// The cell.
    pub cell: CellIndex,
    /// Incidents per step.
    pub counts: Vec<u32>,
    /// Gi* z per step.
    pub z: Vec<f64>,
    /// +1 significant hot, −1 significant cold, 0 not, per step.
    pub sig: Vec<i8>,
    /// Mann-Kendall Z of the z-series.
    pub trend_z: f64,
    /// Its two-sided p.
    pub trend_p: f64,
    /// The class code.
    pub class: &'static str,
}

/// The analysis.
#[derive(Debug, Clone)]
pub struct Emerging {
    /// Step starts, Unix seconds (Copenhagen calendar).
    pub steps: Vec<i64>,
    /// Per cell.
    pub cells: Vec<EmergingCell>,
    /// Incidents used.
    pub incidents: usize,
}

/// Parameters.
#[derive(Debug, Clone, Copy)]
pub struct EmergingParams {
    /// H3 resolution.
    pub resolution: Resolution,
    /// Spatial neighbourhood, grid steps.
    pub k: u32,
    /// Time neighbourhood: steps before the current one.
    pub time_window: u32,
    /// Step length.
    pub step: Step,
    /// Category mask.
    pub categories: u16,
    /// `[start, end]` Unix seconds.
    pub time: (i64, i64),
}

fn month_index(secs: i64) -> i64 {
    let local = secs + time::copenhagen_offset(secs);
    let (y, m, _) = time::civil_from_days(local.div_euclid(86_400));
    y * 12 + (m as i64 - 1)
}

/// Runs the analysis over `area` in `[time.0, time.1]`.
pub fn emerging(
    catalog: &Catalog,
    area: &[&MultiPolygon<f64>],
    p: &EmergingParams,
) -> Result<Emerging, GiError> {
    let grid = catalog.study_grid(area, p.resolution);
    let cells = &grid.cells;
    let first = month_index(p.time.0).div_euclid(p.step.months());
    let last = month_index(p.time.1).div_euclid(p.step.months());
    let steps_n = (last - first + 1).max(0) as usize;
    let (nc, nt) = (cells.len(), steps_n);
    if nc < 3 {
        return Err(GiError::TooFewCells(nc));
    }
    if nt < 3 {
        return Err(GiError::TooFewSteps(nt));
    }
    if nc.saturating_mul(nt) > super::gistar::MAX_CELL_STEPS {
        return Err(GiError::TooLarge {
            cells: nc,
            steps: nt,
        });
    }
    // Each cell-step sums its space-time neighbourhood.
    let work = (nc * nt) as u64 * 19 * (p.k as u64 + 1).pow(2) * (p.time_window as u64 + 1);
    if work > super::gistar::MAX_DRAWS {
        return Err(GiError::TooMuchWork(work));
    }
    let mut x = vec![0u32; nc * nt];
    let mut used = 0;
    for &(pos, i) in grid.members() {
        let inc = &catalog.incidents[pos as usize];
        if p.categories & inc.category.bit() != 0
            && (p.time.0..=p.time.1).contains(&inc.occurred_at)
        {
            let t = (month_index(inc.occurred_at).div_euclid(p.step.months()) - first) as usize;
            x[i as usize * nt + t] += 1;
            used += 1;
        }
    }
    if used < MIN_INCIDENTS {
        return Err(GiError::TooFewIncidents(used));
    }
    let n = (nc * nt) as f64;
    let xf: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    let mean = xf.iter().sum::<f64>() / n;
    let s = (xf.iter().map(|v| v * v).sum::<f64>() / n - mean * mean)
        .max(0.0)
        .sqrt();
    if s == 0.0 {
        return Err(GiError::NoVariation(mean));
    }
    let spatial = grid.neighbours(p.k);
    let mut z = vec![0.0; nc * nt];
    for i in 0..nc {
        for t in 0..nt {
            let t0 = t.saturating_sub(p.time_window as usize);
            let mut w = 0.0;
            let mut sum = 0.0;
            for &j in &spatial[i] {
                for tt in t0..=t {
                    w += 1.0;
                    sum += xf[j * nt + tt];
                }
            }
            z[i * nt + t] = (sum - mean * w) / (s * ((n * w - w * w) / (n - 1.0)).sqrt());
        }
    }
    let pvals: Vec<f64> = z
        .iter()
        .map(|v| (2.0 * normal_sf(v.abs())).min(1.0))
        .collect();
    let reject = bh_reject(&pvals, 0.05);
    let out_cells = (0..nc)
        .map(|i| {
            let zs: Vec<f64> = z[i * nt..(i + 1) * nt].to_vec();
            let sig: Vec<i8> = (0..nt)
                .map(|t| {
                    if reject[i * nt + t] {
                        zs[t].signum() as i8
                    } else {
                        0
                    }
                })
                .collect();
            let (tz, tp) = mann_kendall(&zs);
            EmergingCell {
                cell: cells[i],
                counts: x[i * nt..(i + 1) * nt].to_vec(),
                class: classify(&sig, tz, tp),
                z: zs,
                sig,
                trend_z: tz,
                trend_p: tp,
            }
        })
        .collect();
    let steps = (0..nt as i64)
        .map(|k| {
            let m = (first + k) * p.step.months();
            time::copenhagen_to_utc(m.div_euclid(12), (m.rem_euclid(12) + 1) as u32, 1, 0, 0)
        })
        .collect();
    Ok(Emerging {
        steps,
        cells: out_cells,
        incidents: used,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mann_kendall_matches_a_hand_computation() {
        // x = 1..5: S = 10, Var = 5·4·15/18 = 16.667, Z = (10 − 1)/√16.667 = 2.2045.
        let (z, p) = mann_kendall(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert!((z - 2.204_540_768).abs() < 1e-6, "{z}");
        assert!((p - 0.027_486_7).abs() < 1e-5, "{p}");
        let (z, _) = mann_kendall(&[5.0, 4.0, 3.0, 2.0, 1.0]);
        assert!(z < 0.0);
        assert_eq!(mann_kendall(&[2.0, 2.0, 2.0]), (0.0, 1.0));
    }

    #[test]
    fn classes_follow_the_definitions() {
        let s = |v: &[i8]| v.to_vec();
        assert_eq!(classify(&s(&[0, 0, 0, 0, 1]), 0.0, 1.0), "new_hot");
        assert_eq!(classify(&s(&[0, 0, 0, 1, 1]), 0.0, 1.0), "consecutive_hot");
        assert_eq!(classify(&s(&[1; 10]), 3.0, 0.001), "intensifying_hot");
        assert_eq!(classify(&s(&[1; 10]), -3.0, 0.001), "diminishing_hot");
        assert_eq!(classify(&s(&[1; 10]), 0.5, 0.6), "persistent_hot");
        assert_eq!(
            classify(&s(&[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]), 0.0, 1.0),
            "historical_hot"
        );
        assert_eq!(classify(&s(&[1, 0, 1, 0, 1]), 0.0, 1.0), "sporadic_hot");
        assert_eq!(classify(&s(&[-1, 0, 1, 0, 1]), 0.0, 1.0), "oscillating_hot");
        assert_eq!(classify(&s(&[0, 0, 0, 0, -1]), 0.0, 1.0), "new_cold");
        assert_eq!(classify(&s(&[0, 1, 0, 0, 0]), 0.0, 1.0), "no_pattern");
        assert_eq!(CLASSES.len(), 17);
    }
}
