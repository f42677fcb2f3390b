//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use hotspot::catalog::Catalog;
use hotspot::config::Config;

/// A fresh, empty, unique directory under the system temp dir.
pub fn temp_dir(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "hotspot-it-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A data dir with the demo generated once per test binary.
pub fn demo_data_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = temp_dir("demo");
        let config = Config {
            data_dir: dir.clone(),
            ..Config::default()
        };
        hotspot::app::open(&config).expect("demo store");
        dir
    })
}

/// The demo catalog, loaded from the shared demo data dir.
pub fn demo_catalog() -> Catalog {
    let config = Config {
        data_dir: demo_data_dir().clone(),
        ..Config::default()
    };
    hotspot::app::open(&config).expect("load").1
}

/// A TCP port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}
