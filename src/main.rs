//! The `hotspot` binary: parses the command line, loads the data, serves.

use std::process::ExitCode;

use actix_web::dev::Service;
use actix_web::middleware::{Compress, DefaultHeaders};
use actix_web::{web, App, HttpServer};
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use hotspot::api::{self, AppState, WebSettings};
use hotspot::commands;
use hotspot::config::{Config, LogFormat, ServeArgs};

/// Safety mapping for Copenhagen's Hotspot programme (Indre Nørrebro, district 8).
#[derive(Parser)]
#[command(
    name = "hotspot",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and the web app (the default)
    Serve(ServeArgs),
    /// Import districts, incidents or observations from GeoJSON, Shapefile or CSV
    Import(Box<commands::ImportArgs>),
    /// Write a layer to a GeoJSON or CSV file
    Export(Box<commands::ExportArgs>),
    /// Write the annual (or half-year) status report as a self-contained HTML page
    Report(Box<commands::ReportArgs>),
    /// Make, list and revoke API tokens
    #[command(subcommand)]
    Token(commands::TokenCommand),
    /// Copy the whole SQLite store into an empty PostgreSQL + PostGIS database, all or nothing
    CopyStore(commands::CopyStoreArgs),
    /// Write a consistent copy of the store (safe while serving)
    Backup {
        /// Where to write the copy (must not exist)
        file: std::path::PathBuf,
        #[command(flatten)]
        dir: commands::DataDir,
    },
}

fn finish(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hotspot: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("HOTSPOT_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let args = match cli.command {
        Some(Command::Serve(a)) => a,
        None => cli.serve,
        Some(Command::Import(a)) => return finish(commands::run_import(&a)),
        Some(Command::Token(t)) => return finish(commands::run_token(&t)),
        Some(Command::Export(a)) => return finish(commands::run_export(&a)),
        Some(Command::Report(a)) => return finish(commands::run_report(&a)),
        Some(Command::Backup { file, dir }) => return finish(commands::run_backup(&file, &dir)),
        Some(Command::CopyStore(a)) => return finish(commands::run_copy_store(&a)),
    };
    let config = match Config::load(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("hotspot: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(config.log_format);
    match serve(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("hotspot: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Opens the store and loads everything before the HTTP runtime starts (a PostgreSQL client
/// blocks, and must not do so on the runtime's threads), then serves until stopped.
fn serve(config: Config) -> anyhow::Result<()> {
    use anyhow::Context;
    tracing::info!(store = %config.location(), demo = config.demo, "loading");
    let (store, catalog, report) = hotspot::app::open(&config).context("start-up failed")?;
    tracing::info!(
        districts = catalog.districts.len(),
        incidents = catalog.incidents.len(),
        observations = catalog.observations.len(),
        synthetic_incidents = catalog.synthetic.incidents,
        generated_demo_incidents = report.demo_incidents,
        generated_demo_observations = report.demo_observations,
        districts_synced = report.districts_synced,
        data_version = %catalog.version,
        millis = report.millis as u64,
        "data loaded"
    );
    let state = web::Data::new(
        AppState::new(
            store,
            catalog,
            WebSettings {
                basemap_tiles: config.basemap_tiles.clone(),
                basemap_attribution: config.basemap_attribution.clone(),
            },
            config.demo,
        )
        .context("the store cannot be loaded whole; refusing to serve with parts missing")?
        .with_pool_size(config.db_pool_size)
        .context("the store cannot be loaded whole; refusing to serve with parts missing")?
        .with_min_count(config.min_count)
        .with_report_limit(config.report_limit)
        .with_rate_limit_secret_opt(config.rate_limit_secret.as_ref().map(|s| s.0.as_str()))
        .with_trusted_proxies(
            api::client::TrustedProxies::parse(&config.trusted_proxies)
                .map_err(|e| anyhow::anyhow!("trusted_proxies: {e}"))?,
        ),
    );
    if config.database_url.is_some() && config.rate_limit_secret.is_none() {
        tracing::warn!("no --rate-limit-secret (HOTSPOT_RATE_LIMIT_SECRET): this replica counts each client's reports alone; give every replica the same secret to count them together");
    }
    // District members and the default study grid are computed while the server starts taking
    // requests (the first district query would otherwise pay for them).
    state.warm_in_background();
    // Imports, token changes and reports committed by other processes on the same store
    // (`hotspot import`, `hotspot token`, a second `serve`) show up here within a second.
    hotspot::service::follow_in_background(state.clone().into_inner())
        .context("cannot start the store watcher")?;
    actix_web::rt::System::new().block_on(run(config, state))
}

/// Serves `state` over HTTP as `config` says, until stopped.
async fn run(config: Config, state: web::Data<AppState>) -> anyhow::Result<()> {
    use anyhow::Context;
    let csp = api::content_security_policy(config.basemap_tiles.as_deref());
    let cors_origins = config.cors_origins.clone();
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap(api::cors(&cors_origins))
            // Outside CORS, so that a refused preflight is a problem-details answer too.
            .wrap(actix_web::middleware::from_fn(api::problem_bodies))
            .wrap(Compress::default())
            .wrap(
                DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("Referrer-Policy", "no-referrer"))
                    .add(("Content-Security-Policy", csp.clone())),
            )
            .wrap_fn(|req, srv| {
                // Method, path and status only: query strings and headers may carry what
                // must not be logged.
                let method = req.method().clone();
                let path = req.path().to_owned();
                let started = std::time::Instant::now();
                let fut = srv.call(req);
                async move {
                    let res = fut.await;
                    let status = res.as_ref().map(|r| r.status().as_u16()).unwrap_or(500);
                    tracing::info!(%method, %path, status, micros = started.elapsed().as_micros() as u64, "request");
                    res
                }
            })
            .configure(api::routes)
    })
    .shutdown_timeout(10)
    // Answers go out as soon as they are written: with Nagle's algorithm on, a response's
    // head and body in two writes waited ~40 ms for the client's delayed ACK on every kept-alive
    // request (GDAL's 10,000 page requests: 40 ms each instead of 1 ms).
    .on_connect(|conn, _| {
        if let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::warn!("TCP_NODELAY: {e}");
            }
        }
    })
    // Bounded connections per worker (so a flood of idle connections cannot exhaust file
    // descriptors) and prompt timeouts for request heads and closing; bodies that trickle are
    // cut by their readers. A reverse proxy in front is still the defence against slowloris.
    .max_connections(4096)
    .client_request_timeout(std::time::Duration::from_secs(5))
    .client_disconnect_timeout(std::time::Duration::from_secs(2))
    .bind(config.listen)
    .with_context(|| format!("cannot listen on {}", config.listen))?;
    if let Some(w) = config.workers {
        server = server.workers(w);
    }
    tracing::info!(listen = %config.listen, "serving http://{}/", config.listen);
    server.run().await?;
    tracing::info!("stopped");
    Ok(())
}
