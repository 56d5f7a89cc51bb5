import { expect, test } from './fixtures.ts';

test.use({ viewport: { width: 1440, height: 900 } });

const ELEMENT = '10.43.6.58 . tcp . 80 : goto service-T2SAD64M-default/nginx-test/tcp/80-80';

test('nftables mode: the chain view shows the verdict-map element that found the service, and the tables show nft list ruleset', async ({ lab }) => {
  // every rule a step of its own: the lookups one at a time
  await lab.open('level=rules');
  await lab.choosePreset(/pod → ClusterIP/i);
  await lab.setProxy('nftables');
  await expect(lab.testid('mode.proxy.nftables')).toHaveAttribute('aria-pressed', 'true');
  // step to the lookup in @service-ips
  await lab.stepUntil(async () => (await lab.testid('inspector.chainview.element').count()) > 0, 'the service-ips lookup');
  await expect(lab.testid('inspector.chainview.element')).toContainText(ELEMENT);
  await expect(lab.testid('inspector.chainview')).toContainText('ip daddr . meta l4proto . th dport vmap @service-ips');
  await expect(lab.testid('inspector.explanation')).toContainText('one lookup in @service-ips');
  // the next lookup is numgen's: which endpoint
  await lab.stepForward.click();
  await expect(lab.testid('inspector.chainview.element').last()).toContainText(/^element [01] : goto endpoint-/);
  await expect(lab.testid('inspector.explanation')).toContainText(/numgen drew [01]/);
  await lab.testid('tabs.tables').click();
  await expect(lab.testid('tables.tab.nftables')).toHaveAttribute('aria-pressed', 'true');
  await expect(lab.testid('tables.nft').locator('.nft-line.hit').first()).toContainText(/numgen random mod 2 vmap/);
  await lab.screenshot('nftables-mode');
  // the terminal lists what the model holds, as nft prints it
  const out = await lab.run('master', 'nft list chain ip kube-proxy services');
  await expect(out).toContainText('ip daddr . meta l4proto . th dport vmap @service-ips');
  await expect(out).toContainText('ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports');
  const save = await lab.run('master', 'iptables-save -t nat');
  await expect(save).toContainText('FLANNEL-POSTRTG');
  await expect(save).not.toContainText('KUBE-');
});

test('nftables mode at the path level: the NAT step says why this endpoint (numgen\'s draw) and run N spreads over both', async ({ lab }) => {
  await lab.open('proxy=nftables');
  await lab.choosePreset(/pod → ClusterIP/i);
  await lab.stepUntil(async () => (await lab.testid('inspector.why').count()) > 0, 'the NAT step');
  await expect(lab.testid('inspector.why')).toContainText(/numgen random mod 2 drew [01] \(each of the 2 values equally likely\) → [01] : goto endpoint-/);
  await lab.testid('why.count').fill('200');
  await lab.testid('why.run').click();
  await expect(lab.testid('why.result')).toContainText('node1', { timeout: 30_000 });
  await expect(lab.testid('why.result')).toContainText('node2');
});

test('compare: iptables vs nftables for the same packet', async ({ lab }) => {
  await lab.open();
  await lab.choosePreset(/pod → ClusterIP/i);
  await lab.compare('iptables-nftables');
  await expect(lab.testid('compare.body')).toContainText('iptables');
  await expect(lab.testid('compare.body')).toContainText('nftables');
  await expect(lab.testid('compare.body')).toContainText('ip kube-proxy PREROUTING services rule 1 → goto service-T2SAD64M-default/nginx-test/tcp/80-80');
  await expect(lab.testid('compare.body')).toContainText('nat PREROUTING KUBE-SERVICES rule 2 → jump KUBE-SVC-7CWUT4JBGBRVUN2L');
  await lab.screenshot('compare-iptables-nftables');
});

for (const width of [900, 1280, 1920]) {
  test(`nftables mode reads at ${width} px`, async ({ lab, page }) => {
    await page.setViewportSize({ width, height: 900 });
    await lab.open('?proxy=nftables&level=rules');
    await lab.choosePreset(/client → NodePort/i);
    await lab.stepUntil(async () => (await lab.testid('inspector.chainview.element').count()) > 0, 'the service-nodeports lookup');
    await expect(lab.testid('inspector.chainview.element')).toContainText('tcp . 32506 : goto external-T2SAD64M-default/nginx-test/tcp/80-80');
    await lab.screenshot(`nftables-${width}`);
  });
}
