import type { ExecResult, FlowPreset, FlowSpec, Result, Scenario, SimRequest, SimResult } from '../../sim/api-types.ts';
import type { SimApi } from '../../worker/protocol.ts';
import { describeChange, type TraceSnapshot } from './derive.ts';
import { requestOf, type AppStore, type Store, type TermEntry } from './store.ts';
import { parseShare } from './url.ts';

/**
 * The worker client: the only code that talks to the simulation. It watches the store for a
 * new request (scenario or flow changed), asks the worker, and writes the answer back with
 * `setState` — outside React. Answers to superseded requests are dropped by request id; a
 * worker that dies is replaced and the last good trace stays on screen.
 */
export interface WorkerHandle {
  readonly api: SimApi;
  /** called once if the worker dies (uncaught error, failed load) */
  onCrash(cb: (message: string) => void): void;
  terminate(): void;
}

export interface SimClient {
  /** load the defaults, read the share link, and compute the first trace */
  boot(search: string): Promise<void>;
  /** switch to a built-in cluster, keeping the flow if the new cluster offers it, else its first flow */
  switchCluster(preset: string): Promise<void>;
  runCommand(target: string, command: string): Promise<void>;
  tracePcap(): Promise<Result<Uint8Array>>;
  dispose(): void;
}

const key = (r: SimRequest) => JSON.stringify(r);

function snapshot(req: SimRequest, result: SimResult): TraceSnapshot {
  return { modes: result.modes, flow: req.flow, before: req.before, trace: result.trace, ...(req.preset ? { preset: req.preset } : {}) };
}

/** The one wording of a worker error for the UI. */
export function errorText(e: { code: string; where: string; message: string }): string {
  return e.where ? `${e.message} (in ${e.where})` : e.message;
}

/**
 * Writes a simulate answer into the store. A good answer replaces the trace and says what
 * changed; an error keeps the last good trace and puts the request back to what it shows.
 */
export function applySimAnswer(store: AppStore, req: SimRequest, r: Result<SimResult>): void {
  const s: Store = store.getState();
  if (r.ok) {
    const n = r.value.trace.events.length;
    const change = s.result && s.shown ? describeChange(snapshot(s.shown, s.result), snapshot(req, r.value)) : null;
    const want = s.restoreCursor ?? s.cursor;
    const notices =
      s.restoreCursor !== null && s.restoreCursor > n - 1
        ? [...s.notices, `URL parameter "step" is ${s.restoreCursor + 1} but the trace has ${n} steps; showing the last.`]
        : s.notices;
    store.setState({
      result: r.value,
      shown: req,
      pending: false,
      error: null,
      change,
      cursor: Math.max(0, Math.min(want, n - 1)),
      restoreCursor: null,
      notices,
      selectedField: null,
    });
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

function stripFlow(r: SimRequest) {
  const { flow: _flow, ...scenario } = r;
  return scenario;
}

export function createSimClient(store: AppStore, spawn: () => WorkerHandle): SimClient {
  let handle: WorkerHandle;
  let latest = 0;
  let termId = 0;
  let disposed = false;
  const inflight = new Set<(r: Result<never>) => void>();

  const start = () => {
    handle = spawn();
    handle.onCrash((message) => {
      if (disposed) return;
      const err: Result<never> = { ok: false, error: { code: 'worker-crashed', where: 'simulation worker', message: `The simulation worker stopped: ${message}. It was restarted.` } };
      // say so even when nothing was asked of it; a pending request answers with the same error
      store.setState({ error: errorText(err.error) });
      for (const fail of [...inflight]) fail(err);
      inflight.clear();
      handle.terminate();
      start();
    });
  };
  start();

  function call<T>(f: (api: SimApi) => Promise<Result<T>>): Promise<Result<T>> {
    return new Promise<Result<T>>((resolve) => {
      const settle = (r: Result<T>) => {
        if (!inflight.delete(settle as (r: Result<never>) => void)) return;
        resolve(r);
      };
      inflight.add(settle as (r: Result<never>) => void);
      f(handle.api).then(settle, (e: unknown) =>
        settle({ ok: false, error: { code: 'worker-call', where: 'simulation worker', message: e instanceof Error ? e.message : String(e) } }),
      );
    });
  }

  async function recompute(): Promise<void> {
    const req = requestOf(store.getState());
    const id = ++latest;
    store.setState({ pending: true, playing: false });
    const r = await call((api) => api.simulate(req));
    if (id !== latest || disposed) return; // a newer request superseded this one
    applySimAnswer(store, req, r);
  }

  const unsubscribe = store.subscribe((s, prev) => {
    if (!s.defaults) return;
    if (s.scenario === prev.scenario && s.flow === prev.flow && s.defaults === prev.defaults) return;
    if (s.shown && s.result && key(requestOf(s)) === key(s.shown)) {
      latest++; // back to what is shown: drop whatever is in flight
      if (s.pending) store.setState({ pending: false });
      return;
    }
    void recompute();
  });

  const sameFlow = (a: FlowSpec, b: FlowSpec) => a.from === b.from && a.to === b.to && a.proto === b.proto && a.kind === b.kind;
  /** A flow the cluster offers: `flow` itself when it is one of its presets, else the first preset. */
  async function flowFor(scenario: Scenario, flow: FlowSpec): Promise<Result<FlowSpec>> {
    const r: Result<readonly FlowPreset[]> = await call((api) => api.presets(scenario));
    if (!r.ok) return r;
    return { ok: true, value: r.value.find((p) => sameFlow(p.flow, flow))?.flow ?? r.value[0]?.flow ?? flow };
  }

  return {
    async boot(search) {
      const r = await call((api) => api.defaults());
      if (!r.ok) {
        store.setState({ error: errorText(r.error) });
        return;
      }
      const p = parseShare(search, r.value);
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
        ...(p.instant ? { instant: true } : {}),
        defaults: r.value,
      });
    },

    async switchCluster(preset) {
      const s = store.getState();
      const scenario = { ...s.scenario, preset, before: [] };
      const f = await flowFor(scenario, s.flow);
      if (!f.ok) {
        store.setState({ error: errorText(f.error) });
        return;
      }
      store.setState({ scenario, flow: f.value });
    },

    async runCommand(target, command) {
      const s = store.getState();
      const base = s.shown ?? requestOf(s);
      store.setState({ terminalBusy: true });
      const r: Result<ExecResult> = await call((api) => api.exec({ ...base, target, command }));
      const entry: TermEntry = r.ok
        ? { id: ++termId, target, command, output: r.value.output, mutates: r.value.mutates }
        : { id: ++termId, target, command, output: '', error: errorText(r.error), mutates: false };
      store.setState((x) => ({ terminalBusy: false, terminalLog: [...x.terminalLog, entry].slice(-200) }));
      if (r.ok && r.value.mutates) store.getState().addEdit(`${target}: ${command}`);
    },

    tracePcap() {
      const s = store.getState();
      return call((api) => api.tracePcap(s.shown ?? requestOf(s)));
    },

    dispose() {
      disposed = true;
      unsubscribe();
      handle.terminate();
    },
  };
}
