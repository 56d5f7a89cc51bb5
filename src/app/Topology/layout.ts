import type { Edge, Node } from '@xyflow/react';
import type { TopoDevice, TopoHost, TopoNamespace, Topology } from '../../sim/api-types.ts';
import { shortName } from '../store/describe.ts';

/**
 * A deterministic layout of a cluster topology for React Flow: the same topology and detail
 * always give the same picture, and no two boxes overlap for any number of hosts.
 *
 * Semantic zoom: a host is drawn at one of three levels of detail. `full` shows every namespace
 * and device; `path` (a host the packet crosses) shows them too, except that when it has more
 * than two pods the pods the packet does not visit fold into one list; `card` (a host off the
 * packet's path) is a small box with its name, addresses and device count. So the fitted view
 * stays readable on five or twenty nodes: what the packet crosses is large, the rest is a card.
 *
 * Picture: the Kubernetes hosts drawn in detail in a row above the LAN bars (more than four:
 * the rest below, mirrored); below the LAN the external hosts (gateway, client) and the cards,
 * in rows, each row shifted by half a card so that LAN links pass between the cards above. Inside
 * a host, top to bottom: its pods' namespaces (eth0), the root-namespace veth ends under their
 * pods, the bridge (cni0) spanning its ports, then enp0s1 / flannel.1 / kube-ipvs0 facing the
 * LAN. VXLAN tunnels run as dashed lanes between the VTEPs, just above the LAN they ride on.
 */

export const SIZE = {
  pad: 10,
  title: 50,
  devW: 160,
  /** a container's lo: its name and 127.0.0.1 */
  loW: 110,
  devH: 42,
  podTitle: 34,
  /** a Docker container namespace also lists its members and its network mode */
  containerTitle: 50,
  podW: 170,
  /** the folded pods of a host on the path: one line per pod */
  foldW: 190,
  foldLine: 17,
  gapX: 12,
  rowGap: 16,
  hostGap: 40,
  cardW: 178,
  cardH: 96,
  cardGap: 26,
  cardGapY: 24,
  barH: 28,
  barGap: 10,
  laneStep: 8,
  maxLanes: 8,
  /** where handles and the packet token sit on a device: this far in from its right edge */
  anchorInset: 20,
} as const;

/** How much of a host is drawn (see the module comment). */
export type HostDetail = 'full' | 'path' | 'card';

export type HostNodeData = { kind: 'host'; host: TopoHost; flipped: boolean; detail: HostDetail; devices: number; pods: number; label: string };
export type PodNodeData = { kind: 'pod'; host: string; ns: TopoNamespace; flipped: boolean };
export type DeviceNodeData = { kind: 'device'; host: string; netns: string; dev: TopoDevice; flipped: boolean };
export type FoldNodeData = { kind: 'fold'; host: string; pods: readonly { readonly name: string; readonly ip?: string }[] };
export type SegmentNodeData = { kind: 'segment'; name: string; cidr?: string };
export type TopoNodeData = HostNodeData | PodNodeData | DeviceNodeData | FoldNodeData | SegmentNodeData;
export type TopoNode = Node<TopoNodeData>;

export type TunnelEdgeData = { kind: 'tunnel'; laneY: number; vni?: number; label: string; hosts: readonly string[]; ips: readonly string[] };
export type LinkEdgeData = { kind: 'veth' | 'port' | 'lan'; segment?: string };
export type TopoEdgeData = TunnelEdgeData | LinkEdgeData;
export type TopoEdge = Edge<TopoEdgeData>;

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export interface TopologyLayout {
  /** parents before children, positions relative to the parent (React Flow sub flows) */
  readonly nodes: TopoNode[];
  readonly edges: TopoEdge[];
  /** absolute rectangle of every node, for the packet token and for tests */
  readonly rects: ReadonlyMap<string, Rect>;
  readonly width: number;
  readonly height: number;
}

export const hostId = (host: string) => `host:${host}`;
export const nsId = (host: string, ns: string) => `ns:${host}/${ns}`;
export const devId = (host: string, ns: string, dev: string) => `dev:${host}/${ns}/${dev}`;
export const segId = (name: string) => `seg:${name}`;
export const foldId = (host: string) => `fold:${host}`;

const isShown = (d: TopoDevice) => d.kind !== 'loopback';
const EXTERNAL = new Set<TopoHost['role']>(['gateway', 'client', 'router']);
/** More pods than this on a host on the path, and the ones the packet does not visit fold. */
const FOLD_OVER = 2;
/** At most this many hosts in detail above the LAN; the rest go below it, mirrored. */
const TOP_MAX = 4;

