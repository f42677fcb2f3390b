//! The PostgreSQL + PostGIS store on a real, throwaway PostgreSQL 15 cluster with PostGIS 3
//! (`postgresql-15-postgis-3`; `.ci/run` installs it): `hotspot copy-store` with the real binary,
//! what the copy reads back, what GIS clients see of it (PostGIS functions, GDAL's `ogrinfo`),
//! all-or-nothing copies, and migrations when replicas start together.

mod common;

use std::process::Command;

use hotspot::model::Layer;
use hotspot::store::postgres::{copy_store, PgStore};
use hotspot::store::Store;

fn hotspot() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hotspot"))
}

/// Rows of every table of the SQLite store at `dir`.
fn sqlite_counts(dir: &std::path::Path) -> Vec<(String, i64)> {
    let conn = rusqlite::Connection::open(dir.join("hotspot.sqlite")).unwrap();
    hotspot::store::postgres::schema::TABLES
        .iter()
        .map(|(t, _)| {
            let n: i64 = conn
                .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
                .unwrap();
            (t.to_string(), n)
        })
        .collect()
}

fn pg_counts(url: &str) -> Vec<(String, i64)> {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    hotspot::store::postgres::schema::TABLES
        .iter()
        .map(|(t, _)| {
            let n: i64 = c
                .query_one(&format!("SELECT count(*) FROM {t}"), &[])
                .unwrap()
                .get(0);
            (t.to_string(), n)
        })
        .collect()
}

