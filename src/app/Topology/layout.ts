import type { Edge, Node } from '@xyflow/react';
import type { TopoDevice, TopoHost, TopoNamespace, Topology } from '../../sim/api-types.ts';

/**
 * A deterministic layout of a cluster topology for React Flow: the same topology always gives
 * the same picture, and no two boxes overlap for any number of hosts.
 *
 * Picture: Kubernetes hosts in a row above the LAN bar (more than five: two rows, the second one
 * below the LAN, mirrored), the gateway and the external client below the LAN. Inside a host,
 * top to bottom: its pods' namespaces (eth0), the root-namespace veth ends under their pods, the
 * bridge (cni0) spanning its ports, then enp0s1 / flannel.1 / kube-ipvs0 facing the LAN. VXLAN
 * tunnels run as dashed lanes between the VTEPs, just above the LAN they ride on.
 */

export const SIZE = {
  pad: 14,
  title: 52,
  devW: 150,
  /** a container's lo: its name and 127.0.0.1 */
  loW: 104,
  devH: 40,
  podTitle: 34,
  /** a Docker container namespace also lists its members and its network mode */
  containerTitle: 50,
  podW: 170,
  gapX: 14,
  rowGap: 28,
  hostGap: 56,
  barH: 30,
  laneStep: 9,
  maxLanes: 8,
} as const;

export type HostNodeData = { kind: 'host'; host: TopoHost; flipped: boolean };
export type PodNodeData = { kind: 'pod'; host: string; ns: TopoNamespace; flipped: boolean };
export type DeviceNodeData = { kind: 'device'; host: string; netns: string; dev: TopoDevice; flipped: boolean };
export type SegmentNodeData = { kind: 'segment'; name: string; cidr?: string };
export type TopoNodeData = HostNodeData | PodNodeData | DeviceNodeData | SegmentNodeData;
export type TopoNode = Node<TopoNodeData>;

export type TunnelEdgeData = { kind: 'tunnel'; laneY: number; vni?: number; label: string; hosts: readonly string[]; ips: readonly string[] };
export type LinkEdgeData = { kind: 'veth' | 'port' | 'lan' };
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

const isShown = (d: TopoDevice) => d.kind !== 'loopback';
const EXTERNAL = new Set<TopoHost['role']>(['gateway', 'client']);

interface Placed {
  id: string;
  parent?: string;
  x: number;
  y: number;
  w: number;
  h: number;
  data: TopoNodeData;
  type: string;
}

interface HostBox {
  host: TopoHost;
  w: number;
  h: number;
  /** children relative to the host, already mirrored when flipped */
  children: Placed[];
  flipped: boolean;
}