interface Placed {
  id: string;
  parent?: string;
  x: number;
  y: number;
  w: number;
  h: number;
  data: TopoNodeData;
  type: string;
  label: string;
}

interface HostBox {
  host: TopoHost;
  w: number;
  h: number;
  /** children relative to the host, already mirrored when flipped */
  children: Placed[];
  flipped: boolean;
  detail: HostDetail;
}

const KIND_WORD: Readonly<Record<TopoDevice['kind'], string>> = {
  nic: 'network interface',
  bridge: 'bridge',
  veth: 'veth',
  vxlan: 'VXLAN device',
  ipip: 'IPIP tunnel',
  tun: 'TUN device',
  dummy: 'dummy device',
  loopback: 'loopback',
};

/** What a screen reader says for a device: `master vethdda33cf5, veth, port of cni0`. */
export function deviceWords(host: string, ns: TopoNamespace | undefined, d: TopoDevice): string {
  const where = !ns || ns.kind === 'root' ? host : `${ns.kind} ${shortName(ns.name)}`;
  const addr = d.addrs[0] ? `, ${d.addrs.join(', ')}` : '';
  const port = d.master ? `, port of ${d.master}` : '';
  return `${where} ${d.name}, ${KIND_WORD[d.kind]}${addr}${port}${d.up || d.kind === 'dummy' ? '' : ', down'}`;
}

function hostCounts(host: TopoHost): { devices: number; pods: number } {
  let devices = 0;
  for (const ns of host.namespaces) devices += ns.devices.filter(isShown).length;
  return { devices, pods: host.namespaces.filter((n) => n.kind !== 'root').length };
}

function cardBox(host: TopoHost): HostBox {
  return { host, w: SIZE.cardW, h: SIZE.cardH, children: [], flipped: true, detail: 'card' };
}

/**
 * Lays out one host's insides; `flipped` mirrors it vertically so the NIC row faces up.
 * `onPath` names the pods the packet visits (they never fold).
 */
