import { create, type StateCreator } from 'zustand';
import type { Backend, FlowSpec, Modes, Scenario, SimRequest, SimResult } from '../../sim/api-types.ts';
import type { Comparison, ScalePoint } from '../../sim/compare.ts';
import type { ContainerView, SimDefaults } from '../../worker/protocol.ts';

/**
 * The app's one store, made of slices. The request slice is what the user asked for; the trace
 * slice is what the worker answered; the cursor over that trace IS the playback state —
 * the current event, packet and highlight are derived from it, never stored.
 */

export interface RequestSlice {
  defaults: SimDefaults | null;
  scenario: Scenario;
  flow: FlowSpec;
  setModes: (m: Partial<Modes>) => void;
  setFlow: (f: FlowSpec) => void;
  addEdit: (edit: string) => void;
  removeEdit: (index: number) => void;
}

export interface TraceSlice {
  result: SimResult | null;
  /** the request `result` answers; a failed request falls back to it */
  shown: SimRequest | null;
  /** a request is in the worker */
  pending: boolean;
  /** the last error to show (worker answered an error, or died) */
  error: string | null;
  /** what the last recompute changed, in words */
  change: string | null;
  /** the cursor a share link asked for, applied when its trace arrives */
  restoreCursor: number | null;
  dismissError: () => void;
}

export interface PlaybackSlice {
  cursor: number;
  playing: boolean;
  /** playback rate: steps per second at 1x is `1000 / STEP_MS` */
  speed: number;
  /** no animation, no delay (test hook and `?speed=instant`) */
  instant: boolean;
  seek: (i: number) => void;
  stepBy: (d: number) => void;
  toStart: () => void;
  toEnd: () => void;
  togglePlay: () => void;
  setPlaying: (p: boolean) => void;
  setSpeed: (s: number) => void;
}

export type BottomTab = 'tables' | 'terminal' | 'edits';
/** The tab of the narrow layout's one panel: the inspector, the trace, or the bottom tab. */
export type PanelTab = 'inspector' | 'trace' | 'bottom';

export interface TermEntry {
  readonly id: number;
  readonly target: string;
  readonly command: string;
  readonly output: string;
  readonly error?: string;
  readonly mutates: boolean;
}

/** A host the user opened (`full`) or folded (`card`) by hand in the topology. */
export type HostDetailOverride = 'full' | 'card';

export interface UiSlice {
  /** problems found in the URL, each naming its parameter */
  notices: string[];
  selectedField: { readonly layer: number; readonly field: string } | null;
  bottomTab: BottomTab;
  panelTab: PanelTab;
  /** the namespace the tables panel shows; null follows the packet */
  tablesNs: { readonly host: string; readonly netns: string } | null;
  terminalTarget: string;
  terminalLog: TermEntry[];
  terminalBusy: boolean;
  /** the topology's camera keeps the current hop in view */
  followPacket: boolean;
  /** every host drawn with all its devices (else the hosts off the packet's path fold) */
  allDevices: boolean;
  hostDetail: Readonly<Record<string, HostDetailOverride>>;
  /** the `?` sheet of keys is open */
  keySheet: boolean;
  setKeySheet: (open: boolean) => void;
  toggleFollow: () => void;
  toggleAllDevices: () => void;
  setHostDetail: (host: string, d: HostDetailOverride) => void;
  resetHostDetail: () => void;
  selectField: (f: { layer: number; field: string } | null) => void;
  /** also shows the bottom tab in the narrow layout's panel */
  setBottomTab: (t: BottomTab) => void;
  setPanelTab: (t: PanelTab) => void;
  setTablesNs: (ns: { host: string; netns: string } | null) => void;
  setTerminalTarget: (t: string) => void;
  dismissNotice: (i: number) => void;
}

/** The main area: the step debugger, two modes side by side, or the rule counts as services grow. */
export type View = 'debug' | 'compare' | 'scale';
/** What the compare view varies: kube-proxy's mode, or the datapath between nodes (any two). */
export type CompareAxis = 'proxy' | 'backend';

export interface ComparisonShown {
  /** the request of side A; side B is the same request with `modesB` on top */
  readonly req: SimRequest;
  readonly modesB: Modes;
  readonly value: Comparison;
}

export interface ViewSlice {
  view: View;
  compareAxis: CompareAxis;
  /** the two datapaths the backend axis compares, A then B: any two of flannel's and Calico's */
  compareBackends: readonly [Backend, Backend];
  /** the last comparison the worker answered (kept while a newer one computes) */
  comparison: ComparisonShown | null;
  comparePending: boolean;
  compareError: string | null;
  /** endpoints per service for the scale chart (seed §5 counts with 6) */
  scaleEndpoints: number;
  /** computed points by `scaleKey` */
  scalePoints: Readonly<Record<string, ScalePoint>>;
  scaleRunning: boolean;
  scaleError: string | null;
  /** the Docker containers of the shown cluster, and the cluster they belong to */
  containers: readonly ContainerView[];
  containersFor: string | null;
  setView: (v: View) => void;
  setCompareAxis: (a: CompareAxis) => void;
  setCompareBackend: (side: 0 | 1, b: Backend) => void;
  setScaleEndpoints: (n: number) => void;
}

export type Store = RequestSlice & TraceSlice & PlaybackSlice & UiSlice & ViewSlice;

/** One step every 900 ms at 1x: slow enough to read the inspector change. */
export const STEP_MS = 900;
export const SPEEDS = [0.5, 1, 2, 4] as const;

