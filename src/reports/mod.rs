//! Resident reports of unsafe spots (Open311 GeoReport v2 service requests): the service
//! types, the report and its moderation states, scrubbing of personal data from descriptions,
//! the per-client rate limit, and the in-memory book of reports the API answers from.
//!
//! Reports are written by the store's one writer thread, which commits whatever has queued up in
//! one transaction ([`crate::store::writer`]), so many concurrent submissions cost one `fsync`
//! together; a report is answered `201` only after its transaction is durable.

pub mod ratelimit;
pub mod scrub;

use std::sync::RwLock;

use crate::model::Labels;

/// The kinds of unsafe spot a resident can report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// Broken or missing light.
    PoorLighting,
    /// A dark or hidden place.
    DarkPlace,
    /// Intimidation or harassment.
    Harassment,
    /// Drug dealing.
    DrugDealing,
    /// Vandalism or graffiti.
    Vandalism,
    /// An unsafe crossing or walkway.
    UnsafeCrossing,
    /// Anything else.
    Other,
}

impl Service {
    /// Every service, in the order offered.
    pub const ALL: [Service; 7] = [
        Service::PoorLighting,
        Service::DarkPlace,
        Service::Harassment,
        Service::DrugDealing,
        Service::Vandalism,
        Service::UnsafeCrossing,
        Service::Other,
    ];

    /// The Open311 `service_code`.
    pub fn code(self) -> &'static str {
        match self {
            Service::PoorLighting => "poor_lighting",
            Service::DarkPlace => "dark_place",
            Service::Harassment => "harassment",
            Service::DrugDealing => "drug_dealing",
            Service::Vandalism => "vandalism",
            Service::UnsafeCrossing => "unsafe_crossing",
            Service::Other => "other",
        }
    }

    /// Danish and English names.
    pub fn labels(self) -> Labels {
        let (da, en) = match self {
            Service::PoorLighting => ("Dårlig belysning", "Poor lighting"),
            Service::DarkPlace => ("Mørkt eller skjult sted", "Dark or hidden place"),
            Service::Harassment => ("Chikane eller intimidering", "Intimidation or harassment"),
            Service::DrugDealing => ("Narkohandel", "Drug dealing"),
            Service::Vandalism => ("Hærværk eller graffiti", "Vandalism or graffiti"),
            Service::UnsafeCrossing => (
                "Usikker overgang eller gangsti",
                "Unsafe crossing or walkway",
            ),
            Service::Other => ("Andet", "Other"),
        };
        Labels {
            label_da: da,
            label_en: en,
        }
    }

    /// Danish and English descriptions.
    pub fn descriptions(self) -> (&'static str, &'static str) {
        match self {
            Service::PoorLighting => (
                "Gadelys der er gået i stykker, mangler eller er for svagt.",
                "Street lights broken, missing or too weak.",
            ),
            Service::DarkPlace => (
                "Et sted der er mørkt, skjult eller uoverskueligt.",
                "A place that is dark, hidden or hard to see into.",
            ),
            Service::Harassment => (
                "Et sted hvor man bliver råbt efter, chikaneret eller føler sig truet.",
                "A place where people are shouted at, harassed or feel threatened.",
            ),
            Service::DrugDealing => ("Handel med euforiserende stoffer.", "Drug dealing."),
            Service::Vandalism => (
                "Hærværk, graffiti eller ødelagt inventar.",
                "Vandalism, graffiti or broken street furniture.",
            ),
            Service::UnsafeCrossing => (
                "En overgang, sti eller passage der føles usikker.",
                "A crossing, path or passage that feels unsafe.",
            ),
            Service::Other => (
                "Noget andet der gør stedet utrygt.",
                "Something else that makes the place feel unsafe.",
            ),
        }
    }

    /// The service with this code.
    pub fn parse(code: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// Where a report is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Received, not yet moderated (not public).
    New,
    /// Published; nothing done yet.
    Open,
    /// The secretariat has seen it.
    Acknowledged,
    /// Something is being done.
    InProgress,
    /// Done (with a public note of what was done).
    Closed,
    /// Not published, with a reason.
    Rejected,
    /// Not published: the same as another report (which counts it).
    Duplicate,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 7] = [
        Status::New,
        Status::Open,
        Status::Acknowledged,
        Status::InProgress,
        Status::Closed,
        Status::Rejected,
        Status::Duplicate,
    ];

    /// The code in the API and the store.
    pub fn code(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Open => "open",
            Status::Acknowledged => "acknowledged",
            Status::InProgress => "in_progress",
            Status::Closed => "closed",
            Status::Rejected => "rejected",
            Status::Duplicate => "duplicate",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Open311's two states: `open` until the matter is finished, then `closed`.
    pub fn open311(self) -> &'static str {
        match self {
            Status::Closed | Status::Rejected | Status::Duplicate => "closed",
            _ => "open",
        }
    }
}

