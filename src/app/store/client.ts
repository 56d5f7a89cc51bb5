import type { ExecResult, FlowPreset, FlowSpec, Modes, ProxyMode, Result, Scenario, SimRequest, SimResult } from '../../sim/api-types.ts';
import type { SimApi } from '../../worker/protocol.ts';
import { compareRequest, equivalentEvent, flowTo, podBehindRouter, sideB } from './compare.ts';
import { expansionsFor, representativeAt } from './steps.ts';
import { describeChange, type TraceSnapshot } from './derive.ts';
import { requestOf, scaleKey, type AppStore, type Store, type TermEntry } from './store.ts';
import type { Lab } from './lab.ts';
import { parseShare } from './url.ts';
import { AnswerCache, modeNeighbours } from './prefetch.ts';

/**
 * The worker client: the only code that talks to the simulation. It watches the store for a
 * new request (scenario or flow changed), asks the worker, and writes the answer back with
 * `setState` — outside React. Answers to superseded requests are dropped by request id; a
 * worker that dies or hangs is replaced and the last good trace stays on screen.
 */

export interface WorkerHandle {
  readonly api: SimApi;
  /** called once if the worker dies (uncaught error, failed load) */
  onCrash(cb: (message: string) => void): void;
  terminate(): void;
}

/** `sim` answers the debugger and the compare view; `scale` builds the big clusters of the scale chart and runs N connections. */
export type WorkerRole = 'sim' | 'scale';

export interface SimClient {
  /** load the defaults, read the share link (and the cluster its fragment carries), and compute the first trace */
  boot(search: string, linkCluster?: { ok: true; text: string } | { ok: false; error: string }): Promise<void>;
  /** switch to a built-in cluster, keeping the flow if the new cluster offers it, else its first flow */
  switchCluster(preset: string): Promise<void>;
  /**
   * open a user's cluster file after the worker checked it; a refused file changes nothing
   * shown and lists its problems in the import dialog. Answers whether it was opened.
   */
  openCluster(text: string, opts?: { name?: string; lan?: string }): Promise<boolean>;
  /** restore a saved lab: its cluster, modes, edits, flow, view and step */
  openLab(lab: Lab, name: string): Promise<boolean>;
  /** the cluster text the share link carries */
  compactCluster(text: string): Promise<Result<string>>;
  /** fetch the simulation's on-demand parts in the background (offline later, and no wait at first use) */
  prefetch(): Promise<void>;
  /** how long the last trace took to come back from the worker, ms */
  simulateMs(): number;
  runCommand(target: string, command: string): Promise<void>;
  /** `n` connections of the shown flow, one after another: where they went and the balancer's counters */
  runConnections(n: number): Promise<void>;
  tracePcap(): Promise<Result<Uint8Array>>;
  /** show one side of the comparison in the debugger, at `cursor` */
  openCompared(side: 'a' | 'b', cursor?: number): void;
  /** the L2 requirement: the two-subnets cluster, pod → the pod behind the router, host-gw vs vxlan */
  l2Demo(): Promise<void>;
  dispose(): void;
}

/** How long a worker call may take before the worker is presumed stuck and replaced. */
export const CALL_TIMEOUT_MS = 10_000;
/** A user's cluster of more than LARGE_CLUSTER_CHARS (thousands of pods) gets this long to build. */
export const LARGE_CLUSTER_TIMEOUT_MS = 120_000;
export const LARGE_CLUSTER_CHARS = 1_000_000;
/** How many answers the client keeps (the shown ones and the prefetched mode switches). */
const PREFETCH_KEEP = 8;
/** The prefetch starts once the new trace has been on screen this long (a quick next click is not queued behind it). */
const PREFETCH_AFTER_MS = 300;
/** A scale point builds a cluster of up to 10,000 services: it gets longer. */
export const SCALE_TIMEOUT_MS = 180_000;
/** The services counts of the scale chart, computed smallest first so the chart fills in. */
export const SCALE_SERVICES = [10, 50, 100, 500, 1000, 10000] as const;
export const SCALE_PROXIES: readonly ProxyMode[] = ['iptables', 'ipvs', 'nftables'];

/** A request's identity: its JSON with keys in one order, so that how an object was built does not matter. */
const key = (r: SimRequest) => JSON.stringify(r, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v));

