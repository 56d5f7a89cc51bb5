/// <reference lib="webworker" />
import { expose } from 'comlink';
import { DEFAULT_FLOW, DEFAULT_SCENARIO, exec, loadSpec, simulate, tracePcap } from '../sim/api.ts';
import type { Result } from '../sim/api-types.ts';
import { CLUSTER_PRESETS } from '../sim/scenarios/clusters.ts';
import { presetsFor } from '../sim/scenarios/presets.ts';
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
        clusters: Object.entries(CLUSTER_PRESETS).map(([id, p]) => ({ id, label: p.label })),
      },
    })),
  presets: (scenario) =>
    guarded('presets', () => {
      const spec = loadSpec(scenario);
      return spec.ok ? { ok: true, value: presetsFor(spec.value) } : spec;
    }),
  simulate: (req) => guarded('simulate', () => simulate(req)),
  exec: (req) => guarded('exec', () => exec(req)),
  tracePcap: (req) => guarded('tracePcap', () => tracePcap(req)),
};

expose(api);
