//! Mapbox Vector Tiles (2.1) of the layers, encoded with the `mvt` crate. Tiles are in the
//! Web Mercator tile scheme (XYZ, y down, EPSG:3857), extent 4096, one layer named after the
//! collection.
//!
//! Points are written one feature each from [`DETAIL_ZOOM`] on; below it they are gathered
//! into a 64 × 64 grid per tile, one feature per occupied grid square with a `count`, so a
//! tile of the whole city holds at most 4,096 features whatever the size of the data.
//! Polygons (districts) are clipped to the tile plus its buffer.

use geo::{CoordsIter, MultiPolygon};
use mvt::{GeomEncoder, GeomType, Tile};

use crate::catalog::Catalog;
use crate::index::LonLatBox;
use crate::model::time;
use crate::privacy::Disclosure;

/// Tile extent (units per tile side).
pub const EXTENT: u32 = 4096;

/// Extra margin around each tile, in tile units, so symbols at tile edges are not cut.
pub const BUFFER: u32 = 64;

/// The deepest zoom level served.
pub const MAX_ZOOM: u8 = 22;

/// From this zoom on, points are single features; below it, grid clusters with `count`.
pub const DETAIL_ZOOM: u8 = 14;

/// Grid squares per tile side for clusters below [`DETAIL_ZOOM`].
const CLUSTER_GRID: u32 = 64;

/// A tile address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileId {
    /// Zoom, 0..=22.
    pub z: u8,
    /// Column, 0..2^z.
    pub x: u32,
    /// Row from the top (north), 0..2^z.
    pub y: u32,
}

impl TileId {
    /// Checks the ranges: `z` ≤ [`MAX_ZOOM`], `x` and `y` below 2^z. The error names the field.
    pub fn new(z: u32, x: u32, y: u32) -> Result<TileId, (&'static str, String)> {
        if z > MAX_ZOOM as u32 {
            return Err(("z", format!("zoom {z} is out of range 0..{MAX_ZOOM}")));
        }
        let n = 1u64 << z;
        if x as u64 >= n {
            return Err((
                "x",
                format!("column {x} is out of range 0..{} at zoom {z}", n - 1),
            ));
        }
        if y as u64 >= n {
            return Err((
                "y",
                format!("row {y} is out of range 0..{} at zoom {z}", n - 1),
            ));
        }
        Ok(TileId { z: z as u8, x, y })
    }

    fn scale(&self) -> f64 {
        (1u64 << self.z) as f64
    }

    /// Position of (lon, lat) in this tile's units (0..4096 inside the tile, y down).
    pub fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        let (mx, my) = mercator(lon, lat);
        let s = self.scale();
        (
            (mx * s - self.x as f64) * EXTENT as f64,
            (my * s - self.y as f64) * EXTENT as f64,
        )
    }

    /// The tile's lon/lat box, grown by `buffer` tile units on each side.
    pub fn bounds(&self, buffer: u32) -> LonLatBox {
        let s = self.scale();
        let b = buffer as f64 / EXTENT as f64;
        let lon = |x: f64| x / s * 360.0 - 180.0;
        let lat = |y: f64| {
            let n = std::f64::consts::PI * (1.0 - 2.0 * y / s);
            n.sinh().atan().to_degrees()
        };
        let (x0, x1) = (self.x as f64 - b, self.x as f64 + 1.0 + b);
        let (y0, y1) = (self.y as f64 - b, self.y as f64 + 1.0 + b);
        LonLatBox {
            min_lon: lon(x0).max(-180.0),
            max_lon: lon(x1).min(180.0),
            min_lat: lat(y1.min(s)).max(-85.051_128_779_806_6),
            max_lat: lat(y0.max(0.0)).min(85.051_128_779_806_6),
        }
    }
}

/// Web Mercator in the unit square: x east from −180°, y south from 85.05°N.
fn mercator(lon: f64, lat: f64) -> (f64, f64) {
    let x = (lon + 180.0) / 360.0;
    let lat = lat
        .clamp(-85.051_128_779_806_6, 85.051_128_779_806_6)
        .to_radians();
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0;
    (x, y)
}

