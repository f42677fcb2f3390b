//! The real binary on a real port, checked from outside with independent Python tools (pinned
//! in `tests/python/requirements.txt`, installed here into a venv under the target dir):
//!
//! - `tests/python/fuzz_api.py`: schemathesis fuzzes every public endpoint against
//!   `src/api/openapi.json`; any 5xx or answer that breaks the document fails.
//! - `tests/python/check_outputs.py`: vector tiles decoded with `mapbox-vector-tile`, Shapefile
//!   exports read with `pyshp` (EPSG:25832 back to lon/lat with `pyproj`), the public's answers
//!   compared with the exact coordinates in the SQLite store, suppression, the audit log.
//! - `tests/python/clients.py`: the clients our users run — GDAL's OAPIF driver copying every
//!   collection (`ogr2ogr`, from Debian's gdal-bin), OWSLib's Features API, every demo tile at
//!   z8–z16 decoded and its polygons valid by GEOS, TileJSON against the official 3.0.0 schema,
//!   the `georeport` Open311 client in JSON and XML, and a replay of FixMyStreet's Open311
//!   client. It posts reports, so it runs last (the server takes `--report-limit 0`: these are
//!   test clients on loopback; the limit itself is tested in tests/open311.rs).
//!
//! Needs `python3` with the `venv` module and access to PyPI on the first run, and GDAL's
//! `ogr2ogr`; `common::system::require` installs `python3-venv` and `gdal-bin` when they are
//! missing (as root), else names the command.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A venv with the pinned packages, made once and remade when the requirements change.
fn venv(root: &Path) -> PathBuf {
    let requirements = root.join("tests/python/requirements.txt");
    let wanted = std::fs::read_to_string(&requirements).expect("requirements");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("python-venv");
    let stamp = dir.join("requirements.stamp");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return dir;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let st = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&dir)
        .status()
        .expect("python3 is needed for the Python checks (apt-get install python3 python3-venv)");
    assert!(
        st.success(),
        "python3 -m venv failed: install python3-venv (.ci/run does)"
    );
    let st = Command::new(dir.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(&requirements)
        .status()
        .expect("pip");
    assert!(
        st.success(),
        "pip install -r tests/python/requirements.txt failed"
    );
    std::fs::write(&stamp, wanted).unwrap();
    dir
}

fn token(data: &Path, role: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_hotspot"))
        .args(["token", "create", "--role", role, "--name"])
        .arg(format!("check {role}"))
        .arg("--data-dir")
        .arg(data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run(python: &Path, script: &Path, args: &[&str]) {
    let started = Instant::now();
    let out = Command::new(python)
        .arg(script)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run python");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "{} ({:.0} s):\n{text}",
        script.display(),
        started.elapsed().as_secs_f64()
    );
    assert!(out.status.success(), "{} failed:\n{text}", script.display());
}

#[test]
fn the_live_api_checked_with_independent_python_tools() {
    common::system::require(&[common::system::Need::PythonVenv, common::system::Need::Gdal]);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = venv(root);
    let python = venv.join("bin/python");
    let dir = common::temp_dir("python");
    let data = dir.join("var");
    std::fs::create_dir_all(&data).unwrap();
    let police = token(&data, "police");
    let planner = token(&data, "planner");
    let admin = token(&data, "admin");
    let port = common::free_port();
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_hotspot"))
            .args([
                "serve",
                "--report-limit",
                "0",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(&data)
            .env("HOTSPOT_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start hotspot"),
    );
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(90);
    while common::http("GET", &format!("{url}/api/health"), &[], b"").is_none() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    run(
        &python,
        &root.join("tests/python/fuzz_api.py"),
        &["--url", &url],
    );
    let store = data.join("hotspot.sqlite");
    run(
        &python,
        &root.join("tests/python/check_outputs.py"),
        &[
            "--url",
            &url,
            "--store",
            store.to_str().unwrap(),
            "--police",
            &police,
            "--planner",
            &planner,
            "--admin",
            &admin,
        ],
    );
    run(
        &python,
        &root.join("tests/python/clients.py"),
        &[
            "--url",
            &url,
            "--police",
            &police,
            "--planner",
            &planner,
            "--admin",
            &admin,
        ],
    );
    let _ = std::fs::remove_dir_all(dir);
}
