// hotspot web app: a MapLibre map of (synthetic) incidents and safety-walk observations on
// Indre Nørrebro, Copenhagen's Hotspot area "district 8".
//
// No build step and no framework: an ES module that imports the vendored MapLibre GL JS and the
// texts in i18n.js. Nothing is loaded from outside this origin (no CDN, no fonts, no glyph or sprite
// server), so there are no text symbol layers: the district label is an HTML marker and the legend
// is HTML. Works under `Content-Security-Policy: default-src 'self'` (plus `img-src data: blob:`).
//
// Single incidents come as vector tiles (`tiles/incidents/{z}/{x}/{y}.mvt`, source layer
// `incidents`) with the category and period filters in the tile URL. For the public they are
// generalised by the server: each at the centre of its H3 cell (±80 m), its time floored to the hour.
//
// Hooks for the browser test: `window.hotspotMap` is the map (the incident tiles are its source
// `incidents-tiles`, drawn by the layer `incidents-points`); `<body data-ready="1">` once the
// districts and the first incident data are on the map; `<body data-loading>` while a fetch is
// pending or scheduled (tiles still loading: `hotspotMap.loaded()` is false).

import * as maplibregl from './vendor/maplibre-gl/maplibre-gl.js';
import { DEFAULT_LANGUAGE, LANGUAGES, MESSAGES } from './i18n.js';

// MapLibre 6 runs its work in a module worker; it is vendored under a `.js` name (see vendor.mjs).
maplibregl.setWorkerUrl(new URL('./vendor/maplibre-gl/maplibre-gl-worker.js', import.meta.url).href);

// ---------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------

/** API paths, relative to the page so the app also works behind a path prefix. */
const API = {
  config: 'config.json',
  health: 'api/health',
  districts: 'api/collections/districts/items',
  incidentsMeta: 'api/collections/incidents',
  incidents: 'api/collections/incidents/items',
  /** Vector tiles of incidents; MapLibre fills in {z}/{x}/{y}, the filters go in the query. */
  incidentTiles: 'tiles/incidents/',
  observationsMeta: 'api/collections/observations',
  observations: 'api/collections/observations/items',
  hexbins: 'api/analysis/hexbins',
  kde: 'api/analysis/kde',
  hotspots: 'api/analysis/hotspots',
  emerging: 'api/analysis/emerging',
  summary: (district) => `api/districts/${district}/summary`,
  safetyIndex: 'api/safety-index',
  basemap: (name) => `basemap/${name}.geojson`,
};

const ATTRIBUTION = '© Københavns Kommune (CC BY 4.0) · © OpenStreetMap contributors (ODbL)';

const HOTSPOT_DISTRICT = 'district-8';
/** District 8's bounding box (lon/lat), used for the first view until the boundary has loaded. */
const DISTRICT8_BBOX = [12.5413, 55.6815, 12.5626, 55.6943];

/** Single incidents are drawn from this zoom on (fading in half a level before); below it, the heatmap. */
const POINTS_MIN_ZOOM = 15;
/**
 * Zoom levels of the incident tiles asked for: the server sends one feature per incident from
 * zoom 14 on (grid clusters below, which this map does not use); deeper than 16 the zoom-16 tiles
 * are overzoomed, as they hold every incident already.
 */
const INCIDENT_TILES_ZOOM = [14, 16];
/** Radius (px) of one incident's dot by zoom; a stack of n incidents has √n times that radius. */
const INCIDENT_RADIUS = [[14.5, 2.5], [15, 3], [16, 4.5], [18, 8]];
/**
 * Incidents closer than this (degrees) are one stack: the public's points share their H3 cell's
 * centre exactly (up to the tiles' quantisation, well under a metre); cell centres are ~115 m apart.
 */
const STACK_TOLERANCE = 2e-5;
/**
 * The largest stack drawn at full size (incidents): when a stack in the loaded tiles is larger, every
 * stack is drawn smaller by the same factor, so the largest is this size and areas stay in proportion
 * (the demo's largest stacks hold about 150, about as large as a stack can be drawn before it covers its
 * neighbours at zoom 15; ten million incidents make stacks of thousands).
 */
const STACK_FULL_SIZE = 150;

/**
 * How many incidents a tile feature stands for: one, or its `count` where the server merged a dense
 * tile's incidents by category and point (see the tiles' `count` field in TileJSON).
 */
const incidentWeight = (f) => Number(f.properties.count) || 1;
const HEXBIN_RESOLUTION = 10;
const ITEMS_LIMIT = 10000;
const DEBOUNCE_MS = 250;

/** The months the slider covers when the metadata has no temporal extent. */
const FALLBACK_INTERVAL = ['2010-01-01T00:00:00Z', '2014-12-31T23:59:59Z'];
/** The Hotspot programme ran 1 March 2011 – 31 December 2014 (DOMAIN.md). */
const HOTSPOT_START = { year: 2011, month: 2 }; // month 0-based: March

/**
 * The analysis modes of the switch, and the map layers each one shows (exactly one mode at a time).
 * The KDE mode also owns the city-wide heatmap, which takes over from district 8's raster when
 * zoomed out below OVERVIEW_ZOOM.
 */
const MODES = ['kde', 'hex', 'hotspots', 'emerging'];
const MODE_LAYERS = {
  kde: ['kde-raster', 'incidents-heat'],
  hex: ['hexcounts-fill', 'hexcounts-line'],
  hotspots: ['hotspots-fill', 'hotspots-line'],
  emerging: ['emerging-fill', 'emerging-line'],
};
const OVERVIEW_ZOOM = [12.4, 13.2];

/** Kernel density: grid cell and the bandwidths offered (metres). */
const KDE_CELL_M = 20;
const KDE_BANDWIDTHS = [100, 150, 250];
const KDE_DEFAULT_BANDWIDTH = 150;
/**
 * KDE colour ramp (ColorBrewer YlOrRd, as the heatmap it replaces when zoomed in) as
 * [fraction of the raster's maximum, colour, opacity]: no density is transparent, low density faint.
 */
const KDE_STOPS = [
  [0, '#ffffcc', 0],
  [0.03, '#ffffcc', 0.3],
  [0.12, '#ffeda0', 0.55],
  [0.25, '#fed976', 0.72],
  [0.4, '#feb24c', 0.8],
  [0.55, '#fd8d3c', 0.85],
  [0.7, '#fc4e2a', 0.88],
  [0.85, '#e31a1c', 0.9],
  [1, '#b10026', 0.92],
];

/** Hex counts: a sequential ramp (ColorBrewer RdPu) over incidents per km², 0 … the largest cell. */
const HEX_STOPS = [
  [0, '#fde0dd'],
  [0.2, '#fcc5c0'],
  [0.4, '#fa9fb5'],
  [0.6, '#f768a1'],
  [0.8, '#c51b8a'],
  [1, '#7a0177'],
];

/**
 * Emerging hot-spot classes (the API's names): hot classes in reds and oranges, cold ones in
 * blues, darkest where the pattern is strongest and most recent; `no_pattern` is not filled.
 */
const EMERGING_COLOURS = {
  intensifying_hot: '#800026',
  persistent_hot: '#bd0026',
  consecutive_hot: '#e31a1c',
  new_hot: '#fc4e2a',
  diminishing_hot: '#b35806',
  sporadic_hot: '#fdb863',
  oscillating_hot: '#fee090',
  historical_hot: '#dfc27d',
  intensifying_cold: '#053061',
  persistent_cold: '#2166ac',
  consecutive_cold: '#4393c3',
  new_cold: '#74add1',
  diminishing_cold: '#542788',
  sporadic_cold: '#abd9e9',
  oscillating_cold: '#d1e5f0',
  historical_cold: '#8da0cb',
};
const EMERGING_ORDER = [...Object.keys(EMERGING_COLOURS), 'no_pattern'];
const EMERGING_STEP = 'quarter';

/** The trend chart counts by month, or by calendar quarter when the range is longer than this. */
const TREND_MAX_MONTHS = 24;

/** Getis-Ord Gi* hot spots: H3 resolution and neighbourhood (grid rings) asked of the API. */
const GI_RESOLUTION = 10;
const GI_K = 1;
/**
 * Gi* bins (3/2/1 = hot spot at 99/95/90 %, −1/−2/−3 = cold spot) on a diverging red–blue palette
 * (ColorBrewer RdBu, 11 classes without the pale middle ones, so the lightest still shows over the
 * heatmap); bin 0 (not significant) is not filled.
 */
const BIN_COLOURS = {
  3: '#b2182b',
  2: '#d6604d',
  1: '#f4a582',
  [-1]: '#92c5de',
  [-2]: '#4393c3',
  [-3]: '#2166ac',
};
const BIN_ORDER = [-3, -2, -1, 1, 2, 3];

/** Hour-by-weekday grid (ColorBrewer YlOrRd, 8 classes); an hour without incidents is grey. */
const GRID_COLOURS = ['#ffffcc', '#ffeda0', '#fed976', '#feb24c', '#fd8d3c', '#fc4e2a', '#e31a1c', '#b10026'];
const GRID_EMPTY = '#eef0f2';

/** Safety-index levels (API values) → CSS class of their chip. */
const LEVEL_CLASSES = { markant: 'level-markant', intensiveret: 'level-intensiveret', 'ordinær': 'level-ordinaer' };

/** Colours of incident categories (qualitative, distinguishable on the light basemap). */
const CATEGORY_COLOURS = {
  violence: '#d62728',
  threats: '#ff7f0e',
  robbery: '#8c564b',
  theft: '#1f77b4',
  burglary: '#17becf',
  vandalism: '#9467bd',
  drugs: '#2ca02c',
  weapons: '#222222',
  harassment: '#e377c2',
};
const EXTRA_COLOURS = ['#bcbd22', '#7f7f7f', '#393b79', '#637939', '#8c6d31'];

/** Observation ratings, 1 = very unsafe/poor … 5 = good (diverging red → green, ColorBrewer RdYlGn). */
const RATING_COLOURS = ['#d7191c', '#fdae61', '#ffffbf', '#a6d96a', '#1a9641'];

/** Heatmap ramp (ColorBrewer YlOrRd), from no incidents (transparent) to many. */
const HEAT_STOPS = [
  [0, 'rgba(255,255,178,0)'],
  [0.12, 'rgba(255,237,160,0.55)'],
  [0.3, '#fed976'],
  [0.5, '#feb24c'],
  [0.68, '#fd8d3c'],
  [0.84, '#f03b20'],
  [1, '#bd0026'],
];

/**
 * Heatmap intensity. MapLibre's kernel peaks at 0.4 × weight × intensity; over a lattice of cells
 * whose radius is 1.7 × their spacing the kernels sum to about 0.93 × weight × intensity, so an area
 * of cells at the saturation count (weight 1) reaches the top of the colour ramp.
 */
const HEAT_INTENSITY = 1.15;

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

const state = {
  lang: DEFAULT_LANGUAGE,
  /** Categories from the incidents metadata: [{code, label_da, label_en, …}]. */
  categories: [],
  selected: new Set(),
  /** Observation kinds from the observations metadata. */
  kinds: [],
  /** The months of the slider: [{year, month (0-based)}]. */
  months: [],
  monthFrom: 0,
  monthTo: 0,
  notice: null,
  incidentsMeta: null,
  dataVersion: null,
  /** 'fixed': the same colour scale for any period (incidents per month); 'auto': fitted. */
  scale: 'fixed',
  /**
   * The fixed colour scale: for each category selection (key: the `category` parameter, '*' for
   * all), the 99th-percentile cell count per month over the whole period. The same selection then
   * has the same scale in every period, so periods can be compared; a rarer category still shows.
   */
  refPerMonth: new Map(),
  hexTotal: null,
  /** Incidents drawn in the map view from the tiles (counted when the map is idle), or null. */
  pointsShown: null,
  /** Aggregates for the public leave out or null counts below this (the API's `privacy`). */
  suppressedBelow: 3,
  hexFeatures: [],
  /** The analysis mode shown on the map (one of MODES) and the KDE bandwidth in metres. */
  mode: 'kde',
  kdeBandwidth: KDE_DEFAULT_BANDWIDTH,
  /**
   * Per mode: the parameters (key) of the data on its layer, a summary of the result, or why it
   * cannot be computed (the API's 422 detail), or that no category is selected.
   */
  analyses: Object.fromEntries(MODES.map((mode) => [mode, { key: null, result: null, unavailable: null, noCategories: false }])),
  /** Incidents of district 8 per slider month for the trend chart: {key, all: [], byCategory: {}}. */
  trend: { key: null, all: null, byCategory: null },
  /** District 8 summary for the month range, and the key (from|to) it was asked for. */
  summary: null,
  summaryKey: null,
  /** Safety-index levels for district 8 in the year the month range ends, and that year. */
  safety: null,
  safetyYear: null,
  /** Whether the analysis layer is drawn at all (it can be switched off, e.g. while reporting). */
  analysisVisible: true,
  errors: new Map(),
  pendingFetches: 0,
  scheduled: false,
};

let map;
let districtLabel;

// ---------------------------------------------------------------------------------------------
// Shared with the other modules of the page (reports.js: the resident form; planner.js: the
// secretariat's tools). They import these from this module, the same instance index.html loads.
// ---------------------------------------------------------------------------------------------

let resolveAppReady;
/** Resolves with the map once its style and the programme layers are in (before the data). */
export const appReady = new Promise((resolve) => { resolveAppReady = resolve; });

const languageListeners = [];
/** Calls `fn(lang)` after every change of language (the texts with data-i18n are done by then). */
export function onLanguageChange(fn) {
  languageListeners.push(fn);
}

/** The current language's code ('da', 'en', …). */
export function currentLanguage() {
  return state.lang;
}

/** The observation kinds from the observations metadata: [{code, label_da, label_en}]. */
export function observationKinds() {
  return state.kinds;
}

/**
 * The calendar years the data cover, from the first incident's year to this year (resident
 * reports are dated now), oldest first; and the last year with incidents.
 */
export function dataYears() {
  const first = state.months[0]?.year ?? 2010;
  const lastData = state.months.at(-1)?.year ?? first;
  const last = Math.max(lastData, new Date().getFullYear());
  return { years: Array.from({ length: last - first + 1 }, (_, i) => first + i), lastData };
}

/** The incident categories from the incidents metadata: [{code, label_da, label_en, …}]. */
export function incidentCategories() {
  return state.categories;
}

/** The synthetic-data notice of the incidents metadata in the current language, or null. */
export function dataNotice() {
  const meta = state.incidentsMeta ?? {};
  return meta[`notice_${state.lang}`] ?? meta.notice ?? null;
}

/**
 * While set, a click on the map goes to this function (e.g. to place a report's spot) instead of
 * opening a popup. `null` gives clicks back to the popups.
 */
let mapClickHandler = null;
export function setMapClickHandler(fn) {
  mapClickHandler = fn;
}

/**
 * Adds to the map's popup: `provider(event, box)` returns popup items (elements) for what lies
 * under a click (`box`: the pixel box around it), or an empty list.
 */
const popupProviders = [];
export function addPopupProvider(provider) {
  popupProviders.push(provider);
}

// ---------------------------------------------------------------------------------------------
// The planner's session
// ---------------------------------------------------------------------------------------------

/**
 * A signed-in planner's token, kept in sessionStorage: it lives as long as the browser tab (a
 * reload keeps the session, closing the tab ends it) and is never written to localStorage, so a
 * shared computer does not hand the secretariat's access to the next person. Every API call of
 * the app sends it, so a planner sees one set of figures everywhere (the role's).
 */
