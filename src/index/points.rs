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

type Entry = GeomWithData<[f64; 2], u32>;

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
    tree: RTree<Entry, PointParams>,
}

impl PointIndex {
    /// Builds the tree from lon/lat positions; the n-th position gets the data `n`.
    pub fn bulk_load(positions: impl Iterator<Item = (f64, f64)>) -> Self {
        let entries: Vec<Entry> = positions
            .enumerate()
            .map(|(i, (lon, lat))| {
                GeomWithData::new([lon, lat], u32::try_from(i).expect("fewer than 2^32 items"))
            })
            .collect();
        PointIndex {
            tree: RTree::bulk_load_with_params(entries),
        }
    }

    /// Number of indexed points.
    pub fn len(&self) -> usize {
        self.tree.size()
    }

    /// Whether no point is indexed.
    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }

    /// Appends the positions of the points in `bbox` (edges included) to `out`, in no order.
    pub fn in_bbox(&self, bbox: &LonLatBox, out: &mut Vec<u32>) {
        let env = AABB::from_corners([bbox.min_lon, bbox.min_lat], [bbox.max_lon, bbox.max_lat]);
        out.extend(self.tree.locate_in_envelope(&env).map(|e| e.data));
    }

    /// The position of the point nearest to `(lon, lat)` in plain degree space (fine for
    /// picking at city scale; not a metric distance).
    pub fn nearest(&self, lon: f64, lat: f64) -> Option<u32> {
        self.tree.nearest_neighbor(&[lon, lat]).map(|e| e.data)
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
        let area = filter.within.map(PreparedArea::new);
        let poly_ok = |t: &T| {
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
                hits.retain(|&i| {
                    let t = &items[i as usize];
                    time_ok(t) && keep(t) && poly_ok(t)
                });
                hits.sort_unstable();
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

/// A multipolygon with each part's bounding box computed once. `geo`'s `MultiPolygon` test of
/// a point computes the whole boundary's bounding box on every call — more than half of the
/// time of a district filter over many points; this answers the same (boundary included).
struct PreparedArea<'a> {
    parts: Vec<(Rect<f64>, &'a Polygon<f64>)>,
}

impl<'a> PreparedArea<'a> {
    fn new(mp: &'a MultiPolygon<f64>) -> Self {
        PreparedArea {
            parts: mp
                .iter()
                .filter_map(|p| Some((p.bounding_rect()?, p)))
                .collect(),
        }
    }

    /// Whether the point is in (or on the boundary of) the area.
    fn intersects(&self, lon: f64, lat: f64) -> bool {
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
            // A triangle inside the generated box, so the polygon test is not just a bbox test.
            let poly = poly_box.map(|b| {
                MultiPolygon::new(vec![geo::Polygon::new(
                    geo::LineString::from(vec![
                        (b.min_lon, b.min_lat),
                        (b.max_lon, b.min_lat),
                        (b.min_lon, b.max_lat),
                        (b.min_lon, b.min_lat),
                    ]),
                    vec![],
                )])
            });
            let filter = PointFilter {
                bbox,
                within: poly.as_ref(),
                time: time.map(|(a, b)| (a.min(b), a.max(b))),
            };
            let got = index.query(&items, &filter, |it| tag.is_none_or(|g| g == it.tag));
            prop_assert_eq!(got, brute(&items, &filter, tag));
        }

        #[test]
        fn bbox_matches_brute_force(
            items in proptest::collection::vec(item(), 0..600),
            bbox in lonlat_box(),
        ) {
            let index = PointIndex::bulk_load(items.iter().map(|i| (i.lon, i.lat)));
            let mut got = Vec::new();
            index.in_bbox(&bbox, &mut got);
            got.sort_unstable();
            let filter = PointFilter { bbox: Some(bbox), ..Default::default() };
            prop_assert_eq!(got, brute(&items, &filter, None));
        }
    }

    #[test]
    fn nearest_finds_the_closest() {
        let items = [(12.5, 55.6), (12.6, 55.7), (12.55, 55.65)];
        let index = PointIndex::bulk_load(items.into_iter());
        assert_eq!(index.nearest(12.56, 55.66), Some(2));
        assert_eq!(index.len(), 3);
    }
}
