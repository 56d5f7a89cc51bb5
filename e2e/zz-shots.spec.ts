import { test } from './fixtures.ts';
import { K3S_SEED_YAML } from '../src/sim/scenarios/examples/k3s.ts';
for (const width of [1280]) {
  test(`shots ${width}`, async ({ lab, page }) => {
    await page.setViewportSize({ width, height: 900 });
    await lab.open();
    await page.screenshot({ path: `/tmp/shot-${width}-header.png` });
    await lab.testid('import.open').click();
    await page.waitForTimeout(300);
    await page.screenshot({ path: `/tmp/shot-${width}-dialog.png` });
    await lab.testid('import.file').setInputFiles({ name: 'broken.yaml', mimeType: 'text/yaml', buffer: Buffer.from(K3S_SEED_YAML.replace('clusterIP: 10.43.6.58', 'clusterIP: 127.0.0.1').replace('podIP: 10.42.1.9', 'podIP: 10.42.1.255')) });
    await lab.testid('import.problems').waitFor();
    await page.screenshot({ path: `/tmp/shot-${width}-refused.png` });
    await lab.testid('import.close').click();
    await lab.testid('import.open').click();
    await lab.testid('import.file').setInputFiles({ name: 'k3s.yaml', mimeType: 'text/yaml', buffer: Buffer.from(K3S_SEED_YAML) });
    await page.waitForFunction(() => (window as any).__kplTest.state().cluster === 'k3s.yaml');
    await lab.idle();
    await page.waitForTimeout(500);
    await page.screenshot({ path: `/tmp/shot-${width}-loaded.png` });
  });
}
