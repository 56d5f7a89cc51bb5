import { readFileSync } from 'node:fs';
import { expect, test } from './fixtures.ts';

test.use({ viewport: { width: 1440, height: 900 } });

const CLUSTER_IP = '10.43.6.58';
const ENDPOINT = /^10\.42\.(1|2)\.6$/;

test('pod → ClusterIP: the DNAT rewrites the destination and stepping back restores it', async ({ lab }) => {
  await lab.open();
  await lab.choosePreset(/ClusterIP/i);
  await expect(lab.field('ipv4.dst')).toHaveText(CLUSTER_IP);
  await lab.stepUntil(async () => ENDPOINT.test((await lab.field('ipv4.dst').textContent()) ?? ''), 'the DNAT');
  const dnatStep = (await lab.position()).step;
  await expect(lab.testid('inspector.field.ipv4.dst')).toHaveClass(/changed/);
  await expect(lab.testid('inspector.field.ipv4.dst')).toContainText(`was ${CLUSTER_IP}`);
  // the chain view shows the walk that led here
  await expect(lab.testid('inspector.chainview')).toContainText('KUBE-SERVICES');
  await expect(lab.testid('inspector.chainview')).toContainText('KUBE-SVC-7CWUT4JBGBRVUN2L');
  await expect(lab.testid('inspector.chainview.current')).toContainText('DNAT');
  await lab.stepBack.click();
  await lab.expectStep(dnatStep - 1);
  await expect(lab.field('ipv4.dst')).toHaveText(CLUSTER_IP);
});

test('host-gw drops the VXLAN encapsulation; vxlan brings back UDP 8472 and VNI 1', async ({ lab }) => {
  await lab.open();
  await lab.choosePreset(/across nodes|cross/i);
  await lab.setBackend('vxlan');
  const vx = await lab.transcript();
  expect(vx.some((t) => /encapsulate on flannel\.1/.test(t))).toBe(true);
  await lab.setBackend('host-gw');
  const hg = await lab.transcript();
  expect(hg.some((t) => /(en|de)capsulate on/.test(t))).toBe(false);
  expect(hg.length).toBeLessThan(vx.length);
  await expect(lab.testid('notice.change')).toContainText('vxlan → host-gw');
  await expect(lab.testid('notice.change')).toContainText('removed');
  await expect(lab.testid('topology.dev.master.root.flannel.1')).toHaveCount(0);

  await lab.setBackend('vxlan');
  await expect(lab.testid('notice.change')).toContainText('host-gw → vxlan');
  await lab.stepUntil(async () => (await lab.testid('inspector.layer.outer.vxlan').count()) > 0, 'an encapsulated packet');
  await expect(lab.field('outer.udp.dstport')).toHaveText('8472');
  await expect(lab.field('outer.vxlan.vni')).toHaveText('1');
  await expect(lab.testid('topology.token')).toContainText('VXLAN');
});

test('the keyboard drives playback: → ← Home End Space', async ({ lab, page }) => {
  await lab.open();
  await page.locator('body').click({ position: { x: 5, y: 300 } });
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await lab.expectStep(3);
  await page.keyboard.press('ArrowLeft');
  await lab.expectStep(2);
  await page.keyboard.press('End');
  await expect.poll(async () => {
    const p = await lab.position();
    return p.step === p.total && p.total > 3;
  }).toBe(true);
  await page.keyboard.press('Home');
  await lab.expectStep(1);
  await page.keyboard.press('Space');
  await expect(lab.testid('controls.play')).toHaveAttribute('aria-pressed', 'true');
  await expect.poll(async () => (await lab.position()).step).toBeGreaterThan(2);
  await page.keyboard.press('Space');
  await expect(lab.testid('controls.play')).toHaveAttribute('aria-pressed', 'false');
  // the step buttons answer Enter when focused; Tab goes from Play to the speed and the trace
  // (→ ← Home End step from anywhere, so the step buttons are not Tab stops)
  await lab.testid('controls.to-start').focus();
  await page.keyboard.press('Enter');
  await lab.expectStep(1);
  await lab.stepForward.focus();
  await page.keyboard.press('Enter');
  await lab.expectStep(2);
  await lab.testid('controls.play').focus();
  await page.keyboard.press('Tab');
  await expect(lab.testid('controls.speed')).toBeFocused();
  // the trace list is one tab stop: ↓ and ↑ move the cursor inside it
  await lab.testid('timeline.list').focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await lab.expectStep(4);
  await page.keyboard.press('ArrowUp');
  await lab.expectStep(3);
  // modes and flows too
  await lab.testid('mode.backend.host-gw').focus();
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await lab.state()).modes?.backend).toBe('host-gw');
  await lab.idle();
  await lab.testid('flow.to').focus();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type('10.42.1.9');
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await lab.page.url())).toContain('to=10.42.1.9');
});

