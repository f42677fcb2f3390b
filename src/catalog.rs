//! The loaded data: every layer with its indexes, as one immutable snapshot. A change builds a
//! new snapshot and swaps it in whole, so a reader never sees half of an update.

use h3o::{CellIndex, LatLng, Resolution};

use std::sync::Arc;

use crate::fnv::Fnv;
use crate::index::study::{study_cells, StudyGrid};
use crate::index::{DistrictIndex, HourTags, LonLatBox, PointFilter, PointIndex, Positioned};
use crate::model::{Category, District, DistrictLevel, Incident, Incidents, Observation};
use crate::store::snapshot::SnapshotWriter;
use crate::store::DEMO_SOURCE;

impl Positioned for Incident {
    fn lonlat(&self) -> (f64, f64) {
        (self.lon, self.lat)
    }
    fn time(&self) -> i64 {
        self.occurred_at
    }
}

impl Positioned for Observation {
    fn lonlat(&self) -> (f64, f64) {
        (self.lon, self.lat)
    }
    fn time(&self) -> i64 {
        self.observed_at
    }
}

/// How much of a layer is synthetic demo data.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Synthetic {
    /// Synthetic incidents loaded.
    pub incidents: usize,
    /// Synthetic observations loaded.
    pub observations: usize,
}

impl Synthetic {
    /// Whether anything loaded is synthetic.
    pub fn any(&self) -> bool {
        self.incidents + self.observations > 0
    }
}

/// The tree of incidents at exact positions: each entry keeps its incident's category (in what
/// is padding otherwise), for dense tiles read from the tree alone
/// ([`Catalog::incident_points_in`]).
fn exact_incident_index(incidents: &Incidents) -> PointIndex {
    let tags = incidents.iter().map(|i| i.category as u32).collect();
    PointIndex::bulk_load_tagged(incidents.iter().map(|i| (i.lon, i.lat)), tags)
}

/// The incidents at one position, counted by category ([`Catalog::tally_incidents`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PointTally {
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Incidents per category, indexed by the category's number (`Category as usize`).
    pub counts: [u32; Category::ALL.len()],
}

/// All layers and indexes.
pub struct Catalog {
    /// Districts, bydele first, then safety districts, then roder, each by number (shared with
    /// the snapshots made from this one by [`Catalog::with_observations`], as are the
    /// incidents and their indexes).
    pub districts: Arc<Vec<District>>,
    district_index: Arc<DistrictIndex>,
    /// Incidents by id, with their source ids.
    pub incidents: Arc<Incidents>,
    incident_index: Arc<PointIndex>,
    /// How the incident index's tags pack category and hour, when it has them (the public
    /// view: shared positions, whole-hour times); see [`Catalog::tally_incidents`].
    incident_tags: Option<HourTags>,
    /// Observations by id.
    pub observations: Vec<Observation>,
    observation_index: PointIndex,
    /// What is synthetic.
    pub synthetic: Synthetic,
    incident_box: Option<LonLatBox>,
    district_box: Option<LonLatBox>,
    incident_times: Option<(i64, i64)>,
    observation_times: Option<(i64, i64)>,
    /// A digest of all loaded data (FNV-1a 64 over every record), e.g. `"v1-3f2a…"`: the same
    /// data gives the same version, so analysis answers can say which data they were made from.
    pub version: String,
    /// Whether this is the public's generalised view (see [`Catalog::generalised`]).
    public: bool,
    /// The store's secret for public incident ids.
    public_id_key: [u8; 32],
    /// The store's change-feed position when this was loaded (0 when not loaded from a store):
    /// changes to the layers after it are not in this snapshot.
    pub feed_position: i64,
    /// Per Copenhagen calendar year with incidents, the months (bit 0 = January) holding any.
    year_months: std::sync::OnceLock<Vec<(i32, u16)>>,
    /// Per district (by position), the positions of the incidents in it (boundary included),
    /// found by the first query that filters on it and kept for this snapshot: a district
    /// filter is then a lookup instead of a point-in-polygon test per candidate.
    /// Shared with the snapshots made from this one for other observations (same incidents).
    incident_members: Arc<Vec<std::sync::OnceLock<Vec<u32>>>>,
    /// The same for observations.
    observation_members: Vec<std::sync::OnceLock<Vec<u32>>>,
    /// The H3 cell of every incident (by position) per resolution (index), made by
    /// [`Catalog::prepare_incident_cells`] for large analyses; shared like `incident_members`.
    incident_cells: Arc<[std::sync::OnceLock<Vec<CellIndex>>; 16]>,
    /// The public view, when [`Catalog::load`] made it beside this one, until
    /// [`Catalog::generalised`] hands it over.
    public_view: std::sync::Mutex<Option<Box<Catalog>>>,
    /// The store's incident snapshot file, when [`Catalog::load`] read the incidents from the
    /// store itself: written by [`Catalog::write_owed_snapshot`] (after the start, not before
    /// it), with the first-round public ids it needs until then.
    owed_snapshot: std::sync::Mutex<Option<(SnapshotWriter, Option<Vec<i64>>)>>,
    /// Study grids over this snapshot's incidents, per (district positions, resolution).
    studies: quick_cache::sync::Cache<StudyKey, Arc<StudyGrid>, StudyWeight>,
    /// The state of the data digest after the districts and incidents, when known (see
    /// [`digest_base`]).
    digest_base: Option<u64>,
}

