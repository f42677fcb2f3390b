//! In-memory spatial indexes: bulk-loaded rstar R-trees over points (incidents, observations)
//! and over district polygons, with time and category filters on top.
//!
//! Callers see positions (`u32` indexes into the layer's item vector, which is sorted by id) and
//! domain types; rstar's types stay inside this module.

mod districts;
mod hour_tags;
mod points;
pub mod study;

pub use districts::DistrictIndex;
pub use hour_tags::HourTags;
pub use points::{PointFilter, PointIndex, Positioned};

/// An axis-aligned box in WGS84 lon/lat degrees, edges included. `min_lon <= max_lon`,
/// `min_lat <= max_lat` (boxes across the antimeridian are not supported).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LonLatBox {
    /// West edge, degrees.
    pub min_lon: f64,
    /// South edge, degrees.
    pub min_lat: f64,
    /// East edge, degrees.
    pub max_lon: f64,
    /// North edge, degrees.
    pub max_lat: f64,
}

impl LonLatBox {
    /// Whether the point lies in the box, edges included.
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        lon >= self.min_lon && lon <= self.max_lon && lat >= self.min_lat && lat <= self.max_lat
    }

    /// Whether two boxes share at least one point.
    pub fn intersects(&self, other: &LonLatBox) -> bool {
        self.min_lon <= other.max_lon
            && other.min_lon <= self.max_lon
            && self.min_lat <= other.max_lat
            && other.min_lat <= self.max_lat
    }

    /// The overlap of two boxes, or `None` when they are disjoint.
    pub fn intersection(&self, other: &LonLatBox) -> Option<LonLatBox> {
        self.intersects(other).then(|| LonLatBox {
            min_lon: self.min_lon.max(other.min_lon),
            min_lat: self.min_lat.max(other.min_lat),
            max_lon: self.max_lon.min(other.max_lon),
            max_lat: self.max_lat.min(other.max_lat),
        })
    }

    /// The box of a geo rectangle (x = lon, y = lat).
    pub fn from_rect(r: geo::Rect<f64>) -> Self {
        LonLatBox {
            min_lon: r.min().x,
            min_lat: r.min().y,
            max_lon: r.max().x,
            max_lat: r.max().y,
        }
    }

    /// The smallest box holding both.
    pub fn union(&self, other: &LonLatBox) -> LonLatBox {
        LonLatBox {
            min_lon: self.min_lon.min(other.min_lon),
            min_lat: self.min_lat.min(other.min_lat),
            max_lon: self.max_lon.max(other.max_lon),
            max_lat: self.max_lat.max(other.max_lat),
        }
    }

    /// `[min_lon, min_lat, max_lon, max_lat]`, the order of a GeoJSON / OGC bbox.
    pub fn to_array(&self) -> [f64; 4] {
        [self.min_lon, self.min_lat, self.max_lon, self.max_lat]
    }
}
