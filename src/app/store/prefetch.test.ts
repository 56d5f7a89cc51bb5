import { describe, expect, it } from 'vitest';
import { AnswerCache, modeNeighbours } from './prefetch.ts';

const req = { preset: 'seed', modes: { scheduler: 'sh' as const }, seed: 1, before: [], flow: { from: 'a', to: 'b', proto: 'tcp' as const, kind: 'connect' as const } };

describe('modeNeighbours', () => {
  it('is every other kube-proxy mode and every other datapath of the CNI in force, the rest of the request kept', () => {
    const n = modeNeighbours(req, { proxy: 'iptables', backend: 'vxlan', scheduler: 'sh' });
    expect(n.map((r) => r.modes)).toEqual([
      { scheduler: 'sh', proxy: 'ipvs' },
      { scheduler: 'sh', proxy: 'nftables' },
      { scheduler: 'sh', backend: 'host-gw' },
      { scheduler: 'sh', backend: 'udp' },
    ]);
    expect(n.every((r) => r.flow === req.flow && r.preset === 'seed')).toBe(true);
    const calico = modeNeighbours(req, { proxy: 'ipvs', backend: 'bgp', scheduler: 'sh' });
    expect(calico.map((r) => r.modes.backend).filter(Boolean)).toEqual(['ipip', 'crosssubnet']);
  });
});

describe('AnswerCache', () => {
  it('keeps the most recently used answers up to its size', () => {
    const c = new AnswerCache<number>(2);
    c.set('a', 1);
    c.set('b', 2);
    expect(c.get('a')).toBe(1);
    c.set('c', 3);
    expect(c.has('b')).toBe(false);
    expect([c.get('a'), c.get('c')]).toEqual([1, 3]);
  });
});
