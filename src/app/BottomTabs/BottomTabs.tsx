import { Edits } from '../Edits/Edits.tsx';
import { Tables } from '../Tables/Tables.tsx';
import { Terminal } from '../Terminal/Terminal.tsx';
import { useStore, type BottomTab } from '../store/store.ts';
import './BottomTabs.css';

const TABS: readonly { id: BottomTab; label: string }[] = [
  { id: 'tables', label: 'Tables' },
  { id: 'terminal', label: 'Terminal' },
  { id: 'edits', label: 'Edits' },
];

/** Tables, terminal and the list of applied edits, as tabs under the topology. */
export function BottomTabs() {
  const tab = useStore((s) => s.bottomTab);
  const setTab = useStore((s) => s.setBottomTab);
  const edits = useStore((s) => s.scenario.before.length);
  return (
    <section className="btabs" aria-label="Tables and terminal">
      <div className="btabs-bar" role="tablist" aria-label="Panels">
        {TABS.map((t, i) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`panel-${t.id}`}
            tabIndex={tab === t.id ? 0 : -1}
            data-testid={`tabs.${t.id}`}
            className="btab"
            onClick={() => setTab(t.id)}
            onKeyDown={(e) => {
              if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
              e.preventDefault();
              e.stopPropagation();
              const next = TABS[(i + (e.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length]!;
              setTab(next.id);
              document.getElementById(`tab-${next.id}`)?.focus();
            }}
          >
            {t.label}
            {t.id === 'edits' && edits > 0 && <span className="count">{edits}</span>}
          </button>
        ))}
      </div>
      <div className="btabs-panel" role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'tables' && <Tables />}
        {tab === 'terminal' && <Terminal />}
        {tab === 'edits' && <Edits />}
      </div>
    </section>
  );
}
