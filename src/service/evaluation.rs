//! The before/after evidence of an initiative as a caller may see it (`GET
//! /api/initiatives/{id}/evaluation`, the status report): the area and ring against a control
//! district (see `crate::analysis::evaluation`), walk ratings and reports nearby.

use serde_json::{json, Value};

use super::{Service, ServiceError, ServiceResult};
use crate::analysis::evaluation::{self, Counts, EvaluationInput};
use crate::auth::{Caller, Need};
use crate::model::{time, DistrictLevel};

/// A GeoJSON geometry object as a `geo` geometry.
pub fn geometry_of(v: &Value) -> Option<geo::Geometry<f64>> {
    let g: geojson::Geometry = serde_json::from_value(v.clone()).ok()?;
    geo::Geometry::<f64>::try_from(g).ok()
}

/// What an evaluation is asked for.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// Category bit mask.
    pub categories: u16,
    /// The `category` parameter as given.
    pub category: Option<String>,
    /// Months on each side.
    pub months: i64,
    /// Buffer, metres.
    pub buffer_m: f64,
    /// Control district id (default: the safety district the initiative lies in).
    pub control: Option<String>,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            categories: u16::MAX,
            category: None,
            months: 12,
            buffer_m: 100.0,
            control: None,
        }
    }
}

