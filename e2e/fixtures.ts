import { test as base, expect } from '@playwright/test';
import { LabPage } from './lab.page.ts';

/**
 * Every test gets a `lab` page object, and fails if the page logged a console error or threw:
 * a user-visible app must stay quiet in the console.
 */
export const test = base.extend<{ lab: LabPage; consoleErrors: string[] }>({
  consoleErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      await use(errors);
      expect(errors, 'the page logged errors').toEqual([]);
    },
    { auto: true },
  ],
  lab: async ({ page }, use) => {
    await use(new LabPage(page));
  },
});

export { expect };
