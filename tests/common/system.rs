//! The system programs the tests drive — Chromium, Node.js, GDAL, Python's venv, PostgreSQL
//! with PostGIS, HAProxy — as Debian packages. A test asks for what it needs with [`require`]: what is
//! missing is installed with apt-get when the tests run as root on a Debian-like system;
//! otherwise the test stops at once naming the one command that would install it. So on a fresh
//! machine the README's test command is the only one to type (README, "Two commands"), and
//! `.ci/run` runs nothing else.

use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

/// A program (or set of programs) some test needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Headless Chromium for the browser test (`/usr/bin/chromium`, or `CHROMIUM_PATH`).
    Chromium,
    /// Node.js and npm, which run the Playwright test.
    Node,
    /// GDAL's `ogr2ogr` and `ogrinfo`, the real clients.
    Gdal,
    /// `python3` with its `venv` module, for the Python checks.
    PythonVenv,
    /// PostgreSQL 15 with PostGIS 3, for the throwaway clusters of the PostgreSQL tests.
    PostGis,
    /// HAProxy, in front of the replicas (deploy/haproxy.cfg).
    Haproxy,
}

impl Need {
    fn present(self) -> bool {
        let runs = |program: &str, args: &[&str]| {
            Command::new(program)
                .args(args)
                .output()
                .is_ok_and(|o| o.status.success())
        };
        match self {
            Need::Chromium => {
                std::env::var_os("CHROMIUM_PATH").is_some_and(|p| Path::new(&p).exists())
                    || Path::new("/usr/bin/chromium").exists()
            }
            Need::Node => runs("node", &["--version"]) && runs("npm", &["--version"]),
            Need::Gdal => runs("ogr2ogr", &["--version"]) && runs("ogrinfo", &["--version"]),
            Need::PythonVenv => runs("python3", &["-c", "import venv, ensurepip"]),
            Need::PostGis => {
                std::env::var_os("HOTSPOT_PG_BIN").is_some()
                    || Path::new("/usr/lib/postgresql/15/bin/initdb").exists()
                        && Path::new("/usr/share/postgresql/15/extension/postgis.control").exists()
            }
            Need::Haproxy => runs("haproxy", &["-v"]),
        }
    }

    /// The Debian packages that provide it.
    fn packages(self) -> &'static [&'static str] {
        match self {
            Need::Chromium => &["chromium", "fonts-dejavu-core"],
            Need::Node => &["nodejs", "npm"],
            Need::Gdal => &["gdal-bin"],
            Need::PythonVenv => &["python3", "python3-venv"],
            Need::PostGis => &["postgresql-15-postgis-3"],
            Need::Haproxy => &["haproxy"],
        }
    }
}

/// Installs (once per test process, one test at a time) what of `needs` is missing, or panics
/// naming the command that would.
pub fn require(needs: &[Need]) {
    static INSTALLING: Mutex<()> = Mutex::new(());
    let _one_at_a_time = INSTALLING.lock().unwrap_or_else(|e| e.into_inner());
    let missing: Vec<Need> = needs.iter().copied().filter(|n| !n.present()).collect();
    if missing.is_empty() {
        return;
    }
    let packages: Vec<&str> = missing.iter().flat_map(|n| n.packages()).copied().collect();
    let command = format!("apt-get install {}", packages.join(" "));
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let apt = Path::new("/usr/bin/apt-get").exists();
    assert!(
        root && apt,
        "missing {missing:?}: run `{}` once, then the tests again",
        if apt {
            format!("sudo {command}")
        } else {
            command.clone()
        }
    );
    eprintln!("installing {missing:?}: {command}");
    let apt_get = |args: &[&str]| {
        Command::new("apt-get")
            .args(["-o", "DPkg::Lock::Timeout=600", "-qq"])
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|s| s.success())
    };
    assert!(apt_get(&["update"]), "apt-get update failed");
    let mut install = vec!["install", "-y", "--no-install-recommends"];
    install.extend(&packages);
    assert!(apt_get(&install), "`{command}` failed");
    let still: Vec<Need> = missing.into_iter().filter(|n| !n.present()).collect();
    assert!(
        still.is_empty(),
        "{still:?} still missing after `{command}`"
    );
}
