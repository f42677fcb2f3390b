use actix_web::{web, HttpResponse};
use serde_json::json;

use super::AppState;

/// `GET /api/health`: liveness with counts per layer and the data version.
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let c = state.catalog();
    HttpResponse::Ok().json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "data_version": c.version,
        "counts": {
            "districts": c.districts.len(),
            "incidents": c.incidents.len(),
            "observations": c.observations.len(),
        },
        "synthetic": c.synthetic,
        "uptime_s": state.started.elapsed().as_secs(),
    }))
}
