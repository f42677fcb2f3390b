//! The annual (or half-year) status report as one self-contained, printable HTML page: inline
//! CSS, inline SVG charts and a static SVG map of district 8; no script, no external file.
//! [`render`] only lays out what [`ReportData`] holds; the HTTP layer and `hotspot report`
//! gather it (with the caller's privacy rules applied).

use std::fmt::Write;

use geo::{Geometry, MultiPolygon};

use super::goals::{Direction, Status};
use super::Lang;

/// A label with a count a year before and in this period (`None` = a withheld small count).
pub type CountRow = (String, Option<u64>, Option<u64>);

/// A crime group with its level a year before, this year, and its ratio to the city.
pub type LevelRow = (String, Option<String>, Option<String>, Option<f64>);

/// Everything the report shows.
pub struct ReportData {
    /// Language.
    pub lang: Lang,
    /// Calendar year.
    pub year: i32,
    /// First half only (1 January – 30 June).
    pub first_half: bool,
    /// When it was made, RFC 3339.
    pub generated: String,
    /// The data snapshot it was made from.
    pub data_version: String,
    /// The synthetic-data notice, when the incidents are synthetic.
    pub synthetic_notice: Option<String>,
    /// How the public view is generalised, when the report is the public one.
    pub privacy: Option<String>,
    /// Where the data come from (one line each).
    pub provenance: Vec<String>,
    /// The map.
    pub map: MapData,
    /// Incidents in district 8 by category: label, same period a year before, this period
    /// (`None` = withheld small count).
    pub categories: Vec<CountRow>,
    /// Incidents in district 8 per month: label, a year before, this period.
    pub monthly: Vec<CountRow>,
    /// The year of the safety-index table (the year before for a first-half report).
    pub safety_year: i32,
    /// Safety-index rows: group label, level a year before, level this year, ratio.
    pub safety_index: Vec<LevelRow>,
    /// Effect goals.
    pub goals: Vec<GoalRow>,
    /// The status rule in this language.
    pub status_rule: String,
    /// Initiatives active in the period.
    pub initiatives: Vec<InitiativeRow>,
    /// The public edition's threshold: counts below it are withheld (`None`: exact edition).
    pub withheld_below: Option<u32>,
    /// The activity pool per year, DKK (DOMAIN.md: 1 million).
    pub pool_dkk: f64,
    /// Resident reports.
    pub reports: ReportStats,
}

/// What the map draws (WGS84 lon/lat).
pub struct MapData {
    /// District 8.
    pub district: MultiPolygon<f64>,
    /// Neighbouring districts, drawn faintly.
    pub neighbours: Vec<MultiPolygon<f64>>,
    /// Streets.
    pub streets: Vec<geo::LineString<f64>>,
    /// Hot (bin > 0) and cold (bin < 0) spot cells: ring and bin −3…3.
    pub cells: Vec<(Vec<[f64; 2]>, i8)>,
    /// Initiatives: number shown and geometry.
    pub initiatives: Vec<(i64, Geometry<f64>)>,
}

/// A goal in the report.
pub struct GoalRow {
    /// Id, e.g. `5a`.
    pub id: String,
    /// Wording.
    pub title: String,
    /// Unit.
    pub unit: String,
    /// Owner.
    pub owner: String,
    /// Which way is better.
    pub direction: Direction,
    /// Target.
    pub target: Option<f64>,
    /// Status.
    pub status: Status,
    /// Why.
    pub reason: String,
    /// Values by period.
    pub values: Vec<(String, Option<f64>)>,
}

/// An initiative in the report.
pub struct InitiativeRow {
    /// Id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// Kind code.
    pub kind: String,
    /// planned, running, done.
    pub status: String,
    /// Start date.
    pub start: String,
    /// End date.
    pub end: Option<String>,
    /// Budget, DKK.
    pub budget_dkk: Option<f64>,
    /// Pool.
    pub pool: Option<String>,
    /// Owner.
    pub owner: Option<String>,
    /// Goals it serves.
    pub goals: Vec<u64>,
    /// Whether the public sees it.
    pub published: bool,
    /// The evaluation, or why there is none.
    pub evaluation: Result<Evaluation, String>,
}

/// An initiative's evaluation, in short.
pub struct Evaluation {
    /// Rate ratio.
    pub rate_ratio: f64,
    /// 95 % interval.
    pub ci: (f64, f64),
    /// Fewer than 10 in a cell.
    pub small_numbers: bool,
    /// Incidents in the area before / after (`None` withheld).
    pub area: (Option<u64>, Option<u64>),
    /// Displacement reading.
    pub displacement: String,
}

/// Resident reports in the period.
#[derive(Default)]
pub struct ReportStats {
    /// The public edition: only published reports are counted (received = published; no
    /// rejected or duplicate rows).
    pub published_only: bool,
    /// Received in the period.
    pub received: Option<u64>,
    /// Of them published.
    pub published: Option<u64>,
    /// Closed.
    pub closed: Option<u64>,
    /// Rejected.
    pub rejected: Option<u64>,
    /// Duplicates.
    pub duplicates: Option<u64>,
    /// Still open (new, open, acknowledged, in progress).
    pub open: Option<u64>,
    /// Median days from report to closure.
    pub median_days_to_close: Option<f64>,
    /// Per service: label, count.
    pub by_service: Vec<(String, Option<u64>)>,
}

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn n(lang: Lang, v: Option<u64>) -> String {
    match v {
        Some(v) => thousands(lang, v as f64, 0),
        // A small count withheld in the public edition (the footnote says below what).
        None => lang.pick("skjult", "withheld").into(),
    }
}

