import { describe, expect, it } from 'vitest';
import type { FlowSpec, Scenario } from '../../sim/api-types.ts';
import { historyAction, parseShare, shareSearch } from './url.ts';

const defaults: { scenario: Scenario; flow: FlowSpec } = {
  scenario: { modes: {}, seed: 1, before: [] },
  flow: { from: 'busybox', to: '10.43.6.58:80', proto: 'tcp', kind: 'connect' },
};

describe('share URL', () => {
  it('round-trips the whole state', () => {
    const s = {
      scenario: { preset: 'seed-section6', modes: { proxy: 'ipvs', backend: 'host-gw', scheduler: 'lc' }, seed: 7, before: ['master: ip route del 10.42.1.0/24', 'node1: bridge fdb del 1:2:3:4:5:6 dev flannel.1'] } as Scenario,
      flow: { from: 'nginx-test-7646687cc4-n8s9s', to: '10.42.1.9', proto: 'icmp', kind: 'ping' } as FlowSpec,
      cursor: 11,
    };
    const p = parseShare(shareSearch(s), defaults);
    expect(p.problems).toEqual([]);
    expect(p.scenario).toEqual(s.scenario);
    expect(p.flow).toEqual(s.flow);
    expect(p.cursor).toBe(11);
    expect(p.hasStep).toBe(true);
  });

  it('uses the defaults for an empty URL', () => {
    const p = parseShare('', defaults);
    expect(p.scenario).toEqual(defaults.scenario);
    expect(p.flow).toEqual(defaults.flow);
    expect(p.hasStep).toBe(false);
    expect(p.problems).toEqual([]);
  });

  it('names a bad parameter and falls back to the default', () => {
    const p = parseShare('?backend=geneve&step=-3&proxy=ipvs', defaults);
    expect(p.scenario.modes.backend).toBeUndefined();
    expect(p.scenario.modes.proxy).toBe('ipvs');
    expect(p.cursor).toBe(0);
    expect(p.problems).toHaveLength(2);
    expect(p.problems[0]).toContain('"backend"');
    expect(p.problems[0]).toContain('geneve');
    expect(p.problems[1]).toContain('"step"');
  });

  it('keeps the instant speed hook', () => {
    const p = parseShare('?speed=instant', defaults);
    expect(p.instant).toBe(true);
    expect(shareSearch({ ...p }, new URLSearchParams('speed=instant'))).toContain('speed=instant');
  });

  it('pushes a new flow, mode, cluster or view to the history and only replaces a step', () => {
    const a = '?cluster=seed&proxy=iptables&seed=1&from=a&to=10.43.6.58%3A80&proto=tcp&kind=connect&step=1';
    expect(historyAction(a, a)).toBe('none');
    expect(historyAction(a, a.replace('step=1', 'step=9'))).toBe('replace');
    expect(historyAction(a, `${a}&speed=instant`)).toBe('replace');
    expect(historyAction(a, a.replace('proxy=iptables', 'proxy=ipvs'))).toBe('push');
    expect(historyAction(a, a.replace('cluster=seed', 'cluster=five-nodes'))).toBe('push');
    expect(historyAction(a, `${a}&view=compare&vs=proxy`)).toBe('push');
    expect(historyAction(a, `${a}&edit=master%3A+ip+route+del+10.42.1.0%2F24`)).toBe('push');
  });
});
