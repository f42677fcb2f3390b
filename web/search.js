// The search box on the map: street, square, city-district (bydel), safety-district and rode
// names, found on the device in the shipped OpenStreetMap streets and the districts collection
// (no geocoding service), and the map flies there with the place outlined.
//
// An ARIA 1.2 combobox: type, move through the suggestions with the arrow keys, Enter (or a
// click) chooses, Escape closes the list (and, pressed again, empties the box).

import { appReady, el, onLanguageChange, streetNames, t, tn } from './app.js';

const DISTRICTS = 'api/collections/districts/items?limit=1000';
const MAX_RESULTS = 8;
/** The kinds of place, in the order a tie is listed. */
const KINDS = ['bydel', 'district', 'street', 'rode'];

let places = null;
const ui = {};

/** Lower case without accents other than the Danish letters (æ, ø and å are letters of their own). */
function fold(text) {
  return text.toLocaleLowerCase('da').normalize('NFD').replace(/(?<![aA])\u030a|[\u0300-\u0309\u030b-\u036f]/g, '').normalize('NFC');
}

function boxOf(geometry) {
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      box[0] = Math.min(box[0], c[0]);
      box[1] = Math.min(box[1], c[1]);
      box[2] = Math.max(box[2], c[0]);
      box[3] = Math.max(box[3], c[1]);
    } else c.forEach(walk);
  };
  walk(geometry.coordinates);
  return box;
}

/** Every searchable place once: {name, kind, box, geometry?, key}. Loaded on first use. */
function loadPlaces() {
  places ??= (async () => {
    const [streets, districts] = await Promise.all([
      streetNames(),
      fetch(new URL(DISTRICTS, document.baseURI), { headers: { Accept: 'application/geo+json, application/json' } })
        .then((r) => (r.ok ? r.json() : { features: [] }))
        .catch(() => ({ features: [] })),
    ]);
    const list = [];
    for (const [name, box] of streets) list.push({ name, kind: 'street', box });
    for (const feature of districts.features ?? []) {
      const { name, level } = feature.properties ?? {};
      if (!name || !KINDS.includes(level) || !feature.geometry) continue;
      list.push({ name, kind: level, box: boxOf(feature.geometry), geometry: feature.geometry });
    }
    for (const place of list) place.key = fold(place.name);
    return list;
  })();
  return places;
}

/** The best matches: whole-name prefix, then a word's prefix, then anywhere; shorter names first. */
function match(list, query) {
  const q = fold(query.trim());
  if (!q) return [];
  const scored = [];
  for (const place of list) {
    const at = place.key.indexOf(q);
    if (at < 0) continue;
    const rank = at === 0 ? 0 : /[\s\-–.]/.test(place.key[at - 1]) ? 1 : 2;
    scored.push([rank, KINDS.indexOf(place.kind), place.name.length, place]);
  }
  scored.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2] || a[3].name.localeCompare(b[3].name, 'da'));
  return scored.slice(0, MAX_RESULTS).map((s) => s[3]);
}

function kindLabel(kind) {
  return t(`searchKind_${kind}`);
}

function render() {
  const { list, input } = ui;
  list.replaceChildren(...ui.results.map((place, i) => el('li', {
    id: `search-option-${i}`,
    role: 'option',
    className: 'search-option',
    'aria-selected': String(i === ui.active),
  }, el('span', { className: 'search-name', text: place.name }), el('span', { className: 'search-kind', text: kindLabel(place.kind) }))));
  const open = ui.results.length > 0 || ui.empty;
  if (ui.empty) list.append(el('li', { className: 'search-empty', role: 'presentation', text: t('searchNone') }));
  list.hidden = !open;
  input.setAttribute('aria-expanded', String(ui.results.length > 0));
  if (ui.active >= 0) input.setAttribute('aria-activedescendant', `search-option-${ui.active}`);
  else input.removeAttribute('aria-activedescendant');
  list.querySelector('[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' });
}

async function update() {
  const query = ui.input.value;
  const list = await loadPlaces();
  if (query !== ui.input.value) return; // typed on meanwhile
  ui.results = match(list, query);
  ui.empty = query.trim().length >= 2 && !ui.results.length;
  ui.active = -1;
  render();
  ui.status.textContent = query.trim() ? tn('searchCount', ui.results.length) : '';
}

function close() {
  ui.results = [];
  ui.empty = false;
  ui.active = -1;
  render();
}

