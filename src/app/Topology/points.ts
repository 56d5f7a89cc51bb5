import type { SimResult, Topology } from '../../sim/api-types.ts';
import type { TraceEvent } from '../../sim/trace/event.ts';
import { devId, hostId, nsId, segId, SIZE, type Rect, type TopologyLayout } from './layout.ts';

/**
 * Where the packet is on the drawing at each step, and the way it travels between two steps:
 * along the links it really uses — down a veth pair, into the bridge and along it, down to the
 * LAN, along the LAN, up to the far NIC — never straight across the picture.
 */

/**
 * A dummy device (kube-ipvs0) takes part in a step without a packet crossing it: IPVS answers
 * for the addresses it holds, and the local route to a ClusterIP points at it.
 */
export function usesDummy(e: TraceEvent, dev: string): boolean {
  if (e.kind === 'ipvs' || (e.kind === 'nat' && e.ref?.table === 'ipvs')) return true;
  const words = (e.ref?.text ?? '').split(/\s+/);
  return e.kind === 'route' && words[0] === 'local' && words[words.indexOf('dev') + 1] === dev;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** A point the token rests on, and the box it rests in (a device, a bridge, a LAN bar, a card). */
export interface Place extends Point {
  readonly box: Rect;
  /** the node the box belongs to */
  readonly id: string;
}

/** Where links attach to a box and where the token rests on it: near its right edge, mid-height. */
export function anchorOf(r: Rect): Point {
  return { x: r.x + r.w - Math.min(SIZE.anchorInset, r.w / 2), y: r.y + r.h / 2 };
}

type Layout = Pick<TopologyLayout, 'rects'>;

/**
 * The node a step is drawn on: its device (its host's card when the host is folded); IPVS and
 * the local route to a ClusterIP on the dummy device that holds the ClusterIP (`dummies`: the
 * dummy device of each `host/netns`, kube-ipvs0).
 */
function nodeOf(e: TraceEvent, rects: ReadonlyMap<string, Rect>, dummies: ReadonlyMap<string, string>): string | undefined {
  const dummy = dummies.get(`${e.host}/${e.netns}`);
  if (dummy && usesDummy(e, dummy) && rects.has(devId(e.host, e.netns, dummy))) return devId(e.host, e.netns, dummy);
  if (!e.dev) return undefined;
  const id = devId(e.host, e.netns, e.dev);
  return rects.has(id) ? id : undefined;
}

/**
 * The LAN a `wire` step crosses: the segment of the device the frame was just transmitted on
 * (the `tx` step before it on the same host).
 */
export function wireSegment(events: readonly TraceEvent[], i: number, topology: Topology): string | undefined {
  const e = events[i];
  if (e?.kind !== 'wire') return undefined;
  for (let k = i - 1; k >= 0; k--) {
    const t = events[k]!;
    if (t.host !== e.host || t.packetId !== e.packetId) break;
    if (t.kind === 'tx' && t.dev && t.netns === e.netns) {
      const ns = topology.hosts.find((h) => h.name === t.host)?.namespaces.find((n) => n.name === t.netns);
      return ns?.devices.find((d) => d.name === t.dev)?.segment;
    }
  }
  return undefined;
}

const wireCache = new WeakMap<SimResult, (string | undefined)[]>();

/** The LAN the step at `cursor` puts the frame on (undefined off a `wire` step), once per trace. */
export function currentWireSegment(r: SimResult, cursor: number): string | undefined {
  let w = wireCache.get(r);
  if (!w) {
    const events = r.trace.events;
    w = events.map((_, i) => wireSegment(events, i, r.topology));
    wireCache.set(r, w);
  }
  return w[cursor];
}

/**
 * Where the token sits at each event: on the event's device; a `wire` step on its LAN bar below
 * the sending NIC; a step with no device (a rule, a lookup) where the packet last was in the
 * same namespace, else on the device it uses next, else on its namespace or host box.
 */
export function eventPlaces(events: readonly TraceEvent[], topology: Topology, layout: Layout, dummies: ReadonlyMap<string, string> = new Map()): Place[] {
  const { rects } = layout;
  const at = (id: string): Place => {
    const box = rects.get(id)!;
    return { ...anchorOf(box), box, id };
  };
  const out: Place[] = [];
  let prev: { p: Place; host: string; netns: string } | undefined;
  for (const [i, e] of events.entries()) {
    const node = nodeOf(e, rects, dummies);
    let p: Place;
    const name = e.kind === 'wire' ? wireSegment(events, i, topology) : undefined;
    const seg = name === undefined ? undefined : segId(name);
    if (seg && rects.has(seg)) {
      const bar = rects.get(seg)!;
      p = { x: prev?.p.x ?? bar.x + bar.w / 2, y: bar.y + bar.h / 2, box: bar, id: seg };
    } else if (node) p = at(node);
    else if (prev && prev.host === e.host && prev.netns === e.netns) p = prev.p;
    else {
      const next = nextNode(events, i, (n) => nodeOf(n, rects, dummies));
      if (next) p = at(next);
      else {
        const id = [nsId(e.host, e.netns), hostId(e.host)].find((x) => rects.has(x));
        p = id ? at(id) : (prev?.p ?? { x: 0, y: 0, box: { x: 0, y: 0, w: 0, h: 0 }, id: '' });
      }
    }
    out.push(p);
    prev = { p, host: e.host, netns: e.netns };
  }
  return out;
}

/** The node the packet uses next without leaving the event's namespace (a socket's first hop). */
function nextNode(events: readonly TraceEvent[], i: number, nodeAt: (e: TraceEvent) => string | undefined): string | undefined {
  const e = events[i]!;
  for (let k = i + 1; k < events.length; k++) {
    const n = events[k]!;
    if (n.host !== e.host || n.netns !== e.netns || n.packetId !== e.packetId) return undefined;
    const id = nodeAt(n);
    if (id) return id;
  }
  return undefined;
}

const near = (a: number, b: number) => Math.abs(a - b) < 0.5;
const spans = (r: Rect, x: number) => x >= r.x - 0.5 && x <= r.x + r.w + 0.5;

/**
 * The way from one place to the next, as the links run: straight when they line up; else into
 * (or out of) the box that spans both — a bridge, a LAN bar — and along it; else down to the gap
 * between the two boxes, across, and on. Links are vertical in this layout, so is the way.
 */
export function route(a: Place, b: Place): Point[] {
  if (near(a.x, b.x) && near(a.y, b.y)) return [a];
  if (near(a.x, b.x) || near(a.y, b.y)) return [a, b];
  if (spans(b.box, a.x)) return [a, { x: a.x, y: b.y }, b];
  if (spans(a.box, b.x)) return [a, { x: b.x, y: a.y }, b];
  const aBottom = a.box.y + a.box.h;
  const bBottom = b.box.y + b.box.h;
  const my = aBottom <= b.box.y ? (aBottom + b.box.y) / 2 : bBottom <= a.box.y ? (bBottom + a.box.y) / 2 : Math.min(a.box.y, b.box.y) - 8;
  return [a, { x: a.x, y: my }, { x: b.x, y: my }, b];
}

/** An SVG path through `pts`. */
export function pathOf(pts: readonly Point[]): string {
  return pts.map((p, i) => `${i ? 'L' : 'M'}${Math.round(p.x * 10) / 10} ${Math.round(p.y * 10) / 10}`).join(' ');
}

/** The packet's whole path around the cursor: the part travelled, the hop just made, the rest. */
export interface PathParts {
  readonly done: string;
  readonly hop: string;
  readonly rest: string;
}

/** The path of the packet the cursor is on (its `packetId`), split at the cursor. */
export function pathParts(events: readonly TraceEvent[], places: readonly Place[], cursor: number): PathParts {
  const id = events[cursor]?.packetId;
  const mine: number[] = [];
  events.forEach((e, i) => e.packetId === id && mine.push(i));
  const join = (idx: readonly number[]): Point[] => {
    const pts: Point[] = [];
    for (let k = 0; k < idx.length; k++) {
      const p = places[idx[k]!]!;
      if (k === 0) pts.push(p);
      else pts.push(...route(places[idx[k - 1]!]!, p).slice(1));
    }
    return pts;
  };
  const before = mine.filter((i) => i < cursor);
  const after = mine.filter((i) => i >= cursor);
  const last = before.at(-1);
  const done = join(before);
  const hop = last === undefined ? [] : route(places[last]!, places[cursor]!);
  const rest = join(after);
  return { done: done.length > 1 ? pathOf(done) : '', hop: hop.length > 1 ? pathOf(hop) : '', rest: rest.length > 1 ? pathOf(rest) : '' };
}