/** Lays out one host's insides; `flipped` mirrors it vertically so the NIC row faces up. */
function layoutHost(host: TopoHost, flipped: boolean): HostBox {
  const { pad, devW, devH, podW, gapX, rowGap, title } = SIZE;
  const hid = hostId(host.name);
  const root = host.namespaces.find((n) => n.kind === 'root');
  const pods = host.namespaces.filter((n) => n.kind !== 'root');
  const podTitle = pods.some((n) => n.kind === 'container') ? SIZE.containerTitle : SIZE.podTitle;
  const rootDevs = (root?.devices ?? []).filter(isShown);

  type Row = { h: number; items: Placed[] };
  const rows: Row[] = [];

  // pods' namespaces
  const podItems: Placed[] = [];
  const podCenter = new Map<string, number>();
  let x = pad;
  for (const ns of pods) {
    // a container's lo is drawn: containers sharing a namespace (container mode, a pod) talk over it
    const devs = ns.devices.filter((d) => isShown(d) || ns.kind === 'container');
    const width = (d: TopoDevice) => (d.kind === 'loopback' ? SIZE.loW : devW);
    const span = devs.reduce((n, d) => n + width(d) + gapX, 0) - gapX;
    const w = Math.max(podW, span + 2 * 10);
    const id = nsId(host.name, ns.name);
    const pod: Placed = { id, parent: hid, x, y: 0, w, h: podTitle + devH + 10, data: { kind: 'pod', host: host.name, ns, flipped }, type: 'pod' };
    podItems.push(pod);
    let dx = (w - span) / 2;
    for (const d of devs) {
      podItems.push({
        id: devId(host.name, ns.name, d.name),
        parent: id,
        x: dx,
        y: flipped ? 10 : podTitle,
        w: width(d),
        h: devH,
        data: { kind: 'device', host: host.name, netns: ns.name, dev: d, flipped },
        type: 'device',
      });
      podCenter.set(`${ns.name}/${d.name}`, x + dx + width(d) / 2);
      dx += width(d) + gapX;
    }
    x += w + gapX;
  }
  if (pods.length) rows.push({ h: podTitle + devH + 10, items: podItems });

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
    vethItems.push({ id: devId(host.name, 'root', d.name), parent: hid, x: vx, y: 0, w: devW, h: devH, data: { kind: 'device', host: host.name, netns: 'root', dev: d, flipped }, type: 'device' });
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
    const w = Math.max(devW * 1.4, to - start);
    bridgeRows.push({ id: devId(host.name, 'root', b.name), parent: hid, x: start, y: 0, w, h: devH, data: { kind: 'device', host: host.name, netns: 'root', dev: b, flipped }, type: 'device' });
    bx = start + w + gapX;
  }
  if (bridgeRows.length) rows.push({ h: devH, items: bridgeRows });

  // what faces the LAN: NICs first, then VTEPs and dummies
  const order: Record<TopoDevice['kind'], number> = { nic: 0, vxlan: 1, ipip: 1, tun: 1, dummy: 2, loopback: 3, bridge: 4, veth: 5 };
  const edge = rootDevs.filter((d) => d.kind !== 'veth' && d.kind !== 'bridge').sort((a, b) => order[a.kind] - order[b.kind]);
  const edgeItems: Placed[] = [];
  let ex = pad;
  for (const d of edge) {
    edgeItems.push({ id: devId(host.name, 'root', d.name), parent: hid, x: ex, y: 0, w: devW, h: devH, data: { kind: 'device', host: host.name, netns: 'root', dev: d, flipped }, type: 'device' });
    ex += devW + gapX;
  }
  if (edgeItems.length) rows.push({ h: devH, items: edgeItems });

  const contentW = Math.max(170, ...rows.flatMap((r) => r.items.filter((i) => i.parent === hid).map((i) => i.x + i.w)));
  const w = contentW + pad;
  const h = title + rows.reduce((n, r) => n + r.h, 0) + rowGap * Math.max(0, rows.length - 1) + pad;

  // stack the rows; mirrored hosts put the NIC row first and the title last
  const order2 = flipped ? [...rows].reverse() : rows;
  let y = flipped ? pad : title;
  const children: Placed[] = [];
  for (const r of order2) {
    for (const it of r.items) children.push(it.parent === hid ? { ...it, y } : it);
    y += r.h + rowGap;
  }
  return { host, w, h, children, flipped };
}

