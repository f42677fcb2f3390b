//! Need-for-effort levels per safety district and crime group, in the spirit of the city's
//! safety index (*Tryghedsindeks*): incidents per 1,000 residents in a year against the rate of
//! the 35 districts together, classified *markant* / *intensiveret* / *ordinær* by thresholds
//! on that ratio. **The thresholds and the method are this service's convention, not the
//! official index method**, which also weighs survey answers.

use std::collections::HashMap;

use crate::catalog::Catalog;
use crate::index::PointFilter;
use crate::model::{time, Category, DistrictLevel};

/// The crime groups of the safety index (DOMAIN.md), with the categories they count.
pub const GROUPS: &[(&str, &str, &str, &[Category])] = &[
    (
        "violence_threats",
        "Vold og trusler",
        "Violence and threats",
        &[Category::Violence, Category::Threats],
    ),
    ("theft", "Tyveri", "Theft", &[Category::Theft]),
    ("vandalism", "Hærværk", "Vandalism", &[Category::Vandalism]),
    ("drugs", "Narkotika", "Drugs", &[Category::Drugs]),
    (
        "harassment",
        "Chikane",
        "Harassment",
        &[Category::Harassment],
    ),
];

/// The ratio thresholds. Defaults: *markant* at twice the city rate or more, *intensiveret* at
/// 1.3 times or more, else *ordinær*.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Thresholds {
    /// Ratio to the city rate from which the level is *markant*.
    pub markant: f64,
    /// Ratio from which the level is *intensiveret*.
    pub intensiveret: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            markant: 2.0,
            intensiveret: 1.3,
        }
    }
}

/// A district's population and whether it is an estimate.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Population {
    /// Residents.
    pub residents: f64,
    /// True when estimated rather than recorded.
    pub estimated: bool,
}

/// One district × group.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Level {
    /// `district-N`.
    pub district: String,
    /// Its name.
    pub name: String,
    /// Crime group code.
    pub group: &'static str,
    /// Incidents in the year.
    pub count: usize,
    /// Residents used.
    pub population: f64,
    /// Whether that population is an estimate.
    pub population_estimated: bool,
    /// Incidents per 1,000 residents.
    pub rate_per_1000: f64,
    /// The 35 districts' rate per 1,000 residents.
    pub city_rate_per_1000: f64,
    /// `rate / city rate`.
    pub ratio: f64,
    /// `markant`, `intensiveret` or `ordinær`.
    pub level: &'static str,
}

/// The levels for `year` (Copenhagen calendar year) over every safety district that has a
/// population in `populations`.
pub fn levels(
    catalog: &Catalog,
    year: i32,
    populations: &HashMap<String, Population>,
    t: Thresholds,
) -> Vec<Level> {
    let from = time::copenhagen_to_utc(year as i64, 1, 1, 0, 0);
    let to = time::copenhagen_to_utc(year as i64 + 1, 1, 1, 0, 0) - 1;
    let districts: Vec<_> = catalog
        .districts
        .iter()
        .filter(|d| d.level == DistrictLevel::District && populations.contains_key(&d.id))
        .collect();
    // counts[d][g]
    let counts: Vec<Vec<usize>> = districts
        .iter()
        .map(|d| {
            let ps = catalog.query_incidents(
                &PointFilter {
                    bbox: None,
                    within: Some(&d.geometry),
                    time: Some((from, to)),
                },
                u16::MAX,
            );
            GROUPS
                .iter()
                .map(|(_, _, _, cats)| {
                    ps.iter()
                        .filter(|&&p| cats.contains(&catalog.incidents[p as usize].category))
                        .count()
                })
                .collect()
        })
        .collect();
    let total_pop: f64 = districts.iter().map(|d| populations[&d.id].residents).sum();
    let mut out = Vec::new();
    for (gi, (code, _, _, _)) in GROUPS.iter().enumerate() {
        let city: usize = counts.iter().map(|c| c[gi]).sum();
        let city_rate = if total_pop > 0.0 {
            city as f64 / total_pop * 1000.0
        } else {
            0.0
        };
        for (di, d) in districts.iter().enumerate() {
            let pop = populations[&d.id];
            let rate = counts[di][gi] as f64 / pop.residents * 1000.0;
            let ratio = if city_rate > 0.0 {
                rate / city_rate
            } else {
                0.0
            };
            let level = if ratio >= t.markant {
                "markant"
            } else if ratio >= t.intensiveret {
                "intensiveret"
            } else {
                "ordinær"
            };
            out.push(Level {
                district: d.id.clone(),
                name: d.name.clone(),
                group: code,
                count: counts[di][gi],
                population: pop.residents,
                population_estimated: pop.estimated,
                rate_per_1000: rate,
                city_rate_per_1000: city_rate,
                ratio,
                level,
            });
        }
    }
    out
}

/// Residents per safety district for rates: district 8's recorded 13,988 (1 January 2009,
/// the programme's framework document); every other district an **estimate**, scaled from
/// district 8 by the area of its city blocks (no recorded figure ships with the service).
pub fn population_table(
    districts: &[crate::model::District],
) -> std::collections::HashMap<String, crate::analysis::safety_index::Population> {
    use crate::model::DistrictLevel;
    use geo::{Area, Centroid, Intersects};
    let mut out = std::collections::HashMap::new();
    let Ok(blocks) =
        crate::ingest::read_polygons("data/blocks.geojson", crate::ingest::shipped::BLOCKS)
    else {
        return out;
    };
    let safety: Vec<_> = districts
        .iter()
        .filter(|d| d.level == DistrictLevel::District)
        .collect();
    let mut area = vec![0.0f64; safety.len()];
    for b in &blocks {
        let Some(c) = b.centroid() else { continue };
        if let Some(i) = safety.iter().position(|d| d.geometry.intersects(&c)) {
            area[i] += b.unsigned_area();
        }
    }
    let Some(i8) = safety.iter().position(|d| d.is_hotspot()) else {
        return out;
    };
    let recorded = safety[i8].population.unwrap_or(13_988) as f64;
    let per_area = if area[i8] > 0.0 {
        recorded / area[i8]
    } else {
        0.0
    };
    for (i, d) in safety.iter().enumerate() {
        let (residents, estimated) = match d.population {
            Some(p) => (p as f64, false),
            None => ((area[i] * per_area).round(), true),
        };
        if residents > 0.0 {
            out.insert(
                d.id.clone(),
                Population {
                    residents,
                    estimated,
                },
            );
        }
    }
    out
}
