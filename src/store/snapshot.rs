//! The incident snapshot: a derived copy of the `incidents` table beside the store
//! (`incidents.snapshot` in the data directory), so that a start or a reload at ten million
//! incidents reads one file front to back instead of ten million SQLite rows.
//!
//! The file is only ever a cache. It is written (to a temporary file, then renamed over the
//! old one) after the incidents were read from SQLite, and read only when its [`Key`] is the
//! store's now: the same store (a digest of its public-id secret and of a random stamp that
//! every insert of incidents renews, so that two copies of one store that took other rows
//! differ), the same schema version, the same count of edits to stored incidents (kept by
//! trigger: there are none in the normal course), the same synthetic filter and the same first
//! and last incident id. Incidents are only ever added, with ids above the last, so these say
//! whether the table still holds what the file holds. A checksum over the whole file catches a
//! torn or damaged one; anything amiss and the store reads SQLite as before. Deleting the file
//! is always safe. It holds exact positions, like the store, and is made readable by its
//! owner only.
//!
//! Hand edits of the store: an `UPDATE` or `DELETE` of an incident is counted, an `INSERT`
//! above the last id is seen, but an `INSERT` into a gap between ids or an `INSERT OR REPLACE`
//! is not (that would take a trigger on every insert, paid by every import). Delete the
//! snapshot after such an edit.
//!
//! Layout (little-endian): a fixed header ([`HEADER_LEN`] bytes: magic, key, counts, payload
//! length, checksum) and then the payload, column by column: ids, times, longitudes,
//! latitudes (each 8 bytes), categories and precisions (a byte each, their place in
//! `Category::ALL` / `Precision::ALL`), sources (2 bytes, a place in the source names that
//! precede the columns), the source ids' ends (8 bytes) and bytes, and, when every incident
//! has them, the anchor cells and first-round public ids (8 bytes each).

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::fnv::Fnv;
use crate::model::{Category, Incident, Incidents, Precision, Source};

/// File name of the snapshot inside the data directory.
pub const SNAPSHOT_FILE: &str = "incidents.snapshot";

/// The first eight bytes of a snapshot; the last two are the format's version.
const MAGIC: &[u8; 8] = b"HSINCS01";

/// Bytes before the payload.
pub const HEADER_LEN: usize = 8 + 32 + 8 + 8 + 1 + 8 + 8 + 8 + 1 + 8 + 8 + 8;

/// Bytes hashed at a time: the checksum is the same however the payload is read or written.
const BLOCK: usize = 1 << 16;

/// Values converted at a time while a column is read or written.
const CHUNK: usize = 8192;

/// What can go wrong with a snapshot file.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// It could not be read or written.
    #[error("incident snapshot {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// It is not a whole snapshot of this format.
    #[error("incident snapshot {path} is damaged: {reason}")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Which incidents a snapshot holds: see the module's documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// SHA-256 of a label, the store's public-id secret and the stamp its last insert of
    /// incidents left: which store, and which of its copies' states (the secret itself is
    /// never written).
    pub store: [u8; 32],
    /// The store's schema version (`PRAGMA user_version`).
    pub schema: i64,
    /// How many times a stored incident was changed or deleted (counted by trigger).
    pub edits: i64,
    /// Whether synthetic incidents are included.
    pub with_synthetic: bool,
    /// The first and last incident id in the table when it was read.
    pub ids: (i64, i64),
}

impl Key {
    /// The key of the incidents `ids` of the store whose public-id secret is `secret` and
    /// whose last insert of incidents left `stamp` (random, new with every insert).
    pub fn new(
        secret: &[u8; 32],
        stamp: &str,
        schema: i64,
        edits: i64,
        with_synthetic: bool,
        ids: (i64, i64),
    ) -> Key {
        let mut h = Sha256::new();
        h.update(b"hotspot incident snapshot\0");
        h.update(secret);
        h.update(stamp.as_bytes());
        Key {
            store: h.finalize().into(),
            schema,
            edits,
            with_synthetic,
            ids,
        }
    }
}

/// Writes the snapshot of a store's incidents once they have been read from SQLite (see
/// [`super::Store::incident_snapshot_writer`]); `Send`, so it can run beside other work.
#[derive(Debug)]
pub struct SnapshotWriter {
    pub(super) path: PathBuf,
    pub(super) key: Key,
}

