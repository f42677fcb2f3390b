//! Runs an import: read and check every record, then either write all of them in one
//! transaction or — when anything was refused and `skip_invalid` is off — write nothing.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::ingest::{self, ImportOptions, Records};
use crate::model::Layer;
use crate::store::LayerStore;

/// What an import did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportSummary {
    /// `districts`, `incidents` or `observations`.
    pub layer: &'static str,
    /// Rows or features read.
    pub read: usize,
    /// New records written.
    pub imported: usize,
    /// Records already in the store (same source and source id): left as they were.
    pub duplicates: usize,
    /// Rows skipped on purpose (types mapped to `ignore`), by type.
    pub ignored: std::collections::BTreeMap<String, usize>,
    /// Refused records, each with where and why.
    pub rejected: Vec<ingest::Rejected>,
    /// Source types no mapping covers, with row counts.
    pub unmapped: std::collections::BTreeMap<String, usize>,
    /// What the reader decided (CRS, encoding…).
    pub notes: Vec<String>,
    /// Whether anything was written (false when refused records stopped an all-or-nothing
    /// import).
    pub committed: bool,
    /// Seconds taken.
    pub seconds: f64,
}

impl ImportSummary {
    /// The one summary line printed at the end of `hotspot import`.
    pub fn line(&self) -> String {
        format!(
            "{}: read {}, imported {}, already there {}, ignored {}, rejected {}{} in {:.2} s",
            self.layer,
            self.read,
            self.imported,
            self.duplicates,
            self.ignored.values().sum::<usize>(),
            self.rejected.len(),
            if self.committed {
                ""
            } else {
                " — nothing imported"
            },
            self.seconds
        )
    }
}

/// What can stop an import.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be read at all.
    #[error(transparent)]
    Ingest(#[from] ingest::IngestError),
    /// The store failed (nothing was written).
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Writes `records` (already read) to the store under the all-or-nothing rule.
pub fn commit(
    store: &mut dyn LayerStore,
    layer: Layer,
    records: Records,
    skip_invalid: bool,
    source: &str,
    started: Instant,
) -> Result<ImportSummary, ImportError> {
    let mut s = ImportSummary {
        layer: layer.code(),
        read: records.read(),
        imported: 0,
        duplicates: 0,
        ignored: records.ignored().clone(),
        rejected: records.rejected().to_vec(),
        unmapped: records.unmapped().clone(),
        notes: records.notes().to_vec(),
        committed: false,
        seconds: 0.0,
    };
    if s.rejected.is_empty() || skip_invalid {
        let accepted = records.accepted();
        let new = match records {
            Records::Incidents(p) => store.insert_incidents(&p.records)?,
            Records::Observations(p) => store.insert_observations(&p.records)?,
            Records::Districts(p) => store.upsert_districts(&p.records, source)?,
        };
        s.imported = new;
        s.duplicates = accepted - new;
        s.committed = true;
    }
    s.seconds = started.elapsed().as_secs_f64();
    Ok(s)
}

/// Reads `path` into `layer` and commits it.
pub fn import_file(
    store: &mut dyn LayerStore,
    layer: Layer,
    path: &Path,
    opts: &ImportOptions,
    skip_invalid: bool,
) -> Result<ImportSummary, ImportError> {
    let started = Instant::now();
    if layer == Layer::Incidents && ingest::reads_as_csv(path, opts) {
        return import_csv_incidents(store, path, opts, skip_invalid, started);
    }
    let records = ingest::read_file(layer, path, opts)?;
    let source = opts
        .source
        .clone()
        .unwrap_or_else(|| path.display().to_string());
    commit(store, layer, records, skip_invalid, &source, started)
}

/// A CSV file of incidents, written while it is read: one thread reads and checks the rows and
/// hands them on in batches, the store writes them as they come in one transaction, and
/// commits once the file is read whole — or rolls back when refused rows stop an
/// all-or-nothing import, as [`commit`] would.
fn import_csv_incidents(
    store: &mut dyn LayerStore,
    path: &Path,
    opts: &ImportOptions,
    skip_invalid: bool,
    started: Instant,
) -> Result<ImportSummary, ImportError> {
    let (to_store, batches) = std::sync::mpsc::sync_channel(8);
    let (written, parsed) = std::thread::scope(|s| {
        let reader = s.spawn(move || {
            // Once the store has stopped (it failed), the rest is read but not sent.
            ingest::read_csv_incidents_into(path, opts, &mut |batch| {
                let _ = to_store.send(batch);
            })
        });
        let mut reader = Some(reader);
        let mut parsed = None;
        let written = store.insert_incidents_streamed(batches, &mut || {
            let p = reader.take().map(|r| r.join());
            let ok = matches!(&p, Some(Ok(Ok(p))) if p.rejected.is_empty() || skip_invalid);
            parsed = p;
            ok
        });
        // The store failed before asking: the reader still ends (its sends fail).
        let parsed = parsed.or_else(|| reader.take().map(|r| r.join()));
        (written, parsed)
    });
    let parsed = match parsed {
        Some(Ok(p)) => p?,
        Some(Err(panic)) => std::panic::resume_unwind(panic),
        None => unreachable!("the reader is joined on every path"),
    };
    let written = written?;
    Ok(ImportSummary {
        layer: Layer::Incidents.code(),
        read: parsed.read,
        imported: written.unwrap_or(0),
        duplicates: written.map_or(0, |w| parsed.accepted - w),
        ignored: parsed.ignored,
        rejected: parsed.rejected,
        unmapped: parsed.unmapped,
        notes: parsed.notes,
        committed: written.is_some(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Writes the refused records of `summary` as CSV (`location,reason`) to `dir`, named after
/// the input; returns the path.
pub fn write_rejects(
    dir: &Path,
    input: &Path,
    summary: &ImportSummary,
) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".into());
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let path = dir.join(format!("{stem}.{stamp}.rejects.csv"));
    // The refused rows are the input's own: personal data, owner-only like the store.
    let mut w = csv::Writer::from_writer(crate::store::create_private(&path)?);
    w.write_record(["file", "location", "reason"])?;
    let file = input.display().to_string();
    for r in &summary.rejected {
        w.write_record([file.as_str(), r.location.as_str(), r.reason.as_str()])?;
    }
    w.flush()?;
    Ok(path)
}
