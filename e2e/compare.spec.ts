import { expect, test } from './fixtures.ts';

test.use({ viewport: { width: 1440, height: 900 } });

test('compare iptables vs ipvs: FORWARD on one side, INPUT on the other, and open either in the debugger', async ({ lab }) => {
  await lab.open();
  await lab.choosePreset(/pod → ClusterIP/i);
  await lab.compare('proxy');
  await expect(lab.testid('compare.a.mode')).toHaveText('iptables');
  await expect(lab.testid('compare.b.mode')).toHaveText(/^ipvs/);
  // seed §5: PREROUTING → FORWARD → POSTROUTING against PREROUTING → INPUT → … on master
  const a = lab.testid('compare.hooks.master.a');
  const b = lab.testid('compare.hooks.master.b');
  await expect(a.locator('.hook.differs', { hasText: 'FORWARD' })).toHaveCount(1);
  await expect(b.locator('.hook.differs', { hasText: 'INPUT' })).toHaveCount(1);
  await expect(a).not.toContainText('INPUT');
  await expect(b).not.toContainText('FORWARD');
  await expect(a.locator('.hook', { hasText: /^PREROUTING$/ })).not.toHaveClass(/differs/);
  // IPVS is a step only ipvs mode takes
  await expect(lab.testid('compare.b.only')).toContainText('ipvs');
  await expect(lab.testid('compare.a.only')).not.toContainText('ipvs');
  await expect(lab.testid('compare.a.events')).toHaveText(/^\d+$/);
  await expect(lab.testid('compare.steps').locator('.cmp-step.only').first()).toBeVisible();
  await lab.screenshot('compare-proxy');

  // open side B: the debugger shows the ipvs trace without a new request
  await lab.testid('compare.b.open').click();
  await expect(lab.testid('view.debug')).toHaveAttribute('aria-current', 'page');
  await lab.idle();
  expect((await lab.state()).modes?.proxy).toBe('ipvs');
  await expect(lab.testid('mode.proxy.ipvs')).toHaveAttribute('aria-pressed', 'true');
  // the IPVS lookup is a kernel-level step
  await lab.testid('timeline.level.kernel').click();
  expect((await lab.transcript()).some((t) => /IPVS TCP 10\.43\.6\.58:80/.test(t))).toBe(true);

  // a step clicked in the compare view opens its side at that step
  await lab.compare('proxy');
  const step = lab.testid('compare.steps').locator('[data-testid^="compare.step.a."]').nth(7);
  const id = (await step.getAttribute('data-testid')) ?? '';
  const index = Number(id.split('.').at(-1));
  await step.click();
  await lab.idle();
  // the debugger opens exactly there: the event is shown, its group opened if the level folds it
  await expect.poll(async () => (await lab.state()).cursor).toBe(index);
  await expect(lab.testid(`timeline.event.${index}`)).toHaveAttribute('aria-selected', 'true');
  expect((await lab.state()).modes?.proxy).toBe('iptables');
});

test('compare host-gw vs vxlan: the same path, 50 more bytes on the wire with VXLAN', async ({ lab, page }) => {
  await lab.open();
  await lab.choosePreset(/across nodes/i);
  await lab.compare('backend');
  await expect(lab.testid('compare.a.mode')).toHaveText('flannel host-gw');
  await expect(lab.testid('compare.b.mode')).toHaveText('flannel vxlan');
  await expect(lab.testid('compare.a.verdict')).toContainText('delivered');
  await expect(lab.testid('compare.b.verdict')).toContainText('delivered');
  const wireA = Number((await lab.testid('compare.a.wire').textContent())?.match(/^(\d+)/)?.[1]);
  const wireB = Number((await lab.testid('compare.b.wire').textContent())?.match(/^(\d+)/)?.[1]);
  expect(wireB - wireA).toBe(50);
  await expect(lab.testid('compare.b.wire')).toContainText('+50');
  await expect(lab.testid('compare.b.encap')).toContainText('+50 B');
  await expect(lab.testid('compare.a.encap')).toHaveText('none');
  await expect(lab.testid('compare.b.inner')).toHaveText(`${wireA} B`);
  await expect(lab.testid('compare.b.only')).toContainText('encap flannel.1');
  // the outer hooks exist only on the vxlan side
  await expect(lab.testid('compare.hooks.master.b').locator('.hook.differs.outer').first()).toBeVisible();
  // the choice is in the share link
  await expect.poll(() => page.url()).toContain('view=compare');
  await expect.poll(() => page.url()).toContain('vs=backend');
  await lab.screenshot('compare-backend');
});

