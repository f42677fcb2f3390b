//! Configuration, in layers: built-in defaults → optional TOML file (`--config`) → `HOTSPOT_*`
//! environment variables → command-line flags. Validated once at start-up.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Default address to listen on: loopback only, so a fresh start exposes nothing.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default data directory, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = "./var";

/// What can be wrong with the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The TOML file could not be read.
    #[error("config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The TOML file is not valid.
    #[error("config file {path}: {reason}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A setting has a bad value.
    #[error("{field}: {reason}")]
    Invalid {
        /// The setting's name.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// Output format of the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// A secret setting: its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// The service's configuration after all layers are applied.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address and port to serve on.
    pub listen: SocketAddr,
    /// Directory holding the store (`hotspot.sqlite`).
    pub data_dir: PathBuf,
    /// A PostgreSQL + PostGIS database to hold the store instead of the data directory (the
    /// data directory then keeps only lists of refused import records).
    pub database_url: Option<crate::store::DatabaseUrl>,
    /// Whether the synthetic demo data is generated on first start and shown.
    pub demo: bool,
    /// Optional raster basemap URL template (`https://…/{z}/{x}/{y}.png`) for deployments with
    /// internet; without it the web app draws its basemap from the shipped streets and blocks.
    pub basemap_tiles: Option<String>,
    /// Attribution for `basemap_tiles`.
    pub basemap_attribution: Option<String>,
    /// Log format.
    pub log_format: LogFormat,
    /// HTTP worker threads; `None` = one per core.
    pub workers: Option<usize>,
    /// Origins allowed to call the API from a browser (CORS), e.g. `https://gis.example.dk`;
    /// `*` allows any origin. Empty (the default): same origin only.
    pub cors_origins: Vec<String>,
    /// The smallest incident count a public aggregate shows (smaller ones are suppressed).
    pub min_count: u32,
    /// Reports (and "me too"s) one client may send per 10 minutes; 0 = no limit.
    pub report_limit: usize,
    /// Store connections a server keeps for reads, and on PostgreSQL as many again for the
    /// shared rate limits (besides five of its own: 2 × N + 5 in all).
    pub db_pool_size: usize,
    /// The secret replicas over one database share to count each client's reports together
    /// (their salts derive from it; the database never holds it). Without it, each replica
    /// counts alone. Not printed.
    pub rate_limit_secret: Option<Secret>,
    /// Proxies (addresses or CIDR blocks) whose `X-Forwarded-For` / `Forwarded` headers name
    /// the client (rate limits) and whose `X-Forwarded-Host` names the host of links. Empty
    /// (the default): the TCP peer is the client and those headers are ignored.
    pub trusted_proxies: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: DEFAULT_LISTEN.parse().expect("default address parses"),
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            database_url: None,
            demo: true,
            basemap_tiles: None,
            basemap_attribution: None,
            log_format: LogFormat::Text,
            workers: None,
            cors_origins: Vec::new(),
            min_count: crate::privacy::DEFAULT_MIN_COUNT,
            report_limit: crate::reports::ratelimit::REPORTS_PER_WINDOW,
            db_pool_size: DEFAULT_DB_POOL_SIZE,
            rate_limit_secret: None,
            trusted_proxies: Vec::new(),
        }
    }
}

/// The TOML file's keys; all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    demo: Option<bool>,
    basemap_tiles: Option<String>,
    basemap_attribution: Option<String>,
    log_format: Option<LogFormat>,
    workers: Option<usize>,
    cors_origins: Option<Vec<String>>,
    min_count: Option<u32>,
    report_limit: Option<usize>,
    db_pool_size: Option<usize>,
    rate_limit_secret: Option<String>,
    trusted_proxies: Option<Vec<String>>,
}

