use geo::{BoundingRect, Intersects, MultiPolygon, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

use super::LonLatBox;

type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// An R-tree over the bounding boxes of district polygons, answering "which districts contain
/// this point" and "which districts touch this box" exactly (box first, then the polygon).
pub struct DistrictIndex {
    tree: RTree<Entry>,
}

impl DistrictIndex {
    /// Bulk-loads the boxes of `polygons`; the n-th polygon gets the data `n`. Empty polygons
    /// are left out.
    pub fn bulk_load<'a>(polygons: impl Iterator<Item = &'a MultiPolygon<f64>>) -> Self {
        let entries = polygons
            .enumerate()
            .filter_map(|(i, p)| {
                let r = p.bounding_rect()?;
                let rect = Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
                Some(GeomWithData::new(rect, i as u32))
            })
            .collect();
        DistrictIndex {
            tree: RTree::bulk_load(entries),
        }
    }

    /// Positions of the polygons that contain `(lon, lat)` or have it on their boundary,
    /// ascending.
    pub fn containing(&self, polygons: &[&MultiPolygon<f64>], lon: f64, lat: f64) -> Vec<u32> {
        let p = Point::new(lon, lat);
        let mut out: Vec<u32> = self
            .tree
            .locate_all_at_point(&[lon, lat])
            .map(|e| e.data)
            .filter(|&i| polygons[i as usize].intersects(&p))
            .collect();
        out.sort_unstable();
        out
    }

    /// Positions of the polygons whose bounding box meets `bbox`, ascending. (A bbox filter
    /// on districts follows OGC API – Features: the feature's extent meets the box.)
    pub fn bbox_intersecting(&self, bbox: &LonLatBox) -> Vec<u32> {
        let env = AABB::from_corners([bbox.min_lon, bbox.min_lat], [bbox.max_lon, bbox.max_lat]);
        let mut out: Vec<u32> = self
            .tree
            .locate_in_envelope_intersecting(&env)
            .map(|e| e.data)
            .collect();
        out.sort_unstable();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon};

    fn square(x: f64, y: f64, s: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)]),
            vec![],
        )])
    }

    #[test]
    fn nested_areas_are_all_found() {
        let polys = [
            square(0.0, 0.0, 10.0),
            square(1.0, 1.0, 2.0),
            square(5.0, 5.0, 1.0),
        ];
        let refs: Vec<&MultiPolygon<f64>> = polys.iter().collect();
        let index = DistrictIndex::bulk_load(polys.iter());
        assert_eq!(index.containing(&refs, 2.0, 2.0), vec![0, 1]);
        assert_eq!(index.containing(&refs, 5.5, 5.5), vec![0, 2]);
        assert_eq!(index.containing(&refs, 11.0, 5.0), Vec::<u32>::new());
        // On the boundary counts.
        assert_eq!(index.containing(&refs, 10.0, 5.0), vec![0]);
        let b = LonLatBox {
            min_lon: 4.0,
            min_lat: 4.0,
            max_lon: 5.0,
            max_lat: 5.0,
        };
        assert_eq!(index.bbox_intersecting(&b), vec![0, 2]);
    }
}
