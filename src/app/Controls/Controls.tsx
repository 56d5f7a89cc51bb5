import { useEffect, useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { EventKind, TraceEvent } from '../../sim/trace/event.ts';
import { describeEvent } from '../store/describe.ts';
import { SPEEDS, STEP_MS, useStore } from '../store/store.ts';
import './Controls.css';

/** Runs playback: one step per tick while playing; the timer lives in the UI, not the core. */
function usePlayback(): void {
  const { playing, cursor, speed, instant } = useStore(useShallow((s) => ({ playing: s.playing, cursor: s.cursor, speed: s.speed, instant: s.instant })));
  useEffect(() => {
    if (!playing) return;
    const t = setTimeout(() => {
      const s = useStore.getState();
      const n = s.result?.trace.events.length ?? 0;
      if (s.cursor >= n - 1) s.setPlaying(false);
      else s.stepBy(1);
    }, instant ? 16 : STEP_MS / speed);
    return () => clearTimeout(t);
  }, [playing, cursor, speed, instant]);
}

export function Controls() {
  usePlayback();
  const { cursor, total, playing, speed } = useStore(
    useShallow((s) => ({ cursor: s.cursor, total: s.result?.trace.events.length ?? 0, playing: s.playing, speed: s.speed })),
  );
  const a = useStore.getState();
  const none = total === 0;
  return (
    <div className="controls" role="toolbar" aria-label="Playback controls">
      {/* aria-disabled, not disabled: a button that reaches its limit keeps the keyboard focus */}
      <div className="controls-buttons">
        <button type="button" className="icon-btn" data-testid="controls.to-start" aria-label="Jump to start (Home)" title="Jump to start (Home)" aria-disabled={none || cursor === 0} onClick={a.toStart}>
          <Icon d="M6 5v14M18 5l-9 7 9 7z" />
        </button>
        <button type="button" className="icon-btn" data-testid="controls.step-back" aria-label="Step back (←)" title="Step back (←)" aria-disabled={none || cursor === 0} onClick={() => a.stepBy(-1)}>
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
        <button type="button" className="icon-btn" data-testid="controls.step-forward" aria-label="Step forward (→)" title="Step forward (→)" aria-disabled={none || cursor >= total - 1} onClick={() => a.stepBy(1)}>
          <Icon d="M9 5l7 7-7 7" />
        </button>
        <button type="button" className="icon-btn" data-testid="controls.to-end" aria-label="Jump to end (End)" title="Jump to end (End)" aria-disabled={none || cursor >= total - 1} onClick={a.toEnd}>
          <Icon d="M18 5v14M6 5l9 7-9 7z" />
        </button>
      </div>
      <div className="step-count mono" data-testid="controls.position" aria-label={`step ${cursor + 1} of ${total}`}>
        {none ? '–' : `${cursor + 1}`}
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
    </div>
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

/** A strip of ticks, one per event, coloured by kind: a map of the whole trace for the mouse. */
function Scrubber() {
  const events = useStore((s) => s.result?.trace.events);
  const cursor = useStore((s) => s.cursor);
  const seek = useStore((s) => s.seek);
  const ticks = useMemo(
    () =>
      (events ?? []).map((e: TraceEvent, i) => ({
        i,
        cls: KIND_CLASS[e.kind] ?? 'k-dev',
        packetStart: i > 0 && events?.[i - 1]?.packetId !== e.packetId,
        hostStart: i > 0 && events?.[i - 1]?.host !== e.host,
        title: `${i + 1}: ${describeEvent(e)}`,
      })),
    [events],
  );
  return (
    <div className="scrubber" aria-hidden="true">
      {ticks.map((t) => (
        <div
          key={t.i}
          className={`tick ${t.cls}${t.i === cursor ? ' current' : ''}${t.i < cursor ? ' past' : ''}${t.packetStart ? ' packet-start' : ''}${t.hostStart ? ' host-start' : ''}`}
          title={t.title}
          onClick={() => seek(t.i)}
        />
      ))}
    </div>
  );
}
