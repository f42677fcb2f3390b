//! Study grids: the H3 cells whose centre lies in a study area (a union of district polygons),
//! and the cell each incident of the area falls in. A grid is the expensive, parameter-free part
//! of every Gi* and emerging-hot-spot analysis over that area; the catalog keeps grids per
//! (districts, resolution) for its snapshot, so an analysis with new categories or a new period
//! is a pass over the grid's members.

use std::sync::OnceLock;

use geo::MultiPolygon;
use h3o::geom::{ContainmentMode, TilerBuilder};
use h3o::{CellIndex, Resolution};

/// The neighbourhood kept with a grid (`k` = 1, the default); other `k` are made per request, so
/// a grid's size is known when it is kept (a k = 5 list is 13× a k = 1 list).
const KEPT_K: u32 = 1;

/// The H3 cells at `res` whose centre lies in `area` (WGS84 lon/lat polygons), sorted, each
/// once. From h3o's polygon tiler in its centroid-containment mode; a centre exactly on a
/// boundary belongs to one side, as in H3's own `polygonToCells`.
pub fn study_cells(area: &[&MultiPolygon<f64>], res: Resolution) -> Vec<CellIndex> {
    let mut tiler = TilerBuilder::new(res)
        .containment_mode(ContainmentMode::ContainsCentroid)
        .build();
    for mp in area {
        for poly in mp.iter() {
            // An invalid ring (non-finite, too few points) holds no cell centre: skip it, as the
            // point-in-polygon test of the incidents would find nothing in it either.
            let _ = tiler.add(poly.clone());
        }
    }
    let mut cells: Vec<CellIndex> = tiler.into_coverage().collect();
    cells.sort_unstable();
    cells.dedup();
    cells
}

/// The neighbour lists (positions into `cells`, self included, ascending) for distance `k`:
/// the binary weights of Gi*.
pub fn neighbours(cells: &[CellIndex], k: u32) -> Vec<Vec<usize>> {
    cells
        .iter()
        .map(|c| {
            let mut v: Vec<usize> = c
                .grid_disk::<Vec<_>>(k)
                .into_iter()
                .filter_map(|n| cells.binary_search(&n).ok())
                .collect();
            v.sort_unstable();
            v
        })
        .collect()
}

/// A study area at one resolution, prepared once.
pub struct StudyGrid {
    /// H3 cells whose centre lies in the area, sorted.
    pub cells: Vec<CellIndex>,
    /// `(incident position, cell position)` of every incident inside the area (boundary
    /// included) whose cell is a study cell, ascending by incident position.
    members: Vec<(u32, u32)>,
    /// Neighbour lists for [`KEPT_K`], made when first asked for.
    neighbours: OnceLock<Vec<Vec<usize>>>,
    /// The cells' boundaries as encoded by the first caller of [`StudyGrid::encoded_cells`]:
    /// one buffer and the end offset of each cell.
    encoded: OnceLock<(Vec<u8>, Vec<usize>)>,
}

impl std::fmt::Debug for StudyGrid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StudyGrid")
            .field("cells", &self.cells.len())
            .field("members", &self.members.len())
            .finish()
    }
}

impl StudyGrid {
    /// The grid of `cells` (sorted, unique) over the incidents at `positions` (ascending, all
    /// inside the area), `cell_of(position)` being an incident's cell at the grid's resolution.
    pub fn new(
        cells: Vec<CellIndex>,
        positions: &[u32],
        cell_of: impl Fn(u32) -> CellIndex,
    ) -> StudyGrid {
        let members = positions
            .iter()
            .filter_map(|&p| cells.binary_search(&cell_of(p)).ok().map(|i| (p, i as u32)))
            .collect();
        StudyGrid {
            cells,
            members,
            neighbours: OnceLock::new(),
            encoded: OnceLock::new(),
        }
    }

    /// `(incident position, cell position)` of every incident of the area in a study cell,
    /// ascending by incident position.
    pub fn members(&self) -> &[(u32, u32)] {
        &self.members
    }