/** Lays out a topology; see the module comment for the picture. */
export function layoutTopology(topo: Topology): TopologyLayout {
  const { hostGap, barH, laneStep, maxLanes } = SIZE;
  const k8s = topo.hosts.filter((h) => !EXTERNAL.has(h.role));
  const ext = topo.hosts.filter((h) => EXTERNAL.has(h.role));
  // one row above the LAN while it stays readable when fitted; else half of the hosts go below it
  const widths = k8s.map((h) => layoutHost(h, false).w);
  const oneRow = widths.reduce((n, w) => n + w + hostGap, 0);
  const split = k8s.length <= 3 || (k8s.length <= 5 && oneRow <= 2000) ? k8s.length : Math.ceil(k8s.length / 2);
  const topHosts = k8s.slice(0, split);
  const bottomHosts = [...k8s.slice(split), ...ext];

  const top = topHosts.map((h) => layoutHost(h, false));
  const bottom = bottomHosts.map((h) => layoutHost(h, true));
  const rowWidth = (r: HostBox[]) => r.reduce((n, b) => n + b.w, 0) + hostGap * Math.max(0, r.length - 1);
  const width = Math.max(rowWidth(top), rowWidth(bottom), 400);
  const topH = Math.max(0, ...top.map((b) => b.h));

  // tunnels: one lane per unordered host pair
  const onTop = new Set(topHosts.map((h) => h.name));
  const pairs: { a: string; b: string; dev: string; devB: string; vni?: number; label: string }[] = [];
  const seen = new Set<string>();
  for (const t of topo.tunnels) {
    const [a, b] = [t.fromHost, t.toHost].sort() as [string, string];
    const key = `${a}|${b}`;
    if (seen.has(key) || a === b) continue;
    seen.add(key);
    const back = topo.tunnels.find((u) => u.fromHost === t.toHost && u.toHost === t.fromHost);
    const devA = a === t.fromHost ? t.dev : (back?.dev ?? t.dev);
    const devB = b === t.toHost ? (back?.dev ?? t.dev) : t.dev;
    // the overlay's own name: VXLAN with its VNI, IPIP (protocol 4), flanneld's UDP port
    const label = t.kind === 'ipip' ? 'IPIP' : t.kind === 'udp' ? 'flannel udp' : `VXLAN ${t.vni ?? ''}`;
    pairs.push({ a, b, dev: devA, devB, vni: t.vni, label });
  }
  const topLanes = Math.min(maxLanes, pairs.filter((p) => onTop.has(p.a) || onTop.has(p.b)).length);
  const bottomLanes = Math.min(maxLanes, pairs.filter((p) => !onTop.has(p.a) && !onTop.has(p.b)).length);
  const spaceAbove = 44 + topLanes * laneStep;
  const spaceBelow = 44 + bottomLanes * laneStep;

  const segments = topo.segments.length ? topo.segments : [];
  const barY0 = topH + spaceAbove;
  const barYs = segments.map((_, i) => barY0 + i * (barH + 22));
  const bottomY = (barYs.length ? barYs[barYs.length - 1]! + barH : barY0) + spaceBelow;

  const placed: Placed[] = [];
  const place = (row: HostBox[], alignBottom: boolean, rowY: number) => {
    let x = (width - rowWidth(row)) / 2;
    for (const b of row) {
      const y = alignBottom ? rowY + (topH - b.h) : rowY;
      placed.push({ id: hostId(b.host.name), x, y, w: b.w, h: b.h, data: { kind: 'host', host: b.host, flipped: b.flipped }, type: 'host' });
      placed.push(...b.children);
      x += b.w + hostGap;
    }
  };
  place(top, true, 0);
  place(bottom, false, bottomY);
  segments.forEach((s, i) => {
    placed.push({ id: segId(s.name), x: -20, y: barYs[i]!, w: width + 40, h: barH, data: { kind: 'segment', name: s.name, ...(s.cidr ? { cidr: s.cidr } : {}) }, type: 'segment' });
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
    zIndex: p.type === 'host' ? 0 : p.type === 'pod' ? 1 : p.type === 'segment' ? 0 : 2,
  }));

  const edges: TopoEdge[] = [];
  const flippedHost = new Set(bottomHosts.map((h) => h.name));
  const faceDown = (host: string) => !flippedHost.has(host);
  for (const h of topo.hosts) {
    const down = faceDown(h.name);
    for (const ns of h.namespaces) {
      for (const d of ns.devices) {
        const id = devId(h.name, ns.name, d.name);
        if (!rects.has(id)) continue;
        // veth pair: drawn once, from the pod end
        if (d.kind === 'veth' && d.peer && ns.kind !== 'root') {
          const peer = devId(h.name, d.peer.netns, d.peer.dev);
          if (rects.has(peer)) {
            edges.push({ id: `veth:${id}`, source: id, target: peer, sourceHandle: down ? 'b' : 't', targetHandle: down ? 't' : 'b', type: 'straight', className: 'edge-veth', data: { kind: 'veth' }, focusable: false });
          }
        }
        if (d.master) {
          const br = devId(h.name, ns.name, d.master);
          if (rects.has(br)) edges.push({ id: `port:${id}`, source: id, target: br, sourceHandle: down ? 'b' : 't', targetHandle: down ? 't' : 'b', type: 'drop', className: 'edge-port', data: { kind: 'port' }, focusable: false });
        }
      }
    }
  }
  for (const s of segments) {
    for (const m of s.members) {
      const id = devId(m.host, 'root', m.dev);
      if (!rects.has(id)) continue;
      const down = faceDown(m.host);
      edges.push({ id: `lan:${id}`, source: id, target: segId(s.name), sourceHandle: down ? 'b' : 't', targetHandle: down ? 't' : 'b', type: 'drop', className: 'edge-lan', data: { kind: 'lan' }, focusable: false });
    }
  }
  let laneTop = 0;
  let laneBottom = 0;
  for (const p of pairs) {
    const a = devId(p.a, 'root', p.dev);
    const b = devId(p.b, 'root', p.devB);
    if (!rects.has(a) || !rects.has(b)) continue;
    const upper = onTop.has(p.a) || onTop.has(p.b);
    const laneY = upper ? topH + 22 + (laneTop++ % maxLanes) * laneStep : bottomY - 22 - (laneBottom++ % maxLanes) * laneStep;
    edges.push({
      id: `tun:${p.a}|${p.b}`,
      source: a,
      target: b,
      sourceHandle: faceDown(p.a) ? 'b' : 't',
      targetHandle: faceDown(p.b) ? 'b' : 't',
      type: 'tunnel',
      className: 'edge-tunnel',
      data: { kind: 'tunnel', laneY, vni: p.vni, label: p.label, hosts: [p.a, p.b], ips: [p.a, p.b].map((n) => topo.hosts.find((h) => h.name === n)?.ip ?? '') },
      focusable: false,
    });
  }

  const allRects = [...rects.values()];
  const height = Math.max(...allRects.map((r) => r.y + r.h), 0);
  return { nodes, edges, rects, width, height };
}
