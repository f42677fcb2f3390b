use actix_web::{web, HttpResponse};
use serde_json::json;

use super::AppState;

/// `GET /api/health`: liveness with counts per layer and the data version; `503` with status
/// `stale` when the server has not been able to follow its store for a few seconds (a lost
/// database: it would miss token revocations and other servers' writes), so that a load
/// balancer sends its requests elsewhere until it has caught up.
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let c = state.catalog();
    let lag = state.store_unreachable_s();
    let stale = state.store_stale_s().is_some();
    let mut answer = if stale {
        HttpResponse::ServiceUnavailable()
    } else {
        HttpResponse::Ok()
    };
    answer.json(json!({
        "status": if stale { "stale" } else { "ok" },
        "store_unreachable_s": lag.map(|s| (s * 10.0).round() / 10.0),
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
