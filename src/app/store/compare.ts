import { cniOf, type Backend, type FlowSpec, type Modes, type SimRequest, type Topology } from '../../sim/api-types.ts';
import type { HookPath } from '../../sim/compare.ts';
import type { TraceEvent } from '../../sim/trace/event.ts';
import { requestOf, type CompareAxis, type Store } from './store.ts';

/**
 * The comparison view's pure parts: which two mode sets it runs, how two traces line up (by
 * host, then step by step), and which hooks differ. The worker computes both traces; everything
 * here follows from them.
 */

/** The two sides of an axis (A left, B right): iptables vs ipvs, or the two datapaths picked. */
export function compareSides(axis: CompareAxis, backends: readonly [Backend, Backend]): readonly [Modes, Modes] {
  return axis === 'proxy' ? [{ proxy: 'iptables' }, { proxy: 'ipvs' }] : [{ backend: backends[0] }, { backend: backends[1] }];
}

export const AXIS_LABEL: Readonly<Record<CompareAxis, string>> = {
  proxy: 'kube-proxy: iptables vs ipvs',
  backend: 'network: any two datapaths',
};

/** Side A's request (the current scenario and flow, the axis set to A) and side B's modes. */
export function compareRequest(s: Pick<Store, 'scenario' | 'flow' | 'compareAxis' | 'compareBackends'>): { req: SimRequest; modesB: Modes } {
  const [a, b] = compareSides(s.compareAxis, s.compareBackends);
  const base = requestOf(s);
  return { req: { ...base, modes: { ...base.modes, ...a } }, modesB: b };
}

/** Side B's full request. */
export function sideB(req: SimRequest, modesB: Modes): SimRequest {
  return { ...req, modes: { ...req.modes, ...modesB } };
}

/** The modes in words for a column head: `ipvs (sh)`, `flannel vxlan`, `calico ipip`. */
export function sideLabel(axis: CompareAxis, modes: Required<Modes>): string {
  return axis === 'proxy' ? (modes.proxy === 'ipvs' ? `ipvs (${modes.scheduler})` : 'iptables') : `${cniOf(modes.backend)} ${modes.backend}`;
}

// ---------------------------------------------------------------------------------------------
// Alignment

/**
 * A longest-common-subsequence alignment of two sequences: pairs of indices, `-1` where one
 * side has nothing opposite. Sizes here are a trace (≤ a few hundred), so O(n·m) is fine.
 */
export function align<T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean): [number, number][] {
  const n = a.length;
  const m = b.length;
  const w = m + 1;
  const len = new Uint16Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      len[i * w + j] = same(a[i]!, b[j]!) ? len[(i + 1) * w + j + 1]! + 1 : Math.max(len[(i + 1) * w + j]!, len[i * w + j + 1]!);
    }
  }
  const out: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && same(a[i]!, b[j]!)) out.push([i++, j++]);
    else if (j >= m || (i < n && len[(i + 1) * w + j]! >= len[i * w + j + 1]!)) out.push([i++, -1]);
    else out.push([-1, j++]);
  }
  return out;
}

/**
 * `align`, then the unmatched stretches between two matches zipped pairwise: when side A's
 * packet ends at node1 and side B's at node2 (kube-proxy picked another endpoint), the two
 * hosts face each other instead of sitting on separate rows.
 */
export function alignZipped<T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean): [number, number][] {
  const pairs = align(a, b, same);
  const out: [number, number][] = [];
  let k = 0;
  while (k < pairs.length) {
    if (pairs[k]![0] >= 0 && pairs[k]![1] >= 0) {
      out.push(pairs[k++]!);
      continue;
    }
    const onlyA: number[] = [];
    const onlyB: number[] = [];
    for (; k < pairs.length && (pairs[k]![0] < 0 || pairs[k]![1] < 0); k++) {
      const [i, j] = pairs[k]!;
      if (i >= 0) onlyA.push(i);
      else onlyB.push(j);
    }
    for (let z = 0; z < Math.max(onlyA.length, onlyB.length); z++) out.push([onlyA[z] ?? -1, onlyB[z] ?? -1]);
  }
  return out;
}

export interface HookRow {
  /** the host both sides cross here, or `node1 / node2` when each side crosses its own */
  readonly host: string;
  /** each side's hooks at this host, `differs` where the other side has no counterpart */
  readonly a: readonly { readonly hook: string; readonly differs: boolean }[] | null;
  readonly b: readonly { readonly hook: string; readonly differs: boolean }[] | null;
}

/**
 * The hook paths of both sides lined up by host (in the order the packet meets them), each
 * hook marked where the other side's path at that host differs: PREROUTING → FORWARD →
 * POSTROUTING against PREROUTING → INPUT → OUTPUT marks FORWARD/POSTROUTING and INPUT/OUTPUT.
 */
export function hookRows(a: readonly HookPath[], b: readonly HookPath[]): HookRow[] {
  return alignZipped(a, b, (x, y) => x.host === y.host).map(([i, j]) => {
    const pa = i >= 0 ? a[i]! : undefined;
    const pb = j >= 0 ? b[j]! : undefined;
    if (!pa || !pb) {
      const p = (pa ?? pb)!;
      const marks = p.hooks.map((hook) => ({ hook, differs: true }));
      return { host: p.host, a: pa ? marks : null, b: pb ? marks : null };
    }
    const pairs = align(pa.hooks, pb.hooks, (x, y) => x === y);
    return {
      host: pa.host === pb.host ? pa.host : `${pa.host} / ${pb.host}`,
      a: pairs.filter(([x]) => x >= 0).map(([x, y]) => ({ hook: pa.hooks[x]!, differs: y < 0 })),
      b: pairs.filter(([, y]) => y >= 0).map(([x, y]) => ({ hook: pb.hooks[y]!, differs: x < 0 })),
    };
  });
}

