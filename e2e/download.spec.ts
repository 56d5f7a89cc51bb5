import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { expect, test } from './fixtures.ts';

// issue 8: the JavaScript the first trace needs, the main bundle and the simulation worker together
const FIRST_TRACE_JS_GZIP_KB = 250;

test('the first trace downloads at most 250 KB of gzipped JavaScript; what it did not need comes when used', async ({ lab, page }) => {
  // every script the page and its worker fetch until the trace is on screen, whatever its name
  const fetched = new Set<string>();
  const onRequest = (r: { url(): string }) => {
    const { pathname } = new URL(r.url());
    if (pathname.endsWith('.js')) fetched.add(pathname);
  };
  page.on('request', onRequest);
  await lab.open();
  page.off('request', onRequest);
  const kb = [...fetched].reduce((n, p) => n + gzipSync(readFileSync(`dist${p}`)).length, 0) / 1024;
  expect(fetched.size).toBeGreaterThan(1);
  expect(kb, `first trace fetched ${[...fetched].join(', ')}`).toBeLessThanOrEqual(FIRST_TRACE_JS_GZIP_KB);
  // the shell (with re2js for the pipe into grep) was not among them, and answers all the same
  const out = await lab.run('master', 'ip route | grep cni0');
  await expect(out).toContainText('10.42.0.0/24 dev cni0 proto kernel scope link src 10.42.0.1');
});
