//! Mapbox Vector Tiles (2.1) of the layers. Tiles are in the Web Mercator tile scheme (XYZ,
//! y down, EPSG:3857), extent 4096, one layer named after the collection.
//!
//! Point layers (incidents, observations) are the hot path: they are built directly as the
//! messages of the MVT 2.1 schema ([`pb`], encoded by `prost`), with the layer's fixed keys and
//! repeated values (categories, kinds) written once. The `mvt` crate's builder costs about
//! 2.5 µs per point (a `String` and a hash-map entry per tag), 16 ms for a z15 tile of 6,000
//! incidents against the 2 ms goal. Polygons (districts) go through the `mvt` crate, whose
//! encoder clips them to the tile.
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

/// The messages of the Mapbox Vector Tile 2.1 schema (`vector_tile.proto`), for `prost`.
pub mod pb {
    /// A tile: its layers.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Tile {
        /// The layers.
        #[prost(message, repeated, tag = "3")]
        pub layers: Vec<Layer>,
    }

    /// A value of a tag (exactly one member set).
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Value {
        /// A string.
        #[prost(string, optional, tag = "1")]
        pub string_value: Option<String>,
        /// An unsigned integer.
        #[prost(uint64, optional, tag = "5")]
        pub uint_value: Option<u64>,
    }

    /// A feature: id, tag index pairs, geometry type and command stream.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Feature {
        /// Feature id.
        #[prost(uint64, optional, tag = "1")]
        pub id: Option<u64>,
        /// Pairs of (key index, value index).
        #[prost(uint32, repeated, tag = "2")]
        pub tags: Vec<u32>,
        /// 1 = point, 2 = line string, 3 = polygon.
        #[prost(int32, optional, tag = "3")]
        pub r#type: Option<i32>,
        /// Commands and zig-zag encoded parameters.
        #[prost(uint32, repeated, tag = "4")]
        pub geometry: Vec<u32>,
    }

    /// A layer.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Layer {
        /// Always 2.
        #[prost(uint32, required, tag = "15")]
        pub version: u32,
        /// The layer's name.
        #[prost(string, required, tag = "1")]
        pub name: String,
        /// The features.
        #[prost(message, repeated, tag = "2")]
        pub features: Vec<Feature>,
        /// Tag keys.
        #[prost(string, repeated, tag = "3")]
        pub keys: Vec<String>,
        /// Tag values.
        #[prost(message, repeated, tag = "4")]
        pub values: Vec<Value>,
        /// Units per tile side.
        #[prost(uint32, optional, tag = "5")]
        pub extent: Option<u32>,
    }
}

/// A point layer written straight to its protobuf bytes: features as they come, keys fixed,
/// values appended (the caller reuses the indexes of repeated ones). Equivalent to building
/// [`pb::Layer`] and encoding it with `prost` (the tests decode it so), at a fifth of the cost:
/// no per-feature allocations and one pass.
struct PointLayer {
    name: &'static str,
    keys: &'static [&'static str],
    features: Vec<u8>,
    values: Vec<u8>,
    n_values: u32,
    n_features: usize,
    scratch: Vec<u8>,
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A field key: field number and wire type (0 varint, 2 length-delimited).
fn key(out: &mut Vec<u8>, field: u32, wire: u32) {
    varint(out, ((field << 3) | wire) as u64);
}

