import { describe, expect, it, vi } from 'vitest';
import type { Modes, Result, SimRequest, SimResult } from '../../sim/api-types.ts';
import type { Comparison } from '../../sim/compare.ts';
import type { SimApi } from '../../worker/protocol.ts';
import { fakeResult } from '../testing/traces.ts';
import { labFile, parseLab } from './lab.ts';
import { createSimClient, WORKER_MAX_CRASHES, WORKER_RESTART_BACKOFF_MS, type WorkerHandle } from './client.ts';
import { ipLength } from '../../sim/net/encode.ts';
import { chainTraversal, describeChange, layerNames, liveCounters, ruleKey } from './derive.ts';
import { announceStep } from './describe.ts';
import { createAppStore } from './store.ts';

const DEFAULTS = {
  clusters: [{ id: 'seed', label: 'seed' }],
  scenario: { preset: 'seed', modes: {}, seed: 1, before: [] },
  flow: { from: 'pod-0-0', to: '10.43.6.58:80', proto: 'tcp' as const, kind: 'connect' as const },
};

/** A worker stand-in whose answers the test releases by hand. */
function fakeWorker() {
  const calls: { req: SimRequest; resolve: (r: Result<SimResult>) => void }[] = [];
  const compares: { req: SimRequest; modesB: Modes; resolve: (r: Result<Comparison>) => void }[] = [];
  const scaled: string[] = [];
  let crash: (m: string) => void = () => {};
  let spawned = 0;
  let terminated = 0;
  const api: SimApi = {
    defaults: async () => ({ ok: true, value: DEFAULTS }),
    presets: async (s) => ({ ok: true, value: s.preset === 'other' ? [{ id: 'x', label: 'x', flow: { from: 'a', to: 'b', proto: 'tcp', kind: 'connect' } }] : fakeResult().presets }),
    simulate: (req) => new Promise((resolve) => calls.push({ req, resolve })),
    exec: async (req) =>
      req.command === 'bad' ? { ok: false, error: { code: 'cli', where: req.target, message: 'unknown command "bad"' } } : { ok: true, value: { output: 'done', mutates: req.command.includes(' del ') } },
    tracePcap: async () => ({ ok: true, value: new Uint8Array([0xd4, 0xc3, 0xb2, 0xa1]) }),
    compare: (req, modesB) => new Promise((resolve) => compares.push({ req, modesB, resolve })),
    scalePoint: async (services, endpointsPerService, proxy) => {
      scaled.push(`${proxy}|${services}|${endpointsPerService}`);
      return { ok: true, value: { services, endpointsPerService, proxy, iptablesRules: services * 20, natRules: services * 18, ipsetEntries: 0, virtualServers: 0, nftRules: 0, nftElements: 0, rulesMatched: 21, rulesEvaluated: services + 40 } };
    },
    containers: async () => ({ ok: true, value: [] }),
    runs: async (_req, n) => ({ ok: true, value: { n, outcomes: [{ where: 'node1/pod-1-0', count: n, delivered: true }] } }),
    checkCluster: async (s) =>
      s.cluster?.includes('broken')
        ? { ok: false, error: { code: 'CLUSTER_INVALID', where: 'Service default/web .spec.ports[0].port (line 7)', message: 'Invalid value: 0: must be between 1 and 65535, inclusive', problems: [{ object: 'Service default/web', field: 'spec.ports[0].port', line: 7, message: 'Invalid value: 0: must be between 1 and 65535, inclusive' }] } }
        : { ok: true, value: { nodes: 2, pods: 3, services: 1, notes: ['LAN 10.0.0.0/24: inferred'], flow: { from: 'web-1', to: '10.96.0.10:53', proto: 'udp', kind: 'connect' } } },
    compactCluster: async (text) => ({ ok: true, value: text }),
    prefetch: async () => ({ ok: true, value: 0 }),
  };
  const spawn = (): WorkerHandle => {
    spawned++;
    return { api, onCrash: (cb) => (crash = cb), terminate: () => void terminated++ };
  };
  return { calls, compares, scaled, spawn, crash: (m: string) => crash(m), spawned: () => spawned, terminated: () => terminated };
}

