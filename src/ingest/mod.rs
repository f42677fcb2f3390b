//! Reading files into domain types. This is the only module that knows file formats; for now it
//! reads the GeoJSON layers shipped in `data/` (boundaries, streets, blocks, parks).

mod geojson_layers;
pub mod shipped;

pub use geojson_layers::{read_districts, read_polygons, read_streets, Street};

/// What can go wrong reading a file.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The text is not GeoJSON, or not the GeoJSON object expected.
    #[error("{file}: not a GeoJSON FeatureCollection: {reason}")]
    NotGeoJson {
        /// Which file.
        file: String,
        /// The parser's reason.
        reason: String,
    },
    /// One feature is unusable.
    #[error("{file}: feature {index}: {reason}")]
    BadFeature {
        /// Which file.
        file: String,
        /// 0-based position of the feature in the collection.
        index: usize,
        /// What is wrong, naming the property.
        reason: String,
    },
}

/// Result of the ingest module.
pub type Result<T> = std::result::Result<T, IngestError>;