function snapshot(req: SimRequest, result: SimResult, clusterName?: string | null): TraceSnapshot {
  // a user's file goes by its name in "what changed"
  const preset = req.cluster !== undefined ? (clusterName ?? 'your cluster file') : req.preset;
  return { modes: result.modes, flow: req.flow, before: req.before, trace: result.trace, ...(preset ? { preset } : {}) };
}

/** The one wording of a worker error for the UI. */
export function errorText(e: { code: string; where: string; message: string }): string {
  return e.where ? `${e.message} (in ${e.where})` : e.message;
}

/**
 * Where the cursor goes in a new trace: the step a share link named, exactly; after a change of
 * modes or edits, the same moment of the flow (same packet, same place on its path), shown at
 * the current level; for another flow or cluster, the start.
 */
function cursorFor(s: Store, req: SimRequest, value: SimResult): Pick<Store, 'cursor' | 'expanded'> {
  const events = value.trace.events;
  const n = events.length;
  if (s.restoreCursor !== null) {
    const cursor = Math.max(0, Math.min(s.restoreCursor, n - 1));
    return { cursor, expanded: new Set(expansionsFor(events, s.level, cursor)) };
  }
  const sameFlow = !!s.shown && JSON.stringify(s.shown.flow) === JSON.stringify(req.flow) && s.shown.preset === req.preset && s.shown.cluster === req.cluster;
  const at = sameFlow && s.result ? equivalentEvent(s.result.trace.events, events, s.cursor) : 0;
  return { cursor: n ? representativeAt(events, s.level, Math.min(at, n - 1)) : 0, expanded: new Set() };
}

/** The store update that shows a good simulate answer: the trace, what changed, the cursor at the same moment. */
function answerPatch(s: Store, req: SimRequest, value: SimResult): Partial<Store> {
  const n = value.trace.events.length;
  const change = s.result && s.shown ? describeChange(snapshot(s.shown, s.result, s.shownClusterName), snapshot(req, value, s.clusterName)) : null;
  const notices =
    s.restoreCursor !== null && s.restoreCursor > n - 1
      ? [...s.notices, `URL parameter "step" is ${s.restoreCursor + 1} but the trace has ${n} steps; showing the last.`]
      : s.notices;
  return {
    result: value,
    shown: req,
    shownClusterName: s.clusterName,
    pending: false,
    error: null,
    change,
    ...cursorFor(s, req, value),
    restoreCursor: null,
    notices,
    selectedField: null,
  };
}

/**
 * Writes a simulate answer into the store. A good answer replaces the trace and says what
 * changed; an error keeps the last good trace and puts the request back to what it shows.
 */
export function applySimAnswer(store: AppStore, req: SimRequest, r: Result<SimResult>): void {
  const s: Store = store.getState();
  if (r.ok) {
    store.setState(answerPatch(s, req, r.value));
    return;
  }
  const message = errorText(r.error);
  if (s.shown) {
    store.setState({ pending: false, error: message, scenario: stripFlow(s.shown), flow: s.shown.flow });
    return;
  }
  // nothing shown yet: the share link (or the defaults) asked for something the core refused
  const d = s.defaults;
  if (d && key(requestOf(s)) !== key({ ...d.scenario, flow: d.flow })) {
    store.setState({
      pending: false,
      // a notice, not the error: it must outlive the successful default trace that follows
      notices: [...s.notices, `${message} — showing the default scenario instead.`],
      scenario: d.scenario,
      flow: d.flow,
      restoreCursor: null,
    });
    return;
  }
  store.setState({ pending: false, error: message });
}

function stripFlow(r: SimRequest): Scenario {
  const { flow: _flow, ...scenario } = r;
  return scenario;
}

type Fail = (r: Result<never>) => void;

/**
 * One worker and the calls in flight on it. A call that outlives its timeout means the worker
 * is stuck in the core: it is terminated (that is the only way to stop it) and a fresh one
 * takes its place; every call it held answers with an error.
 */
class Lane {
  private handle: WorkerHandle | undefined;
  private readonly inflight = new Set<Fail>();
  private disposed = false;
  /** crashes since the last answer: a worker script that cannot load crashes at once, every time */
  private crashes = 0;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  /** set once the worker failed WORKER_MAX_CRASHES times in a row: no more restarts, every call says why */
  private gaveUp: string | undefined;