fn thousands(lang: Lang, v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut g = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            g.push(lang.pick(".", ",").chars().next().unwrap_or(','));
        }
        g.push(c);
    }
    if frac.is_empty() {
        format!("{sign}{g}")
    } else {
        format!("{sign}{g}{}{frac}", lang.pick(",", "."))
    }
}

fn change(lang: Lang, prev: Option<u64>, this: Option<u64>) -> String {
    match (prev, this) {
        (Some(p), Some(t)) if p > 0 => {
            let pct = ((t as f64 / p as f64 - 1.0) * 100.0).round();
            if pct == 0.0 {
                return "0 %".into();
            }
            format!(
                "{}{} %",
                if pct > 0.0 { "+" } else { "" },
                thousands(lang, pct, 0)
            )
        }
        _ => "–".into(),
    }
}

fn kind_label(lang: Lang, kind: &str) -> &'static str {
    let (_, da, en) = super::INITIATIVE_KINDS
        .iter()
        .find(|k| k.0 == kind)
        .unwrap_or(&super::INITIATIVE_KINDS[5]);
    lang.pick(da, en)
}

fn status_label(lang: Lang, s: &str) -> &'static str {
    match s {
        "planned" => lang.pick("planlagt", "planned"),
        "running" => lang.pick("i gang", "running"),
        _ => lang.pick("afsluttet", "done"),
    }
}

fn level_label(lang: Lang, l: &str) -> String {
    match l {
        "markant" => lang.pick("markant", "major").into(),
        "intensiveret" => lang.pick("intensiveret", "intensified").into(),
        "ordinær" => lang.pick("ordinær", "ordinary").into(),
        other => esc(other),
    }
}