const EMPTY_SCENARIO: Scenario = { modes: {}, seed: 1, before: [] };
const EMPTY_FLOW: FlowSpec = { from: '', to: '', proto: 'tcp', kind: 'connect' };

const clamp = (i: number, n: number) => Math.max(0, Math.min(i, Math.max(0, n - 1)));
const traceLength = (s: Store) => s.result?.trace.events.length ?? 0;

export const createRequestSlice: StateCreator<Store, [], [], RequestSlice> = (set) => ({
  defaults: null,
  scenario: EMPTY_SCENARIO,
  flow: EMPTY_FLOW,
  setModes: (m) => set((s) => ({ scenario: { ...s.scenario, modes: { ...s.scenario.modes, ...m } } })),
  setFlow: (flow) => set({ flow }),
  addEdit: (edit) => set((s) => ({ scenario: { ...s.scenario, before: [...s.scenario.before, edit] } })),
  removeEdit: (index) => set((s) => ({ scenario: { ...s.scenario, before: s.scenario.before.filter((_, i) => i !== index) } })),
});

export const createTraceSlice: StateCreator<Store, [], [], TraceSlice> = (set) => ({
  result: null,
  shown: null,
  pending: false,
  error: null,
  change: null,
  restoreCursor: null,
  dismissError: () => set({ error: null }),
});

export const createPlaybackSlice: StateCreator<Store, [], [], PlaybackSlice> = (set) => ({
  cursor: 0,
  playing: false,
  speed: 1,
  instant: false,
  seek: (i) => set((s) => ({ cursor: clamp(i, traceLength(s)), selectedField: null })),
  stepBy: (d) =>
    set((s) => {
      const cursor = clamp(s.cursor + d, traceLength(s));
      return cursor === s.cursor ? { playing: false } : { cursor, selectedField: null };
    }),
  toStart: () => set({ cursor: 0, playing: false, selectedField: null }),
  toEnd: () => set((s) => ({ cursor: clamp(Infinity, traceLength(s)), playing: false, selectedField: null })),
  togglePlay: () =>
    set((s) => {
      if (s.playing) return { playing: false };
      // playing from the last step starts over, as a debugger's "run" would
      const atEnd = s.cursor >= traceLength(s) - 1;
      return { playing: traceLength(s) > 1, ...(atEnd ? { cursor: 0 } : {}) };
    }),
  setPlaying: (playing) => set({ playing }),
  setSpeed: (speed) => set(speed <= 0 ? { instant: true } : { speed, instant: false }),
});

export const createUiSlice: StateCreator<Store, [], [], UiSlice> = (set) => ({
  notices: [],
  selectedField: null,
  bottomTab: 'tables',
  panelTab: 'inspector',
  tablesNs: null,
  terminalTarget: '',
  terminalLog: [],
  terminalBusy: false,
  followPacket: true,
  allDevices: false,
  hostDetail: {},
  keySheet: false,
  setKeySheet: (keySheet) => set({ keySheet }),
  toggleFollow: () => set((s) => ({ followPacket: !s.followPacket })),
  toggleAllDevices: () => set((s) => ({ allDevices: !s.allDevices, hostDetail: {} })),
  setHostDetail: (host, d) => set((s) => ({ hostDetail: { ...s.hostDetail, [host]: d } })),
  resetHostDetail: () => set((s) => (Object.keys(s.hostDetail).length ? { hostDetail: {} } : {})),
  selectField: (selectedField) => set({ selectedField }),
  setBottomTab: (bottomTab) => set({ bottomTab, panelTab: 'bottom' }),
  setPanelTab: (panelTab) => set({ panelTab }),
  setTablesNs: (tablesNs) => set({ tablesNs }),
  setTerminalTarget: (terminalTarget) => set({ terminalTarget }),
  dismissNotice: (i) => set((s) => ({ notices: s.notices.filter((_, k) => k !== i) })),
});

export const createViewSlice: StateCreator<Store, [], [], ViewSlice> = (set) => ({
  view: 'debug',
  compareAxis: 'proxy',
  compareBackends: ['host-gw', 'vxlan'],
  comparison: null,
  comparePending: false,
  compareError: null,
  scaleEndpoints: 6,
  scalePoints: {},
  scaleRunning: false,
  scaleError: null,
  containers: [],
  containersFor: null,
  // leaving the debugger stops playback: nothing would show it
  setView: (view) => set(view === 'debug' ? { view } : { view, playing: false }),
  setCompareAxis: (compareAxis) => set({ compareAxis }),
  setCompareBackend: (side, b) => set((s) => ({ compareBackends: side === 0 ? [b, s.compareBackends[1]] : [s.compareBackends[0], b] })),
  setScaleEndpoints: (scaleEndpoints) => set({ scaleEndpoints, scaleError: null }),
});

/** The key of one scale point in `scalePoints`. */
export function scaleKey(proxy: string, services: number, endpoints: number): string {
  return `${proxy}|${services}|${endpoints}`;
}

/** A fresh store; the app uses the one below, tests make their own. */
export function createAppStore() {
  return create<Store>()((...a) => ({
    ...createRequestSlice(...a),
    ...createTraceSlice(...a),
    ...createPlaybackSlice(...a),
    ...createUiSlice(...a),
    ...createViewSlice(...a),
  }));
}

export const useStore = createAppStore();
export type AppStore = typeof useStore;

/** What the worker must simulate for the current intent. */
export function requestOf(s: Pick<Store, 'scenario' | 'flow'>): SimRequest {
  return { ...s.scenario, flow: s.flow };
}
