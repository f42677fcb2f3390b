//! Analyses over the catalog: pure functions, no HTTP. For now hex aggregation; Getis-Ord Gi*,
//! kernel density and emerging hot spots follow (DESIGN.md).

pub mod hexbins;
