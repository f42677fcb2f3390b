use super::{Category, ObservationKind, Precision};

/// An incident to be stored (the store gives it its id); what importers and the demo make.
#[derive(Debug, Clone)]
pub struct NewIncident {
    /// What happened.
    pub category: Category,
    /// Unix seconds, UTC.
    pub occurred_at: i64,
    /// WGS84 longitude.
    pub lon: f64,
    /// WGS84 latitude.
    pub lat: f64,
    /// How exact the position is.
    pub precision: Precision,
    /// Source name.
    pub source: String,
    /// Id at the source.
    pub source_id: String,
    /// Whether this record is synthetic (demo) data.
    pub synthetic: bool,
}

/// An observation to be stored (the store gives it its id).
#[derive(Debug, Clone)]
pub struct NewObservation {
    /// What was observed.
    pub kind: ObservationKind,
    /// 1–5.
    pub rating: u8,
    /// Free text.
    pub note: String,
    /// Unix seconds, UTC.
    pub observed_at: i64,
    /// WGS84 longitude.
    pub lon: f64,
    /// WGS84 latitude.
    pub lat: f64,
    /// Source name.
    pub source: String,
    /// Id at the source.
    pub source_id: String,
    /// Whether this record is synthetic (demo) data.
    pub synthetic: bool,
}