test('reduced motion: the packet token jumps instead of gliding', async ({ lab, page }) => {
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await page.goto('/');
  await lab.idle();
  const token = lab.testid('topology.token');
  await page.keyboard.press('End');
  await lab.page.waitForTimeout(100);
  const atEnd = await token.evaluate((el) => getComputedStyle(el).transform);
  await page.keyboard.press('Home');
  const now = await token.evaluate((el) => getComputedStyle(el).transform);
  await lab.page.waitForTimeout(250);
  const later = await token.evaluate((el) => getComputedStyle(el).transform);
  expect(now).not.toBe(atEnd);
  expect(later).toBe(now);
});

test('terminal: ip route on master shows the flannel route', async ({ lab }) => {
  await lab.open();
  const out = await lab.run('master', 'ip route');
  await expect(out).toContainText('10.42.1.0/24 via 10.42.1.0 dev flannel.1 onlink');
  // a bad command shows its error and keeps the line to fix
  const bad = await lab.run('master', 'ip rout del');
  await expect(bad.getByTestId('terminal.error')).toBeVisible();
  await expect(lab.testid('terminal.input')).toHaveValue('ip rout del');
});

test('terminal: deleting the route to node1 on master drops the cross-node trace', async ({ lab }) => {
  await lab.open();
  await lab.choosePreset(/across nodes|cross/i);
  await expect(lab.testid('trace.verdict')).toContainText('delivered');
  await lab.run('master', 'ip route del 10.42.1.0/24');
  await lab.idle();
  await expect(lab.testid('trace.verdict')).toContainText('dropped');
  await expect(lab.testid('notice.change')).toContainText('now dropped');
  expect((await lab.state()).before).toEqual(['master: ip route del 10.42.1.0/24']);
  await lab.testid('tabs.edits').click();
  await expect(lab.testid('edits.item.0')).toContainText('master: ip route del 10.42.1.0/24');
  await lab.testid('edits.remove.0').click();
  await lab.idle();
  await expect(lab.testid('trace.verdict')).toContainText('delivered');
});

test('download pcap: a file that starts with the pcap magic', async ({ lab, page }) => {
  await lab.open();
  const [download] = await Promise.all([page.waitForEvent('download'), lab.testid('inspector.pcap').click()]);
  expect(download.suggestedFilename()).toBe('kube-packet-lab.pcap');
  const path = await download.path();
  const bytes = readFileSync(path);
  const magic = bytes.readUInt32LE(0);
  expect([0xa1b2c3d4, 0xa1b23c4d]).toContain(magic);
  expect(bytes.length).toBeGreaterThan(24 + 16);
});

test('reload keeps the state from the URL', async ({ lab, page }) => {
  await lab.open();
  await lab.choosePreset(/ClusterIP/i);
  await lab.setBackend('host-gw');
  await lab.stepForward.click();
  await lab.stepForward.click();
  await lab.stepForward.click();
  const before = await lab.position();
  const from = await lab.testid('flow.from').inputValue();
  // the link names the event (its number in the whole trace), the same moment at any level
  await expect.poll(() => page.url()).toContain(`step=${(await lab.state()).cursor + 1}`);
  await page.reload();
  await lab.idle();
  await expect.poll(() => lab.position()).toEqual(before);
  await expect(lab.testid('mode.backend.host-gw')).toHaveAttribute('aria-pressed', 'true');
  await expect(lab.testid('flow.from')).toHaveValue(from);
  await expect(lab.testid('flow.to')).toHaveValue(/10\.43\.6\.58/);
});