  constructor(
    private readonly role: WorkerRole,
    private readonly spawn: (role: WorkerRole) => WorkerHandle,
    private readonly report: (message: string) => void,
  ) {}

  private start(): WorkerHandle {
    const handle = this.spawn(this.role);
    this.handle = handle;
    handle.onCrash((message) => {
      if (this.disposed || this.handle !== handle) return;
      this.crashes++;
      if (this.crashes >= WORKER_MAX_CRASHES) {
        this.gaveUp = `The simulation worker failed to start ${this.crashes} times in a row (${message}). Check the connection and reload the page to try again.`;
        this.restart(this.gaveUp, 'worker-failed', null);
        return;
      }
      // the first restart is immediate (a worker that died mid-call); later ones back off
      const delay = this.crashes === 1 ? 0 : WORKER_RESTART_BACKOFF_MS * 4 ** (this.crashes - 2);
      this.restart(`The simulation worker stopped: ${message}. It was restarted.`, 'worker-crashed', delay);
    });
    return handle;
  }

  /** Fails every call in flight with `message`, replaces the worker after `delayMs` (null: not at all), and says so. */
  private restart(message: string, code: string, delayMs: number | null = 0): void {
    const err: Result<never> = { ok: false, error: { code, where: 'simulation worker', message } };
    // say so even when nothing was asked of it; a pending request answers with the same error
    this.report(message);
    for (const fail of [...this.inflight]) fail(err);
    this.inflight.clear();
    this.handle?.terminate();
    this.handle = undefined;
    clearTimeout(this.restartTimer);
    if (this.disposed || delayMs === null) return;
    if (delayMs <= 0) this.start();
    else this.restartTimer = setTimeout(() => this.ensure(), delayMs);
  }

  /** Spawns the worker now (the sim worker starts with the app; the scale worker on first use). */
  ensure(): void {
    if (!this.handle && !this.disposed && !this.gaveUp) this.start();
  }

  call<T>(what: string, f: (api: SimApi) => Promise<Result<T>>, timeoutMs: number): Promise<Result<T>> {
    if (this.gaveUp) return Promise.resolve({ ok: false, error: { code: 'worker-failed', where: 'simulation worker', message: this.gaveUp } });
    clearTimeout(this.restartTimer);
    const handle = this.handle ?? this.start();
    return new Promise<Result<T>>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settle: Fail = (r) => {
        if (!this.inflight.delete(settle)) return;
        clearTimeout(timer);
        resolve(r as Result<T>);
      };
      this.inflight.add(settle);
      const started = performance.now();
      const timedOut = () => {
        if (!this.inflight.has(settle)) return;
        const seconds = timeoutMs >= 1000 ? `${Math.round(timeoutMs / 100) / 10} s` : `${timeoutMs} ms`;
        this.restart(`The simulation worker took longer than ${seconds} to answer "${what}"; it was stopped and restarted. The last good result stays on screen.`, 'worker-timeout');
      };
      timer = setTimeout(timedOut, timeoutMs);
      f(handle.api).then(
        // an answer that arrives after the deadline (the timer's task can queue behind it) is late all the same
        (r) => {
          if (performance.now() - started > timeoutMs) return timedOut();
          this.crashes = 0; // it answered: it loads and runs
          settle(r as Result<never>);
        },
        (e: unknown) => settle({ ok: false, error: { code: 'worker-call', where: 'simulation worker', message: e instanceof Error ? e.message : String(e) } }),
      );
    });
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.restartTimer);
    this.inflight.clear();
    this.handle?.terminate();
    this.handle = undefined;
  }
}

/** A worker that crashes this many times without answering in between is not started again. */
export const WORKER_MAX_CRASHES = 4;
/** Restarts after the first wait 0.5 s, then 2 s: a missing worker script is fetched 4 times, not 70 a second. */
export const WORKER_RESTART_BACKOFF_MS = 500;

export interface ClientOptions {
  /** per-call timeout of the sim worker (tests shorten it) */
  timeoutMs?: () => number;
}

