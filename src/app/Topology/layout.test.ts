import { describe, expect, it } from 'vitest';
import { fakeTopology } from '../testing/fixtures.ts';
import { defaultDetail, devId, foldId, layoutTopology, type FoldNodeData, type HostNodeData, type Rect } from './layout.ts';

const overlaps = (a: Rect, b: Rect) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

describe('layoutTopology', () => {
  for (const n of [1, 2, 3, 5, 6, 7, 10, 12]) {
    it(`places ${n} hosts with no overlapping boxes`, () => {
      const topo = fakeTopology(n, (i) => (i * 3) % 5);
      const { nodes, rects } = layoutTopology(topo);
      const ids = nodes.map((x) => x.id);
      expect(new Set(ids).size).toBe(ids.length);
      // siblings never overlap
      const byParent = new Map<string, string[]>();
      for (const node of nodes) {
        const p = node.parentId ?? '';
        byParent.set(p, [...(byParent.get(p) ?? []), node.id]);
      }
      for (const [, sibs] of byParent) {
        for (let i = 0; i < sibs.length; i++) {
          for (let j = i + 1; j < sibs.length; j++) {
            const a = rects.get(sibs[i]!)!;
            const b = rects.get(sibs[j]!)!;
            expect(overlaps(a, b), `${sibs[i]} overlaps ${sibs[j]}`).toBe(false);
          }
        }
      }
      // children inside their parents
      for (const node of nodes) {
        if (!node.parentId) continue;
        const c = rects.get(node.id)!;
        const p = rects.get(node.parentId)!;
        expect(c.x >= p.x && c.y >= p.y && c.x + c.w <= p.x + p.w && c.y + c.h <= p.y + p.h, `${node.id} outside ${node.parentId}`).toBe(true);
      }
      // parents come before children
      const index = new Map(ids.map((id, i) => [id, i]));
      for (const node of nodes) if (node.parentId) expect(index.get(node.parentId)!).toBeLessThan(index.get(node.id)!);
    });
  }

  it('is deterministic', () => {
    const topo = fakeTopology(4, 3);
    expect(JSON.stringify(layoutTopology(topo))).toBe(JSON.stringify(layoutTopology(topo)));
  });

  it('draws veth pairs, bridge ports, LAN links and one tunnel per VTEP pair', () => {
    const { edges, rects } = layoutTopology(fakeTopology(3, 2));
    const kinds = (k: string) => edges.filter((e) => e.data?.kind === k).length;
    expect(kinds('veth')).toBe(6);
    expect(kinds('port')).toBe(6);
    expect(kinds('lan')).toBe(5);
    expect(kinds('tunnel')).toBe(3);
    for (const e of edges) {
      expect(rects.has(e.source), e.source).toBe(true);
      expect(rects.has(e.target), e.target).toBe(true);
    }
    expect(rects.has(devId('master', 'root', 'flannel.1'))).toBe(true);
  });

  it('puts a veth end under its pod', () => {
    const { rects } = layoutTopology(fakeTopology(1, 3));
    const pod = rects.get(devId('master', 'pod-0-1', 'eth0'))!;
    const veth = rects.get(devId('master', 'root', 'veth01abcd'))!;
    expect(Math.abs(pod.x + pod.w / 2 - (veth.x + veth.w / 2))).toBeLessThan(1);
    expect(veth.y).toBeGreaterThan(pod.y);
  });

  it('has no tunnels in host-gw', () => {
    const { edges } = layoutTopology(fakeTopology(3, 1, false));
    expect(edges.some((e) => e.data?.kind === 'tunnel')).toBe(false);
  });

  it('folds hosts off the path into cards and the pods the packet does not visit into one list', () => {
    const topo = fakeTopology(5, 4);
    const path = new Set(['master', 'node1']);
    const pathNs = new Set(['master/root', 'master/pod-0-0', 'node1/root', 'node1/pod-1-2']);
    const { nodes, rects, edges } = layoutTopology(topo, { detail: defaultDetail(topo, path), pathNs });
    const host = (name: string) => nodes.find((n) => n.id === `host:${name}`)!.data as HostNodeData;
    expect(host('master').detail).toBe('path');
    expect(host('node2').detail).toBe('card');
    expect(host('node2').devices).toBeGreaterThan(0);
    // a card draws no devices; its LAN link starts at the card
    expect(rects.has(devId('node2', 'root', 'cni0'))).toBe(false);
    expect(edges.some((e) => e.source === 'host:node2' && e.data?.kind === 'lan')).toBe(true);
    // on the path: the visited pod in full, the three others folded
    expect(rects.has(devId('master', 'pod-0-0', 'eth0'))).toBe(true);
    expect(rects.has(devId('master', 'pod-0-1', 'eth0'))).toBe(false);
    expect(rects.has(devId('master', 'root', 'veth01abcd'))).toBe(false);
    const fold = nodes.find((n) => n.id === foldId('master'))!.data as FoldNodeData;
    expect(fold.pods.map((p) => p.name)).toEqual(['pod-0-1', 'pod-0-2', 'pod-0-3']);
    // tunnels only between hosts whose VTEPs are drawn
    expect(edges.filter((e) => e.data?.kind === 'tunnel').map((e) => e.id)).toEqual(['tun:master|node1']);
    // cards sit below the LAN, hosts in detail above it
    expect(rects.get('host:node2')!.y).toBeGreaterThan(rects.get('seg:lan')!.y);
    expect(rects.get('host:master')!.y).toBeLessThan(rects.get('seg:lan')!.y);
  });

  it('names every node and edge in words', () => {
    const { nodes, edges } = layoutTopology(fakeTopology(2, 1));
    for (const x of [...nodes, ...edges]) expect(x.ariaLabel, x.id).toMatch(/^[A-Z]|^(veth pair|bridge port|LAN link)/i);
    expect(edges.find((e) => e.data?.kind === 'veth')!.ariaLabel).toBe('veth pair: master veth00abcd ↔ pod pod-0-0 eth0');
  });

  it('keeps twenty folded hosts in rows that fit a wide pane', () => {
    const topo = fakeTopology(20, 3);
    const { width, height } = layoutTopology(topo, { detail: defaultDetail(topo, new Set(['master', 'node1'])) });
    expect(width / height).toBeGreaterThan(1.2);
    expect(width / height).toBeLessThan(4);
  });
});