/// Incidents from which an analysis finds the cells of all incidents at its resolution once
/// (see [`Catalog::prepare_incident_cells`]) instead of those it needs each time.
pub const LARGE_ANALYSIS: usize = 50_000;

/// A study grid's key: the positions of its districts (sorted, unique) and the resolution.
type StudyKey = (Vec<u32>, u8);

/// The most bytes of study grids one snapshot keeps (about 30 MB for the whole city at
/// resolution 11 with 1M incidents).
const STUDY_CACHE_BYTES: u64 = 256 << 20;

#[derive(Clone)]
struct StudyWeight;

impl quick_cache::Weighter<StudyKey, Arc<StudyGrid>> for StudyWeight {
    fn weight(&self, _key: &StudyKey, grid: &Arc<StudyGrid>) -> u64 {
        grid.weight().max(1)
    }
}

/// The data version of these layers (see [`Catalog::version`]).
fn digest(districts: &[District], incidents: &[Incident], observations: &[Observation]) -> String {
    digest_with(digest_base(districts, incidents), observations)
}

/// The state of [`digest`] after the districts and incidents: a snapshot keeps it, so that one
/// with other observations gets the version a full load of the same data would, without
/// hashing every incident again (see [`Catalog::with_observations`]).
fn digest_base(districts: &[District], incidents: &[Incident]) -> Fnv {
    let mut h = Fnv::new();
    for d in districts {
        h.bytes(d.id.as_bytes());
        h.bytes(d.name.as_bytes());
        h.bytes(d.level.code().as_bytes());
        h.u64(d.population.map_or(u64::MAX, |p| p as u64));
        h.bytes(d.parent.as_deref().unwrap_or("").as_bytes());
        use geo::CoordsIter;
        for c in d.geometry.coords_iter() {
            h.u64(c.x.to_bits());
            h.u64(c.y.to_bits());
        }
    }
    // Category, precision and source by a digest of their code and name: one that does not
    // depend on the order in which this process interned the names.
    let name = |s: &str| {
        let mut n = Fnv::new();
        n.bytes(s.as_bytes());
        n.0
    };
    let categories: Vec<u64> = crate::model::Category::ALL
        .iter()
        .map(|c| name(c.code()))
        .collect();
    let precisions: Vec<u64> = crate::model::Precision::ALL
        .iter()
        .map(|p| name(p.code()))
        .collect();
    let mut source = None;
    for i in incidents {
        h.u64(i.id as u64);
        h.u64(i.occurred_at as u64);
        h.u64(i.lon.to_bits());
        h.u64(i.lat.to_bits());
        h.u64(categories[i.category as usize]);
        h.u64(precisions[i.precision as usize]);
        let s = match source {
            Some((s, d)) if s == i.source => d,
            _ => {
                let d = name(&i.source);
                source = Some((i.source, d));
                d
            }
        };
        h.u64(s);
    }
    h
}

/// [`digest`] from its state after the districts and incidents.
fn digest_with(mut h: Fnv, observations: &[Observation]) -> String {
    for o in observations {
        h.u64(o.id as u64);
        h.bytes(o.kind.code().as_bytes());
        h.u64(o.rating as u64);
        h.u64(o.observed_at as u64);
        h.u64(o.lon.to_bits());
        h.u64(o.lat.to_bits());
    }
    format!("v1-{:016x}", h.0)
}

/// The `members` (ascending positions of `items`, all inside `filter.within`) that pass the
/// rest of `filter` and `keep`, in id order.
fn filter_members<T: crate::index::Positioned>(
    items: &[T],
    members: &[u32],
    filter: &PointFilter<'_>,
    keep: impl Fn(&T) -> bool,
) -> Vec<u32> {
    members
        .iter()
        .copied()
        .filter(|&p| {
            let t = &items[p as usize];
            let (lon, lat) = t.lonlat();
            filter.bbox.is_none_or(|b| b.contains(lon, lat))
                && filter.time.is_none_or(|(s, e)| (s..=e).contains(&t.time()))
                && keep(t)
        })
        .collect()
}

/// The public view of these layers (see [`Catalog::generalised`]); `cells` are the incidents'
/// anchor cells when known.
fn public_view(
    districts: &[District],
    incidents: &[Incident],
    cells: Option<&[CellIndex]>,
    public_ids: Option<&[i64]>,
    observations: &[Observation],
    version: &str,
    key: &[u8; 32],
) -> Catalog {
    let started = std::time::Instant::now();
    let public = crate::privacy::generalise_all(incidents, cells);
    let generalised = started.elapsed().as_millis() as u64;
    let public = crate::privacy::pseudonymise(public, key, public_ids);
    let pseudonymised = started.elapsed().as_millis() as u64;
    // The same data, so the same version (not computed again).
    let mut catalog = Catalog::build_with(
        districts.to_vec(),
        Incidents::without_source_ids(public),
        observations.to_vec(),
        Some(version.to_owned()),
        true,
        None,
    );
    catalog.public = true;
    catalog.public_id_key = *key;
    tracing::debug!(
        generalised,
        pseudonymised,
        ms = started.elapsed().as_millis() as u64,
        "public view built"
    );
    catalog
}

