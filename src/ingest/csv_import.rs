//! Incidents from CSV: columns by mapping or preset, lon/lat or x/y in a CRS, time from one
//! column or from parts, crime types through the category table.

use std::io::Read;

use super::categories::{CategoryMap, Mapped};
use super::crs::Crs;
use super::options::{norm, CsvMapping, ImportOptions, Preset};
use super::report::Parsed;
use super::{timeparse, validate, IngestError, Result};
use crate::model::{NewIncident, Precision};

/// Column positions resolved against the header.
struct Cols {
    x: usize,
    y: usize,
    category: usize,
    time: TimeCols,
    id: Option<usize>,
}

enum TimeCols {
    One(usize),
    Parts {
        y: usize,
        mo: usize,
        d: usize,
        h: Option<usize>,
        mi: Option<usize>,
    },
}

fn find(
    headers: &[String],
    key: &str,
    name: &Option<String>,
) -> std::result::Result<Option<usize>, String> {
    match name {
        None => Ok(None),
        Some(n) => headers
            .iter()
            .position(|h| norm(h) == norm(n))
            .map(Some)
            .ok_or_else(|| {
                format!(
                    "{key}: no column '{n}' in the header ({})",
                    headers.join(", ")
                )
            }),
    }
}

/// Refuses a header that names a column twice: columns are found by name, so which of the two
/// a mapping meant cannot be told. Names are compared as they are matched, without regard to
/// case, spaces, underscores or hyphens (`Crime type` = `crime_type`); empty names (columns left
/// unnamed, e.g. by a trailing delimiter) name nothing and may repeat. Columns count from 1.
fn unique_names(headers: &[String]) -> std::result::Result<(), String> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let key = norm(h);
        if key.is_empty() {
            continue;
        }
        if let Some(&j) = seen.get(&key) {
            let (a, b) = (headers[j].trim(), h.trim());
            return Err(if a == b {
                format!(
                    "header: column '{b}' is named twice (columns {} and {})",
                    j + 1,
                    i + 1
                )
            } else {
                format!(
                    "header: columns '{a}' ({}) and '{b}' ({}) are the same name (names match without regard to case, spaces, '_' and '-')",
                    j + 1,
                    i + 1
                )
            });
        }
        seen.insert(key, i);
    }
    Ok(())
}

fn need(v: Option<usize>, what: &str) -> std::result::Result<usize, String> {
    v.ok_or_else(|| {
        format!("no {what} column: give --{what} COLUMN, a --mapping file or a --preset (over HTTP: preset=police-uk|vpd)")
    })
}

/// Decodes the whole input to UTF-8 text (`encoding` names an encoding_rs label such as
/// `latin1`; default UTF-8, with a BOM honoured).
fn decode(bytes: Vec<u8>, encoding: Option<&str>) -> std::result::Result<String, String> {
    match encoding {
        None => String::from_utf8(bytes)
            .map(|s| s.trim_start_matches('\u{feff}').to_owned())
            .map_err(|e| {
                format!(
                    "the file is not UTF-8 (byte {}); give --encoding, e.g. latin1",
                    e.utf8_error().valid_up_to()
                )
            }),
        Some(label) => {
            let enc = encoding_rs::Encoding::for_label(label.as_bytes())
                .ok_or_else(|| format!("unknown encoding '{label}'"))?;
            let (text, _, _) = enc.decode(&bytes);
            Ok(text.into_owned())
        }
    }
}

/// Reads incidents from CSV text.
pub fn read_incidents(
    name: &str,
    input: impl Read,
    opts: &ImportOptions,
) -> Result<Parsed<NewIncident>> {
    let mut records = Vec::new();
    let mut parsed = read_incidents_into(name, input, opts, &mut |batch| records.extend(batch))?;
    parsed.records = records;
    Ok(parsed)
}

/// Records handed on at a time by [`read_incidents_into`].
pub const BATCH: usize = 16_384;

