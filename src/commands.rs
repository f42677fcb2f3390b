//! The subcommands other than `serve`: `import`, `export`, `token`, `backup`, `report`. Each
//! prints what it did and returns an error with a one-line reason.

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::auth::{self, Role};
use crate::index::LonLatBox;
use crate::ingest::import;
use crate::ingest::{CsvMapping, ImportOptions, Preset};
use crate::model::Layer;
use crate::store::Store;

/// `--data-dir` and `--database-url` for every subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct DataDir {
    /// Data directory [default: ./var]
    #[arg(long, env = "HOTSPOT_DATA_DIR", value_name = "DIR", default_value = crate::config::DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// Use the store in this PostgreSQL + PostGIS database instead of the data dir's, e.g.
    /// postgres://hotspot@127.0.0.1:5432/hotspot
    #[arg(
        long,
        env = "HOTSPOT_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
}

impl DataDir {
    /// Where the store lives.
    pub fn location(&self) -> Result<crate::store::Location, String> {
        let url = self
            .database_url
            .as_deref()
            .map(crate::store::DatabaseUrl::new)
            .transpose()
            .map_err(|e| format!("--database-url: {e}"))?;
        Ok(crate::store::Location::new(self.data_dir.clone(), url))
    }

    /// Opens the store (the database's when `--database-url` is given).
    pub fn open(&self) -> Result<Box<dyn crate::store::Repository>, String> {
        let location = self.location()?;
        location.open().map_err(|e| format!("{location}: {e}"))
    }

    /// The SQLite store of the data dir, for what only it can do (`--database-url` refused).
    fn open_sqlite(&self, command: &str) -> Result<Store, String> {
        if self.database_url.is_some() {
            return Err(format!(
                "--database-url: `hotspot {command}` works on the data dir's SQLite store{}",
                if command == "backup" {
                    "; back up a PostgreSQL store with pg_dump"
                } else {
                    ""
                }
            ));
        }
        Store::open(&self.data_dir).map_err(|e| e.to_string())
    }
}

/// Options of `hotspot import`.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// districts, incidents or observations
    pub layer: String,
    /// Files to import (each is its own all-or-nothing import)
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The store (with --database-url, refused records are still listed under the data dir)
    #[command(flatten)]
    pub dir: DataDir,
    /// auto (by extension), geojson, shapefile or csv
    #[arg(long, default_value = "auto")]
    pub format: String,
    /// CRS of the coordinates when the file does not say, e.g. EPSG:25832
    #[arg(long, value_name = "EPSG:N")]
    pub crs: Option<String>,
    /// Attribute/text encoding, e.g. latin1 (default: .cpg, else UTF-8, else Windows-1252)
    #[arg(long)]
    pub encoding: Option<String>,
    /// Import the valid records and list the refused ones, instead of importing nothing
    #[arg(long)]
    pub skip_invalid: bool,
    /// Source name stored with every record (re-imports are idempotent per source and id)
    #[arg(long)]
    pub source: Option<String>,
    /// CSV preset: police-uk or vpd (detected from the header when no columns are given)
    #[arg(long)]
    pub preset: Option<String>,
    /// TOML file with CSV column mapping keys (lon, lat, x, y, crs, category, datetime, …)
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// TOML file with a [categories] table: "Source type" = "code" or "ignore"
    #[arg(long, value_name = "FILE")]
    pub categories: Option<PathBuf>,
    /// Only accept positions inside minlon,minlat,maxlon,maxlat (WGS84)
    #[arg(long, value_name = "BBOX")]
    pub region: Option<String>,
    /// CSV: longitude column
    #[arg(long)]
    pub lon: Option<String>,
    /// CSV: latitude column
    #[arg(long)]
    pub lat: Option<String>,
    /// CSV: easting column (with --crs)
    #[arg(long)]
    pub x: Option<String>,
    /// CSV: northing column (with --crs)
    #[arg(long)]
    pub y: Option<String>,
    /// CSV: crime type column
    #[arg(long)]
    pub category: Option<String>,
    /// CSV: date-time column
    #[arg(long)]
    pub datetime: Option<String>,
    /// CSV: chrono format of the date-time column, e.g. "%d-%m-%Y %H:%M"
    #[arg(long)]
    pub datetime_format: Option<String>,
    /// CSV: IANA time zone of local times [default: Europe/Copenhagen]
    #[arg(long)]
    pub timezone: Option<String>,
    /// CSV: id column
    #[arg(long)]
    pub id: Option<String>,
    /// CSV: location precision of every row (address, street, area)
    #[arg(long)]
    pub precision: Option<String>,
    /// Districts: level of every feature (bydel, district, rode) when the file has none
    #[arg(long)]
    pub level: Option<String>,
    /// Districts: attribute holding the number or id
    #[arg(long)]
    pub id_field: Option<String>,
    /// Districts: attribute holding the name
    #[arg(long)]
    pub name_field: Option<String>,
}

