// Browser test of the hotspot web app: drives the system Chromium through playwright-core against a
// running server and checks that the map, its layers, filters, language switch and phone layout work.
//
//   cd tests/browser && npm ci            # playwright-core only; it never downloads a browser
//   HOTSPOT_URL=http://127.0.0.1:8080 node --test tests/browser/
//
// HOTSPOT_URL is the base URL of `hotspot serve` (required). CHROMIUM_PATH overrides the browser
// (default /usr/bin/chromium, Debian's package). Screenshots go to ARTIFACTS_DIR, by default
// tests/artifacts/ (git-ignored).
//
// The planner parts of the resident-report tests, the walk test and the planner-workspace test
// need a planner token: HOTSPOT_PLANNER_TOKEN, or HOTSPOT_BIN (the binary) and HOTSPOT_DATA_DIR (the
// served data dir) to make one with `hotspot token create`. Without them those parts are skipped,
// saying so.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BASE_URL = process.env.HOTSPOT_URL;
if (!BASE_URL) {
  throw new Error('HOTSPOT_URL is not set: start `hotspot serve` and set HOTSPOT_URL to its base URL, e.g. http://127.0.0.1:8080');
}
const PAGE_URL = new URL('/', BASE_URL).href;
const ARTIFACTS = join(process.env.ARTIFACTS_DIR || fileURLToPath(new URL('../artifacts/', import.meta.url)), '/');
const LAPTOP = { width: 1366, height: 800 };
const PHONE = { width: 390, height: 844 };
const TIMEOUT = 60_000;

let browser;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--use-gl=swiftshader',
      '--enable-unsafe-swiftshader',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});

after(async () => {
  await browser?.close();
});

/**
 * Opens the app in a fresh context and records console errors, uncaught exceptions, failed
 * requests and HTTP errors. A request the app cancels itself (AbortController on a stale filter,
 * `net::ERR_ABORTED`) is not a failure.
 */
