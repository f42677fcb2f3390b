// Resident reports (Open311 GeoReport v2): the "report an unsafe spot" form, its confirmation with
// possible duplicates and "me too", the follow view (`/?report=ID&key=KEY`), and the map layer of
// published reports with its popup and a "felt unsafe" heatmap.
//
// Also the pieces planner.js shares: the sheet (a panel over the map; a bottom sheet on phones),
// the point picker (tap the map, the device location, or the map centre under a crosshair), the
// services (report types) and the reports layer's reload.
//
// Every text a resident typed is put on the page with textContent, never as HTML. All texts of the
// page are in i18n.js.

import * as maplibregl from './vendor/maplibre-gl/maplibre-gl.js';
import {
  addPopupProvider, appReady, closePopup, currentLanguage, el, formatDateTime, formatNumber, nearestStreetName,
  onLanguageChange, setMapClickHandler, t,
} from './app.js';
import { lookupForm, myReports, myReportsList, onMyReportsChange, rememberReport } from './myreports.js';

// ---------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------

export const OPEN311 = {
  services: 'open311/v2/services.json',
  requests: 'open311/v2/requests.json',
  request: (id) => `open311/v2/requests/${encodeURIComponent(id)}.json`,
  meToo: (id) => `open311/v2/requests/${encodeURIComponent(id)}/me_too.json`,
};
const REPORTS_ITEMS = 'api/collections/reports/items';

const DESCRIPTION_MAX = 2000;
const TIMES_OF_DAY = ['day', 'evening', 'night'];
/** The zoom a placed or followed spot is shown at. */
const SPOT_ZOOM = 17;
/** Colour of published reports on the map (a pin; everything else on the map is round). */
const REPORT_COLOUR = '#b3135a';
/** "Felt unsafe" heatmap: ColorBrewer BuPu, unlike the incidents' yellow–red. */
const REPORT_HEAT_STOPS = [
  [0, 'rgba(237,248,251,0)'],
  [0.15, 'rgba(191,211,230,0.6)'],
  [0.35, '#9ebcda'],
  [0.55, '#8c96c6'],
  [0.75, '#8856a7'],
  [1, '#810f7c'],
];

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

/** A text node's element that follows the language (app.js fills every `data-i18n` on a change). */
export function text(tag, key, attrs = {}) {
  return el(tag, { ...attrs, 'data-i18n': key, text: t(key) });
}

let idCounter = 0;
export const uid = (prefix) => `${prefix}-${(idCounter += 1)}`;

/** The absolute URL of an app path (relative to the page, so a path prefix works). */
export const appUrl = (path) => new URL(path, document.baseURI);

/**
 * An Open311 error answer (`[{"code":400,"description":"lat: …"}]`) as {field, message}; the
 * field is the word before the first colon when it names a parameter.
 */
export function open311Error(body) {
  const first = Array.isArray(body) ? body[0] : body;
  const description = String(first?.description ?? first?.detail ?? '');
  const match = description.match(/^\s*([\w[\]]+)\s*:\s*(.*)$/s);
  return match ? { field: match[1], message: match[2] } : { field: null, message: description };
}

async function readJson(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

/** Minutes to wait from a `Retry-After` header (seconds or an HTTP date), at least 1. */
function retryMinutes(response) {
  const value = response.headers.get('Retry-After');
  let seconds = Number(value);
  if (!Number.isFinite(seconds)) seconds = (Date.parse(value) - Date.now()) / 1000;
  return Math.max(1, Math.ceil((Number.isFinite(seconds) ? seconds : 60) / 60));
}

// ---------------------------------------------------------------------------------------------
// Services (report types) and status words
// ---------------------------------------------------------------------------------------------

let services = [];
let servicesLoading = null;

/** The report types from `services.json`, loaded once. */
export function loadServices() {
  servicesLoading ??= fetch(appUrl(OPEN311.services), { headers: { Accept: 'application/json' } })
    .then((response) => {
      if (!response.ok) throw new Error(`${response.status}`);
      return response.json();
    })
    .then((list) => {
      services = Array.isArray(list) ? list : [];
      return services;
    })
    .catch((error) => {
      servicesLoading = null;
      throw error;
    });
  return servicesLoading;
}

/** A report type's name in the current language. */
export function serviceLabel(code) {
  const service = services.find((s) => s.service_code === code);
  if (!service) return code ?? '';
  return service[`service_name_${currentLanguage()}`] ?? service.service_name_en ?? service.service_name ?? code;
}

function serviceDescription(service) {
  return service[`description_${currentLanguage()}`] ?? service.description_en ?? service.description ?? '';
}

/** The words for a report's `detailed_status`. */
export const statusLabel = (status) => t(`reportStatus_${status}`);
export const timeOfDayLabel = (value) => (TIMES_OF_DAY.includes(value) ? t(`timeOfDay_${value}`) : '');

// ---------------------------------------------------------------------------------------------
// The sheet: a panel over the map (left on a laptop, a bottom sheet on a phone)
// ---------------------------------------------------------------------------------------------

const sheets = [];

/**
 * A non-modal dialog over the map: the map stays usable (to tap a spot) while it is open. Escape
 * or its close button closes it and gives the focus back to what opened it. While open, the map's
 * padding keeps the map's centre in the part of the map the sheet leaves free.
 */
export class Sheet {
  constructor({ id, titleKey, className = '' }) {
    this.titleKey = titleKey;
    this.title = text('h2', titleKey, { id: `${id}-title`, className: 'sheet-title', tabindex: '-1' });
    this.closeButton = el('button', { type: 'button', className: 'sheet-close', 'data-i18n-aria-label': 'close', 'aria-label': t('close') },
      el('span', { 'aria-hidden': 'true', text: '×' }));
    this.actions = el('div', { className: 'sheet-head-actions' });
    this.body = el('div', { className: 'sheet-body' });
    this.element = el('section', {
      id, className: `sheet ${className}`.trim(), role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': `${id}-title`, hidden: '',
    }, el('div', { className: 'sheet-head' }, this.title, this.actions, this.closeButton), this.body);
    this.closeButton.addEventListener('click', () => this.close());
    this.element.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && !event.defaultPrevented) {
        event.preventDefault();
        this.close();
      }
    });
    this.onClose = null;
    this.opener = null;
    document.querySelector('#map').append(this.element);
    new ResizeObserver(() => this.isOpen && updatePadding()).observe(this.element);
    sheets.push(this);
  }

  get isOpen() {
    return !this.element.hidden;
  }

  open(opener = document.activeElement, { focus = this.title } = {}) {
    for (const other of sheets) if (other !== this && other.isOpen) other.close({ restoreFocus: false });
    if (!this.isOpen) this.opener = opener instanceof HTMLElement ? opener : null;
    this.element.hidden = false;
    document.body.classList.add('sheet-open');
    closePopup();
    updatePadding();
    focus?.focus({ preventScroll: false });
  }

  close({ restoreFocus = true } = {}) {
    if (!this.isOpen) return;
    this.element.hidden = true;
    if (!sheets.some((s) => s.isOpen)) document.body.classList.remove('sheet-open');
    updatePadding();
    this.onClose?.();
    if (restoreFocus && this.opener?.isConnected) this.opener.focus();
  }
}

