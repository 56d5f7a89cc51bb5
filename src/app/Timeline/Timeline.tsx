import { memo, useEffect, useRef } from 'react';
import type { PacketOutcome, TraceEvent } from '../../sim/trace/event.ts';
import { describeStep, netnsLabel, shortName } from '../store/describe.ts';
import { revealIn } from '../store/scroll.ts';
import { useStore } from '../store/store.ts';
import './Timeline.css';

/**
 * The trace as a list: every event, in order, grouped by packet. It is the timeline a mouse
 * clicks, and the transcript a screen reader follows (each row reads as a full sentence).
 */
export function Timeline() {
  const events = useStore((s) => s.result?.trace.events);
  const packets = useStore((s) => s.result?.trace.packets);
  const listRef = useRef<HTMLOListElement>(null);
  const cursor = useStore((s) => s.cursor);

  useEffect(() => {
    const el = listRef.current?.querySelector<HTMLElement>(`[data-index="${cursor}"]`);
    const box = listRef.current?.parentElement;
    if (el && box) revealIn(box, el);
  }, [cursor, events]);

  return (
    <section className="timeline" aria-label="Trace transcript">
      <div className="timeline-head">
        <h2 className="label">Trace · {events?.length ?? 0} events</h2>
      </div>
      <div className="timeline-scroll">
        <ol className="timeline-list" ref={listRef} data-testid="timeline.list">
          {events?.map((e, i) => (
            <Row key={i} ev={e} index={i} header={i === 0 || events[i - 1]?.packetId !== e.packetId ? packetTitle(packets, e.packetId) : undefined} />
          ))}
        </ol>
      </div>
    </section>
  );
}

function packetTitle(packets: readonly PacketOutcome[] | undefined, id: number): string {
  const p = packets?.find((x) => x.packetId === id);
  if (!p) return `packet ${id}`;
  return `packet ${id} · ${p.role} · ${p.verdict}${p.reason ? ` (${p.reason})` : ''}`;
}

const Row = memo(function Row({ ev, index, header }: { ev: TraceEvent; index: number; header: string | undefined }) {
  const current = useStore((s) => s.cursor === index);
  const seek = useStore((s) => s.seek);
  return (
    <li className={`trow-li${header ? ' first' : ''}`}>
      {header && <div className={`packet-head ${/dropped/.test(header) ? 'bad' : ''}`}>{header}</div>}
      <button
        type="button"
        className={`trow k-${ev.kind}${current ? ' current' : ''}${ev.changed.length ? ' changed' : ''}`}
        data-testid={`timeline.event.${index}`}
        data-index={index}
        aria-current={current ? 'step' : undefined}
        aria-label={`Step ${index + 1}: ${ev.host}, ${netnsLabel(ev.netns)}, ${describeStep(ev)}`}
        onClick={() => seek(index)}
      >
        <span className="trow-n mono">{index + 1}</span>
        <span className="trow-where">
          <span className="trow-host">{ev.host}</span>
          {ev.netns !== 'root' && <span className="trow-ns" title={ev.netns}>{shortName(ev.netns)}</span>}
        </span>
        <span className="trow-what mono">{describeStep(ev)}</span>
      </button>
    </li>
  );
});
