import type { ContainerView } from '../sim/api-types.ts';

export type { ContainerView };
import type {
  ExecRequest,
  ExecResult,
  FlowPreset,
  FlowSpec,
  Modes,
  ProxyMode,
  Result,
  Scenario,
  SimRequest,
  SimResult,
} from '../sim/api-types.ts';
import type { Comparison, EndpointPin, ScalePoint } from '../sim/compare.ts';
import type { RunsResult } from '../sim/runs.ts';
import type { ClusterCheck } from '../sim/api.ts';

export type { ClusterCheck };

/**
 * The one typed boundary between the UI and the simulation worker. The worker `expose`s an
 * object of this shape with comlink; the UI `wrap`s the worker with it. Every method answers a
 * `Result` — the worker catches whatever the core throws, so a bad request never kills it.
 */
export interface SimApi {
  /** the scenario and flow the app starts from when the URL names none */
  defaults(): Promise<Result<SimDefaults>>;
  /** the flows a cluster offers, without running one (to pick a valid flow for a new cluster) */
  presets(scenario: Scenario): Promise<Result<readonly FlowPreset[]>>;
  simulate(req: SimRequest): Promise<Result<SimResult>>;
  exec(req: ExecRequest): Promise<Result<ExecResult>>;
  /** a pcap file of every frame the trace put on a wire */
  tracePcap(req: SimRequest): Promise<Result<Uint8Array>>;
  /** the same flow under `req.modes` and under `req.modes` + `modesB`, side by side; `pin` makes both reach one endpoint */
  compare(req: SimRequest, modesB: Modes, pin?: EndpointPin): Promise<Result<Comparison>>;
  /** `n` connections of the flow one after another: where each ended, and the balancer's counters after them */
  runs(req: SimRequest, n: number): Promise<Result<RunsResult>>;
  /** what kube-proxy programs on one node for `services` services (seed §5), ~1 s for 1,000 */
  scalePoint(services: number, endpointsPerService: number, proxy: ProxyMode): Promise<Result<ScalePoint>>;
  /** the Docker containers of the scenario's cluster file (none without a Docker host) */
  containers(scenario: Scenario): Promise<Result<readonly ContainerView[]>>;
  /** checks a user's cluster file (every problem with object, field and line) before it is shown */
  checkCluster(scenario: Scenario): Promise<Result<ClusterCheck>>;
  /** the cluster text the share link carries: the same objects, compact */
  compactCluster(text: string): Promise<Result<string>>;
  /**
   * fetches every part of the simulation the first trace did not need (the shell, the cluster
   * reader, compare, …), so they answer at once later and, kept by the service worker, offline;
   * answers at once how many it asked for, and fetches them behind the answer
   */
  prefetch(): Promise<Result<number>>;
}

export interface SimDefaults {
  readonly scenario: Scenario;
  readonly flow: FlowSpec;
  /** the built-in clusters a scenario's `preset` can name: a plain label, where each comes from, `dump` for the kubectl examples */
  readonly clusters: readonly { readonly id: string; readonly label: string; readonly source?: string; readonly dump?: boolean }[];
}

/** The error code the worker answers with when the core threw instead of returning a Result. */
export const WORKER_EXCEPTION = 'worker-exception';