/** The map's padding: the part of the map an open sheet covers. */
function updatePadding() {
  const map = window.hotspotMap;
  if (!map) return;
  const open = sheets.find((s) => s.isOpen);
  const padding = { top: 0, bottom: 0, left: 0, right: 0 };
  if (open) {
    const mapBox = map.getContainer().getBoundingClientRect();
    const box = open.element.getBoundingClientRect();
    const phone = window.matchMedia('(max-width: 767px)').matches;
    if (phone) padding.bottom = Math.max(0, Math.min(mapBox.height - 80, mapBox.bottom - box.top));
    else padding.left = Math.max(0, Math.min(mapBox.width - 160, box.right - mapBox.left));
  }
  const current = map.getPadding();
  if (['top', 'bottom', 'left', 'right'].every((side) => Math.abs((current[side] ?? 0) - padding[side]) < 1)) return;
  map.easeTo({ padding, duration: window.matchMedia('(prefers-reduced-motion: reduce)').matches ? 0 : 250 });
}

window.addEventListener('resize', () => updatePadding());

// ---------------------------------------------------------------------------------------------
// The point picker: a tap on the map, the device location, or the map centre
// ---------------------------------------------------------------------------------------------

let crosshair = null;
let crosshairUsers = 0;

function positionCrosshair() {
  const map = window.hotspotMap;
  if (!map || !crosshair) return;
  const { x, y } = map.project(map.getCenter());
  crosshair.style.setProperty('--x', `${x}px`);
  crosshair.style.setProperty('--y', `${y}px`);
}

function showCrosshair(on) {
  crosshairUsers = Math.max(0, crosshairUsers + (on ? 1 : -1));
  if (!crosshair) {
    crosshair = el('div', { className: 'map-crosshair', 'aria-hidden': 'true', hidden: '' });
    document.querySelector('#map').append(crosshair);
    window.hotspotMap?.on('move', positionCrosshair);
    window.hotspotMap?.on('resize', positionCrosshair);
  }
  positionCrosshair();
  crosshair.hidden = crosshairUsers === 0;
}

/**
 * Lets a person choose one point: a tap or click on the map, "use my location" or "use the map
 * centre" (with the crosshair shown while that button has focus or no point is chosen). The point
 * is a draggable pin. `onChange(lngLat | null)` follows every change.
 */
export class PointPicker {
  constructor({ onChange, pinClass = 'pin-report', labelKey = 'pinLabel' }) {
    this.onChange = onChange;
    this.pinClass = pinClass;
    this.labelKey = labelKey;
    this.point = null;
    this.marker = null;
    this.active = false;
    this.crosshairShown = false;
  }

  /** Map clicks choose the point from now on (no popups) and the crosshair shows. */
  start() {
    if (this.active) return;
    this.active = true;
    setMapClickHandler((event) => this.set(event.lngLat));
    window.hotspotMap?.getCanvas().classList.add('picking');
    this.updateCrosshair();
  }

  /** Clicks go back to the popups; the pin stays unless `clear`. */
  stop({ clear = true } = {}) {
    if (this.active) setMapClickHandler(null);
    this.active = false;
    window.hotspotMap?.getCanvas().classList.remove('picking');
    if (clear) this.clear();
    this.setCrosshair(false);
  }

  clear() {
    this.point = null;
    this.marker?.remove();
    this.marker = null;
    this.updateCrosshair();
    this.onChange?.(null);
  }

  set(lngLat, { fly = false } = {}) {
    const map = window.hotspotMap;
    this.point = { lng: Number(lngLat.lng), lat: Number(lngLat.lat) };
    if (!this.marker) {
      const element = el('div', { className: `pin ${this.pinClass}`, role: 'img', 'aria-label': t(this.labelKey) });
      this.marker = new maplibregl.Marker({ element, anchor: 'bottom', draggable: true }).setLngLat(this.point).addTo(map);
      // A pin is not a tab stop: the form's buttons place it for keyboard users.
      element.removeAttribute('tabindex');
      this.marker.on('dragend', () => {
        const { lng, lat } = this.marker.getLngLat();
        this.point = { lng, lat };
        this.onChange?.(this.point);
      });
    } else {
      this.marker.setLngLat(this.point);
    }
    if (fly) map.easeTo({ center: this.point, zoom: Math.max(map.getZoom(), SPOT_ZOOM) });
    this.updateCrosshair();
    this.onChange?.(this.point);
  }

  useCentre() {
    this.set(window.hotspotMap.getCenter());
  }

  /** The device's position; resolves with an error text key, or null when the pin is placed. */
  useLocation() {
    return new Promise((resolve) => {
      if (!navigator.geolocation) {
        resolve('locationUnsupported');
        return;
      }
      navigator.geolocation.getCurrentPosition(
        (position) => {
          const lngLat = { lng: position.coords.longitude, lat: position.coords.latitude };
          const bounds = window.hotspotMap.getMaxBounds();
          if (bounds && !bounds.contains([lngLat.lng, lngLat.lat])) {
            resolve('locationOutside');
            return;
          }
          this.set(lngLat, { fly: true });
          resolve(null);
        },
        (error) => resolve(error.code === 1 ? 'locationDenied' : error.code === 3 ? 'locationTimeout' : 'locationUnavailable'),
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 },
      );
    });
  }

  /** The crosshair shows the map centre while the centre button has the focus or pointer. */
  watchCentreButton(button) {
    const on = () => { this.centreFocus = true; this.updateCrosshair(); };
    const off = () => { this.centreFocus = false; this.updateCrosshair(); };
    button.addEventListener('focus', on);
    button.addEventListener('blur', off);
    button.addEventListener('pointerenter', on);
    button.addEventListener('pointerleave', off);
  }

  updateCrosshair() {
    this.setCrosshair(this.active && (!this.point || Boolean(this.centreFocus)));
  }

  setCrosshair(on) {
    if (on === this.crosshairShown) return;
    this.crosshairShown = on;
    showCrosshair(on);
  }

  relabel() {
    this.marker?.getElement().setAttribute('aria-label', t(this.labelKey));
  }
}

/**
 * The "where" part of a form: a hint, the three ways to place the pin, and what was chosen.
 * Returns {element, picker, status, error, focusTarget}.
 */
