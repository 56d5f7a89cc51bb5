import { describe, expect, it } from 'vitest';
import { follow } from './camera.ts';

describe('follow', () => {
  const pane = { w: 800, h: 400 };
  it('leaves the camera alone while the hop and its neighbours are in view', () => {
    expect(follow({ x: 0, y: 0, zoom: 1 }, pane, [{ x: 100, y: 100 }, { x: 300, y: 200 }])).toBeUndefined();
  });

  it('pans to a hop that left the view, keeping the zoom the user chose', () => {
    const next = follow({ x: 0, y: 0, zoom: 2 }, pane, [{ x: 1000, y: 50 }])!;
    expect(next.zoom).toBe(2);
    expect(1000 * next.zoom + next.x).toBe(400);
    expect(50 * next.zoom + next.y).toBe(200);
  });

  it('zooms out only as far as the neighbours need', () => {
    const next = follow({ x: 0, y: 0, zoom: 2 }, pane, [{ x: 0, y: 0 }, { x: 1400, y: 0 }])!;
    expect(next.zoom).toBeCloseTo((800 - 96) / 1400);
    for (const p of [0, 1400]) {
      const sx = p * next.zoom + next.x;
      expect(sx).toBeGreaterThanOrEqual(48 - 1e-9);
      expect(sx).toBeLessThanOrEqual(752 + 1e-9);
    }
  });
});