/** Flies the map to a place and outlines it for a while. */
async function choose(place) {
  const map = await appReady;
  ui.input.value = place.name;
  close();
  const [w, s, e, n] = place.box;
  const small = window.matchMedia('(max-width: 767px)').matches;
  map.fitBounds([[w, s], [e, n]], {
    padding: small ? 40 : 80,
    maxZoom: place.kind === 'street' ? 17 : 16,
    duration: window.matchMedia('(prefers-reduced-motion: reduce)').matches ? 0 : 900,
  });
  let geometry = place.geometry;
  if (!geometry) {
    const data = await map.getSource('streets').getData();
    const lines = data.features.filter((f) => f.properties?.name === place.name).flatMap((f) => (
      f.geometry.type === 'LineString' ? [f.geometry.coordinates] : f.geometry.type === 'MultiLineString' ? f.geometry.coordinates : []));
    geometry = { type: 'MultiLineString', coordinates: lines };
  }
  map.getSource('search-hit')?.setData({ type: 'Feature', properties: {}, geometry });
  ui.status.textContent = t('searchShown', { name: place.name });
}

function build(map) {
  const input = el('input', {
    type: 'search',
    id: 'place-search',
    className: 'search-input',
    role: 'combobox',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-autocomplete': 'list',
    'aria-expanded': 'false',
    'aria-controls': 'search-list',
    'data-i18n-placeholder': 'searchPlaceholder',
    placeholder: t('searchPlaceholder'),
  });
  const label = el('label', { for: 'place-search', className: 'sr-only', 'data-i18n': 'searchLabel', text: t('searchLabel') });
  const list = el('ul', { id: 'search-list', role: 'listbox', className: 'search-list', 'data-i18n-aria-label': 'searchResults', 'aria-label': t('searchResults'), hidden: '' });
  const status = el('p', { className: 'sr-only', role: 'status', 'aria-live': 'polite' });
  const form = el('form', { className: 'search-box maplibregl-ctrl', role: 'search', 'data-i18n-aria-label': 'searchLabel', 'aria-label': t('searchLabel') },
    label, input, list, status);
  Object.assign(ui, { input, list, status, results: [], active: -1, empty: false });

  input.addEventListener('focus', () => loadPlaces(), { once: true });
  input.addEventListener('input', update);
  input.addEventListener('keydown', (event) => {
    const n = ui.results.length;
    if (event.key === 'ArrowDown' && n) {
      ui.active = (ui.active + 1) % n;
      render();
    } else if (event.key === 'ArrowUp' && n) {
      ui.active = (ui.active - 1 + n) % n;
      render();
    } else if (event.key === 'Escape') {
      if (n || ui.empty) close();
      else input.value = '';
      map.getSource('search-hit')?.setData({ type: 'FeatureCollection', features: [] });
    } else return;
    event.preventDefault();
    event.stopPropagation();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const place = ui.results[Math.max(0, ui.active)];
    if (place) choose(place);
  });
  // pointerdown, not click: the input's blur would close the list first.
  list.addEventListener('pointerdown', (event) => {
    const option = event.target.closest('[role="option"]');
    if (!option) return;
    event.preventDefault();
    choose(ui.results[Number(option.id.replace('search-option-', ''))]);
  });
  input.addEventListener('blur', () => setTimeout(() => {
    if (!form.contains(document.activeElement)) close();
  }, 100));

  map.addControl({ onAdd: () => form, onRemove: () => form.remove() }, 'top-left');
  // The scale goes below the search box in the same corner (MapLibre stacks a corner's controls).
  const corner = form.parentElement;
  corner.prepend(form);

  map.addSource('search-hit', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({
    id: 'search-hit-casing',
    type: 'line',
    source: 'search-hit',
    layout: { 'line-join': 'round', 'line-cap': 'round' },
    paint: { 'line-color': '#ffffff', 'line-width': 7, 'line-opacity': 0.9 },
  }, 'labels-streets');
  map.addLayer({
    id: 'search-hit',
    type: 'line',
    source: 'search-hit',
    layout: { 'line-join': 'round', 'line-cap': 'round' },
    paint: { 'line-color': '#6a1b9a', 'line-width': 3.5 },
  }, 'labels-streets');
}

appReady.then((map) => {
  build(map);
  onLanguageChange(() => {
    ui.input.placeholder = t('searchPlaceholder');
    if (ui.results.length) render();
  });
});
