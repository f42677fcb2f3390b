// Browser test of the hotspot web app: drives the system Chromium through playwright-core against a
// running server and checks that the map, its layers, filters, language switch and phone layout work.
//
//   cd tests/browser && npm ci            # playwright-core only; it never downloads a browser
//   HOTSPOT_URL=http://127.0.0.1:8080 node --test tests/browser/
//
// HOTSPOT_URL is the base URL of `hotspot serve` (required). CHROMIUM_PATH overrides the browser
// (default /usr/bin/chromium, Debian's package). Screenshots go to ARTIFACTS_DIR, by default
// tests/artifacts/ (git-ignored).

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
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
async function openApp(viewport, options = {}) {
  const context = await browser.newContext({ viewport, ...options });
  const page = await context.newPage();
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
    await page.focus('#month-from');
    await page.keyboard.press('End');
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
    for (const selector of ['#month-from', '#month-to', '#categories-none', '#category-list input >> nth=-1', '#layer-observations']) {
      const control = page.locator(selector);
      await control.scrollIntoViewIfNeeded();
      assert.ok(await control.isVisible(), `${selector} is visible`);
      const box = await control.boundingBox();
      assert.ok(box.y >= 0 && box.y + box.height <= PHONE.height, `${selector} is on screen: ${JSON.stringify(box)}`);
    }
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