impl SnapshotWriter {
    /// Writes `incidents` (with their anchor cells and public ids when given for every one)
    /// to a temporary file and renames it over the snapshot.
    pub fn write(
        &self,
        incidents: &Incidents,
        derived: Option<(&[h3o::CellIndex], &[i64])>,
    ) -> Result<(), SnapshotError> {
        let tmp = self
            .path
            .with_extension(format!("snapshot.{}.tmp", std::process::id()));
        let io = |source| SnapshotError::Io {
            path: tmp.clone(),
            source,
        };
        let result = write_file(&tmp, &self.key, incidents, derived).map_err(io);
        let result = result.and_then(|()| {
            std::fs::rename(&tmp, &self.path).map_err(|source| SnapshotError::Io {
                path: self.path.clone(),
                source,
            })
        });
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }
}

fn write_file(
    path: &Path,
    key: &Key,
    incidents: &Incidents,
    derived: Option<(&[h3o::CellIndex], &[i64])>,
) -> std::io::Result<()> {
    let mut file = super::create_private(path)?;
    let derived = derived.filter(|(c, p)| c.len() == incidents.len() && p.len() == incidents.len());
    let (id_bytes, id_ends) = incidents.source_id_parts();
    file.write_all(&[0; HEADER_LEN])?;
    let mut out = Hashing::new(std::io::BufWriter::with_capacity(1 << 20, &mut file));
    let mut sources: Vec<Source> = Vec::new();
    let mut source_of = Vec::with_capacity(incidents.len());
    for i in incidents.iter() {
        let n = match sources.iter().position(|s| *s == i.source) {
            Some(n) => n,
            None => {
                sources.push(i.source);
                sources.len() - 1
            }
        };
        source_of.push(n as u16);
    }
    out.write_all(&(sources.len() as u64).to_le_bytes())?;
    for s in &sources {
        out.write_all(&(s.len() as u64).to_le_bytes())?;
        out.write_all(s.as_bytes())?;
    }
    put(&mut out, incidents.iter().map(|i| i.id.to_le_bytes()))?;
    put(
        &mut out,
        incidents.iter().map(|i| i.occurred_at.to_le_bytes()),
    )?;
    put(&mut out, incidents.iter().map(|i| i.lon.to_le_bytes()))?;
    put(&mut out, incidents.iter().map(|i| i.lat.to_le_bytes()))?;
    let place = |c: Category| Category::ALL.iter().position(|&k| k == c).unwrap_or(0) as u8;
    put(&mut out, incidents.iter().map(|i| [place(i.category)]))?;
    let place = |p: Precision| Precision::ALL.iter().position(|&k| k == p).unwrap_or(0) as u8;
    put(&mut out, incidents.iter().map(|i| [place(i.precision)]))?;
    put(&mut out, source_of.iter().map(|n| n.to_le_bytes()))?;
    put(&mut out, id_ends.iter().map(|e| e.to_le_bytes()))?;
    out.write_all(id_bytes.as_bytes())?;
    if let Some((cells, public_ids)) = derived {
        put(&mut out, cells.iter().map(|&c| u64::from(c).to_le_bytes()))?;
        put(&mut out, public_ids.iter().map(|p| p.to_le_bytes()))?;
    }
    let (payload, checksum) = out.finish()?;
    let header = Header {
        key: *key,
        count: incidents.len() as u64,
        derived: derived.is_some(),
        id_bytes: id_bytes.len() as u64,
        payload,
        checksum,
    };
    file.seek(std::io::SeekFrom::Start(0))?;
    file.write_all(&header.encode())?;
    Ok(())
}

/// Writes fixed-size values through a small buffer.
fn put<const N: usize>(
    out: &mut impl Write,
    values: impl Iterator<Item = [u8; N]>,
) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(CHUNK * N);
    for v in values {
        buf.extend_from_slice(&v);
        if buf.len() == CHUNK * N {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)
}

