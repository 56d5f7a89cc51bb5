import type { TraceEvent } from '../../sim/trace/event.ts';
import type { StepRow } from '../../sim/trace/levels.ts';

/**
 * The transcript's geometry, computed rather than measured, so that only the rows in view are
 * rendered: a trace has ~220 events and re-rendering all of them on every new trace cost more
 * than everything else the UI does for it. A row's height follows from what it shows: one line
 * for a host's own namespace, two when a pod's name sits under the host, two for the current
 * step (its text wraps), plus the packet heading where a new packet starts. Rows are the steps
 * shown at the chosen level (steps.ts), each naming its event.
 */
export const ROW = { line: 24, twoLines: 38, head: 23, padTop: 4, padBottom: 12 } as const;

export interface RowGeometry {
  /** offset of each row from the top of the list (header included) */
  readonly tops: Float64Array;
  readonly heights: Float64Array;
  /** rows that open a new packet (they carry the packet heading) */
  readonly heads: Uint8Array;
  readonly total: number;
}

export function rowGeometry(events: readonly TraceEvent[], rows: readonly StepRow[], cursor: number): RowGeometry {
  const n = rows.length;
  const tops = new Float64Array(n);
  const heights = new Float64Array(n);
  const heads = new Uint8Array(n);
  let y = ROW.padTop;
  for (let k = 0; k < n; k++) {
    const i = rows[k]!.index;
    const e = events[i]!;
    const head = k === 0 || events[rows[k - 1]!.index]!.packetId !== e.packetId;
    heads[k] = head ? 1 : 0;
    const body = e.netns !== 'root' || i === cursor ? ROW.twoLines : ROW.line;
    tops[k] = y;
    heights[k] = body + (head ? ROW.head : 0);
    y += heights[k]!;
  }
  return { tops, heights, heads, total: y + ROW.padBottom };
}

/** The first row whose bottom is below `y` (binary search over the sorted tops). */
export function rowAt(g: RowGeometry, y: number): number {
  let lo = 0;
  let hi = g.tops.length - 1;
  if (hi < 0) return 0;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (g.tops[mid]! + g.heights[mid]! <= y) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The rows to render for a viewport, with `overscan` rows either side for smooth scrolling. */
export function rowsInView(g: RowGeometry, scrollTop: number, height: number, overscan = 6): [number, number] {
  const n = g.tops.length;
  if (!n) return [0, -1];
  const first = Math.max(0, rowAt(g, scrollTop) - overscan);
  const last = Math.min(n - 1, rowAt(g, scrollTop + Math.max(height, 1)) + overscan);
  return [first, last];
}

/**
 * The scrollTop that shows row `i` with a margin, or undefined when it is already in view;
 * `top` reserves room for the sticky packet heading.
 */
export function revealRow(g: RowGeometry, i: number, scrollTop: number, height: number, top = ROW.head + 4, margin = 12): number | undefined {
  if (i < 0 || i >= g.tops.length) return undefined;
  const rowTop = g.tops[i]! + (g.heads[i] ? ROW.head : 0);
  const rowBottom = g.tops[i]! + g.heights[i]!;
  if (rowTop < scrollTop + top) return Math.max(0, rowTop - top);
  if (rowBottom > scrollTop + height - margin) return Math.min(rowTop - top, rowBottom - height + margin);
  return undefined;
}
