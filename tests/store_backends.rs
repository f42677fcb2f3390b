//! The store's contract, run against both backends: the SQLite store of a data dir and the
//! PostgreSQL + PostGIS store on a throwaway PostgreSQL 15 cluster. Each check drives the
//! store through the traits the service uses (`Repository`) and the report writer, the same
//! calls on either backend, and asserts what the service relies on: imports that skip what
//! they hold, reports and their idempotency keys, moderation that refuses a decision on a
//! changed report, planning records, tokens, the audit log and the change feed.

mod common;

use std::path::Path;

use hotspot::model::{Category, Layer, NewIncident, NewObservation, ObservationKind, Precision};
use hotspot::reports::{Contact, ModerationEntry, NewReport, Service, Status};
use hotspot::store::writer::{ReportKey, ReportWrite, WriteError, Written};
use hotspot::store::{
    AuditEntry, ChangeKind, Changes, DatabaseUrl, GoalSettings, Location, Repository,
};

/// Both backends, each on an empty store: (name, where it lives).
fn backends(cluster: &common::pg::PgCluster, dir: &Path, name: &str) -> Vec<(String, Location)> {
    let sqlite = dir.join(name);
    std::fs::create_dir_all(&sqlite).unwrap();
    let url = DatabaseUrl::new(&cluster.database(name)).unwrap();
    vec![
        ("sqlite".to_owned(), Location::Dir(sqlite)),
        ("postgres".to_owned(), Location::Postgres(url)),
    ]
}

