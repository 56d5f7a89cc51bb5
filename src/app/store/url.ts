import { CALICO_BACKENDS, FLANNEL_BACKENDS, type Backend, type FlowKind, type FlowSpec, type IpvsScheduler, type Modes, type ProxyMode, type Scenario } from '../../sim/api-types.ts';
import type { CompareAxis, View } from './store.ts';

/**
 * The share link: the whole state in the query string, readable by a person
 * (`?proxy=iptables&backend=vxlan&from=…&to=10.43.6.58:80&proto=tcp&kind=connect&step=12`).
 * `edit` repeats, one per applied command, in order. Bad values are reported by name and the
 * default is used instead, so a mangled link still opens.
 */
export interface ShareState {
  readonly scenario: Scenario;
  readonly flow: FlowSpec;
  /** 0-based cursor; the URL's `step` is 1-based as the UI counts */
  readonly cursor: number;
  /** the main area (`view=compare&vs=backend`); absent: the debugger */
  readonly view?: View;
  readonly compareAxis?: CompareAxis;
  /** the two datapaths the backend comparison shows (`vsa`, `vsb`) */
  readonly compareBackends?: readonly [Backend, Backend];
}

export interface ParsedShare extends ShareState {
  readonly view: View;
  readonly compareAxis: CompareAxis;
  readonly compareBackends: readonly [Backend, Backend];
  /** one sentence per bad parameter, naming it */
  readonly problems: string[];
  /** `?speed=instant`: the test hook that turns animation off */
  readonly instant: boolean;
  /** the URL named a step (else the app starts at step 1) */
  readonly hasStep: boolean;
}

const PROXY: readonly ProxyMode[] = ['iptables', 'ipvs'];
const BACKEND: readonly Backend[] = [...FLANNEL_BACKENDS, ...CALICO_BACKENDS];
const SCHED: readonly IpvsScheduler[] = ['rr', 'wrr', 'lc', 'sh', 'dh', 'mh'];
const PROTO: readonly FlowSpec['proto'][] = ['tcp', 'udp', 'icmp'];
const KIND: readonly FlowKind[] = ['connect', 'ping', 'traceroute'];
const VIEWS: readonly View[] = ['debug', 'compare', 'scale'];
const AXES: readonly CompareAxis[] = ['proxy', 'backend'];
const KNOWN = new Set(['cluster', 'proxy', 'backend', 'sched', 'seed', 'from', 'to', 'proto', 'kind', 'edit', 'step', 'speed', 'view', 'vs', 'vsa', 'vsb']);

/** The one wording of a bad-parameter message. */
export function badParam(name: string, value: string, expected: string): string {
  return `URL parameter "${name}" has a bad value "${value}" (expected ${expected}); using the default.`;
}

