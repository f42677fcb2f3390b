//! hotspot — safety mapping for Copenhagen's Hotspot programme on Indre Nørrebro (district 8).
//!
//! Districts, police-recorded incidents and safety-walk observations are held in an embedded
//! SQLite store, indexed in R-trees, and served as OGC API – Features, H3 aggregates and a
//! MapLibre web app. Inside the service everything is WGS84 lon/lat (RFC 7946 order) and UTC.

pub mod analysis; // hex aggregation and, later, hot-spot statistics over the catalog
pub mod api; // HTTP: routes, handlers, errors, the web app's files
pub mod app; // start-up: store, shipped boundaries, demo data, catalog
pub mod auth; // roles, API tokens (salted hashes, constant-time checks)
pub mod catalog; // the loaded layers and their indexes, one immutable snapshot
pub mod commands; // the import, export, token and backup subcommands
pub mod config; // defaults → TOML → HOTSPOT_* env → flags
pub mod demo; // the deterministic synthetic demo data
pub mod import; // an import run: read, check, all-or-nothing commit, summary
pub mod index; // R-trees over points and polygons, with time/category filters
pub mod ingest; // file formats: the shipped GeoJSON layers
pub mod model; // domain types: districts, categories, incidents, observations
pub mod output; // encoders: GeoJSON and CSV features, exports (GeoJSON, CSV, Shapefile), vector tiles
pub mod planning; // effect goals, where to act, the annual status report
pub mod privacy; // the public's generalised view of incidents, small-count suppression
pub mod reports; // resident reports: services, scrubbing, rate limit
pub mod service; // the use-cases' shared state and how it follows the store (no HTTP)
pub mod store; // SQLite: the only module that knows SQL