/// When the spot feels unsafe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeOfDay {
    /// Daytime.
    Day,
    /// Evening.
    Evening,
    /// Night.
    Night,
}

impl TimeOfDay {
    /// The code.
    pub fn code(self) -> &'static str {
        match self {
            TimeOfDay::Day => "day",
            TimeOfDay::Evening => "evening",
            TimeOfDay::Night => "night",
        }
    }

    /// Parses a code.
    pub fn parse(s: &str) -> Option<TimeOfDay> {
        match s {
            "day" => Some(TimeOfDay::Day),
            "evening" => Some(TimeOfDay::Evening),
            "night" => Some(TimeOfDay::Night),
            _ => None,
        }
    }
}

/// Contact details a resident may leave: for the secretariat only, never public, never logged.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Contact {
    /// E-mail.
    pub email: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
}

impl Contact {
    /// Whether nothing was given.
    pub fn is_empty(&self) -> bool {
        self.email.is_none() && self.first_name.is_none() && self.last_name.is_none()
    }
}

/// A stored report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The `service_request_id`.
    pub id: i64,
    /// What kind of spot.
    pub service: Service,
    /// Longitude, WGS84 degrees (exact; the public gets [`crate::privacy::anchor`] of it).
    pub lon: f64,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// The description with personal data scrubbed (what may be published).
    pub description: String,
    /// The description as sent (moderators only).
    pub description_original: String,
    /// Contact details (moderators only).
    pub contact: Contact,
    /// When it feels unsafe.
    pub time_of_day: Option<TimeOfDay>,
    /// Where it is in its life.
    pub status: Status,
    /// Whether the public sees it.
    pub published: bool,
    /// Why it was rejected (moderators only).
    pub reason: Option<String>,
    /// The report this one duplicates.
    pub duplicate_of: Option<i64>,
    /// The public note of what was done ("you said, we did").
    pub status_note: Option<String>,
    /// Residents who said "me too" (and duplicates marked as this one).
    pub me_too: u32,
    /// When it was received, Unix seconds.
    pub created_at: i64,
    /// When it last changed, Unix seconds.
    pub updated_at: i64,
    /// Salt and salted SHA-256 of the follow key given to the reporter.
    pub follow: (String, String),
    /// The safety district it lies in (`district-N`), if any.
    pub district: Option<String>,
}

/// A report as submitted and checked, before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReport {
    /// What kind of spot.
    pub service: Service,
    /// Longitude, WGS84.
    pub lon: f64,
    /// Latitude, WGS84.
    pub lat: f64,
    /// Scrubbed description.
    pub description: String,
    /// As sent.
    pub description_original: String,
    /// Contact details.
    pub contact: Contact,
    /// When it feels unsafe.
    pub time_of_day: Option<TimeOfDay>,
    /// When it was received, Unix seconds.
    pub created_at: i64,
    /// Salt and hash of the follow key.
    pub follow: (String, String),
    /// Its safety district.
    pub district: Option<String>,
}

impl NewReport {
    /// A digest of what the reporter asked (type, place, text, contact, time of day; not when
    /// it arrived nor its follow key) under the store's secret (see [`keyed_digest`]): a
    /// retried POST asks the same, and the digest kept with an idempotency key tells nothing
    /// to whoever reads it without the secret.
    pub fn request_digest(&self, secret: &[u8; 32]) -> String {
        let asked = serde_json::json!([
            self.service.code(),
            self.lon,
            self.lat,
            self.description_original,
            self.contact.email,
            self.contact.first_name,
            self.contact.last_name,
            self.time_of_day.map(|t| t.code()),
        ]);
        keyed_digest(secret, b"report-request:", asked.to_string().as_bytes())
    }
}