function layoutHost(host: TopoHost, flipped: boolean, detail: Exclude<HostDetail, 'card'>, onPath: ReadonlySet<string>): HostBox {
  const { pad, devW, devH, podW, gapX, rowGap, title } = SIZE;
  const hid = hostId(host.name);
  const root = host.namespaces.find((n) => n.kind === 'root');
  const all = host.namespaces.filter((n) => n.kind !== 'root');
  // Kubernetes pods fold; a Docker host's containers never do (their namespaces are the picture)
  const foldable = (n: TopoNamespace) => n.kind === 'pod' && !onPath.has(n.name);
  const fold = detail === 'path' && all.length > FOLD_OVER && all.some(foldable);
  const pods = fold ? all.filter((n) => !foldable(n)) : all;
  const folded = fold ? all.filter(foldable) : [];
  const podTitle = pods.some((n) => n.kind === 'container') ? SIZE.containerTitle : SIZE.podTitle;
  const hiddenDev = new Set(folded.flatMap((n) => n.devices.map((d) => `${n.name}/${d.name}`)));
  const rootDevs = (root?.devices ?? []).filter((d) => isShown(d) && !(d.peer && hiddenDev.has(`${d.peer.netns}/${d.peer.dev}`)));

  type Row = { h: number; items: Placed[] };
  const rows: Row[] = [];
  const device = (ns: TopoNamespace, d: TopoDevice, parent: string, x: number, y: number, w: number): Placed => ({
    id: devId(host.name, ns.name, d.name),
    parent,
    x,
    y,
    w,
    h: devH,
    data: { kind: 'device', host: host.name, netns: ns.name, dev: d, flipped },
    type: 'device',
    label: `Device ${deviceWords(host.name, ns, d)}`,
  });

  // pods' namespaces, then the folded ones as one list
  const podItems: Placed[] = [];
  const podCenter = new Map<string, number>();
  const podH = podTitle + devH + 10;
  let x = pad;
  for (const ns of pods) {
    // a container's lo is drawn: containers sharing a namespace (container mode, a pod) talk over it
    const devs = ns.devices.filter((d) => isShown(d) || ns.kind === 'container');
    const width = (d: TopoDevice) => (d.kind === 'loopback' ? SIZE.loW : devW);
    const span = devs.reduce((n, d) => n + width(d) + gapX, 0) - gapX;
    const w = Math.max(podW, span + 2 * 10);
    const id = nsId(host.name, ns.name);
    podItems.push({ id, parent: hid, x, y: 0, w, h: podH, data: { kind: 'pod', host: host.name, ns, flipped }, type: 'pod', label: `${ns.kind === 'container' ? 'Container' : 'Pod'} ${ns.name}${ns.ip ? ` ${ns.ip}` : ''} on ${host.name}` });
    let dx = (w - span) / 2;
    for (const d of devs) {
      podItems.push(device(ns, d, id, dx, flipped ? 10 : podTitle, width(d)));
      podCenter.set(`${ns.name}/${d.name}`, x + dx + width(d) / 2);
      dx += width(d) + gapX;
    }
    x += w + gapX;
  }
  if (folded.length) {
    const h = Math.max(podH, 26 + Math.min(folded.length, 4) * SIZE.foldLine);
    const list = folded.map((n) => ({ name: n.name, ...(n.ip ? { ip: n.ip } : {}) }));
    podItems.push({ id: foldId(host.name), parent: hid, x, y: 0, w: SIZE.foldW, h, data: { kind: 'fold', host: host.name, pods: list }, type: 'fold', label: `${folded.length} more pods on ${host.name}, not on the packet's path: ${list.map((p) => `${p.name}${p.ip ? ` ${p.ip}` : ''}`).join(', ')}` });
  }
  if (podItems.length) rows.push({ h: Math.max(...podItems.filter((p) => p.parent === hid).map((p) => p.h)), items: podItems });

  // root-namespace veth ends, each under its peer
  const veths = rootDevs.filter((d) => d.kind === 'veth');
  const vethItems: Placed[] = [];
  let nextFree = pad;
  const sorted = veths
    .map((d) => ({ d, cx: d.peer ? podCenter.get(`${d.peer.netns}/${d.peer.dev}`) : undefined }))
    .sort((a, b) => (a.cx ?? Infinity) - (b.cx ?? Infinity));
  for (const { d, cx } of sorted) {
    const want = cx === undefined ? nextFree : cx - devW / 2;
    const vx = Math.max(want, nextFree);
    vethItems.push(device(root!, d, hid, vx, 0, devW));
    nextFree = vx + devW + gapX;
  }
  if (vethItems.length) rows.push({ h: devH, items: vethItems });

  // bridges, spanning their ports
  const bridges = rootDevs.filter((d) => d.kind === 'bridge');
  const bridgeRows: Placed[] = [];
  let bx = pad;
  for (const b of bridges) {
    const ports = vethItems.filter((v) => v.data.kind === 'device' && v.data.dev.master === b.name);
    const from = ports.length ? Math.min(...ports.map((p) => p.x)) : bx;
    const to = ports.length ? Math.max(...ports.map((p) => p.x + p.w)) : bx + devW;
    const start = Math.max(from, bx);
    const w = Math.max(devW * 1.3, to - start);
    bridgeRows.push({ ...device(root!, b, hid, start, 0, w) });
    bx = start + w + gapX;
  }
  if (bridgeRows.length) rows.push({ h: devH, items: bridgeRows });

  // what faces the LAN: NICs first, then VTEPs and dummies
  const order: Record<TopoDevice['kind'], number> = { nic: 0, vxlan: 1, ipip: 1, tun: 1, dummy: 2, loopback: 3, bridge: 4, veth: 5 };
  const edge = rootDevs.filter((d) => d.kind !== 'veth' && d.kind !== 'bridge').sort((a, b) => order[a.kind] - order[b.kind]);
  const edgeItems: Placed[] = [];
  let ex = pad;
  for (const d of edge) {
    edgeItems.push(device(root!, d, hid, ex, 0, devW));
    ex += devW + gapX;
  }
  if (edgeItems.length) rows.push({ h: devH, items: edgeItems });

  const contentW = Math.max(SIZE.cardW - pad, ...rows.flatMap((r) => r.items.filter((i) => i.parent === hid).map((i) => i.x + i.w)));
  const w = contentW + pad;
  const h = title + rows.reduce((n, r) => n + r.h, 0) + rowGap * Math.max(0, rows.length - 1) + pad;

  // stack the rows; mirrored hosts put the NIC row first and the title last
  const order2 = flipped ? [...rows].reverse() : rows;
  let y = flipped ? pad : title;
  const children: Placed[] = [];
  for (const r of order2) {
    for (const it of r.items) children.push(it.parent === hid ? { ...it, y: flipped ? y : y + (r.h - it.h) } : it);
    y += r.h + rowGap;
  }
  return { host, w, h, children, flipped, detail };
}

