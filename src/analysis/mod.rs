//! Analyses over the catalog: pure functions, no HTTP. Hex aggregation and Getis-Ord Gi*;
//! kernel density and emerging hot spots follow (DESIGN.md).

pub mod gistar;
pub mod hexbins;
