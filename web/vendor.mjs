// Copies the browser libraries from node_modules into vendor/, the files the hotspot binary embeds
// and serves. Run after `npm ci` with `npm run vendor`; commit the result, so the app runs offline
// and nothing is fetched from npm (or any CDN) at run time.
//
// maplibre-gl 6 ships ES modules only (`dist/maplibre-gl.mjs` plus a module worker,
// `dist/maplibre-gl-worker.mjs`). They are copied under `.js` names, because every static file
// server and MIME table knows `.js` as `text/javascript` (module scripts and module workers are
// refused under any other type), and app.js points MapLibre at the renamed worker with
// `setWorkerUrl`.
//
// terra-draw (drawing on the map, used by workspace.js) and its MapLibre adapter are copied from
// their ES-module builds (the `default` export of each package). The adapter imports the bare
// specifier "terra-draw"; with no bundler and no import map (the page's CSP allows no inline
// script) that import is rewritten to the vendored file next to it. Neither npm package ships its
// licence file, so the MIT licence of the repository both come from is written out here.
//
// The only other change to the contents is dropping the trailing `sourceMappingURL` comment,
// since the source maps are not vendored.
//
// The map labels' SDF glyph ranges (vendor/glyphs/, Noto Sans Regular from @fontsource/noto-sans,
// OFL-1.1, drawn with @mapbox/tiny-sdf) are made by glyphs.mjs (`npm run glyphs`), not copied here:
// no npm package ships them ready-made, and making them needs a browser's canvas.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pinned = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8')).dependencies;

/** The package's directory in node_modules, after checking it is the pinned version. */
function packageDir(name) {
  const dir = join(here, 'node_modules', name);
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (version !== pinned[name]) {
    console.error(`node_modules has ${name} ${version}, package.json pins ${pinned[name]}: run \`npm ci\` first`);
    process.exit(1);
  }
  return dir;
}

/** Copy a JavaScript file, dropping its source-map comment and applying `edit` to the text. */
function copyScript(from, to, edit = (text) => text) {
  const text = readFileSync(from, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
  mkdirSync(dirname(to), { recursive: true });
  writeFileSync(to, edit(text));
}

// MapLibre GL JS.
const maplibre = packageDir('maplibre-gl');
const maplibreOut = join(here, 'vendor', 'maplibre-gl');
copyScript(join(maplibre, 'dist/maplibre-gl.mjs'), join(maplibreOut, 'maplibre-gl.js'));
copyScript(join(maplibre, 'dist/maplibre-gl-worker.mjs'), join(maplibreOut, 'maplibre-gl-worker.js'));
copyFileSync(join(maplibre, 'dist', 'maplibre-gl.css'), join(maplibreOut, 'maplibre-gl.css'));
copyFileSync(join(maplibre, 'LICENSE.txt'), join(maplibreOut, 'LICENSE.txt'));
console.log(`vendored maplibre-gl ${pinned['maplibre-gl']} into ${maplibreOut}`);

// terra-draw and its MapLibre adapter.
const terraDraw = packageDir('terra-draw');
const adapter = packageDir('terra-draw-maplibre-gl-adapter');
const terraOut = join(here, 'vendor', 'terra-draw');
copyScript(join(terraDraw, 'dist/terra-draw.modern.js'), join(terraOut, 'terra-draw.js'));
copyScript(join(adapter, 'dist/terra-draw-maplibre-gl-adapter.modern.js'), join(terraOut, 'terra-draw-maplibre-gl-adapter.js'), (text) => {
  const rewritten = text.replace(/(\bfrom\s*)(["'])terra-draw\2/g, '$1"./terra-draw.js"');
  if (/(["'])terra-draw\1/.test(rewritten)) {
    console.error('the adapter still imports the bare specifier "terra-draw" in a form vendor.mjs does not rewrite');
    process.exit(1);
  }
  return rewritten;
});
for (const dir of [terraDraw, adapter]) {
  const { license, repository } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (license !== 'MIT' || repository !== 'JamesLMilner/terra-draw') {
    console.error(`${dir}: licence ${license} from ${repository}; vendor.mjs only knows the MIT licence of JamesLMilner/terra-draw`);
    process.exit(1);
  }
}
writeFileSync(join(terraOut, 'LICENSE.txt'), `terra-draw ${pinned['terra-draw']} and terra-draw-maplibre-gl-adapter ${pinned['terra-draw-maplibre-gl-adapter']}
https://github.com/JamesLMilner/terra-draw (the licence of both npm packages, which do not ship it)

Copyright 2022 James Milner

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated documentation files (the "Software"), to deal in the Software without restriction, including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
`);
console.log(`vendored terra-draw ${pinned['terra-draw']} and terra-draw-maplibre-gl-adapter ${pinned['terra-draw-maplibre-gl-adapter']} into ${terraOut}`);