export function locationField({ legendKey, hintKey, onChange, pinClass, labelKey }) {
  const status = el('p', { className: 'place-status', role: 'status', 'aria-live': 'polite' });
  const error = el('p', { className: 'field-error', id: uid('loc-error'), hidden: '' });
  const locate = el('button', { type: 'button', className: 'btn btn-secondary btn-locate' },
    el('span', { className: 'icon icon-locate', 'aria-hidden': 'true' }), text('span', 'useMyLocation'));
  const centre = el('button', { type: 'button', className: 'btn btn-secondary btn-centre' },
    el('span', { className: 'icon icon-crosshair', 'aria-hidden': 'true' }), text('span', 'useMapCentre'));
  const fieldset = el('fieldset', { className: 'field field-location' },
    text('legend', legendKey),
    text('p', hintKey, { className: 'hint' }),
    el('div', { className: 'button-row' }, locate, centre),
    status,
    error);
  const result = { element: fieldset, status, error, focusTarget: centre, locate, centre };
  const renderStatus = (point) => {
    fieldset.classList.toggle('placed', Boolean(point));
    status.replaceChildren();
    if (point) {
      // The street (or square) the spot is on, as people name places; the coordinates only
      // when no named street is near.
      const where = el('span', { className: 'place-name' });
      status.append(el('span', { className: 'place-ok', 'aria-hidden': 'true', text: '✓' }), ' ',
        el('span', { text: t('placeChosen') }), ' ', where);
      const request = (result.nameRequest = (result.nameRequest ?? 0) + 1);
      where.textContent = t('placeLooking');
      nearestStreetName(point).then((name) => {
        if (request !== result.nameRequest) return;
        where.replaceChildren(name
          ? el('strong', { text: t('placeNear', { street: name }) })
          : el('span', { className: 'coords', text: `${point.lat.toFixed(5)}, ${point.lng.toFixed(5)}` }));
        result.streetName = name;
      });
      setFieldError(result, null);
    } else {
      status.textContent = t('placeNone');
    }
  };
  const picker = new PointPicker({
    pinClass,
    labelKey,
    onChange: (point) => {
      renderStatus(point);
      onChange?.(point);
    },
  });
  result.picker = picker;
  result.render = () => {
    renderStatus(picker.point);
    picker.relabel();
  };
  picker.watchCentreButton(centre);
  centre.addEventListener('click', () => picker.useCentre());
  locate.addEventListener('click', async () => {
    locate.disabled = true;
    status.textContent = t('locating');
    const problem = await picker.useLocation();
    locate.disabled = false;
    if (problem) {
      renderStatus(picker.point);
      setFieldError(result, t(problem));
    }
  });
  renderStatus(null);
  return result;
}

/** Shows `message` (or nothing) under a field, and marks its control invalid for assistive tech. */
export function setFieldError(field, message) {
  field.error.hidden = !message;
  field.error.textContent = message ?? '';
  for (const control of field.controls ?? []) {
    if (message) {
      control.setAttribute('aria-invalid', 'true');
      control.setAttribute('aria-describedby', [field.hintId, field.error.id].filter(Boolean).join(' '));
    } else {
      control.removeAttribute('aria-invalid');
      if (field.hintId) control.setAttribute('aria-describedby', field.hintId);
      else control.removeAttribute('aria-describedby');
    }
  }
  field.element.classList.toggle('invalid', Boolean(message));
}

// ---------------------------------------------------------------------------------------------
// Published reports on the map
// ---------------------------------------------------------------------------------------------

/** Loads (again) the published reports onto their layer. */
export async function reloadReports() {
  const map = await appReady;
  try {
    const response = await fetch(appUrl(`${REPORTS_ITEMS}?limit=10000`), { headers: { Accept: 'application/geo+json, application/json' } });
    if (!response.ok) throw new Error(`${response.status}`);
    const data = await response.json();
    map.getSource('reports')?.setData(data);
    return data;
  } catch {
    return null; // the layer stays as it was; the rest of the map works
  }
}

/** A map-pin icon drawn on a canvas (no sprite server: CSP allows only this origin). */
function pinImage(colour) {
  const ratio = 2;
  const w = 26;
  const h = 34;
  const canvas = document.createElement('canvas');
  canvas.width = w * ratio;
  canvas.height = h * ratio;
  const c = canvas.getContext('2d');
  c.scale(ratio, ratio);
  const r = 11;
  const cx = w / 2;
  const cy = r + 2;
  c.beginPath();
  c.moveTo(cx, h - 1.5);
  c.bezierCurveTo(cx - 3, h - 9, cx - r, cy + 6, cx - r, cy);
  c.arc(cx, cy, r, Math.PI, 0);
  c.bezierCurveTo(cx + r, cy + 6, cx + 3, h - 9, cx, h - 1.5);
  c.closePath();
  c.fillStyle = colour;
  c.strokeStyle = '#ffffff';
  c.lineWidth = 2.2;
  c.fill();
  c.stroke();
  // An exclamation mark: something a resident flagged.
  c.fillStyle = '#ffffff';
  c.fillRect(cx - 1.6, cy - 6.5, 3.2, 8);
  c.beginPath();
  c.arc(cx, cy + 4.6, 1.8, 0, Math.PI * 2);
  c.fill();
  return { width: canvas.width, height: canvas.height, data: c.getImageData(0, 0, canvas.width, canvas.height).data };
}

