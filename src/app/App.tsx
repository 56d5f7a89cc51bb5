import { Component, lazy, Suspense, useEffect, type ReactNode } from 'react';
import { useAppKeys } from './keys/app-keys.ts';
import { KeySheet } from './KeySheet/KeySheet.tsx';
import { useMediaQuery } from './media.ts';
import { Announcer } from './Announcer/Announcer.tsx';
import { BottomTabs } from './BottomTabs/BottomTabs.tsx';
import { Controls } from './Controls/Controls.tsx';
import { Header } from './Header/Header.tsx';
import { DropTarget } from './Import/ImportBar.tsx';
import { Inspector } from './Inspector/Inspector.tsx';
import { Notices } from './Notices/Notices.tsx';
import { PathStrip } from './PathStrip/PathStrip.tsx';
import { Timeline } from './Timeline/Timeline.tsx';
import { Topology } from './Topology/Topology.tsx';
import { simClient } from './boot.ts';
import { useStore } from './store/store.ts';
import './App.css';

// the compare and scale views are not in the first download: the debugger is what opens first
const loadCompare = () => import('./Compare/Compare.tsx');
const loadScale = () => import('./Scale/Scale.tsx');
const Compare = lazy(() => loadCompare().then((m) => ({ default: m.Compare })));
const Scale = lazy(() => loadScale().then((m) => ({ default: m.Scale })));
// the import dialog is fetched when first opened (the header button, or a refused drop)
const ImportDialog = lazy(() => import('./Import/ImportDialog.tsx').then((m) => ({ default: m.ImportDialog })));

/**
 * Fetches the other views, and the simulation's parts the first trace did not need (the shell,
 * the cluster reader, …), once the debugger is up, so they open at once and offline too.
 */
function usePrefetchViews(): void {
  useEffect(() => {
    const t = setTimeout(() => void Promise.all([loadCompare(), loadScale(), simClient().prefetch()]).catch(() => undefined), 2500);
    return () => clearTimeout(t);
  }, []);
}

/** A view whose code could not be fetched (offline before it was ever opened) says so. */
class ViewBoundary extends Component<{ children: ReactNode }, { error: string | null }> {
  override state = { error: null as string | null };
  static getDerivedStateFromError(e: unknown) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="notice bad" role="alert" data-testid="view.error">
        <span>This view could not be loaded ({this.state.error}). It needs the network once; the debugger works without it.</span>
      </div>
    );
  }
}

/** Below this width the debugger's panels share one tabbed area instead of sitting side by side. */
export const NARROW = '(max-width: 1099px)';

export function App() {
  useAppKeys();
  usePrefetchViews();
  const view = useStore((s) => s.view);
  const importOpen = useStore((s) => s.importOpen);
  return (
    <div className="app">
      {view === 'debug' && (
        <a className="skip-link" href="#inspector" onClick={() => useStore.getState().setPanelTab('inspector')}>
          Skip to the inspector
        </a>
      )}
      <Header />
      <Notices />
      {view === 'debug' ? (
        <Debugger />
      ) : (
        <main className="app-view">
          <ViewBoundary key={view}>
            <Suspense fallback={<p className="app-loading muted">Loading…</p>}>{view === 'compare' ? <Compare /> : <Scale />}</Suspense>
          </ViewBoundary>
        </main>
      )}
      <Announcer />
      <DropTarget />
      {importOpen && (
        <ViewBoundary>
          <Suspense fallback={null}>
            <ImportDialog />
          </Suspense>
        </ViewBoundary>
      )}
      <KeySheet />
    </div>
  );
}

/**
 * Topology, playback, timeline, tables and inspector: the step debugger. Wide, the inspector has
 * its column and the trace sits beside the tables; narrow, they all become tabs under the
 * playback controls.
 */
function Debugger() {
  const narrow = useMediaQuery(NARROW);
  return (
    <main className={`app-main${narrow ? ' narrow' : ''}`}>
      <section className="app-topology" aria-label="Cluster topology">
        <Topology />
      </section>
      <section className="app-playback" aria-label="Playback">
        <Controls />
        <PathStrip />
        {narrow ? (
          <BottomTabs narrow />
        ) : (
          <div className="app-bottom">
            <Timeline />
            <BottomTabs />
          </div>
        )}
      </section>
      {!narrow && (
        <aside id="inspector" className="app-inspector" aria-label="Inspector" tabIndex={-1}>
          <Inspector />
        </aside>
      )}
    </main>
  );
}