const CSS: &str = "
:root{--ink:#1d2330;--muted:#5b6472;--line:#d5d9e0;--accent:#6a3d9a;--hot:#c0392b;--cold:#2c6fbb;--ok:#1a7f37;--bad:#b42318}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--ink);margin:0;background:#fff}
main{max-width:60rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.7rem;margin:.2rem 0}
h2{font-size:1.2rem;border-bottom:2px solid var(--ink);padding-bottom:.2rem;margin-top:2rem;break-after:avoid}
h3{font-size:1rem;margin:1rem 0 .3rem}
.sub{color:var(--muted);margin:0}
.notice{border:2px solid #b54708;background:#fffaeb;padding:.6rem .8rem;margin:1rem 0;font-weight:600}
.privacy{border-left:4px solid var(--cold);background:#f0f6fc;padding:.5rem .8rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid var(--line);padding:.3rem .4rem;text-align:left;vertical-align:top}
th{font-size:.85rem;color:var(--muted);font-weight:600}
td.num,th.num{text-align:right}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));gap:.6rem;margin:1rem 0}
.kpi{border:1px solid var(--line);border-radius:6px;padding:.6rem}
.kpi b{display:block;font-size:1.5rem}
.badge{display:inline-block;border-radius:99px;padding:0 .55rem;font-size:.8rem;font-weight:600;white-space:nowrap}
.on_track{background:#dcfae6;color:#085d3a}.off_track{background:#fee4e2;color:#912018}.no_data{background:#eaecf0;color:#344054}
.lvl-markant{color:var(--bad);font-weight:600}.lvl-intensiveret{color:#b54708;font-weight:600}.lvl-ordinær{color:var(--ok)}
figure{margin:.8rem 0}figcaption{font-size:.85rem;color:var(--muted)}
svg text{font-family:inherit}
.legend{display:flex;flex-wrap:wrap;gap:.3rem 1rem;font-size:.85rem;color:var(--muted)}
.sw{display:inline-block;width:.9rem;height:.9rem;vertical-align:-2px;margin-right:.3rem;border:1px solid #0003}
.small{font-size:.85rem;color:var(--muted)}
footer{margin-top:2rem;font-size:.85rem;color:var(--muted)}
@media print{main{max-width:none;padding:0}h2{break-after:avoid}table,figure,.kpi{break-inside:avoid}body{font-size:11pt}}
";

/// Renders the report.
pub fn render(d: &ReportData) -> String {
    let l = d.lang;
    let period = if d.first_half {
        format!("{} {}", l.pick("1. halvår", "first half of"), d.year)
    } else {
        d.year.to_string()
    };
    let title = format!(
        "{} — {} {period}",
        l.pick("Hotspot Indre Nørrebro", "Hotspot Indre Nørrebro"),
        l.pick("status for", "status report for")
    );
    let mut h = String::with_capacity(64 * 1024);
    let _ = writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>",
        l.code(),
        esc(&title)
    );
    let _ = writeln!(
        h,
        "<header><p class=\"sub\">{}</p><h1>{}</h1><p class=\"sub\">{} {} · {} {}</p></header>",
        esc(l.pick(
            "Københavns Kommune · Sikker By · distrikt 8",
            "City of Copenhagen · Safe City · district 8"
        )),
        esc(&title),
        l.pick("Lavet", "Made"),
        esc(&d.generated),
        l.pick("dataversion", "data version"),
        esc(&d.data_version)
    );
    if let Some(notice) = &d.synthetic_notice {
        let _ = writeln!(
            h,
            "<p class=\"notice\" id=\"synthetic\">{}</p>",
            esc(notice)
        );
    }
    if let Some(p) = &d.privacy {
        let _ = writeln!(h, "<p class=\"privacy\">{}</p>", esc(p));
    }
    summary(&mut h, d);
    map_section(&mut h, d);
    incidents_section(&mut h, d);
    safety_index_section(&mut h, d);
    goals_section(&mut h, d);
    initiatives_section(&mut h, d);
    reports_section(&mut h, d);
    provenance_section(&mut h, d);
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

fn summary(h: &mut String, d: &ReportData) {
    let l = d.lang;
    let sum = |f: fn(&CountRow) -> Option<u64>| -> Option<u64> {
        d.categories.iter().map(f).sum::<Option<u64>>()
    };
    let this = sum(|c| c.2);
    let prev = sum(|c| c.1);
    let on = d
        .goals
        .iter()
        .filter(|g| g.status == Status::OnTrack)
        .count();
    let off = d
        .goals
        .iter()
        .filter(|g| g.status == Status::OffTrack)
        .count();
    let started: f64 = d
        .initiatives
        .iter()
        .filter(|i| i.start.starts_with(&d.year.to_string()))
        .filter_map(|i| i.budget_dkk)
        .fold(0.0, |a, b| a + b); // not sum(): an empty f64 sum is -0.0
    let _ = writeln!(
        h,
        "<section id=\"summary\"><h2>{}</h2><div class=\"kpis\">\
         <div class=\"kpi\"><b>{}</b>{} <span class=\"small\">({} {})</span></div>\
         <div class=\"kpi\"><b>{on} / {}</b>{} <span class=\"small\">({off} {})</span></div>\
         <div class=\"kpi\"><b>{}</b>{}</div>\
         <div class=\"kpi\"><b>{} kr.</b>{} <span class=\"small\">({} {} kr.)</span></div>\
         <div class=\"kpi\"><b>{}</b>{}</div></div></section>",
        l.pick("Kort fortalt", "In short"),
        this.map_or("–".into(), |v| thousands(l, v as f64, 0)),
        l.pick("hændelser i distrikt 8", "incidents in district 8"),
        change(l, prev, this),
        l.pick("mod året før", "against a year before"),
        d.goals.len(),
        l.pick("effektmål på rette spor", "effect goals on track"),
        l.pick("ikke på rette spor", "off track"),
        d.initiatives.len(),
        l.pick("indsatser i perioden", "initiatives in the period"),
        thousands(l, started, 0),
        l.pick(
            "budget for indsatser startet i året",
            "budget of initiatives started in the year"
        ),
        l.pick("aktivitetspulje", "activity pool"),
        thousands(l, d.pool_dkk, 0),
        n(l, d.reports.received),
        if d.reports.published_only {
            l.pick(
                "offentliggjorte borgerhenvendelser",
                "published resident reports",
            )
        } else {
            l.pick("borgerhenvendelser modtaget", "resident reports received")
        },
    );
}

/// Projects lon/lat into an SVG box around `bbox` (equirectangular, scaled by cos φ).
struct Proj {
    x0: f64,
    y1: f64,
    k: f64,
    kx: f64,
}

impl Proj {
    fn new(b: geo::Rect<f64>, width: f64) -> (Proj, f64) {
        let kx = b.center().y.to_radians().cos();
        let w = (b.max().x - b.min().x) * kx;
        let hgt = b.max().y - b.min().y;
        let k = width / w.max(1e-9);
        (
            Proj {
                x0: b.min().x,
                y1: b.max().y,
                k,
                kx,
            },
            hgt * k,
        )
    }
    fn xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        ((lon - self.x0) * self.kx * self.k, (self.y1 - lat) * self.k)
    }
    fn path(&self, pts: impl Iterator<Item = (f64, f64)>, close: bool) -> String {
        let mut s = String::new();
        for (i, (lon, lat)) in pts.enumerate() {
            let (x, y) = self.xy(lon, lat);
            let _ = write!(s, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" });
        }
        if close {
            s.push('Z');
        }
        s
    }
    fn polygons(&self, mp: &MultiPolygon<f64>) -> String {
        let mut s = String::new();
        for p in mp {
            s.push_str(&self.path(p.exterior().points().map(|c| (c.x(), c.y())), true));
            for i in p.interiors() {
                s.push_str(&self.path(i.points().map(|c| (c.x(), c.y())), true));
            }
        }
        s
    }
}

fn map_section(h: &mut String, d: &ReportData) {
    use geo::BoundingRect;
    let l = d.lang;
    let _ = writeln!(
        h,
        "<section id=\"map\"><h2>{}</h2>",
        l.pick(
            "Kort: hot spots og indsatser i distrikt 8",
            "Map: hot spots and initiatives in district 8"
        )
    );
    let Some(b) = d.map.district.bounding_rect() else {
        h.push_str("</section>\n");
        return;
    };
    let pad_x = (b.max().x - b.min().x) * 0.04;
    let pad_y = (b.max().y - b.min().y) * 0.04;
    let b = geo::Rect::new(
        geo::coord! {x: b.min().x - pad_x, y: b.min().y - pad_y},
        geo::coord! {x: b.max().x + pad_x, y: b.max().y + pad_y},
    );
    let (p, height) = Proj::new(b, 900.0);
    let _ = writeln!(
        h,
        "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 900 {height:.0}\" width=\"100%\" role=\"img\" aria-label=\"{}\">\n<rect width=\"900\" height=\"{height:.0}\" fill=\"#f4f1ea\"/>",
        esc(l.pick(
            "Kort over distrikt 8 med hot spots og indsatser",
            "Map of district 8 with hot spots and initiatives"
        ))
    );
    let _ = write!(h, "<clipPath id=\"frame\"><rect width=\"900\" height=\"{height:.0}\"/></clipPath><g clip-path=\"url(#frame)\">");
    for n in &d.map.neighbours {
        let _ = write!(
            h,
            "<path d=\"{}\" fill=\"#ebe7df\" stroke=\"#b9b2a5\" stroke-width=\"1\"/>",
            p.polygons(n)
        );
    }
    let _ = write!(
        h,
        "<path d=\"{}\" fill=\"#fff\" stroke=\"none\"/>",
        p.polygons(&d.map.district)
    );
    for (ring, bin) in &d.map.cells {
        let (fill, op) = match bin {
            3 => ("#b2182b", 0.8),
            2 => ("#d6604d", 0.7),
            1 => ("#f4a582", 0.7),
            -1 => ("#92c5de", 0.7),
            -2 => ("#4393c3", 0.7),
            _ => ("#2166ac", 0.8),
        };
        let _ = write!(
            h,
            "<path d=\"{}\" fill=\"{fill}\" fill-opacity=\"{op}\" stroke=\"none\"/>",
            p.path(ring.iter().map(|c| (c[0], c[1])), true)
        );
    }
    h.push_str("<g fill=\"none\" stroke=\"#9aa0a8\" stroke-width=\"0.8\">");
    for s in &d.map.streets {
        let _ = write!(
            h,
            "<path d=\"{}\"/>",
            p.path(s.points().map(|c| (c.x(), c.y())), false)
        );
    }
    h.push_str("</g>");
    let _ = write!(
        h,
        "<path d=\"{}\" fill=\"none\" stroke=\"#1d2330\" stroke-width=\"3\"/>",
        p.polygons(&d.map.district)
    );
    for (id, g) in &d.map.initiatives {
        let label_at = match g {
            Geometry::Point(pt) => {
                let (x, y) = p.xy(pt.x(), pt.y());
                let _ = write!(h, "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"7\" fill=\"#6a3d9a\" stroke=\"#fff\" stroke-width=\"2\"/>");
                Some((x, y))
            }
            Geometry::LineString(ls) => {
                let _ = write!(h, "<path d=\"{}\" fill=\"none\" stroke=\"#6a3d9a\" stroke-width=\"5\" stroke-linecap=\"round\"/>", p.path(ls.points().map(|c| (c.x(), c.y())), false));
                ls.points().nth(ls.0.len() / 2).map(|c| p.xy(c.x(), c.y()))
            }
            Geometry::Polygon(poly) => {
                let _ = write!(h, "<path d=\"{}\" fill=\"#6a3d9a\" fill-opacity=\"0.35\" stroke=\"#6a3d9a\" stroke-width=\"3\"/>", p.path(poly.exterior().points().map(|c| (c.x(), c.y())), true));
                use geo::Centroid;
                poly.centroid().map(|c| p.xy(c.x(), c.y()))
            }
            _ => None,
        };
        if let Some((x, y)) = label_at {
            let _ = write!(h, "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"15\" font-weight=\"700\" fill=\"#3f1d63\" stroke=\"#fff\" stroke-width=\"4\" paint-order=\"stroke\">#{id}</text>", x + 9.0, y - 9.0);
        }
    }
    h.push_str("</g></svg>\n");
    let _ = writeln!(
        h,
        "<figcaption><span class=\"legend\"><span><span class=\"sw\" style=\"background:#b2182b\"></span>{}</span><span><span class=\"sw\" style=\"background:#f4a582\"></span>{}</span><span><span class=\"sw\" style=\"background:#4393c3\"></span>{}</span><span><span class=\"sw\" style=\"background:#6a3d9a\"></span>{}</span><span><span class=\"sw\" style=\"background:#fff;border-color:#1d2330\"></span>{}</span></span>{}</figcaption></figure></section>",
        l.pick("hot spot 99 %", "hot spot 99 %"),
        l.pick("hot spot 90–95 %", "hot spot 90–95 %"),
        l.pick("cold spot", "cold spot"),
        l.pick("indsats (nummer som i tabellen)", "initiative (number as in the table)"),
        l.pick("distrikt 8", "district 8"),
        esc(l.pick(
            " Getis-Ord Gi* over periodens hændelser i H3-celler (opløsning 10, k = 1, FDR-korrigeret). Kort: © Københavns Kommune (CC BY 4.0), gader © OpenStreetMap-bidragydere (ODbL 1.0).",
            " Getis-Ord Gi* over the period's incidents in H3 cells (resolution 10, k = 1, FDR-corrected). Map: © Københavns Kommune (CC BY 4.0), streets © OpenStreetMap contributors (ODbL 1.0)."
        ))
    );
}

/// A two-series line chart (a year before dashed, this period solid) of monthly counts.
fn monthly_chart(h: &mut String, d: &ReportData) {
    let l = d.lang;
    let (w, ht, left, bottom) = (900.0, 220.0, 44.0, 28.0);
    let withheld = |gone: bool| {
        if gone {
            format!(
                " ({})",
                l.pick(
                    "udeladt: et månedstal eller en kategori er skjult",
                    "left out: a month or a category is withheld"
                )
            )
        } else {
            String::new()
        }
    };
    let max = d
        .monthly
        .iter()
        .flat_map(|(_, a, b)| [a.unwrap_or(0), b.unwrap_or(0)])
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let step = nice_step(max);
    let ticks = (max / step).ceil().max(1.0) as usize;
    let top = step * ticks as f64;
    let nm = d.monthly.len().max(1) as f64;
    let x = |i: usize| left + (w - left - 10.0) * (i as f64 + 0.5) / nm;
    let y = |v: f64| 10.0 + (ht - bottom - 10.0) * (1.0 - v / top);
    let _ = write!(
        h,
        "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {ht}\" width=\"100%\" role=\"img\" aria-label=\"{}\">",
        esc(l.pick("Hændelser pr. måned", "Incidents per month"))
    );
    for t in 0..=ticks {
        let v = step * t as f64;
        let _ = write!(
            h,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e4e7ec\"/><text x=\"{}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\" fill=\"#5b6472\">{}</text>",
            w - 10.0,
            left - 6.0,
            y(v) + 4.0,
            thousands(l, v, 0),
            y = y(v)
        );
    }
    for (i, (m, _, _)) in d.monthly.iter().enumerate() {
        let _ = write!(
            h,
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#5b6472\">{}</text>",
            x(i),
            ht - 8.0,
            esc(m)
        );
    }
    for (series, style) in [
        (1usize, "stroke=\"#98a2b3\" stroke-dasharray=\"6 4\""),
        (2, "stroke=\"#1d2330\""),
    ] {
        let pts: Vec<String> = d
            .monthly
            .iter()
            .enumerate()
            .filter_map(|(i, row)| {
                let v = if series == 1 { row.1 } else { row.2 };
                v.map(|v| format!("{:.1},{:.1}", x(i), y(v as f64)))
            })
            .collect();
        if !pts.is_empty() {
            let _ = write!(
                h,
                "<polyline points=\"{}\" fill=\"none\" stroke-width=\"2.5\" {style}/>",
                pts.join(" ")
            );
        }
    }
    let _ = writeln!(
        h,
        "</svg><figcaption><span class=\"legend\"><span><span class=\"sw\" style=\"background:#1d2330\"></span>{}{}</span><span><span class=\"sw\" style=\"background:#98a2b3\"></span>{}{}</span></span></figcaption></figure>",
        d.year,
        withheld(d.monthly.iter().all(|m| m.2.is_none())),
        d.year - 1,
        withheld(d.monthly.iter().all(|m| m.1.is_none())),
    );
}

/// A round step (1, 2 or 5 × 10ⁿ, at least 1) for about four gridlines up to `max`.
fn nice_step(max: f64) -> f64 {
    let raw = (max / 4.0).max(1.0);
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag)
}

fn incidents_section(h: &mut String, d: &ReportData) {
    let l = d.lang;
    let _ = write!(
        h,
        "<section id=\"incidents\"><h2>{}</h2><table><thead><tr><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th></tr></thead><tbody>",
        l.pick("Hændelser i distrikt 8", "Incidents in district 8"),
        l.pick("Kategori", "Category"),
        d.year - 1,
        d.year,
        l.pick("Ændring", "Change")
    );
    for (label, prev, this) in &d.categories {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(label),
            n(l, *prev),
            n(l, *this),
            change(l, *prev, *this)
        );
    }
    h.push_str("</tbody></table>\n");
    monthly_chart(h, d);
    h.push_str("</section>\n");
}

fn safety_index_section(h: &mut String, d: &ReportData) {
    let l = d.lang;
    let _ = write!(
        h,
        "<section id=\"safety-index\"><h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th class=\"num\">{}</th></tr></thead><tbody>",
        l.pick("Tryghedsindeks: behov for indsats", "Safety index: need for effort"),
        l.pick("Kriminalitetsgruppe", "Crime group"),
        d.safety_year - 1,
        d.safety_year,
        l.pick("Rate mod byen", "Rate against the city")
    );
    for (g, prev, this, ratio) in &d.safety_index {
        let cell = |v: &Option<String>| match v {
            Some(v) => format!("<td class=\"lvl-{}\">{}</td>", esc(v), level_label(l, v)),
            None => "<td>–</td>".into(),
        };
        let _ = write!(
            h,
            "<tr><td>{}</td>{}{}<td class=\"num\">{}</td></tr>",
            esc(g),
            cell(prev),
            cell(this),
            ratio.map_or("–".into(), |r| format!("{}×", thousands(l, r, 2)))
        );
    }
    let _ = writeln!(
        h,
        "</tbody></table><p class=\"small\">{}</p></section>",
        esc(l.pick(
            "Hændelser pr. 1.000 beboere i året mod de 35 distrikters samlede rate: markant ved 2 gange eller mere, intensiveret ved 1,3 gange eller mere. Tærsklerne er denne tjenestes konvention, ikke det officielle indeks' metode, som også vejer surveysvar.",
            "Incidents per 1,000 residents in the year against the 35 districts' rate: major at twice or more, intensified at 1.3 times or more. The thresholds are this service's convention, not the official index method, which also weighs survey answers."
        ))
    );
}

fn sparkline(h: &mut String, g: &GoalRow) {
    let (w, ht) = (160.0, 44.0);
    let vals: Vec<(usize, f64)> = g
        .values
        .iter()
        .enumerate()
        .filter_map(|(i, (_, v))| v.map(|v| (i, v)))
        .collect();
    if vals.is_empty() {
        h.push('–');
        return;
    }
    let mut lo = vals.iter().map(|v| v.1).fold(f64::INFINITY, f64::min);
    let mut hi = vals.iter().map(|v| v.1).fold(f64::NEG_INFINITY, f64::max);
    if let Some(t) = g.target {
        lo = lo.min(t);
        hi = hi.max(t);
    }
    if hi - lo < 1e-9 {
        hi += 1.0;
        lo -= 1.0;
    }
    let nx = g.values.len().max(2) as f64 - 1.0;
    let x = |i: usize| 4.0 + (w - 8.0) * i as f64 / nx;
    let y = |v: f64| 4.0 + (ht - 8.0) * (1.0 - (v - lo) / (hi - lo));
    let _ = write!(h, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {ht}\" width=\"{w}\" height=\"{ht}\" role=\"img\" aria-label=\"{}\">", esc(&g.title));
    if let Some(t) = g.target {
        let _ = write!(h, "<line x1=\"0\" x2=\"{w}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#1a7f37\" stroke-dasharray=\"4 3\"/>", y(t), y(t));
    }
    let pts: Vec<String> = vals
        .iter()
        .map(|&(i, v)| format!("{:.1},{:.1}", x(i), y(v)))
        .collect();
    let _ = write!(
        h,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"#1d2330\" stroke-width=\"2\"/>",
        pts.join(" ")
    );
    for &(i, v) in &vals {
        let _ = write!(
            h,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"#1d2330\"/>",
            x(i),
            y(v)
        );
    }
    h.push_str("</svg>");
}

fn goals_section(h: &mut String, d: &ReportData) {
    let l = d.lang;
    let _ = write!(
        h,
        "<section id=\"goals\"><h2>{}</h2><table><thead><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        l.pick("Effektmål", "Effect goals"),
        l.pick("Mål og ejer", "Goal and owner"),
        l.pick("Status", "Status"),
        l.pick("Udvikling", "Trend"),
        l.pick("Værdier", "Values")
    );
    for g in &d.goals {
        let values: Vec<String> = g
            .values
            .iter()
            .map(|(p, v)| {
                format!(
                    "{p}: {}",
                    v.map_or("–".into(), |v| thousands(
                        l,
                        v,
                        if v.fract() == 0.0 { 0 } else { 1 }
                    ))
                )
            })
            .collect();
        let arrow = match g.direction {
            Direction::Down => l.pick("lavere er bedre", "lower is better"),
            Direction::Up => l.pick("højere er bedre", "higher is better"),
        };
        let target = g.target.map_or(String::new(), |t| {
            format!(
                "; {} {}",
                l.pick("mål", "target"),
                thousands(l, t, if t.fract() == 0.0 { 0 } else { 1 })
            )
        });
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}<br><span class=\"small\">{} · {} ({arrow}{target})</span></td><td><span class=\"badge {}\">{}</span><br><span class=\"small\">{}</span></td><td>",
            esc(&g.id),
            esc(&g.title),
            esc(&g.owner),
            esc(&g.unit),
            match g.status {
                Status::OnTrack => "on_track",
                Status::OffTrack => "off_track",
                Status::NoData => "no_data",
            },
            g.status.label(l),
            esc(&g.reason)
        );
        sparkline(h, g);
        let _ = write!(
            h,
            "</td><td class=\"small\">{}</td></tr>",
            esc(&values.join(", "))
        );
    }
    let _ = writeln!(
        h,
        "</tbody></table><p class=\"small\"><b>{}</b> {}</p></section>",
        l.pick("Statusregel:", "Status rule:"),
        esc(&d.status_rule)
    );
}

