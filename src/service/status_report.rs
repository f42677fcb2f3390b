//! The annual status report: gathers what `crate::planning::report` lays out — incidents,
//! safety-index levels, goals, initiatives with their evaluations, reports, the map — as the
//! caller may see them (`GET /api/status-report`, and `hotspot report`).

use serde_json::Value;

use super::goals::goal_views;
use super::{Service, ServiceError, ServiceResult};
use crate::auth::{Caller, Need};
use crate::planning::goals::{self, Period};
use crate::planning::where_to_act;

/// The shipped streets, parsed once (for the report's map).
fn streets() -> &'static [geo::LineString<f64>] {
    static STREETS: std::sync::OnceLock<Vec<geo::LineString<f64>>> = std::sync::OnceLock::new();
    STREETS.get_or_init(|| {
        let Ok(fc) = crate::ingest::shipped::STREETS.parse::<geojson::GeoJson>() else {
            return Vec::new();
        };
        let geojson::GeoJson::FeatureCollection(fc) = fc else {
            return Vec::new();
        };
        fc.features
            .into_iter()
            .filter_map(|f| geo::Geometry::<f64>::try_from(f.geometry?).ok())
            .flat_map(|g| match g {
                geo::Geometry::LineString(l) => vec![l],
                geo::Geometry::MultiLineString(m) => m.0,
                _ => Vec::new(),
            })
            .collect()
    })
}

/// `(from, to)` Unix seconds of a year or its first half (Copenhagen time).
fn period_bounds(year: i32, first_half: bool) -> (i64, i64) {
    use crate::model::time::copenhagen_to_utc;
    let from = copenhagen_to_utc(year as i64, 1, 1, 0, 0);
    let to = if first_half {
        copenhagen_to_utc(year as i64, 7, 1, 0, 0)
    } else {
        copenhagen_to_utc(year as i64 + 1, 1, 1, 0, 0)
    } - 1;
    (from, to)
}