/// [`read_incidents`], handing the records that pass on to `sink` in batches of [`BATCH`] as
/// they are read (the returned `records` stay empty; `accepted` counts them), so that they can
/// be written while the rest of the file is read.
pub fn read_incidents_into(
    name: &str,
    mut input: impl Read,
    opts: &ImportOptions,
    sink: &mut dyn FnMut(Vec<NewIncident>),
) -> Result<Parsed<NewIncident>> {
    let fail = |reason: String| IngestError::File {
        file: name.to_owned(),
        reason,
    };
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|e| fail(e.to_string()))?;
    let text = decode(bytes, opts.encoding.as_deref()).map_err(fail)?;

    let delimiter = opts.mapping.delimiter.unwrap_or(',');
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(
            u8::try_from(delimiter)
                .map_err(|_| fail("the delimiter must be one ASCII character".into()))?,
        )
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| fail(format!("no header row: {e}")))?
        .iter()
        .map(str::to_owned)
        .collect();
    unique_names(&headers).map_err(fail)?;

    let preset = opts.preset.or_else(|| {
        let m = &opts.mapping;
        if m.lon.is_none() && m.x.is_none() && m.category.is_none() {
            Preset::detect(&headers)
        } else {
            None
        }
    });
    let mapping: CsvMapping = match preset {
        Some(p) => opts.mapping.clone().or(p.mapping()),
        None => opts.mapping.clone(),
    };
    let mut categories = preset.map(Preset::categories).unwrap_or_default();
    if !mapping.categories.is_empty() {
        for (k, v) in &mapping.categories {
            categories
                .insert(k, v)
                .map_err(|e| fail(format!("mapping: {e}")))?;
        }
    }
    if let Some(t) = &opts.categories_toml {
        categories
            .merge_toml(t)
            .map_err(|e| fail(format!("--categories: {e}")))?;
    }

    let crs_name = opts.crs.clone().or(mapping.crs.clone());
    let (xcol, ycol, crs) = if mapping.lon.is_some() || mapping.lat.is_some() {
        (
            need(find(&headers, "lon", &mapping.lon).map_err(fail)?, "lon").map_err(fail)?,
            need(find(&headers, "lat", &mapping.lat).map_err(fail)?, "lat").map_err(fail)?,
            Crs::from_epsg(4326).map_err(fail)?,
        )
    } else {
        let crs = Crs::parse(crs_name.as_deref().ok_or_else(|| {
            fail("x/y columns need a CRS: --crs EPSG:N (crs=EPSG:N over HTTP)".into())
        })?)
        .map_err(fail)?;
        (
            need(find(&headers, "x", &mapping.x).map_err(fail)?, "x").map_err(fail)?,
            need(find(&headers, "y", &mapping.y).map_err(fail)?, "y").map_err(fail)?,
            crs,
        )
    };
    let time = if mapping.datetime.is_some() {
        TimeCols::One(
            find(&headers, "datetime", &mapping.datetime)
                .map_err(fail)?
                .expect("set"),
        )
    } else if mapping.year.is_some() {
        TimeCols::Parts {
            y: need(find(&headers, "year", &mapping.year).map_err(fail)?, "year").map_err(fail)?,
            mo: need(
                find(&headers, "month", &mapping.month).map_err(fail)?,
                "month",
            )
            .map_err(fail)?,
            d: need(find(&headers, "day", &mapping.day).map_err(fail)?, "day").map_err(fail)?,
            h: find(&headers, "hour", &mapping.hour).map_err(fail)?,
            mi: find(&headers, "minute", &mapping.minute).map_err(fail)?,
        }
    } else {
        return Err(fail(
            "no time column: give --datetime COLUMN or --year/--month/--day columns".into(),
        ));
    };
    let cols = Cols {
        x: xcol,
        y: ycol,
        category: need(
            find(&headers, "category", &mapping.category).map_err(fail)?,
            "category",
        )
        .map_err(fail)?,
        time,
        id: find(&headers, "id", &mapping.id).map_err(fail)?,
    };
    let tz = timeparse::zone(mapping.timezone.as_deref().unwrap_or("Europe/Copenhagen"))
        .map_err(fail)?;
    let precision: Precision = mapping
        .precision
        .as_deref()
        .unwrap_or("street")
        .parse()
        .map_err(fail)?;
    let source = opts
        .source
        .clone()
        .or(mapping.source.clone())
        .unwrap_or_else(|| name.to_owned());
    validate::identifier(&source).map_err(|e| fail(format!("source: {e}")))?;
    let file_tag = std::path::Path::new(name)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| name.to_owned());

    let mut out = Parsed::default();
    if let Some(p) = preset {
        out.notes
            .push(format!("columns mapped by the {p:?} preset"));
    }
    if !crs.is_wgs84() {
        out.notes.push(format!(
            "coordinates transformed from EPSG:{} ({})",
            crs.def().epsg,
            crs.def().name
        ));
    }
    let now = chrono::Utc::now().timestamp();
    let mut record = csv::StringRecord::new();
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                out.read += 1;
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                out.reject(format!("line {line}"), format!("unreadable row: {e}"));
                continue;
            }
        }
        out.read += 1;
        let line = record
            .position()
            .map(|p| p.line())
            .unwrap_or(out.read as u64 + 1);
        let loc = || format!("line {line}");
        match row(
            &record,
            &cols,
            &crs,
            tz,
            &categories,
            opts,
            mapping.datetime_format.as_deref(),
            now,
            &mut out,
        ) {
            Ok(Some((category, occurred_at, lon, lat))) => {
                let sid = cols
                    .id
                    .and_then(|i| record.get(i))
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("{file_tag}:{line}"));
                if let Err(e) = validate::identifier(&sid) {
                    out.reject(loc(), format!("id: {e}"));
                    continue;
                }
                batch.push(NewIncident {
                    category,
                    occurred_at,
                    lon,
                    lat,
                    precision,
                    source: source.clone(),
                    source_id: sid,
                    synthetic: false,
                });
                out.accepted += 1;
                if batch.len() == BATCH {
                    sink(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
                }
            }
            Ok(None) => {}
            Err(reason) => out.reject(loc(), reason),
        }
    }
    if !batch.is_empty() {
        sink(batch);
    }
    Ok(out)
}

