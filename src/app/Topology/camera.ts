import type { Point } from './points.ts';

/** React Flow's viewport: the flow point (0, 0) is drawn at screen (x, y), scaled by zoom. */
export interface Viewport {
  readonly x: number;
  readonly y: number;
  readonly zoom: number;
}

/**
 * Where the camera must go so that `pts` (the current hop and its neighbours, in flow
 * coordinates) are on screen with `margin` pixels to spare; undefined when they already are, so
 * a camera that follows the packet only moves when the packet would leave the view. It keeps the
 * zoom the user chose and zooms out only when the points cannot fit at it.
 */
export function follow(vp: Viewport, pane: { readonly w: number; readonly h: number }, pts: readonly Point[], margin = 48, minZoom = 0.15): Viewport | undefined {
  if (!pts.length || pane.w <= 2 * margin || pane.h <= 2 * margin) return undefined;
  const inView = pts.every((p) => {
    const sx = p.x * vp.zoom + vp.x;
    const sy = p.y * vp.zoom + vp.y;
    return sx >= margin && sx <= pane.w - margin && sy >= margin && sy <= pane.h - margin;
  });
  if (inView) return undefined;
  const xs = pts.map((p) => p.x);
  const ys = pts.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const fit = Math.min((pane.w - 2 * margin) / Math.max(x1 - x0, 1), (pane.h - 2 * margin) / Math.max(y1 - y0, 1));
  const zoom = Math.max(minZoom, Math.min(vp.zoom, fit));
  return { x: pane.w / 2 - ((x0 + x1) / 2) * zoom, y: pane.h / 2 - ((y0 + y1) / 2) * zoom, zoom };
}
