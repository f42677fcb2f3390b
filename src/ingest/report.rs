//! What an import read, kept and refused.

use std::collections::BTreeMap;

/// A row or feature that was refused, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejected {
    /// Where in the file: `line 12` (CSV, counting the header as line 1), `feature 3`
    /// (GeoJSON, from 0), `record 5` (Shapefile, from 0).
    pub location: String,
    /// What is wrong, naming the column or property.
    pub reason: String,
}

/// The result of reading one file.
#[derive(Debug, Clone)]
pub struct Parsed<T> {
    /// Records that passed every check.
    pub records: Vec<T>,
    /// Records that did not.
    pub rejected: Vec<Rejected>,
    /// Rows deliberately skipped because the category mapping says `ignore` (e.g. police.uk's
    /// anti-social behaviour, which is not one of our categories), by source type.
    pub ignored: BTreeMap<String, usize>,
    /// Source types that no mapping covers, with their row counts (those rows are rejected).
    pub unmapped: BTreeMap<String, usize>,
    /// Rows or features read.
    pub read: usize,
    /// Records handed on as they were read (not kept in `records`), see
    /// [`crate::ingest::csv_import::read_incidents_into`].
    pub accepted: usize,
    /// Things the reader decided that the user should know (encoding guessed, CRS found…).
    pub notes: Vec<String>,
}

impl<T> Default for Parsed<T> {
    fn default() -> Self {
        Parsed {
            records: Vec::new(),
            rejected: Vec::new(),
            ignored: BTreeMap::new(),
            unmapped: BTreeMap::new(),
            read: 0,
            accepted: 0,
            notes: Vec::new(),
        }
    }
}

impl<T> Parsed<T> {
    /// Records a refusal.
    pub fn reject(&mut self, location: String, reason: impl Into<String>) {
        self.rejected.push(Rejected {
            location,
            reason: reason.into(),
        });
    }

    /// Rows skipped on purpose.
    pub fn ignored_count(&self) -> usize {
        self.ignored.values().sum()
    }
}
