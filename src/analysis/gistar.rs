//! Getis-Ord Gi* over H3 cells, exactly as DESIGN.md defines it ("Hotspot statistic"):
//!
//! - cells: every H3 cell at the resolution whose centre lies in the study area (the union of
//!   the chosen districts), including cells with no incident;
//! - value of a cell: its incidents under the filters that lie in the study area;
//! - binary weights, j a neighbour of i when `grid_distance(i, j) <= k`, i its own neighbour;
//! - `z_i = (Σ_j w_ij x_j − x̄ Σ_j w_ij) / (S √((n Σ_j w_ij² − (Σ_j w_ij)²)/(n−1)))` with x̄ and
//!   S (population standard deviation) over all n cells — PySAL's
//!   `esda.G_Local(y, w, transform='B', star=True).Zs`;
//! - p two-sided from the normal distribution; bins −3…3 at 99/95/90 % confidence after the
//!   Benjamini–Hochberg false-discovery-rate correction over all cells.
//!
//! Optionally, conditional permutation inference (PySAL's `p_sim`): for each cell the values of
//! its neighbours are redrawn at random from the other cells, `permutations` times, with a
//! fixed seed.

use geo::MultiPolygon;
use h3o::{CellIndex, Resolution};
use rand::seq::index::sample;
use rand::SeedableRng;

/// The most neighbour values drawn in all permutations of one answer (about a second).
pub const MAX_DRAWS: u64 = 200_000_000;

/// The fewest incidents in the study area for which Gi* is computed.
pub const MIN_INCIDENTS: usize = 30;

/// The most cell-steps one emerging hot-spot analysis may hold. Each costs about 30 bytes while
/// computing and 60 in the answer, so this bounds one request to some tens of MB.
pub const MAX_CELL_STEPS: usize = 250_000;

/// Why Gi* cannot be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GiError {
    /// Too few incidents for the statistic to mean anything.
    #[error("only {0} incidents in the study area; Gi* needs at least 30 (widen the period, categories or area)")]
    TooFewIncidents(usize),
    /// Every cell has the same count: no variation to test.
    #[error("every cell has the same count ({0}); there is no variation to test")]
    NoVariation(f64),
    /// The permutations would take too long.
    #[error("{0} neighbour values to sum or draw is more than {MAX_DRAWS}; use a coarser resolution, a smaller k or area, or fewer permutations")]
    TooMuchWork(u64),
    /// Fewer than 3 time steps (emerging hot spots).
    #[error("the period holds only {0} time steps; emerging hot spots need at least 3 (choose a longer period or a shorter step)")]
    TooFewSteps(usize),
    /// A cell's neighbourhood is the whole study area, so its z-score is undefined (0/0).
    #[error("each of the {0} cells is within k grid steps of every other, so Gi* is undefined; choose a finer resolution, a smaller k or a larger area")]
    AllNeighbours(usize),
    /// More cell-steps than an answer may hold (emerging hot spots): memory and answer size
    /// grow with cells × steps.
    #[error("{cells} cells × {steps} time steps = {} cell-steps; at most {MAX_CELL_STEPS}: choose a coarser resolution, a longer step, a shorter period or a smaller area", cells * steps)]
    TooLarge {
        /// Study cells.
        cells: usize,
        /// Time steps.
        steps: usize,
    },
    /// Fewer than 3 cells.
    #[error("the study area holds only {0} cells at this resolution; choose a finer resolution or a larger area")]
    TooFewCells(usize),
}

/// One cell's result.
#[derive(Debug, Clone, PartialEq)]
pub struct GiCell {
    /// The H3 cell.
    pub cell: CellIndex,
    /// Incidents in it.
    pub count: u32,
    /// Gi* z-score.
    pub z: f64,
    /// Two-sided p from the normal distribution.
    pub p: f64,
    /// −3…3: cold/hot spot at 99/95/90 % after the FDR correction; 0 = not significant.
    pub bin: i8,
    /// Pseudo p-value from conditional permutations, when asked for.
    pub p_sim: Option<f64>,
}

pub use crate::index::study::{neighbours, study_cells};

use super::stats::normal_sf;

/// Benjamini–Hochberg: whether each p is rejected at false-discovery rate `alpha`.
pub fn bh_reject(p: &[f64], alpha: f64) -> Vec<bool> {
    let n = p.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut cutoff = None;
    for (rank, &i) in order.iter().enumerate() {
        if p[i] <= (rank + 1) as f64 / n as f64 * alpha {
            cutoff = Some(p[i]);
        }
    }
    p.iter().map(|&v| cutoff.is_some_and(|c| v <= c)).collect()
}

