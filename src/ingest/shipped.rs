//! The data shipped inside the binary, derived from public sources by `data/derive/derive.py`
//! (see `data/SOURCE.md` for origin, licence and attribution). All WGS84 lon/lat.

/// Copenhagen's 10 bydele, 35 safety districts (dissolved from the roder) and 399 roder.
pub const DISTRICTS: &str = include_str!("../../data/districts.geojson");
/// OpenStreetMap streets of Nørrebro and Frederiksberg with their `lit` tags (ODbL).
pub const STREETS: &str = include_str!("../../data/streets.geojson");
/// Københavns Kommune's city blocks (*karréer*).
pub const BLOCKS: &str = include_str!("../../data/blocks.geojson");
/// Københavns Kommune's parks and green areas.
pub const PARKS: &str = include_str!("../../data/parks.geojson");

/// Attribution every map and export of the shipped layers must carry.
pub const ATTRIBUTION: &str =
    "Boundaries, blocks and parks © Københavns Kommune (CC BY 4.0); streets © OpenStreetMap contributors (ODbL 1.0)";
