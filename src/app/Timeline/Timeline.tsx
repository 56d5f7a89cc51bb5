import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { PacketOutcome, TraceEvent } from '../../sim/trace/event.ts';
import type { StepRow } from '../../sim/trace/levels.ts';
import { describeStep, netnsLabel, shortName } from '../store/describe.ts';
import { matchingEvents, rowMatches, rowOf } from '../store/steps.ts';
import { rowsOf, useStore } from '../store/store.ts';
import { FindBar, LevelSwitch } from './FindBar.tsx';
import { revealRow, ROW, rowAt, rowGeometry, rowsInView, type RowGeometry } from './rows.ts';
import './Timeline.css';

/** The rows the debugger shows now (level, expanded groups, filter), shared by list, scrubber and controls. */
export function useRows(): readonly StepRow[] {
  // rowsOf caches per (trace, level, expanded, filter): the same array until one of them changes
  return useStore(rowsOf);
}

/**
 * The trace as a list of steps at the chosen level: the timeline a mouse clicks and the
 * transcript a screen reader follows (each row reads as a full sentence). The list is one tab
 * stop: ↑/↓ move between steps, → opens a step's finer steps in place, ← folds them. Only the
 * rows in view are rendered (rows.ts).
 */
export function Timeline() {
  const events = useStore((s) => s.result?.trace.events);
  const packets = useStore((s) => s.result?.trace.packets);
  const cursor = useStore((s) => s.cursor);
  const expanded = useStore((s) => s.expanded);
  const query = useStore((s) => s.query);
  const rows = useRows();
  const boxRef = useRef<HTMLDivElement>(null);
  // the viewport as last seen; kept in a ref so that scrolling only re-renders when the rows change
  const viewport = useRef({ top: 0, height: 360 });
  const [, rerender] = useState(0);
  const geo = useMemo(() => rowGeometry(events ?? [], rows, cursor), [events, rows, cursor]);
  const at = useMemo(() => rowOf(rows, cursor), [rows, cursor]);
  const hits = useMemo(() => (events ? matchingEvents(events, query) : undefined), [events, query]);

  // follow the cursor: when the cursor or the rows moved, the scroll position that shows it is
  // decided here, so the rows for it render in this pass (one render per step, not a second
  // one from an effect); a re-render after the user scrolled leaves the view where it is
  const revealed = useRef<{ geo: RowGeometry; at: number } | null>(null);
  const moved = revealed.current?.geo !== geo || revealed.current.at !== at;
  revealed.current = { geo, at };
  const want = !moved || at < 0 ? undefined : revealRow(geo, at, viewport.current.top, viewport.current.height);
  const pending = useRef<{ top: number | null; frame: number; after: number }>({ top: null, frame: 0, after: 0 });
  if (want !== undefined) viewport.current.top = pending.current.top = want;
  const range = rowsInView(geo, viewport.current.top, viewport.current.height);
  const topRow = rowAt(geo, viewport.current.top + ROW.head);
  const shownRef = useRef({ range, topRow });
  shownRef.current = { range, topRow };

  /** Re-renders when the viewport now needs other rows than those rendered. */
  const update = useCallback((g: RowGeometry) => {
    const { top, height } = viewport.current;
    const [a, b] = rowsInView(g, top, height);
    const shown = shownRef.current;
    if (a !== shown.range[0] || b !== shown.range[1] || rowAt(g, top + ROW.head) !== shown.topRow) rerender((x) => x + 1);
  }, []);

  const geoRef = useRef(geo);
  geoRef.current = geo;

  useEffect(() => {
    const box = boxRef.current;
    if (!box) return;
    const ro = new ResizeObserver(([entry]) => {
      viewport.current.height = entry?.contentRect.height ?? viewport.current.height;
      update(geoRef.current);
    });
    ro.observe(box);
    return () => ro.disconnect();
  }, [update]);

  // the box scrolls in the next frame, where the browser lays out anyway (no forced layout
  // after React's commit); the scroll event that write causes is ours, and is not read back
  // (reading scrollTop there would lay out the next step's DOM before its frame)
  const ownScroll = useRef(false);
  useLayoutEffect(() => {
    const p = pending.current;
    if (p.top === null || p.frame) return;
    p.frame = requestAnimationFrame(() => {
      p.frame = 0;
      const top = p.top;
      p.top = null;
      if (!boxRef.current || top === null) return;
      boxRef.current.scrollTop = top;
      ownScroll.current = true;
      // scroll events are dispatched before the next frame's callbacks: by then it has come
      cancelAnimationFrame(p.after);
      p.after = requestAnimationFrame(() => (ownScroll.current = false));
    });
  });
  useEffect(
    () => () => {
      cancelAnimationFrame(pending.current.frame);
      cancelAnimationFrame(pending.current.after);
    },
    [],
  );

  const onScroll = (e: React.UIEvent<HTMLDivElement>) => {
    if (ownScroll.current) {
      ownScroll.current = false;
      return;
    }
    viewport.current.top = e.currentTarget.scrollTop;
    update(geo);
  };

  const n = rows.length;
  const shown: number[] = [];
  for (let k = range[0]; k <= Math.min(range[1], n - 1); k++) shown.push(k);
  const top = events && rows[topRow] ? events[rows[topRow]!.index] : undefined;
  return (
    <section className="timeline" aria-label="Trace transcript">
      <h2 className="sr-only" data-testid="timeline.count">
        Trace · {n} steps{events && n !== events.length ? ` of ${events.length} events` : ''}
      </h2>
      <div className="timeline-head">
        <LevelSwitch />
        <FindBar rows={rows} hits={hits} />
      </div>
      <div className="timeline-scroll" ref={boxRef} onScroll={onScroll}>
        {top && (
          <div className={`packet-head sticky ${packetBad(packets, top.packetId) ? 'bad' : ''}`} aria-hidden="true">
            {packetTitle(packets, top.packetId)}
          </div>
        )}
        <ol
          className="timeline-list"
          data-testid="timeline.list"
          role="listbox"
          aria-label="Trace steps (arrow keys move, → opens a step's finer steps)"
          tabIndex={0}
          title="↑ ↓ move between steps, → opens a step's finer steps, ← folds them (? lists every key)"
          aria-activedescendant={at >= 0 ? `trow-${cursor}` : undefined}
          style={{ height: geo.total }}
        >
          {events &&
            shown.map((k) => {
              const row = rows[k]!;
              return (
                <Row
                  key={row.index}
                  ev={events[row.index]!}
                  row={row}
                  position={k}
                  total={n}
                  open={expanded.has(row.index)}
                  match={!!hits && !!query.trim() && rowMatches(row, hits, expanded)}
                  header={geo.heads[k] ? packetTitle(packets, events[row.index]!.packetId) : undefined}
                  top={geo.tops[k]!}
                  height={geo.heights[k]!}
                />
              );
            })}
        </ol>
      </div>
    </section>
  );
}

