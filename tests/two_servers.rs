//! Two `hotspot serve` processes on one data dir follow each other through the store's change
//! feed: a resident report, its moderation, an import and a token revocation made through one
//! are visible through the other within a second.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_hotspot");

/// The longest a change may take to show through the other server.
const WITHIN: Duration = Duration::from_secs(1);

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(data: &Path) -> Server {
    let port = common::free_port();
    let child = Command::new(BIN)
        .args([
            "serve",
            "--no-demo",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while common::http("GET", &format!("{url}/api/health"), &[], b"").is_none() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(30));
    }
    Server { child, url }
}

fn cli(data: &Path, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(data)
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
    let (status, body) = common::http("GET", url, &headers, b"").expect("the server answers");
    (
        status,
        serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
    )
}

/// Waits until `seen()` holds, at most [`WITHIN`] after `since`; returns how long it took.
fn within(since: Instant, what: &str, mut seen: impl FnMut() -> bool) -> Duration {
    loop {
        if seen() {
            return since.elapsed();
        }
        assert!(
            since.elapsed() < WITHIN,
            "{what} was not visible through the other server within {WITHIN:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn two_servers_on_one_store_follow_each_other_within_a_second() {
    let dir = common::temp_dir("two-servers");
    let data = dir.join("var");
    std::fs::create_dir_all(&data).unwrap();
    let police = cli(
        &data,
        &["token", "create", "--role", "police", "--name", "p"],
    );
    let planner = cli(
        &data,
        &["token", "create", "--role", "planner", "--name", "s"],
    );
    let a = serve(&data);
    let b = serve(&data);

    // A resident's report through A is in B's moderation queue.
    let form = "service_code=dark_place&lat=55.6872&long=12.5531&description=M%C3%B8rk+sti";
    let sent = Instant::now();
    let (status, body) = common::http(
        "POST",
        &format!("{}/open311/v2/requests.json", a.url),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let id = v[0]["service_request_id"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| v[0]["service_request_id"].to_string());
    let took = within(sent, "a report sent through A", || {
        let (s, q) = get(&format!("{}/api/reports", b.url), Some(&planner));
        s == 200 && q.to_string().contains(&id)
    });
    eprintln!("report through A seen through B after {took:?}");

    // Published through B, it is public through A.
    let sent = Instant::now();
    let (status, body) = common::http(
        "POST",
        &format!("{}/api/reports/{id}/moderation", b.url),
        &[
            ("Authorization", &format!("Bearer {planner}")),
            ("Content-Type", "application/json"),
        ],
        br#"{"action": "publish"}"#,
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let took = within(sent, "a report published through B", || {
        get(&format!("{}/open311/v2/requests/{id}.json", a.url), None).0 == 200
    });
    eprintln!("publication through B seen through A after {took:?}");

    // An import through A is served by B.
    let features: Vec<serde_json::Value> = (0..3)
        .map(|i| serde_json::json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [12.552 + i as f64 * 1e-4, 55.687]},
            "properties": {"category": "theft", "occurred_at": "2014-02-03T12:00:00Z", "source_id": format!("two-{i}")}
        }))
        .collect();
    let batch = serde_json::json!({"type": "FeatureCollection", "features": features}).to_string();
    let sent = Instant::now();
    let (status, body) = common::http(
        "POST",
        &format!("{}/api/collections/incidents/items", a.url),
        &[
            ("Authorization", &format!("Bearer {police}")),
            ("Content-Type", "application/geo+json"),
        ],
        batch.as_bytes(),
    )
    .unwrap();
    assert!((200..300).contains(&status), "{status} {body}");
    let took = within(sent, "an import through A", || {
        let (s, page) = get(
            &format!("{}/api/collections/incidents/items?limit=10", b.url),
            Some(&police),
        );
        s == 200 && page["numberMatched"] == 3
    });
    eprintln!("import through A seen through B after {took:?}");

    // A revoked token is refused by both.
    let token_id = planner.split('_').nth(1).unwrap().to_owned();
    let sent = Instant::now();
    cli(&data, &["token", "revoke", &token_id]);
    let took = within(sent, "a token revocation", || {
        [&a, &b]
            .iter()
            .all(|s| get(&format!("{}/api/reports", s.url), Some(&planner)).0 == 401)
    });
    eprintln!("revocation seen through both after {took:?}");
    drop((a, b));
    let _ = std::fs::remove_dir_all(dir);
}