function addReportLayers(map) {
  map.addSource('reports', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addImage('report-pin', pinImage(REPORT_COLOUR), { pixelRatio: 2 });
  // "Felt unsafe": where residents report, weighted by "me too"; under the incidents and pins.
  const under = map.getLayer('incidents-halo') ? 'incidents-halo' : undefined;
  map.addLayer({
    id: 'reports-heat',
    type: 'heatmap',
    source: 'reports',
    layout: { visibility: 'none' },
    paint: {
      'heatmap-weight': ['min', 3, ['+', 1, ['*', 0.5, ['to-number', ['get', 'me_too'], 0]]]],
      'heatmap-intensity': ['interpolate', ['linear'], ['zoom'], 11, 0.6, 16, 1.4],
      'heatmap-radius': ['interpolate', ['exponential', 2], ['zoom'], 11, 10, 14, 40, 17, 160],
      'heatmap-opacity': 0.75,
      'heatmap-color': ['interpolate', ['linear'], ['heatmap-density'], ...REPORT_HEAT_STOPS.flat()],
    },
  }, under);
  map.addLayer({
    id: 'reports-points',
    type: 'symbol',
    source: 'reports',
    layout: {
      'icon-image': 'report-pin',
      'icon-anchor': 'bottom',
      'icon-size': ['interpolate', ['linear'], ['zoom'], 11, 0.7, 14, 1, 17, 1.3],
      'icon-allow-overlap': true,
      'icon-ignore-placement': true,
    },
  });
  for (const id of ['reports-points']) {
    map.on('mouseenter', id, () => { map.getCanvas().classList.add('pointer'); });
    map.on('mouseleave', id, () => { map.getCanvas().classList.remove('pointer'); });
  }
}

function setupReportLayerToggles(map) {
  const points = document.querySelector('#layer-reports');
  const heat = document.querySelector('#layer-reports-heat');
  const apply = () => {
    if (points) map.setLayoutProperty('reports-points', 'visibility', points.checked ? 'visible' : 'none');
    if (heat) map.setLayoutProperty('reports-heat', 'visibility', heat.checked ? 'visible' : 'none');
    for (const item of document.querySelectorAll('.legend-reports-heat')) item.hidden = !heat?.checked;
  };
  points?.addEventListener('change', apply);
  heat?.addEventListener('change', apply);
  apply();
}

/** A definition list of [label key, value] pairs (values as text). */
function detailList(rows) {
  const list = el('dl', {});
  for (const [key, value] of rows) {
    if (value == null || value === '') continue;
    list.append(el('dt', { text: t(key) }), el('dd', {}, value instanceof Node ? value : document.createTextNode(String(value))));
  }
  return list;
}

/** A "me too" button for a published report; `onCount(n)` gets the new count. */
function meTooButton(id, onCount) {
  const button = el('button', { type: 'button', className: 'btn btn-small btn-metoo' }, el('span', { text: t('meToo') }));
  const note = el('span', { className: 'metoo-note', role: 'status' });
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const response = await fetch(appUrl(OPEN311.meToo(id)), { method: 'POST', headers: { Accept: 'application/json' } });
      const body = await readJson(response);
      if (response.status === 429) {
        note.textContent = t('errRateLimited', { minutes: retryMinutes(response) });
        button.disabled = false;
        return;
      }
      if (!response.ok) throw new Error(open311Error(body).message || `${response.status}`);
      const count = Number((Array.isArray(body) ? body[0] : body)?.me_too);
      button.replaceChildren(el('span', { text: t('meTooDone') }));
      button.classList.add('done');
      note.textContent = '';
      if (Number.isFinite(count)) onCount?.(count);
      reloadReports();
    } catch (error) {
      note.textContent = t('meTooFailed', { detail: error.message });
      button.disabled = false;
    }
  });
  return el('span', { className: 'metoo' }, button, note);
}

/** The popup item of a published report: type, description (as text), status, note, "me too". */
function reportPopupItem(feature) {
  const p = feature.properties;
  const heading = el('h3', {}, el('span', { className: 'pin-swatch', 'aria-hidden': 'true' }), el('span', { text: serviceLabel(p.service_code) }));
  const count = el('span', { className: 'metoo-count', text: formatNumber(Number(p.me_too) || 0) });
  const rows = [
    ['popupReportStatus', statusLabel(p.detailed_status ?? p.status)],
    ['popupReportNote', p.status_notes],
    ['popupReportWhen', timeOfDayLabel(p.time_of_day)],
    ['popupReportDate', p.requested_datetime ? formatDateTime(p.requested_datetime, false) : null],
    ['popupReportMeToo', count],
  ];
  const description = el('p', { className: 'report-text', text: p.description ?? '' });
  const item = el('div', { className: 'popup-item popup-report', 'data-report-id': String(p.service_request_id ?? feature.id ?? '') },
    heading, description, detailList(rows));
  const id = p.service_request_id ?? feature.id;
  if (id != null) item.append(meTooButton(id, (n) => { count.textContent = formatNumber(n); }));
  item.append(el('p', { className: 'popup-approx', text: t('popupReportApproximate') }));
  return item;
}

function reportsUnder(map, box) {
  const visible = map.getLayer('reports-points') && map.getLayoutProperty('reports-points', 'visibility') !== 'none';
  if (!visible) return [];
  // The pin stands above its point: widen the box upwards to the pin's head.
  const [[x0, y0], [x1, y1]] = box;
  const features = map.queryRenderedFeatures([[x0, y0], [x1, y1 + 30]], { layers: ['reports-points'] });
  const seen = new Set();
  return features.filter((f) => {
    const key = f.properties.service_request_id ?? f.id;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  }).slice(0, 3).map(reportPopupItem);
}

// ---------------------------------------------------------------------------------------------
// The resident form
// ---------------------------------------------------------------------------------------------

const form = {};

