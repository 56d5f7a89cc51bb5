import type { Modes, ProxyMode, Result, SimRequest, SimResult } from './api-types.ts';
import { simulate } from './api.ts';
import { buildCluster } from './k8s/cluster.ts';
import { traceFlow } from './k8s/flows.ts';
import { parseCluster } from './k8s/spec.ts';
import { innerStart } from './net/edit.ts';
import { frameLength, headerLength } from './net/encode.ts';
import type { LayerType } from './net/packet.ts';

const HEADER_NAME: Partial<Record<LayerType, string>> = { ethernet: 'Ethernet', ipv4: 'IPv4', udp: 'UDP', vxlan: 'VXLAN' };
import { generateClusterYaml } from './scenarios/generate.ts';
import type { Trace } from './trace/event.ts';

/** The netfilter hooks one packet crossed on one host, in order (`(outer)` after encapsulation). */
export interface HookPath {
  readonly host: string;
  readonly hooks: readonly string[];
}

export interface ModeSummary {
  readonly modes: Required<Modes>;
  readonly verdict: string;
  readonly events: number;
  readonly hookPaths: readonly HookPath[];
  /**
   * the largest frame the request put on the LAN, and what that frame would have been without
   * the encapsulation (VXLAN, IPIP, flannel udp): the inner frame, or the inner packet in its own
   * Ethernet header
   */
  readonly wireBytes: number;
  readonly innerBytes: number;
  /** the headers the encapsulation added, as `IPv4 20`, `UDP 8`; empty without one */
  readonly encapHeaders: readonly string[];
  /** event kinds that occur in this trace and not in the other one */
  readonly onlyHere: readonly string[];
}

export interface Comparison {
  readonly a: ModeSummary;
  readonly b: ModeSummary;
  readonly resultA: SimResult;
  readonly resultB: SimResult;
}

/** Where the request went through netfilter, per host: PREROUTING → FORWARD → POSTROUTING, … */
export function hookPaths(t: Trace, packetId = 0): HookPath[] {
  const out: { host: string; hooks: string[] }[] = [];
  let last = '';
  for (const e of t.events) {
    if (e.packetId !== packetId || !e.hook) continue;
    const outer = innerStart(e.packet) >= 0;
    const hook = `${e.hook}${outer ? ' (outer)' : ''}`;
    let entry = out.at(-1);
    if (!entry || entry.host !== e.host) {
      entry = { host: e.host, hooks: [] };
      out.push(entry);
      last = '';
    }
    if (hook !== last) entry.hooks.push(hook);
    last = hook;
  }
  return out;
}

function summary(r: SimResult, other: SimResult): ModeSummary {
  const req = r.trace.events.filter((e) => e.packetId === 0);
  const wire = req.filter((e) => e.kind === 'wire');
  const wireBytes = Math.max(0, ...wire.map((e) => frameLength(e.packet)));
  const inner = wire.map((e) => e.packet).find((p) => innerStart(p) >= 0);
  // the outer Ethernet header is an addition only when the inner packet keeps its own (VXLAN)
  const added = inner ? inner.slice(inner[innerStart(inner)]?.type === 'ethernet' ? 0 : 1, innerStart(inner)) : [];
  const encapBytes = added.reduce((n, l) => n + headerLength(l), 0);
  const kinds = (x: SimResult) => new Set(x.trace.events.filter((e) => e.packetId === 0).map((e) => (e.dev ? `${e.kind} ${e.dev}` : e.kind)));
  const mine = kinds(r);
  const theirs = kinds(other);
  return {
    modes: r.modes,
    verdict: r.trace.verdict,
    events: r.trace.events.length,
    hookPaths: hookPaths(r.trace),
    wireBytes,
    innerBytes: wireBytes - encapBytes,
    encapHeaders: added.map((l) => `${HEADER_NAME[l.type] ?? l.type} ${headerLength(l)}`),
    onlyHere: [...mine].filter((k) => !theirs.has(k)).sort(),
  };
}

/** The same flow under two sets of modes, side by side (seed §5 and §6c). */
export function compare(req: SimRequest, modesB: Modes): Result<Comparison> {
  const a = simulate(req);
  if (!a.ok) return a;
  const b = simulate({ ...req, modes: { ...req.modes, ...modesB } });
  if (!b.ok) return b;
  return { ok: true, value: { a: summary(a.value, b.value), b: summary(b.value, a.value), resultA: a.value, resultB: b.value } };
}

