//! `GET /api/status-report`: the annual status report as printable HTML (made by
//! [`crate::service::status_report::render`], as `hotspot report` makes it).

use actix_web::{web, HttpRequest, HttpResponse};

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::params::{self, Params};
use super::AppState;
use crate::planning::goals;
use crate::service::status_report::render;

/// The report page's Content-Security-Policy: inline CSS and nothing else.
pub const REPORT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// `GET /api/status-report?year=&period=full|h1&lang=da|en`: the printable HTML report.
pub async fn page(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let p = Params::parse(req.query_string(), &["year", "period", "lang"])?;
    let (year, first_half, lang) = report_params(&state, &p)?;
    let caller = Caller::of(&req);
    let st = state.clone();
    let html = super::off_thread(move || render(&st, &caller, year, first_half, lang)).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!(
                "inline; filename=\"hotspot-status-{year}{}-{}.html\"",
                if first_half { "-h1" } else { "" },
                lang.code()
            ),
        ))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "private, no-store"))
        // A document with its own inline CSS and no script: the app's CSP (style-src 'self')
        // would leave it unstyled, so it gets a stricter one of its own.
        .insert_header((actix_web::http::header::CONTENT_SECURITY_POLICY, REPORT_CSP))
        .body(html))
}

fn report_params(state: &AppState, p: &Params) -> ApiResult<(i32, bool, crate::planning::Lang)> {
    let years = goals::data_years(&state.catalog());
    let default_year = years
        .iter()
        .rev()
        .find(|(_, whole)| *whole)
        .or(years.last())
        .map_or(2014, |(y, _)| *y);
    let year = match p.non_empty("year")? {
        None => default_year,
        Some(raw) => raw
            .parse::<i32>()
            .ok()
            .filter(|y| (1990..=2100).contains(y))
            .ok_or_else(|| ApiError::param("year", format!("'{raw}' is not a year 1990..2100")))?,
    };
    let first_half = params::choice(p, "period", &["full", "h1"], "full")? == "h1";
    let lang = crate::planning::Lang::parse(params::choice(p, "lang", &["da", "en"], "da")?)
        .unwrap_or(crate::planning::Lang::Da);
    Ok((year, first_half, lang))
}
