// The planner workspace (issue 6) and the initiatives layer of the public map.
//
// For everyone: the Hotspot initiatives on the map (points, lines and areas coloured by kind, a
// legend entry, a popup). Signed in as a planner, the layer also shows unpublished initiatives
// (hollow and dashed), and the secretariat's sheet (planner.js) gets five more tabs built here:
//   - Initiatives: the list; draw a new one on the map (terra-draw) and fill in its form; edit its
//     form and geometry, publish or unpublish, delete.
//   - Evaluation: before/after against a control area for one initiative, with a chart.
//   - Goals: the programme's goals with their values, target and status; measurements by hand or CSV.
//   - Where to act: the API's ranked H3 cells on the map and as a list; "new initiative here".
//   - Status report: the printable report for a year or half year.
//
// planner.js owns the sheet, the sign-in and the token; it hands this module its `api` function
// through setupWorkspace() and tells it which tab is shown. Texts are in i18n.js; every text a
// planner typed is set with textContent.

import * as maplibregl from './vendor/maplibre-gl/maplibre-gl.js';
import {
  TerraDraw, TerraDrawLineStringMode, TerraDrawPointMode, TerraDrawPolygonMode, TerraDrawSelectMode,
} from './vendor/terra-draw/terra-draw.js';
import { TerraDrawMapLibreGLAdapter } from './vendor/terra-draw/terra-draw-maplibre-gl-adapter.js';
import {
  addPopupProvider, apiLabel, appReady, closePopup, currentLanguage, dataNotice, dataYears, tn, el, formatDateTime, formatDecimal,
  formatNumber, incidentCategories, niceStep, onLanguageChange, setMapClickHandler, svgEl, t,
} from './app.js';
import { appUrl, setFieldError, text, uid } from './reports.js';

// ---------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------

/** The tabs this module adds to the secretariat's sheet, in order. */
export const WORKSPACE_TABS = ['initiatives', 'evaluation', 'goals', 'where', 'report'];
/** How much of a phone's screen the sheet takes per tab: drawing and the hexagons need the map. */
const SHEET_SIZES = { initiatives: 'compact', evaluation: 'tall', goals: 'tall', where: 'compact', report: 'compact' };

const KINDS = ['lighting', 'public_space', 'youth_activity', 'safety_walk', 'outreach', 'other'];
/** Okabe–Ito colours: told apart with the common colour-vision deficiencies. */
const KIND_COLOURS = {
  lighting: '#e69f00',
  public_space: '#009e73',
  youth_activity: '#cc79a7',
  safety_walk: '#0072b2',
  outreach: '#d55e00',
  other: '#6b7480',
};
const STATUSES = ['planned', 'running', 'done'];
/** The form's shape choices and the terra-draw mode that draws each. */
const SHAPE_MODES = { point: 'point', line: 'linestring', area: 'polygon' };
const GEOMETRY_SHAPES = { Point: 'point', LineString: 'line', Polygon: 'area' };
/** Decimal places kept of a drawn coordinate (about 1 cm). */
const COORDINATE_DIGITS = 7;
const INITIATIVE_LAYERS = ['initiatives-fill', 'initiatives-casing', 'initiatives-line', 'initiatives-line-draft', 'initiatives-points'];
const EVAL_MONTHS = [6, 12, 24];
const EVAL_BUFFERS = [0, 50, 100, 200];
const WHERE_MONTHS = [12, 24, 36];
const WHERE_LIMIT = 20;
/** "Where to act" score ramp (ColorBrewer PuBuGn), unlike the incidents' yellow–red. */
const WHERE_STOPS = [[0, '#ece2f0'], [0.25, '#a6bddb'], [0.5, '#67a9cf'], [0.75, '#1c9099'], [1, '#016c59']];

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

const ws = {
  /** From planner.js: {api, signedIn(), openTab(name)}; null until the sheet is built. */
  ctx: null,
  /** The initiatives on the map: all of them for a planner, the published ones for the public. */
  initiatives: [],
  /** The tab on screen, or null when the sheet shows another tab or is closed. */
  tab: null,
  /** The /api/goals answer, loaded once per sign-in (and after a new measurement). */
  goals: null,
  /** The initiative form: null, or {id (null for a new one), fields, …}. */
  form: null,
  evaluation: { id: null, result: null, error: null, busy: false },
  where: { on: false, data: null, focused: null, markers: [] },
  /** The object URL of the last status report fetched (revoked when the next one comes). */
  reportUrl: null,
  ui: {},
};

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

const kindOf = (kind) => (KINDS.includes(kind) ? kind : 'other');
const kindLabel = (kind) => t(`initiativeKind_${kindOf(kind)}`);
const statusLabel = (status) => t(`initiativeStatus_${STATUSES.includes(status) ? status : 'planned'}`);
const signedIn = () => Boolean(ws.ctx?.signedIn());

function formatDate(iso) {
  return iso ? formatDateTime(`${iso}T12:00:00Z`, false) : '';
}

/** "1. jun. 2012 – 31. dec. 2013", or "from 1. jun. 2012" without an end. */
function dateSpan(p) {
  if (!p.start_date) return '';
  return p.end_date ? `${formatDate(p.start_date)} – ${formatDate(p.end_date)}` : t('initiativeFrom', { date: formatDate(p.start_date) });
}

function formatMoney(n) {
  return new Intl.NumberFormat(t('locale'), { style: 'currency', currency: 'DKK', maximumFractionDigits: 0 }).format(n);
}

/** The text for `key` with a count, by the language's plural rules (app.js `tn`). */
const plural = tn;

/** A ratio as "0,85" and a change as "15 %" in the page's language. */
const ratio = (n) => formatDecimal(n, 2);
const percent = (fraction) => new Intl.NumberFormat(t('locale'), { style: 'percent', maximumFractionDigits: 0 }).format(fraction);

/**
 * The synthetic-data notice of an answer in the page's language: the answer's own `notice_da` /
 * `notice_en` when it has them; else, in Danish, the incidents metadata's Danish notice; else the
 * answer's (English) `notice`.
 */
function noticeOf(answer) {
  if (!answer) return null;
  const lang = currentLanguage();
  return answer[`notice_${lang}`] ?? (lang !== 'en' ? dataNotice() : null) ?? answer.notice ?? null;
}

/** An answer's text `key` in the page's language: `key_da` in Danish when the answer has it. */
function localText(answer, key) {
  const da = currentLanguage() === 'da' ? answer?.[`${key}_da`] : undefined;
  return da ? { text: da, lang: 'da' } : { text: answer?.[key] ?? '', lang: 'en' };
}

function noticeBox(answer) {
  const notice = noticeOf(answer);
  if (!notice) return null;
  return el('p', { className: 'ws-notice', role: 'note' }, el('strong', { className: 'banner-label', text: t('syntheticLabel') }), ' ', el('span', { text: notice }));
}

/** A field wrapper as setFieldError (reports.js) wants it: {element, error, controls}. */
function field(element, controls) {
  const error = el('p', { className: 'field-error', id: uid('ws-error'), hidden: '' });
  element.append(error);
  return { element, error, controls };
}

/** A labelled control in a `.field` div. */
function labelled(labelKey, control, { optional = false, hintKey = null } = {}) {
  const label = el('label', { for: control.id }, text('span', labelKey));
  if (optional) label.append(' ', text('span', 'optional', { className: 'optional' }));
  const wrap = el('div', { className: 'field' }, label);
  if (hintKey) {
    const hint = text('p', hintKey, { className: 'hint', id: `${control.id}-hint` });
    control.setAttribute('aria-describedby', hint.id);
    wrap.append(hint);
  }
  wrap.append(control);
  const result = field(wrap, [control]);
  if (hintKey) result.hintId = `${control.id}-hint`;
  return result;
}

function select(id, options, value) {
  const node = el('select', { id });
  node.append(...options.map(([optionValue, label]) => el('option', { value: String(optionValue), text: label })));
  if (value != null) node.value = String(value);
  return node;
}

function button(key, className = 'btn btn-small btn-secondary', attrs = {}) {
  return el('button', { type: 'button', className, ...attrs }, text('span', key));
}

