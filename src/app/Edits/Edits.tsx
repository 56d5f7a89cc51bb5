import { useShallow } from 'zustand/react/shallow';
import { useStore } from '../store/store.ts';
import './Edits.css';

/** The commands applied before the flow (the scenario's `before`), each removable. */
export function Edits() {
  const edits = useStore(useShallow((s) => s.scenario.before));
  const removeEdit = useStore((s) => s.removeEdit);
  return (
    <div className="edits">
      <p className="edits-help muted">
        Commands that change state (typed in the terminal) are applied before the flow runs. Remove one and the trace is computed again.
      </p>
      {edits.length === 0 ? (
        <p className="edits-empty muted" data-testid="edits.empty">
          No edits: the cluster is as its controllers programmed it.
        </p>
      ) : (
        <ol className="edits-list" data-testid="edits.list" aria-label="Applied edits">
          {edits.map((e, i) => (
            <li key={`${i}${e}`} className="edit" data-testid={`edits.item.${i}`}>
              <span className="mono">{e}</span>
              <button type="button" className="btn" data-testid={`edits.remove.${i}`} aria-label={`Remove edit ${i + 1}: ${e}`} onClick={() => removeEdit(i)}>
                Remove
              </button>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
