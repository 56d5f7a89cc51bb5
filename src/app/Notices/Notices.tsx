import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useStore } from '../store/store.ts';
import { clipLongValues } from './clip.ts';
import './Notices.css';

/** Messages the user must see: bad share-link values, worker errors, and what a recompute changed. */
export function Notices() {
  const notices = useStore(useShallow((s) => s.notices));
  const error = useStore((s) => s.error);
  const change = useStore((s) => s.change);
  // the debugger's trace: its controller log and what changed (the other views show their own)
  const debug = useStore((s) => s.view === 'debug');
  const notes = useStore(useShallow((s) => (s.view === 'debug' ? (s.result?.notes ?? []) : [])));
  const dismissNotice = useStore((s) => s.dismissNotice);
  const dismissError = useStore((s) => s.dismissError);
  return (
    <div className="notices" aria-live="polite">
      {notices.map((n, i) => (
        <div key={n} className="notice warn" role="alert" data-testid="notice.url">
          <span>{clipLongValues(n)}</span>
          <button type="button" className="notice-close" aria-label="Dismiss this message" onClick={() => dismissNotice(i)}>
            ×
          </button>
        </div>
      ))}
      {error && (
        <div className="notice bad" role="alert" data-testid="notice.error">
          <span>{clipLongValues(error)}</span>
          <button type="button" className="notice-close" aria-label="Dismiss the error" onClick={dismissError}>
            ×
          </button>
        </div>
      )}
      {notes.length > 0 && <ControllerNotes notes={notes} />}
      {change && !error && debug && (
        <div className="notice info" data-testid="notice.change">
          <span className="label">changed</span> <span>{change}</span>
        </div>
      )}
    </div>
  );
}

/**
 * What the controllers logged while programming the nodes (flanneld could not add a route, …):
 * the first line always in view, the rest one click away, so that four of them do not push
 * the topology off the screen.
 */
function ControllerNotes({ notes }: { notes: readonly string[] }) {
  const [open, setOpen] = useState(false);
  return (
    <div className="notice note notes-block" role="note" aria-label="What the controllers logged">
      <span className="label">controllers{notes.length > 1 ? ` (${notes.length})` : ''}</span>
      <ul className="notes-list">
        {notes.map((n, i) => (
          <li key={n} data-testid="notice.controller" hidden={!open && i > 0}>
            {n}
          </li>
        ))}
      </ul>
      {notes.length > 1 && (
        <button type="button" className="notes-more" data-testid="notice.controller.more" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? 'show one' : `+${notes.length - 1} more`}
        </button>
      )}
    </div>
  );
}