/// Gi* for `counts` (one per cell) with binary star weights given by `nbrs`. With
/// `permutations > 0`, also conditional-permutation pseudo p-values (seeded).
pub fn gi_star(
    cells: &[CellIndex],
    counts: &[u32],
    nbrs: &[Vec<usize>],
    permutations: u32,
    seed: u64,
) -> Result<Vec<GiCell>, GiError> {
    let n = counts.len();
    if n < 3 {
        return Err(GiError::TooFewCells(n));
    }
    let x: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
    let nf = n as f64;
    let mean = x.iter().sum::<f64>() / nf;
    let s = (x.iter().map(|v| v * v).sum::<f64>() / nf - mean * mean)
        .max(0.0)
        .sqrt();
    if s == 0.0 {
        return Err(GiError::NoVariation(mean));
    }
    if nbrs.iter().any(|nb| nb.len() >= n) {
        return Err(GiError::AllNeighbours(n));
    }
    let z_of = |w: f64, sum: f64| (sum - mean * w) / (s * ((nf * w - w * w) / (nf - 1.0)).sqrt());
    let mut out: Vec<GiCell> = (0..n)
        .map(|i| {
            let w = nbrs[i].len() as f64;
            let sum: f64 = nbrs[i].iter().map(|&j| x[j]).sum();
            let z = z_of(w, sum);
            GiCell {
                cell: cells[i],
                count: counts[i],
                z,
                p: (2.0 * normal_sf(z.abs())).min(1.0),
                bin: 0,
                p_sim: None,
            }
        })
        .collect();
    let p: Vec<f64> = out.iter().map(|c| c.p).collect();
    let (r01, r05, r10) = (
        bh_reject(&p, 0.01),
        bh_reject(&p, 0.05),
        bh_reject(&p, 0.10),
    );
    for (i, c) in out.iter_mut().enumerate() {
        let level = if r01[i] {
            3
        } else if r05[i] {
            2
        } else if r10[i] {
            1
        } else {
            0
        };
        c.bin = if c.z >= 0.0 { level } else { -level };
    }
    if permutations > 0 {
        let draws: u64 = nbrs.iter().map(|v| v.len() as u64).sum::<u64>() * permutations as u64;
        if draws > MAX_DRAWS {
            return Err(GiError::TooMuchWork(draws));
        }
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
        for i in 0..n {
            // Hold x_i; draw the neighbours' values from the other n−1 cells.
            let k = nbrs[i].len() - 1;
            let observed: f64 = nbrs[i].iter().map(|&j| x[j]).sum();
            let mut extreme = 0u32;
            let expected = x[i] + mean * k as f64;
            for _ in 0..permutations {
                let draw = sample(&mut rng, n - 1, k);
                let sim: f64 = x[i]
                    + draw
                        .iter()
                        .map(|j| x[if j >= i { j + 1 } else { j }])
                        .sum::<f64>();
                if (observed >= expected && sim >= observed)
                    || (observed < expected && sim <= observed)
                {
                    extreme += 1;
                }
            }
            out[i].p_sim = Some((extreme as f64 + 1.0) / (permutations as f64 + 1.0));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use h3o::LatLng;

    #[test]
    fn bh_matches_a_hand_count() {
        // n = 5, alpha 0.05: thresholds 0.01, 0.02, 0.03, 0.04, 0.05.
        let p = [0.001, 0.03, 0.021, 0.5, 0.04];
        assert_eq!(bh_reject(&p, 0.05), vec![true, true, true, false, true]);
        assert_eq!(bh_reject(&p, 0.01), vec![true, false, false, false, false]);
    }

    #[test]
    fn normal_tail() {
        assert!((normal_sf(1.959_963_984_540_054) - 0.025).abs() < 1e-12);
        assert!((normal_sf(0.0) - 0.5).abs() < 1e-15);
    }

    #[test]
    fn flat_counts_have_no_variation() {
        let c = LatLng::new(55.6866, 12.5547)
            .unwrap()
            .to_cell(Resolution::Ten);
        let cells: Vec<CellIndex> = c.grid_disk(1);
        let nb = neighbours(&cells, 1);
        assert!(matches!(
            gi_star(&cells, &vec![2; cells.len()], &nb, 0, 1),
            Err(GiError::NoVariation(_))
        ));
    }
}

/// A whole hot-spot analysis.
#[derive(Debug, Clone)]
pub struct Hotspots {
    /// Per cell, sorted by cell index.
    pub cells: Vec<GiCell>,
    /// Incidents counted (in the study area and in a study cell).
    pub incidents: usize,
    /// The study grid the cells come from (position `i` of `cells` is cell `i` of the grid).
    pub grid: std::sync::Arc<crate::index::study::StudyGrid>,
}

/// What to analyse.
#[derive(Debug, Clone, Copy)]
pub struct HotspotParams {
    /// H3 resolution.
    pub resolution: Resolution,
    /// Neighbourhood distance in grid steps.
    pub k: u32,
    /// Category bit mask.
    pub categories: u16,
    /// `[start, end]` Unix seconds.
    pub time: Option<(i64, i64)>,
    /// Conditional permutations (0 = analytic only).
    pub permutations: u32,
    /// Seed of the permutations.
    pub seed: u64,
}

/// Gi* over the study area `area` (the union of the given district polygons). The study grid
/// comes from the catalog (kept per districts and resolution when `area` is the catalog's own
/// districts), so this is a pass over the area's incidents plus Gi* itself.
pub fn hotspots(
    catalog: &crate::catalog::Catalog,
    area: &[&MultiPolygon<f64>],
    params: &HotspotParams,
) -> Result<Hotspots, GiError> {
    let grid = catalog.study_grid(area, params.resolution);
    let mut counts = vec![0u32; grid.cells.len()];
    let mut used = 0;
    for &(p, c) in grid.members() {
        let i = &catalog.incidents[p as usize];
        if params.categories & i.category.bit() != 0
            && params
                .time
                .is_none_or(|(s, e)| (s..=e).contains(&i.occurred_at))
        {
            counts[c as usize] += 1;
            used += 1;
        }
    }
    if used < MIN_INCIDENTS {
        return Err(GiError::TooFewIncidents(used));
    }
    let cells = gi_star(
        &grid.cells,
        &counts,
        &grid.neighbours(params.k),
        params.permutations,
        params.seed,
    )?;
    Ok(Hotspots {
        cells,
        incidents: used,
        grid,
    })
}