impl Report {
    /// The version of the report's moderated state (status, publication, reason, duplicate,
    /// public note; not its "me too" count), as an opaque text: what a moderator decided on,
    /// sent back as `If-Match` with the decision.
    pub fn moderation_version(&self) -> String {
        let mut h = crate::fnv::Fnv::new();
        h.bytes(self.status.code().as_bytes());
        h.u64(u64::from(self.published));
        h.bytes(self.reason.as_deref().unwrap_or("\0").as_bytes());
        h.u64(self.duplicate_of.map_or(0, |d| d as u64));
        h.bytes(self.status_note.as_deref().unwrap_or("\0").as_bytes());
        // Not `updated_at`: a "me too" moves it, and must not void a moderator's view.
        format!("m{:016x}", h.0)
    }

    /// The stored form of `n`, with the id the store gave it: new, unpublished.
    pub fn from_new(id: i64, n: NewReport) -> Report {
        Report {
            id,
            service: n.service,
            lon: n.lon,
            lat: n.lat,
            description: n.description,
            description_original: n.description_original,
            contact: n.contact,
            time_of_day: n.time_of_day,
            status: Status::New,
            published: false,
            reason: None,
            duplicate_of: None,
            status_note: None,
            me_too: 0,
            created_at: n.created_at,
            updated_at: n.created_at,
            follow: n.follow,
            district: n.district,
        }
    }
}

/// One moderation action, as recorded.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ModerationEntry {
    /// The report.
    pub report_id: i64,
    /// When, Unix seconds.
    #[serde(serialize_with = "crate::model::time::serialize_rfc3339")]
    pub at: i64,
    /// Who (`token 3 (name, planner)`).
    pub actor: String,
    /// `publish`, `reject`, `mark_duplicate` or `set_status`.
    pub action: String,
    /// Why (reject), or the moderator's remark.
    pub reason: Option<String>,
    /// The status after the action.
    pub status: String,
    /// The public note, when one was set.
    pub status_note: Option<String>,
    /// The report this was marked a duplicate of.
    pub duplicate_of: Option<i64>,
}

/// Every report, shared by the handlers and the writer, with each report's public JSON made
/// when it changes (the public list of 10,000 reports is then a concatenation). Reports are
/// kept in the order they came (their ids are random): adding one costs the same however many
/// the book holds.
pub struct ReportBook {
    inner: RwLock<Inner>,
    render: fn(&Report) -> Vec<u8>,
}

struct Inner {
    reports: Reports,
    public: Vec<std::sync::Arc<[u8]>>,
}

/// The reports of a [`ReportBook`], in no particular order (a slice), found by id, and the
/// published ones on their own (the few a new report is checked against as a duplicate, so that
/// a report's cost does not grow with the unpublished ones the book holds).
#[derive(Default)]
pub struct Reports {
    list: Vec<Report>,
    at: std::collections::HashMap<i64, usize>,
    published: std::collections::HashSet<i64>,
}

impl std::ops::Deref for Reports {
    type Target = [Report];
    fn deref(&self) -> &[Report] {
        &self.list
    }
}

impl<'a> IntoIterator for &'a Reports {
    type Item = &'a Report;
    type IntoIter = std::slice::Iter<'a, Report>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

impl Reports {
    fn new(list: Vec<Report>) -> Reports {
        let at = list.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        let published = list.iter().filter(|r| r.published).map(|r| r.id).collect();
        Reports {
            list,
            at,
            published,
        }
    }

    /// The report with `id`.
    pub fn by_id(&self, id: i64) -> Option<&Report> {
        self.at.get(&id).map(|&i| &self.list[i])
    }

    /// The published reports, in no particular order.
    pub fn published(&self) -> impl Iterator<Item = &Report> {
        self.published.iter().filter_map(|&id| self.by_id(id))
    }

    /// Notes whether the report with `id` is published now.
    fn mark(&mut self, id: i64, published: bool) {
        if published {
            self.published.insert(id);
        } else {
            self.published.remove(&id);
        }
    }
}

impl ReportBook {
    /// A book holding `reports`, rendering each one's public JSON with `render`.
    pub fn new(reports: Vec<Report>, render: fn(&Report) -> Vec<u8>) -> ReportBook {
        let public = reports.iter().map(|r| render(r).into()).collect();
        ReportBook {
            inner: RwLock::new(Inner {
                reports: Reports::new(reports),
                public,
            }),
            render,
        }
    }

