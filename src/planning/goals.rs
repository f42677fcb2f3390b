//! The programme's effect goals (*effektmål*, DOMAIN.md and the framework programme in `seed/`):
//! what each measures, who measures it, which way is better, and the status rule.
//!
//! Two goals are counted from the data (safety-index level, weapons-law incidents in district 8,
//! per calendar year); the others are figures their owners enter per year or half year.
//!
//! **Status rule** ([`status`]): the reference is the goal's baseline (set by a planner, else the
//! first value); the latest value is the newest complete period after the reference.
//! *on track* when the latest value meets the target, or — no target met — is better than the
//! reference in the goal's direction; *off track* when it is equal or worse; *no data* when there
//! is no value after the reference.

use serde::Serialize;

use crate::analysis::safety_index::Level;
use crate::catalog::Catalog;
use crate::index::PointFilter;
use crate::model::{time, Category, HOTSPOT_DISTRICT_ID};
use crate::privacy::Disclosure;

/// Which way the indicator should move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Lower is better.
    Down,
    /// Higher is better.
    Up,
}

/// How a goal's values come about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Counted per year: the number of safety-index crime groups of district 8 above *ordinær*.
    SafetyIndex,
    /// Counted per year: weapons-law incidents in district 8.
    WeaponsIncidents,
    /// Entered by the owner (`POST /api/goals/{id}/measurements`).
    Entered,
}

/// One effect goal as the programme defines it.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct GoalDef {
    /// Stable id: the goal's number in DOMAIN.md, with a letter where it has several indicators.
    pub id: &'static str,
    /// The goal's number (what an initiative's `goals` lists).
    pub number: u8,
    /// The programme challenge (1–3) it belongs to.
    pub challenge: u8,
    /// Danish wording.
    pub title_da: &'static str,
    /// English wording.
    pub title_en: &'static str,
    /// Unit, Danish.
    pub unit_da: &'static str,
    /// Unit, English.
    pub unit_en: &'static str,
    /// Which way is better.
    pub direction: Direction,
    /// Target value, where the programme names one.
    pub target: Option<f64>,
    /// Who measures it (from the framework programme).
    pub owner: &'static str,
    /// How the values come about.
    pub measure: Measure,
}

const fn entered(
    id: &'static str,
    number: u8,
    challenge: u8,
    title: (&'static str, &'static str),
    unit: (&'static str, &'static str),
    (direction, target): (Direction, Option<f64>),
    owner: &'static str,
) -> GoalDef {
    GoalDef {
        id,
        number,
        challenge,
        title_da: title.0,
        title_en: title.1,
        unit_da: unit.0,
        unit_en: unit.1,
        direction,
        target,
        owner,
        measure: Measure::Entered,
    }
}

const PCT: (&str, &str) = ("%", "%");

