//! Analyses over the catalog: pure functions, no HTTP. Hex aggregation, kernel density,
//! Getis-Ord Gi*, emerging hot spots, district summaries and safety-index levels.

pub mod emerging;
pub mod evaluation;
pub mod gistar;
pub mod hexbins;
pub mod kde;
pub mod safety_index;
pub mod stats;
pub mod summary;