function comparison(a: SimResult, b: SimResult): Comparison {
  const summary = (r: SimResult) => ({ modes: r.modes, verdict: r.trace.verdict, events: r.trace.events.length, hookPaths: [], wireBytes: 74, innerBytes: 74, encapHeaders: [], onlyHere: [] });
  return { a: summary(a), b: summary(b), resultA: a, resultB: b, endedA: `${a.trace.packets[0]?.host}/${a.trace.packets[0]?.netns}`, endedB: `${b.trace.packets[0]?.host}/${b.trace.packets[0]?.netns}` };
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));


/** A store whose worker client has booted from `query`, with the fake worker to answer it. */
async function booted(query: string) {
  const store = createAppStore();
  const w = fakeWorker();
  const client = createSimClient(store, w.spawn);
  await client.boot(query);
  return { store, w, client };
}

describe('store + worker client', () => {
  it('boots from the URL, simulates once, and restores the step', async () => {
    const { store, w } = await booted('?step=4&backend=vxlan');
    expect(w.calls).toHaveLength(1);
    expect(w.calls[0]!.req.modes.backend).toBe('vxlan');
    w.calls[0]!.resolve({ ok: true, value: fakeResult() });
    await tick();
    expect(store.getState().cursor).toBe(3);
    expect(store.getState().pending).toBe(false);
  });

  it('never calls the worker to step', async () => {
    const { store, w } = await booted('');
    w.calls[0]!.resolve({ ok: true, value: fakeResult() });
    await tick();
    const s = store.getState();
    s.stepBy(1);
    s.stepBy(1);
    s.stepBy(-1);
    s.toEnd();
    s.seek(2);
    expect(store.getState().cursor).toBe(2);
    expect(w.calls).toHaveLength(1);
    s.stepBy(-10);
    expect(store.getState().cursor).toBe(0);
  });

  it('drops stale answers and says what changed', async () => {
    const { store, w } = await booted('');
    w.calls[0]!.resolve({ ok: true, value: fakeResult('vxlan') });
    await tick();
    store.getState().setModes({ backend: 'host-gw' });
    store.getState().setModes({ proxy: 'ipvs' });
    expect(w.calls).toHaveLength(3);
    w.calls[2]!.resolve({ ok: true, value: fakeResult('host-gw') });
    await tick();
    w.calls[1]!.resolve({ ok: true, value: fakeResult('vxlan') }); // stale
    await tick();
    const s = store.getState();
    expect(s.result?.modes.backend).toBe('host-gw');
    expect(s.shown?.modes.proxy).toBe('ipvs');
    expect(s.change).toMatch(/^vxlan → host-gw.*1 event removed \(encap\/decap\)/);
  });

  it('keeps the last good trace on an error and puts the request back', async () => {
    const { store, w } = await booted('');
    const good = fakeResult();
    w.calls[0]!.resolve({ ok: true, value: good });
    await tick();
    store.getState().setFlow({ from: 'nowhere', to: 'x', proto: 'tcp', kind: 'connect' });
    w.calls[1]!.resolve({ ok: false, error: { code: 'flow', where: 'flow.from', message: 'no pod or host "nowhere"' } });
    await tick();
    const s = store.getState();
    expect(s.result).toBe(good);
    expect(s.flow.from).toBe('pod-0-0');
    expect(s.error).toContain('no pod or host "nowhere"');
    expect(w.calls).toHaveLength(2);
  });

  it('recreates a crashed worker and answers the lost call with an error', async () => {
    const { store, w } = await booted('');
    w.calls[0]!.resolve({ ok: true, value: fakeResult() });
    await tick();
    store.getState().setModes({ backend: 'host-gw' });
    w.crash('out of memory');
    await tick();
    expect(w.spawned()).toBe(2);
    expect(store.getState().error).toContain('stopped');
    expect(store.getState().scenario.modes.backend).toBeUndefined();
    expect(store.getState().result).not.toBeNull();
  });

  it('a worker that cannot load is restarted with backoff, then given up on with a visible error', async () => {
    vi.useFakeTimers();
    try {
      const store = createAppStore();
      const w = fakeWorker();
      createSimClient(store, w.spawn);
      // it crashes as soon as it starts, every time (a 404 or an unparsable cached script)
      w.crash('it could not be loaded');
      expect(w.spawned()).toBe(2); // the first restart is immediate
      w.crash('it could not be loaded');
      await vi.advanceTimersByTimeAsync(WORKER_RESTART_BACKOFF_MS - 1);
      expect(w.spawned()).toBe(2); // the next one waits
      await vi.advanceTimersByTimeAsync(1);
      expect(w.spawned()).toBe(3);
      w.crash('it could not be loaded');
      await vi.advanceTimersByTimeAsync(WORKER_RESTART_BACKOFF_MS * 4);
      expect(w.spawned()).toBe(4);
      w.crash('it could not be loaded');
      await vi.advanceTimersByTimeAsync(60_000);
      expect(w.spawned()).toBe(WORKER_MAX_CRASHES);
      expect(store.getState().error).toBe(`The simulation worker failed to start ${WORKER_MAX_CRASHES} times in a row (it could not be loaded). Check the connection and reload the page to try again.`);
    } finally {
      vi.useRealTimers();
    }
  });

  it('falls back to the defaults when the share link is refused', async () => {
    const { store, w } = await booted('?from=ghost');
    w.calls[0]!.resolve({ ok: false, error: { code: 'flow', where: 'flow.from', message: 'no pod "ghost"' } });
    await tick();
    expect(store.getState().flow.from).toBe('pod-0-0');
    expect(w.calls).toHaveLength(2);
    expect(store.getState().notices.join()).toMatch(/ghost.*default/);
  });

  it('computes the traces one mode switch away while the user reads, one at a time; a switch to one shows it without a new call', async () => {
    const { store, w } = await booted('');
    w.calls[0]!.resolve({ ok: true, value: fakeResult() });
    await tick();
    expect(w.calls).toHaveLength(1);
    await tick(400);
    // the other kube-proxy modes first, then the other flannel backends; each asked once the one before answered
    const asked: string[] = [];
    for (let i = 1; i <= 4; i++) {
      expect(w.calls).toHaveLength(i + 1);
      const m = w.calls[i]!.req.modes;
      asked.push(`${m.proxy ?? ''}${m.backend ?? ''}`);
      w.calls[i]!.resolve({ ok: true, value: fakeResult(m.backend === 'host-gw' ? 'host-gw' : 'vxlan') });
      await tick();
    }
    expect(asked).toEqual(['ipvs', 'nftables', 'host-gw', 'udp']);
    expect(w.calls).toHaveLength(5);
    store.getState().setModes({ backend: 'host-gw' });
    await tick();
    expect(w.calls).toHaveLength(5);
    expect(store.getState().pending).toBe(false);
    expect(store.getState().result?.modes.backend).toBe('host-gw');
    expect(store.getState().change).toContain('vxlan → host-gw');
  });

  it('stops computing ahead as soon as the user asks for something', async () => {
    const { store, w } = await booted('');
    w.calls[0]!.resolve({ ok: true, value: fakeResult() });
    await tick(400);
    expect(w.calls).toHaveLength(2);
    store.getState().setFlow({ ...DEFAULTS.flow, to: '10.43.6.58:8080' });
    w.calls[1]!.resolve({ ok: true, value: fakeResult() });
    await tick();
    // the user's request, and no further guess before its answer
    expect(w.calls).toHaveLength(3);
    expect(w.calls[2]!.req.flow.to).toBe('10.43.6.58:8080');
  });

  it('switching cluster picks a flow the new cluster offers and sets the edits aside until it is back', async () => {
    const { store, w, client } = await booted('?edit=master%3A%20ip%20route%20del%2010.42.1.0%2F24');
    w.calls[0]!.resolve({ ok: true, value: fakeResult() });
    await tick();
    await client.switchCluster('other');
    expect(w.calls).toHaveLength(2);
    expect(w.calls[1]!.req.preset).toBe('other');
    expect(w.calls[1]!.req.flow.from).toBe('a');
    expect(w.calls[1]!.req.before).toEqual([]);
    expect(store.getState().notices.join()).toContain('1 edit of cluster "seed" set aside');
    // and back: the edits come with their cluster
    w.calls[1]!.resolve({ ok: true, value: fakeResult() });
    await tick();
    await client.switchCluster('seed');
    await tick();
    // (the seed cluster with its edit was answered before: that answer is shown again, not recomputed)
    expect(store.getState().shown?.before).toEqual(['master: ip route del 10.42.1.0/24']);
    expect(w.calls).toHaveLength(2);
    expect(store.getState().notices.join()).toContain('1 edit of cluster "seed" restored');
  });

  it('appends a mutating command to the edits and recomputes', async () => {
    const { store, w, client } = await booted('');
    w.calls[0]!.resolve({ ok: true, value: fakeResult() });
    await tick();
    await client.runCommand('master', 'ip route');
    expect(store.getState().scenario.before).toEqual([]);
    await client.runCommand('master', 'ip route del 10.42.1.0/24');
    expect(store.getState().scenario.before).toEqual(['master: ip route del 10.42.1.0/24']);
    expect(w.calls).toHaveLength(2);
    await client.runCommand('master', 'bad');
    const log = store.getState().terminalLog;
    expect(log).toHaveLength(3);
    expect(log[2]!.error).toContain('unknown command');
  });
});

