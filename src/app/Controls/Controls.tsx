import { useEffect, useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { EventKind } from '../../sim/trace/event.ts';
import { describeEvent } from '../store/describe.ts';
import { matchingEvents, rowMatches, rowOf } from '../store/steps.ts';
import { rowsOf, SPEEDS, STEP_MS, useStore } from '../store/store.ts';
import { useRows } from '../Timeline/Timeline.tsx';
import './Controls.css';

/** Runs playback: one step per tick while playing; the timer lives in the UI, not the core. */
function usePlayback(): void {
  const { playing, cursor, speed, instant } = useStore(useShallow((s) => ({ playing: s.playing, cursor: s.cursor, speed: s.speed, instant: s.instant })));
  useEffect(() => {
    if (!playing) return;
    const t = setTimeout(() => {
      const s = useStore.getState();
      const rows = rowsOf(s);
      if (rowOf(rows, s.cursor) >= rows.length - 1) s.setPlaying(false);
      else s.stepBy(1);
    }, instant ? 16 : STEP_MS / speed);
    return () => clearTimeout(t);
  }, [playing, cursor, speed, instant]);
}

export function Controls() {
  usePlayback();
  const { cursor, events, playing, speed } = useStore(
    useShallow((s) => ({ cursor: s.cursor, events: s.result?.trace.events.length ?? 0, playing: s.playing, speed: s.speed })),
  );
  const rows = useRows();
  const total = rows.length;
  const pos = rowOf(rows, cursor);
  const first = pos <= 0 && (rows[0]?.index ?? 0) >= cursor;
  const last = pos >= total - 1 || (pos < 0 && (rows.at(-1)?.index ?? 0) <= cursor);
  const a = useStore.getState();
  const none = total === 0;
  return (
    <div className="controls" role="toolbar" aria-label="Playback controls">
      {/* aria-disabled, not disabled: a button that reaches its limit keeps the keyboard focus.
          The step buttons are not Tab stops: → ← Home End do what they do from anywhere, so
          Tab goes from Play on to the trace (the ? sheet lists the keys) */}
      <div className="controls-buttons">
        <button type="button" className="icon-btn" data-testid="controls.to-start" tabIndex={-1} aria-label="Jump to start (Home)" title="Jump to start (Home)" aria-disabled={none || first} onClick={a.toStart}>
          <Icon d="M6 5v14M18 5l-9 7 9 7z" />
        </button>
        <button type="button" className="icon-btn" data-testid="controls.step-back" tabIndex={-1} aria-label="Step back (←)" title="Step back (←)" aria-disabled={none || first} onClick={() => a.stepBy(-1)}>
          <Icon d="M15 5l-7 7 7 7" />
        </button>
        <button
          type="button"
          className="icon-btn play"
          data-testid="controls.play"
          aria-label={playing ? 'Pause (Space)' : 'Play (Space)'}
          title={playing ? 'Pause (Space)' : 'Play (Space)'}
          aria-pressed={playing}
          aria-disabled={total < 2}
          onClick={a.togglePlay}
        >
          {playing ? <Icon d="M8 5v14M16 5v14" /> : <Icon d="M7 5l12 7-12 7z" fill />}
        </button>
        <button type="button" className="icon-btn" data-testid="controls.step-forward" tabIndex={-1} aria-label="Step forward (→)" title="Step forward (→)" aria-disabled={none || last} onClick={() => a.stepBy(1)}>
          <Icon d="M9 5l7 7-7 7" />
        </button>
        <button type="button" className="icon-btn" data-testid="controls.to-end" tabIndex={-1} aria-label="Jump to end (End)" title="Jump to end (End)" aria-disabled={none || last} onClick={a.toEnd}>
          <Icon d="M18 5v14M6 5l9 7-9 7z" />
        </button>
      </div>
      <div className="step-count mono" data-testid="controls.position" aria-label={`step ${pos + 1} of ${total}, event ${cursor + 1} of ${events}`} title={`event ${cursor + 1} of ${events} in the whole trace`}>
        {none ? '–' : pos >= 0 ? `${pos + 1}` : '·'}
        <span className="muted"> / {total}</span>
      </div>
      <label className="speed">
        <span className="label">speed</span>
        <select className="select" data-testid="controls.speed" aria-label="Playback speed" value={speed} onChange={(e) => a.setSpeed(Number(e.target.value))}>
          {SPEEDS.map((x) => (
            <option key={x} value={x}>
              {x}×
            </option>
          ))}
        </select>
      </label>
      <Scrubber />
      <ReRoll />
    </div>
  );
}

/** The next draw of the connection: another random choice for the statistic rules and the port, the same cluster. */
function ReRoll() {
  const draw = useStore((s) => s.scenario.draw ?? 0);
  const setDraw = useStore((s) => s.setDraw);
  return (
    <button
      type="button"
      className="btn reroll"
      data-testid="controls.reroll"
      aria-label={`Re-roll the connection: draw ${draw} → ${draw + 1}`}
      title={`Re-roll the connection (draw ${draw} → ${draw + 1}): another random choice for kube-proxy's statistic rules and the ephemeral port; the cluster, its MACs and names stay`}
      onClick={() => setDraw(draw + 1)}
    >
      ⟳ re-roll{draw ? ` · ${draw}` : ''}
    </button>
  );
}

function Icon({ d, fill }: { d: string; fill?: boolean }) {
  return (
    <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true">
      <path d={d} fill={fill ? 'currentColor' : 'none'} stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

const KIND_CLASS: Partial<Record<EventKind, string>> = {
  rule: 'k-nf',
  policy: 'k-nf',
  nat: 'k-nat',
  route: 'k-lookup',
  neigh: 'k-lookup',
  fdb: 'k-lookup',
  arp: 'k-lookup',
  conntrack: 'k-lookup',
  ipvs: 'k-nat',
  encap: 'k-tunnel',
  decap: 'k-tunnel',
  user: 'k-tunnel',
  wire: 'k-wire',
  drop: 'k-drop',
  deliver: 'k-deliver',
};

/** A strip of ticks, one per step shown, coloured by kind, search hits marked: a map of the trace for the mouse. */
function Scrubber() {
  const events = useStore((s) => s.result?.trace.events);
  const cursor = useStore((s) => s.cursor);
  const seek = useStore((s) => s.seek);
  const query = useStore((s) => s.query);
  const expanded = useStore((s) => s.expanded);
  const rows = useRows();
  const ticks = useMemo(() => {
    if (!events) return [];
    const hits = query.trim() ? matchingEvents(events, query) : undefined;
    return rows.map((r, k) => {
      const e = events[r.index]!;
      const prev = k > 0 ? events[rows[k - 1]!.index] : undefined;
      return {
        i: r.index,
        cls: KIND_CLASS[e.kind] ?? 'k-dev',
        packetStart: !!prev && prev.packetId !== e.packetId,
        hostStart: !!prev && prev.host !== e.host,
        match: !!hits && rowMatches(r, hits, expanded),
        title: `${k + 1}: ${describeEvent(e)}`,
      };
    });
  }, [events, rows, query, expanded]);
  return (
    <div className="scrubber" aria-hidden="true" data-testid="controls.scrubber">
      {ticks.map((t) => (
        <div
          key={t.i}
          className={`tick ${t.cls}${t.i === cursor ? ' current' : ''}${t.i < cursor ? ' past' : ''}${t.packetStart ? ' packet-start' : ''}${t.hostStart ? ' host-start' : ''}${t.match ? ' match' : ''}`}
          title={t.title}
          onClick={() => seek(t.i)}
        />
      ))}
    </div>
  );
}
