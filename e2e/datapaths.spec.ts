import { expect, test } from './fixtures.ts';

test.use({ viewport: { width: 1440, height: 900 } });

test('the network switch: calico ipip draws tunl0 and cali veths with no cni0, and the trace crosses tunl0', async ({ lab, page }) => {
  await lab.open();
  await lab.choosePreset(/across nodes/i);
  await lab.setBackend('ipip');
  await expect(lab.testid('mode.backend.ipip')).toHaveAttribute('aria-pressed', 'true');
  await expect(lab.testid('mode.backend.vxlan')).toHaveAttribute('aria-pressed', 'false');
  await expect(lab.testid('topology.dev.master.root.tunl0')).toBeVisible();
  await expect(lab.testid('topology.dev.master.root.calide8b1a69aca')).toBeVisible();
  await expect(lab.testid('topology.dev.master.root.cni0')).toHaveCount(0);
  expect((await lab.transcript()).some((t) => /encapsulate on tunl0/.test(t))).toBe(true);
  await expect.poll(() => page.url()).toContain('backend=ipip');
  await lab.screenshot('calico-ipip');
});

test('flannel udp: the trace leaves for flanneld and comes back, and ping shows what its TTL handling costs', async ({ lab }) => {
  await lab.open('?backend=udp');
  await lab.choosePreset(/across nodes/i);
  await expect(lab.testid('mode.backend.udp')).toHaveAttribute('aria-pressed', 'true');
  await expect(lab.testid('topology.dev.master.root.flannel0')).toBeVisible();
  const steps = await lab.transcript();
  expect(steps.filter((t) => /user space/.test(t)).length).toBeGreaterThanOrEqual(4);
  const out = await lab.run('nginx-test-7646687cc4-n8s9s', 'ping -c 1 10.42.1.9');
  await expect(out).toContainText('ttl=60');
  await lab.screenshot('flannel-udp');
});

test('compare any two datapaths: flannel udp against calico ipip, 28 and 20 bytes of encapsulation', async ({ lab, page }) => {
  await lab.open();
  await lab.choosePreset(/across nodes/i);
  await lab.compare('backend');
  await lab.testid('compare.backend.a').selectOption('udp');
  await lab.testid('compare.backend.b').selectOption('ipip');
  await lab.compareIdle();
  await expect(lab.testid('compare.a.mode')).toHaveText('flannel udp');
  await expect(lab.testid('compare.b.mode')).toHaveText('calico ipip');
  await expect(lab.testid('compare.a.encap')).toHaveText('+28 B (IPv4 20 + UDP 8)');
  await expect(lab.testid('compare.b.encap')).toHaveText('+20 B (IPv4 20)');
  await expect(lab.testid('compare.a.only')).toContainText('user');
  await expect.poll(() => page.url()).toContain('vsa=udp');
  await expect.poll(() => page.url()).toContain('vsb=ipip');
  await lab.screenshot('compare-udp-ipip');
});
