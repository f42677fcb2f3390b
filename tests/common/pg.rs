//! A throwaway PostgreSQL 15 + PostGIS cluster for the tests: initdb into a temp dir (as the
//! `postgres` user when the tests run as root), started on a free loopback port, stopped and
//! removed when dropped. Needs Debian's `postgresql-15-postgis-3` (installed when missing).

use std::path::PathBuf;
use std::process::Command;

/// A running cluster.
pub struct PgCluster {
    dir: PathBuf,
    bin: PathBuf,
    pub port: u16,
}

/// Where PostgreSQL's server programs are: `HOTSPOT_PG_BIN`, else Debian's PostgreSQL 15
/// (installed when missing, see [`super::system::require`]).
fn bin_dir() -> PathBuf {
    super::system::require(&[super::system::Need::PostGis]);
    std::env::var_os("HOTSPOT_PG_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl PgCluster {
    /// Makes and starts a cluster (a few seconds).
    pub fn start() -> PgCluster {
        let bin = bin_dir();
        let dir = super::temp_dir("pg");
        let root = is_root();
        if root {
            let ok = Command::new("chown")
                .arg("postgres")
                .arg(&dir)
                .status()
                .unwrap();
            assert!(ok.success(), "chown postgres {}", dir.display());
        }
        let run = |program: &str, args: &[&str]| {
            let mut c = if root {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(bin.join(program));
                c
            } else {
                Command::new(bin.join(program))
            };
            let out = c.args(args).output().expect(program);
            assert!(
                out.status.success(),
                "{program} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let data = dir.join("data");
        let data = data.to_str().unwrap();
        run(
            "initdb",
            &[
                "-D",
                data,
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let port = super::free_port();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50",
            dir.display()
        );
        let log = dir.join("log");
        run(
            "pg_ctl",
            &[
                "-D",
                data,
                "-o",
                &options,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "start",
            ],
        );
        PgCluster { dir, bin, port }
    }

    /// The URL of the cluster's `postgres` database.
    pub fn admin_url(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres",
            self.port
        )
    }

    /// A new, empty database `name`; its URL (`postgres://` form, as users write it).
    pub fn database(&self, name: &str) -> String {
        let mut c = postgres::Client::connect(&self.admin_url(), postgres::NoTls).expect("connect");
        c.batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let mut c = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"])
                .arg(self.bin.join("pg_ctl"));
            c
        } else {
            Command::new(self.bin.join("pg_ctl"))
        };
        let _ = c
            .args(["-D", data.to_str().unwrap(), "-m", "immediate", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
