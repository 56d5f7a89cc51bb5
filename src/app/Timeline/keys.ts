import type { KeyBinding } from '../keys/keys.ts';
import { rowOf } from '../store/steps.ts';
import { rowsOf, useStore } from '../store/store.ts';

/** The trace list has the focus (its arrow keys move inside it). */
const inList = (e: KeyboardEvent) => e.target instanceof Element && e.target.closest('[data-testid="timeline.list"]') !== null;

/**
 * The keys for reading the trace: levels, search, and inside the trace list ↑/↓ between steps,
 * → to open a step's finer steps in place, ← to fold them. Listed before playback's keys, so a
 * → in the list that has nothing to open still steps forward.
 */
export function traceKeys(): KeyBinding[] {
  const s = () => useStore.getState();
  const current = () => {
    const rows = rowsOf(s());
    const at = rowOf(rows, s().cursor);
    return { rows, at, row: rows[at] };
  };
  return [
    { id: 'trace.level', keys: ['l', 'L'], display: 'L', label: 'Level of detail: path → kernel → rules', group: 'Trace', views: ['debug'], run: () => s().cycleLevel() },
    {
      id: 'trace.search',
      keys: ['/'],
      label: 'Search the trace (an IP, a chain, MASQUERADE, a device)',
      group: 'Trace',
      views: ['debug'],
      run: () => {
        const box = document.querySelector<HTMLInputElement>('[data-testid="timeline.search"]');
        if (!box) return false;
        box.focus();
      },
    },
    { id: 'trace.next-match', keys: ['n'], label: 'Next search match (Enter in the search box)', group: 'Trace', views: ['debug'], run: () => s().findMatch(1) },
    { id: 'trace.prev-match', keys: ['N'], label: 'Previous search match (Shift+Enter in the search box)', group: 'Trace', views: ['debug'], run: () => s().findMatch(-1) },
    {
      id: 'trace.expand',
      keys: ['e'],
      label: 'Show or fold the finer steps the current step stands for',
      group: 'Trace',
      views: ['debug'],
      run: () => {
        const { row } = current();
        if (!row || row.contains === 0) return false;
        s().toggleExpanded(row.index);
      },
    },
    { id: 'trace.list-down', keys: ['ArrowDown'], label: 'In the trace list: next step', group: 'Trace', views: ['debug'], run: (e) => (inList(e) ? s().stepBy(1) : false) },
    { id: 'trace.list-up', keys: ['ArrowUp'], label: 'In the trace list: previous step', group: 'Trace', views: ['debug'], run: (e) => (inList(e) ? s().stepBy(-1) : false) },
    {
      id: 'trace.list-open',
      keys: ['ArrowRight'],
      label: 'In the trace list: open the finer steps of a step (else step forward)',
      group: 'Trace',
      views: ['debug'],
      run: (e) => {
        const { row } = current();
        if (!inList(e) || !row || row.contains === 0 || s().expanded.has(row.index)) return false;
        s().toggleExpanded(row.index);
      },
    },
    {
      id: 'trace.list-fold',
      keys: ['ArrowLeft'],
      label: 'In the trace list: fold the group the step is in (else step back)',
      group: 'Trace',
      views: ['debug'],
      run: (e) => {
        if (!inList(e)) return false;
        const { rows, at, row } = current();
        if (row && s().expanded.has(row.index)) return void s().toggleExpanded(row.index);
        const parent = row && row.depth > 0 ? rows.slice(at + 1).find((r) => r.depth < row.depth) : undefined;
        if (!parent) return false;
        s().toggleExpanded(parent.index);
      },
    },
  ];
}
