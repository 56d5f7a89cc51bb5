import { describe, expect, it } from 'vitest';
import { fakeResult } from '../testing/traces.ts';
import { devId, layoutTopology, nsId } from './layout.ts';
import { eventPoints } from './points.ts';

describe('eventPoints', () => {
  it('puts the token on the device, and keeps it there for device-less steps in the same netns', () => {
    const r = fakeResult();
    const { rects } = layoutTopology(r.topology);
    const pts = eventPoints(r.trace.events, rects);
    expect(pts).toHaveLength(r.trace.events.length);
    const eth0 = rects.get(devId('master', 'pod-0-0', 'eth0'))!;
    expect(pts[0]!.y).toBe(eth0.y + eth0.h / 2);
    const cni0 = rects.get(devId('master', 'root', 'cni0'))!;
    expect(pts[2]!.y).toBe(cni0.y + cni0.h / 2);
    // rule events have no device: the token waits on cni0
    expect(pts[3]).toEqual(pts[2]);
    expect(pts[8]).toEqual(pts[2]);
    const vtep = rects.get(devId('master', 'root', 'flannel.1'))!;
    expect(pts[9]!.x).toBeGreaterThan(vtep.x);
    expect(pts[9]!.x).toBeLessThan(vtep.x + vtep.w);
    expect(rects.has(nsId('master', 'pod-0-0'))).toBe(true);
  });
});
