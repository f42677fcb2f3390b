//! Where a store lives — a data directory's SQLite file (the default) or a PostgreSQL + PostGIS
//! database (DESIGN.md, "Scaling out") — and how to open connections and the report writer
//! there. The service opens every connection it needs through this, so nothing above the store
//! knows which backend it runs on.

use std::path::PathBuf;

use super::writer::{Touched, Writer};
use super::{Repository, Result, Store};

/// A PostgreSQL connection URL (`postgres://user:password@host:port/dbname`, or libpq's
/// `key=value` form). It may hold a password, so it is never printed: its `Debug` and
/// `Display` show the host and database only.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// Wraps `url`, refusing an empty one.
    pub fn new(url: &str) -> std::result::Result<DatabaseUrl, String> {
        let url = url.trim();
        if url.is_empty() {
            return Err("is empty".into());
        }
        // The client's own parser, so that a typo is named at start-up, not at first use.
        url.parse::<postgres::Config>()
            .map_err(|e| format!("is not a PostgreSQL connection URL ({e})"))?;
        Ok(DatabaseUrl(url.to_owned()))
    }

    /// A URL a connection was made with already.
    pub(crate) fn known(url: &str) -> DatabaseUrl {
        DatabaseUrl(url.to_owned())
    }

    /// The URL itself, for the driver only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.parse::<postgres::Config>() {
            Ok(c) => {
                let host = c
                    .get_hosts()
                    .first()
                    .map(|h| match h {
                        postgres::config::Host::Tcp(name) => name.clone(),
                        #[cfg(unix)]
                        postgres::config::Host::Unix(path) => path.display().to_string(),
                    })
                    .unwrap_or_else(|| "localhost".into());
                let port = c.get_ports().first().copied().unwrap_or(5432);
                let db = c.get_dbname().or(c.get_user()).unwrap_or("postgres");
                write!(f, "postgresql://{host}:{port}/{db}")
            }
            Err(_) => f.write_str("postgresql://(unreadable URL)"),
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// Where a store lives.
#[derive(Debug, Clone)]
pub enum Location {
    /// `hotspot.sqlite` in this data directory.
    Dir(PathBuf),
    /// A PostgreSQL + PostGIS database.
    Postgres(DatabaseUrl),
}

impl Location {
    /// The database at `url` when one is given, else the data directory `dir`.
    pub fn new(dir: PathBuf, url: Option<DatabaseUrl>) -> Location {
        match url {
            Some(u) => Location::Postgres(u),
            None => Location::Dir(dir),
        }
    }

    /// Opens a connection (migrating the schema if it is behind).
    pub fn open(&self) -> Result<Box<dyn Repository>> {
        Ok(match self {
            Location::Dir(dir) => Box::new(Store::open(dir)?),
            Location::Postgres(url) => Box::new(super::postgres::PgStore::connect(url.expose())?),
        })
    }

    /// Starts the one report writer of this process on a connection of its own; `committed`
    /// runs after every commit with what the committed writes changed (and the change-feed
    /// positions logged, if known), before they are answered.
    pub fn start_report_writer(
        &self,
        committed: impl Fn(Vec<Touched>, Vec<i64>) + Send + 'static,
    ) -> Result<Writer> {
        match self {
            Location::Dir(dir) => Writer::start(dir, committed),
            Location::Postgres(url) => Writer::start_on(
                Box::new(super::postgres::PgReportSink::connect(url.expose())?),
                committed,
            ),
        }
    }

    /// Waits for the next change by another process, up to `timeout`: on PostgreSQL until a
    /// commit's notification arrives (see [`super::postgres::ChangeListener`]); on SQLite,
    /// which has no such signal, for `timeout`. Returns a waiter for one thread.
    pub fn change_waiter(&self) -> Box<dyn FnMut(std::time::Duration) + Send> {
        match self {
            Location::Dir(_) => Box::new(std::thread::sleep),
            Location::Postgres(url) => {
                let mut listener = super::postgres::ChangeListener::new(url.expose());
                Box::new(move |timeout| {
                    listener.wait(timeout);
                })
            }
        }
    }

    /// Whether this is a PostgreSQL database.
    pub fn is_postgres(&self) -> bool {
        matches!(self, Location::Postgres(_))
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Dir(dir) => write!(f, "{}", dir.join(super::STORE_FILE).display()),
            Location::Postgres(url) => write!(f, "{url}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_url_never_shows_its_password() {
        let u = DatabaseUrl::new("postgres://hotspot:s3cret@db.internal:5433/hotspot").unwrap();
        for shown in [format!("{u}"), format!("{u:?}")] {
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(shown.contains("db.internal:5433/hotspot"), "{shown}");
        }
        let kv = DatabaseUrl::new("host=/run/postgresql user=hotspot password=s3cret").unwrap();
        assert!(!kv.to_string().contains("s3cret"));
        assert!(DatabaseUrl::new("  ").is_err());
        assert!(DatabaseUrl::new("postgres://h:notaport/db").is_err());
    }
}
