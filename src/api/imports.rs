//! `POST /api/collections/{id}/items`: import over HTTP (police or admin). The body is the file:
//! GeoJSON (`application/geo+json` or `application/json`), CSV (`text/csv`), or a
//! `multipart/form-data` upload with a `file` field. Same checks and the same all-or-nothing
//! rule as `hotspot import`; the answer is the import summary.

use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde_json::json;

use super::error::{ApiError, ApiResult};
use super::params::Params;
use super::AppState;
use crate::ingest::import;
use crate::ingest::{self, Format, ImportOptions, Preset};
use crate::model::Layer;

/// Largest upload accepted, bytes.
pub const MAX_UPLOAD_BYTES: usize = 64 * 1024 * 1024;

fn too_large() -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "body: larger than {} MiB",
        MAX_UPLOAD_BYTES / (1024 * 1024)
    ))
}

async fn read_limited<S, E>(mut stream: S) -> ApiResult<Vec<u8>>
where
    S: futures_util::Stream<Item = Result<web::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::param("body", format!("upload failed: {e}")))?;
        if body.len() + chunk.len() > MAX_UPLOAD_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn format_of(content_type: &str, filename: Option<&str>) -> Option<Format> {
    let ct = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match ct.as_str() {
        "application/geo+json" | "application/json" => return Some(Format::GeoJson),
        "text/csv" => return Some(Format::Csv),
        _ => {}
    }
    let ext = filename?.rsplit('.').next()?.to_ascii_lowercase();
    match ext.as_str() {
        "geojson" | "json" => Some(Format::GeoJson),
        "csv" => Some(Format::Csv),
        _ => None,
    }
}

/// The handler.
pub async fn import(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let layer = Layer::parse(&path).map_err(|_| {
        ApiError::NotFound(format!("no collection '{path}' to import into; collections are districts, incidents, observations"))
    })?;
    let p = Params::parse(
        req.query_string(),
        &[
            "skip_invalid",
            "source",
            "preset",
            "crs",
            "format",
            "level",
            "encoding",
            "region",
        ],
    )?;
    let skip_invalid = match p.non_empty("skip_invalid")? {
        None | Some("false") => false,
        Some("true") => true,
        Some(v) => {
            return Err(ApiError::param(
                "skip_invalid",
                format!("'{v}' is not true or false"),
            ))
        }
    };
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let (body, filename, part_type) = if content_type
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        let mut mp = actix_multipart::Multipart::new(req.headers(), payload);
        let mut found = None;
        while let Some(field) = mp.next().await {
            let field =
                field.map_err(|e| ApiError::param("body", format!("bad multipart upload: {e}")))?;
            if field.name() == Some("file") {
                let filename = field
                    .content_disposition()
                    .and_then(|cd| cd.get_filename())
                    .map(str::to_owned);
                let ct = field
                    .content_type()
                    .map(|m| m.to_string())
                    .unwrap_or_default();
                let bytes = read_limited(field).await?;
                found = Some((bytes, filename, ct));
                break;
            }
        }
        found.ok_or_else(|| ApiError::param("file", "the multipart upload has no 'file' field"))?
    } else {
        (read_limited(payload).await?, None, content_type.clone())
    };
    if body.is_empty() {
        return Err(ApiError::param(
            "body",
            "is empty; send a GeoJSON or CSV file",
        ));
    }
    let format = match p.non_empty("format")? {
        Some("geojson") => Format::GeoJson,
        Some("csv") => Format::Csv,
        Some(other) => return Err(ApiError::param("format", format!("'{other}' is not geojson or csv (Shapefiles: use `hotspot import`)"))),
        None => format_of(&part_type, filename.as_deref()).ok_or_else(|| {
            ApiError::param("Content-Type", format!("'{part_type}' is not application/geo+json, application/json or text/csv; or give format=geojson|csv"))
        })?,
    };
    if let Some(c) = p.non_empty("crs")? {
        crate::ingest::crs::Crs::parse(c).map_err(|e| ApiError::param("crs", e))?;
    }
    if let Some(e) = p.non_empty("encoding")? {
        if encoding_rs::Encoding::for_label(e.as_bytes()).is_none() {
            return Err(ApiError::param(
                "encoding",
                format!("unknown encoding '{e}'; e.g. latin1, windows-1252, utf-8"),
            ));
        }
    }
    let opts = ImportOptions {
        crs: p.non_empty("crs")?.map(str::to_owned),
        encoding: p.non_empty("encoding")?.map(str::to_owned),
        source: p.non_empty("source")?.map(str::to_owned),
        preset: p
            .non_empty("preset")?
            .map(Preset::parse)
            .transpose()
            .map_err(|e| ApiError::param("preset", e))?,
        level: p.non_empty("level")?.map(str::to_owned),
        // Positions outside it are refused (and said to look swapped when they do).
        region: super::params::lonlat_box(&p, "region", None)?,
        ..Default::default()
    };
    let name = filename.unwrap_or_else(|| {
        format!(
            "upload.{}",
            if format == Format::Csv {
                "csv"
            } else {
                "geojson"
            }
        )
    });
    let source = opts
        .source
        .clone()
        .unwrap_or_else(|| format!("http:{name}"));
    let opts = ImportOptions {
        source: Some(source.clone()),
        ..opts
    };

    let st = state.clone();
    let summary = web::block(move || -> ApiResult<import::ImportSummary> {
        let started = Instant::now();
        let records = ingest::read_from(layer, format, &name, body.as_slice(), &opts)
            .map_err(|e| ApiError::param("body", e.to_string()))?;
        st.import(layer, records, skip_invalid, &source, started)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("worker pool: {e}")))??;

    if summary.committed {
        let role = req
            .extensions()
            .get::<super::auth::Caller>()
            .map(|c| c.role.code())
            .unwrap_or("?");
        tracing::info!(
            role,
            layer = summary.layer,
            imported = summary.imported,
            duplicates = summary.duplicates,
            rejected = summary.rejected.len(),
            "http import"
        );
        return Ok(HttpResponse::Created().json(&summary));
    }
    let detail = format!(
        "{} of {} records were refused, so nothing was imported; fix them or send skip_invalid=true to import the rest",
        summary.rejected.len(),
        summary.read
    );
    // The full report goes with the refusal.
    Ok(HttpResponse::build(StatusCode::UNPROCESSABLE_ENTITY)
        .content_type("application/problem+json")
        .json(json!({
            "type": "/api/problems/import-refused",
            "title": "Import refused",
            "status": 422,
            "detail": detail,
            "summary": summary,
        })))
}