function buildForm() {
  const sheet = new Sheet({ id: 'report-sheet', titleKey: 'reportTitle', className: 'report-sheet' });
  form.sheet = sheet;

  // 1. Where.
  form.location = locationField({
    legendKey: 'reportWhere', hintKey: 'reportWhereHint', pinClass: 'pin-report', labelKey: 'pinLabel',
    onChange: () => refreshNearby(),
  });
  form.location.controls = [form.location.centre];

  // 2. What.
  const typeList = el('div', { className: 'choice-grid', id: 'report-types' });
  const typeError = el('p', { className: 'field-error', id: 'report-type-error', hidden: '' });
  const typeFieldset = el('fieldset', { className: 'field field-type' }, text('legend', 'reportType'), typeList, typeError);
  form.type = { element: typeFieldset, error: typeError, list: typeList, controls: [] };
  typeList.addEventListener('change', () => refreshNearby());

  // Already reported? Published reports of the chosen type near the chosen place, from the
  // public layer, so a resident can say "me too" instead of sending the same again.
  form.nearby = el('section', { className: 'nearby', hidden: '', 'aria-live': 'polite' },
    text('h3', 'nearbyHeading'), text('p', 'nearbyHint', { className: 'hint' }),
    el('ul', { className: 'dup-list' }));

  // 3. When.
  const timeError = el('p', { className: 'field-error', id: 'report-time-error', hidden: '' });
  const timeList = el('div', { className: 'choice-row' }, ...TIMES_OF_DAY.map((value) => {
    const input = el('input', { type: 'radio', name: 'time_of_day', value, id: `report-time-${value}` });
    return el('label', { className: 'choice choice-time', for: input.id }, input,
      el('span', { className: `icon icon-${value}`, 'aria-hidden': 'true' }), text('span', `timeOfDay_${value}`));
  }));
  const timeFieldset = el('fieldset', { className: 'field field-time' },
    el('legend', {}, text('span', 'reportWhen'), ' ', text('span', 'optional', { className: 'optional' })),
    timeList, timeError);
  form.time = { element: timeFieldset, error: timeError, controls: [...timeList.querySelectorAll('input')] };

  // 4. Describe.
  const description = el('textarea', {
    id: 'report-description', name: 'description', rows: '4', maxlength: String(DESCRIPTION_MAX), required: '',
    'aria-describedby': 'report-description-hint report-description-count',
  });
  const counter = el('p', { className: 'counter', id: 'report-description-count', 'aria-live': 'off' });
  const descriptionError = el('p', { className: 'field-error', id: 'report-description-error', hidden: '' });
  const descriptionField = el('div', { className: 'field field-description' },
    text('label', 'reportDescription', { for: 'report-description' }),
    text('p', 'reportDescriptionHint', { className: 'hint', id: 'report-description-hint' }),
    description, counter, descriptionError);
  form.description = { element: descriptionField, error: descriptionError, controls: [description], input: description, counter, hintId: 'report-description-hint report-description-count' };
  const updateCounter = () => {
    const n = description.value.length;
    counter.textContent = t('reportCounter', { n: formatNumber(n), max: formatNumber(DESCRIPTION_MAX) });
    counter.classList.toggle('near', n > DESCRIPTION_MAX * 0.9);
  };
  description.addEventListener('input', () => {
    updateCounter();
    if (description.value.trim()) setFieldError(form.description, null);
  });
  form.updateCounter = updateCounter;

  // 5. Contact (optional, private).
  const contactInputs = {};
  const contactFields = [['email', 'email', 'email'], ['first_name', 'text', 'given-name'], ['last_name', 'text', 'family-name']].map(([name, type, autocomplete]) => {
    const input = el('input', { type, name, id: `report-${name}`, autocomplete, maxlength: '200' });
    if (type === 'email') input.setAttribute('inputmode', 'email');
    const error = el('p', { className: 'field-error', id: `report-${name}-error`, hidden: '' });
    const field = el('div', { className: `field field-${name}` }, text('label', `contact_${name}`, { for: input.id }), input, error);
    contactInputs[name] = { element: field, error, controls: [input], input };
    return field;
  });
  form.contact = contactInputs;
  const contact = el('fieldset', { className: 'field field-contact' },
    el('legend', {}, text('span', 'contactHeading'), ' ', text('span', 'optional', { className: 'optional' })),
    el('p', { className: 'privacy-note' }, el('span', { className: 'icon icon-lock', 'aria-hidden': 'true' }), text('span', 'contactPrivate')),
    el('div', { className: 'contact-grid' }, ...contactFields));

  // Honeypot: people never see or reach it; bots that fill every field are refused.
  const honeypot = el('input', { type: 'text', name: 'website', id: 'report-website', tabindex: '-1', autocomplete: 'off', value: '' });
  form.honeypot = honeypot;
  const trap = el('div', { className: 'hp-field', 'aria-hidden': 'true' }, el('label', { for: 'report-website', text: 'Website' }), honeypot);

  const general = el('div', { className: 'form-error', role: 'alert', tabindex: '-1', hidden: '' });
  form.general = general;
  const submit = el('button', { type: 'submit', className: 'btn btn-primary btn-submit' }, text('span', 'reportSend'));
  form.submit = submit;
  const formEl = el('form', { className: 'report-form', novalidate: '', 'aria-labelledby': 'report-sheet-title' },
    text('p', 'reportIntro', { className: 'intro' }),
    form.location.element, typeFieldset, form.nearby, timeFieldset, descriptionField, contact, trap, general,
    el('div', { className: 'form-actions' }, submit),
    text('p', 'reportPublicNote', { className: 'note' }));
  formEl.addEventListener('submit', (event) => {
    event.preventDefault();
    sendReport();
  });
  form.element = formEl;
  form.result = el('div', { className: 'report-result', hidden: '' });
  form.follow = el('div', { className: 'report-follow', hidden: '' });
  // "My reports": the ones sent or followed from this device, and the look-up by number + key.
  form.mineButton = el('button', { type: 'button', className: 'link-button my-reports-link', id: 'my-reports-button' });
  form.mineButton.addEventListener('click', () => openMine());
  const renderMineButton = () => {
    const n = myReports().length;
    form.mineButton.textContent = n ? t('myReportsLinkN', { n: formatNumber(n) }) : t('myReportsLink');
  };
  form.renderMineButton = renderMineButton;
  onMyReportsChange(renderMineButton);
  renderMineButton();
  formEl.prepend(el('p', { className: 'my-reports-entry' }, form.mineButton));
  form.mineList = myReportsList({ onOpen: (id, key) => openFollow(id, key, { opener: true }), serviceLabel, statusLabel, fetchStatus });
  form.mine = el('div', { className: 'report-mine', hidden: '' });
  sheet.body.append(formEl, form.result, form.follow, form.mine);
  sheet.onClose = () => {
    form.location.picker.stop();
    followMarker?.remove();
    followMarker = null;
    form.mode = null;
    form.fab.hidden = false;
  };
  updateCounter();
}

function renderTypes() {
  const selected = form.type.list.querySelector('input:checked')?.value;
  form.type.list.replaceChildren(...services.map((service, i) => {
    const id = `report-type-${service.service_code}`;
    const input = el('input', { type: 'radio', name: 'service_code', value: service.service_code, id });
    if (service.service_code === selected) input.checked = true;
    input.addEventListener('change', () => setFieldError(form.type, null));
    const hint = serviceDescription(service);
    const label = el('label', { className: 'choice choice-type', for: id }, input,
      el('span', { className: 'choice-text' }, el('span', { className: 'choice-name', text: serviceLabel(service.service_code) }),
        hint ? el('span', { className: 'choice-hint', text: hint }) : null));
    if (i === 0) label.dataset.first = '1';
    return label;
  }));
  form.type.controls = [...form.type.list.querySelectorAll('input')];
  if (!services.length) form.type.list.append(text('p', 'reportTypesUnavailable', { className: 'field-error' }));
}

/** Opens the empty form (or the one being filled in). */
export async function openReportForm(opener) {
  const map = await appReady;
  showView('form');
  form.fab.hidden = true;
  form.sheet.open(opener);
  form.location.picker.start();
  if (!services.length) {
    try {
      await loadServices();
    } catch {
      // renderTypes says the types could not be loaded
    }
    renderTypes();
  }
  map.resize();
}

function showView(view) {
  form.mode = view;
  form.element.hidden = view !== 'form';
  form.result.hidden = view !== 'result';
  form.follow.hidden = view !== 'follow';
  form.mine.hidden = view !== 'mine';
  // The confirmation needs no map: on a phone it takes more of the screen.
  form.sheet.element.classList.toggle('tall', view === 'result');
  form.sheet.title.dataset.i18n = { follow: 'followTitle', result: 'resultTitle', mine: 'myReportsTitle' }[view] ?? 'reportTitle';
  form.sheet.title.textContent = t(form.sheet.title.dataset.i18n);
}

function clearErrors() {
  for (const field of [form.location, form.type, form.time, form.description, ...Object.values(form.contact)]) setFieldError(field, null);
  form.general.hidden = true;
  form.general.replaceChildren();
}