/// The programme's goals, shipped as the default set (wording and owners from the framework
/// programme; no baseline figures are given there, so none is shipped).
pub const GOALS: [GoalDef; 14] = [
    GoalDef {
        id: "1",
        number: 1,
        challenge: 1,
        title_da: "Tryghedsindekset 2015 for distrikt 8 er faldet til niveauet »ordinært« behov for indsats",
        title_en: "By the 2015 safety index, district 8 needs only ordinary effort",
        unit_da: "kriminalitetsgrupper over »ordinær«",
        unit_en: "crime groups above ordinary",
        direction: Direction::Down,
        target: Some(0.0),
        owner: "Beskæftigelses- og Integrationsforvaltningen",
        measure: Measure::SafetyIndex,
    },
    entered(
        "1b",
        1,
        1,
        ("Det kriminalpræventive samarbejde på Nørrebro er mere enstrenget, effektivt og legitimt ultimo 2014 end primo 2011",
         "Crime-prevention cooperation on Nørrebro is more streamlined, effective and legitimate at the end of 2014 than early 2011"),
        ("% positive svar (survey)", "% positive answers (survey)"),
        (Direction::Up, None),
        "Hotspot-sekretariatet (survey før handleplanen)",
    ),
    GoalDef {
        id: "2",
        number: 2,
        challenge: 2,
        title_da: "Antallet af anmeldelser om overtrædelse af våbenloven i distrikt 8 falder",
        title_en: "Fewer reports of weapons-law violations in district 8",
        unit_da: "hændelser pr. år",
        unit_en: "incidents per year",
        direction: Direction::Down,
        target: None,
        owner: "Københavns Politi",
        measure: Measure::WeaponsIncidents,
    },
    entered(
        "3",
        3,
        2,
        ("Andelen af 14–25-årige i distrikt 8, der sigtes for personfarlig kriminalitet, falder",
         "Falling share of 14–25-year-olds in district 8 charged with violent crime"),
        PCT,
        (Direction::Down, None),
        "Socialforvaltningen",
    ),
    entered(
        "4",
        4,
        2,
        ("Andelen af unge, der hverken er i uddannelse eller beskæftigelse, falder",
         "Falling share of young people in neither education nor employment"),
        PCT,
        (Direction::Down, None),
        "Børne- og Ungdomsforvaltningen",
    ),
    entered(
        "5a",
        5,
        2,
        ("Andelen af SSP-registrerede børn og unge (kategori 1–4), der går i klub, stiger",
         "Rising share of SSP-registered children and young people (categories 1–4) attending a youth club"),
        PCT,
        (Direction::Up, None),
        "Børne- og Ungdomsforvaltningen",
    ),
    entered(
        "5b",
        5,
        2,
        ("Andelen af børn og unge med bekymrende skolefravær falder",
         "Falling share of children and young people with worrying school absence"),
        PCT,
        (Direction::Down, None),
        "Børne- og Ungdomsforvaltningen",
    ),
    entered(
        "6a",
        6,
        2,
        ("Mindst 60 % af 18–25-årige, der har gennemført exit-forløb, er ikke dømt for alvorlig eller personfarlig kriminalitet inden for 2 år",
         "At least 60 % of 18–25-year-olds who finished the exit programme are not convicted of serious or violent crime within 2 years"),
        PCT,
        (Direction::Up, Some(60.0)),
        "Socialforvaltningen",
    ),
    entered(
        "6b",
        6,
        2,
        ("Mindst 60 % af unge med tilbud efter dom eller varetægt er i arbejde eller uddannelse inden for 2 år",
         "At least 60 % of young people given offers after conviction or custody are in work or education within 2 years"),
        PCT,
        (Direction::Up, Some(60.0)),
        "Beskæftigelses- og Integrationsforvaltningen",
    ),
    entered(
        "7",
        7,
        2,
        ("Antallet af bandemedlemmer i distrikt 8 falder",
         "Fewer gang members in district 8"),
        ("personer", "persons"),
        (Direction::Down, None),
        "Københavns Politi",
    ),
    entered(
        "8",
        8,
        3,
        ("Ingen kommunale institutioner eller serviceydelser lukker ved uro eller krise i distrikt 8",
         "No municipal institution or service closes during unrest or crisis in district 8"),
        ("lukninger pr. år", "closures per year"),
        (Direction::Down, Some(0.0)),
        "Økonomiforvaltningen",
    ),
    entered(
        "9a",
        9,
        3,
        ("Unges tillid til myndighederne stiger",
         "Young people's trust in the authorities rises"),
        ("% med tillid (survey)", "% who trust (survey)"),
        (Direction::Up, None),
        "Beskæftigelses- og Integrationsforvaltningen",
    ),
    entered(
        "9b",
        9,
        3,
        ("Andelen af beboere, der oplever diskrimination, falder",
         "Falling share of residents who experience discrimination"),
        PCT,
        (Direction::Down, None),
        "Beskæftigelses- og Integrationsforvaltningen",
    ),
    entered(
        "9c",
        9,
        3,
        ("Andelen af beboere, der oplever chikane, falder",
         "Falling share of residents who experience harassment"),
        PCT,
        (Direction::Down, None),
        "Beskæftigelses- og Integrationsforvaltningen",
    ),
];

/// The goal with id `id`.
pub fn goal(id: &str) -> Option<&'static GoalDef> {
    GOALS.iter().find(|g| g.id == id)
}

/// A period: a calendar year or one of its halves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// Year.
    pub year: i32,
    /// `None` for the whole year, else 1 or 2.
    pub half: Option<u8>,
}

impl Period {
    /// Parses `YYYY`, `YYYY-H1` or `YYYY-H2` (years 1990–2100).
    pub fn parse(s: &str) -> Option<Period> {
        let (y, half) = match s.split_once('-') {
            None => (s, None),
            Some((y, "H1")) => (y, Some(1)),
            Some((y, "H2")) => (y, Some(2)),
            _ => return None,
        };
        if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year: i32 = y.parse().ok()?;
        (1990..=2100)
            .contains(&year)
            .then_some(Period { year, half })
    }

