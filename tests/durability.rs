//! The real binary under writes: every import that got a 2xx survives `kill -9` whole, and
//! nothing half-written appears; an import by `hotspot import` into a serving data dir shows up
//! without a restart; `hotspot backup` while serving gives a store that serves the same data;
//! a burst of concurrent resident reports killed mid-flight loses none that got a 201.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_hotspot");

fn serve(data: &Path, port: u16) -> Child {
    serve_with(data, port, &[])
}

/// The binary serving `data` on `port`, with `extra` options of `serve`.
fn serve_with(data: &Path, port: u16, extra: &[&str]) -> Child {
    let child = Command::new(BIN)
        .args([
            "serve",
            "--no-demo",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while common::http(
        "GET",
        &format!("http://127.0.0.1:{port}/api/health"),
        &[],
        b"",
    )
    .is_none()
    {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(30));
    }
    child
}

fn token(data: &Path, role: &str) -> String {
    let out = Command::new(BIN)
        .args([
            "token",
            "create",
            "--role",
            role,
            "--name",
            "test",
            "--data-dir",
        ])
        .arg(data)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn batch(tag: &str) -> String {
    let features: Vec<serde_json::Value> = (0..3)
        .map(|i| serde_json::json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [12.552 + i as f64 * 1e-4, 55.687]},
            "properties": {"category": "theft", "occurred_at": "2014-02-03T12:00:00Z", "source_id": format!("{tag}-{i}")}
        }))
        .collect();
    serde_json::json!({"type": "FeatureCollection", "features": features}).to_string()
}