/// A forest plot of the initiatives' rate ratios (log scale, 0.25–4).
fn forest(h: &mut String, d: &ReportData) {
    let l = d.lang;
    let rows: Vec<(&InitiativeRow, &Evaluation)> = d
        .initiatives
        .iter()
        .filter_map(|i| i.evaluation.as_ref().ok().map(|e| (i, e)))
        .collect();
    if rows.is_empty() {
        return;
    }
    let (w, left, row_h) = (900.0, 260.0, 28.0);
    let ht = 30.0 + row_h * rows.len() as f64;
    let (lo, hi) = (0.25f64.ln(), 4f64.ln());
    let x = |v: f64| left + (w - left - 20.0) * ((v.clamp(0.25, 4.0).ln() - lo) / (hi - lo));
    let _ = write!(h, "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {ht}\" width=\"100%\" role=\"img\" aria-label=\"{}\">", esc(l.pick("Indsatsernes rate ratio med 95 % konfidensinterval", "Initiatives' rate ratio with 95 % confidence interval")));
    for t in [0.25, 0.5, 1.0, 2.0, 4.0] {
        let _ = write!(h, "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"4\" y2=\"{1:.1}\" stroke=\"{2}\"/><text x=\"{0:.1}\" y=\"{3:.1}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#5b6472\">{4}</text>", x(t), ht - 22.0, if t == 1.0 { "#1d2330" } else { "#e4e7ec" }, ht - 6.0, thousands(l, t, if t < 1.0 { 2 } else { 0 }));
    }
    for (k, (i, e)) in rows.iter().enumerate() {
        let cy = 14.0 + row_h * k as f64;
        let colour = if e.small_numbers {
            "#98a2b3"
        } else {
            "#6a3d9a"
        };
        let mut label = format!("#{} {}", i.id, i.title);
        if label.chars().count() > 34 {
            label = label.chars().take(33).collect::<String>() + "…";
        }
        let _ = write!(h, "<text x=\"0\" y=\"{:.1}\" font-size=\"13\" fill=\"#1d2330\">{}</text><line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{cy:.1}\" y2=\"{cy:.1}\" stroke=\"{colour}\" stroke-width=\"2.5\"/><rect x=\"{:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{colour}\"/>", cy + 4.0, esc(&label), x(e.ci.0), x(e.ci.1), x(e.rate_ratio) - 5.0, cy - 5.0);
    }
    let _ = writeln!(h, "</svg><figcaption>{}</figcaption></figure>", esc(l.pick(
        "Under 1: færre hændelser i indsatsens område end forventet ud fra kontrolområdet; intervallet viser usikkerheden. Grå: for få hændelser til at konkludere.",
        "Below 1: fewer incidents in the initiative's area than the control area leads to expect; the bar is the 95 % interval. Grey: too few incidents to conclude."
    )));
}

