import { expect, test } from './fixtures.ts';

test.use({ viewport: { width: 1440, height: 900 } });

test('ipvs + sh: the ipvs step shows the virtual server, the chosen real server and kube-ipvs0', async ({ lab }) => {
  // the IPVS lookup is a step of the kernel level
  await lab.open('?level=kernel');
  await lab.choosePreset(/pod → ClusterIP/i);
  await lab.setProxy('ipvs');
  await expect(lab.testid('mode.scheduler')).toBeVisible();
  await lab.setScheduler('sh');
  await expect(lab.testid('notice.change')).toContainText('scheduler rr → sh');
  // kube-ipvs0: a dummy device on every node, holding the ClusterIPs
  await expect(lab.testid('topology.dev.master.root.kube-ipvs0')).toHaveClass(/kind-dummy/);
  await expect(lab.testid('topology.dummy.master')).toContainText('ClusterIPs');
  await lab.stepUntil(async () => (await lab.testid('inspector.ipvs').count()) > 0, 'the ipvs step');
  await expect(lab.testid('inspector').locator('.kind-pill')).toHaveText('ipvs');
  await expect(lab.testid('inspector.ipvs.vs')).toContainText(/TCP\s+10\.43\.6\.58:80 sh/);
  await expect(lab.testid('inspector.ipvs')).toContainText('scheduler sh (source hashing)');
  await expect(lab.testid('inspector.ipvs.chosen')).toContainText(/-> 10\.42\.\d+\.\d+:80/);
  await expect(lab.testid('inspector.chainview.ipvs')).toContainText('virtual server TCP 10.43.6.58:80 sh');
  await expect(lab.testid('inspector.chainview')).toContainText('INPUT');
  await expect(lab.testid('topology.dev.master.root.kube-ipvs0')).toHaveClass(/active/);
  await expect(lab.testid('topology.dummy.master')).toContainText('holds 10.43.6.58');
  // the tables panel follows to the ipvs table, the virtual server highlighted
  await lab.testid('tabs.tables').click();
  await expect(lab.testid('tables.body.ipvs').locator('li.hit')).toContainText('10.43.6.58:80');
  await lab.screenshot('ipvs-mode');
  // the same packet in iptables mode has no ipvs step
  await lab.setProxy('iptables');
  expect((await lab.transcript()).some((t) => /IPVS/.test(t))).toBe(false);
});

test('ipvs: every scheduler re-traces, and ipvsadm lists the virtual server', async ({ lab }) => {
  await lab.open('?proxy=ipvs&level=kernel');
  await lab.choosePreset(/pod → ClusterIP/i);
  for (const sched of ['lc', 'dh', 'mh', 'wrr', 'rr'] as const) {
    await lab.setScheduler(sched);
    expect((await lab.transcript()).some((t) => new RegExp(`IPVS TCP 10\\.43\\.6\\.58:80 ${sched} → real server 10\\.42\\.`).test(t)), sched).toBe(true);
  }
  const out = await lab.run('master', 'ipvsadm -Ln');
  await expect(out).toContainText('TCP  10.43.6.58:80 rr');
});
