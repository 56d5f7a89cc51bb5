import { readFileSync } from 'node:fs';
import { expect, test } from './fixtures.ts';
import { kubeadmFlannelJson } from '../src/sim/scenarios/examples/kubeadm.ts';
import { stringify } from 'yaml';
import { k3sObjects, k3sSeedYaml } from '../src/sim/scenarios/examples/k3s.ts';

const K3S_SEED_YAML = k3sSeedYaml();
const KUBEADM_FLANNEL_JSON = kubeadmFlannelJson();

/**
 * Bring your own cluster (issue 9): a kubectl dump opened by the file picker, a drop and a
 * paste; a broken one listed problem by problem while the cluster shown stays; a user cluster
 * in the share link; Save lab → Open lab at the same step.
 */
test.use({ viewport: { width: 1440, height: 900 } });

/** what a user pastes: the k3s objects without managedFields (a long paste is slow to type, not to read) */
const PASTED = stringify({ apiVersion: 'v1', kind: 'List', items: k3sObjects().map(({ metadata, ...o }) => ({ ...o, metadata: { ...(metadata as object), managedFields: undefined } })) });

const kubeadmFile = { name: 'kubeadm.json', mimeType: 'application/json', buffer: Buffer.from(KUBEADM_FLANNEL_JSON) };

test('the file picker opens a kubeadm dump; what was inferred is listed', async ({ lab, page }) => {
  await lab.open();
  await lab.testid('import.open').click();
  await expect(lab.testid('import.dialog')).toBeVisible();
  await lab.testid('import.file').setInputFiles(kubeadmFile);
  await expect(lab.testid('import.dialog')).toHaveCount(0);
  await lab.idle();
  expect((await lab.state()).cluster).toBe('kubeadm.json');
  await expect(lab.testid('scenario.cluster')).toContainText('kubeadm.json');
  await expect(page.getByText(/^LAN 192\.168\.56\.0\/24: inferred from the InternalIPs/)).toBeAttached();
  await lab.testid('notice.cluster.more').click();
  await expect(lab.testid('notice.cluster').filter({ hasText: 'gateway 192.168.56.1 on 192.168.56.0/24' })).toBeVisible();
  await expect(lab.testid('trace.verdict')).toContainText('delivered');
});

test('a file dropped on the page opens; a broken one is refused with object, field and line and the cluster stays', async ({ lab, page }) => {
  await lab.open();
  const drop = async (name: string, text: string) => {
    await page.evaluate(
      ([n, t]) => {
        const dt = new DataTransfer();
        dt.items.add(new File([t!], n!, { type: 'text/yaml' }));
        for (const type of ['dragenter', 'dragover', 'drop']) window.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
      },
      [name, text],
    );
  };
  await drop('k3s.yaml', K3S_SEED_YAML);
  await expect.poll(async () => (await lab.state()).cluster).toBe('k3s.yaml');
  await lab.idle();
  const before = await lab.state();

  await drop('broken.yaml', K3S_SEED_YAML.replace('clusterIP: 10.43.6.58', 'clusterIP: 127.0.0.1'));
  await expect(lab.testid('import.problems')).toContainText('broken.yaml was not opened; the cluster shown is unchanged.');
  const problem = lab.testid('import.problem').first();
  await expect(problem).toContainText(/line \d+/);
  await expect(problem).toContainText('Service default/nginx-test');
  await expect(problem).toContainText('spec.clusterIP');
  await expect(problem).toContainText('Invalid value: "127.0.0.1": may not be in the loopback range');
  expect((await lab.state()).cluster).toBe('k3s.yaml');
  expect((await lab.state()).events).toBe(before.events);
  await lab.testid('import.close').click();
  await expect(lab.testid('import.dialog')).toHaveCount(0);
});

