//! What the service writes out, shared by the HTTP API, the exports and the command line:
//! features as GeoJSON and CSV rows ([`encode`]), whole layers as GeoJSON, CSV or a zipped
//! Shapefile ([`export`]), and Mapbox Vector Tiles ([`mvt`]).

pub mod encode;
pub mod export;
pub mod mvt;
