// Render a glb with three.js in headless Chromium (Debian's, driven by playwright-core).
//   node tools/web/render.mjs FILE.glb OUT.png [OUT2.png NAME=VALUE ...] [--size N]
// Each OUT.png is one screenshot from the same front camera; NAME=VALUE tokens after it set
// morph target influences for that shot (the others are back at 0). Prints a JSON summary.
// The browser runs with software WebGL (SwiftShader), no network and a fresh profile.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.LIKENESS_CHROMIUM || '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];
const HERE = path.dirname(fileURLToPath(import.meta.url));
const THREE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.resolve('three'))), '..');
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.glb': 'model/gltf-binary' };

function parseArgs(argv) {
  const [glb, ...rest] = argv;
  let size = 512;
  const shots = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--size') size = Number(rest[++i]);
    else if (arg.includes('=') && !arg.endsWith('.png')) {
      if (!shots.length) throw new Error(`${arg}: a morph setting comes after the screenshot it is for`);
      const [name, value] = arg.split('=');
      shots.at(-1).morph[name] = Number(value);
    } else shots.push({ png: path.resolve(arg), morph: {} });
  }
  if (!glb || !shots.length) throw new Error('usage: node tools/web/render.mjs FILE.glb OUT.png [OUT2.png NAME=VALUE ...] [--size N]');
  return { glb: path.resolve(glb), size, shots };
}

function serve(glb) {
  // The viewer page, three from node_modules, and the glb; on localhost only.
  const route = (url) => {
    const p = decodeURIComponent(new URL(url, 'http://x').pathname);
    if (p === '/') return path.join(HERE, 'viewer.html');
    if (p === '/model.glb') return glb;
    if (p.startsWith('/three/')) {
      const file = path.resolve(THREE_ROOT, '.' + p.slice('/three'.length));
      return file.startsWith(THREE_ROOT + path.sep) ? file : null;
    }
    return null;
  };
  const server = http.createServer((req, res) => {
    const file = route(req.url);
    if (!file || !existsSync(file) || !statSync(file).isFile()) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function main() {
  const { glb, size, shots } = parseArgs(process.argv.slice(2));
  if (!existsSync(glb)) throw new Error(`${glb}: no such file`);
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (make setup does)`);
  const t0 = performance.now();
  const server = await serve(glb);
  const profile = mkdtempSync(path.join(os.tmpdir(), 'likeness-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: size, height: size },
  });
  const problems = [];
  try {
    const page = context.pages()[0] || await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto(`http://127.0.0.1:${server.address().port}/?width=${size}&height=${size}`);
    await page.waitForFunction(() => window.viewerReady === true, null, { timeout: 60000 });
    const info = await page.evaluate(() => window.viewer.load('/model.glb'));
    const summary = { file: glb, ...info, shots: [] };
    let previous = {};
    for (const shot of shots) {
      const weights = { ...Object.fromEntries(Object.keys(previous).map((n) => [n, 0])), ...shot.morph };
      const missing = Object.keys(shot.morph).filter((n) => !info.morphs.includes(n));
      if (missing.length) throw new Error(`no morph target named ${missing.join(', ')} in ${glb}`);
      const set = await page.evaluate((w) => window.viewer.setMorphs(w), weights);
      await page.screenshot({ path: shot.png });
      summary.shots.push({ png: shot.png, morph: shot.morph, meshes_set: set });
      previous = shot.morph;
    }
    summary.console_errors = problems;
    summary.seconds = Number(((performance.now() - t0) / 1000).toFixed(2));
    console.log(JSON.stringify(summary, null, 1));
  } catch (err) {
    if (problems.length) err.message += `\nbrowser console:\n${problems.join('\n')}`;
    throw err;
  } finally {
    await context.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(`render.mjs: ${err.message}`); process.exit(1); });
