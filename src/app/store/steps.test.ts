import { describe, expect, it } from 'vitest';
import { simulate } from '../../sim/api.ts';
import type { SimResult } from '../../sim/api-types.ts';
import { createAppStore, rowsOf } from './store.ts';
import { matchingEvents, rowOf } from './steps.ts';

function result(flow: { from: string; to: string }): SimResult {
  const r = simulate({ preset: 'seed', modes: { proxy: 'iptables', backend: 'vxlan' }, seed: 1, before: [], flow: { ...flow, proto: 'tcp', kind: 'connect' } });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe('stepping at a level, search and filters', () => {
  const toService = result({ from: 'nginx-test-7646687cc4-n8s9s', to: '10.43.6.58:80' });
  const nodePort = result({ from: 'client', to: '192.168.205.4:32506' });
  const store = (r: SimResult) => {
    const s = createAppStore();
    s.setState({ result: r, cursor: 0 });
    return s;
  };

  it('steps over the rows of the level; a coarser level puts the cursor on the step that stands for it', () => {
    const s = store(toService);
    const path = rowsOf(s.getState());
    // the handshake's 30 steps, then one step per segment of the close (each folded into its delivery)
    expect(path.length).toBe(34);
    expect(path.slice(30).map((r) => toService.trace.events[r.index]!.kind)).toEqual(['deliver', 'deliver', 'deliver', 'deliver']);
    s.getState().stepBy(2);
    const dnat = s.getState().cursor;
    expect(toService.trace.events[dnat]!.kind).toBe('nat');
    s.getState().setLevel('rules');
    s.getState().stepBy(-1);
    expect(toService.trace.events[s.getState().cursor]!.verdict).toMatch(/^DNAT to:/);
    s.getState().setLevel('path');
    expect(s.getState().cursor).toBe(dnat);
    s.getState().toEnd();
    expect(s.getState().cursor).toBe(toService.trace.events.length - 1);
    s.getState().stepBy(1);
    expect(s.getState().cursor).toBe(toService.trace.events.length - 1);
  });

  it('seeking a hidden event expands the groups that hold it; folding puts the cursor back on the step', () => {
    const s = store(toService);
    const rule = toService.trace.events.findIndex((e) => e.kind === 'rule' && e.verdict?.startsWith('jump KUBE-SVC-'));
    s.getState().seek(rule);
    expect(rowOf(rowsOf(s.getState()), rule)).toBeGreaterThanOrEqual(0);
    expect(s.getState().expanded.size).toBe(2);
    const dnat = toService.trace.events.findIndex((e) => e.kind === 'nat');
    s.getState().toggleExpanded(dnat);
    expect(s.getState().cursor).toBe(dnat);
  });

  it('search: MASQUERADE (smart case) finds the NodePort MASQUERADE in one step; n/N wrap', () => {
    const s = store(nodePort);
    s.getState().setQuery('MASQUERADE');
    s.getState().findMatch(1);
    const at = nodePort.trace.events[s.getState().cursor]!;
    expect([at.kind, at.verdict]).toEqual(['nat', 'MASQUERADE']);
    // lowercase matches comments too ("masquerade traffic for … external destinations")
    expect(matchingEvents(nodePort.trace.events, 'masquerade').reduce((n, x) => n + x, 0)).toBeGreaterThan(matchingEvents(nodePort.trace.events, 'MASQUERADE').reduce((n, x) => n + x, 0));
    const first = s.getState().cursor;
    s.getState().findMatch(1);
    s.getState().findMatch(-1);
    expect(s.getState().cursor).toBe(first);
  });

  it('filter chips keep only those kinds of step, from the whole trace', () => {
    const s = store(nodePort);
    s.getState().toggleFilter('nat');
    const rows = rowsOf(s.getState());
    expect(rows.map((r) => nodePort.trace.events[r.index]!.kind).every((k) => k === 'nat' || k === 'ipvs')).toBe(true);
    expect(rows.some((r) => nodePort.trace.events[r.index]!.verdict === 'MASQUERADE')).toBe(true);
    s.getState().clearFilter();
    expect(rowsOf(s.getState()).length).toBeGreaterThan(rows.length);
  });
});
