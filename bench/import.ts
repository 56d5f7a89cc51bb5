/**
 * `npm run bench` (import part): reading a user's cluster dump. A 100-node / 3,000-pod
 * `kubectl get … -A -o json` (managedFields, statuses, owners; every pod behind one of 100
 * Services) is parsed and built in Node, then opened in Chromium through the app's file picker:
 * the worker's parse (checkCluster), and the whole way to its first trace on screen. Medians;
 * performance.now() around the operation only. Prints one JSON object. Not a test.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { chromium } from '@playwright/test';
import { buildCluster } from '../src/sim/k8s/cluster.ts';
import { parseCluster } from '../src/sim/k8s/spec.ts';
import { bigDumpJson } from '../src/sim/scenarios/examples/big.ts';
import { median } from './timing.ts';

const round = (x: number) => Math.round(x);

const out: Record<string, unknown> = {};
const text = bigDumpJson(100, 30);
out.dumpMB = +(text.length / 1048576).toFixed(1);

// ---- Node --------------------------------------------------------------------------------
const parse: number[] = [];
const build: number[] = [];
for (let i = 0; i < 4; i++) {
  const t0 = performance.now();
  const r = parseCluster(text);
  const t1 = performance.now();
  if (!r.ok) throw new Error(`${r.error.where}: ${r.error.message}`);
  buildCluster(r.value, {}, 1);
  const t2 = performance.now();
  if (i > 0) {
    parse.push(t1 - t0);
    build.push(t2 - t1);
  }
}
out.nodeParseMs = round(median(parse));
out.nodeBuildMs = round(median(build));

// ---- Chromium ------------------------------------------------------------------------------
async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => res(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

if (existsSync('dist/index.html')) {
  const port = await freePort();
  const server = spawn(process.execPath, ['node_modules/vite/bin/vite.js', 'preview', '--port', String(port), '--strictPort', '--host', '127.0.0.1'], { stdio: 'ignore' });
  try {
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(url)).ok) break;
      } catch {
        await new Promise((r) => setTimeout(r, 150));
      }
    }
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'] });
    const check: number[] = [];
    const shown: number[] = [];
    const simulateMs: number[] = [];
    for (let i = 0; i < Number(process.env.RUNS ?? 3); i++) {
      const page = await browser.newPage();
      await page.goto(`${url}/?speed=instant`);
      const state = () => page.evaluate(() => (window as unknown as { __kplTest?: { state(): { events: number; pending: boolean; cluster: string | null; importCheckMs: number | null } } }).__kplTest?.state());
      await page.waitForFunction(() => {
        const s = (window as unknown as { __kplTest?: { state(): { events: number; pending: boolean } } }).__kplTest?.state();
        return !!s && s.events > 0 && !s.pending;
      });
      await page.getByTestId('import.open').click();
      // the 22 MB reach the page first (Playwright's own transfer, seconds, is not the app's
      // time); the clock starts as the file input fires `change`, as after a user's pick
      const name = `big-${i}.json`;
      await page.evaluate((t) => void ((window as unknown as { __bigDump: string }).__bigDump = t), text);
      const ms = await page.evaluate(async (file) => {
        const w = window as unknown as { __bigDump: string; __kplTest: { state(): { cluster: string | null; pending: boolean; events: number } } };
        const input = document.querySelector('[data-testid="import.file"]') as HTMLInputElement;
        const dt = new DataTransfer();
        dt.items.add(new File([w.__bigDump], file, { type: 'application/json' }));
        input.files = dt.files;
        const t0 = performance.now();
        input.dispatchEvent(new Event('change', { bubbles: true }));
        // (no named function in here: tsx would wrap it in a helper the page does not have)
        for (let s = w.__kplTest.state(); !(s.cluster === file && !s.pending && s.events > 0); s = w.__kplTest.state()) {
          await new Promise((r) => setTimeout(r, 20));
        }
        return performance.now() - t0;
      }, name);
      shown.push(ms);
      const st = (await state()) as unknown as { importCheckMs: number; simulateMs: number };
      check.push(st.importCheckMs);
      simulateMs.push(st.simulateMs);
      await page.close();
    }
    await browser.close();
    out.browserParseMs = round(median(check));
    out.browserWorkerTraceMs = round(median(simulateMs));
    out.browserOpenToTraceMs = round(median(shown));
  } finally {
    server.kill();
  }
}
console.log(JSON.stringify(out, null, 2));
