//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod pg;
pub mod system;

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

/// One token per role in the shared demo data dir, made once per test binary.
pub struct Tokens {
    /// `Authorization` value of a planner token.
    pub planner: String,
    /// Of a police token.
    pub police: String,
    /// Of an admin token.
    pub admin: String,
    /// Of a police token that has been revoked.
    pub revoked: String,
}

/// The tokens of the shared demo data dir.
pub fn demo_tokens() -> &'static Tokens {
    static TOKENS: OnceLock<Tokens> = OnceLock::new();
    TOKENS.get_or_init(|| {
        let store = hotspot::store::Store::open(demo_data_dir()).expect("store");
        let make = |role: &str| {
            let t = hotspot::auth::new_token().unwrap();
            let id = store
                .create_token(&format!("test {role}"), role, &t.salt, &t.hash, 0)
                .unwrap();
            format!("Bearer {}", hotspot::auth::token_text(id, &t.secret))
        };
        let revoked = make("police");
        let revoked_id: i64 = revoked.split('_').nth(1).unwrap().parse().unwrap();
        assert!(store.revoke_token(revoked_id, 1).unwrap());
        Tokens {
            planner: make("planner"),
            police: make("police"),
            admin: make("admin"),
            revoked,
        }
    })
}

/// Application state over the shared demo data dir (its own store connection), which knows
/// the [`demo_tokens`].
pub fn demo_state() -> hotspot::api::AppState {
    demo_tokens();
    let config = Config {
        data_dir: demo_data_dir().clone(),
        ..Config::default()
    };
    let (store, catalog, _) = hotspot::app::open(&config).expect("load");
    hotspot::api::AppState::new(store, catalog, hotspot::api::WebSettings::default(), true)
        .expect("state")
}

/// A TCP port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A minimal HTTP/1.1 request to the real binary (no client crate needed): returns the status
/// and the body, or `None` when the connection fails.
pub fn http(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<(u16, String)> {
    http_with_head(method, url, headers, body).map(|(s, _, b)| (s, b))
}

/// As [`http`], also returning the response head (status line and headers) as text.
pub fn http_with_head(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<(u16, String, String)> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut s = std::net::TcpStream::connect(host).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .ok()?;
    let mut req = format!(
        "{method} {} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        if path.is_empty() { "/" } else { path },
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    // Head and body in one write, as browsers send a small request (two writes would wait
    // on Nagle's algorithm for the peer's delayed ACK).
    let mut whole = req.into_bytes();
    whole.extend_from_slice(body);
    s.write_all(&whole).ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.get(9..12)?.parse().ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Some((status, head.to_owned(), body))
}

/// The status and the raw response head of a GET.
pub fn http_head(url: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut s = std::net::TcpStream::connect(host).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .ok()?;
    write!(
        s,
        "GET {} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n",
        if path.is_empty() { "/" } else { path }
    )
    .ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.get(9..12)?.parse().ok()?;
    Some((status, text.split_once("\r\n\r\n")?.0.to_owned()))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// The shared real data sets beside the checkout, if present. Tests that need them say so
/// and return early when they are absent (CI has them).
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIPPED: ../shared/data/{rel} is absent; this check needs the shared data sets");
        None
    }
}

/// The repository's test fixtures.
pub fn fixture(rel: &str) -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}
