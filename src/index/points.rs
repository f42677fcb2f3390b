use geo::{BoundingRect, Coord, Intersects, MultiPolygon, Polygon, Rect};
use rstar::primitives::GeomWithData;
use rstar::{RTree, RTreeParams, AABB};

use super::LonLatBox;

/// Node sizes for the point trees. Wider nodes than rstar's default (6) make the leaf scans of
/// large bbox queries cheaper; measured in `benches/index.rs`.
pub struct PointParams;

impl RTreeParams for PointParams {
    const MIN_SIZE: usize = 8;
    const MAX_SIZE: usize = 24;
    const REINSERTION_COUNT: usize = 6;
    type DefaultInsertionStrategy = rstar::RStarInsertionStrategy;
}

/// A tree entry: the position, and the item's position in its layer (or for a grouped index,
/// the group) with the caller's 32-bit tag (0 when none was given). The tag sits in what would
/// otherwise be padding: an entry is 24 bytes either way.
type Entry = GeomWithData<[f64; 2], (u32, u32)>;

/// A distinct position (lon, lat) and the tags of its items ([`PointIndex::tagged_groups`]).
pub type TaggedGroup<'a> = ((f64, f64), &'a [u32]);

/// Points from which the tree is built in parts on several cores.
const SHARD_FROM: usize = 1_000_000;

/// Something with a WGS84 position and a time, held in a layer sorted by id.
pub trait Positioned {
    /// Longitude, latitude in degrees.
    fn lonlat(&self) -> (f64, f64);
    /// The instant the item is about, Unix seconds UTC.
    fn time(&self) -> i64;
}

/// Which items a query wants. Every part that is `None` does not filter.
#[derive(Debug, Clone, Copy, Default)]
pub struct PointFilter<'a> {
    /// Only items in this lon/lat box (edges included).
    pub bbox: Option<LonLatBox>,
    /// Only items in (or on the boundary of) this lon/lat polygon.
    pub within: Option<&'a MultiPolygon<f64>>,
    /// Only items whose time is in `[start, end]`, Unix seconds, both ends included.
    pub time: Option<(i64, i64)>,
}

/// A bulk-loaded R-tree over the positions of a layer's items.
pub struct PointIndex {
    /// One tree, or for many points several over consecutive parts of them, built at once on
    /// several cores (a query asks each).
    trees: Vec<RTree<Entry, PointParams>>,
    /// For an index of grouped points: each tree entry stands for the items at one position.
    groups: Option<Groups>,
    /// Items indexed.
    len: usize,
    /// Whether the (ungrouped) entries carry the caller's tags.
    tagged: bool,
}

/// The items of each distinct position: group `g` holds `members[starts[g]..starts[g + 1]]`,
/// ascending.
struct Groups {
    starts: Vec<u32>,
    members: Vec<u32>,
    /// The caller's 32-bit summary of each member, parallel to `members` (empty if none was
    /// given), so a scan of one position's items reads one run of memory.
    tags: Vec<u32>,
}

impl Groups {
    /// The items of the group `g`.
    fn members(&self, g: u32) -> &[u32] {
        &self.members[self.starts[g as usize] as usize..self.starts[g as usize + 1] as usize]
    }
}

impl PointIndex {
    /// Builds the tree from lon/lat positions; the n-th position gets the data `n`.
    pub fn bulk_load(positions: impl Iterator<Item = (f64, f64)>) -> Self {
        Self::bulk_load_tagged(positions, Vec::new())
    }