/** The part of an API error's field name that names a form field ("body.period" → "period"). */
function fieldName(name) {
  const bare = String(name ?? '').replace(/^(body\.|feature\.)?(properties\.)?/, '');
  return bare.startsWith('geometry') ? 'geometry' : bare.split(/[.[]/)[0];
}

/** A problem's detail for the field it names, without the field's name ("period: '20x1' is …"). */
function problemText(error) {
  return t('errServerSays', { detail: String(error.message).replace(/^[\w.[\]]+:\s*/, '') });
}

/** The centre of a GeoJSON geometry's bounding box. */
function geometryCentre(geometry) {
  const points = [];
  const walk = (c) => (typeof c[0] === 'number' ? points.push(c) : c.forEach(walk));
  walk(geometry.coordinates);
  const lngs = points.map((p) => p[0]);
  const lats = points.map((p) => p[1]);
  return [(Math.min(...lngs) + Math.max(...lngs)) / 2, (Math.min(...lats) + Math.max(...lats)) / 2];
}

function geometryBounds(geometry) {
  const bounds = new maplibregl.LngLatBounds();
  const walk = (c) => (typeof c[0] === 'number' ? bounds.extend(c) : c.forEach(walk));
  walk(geometry.coordinates);
  return bounds;
}

async function showGeometry(geometry) {
  const map = await appReady;
  if (geometry.type === 'Point') map.easeTo({ center: geometry.coordinates, zoom: Math.max(map.getZoom(), 16) });
  else map.fitBounds(geometryBounds(geometry), { padding: 60, maxZoom: 17 });
}

// ---------------------------------------------------------------------------------------------
// The initiatives layer (everyone)
// ---------------------------------------------------------------------------------------------

/** A diamond icon for an initiative point, drawn on a canvas (no sprite server); hollow if unpublished. */
function diamondImage(colour, hollow) {
  const pixelRatio = 2;
  const size = 22;
  const canvas = document.createElement('canvas');
  canvas.width = size * pixelRatio;
  canvas.height = size * pixelRatio;
  const c = canvas.getContext('2d');
  c.scale(pixelRatio, pixelRatio);
  const m = size / 2;
  const r = 8.5;
  c.beginPath();
  c.moveTo(m, m - r);
  c.lineTo(m + r, m);
  c.lineTo(m, m + r);
  c.lineTo(m - r, m);
  c.closePath();
  c.lineJoin = 'round';
  c.lineWidth = 5;
  c.strokeStyle = '#ffffff';
  c.stroke();
  c.fillStyle = hollow ? '#ffffff' : colour;
  c.fill();
  c.lineWidth = 2.5;
  c.strokeStyle = hollow ? colour : '#1d2733';
  if (hollow) c.setLineDash([3, 2]);
  c.stroke();
  return { width: canvas.width, height: canvas.height, data: c.getImageData(0, 0, canvas.width, canvas.height).data };
}

function kindColourExpression() {
  return ['match', ['get', 'kind'], ...KINDS.flatMap((kind) => [kind, KIND_COLOURS[kind]]), KIND_COLOURS.other];
}

function addInitiativeLayers(map) {
  map.addSource('initiatives', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  for (const kind of KINDS) {
    map.addImage(`initiative-${kind}`, diamondImage(KIND_COLOURS[kind], false), { pixelRatio: 2 });
    map.addImage(`initiative-${kind}-draft`, diamondImage(KIND_COLOURS[kind], true), { pixelRatio: 2 });
  }
  const published = ['==', ['get', 'published'], true];
  const area = ['==', ['geometry-type'], 'Polygon'];
  const lineLike = ['any', area, ['==', ['geometry-type'], 'LineString']];
  const lineWidth = ['case', area, 2.5, 4];
  // Areas under the incidents, so the incidents inside stay readable; outlines and points on top.
  map.addLayer({
    id: 'initiatives-fill',
    type: 'fill',
    source: 'initiatives',
    filter: area,
    paint: { 'fill-color': kindColourExpression(), 'fill-opacity': ['case', published, 0.2, 0.08] },
  }, map.getLayer('incidents-halo') ? 'incidents-halo' : undefined);
  map.addLayer({
    id: 'initiatives-casing',
    type: 'line',
    source: 'initiatives',
    filter: lineLike,
    layout: { 'line-join': 'round', 'line-cap': 'round' },
    // A dark casing: the kind colours alone get lost on the incidents' yellow–red heatmap.
    paint: { 'line-color': '#1d2733', 'line-width': ['+', lineWidth, 3], 'line-opacity': 0.85 },
  });
  map.addLayer({
    id: 'initiatives-line',
    type: 'line',
    source: 'initiatives',
    filter: ['all', lineLike, published],
    layout: { 'line-join': 'round', 'line-cap': 'round' },
    paint: { 'line-color': kindColourExpression(), 'line-width': lineWidth },
  });
  map.addLayer({
    id: 'initiatives-line-draft',
    type: 'line',
    source: 'initiatives',
    filter: ['all', lineLike, ['!', published]],
    layout: { 'line-join': 'round' },
    paint: { 'line-color': kindColourExpression(), 'line-width': lineWidth, 'line-dasharray': [2, 1.5] },
  });
  map.addLayer({
    id: 'initiatives-points',
    type: 'symbol',
    source: 'initiatives',
    filter: ['==', ['geometry-type'], 'Point'],
    layout: {
      'icon-image': ['concat', 'initiative-', ['match', ['get', 'kind'], KINDS, ['get', 'kind'], 'other'], ['case', published, '', '-draft']],
      'icon-size': ['interpolate', ['linear'], ['zoom'], 11, 0.75, 15, 1, 18, 1.3],
      'icon-allow-overlap': true,
      'icon-ignore-placement': true,
    },
  });
  for (const id of ['initiatives-fill', 'initiatives-line', 'initiatives-line-draft', 'initiatives-points']) {
    map.on('mouseenter', id, () => map.getCanvas().classList.add('pointer'));
    map.on('mouseleave', id, () => map.getCanvas().classList.remove('pointer'));
  }
}

/** Loads the initiatives again: all of them with the planner's token, else the published ones. */
async function reloadInitiatives() {
  const map = await appReady;
  try {
    let data;
    if (signedIn()) {
      data = await ws.ctx.api('api/initiatives');
    } else {
      const response = await fetch(appUrl('api/initiatives'), { headers: { Accept: 'application/geo+json, application/json' } });
      if (!response.ok) throw new Error(`${response.status}`);
      data = await response.json();
    }
    ws.initiatives = data?.features ?? [];
    map.getSource('initiatives')?.setData({ type: 'FeatureCollection', features: ws.initiatives });
  } catch (error) {
    ws.initiatives = [];
    if (ws.ui.iniMessage) ws.ui.iniMessage.textContent = t('wsLoadFailed', { detail: error.message });
  }
  renderInitiativeLegend();
  if (ws.ui.iniList) renderInitiativeList();
  if (ws.ui.evalInitiative) renderEvaluationChoice();
  return ws.initiatives;
}

const initiativeById = (id) => ws.initiatives.find((f) => String(f.id) === String(id)) ?? null;

function renderInitiativeLegend() {
  const list = document.querySelector('#initiative-legend');
  if (!list) return;
  const items = KINDS.map((kind) => el('li', {}, kindSwatch(kind), el('span', { text: kindLabel(kind) })));
  if (signedIn()) items.push(el('li', { className: 'legend-draft' }, kindSwatch('other', true), el('span', { text: t('initiativeUnpublishedLegend') })));
  list.replaceChildren(...items);
}

/** A small diamond in a kind's colour (hollow for an unpublished one). */
function kindSwatch(kind, hollow = false) {
  const node = el('span', { className: `kind-swatch${hollow ? ' hollow' : ''}`, 'aria-hidden': 'true' });
  node.style.setProperty('--swatch', KIND_COLOURS[kindOf(kind)]);
  return node;
}

function setupInitiativeToggle(map) {
  const toggle = document.querySelector('#layer-initiatives');
  if (!toggle) return;
  const apply = () => {
    for (const id of INITIATIVE_LAYERS) map.setLayoutProperty(id, 'visibility', toggle.checked ? 'visible' : 'none');
    for (const block of document.querySelectorAll('.legend-initiatives')) block.hidden = !toggle.checked;
  };
  toggle.addEventListener('change', apply);
  apply();
}

/** Popup items for the initiatives under a click. */
function initiativesUnder(map, box) {
  const layers = INITIATIVE_LAYERS.filter((id) => map.getLayer(id) && map.getLayoutProperty(id, 'visibility') !== 'none');
  if (!layers.length) return [];
  const seen = new Set();
  const features = map.queryRenderedFeatures(box, { layers }).filter((f) => {
    const id = String(f.properties.id ?? f.id);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  return features.slice(0, 3).map((f) => initiativePopupItem(initiativeById(f.properties.id ?? f.id) ?? f));
}

function initiativePopupItem(feature) {
  const p = feature.properties ?? {};
  const heading = el('h3', {}, kindSwatch(p.kind, p.published === false), el('span', { text: p.title ?? '' }));
  const list = el('dl', {});
  const rows = [
    ['initiativeKind', kindLabel(p.kind)],
    ['initiativeDates', dateSpan(p)],
    ['initiativeStatus', statusLabel(p.status)],
    ['initiativeOwner', p.owner],
    ['initiativeBudget', p.budget_dkk != null ? formatMoney(Number(p.budget_dkk)) : null],
  ];
  for (const [key, value] of rows) if (value) list.append(el('dt', { text: t(key) }), el('dd', { text: value }));
  const item = el('div', { className: 'popup-item popup-initiative', 'data-initiative-id': String(feature.id ?? p.id) },
    el('p', { className: 'popup-kicker', text: t('initiativePopupKicker') }), heading);
  if (p.published === false) item.append(el('p', { className: 'status-chip unpublished', text: t('initiativeUnpublished') }));
  item.append(list);
  if (p.description) item.append(el('p', { className: 'report-text', text: p.description }));
  if (signedIn() && feature.id != null) {
    const edit = button('initiativeEdit');
    edit.addEventListener('click', () => {
      closePopup();
      ws.ctx.openTab('initiatives');
      openInitiativeForm(feature);
    });
    item.append(el('div', { className: 'button-row' }, edit));
  }
  return item;
}

// ---------------------------------------------------------------------------------------------
// Drawing on the map (terra-draw)
// ---------------------------------------------------------------------------------------------

/** A geometry with its coordinates rounded to COORDINATE_DIGITS decimals. */
function roundGeometry(geometry) {
  const round = (c) => (typeof c[0] === 'number' ? c.map((v) => Number(v.toFixed(COORDINATE_DIGITS))) : c.map(round));
  return { type: geometry.type, coordinates: round(geometry.coordinates) };
}

/**
 * One geometry drawn or edited with terra-draw. A new shape is drawn with clicks on the map (the
 * first corner or Enter closes an area, the last point or Enter ends a line); once finished it is
 * selected, so its corners can be dragged and new corners pulled from the midpoints. Keyboard
 * users pan the map with the arrow keys and add points at the map centre (under a crosshair): the
 * buttons hand the drawing mode the same click a mouse would, so both ways draw alike.
 */
class Drawing {
  constructor(onChange) {
    this.onChange = onChange;
    this.draw = null;
    this.modes = null;
    this.shape = 'area';
    this.id = null;
    this.active = false;
    this.paused = false;
    this.crosshair = null;
  }

  async ensure() {
    const map = await appReady;
    if (this.draw) return map;
    const colour = '#1d4f91';
    const editable = { feature: { draggable: true, coordinates: { draggable: true, midpoints: true, deletable: true } } };
    this.modes = {
      point: new TerraDrawPointMode({ styles: { pointColor: colour, pointWidth: 7, pointOutlineColor: '#ffffff', pointOutlineWidth: 2 } }),
      linestring: new TerraDrawLineStringMode({ styles: { lineStringColor: colour, lineStringWidth: 4, closingPointColor: colour, closingPointOutlineColor: '#ffffff' } }),
      polygon: new TerraDrawPolygonMode({
        styles: { fillColor: colour, fillOpacity: 0.2, outlineColor: colour, outlineWidth: 3, closingPointColor: colour, closingPointOutlineColor: '#ffffff' },
      }),
      select: new TerraDrawSelectMode({
        allowManualDeselection: false,
        keyEvents: { deselect: null, delete: null, rotate: null, scale: null },
        flags: { point: { feature: { draggable: true } }, linestring: editable, polygon: editable },
        styles: {
          selectedPolygonColor: colour, selectedPolygonFillOpacity: 0.25, selectedPolygonOutlineColor: colour, selectedPolygonOutlineWidth: 3,
          selectedLineStringColor: colour, selectedLineStringWidth: 4, selectedPointColor: colour, selectedPointWidth: 8,
          selectionPointColor: '#ffffff', selectionPointOutlineColor: colour, selectionPointWidth: 6, selectionPointOutlineWidth: 2,
          midPointColor: colour, midPointOutlineColor: '#ffffff', midPointWidth: 4,
        },
      }),
    };
    this.draw = new TerraDraw({ adapter: new TerraDrawMapLibreGLAdapter({ map }), modes: Object.values(this.modes) });
    this.draw.start();
    this.draw.on('finish', (id, context) => {
      if (context.action === 'draw') this.select(id);
      this.onChange();
    });
    this.draw.on('change', () => this.onChange());
    this.crosshair = el('div', { className: 'map-crosshair ws-crosshair', 'aria-hidden': 'true', hidden: '' });
    map.getContainer().append(this.crosshair);
    map.on('move', () => this.placeCrosshair());
    map.on('resize', () => this.placeCrosshair());
    return map;
  }

  /** Starts drawing a `shape` ('point' | 'line' | 'area'), or editing `geometry` when given. */
  async begin(shape, geometry = null) {
    await this.ensure();
    this.draw.clear();
    this.id = null;
    this.shape = shape;
    this.modes[SHAPE_MODES[shape]].clearHistory?.();
    this.active = true;
    this.paused = false;
    // Map clicks draw: no popups meanwhile.
    setMapClickHandler(() => {});
    if (geometry) {
      // terra-draw refuses coordinates more precise than its own (the API's hexagons have 15 decimals).
      const [result] = this.draw.addFeatures([{ type: 'Feature', geometry: roundGeometry(geometry), properties: { mode: SHAPE_MODES[shape] } }]);
      if (result?.valid) this.select(result.id);
      else this.draw.setMode(SHAPE_MODES[shape]);
    } else {
      this.draw.setMode(SHAPE_MODES[shape]);
    }
    this.onChange();
  }

  select(id) {
    this.id = id;
    this.draw.setMode('select');
    this.draw.selectFeature(id);
  }

  /** Leaves the map to the popups again and takes the drawing off the map. */
  end() {
    if (!this.draw) return;
    this.draw.clear();
    this.draw.setMode('static');
    this.id = null;
    if (this.active && !this.paused) setMapClickHandler(null);
    this.active = false;
    this.paused = false;
    this.onChange();
  }

  /** While the sheet shows another tab or is closed: the drawing stays, the map reacts as usual. */
  pause() {
    if (!this.active || !this.draw) return;
    this.draw.setMode('static');
    setMapClickHandler(null);
    this.paused = true;
    this.placeCrosshair();
  }

  resume() {
    if (!this.paused) return;
    this.paused = false;
    setMapClickHandler(() => {});
    if (this.id) this.select(this.id);
    else this.draw.setMode(SHAPE_MODES[this.shape]);
    this.onChange();
  }

  get drawing() {
    return this.active && !this.paused && !this.id;
  }

  /** The finished geometry with rounded coordinates, or null. */
  get geometry() {
    const feature = this.id ? this.draw.getSnapshotFeature(this.id) : null;
    return feature ? roundGeometry(feature.geometry) : null;
  }

  /** The points placed so far of the shape being drawn (each is a step of the mode's undo history). */
  get placed() {
    return this.modes?.[SHAPE_MODES[this.shape]].undoSize?.() ?? 0;
  }

  /** A click at the map centre, as the drawing mode gets it from a mouse. */
  addAtCentre() {
    if (!this.drawing) return;
    const map = window.hotspotMap;
    const centre = map.getCenter();
    const { x, y } = map.project(centre);
    this.modes[SHAPE_MODES[this.shape]].onClick({
      lng: centre.lng, lat: centre.lat, containerX: x, containerY: y, button: 'left', heldKeys: [], isContextMenu: false,
    });
    this.onChange();
  }

  /** Ends the line or closes the area, as Enter on the map does. */
  finish() {
    if (!this.drawing) return;
    this.modes[SHAPE_MODES[this.shape]].onKeyUp({ key: 'Enter', heldKeys: [], preventDefault() {} });
    this.onChange();
  }

  placeCrosshair() {
    if (!this.crosshair) return;
    const map = window.hotspotMap;
    this.crosshair.hidden = !this.drawing;
    if (this.crosshair.hidden) return;
    const { x, y } = map.project(map.getCenter());
    this.crosshair.style.setProperty('--x', `${x}px`);
    this.crosshair.style.setProperty('--y', `${y}px`);
  }
}

// ---------------------------------------------------------------------------------------------
// Initiatives tab: the list
// ---------------------------------------------------------------------------------------------

function buildInitiatives(panel) {
  const create = button('initiativeNew', 'btn btn-primary', { id: 'ini-new' });
  create.addEventListener('click', () => openInitiativeForm(null));
  ws.ui.iniMessage = el('p', { className: 'planner-message', id: 'ini-message', role: 'status', tabindex: '-1' });
  ws.ui.iniList = el('ol', { className: 'ini-list', id: 'ini-list' });
  ws.ui.iniListView = el('div', { className: 'ini-list-view' },
    el('div', { className: 'ws-toolbar' }, create),
    ws.ui.iniList);
  ws.ui.iniFormView = el('div', { className: 'ini-form-view', hidden: '' });
  panel.append(ws.ui.iniMessage, ws.ui.iniListView, ws.ui.iniFormView);
}

function sortedInitiatives() {
  return ws.initiatives.slice().sort((a, b) => String(b.properties.start_date ?? '').localeCompare(String(a.properties.start_date ?? '')) || Number(b.id) - Number(a.id));
}

function renderInitiativeList() {
  const items = sortedInitiatives().map(initiativeItem);
  if (!items.length) items.push(el('li', { className: 'note', text: t('initiativeNone') }));
  ws.ui.iniList.replaceChildren(...items);
}

function initiativeItem(feature) {
  const p = feature.properties;
  const id = String(feature.id);
  const headingId = `ini-title-${id}`;
  const item = el('li', { className: 'ini-item', 'data-initiative-id': id, 'aria-labelledby': headingId });
  const chips = el('p', { className: 'mod-chips' },
    el('span', { className: `status-chip ini-status-${p.status ?? 'planned'}`, text: statusLabel(p.status) }),
    el('span', { className: `status-chip ${p.published ? 'published' : 'unpublished'}`, text: t(p.published ? 'initiativePublished' : 'initiativeUnpublished') }));
  const meta = [kindLabel(p.kind), dateSpan(p), p.owner, p.budget_dkk != null ? formatMoney(Number(p.budget_dkk)) : null].filter(Boolean);
  const show = button('initiativeShow');
  show.addEventListener('click', () => showGeometry(feature.geometry));
  const edit = button('initiativeEdit', 'btn btn-small btn-secondary ini-edit');
  edit.addEventListener('click', () => openInitiativeForm(feature));
  const evaluate = button('initiativeEvaluate', 'btn btn-small btn-secondary ini-evaluate');
  evaluate.addEventListener('click', () => {
    ws.evaluation.id = id;
    ws.ctx.openTab('evaluation');
  });
  const publish = button(p.published ? 'initiativeUnpublish' : 'initiativePublish', 'btn btn-small btn-secondary ini-publish');
  publish.addEventListener('click', () => togglePublished(feature, publish));
  const remove = button('initiativeDelete', 'btn btn-small btn-secondary btn-danger ini-delete');
  const actions = el('div', { className: 'ini-actions' }, show, edit, evaluate, publish, remove);
  remove.addEventListener('click', () => confirmDelete(feature, actions));
  item.append(
    el('div', { className: 'ini-head' }, el('h3', { id: headingId, tabindex: '-1' }, kindSwatch(p.kind, !p.published), el('span', { text: p.title ?? `#${id}` })), chips),
    el('p', { className: 'mod-meta', text: meta.join(' · ') }),
    actions);
  return item;
}

/** The feature as the API takes it back: its geometry and its properties without the nulls. */
function bodyOf(feature, changes = {}) {
  const properties = Object.fromEntries(Object.entries({ ...feature.properties, ...changes }).filter(([key, value]) => value != null && key !== 'id'));
  return { type: 'Feature', geometry: feature.geometry, properties };
}

async function togglePublished(feature, control) {
  control.disabled = true;
  const published = !feature.properties.published;
  try {
    await ws.ctx.api(`api/initiatives/${encodeURIComponent(feature.id)}`, { method: 'PUT', body: bodyOf(feature, { published }) });
    ws.ui.iniMessage.textContent = t(published ? 'initiativePublishedDone' : 'initiativeUnpublishedDone', { title: feature.properties.title });
    await reloadInitiatives();
    ws.ui.iniMessage.focus();
  } catch (error) {
    ws.ui.iniMessage.textContent = t('wsActionFailed', { detail: error.message });
    control.disabled = false;
  }
}

/** Swaps an item's buttons for "Delete «title» for good?" with Delete and Cancel. */
function confirmDelete(feature, actions) {
  const previous = [...actions.children];
  const cancel = button('cancel', 'btn btn-small btn-secondary');
  const really = button('initiativeDeleteConfirm', 'btn btn-small btn-danger-solid ini-delete-confirm');
  const question = el('p', { className: 'ini-confirm', role: 'alert', text: t('initiativeDeleteQuestion', { title: feature.properties.title ?? '' }) });
  cancel.addEventListener('click', () => {
    actions.replaceChildren(...previous);
    actions.querySelector('.ini-delete').focus();
  });
  really.addEventListener('click', async () => {
    really.disabled = true;
    try {
      await ws.ctx.api(`api/initiatives/${encodeURIComponent(feature.id)}`, { method: 'DELETE' });
      ws.ui.iniMessage.textContent = t('initiativeDeleted', { title: feature.properties.title ?? '' });
      if (String(ws.evaluation.id) === String(feature.id)) ws.evaluation = { id: null, result: null, error: null, busy: false };
      await reloadInitiatives();
      ws.ui.iniMessage.focus();
    } catch (error) {
      question.textContent = t('wsActionFailed', { detail: error.message });
      really.disabled = false;
    }
  });
  actions.replaceChildren(question, really, cancel);
  cancel.focus();
}

// ---------------------------------------------------------------------------------------------
// Initiatives tab: the form (new or edit) with the drawing
// ---------------------------------------------------------------------------------------------

const drawing = new Drawing(() => renderDrawStatus());

/** Opens the form for `feature`, or for a new initiative (optionally with a geometry and properties). */
async function openInitiativeForm(feature, { geometry = null, properties = {} } = {}) {
  if (!ws.ctx) return;
  if (!ws.goals) loadGoals();
  const p = feature?.properties ?? properties;
  const start = geometry ?? feature?.geometry ?? null;
  ws.form = buildInitiativeForm(feature ? String(feature.id) : null, p, start ? GEOMETRY_SHAPES[start.type] ?? 'area' : 'area');
  ws.ui.iniFormView.replaceChildren(ws.form.element);
  ws.ui.iniFormView.hidden = false;
  ws.ui.iniListView.hidden = true;
  ws.ui.iniMessage.textContent = '';
  await drawing.begin(ws.form.shape, start);
  if (start) showGeometry(start);
  ws.form.heading.focus();
}

function closeInitiativeForm() {
  drawing.end();
  ws.form = null;
  ws.ui.iniFormView.hidden = true;
  ws.ui.iniFormView.replaceChildren();
  ws.ui.iniListView.hidden = false;
}

function buildInitiativeForm(id, p, shape) {
  const form = { id, shape };
  form.heading = text('h3', id ? 'initiativeEditHeading' : 'initiativeNewHeading', { className: 'ini-form-heading', tabindex: '-1' });
  form.general = el('p', { className: 'form-error', role: 'alert', hidden: '' });
  form.fields = { geometry: shapeField(form), ...propertyFields(p) };
  const f = form.fields;
  form.save = el('button', { type: 'submit', className: 'btn btn-primary', id: 'ini-save' }, text('span', 'initiativeSave'));
  const cancel = button('cancel', 'btn btn-secondary');
  cancel.addEventListener('click', () => {
    closeInitiativeForm();
    (ws.ui.iniList.querySelector(`[data-initiative-id="${form.id}"] h3`) ?? document.querySelector('#ini-new')).focus();
  });
  form.element = el('form', { className: 'ini-form', novalidate: '' },
    form.heading,
    f.geometry.element,
    f.title.element,
    f.kind.element,
    el('div', { className: 'field-grid' }, f.start_date.element, f.end_date.element, f.status.element, f.challenge.element, f.budget_dkk.element, f.pool.element),
    f.owner.element,
    f.description.element,
    f.goals.element,
    f.published.element,
    form.general,
    el('div', { className: 'form-actions' }, form.save, cancel));
  form.element.addEventListener('submit', (event) => {
    event.preventDefault();
    saveInitiative(form);
  });
  return form;
}

/** The form's fields for an initiative's properties `p`, by property name. */
function propertyFields(p) {
  const input = (id, type, value, attrs = {}) => {
    const node = el('input', { id, type, autocomplete: 'off', ...attrs });
    node.value = value ?? '';
    return node;
  };
  const description = el('textarea', { id: 'ini-description', rows: '3', maxlength: '4000' });
  description.value = p.description ?? '';
  const published = el('input', { type: 'checkbox', id: 'ini-published' });
  published.checked = Boolean(p.published);
  const fields = {
    title: labelled('initiativeTitle', input('ini-title', 'text', p.title, { maxlength: '200', required: '' })),
    kind: labelled('initiativeKind', select('ini-kind', KINDS.map((kind) => [kind, kindLabel(kind)]), p.kind ?? 'lighting')),
    start_date: labelled('initiativeStart', input('ini-start', 'date', p.start_date, { required: '' }), { hintKey: 'initiativeStartHint' }),
    end_date: labelled('initiativeEnd', input('ini-end', 'date', p.end_date), { optional: true }),
    status: labelled('initiativeStatus', select('ini-status', STATUSES.map((s) => [s, statusLabel(s)]), p.status ?? 'planned')),
    challenge: labelled('initiativeChallenge', select('ini-challenge', [['', t('initiativeChallengeNone')], ...[1, 2, 3].map((n) => [n, t('initiativeChallengeN', { n })])], p.challenge ?? ''), { optional: true }),
    budget_dkk: labelled('initiativeBudgetDkk', input('ini-budget', 'number', p.budget_dkk, { min: '0', step: '1000', inputmode: 'numeric' }), { optional: true }),
    pool: labelled('initiativePool', input('ini-pool', 'text', p.pool, { list: 'ini-pools', maxlength: '200' }), { optional: true }),
    owner: labelled('initiativeOwner', input('ini-owner', 'text', p.owner, { list: 'ini-owners', maxlength: '200' }), { optional: true }),
    description: labelled('initiativeDescription', description, { optional: true }),
    goals: goalsField(p.goals ?? []),
    published: field(el('div', { className: 'field' },
      el('label', { className: 'choice', for: 'ini-published' }, published,
        el('span', { className: 'choice-text' }, text('span', 'initiativePublishLabel', { className: 'choice-name' }), text('span', 'initiativePublishHint', { className: 'choice-hint' })))), [published]),
  };
  // Suggestions: the pools and owners in use, and the goals' owners.
  fields.pool.element.append(datalist('ini-pools', ['aktivitetspulje', ...ws.initiatives.map((f) => f.properties.pool)]));
  fields.owner.element.append(datalist('ini-owners', [...(ws.goals?.goals ?? []).map((g) => g.owner), ...ws.initiatives.map((f) => f.properties.owner)]));
  return fields;
}

function datalist(id, values) {
  const unique = [...new Set(values.filter(Boolean))];
  return el('datalist', { id }, ...unique.map((value) => el('option', { value })));
}

/** The shape choice, the drawing's state and the buttons to draw without a mouse. */
function shapeField(form) {
  const choices = el('div', { className: 'choice-row shape-choice' }, ...Object.keys(SHAPE_MODES).map((shape) => {
    const id = `ini-shape-${shape}`;
    const input = el('input', { type: 'radio', name: 'ini-shape', value: shape, id });
    input.checked = shape === form.shape;
    input.addEventListener('change', () => {
      form.shape = shape;
      drawing.begin(shape);
    });
    return el('label', { className: 'choice', for: id }, input, el('span', { className: `shape-icon shape-${shape}`, 'aria-hidden': 'true' }), text('span', `initiativeShape_${shape}`));
  }));
  const status = el('p', { className: 'draw-status', id: 'ini-draw-status', role: 'status', 'aria-live': 'polite' });
  const add = el('button', { type: 'button', className: 'btn btn-small btn-secondary', id: 'ini-draw-add' },
    el('span', { className: 'icon icon-crosshair', 'aria-hidden': 'true' }), el('span', { className: 'draw-add-text' }));
  add.addEventListener('click', () => drawing.addAtCentre());
  const finish = button('drawFinish', 'btn btn-small btn-secondary', { id: 'ini-draw-finish' });
  finish.addEventListener('click', () => drawing.finish());
  const restart = button('drawRestart', 'btn btn-small btn-secondary', { id: 'ini-draw-restart' });
  restart.addEventListener('click', () => drawing.begin(form.shape));
  const hint = el('p', { className: 'hint draw-hint', id: 'ini-draw-hint' });
  const fieldset = el('fieldset', { className: 'field field-shape' }, text('legend', 'initiativeShape'), choices, hint, status,
    el('div', { className: 'button-row draw-buttons' }, add, finish, restart));
  form.draw = { status, add, finish, restart, hint, choices };
  return field(fieldset, [...choices.querySelectorAll('input')]);
}

/** The form's words about the drawing: what to do next, and what is drawn. */
function renderDrawStatus() {
  drawing.placeCrosshair();
  const form = ws.form;
  if (!form) return;
  const { status, add, finish, restart, hint } = form.draw;
  const shape = form.shape;
  const done = Boolean(drawing.id);
  const placed = drawing.drawing ? drawing.placed : 0;
  hint.textContent = t(done ? `drawEditHint_${shape}` : `drawHint_${shape}`);
  add.querySelector('.draw-add-text').textContent = t(`drawAdd_${shape}`);
  const focused = document.activeElement;
  add.hidden = done;
  finish.hidden = done || shape === 'point';
  // A keyboard user who just finished the shape keeps the focus in the field.
  if ((focused === add && add.hidden) || (focused === finish && finish.hidden)) restart.focus();
  finish.disabled = placed < (shape === 'area' ? 3 : 2);
  form.element.classList.toggle('drawn', done);
  // terra-draw reports every pointer move: the live region changes only when its words do.
  const words = done ? drawnText(drawing.geometry) : placed ? plural(`drawPlaced_${shape}`, placed) : t('drawNothing');
  if (status.dataset.words === words) return;
  status.dataset.words = words;
  if (done) {
    status.replaceChildren(el('span', { className: 'place-ok', 'aria-hidden': 'true', text: '✓' }), ' ', el('span', { text: words }));
    setFieldError(form.fields.geometry, null);
  } else {
    status.textContent = words;
  }
}

function drawnText(geometry) {
  if (!geometry) return '';
  if (geometry.type === 'Point') return t('drawDone_point');
  if (geometry.type === 'LineString') return t('drawDone_line', { n: formatNumber(geometry.coordinates.length) });
  return t('drawDone_area', { n: formatNumber(geometry.coordinates[0].length - 1) });
}

/** Goal checkboxes, one per goal number, named by the titles of its goals from /api/goals. */
function goalsField(selected) {
  const list = el('div', { className: 'goal-choices', id: 'ini-goals' });
  const wrap = el('fieldset', { className: 'field' }, el('legend', {}, text('span', 'initiativeGoals'), ' ', text('span', 'optional', { className: 'optional' })), list);
  const result = field(wrap, []);
  result.list = list;
  result.selected = new Set(selected.map(Number));
  renderGoalChoices(result);
  return result;
}

function renderGoalChoices(goalField) {
  const { list, selected } = goalField;
  for (const input of list.querySelectorAll('input')) {
    if (input.checked) selected.add(Number(input.value));
    else selected.delete(Number(input.value));
  }
  const byNumber = new Map();
  for (const goal of ws.goals?.goals ?? []) {
    if (!byNumber.has(goal.number)) byNumber.set(goal.number, []);
    byNumber.get(goal.number).push(goal);
  }
  if (!byNumber.size) {
    list.replaceChildren(text('p', 'goalsLoading', { className: 'note' }));
    return;
  }
  list.replaceChildren(...[...byNumber].map(([number, goals]) => {
    const id = `ini-goal-${number}`;
    const input = el('input', { type: 'checkbox', id, value: String(number), name: 'goals' });
    input.checked = selected.has(number);
    const titles = goals.map((g) => el('span', { className: 'choice-hint', text: goalTitle(g) }));
    return el('label', { className: 'choice goal-choice', for: id }, input,
      el('span', { className: 'choice-text' }, el('span', { className: 'choice-name', text: t('goalNumber', { n: number }) }), ...titles));
  }));
  goalField.controls = [...list.querySelectorAll('input')];
}

const goalTitle = (goal) => goal[`title_${currentLanguage()}`] ?? goal.title_en ?? goal.title_da ?? goal.id;

function formValues(form) {
  const f = form.fields;
  const value = (name) => f[name].controls[0].value.trim();
  const properties = {
    title: value('title'),
    kind: value('kind'),
    start_date: value('start_date'),
    status: value('status'),
    published: f.published.controls[0].checked,
    goals: f.goals.controls.filter((input) => input.checked).map((input) => Number(input.value)),
  };
  for (const name of ['description', 'end_date', 'pool', 'owner']) if (value(name)) properties[name] = value(name);
  if (value('budget_dkk') !== '') properties.budget_dkk = Number(value('budget_dkk'));
  if (value('challenge')) properties.challenge = Number(value('challenge'));
  return properties;
}

/** Checks what the browser can; returns [[field, message]]. The server checks the rest. */
function formProblems(form, properties, geometry) {
  const f = form.fields;
  const problems = [];
  if (!geometry) problems.push([f.geometry, t(drawing.drawing && drawing.placed ? `drawUnfinished_${form.shape}` : 'drawMissing')]);
  if (!properties.title) problems.push([f.title, t('initiativeTitleMissing')]);
  if (!properties.start_date) problems.push([f.start_date, t('initiativeStartMissing')]);
  if (properties.end_date && properties.start_date && properties.end_date < properties.start_date) problems.push([f.end_date, t('initiativeEndBeforeStart')]);
  if ('budget_dkk' in properties && !(properties.budget_dkk >= 0)) problems.push([f.budget_dkk, t('initiativeBudgetInvalid')]);
  return problems;
}

function focusField(fieldObject) {
  const target = fieldObject === ws.form?.fields.geometry ? ws.form.draw.add : fieldObject.controls?.[0];
  (target && !target.hidden ? target : fieldObject.element).focus?.();
  fieldObject.element.scrollIntoView({ block: 'center' });
}

async function saveInitiative(form) {
  for (const f of Object.values(form.fields)) setFieldError(f, null);
  form.general.hidden = true;
  const properties = formValues(form);
  const geometry = drawing.geometry;
  const problems = formProblems(form, properties, geometry);
  for (const [f, message] of problems) setFieldError(f, message);
  if (problems.length) {
    focusField(problems[0][0]);
    return;
  }
  form.save.disabled = true;
  try {
    const path = form.id ? `api/initiatives/${encodeURIComponent(form.id)}` : 'api/initiatives';
    const saved = await ws.ctx.api(path, { method: form.id ? 'PUT' : 'POST', body: { type: 'Feature', geometry, properties } });
    closeInitiativeForm();
    await reloadInitiatives();
    ws.ui.iniMessage.textContent = t(form.id ? 'initiativeUpdated' : 'initiativeCreated', { title: properties.title });
    const item = ws.ui.iniList.querySelector(`[data-initiative-id="${saved?.id ?? form.id}"]`);
    item?.classList.add('just-saved');
    ws.ui.iniMessage.focus();
    item?.scrollIntoView({ block: 'nearest' });
  } catch (error) {
    const target = error.field ? form.fields[fieldName(error.field)] : null;
    if (target) {
      setFieldError(target, problemText(error));
      focusField(target);
    } else {
      form.general.hidden = false;
      form.general.textContent = t('wsActionFailed', { detail: error.message });
      form.general.scrollIntoView({ block: 'center' });
    }
  } finally {
    form.save.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation tab
// ---------------------------------------------------------------------------------------------

function buildEvaluation(panel) {
  const initiative = el('select', { id: 'eval-initiative' });
  initiative.addEventListener('change', () => {
    ws.evaluation.id = initiative.value || null;
    runEvaluation();
  });
  const category = el('select', { id: 'eval-category' });
  const months = el('select', { id: 'eval-months' });
  const buffer = el('select', { id: 'eval-buffer' });
  const control = el('select', { id: 'eval-control' });
  const run = el('button', { type: 'submit', className: 'btn btn-primary btn-small', id: 'eval-run' }, text('span', 'evalRun'));
  // The parameters are folded away under a summary of them: the result is what a planner reads.
  const summary = el('summary', { id: 'eval-settings-summary' });
  const settings = el('details', { className: 'ws-details eval-settings' }, summary,
    el('div', { className: 'field-grid' },
      labelled('evalCategory', category).element,
      labelled('evalMonths', months).element,
      labelled('evalBuffer', buffer).element,
      labelled('evalControl', control).element),
    el('div', { className: 'form-actions' }, run));
  const form = el('form', { className: 'eval-form', novalidate: '' }, labelled('evalInitiative', initiative).element, settings);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    runEvaluation({ focus: true });
  });
  for (const node of [category, months, buffer, control]) node.addEventListener('change', renderSettingsSummary);
  ws.ui.evalSummary = summary;
  ws.ui.evalInitiative = initiative;
  ws.ui.evalParams = { category, months, buffer, control };
  ws.ui.evalRun = run;
  ws.ui.evalResult = el('div', { className: 'eval-result', id: 'eval-result' });
  panel.append(form, ws.ui.evalResult);
  renderEvaluationOptions();
  renderEvaluationChoice();
}

/** The options of the parameter selects, in the page's language (their values stay). */
async function renderEvaluationOptions() {
  const map = await appReady;
  const { category, months, buffer, control } = ws.ui.evalParams;
  const keep = (node, options, fallback) => {
    const value = node.value || fallback;
    node.replaceChildren(...options.map(([v, label]) => el('option', { value: String(v), text: label })));
    node.value = String(value);
  };
  keep(category, [['', t('evalCategoryAll')], ...incidentCategories().map((c) => [c.code, apiLabel(c)])], '');
  keep(months, EVAL_MONTHS.map((m) => [m, t('evalMonthsN', { n: m })]), 12);
  keep(buffer, EVAL_BUFFERS.map((m) => [m, t('metres', { n: formatNumber(m) })]), 100);
  const districts = (await map.getSource('districts')?.getData())?.features ?? [];
  const others = districts.filter((f) => f.properties?.level === 'district' && f.properties.id !== 'district-8')
    .sort((a, b) => String(a.properties.id).localeCompare(String(b.properties.id), undefined, { numeric: true }));
  keep(control, [['district-8', t('evalControlDefault')], ...others.map((f) => [f.properties.id, f.properties.name ?? f.properties.id])], 'district-8');
  renderSettingsSummary();
}

/** "Settings: all categories · 12 months · 100 m · rest of district 8". */
function renderSettingsSummary() {
  const chosen = Object.values(ws.ui.evalParams).map((node) => node.selectedOptions[0]?.textContent).filter(Boolean);
  ws.ui.evalSummary.textContent = t('evalSettings', { list: chosen.join(' · ') });
}

function renderEvaluationChoice() {
  const node = ws.ui.evalInitiative;
  const list = sortedInitiatives();
  node.replaceChildren(el('option', { value: '', text: t(list.length ? 'evalChoose' : 'evalNoInitiatives') }),
    ...list.map((f) => el('option', { value: String(f.id), text: `${f.properties.title ?? `#${f.id}`} (${formatDate(f.properties.start_date)})` })));
  node.value = ws.evaluation.id && initiativeById(ws.evaluation.id) ? String(ws.evaluation.id) : '';
}

/** Evaluates the chosen initiative; `focus` moves the focus to the result (after the button). */
async function runEvaluation({ focus = false } = {}) {
  const ev = ws.evaluation;
  ws.ui.evalInitiative.value = ev.id ?? '';
  if (!ev.id) {
    ev.result = null;
    ev.error = null;
    renderEvaluation();
    return;
  }
  const { category, months, buffer, control } = ws.ui.evalParams;
  const query = { category: category.value, months: months.value, buffer_m: buffer.value, control: control.value };
  ev.busy = true;
  ws.ui.evalRun.disabled = true;
  ws.ui.evalResult.setAttribute('aria-busy', 'true');
  try {
    ev.result = await ws.ctx.api(`api/initiatives/${encodeURIComponent(ev.id)}/evaluation`, { query });
    ev.error = null;
  } catch (error) {
    ev.result = null;
    ev.error = error;
  } finally {
    ev.busy = false;
    ws.ui.evalRun.disabled = false;
    ws.ui.evalResult.removeAttribute('aria-busy');
  }
  renderEvaluation();
  if (focus) ws.ui.evalResult.querySelector('h3')?.focus({ preventScroll: true });
  const feature = initiativeById(ev.id);
  if (feature && ev.result) showGeometry(feature.geometry);
  showEvaluationZones(ev.result ? feature : null, ev.result);
}

// The evaluation's areas on the map: the initiative's area with its buffer (where "inside" is
// counted), the displacement ring around it, and the control area. A buffer is drawn exactly as a
// band of width 2 × buffer around the geometry (round joins and caps: every point within the
// buffer's distance), the ring likewise with its outer distance, each under the next: the
// zones nest, darker inwards.
const ZONE_COLOURS = { ring: '#1b9e77', buffer: '#6a3d9a', control: '#1f5f8b' };

/** Pixels per metre at zoom 0 near Copenhagen (512-px tiles); doubles per zoom level. */
const PX_PER_M_Z0 = 1 / (78271.517 * Math.cos(55.69 * Math.PI / 180));
const metresWide = (m) => ['interpolate', ['exponential', 2], ['zoom'], 0, m * PX_PER_M_Z0, 22, m * PX_PER_M_Z0 * 2 ** 22];

function ensureZoneLayers(map) {
  if (map.getSource('eval-zones')) return;
  const empty = { type: 'FeatureCollection', features: [] };
  map.addSource('eval-zones', { type: 'geojson', data: empty });
  map.addSource('eval-control', { type: 'geojson', data: empty });
  const before = map.getLayer('initiatives-fill') ? 'initiatives-fill' : undefined;
  const width = (key) => metresWide(1).map((v, i) => (i >= 3 && i % 2 === 0 ? ['*', 2, ['get', key], v] : v));
  const radius = (key) => metresWide(1).map((v, i) => (i >= 3 && i % 2 === 0 ? ['*', ['get', key], v] : v));
  const notPoint = ['!=', ['geometry-type'], 'Point'];
  const point = ['==', ['geometry-type'], 'Point'];
  map.addLayer({ id: 'eval-control-fill', type: 'fill', source: 'eval-control', paint: { 'fill-color': ZONE_COLOURS.control, 'fill-opacity': 0.06 } }, before);
  map.addLayer({ id: 'eval-control-line', type: 'line', source: 'eval-control', paint: { 'line-color': ZONE_COLOURS.control, 'line-width': 2.5, 'line-dasharray': [3, 2] } }, before);
  for (const [zone, key] of [['ring', 'ring_m'], ['buffer', 'buffer_m']]) {
    map.addLayer({
      id: `eval-${zone}`, type: 'line', source: 'eval-zones', filter: notPoint,
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: { 'line-color': ZONE_COLOURS[zone], 'line-width': width(key), 'line-opacity': zone === 'ring' ? 0.16 : 0.28 },
    }, before);
    map.addLayer({
      id: `eval-${zone}-point`, type: 'circle', source: 'eval-zones', filter: point,
      paint: {
        'circle-color': ZONE_COLOURS[zone], 'circle-radius': radius(key), 'circle-opacity': zone === 'ring' ? 0.16 : 0.28,
        'circle-stroke-color': ZONE_COLOURS[zone], 'circle-stroke-width': 1.5, 'circle-stroke-opacity': 0.9,
      },
    }, before);
  }
}

/** Draws (or, with no result, takes off) the evaluated initiative's zones and control area. */
async function showEvaluationZones(feature, result) {
  const map = await appReady;
  ensureZoneLayers(map);
  const empty = { type: 'FeatureCollection', features: [] };
  if (!feature || !result) {
    map.getSource('eval-zones').setData(empty);
    map.getSource('eval-control').setData(empty);
    return;
  }
  const p = result.parameters ?? {};
  const buffer = Math.max(Number(p.buffer_m) || 0, 1);
  map.getSource('eval-zones').setData({ type: 'Feature', properties: { buffer_m: buffer, ring_m: Math.max(Number(p.ring_m) || buffer, buffer) }, geometry: feature.geometry });
  const control = (await map.getSource('districts').getData()).features.find((f) => (f.properties?.id ?? f.id) === p.control);
  map.getSource('eval-control').setData(control ? { type: 'Feature', properties: {}, geometry: control.geometry } : empty);
}

/** The key to the zones drawn on the map, in the evaluation's words. */
function zonesKey(r) {
  const p = r.parameters ?? {};
  const item = (zone, key, params) => el('li', {},
    el('span', { className: `zone-swatch zone-${zone}`, 'aria-hidden': 'true' }), ' ', el('span', { text: t(key, params) }));
  return el('ul', { className: 'zones-key', id: 'eval-zones-key' },
    item('buffer', 'evalZoneBuffer', { m: formatNumber(Number(p.buffer_m ?? 0)) }),
    item('ring', 'evalZoneRing', { from: formatNumber(Number(p.buffer_m ?? 0)), to: formatNumber(Number(p.ring_m ?? 0)) }),
    item('control', 'evalZoneControl', { name: controlName(r) }));
}

function renderEvaluation() {
  const { result: r, error } = ws.evaluation;
  const box = ws.ui.evalResult;
  if (error) {
    const key = error.status === 422 ? 'evalCannot' : 'wsLoadFailed';
    box.replaceChildren(text('h3', 'evalResultHeading', { tabindex: '-1', className: 'sr-only' }),
      el('p', { className: 'form-error', role: 'alert', text: t(key, { detail: error.message }) }));
    return;
  }
  if (!r) {
    box.replaceChildren(text('p', 'evalIntro', { className: 'note' }));
    return;
  }
  const p = r.parameters ?? {};
  const parts = [
    el('h3', { tabindex: '-1', className: 'eval-title', text: r.title ?? initiativeById(r.initiative)?.properties.title ?? '' }),
    el('p', { className: 'note eval-windows', text: t('evalWindows', { before: windowText(r.windows.before), after: windowText(r.windows.after) }) }),
  ];
  if (r.windows.shortened) parts.push(el('p', { className: 'ws-warning', text: t('evalShortened', { n: formatNumber(Number(p.months)) }) }));
  parts.push(
    el('div', { className: 'eval-headline', id: 'eval-ratio' },
      el('span', { className: 'eval-rr-label', text: t('evalRateRatio') }),
      el('strong', { className: 'eval-rr', text: ratio(r.rate_ratio) }),
      el('span', { className: 'eval-ci', text: t('evalInterval', { lo: ratio(r.ci_low), hi: ratio(r.ci_high) }) })),
    el('p', { className: 'eval-words', id: 'eval-words', text: effectText(r) }),
  );
  if (r.small_numbers) {
    parts.push(el('div', { className: 'ws-warning eval-small', role: 'note' },
      el('strong', { text: t('evalSmallTitle') }), ' ', el('span', { text: t('evalSmallText') })));
  }
  parts.push(zonesKey(r), evaluationFigure(r), countsTable(r), displacementBlock(r), nearbyBlock(r),
    el('details', { className: 'ws-details' }, text('summary', 'evalMethodSummary'),
      el('p', { text: t('evalMethodText', { months: formatNumber(Number(p.months)), buffer: formatNumber(Number(p.buffer_m)), ring: formatNumber(Number(p.ring_m)) }) }),
      el('p', { className: 'api-text', ...localText(r, 'method') })),
    noticeBox(r));
  box.replaceChildren(...parts.filter(Boolean));
}

function windowText([from, to]) {
  return `${formatDateTime(from, false)} – ${formatDateTime(to, false)}`;
}

/** The rate ratio in plain words: how big a change, and whether the data can tell it from chance. */
function effectText(r) {
  const rr = r.rate_ratio;
  const size = Math.abs(1 - rr) < 0.005 ? t('evalEffectNone')
    : t('evalEffect', { change: t(rr < 1 ? 'evalFewer' : 'evalMore', { pct: percent(Math.abs(1 - rr)) }) });
  const reading = r.ci_high < 1 ? 'evalClearFall' : r.ci_low > 1 ? 'evalClearRise' : 'evalUnclear';
  return `${size} ${t(reading, { lo: ratio(r.ci_low), hi: ratio(r.ci_high) })}`;
}

/** The monthly bins that lie in the two windows (a last bin that starts after them holds nothing). */
function monthlyBins(r) {
  const end = Date.parse(r.windows.after[1]);
  return (r.monthly ?? []).filter((m) => Date.parse(m.from) <= end);
}

/** The chart's frame in viewBox units (close to CSS pixels in the sheet, so its text stays legible). */
const EVAL_CHART = { W: 420, H: 210, M: { left: 30, right: 8, top: 22, bottom: 36 } };

/**
 * Incidents per month in the area, and the control scaled to the area's level before the start:
 * after the start the dashed line is what the area would have had if it had followed the control,
 * so the gap between the lines is what the rate ratio measures. One axis, one unit.
 */
function evaluationFigure(r) {
  const bins = monthlyBins(r);
  if (!bins.length) return null;
  const sum = (key, after) => bins.filter((m) => m.after === after).reduce((s, m) => s + (Number(m[key]) || 0), 0);
  const controlBefore = sum('control', false);
  const factor = controlBefore > 0 ? sum('area', false) / controlBefore : null;
  const series = {
    area: bins.map((m) => (m.area == null ? null : Number(m.area))),
    control: bins.map((m) => (m.control == null || factor == null ? null : Number(m.control) * factor)),
  };
  const scale = chartScale(bins, Object.values(series).flat());
  const desc = t('evalChartDesc', {
    before: formatNumber(sum('area', false)), after: formatNumber(sum('area', true)),
    expected: factor == null ? '–' : formatNumber(Math.round(sum('control', true) * factor)),
  });
  const { W, H } = EVAL_CHART;
  const svg = svgEl('svg', { class: 'eval-svg', id: 'eval-chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${t('evalChartTitle')}. ${desc}`, 'data-bins': bins.length },
    chartWindows(scale), chartAxes(scale));
  for (const [name, values] of Object.entries(series)) svg.append(chartSeries(name, values, scale));
  const buffer = formatNumber(Number(r.parameters?.buffer_m ?? 0));
  const legend = el('ul', { className: 'eval-legend' },
    el('li', {}, el('span', { className: 'eval-key area', 'aria-hidden': 'true' }), el('span', { text: t('evalLegendArea', { m: buffer }) })),
    el('li', {}, el('span', { className: 'eval-key control', 'aria-hidden': 'true' }),
      el('span', { text: factor == null ? t('evalLegendNoControl') : t('evalLegendControl', { name: controlName(r), f: formatDecimal(factor, 2) }) })));
  return el('figure', { className: 'eval-figure' },
    text('figcaption', 'evalChartTitle', { className: 'eval-caption' }), svg, legend,
    el('p', { className: 'note', text: t('evalChartNote') }));
}

/** Where the bins and values go: {x(i), y(v), slot, yMax, step, startIndex, middles}. */
function chartScale(bins, values) {
  const { W, H, M } = EVAL_CHART;
  const plotH = H - M.top - M.bottom;
  const maxValue = Math.max(1, ...values.filter((v) => v != null));
  const step = niceStep(maxValue);
  const yMax = Math.ceil(maxValue / step) * step;
  const slot = (W - M.left - M.right) / bins.length;
  return {
    x: (i) => M.left + (i + 0.5) * slot,
    y: (v) => M.top + plotH - (v / yMax) * plotH,
    slot,
    yMax,
    step,
    startIndex: Math.max(0, bins.findIndex((m) => m.after)),
    middles: bins.map((m, i) => middleOf(m, bins[i + 1])),
  };
}

/** The after window shaded, the two windows named, the start as a rule. */
function chartWindows({ slot, startIndex }) {
  const { W, H, M } = EVAL_CHART;
  const x0 = M.left + startIndex * slot;
  return svgEl('g', { class: 'eval-periods', 'aria-hidden': 'true' },
    svgEl('rect', { class: 'eval-after', x: x0, y: M.top, width: W - M.right - x0, height: H - M.top - M.bottom }),
    svgEl('text', { class: 'eval-window-label', x: x0 - 6, y: M.top - 8, 'text-anchor': 'end', text: t('evalBefore') }),
    svgEl('text', { class: 'eval-window-label', x: x0 + 6, y: M.top - 8, text: t('evalAfter') }),
    svgEl('line', { class: 'eval-start', x1: x0, x2: x0, y1: M.top - 4, y2: H - M.bottom }));
}

/** Grid lines with counts; month and year under every few bins, counted from the start. */
function chartAxes({ x, y, yMax, step, startIndex, middles }) {
  const { W, H, M } = EVAL_CHART;
  const axis = svgEl('g', { class: 'trend-axis', 'aria-hidden': 'true' });
  for (let v = 0; v <= yMax; v += step) {
    axis.append(
      svgEl('line', { x1: M.left, x2: W - M.right, y1: y(v), y2: y(v), class: v === 0 ? 'baseline' : 'grid' }),
      svgEl('text', { x: M.left - 4, y: y(v) + 3.5, 'text-anchor': 'end', text: formatNumber(v) }),
    );
  }
  const every = middles.length <= 13 ? 2 : middles.length <= 25 ? 3 : 6;
  const part = (date, options) => new Intl.DateTimeFormat(t('locale'), { ...options, timeZone: 'Europe/Copenhagen' }).format(date);
  middles.forEach((date, i) => {
    if ((i - startIndex) % every !== 0) return;
    axis.append(
      svgEl('text', { x: x(i), y: H - M.bottom + 14, 'text-anchor': 'middle', text: part(date, { month: 'short' }).replace(/\.$/, '') }),
      svgEl('text', { x: x(i), y: H - M.bottom + 27, 'text-anchor': 'middle', class: 'year', text: part(date, { year: 'numeric' }) }),
    );
  });
  return axis;
}

/** One series as a line with a mark per month (dots for the area, squares for the control). */
function chartSeries(name, values, { x, y, middles }) {
  const group = svgEl('g', { class: `eval-series eval-${name}` }, svgEl('path', { d: linePath(values.map((v, i) => (v == null ? null : [x(i), y(v)]))) }));
  values.forEach((v, i) => {
    if (v == null) return;
    const month = new Intl.DateTimeFormat(t('locale'), { month: 'long', year: 'numeric', timeZone: 'Europe/Copenhagen' }).format(middles[i]);
    const mark = name === 'area'
      ? svgEl('circle', { cx: x(i), cy: y(v), r: 3 })
      : svgEl('rect', { x: x(i) - 2.5, y: y(v) - 2.5, width: 5, height: 5 });
    mark.append(svgEl('title', { text: t(name === 'area' ? 'evalPointArea' : 'evalPointControl', { month, n: name === 'area' ? formatNumber(v) : formatDecimal(v, 1) }) }));
    group.append(mark);
  });
  return group;
}

/** The middle of a monthly bin (the API's months are 1/12 of a year long, not calendar months). */
function middleOf(bin, next) {
  const from = Date.parse(bin.from);
  const to = next ? Date.parse(next.from) : from + 30.44 * 86400e3;
  return new Date((from + to) / 2);
}

/** An SVG path through points, with a gap where a point is null. */
function linePath(points) {
  let d = '';
  let pen = false;
  for (const point of points) {
    if (!point) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${point[0].toFixed(1)},${point[1].toFixed(1)}`;
    pen = true;
  }
  return d;
}

function controlName(r) {
  const option = [...ws.ui.evalParams.control.options].find((o) => o.value === r.parameters?.control);
  return option?.textContent ?? String(r.parameters?.control ?? '');
}

const countText = (n) => (n == null ? t('countSuppressed', { n: formatNumber(3) }) : formatNumber(n));

function changeText(before, after) {
  if (before == null || after == null || before === 0) return '–';
  const change = after / before - 1;
  return `${change > 0 ? '+' : change < 0 ? '−' : '±'}${percent(Math.abs(change))}`;
}

function countsTable(r) {
  const p = r.parameters ?? {};
  const rows = [
    ['area', t('evalRowArea', { m: formatNumber(Number(p.buffer_m)) })],
    ['ring', t('evalRowRing', { from: formatNumber(Number(p.buffer_m)), to: formatNumber(Number(p.ring_m)) })],
    ['control', controlName(r)],
  ];
  return el('table', { className: 'summary-table eval-counts' },
    text('caption', 'evalCountsCaption'),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: t('evalWhere') }), el('th', { scope: 'col', className: 'num', text: t('evalBefore') }),
      el('th', { scope: 'col', className: 'num', text: t('evalAfter') }), el('th', { scope: 'col', className: 'num', text: t('evalChange') }))),
    el('tbody', {}, ...rows.map(([key, label]) => {
      const c = r.counts?.[key] ?? {};
      return el('tr', { 'data-row': key }, el('th', { scope: 'row', text: label }),
        el('td', { className: 'num', text: countText(c.before) }), el('td', { className: 'num', text: countText(c.after) }),
        el('td', { className: 'num', text: changeText(c.before, c.after) }));
    })));
}

function displacementBlock(r) {
  const d = r.displacement;
  if (!d) return null;
  const key = d.ci_low > 1 ? 'evalDisplacement' : d.ci_high < 1 ? 'evalDiffusion' : 'evalNoDisplacement';
  return el('section', { className: 'eval-block' },
    text('h4', 'evalDisplacementHeading'),
    el('p', { text: t(key) }),
    el('p', { className: 'note', text: t('evalRatioLine', { rr: ratio(d.rate_ratio), lo: ratio(d.ci_low), hi: ratio(d.ci_high) }) }),
    d.small_numbers ? el('p', { className: 'note', text: t('evalRingSmall') }) : null);
}

function nearbyBlock(r) {
  const rating = (o) => (o?.n ? t('evalRating', { mean: formatDecimal(Number(o.mean), 1), n: formatNumber(o.n) }) : t('evalNoRatings'));
  const list = el('dl', { className: 'eval-nearby' },
    el('dt', { text: t('evalRatingsBefore') }), el('dd', { text: rating(r.observations?.before) }),
    el('dt', { text: t('evalRatingsAfter') }), el('dd', { text: rating(r.observations?.after) }),
    el('dt', { text: t('evalReports') }), el('dd', { text: t('evalBeforeAfter', { before: countText(r.reports?.before), after: countText(r.reports?.after) }) }));
  return el('section', { className: 'eval-block' }, text('h4', 'evalNearbyHeading'), list,
    el('p', { className: 'note', text: t('evalNearbyNote', { m: formatNumber(Number(r.parameters?.buffer_m ?? 0)) }) }));
}

// ---------------------------------------------------------------------------------------------
// Goals tab
// ---------------------------------------------------------------------------------------------

const GOAL_STATUS_ICONS = { on_track: '✓', off_track: '✗', no_data: '–' };

function buildGoals(panel) {
  ws.ui.goalsMessage = el('p', { className: 'planner-message', id: 'goals-message', role: 'status', tabindex: '-1' });
  ws.ui.goalsRule = el('div', { className: 'goals-rule' });
  ws.ui.goalsList = el('ol', { className: 'goal-cards', id: 'goal-cards' });
  ws.ui.goalsNotice = el('div', {});
  panel.append(ws.ui.goalsMessage, ws.ui.goalsRule, ws.ui.goalsList, ws.ui.goalsNotice);
}

async function loadGoals() {
  try {
    ws.goals = await ws.ctx.api('api/goals');
  } catch (error) {
    ws.ui.goalsMessage.textContent = t('wsLoadFailed', { detail: error.message });
    return;
  }
  renderGoals();
  if (ws.form) renderGoalChoices(ws.form.fields.goals);
}

function renderGoals() {
  const data = ws.goals;
  if (!data) {
    ws.ui.goalsList.replaceChildren(el('li', { className: 'note', text: t('goalsLoading') }));
    return;
  }
  const lang = currentLanguage();
  // The cards are built anew: the sections a planner had open stay open.
  const open = new Set([...ws.ui.goalsList.querySelectorAll('details[open][data-key]')].map((d) => d.dataset.key));
  ws.ui.goalsRule.replaceChildren(
    el('details', { className: 'ws-details' }, text('summary', 'goalsRuleHeading'), el('p', { text: data[`status_rule_${lang}`] ?? data.status_rule_en ?? '' })));
  ws.ui.goalsList.replaceChildren(...(data.goals ?? []).map(goalCard));
  for (const details of ws.ui.goalsList.querySelectorAll('details[data-key]')) details.open = open.has(details.dataset.key);
  ws.ui.goalsNotice.replaceChildren(noticeBox(data) ?? '');
}

function goalCard(goal) {
  const lang = currentLanguage();
  const headingId = `goal-title-${goal.id}`;
  const unit = goal[`unit_${lang}`] ?? goal.unit_en ?? '';
  const badge = el('span', { className: `goal-status goal-${goal.status}`, 'data-status': goal.status },
    el('span', { className: 'goal-status-icon', 'aria-hidden': 'true', text: GOAL_STATUS_ICONS[goal.status] ?? '?' }),
    el('span', { text: t(`goalStatus_${goal.status}`) }));
  const card = el('li', { className: 'goal-card', 'data-goal-id': goal.id, 'aria-labelledby': headingId },
    el('div', { className: 'goal-head' },
      el('p', { className: 'goal-number', text: t('goalId', { id: goal.id, c: goal.challenge }) }),
      badge),
    el('h3', { id: headingId, text: goalTitle(goal) }),
    el('p', { className: 'goal-meta', text: [goal.owner, unit].filter(Boolean).join(' · ') }),
    goalChart(goal, unit),
    el('p', { className: 'goal-reason', text: goal[`status_reason_${lang}`] ?? goal.status_reason_en ?? '' }));
  const facts = [];
  if (goal.target != null) facts.push(t('goalTarget', { v: goalValue(goal.target, unit), dir: t(`goalDirection_${goal.direction}`) }));
  else facts.push(t('goalNoTarget', { dir: t(`goalDirection_${goal.direction}`) }));
  if (goal.reference) facts.push(t('goalReference', { v: goalValue(goal.reference.value, unit), period: goal.reference.period }));
  if (goal.latest) facts.push(t('goalLatest', { v: goalValue(goal.latest.value, unit), period: goal.latest.period }));
  card.append(el('p', { className: 'note goal-facts', text: facts.join(' · ') }));
  const linked = (goal.initiatives ?? []).map((id) => initiativeById(id)?.properties.title ?? `#${id}`);
  if (linked.length) card.append(el('p', { className: 'note', text: t('goalInitiatives', { list: linked.join(', ') }) }));
  if (goal.how) card.append(el('details', { className: 'ws-details', 'data-key': `${goal.id}-how` }, text('summary', 'goalHow'), el('p', { className: 'api-text', ...localText(goal, 'how') })));
  if (goal.measure === 'entered') card.append(measurementForm(goal), measurementList(goal));
  return card;
}

const goalValue = (v, unit) => (v == null ? '–' : `${formatNumber(v)}${unit === '%' ? ' %' : ''}`);

/** Where a period lies on a time axis in years: "2012" at mid-year, "2012-H1" a quarter in. */
function periodPosition(period) {
  const [year, half] = String(period).split('-');
  return Number(year) + (half === 'H1' ? 0.25 : half === 'H2' ? 0.75 : 0.5);
}

/** A goal's values over time, with its target as a dashed line; hollow dots for partial periods. */
function goalChart(goal, unit) {
  const values = (goal.values ?? []).filter((v) => v.value != null).sort((a, b) => periodPosition(a.period) - periodPosition(b.period));
  if (!values.length) return text('p', 'goalNoValues', { className: 'goal-chart-empty' });
  const W = 300;
  const H = 110;
  const M = { left: 34, right: 12, top: 10, bottom: 22 };
  const years = values.map((v) => periodPosition(v.period));
  const x0 = Math.floor(Math.min(...years));
  const x1 = Math.floor(Math.max(...years)) + 1;
  const numbers = values.map((v) => Number(v.value));
  if (goal.target != null) numbers.push(Number(goal.target));
  const lo = Math.min(0, ...numbers);
  const step = niceStep(Math.max(...numbers) - lo || 1);
  const hi = Math.ceil(Math.max(...numbers, lo + step) / step) * step;
  const x = (year) => M.left + ((year - x0) / (x1 - x0)) * (W - M.left - M.right);
  const y = (v) => M.top + (1 - (v - lo) / (hi - lo)) * (H - M.top - M.bottom);
  const label = t('goalChartLabel', {
    values: values.map((v) => `${v.period}: ${goalValue(v.value, unit)}`).join(', '),
    target: goal.target == null ? t('goalNoTargetShort') : goalValue(goal.target, unit),
  });
  const svg = svgEl('svg', { class: 'goal-svg', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label });
  const axis = svgEl('g', { class: 'trend-axis', 'aria-hidden': 'true' });
  for (let v = lo; v <= hi + 1e-9; v += step) {
    axis.append(svgEl('line', { x1: M.left, x2: W - M.right, y1: y(v), y2: y(v), class: v === lo ? 'baseline' : 'grid' }),
      svgEl('text', { x: M.left - 4, y: y(v) + 3.5, 'text-anchor': 'end', text: formatNumber(v) }));
  }
  // Each year's label under the middle of its year, where a whole year's value sits.
  for (let year = x0; year < x1; year += 1) {
    if (x1 - x0 > 6 && (year - x0) % 2) continue;
    axis.append(svgEl('text', { x: x(year + 0.5), y: H - 6, 'text-anchor': 'middle', text: String(year) }));
  }
  svg.append(axis);
  if (goal.target != null) {
    svg.append(svgEl('line', { class: 'goal-target', x1: M.left, x2: W - M.right, y1: y(goal.target), y2: y(goal.target) }),
      svgEl('text', { class: 'goal-target-label', x: M.left + 4, y: y(goal.target) - 4, text: t('goalTargetShort', { v: goalValue(goal.target, unit) }) }));
  }
  const line = svgEl('g', { class: 'goal-series' }, svgEl('path', { d: linePath(values.map((v) => [x(periodPosition(v.period)), y(Number(v.value))])) }));
  for (const v of values) {
    line.append(svgEl('circle', { cx: x(periodPosition(v.period)), cy: y(Number(v.value)), r: 3.5, class: v.partial ? 'partial' : '' },
      svgEl('title', { text: `${v.period}: ${goalValue(v.value, unit)}${v.partial ? ` (${t('goalPartial')})` : ''}` })));
  }
  svg.append(line);
  return el('figure', { className: 'goal-chart' }, svg);
}

/** "Add a measurement": period, value and note, or a CSV file of them. */
function measurementForm(goal) {
  const period = el('input', { id: `goal-${goal.id}-period`, type: 'text', inputmode: 'text', autocomplete: 'off', placeholder: '2013 / 2013-H1', size: '10' });
  const value = el('input', { id: `goal-${goal.id}-value`, type: 'number', step: 'any', inputmode: 'decimal' });
  const note = el('input', { id: `goal-${goal.id}-note`, type: 'text', maxlength: '500', autocomplete: 'off' });
  const fields = {
    period: labelled('goalPeriod', period),
    value: labelled('goalValue', value),
    note: labelled('goalNote', note, { optional: true }),
  };
  // The period's hint under the row, so the two fields line up.
  const hint = text('p', 'goalPeriodHint', { className: 'hint goal-period-hint', id: `${period.id}-hint` });
  period.setAttribute('aria-describedby', hint.id);
  fields.period.hintId = hint.id;
  const save = el('button', { type: 'submit', className: 'btn btn-primary btn-small' }, text('span', 'goalAdd'));
  const form = el('form', { className: 'goal-form', novalidate: '' },
    el('div', { className: 'field-grid' }, fields.period.element, fields.value.element), hint, fields.note.element, save);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    for (const f of Object.values(fields)) setFieldError(f, null);
    const problems = [];
    if (!period.value.trim()) problems.push([fields.period, t('goalPeriodMissing')]);
    if (value.value === '' || !Number.isFinite(Number(value.value))) problems.push([fields.value, t('goalValueMissing')]);
    for (const [f, message] of problems) setFieldError(f, message);
    if (problems.length) {
      problems[0][0].controls[0].focus();
      return;
    }
    const body = { period: period.value.trim(), value: Number(value.value) };
    if (note.value.trim()) body.note = note.value.trim();
    await sendMeasurements(goal, { body }, save, (error) => {
      const target = fields[fieldName(error.field)] ?? fields.value;
      setFieldError(target, problemText(error));
      target.controls[0].focus();
    });
  });

  const file = el('input', { id: `goal-${goal.id}-csv`, type: 'file', accept: '.csv,text/csv' });
  const fileField = labelled('goalCsv', file, { hintKey: 'goalCsvHint' });
  const upload = el('button', { type: 'submit', className: 'btn btn-secondary btn-small' }, text('span', 'goalUpload'));
  const csvForm = el('form', { className: 'goal-form goal-csv', novalidate: '' }, fileField.element, upload);
  csvForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    setFieldError(fileField, null);
    const chosen = file.files?.[0];
    if (!chosen) {
      setFieldError(fileField, t('goalCsvMissing'));
      file.focus();
      return;
    }
    await sendMeasurements(goal, { body: await chosen.text(), contentType: 'text/csv' }, upload, (error) => {
      setFieldError(fileField, problemText(error));
      file.focus();
    });
  });
  return el('details', { className: 'ws-details goal-add', 'data-key': `${goal.id}-add` }, text('summary', 'goalAddHeading'), form, csvForm);
}

async function sendMeasurements(goal, request, control, onFieldError) {
  control.disabled = true;
  try {
    const answer = await ws.ctx.api(`api/goals/${encodeURIComponent(goal.id)}/measurements`, { method: 'POST', ...request });
    await loadGoals();
    ws.ui.goalsMessage.textContent = plural('goalSaved', Number(answer?.stored ?? 1), { id: goal.id });
    ws.ui.goalsList.querySelector(`[data-goal-id="${goal.id}"]`)?.scrollIntoView({ block: 'nearest' });
    ws.ui.goalsMessage.focus({ preventScroll: true });
  } catch (error) {
    onFieldError(error);
  } finally {
    if (control.isConnected) control.disabled = false;
  }
}

/** The entered values with a delete button each. */
function measurementList(goal) {
  const values = (goal.values ?? []).slice().sort((a, b) => periodPosition(a.period) - periodPosition(b.period));
  if (!values.length) return '';
  const rows = values.map((v) => {
    const remove = el('button', { type: 'button', className: 'btn btn-small btn-secondary', 'aria-label': t('goalDeleteValue', { period: v.period }) }, text('span', 'goalDelete'));
    remove.addEventListener('click', async () => {
      remove.disabled = true;
      try {
        await ws.ctx.api(`api/goals/${encodeURIComponent(goal.id)}/measurements/${encodeURIComponent(v.period)}`, { method: 'DELETE' });
        await loadGoals();
        ws.ui.goalsMessage.textContent = t('goalDeleted', { period: v.period, id: goal.id });
        ws.ui.goalsMessage.focus({ preventScroll: true });
      } catch (error) {
        ws.ui.goalsMessage.textContent = t('wsActionFailed', { detail: error.message });
        remove.disabled = false;
      }
    });
    return el('tr', {}, el('th', { scope: 'row', text: v.period }), el('td', { className: 'num', text: formatNumber(v.value) }),
      el('td', { text: [v.note, v.source].filter(Boolean).join(' · ') }), el('td', {}, remove));
  });
  return el('details', { className: 'ws-details', 'data-key': `${goal.id}-values` }, text('summary', 'goalValuesHeading'),
    el('table', { className: 'summary-table goal-values' }, el('tbody', {}, ...rows)));
}

// ---------------------------------------------------------------------------------------------
// Where to act
// ---------------------------------------------------------------------------------------------

function buildWhere(panel) {
  const toggle = el('input', { type: 'checkbox', id: 'where-toggle', role: 'switch' });
  toggle.addEventListener('change', () => setWhere(toggle.checked));
  const months = el('select', { id: 'where-months' });
  months.addEventListener('change', () => ws.where.on && loadWhere());
  ws.ui.where = {
    toggle,
    months,
    message: el('p', { className: 'planner-message', role: 'status', id: 'where-message' }),
    list: el('ol', { className: 'where-list', id: 'where-list' }),
    info: el('div', { className: 'where-info' }),
  };
  panel.append(
    text('p', 'whereIntro', { className: 'note' }),
    el('div', { className: 'where-controls' },
      el('label', { className: 'choice where-switch', for: 'where-toggle' }, toggle, text('span', 'whereToggle', { className: 'choice-name' })),
      labelled('whereMonths', months).element),
    whereLegend(),
    ws.ui.where.message, ws.ui.where.list, ws.ui.where.info);
  renderWhereOptions();
}

function renderWhereOptions() {
  const node = ws.ui.where.months;
  const value = node.value || '24';
  node.replaceChildren(...WHERE_MONTHS.map((m) => el('option', { value: String(m), text: t('whereMonthsN', { n: m }) })));
  node.value = value;
}

function whereLegend() {
  const ramp = el('div', { className: 'ramp where-ramp', 'aria-hidden': 'true' });
  ramp.style.setProperty('--ramp', whereGradient());
  return el('div', { className: 'legend-block where-legend' }, text('h3', 'whereLegend'), ramp,
    el('div', { className: 'ramp-labels' }, text('span', 'whereLow'), text('span', 'whereHigh')));
}

const whereGradient = () => `linear-gradient(90deg, ${WHERE_STOPS.map(([stop, colour]) => `${colour} ${stop * 100}%`).join(', ')})`;

function addWhereLayers(map) {
  map.addSource('where-to-act', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  const score = ['to-number', ['get', 'score'], 0];
  const under = map.getLayer('initiatives-fill') ? 'initiatives-fill' : undefined;
  map.addLayer({
    id: 'where-fill',
    type: 'fill',
    source: 'where-to-act',
    layout: { visibility: 'none' },
    paint: { 'fill-color': ['interpolate', ['linear'], score, ...WHERE_STOPS.flat()], 'fill-opacity': 0.85 },
  }, under);
  map.addLayer({
    id: 'where-line',
    type: 'line',
    source: 'where-to-act',
    layout: { visibility: 'none', 'line-join': 'round' },
    paint: { 'line-color': '#ffffff', 'line-width': 1.5 },
  }, under);
  // The focused cell's outline on top of its neighbours' (filtered to it by focusCell).
  map.addLayer({
    id: 'where-focus',
    type: 'line',
    source: 'where-to-act',
    filter: ['==', ['get', 'cell'], ''],
    layout: { visibility: 'none', 'line-join': 'round' },
    paint: { 'line-color': '#1d2733', 'line-width': 4 },
  }, under);
  map.on('mouseenter', 'where-fill', () => map.getCanvas().classList.add('pointer'));
  map.on('mouseleave', 'where-fill', () => map.getCanvas().classList.remove('pointer'));
}

async function setWhere(on) {
  ws.where.on = on;
  ws.ui.where.toggle.checked = on;
  const map = await appReady;
  for (const id of ['where-fill', 'where-line', 'where-focus']) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
  for (const block of document.querySelectorAll('.legend-where')) block.hidden = !on;
  if (on) {
    await loadWhere();
    const cells = ws.where.data?.features ?? [];
    if (cells.length) map.fitBounds(geometryBounds({ type: 'MultiPolygon', coordinates: cells.map((f) => f.geometry.coordinates) }), { padding: 40, maxZoom: 16 });
  } else {
    setWhereMarkers([]);
    focusCell(null);
  }
}

async function loadWhere() {
  const ui = ws.ui.where;
  ui.message.textContent = t('whereLoading');
  ui.list.setAttribute('aria-busy', 'true');
  try {
    ws.where.data = await ws.ctx.api('api/where-to-act', { query: { resolution: 10, months: ui.months.value, limit: WHERE_LIMIT } });
    ui.message.textContent = '';
  } catch (error) {
    ws.where.data = null;
    ui.message.textContent = t('wsLoadFailed', { detail: error.message });
  } finally {
    ui.list.removeAttribute('aria-busy');
  }
  const map = await appReady;
  map.getSource('where-to-act').setData(ws.where.data ?? { type: 'FeatureCollection', features: [] });
  renderWhere();
}

const cellOf = (feature) => String(feature.properties.cell ?? feature.id);

function renderWhere() {
  const { data, on } = ws.where;
  const ui = ws.ui.where;
  const features = on && data ? data.features : [];
  ui.list.replaceChildren(...features.map((feature, i) => whereItem(feature, features[i - 1])));
  if (on && data && !features.length) ui.list.append(el('li', { className: 'note', text: t('whereNone') }));
  ui.info.replaceChildren(...(on && data ? [
    el('p', { className: 'note where-ties', text: t('whereTies') }),
    el('details', { className: 'ws-details' }, text('summary', 'whereMethod'), el('p', { className: 'api-text', ...localText(data, 'method') })),
    noticeBox(data),
  ] : []).filter(Boolean));
  setWhereMarkers(features);
  if (ws.where.focused) focusCell(ws.where.focused, { move: false });
}

/** A cell's reasons in the page's language. */
function reasonsOf(p) {
  return p[`reasons_${currentLanguage()}`] ?? p.reasons_en ?? [];
}

/**
 * Why a place ranks below one with the same score: the API breaks ties by more incidents in the
 * evening and at night (18–06), then by the cell's id (so the order never changes by chance).
 */
function tieText(p, above) {
  if (!above || Number(above.properties.score) !== Number(p.score)) return null;
  const a = Number(above.properties.evening_night_incidents);
  const b = Number(p.evening_night_incidents);
  const params = { n: formatNumber(Number(above.properties.rank)), a: formatNumber(a), b: formatNumber(b) };
  return t(Number.isFinite(a) && Number.isFinite(b) && a !== b ? 'whereTieNight' : 'whereTieCell', params);
}

function whereItem(feature, above = null) {
  const p = feature.properties;
  const tie = tieText(p, above);
  const cell = cellOf(feature);
  const scoreBar = el('span', { className: 'where-bar', 'aria-hidden': 'true' }, el('span', { className: 'where-bar-fill' }));
  scoreBar.firstChild.style.setProperty('--score', String(Math.max(0, Math.min(1, Number(p.score) || 0))));
  const linked = (p.initiatives ?? []).map((id) => initiativeById(id)?.properties.title ?? `#${id}`);
  const show = button('whereShow', 'btn btn-small btn-secondary where-show');
  show.addEventListener('click', () => focusCell(cell));
  const create = button('whereNewInitiative', 'btn btn-small btn-secondary where-new');
  create.addEventListener('click', () => newInitiativeAt(feature));
  return el('li', { className: 'where-item', 'data-cell': cell, tabindex: '-1' },
    el('div', { className: 'where-head' },
      el('span', { className: 'where-rank', text: formatNumber(Number(p.rank)) }),
      el('span', { className: 'where-score' }, text('span', 'whereScore'), ' ', el('strong', { text: formatDecimal(Number(p.score), 2) })),
      scoreBar),
    el('ul', { className: 'where-reasons' }, ...reasonsOf(p).map((reason) => el('li', { text: reason }))),
    tie ? el('p', { className: 'note where-tie', text: tie }) : null,
    linked.length ? el('p', { className: 'note', text: t('whereLinked', { list: linked.join(', ') }) }) : null,
    el('div', { className: 'button-row' }, show, create));
}

/** Rank numbers on the map (HTML markers: the map has no glyph server for text layers). */
function setWhereMarkers(features) {
  for (const marker of ws.where.markers) marker.remove();
  ws.where.markers = features.map((feature) => {
    const node = el('div', { className: 'where-marker', 'aria-hidden': 'true', text: formatNumber(Number(feature.properties.rank)) });
    return new maplibregl.Marker({ element: node }).setLngLat(geometryCentre(feature.geometry)).addTo(window.hotspotMap);
  });
}

/** Marks a cell on the map and in the list; `move` also brings it into view. */
function focusCell(cell, { move = true } = {}) {
  const map = window.hotspotMap;
  ws.where.focused = cell;
  map.setFilter('where-focus', ['==', ['get', 'cell'], cell ?? '']);
  for (const item of ws.ui.where?.list.querySelectorAll('.where-item') ?? []) {
    const on = item.dataset.cell === cell;
    item.classList.toggle('focused', on);
    if (on) item.setAttribute('aria-current', 'true');
    else item.removeAttribute('aria-current');
  }
  if (!cell) return;
  const feature = ws.where.data?.features.find((f) => cellOf(f) === cell);
  if (move && feature) map.easeTo({ center: geometryCentre(feature.geometry), zoom: Math.max(map.getZoom(), 16) });
}

/** Popup items for a where-to-act cell under a click; the cell is focused in the list too. */
function whereUnder(map, event) {
  if (!ws.where.on || !map.getLayer('where-fill')) return [];
  const feature = map.queryRenderedFeatures(event.point, { layers: ['where-fill'] })[0];
  if (!feature) return [];
  const cell = cellOf(feature);
  focusCell(cell, { move: false });
  const item = ws.ui.where.list.querySelector(`[data-cell="${cell}"]`);
  if (item && ws.tab === 'where') {
    item.scrollIntoView({ block: 'nearest' });
  }
  const full = ws.where.data?.features.find((f) => cellOf(f) === cell) ?? feature;
  const p = full.properties;
  const create = button('whereNewInitiative', 'btn btn-small btn-secondary');
  create.addEventListener('click', () => {
    closePopup();
    newInitiativeAt(full);
  });
  return [el('div', { className: 'popup-item popup-where' },
    el('h3', {}, el('span', { text: t('whereRank', { n: formatNumber(Number(p.rank)), s: formatDecimal(Number(p.score), 2) }) })),
    el('ul', { className: 'where-reasons' }, ...reasonsOf(p).map((reason) => el('li', { text: reason }))),
    el('div', { className: 'button-row' }, create))];
}

/** A new initiative whose area starts as the cell's hexagon, described by its reasons. */
function newInitiativeAt(feature) {
  ws.ctx.openTab('initiatives');
  openInitiativeForm(null, { geometry: feature.geometry, properties: { description: reasonsOf(feature.properties).join('\n') } });
}

// ---------------------------------------------------------------------------------------------
// Status report
// ---------------------------------------------------------------------------------------------

function buildReport(panel) {
  // Every year the data cover, this one included (resident reports are dated now); the last
  // year with incidents first chosen. The metadata may still be on its way: filled once in.
  const year = el('select', { id: 'status-report-year' });
  const fillYears = () => {
    const { years, lastData } = dataYears();
    // The person's choice stays; otherwise the last year with incidents.
    const chosen = year.dataset.chosen ? year.value : String(lastData);
    year.replaceChildren(...years.map((y) => el('option', { value: String(y), text: String(y) })));
    year.value = years.includes(Number(chosen)) ? chosen : String(lastData);
  };
  fillYears();
  appReady.then(fillYears);
  year.addEventListener('change', () => { year.dataset.chosen = '1'; });
  const radios = (name, values, checked) => el('div', { className: 'choice-row' }, ...values.map((value) => {
    const id = `status-report-${name}-${value}`;
    const input = el('input', { type: 'radio', name: `status-report-${name}`, value, id });
    input.checked = value === checked;
    return el('label', { className: 'choice', for: id }, input, text('span', `statusReport_${name}_${value}`));
  }));
  const period = radios('period', ['full', 'h1'], 'full');
  const lang = radios('lang', ['da', 'en'], currentLanguage() === 'en' ? 'en' : 'da');
  const open = el('button', { type: 'submit', className: 'btn btn-primary', id: 'status-report-open' }, text('span', 'statusReportOpen'));
  const message = el('p', { className: 'planner-message', id: 'status-report-message', role: 'status' });
  const links = el('p', { className: 'note status-report-links' });
  ws.ui.reportLinks = links;
  const form = el('form', { className: 'status-report-form', novalidate: '' },
    text('p', 'statusReportIntro', { className: 'note' }),
    labelled('statusReportYear', year).element,
    el('fieldset', { className: 'field' }, text('legend', 'statusReportPeriod'), period),
    el('fieldset', { className: 'field' }, text('legend', 'statusReportLanguage'), lang),
    el('div', { className: 'form-actions' }, open), message, links);
  const params = () => ({
    year: year.value,
    period: period.querySelector('input:checked').value,
    lang: lang.querySelector('input:checked').value,
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    openReport(params(), { open, message, links });
  });
  panel.append(form);
}

/**
 * Fetches the report with the planner's token (it then includes unpublished initiatives) and saves
 * it as a file. It is not opened in a tab from here: a Blob document inherits this page's CSP, which
 * refuses the report's inline styles. The public edition is an ordinary link.
 */
async function openReport(params, { open, message, links }) {
  open.disabled = true;
  message.textContent = t('statusReportLoading');
  links.replaceChildren();
  try {
    const blob = await ws.ctx.api('api/status-report', { query: params, accept: 'text/html', blob: true });
    URL.revokeObjectURL(ws.reportUrl);
    ws.reportUrl = URL.createObjectURL(new Blob([blob], { type: 'text/html' }));
    const name = `hotspot-status-${params.year}-${params.period}-${params.lang}.html`;
    const save = el('a', { href: ws.reportUrl, download: name, id: 'status-report-file', text: t('statusReportSaveAgain', { name }) });
    save.click();
    message.textContent = t('statusReportSaved', { name });
    const publicUrl = appUrl('api/status-report');
    for (const [k, v] of Object.entries(params)) publicUrl.searchParams.set(k, v);
    links.replaceChildren(save, ' · ', el('a', { href: publicUrl.href, target: '_blank', rel: 'noopener', text: t('statusReportPublicLink') }));
  } catch (error) {
    message.textContent = t('statusReportFailed', { detail: error.message });
  } finally {
    open.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Hooks for planner.js
// ---------------------------------------------------------------------------------------------

/**
 * Builds the workspace tabs' contents into `panels` (tab name → element). `ctx`: {api(path,
 * options), signedIn(), openTab(name)} from planner.js.
 */
export function setupWorkspace(ctx, panels) {
  ws.ctx = ctx;
  buildInitiatives(panels.initiatives);
  buildEvaluation(panels.evaluation);
  buildGoals(panels.goals);
  buildWhere(panels.where);
  buildReport(panels.report);
  renderGoals();
  renderEvaluation();
}

/** The sheet's height on a phone for a workspace tab ('compact' | 'tall'). */
export const workspaceSheetSize = (name) => SHEET_SIZES[name];

/** Called whenever the sheet shows a tab (any tab; null when it closes). */
export function showWorkspaceTab(name) {
  ws.tab = name;
  if (name !== 'evaluation') showEvaluationZones(null, null);
  else if (ws.evaluation.result) showEvaluationZones(initiativeById(ws.evaluation.id), ws.evaluation.result);
  if (name === 'initiatives') drawing.resume();
  else drawing.pause();
  if (!signedIn()) return;
  if (name === 'initiatives' || name === 'evaluation') reloadInitiatives();
  // The districts (for the control) may have loaded since the last time.
  if (name === 'evaluation') renderEvaluationOptions();
  if (name === 'goals' || (name === 'initiatives' && !ws.goals)) loadGoals();
  if (name === 'evaluation' && ws.evaluation.id && !ws.evaluation.busy && String(ws.evaluation.result?.initiative) !== String(ws.evaluation.id)) runEvaluation();
}

/** After sign-in or sign-out: the map layer with or without unpublished initiatives. */
export function workspaceSignedIn(on) {
  reloadInitiatives();
  if (on) return;
  if (ws.form) closeInitiativeForm();
  if (ws.where.on) setWhere(false);
  // The secretariat's edition of the report holds unpublished initiatives: gone with the token.
  URL.revokeObjectURL(ws.reportUrl);
  ws.reportUrl = null;
  ws.ui.reportLinks?.replaceChildren();
  ws.goals = null;
  ws.evaluation = { id: null, result: null, error: null, busy: false };
  if (ws.ui.evalResult) renderEvaluation();
}

function onLanguage() {
  renderInitiativeLegend();
  setWhereMarkers([]);
  if (!ws.ctx) return;
  renderInitiativeList();
  renderEvaluationOptions();
  renderEvaluationChoice();
  renderEvaluation();
  renderGoals();
  renderWhereOptions();
  renderWhere();
  if (ws.form) {
    renderGoalChoices(ws.form.fields.goals);
    for (const [id, options] of [['ini-kind', KINDS.map((k) => [k, kindLabel(k)])], ['ini-status', STATUSES.map((s) => [s, statusLabel(s)])]]) {
      const node = ws.form.element.querySelector(`#${id}`);
      for (const [value, label] of options) node.querySelector(`option[value="${value}"]`).textContent = label;
    }
    renderDrawStatus();
  }
}

async function start() {
  onLanguageChange(onLanguage);
  const map = await appReady;
  addInitiativeLayers(map);
  addWhereLayers(map);
  setupInitiativeToggle(map);
  document.querySelector('#where-ramp-legend')?.style.setProperty('--ramp', whereGradient());
  addPopupProvider((event, box) => [...whereUnder(map, event), ...initiativesUnder(map, box)]);
  reloadInitiatives();
}

start();