    /// Sort key by the period's end: H1 ends mid-year; H2 and the whole year end together
    /// (the whole year sorts after H2).
    pub fn key(self) -> (i32, u8) {
        (self.year, self.half.map_or(3, |h| h))
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.half {
            None => write!(f, "{}", self.year),
            Some(h) => write!(f, "{}-H{h}", self.year),
        }
    }
}

/// One value of a goal's series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Value {
    /// `YYYY`, `YYYY-H1` or `YYYY-H2`.
    pub period: String,
    /// The value in the goal's unit; `None` where a small count is withheld from the public.
    pub value: Option<f64>,
    /// The period is not wholly covered by the data (counted goals): left out of the status.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    /// What the value is made of (counted goals), e.g. the level per crime group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
    /// Note entered with a measurement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Source entered with a measurement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A goal's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Meets the target or moves from the baseline in the right direction.
    OnTrack,
    /// Equal to or worse than the baseline.
    OffTrack,
    /// No value after the baseline.
    NoData,
}

impl Status {
    /// Label in a language.
    pub fn label(self, lang: super::Lang) -> &'static str {
        match self {
            Status::OnTrack => lang.pick("på rette spor", "on track"),
            Status::OffTrack => lang.pick("ikke på rette spor", "off track"),
            Status::NoData => lang.pick("ingen data", "no data"),
        }
    }
}

/// The status rule in words (answers and the report state it).
pub const STATUS_RULE_EN: &str = "Reference: the goal's baseline (set by a planner), else its first value. Latest: the newest complete period after the reference. On track: the latest value meets the target, or is better than the reference in the goal's direction. Off track: equal to or worse than the reference. No data: no value after the reference.";
/// The status rule in Danish.
pub const STATUS_RULE_DA: &str = "Udgangspunkt: målets baseline (sat af en planlægger), ellers den første værdi. Seneste: den nyeste hele periode efter udgangspunktet. På rette spor: seneste værdi når målet eller er bedre end udgangspunktet i målets retning. Ikke på rette spor: lig med eller dårligere end udgangspunktet. Ingen data: ingen værdi efter udgangspunktet.";

/// The outcome of the status rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// The status.
    pub status: Status,
    /// Reference period and value.
    pub reference: Option<(String, f64)>,
    /// Latest period and value.
    pub latest: Option<(String, f64)>,
    /// Why, in English.
    pub reason_en: String,
    /// Why, in Danish.
    pub reason_da: String,
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Applies the status rule (module docs) to `series` (any order).
pub fn status(
    direction: Direction,
    baseline: Option<(String, f64)>,
    target: Option<f64>,
    series: &[Value],
) -> Assessment {
    let mut known: Vec<(Period, f64)> = series
        .iter()
        .filter(|v| !v.partial)
        .filter_map(|v| Some((Period::parse(&v.period)?, v.value?)))
        .collect();
    known.sort_by_key(|(p, _)| p.key());
    let reference = baseline
        .as_ref()
        .and_then(|(p, v)| Some((Period::parse(p)?, *v)))
        .or_else(|| known.first().copied());
    let latest = reference.and_then(|(rp, _)| {
        known
            .iter()
            .rev()
            .find(|(p, _)| p.key() > rp.key())
            .copied()
    });
    let show = |x: Option<(Period, f64)>| x.map(|(p, v)| (p.to_string(), v));
    let (status, en, da) = match (reference, latest) {
        (None, _) => (
            Status::NoData,
            "no values yet".to_owned(),
            "ingen værdier endnu".to_owned(),
        ),
        (Some((rp, _)), None) => (
            Status::NoData,
            format!("no value after the reference period {rp}"),
            format!("ingen værdi efter udgangsperioden {rp}"),
        ),
        (Some((rp, rv)), Some((lp, lv))) => {
            let better = match direction {
                Direction::Down => lv < rv,
                Direction::Up => lv > rv,
            };
            let meets = target.is_some_and(|t| match direction {
                Direction::Down => lv <= t,
                Direction::Up => lv >= t,
            });
            if meets {
                let t = num(target.unwrap_or_default());
                (
                    Status::OnTrack,
                    format!("{lp}: {} meets the target {t}", num(lv)),
                    format!("{lp}: {} når målet {t}", num(lv)),
                )
            } else if better {
                (
                    Status::OnTrack,
                    format!("{lp}: {} is better than {} in {rp}", num(lv), num(rv)),
                    format!("{lp}: {} er bedre end {} i {rp}", num(lv), num(rv)),
                )
            } else {
                (
                    Status::OffTrack,
                    format!("{lp}: {} is not better than {} in {rp}", num(lv), num(rv)),
                    format!("{lp}: {} er ikke bedre end {} i {rp}", num(lv), num(rv)),
                )
            }
        }
    };
    Assessment {
        status,
        reference: show(reference),
        latest: show(latest),
        reason_en: en,
        reason_da: da,
    }
}

