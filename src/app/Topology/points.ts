import type { TraceEvent } from '../../sim/trace/event.ts';
import { devId, hostId, nsId, type Rect } from './layout.ts';

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

/**
 * Where the packet token sits at each event: on the event's device; for a step with no device
 * (a rule, a lookup), where the packet last was in the same namespace; else on the namespace.
 * IPVS and the local route to a ClusterIP sit on the dummy device that holds the ClusterIP
 * (`dummies`: the dummy device of each `host/netns`, kube-ipvs0).
 */
export function eventPoints(events: readonly TraceEvent[], rects: ReadonlyMap<string, Rect>, dummies: ReadonlyMap<string, string> = new Map()): Point[] {
  const out: Point[] = [];
  const at = (r: Rect): Point => ({ x: r.x + r.w - 13, y: r.y + r.h / 2 });
  const dummyRect = (e: TraceEvent) => {
    const dev = dummies.get(`${e.host}/${e.netns}`);
    if (!dev) return undefined;
    return usesDummy(e, dev) ? rects.get(devId(e.host, e.netns, dev)) : undefined;
  };
  const devRect = (e: TraceEvent) => dummyRect(e) ?? (e.dev ? rects.get(devId(e.host, e.netns, e.dev)) : undefined);
  let prev: { p: Point; host: string; netns: string } | undefined;
  for (const [i, e] of events.entries()) {
    const dev = devRect(e);
    let p: Point;
    if (dev) p = at(dev);
    else if (prev && prev.host === e.host && prev.netns === e.netns) p = prev.p;
    else if (nextDevice(events, i, devRect)) p = at(nextDevice(events, i, devRect)!);
    else {
      const box = rects.get(e.netns === 'root' ? hostId(e.host) : nsId(e.host, e.netns)) ?? rects.get(hostId(e.host));
      p = box ? { x: box.x + box.w / 2, y: box.y + 20 } : (prev?.p ?? { x: 0, y: 0 });
    }
    out.push(p);
    prev = { p, host: e.host, netns: e.netns };
  }
  return out;
}

/** The device the packet uses next without leaving the event's namespace (a socket's first hop). */
function nextDevice(events: readonly TraceEvent[], i: number, devRect: (e: TraceEvent) => Rect | undefined): Rect | undefined {
  const e = events[i]!;
  for (let k = i + 1; k < events.length; k++) {
    const n = events[k]!;
    if (n.host !== e.host || n.netns !== e.netns || n.packetId !== e.packetId) return undefined;
    const r = devRect(n);
    if (r) return r;
  }
  return undefined;
}