function packetTitle(packets: readonly PacketOutcome[] | undefined, id: number): string {
  const p = packets?.find((x) => x.packetId === id);
  if (!p) return `packet ${id}`;
  return `packet ${id} · ${p.role} · ${p.verdict}${p.reason ? ` (${p.reason})` : ''}${p.rulesEvaluated ? ` · ${p.rulesEvaluated} rules checked` : ''}`;
}

function packetBad(packets: readonly PacketOutcome[] | undefined, id: number): boolean {
  return packets?.find((x) => x.packetId === id)?.verdict === 'dropped';
}

const Row = memo(function Row(props: { ev: TraceEvent; row: StepRow; position: number; total: number; open: boolean; match: boolean; header: string | undefined; top: number; height: number }) {
  const { ev, row, header, open } = props;
  const current = useStore((s) => s.cursor === row.index);
  const seek = useStore((s) => s.seek);
  const toggle = useStore((s) => s.toggleExpanded);
  const what = describeStep(ev);
  const inner = row.contains > 0 ? `, stands for ${row.contains} finer step${row.contains === 1 ? '' : 's'}${open ? ', shown above' : ''}` : '';
  return (
    <li
      className={`trow-li${header ? ' first' : ''}`}
      style={{ top: props.top, height: props.height }}
      id={`trow-${row.index}`}
      role="option"
      aria-selected={current}
      aria-setsize={props.total}
      aria-posinset={props.position + 1}
      aria-label={`Step ${props.position + 1}: ${ev.host}, ${netnsLabel(ev.netns)}, ${what}${inner}`}
      data-testid={`timeline.event.${row.index}`}
      data-index={row.index}
      onClick={() => seek(row.index)}
    >
      {header && <div className={`packet-head ${/dropped/.test(header) ? 'bad' : ''}`}>{header}</div>}
      <div
        className={`trow k-${ev.kind}${current ? ' current' : ''}${ev.changed.length ? ' changed' : ''}${props.match ? ' match' : ''}${row.depth ? ` depth-${row.depth}` : ''}`}
        title={what}
      >
        <span className="trow-n mono">{props.position + 1}</span>
        <span className="trow-where">
          <span className="trow-host">{ev.host}</span>
          {ev.netns !== 'root' && (
            <span className="trow-ns" title={ev.netns}>
              {shortName(ev.netns)}
            </span>
          )}
        </span>
        <span className="trow-what mono">{what}</span>
        {row.contains > 0 ? (
          <span
            className={`trow-more${open ? ' open' : ''}`}
            data-testid={`timeline.expand.${row.index}`}
            title={open ? 'Fold the finer steps (←)' : `Show the ${row.contains} finer steps this step stands for (→)`}
            onClick={(e) => {
              e.stopPropagation();
              toggle(row.index);
            }}
          >
            {open ? '▾' : '▸'} {row.contains}
          </span>
        ) : (
          <span />
        )}
      </div>
    </li>
  );
});