test('a bad URL parameter is named and the default is used', async ({ lab }) => {
  await lab.open('?backend=geneve&step=abc');
  await expect(lab.testid('notice.url').first()).toContainText('"backend"');
  await expect(lab.testid('notice.url').first()).toContainText('geneve');
  await expect(lab.testid('notice.url').nth(1)).toContainText('"step"');
  await lab.expectStep(1);
  await expect(lab.testid('trace.verdict')).toContainText(/delivered|dropped/);
});

test('a flow the core refuses shows its error and keeps the last good trace', async ({ lab }) => {
  await lab.open();
  const total = (await lab.position()).total;
  await lab.testid('flow.to').fill('no-such-pod');
  await lab.testid('flow.apply').click();
  await expect(lab.testid('notice.error')).toBeVisible();
  await lab.idle();
  expect((await lab.position()).total).toBe(total);
  await expect(lab.testid('flow.to')).not.toHaveValue('no-such-pod');
});

test('a worker that dies is replaced; the last good trace stays and the app works on', async ({ lab, page }) => {
  await lab.open();
  // ask for Calico's IPIP and kill the worker while it computes (the other CNI's datapaths are
  // not computed ahead, so this call is sure to be in the worker)
  await lab.testid('mode.backend.ipip').click();
  await page.evaluate(() => (window as unknown as { __kplTest: { crashWorker(): void } }).__kplTest.crashWorker());
  await expect(lab.testid('notice.error')).toContainText('simulation worker stopped');
  await lab.idle();
  const after = await lab.state();
  expect(after.events).toBeGreaterThan(0);
  // the new worker answers
  await lab.setBackend(after.modes?.backend === 'host-gw' ? 'vxlan' : 'host-gw');
  await expect(lab.testid('notice.error')).toHaveCount(0);
});

test('accessibility: named controls, landmarks, a live region that follows the cursor', async ({ lab, page }) => {
  await lab.open();
  await expect(page.getByRole('banner')).toBeVisible();
  await expect(page.getByRole('main')).toBeVisible();
  await expect(page.getByRole('complementary', { name: 'Inspector' })).toBeVisible();
  const unnamed = await page.evaluate(() => {
    const bad: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('button, input, select, textarea, [role="button"], [role="tab"]')) {
      if (el.closest('[aria-hidden="true"]')) continue;
      const labelled = el.getAttribute('aria-labelledby')?.split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' ');
      const label = (el as HTMLInputElement).labels?.[0]?.textContent;
      const name = el.getAttribute('aria-label') || labelled || label || el.getAttribute('title') || (el.tagName === 'BUTTON' ? el.textContent : '');
      if (!name || !name.trim()) bad.push(el.outerHTML.slice(0, 120));
    }
    return bad;
  });
  expect(unnamed).toEqual([]);
  const live = lab.testid('a11y.live');
  await expect(live).toHaveAttribute('aria-live', 'polite');
  await expect(live).toHaveText(/^Step 1 of \d+: /);
  await lab.stepForward.click();
  await expect(live).toHaveText(/^Step 2 of \d+: \w+, /);
  await expect(page.getByRole('list', { name: /Trace transcript|Applied edits/ }).or(page.getByTestId('timeline.list'))).toBeVisible();
});

test('screenshots for review', async ({ lab, page }) => {
  await lab.open();
  await lab.screenshot('default-view');
  await lab.testid('timeline.level.rules').click();
  await lab.choosePreset(/ClusterIP/i);
  await lab.setBackend('vxlan');
  await lab.stepUntil(async () => (await lab.testid('inspector.layer.outer.vxlan').count()) > 0, 'an encapsulated packet');
  await lab.stepForward.click();
  await lab.screenshot('mid-trace-vxlan');
  await lab.setBackend('host-gw');
  await lab.screenshot('host-gw');
  await page.keyboard.press('Home');
  await lab.stepUntil(async () => ENDPOINT.test((await lab.field('ipv4.dst').textContent()) ?? ''), 'the DNAT');
  await lab.testid('inspector.field.ipv4.dst').click();
  await lab.testid('inspector.hexdump').scrollIntoViewIfNeeded();
  await expect(lab.testid('inspector.hexdump').locator('[data-selected="true"]')).toHaveCount(4);
  await lab.screenshot('inspector-hexdump');
  // the tables panel on the DNAT rule, with live counters
  await lab.stepBack.click();
  await lab.testid('tabs.tables').click();
  await expect(lab.testid('tables.body.iptables')).toBeVisible();
  await lab.screenshot('tables-iptables');
  await lab.run('master', 'ip route');
  await lab.run('master', 'bridge fdb show dev flannel.1');
  await lab.screenshot('terminal');
});

