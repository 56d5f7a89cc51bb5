import { describe, expect, it } from 'vitest';
import { simulate } from '../api.ts';
import type { Modes } from '../api-types.ts';
import type { TraceEvent } from '../trace/event.ts';

const flow = { from: 'nginx-test-7646687cc4-n8s9s', to: '10.43.6.58:80', proto: 'tcp' as const, kind: 'connect' as const };

function simulateFlow(modes: Modes, seed = 1): readonly TraceEvent[] {
  const r = simulate({ preset: 'seed', modes, seed, before: [], flow });
  if (!r.ok) throw new Error(r.error.message);
  return r.value.trace.events;
}

describe('why this endpoint', () => {
  it('iptables: the KUBE-SVC walk records each statistic draw against its threshold, and the draw decides', () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const evs = simulateFlow({ proxy: 'iptables', backend: 'vxlan' }, seed);
      const jump = evs.find((e) => e.packetId === 0 && e.kind === 'rule' && e.ref?.chain?.startsWith('KUBE-SVC-') && e.verdict?.startsWith('jump KUBE-SEP-'))!;
      const draws = jump.draws ?? [];
      // rule 1 is the masquerade mark for off-cluster sources; rule 2 (probability 0.5) is drawn
      // for, a miss falls through to rule 3, which has no statistic match
      expect(draws).toHaveLength(1);
      expect(draws[0]).toMatchObject({ chain: jump.ref!.chain, row: 1, probability: 0.5 });
      expect(draws[0]!.value).toBeGreaterThanOrEqual(0);
      expect(draws[0]!.value).toBeLessThan(1);
      expect(draws[0]!.matched).toBe(draws[0]!.value < 0.5);
      expect(jump.ref!.row).toBe(draws[0]!.matched ? 1 : 2);
    }
  });

  it('ipvs: the scheduler says why (rr position, lc counts, sh bucket)', () => {
    const decision = (scheduler: Modes['scheduler']) => simulateFlow({ proxy: 'ipvs', backend: 'vxlan', scheduler }).find((e) => e.kind === 'ipvs' && e.decision)?.decision;
    expect(decision('rr')).toMatch(/^rr: no server picked yet, so from the head of the list; the next server with weight > 0 is 10\.42\.\d\.6:80 \(position 1 of 2\)\.$/);
    expect(decision('lc')).toMatch(/^lc: connections per server as activeconns × 256 \+ inactconns — 10\.42\.\d\.6:80 = 0, 10\.42\.\d\.6:80 = 0; the least is 10\.42\.\d\.6:80/);
    expect(decision('sh')).toMatch(/^sh: hash_32\(client 10\.42\.0\.65\) picks bucket \d+ of 256, which holds 10\.42\.\d\.6:80/);
  });
});
