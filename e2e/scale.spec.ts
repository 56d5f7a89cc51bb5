import { scalePoint } from '../src/sim/compare.ts';
import { expect, test } from './fixtures.ts';

test.use({ viewport: { width: 1440, height: 900 } });

/** A table cell's number, as the page shows it (thousands separated). */
const num = (t: string | null) => Number((t ?? '').replace(/,/g, ''));

test('scale: the page shows the numbers scalePoint computes, and the chart fills in', async ({ lab }) => {
  test.setTimeout(200_000);
  await lab.open();
  await lab.openView('scale');
  // the same numbers as `kube-packet-lab scale --services 10,100 --endpoints 6 --json`
  for (const services of [10, 100]) {
    for (const proxy of ['iptables', 'ipvs', 'nftables'] as const) {
      const r = scalePoint(services, 6, proxy);
      if (!r.ok) throw new Error(r.error.message);
      const cell = (field: string) => lab.testid(`scale.cell.${services}.${proxy}.${field}`);
      await expect(cell('iptablesRules')).not.toHaveText('…', { timeout: 30_000 });
      expect(num(await cell('iptablesRules').textContent()), `${services} services, ${proxy}: iptables rules`).toBe(r.value.iptablesRules);
      expect(num(await cell('rulesMatched').textContent())).toBe(r.value.rulesMatched);
      expect(num(await cell('rulesEvaluated').textContent())).toBe(r.value.rulesEvaluated);
      if (proxy === 'ipvs') {
        expect(num(await cell('ipsetEntries').textContent())).toBe(r.value.ipsetEntries);
        expect(num(await cell('virtualServers').textContent())).toBe(r.value.virtualServers);
      }
      if (proxy === 'nftables') {
        expect(num(await cell('nftRules').textContent())).toBe(r.value.nftRules);
        expect(num(await cell('nftElements').textContent())).toBe(r.value.nftElements);
      }
    }
  }
  // seed §5: 10 services × 6 endpoints ⇒ at least 120 iptables entries in iptables mode
  expect(num(await lab.testid('scale.cell.10.iptables.iptablesRules').textContent())).toBeGreaterThanOrEqual(120);
  await expect(lab.testid('scale.reading')).toContainText('10 × 6 × 2 = 120');
  // the big clusters build in their own worker: the debugger's worker still answers meanwhile
  await lab.setBackend('host-gw');
  // up to 1,000 services in all three modes (10,000 follow; this test does not wait for them)
  await expect.poll(async () => (await lab.state()).scalePoints, { timeout: 170_000 }).toBeGreaterThanOrEqual(15);
  await expect(lab.testid('scale.series.iptables.rules')).toHaveAttribute('data-points', '5');
  await expect(lab.testid('scale.series.ipvs.ipset')).toHaveAttribute('data-points', '5');
  await expect(lab.testid('scale.series.nftables.elements')).toHaveAttribute('data-points', '5');
  await expect(lab.testid('scale.progress')).toContainText(/1[5-8] of 18 clusters built|all 18 clusters built/);
  // ipvs mode's iptables rules stay flat while iptables mode's grow
  const ipvs10 = num(await lab.testid('scale.cell.10.ipvs.iptablesRules').textContent());
  const ipvs1000 = num(await lab.testid('scale.cell.1000.ipvs.iptablesRules').textContent());
  expect(ipvs1000).toBe(ipvs10);
  expect(num(await lab.testid('scale.cell.1000.iptables.iptablesRules').textContent())).toBeGreaterThan(10_000);
  // and what one packet is checked against grows with them in iptables mode only
  expect(num(await lab.testid('scale.cell.1000.iptables.rulesEvaluated').textContent())).toBeGreaterThan(10 * num(await lab.testid('scale.cell.10.iptables.rulesEvaluated').textContent()));
  expect(num(await lab.testid('scale.cell.1000.ipvs.rulesEvaluated').textContent())).toBe(num(await lab.testid('scale.cell.10.ipvs.rulesEvaluated').textContent()));
  // nftables: one verdict-map lookup whatever the number of services
  expect(num(await lab.testid('scale.cell.1000.nftables.rulesEvaluated').textContent())).toBe(num(await lab.testid('scale.cell.10.nftables.rulesEvaluated').textContent()));
  await expect(lab.testid('scale.reading.nftables')).toContainText('@service-ips');
  await lab.screenshot('scale-chart');
});
