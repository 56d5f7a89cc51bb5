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
  const fileNotes = useStore(useShallow((s) => (s.view === 'debug' && s.shown?.cluster !== undefined ? (s.result?.clusterNotes ?? []) : [])));
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
      {fileNotes.length > 0 && <NotesBlock label="cluster file" title="What was inferred from your cluster file, and what it left out" testid="notice.cluster" notes={fileNotes} />}
      {notes.length > 0 && <NotesBlock label="controllers" title="What the controllers logged" testid="notice.controller" notes={notes} />}
      {change && !error && debug && (
        <div className="notice info" data-testid="notice.change">
          <span className="label">changed</span> <span>{change}</span>
        </div>
      )}
    </div>
  );
}

/**
 * What the controllers logged while programming the nodes (flanneld could not add a route, …),
 * or what was inferred from a user's cluster file: the first line always in view, the rest one
 * click away, so that a dozen of them do not push the topology off the screen.
 */
function NotesBlock({ label, title, testid, notes }: { label: string; title: string; testid: string; notes: readonly string[] }) {
  const [open, setOpen] = useState(false);
  return (
    <div className="notice note notes-block" role="note" aria-label={title}>
      <span className="label">{label}{notes.length > 1 ? ` (${notes.length})` : ''}</span>
      <ul className="notes-list">
        {notes.map((n, i) => (
          <li key={n} data-testid={testid} hidden={!open && i > 0}>
            {n}
          </li>
        ))}
      </ul>
      {notes.length > 1 && (
        <button type="button" className="notes-more" data-testid={`${testid}.more`} aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? 'show one' : `+${notes.length - 1} more`}
        </button>
      )}
    </div>
  );
}