fn initiatives_section(h: &mut String, d: &ReportData) {
    let l = d.lang;
    let _ = write!(
        h,
        "<section id=\"initiatives\"><h2>{}</h2>",
        l.pick(
            "Indsatser og deres virkning",
            "Initiatives and their effect"
        )
    );
    if d.initiatives.is_empty() {
        let _ = writeln!(
            h,
            "<p>{}</p></section>",
            l.pick(
                "Ingen indsatser i perioden.",
                "No initiatives in the period."
            )
        );
        return;
    }
    let _ = write!(
        h,
        "<table><thead><tr><th>#</th><th>{}</th><th>{}</th><th class=\"num\">{}</th><th>{}</th></tr></thead><tbody>",
        l.pick("Indsats", "Initiative"),
        l.pick("Periode og ejer", "Period and owner"),
        l.pick("Budget (kr.)", "Budget (DKK)"),
        l.pick("Evaluering (rate ratio, 95 % interval)", "Evaluation (rate ratio, 95 % interval)")
    );
    for i in &d.initiatives {
        let eval = match &i.evaluation {
            Ok(e) => format!(
                "<b>{}</b> [{}–{}]{}<br><span class=\"small\">{} {} → {} · {}</span>",
                thousands(l, e.rate_ratio, 2),
                thousands(l, e.ci.0, 2),
                thousands(l, e.ci.1, 2),
                if e.small_numbers {
                    format!(
                        " <span class=\"badge no_data\">{}</span>",
                        l.pick("for få tal", "small numbers")
                    )
                } else {
                    String::new()
                },
                l.pick("hændelser i området", "incidents in the area"),
                n(l, e.area.0),
                n(l, e.area.1),
                esc(&e.displacement)
            ),
            Err(why) => format!("<span class=\"small\">{}</span>", esc(why)),
        };
        let goals: Vec<String> = i.goals.iter().map(|g| g.to_string()).collect();
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}{}<br><span class=\"small\">{} · {}{}</span></td><td>{} – {}<br><span class=\"small\">{}</span></td><td class=\"num\">{}<br><span class=\"small\">{}</span></td><td>{eval}</td></tr>",
            i.id,
            esc(&i.title),
            if i.published { String::new() } else { format!(" <span class=\"badge no_data\">{}</span>", l.pick("ikke offentlig", "not public")) },
            kind_label(l, &i.kind),
            status_label(l, &i.status),
            if goals.is_empty() { String::new() } else { format!(" · {} {}", l.pick("mål", "goals"), goals.join(", ")) },
            esc(&i.start),
            esc(i.end.as_deref().unwrap_or("")),
            esc(i.owner.as_deref().unwrap_or("")),
            i.budget_dkk.map_or("–".into(), |b| thousands(l, b, 0)),
            esc(i.pool.as_deref().unwrap_or(""))
        );
    }
    h.push_str("</tbody></table>\n");
    forest(h, d);
    let _ = writeln!(h, "<p class=\"small\">{}</p></section>", esc(l.pick(
        "Metode: forskel-i-forskelle — (efter/før i indsatsens område + 100 m) / (efter/før i resten af distriktet), 12 måneder på hver side af start (kortere hvor data ikke rækker), svarende til samspilsleddet i en Poisson-model; 95 % interval efter Woolf.",
        "Method: difference in differences — (after/before in the initiative's area + 100 m) / (after/before in the rest of the district), 12 months each side of the start (shorter where the data do not reach), the interaction term of a Poisson model; 95 % interval after Woolf."
    )));
}

