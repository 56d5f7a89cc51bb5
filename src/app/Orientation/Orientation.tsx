import { useEffect, useState } from 'react';
import { rowsOf, useStore } from '../store/store.ts';
import './Orientation.css';

/** What the loaded flow is called: its preset's name, else its kind. */
function useFlowName(): string | undefined {
  return useStore((s) => {
    const f = s.shown?.flow;
    if (!f) return undefined;
    const p = s.result?.presets.find((x) => x.flow.from === f.from && x.flow.to === f.to && x.flow.kind === f.kind && x.flow.proto === f.proto);
    return p ? p.label.replace(/\s*\(.*\)$/, '') : `${f.kind} ${f.from} → ${f.to}`;
  });
}

/** Whether the newcomer's line still shows: until the packet first moves. */
export function useOrientation(): boolean {
  const steps = useStore((s) => s.result?.trace.events.length ?? 0);
  const moved = useStore((s) => s.cursor > 0 || s.playing);
  const [gone, setGone] = useState(false);
  useEffect(() => {
    if (moved) setGone(true);
  }, [moved]);
  return !gone && !moved && steps > 0;
}

/**
 * The line a newcomer reads first: which flow is loaded, how long it is, and the key that
 * starts it. It stands where the legend goes, until the packet first moves.
 */
export function Orientation() {
  const name = useFlowName();
  // the steps at the level shown, as the controls count them (34 at path, 441 at rules: the handshake and the close)
  const steps = useStore((s) => (s.result ? rowsOf(s).length : 0));
  return (
    <p className="orient" data-testid="first.orient" title={useStore((s) => (s.shown ? `${s.shown.flow.from} → ${s.shown.flow.to} (${s.shown.flow.proto})` : undefined))}>
      <span className="orient-flow">{name}</span> · {steps} steps · <kbd>Space</kbd> plays · <kbd>→</kbd> steps · <kbd>?</kbd> all keys
    </p>
  );
}