#[test]
fn copy_store_copies_every_table_and_reads_back_as_the_sqlite_store() {
    let pg = common::pg::PgCluster::start();
    let url = pg.database("copied");
    // The demo store with tokens (one revoked), initiatives and the demo layers.
    common::demo_tokens();
    let dir = common::demo_data_dir();

    let out = hotspot()
        .args(["copy-store", "--to", &url, "--data-dir"])
        .arg(dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !stdout.contains("postgres://") && !stdout.contains("127.0.0.1"),
        "the URL is not printed"
    );
    let want = sqlite_counts(dir);
    assert!(
        want.iter().any(|(t, n)| t == "incidents" && *n > 90_000),
        "{want:?}"
    );
    assert!(want.iter().any(|(t, n)| t == "tokens" && *n >= 4));
    assert_eq!(pg_counts(&url), want);
    for (table, n) in &want {
        assert!(
            stdout
                .lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>()
                    == [table.as_str(), &n.to_string(), "rows"]),
            "{table} {n} in:\n{stdout}"
        );
    }

    // The layers read back exactly as the SQLite store gives them.
    let sqlite = Store::open(dir).unwrap();
    let store = PgStore::connect(&url).unwrap();
    assert_eq!(
        store.load_districts().unwrap(),
        sqlite.load_districts().unwrap()
    );
    for synthetic in [true, false] {
        let (a, b) = (
            store.load_incidents(synthetic).unwrap(),
            sqlite.load_incidents(synthetic).unwrap(),
        );
        assert_eq!(&*a, &*b);
        assert_eq!(a.source_id_parts(), b.source_id_parts());
        assert_eq!(a.derived(), b.derived(), "cells and public ids");
        assert_eq!(
            store.load_observations(synthetic).unwrap(),
            sqlite.load_observations(synthetic).unwrap()
        );
    }
    assert!(store.load_incidents(true).unwrap().derived().is_some());
    assert_eq!(
        store.public_id_key().unwrap(),
        sqlite.public_id_key().unwrap()
    );
    for layer in [Layer::Districts, Layer::Incidents, Layer::Observations] {
        assert_eq!(store.count(layer).unwrap(), sqlite.count(layer).unwrap());
    }

    // What a GIS sees: real geometries in EPSG:4326, valid, on the stored coordinates, indexed.
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let row = c
        .query_one(
            "SELECT count(*), count(*) FILTER (WHERE ST_SRID(geom) = 4326 AND GeometryType(geom) = 'MULTIPOLYGON' AND ST_IsValid(geom)) FROM districts",
            &[],
        )
        .unwrap();
    assert_eq!(
        row.get::<_, i64>(0),
        row.get::<_, i64>(1),
        "every district a valid MultiPolygon in 4326"
    );
    let off: i64 = c
        .query_one(
            "SELECT count(*) FROM incidents WHERE ST_X(geom) <> lon OR ST_Y(geom) <> lat OR ST_SRID(geom) <> 4326",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(off, 0);
    // District 8 holds the incidents hotspot's own point-in-polygon finds there.
    let in_8: i64 = c
        .query_one(
            "SELECT count(*) FROM incidents i JOIN districts d ON ST_Intersects(d.geom, i.geom) WHERE d.id = 'district-8'",
            &[],
        )
        .unwrap()
        .get(0);
    let catalog = common::demo_catalog();
    let d8 = catalog.district("district-8").unwrap();
    let ours = catalog
        .query_incidents(
            &hotspot::index::PointFilter {
                within: Some(&d8.geometry),
                ..Default::default()
            },
            u16::MAX,
        )
        .len() as i64;
    assert_eq!(in_8, ours);
    let gist: Vec<String> = c
        .query(
            "SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%USING gist%' ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(gist, ["districts", "incidents", "observations", "reports"]);
    // New rows get ids after the copied ones.
    let next: i64 = c
        .query_one(
            "INSERT INTO audit(at, actor, role, action, collection, format, query, features)
             VALUES (0, 'test', 'admin', 'export', 'incidents', 'csv', '', 0) RETURNING id",
            &[],
        )
        .unwrap()
        .get(0);
    let max: i64 = c
        .query_one("SELECT max(id) FROM audit", &[])
        .unwrap()
        .get(0);
    assert_eq!(next, max);
    c.execute("DELETE FROM audit WHERE id = $1", &[&next])
        .unwrap();

    // GDAL, as QGIS and the police's GIS read it.
    common::system::require(&[common::system::Need::Gdal]);
    let port = url.rsplit(':').next().unwrap().split('/').next().unwrap();
    let info = Command::new("ogrinfo")
        .args(["-ro", "-so"])
        .arg(format!(
            "PG:host=127.0.0.1 port={port} user=postgres dbname=copied"
        ))
        .arg("incidents")
        .output()
        .expect("GDAL's ogrinfo (apt-get install gdal-bin; .ci/run does this)");
    let text = String::from_utf8_lossy(&info.stdout);
    let n_incidents = want.iter().find(|(t, _)| t == "incidents").unwrap().1;
    assert!(text.contains("Geometry: Point"), "{text}");
    assert!(
        text.contains(&format!("Feature Count: {n_incidents}")),
        "{text}"
    );
    assert!(
        text.contains("EPSG\",4326") || text.contains("ID[\"EPSG\",4326]"),
        "{text}"
    );

    // A second copy into the filled database is refused, naming why, and changes nothing.
    let again = hotspot()
        .args(["copy-store", "--to", &url, "--data-dir"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("already holds hotspot data"), "{err}");
    assert!(
        !err.contains("postgres://"),
        "the URL is not printed: {err}"
    );
    assert_eq!(pg_counts(&url), want);
}

#[test]
fn a_copy_that_fails_half_way_leaves_the_database_as_it_was() {
    let pg = common::pg::PgCluster::start();
    let url = pg.database("halfway");
    let dir = common::demo_data_dir();
    let store = PgStore::connect(&url).unwrap();
    let key = store.public_id_key().unwrap();
    // An empty import first leaves only settings and a change-log row: still copyable.
    let mut writer = PgStore::connect(&url).unwrap();
    use hotspot::store::LayerStore;
    assert_eq!(writer.insert_incidents(&[]).unwrap(), 0);
    // The database refuses incident 50,000 (after the districts and 49,999 incidents).
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    c.batch_execute(
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF NEW.id >= 50000 THEN RAISE EXCEPTION 'disk full'; END IF;
         RETURN NEW; END $$;
         CREATE TRIGGER refuse BEFORE INSERT ON incidents FOR EACH ROW EXECUTE FUNCTION refuse();",
    )
    .unwrap();
    let sqlite = Store::open(dir).unwrap();
    let err = copy_store(&sqlite, &store).unwrap_err().to_string();
    assert!(err.contains("disk full"), "{err}");
    for (table, n) in pg_counts(&url) {
        let before = match table.as_str() {
            "meta" => 2,
            "changes" => 1,
            _ => 0,
        };
        assert_eq!(n, before, "{table} after a failed copy");
    }
    assert_eq!(
        store.public_id_key().unwrap(),
        key,
        "the database's own secret stays"
    );
    // Mended, the same copy goes through.
    c.batch_execute("DROP TRIGGER refuse ON incidents").unwrap();
    copy_store(&sqlite, &store).unwrap();
    assert_eq!(pg_counts(&url), sqlite_counts(dir));
    assert_eq!(
        store.public_id_key().unwrap(),
        sqlite.public_id_key().unwrap()
    );
}

#[test]
fn replicas_starting_together_migrate_once() {
    let pg = common::pg::PgCluster::start();
    let url = pg.database("together");
    let keys: Vec<[u8; 32]> = std::thread::scope(|s| {
        let started: Vec<_> = (0..6)
            .map(|_| s.spawn(|| PgStore::connect(&url).map(|p| p.public_id_key().unwrap())))
            .collect();
        started
            .into_iter()
            .map(|h| h.join().unwrap().expect("every replica connects"))
            .collect()
    });
    assert!(keys.windows(2).all(|w| w[0] == w[1]), "one secret for all");
    let store = PgStore::connect(&url).unwrap();
    assert_eq!(
        store.schema_version().unwrap(),
        hotspot::store::postgres::schema::MIGRATIONS.len() as i64
    );
    // A database from a newer hotspot is refused, not downgraded.
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    c.execute("UPDATE hotspot_schema SET version = version + 1", &[])
        .unwrap();
    let err = PgStore::connect(&url).err().expect("refused").to_string();
    assert!(err.contains("newer than this binary"), "{err}");
    // `--help` does not show a URL given in the environment (an attack found it did).
    for (var, command) in [
        ("HOTSPOT_TO", "copy-store"),
        ("HOTSPOT_DATABASE_URL", "import"),
    ] {
        let out = hotspot()
            .args([command, "--help"])
            .env(var, "postgres://hotspot:s3cret@127.0.0.1:1/none")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(var) && !text.contains("s3cret"), "{text}");
    }
    // Unreachable: a clear error, without the password.
    let err = PgStore::connect("postgres://hotspot:s3cret@127.0.0.1:1/none")
        .err()
        .expect("no server")
        .to_string();
    assert!(
        err.starts_with("PostgreSQL:") && !err.contains("s3cret"),
        "{err}"
    );
}

#[test]
fn replicas_starting_together_on_an_empty_database_make_the_demo_once() {
    let pg = common::pg::PgCluster::start();
    let url = pg.database("demo_together");
    let dir = common::temp_dir("demo-together");
    let config = hotspot::config::Config {
        data_dir: dir.clone(),
        database_url: Some(hotspot::store::DatabaseUrl::new(&url).unwrap()),
        demo: true,
        ..hotspot::config::Config::default()
    };
    let reports: Vec<hotspot::app::StartReport> = std::thread::scope(|s| {
        let started: Vec<_> = (0..3)
            .map(|_| s.spawn(|| hotspot::app::open(&config).map(|(_, _, r)| r)))
            .collect();
        started
            .into_iter()
            .map(|h| h.join().unwrap().expect("every replica starts"))
            .collect()
    });
    let store = PgStore::connect(&url).unwrap();
    let incidents = store.count(Layer::Incidents).unwrap();
    assert!(incidents > 10_000, "{incidents}");
    // Each incident and observation once, whoever generated them.
    assert_eq!(
        reports.iter().map(|r| r.demo_incidents as i64).sum::<i64>(),
        incidents
    );
    assert_eq!(
        reports
            .iter()
            .map(|r| r.demo_observations as i64)
            .sum::<i64>(),
        store.count(Layer::Observations).unwrap()
    );
    // The demo initiatives once, not once per replica.
    use hotspot::store::PlanningStore;
    assert_eq!(
        store.initiatives().unwrap().len(),
        hotspot::demo::initiatives::initiatives().len()
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Runs the real binary; its exit status, standard output and error.
fn run(args: &[&str]) -> (bool, String, String) {
    let out = hotspot().args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn imports_into_postgres_store_what_imports_into_sqlite_store() {
    let pg = common::pg::PgCluster::start();
    let url = pg.database("imports");
    let dir = common::temp_dir("pg-imports");
    let sqlite_dir = dir.join("var");
    let sqlite_dir = sqlite_dir.to_str().unwrap();
    // 3,000 incidents round Nørrebro, one source id twice (the second is a duplicate).
    let csv = dir.join("incidents.csv");
    let mut text = String::from("lon,lat,category,occurred_at,source_id\n");
    let cats = ["violence", "theft", "vandalism", "drugs", "robbery"];
    for k in 0..3000 {
        let id = if k == 2999 { 17 } else { k };
        text.push_str(&format!(
            "{:.6},{:.6},{},2012-{:02}-{:02}T{:02}:{:02}:00Z,n-{id}\n",
            12.53 + (k * 37 % 400) as f64 * 1e-4,
            55.68 + (k * 91 % 300) as f64 * 1e-4,
            cats[k % 5],
            k % 12 + 1,
            k % 28 + 1,
            k % 24,
            k % 60
        ));
    }
    std::fs::write(&csv, text).unwrap();
    let csv = csv.to_str().unwrap();
    let import = |target: &[&str], file: &str| {
        let mut args = vec![
            "import",
            "incidents",
            file,
            "--lon",
            "lon",
            "--lat",
            "lat",
            "--category",
            "category",
            "--datetime",
            "occurred_at",
            "--id",
            "source_id",
            "--source",
            "test",
        ];
        args.extend(target);
        run(&args)
    };
    let to_pg = ["--database-url", url.as_str(), "--data-dir", sqlite_dir];
    let (ok, out, err) = import(&to_pg, csv);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("2999") && !out.contains("postgres://"),
        "{out}"
    );
    let (ok, out2, err) = import(&["--data-dir", sqlite_dir], csv);
    assert!(ok, "{out2}{err}");
    // The first load went straight into the empty table; its indexes were made again after.
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let indexes: Vec<String> = c
        .query(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'incidents' ORDER BY indexname",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        indexes,
        [
            "incidents_geom",
            "incidents_pkey",
            "incidents_source_source_id_key"
        ]
    );

    let store = PgStore::connect(&url).unwrap();
    let sqlite = Store::open(std::path::Path::new(sqlite_dir)).unwrap();
    let (a, b) = (
        store.load_incidents(true).unwrap(),
        sqlite.load_incidents(true).unwrap(),
    );
    assert_eq!(a.len(), 2999);
    assert_eq!(&*a, &*b, "the same ids (in file order), fields and sources");
    assert_eq!(a.source_id_parts(), b.source_id_parts());
    let ((pg_cells, pg_ids), (sq_cells, _)) = (a.derived().unwrap(), b.derived().unwrap());
    assert_eq!(pg_cells, sq_cells, "anchor cells");
    let key = store.public_id_key().unwrap();
    for (i, &public) in a.iter().zip(pg_ids) {
        assert_eq!(public, hotspot::privacy::public_id(&key, i.id, 0));
    }

    // Again: nothing new (idempotent by source and source id).
    let (ok, out, err) = import(&to_pg, csv);
    assert!(ok, "{out}{err}");
    assert_eq!(store.count(Layer::Incidents).unwrap(), 2999);
    // A file with one refused row: nothing from it, and the store says so.
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "lon,lat,category,occurred_at,source_id\n12.55,55.69,theft,2012-01-01T00:00:00Z,x-1\n12.55,155.69,theft,2012-01-01T00:00:00Z,x-2\n",
    )
    .unwrap();
    let (ok, _, err) = import(&to_pg, bad.to_str().unwrap());
    assert!(!ok && err.contains("nothing was imported"), "{err}");
    assert_eq!(store.count(Layer::Incidents).unwrap(), 2999);

    // Observations: the demo's, exported as GeoJSON and imported into both.
    let demo = common::demo_data_dir().to_str().unwrap().to_owned();
    let obs = dir.join("obs.geojson");
    let (ok, _, err) = run(&[
        "export",
        "observations",
        "--format",
        "geojson",
        "--out",
        obs.to_str().unwrap(),
        "--data-dir",
        &demo,
    ]);
    assert!(ok, "{err}");
    for target in [&to_pg[..], &["--data-dir", sqlite_dir][..]] {
        let mut args = vec!["import", "observations", obs.to_str().unwrap()];
        args.extend(target);
        let (ok, out, err) = run(&args);
        assert!(ok, "{out}{err}");
    }
    let pg_obs = store.load_observations(true).unwrap();
    assert_eq!(pg_obs.len(), 320);
    assert_eq!(pg_obs, sqlite.load_observations(true).unwrap());

    // Districts: upserted, read back equal, valid PostGIS geometries.
    let districts = Store::open(common::demo_data_dir())
        .unwrap()
        .load_districts()
        .unwrap();
    let mut writer = PgStore::connect(&url).unwrap();
    assert_eq!(
        writer.upsert_districts(&districts, "test").unwrap(),
        districts.len()
    );
    assert_eq!(
        writer.upsert_districts(&districts, "test").unwrap(),
        districts.len()
    );
    assert_eq!(store.load_districts().unwrap(), districts);
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let invalid: i64 = c
        .query_one(
            "SELECT count(*) FROM districts WHERE NOT ST_IsValid(geom)",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(invalid, 0);
    // Every write is one step of the layers' generation and one row of the change log.
    let (generation, logged): (String, i64) = {
        let r = c
            .query_one(
                "SELECT (SELECT value FROM meta WHERE key = 'generation'),
                        (SELECT count(*) FROM changes WHERE kind = 'layers')",
                &[],
            )
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert_eq!(generation.parse::<i64>().unwrap(), logged);
    assert!(logged >= 5, "{logged}");
}

#[test]
fn tokens_and_the_audit_log_live_in_postgres_and_log_their_changes() {
    use hotspot::store::{AuditEntry, AuditStore, TokenStore};
    let pg = common::pg::PgCluster::start();
    let url = pg.database("access");
    let store = PgStore::connect(&url).unwrap();
    let t = hotspot::auth::new_token().unwrap();
    let a = store
        .create_token("liaison", "police", &t.salt, &t.hash, 10)
        .unwrap();
    let b = store
        .create_token("planner", "planner", "s", "h", 11)
        .unwrap();
    assert!(b > a);
    let tokens = store.tokens().unwrap();
    assert_eq!(
        tokens.iter().map(|t| t.id).collect::<Vec<_>>(),
        [b, a],
        "newest first"
    );
    assert_eq!(
        (tokens[1].salt.as_str(), tokens[1].hash.as_str()),
        (t.salt.as_str(), t.hash.as_str())
    );
    assert!(store.revoke_token(a, 20).unwrap());
    assert!(!store.revoke_token(a, 21).unwrap(), "revoked once");
    assert!(!store.revoke_token(999, 21).unwrap(), "no such token");
    assert_eq!(store.tokens().unwrap()[1].revoked_at, Some(20));
    // Each creation and the one revocation is a `tokens` row of the change log, in order.
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let keys: Vec<Option<i64>> = c
        .query(
            "SELECT key FROM changes WHERE kind = 'tokens' ORDER BY seq",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(keys, [Some(a), Some(b), Some(a)]);
    // No secret is stored: the token text appears nowhere in the table.
    let text = hotspot::auth::token_text(a, &t.secret);
    let found: i64 = c
        .query_one(
            "SELECT count(*) FROM tokens WHERE position($1 IN name || salt || hash) > 0 OR position($2 IN name || salt || hash) > 0",
            &[&text, &t.secret],
        )
        .unwrap()
        .get(0);
    assert_eq!(found, 0);

    let entry = |n: i64| AuditEntry {
        id: 0,
        at: 100 + n,
        actor: format!("token {a} (liaison, police)"),
        role: "police".into(),
        action: "export".into(),
        collection: "incidents".into(),
        format: "geojson".into(),
        query: format!("district=district-{n}"),
        features: n * 10,
    };
    let ids: Vec<i64> = (1..=5)
        .map(|n| store.record_audit(&entry(n)).unwrap())
        .collect();
    let (page, total) = store.audit(2, 1).unwrap();
    assert_eq!(total, 5);
    assert_eq!(
        page.iter().map(|e| e.id).collect::<Vec<_>>(),
        [ids[3], ids[2]],
        "newest first, offset 1"
    );
    assert_eq!(
        page[0],
        AuditEntry {
            id: ids[3],
            ..entry(4)
        }
    );
}
