//! Kernel density of incidents: a quartic (biweight) kernel on a metric grid, values in
//! incidents per km².
//!
//! The grid is laid in a local equirectangular projection centred on the area (x = east,
//! y = north, metres; scale error under 0.1 % across a 10 km area), so cell size and bandwidth
//! are true metres. Kernel: `K(d) = 3 / (π h²) · (1 − d²/h²)²` for `d < h` (it integrates to 1),
//! evaluated at each cell centre.

use crate::index::LonLatBox;

/// Metres per degree of latitude (mean).
const M_PER_DEG: f64 = 111_320.0;

/// The most kernel evaluations one answer may take (about a second of work).
pub const MAX_WORK: u64 = 400_000_000;

/// The most cells one answer may hold (512 × 512).
pub const MAX_CELLS: usize = 512 * 512;

/// A density raster.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Raster {
    /// Cells across (west → east).
    pub width: usize,
    /// Cells down (north → south).
    pub height: usize,
    /// Cell edge, metres.
    pub cell_m: f64,
    /// Bandwidth used, metres.
    pub bandwidth_m: f64,
    /// The raster's extent, lon/lat `[west, south, east, north]`.
    pub bbox: [f64; 4],
    /// Row-major values from the north-west corner, incidents per km², rounded to 0.01.
    pub values: Vec<f64>,
    /// Largest value.
    pub max: f64,
}

/// Silverman's rule for two dimensions on the points' standard distance:
/// `h = 0.9 · min(σ, IQR/1.34) · n^(−1/5)`, metres, over x and y pooled; at least 50 m.
pub fn silverman_m(xy: &[(f64, f64)]) -> f64 {
    let n = xy.len();
    if n < 2 {
        return 150.0;
    }
    let spread = |v: &mut Vec<f64>| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        let sd = (v.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / (v.len() - 1) as f64).sqrt();
        v.sort_by(f64::total_cmp);
        let q = |f: f64| v[((v.len() - 1) as f64 * f).round() as usize];
        let iqr = q(0.75) - q(0.25);
        if iqr > 0.0 {
            sd.min(iqr / 1.34)
        } else {
            sd
        }
    };
    let mut xs: Vec<f64> = xy.iter().map(|p| p.0).collect();
    let mut ys: Vec<f64> = xy.iter().map(|p| p.1).collect();
    let s = ((spread(&mut xs).powi(2) + spread(&mut ys).powi(2)) / 2.0).sqrt();
    (0.9 * s * (n as f64).powf(-0.2)).max(50.0)
}

/// Why a raster cannot be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KdeError {
    /// The grid would be too large.
    #[error("{0} cells is more than {MAX_CELLS}; use a larger cell_m or a smaller area")]
    TooManyCells(usize),
    /// The kernel would touch too many cells in all (points × cells within the bandwidth).
    #[error("{0} kernel evaluations is more than {MAX_WORK}; use a larger cell_m, a smaller bandwidth or fewer incidents")]
    TooMuchWork(u64),
}