    /// [`PointIndex::bulk_load`] that also keeps `tags[n]`, a caller's 32-bit summary of the
    /// n-th item (the catalog keeps the category), in its tree entry at no cost in memory, for
    /// [`PointIndex::tagged_points`]. `tags` is empty or has one entry per position.
    pub fn bulk_load_tagged(positions: impl Iterator<Item = (f64, f64)>, tags: Vec<u32>) -> Self {
        let entries: Vec<Entry> = positions
            .enumerate()
            .map(|(i, (lon, lat))| {
                let n = u32::try_from(i).expect("fewer than 2^32 items");
                GeomWithData::new([lon, lat], (n, tags.get(i).copied().unwrap_or(0)))
            })
            .collect();
        let tagged = !entries.is_empty() && tags.len() == entries.len();
        let len = entries.len();
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4);
        let trees = if len < SHARD_FROM || threads < 2 {
            vec![RTree::bulk_load_with_params(entries)]
        } else {
            let chunk = len.div_ceil(threads);
            std::thread::scope(|s| {
                let built: Vec<_> = entries
                    .chunks(chunk)
                    .map(|part| s.spawn(move || RTree::bulk_load_with_params(part.to_vec())))
                    .collect();
                built
                    .into_iter()
                    .map(|t| t.join().expect("building a tree cannot panic"))
                    .collect()
            })
        };
        PointIndex {
            len,
            trees,
            groups: None,
            tagged,
        }
    }

    /// For an index built by [`PointIndex::bulk_load_tagged`] with tags: the position
    /// (lon, lat) and tag of every item in `bbox` (edges included), in no order, read from the
    /// tree alone. `None` for an index without them.
    pub fn tagged_points(&self, bbox: &LonLatBox) -> Option<Vec<((f64, f64), u32)>> {
        if !self.tagged || self.groups.is_some() {
            return None;
        }
        let env = AABB::from_corners([bbox.min_lon, bbox.min_lat], [bbox.max_lon, bbox.max_lat]);
        Some(
            self.trees
                .iter()
                .flat_map(|t| t.locate_in_envelope(&env))
                .map(|e| ((e.geom()[0], e.geom()[1]), e.data.1))
                .collect(),
        )
    }

    /// [`PointIndex::bulk_load`] for positions of which many are equal (the public incidents,
    /// all at the centres of some 10^4 cells): one tree entry per distinct position, so the
    /// tree is small and quick to build; queries answer the same.
    pub fn bulk_load_grouped(positions: impl Iterator<Item = (f64, f64)>) -> Self {
        Self::bulk_load_grouped_tagged(positions, Vec::new())
    }

    /// [`PointIndex::bulk_load_grouped`] that also keeps `tags[n]`, a caller's 32-bit summary
    /// of the n-th item (the catalog packs category and hour), beside the item in its group,
    /// for [`PointIndex::tagged_groups`]. `tags` is empty or has one entry per position.
    pub fn bulk_load_grouped_tagged(
        positions: impl Iterator<Item = (f64, f64)>,
        tags: Vec<u32>,
    ) -> Self {
        let mut distinct: std::collections::HashMap<(u64, u64), u32, foldhash::fast::FixedState> =
            Default::default();
        let mut entries: Vec<Entry> = Vec::new();
        let group_of: Vec<u32> = positions
            .map(|(lon, lat)| {
                *distinct
                    .entry((lon.to_bits(), lat.to_bits()))
                    .or_insert_with(|| {
                        let g = u32::try_from(entries.len()).expect("fewer than 2^32 items");
                        entries.push(GeomWithData::new([lon, lat], (g, 0)));
                        g
                    })
            })
            .collect();
        u32::try_from(group_of.len()).expect("fewer than 2^32 items");
        // A counting sort of the items by group, each group's items ascending.
        let mut starts = vec![0u32; entries.len() + 1];
        for &g in &group_of {
            starts[g as usize + 1] += 1;
        }
        for g in 0..entries.len() {
            starts[g + 1] += starts[g];
        }
        let mut next = starts.clone();
        let mut members = vec![0u32; group_of.len()];
        let tagged = tags.len() == group_of.len() && !tags.is_empty();
        let mut member_tags = vec![0u32; if tagged { group_of.len() } else { 0 }];
        for (i, &g) in group_of.iter().enumerate() {
            let k = next[g as usize] as usize;
            members[k] = i as u32;
            if tagged {
                member_tags[k] = tags[i];
            }
            next[g as usize] += 1;
        }
        PointIndex {
            len: group_of.len(),
            trees: vec![RTree::bulk_load_with_params(entries)],
            groups: Some(Groups {
                starts,
                members,
                tags: member_tags,
            }),
            tagged: false,
        }
    }

    /// For an index built by [`PointIndex::bulk_load_grouped_tagged`] with tags: each distinct
    /// position (lon, lat) in the spatial part of `filter` (its bbox and polygon; the time is
    /// the caller's, in the tags) with the tags of its items, in no order. `None` for an index
    /// without tags.
    pub fn tagged_groups(&self, filter: &PointFilter<'_>) -> Option<Vec<TaggedGroup<'_>>> {
        let g = self.groups.as_ref().filter(|g| !g.tags.is_empty())?;
        let window = match (filter.bbox, filter.within.and_then(poly_box)) {
            (Some(b), Some(p)) => match b.intersection(&p) {
                Some(w) => w,
                None => return Some(Vec::new()),
            },
            (Some(b), None) | (None, Some(b)) => b,
            (None, None) => LonLatBox {
                min_lon: -180.0,
                min_lat: -90.0,
                max_lon: 180.0,
                max_lat: 90.0,
            },
        };
        let env = AABB::from_corners(
            [window.min_lon, window.min_lat],
            [window.max_lon, window.max_lat],
        );
        let found: Vec<&Entry> = self
            .trees
            .iter()
            .flat_map(|t| t.locate_in_envelope(&env))
            .collect();
        let area = filter.within.map(|mp| PreparedArea::new(mp, found.len()));
        Some(
            found
                .into_iter()
                .filter(|e| {
                    area.as_ref()
                        .is_none_or(|a| a.intersects(e.geom()[0], e.geom()[1]))
                })
                .map(|e| {
                    let (s, t) = (g.starts[e.data.0 as usize], g.starts[e.data.0 as usize + 1]);
                    ((e.geom()[0], e.geom()[1]), &g.tags[s as usize..t as usize])
                })
                .collect(),
        )
    }

    /// Number of indexed points.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no point is indexed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends the positions of the points in `bbox` (edges included) to `out`, in no order.
    pub fn in_bbox(&self, bbox: &LonLatBox, out: &mut Vec<u32>) {
        let env = AABB::from_corners([bbox.min_lon, bbox.min_lat], [bbox.max_lon, bbox.max_lat]);
        for tree in &self.trees {
            let found = tree.locate_in_envelope(&env);
            match &self.groups {
                None => out.extend(found.map(|e| e.data.0)),
                Some(g) => {
                    for e in found {
                        out.extend_from_slice(g.members(e.data.0));
                    }
                }
            }
        }
    }

    /// The position of the point nearest to `(lon, lat)` in plain degree space (fine for
    /// picking at city scale; not a metric distance).
    pub fn nearest(&self, lon: f64, lat: f64) -> Option<u32> {
        let d2 = |e: &Entry| (e.geom()[0] - lon).powi(2) + (e.geom()[1] - lat).powi(2);
        let e = self
            .trees
            .iter()
            .filter_map(|t| t.nearest_neighbor(&[lon, lat]))
            .min_by(|a, b| d2(a).total_cmp(&d2(b)))?;
        match &self.groups {
            None => Some(e.data.0),
            Some(g) => g.members(e.data.0).first().copied(),
        }
    }

    /// Positions (ascending, so in id order) of the `items` that pass `filter` and `keep`.
    ///
    /// `items` must be the slice this index was built from.
    pub fn query<T: Positioned>(
        &self,
        items: &[T],
        filter: &PointFilter<'_>,
        keep: impl Fn(&T) -> bool,
    ) -> Vec<u32> {
        let time_ok = |t: &T| filter.time.is_none_or(|(s, e)| (s..=e).contains(&t.time()));
        let poly_ok = |area: &Option<PreparedArea<'_>>, t: &T| {
            area.as_ref().is_none_or(|a| {
                let (lon, lat) = t.lonlat();
                a.intersects(lon, lat)
            })
        };
        // The spatial part comes from the tree when there is one: the bbox, narrowed by the
        // polygon's own bounding box.
        let window = match (filter.bbox, filter.within.and_then(poly_box)) {
            (Some(b), Some(p)) => match b.intersection(&p) {
                Some(w) => Some(w),
                None => return Vec::new(),
            },
            (b, p) => b.or(p),
        };
        match window {
            Some(w) => {
                let mut hits = Vec::new();
                self.in_bbox(&w, &mut hits);
                let area = filter.within.map(|mp| PreparedArea::new(mp, hits.len()));
                // In id order first, so the tests below read the items front to back.
                ascending(&mut hits, items.len());
                hits.retain(|&i| {
                    let t = &items[i as usize];
                    time_ok(t) && keep(t) && poly_ok(&area, t)
                });
                hits
            }
            None => items
                .iter()
                .enumerate()
                .filter(|(_, t)| time_ok(t) && keep(t))
                .map(|(i, _)| i as u32)
                .collect(),
        }
    }
}

