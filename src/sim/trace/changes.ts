import { withDerivedChanges } from '../net/diff.ts';
import type { TraceEvent } from './event.ts';

/**
 * Each step's changed fields as the bytes show them: what the model said it rewrote plus every
 * checksum and length that the rewrite recomputed, against the packet as the previous step of
 * the same packet left it. Steps that did not touch the packet keep their (empty) list.
 */
export function completeChanges(events: readonly TraceEvent[]): TraceEvent[] {
  const last = new Map<number, TraceEvent>();
  return events.map((e) => {
    const prev = last.get(e.packetId);
    last.set(e.packetId, e);
    if (!prev || prev.packet === e.packet) return e;
    return { ...e, changed: withDerivedChanges(e.changed, prev.packet, e.packet) };
  });
}