test('pasted YAML opens; the share link carries it to a fresh browser', async ({ lab, page, browser }) => {
  await lab.open();
  await lab.testid('import.open').click();
  // a paste puts the whole text in at once (Playwright's fill types multi-line text slowly)
  await lab.testid('import.text').evaluate((el, text) => {
    const set = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')!.set!;
    set.call(el, text);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, PASTED);
  await lab.testid('import.load').click();
  await expect.poll(async () => (await lab.state()).cluster).toBe('pasted cluster');
  await lab.idle();
  await lab.stepForward.click();
  await lab.stepForward.click();
  await expect.poll(() => page.url()).toMatch(/#cluster=[A-Za-z0-9_-]{100,}/);
  // the link names the event (its number in the whole trace), the same moment at any level
  const cursor = (await lab.state()).cursor;
  await expect.poll(() => page.url()).toMatch(new RegExp(`[?&]step=${cursor + 1}(&|#|$)`));
  const url = page.url();

  const fresh = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const other = await fresh.newPage();
  const errors: string[] = [];
  other.on('pageerror', (e) => errors.push(e.message));
  await other.goto(url);
  await expect.poll(async () => other.evaluate(() => (window as unknown as { __kplTest?: { state(): { events: number; pending: boolean; cluster: string | null; cursor: number } } }).__kplTest?.state()), { timeout: 20_000 }).toMatchObject({ pending: false, cluster: 'cluster from the link', cursor });
  await expect(other.getByTestId('topology.host.node2')).toBeVisible();
  expect(errors).toEqual([]);
  await fresh.close();
});

test('Save lab writes one file; Open lab restores the cluster, edits and step', async ({ lab, page }, testInfo) => {
  await lab.open();
  await lab.testid('import.open').click();
  await lab.testid('import.file').setInputFiles(kubeadmFile);
  await expect.poll(async () => (await lab.state()).cluster).toBe('kubeadm.json');
  await lab.idle();
  await lab.setBackend('host-gw');
  await lab.stepForward.click();
  await lab.stepForward.click();
  await lab.stepForward.click();
  const saved = await lab.state();
  const [download] = await Promise.all([page.waitForEvent('download'), lab.testid('lab.save').click()]);
  expect(download.suggestedFilename()).toBe('kubeadm.kpl-lab.json');
  const file = testInfo.outputPath('lab.json');
  await download.saveAs(file);
  const text = readFileSync(file, 'utf8');
  expect(JSON.parse(text)).toMatchObject({ kind: 'KubePacketLab', version: 1, modes: { backend: 'host-gw' }, step: saved.cursor + 1, clusterName: 'kubeadm.json' });

  await lab.open();
  expect((await lab.state()).cluster).toBe(null);
  await lab.testid('import.open').click();
  await lab.testid('import.file').setInputFiles({ name: 'kubeadm.kpl-lab.json', mimeType: 'application/json', buffer: Buffer.from(text) });
  await expect.poll(async () => (await lab.state()).cluster).toBe('kubeadm.json');
  await lab.idle();
  const restored = await lab.state();
  expect(restored.cursor).toBe(saved.cursor);
  expect(restored.events).toBe(saved.events);
  expect(restored.modes?.backend).toBe('host-gw');
});

test('the example gallery opens a dump; kubectl scale in the terminal re-runs the controllers', async ({ lab }) => {
  await lab.open();
  await lab.testid('import.open').click();
  await lab.testid('import.example.k3s').click();
  await expect.poll(async () => (await lab.state()).preset).toBe('k3s');
  await lab.idle();
  await lab.testid('tabs.terminal').click();
  await lab.testid('terminal.input').fill('kubectl scale deployment nginx-test --replicas 4');
  await lab.testid('terminal.run').click();
  await expect(lab.testid('terminal.output')).toContainText('deployment.apps/nginx-test scaled');
  await expect.poll(async () => (await lab.state()).before).toEqual(['master: kubectl scale deployment nginx-test --replicas 4']);
  await lab.idle();
  await lab.testid('terminal.input').fill('iptables -t nat -S KUBE-SVC-7CWUT4JBGBRVUN2L');
  await lab.testid('terminal.run').click();
  await expect(lab.testid('terminal.output')).toContainText('--probability 0.25000000000');
});
