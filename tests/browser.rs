//! The web app in a real browser: starts the real binary on a free port and runs the Playwright
//! test in `tests/browser/` (headless Debian Chromium, driven by `playwright-core`) against it.
//! Screenshots land in `tests/artifacts/`.
//!
//! Needs Node.js, `/usr/bin/chromium` (or `CHROMIUM_PATH`) and the npm packages of
//! `tests/browser/` (installed here with `npm ci` when missing); Chromium and Node.js are
//! installed by `common::system::require` when missing (as root), else it names the command.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn web_app_in_headless_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser_dir = root.join("tests/browser");
    common::system::require(&[common::system::Need::Chromium, common::system::Need::Node]);
    let chromium = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
    // Every package the lock file pins must be installed (an older checkout's node_modules may
    // lack one added since).
    let lock: serde_json::Value = serde_json::from_slice(
        &std::fs::read(browser_dir.join("package-lock.json"))
            .expect("tests/browser/package-lock.json"),
    )
    .expect("package-lock.json is JSON");
    let missing = lock["packages"].as_object().is_some_and(|packages| {
        packages
            .keys()
            .filter(|k| !k.is_empty())
            .any(|k| !browser_dir.join(k).join("package.json").exists())
    });
    if missing {
        let st = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&browser_dir)
            .status()
            .expect("npm (Node.js) is needed for the browser test");
        assert!(st.success(), "npm ci in tests/browser failed");
    }

    let data = common::temp_dir("browser");
    let port = common::free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_hotspot"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data.join("var"))
        // The tests send reports and "me too"s from one client in a few minutes, more than the
        // resident limit of 5 per 10 minutes allows; rate limiting has its own tests.
        .env("HOTSPOT_REPORT_LIMIT", "100")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start hotspot");
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::fs::create_dir_all(root.join("tests/artifacts")).unwrap();
    let out = Command::new("node")
        .args(["--test", "--test-reporter=spec"])
        .arg(browser_dir.join("map.test.mjs"))
        .env("HOTSPOT_URL", &url)
        // The reports test makes a planner token with the binary in the server's data dir.
        .env("HOTSPOT_BIN", env!("CARGO_BIN_EXE_hotspot"))
        .env("HOTSPOT_DATA_DIR", data.join("var"))
        .env("CHROMIUM_PATH", &chromium)
        .env("ARTIFACTS_DIR", root.join("tests/artifacts"))
        .current_dir(root)
        .output()
        .expect("run node");
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&data);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "browser test failed:\n{stdout}\n{stderr}"
    );
}