type Row = (crate::model::Category, i64, f64, f64);

#[allow(clippy::too_many_arguments)]
fn row(
    r: &csv::StringRecord,
    c: &Cols,
    crs: &Crs,
    tz: chrono_tz::Tz,
    categories: &CategoryMap,
    opts: &ImportOptions,
    datetime_format: Option<&str>,
    now: i64,
    out: &mut Parsed<NewIncident>,
) -> std::result::Result<Option<Row>, String> {
    let field = |i: usize| r.get(i).map(str::trim).unwrap_or("");
    let kind = field(c.category);
    let category = match categories.get(kind) {
        Some(Mapped::To(cat)) => cat,
        Some(Mapped::Ignore) => {
            *out.ignored.entry(kind.to_owned()).or_default() += 1;
            return Ok(None);
        }
        None => {
            *out.unmapped.entry(kind.to_owned()).or_default() += 1;
            return Err(if kind.is_empty() {
                "category: empty".to_owned()
            } else {
                format!("category: unknown type '{kind}' (map it in a --categories file)")
            });
        }
    };
    let (xs, ys) = (field(c.x), field(c.y));
    if xs.is_empty() || ys.is_empty() {
        return Err("no coordinates".into());
    }
    let x: f64 = xs
        .parse()
        .map_err(|_| format!("x/lon '{xs}' is not a number"))?;
    let y: f64 = ys
        .parse()
        .map_err(|_| format!("y/lat '{ys}' is not a number"))?;
    let (lon, lat) = validate::position(crs, x, y, opts.region.as_ref())?;
    let (occurred_at, written) = match &c.time {
        TimeCols::One(i) => (
            timeparse::parse(field(*i), datetime_format, tz)
                .map_err(|e| format!("datetime: {e}"))?,
            field(*i).to_owned(),
        ),
        TimeCols::Parts { y, mo, d, h, mi } => {
            let num = |i: usize, what: &str| -> std::result::Result<u32, String> {
                field(i)
                    .parse::<u32>()
                    .map_err(|_| format!("{what}: '{}' is not a whole number", field(i)))
            };
            let opt = |i: &Option<usize>, what: &str| -> std::result::Result<u32, String> {
                match i {
                    Some(i) if !field(*i).is_empty() => num(*i, what),
                    _ => Ok(0),
                }
            };
            let t = timeparse::from_parts(
                num(*y, "year")? as i32,
                num(*mo, "month")?,
                num(*d, "day")?,
                opt(h, "hour")?,
                opt(mi, "minute")?,
                tz,
            )
            .map_err(|e| format!("datetime: {e}"))?;
            (t, format!("{}-{}-{}", field(*y), field(*mo), field(*d)))
        }
    };
    // The plausible range (1900-01-01 to one day after now) of `validate::time`.
    validate::time(occurred_at, now).map_err(|e| format!("datetime: '{written}' {e}"))?;
    Ok(Some((category, occurred_at, lon, lat)))
}