/// `hotspot token …`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum TokenCommand {
    /// Make a token and print it once
    Create {
        /// planner, police or admin
        #[arg(long)]
        role: String,
        /// Who it is for
        #[arg(long)]
        name: String,
        #[command(flatten)]
        dir: DataDir,
    },
    /// List tokens (never their secrets)
    List {
        #[command(flatten)]
        dir: DataDir,
    },
    /// Revoke a token by its id
    Revoke {
        /// The id from `token list`
        id: i64,
        #[command(flatten)]
        dir: DataDir,
    },
}

fn parse_region(s: &str) -> Result<LonLatBox, String> {
    let v: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("--region: '{s}' is not minlon,minlat,maxlon,maxlat"))?;
    if v.len() != 4 || v[0] > v[2] || v[1] > v[3] {
        return Err(format!(
            "--region: '{s}' is not minlon,minlat,maxlon,maxlat"
        ));
    }
    Ok(LonLatBox {
        min_lon: v[0],
        min_lat: v[1],
        max_lon: v[2],
        max_lat: v[3],
    })
}

/// Builds import options from the command line.
pub fn import_options(a: &ImportArgs) -> Result<ImportOptions, String> {
    let mut mapping = CsvMapping {
        lon: a.lon.clone(),
        lat: a.lat.clone(),
        x: a.x.clone(),
        y: a.y.clone(),
        category: a.category.clone(),
        datetime: a.datetime.clone(),
        datetime_format: a.datetime_format.clone(),
        timezone: a.timezone.clone(),
        id: a.id.clone(),
        precision: a.precision.clone(),
        ..Default::default()
    };
    if let Some(f) = &a.mapping {
        let text =
            std::fs::read_to_string(f).map_err(|e| format!("--mapping {}: {e}", f.display()))?;
        let file: CsvMapping =
            toml::from_str(&text).map_err(|e| format!("--mapping {}: {e}", f.display()))?;
        mapping = mapping.or(file);
    }
    let categories_toml = match &a.categories {
        Some(f) => Some(
            std::fs::read_to_string(f).map_err(|e| format!("--categories {}: {e}", f.display()))?,
        ),
        None => None,
    };
    Ok(ImportOptions {
        format: Some(a.format.clone()),
        crs: a.crs.clone(),
        encoding: a.encoding.clone(),
        source: a.source.clone(),
        preset: a.preset.as_deref().map(Preset::parse).transpose()?,
        mapping,
        categories_toml,
        region: a.region.as_deref().map(parse_region).transpose()?,
        level: a.level.clone(),
        id_field: a.id_field.clone(),
        name_field: a.name_field.clone(),
    })
}

/// `hotspot import`: exit status 0 only when every file was imported whole (or with
/// `--skip-invalid`).
pub fn run_import(a: &ImportArgs) -> Result<(), String> {
    let layer = Layer::parse(&a.layer)?;
    let opts = import_options(a)?;
    let mut store = a.dir.open()?;
    let mut failed = 0;
    for file in &a.files {
        let spinner = spinner(file);
        let result = import::import_file(store.as_mut(), layer, file, &opts, a.skip_invalid);
        if let Some(s) = spinner {
            s.finish_and_clear();
        }
        let summary = result.map_err(|e| e.to_string())?;
        for n in &summary.notes {
            eprintln!("note: {n}");
        }
        for (t, n) in &summary.ignored {
            eprintln!("ignored: {n} rows of type '{t}' (mapped to ignore)");
        }
        for (t, n) in &summary.unmapped {
            eprintln!("unmapped: {n} rows of type '{t}' — map it in a --categories file");
        }
        for r in summary.rejected.iter().take(30) {
            eprintln!("rejected: {}: {}: {}", file.display(), r.location, r.reason);
        }
        if summary.rejected.len() > 30 {
            eprintln!("rejected: … and {} more", summary.rejected.len() - 30);
        }
        if !summary.rejected.is_empty() {
            let path = import::write_rejects(&a.dir.data_dir.join("imports"), file, &summary)
                .map_err(|e| format!("cannot write the rejects file: {e}"))?;
            eprintln!(
                "rejects: all {} listed in {}",
                summary.rejected.len(),
                path.display()
            );
        }
        println!("{}: {}", file.display(), summary.line());
        if !summary.committed {
            failed += 1;
        }
    }
    if failed > 0 {
        return Err(format!(
            "{failed} file(s) had refused records, so nothing was imported from them; fix them or use --skip-invalid"
        ));
    }
    Ok(())
}

