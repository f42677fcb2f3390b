//! Exports (`…/items?f=geojson|csv|shapefile`) as streamed file downloads, each recorded in the
//! audit log before it starts, and the audit log itself (`GET /api/audit`, admin).

use std::convert::Infallible;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::params::{self, Params};
use super::AppState;
use crate::catalog::Catalog;
use crate::model::Layer;
use crate::output::export::{self, Export, Format};
use crate::store::AuditEntry;

/// Streams `positions` of `layer` from `cat` as a file in `format`, after recording the export.
pub(super) async fn export(
    state: &web::Data<AppState>,
    caller: &Caller,
    p: &Params,
    cat: Arc<Catalog>,
    layer: Layer,
    format: Format,
    positions: Vec<u32>,
) -> ApiResult<HttpResponse> {
    if matches!(format, Format::Csv(_)) && layer == Layer::Districts {
        return Err(ApiError::param(
            "f",
            "csv is offered for incidents and observations, not for district polygons; use f=geojson or f=shapefile",
        ));
    }
    let now = chrono::Utc::now().timestamp();
    let entry = AuditEntry {
        id: 0,
        at: now,
        actor: caller.actor(),
        role: caller.role.code().to_owned(),
        action: "export".into(),
        collection: export::layer_name(layer).to_owned(),
        format: format.code(),
        query: serde_urlencoded::to_string(p.without("")).unwrap_or_default(),
        features: positions.len() as i64,
    };
    {
        let state = state.clone();
        web::block(move || state.record_audit(&entry))
            .await
            .map_err(|e| ApiError::Internal(format!("worker pool: {e}")))??;
    }
    let count = positions.len();
    let job = Export {
        catalog: cat,
        layer,
        positions,
        format,
    };
    let mut res = HttpResponse::Ok();
    res.content_type(format.content_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", job.file_name(now)),
        ))
        .insert_header(("X-Number-Matched", count.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if let Format::Shapefile { .. } = format {
        let file = web::block(move || job.shapefile_zip())
            .await
            .map_err(|e| ApiError::Internal(format!("worker pool: {e}")))?
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        let chunks = export::file_chunks(file).map(|c| c.map(Bytes::from));
        return Ok(res.streaming(futures_util::stream::iter(chunks)));
    }
    let chunks = job.chunks().map(|c| Ok::<_, Infallible>(Bytes::from(c)));
    Ok(res.streaming(futures_util::stream::iter(chunks)))
}

/// `GET /api/audit?limit=&offset=` (admin): the audit log, newest first.
pub async fn audit(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let p = Params::parse(req.query_string(), &["limit", "offset"])?;
    let limit = params::limit(&p)?;
    let offset = params::offset(&p)?;
    let st = state.clone();
    let (entries, total) = web::block(move || st.audit_page(limit, offset))
        .await
        .map_err(|e| ApiError::Internal(format!("worker pool: {e}")))??;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({
            "numberMatched": total,
            "numberReturned": entries.len(),
            "entries": entries,
        })))
}