fn bytes_field(out: &mut Vec<u8>, field: u32, b: &[u8]) {
    key(out, field, 2);
    varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

impl PointLayer {
    /// A layer for about `capacity` features.
    fn new(name: &'static str, keys: &'static [&'static str], capacity: usize) -> PointLayer {
        PointLayer {
            name,
            keys,
            features: Vec::with_capacity(capacity * 24),
            values: Vec::with_capacity(capacity * 24),
            n_values: 0,
            n_features: 0,
            scratch: Vec::with_capacity(32),
        }
    }

    /// Appends a string value (Value field 1); returns its index.
    fn string(&mut self, s: &str) -> u32 {
        self.scratch.clear();
        bytes_field(&mut self.scratch, 1, s.as_bytes());
        bytes_field(&mut self.values, 4, &self.scratch);
        self.n_values += 1;
        self.n_values - 1
    }

    /// Appends an unsigned integer value (Value field 5); returns its index.
    fn uint(&mut self, n: u64) -> u32 {
        self.scratch.clear();
        key(&mut self.scratch, 5, 0);
        varint(&mut self.scratch, n);
        bytes_field(&mut self.values, 4, &self.scratch);
        self.n_values += 1;
        self.n_values - 1
    }

    /// Adds a point feature at tile units (x, y) with `tags` (key index, value index pairs).
    fn point(&mut self, id: u64, x: i32, y: i32, tags: &[u32]) {
        let zigzag = |v: i32| ((v << 1) ^ (v >> 31)) as u32 as u64;
        let f = &mut self.scratch;
        f.clear();
        key(f, 1, 0);
        varint(f, id);
        let mut packed = [0u8; 64];
        let mut len = 0;
        {
            let mut w = PackedWriter(&mut packed, &mut len);
            for &tag in tags {
                w.push(tag as u64);
            }
        }
        key(f, 2, 2);
        varint(f, len as u64);
        f.extend_from_slice(&packed[..len]);
        key(f, 3, 0);
        varint(f, 1); // POINT
        let mut len = 0;
        {
            let mut w = PackedWriter(&mut packed, &mut len);
            // MoveTo (command 1) once, then the zig-zag encoded position.
            w.push((1 << 3) | 1);
            w.push(zigzag(x));
            w.push(zigzag(y));
        }
        key(f, 4, 2);
        varint(f, len as u64);
        f.extend_from_slice(&packed[..len]);
        bytes_field(&mut self.features, 2, f);
        self.n_features += 1;
    }

    /// The encoded tile holding this one layer, or `None` when it has no feature.
    fn finish(self) -> Option<Vec<u8>> {
        if self.n_features == 0 {
            return None;
        }
        let mut layer = Vec::with_capacity(self.features.len() + self.values.len() + 64);
        key(&mut layer, 15, 0);
        varint(&mut layer, 2); // version
        bytes_field(&mut layer, 1, self.name.as_bytes());
        layer.extend_from_slice(&self.features);
        for k in self.keys {
            bytes_field(&mut layer, 3, k.as_bytes());
        }
        layer.extend_from_slice(&self.values);
        key(&mut layer, 5, 0);
        varint(&mut layer, EXTENT as u64);
        let mut tile = Vec::with_capacity(layer.len() + 8);
        bytes_field(&mut tile, 3, &layer);
        Some(tile)
    }
}

/// Writes varints into a fixed buffer (a feature's packed tags or geometry: a few bytes).
struct PackedWriter<'a>(&'a mut [u8; 64], &'a mut usize);

impl PackedWriter<'_> {
    fn push(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0[*self.1] = (v as u8) | 0x80;
            *self.1 += 1;
            v >>= 7;
        }
        self.0[*self.1] = v as u8;
        *self.1 += 1;
    }
}

fn inside(x: f64, y: f64) -> bool {
    let lo = -(BUFFER as f64);
    let hi = (EXTENT + BUFFER) as f64;
    x >= lo && x < hi && y >= lo && y < hi
}