/// The evaluation of initiative `i` as the caller may see it (see `analysis::evaluation`).
pub fn evaluation(
    state: &Service,
    caller: &Caller,
    i: &crate::store::StoredInitiative,
    o: &EvalOptions,
) -> ServiceResult<Value> {
    let (cat, disclosure) = state.view(caller, Need::Aggregates);
    let geometry = geometry_of(&i.feature["geometry"])
        .ok_or_else(|| ServiceError::Internal("stored geometry unreadable".into()))?;
    use geo::Centroid;
    let c = geometry
        .centroid()
        .ok_or_else(|| ServiceError::Internal("empty geometry".into()))?;
    let control_id = match &o.control {
        Some(id) => id.to_owned(),
        None => cat
            .districts_at(c.x(), c.y(), DistrictLevel::District)
            .first()
            .map(|&d| cat.districts[d as usize].id.clone())
            .ok_or_else(|| {
                ServiceError::Unprocessable(
                    "the initiative lies in no safety district; give control=district-N".into(),
                )
            })?,
    };
    let control = &cat
        .district(&control_id)
        .ok_or_else(|| ServiceError::param("control", format!("unknown district '{control_id}'")))?
        .geometry;
    let start_date = chrono::NaiveDate::parse_from_str(
        i.feature["properties"]["start_date"].as_str().unwrap_or(""),
        "%Y-%m-%d",
    )
    .map_err(|_| ServiceError::Internal("stored start date unreadable".into()))?;
    use chrono::Datelike;
    let start = time::copenhagen_to_utc(
        start_date.year() as i64,
        start_date.month(),
        start_date.day(),
        0,
        0,
    );
    let (first, last) = cat
        .incident_time_extent()
        .ok_or_else(|| ServiceError::Unprocessable("there are no incidents".into()))?;
    let months = o.months;
    let asked = months * evaluation::MONTH_S;
    let window = asked.min(start - first).min(last - start + 1);
    if window < 30 * 86_400 {
        return Err(ServiceError::Unprocessable(format!(
            "the data ({} – {}) hold less than a month on one side of the start {}; no evaluation",
            time::rfc3339(first),
            time::rfc3339(last),
            start_date
        )));
    }
    let buffer_m = o.buffer_m;
    let ring_m = buffer_m + 200.0;
    let input = EvaluationInput {
        geometry: &geometry,
        control,
        categories: o.categories,
        start,
        window,
        buffer_m,
        ring_m,
    };
    // A few milliseconds (two index queries): done here rather than on the blocking pool.
    let counts = evaluation::count(&cat, &input);
    let area = evaluation::did(counts.area, counts.control);
    let ring = evaluation::did(counts.ring, counts.control);
    let reports: Vec<(f64, f64, i64)> = state.reports().read(|rs| {
        rs.iter()
            .filter(|r| {
                !matches!(
                    r.status,
                    crate::reports::Status::Rejected | crate::reports::Status::Duplicate
                )
            })
            .map(|r| (r.lon, r.lat, r.created_at))
            .collect()
    });
    let ((ratings_before, ratings_after), reps) = evaluation::nearby(&cat, &input, &reports);
    let (reading, reading_da) = if ring.ci_low > 1.0 {
        (
            "displacement: incidents rose in the ring against the control",
            "forskydning: hændelserne steg i ringen omkring mod kontrolområdet",
        )
    } else if ring.ci_high < 1.0 {
        (
            "diffusion of benefits: incidents fell in the ring too",
            "spredning af gevinsten: hændelserne faldt også i ringen omkring",
        )
    } else {
        (
            "no clear change in the ring",
            "ingen tydelig ændring i ringen omkring",
        )
    };
    let (note, note_da) = if area.small_numbers {
        ("fewer than 10 incidents in at least one cell: too few to conclude anything; the interval shows how little is known",
         "under 10 hændelser i mindst én celle: for få til at konkludere noget; intervallet viser, hvor lidt vi ved")
    } else if area.ci_high < 1.0 {
        (
            "incidents fell inside the area against the control (the interval lies below 1)",
            "hændelserne faldt i området i forhold til kontrolområdet (intervallet ligger under 1)",
        )
    } else if area.ci_low > 1.0 {
        (
            "incidents rose inside the area against the control",
            "hændelserne steg i området i forhold til kontrolområdet",
        )
    } else {
        (
            "no change that the data can tell from chance (the interval covers 1)",
            "ingen ændring, som data kan skelne fra tilfældigheder (intervallet dækker 1)",
        )
    };
    let shown = |c: Counts| json!({"before": disclosure.count(c.before), "after": disclosure.count(c.after)});
    let before = evaluation::months_before(window) as i64;
    // A series with a withheld month would give it away by subtraction from the totals: the
    // public gets such a series not at all (every month null).
    let series = |v: &[u64]| -> Vec<Option<u64>> {
        let shown: Vec<Option<u64>> = v.iter().map(|&n| disclosure.count(n)).collect();
        if shown.iter().all(Option::is_some) {
            shown
        } else {
            vec![None; v.len()]
        }
    };
    let (area_series, control_series) = (
        series(&counts.area_monthly),
        series(&counts.control_monthly),
    );
    let monthly: Vec<Value> = (0..area_series.len())
        .map(|m| {
            let k = m as i64 - before;
            let from = (start + k * evaluation::MONTH_S).max(start - window);
            let to = (start + (k + 1) * evaluation::MONTH_S).min(start + window) - 1;
            json!({"from": time::rfc3339(from), "to": time::rfc3339(to), "after": k >= 0, "area": area_series[m], "control": control_series[m]})
        })
        .collect();
    // A ratio of withheld counts would give them away too (the four counts can be solved
    // from the ratio and its interval).
    let all_shown = |a: Counts, c: Counts| {
        [a.before, a.after, c.before, c.after]
            .iter()
            .all(|&n| disclosure.shows(n))
    };
    let ratio = |r: &evaluation::RateRatio, shown: bool| -> [Option<f64>; 3] {
        if shown {
            [Some(r.rate_ratio), Some(r.ci_low), Some(r.ci_high)]
        } else {
            [None; 3]
        }
    };
    let [rr, lo, hi] = ratio(&area, all_shown(counts.area, counts.control));
    let [ring_rr, ring_lo, ring_hi] = ratio(&ring, all_shown(counts.ring, counts.control));
    let withheld = rr.is_none();
    let mut v = json!({
        "initiative": i.id,
        "title": i.feature["properties"]["title"],
        "parameters": {"category": o.category, "months": months, "buffer_m": buffer_m, "ring_m": ring_m, "control": control_id},
        "windows": {
            "before": [time::rfc3339(start - window), time::rfc3339(start - 1)],
            "after": [time::rfc3339(start), time::rfc3339(start + window - 1)],
            "shortened": window < asked,
        },
        "method_da": "forskel-i-forskelle: (efter/før i indsatsens område plus buffer) / (efter/før i kontrolområdet), dvs. samspilsleddet i en Poisson-model med område- og periodeeffekter; 95 %-interval fra log-rate-ratioens standardfejl √(1/a₁+1/a₂+1/c₁+1/c₂) (Woolf); 0,5 lagt til alle tal, når ét er nul. Ringen (buffer til buffer + 200 m) mod samme kontrolområde viser forskydning eller spredning af gevinsten.",
        "method": "difference in differences: (after/before inside the initiative's area plus buffer) / (after/before in the control area), i.e. the interaction of a Poisson model with area and period effects; 95 % interval from the log rate ratio's standard error √(1/a₁+1/a₂+1/c₁+1/c₂) (Woolf); 0.5 added to every count when one is zero. The ring (buffer to buffer + 200 m) against the same control shows displacement or a diffusion of benefits.",
        "counts": {"area": shown(counts.area), "ring": shown(counts.ring), "control": shown(counts.control)},
        "monthly": monthly,
        "rate_ratio": rr, "ci_low": lo, "ci_high": hi,
        "continuity_corrected": area.continuity_corrected,
        "small_numbers": area.small_numbers,
        "note": if withheld { "too few incidents to show in the public view: the ratio would reveal the withheld counts" } else { note },
        "note_da": if withheld { "for få hændelser til at vise i den offentlige visning: forholdstallet ville afsløre de skjulte tal" } else { note_da },
        "displacement": {"rate_ratio": ring_rr, "ci_low": ring_lo, "ci_high": ring_hi, "small_numbers": ring.small_numbers, "reading": if ring_rr.is_some() { reading } else { "" }, "reading_da": if ring_rr.is_some() { reading_da } else { "" }},
        "observations": {
            "before": ratings_before, "after": ratings_after,
            "note": "safety-walk ratings (1 very poor … 5 good) within the buffer in each window",
        },
        // Unmoderated reports at their exact places: planners only (with a public buffer_m the
        // counts would locate them).
        "reports": if caller.sees_unpublished() {
            json!({
                "before": reps.before, "after": reps.after,
                "note": "resident reports (not rejected or duplicate) within the buffer in each window",
            })
        } else {
            Value::Null
        },
        "privacy": disclosure.describe(),
        "data_version": cat.version,
        "synthetic": cat.synthetic.incidents > 0,
    });
    if cat.synthetic.incidents > 0 {
        v["notice"] = json!(crate::demo::NOTICE);
        v["notice_da"] = json!(crate::demo::NOTICE_DA);
    }
    Ok(v)
}
