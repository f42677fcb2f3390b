//! What the public may see of incidents. An exact point can identify a victim's home, so the
//! public role gets a generalised view, built once per data snapshot:
//!
//! - **Place**: every incident is moved to the centre of the H3 cell at resolution 10 that
//!   contains it (cells of 15,047 m² on average, edge ≈ 66 m). The public point is therefore at
//!   most one cell circumradius (< 80 m in Copenhagen) from the true one, every incident in the
//!   same cell shares the same point, and nothing finer than the cell can be learnt from it.
//!   The anchor grid is the grid of the analyses, so public hex counts and Gi* at resolution 10
//!   or coarser equal the exact ones cell for cell (before suppression).
//! - **Time**: floored to the whole hour (UTC; Copenhagen's offsets are whole hours, so also
//!   to the local hour).
//! - **Source id**: withheld (it may be a police case number); `precision` becomes
//!   `approximate`.
//! - **Small counts**: any published aggregate of 1 to `min_count − 1` incidents (default
//!   `min_count` 3) is suppressed (left out or `null`), see [`Disclosure`].
//!
//! Items, tiles, exports and analysis answers for the public are all made from this view, so
//! no path leads from the public role to an exact coordinate.

use h3o::{LatLng, Resolution};

use crate::model::{Incident, Precision};

/// The H3 resolution of the anchor points.
pub const ANCHOR_RESOLUTION: Resolution = Resolution::Ten;

/// The smallest count a public aggregate may show (smaller non-zero counts are suppressed).
pub const DEFAULT_MIN_COUNT: u32 = 3;

/// The public version of one incident.
pub fn generalise(i: &Incident) -> Incident {
    generalise_to(i, anchor(i.lon, i.lat))
}

/// The public version of `i` placed at `anchor`, its [`anchor`] point.
fn generalise_to(i: &Incident, (lon, lat): (f64, f64)) -> Incident {
    Incident {
        id: i.id,
        category: i.category,
        occurred_at: i.occurred_at - i.occurred_at.rem_euclid(3600),
        lon,
        lat,
        precision: Precision::Approximate,
        source: i.source,
    }
}

/// The anchor point (lon, lat) for an exact position: the centre of its resolution-10 cell.
pub fn anchor(lon: f64, lat: f64) -> (f64, f64) {
    match anchor_cell(lon, lat) {
        Some(cell) => centre(cell),
        // Stored coordinates are checked; never reached, but never leak either.
        None => (0.0, 0.0),
    }
}

/// The centre (lon, lat) of `cell`.
fn centre(cell: h3o::CellIndex) -> (f64, f64) {
    let c = LatLng::from(cell);
    (c.lng(), c.lat())
}

/// The largest public incident id: JavaScript numbers hold integers exactly up to 2^53.
const PUBLIC_ID_MASK: u64 = (1 << 52) - 1;

/// The public id of the incident with store id `id`: a keyed hash (SHA-256 of the store's
/// secret `key` and the id), 1 ..= 2^52. Stable for a store across restarts, but in no
/// relation to the store's ids, which follow the order of import and so, within an hour,
/// the order in which incidents happened. `round` > 0 resolves the rare collision.
pub fn public_id(key: &[u8; 32], id: i64, round: u32) -> i64 {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(key);
    h.update(id.to_le_bytes());
    h.update(round.to_le_bytes());
    let d = h.finalize();
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    ((u64::from_le_bytes(b) & PUBLIC_ID_MASK) + 1) as i64
}

/// Gives every generalised incident its [`public_id`] and sorts them by it (the order the
/// public pages through). In id order, an incident takes the first round whose id no earlier
/// incident took.
pub fn pseudonymise(
    mut incidents: Vec<Incident>,
    key: &[u8; 32],
    first_round: Option<&[i64]>,
) -> Vec<Incident> {
    // The first-round ids (as the store keeps them, or made on all cores). When they are all
    // distinct (two collide about once in 10^9 pairs) they are the answer; otherwise the
    // rounds are taken one by one.
    let first: Vec<i64> = match first_round.filter(|f| f.len() == incidents.len()) {
        Some(f) => f.to_vec(),
        None => public_ids(key, &incidents.iter().map(|i| i.id).collect::<Vec<_>>()),
    };
    // (id, position) pairs radix-sorted by id (public ids are 1 ..= 2^52), then the incidents
    // taken in that order.
    let mut order: Vec<(i64, u32)> = first
        .iter()
        .enumerate()
        .map(|(p, &id)| (id, p as u32))
        .collect();
    radsort::sort_by_key(&mut order, |&(id, _)| id);
    if order.windows(2).all(|w| w[0].0 != w[1].0) {
        order
            .iter()
            .map(|&(id, p)| Incident {
                id,
                ..incidents[p as usize]
            })
            .collect()
    } else {
        take_rounds(&mut incidents, key);
        incidents.sort_unstable_by_key(|i| i.id);
        incidents
    }
}