/** The form field an Open311 error names, or null. */
function fieldFor(name) {
  if (['lat', 'long', 'lon', 'location', 'address_string'].includes(name)) return form.location;
  if (name === 'service_code') return form.type;
  if (name === 'description') return form.description;
  if (['attribute[time_of_day]', 'time_of_day', 'attribute'].includes(name)) return form.time;
  return form.contact[name] ?? null;
}

/** The resident's own words for an error the server gave on a field (the server's words after). */
function fieldMessage(name, detail) {
  const key = {
    lat: 'errLocation', long: 'errLocation', lon: 'errLocation', service_code: 'errType', description: 'errDescription',
    email: 'errEmail', 'attribute[time_of_day]': 'errTime', time_of_day: 'errTime',
  }[name];
  const own = key ? t(key) : '';
  if (!detail) return own;
  // The server's own words (often English) on a line of their own, under ours.
  return own ? `${own}\n${t('errServerSays', { detail })}` : detail;
}

function showGeneralError(message) {
  form.general.hidden = false;
  form.general.replaceChildren(el('p', { text: message }));
}

function focusField(field) {
  const target = field === form.location ? form.location.centre
    : field === form.type ? (form.type.list.querySelector('input:checked') ?? form.type.list.querySelector('input'))
      : field?.controls?.[0];
  target?.focus();
  target?.scrollIntoView?.({ block: 'center' });
}

function validate() {
  const problems = [];
  if (!form.location.picker.point) problems.push([form.location, t('errNoPlace')]);
  if (!form.type.list.querySelector('input:checked')) problems.push([form.type, t('errNoType')]);
  const description = form.description.input.value.trim();
  if (!description) problems.push([form.description, t('errNoDescription')]);
  else if (form.description.input.value.length > DESCRIPTION_MAX) problems.push([form.description, t('errDescription')]);
  for (const [field, message] of problems) setFieldError(field, message);
  if (problems.length) focusField(problems[0][0]);
  return !problems.length;
}

async function sendReport() {
  clearErrors();
  if (!validate()) return;
  const point = form.location.picker.point;
  // JSON rather than form encoding: percent-encoding triples non-Latin text, and a 2000-character
  // description in e.g. Chinese would outgrow the server's body limit.
  const body = {
    service_code: form.type.list.querySelector('input:checked').value,
    lat: Number(point.lat.toFixed(6)),
    long: Number(point.lng.toFixed(6)),
    description: form.description.input.value.trim(),
  };
  const time = form.time.element.querySelector('input:checked')?.value;
  if (time) body['attribute[time_of_day]'] = time;
  for (const [name, field] of Object.entries(form.contact)) {
    const value = field.input.value.trim();
    if (value) body[name] = value;
  }
  body.website = form.honeypot.value;
  // One key per report until it is stored: a send retried after a lost answer returns the
  // report the first one made instead of a second one. (getRandomValues, unlike randomUUID,
  // also works on plain http.)
  form.idempotencyKey ||= Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');

  form.submit.disabled = true;
  form.submit.classList.add('busy');
  form.submit.firstChild.textContent = t('reportSending');
  let response;
  let answer;
  try {
    response = await fetch(appUrl(OPEN311.requests), {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { Accept: 'application/json', 'Content-Type': 'application/json', 'Idempotency-Key': form.idempotencyKey },
    });
    answer = await readJson(response);
  } catch {
    showGeneralError(t('errNetwork'));
    return;
  } finally {
    form.submit.disabled = false;
    form.submit.classList.remove('busy');
    form.submit.firstChild.textContent = t('reportSend');
  }
  if (response.status === 429) {
    showGeneralError(t('errRateLimited', { minutes: retryMinutes(response) }));
    form.general.focus();
    return;
  }
  if (response.status === 413) {
    setFieldError(form.description, t('errTooLarge'));
    focusField(form.description);
    return;
  }
  if (!response.ok) {
    const { field: name, message } = open311Error(answer);
    const field = name ? fieldFor(name) : null;
    if (field) {
      setFieldError(field, fieldMessage(name, message));
      focusField(field);
    } else {
      showGeneralError(t('errServer', { detail: message || `${response.status}` }));
    }
    return;
  }
  const created = Array.isArray(answer) ? answer[0] : answer;
  showResult(created);
}

function resetForm() {
  form.idempotencyKey = '';
  form.nearby.hidden = true;
  form.nearby.querySelector('ul').replaceChildren();
  form.element.reset();
  form.honeypot.value = '';
  form.location.picker.clear();
  clearErrors();
  form.updateCounter();
}

// ---------------------------------------------------------------------------------------------
// Confirmation with possible duplicates
// ---------------------------------------------------------------------------------------------

let lastResult = null;

/**
 * How far another report is, as the public may know it: its place is public only to about 80 m,
 * so the distance is given in steps of 50 m, never closer than "under 50 m".
 */
/** How far a suggested duplicate is, as the server measures it for residents: between the two
 * public positions (0 = the same ~115 m map cell, about 115 m = the next one). */
function publicDistance(metres) {
  if (!Number.isFinite(metres)) return '';
  if (metres < 1) return t('dupSameCell');
  return t('dupNextCell', { m: formatNumber(Math.round(metres / 10) * 10) });
}

/** Metres between two lon/lat points (haversine; near enough at a city's scale). */
function metresBetween(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b[1] - a[1]) * rad;
  const dLon = (b[0] - a[0]) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
}

/** How many published reports near the chosen place are offered before sending. */
const NEARBY_MAX = 3;
/** How far (metres) from the chosen place a published report's public position may be. */
const NEARBY_RADIUS_M = 150;
/** Distance (metres) from a cell's centre within which the chosen spot may share its cell
 * (H3 resolution 10: a centre-to-corner distance of about 66–76 m). */
const SAME_CELL_M = 80;
let nearbyRequest = 0;

/** Fills "already reported?" from the public list of the chosen type around the chosen place. */
async function refreshNearby() {
  const point = form.location?.picker?.point;
  const code = form.type?.list.querySelector('input:checked')?.value;
  const list = form.nearby.querySelector('ul');
  const request = ++nearbyRequest;
  if (!point || !code) {
    form.nearby.hidden = true;
    return;
  }
  const dLat = NEARBY_RADIUS_M / 111320;
  const dLon = dLat / Math.cos(point.lat * Math.PI / 180);
  const bbox = [point.lng - dLon, point.lat - dLat, point.lng + dLon, point.lat + dLat].map((v) => v.toFixed(6)).join(',');
  let reports = [];
  try {
    const url = appUrl(`${OPEN311.requests}?service_code=${encodeURIComponent(code)}&bbox=${bbox}&limit=50`);
    const response = await fetch(url, { headers: { Accept: 'application/json' } });
    if (response.ok) reports = await response.json();
  } catch {
    reports = [];
  }
  if (request !== nearbyRequest) return;
  const near = (Array.isArray(reports) ? reports : [])
    .filter((r) => r.status === 'open')
    .map((r) => ({ r, m: metresBetween([point.lng, point.lat], [Number(r.long), Number(r.lat)]) }))
    .filter(({ m }) => m <= NEARBY_RADIUS_M)
    .sort((a, b) => a.m - b.m)
    .slice(0, NEARBY_MAX);
  // A published report is shown at its cell's centre (±80 m): one within a cell's reach of the
  // chosen spot may be at the very same place, so it is "the same spot on the map", not "50 m".
  list.replaceChildren(...near.map(({ r, m }) => duplicateItem(r, m <= SAME_CELL_M ? t('dupSameCell') : t('distanceAway', { m: formatNumber(Math.round(m / 10) * 10) }))));
  form.nearby.hidden = near.length === 0;
}

