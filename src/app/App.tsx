import { useEffect } from 'react';
import { Announcer } from './Announcer/Announcer.tsx';
import { BottomTabs } from './BottomTabs/BottomTabs.tsx';
import { Controls } from './Controls/Controls.tsx';
import { Header } from './Header/Header.tsx';
import { Inspector } from './Inspector/Inspector.tsx';
import { Notices } from './Notices/Notices.tsx';
import { Timeline } from './Timeline/Timeline.tsx';
import { Topology } from './Topology/Topology.tsx';
import { useStore } from './store/store.ts';
import './App.css';

/** Keys that drive playback anywhere except inside a text field or a select. */
function usePlaybackKeys(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey || e.ctrlKey || e.metaKey || e.defaultPrevented) return;
      const t = e.target as HTMLElement | null;
      const tag = t?.tagName;
      if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || t?.isContentEditable) return;
      const s = useStore.getState();
      switch (e.key) {
        case ' ':
          // a focused button answers Space itself
          if (tag === 'BUTTON' || tag === 'A' || t?.getAttribute('role') === 'tab') return;
          s.togglePlay();
          break;
        case 'ArrowRight':
          if (s.playing) s.setPlaying(false);
          s.stepBy(1);
          break;
        case 'ArrowLeft':
          if (s.playing) s.setPlaying(false);
          s.stepBy(-1);
          break;
        case 'Home':
          s.toStart();
          break;
        case 'End':
          s.toEnd();
          break;
        default:
          return;
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

export function App() {
  usePlaybackKeys();
  return (
    <div className="app">
      <a className="skip-link" href="#inspector">
        Skip to the inspector
      </a>
      <Header />
      <Notices />
      <main className="app-main">
        <section className="app-topology" aria-label="Cluster topology">
          <Topology />
        </section>
        <section className="app-playback" aria-label="Playback">
          <Controls />
          <div className="app-bottom">
            <Timeline />
            <BottomTabs />
          </div>
        </section>
        <aside id="inspector" className="app-inspector" aria-label="Inspector" tabIndex={-1}>
          <Inspector />
        </aside>
      </main>
      <Announcer />
    </div>
  );
}
