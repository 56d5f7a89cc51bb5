import { describe, expect, it } from 'vitest';
import type { SimRequest } from './api-types.ts';
import { compare, scalePoint } from './compare.ts';

const toService: SimRequest = { preset: 'seed', modes: { proxy: 'iptables', backend: 'vxlan' }, seed: 1, before: [], flow: { from: 'nginx-test-7646687cc4-n8s9s', to: '10.43.6.58:80', proto: 'tcp', kind: 'connect' } };

function ok<T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe('seed §5: iptables vs ipvs for one packet', () => {
  const c = ok(compare(toService, { proxy: 'ipvs' }));

  it('iptables goes PREROUTING → FORWARD → POSTROUTING on master, ipvs PREROUTING → INPUT → … → POSTROUTING', () => {
    const master = (s: typeof c.a) => s.hookPaths.find((h) => h.host === 'master')!.hooks.filter((h) => !h.includes('outer'));
    expect(master(c.a)).toEqual(['PREROUTING', 'FORWARD', 'POSTROUTING']);
    const ipvs = master(c.b);
    expect(ipvs[0]).toBe('PREROUTING');
    expect(ipvs[1]).toBe('INPUT');
    expect(ipvs).not.toContain('FORWARD');
    expect(ipvs.at(-1)).toBe('POSTROUTING');
    expect(c.b.onlyHere).toContain('ipvs');
  });
});

describe('seed §6c: host-gw vs vxlan', () => {
  it('vxlan puts 50 more bytes on the LAN for the same packet', () => {
    const c = ok(compare({ ...toService, flow: { ...toService.flow, to: '10.42.1.9:80' } }, { backend: 'host-gw' }));
    expect(c.a.wireBytes - c.a.innerBytes).toBe(50);
    expect(c.b.wireBytes).toBe(c.a.innerBytes);
    expect(c.a.onlyHere).toContain('encap flannel.1');
  });

  it('on two subnets host-gw cannot deliver (flanneld says why) and vxlan can', () => {
    const req: SimRequest = { ...toService, preset: 'two-subnets', modes: { backend: 'host-gw' }, flow: { ...toService.flow, to: '10.42.2.6:80' } };
    const c = ok(compare(req, { backend: 'vxlan' }));
    expect(c.a.verdict).toBe('dropped');
    expect(c.resultA.notes.join('\n')).toContain('failed to add route 10.42.2.0/24 via 192.168.206.5');
    expect(c.resultA.trace.events.filter((e) => e.packetId === 0).at(-1)).toMatchObject({ host: 'gateway', reason: 'ENETUNREACH' });
    expect(c.b.verdict).toBe('delivered');
  });
});

describe('seed §5: rule growth, measured', () => {
  it('10 services × 6 endpoints already need at least 120 iptables rules; ipvs keeps a fixed set', () => {
    const ipt10 = ok(scalePoint(10, 6, 'iptables'));
    const ipt100 = ok(scalePoint(100, 6, 'iptables'));
    const ipvs10 = ok(scalePoint(10, 6, 'ipvs'));
    const ipvs100 = ok(scalePoint(100, 6, 'ipvs'));
    expect(ipt10.natRules).toBeGreaterThanOrEqual(10 * 6 * 2);
    expect(ipt100.iptablesRules).toBeGreaterThan(ipt10.iptablesRules * 5);
    expect(ipvs100.iptablesRules).toBe(ipvs10.iptablesRules);
    expect(ipvs100.ipsetEntries).toBeGreaterThan(ipvs10.ipsetEntries);
    expect(ipvs100.virtualServers).toBeGreaterThan(100);
    // a packet to the last service walks KUBE-SERVICES in iptables mode; ipvs looks it up in a set
    expect(ipt100.rulesEvaluated).toBeGreaterThan(ipt10.rulesEvaluated + 90);
    expect(ipvs100.rulesEvaluated).toBe(ipvs10.rulesEvaluated);
  });

  it('nftables: no iptables rules of kube-proxy\'s, rules and map elements grow, per-packet rules stay flat', () => {
    const nft10 = ok(scalePoint(10, 6, 'nftables'));
    const nft300 = ok(scalePoint(300, 6, 'nftables'));
    // only flannel's FLANNEL-POSTRTG / FLANNEL-FWD rules are left in iptables
    expect(nft300.iptablesRules).toBe(nft10.iptablesRules);
    expect(nft10.iptablesRules).toBeLessThan(15);
    // per service: its chain's 2 rules and 2 per endpoint chain; one service-ips and one cluster-ips element
    expect(nft300.nftRules - nft10.nftRules).toBe(290 * (2 + 6 * 2));
    expect(nft300.nftElements - nft10.nftElements).toBe(290 * 2);
    // one lookup in @service-ips finds the 10th or the 300th service alike
    expect(nft300.rulesEvaluated).toBe(nft10.rulesEvaluated);
  });
});

describe('compare takes any two modes', () => {
  it('iptables vs nftables: the same path through the hooks, different rules on the way', () => {
    const c = ok(compare(toService, { proxy: 'nftables' }));
    const master = (s: typeof c.a) => s.hookPaths.find((h) => h.host === 'master')!.hooks.filter((h) => !h.includes('outer'));
    expect(master(c.b)).toEqual(master(c.a));
    expect(c.a.verdict).toBe('delivered');
    expect(c.b.verdict).toBe('delivered');
  });
});

describe('compare fairly: a pinned endpoint', () => {
  it('both sides reach the same pod, each with the first draw that lands there, and differ only by the mode', () => {
    for (const scheduler of ['rr', 'sh'] as const) {
      const c = ok(compare({ ...toService, modes: { ...toService.modes, scheduler } }, { proxy: 'ipvs' }, 'auto'));
      expect(c.endedA).toBe(c.endedB);
      expect(c.pinned?.where).toBe(c.endedA);
      expect(c.resultA.trace.packets[0]!.verdict).toBe('delivered');
      expect(c.resultA.modes.proxy).toBe('iptables');
      expect(c.resultB.modes.proxy).toBe('ipvs');
      // another draw of the connection, the same cluster: the pod's veth and MACs are those of the request's seed
      const veth = (r: typeof c.resultA) => r.topology.hosts.find((h) => h.name === 'master')!.namespaces[0]!.devices.filter((d) => d.kind === 'veth').map((d) => `${d.name} ${d.mac}`);
      expect(veth(c.resultA)).toEqual(veth(c.resultB));
    }
  });

  it('a named endpoint is reached on both sides, or the error says which side never lands there', () => {
    const c = ok(compare(toService, { proxy: 'ipvs' }, 'node2/nginx-test-7646687cc4-w7rlm'));
    expect([c.endedA, c.endedB]).toEqual(['node2/nginx-test-7646687cc4-w7rlm', 'node2/nginx-test-7646687cc4-w7rlm']);
    const bad = compare(toService, { proxy: 'ipvs' }, 'master/nginx-test-7646687cc4-n8s9s');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.message).toMatch(/never lands there/);
  });
});
