//! Mapbox Vector Tiles (2.1) of the layers. Tiles are in the Web Mercator tile scheme (XYZ,
//! y down, EPSG:3857), extent 4096, one layer named after the collection.
//!
//! Point layers (incidents, observations) are the hot path: they are built directly as the
//! messages of the MVT 2.1 schema ([`pb`], encoded by `prost`), with the layer's fixed keys and
//! repeated values (categories, kinds) written once. The `mvt` crate's builder costs about
//! 2.5 µs per point (a `String` and a hash-map entry per tag), 16 ms for a z15 tile of 6,000
//! incidents against the 2 ms goal. Every value is written once per layer and shared by the
//! features that carry it (the spec's "SHOULD"), keyed by its encoded bytes.
//!
//! Points are written one feature each from [`DETAIL_ZOOM`] on; below it they are gathered
//! into a 64 × 64 grid per tile, one feature per occupied grid square with a `count`, so a
//! tile of the whole city holds at most 4,096 features whatever the size of the data.
//! Polygons (districts) are snapped to the tile's integer grid, then clipped to the tile plus
//! its buffer by `i_overlay` (the engine behind geo's boolean operations) in its OGC-valid
//! mode, so what a client decodes is a valid polygon: exterior rings with positive area in tile
//! coordinates (clockwise on screen, y down) and holes negative, as MVT 2.1 § 4.3.4.4 says;
//! rings that collapse at the tile's resolution are dropped.

use std::collections::HashMap;

use geo::MultiPolygon;
use i_overlay::core::fill_rule::FillRule;
use i_overlay::core::overlay::{ContourDirection, IntOverlayOptions, Overlay, ShapeType};
use i_overlay::core::overlay_rule::OverlayRule;
use i_overlay::core::solver::Solver;
use i_overlay::i_float::int::point::IntPoint;

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

/// From [`DETAIL_ZOOM`] on, an incident tile holds one feature per incident when its box
/// (with the buffer) holds at most this many. A tile that would hold more holds one feature
/// per category and grid square instead, with `count`, on the finest grid that keeps it within
/// this many features (squares of 1, 4, 16, 64 or 256 tile units; tippecanoe's "cluster
/// densest as needed"). At ~50 bytes a feature that is a tile of at most ~500 kB, tippecanoe's
/// default limit; the demo's densest tile holds about 5,000 incidents.
pub const DETAIL_FEATURE_LIMIT: usize = 10_000;

/// Feature ids of merged features start here, above every incident id a client may see
/// (store ids and public ids, which are at most 2^52), and stay below 2^53, the largest
/// integer a JavaScript number holds exactly.
const MERGED_ID_BASE: u64 = (1 << 52) + 1;

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
    /// A geometry lies too far outside the tile to be written in its 32-bit units.
    #[error("vector tile encoding: coordinates out of range at zoom {0}")]
    OutOfRange(u8),
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

/// A layer written straight to its protobuf bytes: features as they come, keys fixed, each
/// distinct value once (looked up by its encoded bytes). Equivalent to building [`pb::Layer`]
/// and encoding it with `prost` (the tests decode it so), at a fifth of the cost: no
/// per-feature messages and one pass.
struct LayerWriter {
    name: &'static str,
    keys: &'static [&'static str],
    features: Vec<u8>,
    values: Vec<u8>,
    shared: HashMap<Vec<u8>, u32>,
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