test('L2 requirement: across subnets host-gw is dropped at the gateway, vxlan delivers, flanneld says why', async ({ lab }) => {
  await lab.open('?view=compare');
  await lab.compareIdle();
  await lab.testid('compare.l2').click();
  await expect.poll(async () => (await lab.state()).preset).toBe('two-subnets');
  await expect(lab.testid('compare.body')).toHaveAttribute('data-axis', 'backend');
  await lab.compareIdle();
  await expect(lab.testid('flow.to')).toHaveValue(/^10\.42\.2\.\d+:80$/);
  await expect(lab.testid('compare.a.verdict')).toContainText('dropped at gateway');
  await expect(lab.testid('compare.b.verdict')).toContainText('delivered at node2');
  await expect(lab.testid('compare.a.notes')).toContainText('flanneld');
  await expect(lab.testid('compare.a.notes')).toContainText('host-gw needs every node on one L2 segment');
  // node2 sees the outer VXLAN datagram at its hooks before flannel.1 decapsulates it; the
  // gateway, with no netfilter rule registering a hook, runs none (as a plain router does)
  await expect(lab.testid('compare.hooks.node2.b')).toContainText('outer');
  await expect(lab.testid('compare.hooks.gateway.b')).toHaveCount(0);
  await lab.screenshot('compare-l2-requirement');
  // in the debugger: the drop at the gateway and the controllers' note
  await lab.testid('compare.a.open').click();
  await lab.idle();
  await expect(lab.testid('trace.verdict')).toContainText('dropped');
  await expect(lab.testid('notice.controller').first()).toContainText('flanneld on master: failed to add route');
});

test('two-subnets in host-gw: the packet dies at the gateway and the flanneld note is shown', async ({ lab }) => {
  await lab.open();
  await lab.loadCluster('two-subnets');
  await lab.setBackend('host-gw');
  await expect(lab.testid('notice.controller')).toHaveCount(4);
  await expect(lab.testid('notice.controller').first()).toContainText('host-gw needs every node on one L2 segment');
  await lab.runFlow('10.42.2.6:80');
  await expect(lab.testid('trace.verdict')).toContainText('dropped');
  await lab.stepUntil(async () => /drop/i.test((await lab.testid('inspector').locator('.kind-pill').textContent()) ?? ''), 'the drop');
  await expect(lab.testid('inspector.host')).toHaveText('gateway');
  await expect(lab.testid('inspector.reason')).toBeVisible();
  await lab.screenshot('two-subnets-host-gw');
});

test('compare and scale open offline once the app has loaded (their code is fetched in the background)', async ({ lab, page, context }) => {
  await lab.open();
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  await page.reload();
  await lab.idle();
  // the views' code arrives a moment after the debugger is up
  await expect.poll(() => page.evaluate(() => performance.getEntriesByType('resource').filter((e) => /\/assets\/(Compare|Scale)-.*\.js$/.test(e.name)).length), { timeout: 10_000 }).toBe(2);
  await context.setOffline(true);
  await page.reload();
  await lab.idle();
  await lab.compare('proxy');
  await expect(lab.testid('compare.b.only')).toContainText('ipvs');
  await lab.openView('scale');
  await expect(lab.testid('scale.table')).toBeVisible();
  await expect(lab.testid('view.error')).toHaveCount(0);
  await context.setOffline(false);
});