fn spinner(file: &std::path::Path) -> Option<indicatif::ProgressBar> {
    // Files over ~0.5 MB hold thousands of rows: show that work is going on.
    let big = std::fs::metadata(file)
        .map(|m| m.len() > 500_000)
        .unwrap_or(false);
    if !big || !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = indicatif::ProgressBar::new_spinner();
    pb.set_message(format!("importing {}", file.display()));
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(pb)
}

/// `hotspot token …`.
pub fn run_token(cmd: &TokenCommand) -> Result<(), String> {
    let now = chrono::Utc::now().timestamp();
    match cmd {
        TokenCommand::Create { role, name, dir } => {
            let role = Role::parse_token_role(role)?;
            if name.trim().is_empty() {
                return Err("--name: is empty".into());
            }
            let store = dir.open()?;
            let t = auth::new_token()?;
            let id = store
                .create_token(name.trim(), role.code(), &t.salt, &t.hash, now)
                .map_err(|e| e.to_string())?;
            eprintln!(
                "token {id} for {} ({}); shown once, store it safely:",
                name.trim(),
                role.code()
            );
            println!("{}", auth::token_text(id, &t.secret));
            Ok(())
        }
        TokenCommand::List { dir } => {
            let store = dir.open()?;
            println!(
                "{:>4}  {:<8}  {:<20}  {:<20}  status",
                "id", "role", "name", "created"
            );
            for t in store.tokens().map_err(|e| e.to_string())? {
                println!(
                    "{:>4}  {:<8}  {:<20}  {:<20}  {}",
                    t.id,
                    t.role,
                    t.name,
                    crate::model::time::rfc3339(t.created_at),
                    match t.revoked_at {
                        Some(r) => format!("revoked {}", crate::model::time::rfc3339(r)),
                        None => "active".into(),
                    }
                );
            }
            Ok(())
        }
        TokenCommand::Revoke { id, dir } => {
            let store = dir.open()?;
            if store.revoke_token(*id, now).map_err(|e| e.to_string())? {
                println!("token {id} revoked");
                Ok(())
            } else {
                Err(format!("no active token {id}"))
            }
        }
    }
}

/// `hotspot backup FILE`.
pub fn run_backup(file: &std::path::Path, dir: &DataDir) -> Result<(), String> {
    if file.exists() {
        return Err(format!("{} exists; give a new file name", file.display()));
    }
    let store = dir.open_sqlite("backup")?;
    store
        .backup(file)
        .map_err(|e| format!("backup failed: {e}"))?;
    println!("backed up {} to {}", store.path().display(), file.display());
    Ok(())
}

/// Options of `hotspot copy-store`.
#[derive(Debug, Clone, clap::Args)]
pub struct CopyStoreArgs {
    /// The PostgreSQL database to fill, e.g. postgres://hotspot@127.0.0.1:5432/hotspot (must
    /// have PostGIS available and hold no hotspot data yet)
    #[arg(long, env = "HOTSPOT_TO", value_name = "URL", hide_env_values = true)]
    pub to: String,
    #[command(flatten)]
    pub dir: DataDir,
}

/// `hotspot copy-store --to URL`: the whole store of the data dir into an empty PostgreSQL
/// database in one transaction, row counts checked; prints the rows per table. The URL (and
/// its password) is never printed.
pub fn run_copy_store(a: &CopyStoreArgs) -> Result<(), String> {
    use crate::store::postgres::{copy_store, PgStore};
    let store = a.dir.open_sqlite("copy-store")?;
    let pg = PgStore::connect(&a.to).map_err(|e| format!("the database: {e}"))?;
    let t0 = std::time::Instant::now();
    let report = copy_store(&store, &pg).map_err(|e| format!("nothing was copied: {e}"))?;
    for (table, rows) in &report.tables {
        println!("{table:<18} {rows:>10} rows");
    }
    println!(
        "copied {} to PostgreSQL in {:.1} s (schema version {})",
        store.path().display(),
        t0.elapsed().as_secs_f64(),
        pg.schema_version().map_err(|e| e.to_string())?
    );
    Ok(())
}