impl LayerWriter {
    /// A layer for about `capacity` features.
    fn new(name: &'static str, keys: &'static [&'static str], capacity: usize) -> LayerWriter {
        LayerWriter {
            name,
            keys,
            features: Vec::with_capacity(capacity * 24),
            values: Vec::with_capacity(capacity * 24),
            shared: HashMap::with_capacity(capacity.min(4096)),
            n_values: 0,
            n_features: 0,
            scratch: Vec::with_capacity(32),
        }
    }

    /// The index of the encoded value in `scratch`, appended when it is new.
    fn share_scratch(&mut self) -> u32 {
        if let Some(&i) = self.shared.get(self.scratch.as_slice()) {
            return i;
        }
        let i = self.push_scratch();
        self.shared.insert(self.scratch.clone(), i);
        i
    }

    /// Appends the encoded value in `scratch` without looking for it (the caller knows it is
    /// new); returns its index.
    fn push_scratch(&mut self) -> u32 {
        bytes_field(&mut self.values, 4, &self.scratch);
        self.n_values += 1;
        self.n_values - 1
    }

    /// A string value (Value field 1); returns its index.
    fn string(&mut self, s: &str) -> u32 {
        self.scratch.clear();
        bytes_field(&mut self.scratch, 1, s.as_bytes());
        self.share_scratch()
    }

    /// Appends the instant `t` (Unix seconds, not written before) as an RFC 3339 UTC string
    /// value; returns its index.
    fn new_time(&mut self, t: i64) -> u32 {
        let mut text = Vec::with_capacity(24);
        time::write_rfc3339(t, &mut text);
        self.scratch.clear();
        bytes_field(&mut self.scratch, 1, &text);
        self.push_scratch()
    }

    /// An unsigned integer value (Value field 5); returns its index.
    fn uint(&mut self, n: u64) -> u32 {
        self.scratch.clear();
        key(&mut self.scratch, 5, 0);
        varint(&mut self.scratch, n);
        self.share_scratch()
    }

    /// Adds a feature of `geom_type` (1 point, 3 polygon) with its `tags` (key index, value
    /// index pairs) and command stream `geometry`.
    fn feature(&mut self, id: u64, tags: &[u32], geom_type: u64, geometry: &[u32]) {
        let f = &mut self.scratch;
        f.clear();
        key(f, 1, 0);
        varint(f, id);
        let packed = |f: &mut Vec<u8>, field: u32, vs: &mut dyn Iterator<Item = u64>| {
            let mut body = Vec::with_capacity(16);
            for v in vs {
                varint(&mut body, v);
            }
            bytes_field(f, field, &body);
        };
        packed(f, 2, &mut tags.iter().map(|&t| t as u64));
        key(f, 3, 0);
        varint(f, geom_type);
        packed(f, 4, &mut geometry.iter().map(|&g| g as u64));
        bytes_field(&mut self.features, 2, f);
        self.n_features += 1;
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
    let mut layer = LayerWriter::new(name, &["count"], 256);
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
    if positions.len() > DETAIL_FEATURE_LIMIT {
        let pieces = positions.iter().map(|&p| {
            let i = &cat.incidents[p as usize];
            (tile.project(i.lon, i.lat), i.category as u8, 1)
        });
        return Ok(merged_incidents_tile(pieces, tile, disclosure));
    }
    let mut layer = LayerWriter::new(
        "incidents",
        &["category", "occurred_at", "precision"],
        positions.len(),
    );
    // The features in time order (a stable radix sort: equal times stay in id order), so each
    // distinct time is written once, when first met, and no feature looks its value up.
    let mut inside: Vec<(i64, u32, i32, i32)> = positions
        .iter()
        .filter_map(|&p| {
            let i = &cat.incidents[p as usize];
            let (x, y) = tile.project(i.lon, i.lat);
            inside(x, y).then(|| (i.occurred_at, p, x.round() as i32, y.round() as i32))
        })
        .collect();
    radsort::sort_by_key(&mut inside, |f| f.0);
    // Categories and precisions are few: their values are made when first used and then
    // looked up by code.
    let mut category_value = [u32::MAX; 16];
    let mut precision_value = [u32::MAX; 8];
    let mut time = (i64::MIN, u32::MAX);
    for (t, p, x, y) in inside {
        let i = &cat.incidents[p as usize];
        let c = i.category as usize;
        if category_value[c] == u32::MAX {
            category_value[c] = layer.string(i.category.code());
        }
        let q = i.precision as usize;
        if precision_value[q] == u32::MAX {
            precision_value[q] = layer.string(i.precision.code());
        }
        if t != time.0 || time.1 == u32::MAX {
            time = (t, layer.new_time(t));
        }
        layer.point(
            i.id as u64,
            x,
            y,
            &[0, category_value[c], 1, time.1, 2, precision_value[q]],
        );
    }
    Ok(layer.finish())
}

/// The `incidents` tile of a box holding more than [`DETAIL_FEATURE_LIMIT`] incidents (from
/// [`DETAIL_ZOOM`] on): one feature per category and grid square, at the square's centre,
/// with `category` and `count`, on the finest grid (squares of 1, 4, 16, 64 or 256 tile units)
/// that keeps the tile within the limit. `pieces` are (x, y) in tile units, the category's
/// number and how many incidents of it are there. The feature id is made from the zoom, the
/// square (in the whole zoom level's grid) and the category, so the same square is the same
/// feature in a neighbouring tile's buffer; it lies in 2^52 + 1 … 2^53 − 1. A count that
/// `disclosure` may not show (1 or 2 for the public) is left out, as every public aggregate's.
pub fn merged_incidents_tile(
    pieces: impl Iterator<Item = ((f64, f64), u8, u32)>,
    tile: TileId,
    disclosure: Disclosure,
) -> Option<Vec<u8>> {
    // Keys (row, column, category), the square indexes shifted by `offset` squares so the
    // buffer's are not negative: 13 + 13 + 4 bits.
    let pack = |col: i64, row: i64, c: u8| ((row as u32) << 17) | ((col as u32) << 4) | c as u32;
    let unpack = |k: u32| ((k >> 4 & 0x1fff) as i64, (k >> 17) as i64, (k & 0xf) as u8);
    let offset = |size: i64| (BUFFER as i64 + size - 1) / size;
    let mut squares: Vec<(u32, u64)> = pieces
        .filter(|&((x, y), _, n)| inside(x, y) && n > 0)
        .map(|((x, y), c, n)| {
            let (col, row) = (x.round() as i64, y.round() as i64);
            (pack(col + offset(1), row + offset(1), c), n as u64)
        })
        .collect();
    let mut size = 1i64;
    loop {
        radsort::sort_by_key(&mut squares, |s| s.0);
        squares.dedup_by(|b, a| {
            let same = a.0 == b.0;
            if same {
                a.1 += b.1;
            }
            same
        });
        if squares.len() <= DETAIL_FEATURE_LIMIT || size >= 256 {
            break;
        }
        // Four times coarser: each square goes to the one holding it.
        let (from, to) = (offset(size), offset(size * 4));
        for s in &mut squares {
            let (col, row, c) = unpack(s.0);
            s.0 = pack(
                (col - from).div_euclid(4) + to,
                (row - from).div_euclid(4) + to,
                c,
            );
        }
        size *= 4;
    }
    let mut layer = LayerWriter::new("incidents", &["category", "count"], squares.len());
    let mut category_value = [u32::MAX; 16];
    let per_tile = EXTENT as i64 / size;
    for (k, n) in squares {
        let (col, row, c) = unpack(k);
        let (col, row) = (col - offset(size), row - offset(size));
        let (x, y) = (col * size + (size - 1) / 2, row * size + (size - 1) / 2);
        // A square of the buffer whose centre is beyond it is the neighbour's to draw.
        let Some(category) = crate::model::Category::ALL
            .get(c as usize)
            .filter(|_| inside(x as f64, y as f64) && disclosure.shows(n))
        else {
            continue;
        };
        if category_value[c as usize] == u32::MAX {
            category_value[c as usize] = layer.string(category.code());
        }
        let count = layer.uint(n);
        let mut id = crate::fnv::Fnv::new();
        for part in [
            tile.z as i64,
            size,
            tile.x as i64 * per_tile + col,
            tile.y as i64 * per_tile + row,
            c as i64,
        ] {
            id.u64(part as u64);
        }
        layer.point(
            MERGED_ID_BASE + id.0 % ((1 << 52) - 1),
            x as i32,
            y as i32,
            &[0, category_value[c as usize], 1, count],
        );
    }
    layer.finish()
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
    let mut layer = LayerWriter::new(
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
/// and `population` (when known); the feature id is the district's position in the catalog.
pub fn districts_tile(
    cat: &Catalog,
    positions: &[u32],
    tile: TileId,
) -> Result<Option<Vec<u8>>, TileError> {
    let mut layer = LayerWriter::new(
        "districts",
        &["id", "name", "level", "population"],
        positions.len(),
    );
    for &p in positions {
        let d = &cat.districts[p as usize];
        let geometry = polygon_commands(&clip_to_tile(&d.geometry, tile)?);
        if geometry.is_empty() {
            continue;
        }
        let mut tags = vec![
            0,
            layer.string(&d.id),
            1,
            layer.string(&d.name),
            2,
            layer.string(d.level.code()),
        ];
        if let Some(n) = d.population {
            tags.extend([3, layer.uint(n as u64)]);
        }
        layer.feature(p as u64, &tags, 3, &geometry);
    }
    Ok(layer.finish())
}

/// `mp` in `tile`'s integer units, clipped to the tile plus [`BUFFER`]: shapes of an outer
/// ring (positive area in tile coordinates) followed by its holes (negative), each ring
/// without its closing point. Snapping comes first and the clipper's OGC mode splits rings
/// that touch themselves, so the result is valid at the tile's resolution.
fn clip_to_tile(
    mp: &MultiPolygon<f64>,
    tile: TileId,
) -> Result<Vec<Vec<Vec<IntPoint>>>, TileError> {
    // i_overlay's integer core takes coordinates up to ±2^30; a city at zoom 22 is far inside.
    const LIMIT: f64 = (1 << 30) as f64;
    let lo = -(BUFFER as i32);
    let hi = (EXTENT + BUFFER) as i32;
    let mut overlay = Overlay::new_custom(
        64,
        IntOverlayOptions {
            output_direction: ContourDirection::CounterClockwise,
            min_output_area: 0,
            ..IntOverlayOptions::ogc()
        },
        Solver::default(),
    );
    for poly in mp {
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            let mut points = Vec::with_capacity(ring.0.len());
            for c in &ring.0 {
                let (x, y) = tile.project(c.x, c.y);
                if !(x.abs() < LIMIT && y.abs() < LIMIT) {
                    return Err(TileError::OutOfRange(tile.z));
                }
                points.push(IntPoint::new(x.round() as i32, y.round() as i32));
            }
            overlay.add_contour(&points, ShapeType::Subject);
        }
    }
    let square = [
        IntPoint::new(lo, lo),
        IntPoint::new(hi, lo),
        IntPoint::new(hi, hi),
        IntPoint::new(lo, hi),
    ];
    overlay.add_contour(&square, ShapeType::Clip);
    Ok(overlay.overlay(OverlayRule::Intersect, FillRule::EvenOdd))
}

/// Twice the signed area of a ring by the surveyor's formula, in tile units (y down):
/// positive for an MVT exterior ring, negative for a hole.
fn double_area(ring: &[IntPoint]) -> i64 {
    let n = ring.len();
    (0..n)
        .map(|k| {
            let (a, b) = (ring[k], ring[(k + 1) % n]);
            a.x as i64 * b.y as i64 - b.x as i64 * a.y as i64
        })
        .sum()
}

/// The MVT command stream of polygon `shapes` (MoveTo, LineTo ×(n−1), ClosePath per ring,
/// parameters zig-zag encoded deltas from the cursor). Exterior rings are written with
/// positive area and holes with negative, whatever order the clipper gave; rings with no area
/// or fewer than three points are left out, and a shape whose exterior is left out goes with
/// its holes.
fn polygon_commands(shapes: &[Vec<Vec<IntPoint>>]) -> Vec<u32> {
    let zigzag = |v: i32| ((v << 1) ^ (v >> 31)) as u32;
    let command = |id: u32, count: usize| (id & 0x7) | ((count as u32) << 3);
    let mut out = Vec::new();
    let (mut cx, mut cy) = (0i32, 0i32);
    for shape in shapes {
        for (k, ring) in shape.iter().enumerate() {
            let area = double_area(ring);
            if ring.len() < 3 || area == 0 {
                if k == 0 {
                    break;
                }
                continue;
            }
            let exterior = k == 0;
            let forward = (area > 0) == exterior;
            let mut points: Vec<IntPoint> = ring.clone();
            if !forward {
                points.reverse();
            }
            out.push(command(1, 1));
            out.push(zigzag(points[0].x - cx));
            out.push(zigzag(points[0].y - cy));
            (cx, cy) = (points[0].x, points[0].y);
            out.push(command(2, points.len() - 1));
            for p in &points[1..] {
                out.push(zigzag(p.x - cx));
                out.push(zigzag(p.y - cy));
                (cx, cy) = (p.x, p.y);
            }
            out.push(command(7, 1));
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
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
        };
        Catalog::build(
            Vec::new(),
            vec![
                inc(1, 12.5500, 55.6900, Category::Theft),
                inc(2, 12.5510, 55.6905, Category::Violence),
                inc(3, 12.5510, 55.6905, Category::Theft),
                inc(300_000, 12.5495, 55.6898, Category::Drugs),
            ]
            .into(),
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
        for (f, i) in l.features.iter().zip(cat.incidents.iter()) {
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

    /// (x, y, category, count) of each feature of a merged incident tile.
    pub(crate) fn merged_features(bytes: &[u8]) -> Vec<(i32, i32, String, u64, u64)> {
        use prost::Message;
        let t = pb::Tile::decode(bytes).expect("valid protobuf");
        let l = &t.layers[0];
        assert_eq!(l.keys, ["category", "count"]);
        let unzig = |v: u32| ((v >> 1) as i32) ^ -((v & 1) as i32);
        l.features
            .iter()
            .map(|f| {
                assert_eq!(
                    f.tags.iter().step_by(2).copied().collect::<Vec<_>>(),
                    [0, 1]
                );
                let v = |k: usize| &l.values[f.tags[2 * k + 1] as usize];
                (
                    unzig(f.geometry[1]),
                    unzig(f.geometry[2]),
                    v(0).string_value.clone().unwrap(),
                    v(1).uint_value.unwrap(),
                    f.id.unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn dense_tiles_merge_per_category_and_square_on_the_finest_grid_that_fits() {
        let tile = TileId::new(15, 17526, 10254).unwrap();
        // A few points: merged on squares of one unit, so each stays where it is.
        let few = [
            ((100.2, 200.7), 3u8, 5u32),
            ((100.4, 201.2), 3, 2),
            ((100.2, 200.7), 0, 1),
        ];
        let f = merged_features(
            &merged_incidents_tile(few.into_iter(), tile, Disclosure::EXACT).unwrap(),
        );
        // For the public, the violence count of 1 is left out.
        let public = merged_incidents_tile(few.into_iter(), tile, Disclosure::public(3));
        assert_eq!(merged_features(&public.unwrap()).len(), 1);
        let mut got: Vec<_> = f.iter().map(|f| (f.0, f.1, f.2.as_str(), f.3)).collect();
        got.sort();
        assert_eq!(got, [(100, 201, "theft", 7), (100, 201, "violence", 1)]);
        assert!(
            f.iter().all(|f| f.4 > 1 << 52 && f.4 < 1 << 53),
            "ids above the public ids, below 2^53"
        );

        // 40,000 distinct points all over the tile: coarser squares, within the limit, and
        // every incident counted once.
        let mut seed = 7u64;
        let mut next = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) as f64 / (1u64 << 31) as f64
        };
        let many: Vec<_> = (0..40_000)
            .map(|k| ((next() * 4095.0, next() * 4095.0), (k % 9) as u8, 1u32))
            .collect();
        let f = merged_features(
            &merged_incidents_tile(many.iter().copied(), tile, Disclosure::EXACT).unwrap(),
        );
        // Squares of 64 units would be ~24,000 (of 64 × 64 × 9) features: over the limit; squares of
        // 256 units are 16 × 16 × 9, all occupied.
        assert_eq!(f.len(), 16 * 16 * 9);
        assert!(f
            .iter()
            .all(|f| (f.0 - 127) % 256 == 0 && (f.1 - 127) % 256 == 0));
        assert_eq!(f.iter().map(|f| f.3).sum::<u64>(), 40_000);
        let ids: std::collections::HashSet<u64> = f.iter().map(|f| f.4).collect();
        assert_eq!(ids.len(), f.len(), "one id per feature");
        // One category: squares of 64 units fit (at most 64 × 64 features).
        let one: Vec<_> = many.iter().map(|&(at, _, n)| (at, 5u8, n)).collect();
        let f = merged_features(
            &merged_incidents_tile(one.into_iter(), tile, Disclosure::EXACT).unwrap(),
        );
        assert!((4000..=64 * 64).contains(&f.len()), "{}", f.len());
        assert!(f.iter().all(|f| (f.0 - 31) % 64 == 0 && f.2 == "vandalism"));
        assert_eq!(f.iter().map(|f| f.3).sum::<u64>(), 40_000);
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

    /// Decodes a polygon command stream into rings of absolute tile positions.
    fn rings(geometry: &[u32]) -> Vec<Vec<(i64, i64)>> {
        let unzig = |v: u32| (((v >> 1) as i32) ^ -((v & 1) as i32)) as i64;
        let (mut out, mut ring, mut k) = (Vec::new(), Vec::new(), 0);
        let (mut x, mut y) = (0i64, 0i64);
        while k < geometry.len() {
            let (id, count) = (geometry[k] & 7, (geometry[k] >> 3) as usize);
            k += 1;
            match id {
                1 | 2 => {
                    assert!(id == 2 || count == 1, "MoveTo of one point");
                    assert!(id == 1 || !ring.is_empty(), "LineTo after MoveTo");
                    for _ in 0..count {
                        x += unzig(geometry[k]);
                        y += unzig(geometry[k + 1]);
                        ring.push((x, y));
                        k += 2;
                    }
                }
                7 => {
                    assert_eq!(count, 1);
                    out.push(std::mem::take(&mut ring));
                }
                _ => panic!("unknown command {id}"),
            }
        }
        assert!(ring.is_empty(), "every ring closed");
        out
    }

    fn area(r: &[(i64, i64)]) -> i64 {
        (0..r.len())
            .map(|k| {
                let (a, b) = (r[k], r[(k + 1) % r.len()]);
                a.0 * b.1 - b.0 * a.1
            })
            .sum()
    }

    #[test]
    fn district_polygons_are_clipped_wound_and_collapsed_rings_dropped() {
        use crate::model::{District, DistrictLevel};
        use geo::{polygon, MultiPolygon};
        use prost::Message;
        let tile = TileId::new(15, 17525, 10252).unwrap();
        let b = tile.bounds(0);
        let (w, h) = (b.max_lon - b.min_lon, b.max_lat - b.min_lat);
        // A square from the tile's middle to well beyond its east edge, with a hole inside the
        // tile, counter-clockwise in lon/lat as RFC 7946 has it; and a sliver thinner than a
        // tile unit, which collapses.
        let (x0, x1) = (b.min_lon + 0.25 * w, b.max_lon + 0.5 * w);
        let (y0, y1) = (b.min_lat + 0.25 * h, b.min_lat + 0.75 * h);
        let square = polygon![
            exterior: [(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)],
            interiors: [[
                (x: x0 + 0.1 * w, y: y0 + 0.1 * h),
                (x: x0 + 0.1 * w, y: y0 + 0.2 * h),
                (x: x0 + 0.2 * w, y: y0 + 0.2 * h),
                (x: x0 + 0.2 * w, y: y0 + 0.1 * h),
            ]],
        ];
        let sliver = polygon![
            (x: b.min_lon + 0.1 * w, y: b.min_lat + 0.1 * h),
            (x: b.min_lon + 0.2 * w, y: b.min_lat + 0.1 * h),
            (x: b.min_lon + 0.2 * w, y: b.min_lat + 0.1 * h + h / 40_000.0),
        ];
        let district = |id: &str, geometry| District {
            id: id.into(),
            name: "x".into(),
            level: DistrictLevel::District,
            population: None,
            parent: None,
            geometry: MultiPolygon(vec![geometry]),
        };
        let cat = Catalog::build(
            vec![
                district("district-1", square),
                district("district-2", sliver),
            ],
            Default::default(),
            Vec::new(),
        );
        let bytes = districts_tile(&cat, &[0, 1], tile).unwrap().unwrap();
        let l = pb::Tile::decode(bytes.as_slice()).unwrap().layers.remove(0);
        assert_eq!(l.features.len(), 1, "the sliver has no area at this zoom");
        let f = &l.features[0];
        assert_eq!(f.r#type, Some(3));
        let rs = rings(&f.geometry);
        assert_eq!(rs.len(), 2, "{rs:?}");
        assert!(area(&rs[0]) > 0, "exterior ring has positive area (y down)");
        assert!(area(&rs[1]) < 0, "the hole has negative area");
        let max_x = rs[0].iter().map(|p| p.0).max().unwrap();
        assert_eq!(max_x, (EXTENT + BUFFER) as i64, "cut at the buffer's edge");
        assert!(rs[0]
            .iter()
            .all(|p| p.0 >= 1000 && p.1 >= 1000 && p.1 <= 3100));
        assert_eq!(l.values.len(), 3, "id, name and level of the one feature");
    }

    #[test]
    fn repeated_values_are_written_once() {
        use prost::Message;
        let cat = catalog();
        let all: Vec<u32> = (0..4).collect();
        // Zoom 12 clusters (counts 1, 1, 2 or so) and zoom 15 points (categories repeat).
        for z in [10u32, 12, 15] {
            let (lon, lat) = (12.5500f64, 55.6900f64);
            let n = (1u32 << z) as f64;
            let r = lat.to_radians();
            let x = ((lon + 180.0) / 360.0 * n) as u32;
            let y =
                ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u32;
            let tile = TileId::new(z, x, y).unwrap();
            let bytes = incidents_tile(&cat, &all, tile, Disclosure::EXACT)
                .unwrap()
                .unwrap();
            let l = pb::Tile::decode(bytes.as_slice()).unwrap().layers.remove(0);
            let mut seen = std::collections::HashSet::new();
            for v in &l.values {
                assert!(seen.insert(format!("{v:?}")), "z{z}: value {v:?} repeated");
            }
            if z == 15 {
                let used: usize = l.features.iter().map(|f| f.tags.len() / 2).sum();
                assert!(
                    l.values.len() < used,
                    "z{z}: categories and precisions shared"
                );
            }
        }
    }
}
