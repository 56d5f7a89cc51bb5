import { describe, expect, it } from 'vitest';
import { simulate } from '../api.ts';
import type { SimRequest } from '../api-types.ts';
import type { TraceEvent } from './event.ts';
import { eventLevels, groupRange, levelRank, representatives, stepCategory, stepRows } from './levels.ts';

const toService: SimRequest = { preset: 'seed', modes: { proxy: 'iptables', backend: 'vxlan' }, seed: 1, before: [], flow: { from: 'nginx-test-7646687cc4-n8s9s', to: '10.43.6.58:80', proto: 'tcp', kind: 'connect' } };

function events(req: SimRequest): readonly TraceEvent[] {
  const r = simulate(req);
  if (!r.ok) throw new Error(r.error.message);
  return r.value.trace.events;
}

describe('levels of detail: pod → ClusterIP (SYN, SYN-ACK, ACK over VXLAN)', () => {
  const evs = events(toService);
  const ranks = eventLevels(evs);
  const at = (level: 'path' | 'kernel' | 'rules') => stepRows(ranks, level).map((r) => evs[r.index]!);

  it('path: one step per crossing and per packet change, at most 40 for the whole call', () => {
    const path = at('path');
    expect(path.length).toBeLessThanOrEqual(40);
    const request = path.filter((e) => e.packetId === 0).map((e) => `${e.host} ${e.kind}${e.dev ? ` ${e.dev}` : ''}`);
    // the socket, its veth, kube-proxy's DNAT, master routes (TTL), VXLAN, the LAN, node1, the pod
    expect(request).toEqual([
      'master send',
      'master tx eth0',
      'master nat',
      'master forward',
      'master encap flannel.1',
      'master wire',
      'node1 decap flannel.1',
      'node1 forward',
      expect.stringMatching(/^node1 tx veth/),
      'node1 deliver',
    ]);
    const dnat = path.find((e) => e.kind === 'nat' && e.packetId === 0)!;
    expect(dnat.changed).toContainEqual(expect.objectContaining({ field: 'dst', from: '10.43.6.58', to: '10.42.1.6' }));
    // no lookup and no single rule is a path step of its own
    expect(path.some((e) => ['route', 'neigh', 'arp', 'fdb', 'conntrack', 'rule', 'policy', 'rx'].includes(e.kind))).toBe(false);
  });

  it('kernel: adds every lookup and conntrack, and one verdict per table at a hook', () => {
    const kernel = at('kernel');
    for (const k of ['route', 'neigh', 'arp', 'fdb', 'conntrack', 'bridge']) expect(kernel.some((e) => e.kind === k)).toBe(true);
    const dnatRule = kernel.find((e) => e.kind === 'rule' && e.verdict?.startsWith('DNAT'));
    expect(dnatRule?.ref?.chain).toMatch(/^KUBE-SEP-/);
    // the jumps that led there are rules-level only
    expect(kernel.some((e) => e.kind === 'rule' && e.verdict === 'jump KUBE-SERVICES')).toBe(false);
    expect(kernel.length).toBeLessThan(evs.length);
  });

  it('rules: every event, each once', () => {
    expect(stepRows(ranks, 'rules').map((r) => r.index)).toEqual(evs.map((_, i) => i));
  });

  it('a path step stands for the finer steps before it, and expands in place to them', () => {
    const dnat = evs.findIndex((e) => e.kind === 'nat');
    const [from, to] = groupRange(ranks, 'path', dnat);
    expect(to).toBe(dnat);
    const group = evs.slice(from, to + 1).map((e) => e.kind);
    expect(group).toEqual(['rx', 'conntrack', 'rule', 'rule', 'rule', 'rule', 'nat']);
    expect(representatives(ranks, 'path')[from + 2]).toBe(dnat);
    const rows = stepRows(ranks, 'path', new Set([dnat]));
    const i = rows.findIndex((r) => r.index === dnat);
    // kernel-level steps of the group, one deeper, just before the DNAT step; the jumps stay folded into the DNAT rule
    expect(rows.slice(i - 3, i + 1).map((r) => [evs[r.index]!.kind, r.depth])).toEqual([['rx', 1], ['conntrack', 1], ['rule', 1], ['nat', 0]]);
    expect(rows[i - 1]!.contains).toBe(3);
    const deeper = stepRows(ranks, 'path', new Set([dnat, rows[i - 1]!.index]));
    expect(deeper.length).toBe(rows.length + 3);
    expect(levelRank('path')).toBeLessThan(levelRank('rules'));
  });

  it('categories: what a filter chip selects', () => {
    const cats = new Set(evs.map(stepCategory));
    for (const c of ['routing', 'neighbour', 'bridge', 'netfilter', 'nat', 'conntrack', 'encap']) expect(cats.has(c as never)).toBe(true);
    expect(stepCategory(evs[0]!)).toBeUndefined();
  });
});