/// Options of `hotspot export`.
#[derive(Debug, Clone, clap::Args)]
pub struct ExportArgs {
    /// districts, incidents or observations
    pub collection: String,
    /// geojson, csv or shapefile (a .zip with .shp, .shx, .dbf, .prj, .cpg)
    #[arg(long, default_value = "geojson")]
    pub format: String,
    /// CRS of a Shapefile export: EPSG:4326 (default) or EPSG:25832
    #[arg(long)]
    pub crs: Option<String>,
    /// CSV dialect: rfc4180 (default) or excel-da (`;`, decimal comma, UTF-8 BOM, Copenhagen
    /// local times: what Excel in a Danish locale opens by double-click)
    #[arg(long)]
    pub dialect: Option<String>,
    /// Where to write (must not exist)
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Only these categories (incidents), comma-separated
    #[arg(long)]
    pub category: Option<String>,
    /// Only this time: RFC 3339 instant, date, or start/end with .. for open ends
    #[arg(long)]
    pub datetime: Option<String>,
    /// Only inside this district (incidents, observations), e.g. district-8
    #[arg(long)]
    pub district: Option<String>,
    #[command(flatten)]
    pub dir: DataDir,
}

/// `hotspot export`: writes a layer, exactly as stored (synthetic demo records included and
/// marked by their source), streaming. Features are those the same filters select in
/// `GET /api/collections/{id}/items`; a GeoJSON export imports back unchanged, and so does a
/// Shapefile export of incidents or observations (times to the second; a note is cut to the
/// 254 bytes a dBase text field holds). The export is recorded in the audit log as made from
/// the command line.
pub fn run_export(a: &ExportArgs) -> Result<(), String> {
    use crate::output::export::{Export, Format};
    use std::io::Write;
    let layer = Layer::parse(&a.collection)?;
    let format = Format::parse(&a.format, a.crs.as_deref(), a.dialect.as_deref())
        .map_err(|(k, e)| format!("--{k}: {e}"))?;
    if matches!(format, Format::Csv(_)) && layer == Layer::Districts {
        return Err(
            "--format csv is offered for incidents and observations, not for district polygons"
                .into(),
        );
    }
    if a.out.exists() {
        return Err(format!("{} exists; give a new file name", a.out.display()));
    }
    let store = a.dir.open()?;
    let catalog = crate::catalog::Catalog::load(store.as_ref(), true).map_err(|e| e.to_string())?;
    use crate::service::query;
    // Each error names its parameter (`district: unknown …`): as an option, `--district: …`.
    let option = |e: crate::service::ServiceError| format!("--{e}");
    let within = a
        .district
        .as_deref()
        .map(|id| query::district(id, &catalog))
        .transpose()
        .map_err(option)?;
    let filter = crate::index::PointFilter {
        bbox: None,
        within,
        time: a
            .datetime
            .as_deref()
            .map(query::datetime)
            .transpose()
            .map_err(option)?,
    };
    let categories = a
        .category
        .as_deref()
        .map_or(Ok(u16::MAX), query::categories)
        .map_err(option)?;
    // The audit log records the filters as the query string an HTTP export would carry.
    let mut asked: Vec<(&str, &str)> = Vec::new();
    for (k, v) in [
        ("category", &a.category),
        ("datetime", &a.datetime),
        ("district", &a.district),
    ] {
        if let Some(v) = v {
            asked.push((k, v));
        }
    }
    let q = serde_urlencoded::to_string(&asked).map_err(|e| e.to_string())?;
    let positions: Vec<u32> = match layer {
        Layer::Incidents => catalog.query_incidents(&filter, categories),
        Layer::Observations => catalog.query_observations(&filter),
        Layer::Districts => (0..catalog.districts.len() as u32).collect(),
    };
    let count = positions.len();
    store
        .record_audit(&crate::store::AuditEntry {
            id: 0,
            at: chrono::Utc::now().timestamp(),
            actor: "command line".into(),
            role: "local".into(),
            action: "export".into(),
            collection: a.collection.clone(),
            format: format.code(),
            query: q,
            features: count as i64,
        })
        .map_err(|e| format!("cannot write the audit log: {e}"))?;
    let export = Export {
        catalog: std::sync::Arc::new(catalog),
        layer,
        positions,
        format,
    };
    let io = |e: std::io::Error| format!("{}: {e}", a.out.display());
    // Exact incidents: owner-only, like the store.
    let file = crate::store::create_private(&a.out).map_err(io)?;
    let mut w = std::io::BufWriter::new(file);
    let written = export.write_to(&mut w).map_err(|e| e.to_string());
    let flushed = w.flush().map_err(io);
    if let Err(e) = written.clone().and(flushed) {
        let _ = std::fs::remove_file(&a.out);
        return Err(e);
    }
    println!(
        "wrote {count} {} to {} ({})",
        a.collection,
        a.out.display(),
        format.code()
    );
    Ok(())
}