export function createSimClient(store: AppStore, spawn: (role: WorkerRole) => WorkerHandle, opts: ClientOptions = {}): SimClient {
  let latest = 0;
  let latestCompare = 0;
  let scaleRun = 0;
  let termId = 0;
  /** the last simulate round trip, ms (the import benchmark reads it through the test hook) */
  let lastSimulateMs = 0;
  let disposed = false;
  const timeout = opts.timeoutMs ?? (() => CALL_TIMEOUT_MS);
  const report = (message: string) => {
    if (!disposed) store.setState({ error: message });
  };
  /** each cluster's edits while another cluster is shown */
  const editsByCluster = new Map<string, readonly string[]>();
  const sim = new Lane('sim', spawn, report);
  sim.ensure();
  const scale = new Lane('scale', spawn, (message) => {
    if (!disposed) store.setState({ scaleError: message });
  });
  // a large user cluster takes seconds to parse and build: its calls get longer before the worker is presumed stuck
  const call = <T>(what: string, f: (api: SimApi) => Promise<Result<T>>) => {
    const cluster = store.getState().scenario.cluster;
    return sim.call(what, f, cluster !== undefined && cluster.length > LARGE_CLUSTER_CHARS ? Math.max(timeout(), LARGE_CLUSTER_TIMEOUT_MS) : timeout());
  };
  const callFor = <T>(text: string, what: string, f: (api: SimApi) => Promise<Result<T>>) => sim.call(what, f, text.length > LARGE_CLUSTER_CHARS ? Math.max(timeout(), LARGE_CLUSTER_TIMEOUT_MS) : timeout());

  /** answers by request key: the ones shown lately and those one mode switch away (prefetch.ts) */
  const answers = new AnswerCache<Promise<Result<SimResult>>>(PREFETCH_KEEP);

  async function recompute(): Promise<void> {
    const req = requestOf(store.getState());
    const id = ++latest;
    store.setState({ pending: true, playing: false });
    const t0 = performance.now();
    const k = key(req);
    const r = await (answers.get(k) ?? call('simulate', (api) => api.simulate(req)));
    if (id !== latest || disposed) return; // a newer request superseded this one
    lastSimulateMs = performance.now() - t0;
    applySimAnswer(store, req, r);
    if (!r.ok) return void answers.delete(k);
    answers.set(k, Promise.resolve(r));
    void loadContainers(req);
    clearTimeout(prefetchTimer);
    prefetchTimer = setTimeout(() => void prefetch(req, r.value, id), PREFETCH_AFTER_MS);
  }

  let prefetchTimer: ReturnType<typeof setTimeout> | undefined;
  /**
   * Computes, one at a time, the traces one mode switch away from the one just shown, while the
   * user reads it; stops as soon as the user asks for anything else (one call at most is then
   * in the worker ahead of theirs). Not for a large cluster file: it is too slow to guess with.
   */
  async function prefetch(req: SimRequest, shown: SimResult, id: number): Promise<void> {
    if (req.cluster !== undefined && req.cluster.length > LARGE_CLUSTER_CHARS / 10) return;
    for (const next of modeNeighbours(req, shown.modes)) {
      if (id !== latest || disposed) return;
      const k = key(next);
      if (answers.has(k)) continue;
      const p = call('simulate', (api) => api.simulate(next));
      answers.set(k, p);
      if (!(await p).ok) answers.delete(k);
    }
  }

  /** The Docker containers of a newly shown cluster file (the topology draws them). */
  async function loadContainers(req: SimRequest): Promise<void> {
    const cluster = JSON.stringify([req.preset ?? '', req.cluster ?? '']);
    if (store.getState().containersFor === cluster) return;
    const r = await call('containers', (api) => api.containers(stripFlow(req)));
    if (disposed || !r.ok) return;
    store.setState({ containers: r.value, containersFor: cluster });
  }

  async function recompare(): Promise<void> {
    const s = store.getState();
    const { req, modesB } = compareRequest(s);
    const pin = s.comparePin;
    const id = ++latestCompare;
    store.setState({ comparePending: true });
    const r = await call('compare', (api) => api.compare(req, modesB, pin ?? undefined));
    if (id !== latestCompare || disposed) return;
    if (r.ok) store.setState({ comparison: { req, modesB, pin, value: r.value }, comparePending: false, compareError: null });
    else store.setState({ comparePending: false, compareError: errorText(r.error) });
  }

  const compareKey = (s: Store) => {
    const c = compareRequest(s);
    return JSON.stringify([c.req, c.modesB, s.comparePin]);
  };

  /** Fills the scale chart point by point, smallest cluster first, skipping what is known. */
  async function rescale(): Promise<void> {
    const id = ++scaleRun;
    store.setState({ scaleRunning: true, scaleError: null });
    for (const n of SCALE_SERVICES) {
      for (const proxy of SCALE_PROXIES) {
        const e = store.getState().scaleEndpoints;
        if (store.getState().scalePoints[scaleKey(proxy, n, e)]) continue;
        const r = await scale.call(`scale ${n} services (${proxy})`, (api) => api.scalePoint(n, e, proxy), SCALE_TIMEOUT_MS);
        if (disposed) return;
        // a point is a fact about (services, endpoints, mode): keep it even if this run was stopped
        if (r.ok) store.setState((x) => ({ scalePoints: { ...x.scalePoints, [scaleKey(proxy, n, e)]: r.value } }));
        if (id !== scaleRun) return;
        if (!r.ok) {
          store.setState({ scaleRunning: false, scaleError: errorText(r.error) });
          return;
        }
      }
    }
    store.setState({ scaleRunning: false });
  }

  const unsubscribe = store.subscribe((s, prev) => {
    if (!s.defaults) return;
    // the debugger's trace
    if (s.scenario !== prev.scenario || s.flow !== prev.flow || s.defaults !== prev.defaults) {
      if (s.shown && s.result && key(requestOf(s)) === key(s.shown)) {
        latest++; // back to what is shown: drop whatever is in flight
        if (s.pending) store.setState({ pending: false });
      } else void recompute();
    }
    // the comparison, while its view is open
    if (s.view === 'compare' && (s.view !== prev.view || s.scenario !== prev.scenario || s.flow !== prev.flow || s.compareAxis !== prev.compareAxis || s.compareBackends !== prev.compareBackends || s.comparePin !== prev.comparePin || s.defaults !== prev.defaults)) {
      const k = compareKey(s);
      const shown = s.comparison ? JSON.stringify([s.comparison.req, s.comparison.modesB, s.comparison.pin]) : '';
      if (k !== shown) void recompare();
      else if (s.comparePending) {
        latestCompare++;
        store.setState({ comparePending: false });
      }
    }
    // the scale chart, while its view is open
    if (s.view === 'scale' && (s.view !== prev.view || s.scaleEndpoints !== prev.scaleEndpoints)) void rescale();
    if (s.view !== 'scale' && prev.view === 'scale' && s.scaleRunning) {
      scaleRun++; // the point in flight finishes in its worker; nothing more is asked
      store.setState({ scaleRunning: false });
    }
  });

  const sameFlow = (a: FlowSpec, b: FlowSpec) => a.from === b.from && a.to === b.to && a.proto === b.proto && a.kind === b.kind && a.size === b.size && a.df === b.df;

  /** A flow the cluster offers: `flow` itself when it is one of its presets, else the first preset. */
  async function flowFor(scenario: Scenario, flow: FlowSpec): Promise<Result<FlowSpec>> {
    const r: Result<readonly FlowPreset[]> = await call('presets', (api) => api.presets(scenario));
    if (!r.ok) return r;
    return { ok: true, value: r.value.find((p) => sameFlow(p.flow, flow))?.flow ?? r.value[0]?.flow ?? flow };
  }

  return {
    async boot(search, linkCluster) {
      const r = await call('defaults', (api) => api.defaults());
      if (!r.ok) {
        store.setState({ error: errorText(r.error) });
        return;
      }
      const parsed = parseShare(search, r.value);
      // a user's cluster from the link's fragment stands in for the built-in one
      const { preset: _preset, ...withoutPreset } = parsed.scenario;
      const p = linkCluster?.ok ? { ...parsed, scenario: { ...withoutPreset, cluster: linkCluster.text } } : parsed;
      if (linkCluster && !linkCluster.ok) p.problems.push(`${linkCluster.error}; showing the default cluster.`);
      let flow = p.flow;
      // a link that names a cluster but no flow starts with that cluster's first flow
      if (p.scenario.preset !== r.value.scenario.preset && !new URLSearchParams(search).has('from')) {
        const f = await flowFor(p.scenario, p.flow);
        if (f.ok) flow = f.value;
      }
      store.setState({
        scenario: p.scenario,
        flow,
        restoreCursor: p.hasStep ? p.cursor : null,
        notices: p.problems,
        view: p.view,
        compareAxis: p.compareAxis,
        level: p.level,
        compareBackends: p.compareBackends,
        ...(p.instant ? { instant: true } : {}),
        ...(linkCluster?.ok ? { clusterName: 'cluster from the link' } : {}),
        defaults: r.value,
      });
    },
    async switchCluster(preset) {
      const s = store.getState();
      // edits name the hosts of their cluster: they are set aside, not lost, and come back with it;
      // a built-in cluster replaces the user's file (and the LAN given for it)
      const from = s.scenario.cluster !== undefined ? (s.clusterName ?? 'your cluster file') : (s.scenario.preset ?? 'custom');
      const restored = editsByCluster.get(preset) ?? [];
      const { cluster: _file, lan: _lan, ...rest } = s.scenario;
      const scenario = { ...rest, preset, before: restored };
      const f = await flowFor(scenario, s.flow);
      if (!f.ok) {
        store.setState({ error: errorText(f.error) });
        return;
      }
      if (s.scenario.before.length > 0) editsByCluster.set(from, s.scenario.before);
      const said = [
        ...(s.scenario.before.length > 0 ? [`${s.scenario.before.length} edit${s.scenario.before.length === 1 ? '' : 's'} of cluster "${from}" set aside; switching back restores them.`] : []),
        ...(restored.length > 0 ? [`${restored.length} edit${restored.length === 1 ? '' : 's'} of cluster "${preset}" restored.`] : []),
      ];
      store.setState({ scenario, flow: f.value, clusterName: null, linkTooBig: false, ...(said.length ? { notices: [...store.getState().notices, ...said] } : {}) });
    },
    async openCluster(text, opts = {}) {
      const s = store.getState();
      const name = opts.name ?? 'pasted cluster';
      const scenario: Scenario = { cluster: text, ...(opts.lan ? { lan: opts.lan } : {}), modes: {}, seed: s.scenario.seed, before: [] };
      store.setState({ importBusy: true });
      const t0 = performance.now();
      const r = await callFor(text, 'checkCluster', (api) => api.checkCluster(scenario));
      if (disposed) return false;
      store.setState({ importCheckMs: performance.now() - t0 });
      if (!r.ok) {
        // the cluster shown stays; the dialog lists what is wrong with the file
        store.setState({ importBusy: false, importOpen: true, importRefused: { name, message: errorText(r.error), problems: r.error.problems ?? [{ object: r.error.where || name, message: r.error.message }] } });
        return false;
      }
      // the edits of the cluster it replaces are set aside, as a switch of cluster does
      const from = s.scenario.cluster !== undefined ? (s.clusterName ?? 'your cluster file') : (s.scenario.preset ?? 'custom');
      if (s.scenario.before.length > 0) editsByCluster.set(from, s.scenario.before);
      const said = s.scenario.before.length > 0 ? [`${s.scenario.before.length} edit${s.scenario.before.length === 1 ? '' : 's'} of cluster "${from}" set aside.`] : [];
      store.setState({ importBusy: false, importOpen: false, importRefused: null, scenario, flow: r.value.flow ?? s.flow, clusterName: name, linkTooBig: false, restoreCursor: null, ...(said.length ? { notices: [...store.getState().notices, ...said] } : {}) });
      return true;
    },
    async openLab(lab, name) {
      const r = await callFor(lab.scenario.cluster ?? '', 'checkCluster', (api) => api.checkCluster({ ...lab.scenario, before: [] }));
      if (disposed) return false;
      if (!r.ok) {
        store.setState({ importOpen: true, importRefused: { name, message: errorText(r.error), problems: r.error.problems ?? [{ object: r.error.where || name, message: r.error.message }] } });
        return false;
      }
      store.setState({
        importOpen: false,
        importRefused: null,
        scenario: lab.scenario,
        flow: lab.flow,
        restoreCursor: lab.cursor,
        view: lab.view,
        clusterName: lab.scenario.cluster !== undefined ? (lab.clusterName ?? name) : null,
        linkTooBig: false,
      });
      return true;
    },
    compactCluster(text) {
      return callFor(text, 'compactCluster', (api) => api.compactCluster(text));
    },
    async prefetch() {
      // nothing to show when it fails: a part not fetched now is fetched when first needed
      await call('prefetch', (api) => api.prefetch());
    },
    async runCommand(target, command) {
      const s = store.getState();
      const base = s.shown ?? requestOf(s);
      // at the cursor, the command sees the tables as they stand at that step
      const at = s.terminalAtStep && s.result ? { atStep: s.cursor } : {};
      store.setState({ terminalBusy: true });
      const r: Result<ExecResult> = await call('exec', (api) => api.exec({ ...base, target, command, ...at }));
      const entry: TermEntry = r.ok
        ? { id: ++termId, target, command, output: r.value.output, mutates: r.value.mutates, ...at }
        : { id: ++termId, target, command, output: '', error: errorText(r.error), mutates: false, ...at };
      store.setState((x) => ({ terminalBusy: false, terminalLog: [...x.terminalLog, entry].slice(-200) }));
      if (r.ok && r.value.mutates) store.getState().addEdit(`${target}: ${command}`);
    },
    async runConnections(n) {
      const s = store.getState();
      const req = s.shown ?? requestOf(s);
      const key = JSON.stringify(req);
      store.setState({ runsPending: true, runsError: null });
      // in the second worker: a few thousand connections take seconds, the debugger stays live
      const r = await scale.call(`run ${n} connections`, (api) => api.runs(req, n), SCALE_TIMEOUT_MS);
      if (disposed) return;
      if (r.ok) store.setState({ runs: { key, value: r.value }, runsPending: false });
      else store.setState({ runsPending: false, runsError: errorText(r.error) });
    },
    tracePcap() {
      const s = store.getState();
      return call('tracePcap', (api) => api.tracePcap(s.shown ?? requestOf(s)));
    },
    openCompared(side, cursor = 0) {
      const c = store.getState().comparison;
      if (!c) return;
      // a pinned comparison ran each side with the draw that reaches the endpoint
      const draw = c.value.pinned ? (side === 'a' ? c.value.pinned.drawA : c.value.pinned.drawB) : c.req.draw;
      const base = side === 'a' ? c.req : sideB(c.req, c.modesB);
      const { draw: _draw, ...rest } = base;
      const req: SimRequest = draw ? { ...rest, draw } : rest;
      const result = side === 'a' ? c.value.resultA : c.value.resultB;
      latest++; // whatever the debugger was computing is superseded by this trace
      const n = result.trace.events.length;
      // the request and its answer in one update: the subscription sees the request is shown
      const at = Math.max(0, Math.min(cursor, n - 1));
      store.setState({
        ...answerPatch(store.getState(), req, result),
        cursor: at,
        expanded: new Set(expansionsFor(result.trace.events, store.getState().level, at)),
        scenario: stripFlow(req),
        flow: req.flow,
        view: 'debug',
      });
    },
    async l2Demo() {
      const s = store.getState();
      const { cluster: _file, ...rest } = s.scenario;
      const modes: Modes = { ...rest.modes, backend: 'host-gw' };
      const scenario: Scenario = { ...rest, preset: 'two-subnets', before: [], modes };
      const presets = await call('presets', (api) => api.presets(scenario));
      if (!presets.ok) return void store.setState({ error: errorText(presets.error) });
      const base = presets.value.find((p) => p.id === 'pod-pod-cross-node')?.flow ?? presets.value[0]?.flow;
      if (!base) return void store.setState({ error: 'The two-subnets cluster offers no pod flow.' });
      const r = await call('simulate', (api) => api.simulate({ ...scenario, flow: base }));
      if (!r.ok) return void store.setState({ error: errorText(r.error) });
      const target = podBehindRouter(r.value.topology, base.from);
      if (!target) return void store.setState({ error: 'The two-subnets cluster has no pod on a node behind the gateway.' });
      store.setState({ scenario, flow: flowTo(base, target.ip), view: 'compare', compareAxis: 'backend', compareBackends: ['host-gw', 'vxlan'] });
    },
    simulateMs() {
      return lastSimulateMs;
    },
    dispose() {
      disposed = true;
      clearTimeout(prefetchTimer);
      unsubscribe();
      sim.dispose();
      scale.dispose();
    },
  };
}
