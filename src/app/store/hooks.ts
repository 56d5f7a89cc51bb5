import { useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { FieldChange } from '../../sim/net/packet.ts';
import { withDerivedChanges } from '../../sim/net/diff.ts';
import type { TraceEvent } from '../../sim/trace/event.ts';
import type { SimResult } from '../../sim/api-types.ts';
import { liveCounters, type CountersAtStep } from './derive.ts';
import { rowOf } from './steps.ts';
import { rowsOf, useStore } from './store.ts';

/** The event at the cursor (undefined before the first trace). */
export function useCurrentEvent(): TraceEvent | undefined {
  return useStore((s) => s.result?.trace.events[s.cursor]);
}

let cache: { result: SimResult; cursor: number; value: CountersAtStep } | undefined;

/** Live iptables counters at the cursor, computed once per (trace, cursor) for all panels. */
export function countersAt(result: SimResult, cursor: number): CountersAtStep {
  if (cache && cache.result === result && cache.cursor === cursor) return cache.value;
  const value = liveCounters(result.tables, result.trace.events, cursor);
  cache = { result, cursor, value };
  return value;
}

export interface StepAtCursor {
  /** 0-based position among the rows shown (-1: the cursor's event is not a row, e.g. filtered out) */
  readonly position: number;
  readonly total: number;
  /** the events the current step stands for: [first, cursor] (just the cursor at the rules level or when expanded) */
  readonly group: readonly [number, number];
}

/** Where the cursor is among the steps shown, and which events its step stands for. */
export function useStepAtCursor(): StepAtCursor {
  const x = useStore(
    useShallow((s) => {
      const rows = rowsOf(s);
      const position = rowOf(rows, s.cursor);
      const row = rows[position];
      const folded = !!row && row.contains > 0 && !s.expanded.has(row.index);
      return { position, total: rows.length, first: folded ? s.cursor - row.contains : s.cursor, cursor: s.cursor };
    }),
  );
  return useMemo(() => ({ position: x.position, total: x.total, group: [x.first, x.cursor] as const }), [x.position, x.total, x.first, x.cursor]);
}

/**
 * What the step at the cursor changed in the packet: a step of the rules level lists its own
 * changes; a coarser step, everything its group changed — the packet before the group against
 * the packet after it, read off the bytes (addresses, TTL, checksums, lengths, new headers).
 */
export function useStepChanges(ev: TraceEvent | undefined, group: readonly [number, number]): readonly FieldChange[] {
  const events = useStore((s) => s.result?.trace.events);
  return useMemo(() => {
    if (!ev || !events || group[0] >= group[1]) return ev?.changed ?? [];
    const before = events[group[0] - 1];
    if (!before || before.packetId !== ev.packetId) return ev.changed;
    return withDerivedChanges([], before.packet, ev.packet);
  }, [ev, events, group]);
}