    /// Runs `f` over the reports.
    pub fn read<T>(&self, f: impl FnOnce(&Reports) -> T) -> T {
        let guard = self.inner.read().unwrap_or_else(|e| e.into_inner());
        f(&guard.reports)
    }

    /// Runs `f` over the reports and their public JSON (same order).
    pub fn read_public<T>(&self, f: impl FnOnce(&Reports, &[std::sync::Arc<[u8]>]) -> T) -> T {
        let guard = self.inner.read().unwrap_or_else(|e| e.into_inner());
        f(&guard.reports, &guard.public)
    }

    /// The report with `id`.
    pub fn get(&self, id: i64) -> Option<Report> {
        self.read(|all| all.by_id(id).cloned())
    }

    /// Adds (or replaces) a stored report.
    pub fn insert(&self, report: Report) {
        let json: std::sync::Arc<[u8]> = (self.render)(&report).into();
        let mut guard = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let Inner { reports, public } = &mut *guard;
        reports.mark(report.id, report.published);
        match reports.at.get(&report.id) {
            Some(&i) => {
                reports.list[i] = report;
                public[i] = json;
            }
            None => {
                reports.at.insert(report.id, reports.list.len());
                reports.list.push(report);
                public.push(json);
            }
        }
    }

    /// Adds a report just stored, unless the book holds it already: then it was read from the
    /// store after the write, and is as new or newer (changed meanwhile through another
    /// replica).
    pub fn insert_new(&self, report: Report) {
        if self.read(|all| all.by_id(report.id).is_none()) {
            let json: std::sync::Arc<[u8]> = (self.render)(&report).into();
            let mut guard = self.inner.write().unwrap_or_else(|e| e.into_inner());
            let Inner { reports, public } = &mut *guard;
            if !reports.at.contains_key(&report.id) {
                reports.mark(report.id, report.published);
                reports.at.insert(report.id, reports.list.len());
                reports.list.push(report);
                public.push(json);
            }
        }
    }

    /// Replaces every report with `reports`.
    pub fn replace_all(&self, reports: Vec<Report>) {
        let public = reports.iter().map(|r| (self.render)(r).into()).collect();
        let reports = Reports::new(reports);
        let mut guard = self.inner.write().unwrap_or_else(|e| e.into_inner());
        *guard = Inner { reports, public };
    }

    /// Removes the report with `id`, if there is one.
    pub fn remove(&self, id: i64) {
        let mut guard = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let Inner { reports, public } = &mut *guard;
        if let Some(i) = reports.at.remove(&id) {
            reports.published.remove(&id);
            reports.list.swap_remove(i);
            public.swap_remove(i);
            if let Some(moved) = reports.list.get(i) {
                reports.at.insert(moved.id, i);
            }
        }
    }

    /// Changes the report with `id`; returns whether there was one.
    pub fn update(&self, id: i64, f: impl FnOnce(&mut Report)) -> bool {
        let mut guard = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let Inner { reports, public } = &mut *guard;
        match reports.at.get(&id) {
            Some(&i) => {
                let r = &mut reports.list[i];
                f(r);
                // The id is what the book finds it by.
                debug_assert_eq!(r.id, id);
                public[i] = (self.render)(r).into();
                let published = r.published;
                reports.mark(id, published);
                true
            }
            None => false,
        }
    }
}

/// Positions in `all` from the newest report to the oldest (time received, then id): ids are
/// random, so id order says nothing about time.
pub fn newest_first(all: &[Report]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..all.len()).collect();
    order.sort_unstable_by(|&a, &b| {
        (all[b].created_at, all[b].id).cmp(&(all[a].created_at, all[a].id))
    });
    order
}

/// Positions in `all` as the public lists them: newest hour first, and within an hour by
/// (random) id, so the order says no more than the hour each report shows.
pub fn public_order(all: &[Report]) -> Vec<usize> {
    let hour = |r: &Report| r.created_at - r.created_at.rem_euclid(3600);
    let mut order: Vec<usize> = (0..all.len()).collect();
    order.sort_unstable_by(|&a, &b| {
        hour(&all[b])
            .cmp(&hour(&all[a]))
            .then(all[a].id.cmp(&all[b].id))
    });
    order
}

