import { CALL_TIMEOUT_MS, createSimClient, type SimClient } from './store/client.ts';
import { crashSimWorker, spawnSimWorker } from './store/spawn.ts';
import { useStore } from './store/store.ts';
import { shareSearch } from './store/url.ts';
import { clusterFromHash, clusterHash, LINK_MAX_CHARS } from './Import/link.ts';

/** The fragment for the cluster shown: `#cluster=…` for a user's file (compact, deflated), '' for a built-in one. */
let lastLink: { text: string; hash: string } | undefined;
async function linkHash(text: string | undefined): Promise<string> {
  if (text === undefined) {
    useStore.setState({ linkTooBig: false });
    return '';
  }
  if (lastLink?.text === text) return lastLink.hash;
  const compact = await simClient().compactCluster(text);
  const body = compact.ok ? compact.value : text;
  // deflate gets JSON down ~15×: past that no link is possible, so the main thread is spared the work
  const hash = body.length > LINK_MAX_CHARS * 20 ? '' : ((await clusterHash(body)) ?? '');
  lastLink = { text, hash };
  useStore.setState({ linkTooBig: hash === '' });
  return hash;
}

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
  const booting = client;
  void clusterFromHash(window.location.hash).then((linkCluster) => booting.boot(window.location.search, linkCluster));
  window.__kplTest = {
    setSpeed: (speed) => useStore.getState().setSpeed(speed),
    crashWorker: () => crashSimWorker('crash requested by a test'),
    setCallTimeout: (ms) => {
      timeoutMs = ms;
    },
    state: () => {
      const s = useStore.getState();
      return {
        cursor: s.cursor,
        events: s.result?.trace.events.length ?? 0,
        pending: s.pending,
        modes: s.result?.modes,
        before: s.scenario.before,
        preset: s.shown?.preset,
        /** the user's cluster file shown (its name), null for a built-in one */
        cluster: s.shown?.cluster !== undefined ? s.clusterName : null,
        importCheckMs: s.importCheckMs,
        simulateMs: client?.simulateMs() ?? null,
        view: s.view,
        comparePending: s.comparePending,
        scalePoints: Object.keys(s.scalePoints).length,
        scaleRunning: s.scaleRunning,
      };
    },
  };

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
      void linkHash(scenario.cluster).then((hash) => {
        if (useStore.getState().shown !== st.shown) return; // something newer is shown
        if (search !== window.location.search || hash !== window.location.hash) window.history.replaceState(null, '', search + hash);
      });
    }, 250);
  });
}