/// Grid clusters below [`DETAIL_ZOOM`]: one feature per occupied square of the 64 × 64 grid
/// with `count`, dropping counts that `disclosure` may not show.
fn cluster_tile(
    name: &'static str,
    points: impl Iterator<Item = (f64, f64)>,
    disclosure: Disclosure,
) -> Option<Vec<u8>> {
    let cell = (EXTENT / CLUSTER_GRID) as f64;
    let side = CLUSTER_GRID as usize;
    let mut counts = vec![0u64; side * side];
    for (x, y) in points {
        let (cx, cy) = ((x / cell).floor(), (y / cell).floor());
        // Only squares in the tile: neighbouring tiles draw the rest.
        if cx < 0.0 || cy < 0.0 || cx >= side as f64 || cy >= side as f64 {
            continue;
        }
        counts[cy as usize * side + cx as usize] += 1;
    }
    let mut layer = PointLayer::new(name, &["count"], 256);
    for (k, &n) in counts.iter().enumerate() {
        if n == 0 || !disclosure.shows(n) {
            continue;
        }
        let (cx, cy) = (k % side, k / side);
        let v = layer.uint(n);
        let half = cell / 2.0;
        layer.point(
            k as u64,
            (cx as f64 * cell + half) as i32,
            (cy as f64 * cell + half) as i32,
            &[0, v],
        );
    }
    layer.finish()
}

/// The `incidents` tile over the incidents at `positions` of `cat` (already filtered by the
/// caller's category/time/district filters and the tile's box). From [`DETAIL_ZOOM`] on,
/// single features with `category`, `occurred_at` (RFC 3339 UTC) and `precision`, the
/// feature id being the incident id; below it, grid clusters with `count`.
pub fn incidents_tile(
    cat: &Catalog,
    positions: &[u32],
    tile: TileId,
    disclosure: Disclosure,
) -> Result<Option<Vec<u8>>, TileError> {
    let projected = positions.iter().map(|&p| {
        let i = &cat.incidents[p as usize];
        tile.project(i.lon, i.lat)
    });
    if tile.z < DETAIL_ZOOM {
        return Ok(cluster_tile("incidents", projected, disclosure));
    }
    let mut layer = PointLayer::new(
        "incidents",
        &["category", "occurred_at", "precision"],
        positions.len(),
    );
    // Categories and precisions are few: one value each, made when first used.
    let mut category_value = [u32::MAX; 16];
    let mut precision_value = [u32::MAX; 8];
    let mut stamp = Vec::with_capacity(24);
    for &p in positions {
        let i = &cat.incidents[p as usize];
        let (x, y) = tile.project(i.lon, i.lat);
        if !inside(x, y) {
            continue;
        }
        let c = i.category as usize;
        if category_value[c] == u32::MAX {
            category_value[c] = layer.string(i.category.code());
        }
        let q = i.precision as usize;
        if precision_value[q] == u32::MAX {
            precision_value[q] = layer.string(i.precision.code());
        }
        stamp.clear();
        time::write_rfc3339(i.occurred_at, &mut stamp);
        let t = layer.string(std::str::from_utf8(&stamp).expect("RFC 3339 is ASCII"));
        layer.point(
            i.id as u64,
            x.round() as i32,
            y.round() as i32,
            &[0, category_value[c], 1, t, 2, precision_value[q]],
        );
    }
    Ok(layer.finish())
}

