use std::fmt;
use std::str::FromStr;

use super::Category;

/// How exactly an incident's position is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Precision {
    /// Geocoded to an address or building (within about 10 m).
    Address,
    /// Placed on the street where it happened (within about 50 m).
    Street,
    /// Known only to a small area such as a block or a rode.
    Area,
    /// Generalised for the public: moved to the centre of its H3 resolution-10 cell (see
    /// [`crate::privacy`]). Never stored; only the public view carries it.
    Approximate,
}

impl Precision {
    /// Every precision, most exact first.
    pub const ALL: [Precision; 4] = [
        Precision::Address,
        Precision::Street,
        Precision::Area,
        Precision::Approximate,
    ];

    /// The code used in files, URLs and the store.
    pub fn code(self) -> &'static str {
        match self {
            Precision::Address => "address",
            Precision::Street => "street",
            Precision::Area => "area",
            Precision::Approximate => "approximate",
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Precision {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Precision::ALL
            .into_iter()
            .find(|p| p.code() == s)
            .ok_or_else(|| {
                format!("unknown precision '{s}'; expected address, street, area or approximate")
            })
    }
}

/// A police-recorded incident: 40 bytes of fixed-size fields, so that ten million fit one
/// machine in both the exact and the public view. Its id at the source is kept beside it by
/// [`Incidents`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Incident {
    /// Stable id (the store's row id); the feature id in every output.
    pub id: i64,
    /// When it happened, as Unix seconds (UTC).
    pub occurred_at: i64,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// What happened.
    pub category: Category,
    /// How exactly the position is known.
    pub precision: Precision,
    /// Where the record came from (`synthetic-demo` for the generated demo data).
    pub source: Source,
}

/// The name of a data source (`synthetic-demo`, `politi-2024`…), interned: one shared copy per
/// name for the whole process, two bytes per record. A store holds a handful of names; at most
/// 65,536 are told apart (later ones share the last).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Source(u16);

/// Every source name interned so far, by number. Names are never dropped (there are a handful).
static SOURCES: std::sync::RwLock<Vec<&'static str>> = std::sync::RwLock::new(Vec::new());

impl Source {
    /// The interned name `name`.
    pub fn new(name: &str) -> Source {
        let find = |names: &[&'static str]| names.iter().position(|n| *n == name);
        if let Some(n) = find(&SOURCES.read().unwrap_or_else(|e| e.into_inner())) {
            return Source(n as u16);
        }
        let mut names = SOURCES.write().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = find(&names) {
            return Source(n as u16);
        }
        if names.len() > u16::MAX as usize {
            return Source(u16::MAX);
        }
        names.push(Box::leak(name.into()));
        Source((names.len() - 1) as u16)
    }

    /// The name.
    pub fn as_str(self) -> &'static str {
        SOURCES.read().unwrap_or_else(|e| e.into_inner())[self.0 as usize]
    }
}

impl std::ops::Deref for Source {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Source {
    fn from(name: &str) -> Source {
        Source::new(name)
    }
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A layer's incidents in id order, each with its id at the source; these ids lie in one
/// buffer (no allocation per record). The public view holds none: [`Incidents::source_id`] is
/// empty there.
#[derive(Debug, Clone, Default)]
pub struct Incidents {
    rows: Vec<Incident>,
    /// The source ids one after another; the n-th ends at `id_ends[n]`.
    id_bytes: String,
    id_ends: Vec<u64>,
    /// Each incident's H3 cell at resolution 10 (its public anchor cell, see
    /// [`crate::privacy`]) when the store gave them (it keeps them with each record); else empty.
    cells: Vec<h3o::CellIndex>,
    /// Each incident's first-round public id ([`crate::privacy::public_id`]) when the store gave
    /// them (it keeps them with each record, like the cells); else empty.
    public_ids: Vec<i64>,
}

impl Incidents {
    /// Room for `n` incidents (with source ids of about `id_len` bytes each).
    pub fn with_capacity(n: usize, id_len: usize) -> Incidents {
        Incidents {
            rows: Vec::with_capacity(n),
            id_bytes: String::with_capacity(n * id_len),
            id_ends: Vec::with_capacity(n),
            cells: Vec::new(),
            public_ids: Vec::new(),
        }
    }

    /// Incidents without source ids (the public view).
    pub fn without_source_ids(rows: Vec<Incident>) -> Incidents {
        Incidents {
            rows,
            id_bytes: String::new(),
            id_ends: Vec::new(),
            cells: Vec::new(),
            public_ids: Vec::new(),
        }
    }

    /// Appends an incident and its id at the source.
    pub fn push(&mut self, i: Incident, source_id: &str) {
        // Either every incident has its source id or none has.
        debug_assert_eq!(self.id_ends.len(), self.rows.len());
        self.rows.push(i);
        self.id_bytes.push_str(source_id);
        self.id_ends.push(self.id_bytes.len() as u64);
    }

    /// Appends an incident, its id at the source, its resolution-10 cell and its first-round
    /// public id. Either every incident is pushed with these or none is.
    pub fn push_derived(
        &mut self,
        i: Incident,
        source_id: &str,
        cell: h3o::CellIndex,
        public_id: i64,
    ) {
        debug_assert_eq!(self.cells.len(), self.rows.len());
        self.push(i, source_id);
        self.cells.push(cell);
        self.public_ids.push(public_id);
    }

    /// Forgets the cells and public ids (when not every incident has them).
    pub fn forget_derived(&mut self) {
        self.cells = Vec::new();
        self.public_ids = Vec::new();
    }