/// Runs `check` on an empty store of each backend.
fn on_each(name: &str, check: impl Fn(&str, &Location, &mut dyn Repository)) {
    let cluster = common::pg::PgCluster::start();
    let dir = common::temp_dir(&format!("store-{name}"));
    for (backend, location) in backends(&cluster, &dir, name) {
        let mut store = location.open().unwrap_or_else(|e| panic!("{backend}: {e}"));
        check(&backend, &location, store.as_mut());
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// The keys of the changes of `kind` after `after`, and the position they reach.
fn changes(store: &dyn Repository, after: i64, kind: ChangeKind) -> (Vec<Option<i64>>, i64) {
    match store.changes_since(after, kind).unwrap() {
        Changes::Since { now, keys, .. } => (keys, now),
        Changes::Gap { now } => panic!("a gap up to {now} in a new store"),
    }
}

fn incident(source_id: &str, lon: f64) -> NewIncident {
    NewIncident {
        category: Category::Theft,
        occurred_at: 1_700_000_000,
        lon,
        lat: 55.6866,
        precision: Precision::Street,
        source: "backend-test".into(),
        source_id: source_id.into(),
        synthetic: false,
    }
}

fn observation(source_id: &str) -> NewObservation {
    NewObservation {
        kind: ObservationKind::Lighting,
        rating: 2,
        note: "lampen er gået".into(),
        observed_at: 1_700_000_000,
        lon: 12.5547,
        lat: 55.6866,
        source: "backend-test".into(),
        source_id: source_id.into(),
        synthetic: false,
    }
}

#[test]
fn layers_import_once_and_log_their_changes_on_both_backends() {
    on_each("layers", |backend, _, store| {
        let start = store.change_position().unwrap();
        // Into the empty table (PostgreSQL's bulk load), with a record repeated in the batch:
        // kept once, the first.
        let first = [
            incident("a", 12.5540),
            incident("b", 12.5550),
            incident("a", 12.5999),
        ];
        assert_eq!(store.insert_incidents(&first).unwrap(), 2, "{backend}");
        // The same source ids again, with one new: only the new one is stored.
        let again = [incident("a", 12.5540), incident("c", 12.5560)];
        assert_eq!(store.insert_incidents(&again).unwrap(), 1, "{backend}");
        assert_eq!(store.count(Layer::Incidents).unwrap(), 3, "{backend}");
        let loaded = store.load_incidents(false).unwrap();
        let mut ids: Vec<&str> = (0..loaded.len()).map(|i| loaded.source_id(i)).collect();
        ids.sort_unstable();
        assert_eq!(ids, ["a", "b", "c"], "{backend}");
        assert!(loaded.iter().all(|i| i.lat == 55.6866), "{backend}");
        let a = (0..loaded.len())
            .find(|&i| loaded.source_id(i) == "a")
            .unwrap();
        assert_eq!(
            loaded[a].lon, 12.5540,
            "{backend}: the first of a repeated record"
        );

        assert_eq!(
            store.insert_observations(&[observation("o1")]).unwrap(),
            1,
            "{backend}"
        );
        assert_eq!(store.insert_observations(&[observation("o1")]).unwrap(), 0);
        let walk = store
            .create_walk(
                "Aftenvandring",
                "2026-11-30",
                None,
                &["resident".into()],
                "test",
                1,
            )
            .unwrap();
        assert!(store.walk_exists(walk).unwrap(), "{backend}");
        assert!(!store.walk_exists(walk + 1000).unwrap(), "{backend}");
        assert_eq!(
            store
                .insert_walk_observation(&observation("o2"), walk)
                .unwrap(),
            1
        );
        let walks = store.walks().unwrap();
        assert_eq!(walks.len(), 1, "{backend}");
        assert_eq!(walks[0].observations, 1, "{backend}");
        assert_eq!(walks[0].participants, ["resident"], "{backend}");
        let observations = store.load_observations(false).unwrap();
        assert_eq!(observations.len(), 2, "{backend}");
        assert_eq!(observations[0].note, "lampen er gået", "{backend}");

        // Every import is in the change feed, after where it started.
        let (keys, now) = changes(&*store, start, ChangeKind::Layers);
        assert!(keys.len() >= 3, "{backend}: {keys:?}");
        assert!(now > start, "{backend}");
        // The secret behind public ids stays put; settings are kept.
        assert_eq!(
            store.public_id_key().unwrap(),
            store.public_id_key().unwrap()
        );
        store.set_meta("backend-test", "1").unwrap();
        store.set_meta("backend-test", "2").unwrap();
        assert_eq!(store.meta("backend-test").unwrap().as_deref(), Some("2"));
        assert_eq!(store.meta("no-such-key").unwrap(), None, "{backend}");
    });
}

fn new_report(description: &str) -> NewReport {
    NewReport {
        service: Service::DarkPlace,
        lon: 12.5547,
        lat: 55.6866,
        description: description.into(),
        description_original: description.into(),
        contact: Contact {
            email: Some("beboer@example.org".into()),
            first_name: None,
            last_name: None,
        },
        time_of_day: None,
        created_at: 1_700_000_000,
        follow: ("salt".into(), "hash".into()),
        district: Some("district-8".into()),
    }
}

fn key(k: &str, request: &str) -> Option<ReportKey> {
    Some(ReportKey {
        key: k.into(),
        request: request.into(),
    })
}

#[test]
fn reports_keys_and_moderation_behave_alike_on_both_backends() {
    on_each("reports", |backend, location, store| {
        let start = store.change_position().unwrap();
        let writer = location.start_report_writer(|_, _| {}).unwrap();
        let insert = |d: &str, k: Option<ReportKey>| {
            writer.write(ReportWrite::Insert(Box::new(new_report(d)), k))
        };
        let Ok(Written::Id(plain)) = insert("plain", None) else {
            panic!("{backend}: no id")
        };
        let Ok(Written::Id(keyed)) = insert("keyed", key("k1", "r1")) else {
            panic!("{backend}: no id")
        };
        // A retry with its key is the stored report; the key with another report is refused.
        assert_eq!(
            insert("keyed", key("k1", "r1")).unwrap(),
            Written::Existing(keyed),
            "{backend}"
        );
        assert!(
            matches!(
                insert("other", key("k1", "r2")),
                Err(WriteError::Refused(_))
            ),
            "{backend}"
        );
        // Sixteen writes of one new key at once (most in one batch): one report, one id.
        let answers: Vec<Written> = std::thread::scope(|s| {
            let sent: Vec<_> = (0..16)
                .map(|_| s.spawn(|| insert("at once", key("k2", "r3")).unwrap()))
                .collect();
            sent.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let ids: std::collections::HashSet<i64> = answers
            .iter()
            .map(|w| match w {
                Written::Id(id) | Written::Existing(id) => *id,
                Written::Done => panic!("{backend}: no id"),
            })
            .collect();
        assert_eq!(ids.len(), 1, "{backend}: {answers:?}");
        let at_once = *ids.iter().next().unwrap();
        assert_eq!(
            answers
                .iter()
                .filter(|w| matches!(w, Written::Id(_)))
                .count(),
            1,
            "{backend}: {answers:?}"
        );
        assert_eq!(store.load_reports().unwrap().len(), 3, "{backend}");
        assert_eq!(
            store.report_of_key("k2").unwrap(),
            Some((at_once, "r3".to_owned()))
        );
        assert_eq!(store.report_of_key("k9").unwrap(), None, "{backend}");
        let mut by_id: Vec<i64> = store
            .load_reports_by_id(&[plain, keyed, 42])
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        by_id.sort_unstable();
        let mut expected = vec![plain, keyed];
        expected.sort_unstable();
        assert_eq!(by_id, expected, "{backend}");

        // A "me too", then a publication decided on the report as stored.
        assert_eq!(
            writer
                .write(ReportWrite::MeToo {
                    id: plain,
                    at: 1_700_000_100
                })
                .unwrap(),
            Written::Done
        );
        let seen = store.load_report(plain).unwrap().unwrap();
        assert_eq!(seen.me_too, 1, "{backend}");
        assert_eq!(seen.contact.email.as_deref(), Some("beboer@example.org"));
        let mut published = seen.clone();
        published.published = true;
        published.status = Status::Open;
        published.updated_at = 1_700_000_200;
        let entry = |action: &str, status: &str| ModerationEntry {
            report_id: plain,
            at: 1_700_000_200,
            actor: "token 1 (test, planner)".into(),
            action: action.into(),
            reason: None,
            status: status.into(),
            status_note: None,
            duplicate_of: None,
        };
        let moderate = |seen: &hotspot::reports::Report, to: &hotspot::reports::Report, e| {
            writer.write(ReportWrite::Moderate {
                seen: Box::new(seen.clone()),
                report: Box::new(to.clone()),
                entry: Box::new(e),
                duplicate_of: None,
            })
        };
        assert_eq!(
            moderate(&seen, &published, entry("publish", "open")).unwrap(),
            Written::Done
        );
        // A rejection decided on the report as it was before: refused, nothing written.
        let mut rejected = seen.clone();
        rejected.status = Status::Rejected;
        rejected.reason = Some("names a person".into());
        assert!(
            matches!(
                moderate(&seen, &rejected, entry("reject", "rejected")),
                Err(WriteError::Conflict(_))
            ),
            "{backend}"
        );
        let stored = store.load_report(plain).unwrap().unwrap();
        assert!(stored.published, "{backend}");
        assert_eq!(stored.status, Status::Open, "{backend}");
        assert_eq!(stored.me_too, 1, "{backend}");
        let log = store.moderation_log(plain).unwrap();
        assert_eq!(log.len(), 1, "{backend}: {log:?}");
        assert_eq!(log[0].action, "publish", "{backend}");

        // Every write is in the change feed, by report.
        let (keys, _) = changes(&*store, start, ChangeKind::Report);
        for id in [plain, keyed, at_once] {
            assert!(keys.contains(&Some(id)), "{backend}: {id} not in {keys:?}");
        }
    });
}

#[test]
fn planning_tokens_and_the_audit_log_behave_alike_on_both_backends() {
    on_each("planning", |backend, _, store| {
        assert!(!store.has_initiatives().unwrap(), "{backend}");
        let feature = serde_json::json!({"type": "Feature",
            "geometry": {"type": "Point", "coordinates": [12.5547, 55.6866]},
            "properties": {"title": "Ny belysning", "kind": "lighting"}});
        let id = store.create_initiative(&feature, false, "test", 1).unwrap();
        assert!(store.has_initiatives().unwrap(), "{backend}");
        let mut changed = feature.clone();
        changed["properties"]["title"] = "Bedre belysning".into();
        assert!(store.update_initiative(id, &changed, true, 2).unwrap());
        assert!(!store.update_initiative(id + 99, &changed, true, 2).unwrap());
        let all = store.initiatives().unwrap();
        assert_eq!(all.len(), 1, "{backend}");
        assert!(all[0].published, "{backend}");
        assert_eq!(all[0].feature["properties"]["title"], "Bedre belysning");
        assert!(store.delete_initiative(id).unwrap(), "{backend}");
        assert!(!store.delete_initiative(id).unwrap(), "{backend}");

        let rows = [
            ("2025".to_owned(), 61.5, Some("survey".to_owned()), None),
            (
                "2026".to_owned(),
                64.0,
                None,
                Some("Tryghedsundersøgelsen".to_owned()),
            ),
        ];
        store
            .put_measurements("safe_evening", &rows, "test", 3)
            .unwrap();
        let m = store.measurements().unwrap();
        assert_eq!(m.len(), 2, "{backend}");
        assert_eq!(m[1].1.value, 64.0, "{backend}");
        assert!(store.delete_measurement("safe_evening", "2025").unwrap());
        assert_eq!(store.measurements().unwrap().len(), 1, "{backend}");
        let settings = GoalSettings {
            baseline: Some(("2025".into(), 61.5)),
            target: Some(70.0),
            owner: Some("sekretariatet".into()),
        };
        store
            .set_goal_settings("safe_evening", &settings, "test", 4)
            .unwrap();
        let s = store.goal_settings().unwrap();
        assert_eq!(s.len(), 1, "{backend}");
        assert_eq!(s[0].1.target, Some(70.0), "{backend}");

        // Tokens: hashes only, newest first, revoked once; both logged for the replicas.
        let start = store.change_position().unwrap();
        let a = store.create_token("a", "planner", "s1", "h1", 5).unwrap();
        let b = store.create_token("b", "police", "s2", "h2", 6).unwrap();
        let tokens = store.tokens().unwrap();
        assert_eq!(
            tokens.iter().map(|t| t.id).collect::<Vec<_>>(),
            [b, a],
            "{backend}"
        );
        assert!(store.revoke_token(a, 7).unwrap(), "{backend}");
        assert!(!store.revoke_token(a, 8).unwrap(), "{backend}");
        let revoked = store.tokens().unwrap();
        assert_eq!(revoked[1].revoked_at, Some(7), "{backend}");
        let (keys, _) = changes(&*store, start, ChangeKind::Tokens);
        assert_eq!(keys.len(), 3, "{backend}: {keys:?}");

        // The audit log: newest first, counted.
        let entry = |at: i64| AuditEntry {
            id: 0,
            at,
            actor: "token 2 (b, police)".into(),
            role: "police".into(),
            action: "export".into(),
            collection: "incidents".into(),
            format: "csv".into(),
            query: "district=district-8".into(),
            features: 12,
        };
        store.record_audit(&entry(10)).unwrap();
        store.record_audit(&entry(11)).unwrap();
        let (page, total) = store.audit(1, 0).unwrap();
        assert_eq!(total, 2, "{backend}");
        assert_eq!(page[0].at, 11, "{backend}");
        assert_eq!(page[0].features, 12, "{backend}");
    });
}