fn reports_section(h: &mut String, d: &ReportData) {
    let l = d.lang;
    let r = &d.reports;
    let _ = write!(
        h,
        "<section id=\"reports\"><h2>{}</h2>",
        l.pick(
            "Borgerhenvendelser om utrygge steder",
            "Resident reports of unsafe places"
        )
    );
    let median = r
        .median_days_to_close
        .map_or("–".into(), |v| thousands(l, v, 1));
    let rows: Vec<(&str, String)> = if r.published_only {
        vec![
            (
                l.pick(
                    "Offentliggjort (modtaget i perioden)",
                    "Published (received in the period)",
                ),
                n(l, r.received),
            ),
            (l.pick("Afsluttet", "Closed"), n(l, r.closed)),
            (l.pick("Stadig åbne", "Still open"), n(l, r.open)),
            (
                l.pick("Median dage til afslutning", "Median days to closure"),
                median,
            ),
        ]
    } else {
        vec![
            (
                l.pick("Modtaget i perioden", "Received in the period"),
                n(l, r.received),
            ),
            (l.pick("Offentliggjort", "Published"), n(l, r.published)),
            (l.pick("Afsluttet", "Closed"), n(l, r.closed)),
            (l.pick("Stadig åbne", "Still open"), n(l, r.open)),
            (l.pick("Afvist", "Rejected"), n(l, r.rejected)),
            (l.pick("Dubletter", "Duplicates"), n(l, r.duplicates)),
            (
                l.pick("Median dage til afslutning", "Median days to closure"),
                median,
            ),
        ]
    };
    h.push_str("<table><tbody>");
    for (label, value) in rows {
        let _ = write!(
            h,
            "<tr><th>{}</th><td class=\"num\">{}</td></tr>",
            esc(label),
            value
        );
    }
    h.push_str("</tbody></table>");
    if r.published_only {
        let _ = write!(
            h,
            "<p class=\"small\">{}</p>",
            l.pick(
                "Denne offentlige udgave tæller kun offentliggjorte henvendelser.",
                "This public edition counts published reports only."
            )
        );
    }
    if !r.by_service.is_empty() {
        let _ = write!(
            h,
            "<h3>{}</h3><table><tbody>",
            l.pick("Efter emne", "By subject")
        );
        for (s, c) in &r.by_service {
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=\"num\">{}</td></tr>",
                esc(s),
                n(l, *c)
            );
        }
        h.push_str("</tbody></table>");
    }
    h.push_str("</section>\n");
}

