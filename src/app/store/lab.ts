import type { FlowKind, FlowSpec, IpvsScheduler, Modes, Scenario } from '../../sim/api-types.ts';
import type { View } from './store.ts';

/**
 * "Save lab" / "Open lab": one JSON file with everything a trace is computed from and where the
 * user was in it — the cluster (a file's text or a built-in's name), the LAN, the modes, the
 * seed, the edits, the flow, the step and the view. Opening it restores that exact step. Every
 * field is checked on the way in; a bad one is named.
 */
export interface Lab {
  readonly scenario: Scenario;
  readonly flow: FlowSpec;
  /** 0-based cursor (the file says `step`, 1-based, as the UI counts) */
  readonly cursor: number;
  readonly view: View;
  /** the name the cluster file had */
  readonly clusterName?: string;
}

export const LAB_KIND = 'KubePacketLab';

export function labFile(lab: Lab): string {
  const s = lab.scenario;
  return `${JSON.stringify(
    {
      kind: LAB_KIND,
      version: 1,
      ...(s.cluster !== undefined ? { cluster: s.cluster, ...(lab.clusterName ? { clusterName: lab.clusterName } : {}) } : { preset: s.preset ?? 'seed' }),
      ...(s.lan ? { lan: s.lan } : {}),
      modes: s.modes,
      seed: s.seed,
      edits: s.before,
      flow: lab.flow,
      step: lab.cursor + 1,
      view: lab.view,
    },
    null,
    2,
  )}\n`;
}

/** A file that says it is a lab (so a drop or a pick knows to restore rather than import it). */
export function looksLikeLab(text: string): boolean {
  return /^\s*\{/.test(text) && text.slice(0, 2000).includes(`"${LAB_KIND}"`);
}

const PROXY = ['iptables', 'ipvs'];
const BACKEND = ['vxlan', 'host-gw'];
const SCHED: readonly IpvsScheduler[] = ['rr', 'wrr', 'lc', 'sh', 'dh', 'mh'];
const PROTO = ['tcp', 'udp', 'icmp'];
const KIND: readonly FlowKind[] = ['connect', 'ping', 'traceroute'];
const VIEWS: readonly View[] = ['debug', 'compare', 'scale'];

export function parseLab(text: string): { ok: true; value: Lab } | { ok: false; error: string } {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `the lab file is not valid JSON: ${(e as Error).message.slice(0, 160)}` };
  }
  const bad = (field: string, want: string) => ({ ok: false as const, error: `lab file: "${field}" ${want}` });
  if (typeof o !== 'object' || o === null || (o as { kind?: unknown }).kind !== LAB_KIND) return bad('kind', `must be "${LAB_KIND}"`);
  const l = o as Record<string, unknown>;
  if (l.version !== 1) return bad('version', 'must be 1 (a lab saved by this version of kube-packet-lab)');
  const str = (v: unknown) => typeof v === 'string';
  if (l.cluster !== undefined && !str(l.cluster)) return bad('cluster', 'must be the cluster file\'s text');
  if (l.cluster === undefined && !str(l.preset)) return bad('preset', 'must name a built-in cluster when there is no "cluster"');
  if (l.lan !== undefined && !(str(l.lan) && /^[\d./,]{9,200}$/.test(l.lan as string))) return bad('lan', 'must be a CIDR like 192.168.56.0/24');
  const modes = (l.modes ?? {}) as Record<string, unknown>;
  if (typeof modes !== 'object' || Array.isArray(modes)) return bad('modes', 'must be an object');
  if (modes.proxy !== undefined && !PROXY.includes(modes.proxy as string)) return bad('modes.proxy', `must be ${PROXY.join(' or ')}`);
  if (modes.backend !== undefined && !BACKEND.includes(modes.backend as string)) return bad('modes.backend', `must be ${BACKEND.join(' or ')}`);
  if (modes.scheduler !== undefined && !SCHED.includes(modes.scheduler as IpvsScheduler)) return bad('modes.scheduler', `must be one of ${SCHED.join(', ')}`);
  if (!Number.isInteger(l.seed) || (l.seed as number) < 0) return bad('seed', 'must be a whole number ≥ 0');
  if (!Array.isArray(l.edits) || l.edits.length > 500 || !l.edits.every((e) => str(e) && /^[^:\s]+:\s*\S/.test(e))) return bad('edits', 'must be a list (at most 500) of "host-or-pod: command"');
  const f = l.flow as Record<string, unknown> | undefined;
  if (!f || !str(f.from) || !str(f.to) || !PROTO.includes(f.proto as string) || !KIND.includes(f.kind as FlowKind)) return bad('flow', 'must be {from, to, proto: tcp|udp|icmp, kind: connect|ping|traceroute}');
  if (!Number.isInteger(l.step) || (l.step as number) < 1) return bad('step', 'must be a whole number ≥ 1');
  const view = (l.view ?? 'debug') as View;
  if (!VIEWS.includes(view)) return bad('view', `must be ${VIEWS.join(', ')}`);
  const m: { -readonly [K in keyof Modes]: Modes[K] } = {};
  if (modes.proxy) m.proxy = modes.proxy as Modes['proxy'];
  if (modes.backend) m.backend = modes.backend as Modes['backend'];
  if (modes.scheduler) m.scheduler = modes.scheduler as IpvsScheduler;
  const scenario: Scenario = {
    ...(l.cluster !== undefined ? { cluster: l.cluster as string } : { preset: l.preset as string }),
    ...(l.lan ? { lan: l.lan as string } : {}),
    modes: m,
    seed: l.seed as number,
    before: l.edits as string[],
  };
  const flow: FlowSpec = { from: f.from as string, to: f.to as string, proto: f.proto as FlowSpec['proto'], kind: f.kind as FlowKind, ...(Number.isInteger(f.size) ? { size: f.size as number } : {}) };
  return { ok: true, value: { scenario, flow, cursor: (l.step as number) - 1, view, ...(str(l.clusterName) ? { clusterName: l.clusterName as string } : {}) } };
}