/// Errors of tile encoding.
#[derive(Debug, thiserror::Error)]
pub enum TileError {
    /// The encoder refused a geometry or the tile.
    #[error("vector tile encoding: {0}")]
    Encode(#[from] mvt::Error),
}

/// One point to write: its feature id, its position in tile units, and the record's position
/// in its layer (handed to the tagging function).
struct PointFeature {
    id: u64,
    x: f64,
    y: f64,
    at: u32,
}

fn inside(x: f64, y: f64) -> bool {
    let lo = -(BUFFER as f64);
    let hi = (EXTENT + BUFFER) as f64;
    x >= lo && x < hi && y >= lo && y < hi
}

/// Writes points one by one, tagged by `tag` (detail zooms), or as grid clusters with `count`,
/// dropping clusters that `disclosure` may not show. Returns the encoded tile, or `None` when
/// it is empty.
fn point_tile(
    layer_name: &str,
    tile: TileId,
    points: impl Iterator<Item = PointFeature>,
    disclosure: Disclosure,
    mut tag: impl FnMut(&mut mvt::Feature, u32),
) -> Result<Option<Vec<u8>>, TileError> {
    let mut t = Tile::new(EXTENT);
    let mut layer = t.create_layer(layer_name);
    if tile.z >= DETAIL_ZOOM {
        for p in points {
            if !inside(p.x, p.y) {
                continue;
            }
            let geom = GeomEncoder::new(GeomType::Point)
                .point(p.x.round(), p.y.round())?
                .encode()?;
            let mut f = layer.into_feature(geom);
            f.set_id(p.id);
            tag(&mut f, p.at);
            layer = f.into_layer();
        }
    } else {
        let cell = (EXTENT / CLUSTER_GRID) as f64;
        let side = CLUSTER_GRID as i64;
        let mut counts = std::collections::HashMap::<i64, u64>::new();
        for p in points {
            let (cx, cy) = ((p.x / cell).floor() as i64, (p.y / cell).floor() as i64);
            // Only squares in the tile: neighbouring tiles draw the rest.
            if !(0..side).contains(&cx) || !(0..side).contains(&cy) {
                continue;
            }
            *counts.entry(cy * side + cx).or_default() += 1;
        }
        let mut squares: Vec<(i64, u64)> = counts.into_iter().collect();
        squares.sort_unstable();
        for (k, n) in squares {
            if !disclosure.shows(n) {
                continue;
            }
            let (cx, cy) = (k % side, k / side);
            let geom = GeomEncoder::new(GeomType::Point)
                .point((cx as f64 + 0.5) * cell, (cy as f64 + 0.5) * cell)?
                .encode()?;
            let mut f = layer.into_feature(geom);
            f.set_id(k as u64);
            f.add_tag_uint("count", n);
            layer = f.into_layer();
        }
    }
    if layer.num_features() == 0 {
        return Ok(None);
    }
    t.add_layer(layer)?;
    Ok(Some(t.to_bytes()?))
}

/// The `incidents` tile over the incidents at `positions` of `cat` (already filtered by the
/// caller's category/time/district filters and the tile's box). Single features carry
/// `category`, `occurred_at` (RFC 3339 UTC) and `precision`; the feature id is the incident id.
pub fn incidents_tile(
    cat: &Catalog,
    positions: &[u32],
    tile: TileId,
    disclosure: Disclosure,
) -> Result<Option<Vec<u8>>, TileError> {
    let points = positions.iter().map(|&p| {
        let i = &cat.incidents[p as usize];
        let (x, y) = tile.project(i.lon, i.lat);
        PointFeature {
            id: i.id as u64,
            x,
            y,
            at: p,
        }
    });
    let mut stamp = Vec::with_capacity(24);
    point_tile("incidents", tile, points, disclosure, |f, at| {
        let i = &cat.incidents[at as usize];
        f.add_tag_string("category", i.category.code());
        stamp.clear();
        time::write_rfc3339(i.occurred_at, &mut stamp);
        f.add_tag_string(
            "occurred_at",
            std::str::from_utf8(&stamp).expect("RFC 3339 is ASCII"),
        );
        f.add_tag_string("precision", i.precision.code());
    })
}

/// The `observations` tile: single features carry `kind`, `rating` (1–5) and `observed_at`;
/// below [`DETAIL_ZOOM`], clusters with `count`.
pub fn observations_tile(
    cat: &Catalog,
    positions: &[u32],
    tile: TileId,
) -> Result<Option<Vec<u8>>, TileError> {
    let points = positions.iter().map(|&p| {
        let o = &cat.observations[p as usize];
        let (x, y) = tile.project(o.lon, o.lat);
        PointFeature {
            id: o.id as u64,
            x,
            y,
            at: p,
        }
    });
    point_tile("observations", tile, points, Disclosure::EXACT, |f, at| {
        let o = &cat.observations[at as usize];
        f.add_tag_string("kind", o.kind.code());
        f.add_tag_uint("rating", o.rating as u64);
        f.add_tag_string("observed_at", &time::rfc3339(o.observed_at));
    })
}

/// The `districts` tile: polygons clipped to the tile plus buffer, with `id`, `name`, `level`
/// and `population` (when known).
pub fn districts_tile(
    cat: &Catalog,
    positions: &[u32],
    tile: TileId,
) -> Result<Option<Vec<u8>>, TileError> {
    let mut t = Tile::new(EXTENT);
    let mut layer = t.create_layer("districts");
    let lo = -(BUFFER as f64);
    let hi = (EXTENT + BUFFER) as f64;
    let bbox = pointy::BBox::from(((lo, lo), (hi, hi)));
    for &p in positions {
        let d = &cat.districts[p as usize];
        let mut enc = GeomEncoder::new(GeomType::Polygon).bbox(bbox);
        if !polygon_rings(&mut enc, &d.geometry, tile)? {
            continue;
        }
        let geom = enc.encode()?;
        if geom.is_empty() {
            continue;
        }
        let mut f = layer.into_feature(geom);
        f.set_id(p as u64);
        f.add_tag_string("id", &d.id);
        f.add_tag_string("name", &d.name);
        f.add_tag_string("level", d.level.code());
        if let Some(n) = d.population {
            f.add_tag_uint("population", n as u64);
        }
        layer = f.into_layer();
    }
    if layer.num_features() == 0 {
        return Ok(None);
    }
    t.add_layer(layer)?;
    Ok(Some(t.to_bytes()?))
}

/// Adds every ring of `mp`, in tile units; returns whether any ring had an area.
fn polygon_rings(
    enc: &mut GeomEncoder<f64>,
    mp: &MultiPolygon<f64>,
    tile: TileId,
) -> Result<bool, TileError> {
    let mut any = false;
    for poly in mp {
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            if ring.coords_count() < 4 {
                continue;
            }
            // MVT wants exterior rings clockwise in tile space (y down) = counter-clockwise
            // in lon/lat, which is how the store keeps them (RFC 7946); the encoder clips.
            for c in ring.coords().take(ring.coords_count() - 1) {
                let (x, y) = tile.project(c.x, c.y);
                enc.add_point(x, y)?;
            }
            enc.complete_geom()?;
            any = true;
        }
    }
    Ok(any)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_ranges_are_checked_and_name_the_field() {
        assert!(TileId::new(0, 0, 0).is_ok());
        assert!(TileId::new(22, (1 << 22) - 1, 0).is_ok());
        assert_eq!(TileId::new(23, 0, 0).unwrap_err().0, "z");
        assert_eq!(TileId::new(3, 8, 0).unwrap_err().0, "x");
        assert_eq!(TileId::new(3, 0, 8).unwrap_err().0, "y");
    }

    #[test]
    fn projection_matches_known_tile_corners() {
        // Nørrebro station (12.5404 E, 55.7008 N) is in z15 tile 17525/10252.
        let t = TileId::new(15, 17525, 10252).unwrap();
        let (x, y) = t.project(12.5404, 55.7008);
        assert!(
            (0.0..4096.0).contains(&x) && (0.0..4096.0).contains(&y),
            "{x},{y}"
        );
        let b = t.bounds(0);
        let (x0, y0) = t.project(b.min_lon, b.max_lat);
        let (x1, y1) = t.project(b.max_lon, b.min_lat);
        assert!(x0.abs() < 1e-6 && y0.abs() < 1e-6, "{x0},{y0}");
        assert!(
            (x1 - 4096.0).abs() < 1e-6 && (y1 - 4096.0).abs() < 1e-6,
            "{x1},{y1}"
        );
        // The whole world at z0.
        let w = TileId::new(0, 0, 0).unwrap().bounds(0);
        assert!((w.min_lon + 180.0).abs() < 1e-9 && (w.max_lat - 85.0511287798).abs() < 1e-6);
    }
}