/// The status report for `year` (or its first half) as the caller may see it.
pub fn render(
    state: &Service,
    caller: &Caller,
    year: i32,
    first_half: bool,
    lang: crate::planning::Lang,
) -> ServiceResult<String> {
    use crate::analysis::gistar;
    use crate::analysis::safety_index;
    use crate::index::PointFilter;
    use crate::model::{time, Category, DistrictLevel, HOTSPOT_DISTRICT_ID};
    use crate::planning::report::{self, Evaluation, GoalRow, InitiativeRow, MapData, ReportStats};
    use geo::{BoundingRect, Contains, Intersects};

    let l = lang;
    let (cat, disclosure) = state.view(caller, Need::Programme);
    let d8 = cat
        .district(HOTSPOT_DISTRICT_ID)
        .ok_or_else(|| ServiceError::Unprocessable("district 8 is not loaded".into()))?;
    let (from, to) = period_bounds(year, first_half);
    let (pfrom, pto) = period_bounds(year - 1, first_half);
    let in_d8 = |t: (i64, i64), mask: u16| {
        cat.query_incidents(
            &PointFilter {
                bbox: None,
                within: Some(&d8.geometry),
                time: Some(t),
            },
            mask,
        )
    };
    let this_all = in_d8((from, to), u16::MAX);
    let prev_all = in_d8((pfrom, pto), u16::MAX);
    let count_cat = |ps: &[u32], c: Category| {
        ps.iter()
            .filter(|&&p| cat.incidents[p as usize].category == c)
            .count() as u64
    };
    let categories: Vec<report::CountRow> = Category::ALL
        .iter()
        .map(|&c| {
            let lb = c.labels();
            (
                lang.pick(lb.label_da, lb.label_en).to_owned(),
                disclosure.count(count_cat(&prev_all, c)),
                disclosure.count(count_cat(&this_all, c)),
            )
        })
        .collect();
    let months = if first_half { 6 } else { 12 };
    let month_of = |t: i64| {
        time::civil_from_days((t + time::copenhagen_offset(t)).div_euclid(86_400)).1 as usize
    };
    let mut per_month = vec![(0u64, 0u64); months];
    for &p in &prev_all {
        if let Some(m) = per_month.get_mut(month_of(cat.incidents[p as usize].occurred_at) - 1) {
            m.0 += 1;
        }
    }
    for &p in &this_all {
        if let Some(m) = per_month.get_mut(month_of(cat.incidents[p as usize].occurred_at) - 1) {
            m.1 += 1;
        }
    }
    const MONTHS_DA: [&str; 12] = [
        "jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
    ];
    const MONTHS_EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    // A period's months are shown only when none of them and none of its categories is
    // withheld: otherwise a withheld count could be worked out by subtraction.
    let show_prev =
        per_month.iter().all(|m| disclosure.shows(m.0)) && categories.iter().all(|c| c.1.is_some());
    let show_this =
        per_month.iter().all(|m| disclosure.shows(m.1)) && categories.iter().all(|c| c.2.is_some());
    let monthly = per_month
        .iter()
        .enumerate()
        .map(|(i, &(a, b))| {
            (
                lang.pick(MONTHS_DA[i], MONTHS_EN[i]).to_owned(),
                show_prev.then_some(a),
                show_this.then_some(b),
            )
        })
        .collect();

    // The safety index is yearly: the half-year report shows the last two whole years.
    let si_year = if first_half { year - 1 } else { year };
    // A year without incidents has no levels ("ordinær" from zero counts would be made up).
    let with_data: Vec<i32> = goals::data_years(&cat).iter().map(|(y, _)| *y).collect();
    let levels = |y: i32| -> Vec<safety_index::Level> {
        if !with_data.contains(&y) {
            return Vec::new();
        }
        state
            .safety_levels(&cat, y)
            .iter()
            .filter(|r| r.district == HOTSPOT_DISTRICT_ID)
            .cloned()
            .collect()
    };
    let (si_now, si_prev) = (levels(si_year), levels(si_year - 1));
    let safety_index = safety_index::GROUPS
        .iter()
        .map(|(code, da, en, _)| {
            let now = si_now.iter().find(|r| r.group == *code);
            let prev = si_prev.iter().find(|r| r.group == *code);
            (
                lang.pick(da, en).to_owned(),
                prev.map(|r| r.level.to_owned()),
                now.map(|r| r.level.to_owned()),
                now.filter(|r| disclosure.shows(r.count as u64))
                    .map(|r| r.ratio),
            )
        })
        .collect();

    // Goals, as known at the end of the period.
    let end_key = if first_half { (year, 1) } else { (year, 3) };
    let goals = goal_views(state, caller)?
        .iter()
        .map(|g| {
            let s = |k: &str| g[k].as_str().unwrap_or("").to_owned();
            let values: Vec<goals::Value> =
                serde_json::from_value::<Vec<Value>>(g["values"].clone())
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|v| {
                        let period = v["period"].as_str()?.to_owned();
                        let key = Period::parse(&period)?.key();
                        (key <= end_key).then(|| goals::Value {
                            period,
                            value: v["value"].as_f64(),
                            partial: v["partial"].as_bool().unwrap_or(false),
                            detail: None,
                            note: None,
                            source: None,
                        })
                    })
                    .collect();
            let def = goals::goal(g["id"].as_str().unwrap_or("")).copied();
            let direction = def.map_or(goals::Direction::Down, |d| d.direction);
            let baseline = g["baseline"]["period"]
                .as_str()
                .zip(g["baseline"]["value"].as_f64())
                .map(|(p, v)| (p.to_owned(), v));
            let target = g["target"].as_f64();
            let a = goals::status(direction, baseline, target, &values);
            GoalRow {
                id: s("id"),
                title: s(if lang == crate::planning::Lang::Da {
                    "title_da"
                } else {
                    "title_en"
                }),
                unit: s(if lang == crate::planning::Lang::Da {
                    "unit_da"
                } else {
                    "unit_en"
                }),
                owner: s("owner"),
                direction,
                target,
                status: a.status,
                reason: if lang == crate::planning::Lang::Da {
                    a.reason_da
                } else {
                    a.reason_en
                },
                values: values.iter().map(|v| (v.period.clone(), v.value)).collect(),
            }
        })
        .collect();

    // Initiatives active in the period, each evaluated with the defaults.
    let all = caller.sees_unpublished();
    let (from_date, to_date) = (
        time::rfc3339(from + time::copenhagen_offset(from))[..10].to_owned(),
        time::rfc3339(to + time::copenhagen_offset(to))[..10].to_owned(),
    );
    let stored: Vec<_> = state
        .initiatives()?
        .into_iter()
        .filter(|i| all || i.published)
        .filter(|i| {
            let p = &i.feature["properties"];
            let start = p["start_date"].as_str().unwrap_or("9999");
            let end = p["end_date"].as_str().unwrap_or("9999");
            start <= to_date.as_str() && end >= from_date.as_str()
        })
        .collect();
    let mut map_initiatives = Vec::new();
    let initiatives: Vec<InitiativeRow> = stored
        .iter()
        .map(|i| {
            let p = &i.feature["properties"];
            if let Some(g) = super::evaluation::geometry_of(&i.feature["geometry"]) {
                map_initiatives.push((i.id, g));
            }
            let evaluation = super::evaluation::evaluation(
                state,
                caller,
                i,
                &super::evaluation::EvalOptions::default(),
            )
            .map_err(|e| e.to_string())
            .and_then(|e| {
                let (Some(rate_ratio), Some(lo), Some(hi)) = (
                    e["rate_ratio"].as_f64(),
                    e["ci_low"].as_f64(),
                    e["ci_high"].as_f64(),
                ) else {
                    return Err(lang
                        .pick(
                            "For få hændelser til at vise i den offentlige udgave.",
                            "Too few incidents to show in the public edition.",
                        )
                        .to_owned());
                };
                Ok(Evaluation {
                    rate_ratio,
                    ci: (lo, hi),
                    small_numbers: e["small_numbers"].as_bool().unwrap_or(true),
                    area: (
                        e["counts"]["area"]["before"].as_u64(),
                        e["counts"]["area"]["after"].as_u64(),
                    ),
                    displacement: e["displacement"][lang.pick("reading_da", "reading")]
                        .as_str()
                        .unwrap_or("")
                        .to_owned(),
                })
            });
            InitiativeRow {
                id: i.id,
                title: p["title"].as_str().unwrap_or("").to_owned(),
                kind: p["kind"].as_str().unwrap_or("other").to_owned(),
                status: p["status"].as_str().unwrap_or("planned").to_owned(),
                start: p["start_date"].as_str().unwrap_or("").to_owned(),
                end: p["end_date"].as_str().map(str::to_owned),
                budget_dkk: p["budget_dkk"].as_f64(),
                pool: p["pool"].as_str().map(str::to_owned),
                owner: p["owner"].as_str().map(str::to_owned),
                goals: p["goals"]
                    .as_array()
                    .map_or(Vec::new(), |a| a.iter().filter_map(Value::as_u64).collect()),
                published: i.published,
                evaluation,
            }
        })
        .collect();

    // The map.
    let bbox = d8.geometry.bounding_rect();
    let near = |r: Option<geo::Rect<f64>>| match (bbox, r) {
        (Some(a), Some(b)) => a.intersects(&b),
        _ => false,
    };
    let neighbours = cat
        .districts
        .iter()
        .filter(|d| d.level == DistrictLevel::District && d.id != HOTSPOT_DISTRICT_ID)
        .filter(|d| near(d.geometry.bounding_rect()))
        .map(|d| d.geometry.clone())
        .collect();
    let streets = streets()
        .iter()
        .filter(|s| near(s.bounding_rect()))
        .cloned()
        .collect();
    let cells = gistar::hotspots(
        &cat,
        &[&d8.geometry],
        &gistar::HotspotParams {
            resolution: h3o::Resolution::Ten,
            k: 1,
            categories: u16::MAX,
            time: Some((from, to)),
            permutations: 0,
            seed: 0,
        },
    )
    .map(|h| {
        h.cells
            .iter()
            .filter(|c| c.bin != 0)
            .map(|c| (where_to_act::cell_ring(c.cell), c.bin))
            .collect()
    })
    .unwrap_or_default();

    // Resident reports in district 8 made in the period. The public edition counts what the
    // public map shows (published reports, at their public positions), and no count it hides
    // can be worked out from the others (see `privacy::suppress_table`).
    let reports = state.reports().read(|rs| {
        use crate::reports::{Report, Service, Status as S};
        let public = !disclosure.exact;
        let mine: Vec<&Report> = rs
            .iter()
            .filter(|r| !public || r.published)
            .filter(|r| r.created_at >= from && r.created_at <= to)
            .filter(|r| {
                let (lon, lat) = if public {
                    crate::privacy::anchor(r.lon, r.lat)
                } else {
                    (r.lon, r.lat)
                };
                d8.geometry.contains(&geo::Point::new(lon, lat))
            })
            .collect();
        let n = |f: &dyn Fn(&Report) -> bool| mine.iter().filter(|r| f(r)).count() as u64;
        let received = mine.len() as u64;
        let by_status = [
            n(&|r| r.status == S::Closed),
            n(&|r| !matches!(r.status, S::Closed | S::Rejected | S::Duplicate)),
            n(&|r| r.status == S::Rejected),
            n(&|r| r.status == S::Duplicate),
        ];
        let (status, received_shown) =
            crate::privacy::suppress_table(&disclosure, &by_status, received);
        let per_service: Vec<u64> = Service::ALL
            .iter()
            .map(|s| n(&|r| r.service == *s))
            .collect();
        let (services, _) = crate::privacy::suppress_table(&disclosure, &per_service, received);
        let mut days: Vec<f64> = mine
            .iter()
            .filter(|r| r.status == S::Closed)
            .map(|r| (r.updated_at - r.created_at) as f64 / 86_400.0)
            .collect();
        days.sort_by(f64::total_cmp);
        let median = (!days.is_empty() && disclosure.shows(days.len() as u64))
            .then(|| crate::analysis::stats::median_sorted(&days));
        ReportStats {
            published_only: public,
            received: received_shown,
            published: if public {
                received_shown
            } else {
                disclosure.count(n(&|r| r.published))
            },
            closed: status[0],
            open: status[1],
            rejected: status[2],
            duplicates: status[3],
            median_days_to_close: median,
            by_service: Service::ALL
                .iter()
                .zip(per_service.iter().zip(services))
                .filter(|(_, (&count, _))| count > 0)
                .map(|(s, (_, shown))| {
                    let lb = s.labels();
                    (lang.pick(lb.label_da, lb.label_en).to_owned(), shown)
                })
                .collect(),
        }
    });

    // Provenance.
    let mut sources: std::collections::BTreeMap<(&str, &str), u64> = Default::default();
    for i in cat.incidents.iter() {
        *sources.entry(("incidents", &*i.source)).or_default() += 1;
    }
    for o in &cat.observations {
        *sources
            .entry(("observations", o.source.as_str()))
            .or_default() += 1;
    }
    let mut provenance: Vec<String> = sources
        .iter()
        .map(|((layer, src), n)| {
            let synthetic = *src == crate::store::DEMO_SOURCE;
            let layer = match (*layer, lang) {
                ("incidents", crate::planning::Lang::Da) => "hændelser",
                ("observations", crate::planning::Lang::Da) => "observationer",
                (x, _) => x,
            };
            format!(
                "{}: {n} {layer}{}",
                src,
                if synthetic {
                    l.pick(" (syntetiske demodata)", " (synthetic demo data)")
                } else {
                    ""
                }
            )
        })
        .collect();
    provenance.push(crate::ingest::shipped::ATTRIBUTION.to_owned());
    provenance.push(l.pick(
        "Beboertal: distrikt 8 13.988 (1. januar 2009, rammeprogrammet); øvrige distrikter anslået ud fra bebyggelsens areal.",
        "Residents: district 8 13,988 (1 January 2009, the framework programme); other districts estimated from their block area.",
    ).to_owned());
    provenance.push(format!(
        "{} {}",
        l.pick(
            "Borgerhenvendelser: indsendt gennem hotspot (Open311);",
            "Resident reports: sent through hotspot (Open311);"
        ),
        l.pick(
            "tæller henvendelser inden for distrikt 8.",
            "counts reports inside district 8."
        )
    ));

    let synthetic = cat.synthetic.incidents > 0;
    let data = report::ReportData {
        lang,
        year,
        first_half,
        generated: time::rfc3339(chrono::Utc::now().timestamp()),
        data_version: cat.version.clone(),
        synthetic_notice: synthetic.then(|| {
            format!(
                "{} {}",
                l.pick(crate::demo::NOTICE_DA, crate::demo::NOTICE),
                l.pick(
                    "Demo-indsatserne er også opdigtede eksempler.",
                    "The demo initiatives are made-up examples too."
                )
            )
        }),
        privacy: disclosure.describe()["suppressed_below"].as_u64().map(|k| {
            format!(
                "{} {k}{}",
                l.pick(
                    "Offentlig udgave: hændelser er flyttet til midten af deres H3-celle (≤ 80 m), kun offentliggjorte indsatser er med, og tal under",
                    "Public edition: incidents are moved to the centre of their H3 cell (≤ 80 m), only published initiatives are shown, and counts below"
                ),
                l.pick(
                    " er skjult (også månedstal og forholdstal, der ville afsløre dem).",
                    " are withheld (with monthly figures and ratios that would reveal them)."
                )
            )
        }),
        provenance,
        map: MapData {
            district: d8.geometry.clone(),
            neighbours,
            streets,
            cells,
            initiatives: map_initiatives,
        },
        categories,
        monthly,
        safety_year: si_year,
        safety_index,
        goals,
        status_rule: l.pick(goals::STATUS_RULE_DA, goals::STATUS_RULE_EN).to_owned(),
        initiatives,
        withheld_below: disclosure.describe()["suppressed_below"]
            .as_u64()
            .map(|k| k as u32),
        pool_dkk: 1_000_000.0,
        reports,
    };
    Ok(report::render(&data))
}
