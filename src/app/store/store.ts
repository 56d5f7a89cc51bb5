import { create, type StateCreator } from 'zustand';
import type { Backend, FlowSpec, Modes, Problem, Scenario, SimRequest, SimResult } from '../../sim/api-types.ts';
import type { Comparison, EndpointPin, ScalePoint } from '../../sim/compare.ts';
import { TRACE_LEVELS, type StepCategory, type TraceLevel } from '../../sim/trace/levels.ts';
import type { RunsResult } from '../../sim/runs.ts';
import type { ContainerView, SimDefaults } from '../../worker/protocol.ts';
import { expansionsFor, matchingEvents, nextMatch, representativeAt, rowAfter, rowOf, visibleRows } from './steps.ts';

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
  /** which draw of the connection's random choices (re-roll = the next draw; the cluster stays) */
  setDraw: (draw: number) => void;
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
  /** the last "run N connections" answer, for the request it ran (the JSON of it) */
  runs: { readonly key: string; readonly value: RunsResult } | null;
  runsPending: boolean;
  runsError: string | null;
  dismissError: () => void;
}

export interface PlaybackSlice {
  /** the event at the cursor (an index into the trace, whatever the level) */
  cursor: number;
  playing: boolean;
  /** how much of the trace is a step: path, kernel or rules (see sim/trace/levels.ts) */
  level: TraceLevel;
  /** steps whose finer steps are shown in place */
  expanded: ReadonlySet<number>;
  /** when not empty, only steps of these kinds are shown */
  filter: ReadonlySet<StepCategory>;
  /** the search box's text */
  query: string;
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
  setLevel: (l: TraceLevel) => void;
  /** path → kernel → rules → path */
  cycleLevel: () => void;
  toggleExpanded: (i: number) => void;
  toggleFilter: (c: StepCategory) => void;
  clearFilter: () => void;
  setQuery: (q: string) => void;
  /** moves the cursor to the next (1) or previous (-1) step the query finds */
  findMatch: (dir: 1 | -1) => void;
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
  /** 0-based step the command ran at; absent: after the whole flow */
  readonly atStep?: number;
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
  /** the terminal runs commands on the tables as they stand at the cursor, not after the flow */
  terminalAtStep: boolean;
  setTerminalAtStep: (on: boolean) => void;
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
/** What the compare view varies: two of kube-proxy's modes, or the datapath between nodes (any two). */
export type CompareAxis = 'proxy' | 'iptables-nftables' | 'ipvs-nftables' | 'backend';

export interface ComparisonShown {
  /** the request of side A; side B is the same request with `modesB` on top */
  readonly req: SimRequest;
  readonly modesB: Modes;
  /** the endpoint pin it was computed with */
  readonly pin: EndpointPin | null;
  readonly value: Comparison;
}

export interface ViewSlice {
  view: View;
  compareAxis: CompareAxis;
  /** both sides reach one endpoint (`auto`: the first side's, else the other's; or `host/netns`); null: each its own */
  comparePin: EndpointPin | null;
  setComparePin: (p: EndpointPin | null) => void;
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

/** A cluster file the user opened and the import dialog around it. */
export interface ImportSlice {
  /** the dialog is open (the header's Open button, or a refused drop) */
  importOpen: boolean;
  /** a file is being checked by the worker */
  importBusy: boolean;
  /** the last file refused, with every problem (object, field, line); the shown cluster stayed */
  importRefused: { readonly name: string; readonly message: string; readonly problems: readonly Problem[] } | null;
  /** the file name of the user's cluster asked for (null: a built-in one) */
  clusterName: string | null;
  /** … and of the one the trace shown was computed on */
  shownClusterName: string | null;
  /** the share link cannot hold the user's cluster (Save lab can) */
  linkTooBig: boolean;
  /** how long the worker took to parse and build the last file opened (ms) */
  importCheckMs: number | null;
  setImportOpen: (open: boolean) => void;
}

export type Store = RequestSlice & TraceSlice & PlaybackSlice & UiSlice & ViewSlice & ImportSlice;

/** One step every 900 ms at 1x: slow enough to read the inspector change. */
export const STEP_MS = 900;
export const SPEEDS = [0.5, 1, 2, 4] as const;

const EMPTY_SCENARIO: Scenario = { modes: {}, seed: 1, before: [] };
const EMPTY_FLOW: FlowSpec = { from: '', to: '', proto: 'tcp', kind: 'connect' };

const clamp = (i: number, n: number) => Math.max(0, Math.min(i, Math.max(0, n - 1)));
const traceLength = (s: Store) => s.result?.trace.events.length ?? 0;
const EMPTY_SET: ReadonlySet<never> = new Set();

/** The rows the debugger shows for the store's trace and view. */
export function rowsOf(s: Pick<Store, 'result' | 'level' | 'expanded' | 'filter'>) {
  return visibleRows(s.result?.trace.events ?? NO_EVENTS, s);
}
// one empty trace, so that "no trace yet" is the same rows every time (selectors compare by identity)
const NO_EVENTS: readonly never[] = [];

/**
 * Moving the cursor to event `i`: if the level hides it, the groups that hold it are expanded
 * in place (a search hit, a share link, a click in the chain view land exactly there).
 */
function cursorPatch(s: Store, i: number): Partial<Store> {
  const events = s.result?.trace.events ?? [];
  const cursor = clamp(i, events.length);
  if (s.filter.size > 0 || !events.length) return { cursor, selectedField: null };
  const need = expansionsFor(events, s.level, cursor).filter((x) => !s.expanded.has(x));
  return need.length ? { cursor, selectedField: null, expanded: new Set([...s.expanded, ...need]) } : { cursor, selectedField: null };
}

export const createRequestSlice: StateCreator<Store, [], [], RequestSlice> = (set) => ({
  defaults: null,
  scenario: EMPTY_SCENARIO,
  flow: EMPTY_FLOW,
  setModes: (m) => set((s) => ({ scenario: { ...s.scenario, modes: { ...s.scenario.modes, ...m } } })),
  setFlow: (flow) => set({ flow }),
  setDraw: (draw) =>
    set((s) => {
      const { draw: _draw, ...rest } = s.scenario;
      return { scenario: draw ? { ...rest, draw } : rest };
    }),
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
  runs: null,
  runsPending: false,
  runsError: null,
  dismissError: () => set({ error: null }),
});

export const createPlaybackSlice: StateCreator<Store, [], [], PlaybackSlice> = (set, get) => ({
  cursor: 0,
  playing: false,
  speed: 1,
  instant: false,
  level: 'path',
  expanded: EMPTY_SET,
  filter: EMPTY_SET,
  query: '',
  seek: (i) => set((s) => cursorPatch(s, i)),
  stepBy: (d) =>
    set((s) => {
      const next = rowAfter(rowsOf(s), s.cursor, d);
      return !next || next.index === s.cursor ? { playing: false } : { cursor: next.index, selectedField: null };
    }),
  toStart: () => set((s) => ({ cursor: rowsOf(s)[0]?.index ?? 0, playing: false, selectedField: null })),
  toEnd: () => set((s) => ({ cursor: rowsOf(s).at(-1)?.index ?? clamp(Infinity, traceLength(s)), playing: false, selectedField: null })),
  togglePlay: () =>
    set((s) => {
      if (s.playing) return { playing: false };
      // playing from the last step starts over, as a debugger's "run" would
      const rows = rowsOf(s);
      const atEnd = rowOf(rows, s.cursor) === rows.length - 1;
      return { playing: rows.length > 1, ...(atEnd ? { cursor: rows[0]?.index ?? 0 } : {}) };
    }),
  setPlaying: (playing) => set({ playing }),
  setSpeed: (speed) => set(speed <= 0 ? { instant: true } : { speed, instant: false }),
  setLevel: (level) =>
    set((s) => {
      if (level === s.level) return {};
      // a coarser level shows the step that stands for the cursor's event
      const events = s.result?.trace.events ?? [];
      const cursor = events.length ? representativeAt(events, level, s.cursor) : s.cursor;
      return { level, expanded: EMPTY_SET, cursor, ...(cursor !== s.cursor ? { selectedField: null } : {}) };
    }),
  cycleLevel: () => get().setLevel(TRACE_LEVELS[(TRACE_LEVELS.indexOf(get().level) + 1) % TRACE_LEVELS.length]!),
  toggleExpanded: (i) =>
    set((s) => {
      const expanded = new Set(s.expanded);
      if (expanded.has(i)) {
        expanded.delete(i);
        // folding the group the cursor is in puts the cursor on the step that stands for it
        const start = i - (rowsOf(s).find((r) => r.index === i)?.contains ?? 0);
        return { expanded, ...(s.cursor >= start && s.cursor < i ? { cursor: i } : {}) };
      }
      expanded.add(i);
      return { expanded };
    }),
  toggleFilter: (c) =>
    set((s) => {
      const filter = new Set(s.filter);
      if (!filter.delete(c)) filter.add(c);
      return { filter };
    }),
  clearFilter: () => set({ filter: EMPTY_SET }),
  setQuery: (query) => set({ query }),
  findMatch: (dir) => {
    const s = get();
    const events = s.result?.trace.events;
    if (!events) return;
    const hit = nextMatch(rowsOf(s), matchingEvents(events, s.query), s.expanded, s.cursor, dir);
    if (hit) set({ cursor: hit.index, selectedField: null, playing: false });
  },
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
  terminalAtStep: false,
  setTerminalAtStep: (terminalAtStep) => set({ terminalAtStep }),
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
  comparePin: 'auto',
  setComparePin: (comparePin) => set({ comparePin }),
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

export const createImportSlice: StateCreator<Store, [], [], ImportSlice> = (set) => ({
  importOpen: false,
  importBusy: false,
  importRefused: null,
  clusterName: null,
  shownClusterName: null,
  linkTooBig: false,
  importCheckMs: null,
  setImportOpen: (importOpen) => set(importOpen ? { importOpen } : { importOpen, importRefused: null }),
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
    ...createImportSlice(...a),
  }));
}

export const useStore = createAppStore();
export type AppStore = typeof useStore;

/** What the worker must simulate for the current intent. */
export function requestOf(s: Pick<Store, 'scenario' | 'flow'>): SimRequest {
  return { ...s.scenario, flow: s.flow };
}