fn provenance_section(h: &mut String, d: &ReportData) {
    let l = d.lang;
    let _ = write!(
        h,
        "<section id=\"provenance\"><h2>{}</h2><ul>",
        l.pick("Data og kilder", "Data and sources")
    );
    for p in &d.provenance {
        let _ = write!(h, "<li>{}</li>", esc(p));
    }
    let _ = writeln!(
        h,
        "</ul><p class=\"small\">{}</p></section>\n<footer>{}</footer>",
        match d.withheld_below {
            Some(k) => esc(&format!(
                "{} {k} {}",
                l.pick("Tal under", "Counts below"),
                l.pick(
                    "er skjult i denne offentlige udgave (»skjult«).",
                    "are withheld in this public edition (\"withheld\")."
                )
            )),
            None => esc(l.pick(
                "Sekretariatets udgave: nøjagtige tal; må ikke offentliggøres uden videre.",
                "The secretariat's edition: exact figures; not for publication as it is."
            )),
        },
        esc(l.pick(
            "Lavet af hotspot. Rapporten er selvstændig: ingen scripts, ingen eksterne filer; udskriv den eller gem den som PDF fra browseren.",
            "Made by hotspot. The report is self-contained: no scripts, no external files; print it or save it as PDF from the browser."
        ))
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_in_the_reports_language() {
        assert_eq!(thousands(Lang::Da, 1_000_000.0, 0), "1.000.000");
        assert_eq!(thousands(Lang::En, 1_000_000.0, 0), "1,000,000");
        assert_eq!(thousands(Lang::Da, 0.456, 2), "0,46");
        assert_eq!(thousands(Lang::En, -1234.5, 1), "-1,234.5");
        assert_eq!(change(Lang::En, Some(200), Some(150)), "-25 %");
        assert_eq!(change(Lang::En, None, Some(150)), "–");
        assert_eq!(change(Lang::En, Some(1000), Some(999)), "0 %");
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc("<b a=\"x\">&'"), "&lt;b a=&quot;x&quot;&gt;&amp;&#39;");
    }
}
