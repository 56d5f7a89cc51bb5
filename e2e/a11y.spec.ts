import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './fixtures.ts';
import type { Page } from '@playwright/test';

test.use({ viewport: { width: 1440, height: 900 } });

/** axe's serious and critical findings, one line each: rule, impact, the first offending nodes. */
async function violations(page: Page): Promise<string[]> {
  // only the violations: collecting every pass takes most of axe's time on a page this size
  const r = await new AxeBuilder({ page }).options({ resultTypes: ['violations'] }).analyze();
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 4).map((n) => `${n.target.join(' ')} ${n.failureSummary?.split('\n')[1] ?? ''}`).join(' | ')}`);
}

test('axe: no serious or critical violations in the debugger, the key sheet, compare and scale', async ({ lab, page }) => {
  // four full axe runs on a machine that others share
  test.setTimeout(120_000);
  // mid-path, with a rule and the chain view on screen
  await lab.open('step=30');
  expect(await violations(page)).toEqual([]);
  await page.keyboard.press('?');
  await expect(lab.testid('keys.sheet')).toBeVisible();
  expect(await violations(page)).toEqual([]);
  await page.keyboard.press('Escape');
  await lab.compare('proxy');
  expect(await violations(page)).toEqual([]);
  await lab.openView('scale');
  await expect(lab.testid('scale.chart')).toBeVisible();
  expect(await violations(page)).toEqual([]);
});
