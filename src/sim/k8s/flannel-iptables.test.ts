import { describe, expect, it } from 'vitest';
import { iptablesListRules } from '../cli/iptables.ts';
import { newTables } from '../linux/netfilter/tables.ts';
import type { Tables } from '../linux/netfilter/types.ts';
import { flannelIptables, flannelIptablesArgv, flannelIptablesRules } from './flannel-iptables.ts';
import { KubeProxyIptables } from './kube-proxy/iptables.ts';

function rulesOf(t: Tables, table: 'nat' | 'filter', chain: string): string[] {
  const r = iptablesListRules(t, { table, chain });
  if (!r.ok) throw new Error(r.error);
  return r.output.trim().split('\n').slice(1);
}

describe('flannelIptablesRules', () => {
  it("lists flanneld's masquerade and forward rules in its order", () => {
    expect(flannelIptablesArgv('10.42.0.0/16', '10.42.1.0/24')).toEqual([
      ['-t', 'nat', '-A', 'POSTROUTING', '-m', 'comment', '--comment', 'flanneld masq', '-j', 'FLANNEL-POSTRTG'],
      ['-t', 'nat', '-A', 'FLANNEL-POSTRTG', '-m', 'mark', '--mark', '0x4000/0x4000', '-m', 'comment', '--comment', 'flanneld masq', '-j', 'RETURN'],
      ['-t', 'nat', '-A', 'FLANNEL-POSTRTG', '-s', '10.42.1.0/24', '-d', '10.42.0.0/16', '-m', 'comment', '--comment', 'flanneld masq', '-j', 'RETURN'],
      ['-t', 'nat', '-A', 'FLANNEL-POSTRTG', '-s', '10.42.0.0/16', '-d', '10.42.1.0/24', '-m', 'comment', '--comment', 'flanneld masq', '-j', 'RETURN'],
      ['-t', 'nat', '-A', 'FLANNEL-POSTRTG', '!', '-s', '10.42.0.0/16', '-d', '10.42.1.0/24', '-m', 'comment', '--comment', 'flanneld masq', '-j', 'RETURN'],
      ['-t', 'nat', '-A', 'FLANNEL-POSTRTG', '-s', '10.42.0.0/16', '!', '-d', '224.0.0.0/4', '-m', 'comment', '--comment', 'flanneld masq', '-j', 'MASQUERADE', '--random-fully'],
      ['-t', 'nat', '-A', 'FLANNEL-POSTRTG', '!', '-s', '10.42.0.0/16', '-d', '10.42.0.0/16', '-m', 'comment', '--comment', 'flanneld masq', '-j', 'MASQUERADE', '--random-fully'],
      ['-t', 'filter', '-A', 'FORWARD', '-m', 'comment', '--comment', 'flanneld forward', '-j', 'FLANNEL-FWD'],
      ['-t', 'filter', '-A', 'FLANNEL-FWD', '-s', '10.42.0.0/16', '-m', 'comment', '--comment', 'flanneld forward', '-j', 'ACCEPT'],
      ['-t', 'filter', '-A', 'FLANNEL-FWD', '-d', '10.42.0.0/16', '-m', 'comment', '--comment', 'flanneld forward', '-j', 'ACCEPT'],
    ]);
  });

  it('follows --ip-masq, --iptables-forward-rules and --random-fully support', () => {
    expect(flannelIptablesRules('10.42.0.0/16', '10.42.1.0/24', { ipMasq: false }).every((r) => r.table === 'filter')).toBe(true);
    expect(flannelIptablesRules('10.42.0.0/16', '10.42.1.0/24', { forwardRules: false }).every((r) => r.table === 'nat')).toBe(true);
    const plain = flannelIptablesRules('10.42.0.0/16', '10.42.1.0/24', { randomFully: false });
    expect(plain.some((r) => r.rulespec.includes('--random-fully'))).toBe(false);
  });
});

describe('flannelIptables', () => {
  it('programs FLANNEL-POSTRTG and FLANNEL-FWD, after kube-proxy in FORWARD as on a real node', () => {
    const ns = { nf: newTables() };
    KubeProxyIptables.sync(ns.nf, [], {
      nodeName: 'node1',
      nodeIPs: ['192.168.205.3'],
      clusterCIDR: '10.42.0.0/16',
      masqueradeBit: 14,
      masqueradeAll: false,
      localhostNodePorts: true,
      hasRandomFully: true,
    });
    expect(flannelIptables(ns, '10.42.0.0/16', '10.42.1.0/24')).toEqual({ ok: true });
    expect(rulesOf(ns.nf, 'nat', 'FLANNEL-POSTRTG')).toEqual([
      '-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment "flanneld masq" -j RETURN',
      '-A FLANNEL-POSTRTG -s 10.42.1.0/24 -d 10.42.0.0/16 -m comment --comment "flanneld masq" -j RETURN',
      '-A FLANNEL-POSTRTG -s 10.42.0.0/16 -d 10.42.1.0/24 -m comment --comment "flanneld masq" -j RETURN',
      '-A FLANNEL-POSTRTG ! -s 10.42.0.0/16 -d 10.42.1.0/24 -m comment --comment "flanneld masq" -j RETURN',
      '-A FLANNEL-POSTRTG -s 10.42.0.0/16 ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully',
      '-A FLANNEL-POSTRTG ! -s 10.42.0.0/16 -d 10.42.0.0/16 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully',
    ]);
    // flannel e2e/rules.go iptablesForwardRules: kube-proxy's four jumps, then flannel's
    expect(rulesOf(ns.nf, 'filter', 'FORWARD').map((l) => l.split(' -j ')[1])).toEqual([
      'KUBE-PROXY-FIREWALL',
      'KUBE-FORWARD',
      'KUBE-SERVICES',
      'KUBE-EXTERNAL-SERVICES',
      'FLANNEL-FWD',
    ]);
  });

  it('converges when run again: one jump each, the same chain contents', () => {
    const ns = { nf: newTables() };
    flannelIptables(ns, '10.42.0.0/16', '10.42.1.0/24');
    const before = [rulesOf(ns.nf, 'nat', 'FLANNEL-POSTRTG'), rulesOf(ns.nf, 'filter', 'FLANNEL-FWD')];
    flannelIptables(ns, '10.42.0.0/16', '10.42.1.0/24');
    expect([rulesOf(ns.nf, 'nat', 'FLANNEL-POSTRTG'), rulesOf(ns.nf, 'filter', 'FLANNEL-FWD')]).toEqual(before);
    expect(rulesOf(ns.nf, 'nat', 'POSTROUTING')).toEqual([
      '-A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG',
    ]);
  });
});
