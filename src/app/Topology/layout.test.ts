import { describe, expect, it } from 'vitest';
import { fakeTopology } from '../testing/fixtures.ts';
import { devId, layoutTopology, type Rect } from './layout.ts';

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
});