test('tables: the rule the step used is highlighted and its counter is live', async ({ lab }) => {
  await lab.open('?level=rules');
  await lab.choosePreset(/ClusterIP/i);
  await lab.stepUntil(async () => /^DNAT/.test((await lab.testid('inspector.verdict').count()) ? ((await lab.testid('inspector.verdict').textContent()) ?? '') : ''), 'the DNAT rule');
  const hit = lab.testid('tables.body.iptables').locator('tr.hit');
  await expect(hit).toHaveCount(1);
  await expect(hit).toContainText('DNAT');
  const id = (await hit.getAttribute('data-testid')) ?? '';
  expect(id).toMatch(/^tables\.rule\.KUBE-SEP-/);
  const pkts = Number(await hit.locator('td.pk').textContent());
  expect(pkts).toBeGreaterThan(0);
  // one step back the DNAT rule has not matched yet: its counter is one packet lower
  await lab.stepBack.click();
  await expect(lab.testid(id).locator('td.pk')).toHaveText(String(pkts - 1));
  await expect(lab.testid(id)).not.toHaveClass(/hit/);
});

test('a worker call that takes too long: the worker is restarted, the user is told, the last good trace stays', async ({ lab, page }) => {
  await lab.open();
  const before = await lab.state();
  const setTimeoutMs = (ms: number) => page.evaluate((x) => (window as unknown as { __kplTest: { setCallTimeout(ms: number): void } }).__kplTest.setCallTimeout(x), ms);
  await setTimeoutMs(1);
  // (the other CNI's datapath: not computed ahead, so the call is sure to reach the worker)
  await lab.testid('mode.backend.ipip').click();
  await expect(lab.testid('notice.error')).toContainText('took longer than 1 ms to answer "simulate"');
  await expect(lab.testid('notice.error')).toContainText('restarted');
  await lab.idle();
  const after = await lab.state();
  expect(after.events).toBe(before.events);
  expect(after.modes?.backend).toBe(before.modes?.backend);
  await expect(lab.testid(`mode.backend.${before.modes?.backend}`)).toHaveAttribute('aria-pressed', 'true');
  // with time to answer, the new worker computes the switch
  await setTimeoutMs(10_000);
  await lab.setBackend('host-gw');
  await expect(lab.testid('notice.error')).toHaveCount(0);
});

test('chain view: the rules iptables tried before the one that matched are shown as tried', async ({ lab }) => {
  await lab.open('?level=rules');
  await lab.choosePreset(/pod → ClusterIP/i);
  await lab.stepUntil(async () => /KUBE-SERVICES · rule 2$/.test((await lab.testid('inspector.chain').count()) ? ((await lab.testid('inspector.chain').textContent()) ?? '') : ''), 'KUBE-SERVICES rule 2');
  const skipped = lab.testid('inspector.chainview.skipped');
  await expect(skipped.first()).toContainText('no match');
  await expect(skipped.first().locator('td.num')).toHaveText('1');
  await expect(lab.testid('timeline.list').locator('.packet-head').first()).toContainText('rules checked');
});

test('tables at a step: the conntrack entry the flow creates is not there before it is confirmed', async ({ lab }) => {
  await lab.open();
  await lab.choosePreset(/ClusterIP/i);
  await lab.testid('tabs.tables').click();
  await lab.page.keyboard.press('Home');
  await lab.expectStep(1);
  await lab.testid('tables.netns').selectOption('master|root');
  await lab.testid('tables.tab.conntrack').click();
  await expect(lab.testid('tables.body.conntrack')).toContainText('appear');
  await expect(lab.testid('tables.body.conntrack')).not.toContainText('dport=80');
  await lab.page.keyboard.press('End');
  await expect(lab.testid('tables.body.conntrack')).toContainText('dst=10.43.6.58');
});
