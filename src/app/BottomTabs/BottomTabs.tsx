import { Edits } from '../Edits/Edits.tsx';
import { Inspector } from '../Inspector/Inspector.tsx';
import { Tables } from '../Tables/Tables.tsx';
import { Terminal } from '../Terminal/Terminal.tsx';
import { Timeline } from '../Timeline/Timeline.tsx';
import { useStore, type BottomTab, type PanelTab } from '../store/store.ts';
import './BottomTabs.css';

type Tab = { id: BottomTab | Exclude<PanelTab, 'bottom'>; label: string };

const BOTTOM: readonly Tab[] = [
  { id: 'tables', label: 'Tables' },
  { id: 'terminal', label: 'Terminal' },
  { id: 'edits', label: 'Edits' },
];
/** Narrow, the inspector and the trace join the tabs. */
const NARROW: readonly Tab[] = [{ id: 'inspector', label: 'Inspector' }, { id: 'trace', label: 'Trace' }, ...BOTTOM];

/**
 * Tables, terminal and the list of applied edits, as tabs under the topology; below the narrow
 * breakpoint also the inspector and the trace, so every panel stays full width.
 */
export function BottomTabs({ narrow = false }: { narrow?: boolean }) {
  const bottomTab = useStore((s) => s.bottomTab);
  const panelTab = useStore((s) => s.panelTab);
  const setBottomTab = useStore((s) => s.setBottomTab);
  const setPanelTab = useStore((s) => s.setPanelTab);
  const edits = useStore((s) => s.scenario.before.length);
  const tabs = narrow ? NARROW : BOTTOM;
  const tab = narrow && panelTab !== 'bottom' ? panelTab : bottomTab;
  const choose = (id: Tab['id']) => (id === 'inspector' || id === 'trace' ? setPanelTab(id) : setBottomTab(id));
  return (
    <section className={`btabs${narrow ? ' narrow' : ''}`} aria-label={narrow ? 'Inspector, trace, tables and terminal' : 'Tables and terminal'}>
      <div className="btabs-bar" role="tablist" aria-label="Panels">
        {tabs.map((t, i) => (
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
            onClick={() => choose(t.id)}
            onKeyDown={(e) => {
              if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
              e.preventDefault();
              e.stopPropagation();
              const next = tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length]!;
              choose(next.id);
              document.getElementById(`tab-${next.id}`)?.focus();
            }}
          >
            {t.label}
            {t.id === 'edits' && edits > 0 && <span className="count">{edits}</span>}
          </button>
        ))}
      </div>
      <div className="btabs-panel" role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'inspector' && (
          <div id="inspector" className="btabs-inspector" tabIndex={-1}>
            <Inspector />
          </div>
        )}
        {tab === 'trace' && <Timeline />}
        {tab === 'tables' && <Tables />}
        {tab === 'terminal' && <Terminal />}
        {tab === 'edits' && <Edits />}
      </div>
    </section>
  );
}