describe('worker timeouts, compare and scale', () => {
  it('a call that hangs times out: the worker is replaced and the last good trace stays', async () => {
    const store = createAppStore();
    const w = fakeWorker();
    let limit = 10_000;
    const client = createSimClient(store, w.spawn, { timeoutMs: () => limit });
    await client.boot('');
    const good = fakeResult();
    w.calls[0]!.resolve({ ok: true, value: good });
    await tick();
    limit = 20;
    store.getState().setModes({ backend: 'host-gw' }); // the worker never answers this one
    await tick(60);
    const s = store.getState();
    expect(w.spawned()).toBe(2);
    expect(w.terminated()).toBe(1);
    expect(s.error).toMatch(/took longer than 20 ms to answer "simulate".*restarted/);
    expect(s.result).toBe(good);
    expect(s.pending).toBe(false);
    expect(s.scenario.modes.backend).toBeUndefined();
    // the new worker answers the next request
    limit = 10_000;
    store.getState().setModes({ backend: 'host-gw' });
    w.calls.at(-1)!.resolve({ ok: true, value: fakeResult('host-gw') });
    await tick();
    expect(store.getState().result?.modes.backend).toBe('host-gw');
    client.dispose();
  });

  it('compares while the compare view is open and opens a side in the debugger', async () => {
    const { store, w, client } = await booted('');
    w.calls[0]!.resolve({ ok: true, value: fakeResult() });
    await tick();
    expect(w.compares).toHaveLength(0);
    store.getState().setView('compare');
    expect(w.compares).toHaveLength(1);
    expect(w.compares[0]!.req.modes.proxy).toBe('iptables');
    expect(w.compares[0]!.modesB).toEqual({ proxy: 'ipvs' });
    store.getState().setCompareAxis('backend');
    expect(w.compares).toHaveLength(2);
    expect(w.compares[1]!.req.modes.backend).toBe('host-gw');
    const a = fakeResult('host-gw');
    const b = fakeResult('vxlan');
    w.compares[1]!.resolve({ ok: true, value: comparison(a, b) });
    w.compares[0]!.resolve({ ok: true, value: comparison(b, a) }); // stale
    await tick();
    expect(store.getState().comparison?.value.resultA).toBe(a);
    const before = w.calls.length;
    client.openCompared('b', 4);
    const s = store.getState();
    expect(s.view).toBe('debug');
    expect(s.result).toBe(b);
    expect(s.cursor).toBe(4);
    expect(s.scenario.modes.backend).toBe('vxlan');
    expect(w.calls).toHaveLength(before); // the trace is already known: no recompute
    client.dispose();
  });

  it('fills the scale chart point by point and keeps what it has', async () => {
    const { store, w, client } = await booted('');
    store.getState().setView('scale');
    await expect.poll(() => store.getState().scaleRunning).toBe(false);
    // smallest clusters first, every mode at a size before the next size
    expect(w.scaled).toEqual([10, 50, 100, 500, 1000, 10000].flatMap((n) => ['iptables', 'ipvs', 'nftables'].map((p) => `${p}|${n}|6`)));
    store.getState().setView('debug');
    store.getState().setView('scale');
    await expect.poll(() => store.getState().scaleRunning).toBe(false);
    expect(w.scaled).toHaveLength(18);
    expect(store.getState().scalePoints['iptables|100|6']?.iptablesRules).toBe(2000);
    client.dispose();
  });
});

