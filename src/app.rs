//! Start-up: opens the store, brings the shipped boundaries into it, generates the demo data on
//! first start, and builds the in-memory catalog from what is stored.

use std::time::Instant;

use crate::catalog::Catalog;
use crate::config::Config;
use crate::ingest::{self, shipped};
use crate::store::{Repository, StoreError};
use crate::{demo, store};

/// What can stop the service from starting.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A shipped file did not parse (a build defect).
    #[error(transparent)]
    Ingest(#[from] ingest::IngestError),
}

/// What start-up did, for the log.
#[derive(Debug, Clone, Copy)]
pub struct StartReport {
    /// Whether the shipped districts were (re)written to the store.
    pub districts_synced: bool,
    /// Synthetic incidents generated this start (0 when none).
    pub demo_incidents: usize,
    /// Synthetic observations generated this start.
    pub demo_observations: usize,
    /// Milliseconds from opening the store to a built catalog.
    pub millis: u128,
}

/// A stable digest of text (FNV-1a 64), to see whether the shipped boundaries changed.
fn digest(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in text.as_bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Opens the store where `config` says (the data directory, or a PostgreSQL database),
/// prepares it, and loads the catalog.
pub fn open(config: &Config) -> Result<(Box<dyn Repository>, Catalog, StartReport), StartError> {
    let started = Instant::now();
    let mut store = config.location().open()?;

    let shipped_digest = digest(shipped::DISTRICTS);
    let districts_synced =
        if store.meta("shipped_districts_digest")?.as_deref() == Some(shipped_digest.as_str()) {
            false
        } else {
            let districts = ingest::read_districts("data/districts.geojson", shipped::DISTRICTS)?;
            store.sync_shipped_districts(&districts, &shipped_digest)?
        };

    let (mut demo_incidents, mut demo_observations) = (0, 0);
    if config.demo
        && store.meta("demo_generated")?.is_none()
        && store.count(crate::model::Layer::Incidents)? == 0
    {
        let districts = store.load_districts()?;
        let data = demo::generate(&districts)?;
        // Observations first: the incidents' commit is what marks the demo as there.
        demo_observations = store.insert_observations(&data.observations)?;
        demo_incidents = store.insert_incidents(&data.incidents)?;
        store.set_meta("demo_generated", &format!("seed {:#x}", demo::SEED))?;
    }
    // Demo initiatives once, into an empty table (a planner who deletes them keeps them gone).
    // Claimed first: of replicas starting together on an empty database, one makes them.
    if config.demo
        && store.meta("demo_initiatives")?.is_none()
        && store.claim_meta("demo_initiatives", "1")?
        && !store.has_initiatives()?
    {
        let now = chrono::Utc::now().timestamp();
        for (feature, published) in demo::initiatives::initiatives() {
            store.create_initiative(&feature, published, store::DEMO_SOURCE, now)?;
        }
    }

    let catalog = Catalog::load(store.as_ref(), config.demo)?;
    Ok((
        store,
        catalog,
        StartReport {
            districts_synced,
            demo_incidents,
            demo_observations,
            millis: started.elapsed().as_millis(),
        },
    ))
}