/// Options of `hotspot serve` (and of plain `hotspot`). Each also reads `HOTSPOT_<NAME>`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "HOTSPOT_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// Data directory [default: ./var]
    #[arg(long, env = "HOTSPOT_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Keep the store in this PostgreSQL + PostGIS database instead of the data dir, e.g.
    /// postgres://hotspot@127.0.0.1:5432/hotspot (several replicas may share one)
    #[arg(
        long,
        env = "HOTSPOT_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// TOML configuration file
    #[arg(long, env = "HOTSPOT_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Do not generate or show the synthetic demo incidents and observations
    #[arg(long, env = "HOTSPOT_NO_DEMO")]
    pub no_demo: bool,
    /// Raster basemap URL template with {z}/{x}/{y}, for deployments with internet
    #[arg(long, env = "HOTSPOT_BASEMAP_TILES", value_name = "URL")]
    pub basemap_tiles: Option<String>,
    /// Attribution text for --basemap-tiles
    #[arg(long, env = "HOTSPOT_BASEMAP_ATTRIBUTION", value_name = "TEXT")]
    pub basemap_attribution: Option<String>,
    /// Log format
    #[arg(long, env = "HOTSPOT_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// HTTP worker threads [default: one per core]
    #[arg(long, env = "HOTSPOT_WORKERS", value_name = "N")]
    pub workers: Option<usize>,
    /// Origins allowed to call the API from browsers (CORS), comma-separated; * for any
    #[arg(
        long,
        env = "HOTSPOT_CORS_ORIGINS",
        value_name = "ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Option<Vec<String>>,
    /// Smallest incident count a public aggregate shows [default: 3]
    #[arg(long, env = "HOTSPOT_MIN_COUNT", value_name = "N")]
    pub min_count: Option<u32>,
    /// Reports one client may send per 10 minutes; 0 = no limit [default: 5]
    #[arg(long, env = "HOTSPOT_REPORT_LIMIT", value_name = "N")]
    pub report_limit: Option<usize>,
    /// Store connections for reads, and on PostgreSQL as many for the shared rate limits
    /// [default: 4]
    #[arg(long, env = "HOTSPOT_DB_POOL_SIZE", value_name = "N")]
    pub db_pool_size: Option<usize>,
    /// A secret (16+ characters) every replica over one database is given alike, so that they
    /// count each client's reports together [default: each replica counts alone]
    #[arg(
        long,
        env = "HOTSPOT_RATE_LIMIT_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub rate_limit_secret: Option<String>,
    /// Proxies whose X-Forwarded-For / Forwarded headers are believed (addresses or CIDR
    /// blocks, comma-separated) [default: none]
    #[arg(
        long,
        env = "HOTSPOT_TRUSTED_PROXIES",
        value_name = "CIDR",
        value_delimiter = ','
    )]
    pub trusted_proxies: Option<Vec<String>>,
}

impl Config {
    /// Applies the layers: defaults, then the TOML file named by `args.config` (if any), then
    /// `args` (which clap has already filled from the environment and the flags), and
    /// validates the result.
    pub fn load(args: &ServeArgs) -> Result<Config, ConfigError> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let mut c = Config::default();
        if let Some(v) = file.listen.as_deref() {
            c.listen = parse_listen(v)?;
        }
        if let Some(v) = file.data_dir {
            c.data_dir = v;
        }
        let database_url = |v: &str| {
            crate::store::DatabaseUrl::new(v).map_err(|reason| ConfigError::Invalid {
                field: "database_url",
                reason,
            })
        };
        if let Some(v) = file.database_url.as_deref() {
            c.database_url = Some(database_url(v)?);
        }
        if let Some(v) = file.demo {
            c.demo = v;
        }
        c.basemap_tiles = file.basemap_tiles;
        c.basemap_attribution = file.basemap_attribution;
        if let Some(v) = file.log_format {
            c.log_format = v;
        }
        c.workers = file.workers;
        if let Some(v) = file.cors_origins {
            c.cors_origins = v;
        }
        if let Some(v) = file.min_count {
            c.min_count = v;
        }
        if let Some(v) = file.report_limit {
            c.report_limit = v;
        }
        if let Some(v) = file.db_pool_size {
            c.db_pool_size = v;
        }
        if let Some(v) = file.rate_limit_secret {
            c.rate_limit_secret = Some(Secret(v));
        }
        if let Some(v) = file.trusted_proxies {
            c.trusted_proxies = v;
        }

