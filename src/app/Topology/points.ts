import type { TraceEvent } from '../../sim/trace/event.ts';
import { devId, hostId, nsId, type Rect } from './layout.ts';

export interface Point {
  readonly x: number;
  readonly y: number;
}

/**
 * Where the packet token sits at each event: on the event's device; for a step with no device
 * (a rule, a lookup), where the packet last was in the same namespace; else on the namespace.
 */
export function eventPoints(events: readonly TraceEvent[], rects: ReadonlyMap<string, Rect>): Point[] {
  const out: Point[] = [];
  const at = (r: Rect): Point => ({ x: r.x + r.w - 13, y: r.y + r.h / 2 });
  const devRect = (e: TraceEvent) => (e.dev ? rects.get(devId(e.host, e.netns, e.dev)) : undefined);
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