function duplicateItem(dup, distanceText = null) {
  const count = el('span', { className: 'metoo-count', text: formatNumber(Number(dup.me_too) || 0) });
  const meta = [serviceLabel(dup.service_code)];
  if (distanceText) meta.push(distanceText);
  else if (dup.distance_m != null) meta.push(publicDistance(Number(dup.distance_m)));
  if (dup.requested_datetime) meta.push(formatDateTime(dup.requested_datetime, false));
  return el('li', { className: 'dup-item', 'data-report-id': String(dup.service_request_id) },
    el('p', { className: 'dup-meta', text: meta.join(' · ') }),
    el('p', { className: 'report-text', text: dup.description ?? '' }),
    el('p', { className: 'dup-count' }, text('span', 'meTooCount'), ' ', count),
    meTooButton(dup.service_request_id, (n) => { count.textContent = formatNumber(n); }));
}

/** One report as its follower sees it (with its key), or null when it cannot be read. */
async function fetchStatus(id, key) {
  const url = appUrl(OPEN311.request(id));
  url.searchParams.set('key', key);
  try {
    const response = await fetch(url, { headers: { Accept: 'application/json' } });
    if (!response.ok) return null;
    const body = await response.json();
    return Array.isArray(body) ? body[0] ?? null : body;
  } catch {
    return null;
  }
}

/** A button back to the report form (from "my reports" and the follow view). */
function backToFormButton() {
  const back = el('button', { type: 'button', className: 'btn btn-secondary' }, text('span', 'reportButton'));
  back.addEventListener('click', () => {
    followMarker?.remove();
    followMarker = null;
    resetForm();
    showView('form');
    form.location.picker.start();
    form.sheet.title.focus();
  });
  return back;
}

/** "My reports": the list kept on this device and the look-up form. */
function openMine() {
  form.location.picker.stop({ clear: false });
  form.mineList.render();
  form.mine.replaceChildren(
    form.mineList.element,
    el('section', { className: 'lookup', 'aria-labelledby': 'lookup-heading' },
      text('h3', 'lookupHeading', { id: 'lookup-heading' }),
      text('p', 'lookupIntro', { className: 'note' }),
      lookupForm({ onLookup: (id, key) => openFollow(id, key, { opener: true }) })),
    el('div', { className: 'form-actions' }, backToFormButton()));
  showView('mine');
  if (!form.sheet.isOpen) form.sheet.open(form.fab);
  form.sheet.body.scrollTop = 0;
  form.sheet.title.focus();
}

function showResult(created) {
  lastResult = created;
  rememberReport({ id: created.service_request_id, key: created.follow_key, service_code: created.service_code ?? form.type.list.querySelector('input:checked')?.value });
  form.location.picker.stop({ clear: false });
  renderResult();
  showView('result');
  form.sheet.body.scrollTop = 0;
  form.sheet.title.focus();
}