        if let Some(v) = &args.listen {
            c.listen = parse_listen(v)?;
        }
        if let Some(v) = &args.data_dir {
            c.data_dir = v.clone();
        }
        if let Some(v) = args.database_url.as_deref() {
            c.database_url = Some(database_url(v)?);
        }
        if args.no_demo {
            c.demo = false;
        }
        if args.basemap_tiles.is_some() {
            c.basemap_tiles = args.basemap_tiles.clone();
        }
        if args.basemap_attribution.is_some() {
            c.basemap_attribution = args.basemap_attribution.clone();
        }
        if let Some(v) = args.log_format {
            c.log_format = v;
        }
        if args.workers.is_some() {
            c.workers = args.workers;
        }
        if let Some(v) = &args.cors_origins {
            c.cors_origins = v
                .iter()
                .map(|o| o.trim().to_owned())
                .filter(|o| !o.is_empty())
                .collect();
        }
        if let Some(v) = args.min_count {
            c.min_count = v;
        }
        if let Some(v) = args.report_limit {
            c.report_limit = v;
        }
        if let Some(v) = args.db_pool_size {
            c.db_pool_size = v;
        }
        if let Some(v) = &args.rate_limit_secret {
            c.rate_limit_secret = Some(Secret(v.clone()));
        }
        if let Some(v) = &args.trusted_proxies {
            c.trusted_proxies = v.clone();
        }
        c.validate()?;
        Ok(c)
    }

    /// Where the store lives: the database when one is set, else the data directory.
    pub fn location(&self) -> crate::store::Location {
        crate::store::Location::new(self.data_dir.clone(), self.database_url.clone())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.basemap_tiles {
            let ok_scheme = url.starts_with("https://") || url.starts_with("http://");
            let ok_vars = ["{z}", "{x}", "{y}"].iter().all(|v| url.contains(v));
            if !ok_scheme || !ok_vars {
                return Err(ConfigError::Invalid {
                    field: "basemap_tiles",
                    reason: format!(
                        "'{url}' must be an http(s) URL template with {{z}}, {{x}} and {{y}}"
                    ),
                });
            }
        }
        if !(1..=64).contains(&self.db_pool_size) {
            return Err(ConfigError::Invalid {
                field: "db_pool_size",
                reason: format!("{} is not between 1 and 64", self.db_pool_size),
            });
        }
        if let Some(w) = self.workers {
            if !(1..=256).contains(&w) {
                return Err(ConfigError::Invalid {
                    field: "workers",
                    reason: format!("{w} is not between 1 and 256"),
                });
            }
        }
        for o in &self.cors_origins {
            if !origin_ok(o) {
                return Err(ConfigError::Invalid {
                    field: "cors_origins",
                    reason: format!("'{o}' is not an origin like https://gis.example.dk (scheme and host, no path) or *"),
                });
            }
        }
        if self.min_count == 0 || self.min_count > 1000 {
            return Err(ConfigError::Invalid {
                field: "min_count",
                reason: format!("{} is not between 1 and 1000", self.min_count),
            });
        }
        TrustedProxies::parse(&self.trusted_proxies).map_err(|reason| ConfigError::Invalid {
            field: "trusted_proxies",
            reason,
        })?;
        if self
            .rate_limit_secret
            .as_ref()
            .is_some_and(|s| s.0.trim().chars().count() < 16)
        {
            return Err(ConfigError::Invalid {
                field: "rate_limit_secret",
                reason: "is shorter than 16 characters".into(),
            });
        }
        if self.data_dir.as_os_str().is_empty() {
            return Err(ConfigError::Invalid {
                field: "data_dir",
                reason: "is empty".into(),
            });
        }
        Ok(())
    }
}

