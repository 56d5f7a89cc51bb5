import type { TraceEvent } from '../../sim/trace/event.ts';
import type { SimResult } from '../../sim/api-types.ts';
import { liveCounters, type Counter } from './derive.ts';
import { useStore } from './store.ts';

/** The event at the cursor (undefined before the first trace). */
export function useCurrentEvent(): TraceEvent | undefined {
  return useStore((s) => s.result?.trace.events[s.cursor]);
}

let cache: { result: SimResult; cursor: number; value: Map<string, Counter> } | undefined;

/** Live iptables counters at the cursor, computed once per (trace, cursor) for all panels. */
export function countersAt(result: SimResult, cursor: number): Map<string, Counter> {
  if (cache && cache.result === result && cache.cursor === cursor) return cache.value;
  const value = liveCounters(result.tables, result.trace.events, cursor);
  cache = { result, cursor, value };
  return value;
}
