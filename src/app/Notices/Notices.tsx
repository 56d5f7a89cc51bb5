import { useShallow } from 'zustand/react/shallow';
import { useStore } from '../store/store.ts';
import './Notices.css';

/** Messages the user must see: bad share-link values, worker errors, and what a recompute changed. */
export function Notices() {
  const notices = useStore(useShallow((s) => s.notices));
  const error = useStore((s) => s.error);
  const change = useStore((s) => s.change);
  const notes = useStore(useShallow((s) => s.result?.notes ?? []));
  const dismissNotice = useStore((s) => s.dismissNotice);
  const dismissError = useStore((s) => s.dismissError);
  return (
    <div className="notices" aria-live="polite">
      {notices.map((n, i) => (
        <div key={n} className="notice warn" role="alert" data-testid="notice.url">
          <span>{n}</span>
          <button type="button" className="notice-close" aria-label="Dismiss this message" onClick={() => dismissNotice(i)}>
            ×
          </button>
        </div>
      ))}
      {error && (
        <div className="notice bad" role="alert" data-testid="notice.error">
          <span>{error}</span>
          <button type="button" className="notice-close" aria-label="Dismiss the error" onClick={dismissError}>
            ×
          </button>
        </div>
      )}
      {notes.map((n) => (
        <div key={n} className="notice note" data-testid="notice.controller">
          <span className="label">controllers</span> <span>{n}</span>
        </div>
      ))}
      {change && !error && (
        <div className="notice info" data-testid="notice.change">
          <span className="label">changed</span> <span>{change}</span>
        </div>
      )}
    </div>
  );
}
