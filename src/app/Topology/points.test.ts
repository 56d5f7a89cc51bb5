import { describe, expect, it } from 'vitest';
import { fakeResult } from '../testing/traces.ts';
import { devId, layoutTopology, nsId, segId } from './layout.ts';
import { anchorOf, eventPlaces, pathParts, route, wireSegment } from './points.ts';

/** The fake trace, on to the wire and up node1's NIC. */
function withWire() {
  const r = fakeResult();
  const last = r.trace.events.at(-1)!;
  const events = [...r.trace.events, { ...last, seq: 11, kind: 'wire' as const, dev: undefined }, { ...last, seq: 12, kind: 'rx' as const, host: 'node1', dev: 'enp0s1' }];
  return { ...r, trace: { ...r.trace, events } };
}

describe('eventPlaces', () => {
  const r = withWire();
  const layout = layoutTopology(r.topology);
  const places = eventPlaces(r.trace.events, r.topology, layout);

  it('puts the token on the device, and keeps it there for device-less steps in the same netns', () => {
    expect(places).toHaveLength(r.trace.events.length);
    const eth0 = layout.rects.get(devId('master', 'pod-0-0', 'eth0'))!;
    expect(places[0]).toMatchObject(anchorOf(eth0));
    const cni0 = layout.rects.get(devId('master', 'root', 'cni0'))!;
    expect(places[2]!.y).toBe(cni0.y + cni0.h / 2);
    // rule events have no device: the token waits on cni0
    expect(places[3]).toEqual(places[2]);
    expect(places[8]).toEqual(places[2]);
    const vtep = layout.rects.get(devId('master', 'root', 'flannel.1'))!;
    expect(places[9]!.x).toBeGreaterThan(vtep.x);
    expect(places[9]!.x).toBeLessThan(vtep.x + vtep.w);
    expect(layout.rects.has(nsId('master', 'pod-0-0'))).toBe(true);
  });

  it('puts a wire step on the LAN of the NIC that sent it, under that NIC', () => {
    const i = r.trace.events.findIndex((e) => e.kind === 'wire');
    expect(wireSegment(r.trace.events, i, r.topology)).toBe('lan');
    const bar = layout.rects.get(segId('lan'))!;
    expect(places[i]!.y).toBe(bar.y + bar.h / 2);
    expect(places[i]!.x).toBe(places[i - 1]!.x);
  });

  it('travels along the links: down to the LAN, along it, up to the far NIC', () => {
    const i = r.trace.events.findIndex((e) => e.kind === 'wire');
    const up = route(places[i]!, places[i + 1]!);
    // along the bar first (same y), then straight up (same x as the far NIC)
    expect(up).toHaveLength(3);
    expect(up[1]!.y).toBe(places[i]!.y);
    expect(up[1]!.x).toBe(places[i + 1]!.x);
    const down = route(places[i - 1]!, places[i]!);
    expect(down.every((p) => p.x === places[i - 1]!.x)).toBe(true);
  });

  it('splits the packet path at the cursor', () => {
    const start = pathParts(r.trace.events, places, 0);
    expect(start.done).toBe('');
    expect(start.hop).toBe('');
    expect(start.rest).toMatch(/^M/);
    const mid = pathParts(r.trace.events, places, 10);
    expect(mid.done).toMatch(/^M/);
    expect(mid.rest).toMatch(/^M/);
  });
});