/// The density of `points` (lon/lat) over `area` (grown by the bandwidth), with cells of
/// `cell_m` metres and bandwidth `bandwidth_m` (or Silverman's rule when `None`).
pub fn density(
    points: &[(f64, f64)],
    area: &LonLatBox,
    cell_m: f64,
    bandwidth_m: Option<f64>,
) -> Result<Raster, KdeError> {
    let lat0 = (area.min_lat + area.max_lat) / 2.0;
    let lon0 = (area.min_lon + area.max_lon) / 2.0;
    let kx = M_PER_DEG * lat0.to_radians().cos();
    let to_xy = |lon: f64, lat: f64| ((lon - lon0) * kx, (lat - lat0) * M_PER_DEG);
    let xy: Vec<(f64, f64)> = points.iter().map(|&(lon, lat)| to_xy(lon, lat)).collect();
    let h = bandwidth_m.unwrap_or_else(|| silverman_m(&xy));
    let (x0, y0) = to_xy(area.min_lon, area.min_lat);
    let (x1, y1) = to_xy(area.max_lon, area.max_lat);
    let (x0, y0, x1, y1) = (x0 - h, y0 - h, x1 + h, y1 + h);
    let width = ((x1 - x0) / cell_m).ceil().max(1.0) as usize;
    let height = ((y1 - y0) / cell_m).ceil().max(1.0) as usize;
    if width * height > MAX_CELLS {
        return Err(KdeError::TooManyCells(width * height));
    }
    let north = y0 + height as f64 * cell_m;
    let mut grid = vec![0.0f64; width * height];
    let norm = 3.0 / (std::f64::consts::PI * h * h) * 1e6; // per m² → per km²
    let reach = (h / cell_m).ceil() as isize;
    let work = xy.len() as u64 * ((2 * reach + 1) as u64).pow(2);
    if work > MAX_WORK {
        return Err(KdeError::TooMuchWork(work));
    }
    for &(px, py) in &xy {
        let ci = ((px - x0) / cell_m).floor() as isize;
        let ri = ((north - py) / cell_m).floor() as isize;
        for r in (ri - reach).max(0)..=(ri + reach).min(height as isize - 1) {
            let cy = north - (r as f64 + 0.5) * cell_m;
            for c in (ci - reach).max(0)..=(ci + reach).min(width as isize - 1) {
                let cx = x0 + (c as f64 + 0.5) * cell_m;
                let d2 = (cx - px).powi(2) + (cy - py).powi(2);
                if d2 < h * h {
                    let u = 1.0 - d2 / (h * h);
                    grid[r as usize * width + c as usize] += norm * u * u;
                }
            }
        }
    }
    let values: Vec<f64> = grid.iter().map(|v| (v * 100.0).round() / 100.0).collect();
    let max = values.iter().cloned().fold(0.0, f64::max);
    let to_lonlat = |x: f64, y: f64| (x / kx + lon0, y / M_PER_DEG + lat0);
    let (w, s) = to_lonlat(x0, y0);
    let (e, n) = to_lonlat(x0 + width as f64 * cell_m, north);
    Ok(Raster {
        width,
        height,
        cell_m,
        bandwidth_m: h,
        bbox: [w, s, e, n],
        values,
        max,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_point_integrates_to_one() {
        let area = LonLatBox {
            min_lon: 12.55,
            min_lat: 55.68,
            max_lon: 12.56,
            max_lat: 55.69,
        };
        let r = density(&[(12.555, 55.685)], &area, 5.0, Some(150.0)).unwrap();
        // Σ density · cell area ≈ 1 incident.
        let total: f64 = r.values.iter().sum::<f64>() * (5.0 * 5.0) / 1e6;
        assert!((total - 1.0).abs() < 0.01, "{total}");
        // The peak is 3/(π h²) per m² at the point.
        let peak = 3.0 / (std::f64::consts::PI * 150.0 * 150.0) * 1e6;
        assert!((r.max - peak).abs() / peak < 0.01, "{} vs {peak}", r.max);
    }

    #[test]
    fn mass_equals_the_incident_count_within_one_percent() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(5);
        let area = LonLatBox {
            min_lon: 12.54,
            min_lat: 55.68,
            max_lon: 12.57,
            max_lat: 55.70,
        };
        let pts: Vec<(f64, f64)> = (0..5000)
            .map(|_| {
                (
                    rng.random_range(12.54..12.57),
                    rng.random_range(55.68..55.70),
                )
            })
            .collect();
        let r = density(&pts, &area, 10.0, Some(150.0)).unwrap();
        let mass: f64 = r.values.iter().sum::<f64>() * 100.0 / 1e6;
        assert!((mass - 5000.0).abs() / 5000.0 < 0.01, "{mass}");
    }

    #[test]
    fn refuses_huge_grids_and_picks_a_bandwidth() {
        let area = LonLatBox {
            min_lon: 12.4,
            min_lat: 55.6,
            max_lon: 12.7,
            max_lat: 55.75,
        };
        assert!(matches!(
            density(&[], &area, 1.0, Some(100.0)),
            Err(KdeError::TooManyCells(_))
        ));
        let pts: Vec<(f64, f64)> = (0..200)
            .map(|i| {
                (
                    12.55 + (i % 20) as f64 * 1e-4,
                    55.68 + (i / 20) as f64 * 1e-4,
                )
            })
            .collect();
        let r = density(&pts, &area, 100.0, None).unwrap();
        assert!(
            r.bandwidth_m >= 50.0 && r.bandwidth_m < 500.0,
            "{}",
            r.bandwidth_m
        );
    }
}
