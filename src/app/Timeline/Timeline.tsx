import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { PacketOutcome, TraceEvent } from '../../sim/trace/event.ts';
import { describeStep, netnsLabel, shortName } from '../store/describe.ts';
import { useStore } from '../store/store.ts';
import { revealRow, ROW, rowAt, rowGeometry, visibleRows, type RowGeometry } from './rows.ts';
import './Timeline.css';

/**
 * The trace as a list: every event, in order, grouped by packet. It is the timeline a mouse
 * clicks, and the transcript a screen reader follows (each row reads as a full sentence; the
 * live region reads the current one). Only the rows in view are rendered (rows.ts).
 */
export function Timeline() {
  const events = useStore((s) => s.result?.trace.events);
  const packets = useStore((s) => s.result?.trace.packets);
  const cursor = useStore((s) => s.cursor);
  const boxRef = useRef<HTMLDivElement>(null);
  // the viewport as last seen; kept in a ref so that scrolling only re-renders when the rows change
  const viewport = useRef({ top: 0, height: 360 });
  const [range, setRange] = useState<[number, number]>([0, 30]);
  const [topRow, setTopRow] = useState(0);
  const geo = useMemo(() => rowGeometry(events ?? [], cursor), [events, cursor]);

  const update = useCallback(
    (g: RowGeometry) => {
      const { top, height } = viewport.current;
      const [a, b] = visibleRows(g, top, height);
      setRange((r) => (r[0] === a && r[1] === b ? r : [a, b]));
      setTopRow(rowAt(g, top + ROW.head));
    },
    [],
  );

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

  const geoRef = useRef(geo);
  geoRef.current = geo;

  // follow the cursor: the rows for the new scroll position render now, the box scrolls in the
  // next frame (where the browser lays out anyway: no forced layout after React's commit)
  useLayoutEffect(() => {
    const want = revealRow(geo, cursor, viewport.current.top, viewport.current.height);
    if (want !== undefined) {
      viewport.current.top = want;
      const box = boxRef.current;
      const id = requestAnimationFrame(() => {
        if (box) box.scrollTop = want;
      });
      update(geo);
      return () => cancelAnimationFrame(id);
    }
    update(geo);
    return undefined;
  }, [geo, cursor, update]);

  const onScroll = (e: React.UIEvent<HTMLDivElement>) => {
    viewport.current.top = e.currentTarget.scrollTop;
    update(geo);
  };

  const n = events?.length ?? 0;
  const rows: number[] = [];
  for (let i = range[0]; i <= Math.min(range[1], n - 1); i++) rows.push(i);
  const top = events?.[topRow];
  return (
    <section className="timeline" aria-label="Trace transcript">
      <div className="timeline-head">
        <h2 className="label">Trace · {n} events</h2>
      </div>
      <div className="timeline-scroll" ref={boxRef} onScroll={onScroll}>
        {top && (
          <div className={`packet-head sticky ${packetBad(packets, top.packetId) ? 'bad' : ''}`} aria-hidden="true">
            {packetTitle(packets, top.packetId)}
          </div>
        )}
        <ol className="timeline-list" data-testid="timeline.list" aria-label="Trace events" style={{ height: geo.total }}>
          {events &&
            rows.map((i) => (
              <Row
                key={i}
                ev={events[i]!}
                index={i}
                total={n}
                header={geo.heads[i] ? packetTitle(packets, events[i]!.packetId) : undefined}
                top={geo.tops[i]!}
                height={geo.heights[i]!}
              />
            ))}
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

const Row = memo(function Row(props: { ev: TraceEvent; index: number; total: number; header: string | undefined; top: number; height: number }) {
  const { ev, index, header } = props;
  const current = useStore((s) => s.cursor === index);
  const seek = useStore((s) => s.seek);
  const what = describeStep(ev);
  return (
    <li className={`trow-li${header ? ' first' : ''}`} style={{ top: props.top, height: props.height }} aria-setsize={props.total} aria-posinset={index + 1}>
      {header && <div className={`packet-head ${/dropped/.test(header) ? 'bad' : ''}`}>{header}</div>}
      <button
        type="button"
        className={`trow k-${ev.kind}${current ? ' current' : ''}${ev.changed.length ? ' changed' : ''}`}
        data-testid={`timeline.event.${index}`}
        data-index={index}
        aria-current={current ? 'step' : undefined}
        aria-label={`Step ${index + 1}: ${ev.host}, ${netnsLabel(ev.netns)}, ${what}`}
        title={what}
        onClick={() => seek(index)}
      >
        <span className="trow-n mono">{index + 1}</span>
        <span className="trow-where">
          <span className="trow-host">{ev.host}</span>
          {ev.netns !== 'root' && (
            <span className="trow-ns" title={ev.netns}>
              {shortName(ev.netns)}
            </span>
          )}
        </span>
        <span className="trow-what mono">{what}</span>
      </button>
    </li>
  );
});