    /// The neighbour lists for distance `k` (kept for `k` = 1, made afresh for any other).
    pub fn neighbours(&self, k: u32) -> std::borrow::Cow<'_, [Vec<usize>]> {
        if k == KEPT_K {
            self.neighbours
                .get_or_init(|| neighbours(&self.cells, k))
                .into()
        } else {
            neighbours(&self.cells, k).into()
        }
    }

    /// Every cell encoded by `encode` (called once per cell, the first time only), as a slice
    /// per cell position.
    pub fn encoded_cells(&self, encode: impl Fn(&mut Vec<u8>, CellIndex)) -> EncodedCells<'_> {
        let (buf, ends) = self.encoded.get_or_init(|| {
            let mut buf = Vec::with_capacity(self.cells.len() * 280);
            let mut ends = Vec::with_capacity(self.cells.len());
            for &c in &self.cells {
                encode(&mut buf, c);
                ends.push(buf.len());
            }
            (buf, ends)
        });
        EncodedCells { buf, ends }
    }

    /// How many bytes the grid can hold at most: members, cells, their encoded polygons (~280
    /// bytes a cell as GeoJSON) and the k = 1 lists (7 positions and a `Vec` a cell) — the
    /// weight of a cache entry, fixed when it is kept.
    pub fn weight(&self) -> u64 {
        (self.members.len() * 8 + self.cells.len() * (8 + 320 + 7 * 8 + 24)) as u64
    }
}

/// Cells encoded once: see [`StudyGrid::encoded_cells`].
pub struct EncodedCells<'a> {
    buf: &'a [u8],
    ends: &'a [usize],
}

impl EncodedCells<'_> {
    /// The encoding of the cell at position `i`.
    pub fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.buf[start..self.ends[i]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, Intersects, Point};
    use h3o::LatLng;

    #[test]
    fn tiler_cells_are_the_cells_whose_centre_is_inside() {
        // An L-shaped area over Nørrebro with a hole, and a second part.
        let l = polygon!(
            exterior: [
                (x: 12.540, y: 55.680), (x: 12.570, y: 55.680), (x: 12.570, y: 55.690),
                (x: 12.555, y: 55.690), (x: 12.555, y: 55.700), (x: 12.540, y: 55.700),
            ],
            interiors: [[
                (x: 12.545, y: 55.684), (x: 12.550, y: 55.684), (x: 12.550, y: 55.688),
                (x: 12.545, y: 55.688),
            ]],
        );
        let other = polygon![
            (x: 12.580, y: 55.670), (x: 12.590, y: 55.670), (x: 12.590, y: 55.675), (x: 12.580, y: 55.675),
        ];
        let area = MultiPolygon(vec![l, other]);
        let res = Resolution::Ten;
        let cells = study_cells(&[&area], res);
        // Brute force: every cell of a covering disk whose centre the polygon holds.
        let centre = LatLng::new(55.685, 12.565).unwrap().to_cell(res);
        let mut brute: Vec<CellIndex> = centre
            .grid_disk::<Vec<_>>(40)
            .into_iter()
            .filter(|c| {
                let ll = LatLng::from(*c);
                area.intersects(&Point::new(ll.lng(), ll.lat()))
            })
            .collect();
        brute.sort_unstable();
        assert!(brute.len() > 100, "{} cells", brute.len());
        assert_eq!(cells, brute);
        // Neighbour lists: self included, symmetric.
        let nb = neighbours(&cells, 1);
        for (i, list) in nb.iter().enumerate() {
            assert!(list.contains(&i));
            for &j in list {
                assert!(nb[j].contains(&i));
            }
        }
    }

    #[test]
    fn members_are_the_points_in_study_cells() {
        let area = MultiPolygon(vec![polygon![
            (x: 12.55, y: 55.68), (x: 12.56, y: 55.68), (x: 12.56, y: 55.69), (x: 12.55, y: 55.69),
        ]]);
        let res = Resolution::Nine;
        let cells = study_cells(&[&area], res);
        let points: Vec<(f64, f64)> = (0..200_000)
            .map(|i| {
                let f = i as f64 / 200_000.0;
                (12.55 + 0.01 * f, 55.68 + 0.01 * ((f * 977.0).fract()))
            })
            .collect();
        let positions: Vec<u32> = (0..points.len() as u32).collect();
        let grid = StudyGrid::new(cells.clone(), &positions, |p| {
            let (lon, lat) = points[p as usize];
            LatLng::new(lat, lon).unwrap().to_cell(res)
        });
        let expected: Vec<(u32, u32)> = positions
            .iter()
            .filter_map(|&p| {
                let (lon, lat) = points[p as usize];
                let c = LatLng::new(lat, lon).unwrap().to_cell(res);
                cells.binary_search(&c).ok().map(|i| (p, i as u32))
            })
            .collect();
        assert!(expected.len() > 1000);
        assert_eq!(grid.members(), &expected[..]);
        let enc = grid.encoded_cells(|out, c| out.extend_from_slice(c.to_string().as_bytes()));
        assert_eq!(enc.get(1), cells[1].to_string().as_bytes());
    }
}
