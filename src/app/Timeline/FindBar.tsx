import { useMemo, useState } from 'react';
import { CATEGORY_LABEL, STEP_CATEGORIES, TRACE_LEVELS, type StepRow, type TraceLevel } from '../../sim/trace/levels.ts';
import { rowMatches } from '../store/steps.ts';
import { useStore } from '../store/store.ts';

const LEVEL_TITLE: Readonly<Record<TraceLevel, string>> = {
  path: 'path: one step per device or namespace crossing and per change to the packet',
  kernel: 'kernel: adds every lookup (route, neighbour, FDB), conntrack, and each table’s verdict at a hook',
  rules: 'rules: every netfilter rule the packet matched',
};

/** path · kernel · rules: how much of the trace is a step. One Tab stop; ← → choose, as does L anywhere. */
export function LevelSwitch() {
  const level = useStore((s) => s.level);
  const setLevel = useStore((s) => s.setLevel);
  const move = (e: React.KeyboardEvent<HTMLDivElement>) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    e.preventDefault();
    const at = TRACE_LEVELS.indexOf(level);
    const next = TRACE_LEVELS[(at + (e.key === 'ArrowRight' ? 1 : TRACE_LEVELS.length - 1)) % TRACE_LEVELS.length]!;
    setLevel(next);
    e.currentTarget.querySelector<HTMLElement>(`[data-testid="timeline.level.${next}"]`)?.focus();
  };
  return (
    <div className="seg level-switch" role="radiogroup" aria-label="Level of detail (L)" data-testid="timeline.level" onKeyDown={move}>
      {TRACE_LEVELS.map((l) => (
        <button
          key={l}
          type="button"
          role="radio"
          aria-checked={level === l}
          tabIndex={level === l ? 0 : -1}
          data-testid={`timeline.level.${l}`}
          title={`${LEVEL_TITLE[l]} (L cycles)`}
          onClick={() => setLevel(l)}
        >
          {l}
        </button>
      ))}
    </div>
  );
}

/**
 * Search over the trace (an IP, a chain, rule text such as MASQUERADE, a device) with next and
 * previous (Enter / Shift+Enter in the box, n / N elsewhere), and chips that keep only some kinds
 * of step. Smart case: a capital letter makes the search case-sensitive.
 */
export function FindBar({ rows, hits }: { rows: readonly StepRow[]; hits: Uint8Array | undefined }) {
  const query = useStore((s) => s.query);
  const setQuery = useStore((s) => s.setQuery);
  const findMatch = useStore((s) => s.findMatch);
  const filter = useStore((s) => s.filter);
  const toggleFilter = useStore((s) => s.toggleFilter);
  const clearFilter = useStore((s) => s.clearFilter);
  const expanded = useStore((s) => s.expanded);
  const cursor = useStore((s) => s.cursor);
  const found = useMemo(() => (hits && query.trim() ? rows.filter((r) => rowMatches(r, hits, expanded)) : []), [rows, hits, query, expanded]);
  const at = found.findIndex((r) => r.index === cursor);
  const none = query.trim() !== '' && found.length === 0;
  // the kind chips fold away when no filter is on: the list keeps its room
  const [open, setOpen] = useState(false);
  const showChips = open || filter.size > 0;
  return (
    <>
      <div className="find-row">
        <input
          type="search"
          className={`input find-input${none ? ' none' : ''}`}
          data-testid="timeline.search"
          aria-label="Search the trace: an IP, a chain, rule text such as MASQUERADE, a device (/ to focus; Enter next, Shift+Enter previous)"
          placeholder="find: IP, chain, MASQUERADE, cni0…  ( / )"
          spellCheck={false}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              findMatch(e.shiftKey ? -1 : 1);
            } else if (e.key === 'Escape') {
              e.preventDefault();
              if (query) setQuery('');
              else e.currentTarget.blur();
            }
          }}
        />
        <span className="find-count mono" data-testid="timeline.search.count" aria-live="polite">
          {query.trim() ? (found.length ? `${at >= 0 ? at + 1 : '–'} / ${found.length}` : 'no match') : ''}
        </span>
        {/* n / N and (Shift+)Enter in the box do what these do: not Tab stops of their own */}
        <button type="button" tabIndex={-1} className="icon-btn small" aria-label="Previous match (N)" title="Previous match (N)" data-testid="timeline.search.prev" aria-disabled={!found.length} onClick={() => findMatch(-1)}>
          ↑
        </button>
        <button type="button" tabIndex={-1} className="icon-btn small" aria-label="Next match (n)" title="Next match (n)" data-testid="timeline.search.next" aria-disabled={!found.length} onClick={() => findMatch(1)}>
          ↓
        </button>
        <button
          type="button"
          className={`btn small kinds-toggle${filter.size ? ' on' : ''}`}
          aria-expanded={showChips}
          aria-controls="step-kinds"
          data-testid="timeline.filter.toggle"
          title="Show only some kinds of step: routing, ARP, bridge, netfilter, NAT, conntrack, encapsulation, drops"
          onClick={() => setOpen(!open)}
        >
          kinds{filter.size ? ` · ${filter.size}` : ''} {showChips ? '▴' : '▾'}
        </button>
      </div>
      <div className="chips" id="step-kinds" role="group" aria-label="Show only these kinds of step" hidden={!showChips}>
        {STEP_CATEGORIES.map((c) => (
          <button key={c} type="button" className="chip filter-chip" aria-pressed={filter.has(c)} data-testid={`timeline.filter.${c}`} onClick={() => toggleFilter(c)}>
            {CATEGORY_LABEL[c]}
          </button>
        ))}
        {filter.size > 0 && (
          <button type="button" className="chip clear" data-testid="timeline.filter.clear" aria-label="Show every kind of step again" onClick={clearFilter}>
            × all
          </button>
        )}
      </div>
    </>
  );
}
