// Makes the map's label glyphs: signed-distance-field (SDF) glyph ranges in the PBF format MapLibre
// loads for `text-font` (the style's `glyphs` URL), so street, square and park names render with
// no font server and no CDN. Run after `npm ci` (here and in ../tests/browser) with
// `npm run glyphs`; commit the result (vendor/glyphs/), like the other vendored files.
//
// The font is Noto Sans Regular (SIL Open Font License 1.1) from the npm package
// @fontsource/noto-sans; the distance fields are drawn by @mapbox/tiny-sdf (BSD-2-Clause), the
// library MapLibre itself uses for the glyphs it draws locally, with MapLibre's glyph parameters
// (24 px, a 3 px buffer, radius 8, cutoff 0.25). Drawing needs a canvas, so the script runs
// tiny-sdf in the headless Chromium of the browser test (playwright-core from tests/browser).
//
// Only the ranges the shipped names need are made: 0-255 (Latin-1: Danish æ ø å), 256-511
// (Latin Extended-A) and 8192-8447 (dashes, quotes). A character outside them is drawn by MapLibre
// locally (with a warning), never fetched.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../tests/browser/package.json'));
const { chromium } = require('playwright-core');

const pinned = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8')).dependencies;
const FONTSTACK = 'noto-sans-regular';
const RANGES = [0, 256, 8192];
const out = join(here, 'vendor', 'glyphs', FONTSTACK);

const fontDir = join(here, 'node_modules/@fontsource/noto-sans');
const fontVersion = JSON.parse(readFileSync(join(fontDir, 'package.json'), 'utf8')).version;
const sdfVersion = JSON.parse(readFileSync(join(here, 'node_modules/@mapbox/tiny-sdf/package.json'), 'utf8')).version;
if (fontVersion !== pinned['@fontsource/noto-sans'] || sdfVersion !== pinned['@mapbox/tiny-sdf']) {
  console.error('node_modules does not hold the pinned @fontsource/noto-sans and @mapbox/tiny-sdf: run `npm ci` first');
  process.exit(1);
}
const fonts = ['latin', 'latin-ext'].map((subset) => readFileSync(join(fontDir, `files/noto-sans-${subset}-400-normal.woff2`)).toString('base64'));
const tinySdf = readFileSync(join(here, 'node_modules/@mapbox/tiny-sdf/index.js'), 'utf8');

// --- a minimal protobuf writer for glyphs.proto (stacks → ranges → glyphs) ---
function varint(n) {
  const bytes = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    bytes.push(b);
  } while (v);
  return Buffer.from(bytes);
}
const key = (field, wire) => varint((field << 3) | wire);
const uint = (field, n) => Buffer.concat([key(field, 0), varint(n)]);
const sint = (field, n) => uint(field, n >= 0 ? 2 * n : -2 * n - 1);
const bytes = (field, buf) => Buffer.concat([key(field, 2), varint(buf.length), buf]);

function glyphMessage(g) {
  const parts = [uint(1, g.id)];
  if (g.bitmap.length) parts.push(bytes(2, Buffer.from(g.bitmap)));
  parts.push(uint(3, g.width), uint(4, g.height), sint(5, g.left), sint(6, g.top), uint(7, g.advance));
  return Buffer.concat(parts);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const page = await browser.newPage();
const ranges = await page.evaluate(async ({ fonts, tinySdf, starts }) => {
  const families = await Promise.all(fonts.map(async (b64, i) => {
    const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const face = new FontFace('HotspotNotoSans', data.buffer, {
      weight: '400',
      unicodeRange: i === 0 ? 'U+0000-00FF, U+0131, U+0152-0153, U+02BB-02BC, U+02C6, U+02DA, U+02DC, U+2000-206F, U+20AC, U+2122, U+2191, U+2193, U+2212, U+2215, U+FEFF, U+FFFD' : 'U+0100-02AF, U+0304, U+0308, U+0329, U+1E00-1E9F, U+1EF2-1EFF, U+2020, U+20A0-20AB, U+20AD-20C0, U+2113, U+2C60-2C7F, U+A720-A7FF',
    });
    document.fonts.add(await face.load());
    return face.family;
  }));
  const module = await import(URL.createObjectURL(new Blob([tinySdf], { type: 'text/javascript' })));
  const sdf = new module.default({ fontSize: 24, buffer: 3, radius: 8, cutoff: 0.25, fontFamily: families[0], fontWeight: '400' });
  return starts.map((start) => {
    const glyphs = [];
    for (let id = start; id < start + 256; id += 1) {
      // Control characters have no glyph.
      if (id < 32 || (id >= 127 && id < 160)) continue;
      const g = sdf.draw(String.fromCharCode(id));
      glyphs.push({
        id,
        bitmap: g.glyphWidth && g.glyphHeight ? Array.from(g.data) : [],
        width: g.glyphWidth,
        height: g.glyphHeight,
        left: Math.round(g.glyphLeft),
        // MapLibre's own local glyphs: top = glyphTop − 27 (its layout's ascent at 24 px).
        top: Math.round(g.glyphTop - 27),
        advance: Math.round(g.glyphAdvance),
      });
    }
    return { start, glyphs };
  });
}, { fonts, tinySdf, starts: RANGES });
await browser.close();

mkdirSync(out, { recursive: true });
for (const { start, glyphs } of ranges) {
  const range = `${start}-${start + 255}`;
  const stack = Buffer.concat([bytes(1, Buffer.from(FONTSTACK)), bytes(2, Buffer.from(range)), ...glyphs.map((g) => bytes(3, glyphMessage(g)))]);
  writeFileSync(join(out, `${range}.pbf`), bytes(1, stack));
  console.log(`${range}.pbf: ${glyphs.length} glyphs`);
}
const ofl = readFileSync(join(fontDir, 'LICENSE'), 'utf8');
writeFileSync(join(here, 'vendor', 'glyphs', 'LICENSE.txt'), `Glyphs of Noto Sans Regular as SDF glyph ranges (PBF), made by web/glyphs.mjs
Font: npm @fontsource/noto-sans ${fontVersion} (https://fontsource.org/fonts/noto-sans), SIL Open Font License 1.1 (below)
Distance fields: npm @mapbox/tiny-sdf ${sdfVersion}, BSD-2-Clause (only run to make the files; not shipped)

${ofl}`);
console.log(`wrote ${out}`);
