import { announceStep } from '../store/describe.ts';
import { useStore } from '../store/store.ts';

/** The polite live region that reads out each step as the cursor moves. */
export function Announcer() {
  const text = useStore((s) => {
    const events = s.result?.trace.events;
    return events ? announceStep(events[s.cursor], s.cursor, events.length) : '';
  });
  return (
    <div className="sr-only" role="status" aria-live="polite" aria-atomic="true" data-testid="a11y.live">
      {text}
    </div>
  );
}
