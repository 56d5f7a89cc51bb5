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

  it('carries the level, the connection draw and a sized flow', () => {
    const s = {
      scenario: { ...defaults.scenario, draw: 3 },
      flow: { from: 'busybox', to: '10.42.1.9', proto: 'icmp', kind: 'ping', size: 1472, df: true } as FlowSpec,
      cursor: 40,
      level: 'kernel' as const,
    };
    const q = shareSearch(s);
    expect(q).toContain('level=kernel');
    expect(q).toContain('draw=3');
    expect(q).toContain('size=1472');
    expect(q).toContain('df=do');
    const p = parseShare(q, defaults);
    expect([p.level, p.scenario.draw, p.flow.size, p.flow.df, p.cursor]).toEqual(['kernel', 3, 1472, true, 40]);
    // the path level is the default and stays out of the link
    expect(shareSearch({ ...s, level: 'path' })).not.toContain('level=');
    const bad = parseShare('?level=verbose&df=maybe&size=70000', defaults);
    expect(bad.level).toBe('path');
    expect(bad.flow.size).toBeUndefined();
    expect(bad.flow.df).toBeUndefined();
    expect(bad.problems.map((x) => x.slice(0, 22))).toEqual(['URL parameter "size" h', 'URL parameter "df" has', 'URL parameter "level" ']);
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

describe('share URL: a user cluster', () => {
  it('carries the LAN in the query (the cluster itself goes in the fragment) and names a bad one', () => {
    const s = { scenario: { cluster: 'kind: List', lan: '192.168.56.0/24', modes: {}, seed: 1, before: [] } as Scenario, flow: defaults.flow, cursor: 0 };
    const q = shareSearch(s);
    expect(q).toContain('lan=192.168.56.0%2F24');
    expect(q).not.toContain('cluster=');
    expect(parseShare(q, defaults).scenario.lan).toBe('192.168.56.0/24');
    expect(parseShare('?lan=nope', defaults).problems).toEqual(['URL parameter "lan" has a bad value "nope" (expected a CIDR like 192.168.56.0/24); using the default.']);
  });
});