/// Metres between two lon/lat points (haversine).
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    use geo::{Distance, Haversine, Point};
    Haversine.distance(Point::new(a.0, a.1), Point::new(b.0, b.1))
}

/// How near (metres) a published report of the same type must be to count as a possible
/// duplicate.
pub const DUPLICATE_RADIUS_M: f64 = 50.0;

/// How recent (days) it must be.
pub const DUPLICATE_DAYS: i64 = 60;

/// Whether `r` is a published report of `service` received in the [`DUPLICATE_DAYS`] before
/// `now`: a candidate duplicate.
fn recent_published(r: &Report, service: Service, now: i64) -> bool {
    r.published
        && r.service == service
        && r.created_at >= now - DUPLICATE_DAYS * 86_400
        && r.created_at <= now
}

/// Published reports of `service` within [`DUPLICATE_RADIUS_M`] of `at` (lon, lat) received in
/// the [`DUPLICATE_DAYS`] before `now`, other than `except`, nearest first, with their
/// distance in metres between the exact positions: the possible duplicates a moderator sees.
/// Never for the public: yes/no answers about exact distances locate a report (see
/// [`nearby_published`]).
pub fn possible_duplicates<'a>(
    all: impl IntoIterator<Item = &'a Report>,
    service: Service,
    at: (f64, f64),
    now: i64,
    except: Option<i64>,
) -> Vec<(i64, f64)> {
    let mut near: Vec<(i64, f64)> = all
        .into_iter()
        .filter(|r| {
            recent_published(r, service, now)
                && Some(r.id) != except
                && (r.lat - at.1).abs() < 0.001
        })
        .map(|r| (r.id, distance_m(at, (r.lon, r.lat))))
        .filter(|(_, d)| *d <= DUPLICATE_RADIUS_M)
        .collect();
    near.sort_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
    near
}

/// Published reports of `service` received in the [`DUPLICATE_DAYS`] before `now` whose
/// *public* cell (H3 resolution 10, the cell the public layer shows them at) is the cell of
/// `at` (lon, lat) or one next to it, same cell first, with the distance in metres between
/// the two cells' centres (0 for the same cell, about 115 m next door).
///
/// This is what a resident may be told: it depends on the exact positions only through their
/// cells, which the public layer already shows, so no sequence of probes learns more than the
/// public map (±80 m).
pub fn nearby_published<'a>(
    all: impl IntoIterator<Item = &'a Report>,
    service: Service,
    at: (f64, f64),
    now: i64,
) -> Vec<(i64, f64)> {
    use crate::privacy::anchor_cell;
    let Some(here) = anchor_cell(at.0, at.1) else {
        return Vec::new();
    };
    let centre = |c: h3o::CellIndex| {
        let ll = h3o::LatLng::from(c);
        (ll.lng(), ll.lat())
    };
    // Two resolution-10 cells next to each other have centres ~115 m apart; 0.01° of
    // latitude (1.1 km) is a cheap first filter well beyond that.
    let mut near: Vec<(i64, f64)> = all
        .into_iter()
        .filter(|r| recent_published(r, service, now) && (r.lat - at.1).abs() < 0.01)
        .filter_map(|r| {
            let cell = anchor_cell(r.lon, r.lat)?;
            let steps = here.grid_distance(cell).ok()?;
            (steps <= 1).then(|| (r.id, distance_m(centre(here), centre(cell)).round()))
        })
        .collect();
    near.sort_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
    near
}

/// The longest and shortest idempotency key taken: long enough not to be guessed (a UUID is
/// 36 characters), short enough to be a key.
pub const IDEMPOTENCY_KEY_CHARS: std::ops::RangeInclusive<usize> = 16..=255;

/// Checks a client's idempotency key (`Idempotency-Key` header or `idempotency_key` field):
/// 16 to 255 visible ASCII characters.
pub fn check_idempotency_key(key: &str) -> Result<(), String> {
    if !IDEMPOTENCY_KEY_CHARS.contains(&key.len()) || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "must be {} to {} visible ASCII characters (a UUID will do)",
            IDEMPOTENCY_KEY_CHARS.start(),
            IDEMPOTENCY_KEY_CHARS.end()
        ));
    }
    Ok(())
}