const TOKEN_KEY = 'hotspot.plannerToken';
let sessionToken = (() => {
  try {
    return window.sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
})();
const sessionListeners = [];

/** The planner token of this tab's session, or null. */
export function plannerToken() {
  return sessionToken;
}

/** Starts (a token) or ends (null) the planner session; the figures are fetched again. */
export function setPlannerToken(token) {
  const changed = (token || null) !== sessionToken;
  sessionToken = token || null;
  try {
    if (sessionToken) window.sessionStorage.setItem(TOKEN_KEY, sessionToken);
    else window.sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage disabled: the session lives only in this page
  }
  if (!changed) return;
  for (const listener of sessionListeners) listener(sessionToken);
}

/** Calls `fn(token | null)` after every sign-in and sign-out. */
export function onSessionChange(fn) {
  sessionListeners.push(fn);
}

/** The Authorization header of the session, if any (for the app's own fetches). */
export function authHeaders() {
  return sessionToken ? { Authorization: `Bearer ${sessionToken}` } : {};
}

/** Closes the map's popup (or, on a phone, its bottom sheet), if one is open. */
export function closePopup() {
  popup?.remove();
  popup = null;
  closePopupSheet({ restoreFocus: false });
}
const controllers = {
  hexbins: null, summary: null, safety: null, trend: null,
  kde: null, hex: null, hotspots: null, emerging: null,
};

// ---------------------------------------------------------------------------------------------
// Texts
// ---------------------------------------------------------------------------------------------

/** The text for `key` in the current language (English, then the key, as fallbacks). */
export function t(key, params) {
  const text = MESSAGES[state.lang]?.[key] ?? MESSAGES.en[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

/**
 * The text for `key` with a count `n`, by the language's plural rules (Intl.PluralRules):
 * `${key}_${category}` ('one', 'two', 'few', 'many', …) where the language has it, else `key`
 * (the 'other' form). A new language needs only its messages. `{n}` is the formatted count.
 */
export function tn(key, n, params = {}) {
  const category = new Intl.PluralRules(locale()).select(Number(n));
  const specific = `${key}_${category}`;
  const hasSpecific = MESSAGES[state.lang]?.[specific] != null || (MESSAGES[state.lang]?.[key] == null && MESSAGES.en[specific] != null);
  return t(hasSpecific ? specific : key, { ...params, n: formatNumber(n) });
}

/** A label from API metadata (`label_da`, `label_en`, …) in the current language. */
export function apiLabel(item) {
  return item[`label_${state.lang}`] ?? item.label_en ?? item.label_da ?? item.code;
}

function locale() {
  return t('locale');
}

export function formatNumber(n) {
  return new Intl.NumberFormat(locale()).format(n);
}

function monthLabel(index, month = 'short') {
  const { year, month: m } = state.months[index];
  return new Intl.DateTimeFormat(locale(), { month, year: 'numeric', timeZone: 'UTC' }).format(
    new Date(Date.UTC(year, m, 1)),
  );
}

function formatPercent(fraction, digits = 0) {
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: digits }).format(fraction);
}

export function formatDecimal(n, digits = 2) {
  return new Intl.NumberFormat(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(n);
}

export function formatDateTime(iso, withTime = true) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso ?? '';
  const options = withTime
    ? { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Copenhagen' }
    : { dateStyle: 'medium', timeZone: 'Europe/Copenhagen' };
  return new Intl.DateTimeFormat(locale(), options).format(date);
}

/**
 * A count of an aggregate, or "< 3" where the API suppressed a small count for the public
 * (`null`); the number of an absent count as 0 for drawing.
 */
function formatCount(n) {
  return n == null ? t('countSuppressed', { n: formatNumber(state.suppressedBelow) }) : formatNumber(n);
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

const $ = (selector) => document.querySelector(selector);

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element; attributes as given (presentation attributes, not inline styles: CSP-safe). */
export function svgEl(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'text') node.textContent = value;
    else node.setAttribute(name, String(value));
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'className') node.className = value;
    else if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

/** A round colour swatch; the colour is set through the CSSOM, which CSP allows. */
export function swatch(colour) {
  const node = el('span', { className: 'swatch', 'aria-hidden': 'true' });
  node.style.setProperty('--swatch', colour);
  return node;
}

function absoluteUrl(path) {
  return new URL(path, document.baseURI).href;
}

class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

/** GET a JSON document; a problem+json error becomes an ApiError carrying its `detail`. */
async function getJson(path, params, signal) {
  const url = new URL(path, document.baseURI);
  if (params) for (const [k, v] of Object.entries(params)) if (v != null) url.searchParams.set(k, v);
  const response = await fetch(url, { signal, headers: { Accept: 'application/geo+json, application/json', ...authHeaders() } });
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    try {
      const problem = await response.json();
      detail = problem.detail || problem.title || detail;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(response.status, detail);
  }
  const data = await response.json();
  // Answers for the public say below which count an aggregate is suppressed.
  const below = Number(data?.privacy?.suppressed_below);
  if (below > 0) state.suppressedBelow = below;
  return data;
}

const isAbort = (error) => error?.name === 'AbortError';

function emptyCollection() {
  return { type: 'FeatureCollection', features: [] };
}

function updateLoading() {
  if (state.pendingFetches > 0 || state.scheduled) document.body.dataset.loading = '1';
  else delete document.body.dataset.loading;
}

/** Run `fn` while counting it as a pending fetch (for `data-loading` and the busy bar). */
async function tracked(fn) {
  state.pendingFetches += 1;
  updateLoading();
  try {
    return await fn();
  } finally {
    state.pendingFetches -= 1;
    updateLoading();
  }
}

// ---------------------------------------------------------------------------------------------
// Time filter: months in Copenhagen local time, sent as UTC instants
// ---------------------------------------------------------------------------------------------

/** The Copenhagen calendar month (0-based) and year of an RFC 3339 instant. */
let copenhagenMonthFormat = null;
function copenhagenMonthOf(instant) {
  copenhagenMonthFormat ??= new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Copenhagen', year: 'numeric', month: 'numeric' });
  const parts = copenhagenMonthFormat.formatToParts(new Date(instant));
  const part = (type) => Number(parts.find((p) => p.type === type).value);
  return { year: part('year'), month: part('month') - 1 };
}

/**
 * The months of the temporal extent, in Copenhagen time (an extent starting at local midnight on
 * 1 January 2010 is `2009-12-31T23:00:00Z` in UTC, and still starts in January 2010).
 */
function monthsOf(interval) {
  const first = copenhagenMonthOf(interval[0]);
  const last = copenhagenMonthOf(interval[1]);
  const months = [];
  for (let { year, month } = first; year < last.year || (year === last.year && month <= last.month);) {
    months.push({ year, month });
    month += 1;
    if (month === 12) {
      month = 0;
      year += 1;
    }
  }
  return months;
}

/**
 * The instant a month starts in Copenhagen. On the first of a month Copenhagen keeps summer time
 * (UTC+2) from April to October and standard time (UTC+1) otherwise: the clocks change on the last
 * Sundays of March and October, never on a first.
 */
function copenhagenMonthStart(year, month) {
  const offsetHours = month >= 3 && month <= 9 ? 2 : 1;
  return new Date(Date.UTC(year, month, 1) - offsetHours * 3600e3);
}

const rfc3339 = (date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The `datetime` parameter for the chosen months (open ends at the extent's ends), or null for all. */
function datetimeParam() {
  const last = state.months.length - 1;
  let start = '..';
  let end = '..';
  if (state.monthFrom > 0) {
    const { year, month } = state.months[state.monthFrom];
    start = rfc3339(copenhagenMonthStart(year, month));
  }
  if (state.monthTo < last) {
    const { year, month } = state.months[state.monthTo];
    const next = copenhagenMonthStart(month === 11 ? year + 1 : year, (month + 1) % 12);
    end = rfc3339(new Date(next.getTime() - 1000));
  }
  return start === '..' && end === '..' ? null : `${start}/${end}`;
}

/** The `category` parameter: null when all are selected (no filter), '' when none are. */
function categoryParam() {
  if (state.selected.size === state.categories.length) return null;
  return state.categories.filter((c) => state.selected.has(c.code)).map((c) => c.code).join(',');
}

function monthCount() {
  return state.monthTo - state.monthFrom + 1;
}

// ---------------------------------------------------------------------------------------------
// Map style
// ---------------------------------------------------------------------------------------------

function categoryColourExpression() {
  const expression = ['match', ['get', 'category']];
  state.categories.forEach((c) => expression.push(c.code, categoryColour(c.code)));
  expression.push('#7f7f7f');
  return expression;
}

function categoryColour(code) {
  if (CATEGORY_COLOURS[code]) return CATEGORY_COLOURS[code];
  const extras = state.categories.filter((c) => !CATEGORY_COLOURS[c.code]).map((c) => c.code);
  return EXTRA_COLOURS[Math.max(0, extras.indexOf(code)) % EXTRA_COLOURS.length];
}

function ratingColourExpression() {
  return [
    'match',
    ['to-number', ['get', 'rating'], 0],
    1, RATING_COLOURS[0],
    2, RATING_COLOURS[1],
    3, RATING_COLOURS[2],
    4, RATING_COLOURS[3],
    5, RATING_COLOURS[4],
    '#9aa4af',
  ];
}

/** The city-wide heatmap's opacity: the overview when zoomed out, giving way to district 8's KDE. */
function heatOpacity() {
  return ['interpolate', ['linear'], ['zoom'], OVERVIEW_ZOOM[0], 0.82, OVERVIEW_ZOOM[1], 0];
}

function heatColourExpression() {
  return ['interpolate', ['linear'], ['heatmap-density'], ...HEAT_STOPS.flat()];
}

/** The base style: background and either a raster basemap or the shipped vector basemap. */
function baseStyle(config) {
  const style = {
    version: 8,
    // The labels' SDF glyphs, vendored (web/glyphs.mjs): no font server, no CDN.
    glyphs: `${absoluteUrl('vendor/glyphs/')}{fontstack}/{range}.pbf`,
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#f1eee8' } }],
  };
  // Streets are always loaded: the street-lighting layer draws from them.
  style.sources.streets = { type: 'geojson', data: absoluteUrl(API.basemap('streets')) };
  if (config.basemap_tiles) {
    style.sources.basemap = {
      type: 'raster',
      tiles: [config.basemap_tiles],
      tileSize: 256,
      maxzoom: 19,
      attribution: config.basemap_attribution || '',
    };
    style.layers.push({ id: 'basemap', type: 'raster', source: 'basemap' });
    return style;
  }
  style.sources.parks = { type: 'geojson', data: absoluteUrl(API.basemap('parks')) };
  style.sources.blocks = { type: 'geojson', data: absoluteUrl(API.basemap('blocks')) };
  const major = ['match', ['get', 'highway'], ['motorway', 'trunk', 'primary', 'secondary', 'tertiary',
    'motorway_link', 'trunk_link', 'primary_link', 'secondary_link', 'tertiary_link'], true, false];
  const minor = ['match', ['get', 'highway'], ['residential', 'unclassified', 'living_street', 'pedestrian',
    'road'], true, false];
  style.layers.push(
    { id: 'parks', type: 'fill', source: 'parks', paint: { 'fill-color': '#cfe5c2' } },
    {
      id: 'blocks',
      type: 'fill',
      source: 'blocks',
      paint: { 'fill-color': '#e3ded5', 'fill-outline-color': '#d3cdc2' },
    },
    {
      id: 'streets-paths',
      type: 'line',
      source: 'streets',
      filter: ['!', ['any', major, minor]],
      minzoom: 14,
      paint: {
        'line-color': '#ffffff',
        'line-width': ['interpolate', ['linear'], ['zoom'], 14, 0.6, 18, 2],
        'line-opacity': 0.9,
      },
    },
    {
      id: 'streets-minor',
      type: 'line',
      source: 'streets',
      filter: minor,
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: {
        'line-color': '#ffffff',
        'line-width': ['interpolate', ['exponential', 1.6], ['zoom'], 12, 0.8, 15, 3.5, 18, 12],
      },
    },
    {
      id: 'streets-major',
      type: 'line',
      source: 'streets',
      filter: major,
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: {
        'line-color': '#fbf6ea',
        'line-width': ['interpolate', ['exponential', 1.6], ['zoom'], 11, 1.2, 15, 6, 18, 18],
      },
    },
  );
  return style;
}

/** Sources and layers for the programme data, added once the style has loaded. */
function addDataLayers() {
  map.addSource('districts', { type: 'geojson', data: emptyCollection() });
  map.addSource('roder', { type: 'geojson', data: emptyCollection() });
  map.addSource('bydele', { type: 'geojson', data: emptyCollection() });
  map.addSource('hexbins', { type: 'geojson', data: emptyCollection() });
  map.addSource('hexcounts', { type: 'geojson', data: emptyCollection() });
  map.addSource('hotspots', { type: 'geojson', data: emptyCollection() });
  map.addSource('emerging', { type: 'geojson', data: emptyCollection() });
  map.addSource('incidents-tiles', {
    type: 'vector',
    tiles: [incidentTilesUrl()],
    minzoom: INCIDENT_TILES_ZOOM[0],
    maxzoom: INCIDENT_TILES_ZOOM[1],
  });
  map.addSource('observations', { type: 'geojson', data: emptyCollection() });

  const isHotspot = ['==', ['get', 'id'], HOTSPOT_DISTRICT];
  // An invisible fill of the safety districts, for a click anywhere on one (see showPopup).
  map.addLayer({
    id: 'districts-hit',
    type: 'fill',
    source: 'districts',
    filter: ['==', ['get', 'level'], 'district'],
    paint: { 'fill-color': '#000000', 'fill-opacity': 0 },
  });
  map.addLayer({
    id: 'districts-line',
    type: 'line',
    source: 'districts',
    filter: ['!', isHotspot],
    paint: {
      'line-color': '#7d8793',
      'line-width': ['interpolate', ['linear'], ['zoom'], 11, 0.8, 16, 1.8],
      'line-opacity': 0.85,
    },
  });
  map.addLayer({
    id: 'incidents-heat',
    type: 'heatmap',
    source: 'hexbins',
    maxzoom: 14,
    paint: {
      'heatmap-weight': 0,
      // H3 resolution-10 cell centres are ~115 m apart, ~21 px at zoom 13 on 512-px tiles and twice
      // that per zoom level. A radius of ~1.7 times that spacing (the kernel's sigma is radius / 3)
      // blends them into a smooth surface at every zoom; see HEAT_INTENSITY for the height.
      'heatmap-intensity': HEAT_INTENSITY,
      'heatmap-radius': ['interpolate', ['exponential', 2], ['zoom'], 10, 4.5, 13, 36, 16, 288],
      'heatmap-opacity': heatOpacity(),
      'heatmap-color': heatColourExpression(),
    },
  });
  // District 8's KDE raster ('kde-raster', an image source) is added under the hex counts once the
  // first raster has arrived (see drawKde). Hex counts: cells with incidents, on a sequential ramp
  // set by styleHexcounts for each answer.
  map.addLayer({
    id: 'hexcounts-fill',
    type: 'fill',
    source: 'hexcounts',
    layout: { visibility: 'none' },
    paint: {
      'fill-color': HEX_STOPS[0][1],
      'fill-opacity': ['interpolate', ['linear'], ['zoom'], 14, 0.8, 17, 0.45],
    },
  });
  map.addLayer({
    id: 'hexcounts-line',
    type: 'line',
    source: 'hexcounts',
    layout: { visibility: 'none', 'line-join': 'round' },
    paint: {
      'line-color': '#ffffff',
      'line-opacity': 0.7,
      'line-width': ['interpolate', ['linear'], ['zoom'], 13, 0.4, 17, 1.2],
    },
  });
  // Gi* hot and cold spots, below the lines, points and the district outline. Cells that are not
  // significant get a faint outline only, which shows the study area; every cell can be clicked
  // for its numbers.
  const bin = ['to-number', ['get', 'bin'], 0];
  const binFill = ['match', bin];
  for (const b of BIN_ORDER) binFill.push(b, BIN_COLOURS[b]);
  binFill.push('rgba(0,0,0,0)');
  const binOpacity = (significant) => ['case', ['==', bin, 0], 0, significant];
  map.addLayer({
    id: 'hotspots-fill',
    type: 'fill',
    source: 'hotspots',
    layout: { visibility: 'none' },
    paint: {
      'fill-color': binFill,
      'fill-opacity': ['interpolate', ['linear'], ['zoom'], 14, binOpacity(0.74), 17, binOpacity(0.42)],
    },
  });
  map.addLayer({
    id: 'hotspots-line',
    type: 'line',
    source: 'hotspots',
    layout: { visibility: 'none', 'line-join': 'round' },
    paint: {
      'line-color': ['case', ['==', bin, 0], '#5c6773', '#ffffff'],
      'line-opacity': ['case', ['==', bin, 0], 0.35, 0.8],
      'line-width': ['interpolate', ['linear'], ['zoom'], 13, 0.5, 17, 1.2],
    },
  });
  // Emerging hot spots: one colour per class, cells without a pattern outlined only.
  const emergingFill = ['match', ['get', 'class']];
  for (const [name, colour] of Object.entries(EMERGING_COLOURS)) emergingFill.push(name, colour);
  emergingFill.push('rgba(0,0,0,0)');
  const patterned = ['in', ['to-string', ['get', 'class']], ['literal', Object.keys(EMERGING_COLOURS)]];
  map.addLayer({
    id: 'emerging-fill',
    type: 'fill',
    source: 'emerging',
    layout: { visibility: 'none' },
    paint: {
      'fill-color': emergingFill,
      'fill-opacity': ['interpolate', ['linear'], ['zoom'],
        14, ['case', patterned, 0.8, 0], 17, ['case', patterned, 0.5, 0]],
    },
  });
  map.addLayer({
    id: 'emerging-line',
    type: 'line',
    source: 'emerging',
    layout: { visibility: 'none', 'line-join': 'round' },
    paint: {
      'line-color': ['case', patterned, '#ffffff', '#5c6773'],
      'line-opacity': ['case', patterned, 0.85, 0.35],
      'line-width': ['interpolate', ['linear'], ['zoom'], 13, 0.5, 17, 1.2],
    },
  });
  map.addLayer({
    id: 'roder-line',
    type: 'line',
    source: 'roder',
    layout: { visibility: 'none' },
    paint: {
      'line-color': '#6b7480',
      'line-width': ['interpolate', ['linear'], ['zoom'], 12, 0.5, 16, 1.2],
      'line-dasharray': [3, 2],
    },
  });
  // Roder and street lighting sit above the heatmap: unlit streets in hot areas are what planners
  // look for.
  map.addLayer({
    id: 'streets-lit',
    type: 'line',
    source: 'streets',
    filter: ['==', ['get', 'lit'], 'yes'],
    layout: { visibility: 'none', 'line-cap': 'round' },
    paint: {
      'line-color': '#c99700',
      'line-width': ['interpolate', ['linear'], ['zoom'], 12, 0.8, 17, 3],
      'line-opacity': 0.75,
    },
  });
  map.addLayer({
    id: 'streets-unlit',
    type: 'line',
    source: 'streets',
    filter: ['==', ['get', 'lit'], 'no'],
    layout: { visibility: 'none' },
    paint: {
      'line-color': '#3b1f6b',
      'line-width': ['interpolate', ['linear'], ['zoom'], 12, 2, 17, 6],
      'line-dasharray': [2, 1],
    },
  });
  map.addLayer({
    id: 'district8-casing',
    type: 'line',
    source: 'districts',
    filter: isHotspot,
    layout: { 'line-join': 'round' },
    paint: {
      'line-color': '#ffffff',
      'line-width': ['interpolate', ['linear'], ['zoom'], 11, 5, 16, 9],
      'line-opacity': 0.85,
    },
  });
  map.addLayer({
    id: 'district8-outline',
    type: 'line',
    source: 'districts',
    filter: isHotspot,
    layout: { 'line-join': 'round' },
    paint: {
      'line-color': '#1b2f5e',
      'line-width': ['interpolate', ['linear'], ['zoom'], 11, 2.5, 16, 4.5],
    },
  });
  // Single incidents. The public's incidents of one H3 cell all sit on its centre, so they are
  // drawn as one round symbol whose area is their number: with the incidents of a stack of n in
  // category order (see updateIncidentStacks), the k-th one owns the ring between radius r·√k and
  // r·√(k+1); the first incident of each category draws its category's whole band (`band`
  // incidents wide), the others draw nothing. A white halo (the stack's disc, 1 px larger) sets
  // the symbol off the map and is what a click hits. Without feature state an incident is a plain
  // dot of radius r.
  const rank = ['number', ['feature-state', 'rank'], 0];
  const band = ['number', ['feature-state', 'band'], 1];
  const size = ['number', ['feature-state', 'stack'], 1];
  const byZoom = (output) => ['interpolate', ['linear'], ['zoom'],
    ...INCIDENT_RADIUS.flatMap(([zoom, r]) => [zoom, output(r)])];
  const fade = (to) => ['interpolate', ['linear'], ['zoom'], POINTS_MIN_ZOOM - 0.5, 0, POINTS_MIN_ZOOM, to];
  // One feature per incident (grid clusters, which carry only a `count`, are never drawn).
  const incidentLayer = {
    type: 'circle',
    source: 'incidents-tiles',
    'source-layer': 'incidents',
    minzoom: POINTS_MIN_ZOOM - 0.5,
    filter: ['has', 'category'],
  };
  addLabelLayers();
  map.addLayer({
    ...incidentLayer,
    id: 'incidents-halo',
    paint: {
      'circle-color': '#ffffff',
      'circle-radius': byZoom((r) => ['+', ['*', r, ['sqrt', size]], 1.2]),
      'circle-opacity': fade(0.95),
    },
  });
  map.addLayer({
    ...incidentLayer,
    id: 'incidents-points',
    paint: {
      'circle-opacity': 0,
      'circle-radius': byZoom((r) => ['*', r, ['sqrt', rank]]),
      'circle-stroke-width': byZoom((r) => ['*', r, ['-', ['sqrt', ['+', rank, band]], ['sqrt', rank]]]),
      'circle-stroke-color': categoryColourExpression(),
      'circle-stroke-opacity': fade(1),
    },
  });
  map.addLayer({
    id: 'observations',
    type: 'circle',
    source: 'observations',
    paint: {
      'circle-color': ratingColourExpression(),
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 12, 3, 14, 4.5, 16, 7, 18, 10],
      'circle-stroke-color': '#1d2733',
      'circle-stroke-width': ['interpolate', ['linear'], ['zoom'], 12, 1, 15, 1.8, 17, 2.5],
    },
  });
}

/** The labels' font (the vendored glyph ranges' fontstack). */
const LABEL_FONT = ['noto-sans-regular'];
const LABEL_HALO = { 'text-halo-color': 'rgba(255, 255, 255, 0.92)', 'text-halo-width': 1.6, 'text-halo-blur': 0.3 };

/**
 * Names on the map, from the shipped data: city districts (bydele) when zoomed out, the safety
 * districts from zoom 12.5, streets and squares along their lines from zoom 14 (major) and 15
 * (the rest). Above the analyses, below the incidents, the reports and the pins.
 */
function addLabelLayers() {
  const level = (name) => ['==', ['get', 'level'], name];
  map.addLayer({
    id: 'labels-bydel',
    type: 'symbol',
    source: 'bydele',
    maxzoom: 13,
    layout: {
      'text-field': ['get', 'name'],
      'text-font': LABEL_FONT,
      'text-size': ['interpolate', ['linear'], ['zoom'], 10, 12, 12.5, 15],
      'text-transform': 'uppercase',
      'text-letter-spacing': 0.08,
      'text-max-width': 8,
      'text-padding': 6,
    },
    paint: { 'text-color': '#3d4753', ...LABEL_HALO },
  });
  map.addLayer({
    id: 'labels-districts',
    type: 'symbol',
    source: 'districts',
    // District 8 has its own label (the HTML marker above its tip).
    filter: ['all', level('district'), ['!=', ['get', 'id'], HOTSPOT_DISTRICT]],
    minzoom: 12.5,
    maxzoom: 15.5,
    layout: {
      'text-field': ['get', 'name'],
      'text-font': LABEL_FONT,
      'text-size': 12.5,
      'text-max-width': 7,
      'text-padding': 8,
    },
    paint: { 'text-color': '#4a5562', ...LABEL_HALO },
  });
  const major = ['match', ['get', 'highway'], ['motorway', 'trunk', 'primary', 'secondary', 'tertiary'], true, false];
  map.addLayer({
    id: 'labels-streets',
    type: 'symbol',
    source: 'streets',
    filter: ['all', ['has', 'name'], ['!=', ['get', 'name'], null],
      ['any', ['>=', ['zoom'], 15], major]],
    minzoom: 14,
    layout: {
      'symbol-placement': 'line',
      'text-field': ['get', 'name'],
      'text-font': LABEL_FONT,
      'text-size': ['interpolate', ['linear'], ['zoom'], 14, 11, 16, 13, 18, 15],
      'text-max-angle': 35,
      'symbol-spacing': 320,
      'text-padding': 4,
    },
    paint: { 'text-color': '#2c333b', ...LABEL_HALO },
  });
}

/** Named streets as lists of segments in metres around district 8, made once on first use. */
let streetSegments = null;
const M_PER_DEG_LAT = 111320;
const M_PER_DEG_LON = M_PER_DEG_LAT * Math.cos(55.69 * Math.PI / 180);

function loadStreetSegments() {
  streetSegments ??= (async () => {
    const data = await map.getSource('streets').getData();
    const segments = [];
    for (const feature of data.features ?? []) {
      const name = feature.properties?.name;
      if (!name || !feature.geometry) continue;
      const lines = feature.geometry.type === 'LineString' ? [feature.geometry.coordinates]
        : feature.geometry.type === 'MultiLineString' ? feature.geometry.coordinates : [];
      for (const line of lines) {
        for (let i = 1; i < line.length; i += 1) segments.push([name, line[i - 1], line[i]]);
      }
    }
    return segments;
  })();
  return streetSegments;
}

/** Metres from a point to a segment (lon/lat, flat at a city's scale). */
function metresToSegment(p, a, b) {
  const ax = (a[0] - p[0]) * M_PER_DEG_LON;
  const ay = (a[1] - p[1]) * M_PER_DEG_LAT;
  const bx = (b[0] - p[0]) * M_PER_DEG_LON;
  const by = (b[1] - p[1]) * M_PER_DEG_LAT;
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const k = len2 ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2)) : 0;
  return Math.hypot(ax + k * dx, ay + k * dy);
}

/**
 * The name of the nearest named street or square within `maxMetres` of a lon/lat, or null (the
 * shipped OpenStreetMap streets). Resolves once the streets are loaded.
 */
export async function nearestStreetName(lngLat, maxMetres = 60) {
  await appReady;
  const p = Array.isArray(lngLat) ? lngLat : [Number(lngLat.lng), Number(lngLat.lat)];
  let best = null;
  let bestMetres = maxMetres;
  for (const [name, a, b] of await loadStreetSegments()) {
    // A cheap box test first: farther than maxMetres in latitude or longitude cannot win.
    if (Math.abs(a[1] - p[1]) * M_PER_DEG_LAT > bestMetres + 400 || Math.abs(a[0] - p[0]) * M_PER_DEG_LON > bestMetres + 400) continue;
    const d = metresToSegment(p, a, b);
    if (d < bestMetres) {
      bestMetres = d;
      best = name;
    }
  }
  return best;
}

/** Every named street or square once, with its extent [w, s, e, n], for the search box. */
export async function streetNames() {
  await appReady;
  const byName = new Map();
  for (const [name, a, b] of await loadStreetSegments()) {
    const box = byName.get(name) ?? [Infinity, Infinity, -Infinity, -Infinity];
    for (const [x, y] of [a, b]) {
      box[0] = Math.min(box[0], x);
      box[1] = Math.min(box[1], y);
      box[2] = Math.max(box[2], x);
      box[3] = Math.max(box[3], y);
    }
    byName.set(name, box);
  }
  return byName;
}

// ---------------------------------------------------------------------------------------------
// Data loading
// ---------------------------------------------------------------------------------------------

function setError(key, error) {
  if (error) state.errors.set(key, error.message || String(error));
  else state.errors.delete(key);
  renderStatus();
}

async function loadDistricts() {
  const data = await tracked(() => getJson(API.districts, { level: 'district', limit: 1000 }));
  map.getSource('districts').setData(data);
  // The city districts (bydele), for their names when zoomed out; the map works without them.
  getJson(API.districts, { level: 'bydel', limit: 100 }).then((bydele) => map.getSource('bydele').setData(bydele)).catch(() => {});
  const hotspot = data.features.find((f) => (f.properties?.id ?? f.id) === HOTSPOT_DISTRICT);
  if (hotspot) placeDistrictLabel(hotspot.geometry);
  return data;
}

let roderLoaded = false;
async function loadRoder() {
  if (roderLoaded) return;
  roderLoaded = true;
  try {
    const data = await tracked(() => getJson(API.districts, { level: 'rode', limit: 1000 }));
    map.getSource('roder').setData(data);
    setError('roder', null);
  } catch (error) {
    roderLoaded = false;
    setError('roder', error);
  }
}

/** All outer-ring vertices of a Polygon or MultiPolygon. */
function ringVertices(geometry) {
  if (geometry.type === 'Polygon') return geometry.coordinates[0];
  if (geometry.type === 'MultiPolygon') return geometry.coordinates.flatMap((polygon) => polygon[0]);
  return [];
}

/** The "District 8 · Indre Nørrebro" label, an HTML marker just north of the district's tip. */
function placeDistrictLabel(geometry) {
  const vertices = ringVertices(geometry);
  if (!vertices.length) return;
  const north = vertices.reduce((best, v) => (v[1] > best[1] ? v : best));
  const element = el('div', { className: 'district-label', text: t('districtLabel') });
  districtLabel?.remove();
  districtLabel = new maplibregl.Marker({ element, anchor: 'bottom', offset: [0, -6] })
    .setLngLat(north)
    .addTo(map);
  // The marker is a label, not a control: keep it out of the tab order, name it by its text.
  element.removeAttribute('tabindex');
  element.setAttribute('aria-label', t('districtLabel'));
}

/** The heatmap weight: the count at which one cell's weight saturates. */
function applyHeatScale() {
  if (!map?.getLayer('incidents-heat')) return;
  const features = state.hexFeatures ?? [];
  const reference = state.refPerMonth.get(categoryParam() ?? '*');
  let saturation;
  if (state.scale === 'fixed' && reference) {
    saturation = reference * monthCount();
  } else {
    saturation = quantile(features.map((f) => Number(f.properties.count) || 0), 0.99);
  }
  saturation = Math.max(saturation || 1, 1);
  map.setPaintProperty('incidents-heat', 'heatmap-weight', [
    'interpolate', ['linear'], ['to-number', ['get', 'count'], 0], 0, 0, saturation, 1,
  ]);
}

function quantile(values, q) {
  const sorted = values.filter((v) => v > 0).sort((a, b) => a - b);
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function refreshHexbins() {
  controllers.hexbins?.abort();
  const categories = categoryParam();
  if (categories === '') {
    // Nothing selected: nothing to draw, nothing to ask the server.
    controllers.hexbins = null;
    state.hexFeatures = [];
    state.hexTotal = 0;
    map.getSource('hexbins').setData(emptyCollection());
    setError('hexbins', null);
    return;
  }
  const controller = new AbortController();
  controllers.hexbins = controller;
  const params = { resolution: HEXBIN_RESOLUTION, geometry: 'point', category: categories, datetime: datetimeParam() };
  const refKey = categories ?? '*';
  try {
    const [data, reference] = await tracked(() => Promise.all([
      getJson(API.hexbins, params, controller.signal),
      // The whole-period counts for the fixed scale, once per category selection.
      state.refPerMonth.has(refKey) || params.datetime == null
        ? null
        : getJson(API.hexbins, { ...params, datetime: null }, controller.signal),
    ]));
    if (controller.signal.aborted) return;
    if (!state.refPerMonth.has(refKey)) {
      const whole = reference ?? data;
      state.refPerMonth.set(refKey, quantile(whole.features.map((f) => Number(f.properties.count) || 0), 0.99) / state.months.length);
    }
    state.hexFeatures = data.features;
    // The answer's own total: for the public, cells of 1 or 2 incidents are left out of `features`.
    state.hexTotal = data.numberOfIncidents ?? data.features.reduce((sum, f) => sum + (Number(f.properties.count) || 0), 0);
    applyHeatScale();
    map.getSource('hexbins').setData(data);
    setError('hexbins', null);
  } catch (error) {
    if (!isAbort(error)) setError('hexbins', error);
    if (!isAbort(error)) throw error;
  }
}

/** The incident tiles' URL template with the category and period filters in its query. */
function incidentTilesUrl() {
  const query = new URLSearchParams();
  const categories = categoryParam();
  const datetime = datetimeParam();
  if (categories) query.set('category', categories);
  if (datetime) query.set('datetime', datetime);
  const search = query.toString();
  // The template's braces must stay literal: they are not put through URL().
  return `${absoluteUrl(API.incidentTiles)}{z}/{x}/{y}.mvt${search ? `?${search}` : ''}`;
}

/**
 * Points the incident tiles at the current filters (MapLibre reloads them). With no category
 * selected the layers are hidden and the tiles left as they are: the URL changes only while the
 * layers are shown, as MapLibre would otherwise show the hidden source's old tiles again.
 */
function refreshIncidentTiles() {
  const source = map.getSource('incidents-tiles');
  if (!source) return;
  const none = categoryParam() === '';
  for (const id of ['incidents-halo', 'incidents-points']) map.setLayoutProperty(id, 'visibility', none ? 'none' : 'visible');
  if (none) return;
  const url = incidentTilesUrl();
  if (source.tiles?.[0] !== url) {
    source.setTiles([url]);
    state.pointsShown = null;
  }
}

/**
 * Incident features of a rendered query, each once (a point near a tile edge is in both tiles),
 * newest first.
 */
function uniqueIncidents(features) {
  const seen = new Set();
  const unique = features.filter((f) => {
    const key = f.id ?? `${f.properties.category}|${f.properties.occurred_at}|${f.geometry.coordinates}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort((a, b) => String(b.properties.occurred_at).localeCompare(String(a.properties.occurred_at)));
}

/**
 * Gives every loaded incident its place in its stack (the incidents at the same point) as feature
 * state, which the incident layers draw as rings (see addDataLayers): `stack` (how many), `rank`
 * (0 … stack − 1, in category order, then by time) and `band` (for the first incident of a
 * category, how many of that category the stack has; 0 for the others). A merged feature counts
 * as its `count` incidents. All three are scaled down alike when a stack exceeds STACK_FULL_SIZE.
 */
const stackStates = new Map(); // incident id → 'rank/band/stack' as last set
let stackSignature = '';
function updateIncidentStacks() {
  if (!map.getLayer('incidents-points') || !visible('incidents-points') || map.getZoom() < POINTS_MIN_ZOOM - 0.5) return;
  const features = map.querySourceFeatures('incidents-tiles', { sourceLayer: 'incidents', filter: ['has', 'category'] });
  let idSum = 0;
  for (const f of features) idSum = (idSum + (Number(f.id) || 0)) % 2147483647;
  const signature = `${map.getSource('incidents-tiles').tiles?.[0]}|${features.length}|${idSum}`;
  if (signature === stackSignature) return;
  stackSignature = signature;
  const byId = new Map();
  for (const f of features) if (f.id != null && !byId.has(f.id)) byId.set(f.id, f);
  // Stacks by position, found through a coarse grid (a stack is looked for in the 3 × 3 cells around).
  const grid = new Map();
  const stacks = [];
  const CELL = 1e-3;
  for (const f of byId.values()) {
    const [lon, lat] = f.geometry.coordinates;
    const cx = Math.floor(lon / CELL);
    const cy = Math.floor(lat / CELL);
    let stack = null;
    for (let dx = -1; dx <= 1 && !stack; dx += 1) {
      for (let dy = -1; dy <= 1 && !stack; dy += 1) {
        stack = (grid.get(`${cx + dx},${cy + dy}`) ?? [])
          .find((s) => Math.abs(s.lon - lon) < STACK_TOLERANCE && Math.abs(s.lat - lat) < STACK_TOLERANCE) ?? null;
      }
    }
    if (!stack) {
      stack = { lon, lat, members: [] };
      stacks.push(stack);
      const key = `${cx},${cy}`;
      if (!grid.has(key)) grid.set(key, []);
      grid.get(key).push(stack);
    }
    stack.members.push(f);
  }
  const order = new Map(state.categories.map((c, i) => [c.code, i]));
  const position = (f) => order.get(f.properties.category) ?? order.size;
  const total = (members) => members.reduce((sum, f) => sum + incidentWeight(f), 0);
  // (A loop, not Math.max(...): a police view can hold a hundred thousand stacks.)
  const largest = stacks.reduce((max, s) => Math.max(max, total(s.members)), 1);
  const scale = Math.min(1, STACK_FULL_SIZE / largest);
  for (const { members } of stacks) {
    members.sort((a, b) => position(a) - position(b) || String(a.properties.occurred_at).localeCompare(String(b.properties.occurred_at)));
    const size = total(members);
    let rank = 0;
    members.forEach((f, k) => {
      const category = f.properties.category;
      let band = 0;
      if (k === 0 || members[k - 1].properties.category !== category) {
        for (let j = k; j < members.length && members[j].properties.category === category; j += 1) band += incidentWeight(members[j]);
      }
      const value = `${rank}/${band}/${size}/${scale}`;
      if (stackStates.get(f.id) !== value) {
        stackStates.set(f.id, value);
        map.setFeatureState({ source: 'incidents-tiles', sourceLayer: 'incidents', id: f.id }, { rank: rank * scale, band: band * scale, stack: size * scale });
      }
      rank += incidentWeight(f);
    });
  }
}

/** Counts the incidents drawn in the view for the status line, once the tiles are in. */
function countShownIncidents() {
  let shown = null;
  if (map.getZoom() >= POINTS_MIN_ZOOM && visible('incidents-points')) {
    const byId = new Map(map.queryRenderedFeatures({ layers: ['incidents-points'] }).map((f) => [f.id, f]));
    shown = [...byId.values()].reduce((sum, f) => sum + incidentWeight(f), 0);
  }
  if (shown !== state.pointsShown) {
    state.pointsShown = shown;
    renderStatus();
  }
}

/** Loads (again) the safety-walk observations onto their layer, e.g. after a new one is saved. */
export async function loadObservations() {
  try {
    const data = await tracked(() => getJson(API.observations, { limit: ITEMS_LIMIT }));
    map.getSource('observations').setData(data);
    setError('observations', null);
  } catch (error) {
    setError('observations', error);
  }
}

/** A calendar day of the month range as YYYY-MM-DD: the first day of `from`, the last of `to`. */
function monthDay(index, end) {
  const { year, month } = state.months[index];
  const day = end ? new Date(Date.UTC(year, month + 1, 0)).getUTCDate() : 1;
  return `${year}-${String(month + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** District 8 in numbers for the month range (all categories; the API compares with the period before). */
async function refreshSummary() {
  const params = { from: monthDay(state.monthFrom, false), to: monthDay(state.monthTo, true) };
  const key = `${params.from}|${params.to}`;
  if (key === state.summaryKey) return; // done or under way
  controllers.summary?.abort();
  const controller = new AbortController();
  controllers.summary = controller;
  state.summaryKey = key;
  $('#summary').setAttribute('aria-busy', 'true');
  try {
    const data = await tracked(() => getJson(API.summary(HOTSPOT_DISTRICT), params, controller.signal));
    if (controller.signal.aborted) return;
    state.summary = data;
    setError('summary', null);
    renderSummary();
  } catch (error) {
    if (isAbort(error) || controller.signal.aborted) return;
    state.summaryKey = null; // ask again next time
    setError('summary', error);
  } finally {
    if (controllers.summary === controller) {
      controllers.summary = null;
      $('#summary').removeAttribute('aria-busy');
    }
  }
}

/**
 * District 8's incidents per month for the trend chart, all categories, in the month range. One
 * request (paged by `next` links beyond 10,000) gives every category's counts: changing the
 * categories redraws the chart without asking again.
 */
async function refreshTrend() {
  const key = `${state.monthFrom}|${state.monthTo}`;
  if (key === state.trend.key) {
    renderTrend(); // done or under way; the line may follow other categories
    return;
  }
  controllers.trend?.abort();
  const controller = new AbortController();
  controllers.trend = controller;
  state.trend.key = key;
  renderTrend();
  try {
    const all = new Array(state.months.length).fill(0);
    const byCategory = {};
    const first = state.months[0];
    const count = (feature) => {
      const { category, occurred_at: at } = feature.properties;
      const { year, month } = copenhagenMonthOf(at);
      const index = (year - first.year) * 12 + month - first.month;
      if (index < 0 || index >= all.length) return;
      all[index] += 1;
      byCategory[category] ??= new Array(all.length).fill(0);
      byCategory[category][index] += 1;
    };
    let page = await tracked(() => getJson(API.incidents, {
      district: HOTSPOT_DISTRICT, datetime: datetimeParam(), limit: ITEMS_LIMIT, f: 'json',
    }, controller.signal));
    let seen = 0;
    for (;;) {
      if (controller.signal.aborted) return;
      page.features.forEach(count);
      seen += page.features.length;
      const next = (page.links ?? []).find((link) => link.rel === 'next');
      if (!next || !page.features.length || seen >= (page.numberMatched ?? seen)) break;
      // Same path as asked (the link may name another host behind a proxy): only its query.
      const search = new URL(next.href, document.baseURI).search;
      page = await tracked(() => getJson(`${API.incidents}${search}`, null, controller.signal));
    }
    Object.assign(state.trend, { all, byCategory, range: [state.monthFrom, state.monthTo] });
    setError('trend', null);
  } catch (error) {
    if (isAbort(error) || controller.signal.aborted) return;
    state.trend.key = null;
    setError('trend', error);
  } finally {
    if (controllers.trend === controller) controllers.trend = null;
    renderTrend();
  }
}

/** Safety-index levels of district 8 for the year the month range ends in. */
async function refreshSafety() {
  const year = state.months[state.monthTo].year;
  if (year === state.safetyYear) return;
  controllers.safety?.abort();
  const controller = new AbortController();
  controllers.safety = controller;
  state.safetyYear = year;
  try {
    const data = await tracked(() => getJson(API.safetyIndex, { year, district: HOTSPOT_DISTRICT }, controller.signal));
    if (controller.signal.aborted) return;
    state.safety = data;
    setError('safety', null);
    renderSafety();
  } catch (error) {
    if (isAbort(error) || controller.signal.aborted) return;
    state.safetyYear = null;
    setError('safety', error);
  } finally {
    if (controllers.safety === controller) controllers.safety = null;
  }
}

// ---------------------------------------------------------------------------------------------
// Analyses on the map: one mode at a time (KDE, hex counts, Gi* hot spots, emerging hot spots)
// ---------------------------------------------------------------------------------------------

/**
 * Per mode: the API path, its own parameters (the category and time filters are added), how an
 * answer goes onto the map (returning what the panel says about it), and how to empty the layer.
 */
const ANALYSES = {
  kde: {
    path: API.kde,
    params: () => ({ district: HOTSPOT_DISTRICT, cell_m: KDE_CELL_M, bandwidth_m: state.kdeBandwidth }),
    apply: (data) => {
      drawKde(data.raster);
      return {
        raster: data.raster,
        max: Number(data.raster?.max) || 0,
        incidents: data.numberOfIncidents ?? 0,
        bandwidth: data.raster?.bandwidth_m ?? data.parameters?.bandwidth_m ?? state.kdeBandwidth,
        cell: data.raster?.cell_m ?? KDE_CELL_M,
      };
    },
    clear: () => drawKde(null),
  },
  hex: {
    path: API.hexbins,
    params: () => ({ district: HOTSPOT_DISTRICT, resolution: HEXBIN_RESOLUTION, geometry: 'polygon' }),
    apply: (data) => {
      const max = Math.max(0, ...data.features.map((f) => Number(f.properties.per_km2) || 0));
      styleHexcounts(max);
      map.getSource('hexcounts').setData(data);
      return {
        max,
        cells: data.numberOfCells ?? data.features.length,
        incidents: data.numberOfIncidents ?? data.features.reduce((sum, f) => sum + (Number(f.properties.count) || 0), 0),
        suppressed: Number(data.suppressedCells) || 0,
      };
    },
    clear: () => map.getSource('hexcounts').setData(emptyCollection()),
  },
  hotspots: {
    path: API.hotspots,
    params: () => ({ district: HOTSPOT_DISTRICT, resolution: GI_RESOLUTION, k: GI_K }),
    apply: (data) => {
      map.getSource('hotspots').setData(data);
      const bins = data.features.map((f) => Number(f.properties.bin) || 0);
      return {
        cells: data.numberOfCells ?? data.features.length,
        incidents: data.numberOfIncidents ?? 0,
        hot: bins.filter((b) => b > 0).length,
        cold: bins.filter((b) => b < 0).length,
      };
    },
    clear: () => map.getSource('hotspots').setData(emptyCollection()),
  },
  emerging: {
    path: API.emerging,
    params: () => ({ district: HOTSPOT_DISTRICT, step: EMERGING_STEP }),
    apply: (data) => {
      map.getSource('emerging').setData(data);
      return {
        cells: data.numberOfCells ?? data.features.length,
        incidents: data.numberOfIncidents ?? 0,
        steps: data.steps ?? [],
        warning: data.warning ?? null,
        classCounts: data.classCounts ?? {},
        definitions: new Map((data.classes ?? []).map((c) => [c.class, c.definition])),
        // The series by cell: MapLibre hands array properties back as JSON text.
        cells_by_id: new Map(data.features.map((f) => [String(f.properties.h3 ?? f.id), f.properties])),
      };
    },
    clear: () => map.getSource('emerging').setData(emptyCollection()),
  },
};

/** Asks for the analysis of `mode` under the current filters, unless its layer already has it. */
async function refreshAnalysis(mode = state.mode) {
  const spec = ANALYSES[mode];
  const analysis = state.analyses[mode];
  const categories = categoryParam();
  analysis.noCategories = categories === '';
  if (analysis.noCategories) {
    controllers[mode]?.abort();
    controllers[mode] = null;
    Object.assign(analysis, { key: null, result: null, unavailable: null });
    spec.clear();
    setError(mode, null);
    renderMode(mode);
    return;
  }
  const params = { ...spec.params(), category: categories, datetime: datetimeParam() };
  const key = JSON.stringify(params);
  if (key === analysis.key) return; // on the layer already, or under way
  controllers[mode]?.abort();
  const controller = new AbortController();
  controllers[mode] = controller;
  Object.assign(analysis, { key, result: null, unavailable: null });
  renderMode(mode);
  try {
    const data = await tracked(() => getJson(spec.path, params, controller.signal));
    if (controller.signal.aborted) return;
    analysis.result = spec.apply(data);
    setError(mode, null);
  } catch (error) {
    if (isAbort(error) || controller.signal.aborted) return;
    spec.clear();
    if (error instanceof ApiError && error.status === 422) {
      // Too few incidents or time steps: the panel says why instead of drawing the layer.
      analysis.unavailable = error.message;
      setError(mode, null);
    } else {
      analysis.key = null; // ask again next time
      setError(mode, error);
    }
  } finally {
    if (controllers[mode] === controller) controllers[mode] = null;
    renderMode(mode);
  }
}

/** Shows the layers and legend of one mode, hides the others', and fetches its data if needed. */
/** The active mode's layers, unless the analysis is switched off (then none). */
function showModeLayers() {
  for (const [owner, layers] of Object.entries(MODE_LAYERS)) {
    for (const id of layers) {
      if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', owner === state.mode && state.analysisVisible ? 'visible' : 'none');
    }
  }
}

function applyMode(mode) {
  if (!MODES.includes(mode)) return;
  state.mode = mode;
  for (const input of document.querySelectorAll('input[name="mode"]')) input.checked = input.value === mode;
  for (const panel of document.querySelectorAll('.mode-panel')) panel.hidden = panel.dataset.mode !== mode;
  if (!map) return;
  showModeLayers();
  closePopup();
  refreshAnalysis(mode);
  renderMapOverlay();
}

function setupAnalysisSwitch() {
  const box = $('#analysis-visible');
  box.checked = state.analysisVisible;
  box.addEventListener('change', () => {
    state.analysisVisible = box.checked;
    showModeLayers();
    closePopup();
    renderMapOverlay();
  });
}

function setupModes() {
  for (const input of document.querySelectorAll('input[name="mode"]')) {
    input.addEventListener('change', () => {
      if (input.checked) applyMode(input.value);
    });
  }
  const bandwidth = $('#kde-bandwidth');
  bandwidth.value = String(state.kdeBandwidth);
  bandwidth.addEventListener('change', () => {
    const value = Number(bandwidth.value);
    state.kdeBandwidth = KDE_BANDWIDTHS.includes(value) ? value : KDE_DEFAULT_BANDWIDTH;
    refreshAnalysis('kde');
  });
  applyMode(state.mode);
}

/** The mode asked for in the address (`?mode=emerging`), if any. */
function initialMode() {
  const mode = new URLSearchParams(window.location.search).get('mode');
  return MODES.includes(mode) ? mode : 'kde';
}

// KDE: the server's raster, coloured in a canvas and handed to a MapLibre image source. MapLibre
// loads an image source's URL with fetch(), which a `default-src 'self'` policy refuses for data:
// and blob: URLs, so the picture goes through a protocol of our own instead: the URL names the
// canvas, the handler returns it as an ImageBitmap. Nothing leaves the page.
const KDE_PROTOCOL = 'hotspot-kde';
const kdeCanvases = new Map();
let kdeSerial = 0;

maplibregl.addProtocol(KDE_PROTOCOL, async (params) => {
  const canvas = kdeCanvases.get(params.url);
  if (!canvas) throw new Error(`no KDE raster ${params.url}`);
  return { data: await createImageBitmap(canvas) };
});

/** 256 RGBA entries of the KDE ramp, from no density (transparent) to the maximum. */
let kdeLookup = null;
function kdeColours() {
  if (kdeLookup) return kdeLookup;
  const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  kdeLookup = new Uint8ClampedArray(256 * 4);
  for (let i = 0; i < 256; i += 1) {
    const f = i / 255;
    const upper = KDE_STOPS.findIndex(([stop]) => stop >= f);
    const [s1, c1, a1] = KDE_STOPS[Math.max(upper, 1)];
    const [s0, c0, a0] = KDE_STOPS[Math.max(upper, 1) - 1];
    const w = s1 > s0 ? (f - s0) / (s1 - s0) : 1;
    const [r0, g0, b0] = rgb(c0);
    const [r1, g1, b1] = rgb(c1);
    kdeLookup.set([r0 + (r1 - r0) * w, g0 + (g1 - g0) * w, b0 + (b1 - b0) * w, 255 * (a0 + (a1 - a0) * w)], i * 4);
  }
  return kdeLookup;
}

/** Puts a KDE raster on the map (or takes it off: null). */
function drawKde(raster) {
  const source = map.getSource('kde');
  if (!raster || !raster.width || !raster.height || !(raster.max > 0)) {
    if (source) map.setLayoutProperty('kde-raster', 'visibility', 'none');
    return;
  }
  const { width, height, values, max } = raster;
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  const image = context.createImageData(width, height);
  const lookup = kdeColours();
  // The raster ends a little beyond district 8 where the density is not zero: its edge fades out
  // over one bandwidth so the grid's border does not read as a line in the data.
  const feather = Math.max(2, Math.round((Number(raster.bandwidth_m) || state.kdeBandwidth) / (Number(raster.cell_m) || KDE_CELL_M)));
  const fade = (d) => (d >= feather ? 1 : ((d + 0.5) / feather) ** 2 * (3 - 2 * ((d + 0.5) / feather)));
  for (let i = 0; i < width * height; i += 1) {
    const v = values[i];
    if (!(v > 0)) continue; // transparent
    const k = Math.min(255, Math.max(1, Math.round((v / max) * 255))) * 4;
    const col = i % width;
    const row = (i - col) / width;
    const edge = fade(Math.min(col, row, width - 1 - col, height - 1 - row));
    image.data[i * 4] = lookup[k];
    image.data[i * 4 + 1] = lookup[k + 1];
    image.data[i * 4 + 2] = lookup[k + 2];
    image.data[i * 4 + 3] = lookup[k + 3] * edge;
  }
  context.putImageData(image, 0, 0);
  // Row-major from the north-west corner: the canvas's top row is the raster's northern edge.
  const [w, s, e, n] = raster.bbox;
  const coordinates = [[w, n], [e, n], [e, s], [w, s]];
  kdeSerial += 1;
  const url = `${KDE_PROTOCOL}://raster/${kdeSerial}`;
  kdeCanvases.clear();
  kdeCanvases.set(url, canvas);
  if (source) {
    source.updateImage({ url, coordinates });
  } else {
    map.addSource('kde', { type: 'image', url, coordinates });
    map.addLayer({
      id: 'kde-raster',
      type: 'raster',
      source: 'kde',
      paint: {
        'raster-opacity': ['interpolate', ['linear'], ['zoom'], OVERVIEW_ZOOM[0], 0, OVERVIEW_ZOOM[1], 0.9, 16, 0.85, 17.5, 0.5],
        'raster-resampling': 'linear',
        'raster-fade-duration': 0,
      },
    }, 'hexcounts-fill');
  }
  map.setLayoutProperty('kde-raster', 'visibility', state.mode === 'kde' ? 'visible' : 'none');
}

/** The density under a point of the map, from the last raster (incidents per km²), or null. */
function kdeValueAt(lngLat) {
  const raster = state.analyses.kde.result?.raster;
  if (!raster) return null;
  const [w, s, e, n] = raster.bbox;
  const col = Math.floor(((lngLat.lng - w) / (e - w)) * raster.width);
  const row = Math.floor(((n - lngLat.lat) / (n - s)) * raster.height);
  if (col < 0 || row < 0 || col >= raster.width || row >= raster.height) return null;
  return Number(raster.values[row * raster.width + col]) || 0;
}

/** Hex counts: the fill ramp over incidents per km², from 0 to the largest cell of the answer. */
function styleHexcounts(max) {
  if (!(max > 0)) return;
  const expression = ['interpolate', ['linear'], ['to-number', ['get', 'per_km2'], 0]];
  for (const [stop, colour] of HEX_STOPS) expression.push(stop * max, colour);
  map.setPaintProperty('hexcounts-fill', 'fill-color', expression);
}

const gradient = (stops) => `linear-gradient(90deg, ${stops.map(([stop, colour]) => `${colour} ${Math.round(stop * 100)}%`).join(', ')})`;

/** A ramp's labels: 0, half the maximum and the maximum, in the language's number format. */
function rampLabels(container, max) {
  const values = max > 0 ? [0, max / 2, max] : [];
  container.replaceChildren(...values.map((v) => el('span', { text: formatNumber(Math.round(v)) })));
}

/** The panel part of one mode: its note (result, reason it is unavailable, progress) and legend. */
function renderMode(mode) {
  renderModeNote(mode);
  if (mode === 'kde') rampLabels($('#kde-ramp-labels'), state.analyses.kde.result?.max ?? 0);
  if (mode === 'hex') rampLabels($('#hex-ramp-labels'), state.analyses.hex.result?.max ?? 0);
  if (mode === 'emerging') renderEmergingLegend();
}

function renderModes() {
  for (const mode of MODES) renderMode(mode);
}

const NOTE_IDS = { kde: '#kde-note', hex: '#hex-note', hotspots: '#hotspots-note', emerging: '#emerging-note' };

/** The line under a mode's legend: what the layer shows, or why it shows nothing. */
/**
 * The reason an analysis shows nothing, on the map where its layer would be (not only in the
 * panel, which on a phone is folded away), and the small legend a phone shows on the map.
 */
function renderMapOverlay() {
  if (!map) return;
  const analysis = state.analyses[state.mode];
  let box = $('#map-reason');
  if (!box) {
    box = el('p', { id: 'map-reason', className: 'map-reason', role: 'status', hidden: '' });
    $('#map').append(box);
  }
  const reason = analysis.noCategories || analysis.unavailable ? $(NOTE_IDS[state.mode]).textContent : '';
  box.textContent = reason;
  box.hidden = !reason || !state.analysisVisible;
  renderMapLegend();
}

/** On a phone: the active analysis's legend (heading and scale) on the map; a tap opens the panel. */
function renderMapLegend() {
  let legend = $('#map-legend');
  if (!legend) {
    legend = el('button', { type: 'button', id: 'map-legend', className: 'map-legend maplibregl-ctrl', 'aria-controls': 'panel-body' });
    legend.addEventListener('click', () => {
      const toggle = $('#panel-toggle');
      if (toggle.getAttribute('aria-expanded') !== 'true') toggle.click();
      $('#mode-section').scrollIntoView({ block: 'start' });
    });
    // Under the search box and the scale (the top-left corner's controls), clear of the report
    // button and the attribution at the bottom.
    (map.getContainer().querySelector('.maplibregl-ctrl-top-left') ?? $('#map')).append(legend);
  }
  const panel = document.querySelector(`.mode-panel[data-mode="${state.mode}"]`);
  const parts = [el('span', { className: 'map-legend-title', text: panel.querySelector('h3').textContent })];
  const ramp = panel.querySelector('.ramp, .bin-ramp');
  if (ramp) {
    const copy = ramp.cloneNode(true);
    copy.removeAttribute('id');
    parts.push(copy);
    const labels = ramp.nextElementSibling?.classList.contains('ramp-labels') ? ramp.nextElementSibling.cloneNode(true) : null;
    if (labels) {
      labels.removeAttribute('id');
      parts.push(labels);
    }
  }
  legend.replaceChildren(...parts);
  legend.setAttribute('aria-label', t('mapLegendOpen', { name: parts[0].textContent }));
  legend.hidden = !state.analysisVisible;
}

function renderModeNote(mode) {
  queueMicrotask(renderMapOverlay);
  const note = $(NOTE_IDS[mode]);
  const analysis = state.analyses[mode];
  note.classList.remove('warn');
  note.removeAttribute('title');
  if (analysis.noCategories) {
    note.textContent = t(mode === 'hotspots' ? 'hotspotsNoCategories' : 'modeNoCategories');
    note.classList.add('warn');
  } else if (analysis.unavailable) {
    const detail = analysis.unavailable;
    // The API's usual reason ("only N incidents …; … at least M") in the UI's words.
    const tooFew = /only (\d+) incidents?\b.*at least (\d+)/.exec(detail);
    if (mode === 'hotspots') {
      note.textContent = tooFew
        ? t('hotspotsTooFew', { n: formatNumber(Number(tooFew[1])), min: formatNumber(Number(tooFew[2])) })
        : t('hotspotsUnavailable', { detail });
    } else if (mode === 'emerging') {
      // Space-time Gi* needs at least 3 time steps; the API names that with the too-few-cells case.
      const quarters = rangeQuarters();
      note.textContent = quarters < 3 && /time steps/.test(detail)
        ? t('emergingTooShort', { n: formatNumber(quarters) })
        : t('emergingTooFew', { detail });
    } else {
      note.textContent = t('modeUnavailable', { detail });
    }
    note.title = detail;
    note.classList.add('warn');
  } else if (analysis.result) {
    note.textContent = resultText(mode, analysis.result);
  } else {
    note.textContent = state.errors.has(mode) ? '' : t(mode === 'hotspots' ? 'hotspotsLoading' : 'modeLoading');
  }
}

function resultText(mode, result) {
  const n = formatNumber(result.incidents);
  if (mode === 'kde') {
    if (!(result.max > 0)) return t('kdeEmpty');
    return t('kdeSummary', { n, bw: formatNumber(result.bandwidth), cell: formatNumber(result.cell), max: formatNumber(Math.round(result.max)) });
  }
  if (mode === 'hex') {
    const text = result.cells > 0 ? t('hexSummary', { n, cells: formatNumber(result.cells) }) : t('hexEmpty');
    return result.suppressed > 0
      ? `${text} ${t('hexSuppressed', { cells: formatNumber(result.suppressed), min: formatNumber(state.suppressedBelow) })}`
      : text;
  }
  if (mode === 'hotspots') {
    const { hot, cold, cells } = result;
    const params = { hot: formatNumber(hot), cold: formatNumber(cold), cells: formatNumber(cells), n };
    return t(hot + cold > 0 ? 'hotspotsSummary' : 'hotspotsNone', params);
  }
  const text = t('emergingSummary', { n, cells: formatNumber(result.cells), steps: formatNumber(result.steps.length) });
  return result.warning ? `${text} ${t('emergingFewSteps', { n: formatNumber(result.steps.length) })}` : text;
}

/** How many calendar quarters the month range touches. */
function rangeQuarters() {
  const quarters = new Set();
  for (let i = state.monthFrom; i <= state.monthTo; i += 1) {
    quarters.add(`${state.months[i].year}-${Math.floor(state.months[i].month / 3)}`);
  }
  return quarters.size;
}

/** An emerging class's name and its one-sentence definition in the current language. */
function emergingClassName(name) {
  const key = `emergingClass_${name}`;
  const text = t(key);
  return text === key ? name.replaceAll('_', ' ') : text;
}

function emergingDefinition(name) {
  const key = `emergingDef_${name}`;
  const translated = MESSAGES[state.lang]?.[key];
  return translated ?? state.analyses.emerging.result?.definitions.get(name) ?? '';
}

function classSwatch(name) {
  const node = el('span', { className: 'class-swatch', 'aria-hidden': 'true' });
  if (EMERGING_COLOURS[name]) node.style.setProperty('--swatch', EMERGING_COLOURS[name]);
  else node.classList.add('hollow');
  return node;
}

/** The legend of the emerging mode: only the classes present, each with its definition. */
function renderEmergingLegend() {
  const list = $('#emerging-legend');
  const result = state.analyses.emerging.result;
  if (!result) {
    list.replaceChildren();
    return;
  }
  const present = Object.entries(result.classCounts).filter(([, n]) => n > 0).map(([name]) => name);
  present.sort((a, b) => (EMERGING_ORDER.indexOf(a) + 1 || 99) - (EMERGING_ORDER.indexOf(b) + 1 || 99));
  list.replaceChildren(
    ...present.map((name) => el('li', { 'data-class': name },
      classSwatch(name),
      el('span', { className: 'class-name', text: emergingClassName(name) }),
      el('span', { className: 'class-count', text: tn('emergingCells', result.classCounts[name]) }),
      el('span', { className: 'class-def', text: emergingDefinition(name) }))),
  );
}

/** The quarter an emerging time step starts (an instant at a Copenhagen quarter start), as text. */
function quarterLabel(instant) {
  const { year, month } = copenhagenMonthOf(instant);
  return t('quarterLabel', { q: Math.floor(month / 3) + 1, y: year });
}

// Debounced re-filtering: `data-loading` is set at once, so a test (or a person) never sees stale
// counts as settled; the fetches start when the controls have been still for DEBOUNCE_MS.
let filterTimer = null;
function scheduleRefresh() {
  state.scheduled = true;
  updateLoading();
  clearTimeout(filterTimer);
  filterTimer = setTimeout(async () => {
    state.scheduled = false;
    refreshIncidentTiles();
    const work = [refreshHexbins().catch(() => {}), refreshAnalysis(), refreshSummary(), refreshTrend(), refreshSafety()];
    updateLoading();
    await Promise.all(work);
    renderStatus();
  }, DEBOUNCE_MS);
}

// ---------------------------------------------------------------------------------------------
// Panel: controls, legend, status
// ---------------------------------------------------------------------------------------------

function buildLanguageSwitch() {
  const container = $('#lang-switch');
  container.replaceChildren(
    ...LANGUAGES.map((language) => {
      // Visible "DA"/"EN"; the accessible name adds the language's own name ("DA Dansk").
      const button = el('button', { type: 'button', lang: language.code, 'data-lang': language.code, title: language.name },
        el('span', { text: language.short }), el('span', { className: 'sr-only', text: ` ${language.name}` }));
      button.addEventListener('click', () => setLanguage(language.code));
      return button;
    }),
  );
}

function buildCategoryList() {
  const list = $('#category-list');
  list.replaceChildren(
    ...state.categories.map((category) => {
      const input = el('input', { type: 'checkbox', value: category.code, id: `category-${category.code}` });
      input.checked = state.selected.has(category.code);
      input.addEventListener('change', () => {
        if (input.checked) state.selected.add(category.code);
        else state.selected.delete(category.code);
        scheduleRefresh();
        renderStatus();
      });
      const label = el('label', { for: input.id }, input, swatch(categoryColour(category.code)),
        el('span', { className: 'category-label', 'data-code': category.code, text: apiLabel(category) }));
      return el('li', {}, label);
    }),
  );
}

function setAllCategories(on) {
  state.selected = new Set(on ? state.categories.map((c) => c.code) : []);
  for (const input of document.querySelectorAll('#category-list input')) input.checked = on;
  scheduleRefresh();
  renderStatus();
}

function buildLegend() {
  $('#heat-ramp').style.setProperty('--ramp', gradient(HEAT_STOPS.slice(1)));
  // The KDE ramp as drawn over a light map: each colour at its opacity over white.
  const overWhite = ([stop, colour, alpha]) => {
    const mix = (i) => Math.round(255 + (parseInt(colour.slice(i, i + 2), 16) - 255) * Math.max(alpha, 0.12));
    return [stop, `rgb(${mix(1)}, ${mix(3)}, ${mix(5)})`];
  };
  $('#kde-ramp').style.setProperty('--ramp', gradient(KDE_STOPS.map(overWhite)));
  $('#hex-ramp').style.setProperty('--ramp', gradient(HEX_STOPS));
  $('#hotspot-ramp').replaceChildren(
    ...BIN_ORDER.map((bin) => {
      const cell = el('span', { text: `${Math.abs(bin) === 3 ? 99 : Math.abs(bin) === 2 ? 95 : 90}\u00a0%` });
      cell.style.setProperty('--swatch', BIN_COLOURS[bin]);
      return cell;
    }),
  );
  const ratings = $('#rating-ramp');
  ratings.replaceChildren(
    ...RATING_COLOURS.map((colour, i) => {
      const cell = el('span', { text: String(i + 1) });
      cell.style.setProperty('--swatch', colour);
      return cell;
    }),
  );
}

function setupPeriod() {
  // Month pickers (a select of every month, by year), not a 60-step slider: on a phone each step
  // of a slider was about 4.5 px wide.
  const from = $('#month-from');
  const to = $('#month-to');
  fillMonthOptions();
  from.addEventListener('change', () => {
    state.monthFrom = Number(from.value);
    if (state.monthFrom > state.monthTo) {
      state.monthTo = state.monthFrom;
      to.value = from.value;
    }
    renderPeriod();
    scheduleRefresh();
  });
  to.addEventListener('change', () => {
    state.monthTo = Number(to.value);
    if (state.monthTo < state.monthFrom) {
      state.monthFrom = state.monthTo;
      from.value = to.value;
    }
    renderPeriod();
    scheduleRefresh();
  });
  for (const button of document.querySelectorAll('[data-preset]')) {
    button.addEventListener('click', () => {
      const [a, b] = presetRange(button.dataset.preset);
      state.monthFrom = a;
      state.monthTo = b;
      from.value = String(a);
      to.value = String(b);
      renderPeriod();
      scheduleRefresh();
    });
  }
}

/** Month indexes [from, to] of a period preset; the Hotspot began in March 2011. */
function presetRange(name) {
  const last = state.months.length - 1;
  const start = state.months.findIndex((m) => m.year === HOTSPOT_START.year && m.month === HOTSPOT_START.month);
  if (name === 'before' && start > 0) return [0, start - 1];
  if (name === 'during' && start >= 0) return [start, last];
  return [0, last];
}

/** The month pickers' options: every month of the data, grouped by year, named in the language. */
function fillMonthOptions() {
  const name = new Intl.DateTimeFormat(locale(), { month: 'long', timeZone: 'UTC' });
  for (const [select, value] of [[$('#month-from'), state.monthFrom], [$('#month-to'), state.monthTo]]) {
    const groups = new Map();
    state.months.forEach(({ year, month }, index) => {
      if (!groups.has(year)) groups.set(year, el('optgroup', { label: String(year) }));
      groups.get(year).append(el('option', { value: String(index), text: `${name.format(new Date(Date.UTC(year, month, 1)))} ${year}` }));
    });
    select.replaceChildren(...groups.values());
    select.value = String(value);
  }
}

function renderPeriod() {
  const text = state.monthFrom === state.monthTo
    ? monthLabel(state.monthFrom)
    : `${monthLabel(state.monthFrom)} – ${monthLabel(state.monthTo)}`;
  $('#period-text').textContent = text;
  for (const node of document.querySelectorAll('.legend-period')) node.textContent = t('legendPeriod', { period: text });
  if ($('#month-from').options.length !== state.months.length || $('#month-from').dataset.lang !== state.lang) {
    fillMonthOptions();
    $('#month-from').dataset.lang = state.lang;
  }
  $('#month-from').value = String(state.monthFrom);
  $('#month-to').value = String(state.monthTo);
  for (const button of document.querySelectorAll('[data-preset]')) {
    const [a, b] = presetRange(button.dataset.preset);
    button.setAttribute('aria-pressed', String(a === state.monthFrom && b === state.monthTo));
  }
}

function renderStatus() {
  const status = $('#status');
  const lines = [];
  if (state.selected.size === 0 && state.categories.length) {
    lines.push(t('statusNoCategories'));
  } else if (state.hexTotal == null) {
    lines.push(t('statusLoading'));
  }
  // The city-wide total belongs to the zoomed-out heatmap's legend, not beside district 8's.
  const heatTotal = $('#heat-total');
  if (heatTotal) heatTotal.textContent = state.hexTotal == null ? '' : t('statusTotal', { n: formatNumber(state.hexTotal) });
  if (state.selected.size > 0 && map) {
    if (map.getZoom() < POINTS_MIN_ZOOM) lines.push(t('statusZoomIn'));
    else if (state.pointsShown != null) lines.push(t('statusPoints', { n: formatNumber(state.pointsShown) }));
  }
  const nodes = lines.map((line) => el('span', { className: 'status-line', text: line }));
  for (const message of new Set(state.errors.values())) {
    nodes.push(el('span', { className: 'status-line error', text: t('statusError', { detail: message }) }));
  }
  status.replaceChildren(...nodes);
}

function dateRange(period) {
  const from = formatDateTime(period.from, false);
  const to = formatDateTime(period.to, false);
  return from === to ? from : `${from} – ${to}`;
}

/** The instant the data (the slider's first month) begin. */
function dataStart() {
  const { year, month } = state.months[0];
  return copenhagenMonthStart(year, month);
}

/** The change column: an arrow and the size of the change, '–' when there is nothing to compare. */
function changeText(row) {
  if (row.count == null || row.previous == null) return '–'; // suppressed for the public
  if (row.previous === 0) return row.count === 0 ? '–' : t('summaryNew');
  const pct = row.change_pct ?? ((row.count - row.previous) / row.previous) * 100;
  const arrow = pct > 0.5 ? '↑' : pct < -0.5 ? '↓' : '→';
  return `${arrow} ${formatPercent(Math.abs(pct) / 100)}`;
}

/** "District 8 in numbers": the category table, the night share and the hour-by-weekday grid. */
function renderSummary() {
  const summary = state.summary;
  const table = $('#summary-table');
  const body = table.querySelector('tbody');
  if (!summary) {
    $('#summary-period').textContent = t('summaryLoading');
    return;
  }
  // A comparison with a period the data do not cover (it starts before the first month) would
  // count missing data as a fall: show no previous counts and no test then.
  const covered = new Date(summary.previous_period.from).getTime() >= dataStart().getTime() - 1000;
  $('#summary-period').textContent = t(covered ? 'summaryPeriod' : 'summaryPeriodOnly', {
    period: dateRange(summary.period),
    previous: dateRange(summary.previous_period),
  });
  table.classList.toggle('no-previous', !covered);
  const compareNote = $('#summary-compare-note');
  compareNote.hidden = covered;
  compareNote.textContent = covered ? '' : t('summaryNoPrevious', {
    previous: dateRange(summary.previous_period),
    start: monthLabel(0, 'long'),
  });
  $('#summary-sig-legend').hidden = !covered;

  const rows = [...summary.categories].sort((a, b) => (a.code === 'all' ? -1 : b.code === 'all' ? 1 : 0));
  body.replaceChildren(
    ...rows.map((row) => {
      const total = row.code === 'all';
      const label = total ? t('summaryTotal') : apiLabel(row);
      const name = el('th', { scope: 'row' });
      if (!total) name.append(swatch(categoryColour(row.code)));
      name.append(el('span', { text: label }));
      const change = el('td', { className: 'num change' });
      if (covered) {
        change.append(el('span', { text: changeText(row) }));
        if (row.p_value != null) change.title = `p = ${formatDecimal(row.p_value, 3)}`;
        if (row.significant) {
          change.classList.add('significant');
          change.append(
            el('span', { className: 'sig-mark', 'aria-hidden': 'true', text: '◆' }),
            el('span', { className: 'sr-only', text: ` (${t('summarySignificant')})` }),
          );
        }
      } else {
        change.append(el('span', { text: '–' }));
      }
      return el('tr', { className: total ? 'total' : '', 'data-code': row.code },
        name,
        el('td', { className: 'num count', text: formatCount(row.count) }),
        el('td', { className: 'num previous', text: covered ? formatCount(row.previous) : '–' }),
        change);
    }),
  );

  $('#summary-night').textContent = summary.night_share == null
    ? ''
    : t('summaryNight', { share: formatPercent(summary.night_share) });
  renderHourGrid(summary.hour_weekday ?? []);
}

/** A 7 × 24 grid of small cells (Monday first, hours in Copenhagen time), coloured by count. */
function renderHourGrid(rows) {
  const grid = $('#hour-grid');
  const days = t('weekdaysShort').split(',');
  const longDays = t('weekdaysLong').split(',');
  const max = Math.max(0, ...rows.flat());
  const hour = (h) => t('hourRange', { a: String(h).padStart(2, '0'), b: String((h + 1) % 24).padStart(2, '0') });
  const nodes = [];
  let peak = { n: -1, day: 0, hour: 0 };
  rows.forEach((counts, day) => {
    nodes.push(el('span', { className: 'hg-day', text: days[day] ?? '' }));
    counts.forEach((n, h) => {
      if (n > peak.n) peak = { n, day, hour: h };
      const cell = el('span', { className: 'hg-cell', title: t('cellTitle', { day: longDays[day], hour: hour(h), n: formatCount(n) }) });
      // A suppressed count (null) is 1 or 2: the lightest colour.
      const colour = n == null ? GRID_COLOURS[0] : n > 0 && max > 0
        ? GRID_COLOURS[Math.min(GRID_COLOURS.length - 1, Math.ceil((n / max) * GRID_COLOURS.length) - 1)]
        : GRID_EMPTY;
      cell.style.setProperty('--c', colour);
      nodes.push(cell);
    });
  });
  nodes.push(el('span', { className: 'hg-corner' }));
  for (const h of [0, 6, 12, 18]) nodes.push(el('span', { className: `hg-tick hg-tick-${h}`, text: String(h).padStart(2, '0') }));
  grid.replaceChildren(...nodes);
  grid.setAttribute('aria-label', peak.n > 0
    ? t('summaryGridLabel', { day: longDays[peak.day], hour: hour(peak.hour), n: formatNumber(peak.n) })
    : t('summaryGridHeading'));
}

/** The choice of the trend chart's line: none, the categories selected above, or one category. */
function buildTrendChoice() {
  const select = $('#trend-category');
  if (!select) return;
  const value = select.value || (select.options.length ? '' : '@selected');
  select.replaceChildren(
    el('option', { value: '', text: t('trendNone') }),
    el('option', { value: '@selected', text: t('trendSelected') }),
    ...state.categories.map((c) => el('option', { value: c.code, text: apiLabel(c) })),
  );
  select.value = [...select.options].some((o) => o.value === value) ? value : '@selected';
}

/** The trend line's series: {codes, name, colour}, or {note} when there is no line to draw, or null. */
function trendLine() {
  const choice = $('#trend-category').value;
  if (!choice) return null;
  if (choice === '@selected') {
    if (state.selected.size === 0) return { note: t('trendNoSelection') };
    if (state.selected.size === state.categories.length) return { note: t('trendSameAsAll') };
    const codes = state.categories.filter((c) => state.selected.has(c.code)).map((c) => c.code);
    if (codes.length === 1) return { codes, name: apiLabel(state.categories.find((c) => c.code === codes[0])), colour: categoryColour(codes[0]) };
    return { codes, name: t('trendSelectedLabel'), colour: '#1d2733' };
  }
  const category = state.categories.find((c) => c.code === choice);
  return category ? { codes: [choice], name: apiLabel(category), colour: categoryColour(choice) } : null;
}

/** The chart's periods: the range's months, or its calendar quarters when it is longer than two years. */
function trendPeriods() {
  const quarterly = monthCount() > TREND_MAX_MONTHS;
  const periods = [];
  for (let i = state.monthFrom; i <= state.monthTo; i += 1) {
    const { year, month } = state.months[i];
    const quarter = Math.floor(month / 3);
    const last = periods.at(-1);
    if (quarterly && last && last.year === year && last.quarter === quarter) last.indexes.push(i);
    else periods.push({ year, month, quarter, indexes: [i] });
  }
  for (const period of periods) {
    period.label = quarterly ? t('quarterLabel', { q: period.quarter + 1, y: period.year }) : monthLabel(period.indexes[0]);
    period.partial = quarterly && period.indexes.length < 3;
  }
  return { quarterly, periods };
}

/** A round step for the value axis: 1, 2 or 5 × a power of ten, about `max / 4`. */
/** A round step for about four grid lines up to `max`. */
export function niceStep(max) {
  const raw = Math.max(max, 1) / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * power).find((s) => s >= raw);
  return Math.max(1, step);
}

let trendSerial = 0;

/** Incidents per month (or quarter) in district 8 as an SVG bar chart, with an optional line. */
function renderTrend() {
  const container = $('#trend-chart');
  if (!container || !state.months.length) return;
  const { quarterly, periods } = trendPeriods();
  $('#trend-heading').textContent = t(quarterly ? 'trendHeadingQuarter' : 'trendHeadingMonth');
  const trend = state.trend;
  const current = trend.all && trend.range?.[0] === state.monthFrom && trend.range?.[1] === state.monthTo;
  const note = $('#trend-note');
  if (!current) {
    // Keep the last chart (dimmed while the summary is busy) until the new counts are in.
    container.classList.add('stale');
    if (!container.firstChild) note.textContent = t('trendLoading');
    return;
  }
  container.classList.remove('stale');
  const sum = (series, indexes) => indexes.reduce((total, i) => total + (series?.[i] ?? 0), 0);
  const line = trendLine();
  const lineSeries = line?.codes ? line.codes.map((code) => trend.byCategory[code]) : null;
  for (const period of periods) {
    period.n = sum(trend.all, period.indexes);
    period.m = lineSeries ? lineSeries.reduce((total, series) => total + sum(series, period.indexes), 0) : null;
  }

  // Geometry in viewBox units (the SVG scales to the panel's width; text stays about 11 px).
  const W = 340;
  const H = 178;
  const M = { left: 34, right: 6, top: 8, bottom: 36 };
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const maxN = Math.max(1, ...periods.map((p) => p.n));
  const step = niceStep(maxN);
  const yMax = Math.ceil(maxN / step) * step;
  const y = (v) => M.top + plotH - (v / yMax) * plotH;
  const slot = plotW / periods.length;
  const x = (i) => M.left + i * slot;
  const barW = Math.max(1, slot * (periods.length > 30 ? 0.8 : 0.7));

  trendSerial += 1;
  const titleId = `trend-title-${trendSerial}`;
  const descId = `trend-desc-${trendSerial}`;
  const total = periods.reduce((s, p) => s + p.n, 0);
  const peak = periods.reduce((best, p) => (p.n > best.n ? p : best), periods[0]);
  const periodText = periods.length > 1 ? `${periods[0].label} – ${periods.at(-1).label}` : periods[0].label;
  let desc = t('trendLabel', {
    unit: t(quarterly ? 'trendHeadingQuarter' : 'trendHeadingMonth'),
    period: periodText,
    n: formatNumber(total),
    peak: peak.label,
    max: formatNumber(peak.n),
  });
  if (line?.codes) desc += t('trendLabelLine', { name: line.name, n: formatNumber(periods.reduce((s, p) => s + p.m, 0)) });

  const svg = svgEl('svg', {
    class: 'trend-svg',
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-labelledby': `${titleId} ${descId}`,
    'data-periods': periods.length,
    'data-total': total,
  },
  svgEl('title', { id: titleId, text: `${$('#trend-heading').textContent}, ${periodText}` }),
  svgEl('desc', { id: descId, text: desc }));

  // Value axis: grid lines and labels.
  const axis = svgEl('g', { class: 'trend-axis', 'aria-hidden': 'true' });
  for (let v = 0; v <= yMax; v += step) {
    axis.append(
      svgEl('line', { x1: M.left, x2: W - M.right, y1: y(v), y2: y(v), class: v === 0 ? 'baseline' : 'grid' }),
      svgEl('text', { x: M.left - 4, y: y(v) + 3.5, 'text-anchor': 'end', text: formatNumber(v) }),
    );
  }
  // Time axis: a short label under some periods, the year under the first period of each year.
  const labelEvery = quarterly ? (periods.length <= 12 ? 1 : 0) : periods.length <= 12 ? 1 : 3;
  const years = [];
  periods.forEach((period, i) => {
    const cx = x(i) + slot / 2;
    if (labelEvery) {
      const show = quarterly || labelEvery === 1 || period.month % 3 === 0;
      if (show) {
        const text = quarterly
          ? t('quarterLabel', { q: period.quarter + 1, y: '' }).trim()
          : new Intl.DateTimeFormat(locale(), { month: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(period.year, period.month, 1))).replace(/\.$/, '');
        axis.append(svgEl('text', { x: cx, y: H - M.bottom + 13, 'text-anchor': 'middle', text }));
      }
    }
    if (i === 0 || period.year !== periods[i - 1].year) years.push({ i, year: period.year });
  });
  // Year labels need about 30 units; a crowded earlier one gives way to the next.
  const shown = years.filter((entry, k) => k === years.length - 1 || x(years[k + 1].i) - x(entry.i) >= 30);
  for (const { i, year } of shown) {
    const x0 = x(i);
    if (i > 0) axis.append(svgEl('line', { x1: x0, x2: x0, y1: M.top, y2: H - M.bottom + 28, class: 'year-rule' }));
    // At the right edge the label ends there instead of running out of the chart.
    const atEdge = x0 + 30 > W - M.right;
    axis.append(svgEl('text', {
      x: atEdge ? W - M.right : x0 + 2, y: H - M.bottom + 28, 'text-anchor': atEdge ? 'end' : 'start', class: 'year', text: String(year),
    }));
  }
  svg.append(axis);

  // Bars: all categories, one per period.
  const bars = svgEl('g', { class: 'trend-bars' });
  periods.forEach((period, i) => {
    const top = y(period.n);
    const title = line?.codes
      ? t('trendBarLine', { period: period.label, n: formatNumber(period.n), m: formatNumber(period.m), name: line.name })
      : t('trendBar', { period: period.label, n: formatNumber(period.n) });
    bars.append(svgEl('rect', {
      class: `trend-bar${period.partial ? ' partial' : ''}`,
      x: (x(i) + (slot - barW) / 2).toFixed(2),
      y: top.toFixed(2),
      width: barW.toFixed(2),
      height: Math.max(0, y(0) - top).toFixed(2),
      'data-n': period.n,
      'data-period': period.label,
    }, svgEl('title', { text: period.partial ? `${title} ${t('trendPartialTitle', { n: period.indexes.length })}` : title })));
  });
  svg.append(bars);

  // The line for the chosen categories, a dot per period.
  if (line?.codes) {
    const points = periods.map((p, i) => [x(i) + slot / 2, y(p.m)]);
    const group = svgEl('g', { class: 'trend-series' },
      svgEl('polyline', {
        class: 'trend-line',
        points: points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' '),
        stroke: line.colour,
      }));
    points.forEach(([px, py], i) => group.append(svgEl('circle', {
      class: 'trend-dot', cx: px.toFixed(1), cy: py.toFixed(1), r: periods.length > 30 ? 1.8 : 2.6, fill: line.colour, 'data-n': periods[i].m,
    }, svgEl('title', { text: t('trendBar', { period: periods[i].label, n: formatNumber(periods[i].m) }) }))));
    svg.append(group);
  }
  container.replaceChildren(svg);

  // HTML legend under the chart, and the notes.
  const legend = [el('li', {}, el('span', { className: 'trend-key bar', 'aria-hidden': 'true' }),
    el('span', { text: `${t('trendAll')} (${formatNumber(total)})` }))];
  if (line?.codes) {
    const key = el('span', { className: 'trend-key line', 'aria-hidden': 'true' });
    key.style.setProperty('--swatch', line.colour);
    legend.push(el('li', {}, key, el('span', { text: `${line.name} (${formatNumber(periods.reduce((s, p) => s + p.m, 0))})` })));
  }
  $('#trend-legend').replaceChildren(...legend);
  const notes = [];
  if (line?.note) notes.push(line.note);
  if (periods.some((p) => p.partial)) notes.push(t('trendPartial'));
  note.textContent = notes.join(' ');
}

/** One row per crime group with its level as a coloured chip, for district 8 in one year. */
function renderSafety() {
  const data = state.safety;
  const year = data?.year ?? state.safetyYear ?? '';
  $('#safety-heading').textContent = t('safetyHeading', { year });
  const list = $('#safety-list');
  if (!data) {
    list.replaceChildren();
    $('#safety-note').textContent = '';
    return;
  }
  const groups = new Map((data.groups ?? []).map((g) => [g.code, g]));
  const levels = (data.levels ?? []).filter((l) => l.district === HOTSPOT_DISTRICT);
  list.replaceChildren(
    ...levels.map((level) => {
      const group = groups.get(level.group);
      const chip = el('span', {
        className: `level-chip ${LEVEL_CLASSES[level.level] ?? ''}`,
        'data-level': level.level,
        text: t(`safetyLevel_${level.level}`),
      });
      return el('li', { 'data-group': level.group },
        el('span', { className: 'safety-group', text: group ? apiLabel(group) : level.group }),
        el('span', { className: 'safety-ratio', text: level.ratio == null ? '' : t('safetyRatio', { r: formatDecimal(level.ratio, 2) }) }),
        chip);
    }),
  );
  const thresholds = data.thresholds ?? {};
  $('#safety-note').textContent = t('safetyNote', {
    m: formatDecimal(thresholds.markant ?? 2, 1),
    i: formatDecimal(thresholds.intensiveret ?? 1.3, 1),
  });
}

/** The link to the public edition of the status report (the last year with incidents). */
function renderPublicReportLink() {
  const link = $('#status-report-public');
  if (!link || !state.months.length) return;
  const { lastData } = dataYears();
  const url = new URL('api/status-report', document.baseURI);
  url.searchParams.set('year', String(lastData));
  url.searchParams.set('lang', state.lang === 'en' ? 'en' : 'da');
  link.href = url.href;
  link.textContent = t('statusReportPublicAbout', { year: lastData });
}

function renderNotice() {
  const meta = state.incidentsMeta ?? {};
  const notice = meta[`notice_${state.lang}`] ?? meta.notice ?? t('syntheticFallback');
  $('#synthetic-notice').textContent = notice;
  $('#about-notice').textContent = notice;
  $('#data-version').textContent = state.dataVersion ? t('dataVersion', { v: state.dataVersion }) : '';
}

function setupLayerToggles() {
  const observations = $('#layer-observations');
  observations.addEventListener('change', () => {
    map.setLayoutProperty('observations', 'visibility', observations.checked ? 'visible' : 'none');
  });
  const lighting = $('#layer-lighting');
  const showLighting = () => {
    for (const id of ['streets-lit', 'streets-unlit']) {
      map.setLayoutProperty(id, 'visibility', lighting.checked ? 'visible' : 'none');
    }
    for (const item of document.querySelectorAll('.legend-lighting')) item.hidden = !lighting.checked;
  };
  lighting.addEventListener('change', showLighting);
  const roder = $('#layer-roder');
  const showRoder = () => {
    if (roder.checked) loadRoder();
    map.setLayoutProperty('roder-line', 'visibility', roder.checked ? 'visible' : 'none');
    for (const item of document.querySelectorAll('.legend-roder')) item.hidden = !roder.checked;
  };
  roder.addEventListener('change', showRoder);
  showLighting();
  showRoder();
  map.setLayoutProperty('observations', 'visibility', observations.checked ? 'visible' : 'none');

  for (const radio of document.querySelectorAll('input[name="scale"]')) {
    radio.addEventListener('change', () => {
      if (!radio.checked) return;
      state.scale = radio.value;
      applyHeatScale();
    });
  }
}

function setupPanelToggle() {
  const toggle = $('#panel-toggle');
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(open));
    $('#panel').classList.toggle('open', open);
    renderPanelToggle();
  });
}

function renderPanelToggle() {
  const open = $('#panel-toggle').getAttribute('aria-expanded') === 'true';
  $('#panel-toggle .panel-toggle-text').textContent = open ? t('panelHide') : t('panelShow');
}

// ---------------------------------------------------------------------------------------------
// Language
// ---------------------------------------------------------------------------------------------

function initialLanguage() {
  const known = (code) => (code && MESSAGES[code] ? code : null);
  const fromUrl = new URLSearchParams(window.location.search).get('lang');
  let stored = null;
  try {
    stored = window.localStorage.getItem('hotspot.lang');
  } catch {
    // storage may be disabled
  }
  return known(fromUrl) ?? known(stored) ?? DEFAULT_LANGUAGE;
}

function setLanguage(code) {
  if (!MESSAGES[code]) return;
  state.lang = code;
  try {
    window.localStorage.setItem('hotspot.lang', code);
  } catch {
    // storage may be disabled
  }
  applyTexts();
}

/** Puts every text of the page into the current language. */
function applyTexts() {
  document.documentElement.lang = state.lang;
  document.title = t('pageTitle');
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll('[data-i18n-aria-label]')) {
    node.setAttribute('aria-label', t(node.dataset.i18nAriaLabel));
  }
  for (const button of document.querySelectorAll('#lang-switch button')) {
    button.setAttribute('aria-pressed', String(button.dataset.lang === state.lang));
  }
  for (const node of document.querySelectorAll('.category-label')) {
    const category = state.categories.find((c) => c.code === node.dataset.code);
    if (category) node.textContent = apiLabel(category);
  }
  if (districtLabel) {
    const element = districtLabel.getElement();
    element.textContent = t('districtLabel');
    element.setAttribute('aria-label', t('districtLabel'));
  }
  translateMapControls();
  renderPanelToggle();
  renderNotice();
  if (state.months.length) renderPeriod();
  renderStatus();
  renderModes();
  renderSummary();
  buildTrendChoice();
  renderTrend();
  renderSafety();
  renderPublicReportLink();
  closePopup();
  for (const listener of languageListeners) listener(state.lang);
}

/** MapLibre's own control titles (set once at construction) in the current language. */
function translateMapControls() {
  const titles = {
    '.maplibregl-ctrl-zoom-in': t('zoomIn'),
    '.maplibregl-ctrl-zoom-out': t('zoomOut'),
    '.maplibregl-ctrl-compass': t('resetBearing'),
    '.maplibregl-ctrl-attrib-button': t('attribution'),
  };
  for (const [selector, title] of Object.entries(titles)) {
    for (const node of document.querySelectorAll(selector)) {
      node.title = title;
      node.setAttribute('aria-label', title);
    }
  }
}

function mapLocale() {
  return {
    'NavigationControl.ZoomIn': t('zoomIn'),
    'NavigationControl.ZoomOut': t('zoomOut'),
    'NavigationControl.ResetBearing': t('resetBearing'),
    'AttributionControl.ToggleAttribution': t('attribution'),
  };
}

// ---------------------------------------------------------------------------------------------
// Popups
// ---------------------------------------------------------------------------------------------

let popup = null;

/** An hour as the date and the hour it spans ("7. sep. 2012, 18.00–19.00"), for floored times. */
function formatHour(iso) {
  const start = new Date(iso);
  if (Number.isNaN(start.getTime())) return iso ?? '';
  const end = new Date(start.getTime() + 3600e3);
  const time = (date) => new Intl.DateTimeFormat(locale(), { timeStyle: 'short', timeZone: 'Europe/Copenhagen' }).format(date);
  return `${formatDateTime(iso, false)}, ${time(start)}–${time(end)}`;
}

/**
 * One incident from the tiles (`category`, `occurred_at`, `precision`). The public's incidents are
 * `approximate`: the time is shown as the hour it was floored to, and the place is explained once
 * for the whole popup (see showPopup) instead of in every item.
 */
function incidentPopupItem(feature) {
  const p = feature.properties;
  const category = state.categories.find((c) => c.code === p.category);
  const heading = el('h3', {}, swatch(categoryColour(p.category)), el('span', { text: category ? apiLabel(category) : p.category }));
  if (state.incidentsMeta?.synthetic) heading.append(el('span', { className: 'synthetic-tag', text: t('syntheticShort') }));
  const approximate = p.precision === 'approximate';
  const list = el('dl', {},
    el('dt', { text: t('popupTime') }), el('dd', { text: approximate ? formatHour(p.occurred_at) : formatDateTime(p.occurred_at) }));
  if (p.precision && !approximate) {
    const precision = t(`precision_${p.precision}`);
    list.append(el('dt', { text: t('popupPrecision') }), el('dd', { text: precision.startsWith('precision_') ? p.precision : precision }));
  }
  if (p.source) list.append(el('dt', { text: t('popupSource') }), el('dd', { text: p.source }));
  return el('div', { className: 'popup-item popup-incident' }, heading, list);
}

/**
 * A stack of incidents at one point: how many of each category (the most frequent first), and its
 * newest incidents in one line each.
 */
function stackPopupItem(incidents) {
  const counts = new Map();
  for (const f of incidents) counts.set(f.properties.category, (counts.get(f.properties.category) ?? 0) + incidentWeight(f));
  const n = incidents.reduce((sum, f) => sum + incidentWeight(f), 0);
  const heading = el('h3', {}, el('span', { text: t('popupStack', { n: formatNumber(n) }) }));
  if (state.incidentsMeta?.synthetic) heading.append(el('span', { className: 'synthetic-tag', text: t('syntheticShort') }));
  const rows = [...counts].sort((a, b) => b[1] - a[1]).map(([code, n]) => {
    const category = state.categories.find((c) => c.code === code);
    return el('li', { 'data-category': code }, swatch(categoryColour(code)),
      el('span', { className: 'tally-label', text: category ? apiLabel(category) : code }),
      el('span', { className: 'tally-count', text: formatNumber(n) }));
  });
  // Merged features (a dense tile) have no time: the tally is all there is.
  const single = incidents.filter((f) => f.properties.occurred_at != null);
  if (single.length < incidents.length) {
    return el('div', { className: 'popup-item popup-stack' }, heading, el('ul', { className: 'popup-tally' }, ...rows),
      el('p', { className: 'popup-more', text: t('popupMerged') }));
  }
  const recent = single.slice(0, STACK_NEWEST).map((f) => {
    const p = f.properties;
    const category = state.categories.find((c) => c.code === p.category);
    return el('li', { className: 'popup-incident' }, swatch(categoryColour(p.category)),
      el('span', { className: 'recent-label', text: category ? apiLabel(category) : p.category }),
      el('span', { className: 'recent-time', text: p.precision === 'approximate' ? formatHour(p.occurred_at) : formatDateTime(p.occurred_at) }));
  });
  return el('div', { className: 'popup-item popup-stack' }, heading, el('ul', { className: 'popup-tally' }, ...rows),
    el('p', { className: 'popup-more', text: t('popupNewest') }), el('ul', { className: 'popup-recent' }, ...recent));
}

function observationPopupItem(feature) {
  const p = feature.properties;
  const kind = state.kinds.find((k) => k.code === p.kind);
  const rating = Number(p.rating);
  const colour = RATING_COLOURS[rating - 1] ?? '#9aa4af';
  const heading = el('h3', {}, swatch(colour), el('span', { text: kind ? apiLabel(kind) : p.kind }));
  if (state.incidentsMeta?.synthetic) heading.append(el('span', { className: 'synthetic-tag', text: t('syntheticShort') }));
  const list = el('dl', {},
    el('dt', { text: t('popupRating') }), el('dd', { text: t('ratingOf5', { n: p.rating }) }));
  if (p.note) list.append(el('dt', { text: t('popupNote') }), el('dd', { text: p.note }));
  if (p.observed_at) list.append(el('dt', { text: t('popupDate') }), el('dd', { text: formatDateTime(p.observed_at, false) }));
  return el('div', { className: 'popup-item' }, heading, list);
}

function hotspotPopupItem(feature) {
  const p = feature.properties;
  const bin = Number(p.bin) || 0;
  const heading = el('h3', {}, swatch(BIN_COLOURS[bin] ?? '#ffffff'), el('span', { text: t(`hotspotBin${bin}`) }));
  if (state.incidentsMeta?.synthetic) heading.append(el('span', { className: 'synthetic-tag', text: t('syntheticShort') }));
  const z = Number(p.gi_z);
  const pValue = Number(p.gi_p);
  const list = el('dl', {},
    el('dt', { text: t('popupCount') }), el('dd', { text: p.count == null ? formatCount(null) : formatNumber(Number(p.count) || 0) }),
    el('dt', { text: t('popupZ') }), el('dd', { text: Number.isFinite(z) ? formatDecimal(z, 2) : '–' }),
    el('dt', { text: t('popupP') }), el('dd', { text: Number.isFinite(pValue) ? (pValue < 0.001 ? `< ${formatDecimal(0.001, 3)}` : formatDecimal(pValue, 3)) : '–' }));
  return el('div', { className: 'popup-item popup-cell' }, heading, list,
    el('p', { className: 'popup-more', text: t('popupCellNote') }));
}

function hexPopupItem(feature) {
  const p = feature.properties;
  const heading = el('h3', {}, el('span', { text: t('modeHex') }));
  if (state.incidentsMeta?.synthetic) heading.append(el('span', { className: 'synthetic-tag', text: t('syntheticShort') }));
  const list = el('dl', {},
    el('dt', { text: t('popupCount') }), el('dd', { text: p.count == null ? formatCount(null) : formatNumber(Number(p.count) || 0) }),
    el('dt', { text: t('popupPerKm2') }), el('dd', { text: formatNumber(Math.round(Number(p.per_km2) || 0)) }));
  return el('div', { className: 'popup-item popup-cell popup-hex' }, heading, list,
    el('p', { className: 'popup-more', text: t('popupHexNote') }));
}

function kdePopupItem(value) {
  const result = state.analyses.kde.result;
  const heading = el('h3', {}, el('span', { text: t('popupDensity') }));
  if (state.incidentsMeta?.synthetic) heading.append(el('span', { className: 'synthetic-tag', text: t('syntheticShort') }));
  return el('div', { className: 'popup-item popup-kde' }, heading,
    el('p', { className: 'popup-value', text: t('popupDensityValue', { v: formatNumber(Math.round(value)) }) }),
    el('p', { className: 'popup-more', text: t('popupDensityNote', { bw: formatNumber(result?.bandwidth ?? state.kdeBandwidth) }) }));
}

/** A small SVG line of a cell's incidents per time step, dots where the step was significant. */
function sparkline(counts, sig, steps) {
  const W = 220;
  const H = 46;
  const pad = { left: 3, right: 3, top: 5, bottom: 5 };
  const max = Math.max(1, ...counts);
  const x = (i) => pad.left + (counts.length > 1 ? (i / (counts.length - 1)) * (W - pad.left - pad.right) : (W - pad.left - pad.right) / 2);
  const y = (v) => pad.top + (1 - v / max) * (H - pad.top - pad.bottom);
  const from = steps.length ? quarterLabel(steps[0]) : '';
  const to = steps.length ? quarterLabel(steps.at(-1)) : '';
  const label = t('sparkLabel', { from, to, max: formatNumber(max) });
  const svg = svgEl('svg', { class: 'sparkline', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label },
    svgEl('title', { text: label }),
    svgEl('line', { class: 'spark-base', x1: pad.left, x2: W - pad.right, y1: y(0), y2: y(0) }),
    svgEl('polyline', { class: 'spark-line', points: counts.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ') }));
  counts.forEach((v, i) => {
    const s = Number(sig?.[i]) || 0;
    if (s !== 0) svg.append(svgEl('circle', { class: s > 0 ? 'spark-hot' : 'spark-cold', cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 2.4 }));
  });
  return el('figure', { className: 'spark' }, svg,
    el('figcaption', {}, el('span', { text: from }), el('span', { text: t('popupMaxValue', { n: formatNumber(max) }) }), el('span', { text: to })));
}

function emergingPopupItem(feature) {
  const result = state.analyses.emerging.result;
  const id = String(feature.properties.h3 ?? feature.id);
  const p = result?.cells_by_id.get(id) ?? feature.properties;
  const name = String(p.class ?? 'no_pattern');
  const heading = el('h3', {}, classSwatch(name), el('span', { text: emergingClassName(name) }));
  if (state.incidentsMeta?.synthetic) heading.append(el('span', { className: 'synthetic-tag', text: t('syntheticShort') }));
  const z = Number(p.trend_z);
  const pValue = Number(p.trend_p);
  const counts = Array.isArray(p.counts) ? p.counts.map(Number) : [];
  const total = p.total ?? counts.reduce((a, b) => a + b, 0);
  const list = el('dl', {},
    el('dt', { text: t('popupTotal') }), el('dd', { text: formatNumber(Number(total) || 0) }),
    el('dt', { text: t('popupTrend') }), el('dd', {
      text: Number.isFinite(z)
        ? t('popupTrendValue', { z: formatDecimal(z, 2), p: pValue < 0.001 ? `< ${formatDecimal(0.001, 3)}` : `= ${formatDecimal(pValue, 3)}` })
        : '–',
    }));
  return el('div', { className: 'popup-item popup-cell popup-emerging' }, heading,
    el('p', { className: 'popup-def', text: emergingDefinition(name) }),
    counts.length ? sparkline(counts, Array.isArray(p.sig) ? p.sig : [], result?.steps ?? []) : null,
    list);
}

/** A safety district's popup: its name and its incidents in the chosen months (the public summary). */
function districtPopupItem(feature) {
  const { id, name } = feature.properties;
  const count = el('p', { className: 'popup-value', text: '…' });
  const item = el('div', { className: 'popup-item popup-district' },
    el('h3', { text: name }), count,
    el('p', { className: 'popup-def', text: t(id === HOTSPOT_DISTRICT ? 'districtPopupHotspot' : 'districtPopupOther') }));
  const params = { from: monthDay(state.monthFrom, false), to: monthDay(state.monthTo, true) };
  getJson(API.summary(id), params).then((data) => {
    const all = data?.categories?.find((c) => c.code === 'all')?.count;
    count.textContent = all == null ? t('districtPopupNoCount') : tn('districtPopupCount', all, { period: $('#period-text').textContent });
  }).catch(() => { count.textContent = t('districtPopupNoCount'); });
  return item;
}

const POPUP_MAX_ITEMS = 4;
/** How many of a stack's incidents its popup lists (the newest), under the count by category. */
const STACK_NEWEST = 3;
const CELL_POPUPS = { 'hotspots-fill': hotspotPopupItem, 'hexcounts-fill': hexPopupItem, 'emerging-fill': emergingPopupItem };

const visible = (id) => map.getLayer(id) && map.getLayoutProperty(id, 'visibility') !== 'none';

function showPopup(event) {
  const { x, y } = event.point;
  const box = [[x - 6, y - 6], [x + 6, y + 6]];
  const observations = visible('observations') ? map.queryRenderedFeatures(box, { layers: ['observations'] }) : [];
  // The halo is each stack's whole disc: a click anywhere on a stack finds all of its incidents.
  const incidents = visible('incidents-halo') ? uniqueIncidents(map.queryRenderedFeatures(box, { layers: ['incidents-halo'] })) : [];
  const features = [...observations, ...incidents];
  // The analysis cell under the pointer itself (cells tile the area: a box would catch neighbours),
  // or the density there.
  let cell = null;
  for (const [layer, item] of Object.entries(CELL_POPUPS)) {
    const feature = visible(layer) ? map.queryRenderedFeatures(event.point, { layers: [layer] })[0] : null;
    if (feature) {
      cell = item(feature);
      break;
    }
  }
  // Items from the other modules (resident reports) come first: they are what a person clicked.
  const extra = popupProviders.flatMap((provider) => provider(event, box));
  if (!cell && !features.length && !extra.length && state.mode === 'kde' && visible('kde-raster') && map.getZoom() >= OVERVIEW_ZOOM[1]) {
    const value = kdeValueAt(event.lngLat);
    if (value > 0) cell = kdePopupItem(value);
  }
  if (!features.length && !cell && !extra.length) {
    // Nothing else here: the safety district under the click, with its incidents in the period
    // (the rest of the city is not empty, and a click on it says so).
    const district = visible('districts-hit') ? map.queryRenderedFeatures(event.point, { layers: ['districts-hit'] })[0] : null;
    if (district) openPopup(el('div', { className: 'popup', lang: state.lang }, districtPopupItem(district)), event.lngLat);
    return;
  }
  const items = [...extra, ...observations.slice(0, POPUP_MAX_ITEMS).map(observationPopupItem)];
  if (incidents.length > POPUP_MAX_ITEMS || incidents.some((f) => incidentWeight(f) > 1)) {
    items.push(stackPopupItem(incidents));
  } else {
    items.push(...incidents.map(incidentPopupItem));
  }
  if (cell) items.push(cell);
  const content = el('div', { className: 'popup', lang: state.lang }, ...items);
  if (observations.length > POPUP_MAX_ITEMS) {
    content.append(el('p', { className: 'popup-more', text: t('popupMore', { n: observations.length - POPUP_MAX_ITEMS }) }));
  }
  if (incidents.some((f) => f.properties.precision === 'approximate')) {
    content.append(el('p', { className: 'popup-approx', text: t('popupApproximate') }));
  }
  const at = !extra.length && features[0]?.geometry.type === 'Point' ? features[0].geometry.coordinates : event.lngLat;
  openPopup(content, at);
}

/** Phones (and narrow windows) get a bottom sheet instead of a popup beside the point. */
const POPUP_SHEET_QUERY = '(max-width: 767px)';
/** Room (px) a popup keeps from the map's edges, the attribution and the controls. */
const POPUP_MARGIN = 34;
let popupSheet = null;
let popupOpener = null;

/**
 * Shows `content` for a place on the map so that it always fits the visible map: beside the
 * point, no taller than the larger free part of the map above or below it (it scrolls inside),
 * or, on a phone, in a bottom sheet over the lower part of the map. Escape closes either.
 */
function openPopup(content, lngLat) {
  closePopup();
  popupOpener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  if (window.matchMedia(POPUP_SHEET_QUERY).matches) {
    openPopupSheet(content);
    // Keep the place itself in view above the sheet.
    const { y } = map.project(lngLat);
    const free = map.getContainer().clientHeight - popupSheet.element.offsetHeight;
    if (y > free - 24) map.panBy([0, y - free / 2], { duration: 0 });
    return;
  }
  const { y } = map.project(lngLat);
  const height = map.getContainer().clientHeight;
  // MapLibre anchors a popup below the point when it fits there, else above: either way it
  // must fit the larger side (less the tip and a margin for the controls and attribution).
  const room = Math.max(y, height - y) - POPUP_MARGIN - 12;
  const maxHeight = Math.max(120, Math.min(room, height - 2 * POPUP_MARGIN));
  content.classList.add('popup-scroll');
  content.style.setProperty('--popup-max-height', `${Math.round(maxHeight)}px`);
  popup = new maplibregl.Popup({ maxWidth: '290px', focusAfterOpen: true, className: 'fit-popup' })
    .setLngLat(lngLat)
    .setDOMContent(content)
    .addTo(map);
  // A point near the top or bottom edge: move the map so the popup is wholly inside it.
  requestAnimationFrame(() => popup && keepPopupInside(popup));
}

/** Pans the map by the part of the popup that sticks out of it (a point close to an edge). */
function keepPopupInside(current) {
  const element = current.getElement();
  if (!element) return;
  const box = element.getBoundingClientRect();
  const mapBox = map.getContainer().getBoundingClientRect();
  let dx = 0;
  let dy = 0;
  if (box.top < mapBox.top + 8) dy = box.top - mapBox.top - 8;
  else if (box.bottom > mapBox.bottom - 24) dy = box.bottom - mapBox.bottom + 24;
  if (box.left < mapBox.left + 8) dx = box.left - mapBox.left - 8;
  else if (box.right > mapBox.right - 8) dx = box.right - mapBox.right + 8;
  if (dx || dy) map.panBy([dx, dy], { duration: 0 });
}

/** The phone's bottom sheet for a popup's content (built once, inside the map). */
function popupSheetElement() {
  if (popupSheet) return popupSheet;
  const close = el('button', { type: 'button', className: 'popup-sheet-close', 'data-i18n-aria-label': 'close', 'aria-label': t('close') },
    el('span', { 'aria-hidden': 'true', text: '×' }));
  const body = el('div', { className: 'popup-sheet-body', tabindex: '-1' });
  const element = el('section', {
    className: 'popup-sheet', id: 'popup-sheet', role: 'dialog', 'aria-modal': 'false', 'data-i18n-aria-label': 'popupSheetLabel', 'aria-label': t('popupSheetLabel'), hidden: '',
  }, el('div', { className: 'popup-sheet-grip', 'aria-hidden': 'true' }), close, body);
  close.addEventListener('click', () => closePopupSheet());
  document.querySelector('#map').append(element);
  popupSheet = { element, body };
  return popupSheet;
}

function openPopupSheet(content) {
  const sheet = popupSheetElement();
  sheet.body.replaceChildren(content);
  sheet.element.hidden = false;
  sheet.body.scrollTop = 0;
  sheet.body.focus({ preventScroll: true });
}

function closePopupSheet({ restoreFocus = true } = {}) {
  if (!popupSheet || popupSheet.element.hidden) return;
  const hadFocus = popupSheet.element.contains(document.activeElement);
  popupSheet.element.hidden = true;
  popupSheet.body.replaceChildren();
  if (restoreFocus && hadFocus) (popupOpener?.isConnected ? popupOpener : map.getCanvas()).focus();
}

/** Whether a popup (or the phone's popup sheet) is open. */
export function popupOpen() {
  return Boolean(popup?.isOpen()) || Boolean(popupSheet && !popupSheet.element.hidden);
}

// Escape closes the popup wherever the focus is (the popup, the map, the panel), unless a
// dialog or a field of its own used the key first.
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape' || event.defaultPrevented || !popupOpen()) return;
  const inPopup = popup?.getElement()?.contains(document.activeElement) || popupSheet?.element.contains(document.activeElement);
  event.preventDefault();
  closePopup();
  if (inPopup) (popupOpener?.isConnected ? popupOpener : map.getCanvas()).focus();
});

// ---------------------------------------------------------------------------------------------
// Start-up
// ---------------------------------------------------------------------------------------------

async function fetchOptional(path) {
  try {
    return await tracked(() => getJson(path));
  } catch (error) {
    return { error };
  }
}

async function main() {
  state.lang = initialLanguage();
  state.mode = initialMode();
  buildLanguageSwitch();
  applyTexts();
  setupPanelToggle();
  buildLegend();

  const [config, incidentsMeta, observationsMeta, health] = await Promise.all([
    fetchOptional(API.config),
    fetchOptional(API.incidentsMeta),
    fetchOptional(API.observationsMeta),
    fetchOptional(API.health),
  ]);
  for (const [key, result] of [['config', config], ['incidentsMeta', incidentsMeta], ['observationsMeta', observationsMeta]]) {
    if (result.error) setError(key, result.error);
  }

  state.incidentsMeta = incidentsMeta.error ? null : incidentsMeta;
  state.categories = incidentsMeta.categories ?? [];
  state.selected = new Set(state.categories.map((c) => c.code));
  state.kinds = observationsMeta.kinds ?? [];
  state.dataVersion = health.data_version ?? null;
  const interval = incidentsMeta.extent?.temporal?.interval?.[0];
  state.months = monthsOf(interval && interval[0] && interval[1] ? interval : FALLBACK_INTERVAL);
  state.monthFrom = 0;
  state.monthTo = state.months.length - 1;

  buildCategoryList();
  setupPeriod();
  $('#categories-all').addEventListener('click', () => setAllCategories(true));
  $('#categories-none').addEventListener('click', () => setAllCategories(false));
  $('#trend-category').addEventListener('change', renderTrend);
  applyTexts();

  map = new maplibregl.Map({
    container: 'map',
    style: baseStyle(config.error ? {} : config),
    bounds: DISTRICT8_BBOX,
    fitBoundsOptions: { padding: viewPadding() },
    minZoom: 10,
    maxZoom: 19,
    maxBounds: [[12.25, 55.5], [12.85, 55.85]],
    attributionControl: { compact: window.innerWidth < 640, customAttribution: ATTRIBUTION },
    locale: mapLocale(),
    dragRotate: false,
    pitchWithRotate: false,
    touchPitch: false,
  });
  window.hotspotMap = map;
  map.touchZoomRotate.disableRotation();
  map.keyboard.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  // Bottom left (the attribution starts folded, see below); the top left holds the search box
  // and, on a phone, the legend.
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');

  await new Promise((resolve) => (map.loaded() ? resolve() : map.once('load', resolve)));
  // MapLibre opens the compact attribution expanded; on a phone it would cover the bottom of the
  // map until the first drag. Start it folded: the (i) button still opens it.
  document.querySelector('.maplibregl-ctrl-attrib.maplibregl-compact-show')?.classList.remove('maplibregl-compact-show');
  addDataLayers();
  setupLayerToggles();
  setupModes();
  setupAnalysisSwitch();
  translateMapControls();

  for (const layer of ['incidents-halo', 'observations', 'hotspots-fill', 'hexcounts-fill', 'emerging-fill']) {
    map.on('mouseenter', layer, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = ''; });
  }
  map.on('click', (event) => (mapClickHandler ? mapClickHandler(event) : showPopup(event)));
  map.on('zoomend', renderStatus);
  // Stacks are regrouped as incident tiles arrive; the incidents in view are counted once drawn.
  let stackFrame = 0;
  map.on('sourcedata', (event) => {
    if (event.sourceId !== 'incidents-tiles' || stackFrame) return;
    stackFrame = requestAnimationFrame(() => {
      stackFrame = 0;
      updateIncidentStacks();
    });
  });
  map.on('idle', () => {
    updateIncidentStacks();
    countShownIncidents();
  });

  resolveAppReady(map);
  // Signing in or out changes the figures the API gives (one set per role): ask again.
  onSessionChange(() => {
    state.summaryKey = null;
    state.trend.key = null;
    state.safetyYear = null;
    state.refPerMonth.clear();
    for (const analysis of Object.values(state.analyses)) analysis.key = null;
    scheduleRefresh();
  });

  const districts = loadDistricts().catch((error) => {
    setError('districts', error);
    throw error;
  });
  const hexbins = refreshHexbins();
  loadObservations();
  refreshSummary();
  refreshTrend();
  refreshSafety();

  try {
    await Promise.all([districts, hexbins]);
  } catch {
    renderStatus();
    return; // not ready: the status line says what failed
  }
  renderStatus();
  map.once('idle', () => {
    document.body.dataset.ready = '1';
  });
  map.triggerRepaint();
}

/** Room around district 8 in the first view, leaving space for the label above it. */
function viewPadding() {
  const small = window.innerWidth < 768;
  return small ? { top: 44, bottom: 16, left: 16, right: 16 } : { top: 56, bottom: 32, left: 40, right: 40 };
}

main().catch((error) => {
  setError('start', error);
});
