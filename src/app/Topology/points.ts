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
  let prev: { p: Point; host: string; netns: string } | undefined;
  for (const e of events) {
    const dev = e.dev ? rects.get(devId(e.host, e.netns, e.dev)) : undefined;
    let p: Point;
    if (dev) p = { x: dev.x + dev.w - 13, y: dev.y + dev.h / 2 };
    else if (prev && prev.host === e.host && prev.netns === e.netns) p = prev.p;
    else {
      const box = rects.get(e.netns === 'root' ? hostId(e.host) : nsId(e.host, e.netns)) ?? rects.get(hostId(e.host));
      p = box ? { x: box.x + box.w / 2, y: box.y + 20 } : (prev?.p ?? { x: 0, y: 0 });
    }
    out.push(p);
    prev = { p, host: e.host, netns: e.netns };
  }
  return out;
}
