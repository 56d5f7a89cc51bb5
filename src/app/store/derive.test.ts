import { describe, expect, it } from 'vitest';
import { exec, simulate } from '../../sim/api.ts';
import type { SimRequest } from '../../sim/api-types.ts';
import { eventLevels, stepRows } from '../../sim/trace/levels.ts';
import { conntrackAt, liveCounters, ruleKey, unconfirmedAt } from './derive.ts';

const req: SimRequest = { preset: 'seed', modes: { proxy: 'iptables', backend: 'vxlan' }, seed: 1, before: [], flow: { from: 'nginx-test-7646687cc4-n8s9s', to: '10.43.6.58:80', proto: 'tcp', kind: 'connect' } };

function run(command: string, atStep: number): string {
  const r = exec({ ...req, target: 'master', command, atStep });
  if (!r.ok) throw new Error(r.error.message);
  return r.value.output;
}

describe('per-step truth: the tables at a step are the kernel state at that step', () => {
  const r = simulate(req);
  if (!r.ok) throw new Error(r.error.message);
  const { events } = r.value.trace;
  const master = r.value.tables.find((t) => t.host === 'master' && t.netns === 'root')!;
  const dnatRule = events.findIndex((e) => e.kind === 'rule' && e.verdict?.startsWith('DNAT'));
  const dnatRef = events[dnatRule]!.ref!;
  const dnatKey = ruleKey('master', 'root', 'nat', dnatRef.chain!, dnatRef.row!);

  it('right after the SYN is DNATed: the DNAT rule has counted exactly 1 packet, the entry is SYN_SENT [UNREPLIED] and not confirmed yet', () => {
    const afterDnat = dnatRule + 1;
    expect(events[afterDnat]!.kind).toBe('nat');
    expect(liveCounters(r.value.tables, events, afterDnat).get(dnatKey)).toEqual({ pkts: 1, bytes: 60 });
    expect(liveCounters(r.value.tables, events, dnatRule - 1).get(dnatKey)).toEqual({ pkts: 0, bytes: 0 });
    const pending = unconfirmedAt(events, afterDnat, master)!;
    expect(pending.line).toMatch(/^tcp +6 120 SYN_SENT src=10\.42\.0\.65 dst=10\.43\.6\.58 .*\[UNREPLIED\] src=10\.42\.1\.6 dst=10\.42\.0\.65 /);
    expect(conntrackAt(master, events[afterDnat]!.timeUs)).toEqual([]);
    // `conntrack -L` run at that step agrees: nothing is in the table yet
    expect(run('conntrack -L', afterDnat)).toBe('');
  });

  it('after the handshake the entry is ESTABLISHED 432000 [ASSURED]', () => {
    const lastAck = events.findIndex((e) => e.packetId === 2 && e.host === 'master' && e.kind === 'conntrack');
    const rows = conntrackAt(master, events[lastAck]!.timeUs).filter((x) => x.line.includes('dst=10.43.6.58'));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.line).toMatch(/^tcp +6 432000 ESTABLISHED .*\[ASSURED\]/);
    const before = conntrackAt(master, events[lastAck - 1]!.timeUs).find((x) => x.line.includes('dst=10.43.6.58'))!;
    expect(before.line).toMatch(/^tcp +6 60 SYN_RECV /);
  });

  it('at every path step, conntrack -L and the nat counters run at that step read what the tables show', () => {
    const ranks = eventLevels(events);
    const steps = stepRows(ranks, 'path').map((x) => x.index).filter((i) => events[i]!.packetId === 0 || i % 3 === 0);
    for (const k of steps) {
      const shown = conntrackAt(master, events[k]!.timeUs).map((x) => x.line);
      expect(run('conntrack -L', k).split('\n').filter(Boolean), `conntrack at step ${k}`).toEqual(shown);
      const live = liveCounters(r.value.tables, events, k);
      const listed = run(`iptables -t nat -nvL ${dnatRef.chain}`, k).split('\n').slice(2).filter(Boolean).map((l) => Number(l.trim().split(/\s+/)[0]));
      expect(listed, `counters at step ${k}`).toEqual(listed.map((_, row) => live.get(ruleKey('master', 'root', 'nat', dnatRef.chain!, row))!.pkts));
    }
  });
});
