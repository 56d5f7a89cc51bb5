/// <reference lib="webworker" />
import { expose } from 'comlink';
import { checkCluster, clusterPresets, compactCluster, DEFAULT_FLOW, DEFAULT_SCENARIO, dockerContainers, exec, flowPresets, simulate, tracePcap } from '../sim/api.ts';
import type { Result } from '../sim/api-types.ts';
import { withParts } from '../sim/part.ts';
import { PART_COUNT, parts } from '../sim/parts.lazy.ts';
import { WORKER_EXCEPTION, type SimApi } from './protocol.ts';

/**
 * Runs a core call, fetching the simulation parts it needs on the way (part.ts); anything it
 * throws becomes an error value so the worker stays alive.
 */
async function guarded<T>(where: string, call: () => Result<T>): Promise<Result<T>> {
  try {
    return await withParts(call, PART_COUNT);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { ok: false, error: { code: WORKER_EXCEPTION, where, message } };
  }
}

// what only a dialog or an export asks for comes in chunks of its own, on first use
const comparing = () => import('../sim/compare.ts');
const running = () => import('../sim/runs.ts');

const api: SimApi = {
  defaults: () =>
    guarded('defaults', () => ({
      ok: true,
      value: {
        scenario: DEFAULT_SCENARIO,
        flow: DEFAULT_FLOW,
        clusters: clusterPresets().map((p) => ({ id: p.name, label: p.label, source: p.source, ...(p.dump ? { dump: true } : {}) })),
      },
    })),
  presets: (scenario) => guarded('presets', () => flowPresets(scenario)),
  simulate: (req) => guarded('simulate', () => simulate(req)),
  exec: (req) => guarded('exec', () => exec(req)),
  tracePcap: (req) => guarded('tracePcap', () => tracePcap(req)),
  compare: async (req, modesB, pin) => {
    const { compare } = await comparing();
    return guarded('compare', () => compare(req, modesB, pin));
  },
  runs: async (req, n) => {
    const { runConnections } = await running();
    return guarded('runs', () => runConnections(req, n));
  },
  // the worker lends the sim its clock: the trace time of each point (the sim never reads one)
  scalePoint: async (services, endpoints, proxy) => {
    const { scalePoint } = await comparing();
    return guarded('scalePoint', () => scalePoint(services, endpoints, proxy, () => performance.now()));
  },
  containers: (scenario) => guarded('containers', () => dockerContainers(scenario)),
  checkCluster: (scenario) => guarded('checkCluster', () => checkCluster(scenario)),
  compactCluster: (text) => guarded('compactCluster', () => ({ ok: true, value: compactCluster(text) })),
  // answered at once, fetched behind it: a slow network must not hold the worker's next call
  // up; a chunk that fails now is fetched again when a call needs it (part.ts)
  prefetch: () => {
    const loads: Promise<unknown>[] = [...Object.values(parts).map((p) => p.load()), comparing(), running()];
    void Promise.allSettled(loads);
    return Promise.resolve({ ok: true, value: loads.length });
  },
};

expose(api);