/// Sorts `hits` (distinct positions below `n`). Many hits are put in order through a bit set
/// of all `n` positions (a pass over `n / 64` words), few by sorting.
fn ascending(hits: &mut Vec<u32>, n: usize) {
    if hits.len() < 64 || hits.len() < n / 256 {
        hits.sort_unstable();
        return;
    }
    let mut bits = vec![0u64; n.div_ceil(64)];
    for &h in hits.iter() {
        bits[h as usize / 64] |= 1 << (h % 64);
    }
    hits.clear();
    for (w, &word) in bits.iter().enumerate() {
        let mut x = word;
        while x != 0 {
            hits.push((w * 64) as u32 + x.trailing_zeros());
            x &= x - 1;
        }
    }
}

/// A multipolygon prepared for many point tests: each part's bounding box computed once
/// (`geo`'s `MultiPolygon` test of a point computes the whole boundary's box on every call),
/// and, for large queries, a raster over the area's box whose cells are known to lie wholly
/// inside or outside — only points in cells the boundary crosses take the exact test. Answers
/// the same as `geo`'s `Intersects` (boundary included).
struct PreparedArea<'a> {
    parts: Vec<(Rect<f64>, &'a Polygon<f64>)>,
    raster: Option<Raster>,
}

/// Points in a query from which the raster pays for itself (it costs about as much as a few
/// thousand exact tests to build).
const RASTER_FROM_POINTS: usize = 4_000;