impl Catalog {
    /// Builds the indexes over the given layers. `incidents` and `observations` must be sorted
    /// by id (as the store returns them).
    pub fn build(
        districts: Vec<District>,
        incidents: Incidents,
        observations: Vec<Observation>,
    ) -> Catalog {
        Catalog::build_with(districts, incidents, observations, None, false, None)
    }

    /// [`Catalog::build`], with the data version given (`Some`) or computed (`None`); with
    /// `shared_points`, most incidents share their position with others (the public view).
    fn build_with(
        districts: Vec<District>,
        incidents: Incidents,
        observations: Vec<Observation>,
        version: Option<String>,
        shared_points: bool,
        index: Option<PointIndex>,
    ) -> Catalog {
        let mut incidents = incidents;
        let anchor_cells = incidents.take_cells();
        debug_assert!(incidents.windows(2).all(|w| w[0].id < w[1].id));
        debug_assert!(observations.windows(2).all(|w| w[0].id < w[1].id));
        let district_index = DistrictIndex::bulk_load(districts.iter().map(|d| &d.geometry));
        let observation_index = PointIndex::bulk_load(observations.iter().map(|o| (o.lon, o.lat)));
        let synthetic = Synthetic {
            incidents: {
                let demo = crate::model::Source::new(DEMO_SOURCE);
                incidents.iter().filter(|i| i.source == demo).count()
            },
            observations: observations
                .iter()
                .filter(|o| o.source == DEMO_SOURCE)
                .count(),
        };
        // The incidents' tree (the largest part) is built beside the rest, unless it was.
        let ((incident_index, incident_tags), version) = std::thread::scope(|s| {
            let tree = match index {
                Some(index) => Ok((index, None)),
                None => Err(s.spawn(|| {
                    if !shared_points {
                        return (exact_incident_index(&incidents), None);
                    }
                    let points = incidents.iter().map(|i| (i.lon, i.lat));
                    // Shared positions: each keeps its incidents' categories and hours beside
                    // them, for tallies that read no incident.
                    match HourTags::for_times(incidents.iter().map(|i| i.occurred_at)) {
                        Some(p) => {
                            let tags = incidents
                                .iter()
                                .map(|i| p.tag(i.category as u8, i.occurred_at))
                                .collect();
                            (PointIndex::bulk_load_grouped_tagged(points, tags), Some(p))
                        }
                        None => (PointIndex::bulk_load_grouped(points), None),
                    }
                })),
            };
            let h = version.unwrap_or_else(|| digest(&districts, &incidents, &observations));
            let tree =
                tree.unwrap_or_else(|t| t.join().expect("building the incident tree cannot panic"));
            (tree, h)
        });
        let district_box = {
            use geo::BoundingRect;
            districts
                .iter()
                .filter_map(|d| d.geometry.bounding_rect())
                .map(LonLatBox::from_rect)
                .reduce(|a, b| a.union(&b))
        };
        let incident_box = incidents
            .iter()
            .map(|i| LonLatBox {
                min_lon: i.lon,
                min_lat: i.lat,
                max_lon: i.lon,
                max_lat: i.lat,
            })
            .reduce(|a, b| a.union(&b));
        let span = |it: &mut dyn Iterator<Item = i64>| {
            it.fold(None, |acc: Option<(i64, i64)>, t| {
                Some(acc.map_or((t, t), |(a, b)| (a.min(t), b.max(t))))
            })
        };
        let n_districts = districts.len();
        let incident_cells: Arc<[std::sync::OnceLock<Vec<CellIndex>>; 16]> = Default::default();
        if let Some(cells) = anchor_cells {
            let _ = incident_cells[u8::from(crate::privacy::ANCHOR_RESOLUTION) as usize].set(cells);
        }
        let incident_times = span(&mut incidents.iter().map(|i| i.occurred_at));
        let observation_times = span(&mut observations.iter().map(|o| o.observed_at));
        Catalog {
            incident_box,
            district_box,
            incident_times,
            observation_times,
            districts: Arc::new(districts),
            district_index: Arc::new(district_index),
            incidents: Arc::new(incidents),
            incident_index: Arc::new(incident_index),
            incident_tags,
            observations,
            observation_index,
            synthetic,
            version,
            public: false,
            public_id_key: [0; 32],
            feed_position: 0,
            year_months: std::sync::OnceLock::new(),
            incident_members: (0..n_districts)
                .map(|_| std::sync::OnceLock::new())
                .collect::<Vec<_>>()
                .into(),
            observation_members: (0..n_districts)
                .map(|_| std::sync::OnceLock::new())
                .collect(),
            incident_cells,
            public_view: std::sync::Mutex::new(None),
            owed_snapshot: std::sync::Mutex::new(None),
            studies: quick_cache::sync::Cache::with_weighter(64, STUDY_CACHE_BYTES, StudyWeight),
            digest_base: None,
        }
    }

