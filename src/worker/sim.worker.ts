/// <reference lib="webworker" />
import { expose } from 'comlink';
import { clusterPresets, DEFAULT_FLOW, DEFAULT_SCENARIO, dockerContainers, exec, flowPresets, simulate, tracePcap } from '../sim/api.ts';
import type { Result } from '../sim/api-types.ts';
import { compare, scalePoint } from '../sim/compare.ts';
import { WORKER_EXCEPTION, type SimApi } from './protocol.ts';

/** Runs a core call; anything it throws becomes an error value so the worker stays alive. */
function guarded<T>(where: string, call: () => Result<T>): Promise<Result<T>> {
  try {
    return Promise.resolve(call());
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return Promise.resolve({ ok: false, error: { code: WORKER_EXCEPTION, where, message } });
  }
}

const api: SimApi = {
  defaults: () =>
    guarded('defaults', () => ({
      ok: true,
      value: {
        scenario: DEFAULT_SCENARIO,
        flow: DEFAULT_FLOW,
        clusters: clusterPresets().map((p) => ({ id: p.name, label: p.label, source: p.source })),
      },
    })),
  presets: (scenario) => guarded('presets', () => flowPresets(scenario)),
  simulate: (req) => guarded('simulate', () => simulate(req)),
  exec: (req) => guarded('exec', () => exec(req)),
  tracePcap: (req) => guarded('tracePcap', () => tracePcap(req)),
  compare: (req, modesB) => guarded('compare', () => compare(req, modesB)),
  scalePoint: (services, endpoints, proxy) => guarded('scalePoint', () => scalePoint(services, endpoints, proxy)),
  containers: (scenario) => guarded('containers', () => dockerContainers(scenario)),
};

expose(api);
