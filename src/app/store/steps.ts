import { eventLevels, levelRank, representatives, stepCategory, stepRows, TRACE_LEVELS, type StepCategory, type StepRow, type TraceLevel } from '../../sim/trace/levels.ts';
import type { TraceEvent } from '../../sim/trace/event.ts';
import { describeStep, netnsLabel } from './describe.ts';

/**
 * Which events the debugger shows as steps, and how search finds them: the trace at a level of
 * detail (with the groups the user expanded), or only the kinds the filter chips select. The
 * cursor, stepping, the scrubber and the list all read the same rows. Pure functions of the
 * trace, cached per trace.
 */

export interface StepView {
  readonly level: TraceLevel;
  /** events whose group of finer steps is shown in place */
  readonly expanded: ReadonlySet<number>;
  /** when not empty: only steps of these kinds, from the whole trace */
  readonly filter: ReadonlySet<StepCategory>;
}

const ranksCache = new WeakMap<readonly TraceEvent[], Uint8Array>();

/** The coarsest level of each event (0 path, 1 kernel, 2 rules), computed once per trace. */
export function ranksOf(events: readonly TraceEvent[]): Uint8Array {
  let r = ranksCache.get(events);
  if (!r) ranksCache.set(events, (r = eventLevels(events)));
  return r;
}

let rowsCache: { events: readonly TraceEvent[]; view: StepView; rows: readonly StepRow[] } | undefined;

/** The rows the list shows, in trace order. */
export function visibleRows(events: readonly TraceEvent[], view: StepView): readonly StepRow[] {
  const c = rowsCache;
  if (c && c.events === events && c.view.level === view.level && c.view.expanded === view.expanded && c.view.filter === view.filter) return c.rows;
  const rows =
    view.filter.size > 0
      ? events.flatMap((e, index) => {
          const cat = stepCategory(e);
          return cat && view.filter.has(cat) ? [{ index, depth: 0, contains: 0 }] : [];
        })
      : stepRows(ranksOf(events), view.level, view.expanded);
  rowsCache = { events, view, rows };
  return rows;
}

/** The row showing event `index`, or -1 (binary search: rows are in trace order). */
export function rowOf(rows: readonly StepRow[], index: number): number {
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = rows[mid]!.index;
    if (v === index) return mid;
    if (v < index) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** The row `d` rows away from the cursor (a hidden cursor counts from where it would sit). */
export function rowAfter(rows: readonly StepRow[], cursor: number, d: number): StepRow | undefined {
  if (!rows.length) return undefined;
  let pos = rowOf(rows, cursor);
  if (pos < 0) {
    // between rows: the first row after it counts as +1, the last row before it as -1
    let after = rows.findIndex((r) => r.index > cursor);
    if (after < 0) after = rows.length;
    pos = d > 0 ? after - 1 : after;
  }
  return rows[Math.max(0, Math.min(rows.length - 1, pos + d))];
}

/**
 * The groups to expand so that event `index` is a row at `level`: the step standing for it at
 * the level, and inside that group the kernel step standing for it, if it is a rule.
 */
export function expansionsFor(events: readonly TraceEvent[], level: TraceLevel, index: number): number[] {
  const ranks = ranksOf(events);
  const out: number[] = [];
  for (let l = levelRank(level); l < 2 && ranks[index]! > l; l++) {
    const rep = representatives(ranks, TRACE_LEVELS[l]!)[index]!;
    if (rep !== index) out.push(rep);
  }
  return out;
}

/** The step standing for `index` at `level` (itself when it is shown there). */
export function representativeAt(events: readonly TraceEvent[], level: TraceLevel, index: number): number {
  return representatives(ranksOf(events), level)[index] ?? index;
}

/** What a step reads as for search: where, what, the table row, the fields it rewrote. */
export function searchText(e: TraceEvent): string {
  const changed = e.changed.map((c) => `${c.field} ${String(c.from ?? '')} ${String(c.to ?? '')}`).join(' ');
  return [e.host, netnsLabel(e.netns), e.dev ?? '', describeStep(e), e.ref?.text ?? '', e.ref?.chain ?? '', e.verdict ?? '', e.reason ?? '', changed].join(' ');
}

let matchCache: { events: readonly TraceEvent[]; query: string; hits: Uint8Array } | undefined;

/**
 * The events a query finds. Smart case, as in less and ripgrep: a query with a capital letter
 * matches case-sensitively (`MASQUERADE` finds the target, not a comment saying "masquerade").
 */
export function matchingEvents(events: readonly TraceEvent[], query: string): Uint8Array {
  const q = query.trim();
  const c = matchCache;
  if (c && c.events === events && c.query === q) return c.hits;
  const hits = new Uint8Array(events.length);
  if (q) {
    const sensitive = q !== q.toLowerCase();
    const needle = sensitive ? q : q.toLowerCase();
    events.forEach((e, i) => {
      const text = searchText(e);
      if ((sensitive ? text : text.toLowerCase()).includes(needle)) hits[i] = 1;
    });
  }
  matchCache = { events, query: q, hits };
  return hits;
}

/** Whether a row matches: its own event, or one its folded group stands for. */
export function rowMatches(row: StepRow, hits: Uint8Array, expanded: ReadonlySet<number>): boolean {
  if (hits[row.index]) return true;
  if (row.contains === 0 || expanded.has(row.index)) return false;
  for (let i = row.index - row.contains; i < row.index; i++) if (hits[i]) return true;
  return false;
}

/** The next (dir 1) or previous (dir -1) matching row from the cursor, wrapping around. */
export function nextMatch(rows: readonly StepRow[], hits: Uint8Array, expanded: ReadonlySet<number>, cursor: number, dir: 1 | -1): StepRow | undefined {
  const n = rows.length;
  if (!n) return undefined;
  let pos = rowOf(rows, cursor);
  if (pos < 0) {
    const after = rows.findIndex((r) => r.index > cursor);
    pos = dir > 0 ? (after < 0 ? n : after) - 1 : after < 0 ? n : after;
  }
  for (let k = 1; k <= n; k++) {
    const r = rows[(((pos + dir * k) % n) + n) % n]!;
    if (rowMatches(r, hits, expanded)) return r;
  }
  return undefined;
}
