// UI benchmark in Chromium: step latency (also with the CPU slowed 4×), long tasks and frame
// intervals during playback at 1× and 4×, frames while panning and zooming a 20-node cluster, the
// time from a mode switch to the new trace on screen, and the gzipped JS the first trace needs
// (main bundle and simulation worker together). Prints one JSON object.
//
//   node bench/ui.mjs            (builds dist/ first if it is missing)
//   CHROMIUM_PATH=/path/to/chrome node bench/ui.mjs
import { spawn, execSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// the same flags as playwright.config.ts
const args = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

const STEPS = 50;
const PLAYBACK_MS = 12_000;
// mode switches are noisy on a shared machine: enough of them for a stable median
const SWITCHES = 20;

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

async function waitForServer(url, ms = 30_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`vite preview did not answer at ${url}`);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null;
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : null;
};
const round = (x) => (x === null ? null : Math.round(x * 100) / 100);

if (!existsSync(resolve(root, 'dist/index.html'))) execSync('npx vite build', { cwd: root, stdio: 'inherit' });
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const server = spawn('npx', ['vite', 'preview', '--port', String(port), '--strictPort', '--host', '127.0.0.1'], { cwd: root, stdio: 'ignore', detached: true });
let browser;
try {
  await waitForServer(base);
  browser = await chromium.launch({ executablePath, args });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const idle = () =>
    page.waitForFunction(() => {
      const s = window.__kplTest?.state();
      return !!s && s.events > 0 && !s.pending;
    }, null, { timeout: 30_000 });

  // every script the page and its worker fetch until the first trace is on screen
  const fetched = new Set();
  const onRequest = (r) => {
    const url = new URL(r.url());
    if (url.origin === base && url.pathname.endsWith('.js')) fetched.add(url.pathname.slice(1));
  };
  page.on('request', onRequest);
  await page.goto(`${base}/`);
  await idle();
  page.off('request', onRequest);
  const firstTraceJs = [...fetched];
  const events = await page.evaluate(() => window.__kplTest.state().events);

  // 1. step latency: keydown → inspector shows the new step (DOM committed, then the next frame),
  //    as is and with the CPU slowed down 4× (CDP Emulation.setCPUThrottlingRate)
  const stepLatency = () => page.evaluate(async (n) => {
    const el = document.querySelector('[data-testid="inspector.step"]');
    const commit = [];
    const frame = [];
    const press = (key) => window.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));
    press('Home');
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < n; i++) {
      const s = window.__kplTest.state();
      if (s.cursor >= s.events - 1) {
        press('Home');
        await new Promise((r) => setTimeout(r, 30));
      }
      const before = el.textContent;
      const t0 = performance.now();
      const changed = new Promise((res) => {
        const mo = new MutationObserver(() => {
          if (el.textContent !== before) {
            mo.disconnect();
            res();
          }
        });
        mo.observe(el, { subtree: true, childList: true, characterData: true });
      });
      press('ArrowRight');
      await changed;
      commit.push(performance.now() - t0);
      await new Promise((r) => requestAnimationFrame(() => r()));
      frame.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
    return { commit, frame };
  }, STEPS);
  const cdp = await page.context().newCDPSession(page);
  const step = await stepLatency();
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  const step4 = await stepLatency();
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });

  // 2. playback at 1x and at 4x: long tasks and frame intervals
  const playbackAt = (speed, ms) => page.evaluate(async ([speed, ms]) => {
    window.__kplTest.setSpeed(speed);
    const long = [];
    const po = new PerformanceObserver((l) => {
      for (const e of l.getEntries()) long.push(e.duration);
    });
    po.observe({ type: 'longtask', buffered: false });
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Home', bubbles: true }));
    const frames = [];
    let last = 0;
    let running = true;
    const loop = (t) => {
      if (last) frames.push(t - last);
      last = t;
      if (running) requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
    document.querySelector('[data-testid="controls.play"]').click();
    await new Promise((r) => setTimeout(r, ms));
    running = false;
    const s = window.__kplTest.state();
    if (document.querySelector('[data-testid="controls.play"]').getAttribute('aria-pressed') === 'true') document.querySelector('[data-testid="controls.play"]').click();
    po.disconnect();
    window.__kplTest.setSpeed(1);
    return { long, frames, steps: s.cursor };
  }, [speed, ms]);
  const playback = await playbackAt(1, PLAYBACK_MS);
  const playback4 = await playbackAt(4, PLAYBACK_MS / 2);

  // 3. mode switch → new trace shown (flannel vxlan ⇄ host-gw, then kube-proxy iptables ⇄ ipvs),
  //    measured in the page: click, then the changed-notice names the new mode, then one frame
  const switchOnce = (axis) =>
    page.evaluate(async (axis) => {
      const cur = window.__kplTest.state().modes[axis];
      const next = axis === 'backend' ? (cur === 'vxlan' ? 'host-gw' : 'vxlan') : cur === 'iptables' ? 'ipvs' : 'iptables';
      const t0 = performance.now();
      document.querySelector(`[data-testid="mode.${axis}.${next}"]`).click();
      await new Promise((res) => {
        const check = () => {
          const s = window.__kplTest.state();
          const shown = document.querySelector('[data-testid="notice.change"]')?.textContent ?? '';
          if (!s.pending && s.modes[axis] === next && shown.includes(`→ ${next}`)) res();
          else requestAnimationFrame(check);
        };
        check();
      });
      await new Promise((r) => requestAnimationFrame(() => r()));
      return performance.now() - t0;
    }, axis);
  const switches = [];
  for (let i = 0; i < SWITCHES; i++) switches.push(await switchOnce('backend'));
  const proxySwitches = [];
  for (let i = 0; i < SWITCHES; i++) proxySwitches.push(await switchOnce('proxy'));

  // 4. the JS the first trace needs: every script fetched from the first request until the trace
  //    was on screen (recorded above), gzipped. "main" is what index.html loads; the rest is the
  //    simulation worker and the chunks it imported. Chunks fetched later (the shell, the cluster
  //    reader, the dialogs) are listed apart, with their sizes.
  const html = readFileSync(resolve(root, 'dist/index.html'), 'utf8');
  const inHtml = new Set([...html.matchAll(/(?:src|href)="\/([^"]+\.js)"/g)].map((m) => m[1]));
  const gzOne = (f) => gzipSync(readFileSync(resolve(root, 'dist', f))).length / 1024;
  const gz = (files) => files.reduce((n, f) => n + gzOne(f), 0);
  const initial = firstTraceJs.filter((f) => inHtml.has(f));
  const worker = firstTraceJs.filter((f) => !inHtml.has(f));
  const initialJsGzipKB = gz(initial);
  const workerJsGzipKB = gz(worker);
  const later = readdirSync(resolve(root, 'dist/assets'))
    .map((f) => `assets/${f}`)
    .filter((f) => f.endsWith('.js') && !fetched.has(f))
    .map((f) => ({ file: f, gzipKB: round(gzOne(f)) }));

  // 5. a 20-node cluster: frame intervals while the user drags and wheels the topology, with the
  //    hosts off the path folded (as it opens) and with every device drawn ("All devices")
  await page.goto(`${base}/?cluster=twenty-nodes`);
  await idle();
  await page.waitForTimeout(500);
  const panZoom = async () => {
    const box = await page.locator('.topo-flow').boundingBox();
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    await page.evaluate(() => {
      window.__frames = [];
      let last = 0;
      window.__framing = true;
      const loop = (t) => {
        if (last) window.__frames.push(t - last);
        last = t;
        if (window.__framing) requestAnimationFrame(loop);
      };
      requestAnimationFrame(loop);
    });
    for (let round = 0; round < 3; round++) {
      await page.mouse.move(cx, cy);
      await page.mouse.down();
      for (let i = 0; i < 30; i++) await page.mouse.move(cx + Math.sin(i / 5) * 200, cy + Math.cos(i / 7) * 80);
      await page.mouse.up();
      for (let i = 0; i < 10; i++) await page.mouse.wheel(0, round % 2 ? 120 : -120);
    }
    return page.evaluate(() => {
      window.__framing = false;
      return window.__frames;
    });
  };
  const pz = await panZoom();
  await page.keyboard.press('a');
  await page.waitForTimeout(800);
  const pzAll = await panZoom();

  const out = {
    chromium: browser.version(),
    traceEvents: events,
    stepLatencyMs: { median: round(median(step.frame)), p95: round(pct(step.frame, 95)), commitMedian: round(median(step.commit)), samples: STEPS },
    stepLatency4xThrottledMs: { median: round(median(step4.frame)), p95: round(pct(step4.frame, 95)), samples: STEPS },
    playback1x: {
      durationMs: PLAYBACK_MS,
      stepsPlayed: playback.steps,
      longTasksOver50ms: playback.long.filter((d) => d > 50).length,
      longestTaskMs: round(playback.long.length ? Math.max(...playback.long) : 0),
      frameIntervalP95Ms: round(pct(playback.frames, 95)),
      frameIntervalMedianMs: round(median(playback.frames)),
      frames: playback.frames.length,
    },
    playback4x: {
      durationMs: PLAYBACK_MS / 2,
      stepsPlayed: playback4.steps,
      longTasksOver50ms: playback4.long.filter((d) => d > 50).length,
      frameIntervalP95Ms: round(pct(playback4.frames, 95)),
      frameIntervalMedianMs: round(median(playback4.frames)),
    },
    twentyNodesPanZoom: {
      folded: { frameP95Ms: round(pct(pz, 95)), frameMedianMs: round(median(pz)), frames: pz.length },
      allDevices: { frameP95Ms: round(pct(pzAll, 95)), frameMedianMs: round(median(pzAll)), frames: pzAll.length },
    },
    modeSwitchToTraceMs: { median: round(median(switches)), p95: round(pct(switches, 95)), max: round(Math.max(...switches)), samples: SWITCHES },
    proxySwitchToTraceMs: { median: round(median(proxySwitches)), p95: round(pct(proxySwitches, 95)), max: round(Math.max(...proxySwitches)), samples: SWITCHES },
    initialJsGzipKB: round(initialJsGzipKB + workerJsGzipKB),
    initialJsMainGzipKB: round(initialJsGzipKB),
    initialJsWorkerGzipKB: round(workerJsGzipKB),
    initialJsFiles: [...initial, ...worker],
    onDemandJs: later,
  };
  console.log(JSON.stringify(out, null, 2));
} finally {
  await browser?.close();
  try {
    process.kill(-server.pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
}
