import { expect, test } from './fixtures.ts';

/** Issue 13 in the browser: a strict CSP, a worker that cannot load, a corrupt cached asset. */

test('the app loads under its Content-Security-Policy and nothing violates it', async ({ page, lab }) => {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await lab.open();
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("worker-src 'self'");
  expect(csp).toContain("connect-src 'self'");
  expect(csp).not.toContain("'unsafe-eval'");
  expect(await page.locator('script:not([src])').count()).toBe(0);
  // step, open the tables and the compare view: React Flow, motion and the worker all run
  await lab.stepForward.click();
  await page.getByRole('button', { name: 'Compare', exact: true }).click();
  await expect.poll(async () => (await lab.state()).comparePending, { timeout: 20_000 }).toBe(false);
  expect(await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations)).toEqual([]);
  // and the test hook exists only because this is a test build
  expect(await page.evaluate(() => typeof (window as unknown as { __kplTest?: unknown }).__kplTest)).toBe('object');
});

test.describe('without a service worker (it would fetch the script itself, past page.route)', () => {
  test.use({ serviceWorkers: 'block' });

  test('a worker script that 404s is fetched a bounded number of times, then an error shows', async ({ page, consoleErrors }) => {
    let fetches = 0;
    await page.route(/sim\.worker[^/]*\.js/, (route) => {
      fetches++;
      return route.fulfill({ status: 404, body: 'not found' });
    });
    await page.goto('/?speed=instant');
    await expect(page.getByTestId('notice.error')).toContainText('failed to start 4 times in a row', { timeout: 15_000 });
    await page.waitForTimeout(3000);
    expect(fetches).toBeGreaterThanOrEqual(1);
    expect(fetches).toBeLessThanOrEqual(8);
    // the 404s themselves are what this test provokes
    consoleErrors.splice(0, consoleErrors.length, ...consoleErrors.filter((e) => !/404|Failed to load|worker/i.test(e)));
  });
});

test('a corrupt cached index-*.js is replaced: the next load works', async ({ page, lab, consoleErrors }) => {
  await lab.open();
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  await page.reload();
  await lab.idle();
  const entry = await page.evaluate(async () => {
    const name = (await caches.keys()).find((k) => k.startsWith('kube-packet-lab-'))!;
    const cache = await caches.open(name);
    const url = (await cache.keys()).map((r) => r.url).find((u) => /\/assets\/index-[^/]*\.js$/.test(u))!;
    await cache.put(url, new Response('export const broken = ;{{{', { headers: { 'content-type': 'text/javascript' } }));
    return url;
  });
  expect(entry).toMatch(/index-.*\.js$/);
  await page.reload();
  // the corrupt copy is either caught by boot-check (caches cleared, one more load) or refreshed
  // behind the answer; at the latest the load after is whole again
  await page.waitForTimeout(1000);
  if (!(await page.evaluate(() => !!(window as unknown as { __kplTest?: unknown }).__kplTest))) await page.reload();
  await lab.idle();
  const cached = await page.evaluate(async (url) => {
    for (const name of await caches.keys()) {
      const hit = await (await caches.open(name)).match(url);
      if (hit) return (await hit.text()).slice(0, 30);
    }
    return '';
  }, entry);
  expect(cached).not.toContain('broken');
  consoleErrors.splice(0, consoleErrors.length, ...consoleErrors.filter((e) => !/Unexpected token|SyntaxError|broken/i.test(e)));
});