async function openApp(viewport, options = {}, beforeLoad = () => {}) {
  const context = await browser.newContext({ viewport, ...options });
  const page = await context.newPage();
  beforeLoad(page);
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('requestfailed', (request) => {
    const reason = request.failure()?.errorText ?? '';
    if (!reason.includes('ERR_ABORTED')) problems.push(`request failed: ${request.url()} ${reason}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  await page.goto(PAGE_URL);
  await waitReady(page);
  return { context, page, problems };
}

/** Waits until the app has its first data on the map and nothing is loading or moving. */
async function waitReady(page) {
  await page.waitForSelector('body[data-ready="1"]', { timeout: TIMEOUT });
  await waitSettled(page);
}

async function waitSettled(page) {
  await page.waitForFunction(
    () => !document.body.dataset.loading && window.hotspotMap.loaded() && !window.hotspotMap.isMoving(),
    null,
    { timeout: TIMEOUT },
  );
}

/** The sum of `count` over the hexbin source: the incidents the heatmap draws. */
function hexbinTotal(page) {
  return page.evaluate(async () => {
    const data = await window.hotspotMap.getSource('hexbins').getData();
    return data.features.reduce((sum, feature) => sum + Number(feature.properties.count), 0);
  });
}

function assertNoProblems(problems) {
  assert.deepEqual(problems, [], `the page had errors:\n${problems.join('\n')}`);
}

/** The Gi* cells drawn on the map, as {bin: number of cells}, and how many there are. */
function renderedBins(page) {
  return page.evaluate(() => {
    const features = window.hotspotMap.queryRenderedFeatures({ layers: ['hotspots-fill'] });
    const byCell = new Map(features.map((f) => [f.properties.h3, Number(f.properties.bin)]));
    const bins = {};
    for (const bin of byCell.values()) bins[bin] = (bins[bin] ?? 0) + 1;
    return { cells: byCell.size, bins };
  });
}

/** The map layers of each analysis mode (the KDE mode also owns the zoomed-out city heatmap). */
const MODE_LAYERS = {
  kde: ['kde-raster', 'incidents-heat'],
  hex: ['hexcounts-fill', 'hexcounts-line'],
  hotspots: ['hotspots-fill', 'hotspots-line'],
  emerging: ['emerging-fill', 'emerging-line'],
};

/** Picks an analysis mode by its segment (what a person clicks) and waits for its data. */
async function chooseMode(page, mode) {
  await page.click(`label[for="mode-${mode}"]`);
  await waitSettled(page);
  assert.equal(await page.isChecked(`#mode-${mode}`), true, `${mode} is the chosen mode`);
}

/** Which mode layers are visible: {layer id: true/false}. */
function layerVisibility(page) {
  return page.evaluate((ids) => Object.fromEntries(ids.map((id) => [id,
    Boolean(window.hotspotMap.getLayer(id)) && window.hotspotMap.getLayoutProperty(id, 'visibility') !== 'none'])),
  Object.values(MODE_LAYERS).flat());
}

/** Exactly the layers of `mode` are visible, and only its legend is shown. */
async function assertOnlyMode(page, mode) {
  const visibility = await layerVisibility(page);
  for (const [owner, ids] of Object.entries(MODE_LAYERS)) {
    for (const id of ids) assert.equal(visibility[id], owner === mode, `${id} is ${owner === mode ? 'shown' : 'hidden'} in ${mode} mode`);
  }
  const legends = await page.locator('.mode-panel').evaluateAll((nodes) => nodes.map((n) => [n.dataset.mode, !n.hidden && n.offsetParent !== null]));
  for (const [owner, shown] of legends) assert.equal(shown, owner === mode, `the ${owner} legend is ${owner === mode ? 'shown' : 'hidden'} in ${mode} mode`);
}

/** The URL of the last request the page made to an API path. */
function recordRequests(page, fragment) {
  const urls = [];
  page.on('request', (request) => {
    if (request.url().includes(fragment)) urls.push(new URL(request.url()));
  });
  return urls;
}

/** Sets both month sliders through their input events (indexes into the slider's months). */
/** The index of the last month the month pickers offer. */
function lastMonthIndex(page) {
  return page.$$eval('#month-from option', (options) => options.length - 1);
}

/** Chooses a month (by index) in one of the month pickers, as a person would. */
async function pickMonth(page, selector, index) {
  await page.selectOption(selector, String(index));
}

async function setMonths(page, from, to) {
  await page.evaluate(([a, b]) => {
    for (const [id, v] of [['#month-to', b], ['#month-from', a]]) {
      const input = document.querySelector(id);
      input.value = String(v);
      input.dispatchEvent(new Event('change'));
    }
  }, [from, to]);
  await page.waitForFunction(() => document.body.dataset.loading, null, { timeout: 2000 }).catch(() => {});
  await waitSettled(page);
}

/** The number in a table cell or text, whatever the locale's digit grouping. */
const digits = (text) => Number(text.replace(/[^\d]/g, ''));

/** Remembers the URL of every district-summary request the page makes. */
function recordSummaryRequests(page) {
  const urls = [];
  page.on('request', (request) => {
    if (request.url().includes('/api/districts/district-8/summary')) urls.push(request.url());
  });
  return urls;
}

function fetchJson(page, url) {
  return page.evaluate(async (u) => (await fetch(u)).json(), url);
}

/** The "all" row of the summary table, and the summary the API gives for the page's last request. */
async function summaryAgainstApi(page, urls) {
  assert.ok(urls.length > 0, 'the page asked for the district summary');
  const url = urls.at(-1);
  const api = await fetchJson(page, url);
  const shown = digits(await page.locator('#summary-table tr[data-code="all"] td.count').innerText());
  const all = api.categories.find((c) => c.code === 'all');
  return { url: new URL(url), api, all, shown };
}

test('laptop: the map loads with district 8, the heatmap and the synthetic-data banner', { timeout: TIMEOUT }, async () => {
  const { context, page, problems } = await openApp(LAPTOP);
  try {
    assert.equal(await page.getAttribute('html', 'lang'), 'da', 'Danish is the default language');

    const canvas = await page.locator('.maplibregl-canvas').boundingBox();
    assert.ok(canvas && canvas.width > 300 && canvas.height > 300, `map canvas too small: ${JSON.stringify(canvas)}`);

    const layers = await page.evaluate(() => {
      const map = window.hotspotMap;
      const outline = map.queryRenderedFeatures({ layers: ['district8-outline'] });
      return {
        outlineIds: [...new Set(outline.map((f) => f.properties.id))],
        heatmap: map.getLayer('incidents-heat')?.type,
        heatSource: map.getLayer('incidents-heat')?.source,
      };
    });
    assert.deepEqual(layers.outlineIds, ['district-8'], 'the district 8 outline is drawn, and only district 8');
    assert.equal(layers.heatmap, 'heatmap');
    assert.equal(layers.heatSource, 'hexbins');
    const features = await page.evaluate(async () => (await window.hotspotMap.getSource('hexbins').getData()).features.length);
    assert.ok(features > 0, 'the heatmap source has features');
    assert.ok((await hexbinTotal(page)) > 0, 'the heatmap counts incidents');

    const banner = page.locator('#synthetic-banner');
    assert.ok(await banner.isVisible(), 'the synthetic-data banner is visible');
    assert.match(await banner.innerText(), /syntetiske demodata/i);
    assert.ok((await page.locator('#synthetic-notice').innerText()).trim().length > 10, 'the banner shows the notice');
    assert.ok(await page.locator('.district-label').isVisible(), 'district 8 is labelled');

    await page.screenshot({ path: `${ARTIFACTS}map-laptop.png` });
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('filters: fewer categories and a shorter period draw fewer incidents, without reloading', { timeout: TIMEOUT }, async () => {
  const { context, page, problems } = await openApp(LAPTOP);
  try {
    await page.evaluate(() => { window.notReloaded = true; });
    const all = await hexbinTotal(page);
    assert.ok(all > 0);

    // Untick every category but one.
    await page.click('#categories-none');
    const first = page.locator('#category-list input[type="checkbox"]').first();
    await first.check();
    await waitSettled(page);
    const one = await hexbinTotal(page);
    assert.ok(one > 0, 'one category still has incidents');
    assert.ok(one < all, `one category (${one}) draws fewer incidents than all (${all})`);

    // No category: nothing is drawn.
    await first.uncheck();
    await waitSettled(page);
    assert.equal(await hexbinTotal(page), 0, 'no category, no incidents');

    // All categories again, and the last month only, set with the keyboard.
    await page.click('#categories-all');
    await pickMonth(page, '#month-from', await lastMonthIndex(page));
    await waitSettled(page);
    const lastMonth = await hexbinTotal(page);
    assert.ok(lastMonth < all, `one month (${lastMonth}) draws fewer incidents than five years (${all})`);
    assert.equal(await page.inputValue('#month-to'), await page.inputValue('#month-from'));

    assert.equal(await page.evaluate(() => window.notReloaded), true, 'the page was not reloaded');
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

/** Moves the map without animation and waits until its tiles are drawn. */
async function jumpTo(page, center, zoom) {
  await page.evaluate(([c, z]) => window.hotspotMap.jumpTo({ center: c, zoom: z }), [center, zoom]);
  await waitSettled(page);
}

/** The incidents drawn from the vector tiles: each once, with its properties and screen point. */
function renderedIncidents(page) {
  return page.evaluate(() => {
    const map = window.hotspotMap;
    const rect = map.getCanvas().getBoundingClientRect();
    const byId = new Map();
    for (const f of map.queryRenderedFeatures({ layers: ['incidents-points'] })) {
      if (byId.has(f.id)) continue;
      const p = map.project(f.geometry.coordinates);
      byId.set(f.id, {
        id: f.id,
        source: f.source,
        sourceLayer: f.sourceLayer,
        properties: f.properties,
        key: f.geometry.coordinates.map((v) => v.toFixed(5)).join(','),
        x: rect.left + p.x,
        y: rect.top + p.y,
        inside: p.x > 40 && p.x < rect.width - 80 && p.y > 60 && p.y < rect.height - 40,
      });
    }
    return [...byId.values()];
  });
}

/** District 8, zoomed in far enough for single incidents. */
const DISTRICT8_STREET = [12.5495, 55.6905];

test('incidents: zoomed in, district 8\'s incidents come as vector tiles, approximate for the public, and follow the filters', { timeout: TIMEOUT * 2 }, async () => {
  let tileRequests;
  let itemRequests;
  const { context, page, problems } = await openApp(LAPTOP, {}, (p) => {
    tileRequests = recordRequests(p, '/tiles/incidents/');
    itemRequests = recordRequests(p, '/api/collections/incidents/items');
  });
  try {
    const layer = await page.evaluate(() => {
      const map = window.hotspotMap;
      const l = map.getLayer('incidents-points');
      return { type: l?.type, source: l?.source, sourceLayer: l?.sourceLayer, sourceType: map.getSource(l?.source)?.type };
    });
    assert.deepEqual(layer, { type: 'circle', source: 'incidents-tiles', sourceLayer: 'incidents', sourceType: 'vector' });
    const codes = await page.locator('#category-list input').evaluateAll((inputs) => inputs.map((i) => i.value));

    await jumpTo(page, DISTRICT8_STREET, 16);
    const z16 = tileRequests.filter((u) => /\/tiles\/incidents\/16\/\d+\/\d+\.mvt$/.test(u.pathname));
    assert.ok(z16.length > 0, `the page asks for zoom-16 incident tiles: ${tileRequests.map((u) => u.pathname).join(' ')}`);
    assert.equal(z16[0].search, '', 'all categories and the whole period: no filter in the tile URL');
    assert.equal(itemRequests.filter((u) => u.searchParams.has('bbox')).length, 0, 'no single-incident fetch by bounding box any more');

    const incidents = await renderedIncidents(page);
    assert.ok(incidents.length > 0, 'incidents are drawn from the tiles');
    for (const { source, sourceLayer, properties } of incidents) {
      assert.equal(source, 'incidents-tiles');
      assert.equal(sourceLayer, 'incidents');
      assert.ok(codes.includes(properties.category), `a known category: ${properties.category}`);
      assert.equal(properties.precision, 'approximate', 'the public sees generalised incidents');
      assert.match(properties.occurred_at, /T\d\d:00:00Z$/, 'times floored to the hour');
    }
    assert.match(await page.locator('#status').innerText(), new RegExp(`Viser ${incidents.length.toLocaleString('da-DK').replace('.', '\\.')} hændelser i kortudsnittet`));

    // A popup: the incidents at that spot, said to be approximate in place and time.
    const stacks = new Map();
    for (const incident of incidents) {
      if (!incident.inside) continue;
      if (!stacks.has(incident.key)) stacks.set(incident.key, []);
      stacks.get(incident.key).push(incident);
    }
    const stack = [...stacks.values()].sort((a, b) => b.length - a.length)[0];
    assert.ok(stack, 'an incident well inside the map');
    await page.mouse.click(stack[0].x, stack[0].y);
    const popup = page.locator('.maplibregl-popup .popup');
    await popup.waitFor({ timeout: 5000 });
    const text = await popup.innerText();
    assert.match(text, /Omtrentlig placering \(±80\sm\) og time/);
    if (stack.length > 4) {
      assert.match(text, new RegExp(`^${stack.length} hændelser her`), 'a stack says how many incidents it has');
      const tally = await popup.locator('.popup-tally li .tally-count').allInnerTexts();
      assert.equal(tally.reduce((sum, n) => sum + digits(n), 0), stack.length, 'the count by category adds up');
    } else {
      assert.equal(await popup.locator('.popup-incident').count(), stack.length, 'one item per incident');
    }
    assert.match(text, /\d{2}\.00–\d{2}\.00/, 'a time is shown as its hour');
    await page.screenshot({ path: `${ARTIFACTS}map-incidents.png` });

    await page.click('#lang-switch button[data-lang="en"]');
    await page.mouse.click(stack[0].x, stack[0].y);
    await popup.waitFor({ timeout: 5000 });
    assert.match(await popup.innerText(), /Approximate location \(±80\sm\) and hour/);
    assert.match(await page.locator('#incidents-note').innerText(), /approximate \(±80\sm\)/);
    await page.click('#lang-switch button[data-lang="da"]');
    assert.match(await page.locator('#incidents-note').innerText(), /omtrentlig \(±80\sm\)/);

    // One category: the tile URL says so, and only that category is drawn.
    await page.click('#categories-none');
    await page.check('#category-theft');
    await page.waitForFunction(() => document.body.dataset.loading, null, { timeout: 2000 }).catch(() => {});
    await waitSettled(page);
    assert.equal(tileRequests.at(-1).searchParams.get('category'), 'theft', 'the tiles follow the category filter');
    const theft = await renderedIncidents(page);
    assert.ok(theft.length > 0 && theft.length < incidents.length, `fewer incidents for one category (${theft.length} of ${incidents.length})`);
    assert.ok(theft.every((i) => i.properties.category === 'theft'), 'only thefts are drawn');

    // 2013 only: the tiles follow the period too.
    await setMonths(page, 36, 47);
    const asked = tileRequests.at(-1);
    assert.equal(asked.searchParams.get('category'), 'theft');
    assert.match(asked.searchParams.get('datetime') ?? '', /^2012-12-31T23:00:00Z\/2013-12-31T22:59:59Z$/);
    const year = await renderedIncidents(page);
    assert.ok(year.length < theft.length, `fewer thefts in one year (${year.length}) than in five (${theft.length})`);
    for (const { properties } of year) {
      const at = Date.parse(properties.occurred_at);
      assert.ok(at >= Date.parse('2012-12-31T23:00:00Z') && at < Date.parse('2013-12-31T23:00:00Z'), properties.occurred_at);
    }

    // No category: nothing is drawn and no tile is asked for.
    await page.click('#categories-none');
    await waitSettled(page);
    assert.equal((await renderedIncidents(page)).length, 0, 'no category, no incidents');

    // Zoomed out: the heatmap, no single incidents.
    await page.click('#categories-all');
    await jumpTo(page, DISTRICT8_STREET, 13);
    assert.equal((await renderedIncidents(page)).length, 0, 'no single incidents when zoomed out');
    assert.match(await page.locator('#status').innerText(), /Zoom ind for at se de enkelte hændelser/);

    // The API documentation is linked from "About the data".
    const docs = page.locator('#api-docs-link');
    assert.equal(await docs.innerText(), 'API-dokumentation');
    assert.equal(new URL(await docs.evaluate((a) => a.href)).pathname, '/api/docs');
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('language: switching to English and back changes the labels and the lang attribute', { timeout: TIMEOUT }, async () => {
  const { context, page, problems } = await openApp(LAPTOP);
  try {
    const heading = page.locator('#period-heading');
    const firstCategory = page.locator('#category-list .category-label').first();
    assert.equal(await heading.innerText(), 'Periode');
    const danishCategory = await firstCategory.innerText();

    await page.click('#lang-switch button[data-lang="en"]');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await heading.innerText(), 'Period');
    assert.match(await page.locator('#synthetic-banner .banner-label').innerText(), /synthetic demo data/i);
    assert.notEqual(await firstCategory.innerText(), danishCategory, 'category labels are translated');
    assert.match(await page.locator('.district-label').innerText(), /District 8/);
    assert.equal(await page.getAttribute('#lang-switch button[data-lang="en"]', 'aria-pressed'), 'true');

    await page.click('#lang-switch button[data-lang="da"]');
    assert.equal(await page.getAttribute('html', 'lang'), 'da');
    assert.equal(await heading.innerText(), 'Periode');
    assert.equal(await firstCategory.innerText(), danishCategory);
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('phone: banner, map and controls are all reachable at 390×844', { timeout: TIMEOUT }, async () => {
  const { context, page, problems } = await openApp(PHONE, { deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  try {
    const banner = await page.locator('#synthetic-banner').boundingBox();
    const map = await page.locator('#map').boundingBox();
    const toggle = page.locator('#panel-toggle');
    assert.ok(await page.locator('#synthetic-banner').isVisible(), 'the banner is visible on a phone');
    assert.ok(banner.height <= 60, `the banner stays small (${banner.height}px)`);
    assert.ok(banner.y + banner.height <= map.y + 1, 'the banner does not cover the map');
    assert.ok(map.height >= PHONE.height * 0.6, `the map is the main thing on a phone (${map.height}px)`);
    assert.ok(await toggle.isVisible(), 'the panel toggle is visible');
    const toggleBox = await toggle.boundingBox();
    assert.ok(toggleBox.y + toggleBox.height <= PHONE.height, 'the panel toggle is on screen');

    await page.screenshot({ path: `${ARTIFACTS}map-phone.png` });

    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    for (const selector of ['label[for="mode-kde"]', 'label[for="mode-emerging"]', '#kde-bandwidth', '#month-from', '#month-to', '#categories-none', '#category-list input >> nth=-1', '#layer-observations', '#trend-category']) {
      const control = page.locator(selector);
      await control.scrollIntoViewIfNeeded();
      assert.ok(await control.isVisible(), `${selector} is visible`);
      const box = await control.boundingBox();
      assert.ok(box.y >= 0 && box.y + box.height <= PHONE.height, `${selector} is on screen: ${JSON.stringify(box)}`);
    }
    // District 8 in numbers fits the bottom sheet: no sideways scrolling, the grid cells visible.
    for (const selector of ['#mode-switch', '#summary-table', '#trend-chart svg', '#hour-grid', '#safety-list']) {
      const block = page.locator(selector);
      await block.scrollIntoViewIfNeeded();
      const box = await block.boundingBox();
      assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width, `${selector} fits the phone's width: ${JSON.stringify(box)}`);
    }
    const overflow = await page.evaluate(() => {
      const body = document.querySelector('#panel-body');
      return body.scrollWidth - body.clientWidth;
    });
    assert.ok(overflow <= 0, `the panel does not scroll sideways (${overflow}px)`);
    const gridCell = await page.locator('#hour-grid .hg-cell').first().boundingBox();
    assert.ok(gridCell.width >= 8 && gridCell.height >= 8, `hour-grid cells are legible: ${JSON.stringify(gridCell)}`);
    // The trend chart's axis text stays readable on a phone (at least 10 CSS px).
    const axisText = await page.locator('#trend-chart .trend-axis text').first().boundingBox();
    assert.ok(axisText.height >= 10, `trend-chart labels are legible: ${JSON.stringify(axisText)}`);
    // A mode segment is a comfortable tap target, and a tap switches the map.
    const segment = await page.locator('label[for="mode-emerging"]').boundingBox();
    assert.ok(segment.height >= 36, `the mode segments are tap-sized: ${JSON.stringify(segment)}`);
    await page.locator('label[for="mode-emerging"]').tap();
    await waitSettled(page);
    await assertOnlyMode(page, 'emerging');
    await page.locator('#mode-section').evaluate((node) => node.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: `${ARTIFACTS}map-phone-modes.png` });
    await page.locator('label[for="mode-kde"]').tap();
    await waitSettled(page);
    await assertOnlyMode(page, 'kde');
    await page.locator('#summary-heading').evaluate((node) => node.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: `${ARTIFACTS}map-phone-summary.png` });

    const before = await hexbinTotal(page);
    await page.locator('#category-list input >> nth=0').tap();
    await waitSettled(page);
    assert.ok((await hexbinTotal(page)) < before, 'tapping a category re-filters on a phone');

    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('hot spots: the Gi* layer draws significant cells, explains them, and says when it cannot', { timeout: TIMEOUT * 2 }, async () => {
  const { context, page, problems } = await openApp(LAPTOP);
  try {
    assert.equal(await page.isChecked('#mode-hotspots'), false, 'the hot-spot mode is not the first one');
    assert.equal(await page.isChecked('#mode-kde'), true, 'the map starts with the density');
    assert.equal(await page.locator('.legend-hotspots').isVisible(), false, 'no hot-spot legend while the layer is off');

    await chooseMode(page, 'hotspots');
    const { cells, bins } = await renderedBins(page);
    assert.ok(cells > 0, 'the hot-spot layer has rendered features');
    assert.ok((bins[3] ?? 0) >= 1, `at least one cell is a hot spot at 99 % for the whole period: ${JSON.stringify(bins)}`);
    const order = await page.evaluate(() => window.hotspotMap.getStyle().layers.map((l) => l.id));
    assert.ok(order.indexOf('hotspots-fill') > order.indexOf('incidents-heat'), 'hot spots are drawn above the heatmap');
    assert.ok(order.indexOf('hotspots-fill') < order.indexOf('district8-outline'), 'and below the district outline');
    assert.ok(order.indexOf('hotspots-fill') < order.indexOf('incidents-points'), 'and below the points');
    assert.ok(await page.locator('.legend-hotspots').isVisible(), 'the hot-spot legend is shown');
    assert.match(await page.locator('#hotspots-note').innerText(), /\d+ hot spots og \d+ cold spots/);
    await page.screenshot({ path: `${ARTIFACTS}map-hotspots.png` });

    // Click the middle of a 99 % hot spot: the popup gives count, z, p and the bin in words.
    const point = await page.evaluate(async () => {
      const map = window.hotspotMap;
      const data = await map.getSource('hotspots').getData();
      const cell = data.features.find((f) => Number(f.properties.bin) === 3);
      const ring = cell.geometry.coordinates[0].slice(0, -1);
      const centre = ring.reduce(([x, y], [a, b]) => [x + a / ring.length, y + b / ring.length], [0, 0]);
      const rect = map.getCanvas().getBoundingClientRect();
      const p = map.project(centre);
      return { x: rect.left + p.x, y: rect.top + p.y, count: cell.properties.count };
    });
    await page.mouse.click(point.x, point.y);
    const popup = page.locator('.maplibregl-popup .popup-cell');
    await popup.waitFor({ timeout: 5000 });
    const text = await popup.innerText();
    assert.match(text, /Hot spot, 99 % sikkerhed/);
    assert.match(text, /Hændelser\s+\d+/);
    assert.match(text, /z-værdi\s+\d+,\d\d/);
    assert.match(text, /p-værdi\s+[<\d]/);
    await page.keyboard.press('Escape');

    // The last month and one rare category: too few incidents for Gi*. The API's reason is shown
    // by the toggle and nothing is drawn. (The 422 answer is expected here, not a page error.)
    const refused = page.waitForResponse((r) => r.url().includes('/api/analysis/hotspots') && r.status() === 422, { timeout: TIMEOUT });
    await page.click('#categories-none');
    await page.check('#category-weapons');
    await pickMonth(page, '#month-from', await lastMonthIndex(page));
    const apiDetail = await (await refused).json();
    await waitSettled(page);
    const note = page.locator('#hotspots-note');
    assert.match(apiDetail.detail, /at least 30/, 'the API refuses this selection');
    assert.match(await note.innerText(), /kan ikke beregnes: kun \d+ hændelser .* mindst 30/);
    assert.equal(await note.getAttribute('title'), apiDetail.detail, 'the API\'s own words are kept');
    assert.equal(await note.getAttribute('class'), 'note mode-note warn');
    assert.equal((await renderedBins(page)).cells, 0, 'no hot-spot cells when Gi* cannot be computed');
    assert.equal(await page.locator('#status .error').count(), 0, 'a 422 is not shown as a loading error');

    // Back to the whole period: the layer returns.
    await page.click('#categories-all');
    await page.click('[data-preset="all"]');
    await waitSettled(page);
    assert.ok((await renderedBins(page)).cells > 0, 'the cells are back for the whole period');
    assert.doesNotMatch(await note.innerText(), /kan ikke/);

    await chooseMode(page, 'kde');
    assert.equal(await page.locator('.legend-hotspots').isVisible(), false);
    assert.equal(await page.evaluate(() => window.hotspotMap.getLayoutProperty('hotspots-fill', 'visibility')), 'none');

    const unexpected = problems.filter((p) => !(/422/.test(p) && (/hotspots/.test(p) || /console error/.test(p))));
    assertNoProblems(unexpected);
  } finally {
    await context.close();
  }
});

test('summary: district 8 in numbers follows the month range and shows the safety-index levels', { timeout: TIMEOUT * 2 }, async () => {
  const context = await browser.newContext({ viewport: LAPTOP });
  const page = await context.newPage();
  const urls = recordSummaryRequests(page);
  const problems = [];
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  try {
    await page.goto(PAGE_URL);
    await waitReady(page);
    assert.equal(await page.locator('#summary-heading').innerText(), 'Distrikt 8 i tal');

    // The whole period: the "all" count is the API's, asked for whole calendar months.
    const whole = await summaryAgainstApi(page, urls);
    assert.match(whole.url.searchParams.get('from'), /^\d{4}-\d\d-01$/);
    assert.match(whole.url.searchParams.get('to'), /^\d{4}-(01-31|02-2[89]|03-31|04-30|05-31|06-30|07-31|08-31|09-30|10-31|11-30|12-31)$/);
    assert.ok(whole.all.count > 0);
    assert.equal(whole.shown, whole.all.count, 'the total shown is the API\'s "all" count');
    assert.equal(await page.locator('#summary-table tbody tr').count(), whole.api.categories.length, 'one row per category and the total');
    assert.equal(await page.locator('#hour-grid .hg-cell').count(), 7 * 24, 'a 7 × 24 hour-by-weekday grid');
    assert.match(await page.locator('#summary-night').innerText(), /\d+\s%/);
    // Five years back from 2010 there are no data: no comparison is claimed.
    assert.equal(await page.locator('#summary-table .sig-mark').count(), 0, 'no change test against a period without data');
    assert.ok(await page.locator('#summary-compare-note').isVisible());

    // Safety index for the year the range ends in: one coloured chip per crime group.
    const year = new Date(whole.api.period.to).getUTCFullYear();
    assert.equal(await page.locator('#safety-heading').innerText(), `Tryghedsindeks ${year}`);
    const chips = await page.locator('#safety-list .level-chip').evaluateAll((nodes) => nodes.map((n) => ({
      level: n.dataset.level,
      colour: getComputedStyle(n).backgroundColor,
    })));
    assert.equal(chips.length, 5, 'five crime groups');
    for (const chip of chips) {
      assert.ok(['markant', 'intensiveret', 'ordinær'].includes(chip.level), chip.level);
      assert.notEqual(chip.colour, 'rgba(0, 0, 0, 0)', 'the chip is coloured');
    }
    assert.match(await page.locator('#safety-note').innerText(), /syntetiske demodata.*ikke det officielle/);

    // 2013–2014 against 2011–2012, both covered by the data: counts, changes and test markers.
    await pickMonth(page, '#month-from', (await lastMonthIndex(page)) - 23);
    await waitSettled(page);
    const recent = await summaryAgainstApi(page, urls);
    assert.notEqual(recent.url.href, whole.url.href, 'changing the month range asks for a new summary');
    assert.equal(recent.shown, recent.all.count, 'the total follows the month range');
    assert.ok(recent.all.count < whole.all.count);
    const previousShown = digits(await page.locator('#summary-table tr[data-code="all"] td.previous').innerText());
    assert.equal(previousShown, recent.all.previous, 'the period before is shown');
    const significant = recent.api.categories.filter((c) => c.significant).map((c) => c.code).sort();
    const marked = (await page.locator('#summary-table tr:has(.sig-mark)').evaluateAll((rows) => rows.map((r) => r.dataset.code))).sort();
    assert.deepEqual(marked, significant, 'the rows marked significant are the API\'s');
    assert.ok(await page.locator('#summary-sig-legend').isVisible(), 'the marker is explained');
    assert.match(await page.locator('#summary-sig-legend').innerText(), /markant ændring \(p < 0,05\)/);
    assert.match(await page.locator('#summary-table tr[data-code="all"] td.change').innerText(), /[↑↓→] \d+\s?%/);

    // The last year of 2012: the safety index follows the end of the range.
    await pickMonth(page, '#month-to', (await lastMonthIndex(page)) - 24);
    await pickMonth(page, '#month-from', 0);
    await waitSettled(page);
    assert.equal(await page.locator('#safety-heading').innerText(), 'Tryghedsindeks 2012');
    const shortPeriod = await summaryAgainstApi(page, urls);
    assert.equal(shortPeriod.url.searchParams.get('to'), '2012-12-31');
    assert.equal(shortPeriod.shown, shortPeriod.all.count);

    // English: the new texts follow the language switch.
    await page.click('#lang-switch button[data-lang="en"]');
    assert.equal(await page.locator('#summary-heading').innerText(), 'District 8 in numbers');
    assert.equal(await page.locator('#summary-table tr[data-code="all"] th').innerText(), 'Total');
    assert.equal(await page.locator('#safety-heading').innerText(), 'Safety index 2012');
    assert.match(await page.locator('#safety-note').innerText(), /synthetic demo data.*not the official/);
    assert.match(await page.locator('#hour-grid .hg-day').first().innerText(), /Mon/);
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('modes: density, hex counts, hot spots and emerging hot spots each draw their layer and legend, one at a time', { timeout: TIMEOUT * 3 }, async () => {
  let kdeRequests;
  const { context, page, problems } = await openApp(LAPTOP, {}, (p) => { kdeRequests = recordRequests(p, '/api/analysis/kde'); });
  try {
    // The segmented control is a radio group: four radios, one checked, arrow keys move the choice.
    assert.equal(await page.locator('#mode-switch input[type="radio"][name="mode"]').count(), 4);
    assert.equal(await page.locator('#mode-switch input:checked').count(), 1);
    await assertOnlyMode(page, 'kde');

    // Density: the server's raster as an image source on its own bounding box; the legend's top
    // is the raster's real maximum in incidents per km².
    const kde = await page.evaluate(async () => {
      const map = window.hotspotMap;
      const source = map.getSource('kde');
      const url = new URL('api/analysis/kde', document.baseURI);
      url.search = new URLSearchParams({ district: 'district-8', cell_m: '20', bandwidth_m: '150' });
      const api = await (await fetch(url)).json();
      return { type: source?.type, coordinates: source?.coordinates, raster: { bbox: api.raster.bbox, max: api.raster.max } };
    });
    assert.equal(kde.type, 'image', 'the KDE is an image source');
    const [w, s, e, n] = kde.raster.bbox;
    assert.deepEqual(kde.coordinates, [[w, n], [e, n], [e, s], [w, s]], 'the image covers the raster\'s bbox, north-west first');
    assert.ok(kde.raster.max > 0);
    const labels = await page.locator('#kde-ramp-labels span').allInnerTexts();
    assert.equal(labels.length, 3);
    assert.equal(digits(labels[2]), Math.round(kde.raster.max), 'the legend ends at the raster\'s maximum');
    assert.match(await page.locator('.legend-kde h3').innerText(), /pr\. km²/);
    assert.match(await page.locator('#kde-note').innerText(), /båndbredde 150\sm/);
    const asked = kdeRequests.at(-1);
    assert.equal(asked.searchParams.get('cell_m'), '20');
    assert.equal(asked.searchParams.get('bandwidth_m'), '150');
    assert.equal(asked.searchParams.get('district'), 'district-8');
    // Click the densest raster cell: the popup gives the density there.
    const peak = await page.evaluate(async () => {
      const map = window.hotspotMap;
      const url = new URL('api/analysis/kde', document.baseURI);
      url.search = new URLSearchParams({ district: 'district-8', cell_m: '20', bandwidth_m: '150' });
      const { raster } = await (await fetch(url)).json();
      const index = raster.values.indexOf(Math.max(...raster.values));
      const [w, s, e, n] = raster.bbox;
      const lon = w + ((index % raster.width) + 0.5) * ((e - w) / raster.width);
      const lat = n - (Math.floor(index / raster.width) + 0.5) * ((n - s) / raster.height);
      const rect = map.getCanvas().getBoundingClientRect();
      const p = map.project([lon, lat]);
      return { x: rect.left + p.x, y: rect.top + p.y };
    });
    await page.mouse.click(peak.x, peak.y);
    const kdePopup = page.locator('.maplibregl-popup .popup-kde');
    await kdePopup.waitFor({ timeout: 5000 });
    const density = digits(await kdePopup.locator('.popup-value').innerText());
    assert.ok(density > 0.9 * kde.raster.max, `the popup gives the density at the peak (${density} of ${kde.raster.max})`);
    assert.match(await kdePopup.innerText(), /hændelser pr\. km²/);
    await page.screenshot({ path: `${ARTIFACTS}map-kde.png` });
    await page.keyboard.press('Escape');

    // A wider kernel spreads the same incidents: a lower peak.
    await page.selectOption('#kde-bandwidth', '250');
    await waitSettled(page);
    assert.equal(kdeRequests.at(-1).searchParams.get('bandwidth_m'), '250');
    const wider = digits((await page.locator('#kde-ramp-labels span').allInnerTexts())[2]);
    assert.ok(wider < Math.round(kde.raster.max), `a 250 m bandwidth peaks lower (${wider}) than 150 m (${Math.round(kde.raster.max)})`);

    // Keyboard: the arrow key moves from density to hex counts.
    await page.focus('#mode-kde');
    await page.keyboard.press('ArrowRight');
    await waitSettled(page);
    assert.equal(await page.isChecked('#mode-hex'), true, 'ArrowRight chooses the next mode');
    await assertOnlyMode(page, 'hex');
    const hex = await page.evaluate(async () => {
      const data = await window.hotspotMap.getSource('hexcounts').getData();
      return {
        cells: data.features.length,
        total: data.features.reduce((sum, f) => sum + Number(f.properties.count), 0),
        max: Math.max(...data.features.map((f) => Number(f.properties.per_km2))),
        polygons: data.features.every((f) => f.geometry.type === 'Polygon'),
      };
    });
    assert.ok(hex.cells > 0 && hex.polygons, 'hex cells are polygons');
    const summaryAll = await page.evaluate(async () => {
      const api = await (await fetch(new URL('api/districts/district-8/summary?from=2010-01-01&to=2014-12-31', document.baseURI))).json();
      return api.categories.find((c) => c.code === 'all').count;
    });
    // The public answer leaves out cells of 1–2 incidents (suppressedCells of them): the cells
    // drawn plus what was left out make up every incident of district 8.
    const hexAnswer = await page.evaluate(async () => {
      const u = new URL('api/analysis/hexbins', document.baseURI);
      u.search = new URLSearchParams({ district: 'district-8', resolution: '10', geometry: 'polygon' }).toString();
      return (await fetch(u)).json();
    });
    assert.equal(hexAnswer.features.length, hex.cells, 'the drawn cells are the public answer');
    const left = summaryAll - hex.total;
    assert.ok(hex.total <= summaryAll && left >= hexAnswer.suppressedCells && left <= 2 * hexAnswer.suppressedCells,
      `the hex cells (${hex.total}) and the ${hexAnswer.suppressedCells} suppressed ones (1–2 each) make up district 8's ${summaryAll} incidents`);
    assert.ok(hexAnswer.features.every((f) => f.properties.count >= 3), 'no public cell shows fewer than 3 incidents');
    assert.equal(digits((await page.locator('#hex-ramp-labels span').allInnerTexts())[2]), Math.round(hex.max), 'the hex legend ends at the densest cell');
    assert.match(await page.locator('.legend-hex h3').innerText(), /pr\. km²/);
    // The densest cell's popup: its count and density.
    const densest = await page.evaluate(async () => {
      const map = window.hotspotMap;
      const data = await map.getSource('hexcounts').getData();
      const cell = data.features.reduce((a, b) => (Number(b.properties.count) > Number(a.properties.count) ? b : a));
      const ring = cell.geometry.coordinates[0].slice(0, -1);
      const centre = ring.reduce(([x, y], [a, b]) => [x + a / ring.length, y + b / ring.length], [0, 0]);
      const rect = map.getCanvas().getBoundingClientRect();
      const p = map.project(centre);
      return { x: rect.left + p.x, y: rect.top + p.y, count: Number(cell.properties.count) };
    });
    await page.mouse.click(densest.x, densest.y);
    const hexPopup = page.locator('.maplibregl-popup .popup-hex');
    await hexPopup.waitFor({ timeout: 5000 });
    assert.match(await hexPopup.innerText(), new RegExp(`Hændelser\\s+${densest.count}\\b`));
    assert.match(await hexPopup.innerText(), /Pr\. km²\s+[\d.]+/);
    await page.keyboard.press('Escape');

    await chooseMode(page, 'hotspots');
    await assertOnlyMode(page, 'hotspots');
    assert.ok((await renderedBins(page)).cells > 0, 'the Gi* cells are drawn');

    // Emerging hot spots: classes per cell, a legend of the classes present with their definitions.
    await chooseMode(page, 'emerging');
    await assertOnlyMode(page, 'emerging');
    const emerging = await page.evaluate(async () => {
      const data = await window.hotspotMap.getSource('emerging').getData();
      const classes = {};
      for (const f of data.features) classes[f.properties.class] = (classes[f.properties.class] ?? 0) + 1;
      return { cells: data.features.length, classes };
    });
    assert.ok(emerging.cells > 0, 'the emerging layer has cells');
    const legendClasses = await page.locator('#emerging-legend li').evaluateAll((items) => items.map((li) => ({
      name: li.dataset.class,
      label: li.querySelector('.class-name').textContent,
      definition: li.querySelector('.class-def').textContent,
    })));
    assert.deepEqual(legendClasses.map((c) => c.name).sort(), Object.keys(emerging.classes).sort(), 'the legend lists exactly the classes present');
    for (const c of legendClasses) {
      assert.ok(c.definition.length > 10, `${c.name} is defined in the legend`);
      assert.doesNotMatch(c.label, /_/, `${c.name} has a name in words`);
    }
    assert.ok(legendClasses.some((c) => /hot spot/.test(c.label)), 'some cell is an emerging hot spot for the whole period');
    assert.match(await page.locator('#emerging-note').innerText(), /\d+ celler og 20 kvartaler/);

    // A patterned cell's popup: class, definition and a sparkline with one point per quarter.
    const patterned = await page.evaluate(async () => {
      const map = window.hotspotMap;
      const data = await map.getSource('emerging').getData();
      const cell = data.features.find((f) => f.properties.class !== 'no_pattern');
      const ring = cell.geometry.coordinates[0].slice(0, -1);
      const centre = ring.reduce(([x, y], [a, b]) => [x + a / ring.length, y + b / ring.length], [0, 0]);
      const rect = map.getCanvas().getBoundingClientRect();
      const p = map.project(centre);
      return { x: rect.left + p.x, y: rect.top + p.y, steps: cell.properties.counts.length, name: cell.properties.class };
    });
    await page.mouse.click(patterned.x, patterned.y);
    const emergingPopup = page.locator('.maplibregl-popup .popup-emerging');
    await emergingPopup.waitFor({ timeout: 5000 });
    const expected = legendClasses.find((c) => c.name === patterned.name);
    const popupText = await emergingPopup.innerText();
    assert.ok(popupText.includes(expected.label), `the popup names the class (${expected.label})`);
    assert.ok(popupText.includes(expected.definition), 'and defines it');
    const points = await emergingPopup.locator('svg.sparkline polyline').getAttribute('points');
    assert.equal(points.trim().split(/\s+/).length, patterned.steps, 'the sparkline has a point per quarter');
    assert.match(await emergingPopup.locator('svg.sparkline').getAttribute('aria-label'), /K1 2010 – K4 2014/);
    await page.screenshot({ path: `${ARTIFACTS}map-emerging.png` });
    await page.keyboard.press('Escape');

    // English: class names and the API's own definitions.
    await page.click('#lang-switch button[data-lang="en"]');
    const english = await page.locator('#emerging-legend li .class-name').allInnerTexts();
    assert.ok(english.every((name) => /hot spot|cold spot|No pattern/.test(name)), english.join(', '));
    await page.click('#lang-switch button[data-lang="da"]');

    // Two months: too few quarters for a space-time trend. The reason is shown, nothing is drawn.
    const refused = page.waitForResponse((r) => r.url().includes('/api/analysis/emerging') && r.status() === 422, { timeout: TIMEOUT });
    const last = await lastMonthIndex(page);
    await setMonths(page, last - 1, last);
    await refused;
    await waitSettled(page);
    const note = page.locator('#emerging-note');
    assert.match(await note.innerText(), /kan ikke beregnes.*mindst 3/);
    assert.ok((await note.getAttribute('class')).includes('warn'));
    assert.ok((await note.getAttribute('title')).length > 0, 'the API\'s reason is kept');
    assert.equal(await page.evaluate(async () => (await window.hotspotMap.getSource('emerging').getData()).features.length), 0);
    assert.equal(await page.locator('#status .error').count(), 0, 'a 422 is not shown as a loading error');

    // Back to density for the same two months: its raster follows the period.
    await chooseMode(page, 'kde');
    await assertOnlyMode(page, 'kde');
    assert.ok(kdeRequests.at(-1).searchParams.get('datetime'), 'the KDE follows the period');

    const unexpected = problems.filter((p) => !(/422/.test(p) && (/emerging/.test(p) || /console error/.test(p))));
    assertNoProblems(unexpected);
  } finally {
    await context.close();
  }
});

test('trend: one bar per month or quarter, and the bars add up to the summary\'s total', { timeout: TIMEOUT * 2 }, async () => {
  let urls;
  const { context, page, problems } = await openApp(LAPTOP, {}, (p) => { urls = recordSummaryRequests(p); });
  const bars = () => page.locator('#trend-chart svg rect.trend-bar').evaluateAll((nodes) => nodes.map((n) => Number(n.dataset.n)));
  const sum = (values) => values.reduce((a, b) => a + b, 0);
  try {
    await page.locator('#trend-chart').scrollIntoViewIfNeeded();
    // Five years: 20 calendar quarters.
    const whole = await summaryAgainstApi(page, urls);
    let values = await bars();
    assert.equal(values.length, 20, 'the whole period is drawn by quarter');
    assert.equal(sum(values), whole.all.count, 'the bars add up to the summary\'s "all" count');
    assert.equal(await page.locator('#trend-heading').innerText(), 'Hændelser pr. kvartal');
    const svg = page.locator('#trend-chart svg');
    assert.equal(await svg.getAttribute('role'), 'img');
    assert.match(await svg.locator('desc').textContent(), new RegExp(`i alt ${whole.all.count.toLocaleString('da-DK').replace('.', '\\.')}`));
    assert.ok((await svg.locator('title').first().textContent()).length > 5, 'the chart has a title');
    assert.ok(await svg.locator('text.year').count() >= 5, 'the years are labelled');

    // 2013: twelve months, one bar each, the same total as the summary for 2013.
    await setMonths(page, 36, 47);
    const year = await summaryAgainstApi(page, urls);
    assert.equal(year.url.searchParams.get('from'), '2013-01-01');
    assert.equal(year.url.searchParams.get('to'), '2013-12-31');
    values = await bars();
    assert.equal(values.length, 12, 'a year is drawn by month');
    assert.equal(sum(values), year.all.count, 'the monthly bars add up to the summary for 2013');
    assert.equal(await page.locator('#trend-heading').innerText(), 'Hændelser pr. måned');

    // A line for one category: a dot per month, adding up to that category's count.
    await page.selectOption('#trend-category', 'violence');
    const dots = await page.locator('#trend-chart svg circle.trend-dot').evaluateAll((nodes) => nodes.map((n) => Number(n.dataset.n)));
    assert.equal(dots.length, 12, 'one dot per month');
    assert.equal(sum(dots), year.api.categories.find((c) => c.code === 'violence').count, 'the line adds up to the violence count');
    assert.equal(await page.locator('#trend-legend li').count(), 2, 'the legend names the bars and the line');

    // The default line follows the category filter.
    await page.selectOption('#trend-category', '@selected');
    await page.click('#categories-none');
    await page.check('#category-theft');
    await waitSettled(page);
    const theft = await page.locator('#trend-chart svg circle.trend-dot').evaluateAll((nodes) => nodes.map((n) => Number(n.dataset.n)));
    assert.equal(sum(theft), year.api.categories.find((c) => c.code === 'theft').count, 'the line is the selected category');
    assert.equal(sum(await bars()), year.all.count, 'the bars stay all categories');

    // 25 months: quarters again, partial ones marked.
    await page.click('#categories-all');
    await setMonths(page, 14, 38);
    const span = await summaryAgainstApi(page, urls);
    values = await bars();
    assert.equal(values.length, 9, 'March 2011 – March 2013 touches nine calendar quarters');
    assert.equal(sum(values), span.all.count);
    assert.equal(await page.locator('#trend-chart rect.trend-bar.partial').count(), 1, 'the first quarter is partial');
    assert.match(await page.locator('#trend-note').innerText(), /delvis/);
    await page.locator('#trend-heading').evaluate((node) => node.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: `${ARTIFACTS}map-trend.png` });
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Resident reports, moderation and safety walks (reports.js, planner.js)
// ---------------------------------------------------------------------------------------------

const PHONE_OPTIONS = { deviceScaleFactor: 2, isMobile: true, hasTouch: true };
/** A spot in district 8 (Blågårdsgade) and one in Frederiksberg, a municipality of its own. */
const DISTRICT8_SPOT = [12.5531, 55.6872];
const FREDERIKSBERG_SPOT = [12.5205, 55.6785];

let plannerTokenPromise = null;
/**
 * A planner token for the planner parts, or null when the test cannot make one (it needs
 * HOTSPOT_PLANNER_TOKEN, or HOTSPOT_BIN and HOTSPOT_DATA_DIR). Waits until the server knows it.
 */
function plannerToken() {
  plannerTokenPromise ??= (async () => {
    let token = process.env.HOTSPOT_PLANNER_TOKEN;
    if (!token && process.env.HOTSPOT_BIN && process.env.HOTSPOT_DATA_DIR) {
      token = execFileSync(process.env.HOTSPOT_BIN,
        ['token', 'create', '--role', 'planner', '--name', 'browser test', '--data-dir', process.env.HOTSPOT_DATA_DIR],
        { encoding: 'utf8' }).trim().split(/\s+/).at(-1);
    }
    if (!token) return null;
    const url = new URL('api/reports?status=new&limit=1', PAGE_URL);
    for (let i = 0; i < 100; i += 1) {
      const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
      if (response.ok) return token;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the server did not accept the new planner token within 10 s');
  })();
  return plannerTokenPromise;
}

const NO_TOKEN = 'needs a planner token: set HOTSPOT_PLANNER_TOKEN, or HOTSPOT_BIN and HOTSPOT_DATA_DIR (tests/browser.rs)';

/** The page position of a lon/lat on the map. */
function screenPoint(page, lngLat, dy = 0) {
  return page.evaluate(([p, d]) => {
    const map = window.hotspotMap;
    const rect = map.getCanvas().getBoundingClientRect();
    const point = map.project(p);
    return { x: rect.left + point.x, y: rect.top + point.y + d };
  }, [lngLat, dy]);
}

/** Centres the map on a spot (in the part an open sheet leaves free) and waits. */
async function centreOn(page, lngLat, zoom) {
  await page.evaluate(([c, z]) => window.hotspotMap.jumpTo({ center: c, zoom: z }), [lngLat, zoom]);
  await page.waitForFunction(() => window.hotspotMap.loaded() && !window.hotspotMap.isMoving(), null, { timeout: TIMEOUT });
}

/** Taps (phone) or clicks (laptop) the map at a lon/lat. */
async function tapMap(page, lngLat, touch, dy = 0) {
  const { x, y } = await screenPoint(page, lngLat, dy);
  if (touch) await page.touchscreen.tap(x, y);
  else await page.mouse.click(x, y);
}

/** Signs in to the secretariat's tools from the "About the data" section. */
async function signInPlanner(page, token, phone) {
  if (phone && (await page.getAttribute('#panel-toggle', 'aria-expanded')) !== 'true') await page.click('#panel-toggle');
  await page.locator('#planner-entry').scrollIntoViewIfNeeded();
  await page.click('#planner-entry');
  await page.waitForSelector('#planner-sheet:not([hidden]) #planner-token');
  await page.fill('#planner-token', token);
  await page.click('.planner-login button[type="submit"]');
  await page.waitForSelector('#planner-tab-moderation[aria-selected="true"]');
  await page.waitForFunction(() => !document.querySelector('#mod-list[aria-busy]'));
}

/** A box lies wholly on the screen. */
function assertOnScreen(box, viewport, what) {
  assert.ok(box && box.x >= 0 && box.y >= 0 && box.x + box.width <= viewport.width + 0.5 && box.y + box.height <= viewport.height + 0.5,
    `${what} is on screen: ${JSON.stringify(box)}`);
}

test('reports: a resident reports in Danish, a planner publishes, the report is on the map', { timeout: TIMEOUT * 4 }, async (t) => {
  const stamp = Date.now().toString(36);
  const description = `Porten ved nr. 7 er helt mørk (${stamp}). <script>window.__xss=1</script> Skriv til jens@example.dk eller ring 22 33 44 55.`;
  let reportId;
  let followHref;

  // 1. A resident on a phone, in Danish.
  const resident = await openApp(PHONE, PHONE_OPTIONS);
  try {
    const { page } = resident;
    assert.equal(await page.getAttribute('html', 'lang'), 'da');
    const fab = page.locator('#report-button');
    assert.equal((await fab.innerText()).trim(), 'Meld et utrygt sted');
    const fabBox = await fab.boundingBox();
    assertOnScreen(fabBox, PHONE, 'the report button');
    assert.ok(fabBox.height >= 44, `the report button is a big touch target: ${JSON.stringify(fabBox)}`);

    await fab.tap();
    const sheet = page.locator('#report-sheet');
    await page.waitForSelector('#report-sheet:not([hidden]) #report-types input');
    assert.equal(await sheet.getAttribute('role'), 'dialog');
    const sheetBox = await sheet.boundingBox();
    assert.ok(sheetBox.y + sheetBox.height >= PHONE.height - 1 && sheetBox.width >= PHONE.width - 1, `a bottom sheet on a phone: ${JSON.stringify(sheetBox)}`);
    assert.ok(sheetBox.y >= PHONE.height * 0.25, `the sheet leaves the map above it free to tap: ${JSON.stringify(sheetBox)}`);
    await page.screenshot({ path: `${ARTIFACTS}report-phone-form.png` });

    // The spot: a tap on the map in district 8, in the part above the sheet.
    await centreOn(page, DISTRICT8_SPOT, 16.5);
    const spot = await screenPoint(page, DISTRICT8_SPOT);
    assert.ok(spot.y < sheetBox.y - 20, `the spot is above the sheet (${spot.y} < ${sheetBox.y})`);
    await tapMap(page, DISTRICT8_SPOT, true);
    await page.waitForSelector('.field-location.placed');
    assert.match(await page.locator('#report-sheet .place-status').innerText(), /Sted valgt/);
    assert.equal(await page.locator('.maplibregl-popup, #popup-sheet:not([hidden])').count(), 0, 'placing the spot opens no popup');

    // The type (Danish names from services.json), the time of day, the description.
    const lighting = page.locator('label[for="report-type-poor_lighting"]');
    assert.match(await lighting.innerText(), /belysning/i);
    const typeBox = await lighting.boundingBox();
    assert.ok(typeBox.height >= 44, `type choices are big touch targets: ${JSON.stringify(typeBox)}`);
    await lighting.tap();
    await page.locator('label[for="report-time-night"]').tap();
    await page.fill('#report-description', description);
    assert.match(await page.locator('#report-description-count').innerText(), new RegExp(`${description.length}\\s*/\\s*2\\.000`));
    await page.fill('#report-email', 'beboer.kontakt@example.dk');
    assert.match(await page.locator('.field-contact .privacy-note').innerText(), /aldrig offentligt/);
    // The honeypot is there, empty, off-screen and out of reach.
    const trap = page.locator('#report-website');
    assert.equal(await trap.inputValue(), '');
    assert.equal(await trap.getAttribute('tabindex'), '-1');
    assert.equal(await trap.getAttribute('autocomplete'), 'off');
    assert.equal(await page.locator('.hp-field').getAttribute('aria-hidden'), 'true');
    const trapBox = await trap.boundingBox();
    assert.ok(!trapBox || trapBox.x + trapBox.width < 0, `the honeypot is off-screen: ${JSON.stringify(trapBox)}`);

    const submit = page.locator('#report-sheet .btn-submit');
    await submit.scrollIntoViewIfNeeded();
    assert.ok((await submit.boundingBox()).height >= 44, 'the send button is a big touch target');
    await submit.tap();
    await page.waitForSelector('#report-confirmation', { timeout: TIMEOUT });
    reportId = (await page.locator('#report-reference').innerText()).trim();
    assert.match(reportId, /^\w+$/, 'a reference number');
    followHref = await page.getAttribute('#report-follow-link', 'href');
    assert.ok(followHref.includes(`report=${reportId}`) && /[?&]key=\w+/.test(followHref), `the follow link: ${followHref}`);
    assert.equal(await page.evaluate(() => window.__xss), undefined, 'the script in the description did not run');
    await page.screenshot({ path: `${ARTIFACTS}report-phone-confirmation.png` });

    // The follow link shows the report, not yet published, to its reporter.
    await page.goto(followHref);
    await waitReady(page);
    await page.waitForSelector('#report-sheet:not([hidden]) .report-follow .status-chip');
    const follow = page.locator('#report-sheet .report-follow');
    assert.match(await follow.locator('.status-chip').innerText(), /venter på gennemsyn/);
    assert.match(await follow.innerText(), /endnu ikke vist på kortet/);
    const followText = await follow.locator('.report-text').textContent();
    assert.ok(followText.includes('<script>window.__xss=1</script>'), 'the follow view shows the script as text');
    assert.ok(!followText.includes('jens@example.dk') && !followText.includes('22 33 44 55'), `the follow view shows the scrubbed text: ${followText}`);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    assertNoProblems(resident.problems);
  } finally {
    await resident.context.close();
  }

  const token = await plannerToken();
  if (!token) {
    t.skip(`planner part: ${NO_TOKEN}`);
    return;
  }

  // 2. A planner on a laptop publishes it from the moderation queue.
  const planner = await openApp(LAPTOP);
  try {
    const { page } = planner;
    await signInPlanner(page, token, false);
    const card = page.locator(`#mod-list .mod-card[data-report-id="${reportId}"]`);
    await card.waitFor();
    const original = await card.locator('.mod-original .report-text').textContent();
    const scrubbed = await card.locator('.mod-scrubbed .report-text').textContent();
    assert.ok(original.includes('jens@example.dk') && original.includes('22 33 44 55'), 'the planner sees the original');
    assert.ok(!scrubbed.includes('jens@example.dk') && !scrubbed.includes('22 33 44 55'), `and the scrubbed text: ${scrubbed}`);
    assert.ok(scrubbed.includes('<script>window.__xss=1</script>'), 'the script is text in the queue');
    assert.match(await card.locator('.mod-contact').innerText(), /beboer\.kontakt@example\.dk/);
    await page.screenshot({ path: `${ARTIFACTS}report-moderation.png` });

    await card.locator('.btn-publish').click();
    await page.waitForFunction((id) => document.querySelector('#mod-message')?.textContent.includes(`#${id}`), reportId);
    assert.match(await page.locator('#mod-message').innerText(), /offentliggjort/);
    assert.equal(await page.locator(`#mod-list .mod-card[data-report-id="${reportId}"]`).count(), 0, 'it leaves the queue of new reports');
    // It is in the published list, with its history.
    await page.selectOption('#mod-queue', 'open');
    const published = page.locator(`#mod-list .mod-card[data-report-id="${reportId}"]`);
    await published.waitFor();
    await published.locator('.action-history > summary').click();
    await published.locator('.history-list li strong').first().waitFor();
    assert.match(await published.locator('.history-list').innerText(), /Offentliggjort/);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    assertNoProblems(planner.problems);
  } finally {
    await planner.context.close();
  }

  // 3. The public map shows it, with the scrubbed text as text.
  const publicView = await openApp(PHONE, PHONE_OPTIONS);
  try {
    const { page } = publicView;
    const feature = await page.waitForFunction(async (id) => {
      const data = await window.hotspotMap.getSource('reports')?.getData();
      return data?.features.find((f) => String(f.properties.service_request_id) === id) ?? false;
    }, reportId, { timeout: TIMEOUT }).then((handle) => handle.jsonValue());
    assert.ok(await page.isChecked('#layer-reports'), 'the reports layer is on by default');
    const at = feature.geometry.coordinates;
    await centreOn(page, at, 17);
    await waitSettled(page);
    const rendered = await page.evaluate((id) => window.hotspotMap.queryRenderedFeatures({ layers: ['reports-points'] })
      .some((f) => String(f.properties.service_request_id) === id), reportId);
    assert.ok(rendered, 'the report is drawn on the reports layer');
    // The pin stands on its point: tap its head.
    await tapMap(page, at, true, -14);
    // On a phone a popup is a bottom sheet over the map.
    const item = page.locator(`#popup-sheet:not([hidden]) .popup-report[data-report-id="${reportId}"]`);
    await item.waitFor({ timeout: 10_000 });
    const text = await item.locator('.report-text').textContent();
    assert.ok(text.includes('<script>window.__xss=1</script>'), `the script shows as text: ${text}`);
    assert.ok(text.includes(stamp));
    for (const secret of ['jens@example.dk', '22 33 44 55', 'beboer.kontakt@example.dk']) {
      assert.ok(!(await item.innerText()).includes(secret), `the popup does not show ${secret}`);
    }
    assert.equal(await page.locator('#popup-sheet script').count(), 0, 'no script element in the popup');
    assert.match(await item.innerText(), /Dårlig belysning/);
    assert.match(await item.innerText(), /Offentliggjort/);
    await page.screenshot({ path: `${ARTIFACTS}report-phone-popup.png` });
    // "Me too" from the popup counts.
    await item.locator('.btn-metoo').tap();
    await item.locator('.btn-metoo.done').waitFor();
    assert.equal((await item.locator('.metoo-count').innerText()).trim(), '1');
    assert.equal(await page.evaluate(() => window.__xss), undefined);

    // Another resident at the same spot is offered it before sending ("already reported?"),
    // from the public layer, and can say "me too" there instead.
    const close = page.locator('#popup-sheet:not([hidden]) .popup-sheet-close');
    if (await close.count()) await close.first().click();
    await page.locator('#report-button').tap();
    await page.waitForSelector('#report-sheet:not([hidden]) #report-types input');
    await centreOn(page, DISTRICT8_SPOT, 16.5);
    await tapMap(page, DISTRICT8_SPOT, true);
    await page.waitForSelector('.field-location.placed');
    await page.locator('label[for="report-type-poor_lighting"]').tap();
    const nearby = page.locator(`#report-sheet .nearby:not([hidden]) .dup-item[data-report-id="${reportId}"]`);
    await nearby.waitFor({ timeout: 10_000 });
    assert.match(await page.locator('#report-sheet .nearby h3').innerText(), /allerede meldt/);
    // The very same spot reads as the same spot on the map, not "about 50 m away".
    assert.match(await nearby.innerText(), /samme sted på kortet/);
    await nearby.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${ARTIFACTS}report-phone-nearby.png` });
    assertNoProblems(publicView.problems);
  } finally {
    await publicView.context.close();
  }
});

test('reports: the form works with the keyboard alone, and server errors show at their field', { timeout: TIMEOUT * 2 }, async () => {
  const { context, page, problems } = await openApp(LAPTOP);
  const focused = () => page.evaluate(() => {
    const node = document.activeElement;
    return { id: node?.id ?? '', className: String(node?.className ?? ''), name: node?.getAttribute('name') ?? '', value: node?.value ?? '', outline: node ? getComputedStyle(node).outlineStyle : 'none' };
  });
  /** Presses Tab until `match(focused)` (at most `limit` times); fails if the honeypot gets the focus. */
  const tabTo = async (match, what, limit = 60) => {
    for (let i = 0; i < limit; i += 1) {
      await page.keyboard.press('Tab');
      const now = await focused();
      assert.notEqual(now.id, 'report-website', 'the honeypot is never in the tab order');
      if (match(now)) return now;
    }
    throw new Error(`Tab never reached ${what}`);
  };
  try {
    // Frederiksberg lies inside Copenhagen but is a municipality of its own: the server refuses it.
    await centreOn(page, FREDERIKSBERG_SPOT, 16);
    const button = await tabTo((f) => f.id === 'report-button', 'the report button');
    assert.notEqual(button.outline, 'none', 'the focused report button has a visible outline');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#report-sheet:not([hidden]) #report-types input');
    assert.ok(await page.evaluate(() => document.querySelector('#report-sheet').contains(document.activeElement)), 'the focus moves into the form');

    const centre = await tabTo((f) => f.className.includes('btn-centre'), 'the map-centre button');
    assert.notEqual(centre.outline, 'none', 'the focused button has a visible outline');
    assert.ok(await page.isVisible('.map-crosshair'), 'the crosshair shows the map centre');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.field-location.placed');

    // The type with the arrow keys: Tab into the group, then Down chooses the second type.
    await tabTo((f) => f.name === 'service_code', 'the type choices');
    await page.keyboard.press('ArrowDown');
    const type = await page.evaluate(() => document.querySelector('input[name="service_code"]:checked')?.value);
    assert.equal(type, 'dark_place');
    await tabTo((f) => f.id === 'report-description', 'the description');
    await page.keyboard.type('Mørk passage uden lys om aftenen.');
    const submit = await tabTo((f) => f.className.includes('btn-submit'), 'the send button');
    assert.notEqual(submit.outline, 'none');
    await page.keyboard.press('Enter');

    // The server refuses the spot: the error is at the location, and the focus goes there.
    const locationError = page.locator('#report-sheet .field-location .field-error');
    await locationError.waitFor({ state: 'visible' });
    assert.match(await locationError.innerText(), /Københavns Kommune/);
    assert.ok((await focused()).className.includes('btn-centre'), 'the focus is on the field with the error');
    await page.screenshot({ path: `${ARTIFACTS}report-laptop-error.png` });

    // Moving the map to district 8 and using its centre again clears the error; send.
    await centreOn(page, DISTRICT8_SPOT, 16);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#report-sheet .field-location .field-error').hidden);
    await tabTo((f) => f.className.includes('btn-submit'), 'the send button');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#report-confirmation');
    assert.match(await page.locator('#report-reference').innerText(), /^\w+$/);
    await page.screenshot({ path: `${ARTIFACTS}report-laptop-confirmation.png` });

    // Escape closes the sheet and gives the focus back to the button.
    await page.keyboard.press('Escape');
    await page.waitForSelector('#report-sheet', { state: 'hidden' });
    assert.equal((await focused()).id, 'report-button');

    // In English, the same form speaks English.
    await page.click('#lang-switch button[data-lang="en"]');
    await page.click('#report-button');
    await page.waitForSelector('#report-sheet:not([hidden])');
    assert.equal((await page.locator('#report-sheet-title').innerText()).trim(), 'Report an unsafe spot');
    assert.match(await page.locator('label[for="report-type-poor_lighting"]').innerText(), /Poor lighting/);
    assert.match(await page.locator('#report-sheet .privacy-note').innerText(), /never shown publicly/);
    await page.click('#lang-switch button[data-lang="da"]');

    // The one refused report (Frederiksberg) is the only error, and the browser logs it too.
    const refused = problems.filter((p) => /HTTP 400: .*open311\/v2\/requests\.json/.test(p));
    assert.equal(refused.length, 1, 'one refused report (Frederiksberg)');
    assertNoProblems(problems.filter((p) => !refused.includes(p) && !/console error: Failed to load resource: .* 400/.test(p)));
  } finally {
    await context.close();
  }
});

test('walks: a planner saves a safety-walk observation on a phone and it is on the observations layer at once', { timeout: TIMEOUT * 2 }, async (t) => {
  const token = await plannerToken();
  if (!token) {
    t.skip(NO_TOKEN);
    return;
  }
  const { context, page, problems } = await openApp(PHONE, PHONE_OPTIONS);
  try {
    await signInPlanner(page, token, true);
    assert.ok(await page.isVisible('#planner-button'), 'signed in, the secretariat is one tap away in the top bar');
    await page.locator('#planner-tab-walk').tap();
    await page.waitForSelector('#planner-panel-walk:not([hidden]) #walk-title');
    const stamp = Date.now().toString(36);
    await page.fill('#walk-title', `Aftenvandring ${stamp}`);
    for (const role of ['resident', 'police', 'youth_worker']) await page.locator(`label[for="walk-role-${role}"]`).tap();
    await page.locator('.walk-start button[type="submit"]').tap();
    await page.waitForSelector('.walk-active:not([hidden])');

    const sheetBox = await page.locator('#planner-sheet').boundingBox();
    await centreOn(page, DISTRICT8_SPOT, 17);
    const spot = await screenPoint(page, DISTRICT8_SPOT);
    assert.ok(spot.y < sheetBox.y - 20, 'the spot is on the map above the sheet');
    await tapMap(page, DISTRICT8_SPOT, true);
    await page.waitForSelector('.walk-active .field-location.placed');
    await page.locator('label[for="walk-kind-lighting"]').tap();
    const rating = page.locator('label[for="walk-rating-2"]');
    assert.ok((await rating.boundingBox()).height >= 44, 'the rating buttons are big touch targets');
    await rating.tap();
    const note = `Lygten ved stien er slukket (${stamp})`;
    await page.fill('#walk-note', note);
    await page.screenshot({ path: `${ARTIFACTS}walk-phone.png` });
    await page.locator('.walk-observe button[type="submit"]').tap();
    await page.waitForFunction((n) => document.querySelector('#walk-observations')?.textContent.includes(n), note);

    // On the observations layer at once (the layer is switched on), with its note.
    assert.ok(await page.isChecked('#layer-observations'), 'the observations layer is switched on');
    await page.waitForFunction(async (n) => {
      const data = await window.hotspotMap.getSource('observations').getData();
      return data.features.some((f) => f.properties.note === n);
    }, note, { timeout: TIMEOUT });
    await waitSettled(page);
    const drawn = await page.evaluate((n) => window.hotspotMap.queryRenderedFeatures({ layers: ['observations'] })
      .find((f) => f.properties.note === n)?.properties, note);
    assert.ok(drawn, 'the new observation is drawn');
    assert.equal(String(drawn.kind), 'lighting');
    assert.equal(Number(drawn.rating), 2);

    // Signing out forgets the token.
    await page.locator('#planner-logout').tap();
    assert.equal(await page.evaluate(() => window.sessionStorage.getItem('hotspot.plannerToken')), null);
    assert.match(await page.locator('#planner-button').innerText(), /Personale/, 'the top bar offers the sign-in again');
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

/** The rate ratio as the page writes it in Danish (two decimals, decimal comma). */
const danishRatio = (n) => n.toFixed(2).replace('.', ',');

test('workspace: a planner draws an area, saves it, evaluates it, reads the goals and where to act', { timeout: TIMEOUT * 4 }, async (t) => {
  const token = await plannerToken();
  if (!token) {
    t.skip(NO_TOKEN);
    return;
  }
  const title = `Belysning i porten ${Date.now().toString(36)}`;
  const { context, page, problems } = await openApp(LAPTOP);
  try {
    // Everyone sees the initiatives layer and its legend.
    assert.ok(await page.isChecked('#layer-initiatives'), 'the initiatives layer is on by default');
    assert.equal(await page.locator('#initiative-legend li').count(), 6, 'a legend entry per kind');
    await signInPlanner(page, token, false);
    // Planners also see the mark for unpublished initiatives.
    await page.waitForFunction(() => document.querySelectorAll('#initiative-legend li').length === 7);

    // 1. Draw a new area with real clicks on the map, beside the sheet.
    await page.click('#planner-tab-initiatives');
    await page.click('#ini-new');
    await page.waitForSelector('#ini-draw-status');
    assert.equal(await page.isChecked('#ini-shape-area'), true, 'an area is the default shape');
    await centreOn(page, DISTRICT8_SPOT, 16.5);
    const sheetBox = await page.locator('#planner-sheet').boundingBox();
    const centre = await screenPoint(page, DISTRICT8_SPOT);
    assert.ok(centre.x - 80 > sheetBox.x + sheetBox.width, 'the spot is on the map beside the sheet');
    const corners = [[-70, -50], [60, -60], [70, 50], [-60, 60]].map(([dx, dy]) => ({ x: centre.x + dx, y: centre.y + dy }));
    for (const corner of [...corners, corners[0]]) {
      await page.mouse.move(corner.x, corner.y, { steps: 4 });
      await page.mouse.click(corner.x, corner.y);
    }
    await page.waitForFunction(() => document.querySelector('#ini-draw-status')?.textContent.includes('Området er tegnet'));
    assert.match(await page.locator('#ini-draw-status').innerText(), /4 hjørner/);
    assert.equal(await page.locator('.maplibregl-popup').count(), 0, 'drawing opens no popup');

    // 2. The form: saving without a title shows the error at the title.
    await page.click('#ini-save');
    const titleError = page.locator('.ini-form .field:has(#ini-title) .field-error');
    await titleError.waitFor({ state: 'visible' });
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'ini-title', 'the focus goes to the field with the error');
    await page.fill('#ini-title', title);
    await page.selectOption('#ini-kind', 'lighting');
    await page.fill('#ini-start', '2012-06-01');
    await page.fill('#ini-budget', '250000');
    await page.fill('#ini-owner', 'Teknik- og Miljøforvaltningen');
    await page.waitForSelector('#ini-goal-1');
    assert.ok((await page.locator('label[for="ini-goal-1"]').innerText()).length > 20, 'the goal checkboxes carry their titles');
    await page.check('#ini-goal-1');
    await page.screenshot({ path: `${ARTIFACTS}workspace-draw.png` });
    await page.click('#ini-save');
    await page.waitForFunction((name) => document.querySelector('#ini-message')?.textContent.includes(name), title);
    const item = page.locator('.ini-item', { hasText: title });
    await item.waitFor();
    assert.match(await item.innerText(), /Ikke offentliggjort/);
    const id = await item.getAttribute('data-initiative-id');

    // Stored as drawn: a closed ring of four corners around the spot, with the form's fields.
    const stored = await page.evaluate(async ([url, key]) => (await fetch(url, { headers: { Authorization: `Bearer ${key}` } })).json(),
      [new URL(`api/initiatives/${id}`, PAGE_URL).href, token]);
    assert.equal(stored.geometry.type, 'Polygon');
    const ring = stored.geometry.coordinates[0];
    assert.equal(ring.length, 5);
    assert.deepEqual(ring[0], ring[4]);
    const lngs = ring.map((c) => c[0]);
    const lats = ring.map((c) => c[1]);
    assert.ok(Math.min(...lngs) < DISTRICT8_SPOT[0] && Math.max(...lngs) > DISTRICT8_SPOT[0] && Math.min(...lats) < DISTRICT8_SPOT[1] && Math.max(...lats) > DISTRICT8_SPOT[1],
      `the area surrounds the spot: ${JSON.stringify(ring)}`);
    assert.deepEqual([stored.properties.kind, stored.properties.start_date, stored.properties.budget_dkk, stored.properties.goals, stored.properties.published],
      ['lighting', '2012-06-01', 250000, [1], false]);
    // It is on the map at once, marked as unpublished.
    await page.waitForFunction(async (n) => {
      const data = await window.hotspotMap.getSource('initiatives').getData();
      return data.features.some((f) => f.properties.title === n && f.properties.published === false);
    }, title);

    // 3. Its evaluation: the rate ratio with its interval in words, and the chart.
    await item.locator('.ini-evaluate').click();
    await page.waitForSelector('#planner-tab-evaluation[aria-selected="true"]');
    await page.waitForSelector('#eval-ratio', { timeout: TIMEOUT });
    const answer = await page.evaluate(async ([url, key]) => (await fetch(url, { headers: { Authorization: `Bearer ${key}` } })).json(),
      [new URL(`api/initiatives/${id}/evaluation?months=12&buffer_m=100&control=district-8`, PAGE_URL).href, token]);
    const ratio = await page.locator('#eval-ratio').innerText();
    assert.match(ratio, /Rate ratio\s+\d+,\d\d\s+95\s%.interval \d+,\d\d–\d+,\d\d/);
    assert.ok(ratio.includes(danishRatio(answer.rate_ratio)) && ratio.includes(`${danishRatio(answer.ci_low)}–${danishRatio(answer.ci_high)}`),
      `the page shows the API's ratio ${answer.rate_ratio} (${answer.ci_low}–${answer.ci_high}): ${ratio}`);
    const words = await page.locator('#eval-words').innerText();
    assert.match(words, /(færre|flere) hændelser i området|fulgte hændelserne/);
    assert.match(words, /95\s%.intervallet/);
    assert.equal(await page.locator('.eval-small').count(), answer.small_numbers ? 1 : 0, 'the small-numbers warning shows exactly when the API flags it');
    const chart = page.locator('#eval-chart');
    await chart.scrollIntoViewIfNeeded();
    const bins = Number(await chart.getAttribute('data-bins'));
    assert.ok(bins >= 24, `a point per month before and after: ${bins}`);
    assert.equal(await chart.locator('.eval-area circle').count(), bins);
    assert.ok((await chart.locator('.eval-control path').getAttribute('d')).length > 10, 'the scaled control is drawn');
    assert.ok((await chart.boundingBox()).height > 100, 'the chart has room');
    assert.match(await page.locator('.eval-result').innerText(), /Syntetiske demodata/);
    await page.screenshot({ path: `${ARTIFACTS}workspace-evaluation.png` });

    // 4. The goals: a card per goal with its status in words.
    await page.click('#planner-tab-goals');
    await page.waitForSelector('.goal-card .goal-status');
    const statuses = await page.locator('.goal-card .goal-status').allInnerTexts();
    assert.ok(statuses.length >= 10, `a card per goal: ${statuses.length}`);
    for (const status of statuses) assert.match(status, /På rette spor|Ikke på rette spor|Ingen data/);
    assert.ok(statuses.some((s) => /På rette spor/.test(s)), 'the counted goals have a status');
    assert.ok(await page.locator('.goal-card .goal-svg').count() >= 2, 'goals with values have a chart');
    await page.screenshot({ path: `${ARTIFACTS}workspace-goals.png` });

    // 5. Where to act: the ranked cells on the map and as a list.
    await page.click('#planner-tab-where');
    await page.check('#where-toggle');
    await page.waitForSelector('#where-list .where-item');
    const cells = await page.locator('#where-list .where-item').count();
    assert.ok(cells > 0 && cells <= 20, `a ranked list: ${cells}`);
    assert.equal((await page.locator('#where-list .where-item .where-rank').first().innerText()).trim(), '1');
    await waitSettled(page);
    assert.ok(await page.evaluate(() => window.hotspotMap.queryRenderedFeatures({ layers: ['where-fill'] }).length > 0), 'the cells are drawn');
    await page.locator('#where-list .where-item').nth(1).locator('.where-show').click();
    await page.waitForSelector('#where-list .where-item:nth-child(2).focused');
    await page.screenshot({ path: `${ARTIFACTS}workspace-where.png` });

    // 6. The status report, fetched with the token: the secretariat's edition has the unpublished initiative.
    await page.click('#planner-tab-report');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#status-report-open')]);
    assert.match(download.suggestedFilename(), /^hotspot-status-2014-full-da\.html$/);
    const report = readFileSync(await download.path(), 'utf8');
    assert.match(report, /^<!DOCTYPE html>/i);
    assert.ok(report.includes(title), 'the secretariat edition lists the unpublished initiative');
    assert.match(await page.locator('#status-report-message').innerText(), /gemt som hotspot-status-2014-full-da\.html/);
    assert.ok((await page.getAttribute('.status-report-links a[target="_blank"]', 'href')).includes('api/status-report?year=2014&period=full&lang=da'),
      'and a link to the public edition');

    // 7. Delete the initiative again (after a confirmation).
    await page.click('#planner-tab-initiatives');
    const again = page.locator('.ini-item', { hasText: title });
    await again.locator('.ini-delete').click();
    await again.locator('.ini-delete-confirm').click();
    await again.waitFor({ state: 'detached' });

    // 8. Without a mouse: a point at the map centre, placed with the keyboard.
    await page.focus('#ini-new');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#ini-shape-point');
    await page.focus('#ini-shape-point');
    await page.keyboard.press('Space');
    await page.waitForFunction(() => document.querySelector('#ini-draw-add .draw-add-text')?.textContent.includes('punktet'));
    await page.focus('#ini-draw-add');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#ini-draw-status')?.textContent.includes('Punktet er tegnet'));
    await page.keyboard.press('Escape');
    await page.waitForSelector('#planner-sheet', { state: 'hidden' });
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Issue 15: a map people can find their way on
// ---------------------------------------------------------------------------------------------

const AXE_SOURCE = readFileSync(fileURLToPath(new URL('./node_modules/axe-core/axe.min.js', import.meta.url)), 'utf8');

/**
 * axe-core over the whole page as it is now; fails on any serious or critical violation. axe is
 * evaluated through the DevTools protocol (the page's CSP allows no injected script tag).
 */
async function assertAccessible(page, where) {
  const violations = await page.evaluate(async (source) => {
    if (!window.axe) (0, eval)(source); // eslint-disable-line no-eval
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')} – ${n.failureSummary?.split('\n')[1]?.trim() ?? ''}`).join('; ')}`);
  }, AXE_SOURCE);
  assert.deepEqual(violations, [], `axe-core finds no serious or critical violation in ${where}`);
}

/** A box lies wholly inside another (1 px of rounding allowed). */
function assertInside(inner, outer, what) {
  assert.ok(inner && outer && inner.x >= outer.x - 1 && inner.y >= outer.y - 1
    && inner.x + inner.width <= outer.x + outer.width + 1 && inner.y + inner.height <= outer.y + outer.height + 1,
  `${what}: ${JSON.stringify(inner)} inside ${JSON.stringify(outer)}`);
}

/** The screen point of the incident stack nearest the map's centre (whose popup is longest). */
function biggestStackPoint(page) {
  return page.evaluate(() => {
    const map = window.hotspotMap;
    const features = map.queryRenderedFeatures({ layers: ['incidents-halo'] });
    const size = (f) => Number(map.getFeatureState({ source: 'incidents-tiles', sourceLayer: 'incidents', id: f.id })?.stack ?? 1);
    const rect = map.getCanvas().getBoundingClientRect();
    const inView = features.map((f) => ({ f, p: map.project(f.geometry.coordinates) }))
      .filter(({ p }) => p.x > 60 && p.y > 60 && p.x < rect.width - 60 && p.y < rect.height - 60)
      .sort((a, b) => size(b.f) - size(a.f));
    const best = inView[0];
    return best ? { x: rect.left + best.p.x, y: rect.top + best.p.y } : null;
  });
}

test('labels and search: street names drawn from the vendored glyphs at z16, the search box flies to a square', { timeout: TIMEOUT * 2 }, async () => {
  const glyphs = [];
  const foreign = [];
  const { context, page, problems } = await openApp(LAPTOP, {}, (p) => p.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.includes('/vendor/glyphs/')) glyphs.push(url.pathname);
    if (url.origin !== new URL(PAGE_URL).origin && !url.protocol.startsWith('data') && !url.protocol.startsWith('blob')) foreign.push(url.href);
  }));
  try {
    await centreOn(page, DISTRICT8_SPOT, 16);
    await waitSettled(page);
    const names = await page.evaluate(() => window.hotspotMap.queryRenderedFeatures({ layers: ['labels-streets'] }).map((f) => f.properties.name));
    assert.ok(names.length >= 5, `street names are drawn at z16: ${names.join(', ')}`);
    assert.ok(names.some((n) => /gade|vej|plads/i.test(n)), `they are street names: ${names.join(', ')}`);
    assert.ok(glyphs.some((p) => p.endsWith('/noto-sans-regular/0-255.pbf')), `the glyphs come from the vendored ranges: ${glyphs.join(', ')}`);
    assert.deepEqual(foreign, [], 'nothing is fetched from another host (no font server, no CDN)');
    await page.screenshot({ path: `${ARTIFACTS}labels-z16.png` });

    // Search: a square's name, chosen with the keyboard, flies the map there.
    await page.fill('#place-search', 'blågårds pl');
    await page.waitForSelector('#search-list [role="option"]');
    assert.match(await page.locator('#search-list [role="option"]').first().innerText(), /Blågårds Plads/);
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.getAttribute('#place-search', 'aria-activedescendant'), 'search-option-0');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => !window.hotspotMap.isMoving(), null, { timeout: TIMEOUT });
    await waitSettled(page);
    const [centre, square] = await page.evaluate(async () => {
      const data = await window.hotspotMap.getSource('streets').getData();
      const points = data.features.filter((f) => f.properties.name === 'Blågårds Plads')
        .flatMap((f) => (f.geometry.type === 'LineString' ? f.geometry.coordinates : f.geometry.coordinates.flat()));
      const xs = points.map((p) => p[0]);
      const ys = points.map((p) => p[1]);
      return [window.hotspotMap.getCenter().toArray(), [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]];
    });
    // The square's own extent (from the shipped streets), a few metres of slack.
    assert.ok(centre[0] >= square[0] - 0.0005 && centre[0] <= square[2] + 0.0005 && centre[1] >= square[1] - 0.0003 && centre[1] <= square[3] + 0.0003,
      `the map is over Blågårds Plads: ${centre} in ${square}`);
    assert.ok(await page.evaluate(() => window.hotspotMap.getZoom()) >= 16, 'close enough to see the square');
    assert.ok(await page.evaluate(() => window.hotspotMap.querySourceFeatures('search-hit').length > 0), 'the square is outlined');
    // A district too.
    await page.fill('#place-search', 'Distrikt 9');
    await page.waitForSelector('#search-list [role="option"]');
    assert.match(await page.locator('#search-list [role="option"]').first().innerText(), /Distrikt 9/);
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('popups fit the map: inside its box on a laptop, a bottom sheet on a phone; Escape closes them and the report button comes back', { timeout: TIMEOUT * 2 }, async () => {
  for (const [viewport, options, phone] of [[LAPTOP, {}, false], [PHONE, PHONE_OPTIONS, true]]) {
    const { context, page, problems } = await openApp(viewport, options);
    try {
      await centreOn(page, DISTRICT8_SPOT, 16.5);
      await waitSettled(page);
      const point = await biggestStackPoint(page);
      assert.ok(point, 'an incident stack is in view');
      if (phone) await page.touchscreen.tap(point.x, point.y);
      else await page.mouse.click(point.x, point.y);
      const popup = page.locator(phone ? '#popup-sheet:not([hidden])' : '.maplibregl-popup');
      await popup.waitFor();
      await page.waitForTimeout(300);
      const mapBox = await page.locator('#map').boundingBox();
      assertInside(await popup.boundingBox(), mapBox, `the popup lies inside the map (${phone ? 'phone' : 'laptop'})`);
      if (!phone) {
        // Scrolls inside rather than being cut: its content is no taller than the map.
        const content = await page.locator('.maplibregl-popup-content').boundingBox();
        assert.ok(content.height <= mapBox.height, `the popup is no taller than the map: ${content.height} ≤ ${mapBox.height}`);
      }
      assert.ok(!(await page.locator('#report-button').isVisible()), 'the report button steps aside while the popup is open');
      await page.screenshot({ path: `${ARTIFACTS}popup-${phone ? 'phone' : 'laptop'}.png` });
      await page.keyboard.press('Escape');
      await page.waitForFunction(() => !document.querySelector('.maplibregl-popup') && (document.querySelector('#popup-sheet')?.hidden ?? true));
      assert.ok(await page.locator('#report-button').isVisible(), 'the report button comes back');
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  }
});

test('my reports: kept on the device across a reload, looked up by number + key, a wrong key helps, forgotten on request', { timeout: TIMEOUT * 3 }, async () => {
  const { context, page, problems } = await openApp(LAPTOP);
  try {
    await page.click('#lang-switch button[data-lang="en"]');
    await page.click('#report-button');
    await page.waitForSelector('#report-sheet:not([hidden]) #report-types input');
    await centreOn(page, DISTRICT8_SPOT, 16.5);
    await page.click('#report-sheet .btn-centre');
    await page.waitForSelector('.field-location.placed');
    // The chosen spot is named by its street, not by coordinates.
    await page.waitForFunction(() => !/…/.test(document.querySelector('#report-sheet .place-status').textContent));
    const place = await page.locator('#report-sheet .place-status').innerText();
    assert.match(place, /Place chosen on \p{Lu}/u, `the spot has a street name: ${place}`);
    assert.doesNotMatch(place, /55\.\d{3}/, 'not coordinates');
    await page.click('label[for="report-type-poor_lighting"]');
    await page.fill('#report-description', `Dark gateway, the lamp is broken (${Date.now().toString(36)}).`);
    await page.click('#report-sheet .btn-submit');
    await page.waitForSelector('#report-confirmation');
    const id = (await page.locator('#report-reference').innerText()).trim();
    // The thank-you is in the chosen language only.
    const result = await page.locator('.report-result').innerText();
    assert.doesNotMatch(result, /Tak|modtaget|Sekretariatet/, `the confirmation is in English only: ${result}`);
    await assertAccessible(page, 'the confirmation');

    // A reload: the report is still under "my reports", with its status.
    await page.reload();
    await waitReady(page);
    await page.click('#report-button');
    await page.click('#my-reports-button');
    const item = page.locator(`#my-report-list li[data-report-id="${id}"]`);
    await item.waitFor();
    await page.waitForFunction((i) => !document.querySelector(`#my-report-list li[data-report-id="${i}"] .status-loading`), id);
    assert.match(await item.innerText(), /awaiting review|Received/i);
    await assertAccessible(page, 'my reports');
    await page.screenshot({ path: `${ARTIFACTS}my-reports.png` });

    // A wrong key: a page that says what to check and lets the person try again.
    await page.goto(new URL(`?report=${id}&key=${id}_wrong`, PAGE_URL).href);
    await waitReady(page);
    await page.waitForSelector('.report-follow .lookup-form');
    assert.match(await page.locator('.report-follow').innerText(), /number and key do not match/i);
    assert.equal(await page.locator('.report-follow .lookup-form input').first().inputValue(), id, 'the number is filled in');
    await assertAccessible(page, 'the follow view (wrong key)');
    // The whole follow link pasted into the key box finds it.
    const key = await page.evaluate((i) => JSON.parse(localStorage.getItem('hotspot.myReports')).find((r) => r.id === i).key, id);
    await page.locator('.report-follow .lookup-form input').nth(1).fill(new URL(`?report=${id}&key=${key}`, PAGE_URL).href);
    await page.locator('.report-follow .lookup-form button[type="submit"]').click();
    await page.waitForSelector('.report-follow .follow-status');
    assert.match(await page.locator('.report-follow .reference-number').innerText(), new RegExp(`^${id}$`));
    await assertAccessible(page, 'the follow view');

    // Forget: gone from the device (the report itself stays).
    await page.click('#report-sheet .sheet-close');
    await page.click('#report-button');
    await page.click('#my-reports-button');
    await page.locator(`#my-report-list li[data-report-id="${id}"] .btn-quiet`).click();
    await page.waitForFunction((i) => !document.querySelector(`#my-report-list li[data-report-id="${i}"]`), id);
    assert.equal(await page.evaluate((i) => (JSON.parse(localStorage.getItem('hotspot.myReports') ?? '[]')).some((r) => r.id === i), id), false);
    // The wrong key's 404 is expected (the browser logs it as a failed resource).
    assertNoProblems(problems.filter((p) => !/HTTP 404: .*requests\/\d+\.json\?key=\d+_wrong/.test(p) && !/Failed to load resource: .*404/.test(p)));
  } finally {
    await context.close();
  }
});

test('accessibility: axe-core finds no serious or critical violation in any analysis mode or the report form', { timeout: TIMEOUT * 3 }, async () => {
  for (const [viewport, options, phone] of [[LAPTOP, {}, false], [PHONE, PHONE_OPTIONS, true]]) {
    const { context, page, problems } = await openApp(viewport, options);
    try {
      if (phone) await page.click('#panel-toggle');
      for (const mode of ['kde', 'hex', 'hotspots', 'emerging']) {
        await page.click(`label[for="mode-${mode}"]`);
        await waitSettled(page);
        await assertAccessible(page, `the ${mode} mode (${phone ? 'phone' : 'laptop'})`);
      }
      if (phone) await page.click('#panel-toggle');
      await page.click('#report-button');
      await page.waitForSelector('#report-sheet:not([hidden]) #report-types input');
      await assertAccessible(page, `the report form (${phone ? 'phone' : 'laptop'})`);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  }
});

test('planner: sign-in in the top bar, every tab reachable at 390 px, figures equal the status report\'s, session kept on reload, report years to now', { timeout: TIMEOUT * 4 }, async (t) => {
  const token = await plannerToken();
  if (!token) {
    t.skip(NO_TOKEN);
    return;
  }
  // A phone: sign in where staff look (the top bar), then every tab in view and working.
  const phone = await openApp(PHONE, PHONE_OPTIONS);
  try {
    const { page } = phone;
    const staff = page.locator('#planner-button');
    assertOnScreen(await staff.boundingBox(), PHONE, 'the staff sign-in');
    await staff.tap();
    await page.fill('#planner-token', token);
    await page.click('.planner-login button[type="submit"]');
    await page.waitForSelector('#planner-tab-moderation[aria-selected="true"]');
    for (const tab of ['moderation', 'walk', 'initiatives', 'evaluation', 'goals', 'where', 'report']) {
      const button = page.locator(`#planner-tab-${tab}`);
      assertOnScreen(await button.boundingBox(), PHONE, `the ${tab} tab`);
      await button.tap();
      assert.equal(await button.getAttribute('aria-selected'), 'true');
      // The tab as it settles: a list being (re)loaded is dimmed while busy.
      await page.waitForTimeout(300);
      await page.waitForFunction(() => !document.querySelector('#planner-sheet [aria-busy="true"]'), null, { timeout: TIMEOUT });
      await assertAccessible(page, `the planner's ${tab} tab (phone)`);
    }
    await page.screenshot({ path: `${ARTIFACTS}planner-tabs-phone.png` });
    // The status report offers every year of the data up to this one.
    const years = await page.$$eval('#status-report-year option', (o) => o.map((x) => Number(x.value)));
    assert.equal(years[0], 2010);
    assert.equal(years.at(-1), new Date().getFullYear(), `this year is offered: ${years}`);
    // The session survives a reload (sessionStorage, never localStorage).
    await page.reload();
    await waitReady(page);
    assert.match(await page.locator('#planner-button').innerText(), /Sekretariat/);
    assert.equal(await page.evaluate(() => Object.values(localStorage).some((v) => v.includes('hs_'))), false, 'the token is not in localStorage');
    assertNoProblems(phone.problems);
  } finally {
    await phone.context.close();
  }

  // A laptop: 2014 in "district 8 in numbers" for a planner equals the status report for 2014.
  const laptop = await openApp(LAPTOP);
  try {
    const { page } = laptop;
    await page.click('#lang-switch button[data-lang="en"]');
    await page.click('#planner-button');
    await page.fill('#planner-token', token);
    await page.click('.planner-login button[type="submit"]');
    await page.waitForSelector('#planner-tab-moderation[aria-selected="true"]');
    await page.click('#planner-sheet .sheet-close');
    const months = await page.$$eval('#month-from option', (o) => o.map((x) => x.textContent));
    const jan = months.indexOf('January 2014');
    const dec = months.indexOf('December 2014');
    assert.ok(jan >= 0 && dec > jan, `2014 is offered: ${months.slice(0, 3)}…`);
    const summary = page.waitForResponse((r) => r.url().includes('/summary?from=2014-01-01&to=2014-12-31'), { timeout: TIMEOUT });
    await setMonths(page, jan, dec);
    const answer = await (await summary).json();
    assert.equal(answer.privacy.exact, true, 'a planner\'s year of district 8 is counted exactly, like the status report');
    await waitSettled(page);
    await page.waitForFunction(() => !document.querySelector('#summary[aria-busy]'));
    const shown = {};
    for (const row of await page.locator('#summary-table tbody tr[data-code]').all()) {
      shown[await row.getAttribute('data-code')] = digits(await row.locator('td').first().innerText());
    }
    const report = await page.evaluate(async (tk) => {
      const response = await fetch('api/status-report?year=2014&lang=en', { headers: { Authorization: `Bearer ${tk}` } });
      return response.text();
    }, token);
    const doc = report.replace(/<style[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    const inShort = /(\d[\d,]*) incidents in district 8/.exec(doc);
    assert.ok(inShort, 'the status report gives the year\'s total');
    assert.equal(shown.all, digits(inShort[1]), `the panel's total (${shown.all}) is the status report's (${inShort[1]})`);
    const categories = answer.categories.filter((c) => c.code !== 'all');
    for (const c of categories) {
      const row = new RegExp(`${c.label_en} (\\d[\\d,]*|–|<\\s*\\d+) (\\d[\\d,]*|–|<\\s*\\d+)`).exec(doc);
      assert.ok(row, `the status report has a row for ${c.label_en}`);
      assert.equal(shown[c.code], digits(row[2]), `${c.label_en} 2014: panel ${shown[c.code]}, status report ${row[2]}`);
    }
    // The public edition is linked from the public map.
    assert.match(await page.getAttribute('#status-report-public', 'href'), /api\/status-report\?year=2014/);
    assertNoProblems(laptop.problems);
  } finally {
    await laptop.context.close();
  }
});