/// `*`, or `scheme://host[:port]` with nothing after it.
fn origin_ok(o: &str) -> bool {
    if o == "*" {
        return true;
    }
    match o.split_once("://") {
        Some(("http" | "https", host)) => !host.is_empty() && !host.contains(['/', ' ', '?', '#']),
        _ => false,
    }
}

fn parse_listen(v: &str) -> Result<SocketAddr, ConfigError> {
    v.parse().map_err(|_| ConfigError::Invalid {
        field: "listen",
        reason: format!("'{v}' is not an address like 127.0.0.1:8080"),
    })
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

/// Store connections for reads (and for the shared rate limits) unless configured.
pub const DEFAULT_DB_POOL_SIZE: usize = 4;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order() {
        let dir = std::env::temp_dir().join(format!("hotspot-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("hotspot.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\ndata_dir = \"/srv/hotspot\"\ndemo = false\n",
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(file.clone()),
            listen: Some("0.0.0.0:9100".into()),
            ..Default::default()
        };
        let c = Config::load(&args).unwrap();
        assert_eq!(c.listen.to_string(), "0.0.0.0:9100"); // flag beats file
        assert_eq!(c.data_dir, PathBuf::from("/srv/hotspot")); // file beats default
        assert!(!c.demo);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn bad_values_are_named() {
        let args = ServeArgs {
            listen: Some("localhost".into()),
            ..Default::default()
        };
        assert!(Config::load(&args)
            .unwrap_err()
            .to_string()
            .starts_with("listen:"));
        let args = ServeArgs {
            basemap_tiles: Some("ftp://x".into()),
            ..Default::default()
        };
        assert!(Config::load(&args)
            .unwrap_err()
            .to_string()
            .starts_with("basemap_tiles:"));
        let args = ServeArgs {
            trusted_proxies: Some(vec!["10.0.0.0/8".into(), "proxy.local".into()]),
            ..Default::default()
        };
        let e = Config::load(&args).unwrap_err().to_string();
        assert!(e.starts_with("trusted_proxies: 'proxy.local'"), "{e}");
        for n in [0, 65] {
            let args = ServeArgs {
                db_pool_size: Some(n),
                ..Default::default()
            };
            let e = Config::load(&args).unwrap_err().to_string();
            assert!(e.starts_with("db_pool_size:"), "{e}");
        }
        let args = ServeArgs {
            db_pool_size: Some(8),
            ..Default::default()
        };
        assert_eq!(Config::load(&args).unwrap().db_pool_size, 8);
    }

    #[test]
    fn unknown_file_keys_are_rejected() {
        let dir = std::env::temp_dir().join(format!("hotspot-config-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("hotspot.toml");
        std::fs::write(&file, "lisen = \"127.0.0.1:9000\"\n").unwrap();
        let args = ServeArgs {
            config: Some(file),
            ..Default::default()
        };
        assert!(Config::load(&args)
            .unwrap_err()
            .to_string()
            .contains("lisen"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}

/// The proxies whose forwarding headers are believed (empty = none: the TCP peer is the client).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<ipnet::IpNet>);

impl TrustedProxies {
    /// Parses `CIDR` or plain addresses (`10.0.0.0/8`, `127.0.0.1`, `::1`); the error names
    /// the entry.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for e in entries {
            let e = e.as_ref().trim();
            if e.is_empty() {
                continue;
            }
            let net = e
                .parse::<ipnet::IpNet>()
                .or_else(|_| e.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("'{e}' is not an address or a CIDR block like 10.0.0.0/8"))?;
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` is one of them.
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|n| n.contains(&ip))
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) as the IPv4 address they are.
pub fn canonical(ip: std::net::IpAddr) -> std::net::IpAddr {
    match ip {
        std::net::IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(std::net::IpAddr::V4)
            .unwrap_or(std::net::IpAddr::V6(v6)),
        v4 => v4,
    }
}