/// Reads the snapshot at `path` if it holds the incidents of `key`: `Ok(None)` when there is
/// none or it holds others (an older state, another store or filter), an error when it is
/// damaged or unreadable.
pub fn read(path: &Path, key: &Key) -> Result<Option<Incidents>, SnapshotError> {
    let damaged = |reason: String| SnapshotError::Damaged {
        path: path.to_owned(),
        reason,
    };
    let io = |source| SnapshotError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    // One written by an older hotspot, or loosened by hand, is made owner-only again.
    if let Err(e) = super::make_private(path) {
        tracing::warn!(path = %path.display(), error = %e, "could not make the incident snapshot owner-only");
    }
    let len = file.metadata().map_err(io)?.len();
    let mut raw = [0u8; HEADER_LEN];
    if len < HEADER_LEN as u64 {
        return Err(damaged(format!("{len} bytes, shorter than its header")));
    }
    file.read_exact(&mut raw).map_err(io)?;
    let header = Header::decode(&raw).map_err(|r| damaged(r.into()))?;
    if header.key != *key {
        return Ok(None);
    }
    if header.payload != len - HEADER_LEN as u64 {
        return Err(damaged(format!(
            "{} payload bytes where the header says {}",
            len - HEADER_LEN as u64,
            header.payload
        )));
    }
    let n = usize::try_from(header.count).map_err(|_| damaged("too many incidents".into()))?;
    // The counts are checked against the payload's length before anything is allocated.
    let per_row = 8 * 4 + 2 + 2 + 8 + if header.derived { 16 } else { 0 };
    if (n as u64).saturating_mul(per_row) + header.id_bytes > header.payload {
        return Err(damaged("the counts exceed the payload".into()));
    }
    // The payload in one read, its checksum on one core while its columns are taken apart on
    // the other.
    let mut payload = Vec::new();
    payload
        .try_reserve_exact(header.payload as usize)
        .map_err(|e| io(std::io::Error::other(e)))?;
    file.read_to_end(&mut payload).map_err(io)?;
    if payload.len() as u64 != header.payload {
        return Err(damaged("it changed while it was read".into()));
    }
    let (checksum, columns) = std::thread::scope(|s| {
        let checksum = s.spawn(|| {
            let mut h = Fnv::new();
            payload.chunks(BLOCK).for_each(|b| h.bytes(b));
            h.0
        });
        let columns = read_columns(&payload, n, &header);
        (checksum.join().expect("a checksum cannot panic"), columns)
    });
    if checksum != header.checksum {
        return Err(damaged("checksum differs".into()));
    }
    let columns = columns.map_err(|reason| damaged(reason.into()))?;
    Incidents::from_parts(
        columns.rows,
        columns.id_bytes,
        columns.id_ends,
        columns.derived,
    )
    .map(Some)
    .ok_or_else(|| damaged("the source ids do not fit the incidents".into()))
}

/// The columns read back.
struct Columns {
    rows: Vec<Incident>,
    id_bytes: String,
    id_ends: Vec<u64>,
    derived: Option<(Vec<h3o::CellIndex>, Vec<i64>)>,
}

fn read_columns(payload: &[u8], n: usize, header: &Header) -> Result<Columns, &'static str> {
    let mut at = payload;
    let mut sources = Vec::new();
    for _ in 0..u64::from_le_bytes(take(&mut at)?) {
        let len = u64::from_le_bytes(take(&mut at)?);
        let name = bytes(
            &mut at,
            usize::try_from(len).map_err(|_| "a source name too long")?,
        )?;
        let name = std::str::from_utf8(name).map_err(|_| "a source name not UTF-8")?;
        sources.push(Source::new(name));
        if sources.len() > 1 << 16 {
            return Err("more than 65,536 source names");
        }
    }
    let ids = column(&mut at, n, i64::from_le_bytes)?;
    let times = column(&mut at, n, i64::from_le_bytes)?;
    let lons = column(&mut at, n, f64::from_le_bytes)?;
    let lats = column(&mut at, n, f64::from_le_bytes)?;
    let categories = bytes(&mut at, n)?;
    let precisions = bytes(&mut at, n)?;
    let source_of = column(&mut at, n, u16::from_le_bytes)?;
    let mut rows = Vec::with_capacity(n);
    let fields = ids.zip(times).zip(lons).zip(lats);
    let codes = categories.iter().zip(precisions).zip(source_of);
    for ((((id, occurred_at), lon), lat), ((&c, &p), s)) in fields.zip(codes) {
        rows.push(Incident {
            id,
            occurred_at,
            lon,
            lat,
            category: *Category::ALL
                .get(c as usize)
                .ok_or("a category out of range")?,
            precision: *Precision::ALL
                .get(p as usize)
                .ok_or("a precision out of range")?,
            source: *sources.get(s as usize).ok_or("a source out of range")?,
        });
    }
    let id_ends: Vec<u64> = column(&mut at, n, u64::from_le_bytes)?.collect();
    let id_bytes = bytes(
        &mut at,
        usize::try_from(header.id_bytes).map_err(|_| "ids too long")?,
    )?;
    let id_bytes = String::from_utf8(id_bytes.to_vec()).map_err(|_| "source ids not UTF-8")?;
    let derived = if header.derived {
        let cells = column(&mut at, n, u64::from_le_bytes)?
            .map(h3o::CellIndex::try_from)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| "an anchor cell that is not an H3 cell")?;
        Some((cells, column(&mut at, n, i64::from_le_bytes)?.collect()))
    } else {
        None
    };
    if !at.is_empty() {
        return Err("bytes after the last column");
    }
    Ok(Columns {
        rows,
        id_bytes,
        id_ends,
        derived,
    })
}