/// Options of `hotspot report`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// Calendar year, e.g. 2014
    #[arg(long)]
    pub year: i32,
    /// full (the May status) or h1 (the November status: 1 January – 30 June)
    #[arg(long, default_value = "full")]
    pub period: String,
    /// da or en
    #[arg(long, default_value = "da")]
    pub lang: String,
    /// Where to write the HTML page (an existing file is replaced)
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// The public edition: generalised, small counts withheld, published initiatives only
    #[arg(long)]
    pub public: bool,
    /// Data directory [default: ./var]
    #[arg(long, env = "HOTSPOT_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Read the store in this PostgreSQL + PostGIS database instead of the data dir's
    #[arg(
        long,
        env = "HOTSPOT_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// The server's TOML configuration file (its data_dir, database_url, demo and min_count
    /// apply)
    #[arg(long, env = "HOTSPOT_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Leave the synthetic demo records out, as `serve --no-demo` does
    #[arg(long, env = "HOTSPOT_NO_DEMO")]
    pub no_demo: bool,
    /// Smallest count the public edition shows [default: 3, or the configuration's]
    #[arg(long, env = "HOTSPOT_MIN_COUNT", value_name = "N")]
    pub min_count: Option<u32>,
}

/// `hotspot report`: the status report as a self-contained HTML file, the same page as
/// `GET /api/status-report` (the secretariat's edition unless `--public`).
pub fn run_report(a: &ReportArgs) -> Result<(), String> {
    use crate::auth::Caller;
    use crate::service::Service;
    let lang = crate::planning::Lang::parse(&a.lang)
        .ok_or_else(|| format!("--lang: '{}' is not da or en", a.lang))?;
    let first_half = match a.period.as_str() {
        "full" => false,
        "h1" => true,
        p => return Err(format!("--period: '{p}' is not full or h1")),
    };
    if !(1990..=2100).contains(&a.year) {
        return Err(format!("--year: {} is not 1990..2100", a.year));
    }
    // The server's settings (file, environment, flags); the store is only read.
    let config = crate::config::Config::load(&crate::config::ServeArgs {
        data_dir: a.data_dir.clone(),
        database_url: a.database_url.clone(),
        config: a.config.clone(),
        no_demo: a.no_demo,
        min_count: a.min_count,
        ..Default::default()
    })
    .map_err(|e| e.to_string())?;
    let path = config.data_dir.join(crate::store::STORE_FILE);
    if config.database_url.is_none() && !path.exists() {
        return Err(format!(
            "{} does not exist: start `hotspot serve --data-dir {}` once (or import data) first",
            path.display(),
            config.data_dir.display()
        ));
    }
    let location = config.location();
    let store = location.open().map_err(|e| format!("{location}: {e}"))?;
    let catalog =
        crate::catalog::Catalog::load(store.as_ref(), config.demo).map_err(|e| e.to_string())?;
    // The report's page never shows a report's public JSON: the book keeps none.
    let service = Service::new(store, catalog, config.demo, |_| Vec::new())
        .map_err(|e| format!("the store cannot be loaded whole: {e}"))?
        .with_min_count(config.min_count);
    let caller = if a.public {
        Caller::PUBLIC
    } else {
        Caller {
            role: Role::Planner,
            token: None,
        }
    };
    let html = crate::service::status_report::render(&service, &caller, a.year, first_half, lang)
        .map_err(|e| e.to_string())?;
    let tmp = a.out.with_extension("html.part");
    std::fs::write(&tmp, html.as_bytes())
        .and_then(|()| std::fs::rename(&tmp, &a.out))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("{}: {e}", a.out.display())
        })?;
    println!(
        "wrote {} ({} edition, {} {}, {} bytes)",
        a.out.display(),
        if a.public { "public" } else { "secretariat" },
        a.year,
        if first_half {
            "first half"
        } else {
            "full year"
        },
        html.len()
    );
    Ok(())
}
