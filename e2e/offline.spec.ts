import { readdirSync, readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { LabPage } from './lab.page.ts';

/** Every chunk of the built simulation worker: its entry and all it imports, statically or on demand. */
function workerChunks(): string[] {
  const dir = 'dist/assets';
  const entry = readdirSync(dir).find((f) => /^sim\.worker-.*\.js$/.test(f));
  if (!entry) throw new Error('no sim.worker-*.js in dist/assets: build first');
  const seen = new Set([entry]);
  for (const f of seen) for (const m of readFileSync(`${dir}/${f}`, 'utf8').matchAll(/["'`]\.\/([\w.-]+\.js)["'`]/g)) seen.add(m[1]!);
  return [...seen];
}

/** Opens the lab twice online: the second load lets the now-controlling service worker see (and keep) every asset. */
async function loadTwice(page: Page): Promise<LabPage> {
  const lab = new LabPage(page);
  await lab.open();
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  await page.reload();
  await lab.idle();
  return lab;
}

test('works offline once loaded: a reload without network still traces', async ({ page, context }) => {
  const lab = await loadTwice(page);
  await context.setOffline(true);
  await page.reload();
  await lab.idle();
  expect((await lab.state()).events).toBeGreaterThan(10);
  await context.setOffline(false);
});

test('the parts the first trace did not need work offline too: a grep in the terminal, another cluster', async ({ page, context }) => {
  const lab = await loadTwice(page);
  // once the debugger is up the worker fetches its on-demand chunks (the shell with re2js, the
  // cluster reader, the proxiers, …) and the service worker keeps them: wait until all are kept
  const chunks = workerChunks();
  expect(chunks.length).toBeGreaterThan(5);
  const kept = () => page.evaluate(async () => (await Promise.all((await caches.keys()).map(async (k) => (await (await caches.open(k)).keys()).map((r) => new URL(r.url).pathname)))).flat());
  await expect
    .poll(async () => {
      const have = await kept();
      return chunks.filter((c) => !have.includes(`/assets/${c}`));
    }, { timeout: 15_000 })
    .toEqual([]);
  await context.setOffline(true);
  await page.reload();
  await lab.idle();
  const out = await lab.run('master', 'iptables -t nat -S | grep -E "KUBE-SVC-7CWUT4JBGBRVUN2L.*statistic"');
  await expect(out).toContainText('-A KUBE-SVC-7CWUT4JBGBRVUN2L');
  await expect(out).toContainText('--probability 0.50000000000');
  await lab.setProxy('nftables');
  await expect((await lab.run('master', 'nft list chain ip kube-proxy services'))).toContainText('vmap @service-ips');
  await lab.loadCluster('five-nodes');
  await lab.idle();
  expect((await lab.state()).events).toBeGreaterThan(10);
  await context.setOffline(false);
});
