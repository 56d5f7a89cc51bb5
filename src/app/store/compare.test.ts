import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../sim/trace/event.ts';
import { fakeTopology } from '../testing/fixtures.ts';
import { SYN } from '../testing/traces.ts';
import { align, alignZipped, compareRequest, flowTo, hookRows, podBehindRouter, sideLabel, stepRows } from './compare.ts';

const ev = (seq: number, host: string, kind: TraceEvent['kind'], more: Partial<TraceEvent> = {}): TraceEvent => ({
  seq,
  packetId: 0,
  host,
  netns: 'root',
  kind,
  packet: SYN,
  changed: [],
  explanation: '',
  timeUs: seq,
  ...more,
});

describe('compare: alignment', () => {
  it('aligns two sequences on their longest common subsequence', () => {
    expect(align(['a', 'b', 'c'], ['a', 'x', 'c'], (x, y) => x === y)).toEqual([
      [0, 0],
      [1, -1],
      [-1, 1],
      [2, 2],
    ]);
    expect(align([], ['a'], (x, y) => x === y)).toEqual([[-1, 0]]);
  });

  it('zips what each side has alone between two matches (another endpoint’s node)', () => {
    expect(alignZipped(['master', 'node1'], ['master', 'node2'], (x, y) => x === y)).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(alignZipped(['m', 'a', 'b', 'z'], ['m', 'c', 'z'], (x, y) => x === y)).toEqual([
      [0, 0],
      [1, 1],
      [2, -1],
      [3, 2],
    ]);
  });

  it('marks the hooks where the two paths differ, per host (seed §5)', () => {
    const rows = hookRows(
      [{ host: 'master', hooks: ['PREROUTING', 'FORWARD', 'POSTROUTING'] }, { host: 'node1', hooks: ['PREROUTING', 'FORWARD'] }],
      [{ host: 'master', hooks: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'] }, { host: 'node2', hooks: ['PREROUTING', 'FORWARD'] }],
    );
    expect(rows[0]!.host).toBe('master');
    expect(rows[0]!.a!.filter((h) => h.differs).map((h) => h.hook)).toEqual(['FORWARD']);
    expect(rows[0]!.b!.filter((h) => h.differs).map((h) => h.hook)).toEqual(['INPUT', 'OUTPUT']);
    expect(rows[1]!.host).toBe('node1 / node2');
    expect(rows[1]!.a!.some((h) => h.differs)).toBe(false);
  });

  it('lines up the steps by host, then by what each step is', () => {
    const a = [ev(0, 'master', 'send'), ev(1, 'master', 'rule', { hook: 'PREROUTING', ref: { table: 'iptables', nfTable: 'nat', chain: 'KUBE-SEP-AAAA', row: 1 } }), ev(2, 'master', 'forward'), ev(3, 'node1', 'deliver')];
    const b = [ev(0, 'master', 'send'), ev(1, 'master', 'ipvs'), ev(2, 'master', 'rule', { hook: 'PREROUTING', ref: { table: 'iptables', nfTable: 'nat', chain: 'KUBE-SEP-BBBB', row: 1 } }), ev(3, 'node2', 'deliver')];
    const rows = stepRows(a, b, 0);
    expect(rows).toEqual([
      { type: 'host', host: 'master', packetId: 0, sides: 'both' },
      { type: 'step', a: 0, b: 0 },
      { type: 'step', a: -1, b: 1 },
      // KUBE-SEP-<hash> differs by endpoint only: the same step
      { type: 'step', a: 1, b: 2 },
      { type: 'step', a: 2, b: -1 },
      { type: 'hosts', hostA: 'node1', hostB: 'node2', packetId: 0 },
      { type: 'step', a: 3, b: 3 },
    ]);
  });
});

describe('compare: requests and the L2 demo', () => {
  it('sets the axis on both sides and keeps the rest of the scenario', () => {
    const s = { scenario: { preset: 'seed', modes: { scheduler: 'sh' as const, backend: 'host-gw' as const }, seed: 1, before: ['x: y'] }, flow: { from: 'a', to: 'b', proto: 'tcp' as const, kind: 'connect' as const }, compareBackends: ['host-gw', 'vxlan'] as const };
    const p = compareRequest({ ...s, compareAxis: 'proxy' });
    expect(p.req.modes).toEqual({ scheduler: 'sh', backend: 'host-gw', proxy: 'iptables' });
    expect(p.modesB).toEqual({ proxy: 'ipvs' });
    expect(p.req.before).toEqual(['x: y']);
    expect(compareRequest({ ...s, compareAxis: 'backend' }).req.modes.backend).toBe('host-gw');
  });

  it('compares any two datapaths, flannel against Calico too', () => {
    const s = { scenario: { preset: 'seed', modes: {}, seed: 1, before: [] }, flow: { from: 'a', to: 'b', proto: 'tcp' as const, kind: 'connect' as const } };
    const p = compareRequest({ ...s, compareAxis: 'backend', compareBackends: ['udp', 'ipip'] });
    expect([p.req.modes.backend, p.modesB.backend]).toEqual(['udp', 'ipip']);
    expect(sideLabel('backend', { proxy: 'iptables', backend: 'ipip', scheduler: 'rr' })).toBe('calico ipip');
  });

  it('finds the pod on a node that shares no LAN with the source', () => {
    const topo = fakeTopology(3, 1);
    // node2 on its own segment behind the gateway
    const segments = [
      { name: 'lan', members: topo.segments[0]!.members.filter((m) => m.host !== 'node2') },
      { name: 'lan-b', members: [{ host: 'node2', dev: 'enp0s1' }, { host: 'gateway', dev: 'eth1' }] },
    ];
    expect(podBehindRouter({ ...topo, segments }, 'pod-0-0')).toEqual({ host: 'node2', pod: 'pod-2-0', ip: '10.42.2.2' });
    expect(podBehindRouter(topo, 'pod-0-0')).toBeUndefined();
    expect(flowTo({ from: 'pod-0-0', to: '10.42.1.2:80', proto: 'tcp', kind: 'connect' }, '10.42.2.2').to).toBe('10.42.2.2:80');
  });
});
