import { describe, expect, it } from 'vitest';
import { fakeResult } from '../testing/traces.ts';
import type { StepRow } from '../../sim/trace/levels.ts';
import { revealRow, ROW, rowAt, rowGeometry, rowsInView } from './rows.ts';

describe('timeline rows', () => {
  const events = fakeResult().trace.events;
  const all: StepRow[] = events.map((_, index) => ({ index, depth: 0, contains: 0 }));

  it('stacks rows with their computed heights, the current one taller', () => {
    const g = rowGeometry(events, all, 4);
    expect(g.tops[0]).toBe(ROW.padTop);
    for (let i = 1; i < events.length; i++) expect(g.tops[i]).toBe(g.tops[i - 1]! + g.heights[i - 1]!);
    expect(g.heads[0]).toBe(1);
    // the first event is in a pod's namespace (two lines) and opens packet 0
    expect(g.heights[0]).toBe(ROW.twoLines + ROW.head);
    expect(g.heights[4]).toBe(ROW.twoLines);
    expect(g.heights[5]).toBe(ROW.line);
    expect(g.total).toBe(g.tops[events.length - 1]! + g.heights[events.length - 1]! + ROW.padBottom);
  });

  it('finds the rows in view and scrolls just enough to show the cursor', () => {
    const g = rowGeometry(events, all, 0);
    expect(rowAt(g, 0)).toBe(0);
    expect(rowAt(g, g.tops[6]! + 1)).toBe(6);
    expect(rowsInView(g, g.tops[6]!, 2 * ROW.line, 1)).toEqual([5, 9]);
    expect(revealRow(g, 0, 0, 200)).toBeUndefined();
    const down = revealRow(g, events.length - 1, 0, 120)!;
    expect(down).toBeGreaterThan(0);
    expect(revealRow(g, events.length - 1, down, 120)).toBeUndefined();
    expect(revealRow(g, 2, down, 120)).toBeLessThan(down);
  });

  it('lays out only the rows of the level: a row is a step, its packet heading where the packet changes', () => {
    const some: StepRow[] = [0, 3, 8].map((index) => ({ index, depth: 0, contains: index ? 2 : 0 }));
    const g = rowGeometry(events, some, 3);
    expect(g.tops.length).toBe(3);
    expect([...g.heads]).toEqual([1, 0, 0]);
    expect(g.heights[1]).toBe(ROW.twoLines);
  });
});