/** One line of the step columns: a host heading, or a step on either side or both. */
export type StepRow =
  | { readonly type: 'host'; readonly host: string; readonly packetId: number; readonly sides: 'both' | 'a' | 'b' }
  /** each side at its own host at the same point of the path (another endpoint's node) */
  | { readonly type: 'hosts'; readonly hostA: string; readonly hostB: string; readonly packetId: number }
  | { readonly type: 'step'; readonly a: number; readonly b: number };

/**
 * What a step is, without what differs between two runs by chance (the endpoint pod, its veth,
 * its KUBE-SEP chain) or what the view shows as a changed result (the route a lookup found).
 */
export function stepSignature(e: TraceEvent): string {
  const norm = (x: string | undefined) => (x ?? '').replace(/^veth[0-9a-f]+$/, 'veth*').replace(/^(KUBE-SEP-|KUBE-SVC-|KUBE-FW-|KUBE-XLB-)[A-Z0-9]+$/, '$1*');
  // a route lookup is the same step whichever device it answers with (enp0s1 for host-gw, flannel.1 for vxlan)
  const dev = e.kind === 'route' ? '' : norm(e.dev);
  return [e.kind, e.netns === 'root' ? 'root' : 'ns', dev, e.hook ?? '', e.ref?.nfTable ?? '', norm(e.ref?.chain)].join('|');
}

interface Run {
  readonly host: string;
  readonly packetId: number;
  /** indices into the trace's events */
  readonly events: number[];
}

function runs(events: readonly TraceEvent[], keep: (e: TraceEvent) => boolean): Run[] {
  const out: Run[] = [];
  events.forEach((e, i) => {
    if (!keep(e)) return;
    const last = out.at(-1);
    if (last && last.host === e.host && last.packetId === e.packetId) last.events.push(i);
    else out.push({ host: e.host, packetId: e.packetId, events: [i] });
  });
  return out;
}

/**
 * Two traces as two columns aligned by host: the hosts each packet visits are matched first
 * (so node1 faces node1), then the steps at each host. A step with `-1` opposite is one only
 * that side takes.
 */
export function stepRows(a: readonly TraceEvent[], b: readonly TraceEvent[], packetId: number | 'all'): StepRow[] {
  const keep = (e: TraceEvent) => packetId === 'all' || e.packetId === packetId;
  const ra = runs(a, keep);
  const rb = runs(b, keep);
  const sigA = a.map(stepSignature);
  const sigB = b.map(stepSignature);
  const rows: StepRow[] = [];
  for (const [i, j] of alignZipped(ra, rb, (x, y) => x.host === y.host && x.packetId === y.packetId)) {
    let xa = i >= 0 ? ra[i]! : undefined;
    let xb = j >= 0 ? rb[j]! : undefined;
    if (xa && xb && xa.packetId !== xb.packetId) {
      // zipped across packets: not the same moment of the flow, keep them apart
      pushRun(rows, xa, undefined, sigA, sigB);
      xa = undefined;
    }
    pushRun(rows, xa, xb, sigA, sigB);
  }
  return rows;
}

/** A host heading and the steps of one run per side there, matched by what each step is. */
function pushRun(rows: StepRow[], xa: Run | undefined, xb: Run | undefined, sigA: readonly string[], sigB: readonly string[]): void {
  const head = (xa ?? xb)!;
  if (xa && xb && xa.host !== xb.host) rows.push({ type: 'hosts', hostA: xa.host, hostB: xb.host, packetId: head.packetId });
  else rows.push({ type: 'host', host: head.host, packetId: head.packetId, sides: xa && xb ? 'both' : xa ? 'a' : 'b' });
  const ea = xa?.events ?? [];
  const eb = xb?.events ?? [];
  for (const [p, q] of align(ea, eb, (x, y) => sigA[x] === sigB[y])) rows.push({ type: 'step', a: p >= 0 ? ea[p]! : -1, b: q >= 0 ? eb[q]! : -1 });
}

// ---------------------------------------------------------------------------------------------
// The L2 requirement demo

/**
 * A pod on a node that shares no L2 segment with the flow's source host: the pod host-gw
 * cannot reach (its next hop would be off-link) and vxlan can (UDP routes through the gateway).
 */
export function podBehindRouter(topo: Topology, from: string): { host: string; pod: string; ip: string } | undefined {
  const src = topo.hosts.find((h) => h.name === from || h.namespaces.some((n) => n.name === from));
  if (!src) return undefined;
  const segmentsOf = (host: string) => new Set(topo.segments.filter((s) => s.members.some((m) => m.host === host)).map((s) => s.name));
  const mine = segmentsOf(src.name);
  for (const h of topo.hosts) {
    if (h === src || (h.role !== 'node' && h.role !== 'master')) continue;
    if ([...segmentsOf(h.name)].some((s) => mine.has(s))) continue;
    const pod = h.namespaces.find((n) => n.kind === 'pod' && n.ip);
    if (pod?.ip) return { host: h.name, pod: pod.name, ip: pod.ip };
  }
  return undefined;
}

/** `pod → 10.42.2.6:80`: the flow to that pod on the port the cluster's pod flows use. */
export function flowTo(base: FlowSpec, ip: string): FlowSpec {
  const port = /:(\d+)$/.exec(base.to)?.[1];
  return { from: base.from, to: port ? `${ip}:${port}` : ip, proto: base.proto, kind: base.kind };
}