    /// This snapshot with `observations` (by id) in place of its own, read at change-log
    /// position `position`: the districts, the incidents, their indexes and what was computed
    /// over them are shared with this one, not rebuilt or copied. That is how one observation
    /// written through any replica is served by every replica at once, at any number of
    /// incidents (DESIGN.md, "Scaling out"). The version is the one a full load of the same
    /// data gives.
    pub fn with_observations(&self, observations: Vec<Observation>, position: i64) -> Catalog {
        debug_assert!(observations.windows(2).all(|w| w[0].id < w[1].id));
        let base = self
            .digest_base
            .unwrap_or_else(|| digest_base(&self.districts, &self.incidents).0);
        let version = digest_with(Fnv(base), &observations);
        let observation_index = PointIndex::bulk_load(observations.iter().map(|o| (o.lon, o.lat)));
        let observation_times = observations
            .iter()
            .map(|o| o.observed_at)
            .fold(None, |acc: Option<(i64, i64)>, t| {
                Some(acc.map_or((t, t), |(a, b)| (a.min(t), b.max(t))))
            });
        Catalog {
            districts: self.districts.clone(),
            district_index: self.district_index.clone(),
            incidents: self.incidents.clone(),
            incident_index: self.incident_index.clone(),
            incident_tags: self.incident_tags,
            synthetic: Synthetic {
                incidents: self.synthetic.incidents,
                observations: observations
                    .iter()
                    .filter(|o| o.source == DEMO_SOURCE)
                    .count(),
            },
            observation_members: (0..self.districts.len())
                .map(|_| std::sync::OnceLock::new())
                .collect(),
            observations,
            observation_index,
            incident_box: self.incident_box,
            district_box: self.district_box,
            incident_times: self.incident_times,
            observation_times,
            version,
            public: self.public,
            public_id_key: self.public_id_key,
            feed_position: position,
            year_months: self.year_months.clone(),
            incident_members: self.incident_members.clone(),
            incident_cells: self.incident_cells.clone(),
            public_view: std::sync::Mutex::new(None),
            owed_snapshot: std::sync::Mutex::new(None),
            studies: quick_cache::sync::Cache::with_weighter(64, STUDY_CACHE_BYTES, StudyWeight),
            digest_base: Some(base),
        }
    }