/// The next `n` bytes.
fn bytes<'a>(at: &mut &'a [u8], n: usize) -> Result<&'a [u8], &'static str> {
    if at.len() < n {
        return Err("it ends inside a column");
    }
    let (head, rest) = at.split_at(n);
    *at = rest;
    Ok(head)
}

/// The next `N` bytes.
fn take<const N: usize>(at: &mut &[u8]) -> Result<[u8; N], &'static str> {
    Ok(bytes(at, N)?.try_into().expect("N bytes"))
}

/// The next `n` values of `N` bytes each.
fn column<'a, T, const N: usize>(
    at: &mut &'a [u8],
    n: usize,
    from: impl Fn([u8; N]) -> T + Clone + 'a,
) -> Result<impl Iterator<Item = T> + Clone + 'a, &'static str> {
    let b = bytes(at, n.checked_mul(N).ok_or("a column too long")?)?;
    Ok(b.chunks_exact(N)
        .map(move |b| from(b.try_into().expect("N bytes"))))
}

/// The fixed-size start of a snapshot.
struct Header {
    key: Key,
    count: u64,
    derived: bool,
    id_bytes: u64,
    payload: u64,
    checksum: u64,
}

impl Header {
    fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = Vec::with_capacity(HEADER_LEN);
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&self.key.store);
        b.extend_from_slice(&self.key.schema.to_le_bytes());
        b.extend_from_slice(&self.key.edits.to_le_bytes());
        b.push(self.key.with_synthetic as u8);
        b.extend_from_slice(&self.key.ids.0.to_le_bytes());
        b.extend_from_slice(&self.key.ids.1.to_le_bytes());
        b.extend_from_slice(&self.count.to_le_bytes());
        b.push(self.derived as u8);
        b.extend_from_slice(&self.id_bytes.to_le_bytes());
        b.extend_from_slice(&self.payload.to_le_bytes());
        b.extend_from_slice(&self.checksum.to_le_bytes());
        b.try_into().expect("HEADER_LEN bytes")
    }

    fn decode(b: &[u8; HEADER_LEN]) -> Result<Header, &'static str> {
        if &b[..8] != MAGIC {
            return Err("not an incident snapshot of this version");
        }
        let mut at = 8;
        let mut next = |n: usize| {
            at += n;
            &b[at - n..at]
        };
        let word = |s: &[u8]| u64::from_le_bytes(s.try_into().expect("8 bytes"));
        let store: [u8; 32] = next(32).try_into().expect("32 bytes");
        let schema = word(next(8)) as i64;
        let edits = word(next(8)) as i64;
        let with_synthetic = match next(1)[0] {
            0 => false,
            1 => true,
            _ => return Err("a flag that is neither 0 nor 1"),
        };
        let first = word(next(8)) as i64;
        let last = word(next(8)) as i64;
        let count = word(next(8));
        let derived = match next(1)[0] {
            0 => false,
            1 => true,
            _ => return Err("a flag that is neither 0 nor 1"),
        };
        Ok(Header {
            key: Key {
                store,
                schema,
                edits,
                with_synthetic,
                ids: (first, last),
            },
            count,
            derived,
            id_bytes: word(next(8)),
            payload: word(next(8)),
            checksum: word(next(8)),
        })
    }
}

/// Writes bytes through, hashing them in blocks of [`BLOCK`] bytes (the last one shorter), as
/// [`read`] hashes the payload.
struct Hashing<T> {
    inner: T,
    block: Vec<u8>,
    total: u64,
    hash: Fnv,
}

impl<T> Hashing<T> {
    fn new(inner: T) -> Self {
        Hashing {
            inner,
            block: Vec::with_capacity(BLOCK),
            total: 0,
            hash: Fnv::new(),
        }
    }
}