export interface LayoutOptions {
  /** the level of detail of each host; hosts not named are drawn in full */
  readonly detail?: (host: TopoHost) => HostDetail;
  /** the namespaces the packet visits (`host/netns`): they never fold */
  readonly pathNs?: ReadonlySet<string>;
}

function hostWords(h: TopoHost, detail: HostDetail, c: { devices: number; pods: number }): string {
  const addr = [h.ip, h.podCIDR ? `pods ${h.podCIDR}` : ''].filter(Boolean).join(', ');
  const counts = `${c.devices} device${c.devices === 1 ? '' : 's'}${c.pods ? `, ${c.pods} pod${c.pods === 1 ? '' : 's'}` : ''}`;
  return `Host ${h.name}, ${h.role}${addr ? `, ${addr}` : ''}, ${counts}${detail === 'card' ? ', folded: not on the packet’s path' : ''}`;
}

/** Lays out a topology; see the module comment for the picture. */
export function layoutTopology(topo: Topology, opts: LayoutOptions = {}): TopologyLayout {
  const { hostGap, barH, barGap, laneStep, maxLanes, cardW, cardGapY } = SIZE;
  const detailOf = (h: TopoHost): HostDetail => opts.detail?.(h) ?? 'full';
  const onPath = (h: TopoHost) => new Set(h.namespaces.filter((n) => opts.pathNs?.has(`${h.name}/${n.name}`)).map((n) => n.name));
  const k8s = topo.hosts.filter((h) => !EXTERNAL.has(h.role) && detailOf(h) !== 'card');
  const ext = topo.hosts.filter((h) => EXTERNAL.has(h.role) && detailOf(h) !== 'card');
  const cards = topo.hosts.filter((h) => detailOf(h) === 'card');
  const topHosts = k8s.length > TOP_MAX ? k8s.slice(0, Math.ceil(k8s.length / 2)) : k8s;
  const bottomHosts = [...k8s.slice(topHosts.length), ...ext];

  const top = topHosts.map((h) => layoutHost(h, false, detailOf(h) as 'full' | 'path', onPath(h)));
  const bottom = bottomHosts.map((h) => layoutHost(h, true, detailOf(h) as 'full' | 'path', onPath(h)));
  const gapAfter = (b: HostBox) => (b.detail === 'card' ? SIZE.cardGap : hostGap);
  const rowWidth = (r: HostBox[]) => r.reduce((n, b, i) => n + b.w + (i < r.length - 1 ? gapAfter(b) : 0), 0);
  // cards in rows about as wide as the hosts above (at least six: a wide pane fits them), and
  // never one long line
  const perRow = Math.max(6, Math.floor((rowWidth(top) + SIZE.cardGap) / (cardW + SIZE.cardGap)), Math.ceil(Math.sqrt(cards.length * 2.5)));
  const cardRows: HostBox[][] = [];
  const firstRow = bottom.length ? Math.max(0, perRow - Math.ceil(rowWidth(bottom) / (cardW + SIZE.cardGap))) : perRow;
  let rest = cards.map(cardBox);
  if (bottom.length || firstRow > 0) {
    bottom.push(...rest.slice(0, firstRow));
    rest = rest.slice(firstRow);
  }
  while (rest.length) {
    cardRows.push(rest.slice(0, perRow));
    rest = rest.slice(perRow);
  }
  const width = Math.max(rowWidth(top), rowWidth(bottom), ...cardRows.map((r) => rowWidth(r) + (cardW + SIZE.cardGap) / 2), 400);
  const topH = Math.max(0, ...top.map((b) => b.h));

  // tunnels: one lane per unordered pair of hosts whose VTEPs are drawn
  const onTop = new Set(topHosts.map((h) => h.name));
  const drawn = new Set([...topHosts, ...bottomHosts].map((h) => h.name));
  const pairs: { a: string; b: string; dev: string; devB: string; vni?: number; label: string }[] = [];
  const seen = new Set<string>();
  for (const t of topo.tunnels) {
    const [a, b] = [t.fromHost, t.toHost].sort() as [string, string];
    const key = `${a}|${b}`;
    if (seen.has(key) || a === b || !drawn.has(a) || !drawn.has(b)) continue;
    seen.add(key);
    const back = topo.tunnels.find((u) => u.fromHost === t.toHost && u.toHost === t.fromHost);
    const devA = a === t.fromHost ? t.dev : (back?.dev ?? t.dev);
    const devB = b === t.toHost ? (back?.dev ?? t.dev) : t.dev;
    // the overlay's own name: VXLAN with its VNI, IPIP (protocol 4), flanneld's UDP
    const label = t.kind === 'ipip' ? 'IPIP' : t.kind === 'udp' ? 'flannel udp' : `VXLAN ${t.vni ?? ''}`;
    pairs.push({ a, b, dev: devA, devB, vni: t.vni, label });
  }
  const topLanes = Math.min(maxLanes, pairs.filter((p) => onTop.has(p.a) || onTop.has(p.b)).length);
  const bottomLanes = Math.min(maxLanes, pairs.filter((p) => !onTop.has(p.a) && !onTop.has(p.b)).length);
  const spaceAbove = (top.length ? 30 : 0) + topLanes * laneStep;
  const spaceBelow = 30 + bottomLanes * laneStep;

  const segments = topo.segments;
  const barY0 = topH + spaceAbove;
  const barYs = segments.map((_, i) => barY0 + i * (barH + barGap));
  const bottomY = (barYs.length ? barYs[barYs.length - 1]! + barH : barY0) + spaceBelow;

  const placed: Placed[] = [];
  const counts = new Map(topo.hosts.map((h) => [h.name, hostCounts(h)]));
  const place = (row: HostBox[], alignBottom: boolean, rowY: number, shift = 0) => {
    let x = (width - rowWidth(row)) / 2 + shift;
    for (const b of row) {
      const y = alignBottom ? rowY + (topH - b.h) : rowY;
      const c = counts.get(b.host.name)!;
      const label = hostWords(b.host, b.detail, c);
      placed.push({ id: hostId(b.host.name), x, y, w: b.w, h: b.h, data: { kind: 'host', host: b.host, flipped: b.flipped, detail: b.detail, ...c, label }, type: 'host', label });
      placed.push(...b.children);
      x += b.w + gapAfter(b);
    }
  };
  place(top, true, 0);
  place(bottom, false, bottomY);
  let rowY = bottomY + Math.max(0, ...bottom.map((b) => b.h)) + cardGapY;
  cardRows.forEach((row, i) => {
    // every other row shifted by half a card: the LAN links of a row pass between the cards above
    place(row, false, rowY, i % 2 === (bottom.length ? 0 : 1) ? (cardW + SIZE.cardGap) / 2 : 0);
    rowY += SIZE.cardH + cardGapY;
  });
  segments.forEach((s, i) => {
    placed.push({ id: segId(s.name), x: -20, y: barYs[i]!, w: width + 40, h: barH, data: { kind: 'segment', name: s.name, ...(s.cidr ? { cidr: s.cidr } : {}) }, type: 'segment', label: `LAN ${s.name}${s.cidr ? ` ${s.cidr}` : ''}, ${s.members.length} machines plugged in` });
  });

  // absolute rectangles
  const byId = new Map(placed.map((p) => [p.id, p]));
  const rects = new Map<string, Rect>();
  const abs = (p: Placed): Rect => {
    const got = rects.get(p.id);
    if (got) return got;
    const parent = p.parent ? byId.get(p.parent) : undefined;
    const pr = parent ? abs(parent) : { x: 0, y: 0, w: 0, h: 0 };
    const r = { x: pr.x + p.x, y: pr.y + p.y, w: p.w, h: p.h };
    rects.set(p.id, r);
    return r;
  };
  placed.forEach(abs);

  const nodes: TopoNode[] = placed.map((p) => ({
    id: p.id,
    type: p.type,
    position: { x: p.x, y: p.y },
    width: p.w,
    height: p.h,
    data: p.data,
    ...(p.parent ? { parentId: p.parent, extent: 'parent' as const } : {}),
    draggable: false,
    selectable: false,
    focusable: false,
    ariaLabel: p.label,
    zIndex: p.type === 'host' ? 0 : p.type === 'pod' || p.type === 'fold' ? 1 : p.type === 'segment' ? 0 : 2,
  }));

  const edges: TopoEdge[] = [];
  const flippedHost = new Set([...bottomHosts.map((h) => h.name), ...cards.map((h) => h.name)]);
  const faceDown = new Set(topo.hosts.filter((h) => !flippedHost.has(h.name)).map((h) => h.name));
  const link = (e: Omit<TopoEdge, 'focusable'>) => edges.push({ ...e, focusable: false });
  for (const h of topo.hosts) {
    const down = faceDown.has(h.name);
    const nsOf = new Map(h.namespaces.map((n) => [n.name, n]));
    for (const ns of h.namespaces) {
      for (const d of ns.devices) {
        const id = devId(h.name, ns.name, d.name);
        if (!rects.has(id)) continue;
        // veth pair: drawn once, from the pod end
        if (d.kind === 'veth' && d.peer && ns.kind !== 'root') {
          const peer = devId(h.name, d.peer.netns, d.peer.dev);
          if (rects.has(peer)) {
            link({ id: `veth:${id}`, source: id, target: peer, sourceHandle: down ? 'b' : 't', targetHandle: down ? 't' : 'b', type: 'straight', className: 'edge-veth', data: { kind: 'veth' }, ariaLabel: `veth pair: ${h.name} ${d.peer.dev} ↔ ${ns.kind} ${shortName(ns.name)} ${d.name}` });
          }
        }
        if (d.master) {
          const br = devId(h.name, ns.name, d.master);
          if (rects.has(br)) link({ id: `port:${id}`, source: id, target: br, sourceHandle: down ? 'b' : 't', targetHandle: down ? 't' : 'b', type: 'drop', className: 'edge-port', data: { kind: 'port' }, ariaLabel: `bridge port: ${h.name} ${d.name} on ${d.master}${d.peer ? ` (to ${(nsOf.get(d.peer.netns)?.kind ?? 'pod')} ${shortName(d.peer.netns)})` : ''}` });
        }
      }
    }
  }
  for (const s of segments) {
    const linked = new Set<string>();
    for (const m of s.members) {
      const dev = devId(m.host, 'root', m.dev);
      const id = rects.has(dev) ? dev : hostId(m.host);
      if (!rects.has(id) || linked.has(id)) continue;
      linked.add(id);
      const down = faceDown.has(m.host);
      const ip = topo.hosts.find((h) => h.name === m.host)?.namespaces.find((n) => n.kind === 'root')?.devices.find((d) => d.name === m.dev)?.addrs[0];
      link({ id: `lan:${s.name}:${id}`, source: id, target: segId(s.name), sourceHandle: down ? 'b' : 't', targetHandle: down ? 't' : 'b', type: 'drop', className: 'edge-lan', data: { kind: 'lan', segment: s.name }, ariaLabel: `LAN link: ${m.host} ${m.dev}${ip ? ` ${ip}` : ''} on LAN ${s.name}` });
    }
  }
  let laneTop = 0;
  let laneBottom = 0;
  for (const p of pairs) {
    const a = devId(p.a, 'root', p.dev);
    const b = devId(p.b, 'root', p.devB);
    if (!rects.has(a) || !rects.has(b)) continue;
    const upper = onTop.has(p.a) || onTop.has(p.b);
    const laneY = upper ? topH + 16 + (laneTop++ % maxLanes) * laneStep : bottomY - 16 - (laneBottom++ % maxLanes) * laneStep;
    link({
      id: `tun:${p.a}|${p.b}`,
      source: a,
      target: b,
      sourceHandle: faceDown.has(p.a) ? 'b' : 't',
      targetHandle: faceDown.has(p.b) ? 'b' : 't',
      type: 'tunnel',
      className: 'edge-tunnel',
      data: { kind: 'tunnel', laneY, vni: p.vni, label: p.label, hosts: [p.a, p.b], ips: [p.a, p.b].map((n) => topo.hosts.find((h) => h.name === n)?.ip ?? '') },
      ariaLabel: `${p.label.startsWith('VXLAN') ? `VXLAN tunnel, VNI ${p.vni}` : `${p.label} tunnel`}: ${p.a} ${p.dev} ↔ ${p.b} ${p.devB}`,
    });
  }

  const allRects = [...rects.values()];
  const height = Math.max(...allRects.map((r) => r.y + r.h), 0);
  return { nodes, edges, rects, width, height };
}

/**
 * The default level of detail: hosts the trace crosses in detail, the others as cards — unless
 * the cluster is small enough (three hosts or fewer) to show every host in full.
 */
export function defaultDetail(topo: Topology, pathHosts: ReadonlySet<string>): (h: TopoHost) => HostDetail {
  if (topo.hosts.length <= 3) return () => 'full';
  return (h) => (pathHosts.has(h.name) ? 'path' : 'card');
}
