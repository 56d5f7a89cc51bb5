import { announceStep } from '../store/describe.ts';
import { rowOf } from '../store/steps.ts';
import { rowsOf, useStore } from '../store/store.ts';

/** The polite live region that reads out each step as the cursor moves. */
export function Announcer() {
  const text = useStore((s) => {
    const events = s.result?.trace.events;
    if (!events) return '';
    // counted as the steps shown at the level, as the controls count them
    const rows = rowsOf(s);
    const at = rowOf(rows, s.cursor);
    return announceStep(events[s.cursor], at >= 0 ? at : s.cursor, at >= 0 ? rows.length : events.length);
  });
  return (
    <div className="sr-only" role="status" aria-live="polite" aria-atomic="true" data-testid="a11y.live">
      {text}
    </div>
  );
}