impl<'a> PreparedArea<'a> {
    /// Prepared for about `points` tests.
    fn new(mp: &'a MultiPolygon<f64>, points: usize) -> Self {
        let parts: Vec<_> = mp
            .iter()
            .filter_map(|p| Some((p.bounding_rect()?, p)))
            .collect();
        let mut area = PreparedArea {
            parts,
            raster: None,
        };
        if points >= RASTER_FROM_POINTS {
            area.raster = Raster::new(mp, |x, y| area.exact(x, y));
        }
        area
    }

    /// Whether the point is in (or on the boundary of) the area.
    fn intersects(&self, lon: f64, lat: f64) -> bool {
        match self.raster.as_ref().map(|r| r.class(lon, lat)) {
            Some(Class::Inside) => true,
            Some(Class::Outside) => false,
            Some(Class::Boundary) | None => self.exact(lon, lat),
        }
    }

    fn exact(&self, lon: f64, lat: f64) -> bool {
        let c = Coord { x: lon, y: lat };
        self.parts.iter().any(|(r, p)| {
            c.x >= r.min().x
                && c.x <= r.max().x
                && c.y >= r.min().y
                && c.y <= r.max().y
                && p.intersects(&c)
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Inside,
    Outside,
    Boundary,
}

/// A grid over an area's bounding box, each cell classed by where its closed square lies.
struct Raster {
    min_x: f64,
    min_y: f64,
    dx: f64,
    dy: f64,
    n: usize,
    cells: Vec<Class>,
}

/// Edges closer to a cell than this (degrees, ~0.1 mm) make it a boundary cell: far above the
/// rounding of the cell arithmetic, so a point is never classed by a cell it is not in.
const RASTER_EPS: f64 = 1e-9;

impl Raster {
    /// The raster of `mp`, with `exact` the point test used to class the cells the boundary
    /// does not touch (one test per run of such cells in a row). `None` for a degenerate box.
    fn new(mp: &MultiPolygon<f64>, exact: impl Fn(f64, f64) -> bool) -> Option<Raster> {
        use geo::CoordsIter;
        let bb = mp.bounding_rect()?;
        let edges = mp.coords_count();
        let n = ((edges as f64).sqrt() * 4.0).clamp(64.0, 256.0) as usize;
        let (dx, dy) = (bb.width() / n as f64, bb.height() / n as f64);
        if !(dx > 0.0 && dy > 0.0) {
            return None;
        }
        let mut r = Raster {
            min_x: bb.min().x,
            min_y: bb.min().y,
            dx,
            dy,
            n,
            cells: vec![Class::Outside; n * n],
        };
        // Every edge marks the cells its padded pieces (each within one cell's size) overlap.
        let rings = mp
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()));
        for ring in rings {
            for line in ring.lines() {
                let (a, b) = (line.start, line.end);
                let steps = ((b.x - a.x).abs() / dx)
                    .max((b.y - a.y).abs() / dy)
                    .ceil()
                    .clamp(1.0, 1e6) as usize;
                for k in 0..steps {
                    let t0 = k as f64 / steps as f64;
                    let t1 = (k + 1) as f64 / steps as f64;
                    let (x0, y0) = (a.x + (b.x - a.x) * t0, a.y + (b.y - a.y) * t0);
                    let (x1, y1) = (a.x + (b.x - a.x) * t1, a.y + (b.y - a.y) * t1);
                    let (i0, j0) = r.index(x0.min(x1) - RASTER_EPS, y0.min(y1) - RASTER_EPS);
                    let (i1, j1) = r.index(x0.max(x1) + RASTER_EPS, y0.max(y1) + RASTER_EPS);
                    for j in j0.saturating_sub(1)..=(j1 + 1).min(n - 1) {
                        for i in i0.saturating_sub(1)..=(i1 + 1).min(n - 1) {
                            if r.touches(i, j, x0, y0, x1, y1) {
                                r.cells[j * n + i] = Class::Boundary;
                            }
                        }
                    }
                }
            }
        }
        // A run of untouched cells in a row is one region: all inside or all outside.
        for j in 0..n {
            let mut i = 0;
            while i < n {
                if r.cells[j * n + i] == Class::Boundary {
                    i += 1;
                    continue;
                }
                let (cx, cy) = r.centre(i, j);
                let class = if exact(cx, cy) {
                    Class::Inside
                } else {
                    Class::Outside
                };
                while i < n && r.cells[j * n + i] != Class::Boundary {
                    r.cells[j * n + i] = class;
                    i += 1;
                }
            }
        }
        Some(r)
    }

    /// The cell holding `(x, y)`, clamped to the grid.
    fn index(&self, x: f64, y: f64) -> (usize, usize) {
        let f =
            |v: f64, min: f64, d: f64| (((v - min) / d).floor().max(0.0) as usize).min(self.n - 1);
        (f(x, self.min_x, self.dx), f(y, self.min_y, self.dy))
    }

    fn centre(&self, i: usize, j: usize) -> (f64, f64) {
        (
            self.min_x + (i as f64 + 0.5) * self.dx,
            self.min_y + (j as f64 + 0.5) * self.dy,
        )
    }

    /// Whether the piece's padded box overlaps the padded square of cell `(i, j)`.
    fn touches(&self, i: usize, j: usize, x0: f64, y0: f64, x1: f64, y1: f64) -> bool {
        let (cx0, cy0) = (
            self.min_x + i as f64 * self.dx,
            self.min_y + j as f64 * self.dy,
        );
        let (cx1, cy1) = (cx0 + self.dx, cy0 + self.dy);
        x0.min(x1) <= cx1 + RASTER_EPS
            && x0.max(x1) >= cx0 - RASTER_EPS
            && y0.min(y1) <= cy1 + RASTER_EPS
            && y0.max(y1) >= cy0 - RASTER_EPS
    }

    fn class(&self, x: f64, y: f64) -> Class {
        let (i, j) = self.index(x, y);
        self.cells[j * self.n + i]
    }
}

fn poly_box(poly: &MultiPolygon<f64>) -> Option<LonLatBox> {
    poly.bounding_rect().map(LonLatBox::from_rect)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Point;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    struct Item {
        lon: f64,
        lat: f64,
        t: i64,
        tag: u8,
    }

    impl Positioned for Item {
        fn lonlat(&self) -> (f64, f64) {
            (self.lon, self.lat)
        }
        fn time(&self) -> i64 {
            self.t
        }
    }

    fn brute(items: &[Item], f: &PointFilter<'_>, tag: Option<u8>) -> Vec<u32> {
        items
            .iter()
            .enumerate()
            .filter(|(_, it)| {
                f.bbox.is_none_or(|b| b.contains(it.lon, it.lat))
                    && f.time.is_none_or(|(s, e)| it.t >= s && it.t <= e)
                    && tag.is_none_or(|g| g == it.tag)
                    && f.within
                        .is_none_or(|p| p.intersects(&Point::new(it.lon, it.lat)))
            })
            .map(|(i, _)| i as u32)
            .collect()
    }

    fn item() -> impl Strategy<Value = Item> {
        // Copenhagen-sized extent; coarse steps make points land on box edges too.
        (0u32..400, 0u32..400, 0i64..100, 0u8..4).prop_map(|(x, y, t, tag)| Item {
            lon: 12.45 + x as f64 * 0.0007,
            lat: 55.61 + y as f64 * 0.0003,
            t,
            tag,
        })
    }

    fn lonlat_box() -> impl Strategy<Value = LonLatBox> {
        (0u32..400, 0u32..400, 0u32..200, 0u32..200).prop_map(|(x, y, w, h)| LonLatBox {
            min_lon: 12.45 + x as f64 * 0.0007,
            min_lat: 55.61 + y as f64 * 0.0003,
            max_lon: 12.45 + (x + w) as f64 * 0.0007,
            max_lat: 55.61 + (y + h) as f64 * 0.0003,
        })
    }

    /// A triangle inside the box, so a polygon test is not just a bbox test.
    fn triangle(b: LonLatBox) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![geo::Polygon::new(
            geo::LineString::from(vec![
                (b.min_lon, b.min_lat),
                (b.max_lon, b.min_lat),
                (b.min_lon, b.max_lat),
                (b.min_lon, b.min_lat),
            ]),
            vec![],
        )])
    }

    proptest! {
        #[test]
        fn query_matches_brute_force(
            items in proptest::collection::vec(item(), 0..600),
            bbox in proptest::option::of(lonlat_box()),
            poly_box in proptest::option::of(lonlat_box()),
            time in proptest::option::of((0i64..100, 0i64..100)),
            tag in proptest::option::of(0u8..4),
        ) {
            let index = PointIndex::bulk_load(items.iter().map(|i| (i.lon, i.lat)));
            let grouped = PointIndex::bulk_load_grouped(items.iter().map(|i| (i.lon, i.lat)));
            let poly = poly_box.map(triangle);
            let filter = PointFilter {
                bbox,
                within: poly.as_ref(),
                time: time.map(|(a, b)| (a.min(b), a.max(b))),
            };
            let keep = |it: &Item| tag.is_none_or(|g| g == it.tag);
            let want = brute(&items, &filter, tag);
            prop_assert_eq!(index.query(&items, &filter, keep), want.clone());
            prop_assert_eq!(grouped.query(&items, &filter, keep), want);
        }

        /// The tags of the groups a filter's bbox and polygon keep are the tags of the items
        /// the same filter keeps.
        #[test]
        fn tagged_groups_hold_the_tags_of_the_items_in_the_area(
            items in proptest::collection::vec(item(), 0..600),
            bbox in proptest::option::of(lonlat_box()),
            poly_box in proptest::option::of(lonlat_box()),
        ) {
            let poly = poly_box.map(triangle);
            prop_assume!(!items.is_empty(), "no items, no tags");
            let filter = PointFilter { bbox, within: poly.as_ref(), time: None };
            let tags: Vec<u32> = (0..items.len() as u32).map(|i| i * 7 + 1).collect();
            let index = PointIndex::bulk_load_grouped_tagged(
                items.iter().map(|i| (i.lon, i.lat)),
                tags,
            );
            let mut got: Vec<u32> = index
                .tagged_groups(&filter)
                .expect("tagged")
                .into_iter()
                .flat_map(|(_, t)| t.iter().copied())
                .collect();
            got.sort_unstable();
            let want: Vec<u32> = brute(&items, &filter, None).iter().map(|i| i * 7 + 1).collect();
            prop_assert_eq!(got, want);
            let untagged = PointIndex::bulk_load_grouped(items.iter().map(|i| (i.lon, i.lat)));
            prop_assert!(untagged.tagged_groups(&filter).is_none());
        }

        #[test]
        fn bbox_matches_brute_force(
            items in proptest::collection::vec(item(), 0..600),
            bbox in lonlat_box(),
        ) {
            let filter = PointFilter { bbox: Some(bbox), ..Default::default() };
            let want = brute(&items, &filter, None);
            for index in [
                PointIndex::bulk_load(items.iter().map(|i| (i.lon, i.lat))),
                PointIndex::bulk_load_grouped(items.iter().map(|i| (i.lon, i.lat))),
            ] {
                let mut got = Vec::new();
                index.in_bbox(&bbox, &mut got);
                got.sort_unstable();
                prop_assert_eq!(&got, &want);
                prop_assert_eq!(index.len(), items.len());
            }
        }
    }

    #[test]
    fn a_tag_costs_no_memory_in_a_tree_entry() {
        assert_eq!(std::mem::size_of::<Entry>(), 24);
        let items = [(12.5, 55.6), (12.6, 55.7), (12.7, 55.8)];
        let index = PointIndex::bulk_load_tagged(items.into_iter(), vec![7, 8, 9]);
        let b = LonLatBox {
            min_lon: 12.55,
            min_lat: 55.6,
            max_lon: 12.8,
            max_lat: 55.9,
        };
        let mut got = index.tagged_points(&b).unwrap();
        got.sort_by_key(|p| p.1);
        assert_eq!(got, [((12.6, 55.7), 8), ((12.7, 55.8), 9)]);
        assert!(PointIndex::bulk_load(items.into_iter())
            .tagged_points(&b)
            .is_none());
    }

    #[test]
    fn hits_are_put_in_order_by_sorting_and_by_the_bit_set() {
        let n = 100_000u32;
        for k in [0usize, 10, 63, 64, 300, 5_000, 60_000] {
            // Distinct pseudo-random positions (a multiplicative permutation of 0..n).
            let hits: Vec<u32> = (0..k as u64)
                .map(|i| ((i * 40_503 + 7) % n as u64) as u32)
                .collect();
            let mut want = hits.clone();
            want.sort_unstable();
            let mut got = hits;
            ascending(&mut got, n as usize);
            assert_eq!(got, want, "{k} hits");
        }
    }

    #[test]
    fn the_raster_answers_as_the_exact_test() {
        use geo::{LineString, Polygon};
        // A spiky star with a hole and a second part, on a dyadic grid so that many points
        // fall exactly on vertices and edges; plus points spread over the whole box.
        const U: f64 = 1.0 / 4096.0;
        let star: Vec<(f64, f64)> = (0..40)
            .map(|k| {
                let a = k as f64 / 40.0 * std::f64::consts::TAU;
                let r = if k % 2 == 0 {
                    64.0
                } else {
                    20.0 + (k % 7) as f64 * 4.0
                };
                (
                    (12.55 + (r * a.cos()).round() * U),
                    (55.68 + (r * a.sin()).round() * U),
                )
            })
            .collect();
        let hole: Vec<(f64, f64)> = [(-8.0, -8.0), (8.0, -8.0), (8.0, 8.0), (-8.0, 8.0)]
            .iter()
            .map(|(x, y)| (12.55 + x * U, 55.68 + y * U))
            .collect();
        let square: Vec<(f64, f64)> = [(70.0, 0.0), (90.0, 0.0), (90.0, 20.0), (70.0, 20.0)]
            .iter()
            .map(|(x, y)| (12.55 + x * U, 55.68 + y * U))
            .collect();
        let mp = MultiPolygon(vec![
            Polygon::new(
                LineString::from(star.clone()),
                vec![LineString::from(hole.clone())],
            ),
            Polygon::new(LineString::from(square.clone()), vec![]),
        ]);
        let mut points: Vec<(f64, f64)> = Vec::new();
        for x in -70..=95 {
            for y in -70..=70 {
                points.push((12.55 + x as f64 * U, 55.68 + y as f64 * U));
                points.push((12.55 + (x as f64 + 0.37) * U, 55.68 + (y as f64 + 0.61) * U));
            }
        }
        points.extend(star.iter().chain(&hole).chain(&square));
        let area = PreparedArea::new(&mp, points.len());
        assert!(area.raster.is_some());
        let (mut inside, mut fast) = (0, 0);
        for &(x, y) in &points {
            let want = mp.intersects(&Point::new(x, y));
            assert_eq!(area.intersects(x, y), want, "({x}, {y})");
            inside += want as usize;
            fast += (area.raster.as_ref().unwrap().class(x, y) != Class::Boundary) as usize;
        }
        assert!(inside > 1000 && inside < points.len() - 1000);
        assert!(
            fast > points.len() / 2,
            "{fast} of {} classed by the raster",
            points.len()
        );
    }

    #[test]
    fn nearest_finds_the_closest() {
        let items = [(12.5, 55.6), (12.6, 55.7), (12.55, 55.65)];
        let index = PointIndex::bulk_load(items.into_iter());
        assert_eq!(index.nearest(12.56, 55.66), Some(2));
        assert_eq!(index.len(), 3);
    }
}