export function parseShare(search: string, defaults: { scenario: Scenario; flow: FlowSpec }): ParsedShare {
  const q = new URLSearchParams(search);
  const problems: string[] = [];
  const pick = <T extends string>(name: string, allowed: readonly T[]): T | undefined => {
    const v = q.get(name);
    if (v === null) return undefined;
    if ((allowed as readonly string[]).includes(v)) return v as T;
    problems.push(badParam(name, v, allowed.join(' or ')));
    return undefined;
  };
  const int = (name: string, min: number): number | undefined => {
    const v = q.get(name);
    if (v === null) return undefined;
    if (/^\d{1,9}$/.test(v) && Number(v) >= min) return Number(v);
    problems.push(badParam(name, v, `a whole number ≥ ${min}`));
    return undefined;
  };
  const text = (name: string): string | undefined => {
    const v = q.get(name);
    if (v === null) return undefined;
    if (v.trim() !== '' && v.length <= 200) return v.trim();
    problems.push(badParam(name, v, 'a pod, host or IP[:port]'));
    return undefined;
  };
  for (const k of new Set(q.keys())) if (!KNOWN.has(k)) problems.push(`URL parameter "${k}" is not known; ignored.`);

  const modes: Modes = { ...defaults.scenario.modes };
  const proxy = pick('proxy', PROXY);
  const backend = pick('backend', BACKEND);
  const scheduler = pick('sched', SCHED);
  const cluster = q.get('cluster');
  const edits = q.getAll('edit').filter((e) => {
    if (/^[^:\s]+:\s*\S/.test(e)) return true;
    problems.push(badParam('edit', e, '"host-or-pod: command"'));
    return false;
  });
  const scenario: Scenario = {
    ...defaults.scenario,
    ...(cluster !== null && cluster.trim() !== '' ? { preset: cluster.trim() } : {}),
    modes: { ...modes, ...(proxy ? { proxy } : {}), ...(backend ? { backend } : {}), ...(scheduler ? { scheduler } : {}) },
    seed: int('seed', 0) ?? defaults.scenario.seed,
    before: q.has('edit') ? edits : defaults.scenario.before,
  };
  const flow: FlowSpec = {
    from: text('from') ?? defaults.flow.from,
    to: text('to') ?? defaults.flow.to,
    proto: pick('proto', PROTO) ?? defaults.flow.proto,
    kind: pick('kind', KIND) ?? defaults.flow.kind,
  };
  const step = int('step', 1);
  const speed = q.get('speed');
  if (speed !== null && speed !== 'instant') problems.push(badParam('speed', speed, 'instant'));
  const view = pick('view', VIEWS) ?? 'debug';
  const compareAxis = pick('vs', AXES) ?? 'proxy';
  const compareBackends: [Backend, Backend] = [pick('vsa', BACKEND) ?? 'host-gw', pick('vsb', BACKEND) ?? 'vxlan'];
  return { scenario, flow, cursor: step === undefined ? 0 : step - 1, hasStep: step !== undefined, problems, instant: speed === 'instant', view, compareAxis, compareBackends };
}

/** The query string for a state; `keep` carries test-only parameters (`speed`) over. */
export function shareSearch(s: ShareState, keep?: URLSearchParams): string {
  const q = new URLSearchParams();
  if (s.scenario.preset) q.set('cluster', s.scenario.preset);
  if (s.scenario.modes.proxy) q.set('proxy', s.scenario.modes.proxy);
  if (s.scenario.modes.backend) q.set('backend', s.scenario.modes.backend);
  if (s.scenario.modes.scheduler) q.set('sched', s.scenario.modes.scheduler);
  q.set('seed', String(s.scenario.seed));
  q.set('from', s.flow.from);
  q.set('to', s.flow.to);
  q.set('proto', s.flow.proto);
  q.set('kind', s.flow.kind);
  for (const e of s.scenario.before) q.append('edit', e);
  q.set('step', String(s.cursor + 1));
  if (s.view && s.view !== 'debug') q.set('view', s.view);
  if (s.view === 'compare' && s.compareAxis) q.set('vs', s.compareAxis);
  if (s.view === 'compare' && s.compareAxis === 'backend' && s.compareBackends) {
    q.set('vsa', s.compareBackends[0]);
    q.set('vsb', s.compareBackends[1]);
  }
  const speed = keep?.get('speed');
  if (speed === 'instant') q.set('speed', speed);
  return `?${q.toString()}`;
}

/**
 * How the address bar moves from one share link to the next: a different flow, mode, cluster,
 * edit or view is a new place in the browser's history (`push`, so Back returns to it); the same
 * place at another step only replaces the entry (`replace`: Back does not walk the steps).
 */
export function historyAction(prev: string, next: string): 'push' | 'replace' | 'none' {
  if (prev === next) return 'none';
  const place = (search: string) => {
    const q = new URLSearchParams(search);
    q.delete('step');
    q.delete('speed');
    return q.toString();
  };
  return place(prev) === place(next) ? 'replace' : 'push';
}