    /// The public view of this snapshot: the same districts and observations, incidents
    /// generalised by [`crate::privacy::generalise`]. It keeps this snapshot's `version` (it is
    /// made from the same data). [`Catalog::load`] makes it beside the exact view; it is handed
    /// over (once) here.
    pub fn generalised(&self) -> Catalog {
        if let Some(public) = self
            .public_view
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            return *public;
        }
        let cells = self.incident_cells[u8::from(crate::privacy::ANCHOR_RESOLUTION) as usize].get();
        let mut public = public_view(
            &self.districts,
            &self.incidents,
            cells.map(|c| &c[..]),
            None,
            &self.observations,
            &self.version,
            &self.public_id_key,
        );
        public.feed_position = self.feed_position;
        // The data's digest state, not the generalised incidents' (the version is the data's).
        public.digest_base = Some(
            self.digest_base
                .unwrap_or_else(|| digest_base(&self.districts, &self.incidents).0),
        );
        public
    }

    /// The public id of the incident with store id `id` (its first-round
    /// [`crate::privacy::public_id`]; a colliding one, about one pair in 10^9 at a million
    /// incidents, takes the next round).
    pub fn public_id_of(&self, id: i64) -> i64 {
        crate::privacy::public_id(&self.public_id_key, id, 0)
    }

    /// Builds the catalog from what the store holds now (synthetic records only with `demo`), with
    /// the change-feed position read before loading (see [`Catalog::feed_position`]).
    pub fn load<S: crate::store::LayerStore + crate::store::ChangeFeed + ?Sized>(
        store: &S,
        demo: bool,
    ) -> Result<Catalog, crate::store::StoreError> {
        let position = store.change_position()?;
        let started = std::time::Instant::now();
        let mut incidents = store.load_incidents(demo)?;
        tracing::debug!(
            incidents = incidents.len(),
            ms = started.elapsed().as_millis() as u64,
            "incidents read"
        );
        let started = std::time::Instant::now();
        let districts = store.load_districts()?;
        let observations = store.load_observations(demo)?;
        let key = store.public_id_key()?;
        let snapshot = store.incident_snapshot_writer();
        let cells = incidents.take_cells();
        let public_ids = incidents.take_public_ids();
        // The exact incidents' tree on one core while the data version and the public view
        // are made on the other.
        let (index, (version, public)) = std::thread::scope(|s| {
            let tree = s.spawn(|| exact_incident_index(&incidents));
            let base = digest_base(&districts, &incidents);
            let base_state = base.0;
            let version = digest_with(base, &observations);
            let mut public = public_view(
                &districts,
                &incidents,
                cells.as_deref(),
                public_ids.as_deref(),
                &observations,
                &version,
                &key,
            );
            public.digest_base = Some(base_state);
            let tree = tree
                .join()
                .expect("building the incident tree cannot panic");
            (tree, (version, public))
        });
        let mut catalog = Catalog::build_with(
            districts,
            incidents,
            observations,
            Some(version),
            false,
            Some(index),
        )
        .with_public_id_key(key);
        catalog.digest_base = public.digest_base;
        if let Some(cells) = cells {
            let _ = catalog.incident_cells[u8::from(crate::privacy::ANCHOR_RESOLUTION) as usize]
                .set(cells);
        }
        catalog.feed_position = position;
        if let Some(writer) = snapshot {
            *catalog
                .owed_snapshot
                .get_mut()
                .unwrap_or_else(|e| e.into_inner()) = Some((writer, public_ids));
        }
        *catalog
            .public_view
            .get_mut()
            .unwrap_or_else(|e| e.into_inner()) = Some(Box::new(public));
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            "both views built"
        );
        Ok(catalog)
    }

    /// Writes the store's incident snapshot file if this catalog owes it (its incidents were
    /// read from the store itself; see [`crate::store::snapshot`]); once.
    pub fn write_owed_snapshot(&self) {
        let owed = self
            .owed_snapshot
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let Some((writer, public_ids)) = owed else {
            return;
        };
        let started = std::time::Instant::now();
        let cells = self.incident_cells[u8::from(crate::privacy::ANCHOR_RESOLUTION) as usize].get();
        let derived = cells.map(|c| &c[..]).zip(public_ids.as_deref());
        match writer.write(&self.incidents, derived) {
            Ok(()) => tracing::debug!(
                ms = started.elapsed().as_millis() as u64,
                "incident snapshot written"
            ),
            Err(e) => tracing::warn!(error = %e, "no incident snapshot"),
        }
    }

    /// The digests of a report's idempotency key under the store's secret (see
    /// [`crate::reports::idempotency`]).
    pub fn idempotency(&self, key: &str) -> (String, String) {
        crate::reports::idempotency(&self.public_id_key, key)
    }

    /// The digest of what a new report asks under the store's secret (see
    /// [`crate::reports::NewReport::request_digest`]).
    pub fn request_digest(&self, new: &crate::reports::NewReport) -> String {
        new.request_digest(&self.public_id_key)
    }

    /// Sets the store's secret for the public incident ids (see [`crate::privacy::public_id`]).
    pub fn with_public_id_key(mut self, key: [u8; 32]) -> Catalog {
        self.public_id_key = key;
        self
    }

    /// The Copenhagen calendar years holding incidents, each with a bit mask of the months
    /// (bit 0 = January) that hold any; computed once per snapshot.
    pub fn incident_year_months(&self) -> &[(i32, u16)] {
        self.year_months.get_or_init(|| {
            let mut months: std::collections::BTreeMap<i32, u16> = Default::default();
            for i in self.incidents.iter() {
                let t = i.occurred_at;
                let local = (t + crate::model::time::copenhagen_offset(t)).div_euclid(86_400);
                let (y, m, _) = crate::model::time::civil_from_days(local);
                *months.entry(y as i32).or_default() |= 1 << (m - 1);
            }
            months.into_iter().collect()
        })
    }

    /// Whether this is the public's generalised view.
    pub fn is_public(&self) -> bool {
        self.public
    }

    /// The district with this id (`bydel-N`, `district-N`, `rode-N`).
    pub fn district(&self, id: &str) -> Option<&District> {
        self.districts.iter().find(|d| d.id == id)
    }

    /// Positions of the districts of `level` (all levels when `None`) whose extent meets `bbox`.
    pub fn query_districts(
        &self,
        level: Option<DistrictLevel>,
        bbox: Option<&LonLatBox>,
    ) -> Vec<u32> {
        let candidates: Vec<u32> = match bbox {
            Some(b) => self.district_index.bbox_intersecting(b),
            None => (0..self.districts.len() as u32).collect(),
        };
        candidates
            .into_iter()
            .filter(|&i| level.is_none_or(|l| self.districts[i as usize].level == l))
            .collect()
    }

    /// Positions of the districts of `level` that contain `(lon, lat)`.
    pub fn districts_at(&self, lon: f64, lat: f64, level: DistrictLevel) -> Vec<u32> {
        let polys: Vec<&geo::MultiPolygon<f64>> =
            self.districts.iter().map(|d| &d.geometry).collect();
        self.district_index
            .containing(&polys, lon, lat)
            .into_iter()
            .filter(|&i| self.districts[i as usize].level == level)
            .collect()
    }

    /// Positions (in id order) of the incidents passing `filter` whose category is in the
    /// `categories` bit mask (see [`crate::model::Category::bit`]).
    pub fn query_incidents(&self, filter: &PointFilter<'_>, categories: u16) -> Vec<u32> {
        let all = crate::model::Category::ALL
            .iter()
            .all(|c| categories & c.bit() != 0);
        // Without a category filter, no incident needs to be read to pass it.
        if all {
            return self.query_incidents_by(filter, |_| true);
        }
        self.query_incidents_by(filter, |i| categories & i.category.bit() != 0)
    }

    /// The incidents passing `filter` and `categories` (bits of [`Category::bit`]) counted per
    /// distinct position and category, reading no incident: for catalogs whose incidents share
    /// positions and have whole-hour times (the public view). `None` for other catalogs.
    pub fn tally_incidents(
        &self,
        filter: &PointFilter<'_>,
        categories: u16,
    ) -> Option<Vec<PointTally>> {
        let tags = self.incident_tags?;
        let groups = self.incident_index.tagged_groups(filter)?;
        let (lo, hi) = filter.time.map_or((0, u32::MAX), |w| tags.hours_in(w));
        let mut out = Vec::with_capacity(groups.len());
        for ((lon, lat), members) in groups {
            let mut counts = [0u32; Category::ALL.len()];
            for &t in members {
                let c = HourTags::class(t);
                let h = HourTags::hour(t);
                if h >= lo && h <= hi && categories & (1 << c) != 0 {
                    counts[c as usize] += 1;
                }
            }
            if counts.iter().any(|&n| n > 0) {
                out.push(PointTally { lon, lat, counts });
            }
        }
        Some(out)
    }

    /// The position (lon, lat) and category number of every incident in `bbox` whose category
    /// is in `categories`, read from the tree alone (no incident is read): for catalogs of exact
    /// positions, whose tree entries keep the category. `None` for other catalogs.
    pub fn incident_points_in(
        &self,
        bbox: &LonLatBox,
        categories: u16,
    ) -> Option<Vec<((f64, f64), u8)>> {
        let mut points = self.incident_index.tagged_points(bbox)?;
        points.retain(|&(_, c)| c < 16 && categories & (1 << c) != 0);
        Some(points.into_iter().map(|(at, c)| (at, c as u8)).collect())
    }

    fn query_incidents_by(
        &self,
        filter: &PointFilter<'_>,
        keep: impl Fn(&Incident) -> bool,
    ) -> Vec<u32> {
        match self.own_district(filter) {
            Some(d) => filter_members(&self.incidents, self.incident_members_of(d), filter, keep),
            None => self.incident_index.query(&self.incidents, filter, keep),
        }
    }

    /// Positions (in id order) of the observations passing `filter`.
    pub fn query_observations(&self, filter: &PointFilter<'_>) -> Vec<u32> {
        match self.own_district(filter) {
            Some(d) => filter_members(
                &self.observations,
                self.observation_members_of(d),
                filter,
                |_| true,
            ),
            None => self
                .observation_index
                .query(&self.observations, filter, |_| true),
        }
    }

    /// The positions of the incidents in (or on the boundary of) the district at position `d`.
    fn incident_members_of(&self, d: usize) -> &[u32] {
        self.incident_members[d].get_or_init(|| {
            let only = PointFilter {
                within: Some(&self.districts[d].geometry),
                ..PointFilter::default()
            };
            self.incident_index.query(&self.incidents, &only, |_| true)
        })
    }

    /// The positions of the observations in (or on the boundary of) the district at `d`.
    fn observation_members_of(&self, d: usize) -> &[u32] {
        self.observation_members[d].get_or_init(|| {
            let only = PointFilter {
                within: Some(&self.districts[d].geometry),
                ..PointFilter::default()
            };
            self.observation_index
                .query(&self.observations, &only, |_| true)
        })
    }

    /// Does now what the first queries of this snapshot would otherwise wait for: every
    /// district's incidents and observations, and the study grid of the programme's district
    /// at the analyses' default resolution. Meant for a background thread after a snapshot is
    /// built; queries meanwhile compute (or wait for) what they need themselves.
    pub fn warm(&self) {
        for d in 0..self.districts.len() {
            self.incident_members_of(d);
            self.observation_members_of(d);
        }
        if let Some(d) = self.district(crate::model::HOTSPOT_DISTRICT_ID) {
            self.study_grid(&[&d.geometry], Resolution::Ten);
        }
    }

    /// The position of the district whose own geometry `filter.within` is, if it is one of
    /// this catalog's (a union of districts or an initiative's area is not).
    fn own_district(&self, filter: &PointFilter<'_>) -> Option<usize> {
        let poly = filter.within?;
        self.districts
            .iter()
            .position(|d| std::ptr::eq(&d.geometry, poly))
    }

    /// The study grid of `area` (a union of district polygons) at `res`: its cells and the cell
    /// of each incident in the area. Kept for this snapshot when every polygon is one of its
    /// own districts (as the analyses pass them), made afresh otherwise.
    pub fn study_grid(&self, area: &[&geo::MultiPolygon<f64>], res: Resolution) -> Arc<StudyGrid> {
        let own: Option<Vec<u32>> = area
            .iter()
            .map(|poly| {
                self.districts
                    .iter()
                    .position(|d| std::ptr::eq(&d.geometry, *poly))
                    .map(|p| p as u32)
            })
            .collect();
        let Some(mut key) = own else {
            return Arc::new(self.make_study_grid(area, res));
        };
        key.sort_unstable();
        key.dedup();
        let key = (key, u8::from(res));
        match self.studies.get_or_insert_with(&key, || {
            Ok::<_, std::convert::Infallible>(Arc::new(self.make_study_grid(area, res)))
        }) {
            Ok(grid) => grid,
            Err(never) => match never {},
        }
    }

    fn make_study_grid(&self, area: &[&geo::MultiPolygon<f64>], res: Resolution) -> StudyGrid {
        let cells = study_cells(area, res);
        let mut positions = Vec::new();
        for poly in area {
            let filter = PointFilter {
                within: Some(poly),
                ..PointFilter::default()
            };
            positions.extend(self.query_incidents(&filter, u16::MAX));
        }
        positions.sort_unstable();
        positions.dedup();
        if positions.len() >= LARGE_ANALYSIS {
            self.prepare_incident_cells(res);
        }
        StudyGrid::new(cells, &positions, |p| self.incident_cell(p, res))
    }

    /// The H3 cell at `res` that contains the incident at `position`. Computed directly, not as
    /// the parent of a finer cell: H3's children do not tile their parent exactly, so a parent
    /// lookup would put points near cell edges in the wrong cell. Read from the kept cells
    /// when [`Catalog::prepare_incident_cells`] made them for `res`.
    pub fn incident_cell(&self, position: u32, res: Resolution) -> CellIndex {
        if let Some(cells) = self.incident_cells[u8::from(res) as usize].get() {
            return cells[position as usize];
        }
        let i = &self.incidents[position as usize];
        LatLng::new(i.lat, i.lon)
            .expect("stored coordinates are checked finite and in range")
            .to_cell(res)
    }

    /// Finds (once per snapshot and resolution, on all cores) the cell at `res` of every
    /// incident, for analyses over many incidents: finding a point's cell (~0.5–1.5 µs) is
    /// most of their cost. Holds 8 bytes per incident per resolution asked for.
    pub fn prepare_incident_cells(&self, res: Resolution) {
        self.incident_cells[u8::from(res) as usize].get_or_init(|| {
            let cell = |i: &Incident| {
                LatLng::new(i.lat, i.lon)
                    .expect("stored coordinates are checked finite and in range")
                    .to_cell(res)
            };
            let threads = std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .clamp(1, 8);
            let chunk = self.incidents.len().div_ceil(threads).max(1);
            std::thread::scope(|s| {
                let parts: Vec<_> = self
                    .incidents
                    .chunks(chunk)
                    .map(|part| s.spawn(move || part.iter().map(cell).collect::<Vec<_>>()))
                    .collect();
                parts
                    .into_iter()
                    .flat_map(|h| h.join().expect("a cell-finding thread panicked"))
                    .collect()
            })
        });
    }

    /// The position of the incident with this id.
    pub fn incident_position(&self, id: i64) -> Option<usize> {
        self.incidents.binary_search_by_key(&id, |i| i.id).ok()
    }

    /// The position of the observation with this id.
    pub fn observation_position(&self, id: i64) -> Option<usize> {
        self.observations.binary_search_by_key(&id, |o| o.id).ok()
    }

    /// The lon/lat box of all incidents, or of all districts when there are none.
    pub fn incident_extent(&self) -> Option<LonLatBox> {
        self.incident_box.or(self.district_box)
    }

    /// The lon/lat box of all districts: the service area.
    pub fn district_extent(&self) -> Option<LonLatBox> {
        self.district_box
    }

    /// First and last incident time, Unix seconds.
    pub fn incident_time_extent(&self) -> Option<(i64, i64)> {
        self.incident_times
    }

    /// First and last observation time, Unix seconds.
    pub fn observation_time_extent(&self) -> Option<(i64, i64)> {
        self.observation_times
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Category, DistrictLevel, Precision};
    use geo::{polygon, Intersects, MultiPolygon, Point};

    #[test]
    fn district_filters_from_the_kept_members_equal_the_polygon_test() {
        // Dyadic coordinates, exact in binary: points land exactly on edges and corners.
        const U: f64 = 1.0 / 1024.0;
        let square = |x0: f64, y0: f64| {
            MultiPolygon(vec![polygon![
                (x: x0, y: y0), (x: x0 + 8.0 * U, y: y0), (x: x0 + 8.0 * U, y: y0 + 8.0 * U), (x: x0, y: y0 + 8.0 * U),
            ]])
        };
        let district = |id: &str, geometry| District {
            id: id.into(),
            name: id.into(),
            level: DistrictLevel::District,
            population: None,
            parent: None,
            geometry,
        };
        let districts = vec![
            district("district-1", square(12.5, 55.5)),
            district("district-2", square(12.5 + 8.0 * U, 55.5)),
        ];
        // A grid that puts points on the shared edge and the corners too.
        let mut incidents = Vec::new();
        for x in 0..=20 {
            for y in 0..=12 {
                let id = incidents.len() as i64 + 1;
                incidents.push(Incident {
                    id,
                    category: if id % 3 == 0 {
                        Category::Theft
                    } else {
                        Category::Violence
                    },
                    occurred_at: 1_400_000_000 + id * 60,
                    lon: 12.5 + (x as f64 - 2.0) * U,
                    lat: 55.5 + (y as f64 - 2.0) * U,
                    precision: Precision::Street,
                    source: "t".into(),
                });
            }
        }
        let cat = Catalog::build(districts, incidents.into(), Vec::new());
        let bbox = LonLatBox {
            min_lon: 12.5 + 5.0 * U,
            min_lat: 55.5 + 3.0 * U,
            max_lon: 12.5 + 11.0 * U,
            max_lat: 55.5 + 7.0 * U,
        };
        for d in 0..2 {
            let poly = &cat.districts[d].geometry;
            for filter in [
                PointFilter {
                    within: Some(poly),
                    ..PointFilter::default()
                },
                PointFilter {
                    within: Some(poly),
                    bbox: Some(bbox),
                    ..PointFilter::default()
                },
                PointFilter {
                    within: Some(poly),
                    time: Some((1_400_000_000 + 50 * 60, 1_400_000_000 + 200 * 60)),
                    ..PointFilter::default()
                },
            ] {
                for mask in [u16::MAX, Category::Theft.bit()] {
                    let brute: Vec<u32> = cat
                        .incidents
                        .iter()
                        .enumerate()
                        .filter(|(_, i)| {
                            poly.intersects(&Point::new(i.lon, i.lat))
                                && filter.bbox.is_none_or(|b| b.contains(i.lon, i.lat))
                                && filter
                                    .time
                                    .is_none_or(|(s, e)| (s..=e).contains(&i.occurred_at))
                                && mask & i.category.bit() != 0
                        })
                        .map(|(p, _)| p as u32)
                        .collect();
                    // Twice: the first fills the district's members, the second reads them.
                    assert_eq!(cat.query_incidents(&filter, mask), brute);
                    assert_eq!(cat.query_incidents(&filter, mask), brute);
                    // A copy of the polygon (not the catalog's own) takes the general path.
                    let copy = poly.clone();
                    let general = PointFilter {
                        within: Some(&copy),
                        ..filter
                    };
                    assert_eq!(cat.query_incidents(&general, mask), brute);
                }
            }
        }
        // The shared edge belongs to both.
        let on_edge = |d: usize| {
            cat.query_incidents(
                &PointFilter {
                    within: Some(&cat.districts[d].geometry),
                    ..PointFilter::default()
                },
                u16::MAX,
            )
            .into_iter()
            .filter(|&p| cat.incidents[p as usize].lon == 12.5 + 8.0 * U)
            .count()
        };
        assert!(on_edge(0) > 0);
        assert_eq!(on_edge(0), on_edge(1));
    }

    #[test]
    fn a_snapshot_with_new_observations_equals_one_built_with_them() {
        use crate::model::ObservationKind;
        let districts = vec![District {
            id: "district-1".into(),
            name: "d1".into(),
            level: DistrictLevel::District,
            population: None,
            parent: None,
            geometry: MultiPolygon(vec![polygon![
                (x: 12.50, y: 55.60), (x: 12.60, y: 55.60), (x: 12.60, y: 55.70), (x: 12.50, y: 55.70),
            ]]),
        }];
        let incidents: Vec<Incident> = (1..=500)
            .map(|id| Incident {
                id,
                category: Category::Theft,
                occurred_at: 1_400_000_000 + id * 3600,
                lon: 12.45 + (id % 23) as f64 * 0.01,
                lat: 55.58 + (id % 17) as f64 * 0.01,
                precision: Precision::Street,
                source: "t".into(),
            })
            .collect();
        let observation = |id: i64| Observation {
            id,
            kind: ObservationKind::Lighting,
            rating: (id % 5 + 1) as u8,
            note: format!("note {id}"),
            observed_at: 1_500_000_000 + id,
            lon: 12.48 + (id % 11) as f64 * 0.015,
            lat: 55.59 + (id % 7) as f64 * 0.02,
            source: if id % 2 == 0 {
                DEMO_SOURCE.into()
            } else {
                "walk".into()
            },
            source_id: id.to_string(),
        };
        let before: Vec<Observation> = (1..=20).map(observation).collect();
        let after: Vec<Observation> = (1..=21).map(observation).collect();
        let old = Catalog::build(districts.clone(), incidents.clone().into(), before);
        let old_public = old.generalised();
        let delta = old.with_observations(after.clone(), 7);
        let full = Catalog::build(districts, incidents.into(), after.clone());
        assert_eq!(delta.version, full.version, "the version of the same data");
        assert_ne!(delta.version, old.version);
        assert!(
            Arc::ptr_eq(&delta.incidents, &old.incidents),
            "incidents shared, not copied"
        );
        assert_eq!(delta.feed_position, 7);
        assert_eq!(delta.observations, full.observations);
        assert_eq!(delta.synthetic.observations, full.synthetic.observations);
        assert_eq!(delta.observation_times, full.observation_times);
        let poly = &delta.districts[0].geometry;
        for filter in [
            PointFilter::default(),
            PointFilter {
                within: Some(poly),
                ..PointFilter::default()
            },
            PointFilter {
                bbox: Some(LonLatBox {
                    min_lon: 12.5,
                    min_lat: 55.6,
                    max_lon: 12.55,
                    max_lat: 55.65,
                }),
                ..PointFilter::default()
            },
        ] {
            assert_eq!(
                delta.query_observations(&filter),
                full.query_observations(&filter)
            );
            assert_eq!(
                delta.query_incidents(&filter, u16::MAX),
                full.query_incidents(&filter, u16::MAX)
            );
        }
        // The public view likewise: the same version as the exact one, incidents shared.
        let public = old_public.with_observations(after, 7);
        assert!(public.is_public());
        assert_eq!(public.version, full.version);
        assert!(Arc::ptr_eq(&public.incidents, &old_public.incidents));
    }
}