impl<W: Write> Hashing<W> {
    /// Hashes and writes what is left; the bytes written and the checksum.
    fn finish(mut self) -> std::io::Result<(u64, u64)> {
        // A last block only when bytes are left, as the reader sees it.
        if !self.block.is_empty() {
            self.hash.bytes(&self.block);
            self.inner.write_all(&self.block)?;
        }
        self.inner.flush()?;
        Ok((self.total, self.hash.0))
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = buf.len().min(BLOCK - self.block.len());
        self.block.extend_from_slice(&buf[..n]);
        self.total += n as u64;
        if self.block.len() == BLOCK {
            self.hash.bytes(&self.block);
            self.inner.write_all(&self.block)?;
            self.block.clear();
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incidents(n: usize, derived: bool) -> Incidents {
        let mut all = Incidents::with_capacity(n, 8);
        for k in 0..n {
            let i = Incident {
                id: 3 + k as i64,
                occurred_at: 1_700_000_000 - k as i64 * 977,
                lon: 12.5 + k as f64 * 1e-5,
                lat: 55.6 + k as f64 * 1e-5,
                category: Category::ALL[k % Category::ALL.len()],
                precision: Precision::ALL[k % 3],
                source: Source::new(if k % 3 == 0 { "politi-2024" } else { "bydata" }),
            };
            // Ids of varying length, some not ASCII.
            let id = format!("{}-ø{}", "x".repeat(k % 5), k);
            if derived {
                let cell = crate::privacy::anchor_cell(i.lon, i.lat).unwrap();
                all.push_derived(i, &id, cell, k as i64 * 7 - 99);
            } else {
                all.push(i, &id);
            }
        }
        all
    }

    fn key() -> Key {
        Key::new(&[7; 32], "s", 9, 0, true, (3, 40_002))
    }

    fn same(a: &Incidents, b: &Incidents) {
        assert_eq!(a.len(), b.len());
        assert_eq!(&a[..], &b[..]);
        assert_eq!(a.source_id_parts(), b.source_id_parts());
        assert_eq!(a.derived(), b.derived());
    }

    #[test]
    fn incidents_come_back_as_they_went_in() {
        let dir = crate::store::tests::tempdir();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(SNAPSHOT_FILE);
        // More than one hash block and value chunk, with and without the derived columns.
        for (n, derived) in [(40_000, true), (1_000, false), (0, true)] {
            let all = incidents(n, derived);
            let writer = SnapshotWriter {
                path: path.clone(),
                key: key(),
            };
            writer.write(&all, all.derived()).unwrap();
            let back = read(&path, &key()).unwrap().expect("the same key");
            same(&back, &all);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn another_key_is_no_answer_and_damage_is_an_error() {
        let dir = crate::store::tests::tempdir();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(SNAPSHOT_FILE);
        assert!(read(&path, &key()).unwrap().is_none(), "no file, no answer");
        let all = incidents(20_000, true);
        let writer = SnapshotWriter {
            path: path.clone(),
            key: key(),
        };
        writer.write(&all, all.derived()).unwrap();
        for other in [
            Key::new(&[8; 32], "s", 9, 0, true, (3, 40_002)),
            Key::new(&[7; 32], "t", 9, 0, true, (3, 40_002)),
            Key::new(&[7; 32], "s", 10, 0, true, (3, 40_002)),
            Key::new(&[7; 32], "s", 9, 1, true, (3, 40_002)),
            Key::new(&[7; 32], "s", 9, 0, false, (3, 40_002)),
            Key::new(&[7; 32], "s", 9, 0, true, (3, 40_003)),
        ] {
            assert!(read(&path, &other).unwrap().is_none());
        }
        let whole = std::fs::read(&path).unwrap();
        // A flipped bit anywhere in the payload, a torn end, bytes added.
        for at in [HEADER_LEN + 5, HEADER_LEN + 70_000, whole.len() - 1] {
            let mut bad = whole.clone();
            bad[at] ^= 1;
            std::fs::write(&path, &bad).unwrap();
            let e = read(&path, &key()).unwrap_err();
            assert!(matches!(e, SnapshotError::Damaged { .. }), "{e}");
        }
        for bad in [
            &whole[..whole.len() - 10],
            &[whole.as_slice(), b"x"].concat()[..],
        ] {
            std::fs::write(&path, bad).unwrap();
            let e = read(&path, &key()).unwrap_err();
            assert!(e.to_string().contains("damaged"), "{e}");
        }
        std::fs::write(&path, b"HSINCS01 but short").unwrap();
        assert!(read(&path, &key()).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