/// What an idempotency key gives under the store's secret `secret` (32 bytes): the digest the
/// store keeps to find the report again (never the key itself), and the secret of the
/// report's follow key, derived rather than drawn, so that a retried POST is answered with
/// the same follow key although the store keeps only its salted hash. Both are keyed digests
/// (see [`keyed_digest`]), hex.
pub fn idempotency(secret: &[u8; 32], key: &str) -> (String, String) {
    (
        keyed_digest(secret, b"report-key:", key.as_bytes()),
        keyed_digest(secret, b"follow-key:", key.as_bytes()),
    )
}

/// SHA-256 of `secret`, `purpose` and the SHA-256 of `secret`, `purpose` and `text`, hex: a
/// digest only the holder of `secret` can make, and (hashed twice, as HMAC is) not extended
/// from another one by anyone without it.
pub fn keyed_digest(secret: &[u8; 32], purpose: &[u8], text: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let inner = Sha256::new()
        .chain_update(secret)
        .chain_update(purpose)
        .chain_update(text)
        .finalize();
    Sha256::new()
        .chain_update(secret)
        .chain_update(purpose)
        .chain_update(inner)
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idempotency_key_gives_the_same_digests_under_one_secret_only() {
        let a = idempotency(&[1; 32], "0b8f6c1e-2f52-4a59-9d1b-7a3c1d2e4f60");
        assert_eq!(
            a,
            idempotency(&[1; 32], "0b8f6c1e-2f52-4a59-9d1b-7a3c1d2e4f60")
        );
        assert_ne!(
            a,
            idempotency(&[2; 32], "0b8f6c1e-2f52-4a59-9d1b-7a3c1d2e4f60")
        );
        assert_ne!(a.0, a.1);
        assert_eq!(
            a.1.len(),
            64,
            "a follow secret is 32 bytes in hex, as a drawn one"
        );
        assert!(check_idempotency_key("0b8f6c1e-2f52-4a59-9d1b-7a3c1d2e4f60").is_ok());
        assert!(check_idempotency_key("short").is_err());
        assert!(
            check_idempotency_key("sixteen chars ok").is_err(),
            "a space"
        );
        assert!(check_idempotency_key(&"k".repeat(256)).is_err());
    }

    fn report(id: i64, service: Service, lon: f64, lat: f64, at: i64, published: bool) -> Report {
        Report::from_new(
            id,
            NewReport {
                service,
                lon,
                lat,
                description: String::new(),
                description_original: String::new(),
                contact: Contact::default(),
                time_of_day: None,
                created_at: at,
                follow: (String::new(), String::new()),
                district: None,
            },
        )
        .published(published)
    }

    impl Report {
        fn published(mut self, p: bool) -> Report {
            self.published = p;
            self
        }
    }

    #[test]
    fn duplicates_are_published_same_type_within_50_m_and_60_days() {
        let day = 86_400;
        let now = 100 * day;
        let here = (12.5547, 55.6866);
        // About 40 m north, 70 m north (0.00063°), 40 m but another type, unpublished,
        // too old, and itself.
        let all = vec![
            report(
                1,
                Service::PoorLighting,
                here.0,
                here.1 + 0.00036,
                now - day,
                true,
            ),
            report(
                2,
                Service::PoorLighting,
                here.0,
                here.1 + 0.00063,
                now - day,
                true,
            ),
            report(
                3,
                Service::DarkPlace,
                here.0,
                here.1 + 0.00036,
                now - day,
                true,
            ),
            report(
                4,
                Service::PoorLighting,
                here.0,
                here.1 + 0.0001,
                now - day,
                false,
            ),
            report(
                5,
                Service::PoorLighting,
                here.0,
                here.1,
                now - 61 * day,
                true,
            ),
            report(
                6,
                Service::PoorLighting,
                here.0,
                here.1,
                now - 59 * day,
                true,
            ),
        ];
        let d = possible_duplicates(&all, Service::PoorLighting, here, now, Some(7));
        let ids: Vec<i64> = d.iter().map(|x| x.0).collect();
        assert_eq!(ids, [6, 1], "nearest first");
        assert!((d[1].1 - 40.0).abs() < 1.0, "{}", d[1].1);
        assert!(
            possible_duplicates(&all, Service::PoorLighting, here, now, Some(6))
                .iter()
                .all(|x| x.0 != 6)
        );
    }

    #[test]
    fn nearby_published_depends_only_on_the_public_cells() {
        use crate::privacy::anchor;
        let day = 86_400;
        let now = 100 * day;
        let exact = (12.5547, 55.6866);
        let all = vec![report(
            1,
            Service::PoorLighting,
            exact.0,
            exact.1,
            now - day,
            true,
        )];
        // Every probe in the report's cell gets the same answer: distance 0, whatever its
        // distance to the exact point; so bisecting on the answer learns the cell, no more.
        let (clon, clat) = anchor(exact.0, exact.1);
        for (dx, dy) in [
            (0.0, 0.0),
            (0.0002, 0.0),
            (-0.0002, 0.0001),
            (0.0, -0.00025),
        ] {
            let probe = (clon + dx, clat + dy);
            if crate::privacy::anchor(probe.0, probe.1) != (clon, clat) {
                continue;
            }
            let got = nearby_published(&all, Service::PoorLighting, probe, now);
            assert_eq!(got, vec![(1, 0.0)], "probe {probe:?}");
        }
        // A probe two cells away hears nothing; another service or an old report neither.
        assert!(
            nearby_published(&all, Service::PoorLighting, (clon + 0.005, clat), now).is_empty()
        );
        assert!(nearby_published(&all, Service::DarkPlace, exact, now).is_empty());
        assert!(nearby_published(&all, Service::PoorLighting, exact, now + 61 * day).is_empty());
    }

    #[test]
    fn the_book_knows_its_published_reports_through_every_change() {
        let day = 86_400;
        let now = 100 * day;
        let published_ids = |book: &ReportBook| {
            let mut ids: Vec<i64> = book.read(|all| all.published().map(|r| r.id).collect());
            ids.sort_unstable();
            ids
        };
        let book = ReportBook::new(
            vec![
                report(1, Service::PoorLighting, 12.55, 55.68, now - day, true),
                report(2, Service::PoorLighting, 12.55, 55.68, now - day, false),
                report(3, Service::PoorLighting, 12.56, 55.69, now - day, false),
            ],
            |_| Vec::new(),
        );
        assert_eq!(published_ids(&book), vec![1]);
        assert!(book.update(2, |r| r.published = true));
        assert_eq!(published_ids(&book), vec![1, 2]);
        assert!(book.update(1, |r| r.published = false));
        assert_eq!(published_ids(&book), vec![2]);
        // Replaced by a stored copy (the follower's way), and new.
        book.insert(report(
            2,
            Service::PoorLighting,
            12.55,
            55.68,
            now - day,
            false,
        ));
        book.insert(report(4, Service::DarkPlace, 12.55, 55.68, now - day, true));
        assert_eq!(published_ids(&book), vec![4]);
        // Removing moves another report into the freed place: the index follows ids.
        book.insert(report(
            5,
            Service::PoorLighting,
            12.55,
            55.68,
            now - day,
            true,
        ));
        book.remove(3);
        book.remove(4);
        assert_eq!(published_ids(&book), vec![5]);
        let near = book.read(|all| {
            nearby_published(all.published(), Service::PoorLighting, (12.55, 55.68), now)
        });
        assert_eq!(near.iter().map(|n| n.0).collect::<Vec<_>>(), vec![5]);
        book.replace_all(vec![report(
            6,
            Service::PoorLighting,
            12.55,
            55.68,
            now,
            true,
        )]);
        assert_eq!(published_ids(&book), vec![6]);
        // The writer's copy of a new report never replaces one read from the store since
        // (published through another replica meanwhile); a report the book lacks is added.
        let pending = |id, service| report(id, service, 12.55, 55.68, now, false);
        book.insert_new(pending(6, Service::PoorLighting));
        book.insert_new(pending(8, Service::DarkPlace));
        assert_eq!(published_ids(&book), vec![6]);
        assert!(book.get(8).is_some());
    }
}
