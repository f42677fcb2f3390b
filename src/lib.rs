//! hotspot — safety mapping for Copenhagen's Hotspot programme on Indre Nørrebro (district 8).
//!
//! Districts, police-recorded incidents and safety-walk observations are held in an embedded
//! SQLite store, indexed in R-trees, and served as OGC API – Features, H3 aggregates and a
//! MapLibre web app. Inside the service everything is WGS84 lon/lat (RFC 7946 order) and UTC.

// In the order a request flows through: the edges (HTTP, command line, configuration), the
// service they call, who may do what, the store, the in-memory snapshot and its indexes, the
// computing, and what is written out and read in.
pub mod analysis; // hex counts, KDE, Gi* hot spots, emerging hot spots, summaries, evaluations
pub mod api; // HTTP edge: the route table, authorisation, thin handlers, problem details, web files
pub mod app; // start-up: store, shipped boundaries, demo data, catalog
pub mod auth; // roles, callers, API tokens (salted hashes, constant-time checks)
pub mod catalog; // the loaded layers and their indexes, one immutable snapshot
pub mod commands; // the import, export, token, backup and report subcommands
pub mod config; // defaults → TOML → HOTSPOT_* env → flags; trusted proxies
pub mod demo;
pub(crate) mod fnv; // a stable 64-bit digest: data versions, file checksums
pub mod index; // R-trees over points and polygons, with time/category filters; study grids
pub mod ingest; // file formats (GeoJSON, Shapefile, CSV), presets, coordinate systems
pub mod model; // domain types: districts, categories, incidents, observations, time
pub mod output; // encoders: GeoJSON and CSV features, exports (GeoJSON, CSV, Shapefile), vector tiles
pub mod planning; // effect goals, where to act, the annual status report's layout
pub mod privacy; // the public's generalised view of incidents, small-count suppression
pub mod reports; // resident reports: service codes, scrubbing, rate limits, the report book
pub mod service; // the use-cases' shared state, the change feed's follower, the service's error (no HTTP)
pub mod store; // SQLite behind the repository traits, the change feed, the report writer: the only SQL // the deterministic synthetic demo data