function renderResult() {
  const created = lastResult;
  if (!created) return;
  const followUrl = created.follow_url
    ? appUrl(created.follow_url.replace(/^\//, '')).href
    : appUrl(`?report=${encodeURIComponent(created.service_request_id)}&key=${encodeURIComponent(created.follow_key ?? '')}`).href;
  const link = el('a', { href: followUrl, className: 'follow-link', id: 'report-follow-link', text: followUrl });
  const copy = el('button', { type: 'button', className: 'btn btn-small btn-secondary' }, text('span', 'copyLink'));
  const copied = el('span', { className: 'copied', role: 'status' });
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(followUrl);
      copied.textContent = t('copied');
    } catch {
      const range = document.createRange();
      range.selectNodeContents(link);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      copied.textContent = t('copyManually');
    }
  });
  const parts = [
    el('div', { className: 'confirmation', id: 'report-confirmation' },
      el('span', { className: 'confirm-icon', 'aria-hidden': 'true', text: '✓' }),
      el('div', {},
        text('p', 'resultThanks', { className: 'confirm-lead' }),
        el('p', { className: 'reference' }, text('span', 'resultReference'), ' ',
          el('strong', { className: 'reference-number', id: 'report-reference', text: String(created.service_request_id) })))),
  ];
  // What happens next, in the language chosen (the server's notice is in Danish and English at
  // once); the fields it did not store, if it names any, in our words too.
  parts.push(text('p', 'resultReview', { className: 'service-notice' }));
  const dropped = /Not stored: ([^(]+?)\s*\(/.exec(created.service_notice ?? '')?.[1];
  if (dropped) parts.push(el('p', { className: 'note', text: t('resultDropped', { fields: dropped }) }));
  const mine = el('button', { type: 'button', className: 'link-button', id: 'result-my-reports' }, text('span', 'myReportsLink'));
  mine.addEventListener('click', () => openMine());
  parts.push(el('p', { className: 'note my-reports-kept' }, text('span', 'resultKept'), ' ', mine));
  parts.push(el('div', { className: 'follow-box' },
    text('p', 'resultFollow', { className: 'follow-lead' }),
    link,
    el('div', { className: 'button-row' }, copy, copied)));
  const duplicates = created.possible_duplicates ?? [];
  if (duplicates.length) {
    parts.push(el('section', { className: 'duplicates', 'aria-labelledby': 'dup-heading' },
      text('h3', 'resultDuplicates', { id: 'dup-heading' }),
      text('p', 'resultDuplicatesHint', { className: 'note' }),
      el('ul', { className: 'dup-list' }, ...duplicates.map(duplicateItem))));
  }
  const again = el('button', { type: 'button', className: 'btn btn-secondary' }, text('span', 'reportAnother'));
  again.addEventListener('click', () => {
    resetForm();
    showView('form');
    form.location.picker.start();
    form.sheet.title.focus();
  });
  const done = el('button', { type: 'button', className: 'btn btn-primary' }, text('span', 'close'));
  done.addEventListener('click', () => {
    resetForm();
    form.sheet.close();
  });
  parts.push(el('div', { className: 'form-actions' }, again, done));
  form.result.replaceChildren(...parts);
}

// ---------------------------------------------------------------------------------------------
// Follow view: /?report=ID&key=KEY
// ---------------------------------------------------------------------------------------------

let followMarker = null;
let lastFollow = null;

async function openFollow(id, key, { opener = false } = {}) {
  const map = await appReady;
  form.location.picker.stop({ clear: false });
  showView('follow');
  form.fab.hidden = true;
  form.follow.replaceChildren(text('p', 'followLoading', { className: 'note' }));
  // Opened by the link itself: shown, without taking the focus from the page's start; from the
  // look-up or "my reports", the focus goes to the title.
  if (!form.sheet.isOpen) form.sheet.open(opener ? form.fab : null, { focus: null });
  if (opener) form.sheet.title.focus();
  try {
    await loadServices();
  } catch {
    // the type's code is shown instead of its name
  }
  const url = appUrl(OPEN311.request(id));
  if (key) url.searchParams.set('key', key);
  let report = null;
  let problem = null;
  try {
    const response = await fetch(url, { headers: { Accept: 'application/json' } });
    const body = await readJson(response);
    if (response.ok) report = Array.isArray(body) ? body[0] : body;
    else problem = response.status === 404 ? t('followNotFound') : t('errServer', { detail: open311Error(body).message || response.status });
  } catch {
    problem = t('errNetwork');
  }
  lastFollow = { id, key, report, problem, wrongKey: !report && response404(problem) && Boolean(key) };
  if (report && key) rememberReport({ id: report.service_request_id ?? id, key, service_code: report.service_code, at: report.requested_datetime });
  renderFollow();
  if (report && Number.isFinite(Number(report.long)) && Number.isFinite(Number(report.lat))) {
    const lngLat = [Number(report.long), Number(report.lat)];
    followMarker?.remove();
    followMarker = new maplibregl.Marker({ element: el('div', { className: 'pin pin-follow', role: 'img', 'aria-label': t('pinFollowLabel') }), anchor: 'bottom' })
      .setLngLat(lngLat).addTo(map);
    followMarker.getElement().removeAttribute('tabindex');
    map.easeTo({ center: lngLat, zoom: Math.max(map.getZoom(), 16) });
  }
}

const response404 = (problem) => problem === t('followNotFound');

function renderFollow() {
  if (!lastFollow) return;
  const { report, problem, id, key } = lastFollow;
  if (!report) {
    // Not a dead end: say what may be wrong, let the person try again (number + key or the
    // whole link), offer the reports kept on this device, and a new report.
    const kept = myReports();
    form.follow.replaceChildren(
      el('p', { className: 'form-error', role: 'alert', text: problem ?? t('followNotFound') }),
      text('p', key ? 'followWrongKeyHelp' : 'followNoKeyHelp', { className: 'note' }),
      el('section', { className: 'lookup', 'aria-labelledby': 'follow-lookup-heading' },
        text('h3', 'lookupHeading', { id: 'follow-lookup-heading' }),
        lookupForm({ id, onLookup: (i, k) => openFollow(i, k, { opener: true }) })),
      kept.length ? el('p', { className: 'note' }, text('span', 'followKeptHint'), ' ',
        (() => {
          const b = el('button', { type: 'button', className: 'link-button' }, el('span', { text: t('myReportsLinkN', { n: formatNumber(kept.length) }) }));
          b.addEventListener('click', () => openMine());
          return b;
        })()) : '',
      el('div', { className: 'form-actions' }, backToFormButton()));
    return;
  }
  const status = report.detailed_status ?? report.status;
  const chip = el('span', { className: `status-chip status-${status}`, text: statusLabel(status) });
  const parts = [
    el('p', { className: 'follow-ref' }, text('span', 'resultReference'), ' ', el('strong', { className: 'reference-number', text: String(report.service_request_id) })),
    el('p', { className: 'follow-status' }, chip),
  ];
  if (report.published === false) parts.push(text('p', 'followUnpublished', { className: 'note follow-unpublished' }));
  if (report.status_notes) {
    parts.push(el('div', { className: 'status-note' }, text('h3', 'followStatusNote'), el('p', { text: report.status_notes })));
  }
  if (report.duplicate_of) {
    const link = el('a', { href: appUrl(`?report=${encodeURIComponent(report.duplicate_of)}`).href, text: `#${report.duplicate_of}` });
    parts.push(el('p', { className: 'note' }, text('span', 'followDuplicateOf'), ' ', link));
  }
  parts.push(el('h3', { text: serviceLabel(report.service_code) }));
  parts.push(el('p', { className: 'report-text', text: report.description ?? '' }));
  parts.push(detailList([
    ['popupReportWhen', timeOfDayLabel(report.time_of_day)],
    ['followReported', report.requested_datetime ? formatDateTime(report.requested_datetime) : null],
    ['followUpdated', report.updated_datetime ? formatDateTime(report.updated_datetime) : null],
    ['popupReportMeToo', report.me_too != null ? formatNumber(Number(report.me_too) || 0) : null],
  ]));
  parts.push(text('p', 'popupReportApproximate', { className: 'note' }));
  const another = el('button', { type: 'button', className: 'btn btn-secondary' }, text('span', 'reportButton'));
  another.addEventListener('click', () => {
    followMarker?.remove();
    followMarker = null;
    resetForm();
    openReportForm(form.fab);
  });
  parts.push(el('div', { className: 'form-actions' }, another));
  form.follow.replaceChildren(...parts);
}

// ---------------------------------------------------------------------------------------------
// Start-up
// ---------------------------------------------------------------------------------------------

function buildButton() {
  const fab = el('button', { type: 'button', id: 'report-button', className: 'report-fab', 'aria-haspopup': 'dialog', 'aria-controls': 'report-sheet' },
    el('span', { className: 'icon icon-pin', 'aria-hidden': 'true' }), text('span', 'reportButton'));
  fab.addEventListener('click', () => openReportForm(fab));
  // First in the map's tab order, before the map's own canvas and controls.
  document.querySelector('#map').prepend(fab);
  form.fab = fab;
}

function onLanguage() {
  if (services.length) renderTypes();
  form.renderMineButton?.();
  if (form.mode === 'mine') openMine();
  form.updateCounter?.();
  form.location?.render();
  if (form.mode === 'result') renderResult();
  if (form.mode === 'follow') renderFollow();
  followMarker?.getElement().setAttribute('aria-label', t('pinFollowLabel'));
}

async function start() {
  buildButton();
  buildForm();
  onLanguageChange(onLanguage);
  loadServices().then(renderTypes).catch(() => {});
  const map = await appReady;
  addReportLayers(map);
  setupReportLayerToggles(map);
  addPopupProvider((event, box) => reportsUnder(map, box));
  reloadReports();
  const params = new URLSearchParams(window.location.search);
  if (params.get('report')) openFollow(params.get('report'), params.get('key'));
}

start();
