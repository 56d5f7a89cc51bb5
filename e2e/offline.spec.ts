import { expect, test } from '@playwright/test';
import { LabPage } from './lab.page.ts';

test('works offline once loaded: a reload without network still traces', async ({ page, context }) => {
  const lab = new LabPage(page);
  await lab.open();
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  // a second online load lets the now-controlling service worker see (and keep) every asset
  await page.reload();
  await lab.idle();
  await context.setOffline(true);
  await page.reload();
  await lab.idle();
  expect((await lab.state()).events).toBeGreaterThan(10);
  await context.setOffline(false);
});