    /// Takes out the incidents' resolution-10 cells, if they were given for every incident.
    pub fn take_cells(&mut self) -> Option<Vec<h3o::CellIndex>> {
        let cells = std::mem::take(&mut self.cells);
        (cells.len() == self.rows.len() && !cells.is_empty()).then_some(cells)
    }

    /// Takes out the incidents' first-round public ids, if they were given for every incident.
    pub fn take_public_ids(&mut self) -> Option<Vec<i64>> {
        let ids = std::mem::take(&mut self.public_ids);
        (ids.len() == self.rows.len() && !ids.is_empty()).then_some(ids)
    }

    /// Appends all of `other`.
    pub fn append(&mut self, other: Incidents) {
        self.cells.extend(other.cells);
        self.public_ids.extend(other.public_ids);
        let base = self.id_bytes.len() as u64;
        self.rows.extend(other.rows);
        self.id_bytes.push_str(&other.id_bytes);
        self.id_ends.extend(other.id_ends.iter().map(|e| e + base));
    }

    /// The id at its source of the incident at `position` (empty in the public view).
    pub fn source_id(&self, position: usize) -> &str {
        if self.id_ends.is_empty() {
            return "";
        }
        let start = match position {
            0 => 0,
            p => self.id_ends[p - 1] as usize,
        };
        &self.id_bytes[start..self.id_ends[position] as usize]
    }

    /// The source ids one after another, and where each ends (for writing them out).
    pub fn source_id_parts(&self) -> (&str, &[u64]) {
        (&self.id_bytes, &self.id_ends)
    }

    /// The incidents' resolution-10 cells and first-round public ids, when every one has them.
    pub fn derived(&self) -> Option<(&[h3o::CellIndex], &[i64])> {
        (self.cells.len() == self.rows.len() && self.public_ids.len() == self.rows.len())
            .then_some((&self.cells[..], &self.public_ids[..]))
    }

    /// Incidents from their parts, as [`Incidents::source_id_parts`] and [`Incidents::derived`]
    /// give them; `None` when they do not fit together (a count differs, or an end is out of
    /// order, past the ids or inside a character).
    pub fn from_parts(
        rows: Vec<Incident>,
        id_bytes: String,
        id_ends: Vec<u64>,
        derived: Option<(Vec<h3o::CellIndex>, Vec<i64>)>,
    ) -> Option<Incidents> {
        let mut last = 0;
        for &end in &id_ends {
            if end < last || !id_bytes.is_char_boundary(usize::try_from(end).ok()?) {
                return None;
            }
            last = end;
        }
        if id_ends.len() != rows.len() || last as usize != id_bytes.len() {
            return None;
        }
        let (cells, public_ids) = derived.unwrap_or_default();
        if !cells.is_empty() && (cells.len() != rows.len() || public_ids.len() != rows.len()) {
            return None;
        }
        Some(Incidents {
            rows,
            id_bytes,
            id_ends,
            cells,
            public_ids,
        })
    }

    /// The incidents alone, without their source ids.
    pub fn into_rows(self) -> Vec<Incident> {
        self.rows
    }

    /// Bytes held (the rows and the source ids).
    pub fn heap_bytes(&self) -> usize {
        self.rows.capacity() * std::mem::size_of::<Incident>()
            + self.id_bytes.capacity()
            + self.id_ends.capacity() * 8
            + self.cells.capacity() * 8
            + self.public_ids.capacity() * 8
    }

    /// Gives back memory reserved beyond what is held.
    pub fn shrink_to_fit(&mut self) {
        self.rows.shrink_to_fit();
        self.id_bytes.shrink_to_fit();
        self.id_ends.shrink_to_fit();
        self.cells.shrink_to_fit();
        self.public_ids.shrink_to_fit();
    }
}

impl std::ops::Deref for Incidents {
    type Target = [Incident];
    fn deref(&self) -> &[Incident] {
        &self.rows
    }
}

/// Incidents without source ids (as [`Incidents::without_source_ids`]).
impl From<Vec<Incident>> for Incidents {
    fn from(rows: Vec<Incident>) -> Incidents {
        Incidents::without_source_ids(rows)
    }
}

impl<'a> IntoIterator for &'a Incidents {
    type Item = &'a Incident;
    type IntoIter = std::slice::Iter<'a, Incident>;
    fn into_iter(self) -> Self::IntoIter {
        self.rows.iter()
    }
}

impl<S: AsRef<str>> FromIterator<(Incident, S)> for Incidents {
    fn from_iter<T: IntoIterator<Item = (Incident, S)>>(iter: T) -> Incidents {
        let mut out = Incidents::default();
        for (i, id) in iter {
            out.push(i, id.as_ref());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_incident_is_forty_bytes() {
        assert_eq!(std::mem::size_of::<Incident>(), 40);
    }

    #[test]
    fn source_ids_are_kept_per_incident_and_sources_interned() {
        let at = |id: i64, source: &str| Incident {
            id,
            occurred_at: 0,
            lon: 12.5,
            lat: 55.6,
            category: Category::Theft,
            precision: Precision::Street,
            source: Source::new(source),
        };
        let mut a: Incidents = [(at(1, "a"), "x-1"), (at(2, "b"), ""), (at(3, "a"), "æø")]
            .into_iter()
            .collect();
        a.append([(at(4, "b"), "y")].into_iter().collect());
        let ids: Vec<&str> = (0..a.len()).map(|p| a.source_id(p)).collect();
        assert_eq!(ids, ["x-1", "", "æø", "y"]);
        assert_eq!(a[0].source, a[2].source);
        assert_eq!(&*a[1].source, "b");
        let public = Incidents::without_source_ids(a.to_vec());
        assert_eq!(public.source_id(3), "");
    }
}
