// Copies MapLibre GL JS from node_modules into vendor/maplibre-gl/, the files the hotspot binary
// embeds and serves. Run after `npm ci` with `npm run vendor`; commit the result, so the app runs
// offline and nothing is fetched from npm (or any CDN) at run time.
//
// maplibre-gl 6 ships ES modules only (`dist/maplibre-gl.mjs` plus a module worker,
// `dist/maplibre-gl-worker.mjs`). They are copied under `.js` names, because every static file
// server and MIME table knows `.js` as `text/javascript` (module scripts and module workers are
// refused under any other type), and app.js points MapLibre at the renamed worker with
// `setWorkerUrl`. The only change to the contents is dropping the trailing `sourceMappingURL`
// comment, since the source maps are not vendored.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = join(here, 'node_modules', 'maplibre-gl');
const outDir = join(here, 'vendor', 'maplibre-gl');

const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const wanted = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8')).dependencies['maplibre-gl'];
if (version !== wanted) {
  console.error(`node_modules has maplibre-gl ${version}, package.json pins ${wanted}: run \`npm ci\` first`);
  process.exit(1);
}

mkdirSync(outDir, { recursive: true });

/** Copy a JavaScript file, dropping its source-map comment. */
function copyScript(from, to) {
  const text = readFileSync(join(pkgDir, from), 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
  writeFileSync(join(outDir, to), text);
}

copyScript('dist/maplibre-gl.mjs', 'maplibre-gl.js');
copyScript('dist/maplibre-gl-worker.mjs', 'maplibre-gl-worker.js');
copyFileSync(join(pkgDir, 'dist', 'maplibre-gl.css'), join(outDir, 'maplibre-gl.css'));
copyFileSync(join(pkgDir, 'LICENSE.txt'), join(outDir, 'LICENSE.txt'));
console.log(`vendored maplibre-gl ${version} into ${outDir}`);
