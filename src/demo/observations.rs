//! Demo safety-walk observations in district 8. Lighting ratings follow the OSM `lit` tag of the
//! street the observation is on; other ratings are worse near the district's hot spots and get
//! a little better walk by walk.

use rand::Rng;

use super::places::{cumulative, hotness, pick, Places, Segment};
use crate::model::{time, ObservationKind, HOTSPOT_DISTRICT_ID};
use crate::store::{NewObservation, DEMO_SOURCE};

/// The walks: spring and autumn evenings, 2011–2014 (local dates).
const WALKS: [(i64, u32, u32); 8] = [
    (2011, 4, 6),
    (2011, 10, 19),
    (2012, 4, 18),
    (2012, 10, 17),
    (2013, 4, 10),
    (2013, 10, 23),
    (2014, 4, 9),
    (2014, 10, 22),
];

/// Observations noted on one walk.
const PER_WALK: usize = 40;

/// Share of each kind, in `ObservationKind::ALL` order.
const KIND_WEIGHTS: [f64; 7] = [0.30, 0.12, 0.10, 0.12, 0.08, 0.08, 0.20];

fn note(kind: ObservationKind, rating: u8, street: &str) -> String {
    let poor = rating <= 2;
    let text = match (kind, poor) {
        (ObservationKind::Lighting, true) => "mørkt stræk, lamper mangler eller er ude",
        (ObservationKind::Lighting, false) => "god belysning",
        (ObservationKind::Visibility, true) => "dårlig oversigt, høje buske og parkerede biler",
        (ObservationKind::Visibility, false) => "åbent og godt overblik",
        (ObservationKind::HiddenCorner, true) => "skjult hjørne ved port, ingen indkig",
        (ObservationKind::HiddenCorner, false) => "hjørnet er synligt fra gaden",
        (ObservationKind::Maintenance, true) => "graffiti og affald, knust glas",
        (ObservationKind::Maintenance, false) => "ryddeligt og vedligeholdt",
        (ObservationKind::Loitering, true) => "grupper der opholder sig, føles intimiderende",
        (ObservationKind::Loitering, false) => "roligt, almindeligt ophold",
        (ObservationKind::Walkway, true) => "smal fortovskant, utryg krydsning",
        (ObservationKind::Walkway, false) => "god gangforbindelse",
        (ObservationKind::Feeling, true) => "føles utrygt om aftenen",
        (ObservationKind::Feeling, false) => "føles trygt",
    };
    format!("{street}: {text}")
}

fn rating_for(
    kind: ObservationKind,
    seg: &Segment,
    hot: f64,
    walk: usize,
    rng: &mut impl Rng,
) -> u8 {
    if kind == ObservationKind::Lighting {
        return match seg.lit {
            Some(false) => rng.random_range(1..=2),
            Some(true) if rng.random_bool(0.1) => 2, // a lamp out on a lit street
            Some(true) => rng.random_range(3..=5),
            None => rng.random_range(2..=4),
        };
    }
    // hot ≥ 1; near Blågårds Plads it reaches about 8.
    let base = 4.2 - 0.5 * (hot - 1.0).min(4.0) + 0.12 * walk as f64;
    let r = base + rng.random_range(-1.0..1.0);
    r.round().clamp(1.0, 5.0) as u8
}

/// Generates the observations (empty when district 8 has no street segments).
pub fn generate(places: &Places, rng: &mut impl Rng) -> Vec<NewObservation> {
    let Some(d) = places
        .districts
        .iter()
        .find(|d| d.id == HOTSPOT_DISTRICT_ID)
    else {
        return Vec::new();
    };
    if d.segments.is_empty() {
        return Vec::new();
    }
    // Walks go where people feel unsafe: weight by hotness and by unlit streets.
    let seg_cum = cumulative(d.segments.iter().map(|s| {
        let unlit = if s.lit == Some(false) { 3.0 } else { 1.0 };
        s.len_m * hotness(&d.hot, s.at(0.5)) * unlit
    }));
    let kinds = cumulative(KIND_WEIGHTS.into_iter());
    let mut out = Vec::new();
    for (w, &(y, m, day)) in WALKS.iter().enumerate() {
        for _ in 0..PER_WALK {
            let seg = &d.segments[pick(&seg_cum, rng)];
            let (lon, lat) = seg.at(rng.random::<f64>());
            let kind = ObservationKind::ALL[pick(&kinds, rng)];
            let rating = rating_for(kind, seg, hotness(&d.hot, (lon, lat)), w, rng);
            let minute = rng.random_range(0..120u32);
            let observed_at = time::copenhagen_to_utc(y, m, day, 19 + minute / 60, minute % 60);
            let street = seg.name.as_deref().unwrap_or("Sti");
            out.push(NewObservation {
                kind,
                rating,
                note: note(kind, rating, street),
                observed_at,
                lon: (lon * 1e7).round() / 1e7,
                lat: (lat * 1e7).round() / 1e7,
                source: DEMO_SOURCE.to_owned(),
                source_id: format!("walk-{}-{}", w + 1, out.len() + 1),
                synthetic: true,
            });
        }
    }
    out
}
