import { CALL_TIMEOUT_MS, createSimClient, type SimClient } from './store/client.ts';
import { crashSimWorker, spawnSimWorker } from './store/spawn.ts';
import { useStore } from './store/store.ts';
import { historyAction, parseShare, shareSearch } from './store/url.ts';
import { requestOf } from './store/store.ts';

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
      /** moves the cursor (0-based), as clicking the trace row would */
      seek(i: number): void;
      /** the index of the first event of `kind` at or after `from` (-1: none) */
      indexOf(kind: string, from?: number): number;
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
    seek: (i) => useStore.getState().seek(i),
    indexOf: (kind, from = 0) => useStore.getState().result?.trace.events.findIndex((e, i) => i >= from && e.kind === kind) ?? -1,
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
  // the address bar follows what is shown (not what is still computing), at most 4 times a second;
  // a new flow, mode, cluster or view is a new history entry, a step only replaces the entry
  let timer: ReturnType<typeof setTimeout> | undefined;
  // the first write only completes the link the page was opened with; after Back/Forward, the
  // entry the browser moved to is the one to keep
  let replaceNext = true;
  useStore.subscribe((s, prev) => {
    if (!s.shown || (s.shown === prev.shown && s.cursor === prev.cursor && s.view === prev.view && s.compareAxis === prev.compareAxis && s.compareBackends === prev.compareBackends)) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      const st = useStore.getState();
      if (!st.shown || st.pending) return;
      const { flow, ...scenario } = st.shown;
      const search = shareSearch({ scenario, flow, cursor: st.cursor, view: st.view, compareAxis: st.compareAxis, compareBackends: st.compareBackends }, new URLSearchParams(window.location.search));
      const action = historyAction(window.location.search, search);
      if (action === 'none') return;
      if (action === 'push' && !replaceNext) window.history.pushState(null, '', search + window.location.hash);
      else window.history.replaceState(null, '', search + window.location.hash);
      replaceNext = false;
    }, 250);
  });

  // Back and Forward: show the state the entry's link describes
  window.addEventListener('popstate', () => {
    const st = useStore.getState();
    if (!st.defaults) return;
    clearTimeout(timer);
    replaceNext = true;
    const p = parseShare(window.location.search, st.defaults);
    const want = JSON.stringify(requestOf({ scenario: p.scenario, flow: p.flow }));
    const same = !!st.shown && st.result !== null && JSON.stringify(st.shown) === want;
    const n = st.result?.trace.events.length ?? 0;
    useStore.setState({
      scenario: p.scenario,
      flow: p.flow,
      view: p.view,
      compareAxis: p.compareAxis,
      compareBackends: p.compareBackends,
      playing: false,
      ...(same ? { cursor: Math.max(0, Math.min(p.cursor, n - 1)), restoreCursor: null } : { restoreCursor: p.cursor }),
    });
  });
}
