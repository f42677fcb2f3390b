//! Three `hotspot serve` replicas over one PostgreSQL + PostGIS database, behind HAProxy with the
//! repository's own configuration (deploy/haproxy.cfg, ports changed): what one replica takes in
//! is visible through the others within a second; reports acknowledged while a replica is
//! killed with SIGKILL and restarted are all stored and read through every replica; a rolling
//! restart under load fails no request. The real binary, the real database, the real proxy.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::system::{require, Need};

const BIN: &str = env!("CARGO_BIN_EXE_hotspot");

/// The longest a change may take to show through another replica.
const WITHIN: Duration = Duration::from_secs(1);

/// A replica: the real binary on its own port, over the shared database.
struct Replica {
    child: Option<Child>,
    port: u16,
    data: PathBuf,
    url: String,
}

impl Replica {
    fn start(database: &str, data: &Path, port: u16) -> Replica {
        let mut r = Replica {
            child: None,
            port,
            data: data.to_owned(),
            url: database.to_owned(),
        };
        r.spawn();
        r
    }

    fn spawn(&mut self) {
        self.spawn_with_limit(0);
    }

    /// Starts it with `limit` reports per client per 10 minutes (0 = none).
    fn spawn_with_limit(&mut self, limit: usize) {
        let child = Command::new(BIN)
            .args([
                "serve",
                "--no-demo",
                "--report-limit",
                &limit.to_string(),
                "--listen",
                &format!("127.0.0.1:{}", self.port),
                "--data-dir",
            ])
            .arg(&self.data)
            .env("HOTSPOT_DATABASE_URL", &self.url)
            // The secret every replica is given alike, to count each client's reports together.
            .env(
                "HOTSPOT_RATE_LIMIT_SECRET",
                "the replicas' shared test secret",
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while common::http("GET", &format!("{}/api/health", self.base()), &[], b"")
            .is_none_or(|(s, _)| s != 200)
        {
            assert!(
                Instant::now() < deadline,
                "replica {} did not start",
                self.port
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn kill_9(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    /// SIGTERM, and waits for the graceful stop (requests in flight are answered).
    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let ok = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status()
                .unwrap();
            assert!(ok.success());
            c.wait().unwrap();
        }
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill_9();
    }
}

/// HAProxy with deploy/haproxy.cfg, its ports and socket path changed.
struct Proxy {
    child: Child,
    base: String,
}

impl Proxy {
    fn start(dir: &Path, replicas: &[&Replica]) -> Proxy {
        let shipped = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/haproxy.cfg"),
        )
        .unwrap();
        let port = common::free_port();
        let mut cfg = shipped
            .replace("bind :8080", &format!("bind 127.0.0.1:{port}"))
            .replace(
                "/run/haproxy/hotspot.sock",
                dir.join("haproxy.sock").to_str().unwrap(),
            );
        for (n, r) in replicas.iter().enumerate() {
            let shipped_server = format!("127.0.0.1:{}", 8081 + n);
            assert!(
                cfg.contains(&shipped_server),
                "the shipped config names {shipped_server}"
            );
            cfg = cfg.replace(&shipped_server, &format!("127.0.0.1:{}", r.port));
        }
        let path = dir.join("haproxy.cfg");
        std::fs::write(&path, cfg).unwrap();
        let log = std::fs::File::create(dir.join("haproxy.log")).unwrap();
        let child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while common::http("GET", &format!("{base}/api/health"), &[], b"")
            .is_none_or(|(s, _)| s != 200)
        {
            assert!(Instant::now() < deadline, "HAProxy did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Proxy { child, base }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn cli(database: &str, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .env("HOTSPOT_DATABASE_URL", database)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn get(url: &str, token: Option<&str>) -> (u16, serde_json::Value) {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth
        .as_deref()
        .map(|a| vec![("Authorization", a)])
        .unwrap_or_default();
    match common::http("GET", url, &headers, b"") {
        Some((status, body)) => (
            status,
            serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
        ),
        None => (0, serde_json::Value::Null),
    }
}

/// Posts a report with idempotency key `key` to `base`; its id when acknowledged (201).
fn post_report(base: &str, key: &str) -> Result<String, String> {
    let form =
        format!("service_code=dark_place&lat=55.6872&long=12.5531&description=M%C3%B8rk+sti+{key}");
    match common::http(
        "POST",
        &format!("{base}/open311/v2/requests.json"),
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Idempotency-Key", key),
        ],
        form.as_bytes(),
    ) {
        Some((201, body)) => {
            let v: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
            Ok(v[0]["service_request_id"].as_str().unwrap().to_owned())
        }
        Some((status, body)) => Err(format!("{status} {body}")),
        None => Err("no answer".into()),
    }
}

/// Every report id the queue of `base` lists (planner).
fn stored_ids(base: &str, planner: &str) -> std::collections::HashSet<String> {
    planner_view(base, planner).into_keys().collect()
}

/// Waits until `seen()` holds, at most [`WITHIN`] after `since`; returns how long it took.
fn within(since: Instant, what: &str, mut seen: impl FnMut() -> bool) -> Duration {
    loop {
        if seen() {
            return since.elapsed();
        }
        assert!(
            since.elapsed() < WITHIN,
            "{what} was not visible through every replica within {WITHIN:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// What a client posted: (key, id) of every acknowledged report, and the failures.
type Posted = (Vec<(String, String)>, Vec<String>);

/// Clients posting reports through `base` until `stop`: the (key, id) of every acknowledged
/// one, and the failures.
fn load(
    base: &str,
    clients: usize,
    tag: &str,
    stop: &Arc<AtomicBool>,
) -> Vec<std::thread::JoinHandle<Posted>> {
    (0..clients)
        .map(|c| {
            let (base, stop, tag) = (base.to_owned(), stop.clone(), tag.to_owned());
            std::thread::spawn(move || {
                let (mut acked, mut failed) = (Vec::new(), Vec::new());
                for n in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let key = format!("{tag}-client-{c:02}-report-{n:06}");
                    match post_report(&base, &key) {
                        Ok(id) => acked.push((key, id)),
                        Err(e) => failed.push(format!("{key}: {e}")),
                    }
                }
                (acked, failed)
            })
        })
        .collect()
}

#[test]
fn three_replicas_behind_haproxy_lose_nothing_and_follow_each_other() {
    require(&[Need::PostGis, Need::Haproxy]);
    let cluster = common::pg::PgCluster::start();
    let db = cluster.database("replicas");
    let dir = common::temp_dir("replicas");
    let police = cli(&db, &["token", "create", "--role", "police", "--name", "p"]);
    let planner = cli(
        &db,
        &["token", "create", "--role", "planner", "--name", "s"],
    );
    let mut replicas: Vec<Replica> = (0..3)
        .map(|n| {
            let data = dir.join(format!("r{n}"));
            std::fs::create_dir_all(&data).unwrap();
            Replica::start(&db, &data, common::free_port())
        })
        .collect();
    let proxy = Proxy::start(&dir, &replicas.iter().collect::<Vec<_>>());
    let bases: Vec<String> = replicas.iter().map(Replica::base).collect();

    // 1. What one replica takes in, the others show within a second.
    let sent = Instant::now();
    let id = post_report(&bases[0], "first-report-through-replica-0").unwrap();
    let took = within(sent, "a report sent through replica 0", || {
        bases[1..]
            .iter()
            .all(|b| stored_ids(b, &planner).contains(&id))
    });
    eprintln!("report through replica 0 seen through 1 and 2 after {took:?}");

    let features: Vec<serde_json::Value> = (0..3)
        .map(|i| serde_json::json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [12.552 + i as f64 * 1e-4, 55.687]},
            "properties": {"category": "theft", "occurred_at": "2014-02-03T12:00:00Z", "source_id": format!("rep-{i}")}
        }))
        .collect();
    let batch = serde_json::json!({"type": "FeatureCollection", "features": features}).to_string();
    let sent = Instant::now();
    let (status, body) = common::http(
        "POST",
        &format!("{}/api/collections/incidents/items", bases[1]),
        &[
            ("Authorization", &format!("Bearer {police}")),
            ("Content-Type", "application/geo+json"),
        ],
        batch.as_bytes(),
    )
    .unwrap();
    assert!((200..300).contains(&status), "{status} {body}");
    let took = within(sent, "an import through replica 1", || {
        [&bases[0], &bases[2]].iter().all(|b| {
            let (s, page) = get(
                &format!("{b}/api/collections/incidents/items?limit=10"),
                Some(&police),
            );
            s == 200 && page["numberMatched"] == 3
        })
    });
    eprintln!("import through replica 1 seen through 0 and 2 after {took:?}");
    // One observation through replica 2: the others take it beside the incidents they hold.
    let obs = serde_json::json!({"type": "FeatureCollection", "features": [{
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [12.553, 55.687]},
        "properties": {"kind": "lighting", "rating": 2, "note": "lampen er gaaet ud",
                       "observed_at": "2024-01-05T20:00:00Z", "source_id": "rep-obs-1"}
    }]})
    .to_string();
    let sent = Instant::now();
    let (status, body) = common::http(
        "POST",
        &format!("{}/api/collections/observations/items", bases[2]),
        &[
            ("Authorization", &format!("Bearer {police}")),
            ("Content-Type", "application/geo+json"),
        ],
        obs.as_bytes(),
    )
    .unwrap();
    assert!((200..300).contains(&status), "{status} {body}");
    let took = within(sent, "an observation through replica 2", || {
        bases[..2].iter().all(|b| {
            let (s, page) = get(
                &format!("{b}/api/collections/observations/items?limit=10"),
                Some(&police),
            );
            s == 200 && page["numberMatched"] == 1
        })
    });
    eprintln!("observation through replica 2 seen through 0 and 1 after {took:?}");
    // The data version is the data's: every replica names the same one, whether it loaded the
    // layers whole or took the observation beside them.
    let versions: Vec<serde_json::Value> = bases
        .iter()
        .map(|b| get(&format!("{b}/api/health"), None).1["data_version"].clone())
        .collect();
    assert!(versions.windows(2).all(|w| w[0] == w[1]), "{versions:?}");

    // 2. Sixteen clients post through HAProxy for 10 s; replica 1 is killed with SIGKILL
    // after 3 s and started again 1 s later.
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let clients = load(&proxy.base, 16, "kill", &stop);
    std::thread::sleep(Duration::from_secs(3));
    replicas[1].kill_9();
    std::thread::sleep(Duration::from_secs(1));
    replicas[1].spawn();
    std::thread::sleep(Duration::from_secs(10).saturating_sub(started.elapsed()));
    stop.store(true, Ordering::Relaxed);
    let (mut acked, mut failed) = (Vec::new(), Vec::new());
    for c in clients {
        let (a, f) = c.join().unwrap();
        acked.extend(a);
        failed.extend(f);
    }
    eprintln!(
        "{} reports acknowledged in {:?} through HAProxy ({}/s) while a replica was killed; {} failed",
        acked.len(),
        started.elapsed(),
        acked.len() as f64 / started.elapsed().as_secs_f64(),
        failed.len()
    );
    for f in failed.iter().take(3) {
        eprintln!(
            "failed while a replica was killed: {}",
            f.lines().next().unwrap_or("")
        );
    }
    assert!(acked.len() > 100, "too few reports to tell anything");
    // Every acknowledged report is read through every replica (those acknowledged in the last
    // moments reach the others within the second the contract allows).
    let ended = Instant::now();
    for (n, b) in bases.iter().enumerate() {
        let missing = loop {
            let ids = stored_ids(b, &planner);
            let missing: Vec<_> = acked.iter().filter(|(_, id)| !ids.contains(id)).collect();
            if missing.is_empty() || ended.elapsed() > WITHIN {
                break missing;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(
            missing.is_empty(),
            "replica {n} lacks {} acknowledged reports, e.g. {:?}",
            missing.len(),
            missing.first()
        );
    }
    // Each key named one report: replays (a retried POST) answered the stored one.
    let distinct: std::collections::HashSet<&String> = acked.iter().map(|(_, id)| id).collect();
    assert_eq!(distinct.len(), acked.len(), "two keys answered one report");
    // HAProxy sent every keyed report whose replica died on to another one.
    assert!(failed.is_empty(), "{:?}", &failed[..failed.len().min(5)]);
    // A key sent again (a client's own retry) answers the report it named.
    for (key, id) in acked.iter().step_by(500) {
        assert_eq!(&post_report(&proxy.base, key).unwrap(), id);
    }

    // 3. A rolling restart under load (SIGTERM, restart, next) fails no request.
    let stop = Arc::new(AtomicBool::new(false));
    let reads_failed = Arc::new(Mutex::new(Vec::<String>::new()));
    let reads_done = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (base, stop, failed, done, police) = (
                proxy.base.clone(),
                stop.clone(),
                reads_failed.clone(),
                reads_done.clone(),
                police.clone(),
            );
            std::thread::spawn(move || {
                let paths = [
                    "/api/health",
                    "/api/collections/incidents/items?limit=5",
                    "/api/collections/districts/items?limit=2",
                    "/tiles/incidents/14/8962/5131.mvt",
                ];
                for n in 0usize.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let path = paths[n % paths.len()];
                    let (s, _) = get(&format!("{base}{path}"), Some(&police));
                    if !(200..300).contains(&s) {
                        failed.lock().unwrap().push(format!("GET {path}: {s}"));
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let writers = load(&proxy.base, 8, "rolling", &stop);
    for r in replicas.iter_mut() {
        std::thread::sleep(Duration::from_millis(500));
        r.stop();
        r.spawn();
        // HAProxy takes it back after two good health checks (2 × 500 ms).
        std::thread::sleep(Duration::from_millis(1500));
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().unwrap();
    }
    let (mut posted, mut post_failed) = (0, Vec::new());
    for w in writers {
        let (a, f) = w.join().unwrap();
        posted += a.len();
        post_failed.extend(f);
    }
    let reads_failed = reads_failed.lock().unwrap();
    eprintln!(
        "rolling restart: {} reads and {posted} reports, {} and {} failed",
        reads_done.load(Ordering::Relaxed),
        reads_failed.len(),
        post_failed.len()
    );
    if !(reads_failed.is_empty() && post_failed.is_empty()) {
        let log = std::fs::read_to_string(dir.join("haproxy.log")).unwrap_or_default();
        for line in log
            .lines()
            .filter(|l| !l.contains(" 200 ") && !l.contains(" 201 "))
            .take(20)
        {
            eprintln!("haproxy: {line}");
        }
    }
    assert!(
        reads_failed.is_empty(),
        "{:?}",
        &reads_failed[..reads_failed.len().min(5)]
    );
    assert!(
        post_failed.is_empty(),
        "{:?}",
        &post_failed[..post_failed.len().min(5)]
    );
    assert!(posted > 0 && reads_done.load(Ordering::Relaxed) > 0);

    // 4. A token revoked from the command line is refused by every replica within a second.
    let token_id = planner.split('_').nth(1).unwrap().to_owned();
    let sent = Instant::now();
    cli(&db, &["token", "revoke", &token_id]);
    let took = within(sent, "a token revocation", || {
        bases
            .iter()
            .all(|b| get(&format!("{b}/api/reports"), Some(&planner)).0 == 401)
    });
    eprintln!("revocation seen through every replica after {took:?}");
    drop(proxy);
    drop(replicas);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_rate_limits_hold_across_replicas() {
    require(&[Need::PostGis]);
    let cluster = common::pg::PgCluster::start();
    let db = cluster.database("limits");
    let dir = common::temp_dir("replica-limits");
    let planner = cli(
        &db,
        &["token", "create", "--role", "planner", "--name", "s"],
    );
    let replicas: Vec<Replica> = (0..2)
        .map(|n| {
            let data = dir.join(format!("r{n}"));
            std::fs::create_dir_all(&data).unwrap();
            let mut r = Replica {
                child: None,
                port: common::free_port(),
                data,
                url: db.clone(),
            };
            r.spawn_with_limit(5);
            r
        })
        .collect();
    let (a, b) = (replicas[0].base(), replicas[1].base());
    // Five reports from one client, alternating replicas, then a sixth on either is refused:
    // two replicas allow what one would, not twice that.
    let mut ids = Vec::new();
    for n in 0..5 {
        let base = if n % 2 == 0 { &a } else { &b };
        ids.push(post_report(base, &format!("limit-test-report-{n:04}")).unwrap());
    }
    for base in [&a, &b] {
        let refused = post_report(base, "limit-test-report-0099").unwrap_err();
        assert!(refused.starts_with("429"), "{refused}");
        assert!(refused.contains("rate_limit"), "{refused}");
    }
    // The database keeps digests of the client, never its address.
    let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    let hits: i64 = c
        .query_one("SELECT count(*) FROM limit_hits", &[])
        .unwrap()
        .get(0);
    assert!(hits >= 5, "{hits} hits stored");
    let text: String = c
        .query_one(
            "SELECT coalesce(string_agg(encode(key, 'escape'), ''), '') FROM limit_hits",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(!text.contains("127.0.0.1"), "an address is stored");
    // Nor anything a copy of the database could try addresses against: no salt is stored.
    let tables: Vec<String> = c
        .query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_name LIKE 'limit%'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        tables
            .iter()
            .all(|t| t == "limit_hits" || t == "limit_once"),
        "{tables:?}"
    );
    // One "me too" per client and report, whichever replica it goes to. (Published first;
    // a "me too" counts towards the report limit too, so from a fresh database it is not.)
    let id = &ids[0];
    let (status, body) = common::http(
        "POST",
        &format!("{a}/api/reports/{id}/moderation"),
        &[
            ("Authorization", &format!("Bearer {planner}")),
            ("Content-Type", "application/json"),
        ],
        br#"{"action": "publish"}"#,
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    c.batch_execute("DELETE FROM limit_hits").unwrap();
    let me_too = |base: &str| {
        let (s, body) = common::http(
            "POST",
            &format!("{base}/open311/v2/requests/{id}/me_too.json"),
            &[],
            b"",
        )
        .unwrap();
        assert_eq!(s, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v[0]["counted"].as_bool().unwrap()
    };
    let deadline = Instant::now() + WITHIN;
    while get(&format!("{b}/open311/v2/requests/{id}.json"), None).0 != 200 {
        assert!(Instant::now() < deadline, "publication not seen through B");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(me_too(&a), "the first \"me too\" counts");
    assert!(!me_too(&b), "a second one through another replica does not");
    drop(replicas);
    let _ = std::fs::remove_dir_all(dir);
}

/// A throwaway cluster with database `name`, a planner's token, and two replicas over it, each
/// with a data directory of its own under a temporary directory (returned to be removed).
fn two_replicas(name: &str) -> (common::pg::PgCluster, String, PathBuf, String, Vec<Replica>) {
    let cluster = common::pg::PgCluster::start();
    let db = cluster.database(name);
    let dir = common::temp_dir(&format!("replica-{name}"));
    let planner = cli(
        &db,
        &["token", "create", "--role", "planner", "--name", "s"],
    );
    let replicas = (0..2)
        .map(|n| {
            let data = dir.join(format!("r{n}"));
            std::fs::create_dir_all(&data).unwrap();
            Replica::start(&db, &data, common::free_port())
        })
        .collect();
    (cluster, db, dir, planner, replicas)
}

/// Sends `body` as a planner's moderation of report `id` through `base`.
fn moderate(base: &str, planner: &str, id: &str, body: &str) -> (u16, String) {
    common::http(
        "POST",
        &format!("{base}/api/reports/{id}/moderation"),
        &[
            ("Authorization", &format!("Bearer {planner}")),
            ("Content-Type", "application/json"),
        ],
        body.as_bytes(),
    )
    .unwrap_or((0, String::new()))
}

/// Two moderations of the same report(s) through two replicas at the same moment.
fn at_once(a: (&str, &str, &str), b: (&str, &str, &str), planner: &str) -> [(u16, String); 2] {
    let barrier = Arc::new(std::sync::Barrier::new(2));
    let run = |(base, id, body): (&str, &str, &str)| {
        let (base, id, body, planner, barrier) = (
            base.to_owned(),
            id.to_owned(),
            body.to_owned(),
            planner.to_owned(),
            barrier.clone(),
        );
        std::thread::spawn(move || {
            barrier.wait();
            moderate(&base, &planner, &id, &body)
        })
    };
    let (x, y) = (run(a), run(b));
    [x.join().unwrap(), y.join().unwrap()]
}

#[test]
fn moderators_racing_through_two_replicas_never_undo_a_rejection() {
    require(&[Need::PostGis]);
    let (_cluster, db, dir, planner, replicas) = two_replicas("moderation");
    let (a, b) = (replicas[0].base(), replicas[1].base());
    let publish = |id: &str| {
        let (s, body) = moderate(&a, &planner, id, r#"{"action": "publish"}"#);
        assert_eq!(s, 200, "{body}");
        let deadline = Instant::now() + WITHIN;
        while get(&format!("{b}/open311/v2/requests/{id}.json"), None).0 != 200 {
            assert!(Instant::now() < deadline, "publication not seen through B");
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    for round in 0..8 {
        // A rejection through A and a status (or a publication) through B at once: whatever
        // the order, a rejection that was answered 200 leaves the report unpublished; the
        // action that lost the race is refused (409, or 400 when the report's state forbids
        // it), never applied to the report as it was.
        let id = post_report(&a, &format!("moderation-race-{round:04}")).unwrap();
        let rival = if round % 2 == 0 {
            publish(&id);
            r#"{"action": "set_status", "status": "in_progress", "status_note": "on it"}"#
        } else {
            let deadline = Instant::now() + WITHIN;
            while !stored_ids(&b, &planner).contains(&id) {
                assert!(Instant::now() < deadline, "the report not seen through B");
                std::thread::sleep(Duration::from_millis(10));
            }
            r#"{"action": "publish"}"#
        };
        let [reject, other] = at_once(
            (
                &a,
                &id,
                r#"{"action": "reject", "reason": "names a private person"}"#,
            ),
            (&b, &id, rival),
            &planner,
        );
        assert!([200, 409].contains(&reject.0), "{reject:?}");
        assert!([200, 400, 409].contains(&other.0), "{other:?}");
        assert!(reject.0 == 200 || other.0 == 200, "one of them is applied");
        std::thread::sleep(WITHIN);
        // Published exactly when the last action written says so (both may be written, one
        // after the other, when the second was decided on the first's outcome).
        let (_, log) = get(&format!("{a}/api/reports/{id}/moderation"), Some(&planner));
        let last = log["actions"].as_array().unwrap().last().unwrap().clone();
        let rejected = last["action"] == "reject";
        if reject.0 == 200 && other.0 != 200 {
            assert!(rejected, "round {round}: {log}");
        }
        for base in [&a, &b] {
            let (s, body) = get(&format!("{base}/open311/v2/requests/{id}.json"), None);
            assert_eq!(
                s == 200,
                !rejected,
                "round {round}: public answer {s} after {last}: {body}"
            );
        }
        // Two reports marked duplicates of each other at once: one at most succeeds.
        let r1 = post_report(&a, &format!("duplicate-race-a-{round:04}")).unwrap();
        let r2 = post_report(&a, &format!("duplicate-race-b-{round:04}")).unwrap();
        publish(&r1);
        publish(&r2);
        let [x, y] = at_once(
            (
                &a,
                &r1,
                &format!(r#"{{"action": "mark_duplicate", "duplicate_of": "{r2}"}}"#),
            ),
            (
                &b,
                &r2,
                &format!(r#"{{"action": "mark_duplicate", "duplicate_of": "{r1}"}}"#),
            ),
            &planner,
        );
        for answer in [&x, &y] {
            assert!(
                [200, 400, 409].contains(&answer.0),
                "round {round}: {answer:?}"
            );
        }
        assert!(
            !(x.0 == 200 && y.0 == 200),
            "round {round}: two reports made duplicates of each other"
        );
    }
    let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    let cycles: i64 = c
        .query_one(
            "SELECT count(*) FROM reports a JOIN reports b ON a.duplicate_of = b.id AND b.duplicate_of = a.id",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(cycles, 0);
    drop(replicas);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_replica_makes_lost_database_connections_again() {
    let cluster = common::pg::PgCluster::start();
    let db = cluster.database("reconnect");
    let dir = common::temp_dir("replica-reconnect");
    let planner = cli(
        &db,
        &["token", "create", "--role", "planner", "--name", "s"],
    );
    let admin = cli(&db, &["token", "create", "--role", "admin", "--name", "a"]);
    let data = dir.join("r");
    std::fs::create_dir_all(&data).unwrap();
    // With a rate limit: its connection must come back too.
    let mut replica = Replica {
        child: None,
        port: common::free_port(),
        data,
        url: db.clone(),
    };
    replica.spawn_with_limit(5);
    let base = replica.base();
    assert_eq!(get(&format!("{base}/api/reports"), Some(&planner)).0, 200);
    // A database restart, a failover or a cut idle connection: every connection the replica
    // holds is ended by the server.
    let end_all = || -> i64 {
        let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
        c.query_one(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = 'reconnect' AND pid <> pg_backend_pid()) t",
            &[],
        )
        .unwrap()
        .get(0)
    };
    let ended = end_all();
    assert!(ended >= 5, "{ended} connections ended");
    std::thread::sleep(Duration::from_millis(300));
    // The first request on each connection after the cut is answered, not 500: a connection
    // idle for a while is checked before it is used, and made again.
    let bearer = format!("Bearer {admin}");
    let auth = [("Authorization", bearer.as_str())];
    let (status, body) =
        common::http("GET", &format!("{base}/api/audit?limit=1"), &auth, b"").unwrap();
    assert_eq!(status, 200, "{body}");
    let walk = br#"{"title":"Tryghedsvandring","date":"2026-11-30","participants":["resident"]}"#;
    let json = [
        ("Authorization", bearer.as_str()),
        ("Content-Type", "application/json"),
    ];
    let (status, body) = common::http("POST", &format!("{base}/api/walks"), &json, walk).unwrap();
    assert_eq!(status, 201, "{body}");
    // The first report is stored at once, neither refused by the rate limit's dead connection
    // nor failed by the writer's.
    end_all();
    std::thread::sleep(Duration::from_millis(300));
    let id = post_report(&base, "after-the-cut-report-0001");
    assert!(id.is_ok(), "{id:?}");
    // A token revoked afterwards is refused by the replica within a second: it made its
    // connections again instead of going on with dead ones.
    end_all();
    let token_id = planner.split('_').nth(1).unwrap().to_owned();
    let sent = Instant::now();
    cli(&db, &["token", "revoke", &token_id]);
    let took = within(sent, "a revocation after the connections were cut", || {
        get(&format!("{base}/api/reports"), Some(&planner)).0 == 401
    });
    eprintln!("revocation seen after the connections were cut, after {took:?}");
    let (status, health) = get(&format!("{base}/api/health"), None);
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["status"], "ok");
    drop(replica);
    let _ = std::fs::remove_dir_all(dir);
}

/// A TCP relay to the database that can be made to hold every byte while keeping its sockets
/// open: a network partition, or a database that hangs, as a replica sees them (no reset, no
/// error; its queries simply get no answer).
struct Partition {
    port: u16,
    held: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Partition {
    fn to(upstream: u16) -> Partition {
        use std::io::{Read, Write};
        use std::sync::atomic::Ordering::Relaxed;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let held = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let h = held.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = std::net::TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    let held = h.clone();
                    from.set_read_timeout(Some(Duration::from_millis(20)))
                        .unwrap();
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16384];
                        loop {
                            if held.load(Relaxed) {
                                std::thread::sleep(Duration::from_millis(20));
                                continue;
                            }
                            match from.read(&mut buf) {
                                Ok(0) => break,
                                Ok(n) => {
                                    if to.write_all(&buf[..n]).is_err() {
                                        break;
                                    }
                                }
                                Err(e)
                                    if e.kind() == std::io::ErrorKind::WouldBlock
                                        || e.kind() == std::io::ErrorKind::TimedOut => {}
                                Err(_) => break,
                            }
                        }
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Partition { port, held }
    }

    fn hold(&self, on: bool) {
        self.held.store(on, std::sync::atomic::Ordering::Relaxed);
    }
}

#[test]
fn a_replica_cut_off_from_its_database_says_so_and_takes_no_token() {
    let cluster = common::pg::PgCluster::start();
    let db = cluster.database("partition");
    let dir = common::temp_dir("replica-partition");
    let police = cli(&db, &["token", "create", "--role", "police", "--name", "p"]);
    let partition = Partition::to(cluster.port);
    let through = db.replacen(
        &format!(":{}/", cluster.port),
        &format!(":{}/", partition.port),
        1,
    );
    let data = dir.join("r");
    std::fs::create_dir_all(&data).unwrap();
    let replica = Replica::start(&through, &data, common::free_port());
    let base = replica.base();
    let items = format!("{base}/api/collections/incidents/items?limit=1");
    assert_eq!(get(&items, Some(&police)).0, 200);
    // Cut off: its queries get no answer, and no error either.
    partition.hold(true);
    let token_id = police.split('_').nth(1).unwrap().to_owned();
    cli(&db, &["token", "revoke", &token_id]);
    // Within a few seconds it says it is stale (a load balancer sends requests elsewhere) and
    // refuses the token it can no longer check: it may have been revoked, as it was.
    let cut = Instant::now();
    let deadline = cut + Duration::from_secs(8);
    loop {
        let (status, health) = get(&format!("{base}/api/health"), None);
        if status == 503 {
            assert_eq!(health["status"], "stale", "{health}");
            assert!(
                health["store_unreachable_s"].as_f64().unwrap() >= 3.0,
                "{health}"
            );
            break;
        }
        assert_eq!(status, 200, "{health}");
        assert!(
            Instant::now() < deadline,
            "still healthy after {:?}",
            cut.elapsed()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("stale after {:?} cut off", cut.elapsed());
    let (status, problem) = get(&items, Some(&police));
    assert_eq!(status, 503, "the revoked token was taken: {problem}");
    assert_eq!(problem["type"], "/api/problems/store-unreachable");
    // What needs no token is still served from memory.
    assert_eq!(
        get(
            &format!("{base}/api/collections/districts/items?limit=1"),
            None
        )
        .0,
        200
    );
    // Reconnected, it learns of the revocation and is healthy again.
    partition.hold(false);
    let healed = Instant::now();
    within(healed, "health after the partition healed", || {
        get(&format!("{base}/api/health"), None).0 == 200
    });
    assert_eq!(get(&items, Some(&police)).0, 401);
    drop(replica);
    let _ = std::fs::remove_dir_all(dir);
}

/// Every report as a replica's planner view shows it: (status, published, "me too" count).
fn planner_view(
    base: &str,
    planner: &str,
) -> std::collections::HashMap<String, (String, bool, i64)> {
    let mut all = std::collections::HashMap::new();
    for offset in (0..).step_by(1000) {
        let (s, page) = get(
            &format!("{base}/api/reports?limit=1000&offset={offset}"),
            Some(planner),
        );
        assert_eq!(s, 200, "{page}");
        let reports = page["reports"].as_array().unwrap();
        for r in reports {
            all.insert(
                r["service_request_id"].as_str().unwrap().to_owned(),
                (
                    r["detailed_status"].as_str().unwrap().to_owned(),
                    r["published"].as_bool().unwrap(),
                    r["me_too"].as_i64().unwrap(),
                ),
            );
        }
        if reports.len() < 1000 {
            return all;
        }
    }
    unreachable!()
}

#[test]
fn replicas_writing_and_moderating_the_same_reports_converge_on_the_database() {
    // Each replica puts its own writes in its book and reads only the others' back from the
    // change feed: under concurrent posts, moderations and "me too"s through both, both books
    // must end as the database holds the reports.
    require(&[Need::PostGis]);
    let (_cluster, db, dir, planner, replicas) = two_replicas("converge");
    let bases: Vec<String> = replicas.iter().map(Replica::base).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let ids = Arc::new(Mutex::new(Vec::<String>::new()));
    let failed = Arc::new(Mutex::new(Vec::<String>::new()));
    let posters: Vec<_> = (0..4)
        .map(|c| {
            let (bases, stop, ids, failed) =
                (bases.clone(), stop.clone(), ids.clone(), failed.clone());
            std::thread::spawn(move || {
                for n in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    match post_report(&bases[n % 2], &format!("converge-{c:02}-{n:06}")) {
                        Ok(id) => ids.lock().unwrap().push(id),
                        Err(e) => failed.lock().unwrap().push(e),
                    }
                }
            })
        })
        .collect();
    let moderators: Vec<_> = (0..2)
        .map(|m| {
            let (bases, stop, ids, failed, planner) = (
                bases.clone(),
                stop.clone(),
                ids.clone(),
                failed.clone(),
                planner.clone(),
            );
            std::thread::spawn(move || {
                let actions = [
                    r#"{"action": "publish"}"#,
                    r#"{"action": "set_status", "status": "in_progress", "status_note": "on it"}"#,
                    r#"{"action": "reject", "reason": "names a private person"}"#,
                ];
                for n in (m..).step_by(2) {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let Some(id) = ({
                        let ids = ids.lock().unwrap();
                        ids.get(ids.len().saturating_sub(1 + n % 7)).cloned()
                    }) else {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    };
                    let (s, body) = moderate(&bases[n % 2], &planner, &id, actions[n % 3]);
                    // 404: posted through the other replica a few milliseconds ago, not here yet.
                    if ![200, 400, 404, 409].contains(&s) {
                        failed
                            .lock()
                            .unwrap()
                            .push(format!("moderation {s} {body}"));
                    }
                    // A resident's "me too" through the other replica (counted if published).
                    let _ = common::http(
                        "POST",
                        &format!(
                            "{}/open311/v2/requests/{id}/me_too.json",
                            bases[(n + 1) % 2]
                        ),
                        &[("Content-Type", "application/x-www-form-urlencoded")],
                        b"",
                    );
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(5));
    stop.store(true, Ordering::Relaxed);
    for t in posters.into_iter().chain(moderators) {
        t.join().unwrap();
    }
    let failed = failed.lock().unwrap();
    assert!(failed.is_empty(), "{:?}", &failed[..failed.len().min(5)]);
    std::thread::sleep(WITHIN);
    let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    let stored: std::collections::HashMap<String, (String, bool, i64)> = c
        .query("SELECT id, status, published, me_too FROM reports", &[])
        .unwrap()
        .iter()
        .map(|r| {
            let status: String = r.get(1);
            // The planner view's detailed status is the stored one.
            let id: i64 = r.get(0);
            (id.to_string(), (status, r.get::<_, i32>(2) == 1, r.get(3)))
        })
        .collect();
    let published = stored.values().filter(|v| v.1).count();
    let me_too: i64 = stored.values().map(|v| v.2).sum();
    assert!(
        stored.len() > 100 && published > 0 && me_too > 0,
        "{} {published} {me_too}",
        stored.len()
    );
    for base in &bases {
        let view = planner_view(base, &planner);
        let differ: Vec<_> = stored
            .iter()
            .filter(|(id, v)| view.get(*id) != Some(v))
            .map(|(id, v)| format!("{id}: database {v:?}, replica {:?}", view.get(id)))
            .take(5)
            .collect();
        assert!(differ.is_empty(), "{base}: {differ:?}");
        assert_eq!(view.len(), stored.len(), "{base}");
    }
    drop(replicas);
    let _ = std::fs::remove_dir_all(dir);
}