/// The calendar years that hold incidents, each with whether the data cover it whole: every
/// one of its 12 months (Copenhagen time) holds at least one incident. A year between the first
/// and the last without any incident is left out: no data is not zero.
pub fn data_years(catalog: &Catalog) -> Vec<(i32, bool)> {
    catalog
        .incident_year_months()
        .iter()
        .map(|&(y, mask)| (y, mask == 0x0fff))
        .collect()
}

/// The values of a counted goal, one per calendar year of the data.
/// `levels(year)` gives the safety-index levels of every district for a year.
pub fn counted_series(
    def: &GoalDef,
    catalog: &Catalog,
    levels: &dyn Fn(i32) -> std::sync::Arc<Vec<Level>>,
    disclosure: &Disclosure,
) -> Vec<Value> {
    let Some(d8) = catalog.district(HOTSPOT_DISTRICT_ID) else {
        return Vec::new();
    };
    data_years(catalog)
        .into_iter()
        .map(|(year, whole)| {
            let (value, detail) = match def.measure {
                Measure::SafetyIndex => {
                    let all = levels(year);
                    let rows: Vec<&Level> = all
                        .iter()
                        .filter(|r| r.district == HOTSPOT_DISTRICT_ID)
                        .collect();
                    let above = rows.iter().filter(|r| r.level != "ordinær").count();
                    let detail: serde_json::Map<String, serde_json::Value> = rows
                        .iter()
                        .map(|r| (r.group.to_owned(), serde_json::json!(r.level)))
                        .collect();
                    (
                        (!rows.is_empty()).then_some(above as f64),
                        Some(serde_json::Value::Object(detail)),
                    )
                }
                Measure::WeaponsIncidents => {
                    let from = time::copenhagen_to_utc(year as i64, 1, 1, 0, 0);
                    let to = time::copenhagen_to_utc(year as i64 + 1, 1, 1, 0, 0) - 1;
                    let n = catalog
                        .query_incidents(
                            &PointFilter {
                                bbox: None,
                                within: Some(&d8.geometry),
                                time: Some((from, to)),
                            },
                            1 << Category::Weapons as u16,
                        )
                        .len() as u64;
                    (disclosure.count(n).map(|n| n as f64), None)
                }
                Measure::Entered => (None, None),
            };
            Value {
                period: year.to_string(),
                value,
                partial: !whole,
                detail,
                note: None,
                source: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(period: &str, value: f64) -> Value {
        Value {
            period: period.into(),
            value: Some(value),
            partial: false,
            detail: None,
            note: None,
            source: None,
        }
    }

    #[test]
    fn periods_parse_and_sort_by_their_end() {
        assert_eq!(Period::parse("2012").unwrap().to_string(), "2012");
        assert_eq!(Period::parse("2012-H2").unwrap().half, Some(2));
        for bad in ["12", "2012-H3", "2012-1", "abcd", "1800", "2012-", "20120"] {
            assert!(Period::parse(bad).is_none(), "{bad}");
        }
        let mut ps: Vec<Period> = ["2013", "2012-H2", "2012", "2012-H1"]
            .iter()
            .map(|s| Period::parse(s).unwrap())
            .collect();
        ps.sort_by_key(|p| p.key());
        let order: Vec<String> = ps.iter().map(|p| p.to_string()).collect();
        assert_eq!(order, ["2012-H1", "2012-H2", "2012", "2013"]);
    }

    #[test]
    fn falling_value_of_a_down_goal_is_on_track() {
        let a = status(
            Direction::Down,
            None,
            None,
            &[v("2011", 40.0), v("2012", 31.0)],
        );
        assert_eq!(a.status, Status::OnTrack);
        assert_eq!(a.reference, Some(("2011".into(), 40.0)));
        assert_eq!(a.latest, Some(("2012".into(), 31.0)));
    }

    #[test]
    fn equal_or_worse_is_off_track_in_either_direction() {
        let s = [v("2011", 40.0), v("2012", 40.0)];
        assert_eq!(
            status(Direction::Down, None, None, &s).status,
            Status::OffTrack
        );
        assert_eq!(
            status(Direction::Up, None, None, &s).status,
            Status::OffTrack
        );
        let rising = [v("2011", 40.0), v("2013", 45.0)];
        assert_eq!(
            status(Direction::Down, None, None, &rising).status,
            Status::OffTrack
        );
        assert_eq!(
            status(Direction::Up, None, None, &rising).status,
            Status::OnTrack
        );
    }

    #[test]
    fn the_target_met_is_on_track_even_if_worse_than_the_baseline() {
        // 6a: at least 60 %; baseline 70 %, now 62 %: still meets the target.
        let a = status(
            Direction::Up,
            Some(("2011".into(), 70.0)),
            Some(60.0),
            &[v("2012", 62.0)],
        );
        assert_eq!(a.status, Status::OnTrack);
        assert!(
            a.reason_en.contains("meets the target 60"),
            "{}",
            a.reason_en
        );
        let a = status(
            Direction::Up,
            Some(("2011".into(), 70.0)),
            Some(60.0),
            &[v("2012", 55.0)],
        );
        assert_eq!(a.status, Status::OffTrack);
    }

    #[test]
    fn no_value_after_the_reference_is_no_data() {
        assert_eq!(
            status(Direction::Down, None, None, &[]).status,
            Status::NoData
        );
        assert_eq!(
            status(Direction::Down, None, None, &[v("2012", 3.0)]).status,
            Status::NoData
        );
        // A baseline later than every value: nothing to compare.
        let a = status(
            Direction::Down,
            Some(("2014".into(), 9.0)),
            None,
            &[v("2012", 3.0)],
        );
        assert_eq!(a.status, Status::NoData);
        assert!(a.reason_en.contains("2014"));
    }

    #[test]
    fn partial_and_withheld_values_do_not_count() {
        let mut partial = v("2015", 1.0);
        partial.partial = true;
        let mut withheld = v("2014", 0.0);
        withheld.value = None;
        let a = status(
            Direction::Down,
            None,
            None,
            &[v("2013", 20.0), withheld, partial],
        );
        assert_eq!(a.status, Status::NoData);
    }

    #[test]
    fn the_baseline_overrides_the_first_value_and_the_latest_is_the_newest() {
        let s = [v("2011", 10.0), v("2012-H1", 30.0), v("2012", 12.0)];
        let a = status(Direction::Down, Some(("2011".into(), 15.0)), None, &s);
        assert_eq!(a.reference, Some(("2011".into(), 15.0)));
        assert_eq!(a.latest, Some(("2012".into(), 12.0)));
        assert_eq!(a.status, Status::OnTrack);
    }

    #[test]
    fn a_year_without_incidents_is_no_data_and_a_year_with_empty_months_is_partial() {
        use crate::model::{Category, Incident, Precision};
        let at = |y: i64, m: u32| Incident {
            id: y * 100 + m as i64,
            category: Category::Weapons,
            occurred_at: time::copenhagen_to_utc(y, m, 15, 12, 0),
            lon: 12.55,
            lat: 55.69,
            precision: Precision::Street,
            source: "t".into(),
        };
        let mut incidents: Vec<Incident> = (1..=12).map(|m| at(2010, m)).collect();
        incidents.push(at(2014, 3));
        // Late on New Year's Eve in Copenhagen is already the next year in UTC terms.
        incidents.push(Incident {
            occurred_at: time::copenhagen_to_utc(2015, 1, 1, 0, 30),
            ..at(2015, 1)
        });
        let cat = Catalog::build(Vec::new(), incidents.into(), Vec::new());
        assert_eq!(
            data_years(&cat),
            [(2010, true), (2014, false), (2015, false)]
        );
    }

    #[test]
    fn every_goal_has_a_unique_id_and_a_number_in_domain_md() {
        let mut ids: Vec<&str> = GOALS.iter().map(|g| g.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), GOALS.len());
        assert!(GOALS
            .iter()
            .all(|g| (1..=9).contains(&g.number) && (1..=3).contains(&g.challenge)));
        assert!(GOALS
            .iter()
            .all(|g| g.id.starts_with(&g.number.to_string())));
    }
}
