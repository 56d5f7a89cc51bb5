import { useEffect, useRef, useSyncExternalStore } from 'react';
import { keyBindings, keyName, subscribeKeys, type KeyBinding } from '../keys/keys.ts';
import { useStore } from '../store/store.ts';
import './KeySheet.css';

/** The `?` sheet: every key the app answers, read from the key registry, by group. */
export function KeySheet() {
  const open = useStore((s) => s.keySheet);
  const setOpen = useStore((s) => s.setKeySheet);
  const bindings = useSyncExternalStore(subscribeKeys, keyBindings, keyBindings);
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  const groups = new Map<string, KeyBinding[]>();
  for (const b of bindings) groups.set(b.group, [...(groups.get(b.group) ?? []), b]);
  return (
    <dialog ref={ref} className="keysheet" aria-labelledby="keysheet-title" data-testid="keys.sheet" onClose={() => setOpen(false)} onClick={(e) => e.target === ref.current && setOpen(false)}>
      <div className="keysheet-head">
        <h2 id="keysheet-title">Keys</h2>
        <button type="button" className="btn" onClick={() => setOpen(false)} data-testid="keys.close">
          Close
        </button>
      </div>
      <div className="keysheet-body">
        {[...groups].map(([group, list]) => (
          <section key={group} aria-label={group}>
            <h3 className="label">{group}</h3>
            <dl>
              {list.map((b) => (
                <div key={b.id} className="keysheet-row" data-testid={`keys.row.${b.id}`}>
                  <dt>
                    {(b.display ? [b.display] : b.keys.map(keyName)).map((k) => (
                      <kbd key={k}>{k}</kbd>
                    ))}
                  </dt>
                  <dd>{b.label}</dd>
                </div>
              ))}
            </dl>
          </section>
        ))}
      </div>
      <p className="muted keysheet-foot">Keys do nothing while you type in a text field; Esc leaves the terminal.</p>
    </dialog>
  );
}