export interface ScalePoint {
  readonly services: number;
  readonly endpointsPerService: number;
  readonly proxy: ProxyMode;
  /** all iptables rules on one node (every table) */
  readonly iptablesRules: number;
  readonly natRules: number;
  /** members of all ipsets (ipvs mode) */
  readonly ipsetEntries: number;
  /** IPVS virtual servers on the node */
  readonly virtualServers: number;
  /** netfilter rules that matched for one connection's first packet to the last service, on the client's node */
  readonly rulesMatched: number;
  /** netfilter rules evaluated (matched or not) for that packet on its node: its cost in chains */
  readonly rulesEvaluated: number;
}

/**
 * Memory a scale point takes per service endpoint, measured (`scale --endpoints 100` at 1,000
 * and 2,000 services: 1.5 and 2.5 GB resident): three nodes each hold the endpoint's
 * KUBE-SEP chain and rules (or its ipset members and IPVS real server) plus the restore
 * payload kube-proxy writes and parses.
 */
export const SCALE_BYTES_PER_ENDPOINT = 12_500;
/** The largest scale point built: 200,000 service endpoints, about 2.5 GB. */
export const SCALE_MAX_ENDPOINTS = 200_000;

/** Why a scale point is refused before any memory is spent on it, or undefined when it fits. */
export function scaleRefusal(services: number, endpoints: number): string | undefined {
  const total = services * endpoints;
  if (total <= SCALE_MAX_ENDPOINTS) return undefined;
  const gb = (n: number) => `${((n * SCALE_BYTES_PER_ENDPOINT) / 1e9).toFixed(1)} GB`;
  const fmt = (n: number) => n.toLocaleString('en-US');
  return `${fmt(services)} services × ${fmt(endpoints)} endpoints is ${fmt(total)} service endpoints (about ${fmt(services * (3 * endpoints + 2))} iptables rules on each of 3 nodes) and would need about ${gb(total)} of memory; this lab builds up to ${fmt(SCALE_MAX_ENDPOINTS)} (about ${gb(SCALE_MAX_ENDPOINTS)}) — use fewer services or endpoints`;
}

/**
 * Seed §5's growth argument, measured: kube-proxy programs a 3-node cluster with `services`
 * services of `endpoints` endpoints each, and we count what it wrote on a node (the same on
 * every node) and what one packet from a pod there to the last service costs.
 */
export function scalePoint(services: number, endpoints: number, proxy: ProxyMode): Result<ScalePoint> {
  const tooBig = scaleRefusal(services, endpoints);
  if (tooBig) return { ok: false, error: { code: 'SCALE_TOO_BIG', where: 'scale', message: tooBig } };
  const podsPerNode = Math.max(1, Math.ceil(Math.min(services * endpoints, 240) / 3));
  const spec = parseCluster(generateClusterYaml({ nodes: 3, podsPerNode, services, endpointsPerService: endpoints, proxy }));
  if (!spec.ok) return spec;
  const c = buildCluster(spec.value, { proxy }, 1);
  // measure on a node that holds none of the last service's endpoints, so every size takes the
  // same path (DNAT or IPVS, then off to another node) and only the table sizes differ
  const last = spec.value.services.at(-1)!;
  const endpointNodes = new Set(spec.value.endpointSlices.filter((sl) => sl.serviceName === last.name).flatMap((sl) => sl.endpoints.map((e) => e.nodeName)));
  const node = spec.value.nodes.find((n) => !endpointNodes.has(n.name)) ?? spec.value.nodes[0]!;
  const ns = c.nodes.get(node.name)!;
  const from = spec.value.pods.find((p) => p.nodeName === node.name) ?? spec.value.pods[0]!;
  const count = (t: Map<string, { rules: unknown[] }>) => [...t.values()].reduce((n, ch) => n + ch.rules.length, 0);
  const t = traceFlow(c, { from: from.name, to: `${last.clusterIP}:80`, proto: 'tcp', kind: 'connect' });
  if (!t.ok) return t;
  const matched = t.value.events.filter((e) => e.packetId === 0 && e.host === node.name && e.kind === 'rule').length;
  return {
    ok: true,
    value: {
      services,
      endpointsPerService: endpoints,
      proxy,
      iptablesRules: count(ns.nf.nat) + count(ns.nf.filter) + count(ns.nf.mangle) + count(ns.nf.raw),
      natRules: count(ns.nf.nat),
      ipsetEntries: [...ns.ipsets.values()].reduce((n, s) => n + s.entries.size, 0),
      virtualServers: ns.ipvs?.services.length ?? 0,
      rulesMatched: matched,
      rulesEvaluated: t.value.packets[0]!.rulesEvaluatedByHost[node.name] ?? 0,
    },
  };
}