describe('derived state', () => {
  const r = fakeResult();
  const events = r.trace.events;

  it('counts only the matches up to the cursor: the tables hold the counters after the flow', () => {
    const k = ruleKey('master', 'root', 'nat', 'PREROUTING', 0);
    const before = liveCounters(r.tables, events, 2).get(k)!;
    expect(before.pkts).toBe(297);
    expect(before.bytes).toBe(19090 - ipLength(events[3]!.packet));
    expect(liveCounters(r.tables, events, 3).get(k)).toEqual({ pkts: 298, bytes: 19090 });
    // a visited rule that did not match does not count
    expect(liveCounters(r.tables, events, 9).get(ruleKey('master', 'root', 'nat', 'KUBE-SVC-7CWUT4JBGBRVUN2L', 0))).toEqual({ pkts: 0, bytes: 0 });
    expect(liveCounters(r.tables, events, 5).get(ruleKey('master', 'root', 'nat', 'KUBE-SVC-7CWUT4JBGBRVUN2L', 1))?.pkts).toBe(0);
    expect(liveCounters(r.tables, events, 9).get(ruleKey('master', 'root', 'nat', 'KUBE-SVC-7CWUT4JBGBRVUN2L', 1))?.pkts).toBe(1);
  });

  it('walks the chain traversal at the hook', () => {
    const t = chainTraversal(events, 7)!;
    expect(t.chains.map((c) => c.chain)).toEqual(['PREROUTING', 'KUBE-SERVICES', 'KUBE-SVC-7CWUT4JBGBRVUN2L', 'KUBE-SEP-U2YYZT2C3O6VM4EV']);
    expect(t.chains[2]!.rules.map((x) => x.matched)).toEqual([false, true]);
    expect(chainTraversal(events, 2)).toBeUndefined();
    // a NAT step after the DNAT rule shows the same walk, centred on that rule
    const withNat = [...events.slice(0, 8), { ...events[7]!, seq: 8, kind: 'nat' as const, ref: { table: 'conntrack' as const } }];
    expect(chainTraversal(withNat, 8)?.current).toBe(7);
  });

  it('shows the rows a rule walk tried before the one that matched', () => {
    const withSkips = events.map((e, i) => (i === 4 ? { ...e, ref: { ...e.ref!, row: 3, fromRow: 0 } } : e));
    const tables = r.tables.map((t) =>
      t.host === 'master' && t.netns === 'root'
        ? { ...t, iptables: t.iptables.map((c) => (c.name === 'KUBE-SERVICES' ? { ...c, rules: [0, 1, 2, 3].map((k) => ({ pkts: 0, bytes: 0, text: `rule ${k}`, target: 'X' })) } : c)) }
        : t,
    );
    const walk = chainTraversal(withSkips, 4, tables)!;
    const svc = walk.chains.find((c) => c.chain === 'KUBE-SERVICES')!;
    expect(svc.rules[0]).toMatchObject({ index: -1, row: 0, lastRow: 2, matched: false });
    expect(svc.rules[1]).toMatchObject({ index: 4, row: 3, matched: true });
    // without the tables the rows are still counted
    expect(chainTraversal(withSkips, 4)!.chains.find((c) => c.chain === 'KUBE-SERVICES')!.rules[0]!.lastRow).toBe(2);
  });

  it('announces a step in the seed’s words', () => {
    expect(announceStep(events[4], 4, events.length)).toBe('Step 5 of 11: master, root netns, nat PREROUTING KUBE-SERVICES rule 1 → jump KUBE-SVC-7CWUT4JBGBRVUN2L');
  });

  it('names outer and inner layers', () => {
    const names = layerNames([
      { type: 'ethernet', src: 'a', dst: 'b', ethertype: 0x800 },
      { type: 'ipv4', src: '1', dst: '2', ttl: 1, proto: 17, id: 0, df: false, dsfield: 0 },
      { type: 'udp', srcport: 1, dstport: 8472 },
      { type: 'vxlan', flags: 8, vni: 1 },
      { type: 'ethernet', src: 'a', dst: 'b', ethertype: 0x800 },
      { type: 'ipv4', src: '1', dst: '2', ttl: 1, proto: 6, id: 0, df: false, dsfield: 0 },
    ] as never).map((n) => n.id);
    expect(names).toEqual(['outer.ethernet', 'outer.ipv4', 'outer.udp', 'outer.vxlan', 'ethernet', 'ipv4']);
  });

  it('describes a verdict change', () => {
    const a = fakeResult();
    const dropped = { ...a.trace, verdict: 'dropped' as const, reason: 'SKB_DROP_REASON_IP_NOROUTE', events: [...a.trace.events.slice(0, 9), { ...a.trace.events[8]!, seq: 9, kind: 'drop' as const, reason: 'no route' }] };
    const text = describeChange(
      { modes: a.modes, flow: DEFAULTS.flow, before: [], trace: a.trace },
      { modes: a.modes, flow: DEFAULTS.flow, before: ['master: ip route del 10.42.1.0/24'], trace: dropped },
    );
    expect(text).toMatch(/^applied "master: ip route del 10.42.1.0\/24": 1 event removed.*now dropped at master: SKB_DROP_REASON_IP_NOROUTE/);
  });
});

