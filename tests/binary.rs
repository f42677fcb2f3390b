//! The real binary on a real port: first start on an empty data dir generates and serves the
//! demo; a restart loads what was stored (same data version, no regeneration; the incidents
//! from the snapshot file the first start wrote, or from SQLite when it is damaged); SIGTERM stops it
//! cleanly; `--no-demo` serves the boundaries only; bad configuration fails with a clear line.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    url: String,
    log: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data_dir: &Path, extra: &[&str]) -> Server {
    let port = common::free_port();
    let log = data_dir.with_extension(format!("{port}.log"));
    let child = Command::new(env!("CARGO_BIN_EXE_hotspot"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data_dir)
        .args(extra)
        .env("HOTSPOT_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start hotspot");
    let server = Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
        log,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if health(&server).is_some() {
            return server;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "server did not answer /api/health: {}",
        std::fs::read_to_string(&server.log).unwrap_or_default()
    );
}

fn http_get(url: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut s = std::net::TcpStream::connect(host).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n",
        if path.is_empty() { "/" } else { path }
    )
    .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let status = buf.get(9..12)?.parse().ok()?;
    let body = buf.split_once("\r\n\r\n")?.1.to_owned();
    Some((status, body))
}

fn health(s: &Server) -> Option<serde_json::Value> {
    let (status, body) = http_get(&format!("{}/api/health", s.url))?;
    (status == 200)
        .then(|| serde_json::from_str(&body).ok())
        .flatten()
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn first_start_generates_the_demo_and_restart_keeps_it() {
    let dir = common::temp_dir("bin");
    let data = dir.join("var");
    let mut s = start(&data, &[]);
    let h = health(&s).unwrap();
    let incidents = h["counts"]["incidents"].as_u64().unwrap();
    assert!((50_000..=120_000).contains(&incidents), "{incidents}");
    assert_eq!(h["counts"]["districts"], 444);
    let version = h["data_version"].clone();
    assert!(data.join("hotspot.sqlite").exists());
    // The store holds personal data: owner-only, and so are its WAL and shared memory.
    #[cfg(unix)]
    for file in ["hotspot.sqlite", "hotspot.sqlite-wal", "hotspot.sqlite-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{file}: mode {mode:o}");
    }

    // The web app is there too, with a strict Content-Security-Policy.
    let (status, body) = http_get(&format!("{}/", s.url)).unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("<html"));
    let (_, head) = common::http_head(&format!("{}/", s.url)).unwrap();
    let csp = head
        .lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with("content-security-policy:")
        })
        .unwrap_or_default()
        .to_owned();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("script-src 'self'"),
        "{head}"
    );
    assert!(head
        .to_ascii_lowercase()
        .contains("x-content-type-options: nosniff"));

    // Once warm, it writes the incident snapshot that spares the next start reading every
    // row out of SQLite; it holds exact positions, so only the owner may read it.
    let snapshot = data.join("incidents.snapshot");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !snapshot.exists() {
        assert!(Instant::now() < deadline, "no incident snapshot written");
        std::thread::sleep(Duration::from_millis(50));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&snapshot).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "mode {mode:o}");
    }

    // SIGTERM: a graceful stop with exit status 0.
    sigterm(&s.child);
    let deadline = Instant::now() + Duration::from_secs(15);
    let code = loop {
        if let Some(st) = s.child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(code.success(), "exit status {code:?}");
    let log = std::fs::read_to_string(&s.log).unwrap();
    assert!(log.contains("generated_demo_incidents"), "{log}");

    // Restart: the same data, loaded rather than generated.
    let s2 = start(&data, &[]);
    let h2 = health(&s2).unwrap();
    assert_eq!(h2["data_version"], version);
    assert_eq!(h2["counts"]["incidents"].as_u64().unwrap(), incidents);
    let log2 = std::fs::read_to_string(&s2.log).unwrap();
    assert!(log2.contains("generated_demo_incidents=0"), "{log2}");
    assert!(log2.contains("incidents read from the snapshot"), "{log2}");
    // A damaged snapshot is passed over: the store answers, with the same data.
    drop(s2);
    let mut bytes = std::fs::read(&snapshot).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&snapshot, bytes).unwrap();
    let s3 = start(&data, &[]);
    assert_eq!(health(&s3).unwrap()["data_version"], version);
    let log3 = std::fs::read_to_string(&s3.log).unwrap();
    assert!(!log3.contains("incidents read from the snapshot"), "{log3}");
    assert!(log3.contains("is damaged"), "{log3}");
    drop(s3);
    drop(s);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn no_demo_serves_boundaries_only() {
    let dir = common::temp_dir("nodemo");
    let s = start(&dir.join("var"), &["--no-demo"]);
    let h = health(&s).unwrap();
    assert_eq!(h["counts"]["incidents"], 0);
    assert_eq!(h["counts"]["observations"], 0);
    assert_eq!(h["counts"]["districts"], 444);
    let (status, body) = http_get(&format!(
        "{}/api/collections/districts/items/district-8",
        s.url
    ))
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let (_, body) = http_get(&format!("{}/api/collections/incidents", s.url)).unwrap();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["synthetic"], false);
    drop(s);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_configuration_fails_with_one_clear_line() {
    let out = Command::new(env!("CARGO_BIN_EXE_hotspot"))
        .args(["--listen", "not-an-address"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("listen: 'not-an-address' is not an address"),
        "{err}"
    );

    let dir = common::temp_dir("badcfg");
    let cfg = dir.join("hotspot.toml");
    std::fs::write(&cfg, "workers = 0\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hotspot"))
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("workers: 0 is not between 1 and 256"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn environment_configures_the_service() {
    let dir = common::temp_dir("env");
    let port = common::free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotspot"))
        .env("HOTSPOT_LISTEN", format!("127.0.0.1:{port}"))
        .env("HOTSPOT_DATA_DIR", dir.join("var"))
        .env("HOTSPOT_NO_DEMO", "true")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut ok = false;
    while Instant::now() < deadline {
        if let Some((200, body)) = http_get(&format!("http://127.0.0.1:{port}/api/health")) {
            assert!(body.contains("\"incidents\":0"), "{body}");
            ok = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(ok, "server configured by the environment did not answer");
    assert!(dir.join("var/hotspot.sqlite").exists());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn cors_is_off_by_default_and_configurable() {
    let dir = common::temp_dir("cors");
    let gis = "https://gis.example.dk";
    let plain = start(&dir.join("a"), &["--no-demo"]);
    let (status, head, _) = common::http_with_head(
        "GET",
        &format!("{}/api/collections", plain.url),
        &[("Origin", gis)],
        b"",
    )
    .unwrap();
    assert_eq!(status, 200);
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("access-control-allow-origin"),
        "{head}"
    );
    drop(plain);

    let with = start(&dir.join("b"), &["--no-demo", "--cors-origins", gis]);
    // Preflight of a token-bearing request from the GIS's origin.
    let (status, head, _) = common::http_with_head(
        "OPTIONS",
        &format!("{}/tiles/districts/12/2190/1281.mvt", with.url),
        &[
            ("Origin", gis),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "authorization"),
        ],
        b"",
    )
    .unwrap();
    let lower = head.to_ascii_lowercase();
    assert!((200..300).contains(&status), "{head}");
    assert!(
        lower.contains(&format!("access-control-allow-origin: {gis}")),
        "{head}"
    );
    assert!(lower.contains("authorization"), "{head}");
    let (status, head, _) = common::http_with_head(
        "GET",
        &format!("{}/api/health", with.url),
        &[("Origin", gis)],
        b"",
    )
    .unwrap();
    assert_eq!(status, 200);
    assert!(head
        .to_ascii_lowercase()
        .contains(&format!("access-control-allow-origin: {gis}")));
    // Another origin gets no CORS headers (its page cannot read the answer), and no error.
    let (status, head, _) = common::http_with_head(
        "GET",
        &format!("{}/api/health", with.url),
        &[("Origin", "https://evil.example")],
        b"",
    )
    .unwrap();
    assert_eq!(status, 200);
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("access-control-allow-origin"),
        "{head}"
    );
    // Its preflight is refused as problem details, like every other error of the API.
    let (status, head, body) = common::http_with_head(
        "OPTIONS",
        &format!("{}/api/health", with.url),
        &[
            ("Origin", "https://evil.example"),
            ("Access-Control-Request-Method", "GET"),
        ],
        b"",
    )
    .unwrap();
    assert_eq!(status, 400, "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{head}"
    );
    let problem: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["status"], 400);
    drop(with);

    let out = Command::new(env!("CARGO_BIN_EXE_hotspot"))
        .args([
            "serve",
            "--cors-origins",
            "gis.example.dk/path",
            "--data-dir",
        ])
        .arg(dir.join("c"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cors_origins"));
}

/// `hotspot report ARGS --out DIR/OUT --data-dir DIR/var` with `env`.
fn report(dir: &Path, args: &[&str], out: &str, env: &[(&str, &str)]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hotspot"))
        .arg("report")
        .args(args)
        .arg("--out")
        .arg(dir.join(out))
        .arg("--data-dir")
        .arg(dir.join("var"))
        .envs(env.iter().copied())
        .output()
        .expect("run hotspot report")
}

#[test]
fn report_writes_the_status_page_and_refuses_bad_options() {
    let dir = common::temp_dir("report-cli");
    let stderr = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).into_owned();
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).expect("the report file");
    // Nothing to report on yet: one line saying what to do, and no store made.
    let out = report(&dir, &["--year", "2013"], "none.html", &[]);
    assert!(
        !out.status.success() && stderr(&out).contains("hotspot serve"),
        "{}",
        stderr(&out)
    );
    assert!(
        !dir.join("var").join("hotspot.sqlite").exists(),
        "the report must not make a store"
    );

    // A server made the demo once; the command reads the store while it runs.
    let server = start(&dir.join("var"), &[]);
    let out = report(
        &dir,
        &["--year", "2013", "--lang", "en"],
        "status-2013.html",
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("secretariat edition"));
    let html = read("status-2013.html");
    for id in ["summary", "map", "goals", "initiatives", "provenance"] {
        assert!(html.contains(&format!("<section id=\"{id}\">")), "no {id}");
    }
    assert!(html.contains("Synthetic demo data") && html.contains("Aftenåben klub"));

    let out = report(&dir, &["--year", "2013", "--public"], "public.html", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let html = read("public.html");
    assert!(html.contains("<html lang=\"da\">") && !html.contains("Aftenåben klub"));

    let out = report(&dir, &["--year", "2013", "--period", "q3"], "x.html", &[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("--period") && stderr(&out).lines().count() == 1,
        "{}",
        stderr(&out)
    );
    assert!(!dir.join("x.html").exists());

    // The server's min_count applies to the public edition, in its text too.
    let min5 = [("HOTSPOT_MIN_COUNT", "5")];
    let out = report(
        &dir,
        &["--year", "2013", "--public", "--lang", "en"],
        "min5.html",
        &min5,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let html = read("min5.html");
    assert!(
        html.contains("counts below 5 are withheld (")
            && html.contains("Counts below 5 are withheld in this public edition")
    );
    assert!(!html.contains("below 3"));
    drop(server);
}