/// The source ids of the stored incidents, read with a police token (the public view
/// withholds source ids).
fn stored_ids(port: u16, police: &str) -> Vec<String> {
    let (status, body) = common::http(
        "GET",
        &format!("http://127.0.0.1:{port}/api/collections/incidents/items?limit=10000"),
        &[("Authorization", &format!("Bearer {police}"))],
        b"",
    )
    .unwrap();
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["source_id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    let dir = common::temp_dir("kill");
    let data = dir.join("var");
    std::fs::create_dir_all(&data).unwrap();
    let police = token(&data, "police");
    let port = common::free_port();
    let mut server = serve(&data, port);

    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop_at = Instant::now() + Duration::from_secs(20);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let acked = acked.clone();
            let auth = format!("Bearer {police}");
            std::thread::spawn(move || {
                for r in 0..10_000 {
                    if Instant::now() > stop_at {
                        break;
                    }
                    let tag = format!("w{t}-{r}");
                    let url = format!("http://127.0.0.1:{port}/api/collections/incidents/items");
                    match common::http(
                        "POST",
                        &url,
                        &[
                            ("Authorization", &auth),
                            ("Content-Type", "application/geo+json"),
                        ],
                        batch(&tag).as_bytes(),
                    ) {
                        Some((201, _)) => acked.lock().unwrap().push(tag),
                        Some((s, b)) => panic!("unexpected {s}: {b}"),
                        None => break, // the server is gone
                    }
                }
            })
        })
        .collect();
    // Let writes pile up, then pull the plug mid-flight.
    let deadline = Instant::now() + Duration::from_secs(15);
    while acked.lock().unwrap().len() < 40 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    for t in threads {
        t.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 40,
        "only {} writes acknowledged",
        acked.len()
    );

    let port2 = common::free_port();
    let mut again = serve(&data, port2);
    let ids = stored_ids(port2, &police);
    let present: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
    for tag in &acked {
        for i in 0..3 {
            assert!(
                present.contains(format!("{tag}-{i}").as_str()),
                "acknowledged {tag}-{i} lost"
            );
        }
    }
    // Nothing half-written: every batch is there whole or not at all.
    let mut per_batch: BTreeMap<&str, usize> = BTreeMap::new();
    for id in &ids {
        *per_batch.entry(id.rsplit_once('-').unwrap().0).or_default() += 1;
    }
    assert!(per_batch.values().all(|&n| n == 3), "{per_batch:?}");
    again.kill().unwrap();
    again.wait().unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn cli_import_shows_up_in_a_running_server_and_backup_serves_the_same() {
    let dir = common::temp_dir("live");
    let data = dir.join("var");
    std::fs::create_dir_all(&data).unwrap();
    let police = token(&data, "police");
    let port = common::free_port();
    let mut server = serve(&data, port);
    let file = dir.join("walk.geojson");
    std::fs::write(&file, batch("cli")).unwrap();
    let out = Command::new(BIN)
        .args(["import", "incidents"])
        .arg(&file)
        .arg("--data-dir")
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 3"));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if stored_ids(port, &police).len() == 3 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the running server did not pick up the import"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // A bad file leaves the server's data as it was and exits non-zero with the reason.
    let bad = dir.join("bad.geojson");
    std::fs::write(&bad, batch("bad").replace("55.687", "555.687")).unwrap();
    let out = Command::new(BIN)
        .args(["import", "incidents"])
        .arg(&bad)
        .arg("--data-dir")
        .arg(&data)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("latitude 555.687 is outside"));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("rejected:")
            || String::from_utf8_lossy(&out.stderr).contains("rejected:")
    );

    // Backup while serving, then serve the copy.
    let copy_dir = dir.join("restored");
    std::fs::create_dir_all(&copy_dir).unwrap();
    let out = Command::new(BIN)
        .arg("backup")
        .arg(copy_dir.join("hotspot.sqlite"))
        .arg("--data-dir")
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Like the store, the copy is readable by its owner only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(copy_dir.join("hotspot.sqlite"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "mode {mode:o}");
    }
    let (_, h1) = common::http(
        "GET",
        &format!("http://127.0.0.1:{port}/api/health"),
        &[],
        b"",
    )
    .unwrap();
    let port2 = common::free_port();
    let mut restored = serve(&copy_dir, port2);
    let (_, h2) = common::http(
        "GET",
        &format!("http://127.0.0.1:{port2}/api/health"),
        &[],
        b"",
    )
    .unwrap();
    let v1: serde_json::Value = serde_json::from_str(&h1).unwrap();
    let v2: serde_json::Value = serde_json::from_str(&h2).unwrap();
    assert_eq!(v1["data_version"], v2["data_version"]);
    assert_eq!(v2["counts"]["incidents"], 3);
    // Refuses to overwrite.
    let out = Command::new(BIN)
        .arg("backup")
        .arg(copy_dir.join("hotspot.sqlite"))
        .arg("--data-dir")
        .arg(&data)
        .output()
        .unwrap();
    assert!(!out.status.success());
    for c in [&mut server, &mut restored] {
        c.kill().unwrap();
        c.wait().unwrap();
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn reports_acknowledged_with_201_survive_kill_9_mid_burst() {
    let dir = common::temp_dir("kill-reports");
    let data = dir.join("var");
    std::fs::create_dir_all(&data).unwrap();
    let planner = token(&data, "planner");
    let port = common::free_port();
    // No rate limit: the burst comes from one address.
    let mut server = serve_with(&data, port, &["--report-limit", "0"]);
    let acked = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let stop_at = Instant::now() + Duration::from_secs(20);
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let acked = acked.clone();
            std::thread::spawn(move || {
                for r in 0..100_000 {
                    if Instant::now() > stop_at {
                        break;
                    }
                    let text = format!("burst {t}-{r}");
                    let body = format!(
                        "service_code=dark_place&lat=55.6866&long=12.5547&description={}",
                        text.replace(' ', "+")
                    );
                    match common::http(
                        "POST",
                        &format!("http://127.0.0.1:{port}/open311/v2/requests.json"),
                        &[("Content-Type", "application/x-www-form-urlencoded")],
                        body.as_bytes(),
                    ) {
                        Some((201, b)) => {
                            let v: serde_json::Value = serde_json::from_str(&b).unwrap();
                            let id = v[0]["service_request_id"].as_str().unwrap().to_owned();
                            acked.lock().unwrap().push((id, text));
                        }
                        Some((s, b)) => panic!("unexpected {s}: {b}"),
                        None => break,
                    }
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(15);
    while acked.lock().unwrap().len() < 300 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill().unwrap(); // SIGKILL, with submissions in flight
    server.wait().unwrap();
    for t in threads {
        t.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 300,
        "only {} reports acknowledged",
        acked.len()
    );

    let port2 = common::free_port();
    let mut again = serve(&data, port2);
    let (status, body) = common::http(
        "GET",
        &format!("http://127.0.0.1:{port2}/api/reports?limit=10000"),
        &[("Authorization", &format!("Bearer {planner}"))],
        b"",
    )
    .unwrap();
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let stored: BTreeMap<String, String> = v["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["service_request_id"].as_str().unwrap().to_owned(),
                r["description_original"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (id, text) in &acked {
        assert_eq!(
            stored.get(id),
            Some(text),
            "acknowledged report {id} lost or changed"
        );
    }
    again.kill().unwrap();
    again.wait().unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn planning_writes_acknowledged_survive_kill_9() {
    let dir = common::temp_dir("kill-planning");
    let data = dir.join("var");
    std::fs::create_dir_all(&data).unwrap();
    let auth = format!("Bearer {}", token(&data, "planner"));
    let port = common::free_port();
    let mut server = serve(&data, port);
    let base = format!("http://127.0.0.1:{port}");

    // One thread enters goal measurements (a new period each), one adds initiatives.
    let periods: Vec<String> = (1990..=2100)
        .flat_map(|y| [format!("{y}"), format!("{y}-H1"), format!("{y}-H2")])
        .collect();
    let acked_periods = Arc::new(Mutex::new(Vec::<String>::new()));
    let acked_titles = Arc::new(Mutex::new(Vec::<String>::new()));
    let (ap, at) = (acked_periods.clone(), acked_titles.clone());
    let (a1, a2, b1, b2) = (auth.clone(), auth.clone(), base.clone(), base.clone());
    let measurements = std::thread::spawn(move || {
        for p in periods {
            let body = format!(r#"{{"period":"{p}","value":{}}}"#, p.len());
            match common::http(
                "POST",
                &format!("{b1}/api/goals/3/measurements"),
                &[("Authorization", &a1), ("Content-Type", "application/json")],
                body.as_bytes(),
            ) {
                Some((201, _)) => ap.lock().unwrap().push(p),
                Some((s, b)) => panic!("unexpected {s}: {b}"),
                None => break,
            }
        }
    });
    let initiatives = std::thread::spawn(move || {
        for i in 0..10_000 {
            let title = format!("durable {i}");
            let body = format!(
                r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[12.5547,55.6866]}},"properties":{{"title":"{title}","kind":"lighting","start_date":"2012-03-01"}}}}"#
            );
            match common::http(
                "POST",
                &format!("{b2}/api/initiatives"),
                &[("Authorization", &a2), ("Content-Type", "application/json")],
                body.as_bytes(),
            ) {
                Some((201, _)) => at.lock().unwrap().push(title),
                Some((s, b)) => panic!("unexpected {s}: {b}"),
                None => break,
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(15);
    while (acked_periods.lock().unwrap().len() < 30 || acked_titles.lock().unwrap().len() < 30)
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill().unwrap(); // SIGKILL mid-flight
    server.wait().unwrap();
    measurements.join().unwrap();
    initiatives.join().unwrap();
    let (periods, titles) = (
        acked_periods.lock().unwrap().clone(),
        acked_titles.lock().unwrap().clone(),
    );
    assert!(
        periods.len() >= 30 && titles.len() >= 30,
        "{} / {}",
        periods.len(),
        titles.len()
    );

    let port2 = common::free_port();
    let mut again = serve(&data, port2);
    let base = format!("http://127.0.0.1:{port2}");
    let (s, goal) = common::http("GET", &format!("{base}/api/goals/3"), &[], b"").unwrap();
    assert_eq!(s, 200);
    let goal: serde_json::Value = serde_json::from_str(&goal).unwrap();
    let stored: BTreeSet<String> = goal["goal"]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["period"].as_str().unwrap().to_owned())
        .collect();
    for p in &periods {
        assert!(stored.contains(p), "acknowledged measurement {p} lost");
    }
    let (_, list) = common::http(
        "GET",
        &format!("{base}/api/initiatives"),
        &[("Authorization", &auth)],
        b"",
    )
    .unwrap();
    for t in &titles {
        assert!(
            list.contains(&format!("\"{t}\"")),
            "acknowledged initiative {t} lost"
        );
    }
    again.kill().unwrap();
    again.wait().unwrap();
    let _ = std::fs::remove_dir_all(dir);
}