describe('a user\'s cluster file', () => {
  it('opens after the worker checked it: the scenario carries the text and the LAN, the flow is the file\'s first', async () => {
    const { store, w, client } = await booted('');
    w.calls[0]!.resolve({ ok: true, value: fakeResult() });
    await tick();
    expect(await client.openCluster('apiVersion: v1\nkind: List\nitems: []\n', { name: 'mine.yaml', lan: '10.0.0.0/24' })).toBe(true);
    const s = store.getState();
    expect(s.scenario).toMatchObject({ cluster: 'apiVersion: v1\nkind: List\nitems: []\n', lan: '10.0.0.0/24', before: [] });
    expect(s.scenario.preset).toBeUndefined();
    expect(s.flow).toEqual({ from: 'web-1', to: '10.96.0.10:53', proto: 'udp', kind: 'connect' });
    expect(s.clusterName).toBe('mine.yaml');
    expect(w.calls.at(-1)!.req.cluster).toContain('kind: List');
    // a built-in cluster replaces the file and its LAN
    await client.switchCluster('other');
    expect(store.getState().scenario.cluster).toBeUndefined();
    expect(store.getState().scenario.lan).toBeUndefined();
    expect(store.getState().clusterName).toBeNull();
  });

  it('a refused file changes nothing shown and lists its problems', async () => {
    const { store, w, client } = await booted('');
    w.calls[0]!.resolve({ ok: true, value: fakeResult() });
    await tick();
    const before = store.getState().scenario;
    expect(await client.openCluster('broken', { name: 'bad.yaml' })).toBe(false);
    const s = store.getState();
    expect(s.scenario).toBe(before);
    expect(w.calls).toHaveLength(1);
    expect(s.importOpen).toBe(true);
    expect(s.importRefused).toMatchObject({ name: 'bad.yaml', problems: [{ object: 'Service default/web', field: 'spec.ports[0].port', line: 7 }] });
  });

  it('a lab restores its cluster, modes, edits, flow, view and step', async () => {
    const { store, w, client } = await booted('');
    w.calls[0]!.resolve({ ok: true, value: fakeResult() });
    await tick();
    const lab = parseLab(labFile({ scenario: { cluster: 'kind: List\nitems: []\n', modes: { backend: 'host-gw' }, seed: 3, before: ['master: ip route del 10.42.1.0/24'] }, flow: { from: 'a', to: 'b:80', proto: 'tcp', kind: 'connect' }, cursor: 5, view: 'debug', clusterName: 'x.json' }));
    if (!lab.ok) throw new Error(lab.error);
    expect(await client.openLab(lab.value, 'x.kpl-lab.json')).toBe(true);
    const s = store.getState();
    expect(s.scenario).toEqual({ cluster: 'kind: List\nitems: []\n', modes: { backend: 'host-gw' }, seed: 3, before: ['master: ip route del 10.42.1.0/24'] });
    expect(s.restoreCursor).toBe(5);
    expect(s.clusterName).toBe('x.json');
    w.calls.at(-1)!.resolve({ ok: true, value: fakeResult() });
    await tick();
    expect(store.getState().cursor).toBe(5);
  });
});
