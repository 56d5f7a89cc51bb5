import { CALL_TIMEOUT_MS, createSimClient, type SimClient } from './store/client.ts';
import { crashSimWorker, spawnSimWorker } from './store/spawn.ts';
import { useStore } from './store/store.ts';
import { shareSearch } from './store/url.ts';

/**
 * Wires the store to the outside world: the simulation worker, the share link in the address
 * bar, and the test hook `window.__kplTest`.
 */
let client: SimClient | undefined;

export function simClient(): SimClient {
  if (!client) throw new Error('startApp() has not run');
  return client;
}

declare global {
  interface Window {
    __kplTest?: {
      setSpeed(speed: number): void;
      state(): unknown;
      crashWorker(): void;
      /** the sim worker's per-call timeout; a tiny one makes the next call time out */
      setCallTimeout(ms: number): void;
    };
  }
}

export function startApp(): void {
  if (client) return;
  let timeoutMs = CALL_TIMEOUT_MS;
  client = createSimClient(useStore, spawnSimWorker, { timeoutMs: () => timeoutMs });
  void client.boot(window.location.search);
  // the test hook exists only in a test build (`vite build --mode e2e`), never in what ships
  if (import.meta.env.MODE === 'e2e' || import.meta.env.DEV) installTestHook((ms) => (timeoutMs = ms));
  followAddressBar();
}

function installTestHook(setTimeoutMs: (ms: number) => void): void {
  window.__kplTest = {
    setSpeed: (speed) => useStore.getState().setSpeed(speed),
    crashWorker: () => crashSimWorker('crash requested by a test'),
    setCallTimeout: (ms) => setTimeoutMs(ms),
    state: () => {
      const s = useStore.getState();
      return {
        cursor: s.cursor,
        events: s.result?.trace.events.length ?? 0,
        pending: s.pending,
        modes: s.result?.modes,
        before: s.scenario.before,
        preset: s.shown?.preset,
        view: s.view,
        comparePending: s.comparePending,
        scalePoints: Object.keys(s.scalePoints).length,
        scaleRunning: s.scaleRunning,
      };
    },
  };
}

function followAddressBar(): void {
  // the address bar follows what is shown (not what is still computing), at most 4 times a second
  let timer: ReturnType<typeof setTimeout> | undefined;
  useStore.subscribe((s, prev) => {
    if (!s.shown || (s.shown === prev.shown && s.cursor === prev.cursor && s.view === prev.view && s.compareAxis === prev.compareAxis)) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      const st = useStore.getState();
      if (!st.shown) return;
      const { flow, ...scenario } = st.shown;
      const search = shareSearch({ scenario, flow, cursor: st.cursor, view: st.view, compareAxis: st.compareAxis }, new URLSearchParams(window.location.search));
      if (search !== window.location.search) window.history.replaceState(null, '', search + window.location.hash);
    }, 250);
  });
}