/// The first-round [`public_id`] of each of `ids`, made on all cores.
pub fn public_ids(key: &[u8; 32], ids: &[i64]) -> Vec<i64> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let chunk = ids.len().div_ceil(threads).max(20_000);
    std::thread::scope(|s| {
        let parts: Vec<_> = ids
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|&id| public_id(key, id, 0))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|h| h.join().expect("hashing cannot panic"))
            .collect()
    })
}

/// The rounds one by one, in id order (see [`pseudonymise`]).
fn take_rounds(incidents: &mut [Incident], key: &[u8; 32]) {
    let mut taken = std::collections::HashSet::with_capacity(incidents.len());
    for i in incidents.iter_mut() {
        let mut round = 0;
        let mut id = public_id(key, i.id, round);
        while !taken.insert(id) {
            round += 1;
            id = public_id(key, i.id, round);
        }
        i.id = id;
    }
}

/// The H3 resolution-10 cell (the public cell) of an exact position, if it is a valid one.
pub fn anchor_cell(lon: f64, lat: f64) -> Option<h3o::CellIndex> {
    LatLng::new(lat, lon)
        .ok()
        .map(|ll| ll.to_cell(ANCHOR_RESOLUTION))
}

/// The [`anchor_cell`] of each lon/lat position, found on all cores.
pub fn anchor_cells(points: &[(f64, f64)]) -> Vec<Option<h3o::CellIndex>> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    let chunk = points.len().div_ceil(threads).max(20_000);
    std::thread::scope(|s| {
        let parts: Vec<_> = points
            .chunks(chunk)
            .map(|c| {
                s.spawn(move || {
                    c.iter()
                        .map(|&(lon, lat)| anchor_cell(lon, lat))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(points.len());
        for p in parts {
            out.extend(p.join().expect("finding cells cannot panic"));
        }
        out
    })
}

/// The public version of every incident, in the same (id) order; split over the cores.
///
/// `cells`, when given, are the incidents' [`anchor_cell`]s (as the store keeps them), so they
/// need not be found again.
pub fn generalise_all(incidents: &[Incident], cells: Option<&[h3o::CellIndex]>) -> Vec<Incident> {
    // Incidents share cells (a city of 10M incidents has some 10^4 occupied cells), so each
    // thread finds a cell's centre once.
    let part = |part: &[Incident], cells: Option<&[h3o::CellIndex]>| {
        let mut centres: std::collections::HashMap<_, _, foldhash::fast::FixedState> =
            Default::default();
        part.iter()
            .enumerate()
            .map(|(n, i)| {
                let cell = match cells {
                    Some(c) => Some(c[n]),
                    None => anchor_cell(i.lon, i.lat),
                };
                let at = match cell {
                    Some(cell) => *centres.entry(cell).or_insert_with(|| centre(cell)),
                    None => (0.0, 0.0),
                };
                generalise_to(i, at)
            })
            .collect::<Vec<_>>()
    };
    let cells = cells.filter(|c| c.len() == incidents.len());
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    if threads < 2 || incidents.len() < 20_000 {
        return part(incidents, cells);
    }
    let chunk = incidents.len().div_ceil(threads);
    std::thread::scope(|s| {
        let parts: Vec<_> = incidents
            .chunks(chunk)
            .enumerate()
            .map(|(k, c)| {
                let cells = cells.map(|all| &all[k * chunk..k * chunk + c.len()]);
                s.spawn(move || part(c, cells))
            })
            .collect();
        let mut out = Vec::with_capacity(incidents.len());
        for p in parts {
            out.extend(p.join().expect("generalising cannot panic"));
        }
        out
    })
}

/// How much an answer may disclose: exact (planner, police, admin for aggregates) or public.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disclosure {
    /// Whether the answer is made from exact data.
    pub exact: bool,
    /// The smallest non-zero count a public answer may show.
    pub min_count: u32,
}

impl Disclosure {
    /// Everything may be shown.
    pub const EXACT: Disclosure = Disclosure {
        exact: true,
        min_count: 1,
    };

    /// Made from the generalised points, every count shown (planners' analyses).
    pub const GENERALISED: Disclosure = Disclosure {
        exact: false,
        min_count: 1,
    };

    /// The public view with the given threshold.
    pub fn public(min_count: u32) -> Disclosure {
        Disclosure {
            exact: false,
            min_count: min_count.max(1),
        }
    }

    /// Whether a count of `n` incidents may be published (0 may: it reveals no one).
    pub fn shows(&self, n: u64) -> bool {
        self.exact || n == 0 || n >= self.min_count as u64
    }

    /// `n` if it may be published, else `None` (written as `null`).
    pub fn count(&self, n: u64) -> Option<u64> {
        self.shows(n).then_some(n)
    }

    /// What answers say about it, e.g. `{"exact": false, "suppressed_below": 3, ...}`.
    pub fn describe(&self) -> serde_json::Value {
        if self.exact {
            serde_json::json!({"exact": true})
        } else if self.min_count <= 1 {
            serde_json::json!({
                "exact": false,
                "approximate": true,
                "suppressed_below": 1,
                "method": "incidents moved to the centre of their H3 resolution-10 cell (≤ 80 m), times floored to the hour; every count shown",
            })
        } else {
            serde_json::json!({
                "exact": false,
                "approximate": true,
                "suppressed_below": self.min_count,
                "method": "incidents moved to the centre of their H3 resolution-10 cell (≤ 80 m), times floored to the hour, counts of 1 to suppressed_below − 1 left out",
            })
        }
    }
}

/// One row of counts and its total as they may be published under `d`: counts of 1 to
/// `min_count − 1` become `None`; when any is hidden and the total is shown, the smallest shown
/// non-zero count (which is ≥ `min_count`) is hidden too, or, when there is none, the total —
/// so the hidden counts never add up to a known sum made only of small counts (complementary
/// suppression). Exact disclosure shows everything.
pub fn suppress_table(
    d: &Disclosure,
    counts: &[u64],
    total: u64,
) -> (Vec<Option<u64>>, Option<u64>) {
    let mut out: Vec<Option<u64>> = counts.iter().map(|&n| d.count(n)).collect();
    let mut total = d.count(total);
    if total.is_some() && out.iter().any(Option::is_none) {
        match (0..out.len())
            .filter(|&i| out[i].is_some_and(|n| n > 0))
            .min_by_key(|&i| out[i])
        {
            Some(i) => out[i] = None,
            None => total = None,
        }
    }
    (out, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_made_on_all_cores_are_the_ids_taken_one_by_one() {
        let key = [7u8; 32];
        let incidents: Vec<Incident> = (1..=30_000)
            .map(|id| Incident {
                id,
                category: crate::model::Category::Theft,
                occurred_at: 1_400_000_000,
                lon: 12.55,
                lat: 55.68,
                precision: Precision::Approximate,
                source: "t".into(),
            })
            .collect();
        let fast = pseudonymise(incidents.clone(), &key, None);
        let mut slow = incidents;
        take_rounds(&mut slow, &key);
        slow.sort_unstable_by_key(|i| i.id);
        assert_eq!(fast, slow);
    }
    use crate::model::Category;

    fn incident(lon: f64, lat: f64, t: i64) -> Incident {
        Incident {
            id: 7,
            category: Category::Theft,
            occurred_at: t,
            lon,
            lat,
            precision: Precision::Address,
            source: "test".into(),
        }
    }

    #[test]
    fn no_hidden_count_is_the_total_minus_the_shown_ones() {
        let d = Disclosure::public(3);
        // One small count and a total: another count goes too.
        assert_eq!(
            suppress_table(&d, &[2, 5, 9, 0], 16),
            (vec![None, None, Some(9), Some(0)], Some(16))
        );
        // Small counts alone would add up to a known sum: a large one goes with them.
        assert_eq!(
            suppress_table(&d, &[1, 2, 7], 10),
            (vec![None, None, None], Some(10))
        );
        // No large count to hide: the total goes.
        assert_eq!(
            suppress_table(&d, &[2, 2, 0], 4),
            (vec![None, None, Some(0)], None)
        );
        assert_eq!(suppress_table(&d, &[2, 0], 2), (vec![None, Some(0)], None));
        // Brute force: for every row of small tables, the shown figures never pin down a
        // hidden count (each hidden one could be another value with the same shown figures).
        for a in 0..6u64 {
            for b in 0..6u64 {
                for c in 0..6u64 {
                    let (row, total) = suppress_table(&d, &[a, b, c], a + b + c);
                    let hidden: Vec<u64> = row
                        .iter()
                        .zip([a, b, c])
                        .filter(|(x, _)| x.is_none())
                        .map(|(_, v)| v)
                        .collect();
                    if total.is_some() && !hidden.is_empty() {
                        assert!(hidden.len() >= 2, "{a} {b} {c}");
                        assert!(hidden.iter().any(|&v| v >= 3), "{a} {b} {c}");
                    }
                }
            }
        }
        assert_eq!(
            suppress_table(&Disclosure::EXACT, &[1, 2], 3),
            (vec![Some(1), Some(2)], Some(3))
        );
    }

    fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
        use geo::{Distance, Haversine, Point};
        Haversine.distance(Point::new(a.0, a.1), Point::new(b.0, b.1))
    }

    #[test]
    fn anchors_are_cell_centres_near_the_true_point_and_shared() {
        // A 2 km × 2 km lattice over Nørrebro, 10 m apart.
        let mut anchors = std::collections::HashSet::new();
        let mut worst: f64 = 0.0;
        for i in 0..200 {
            for j in 0..200 {
                let (lon, lat) = (12.54 + i as f64 * 0.00016, 55.68 + j as f64 * 0.00009);
                let a = anchor(lon, lat);
                worst = worst.max(metres((lon, lat), a));
                // The anchor is its own anchor: the cell centre lies in its cell.
                assert_eq!(anchor(a.0, a.1), a);
                anchors.insert((a.0.to_bits(), a.1.to_bits()));
            }
        }
        assert!(worst < 80.0, "worst displacement {worst} m");
        assert!(worst > 40.0, "points do move: {worst} m");
        // 40,000 points share far fewer anchors (about 4 km² / 0.015 km²).
        assert!(anchors.len() < 400, "{} anchors", anchors.len());
    }

    #[test]
    fn times_are_floored_to_the_hour() {
        let g = generalise(&incident(12.55, 55.69, 1_400_000_123));
        assert_eq!(g.occurred_at, 1_399_996_800);
        assert_eq!(g.occurred_at % 3600, 0);
        assert!(g.occurred_at <= 1_400_000_123 && 1_400_000_123 - g.occurred_at < 3600);
        assert_eq!(g.precision, Precision::Approximate);
        assert_eq!(g.id, 7);
        let before_1970 = generalise(&incident(12.55, 55.69, -1));
        assert_eq!(before_1970.occurred_at, -3600);
    }

    #[test]
    fn public_ids_do_not_follow_the_store_order() {
        let key = [7u8; 32];
        let many: Vec<Incident> = (0..1000)
            .map(|n| {
                let mut i = incident(12.55, 55.69, 1_400_000_000 + n);
                i.id = n + 1;
                i
            })
            .collect();
        let many = pseudonymise(many, &key, None);
        let ids: std::collections::HashSet<i64> = many.iter().map(|i| i.id).collect();
        assert_eq!(ids.len(), 1000);
        assert!(many.iter().all(|i| i.id >= 1 && i.id <= 1 << 52));
        assert!(many.windows(2).all(|w| w[0].id < w[1].id));
        // Sorted by public id, the times are shuffled: about half the neighbours descend.
        let down = many
            .windows(2)
            .filter(|w| w[0].occurred_at > w[1].occurred_at)
            .count();
        assert!((350..650).contains(&down), "{down}");
        // The same key gives the same ids; another key others.
        assert_eq!(public_id(&key, 5, 0), public_id(&key, 5, 0));
        assert_ne!(public_id(&key, 5, 0), public_id(&[8u8; 32], 5, 0));
    }

    #[test]
    fn parallel_and_serial_agree() {
        let many: Vec<Incident> = (0..50_000)
            .map(|n| {
                incident(
                    12.5 + (n % 300) as f64 * 1e-4,
                    55.6 + (n / 300) as f64 * 1e-4,
                    n,
                )
            })
            .collect();
        let serial: Vec<Incident> = many.iter().map(generalise).collect();
        assert_eq!(generalise_all(&many, None), serial);
        let cells: Vec<h3o::CellIndex> =
            anchor_cells(&many.iter().map(|i| (i.lon, i.lat)).collect::<Vec<_>>())
                .into_iter()
                .map(Option::unwrap)
                .collect();
        assert_eq!(generalise_all(&many, Some(&cells)), serial);
    }

    #[test]
    fn small_counts_are_suppressed_only_in_public() {
        let p = Disclosure::public(3);
        assert_eq!(
            (0..5).map(|n| p.count(n)).collect::<Vec<_>>(),
            [Some(0), None, None, Some(3), Some(4)]
        );
        assert!((0..5).all(|n| Disclosure::EXACT.shows(n)));
    }
}