/// The `observations` tile: single features carry `kind`, `rating` (1–5) and `observed_at`;
/// below [`DETAIL_ZOOM`], clusters with `count`.
pub fn observations_tile(
    cat: &Catalog,
    positions: &[u32],
    tile: TileId,
) -> Result<Option<Vec<u8>>, TileError> {
    let projected = positions.iter().map(|&p| {
        let o = &cat.observations[p as usize];
        tile.project(o.lon, o.lat)
    });
    if tile.z < DETAIL_ZOOM {
        return Ok(cluster_tile("observations", projected, Disclosure::EXACT));
    }
    let mut layer = PointLayer::new(
        "observations",
        &["kind", "rating", "observed_at"],
        positions.len(),
    );
    for &p in positions {
        let o = &cat.observations[p as usize];
        let (x, y) = tile.project(o.lon, o.lat);
        if !inside(x, y) {
            continue;
        }
        let k = layer.string(o.kind.code());
        let r = layer.uint(o.rating as u64);
        let t = layer.string(&time::rfc3339(o.observed_at));
        layer.point(
            o.id as u64,
            x.round() as i32,
            y.round() as i32,
            &[0, k, 1, r, 2, t],
        );
    }
    Ok(layer.finish())
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

    fn catalog() -> Catalog {
        use crate::model::{Category, Incident, Precision};
        let inc = |id: i64, lon: f64, lat: f64, cat: Category| Incident {
            id,
            category: cat,
            occurred_at: 1_400_000_000 + id,
            lon,
            lat,
            precision: Precision::Street,
            source: "t".into(),
            source_id: format!("t{id}"),
        };
        Catalog::build(
            Vec::new(),
            vec![
                inc(1, 12.5500, 55.6900, Category::Theft),
                inc(2, 12.5510, 55.6905, Category::Violence),
                inc(3, 12.5510, 55.6905, Category::Theft),
                inc(300_000, 12.5495, 55.6898, Category::Drugs),
            ],
            Vec::new(),
        )
    }

    #[test]
    fn point_layers_decode_as_the_mvt_schema_says() {
        use prost::Message;
        let cat = catalog();
        let (lon, lat) = (12.5500, 55.6900);
        let n = 1u32 << 14;
        let x = ((lon + 180.0) / 360.0 * n as f64) as u32;
        let r = f64::to_radians(lat);
        let y =
            ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n as f64) as u32;
        let tile = TileId::new(14, x, y).unwrap();
        let all: Vec<u32> = (0..4).collect();
        let bytes = incidents_tile(&cat, &all, tile, Disclosure::EXACT)
            .unwrap()
            .unwrap();
        let decoded = pb::Tile::decode(bytes.as_slice()).expect("valid protobuf");
        assert_eq!(decoded.layers.len(), 1);
        let l = &decoded.layers[0];
        assert_eq!(
            (l.version, l.name.as_str(), l.extent),
            (2, "incidents", Some(4096))
        );
        assert_eq!(l.keys, ["category", "occurred_at", "precision"]);
        assert_eq!(l.features.len(), 4);
        for (f, i) in l.features.iter().zip(&cat.incidents) {
            assert_eq!(f.id, Some(i.id as u64));
            assert_eq!(f.r#type, Some(1));
            let unzig = |v: u32| ((v >> 1) as i32) ^ -((v & 1) as i32);
            assert_eq!(f.geometry.len(), 3);
            assert_eq!(f.geometry[0], 9, "MoveTo, count 1");
            let (px, py) = tile.project(i.lon, i.lat);
            assert_eq!(unzig(f.geometry[1]), px.round() as i32);
            assert_eq!(unzig(f.geometry[2]), py.round() as i32);
            let tag = |k: usize| {
                let v = &l.values[f.tags[2 * k + 1] as usize];
                v.string_value.clone().unwrap()
            };
            assert_eq!(
                f.tags.iter().step_by(2).copied().collect::<Vec<_>>(),
                [0, 1, 2]
            );
            assert_eq!(tag(0), i.category.code());
            assert_eq!(tag(1), time::rfc3339(i.occurred_at));
            assert_eq!(tag(2), "street");
        }
        // Repeated categories share one value: theft ×2, violence, drugs, street, 4 times.
        assert_eq!(l.values.len(), 3 + 1 + 4);

        // Clusters below the detail zoom; counts under the threshold left out in public.
        let z12 = TileId::new(12, x >> 2, y >> 2).unwrap();
        let exact = pb::Tile::decode(
            incidents_tile(&cat, &all, z12, Disclosure::EXACT)
                .unwrap()
                .unwrap()
                .as_slice(),
        )
        .unwrap();
        let counts: Vec<u64> = exact.layers[0]
            .features
            .iter()
            .map(|f| {
                exact.layers[0].values[f.tags[1] as usize]
                    .uint_value
                    .unwrap()
            })
            .collect();
        assert_eq!(counts.iter().sum::<u64>(), 4);
        assert_eq!(exact.layers[0].keys, ["count"]);
        let public = incidents_tile(&cat, &all, z12, Disclosure::public(5)).unwrap();
        assert!(public.is_none(), "4 incidents in all: nothing reaches 5");
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
