import type { ContainerView, ExecRequest, ExecResult, FlowPreset, FlowSpec, Result, Scenario, SimRequest, SimResult } from './api-types.ts';
import { renderRuleRow } from './cli/iptables.ts';
import { buildCluster, type Cluster } from './k8s/cluster.ts';
import { ControllerError } from './k8s/kube-proxy/controller.ts';
import { traceFlow } from './k8s/flows.ts';
import type { ClusterSpec } from './k8s/spec.ts';
import { containerViews, topologyOf } from './k8s/topology.ts';
import { encode } from './net/encode.ts';
import { writePcap } from './net/pcap.ts';
import { CLUSTER_PRESETS } from './scenarios/clusters.ts';
import { SEED_SPEC } from './scenarios/seed-spec.ts';
import { parts } from './parts.ts';
import { presetsFor } from './scenarios/presets.ts';
import { tablesOf, withTableRows } from './tables.ts';
import { completeChanges } from './trace/changes.ts';
import type { Trace } from './trace/event.ts';

/**
 * The simulation's front door, used alike by the Web Worker, the CLI and the tests: every call
 * rebuilds the cluster from (cluster file, modes, seed), applies the user's edits, runs the flow
 * and reads the answer off the kernel model. Errors come back as values naming what and where.
 */
export const DEFAULT_SCENARIO: Scenario = { preset: 'seed', modes: {}, seed: 1, before: [] };

export const DEFAULT_FLOW: FlowSpec = { from: 'nginx-test-7646687cc4-n8s9s', to: '10.43.6.58:80', proto: 'tcp', kind: 'connect' };

const specCache = new Map<string, Result<ClusterSpec>>();

/** Parses the scenario's cluster file (or preset), remembering the last few parses. */
export function loadSpec(s: Scenario): Result<ClusterSpec> {
  let text = s.cluster;
  if (text === undefined) {
    const name = s.preset ?? 'seed';
    // the seed file read ahead of time (seed-spec.ts); a LAN of the user's own means reading it again
    if (name === 'seed' && !s.lan) return { ok: true, value: SEED_SPEC };
    const preset = CLUSTER_PRESETS[name];
    if (!preset) return { ok: false, error: { code: 'PRESET', where: 'preset', message: `no built-in cluster named "${name}" (have: ${Object.keys(CLUSTER_PRESETS).join(', ')})` } };
    text = preset.yaml;
  }
  const key = s.lan ? `${s.lan}\n${text}` : text;
  let r = specCache.get(key);
  if (!r) {
    r = parts.clusterReader.get().parseCluster(text, s.lan ? { lan: s.lan } : {});
    if (specCache.size > 8) specCache.clear();
    specCache.set(key, r);
  }
  return r;
}

/** Builds the cluster and applies `before` edits in order; the first bad edit is reported, nothing after it runs. */
export function loadScenario(s: Scenario): Result<Cluster> {
  const loaded = loadSpec(s);
  if (!loaded.ok) return loaded;
  // object edits (kubectl delete …) change the API server's state; the controllers then program the nodes
  let spec = loaded.value;
  const nodeEdits: [number, string][] = [];
  for (const [i, edit] of s.before.entries()) {
    const specEdit = parts.shell.get().specEditOf(edit.slice(edit.indexOf(':') + 1).trim());
    if (specEdit) {
      const r = parts.specEdits.get().applySpecEdit(spec, specEdit);
      if (!r.ok) return { ok: false, error: { ...r.error, where: `before[${i}] ${r.error.where}` } };
      spec = r.value.spec;
    } else nodeEdits.push([i, edit]);
  }
  let c: Cluster;
  try {
    c = buildCluster(spec, s.modes, s.seed);
  } catch (e) {
    if (e instanceof ControllerError) return { ok: false, error: { code: 'CONTROLLER', where: e.where, message: e.message } };
    throw e;
  }
  c.world.describeRule = (ns, table, chain, row) => {
    const rule = ns.nf[table].get(chain)?.rules[row];
    return rule ? renderRuleRow(rule) : '';
  };
  for (const [i, edit] of nodeEdits) {
    const colon = edit.indexOf(':');
    if (colon < 0) return { ok: false, error: { code: 'EDIT', where: `before[${i}]`, message: `"${edit}" must look like "<host or pod>: <command>"` } };
    const r = parts.shell.get().execCommand(c, edit.slice(0, colon).trim(), edit.slice(colon + 1).trim());
    if (!r.ok) return { ok: false, error: { ...r.error, where: `before[${i}] ${r.error.where}` } };
  }
  if (s.draw !== undefined && s.draw !== 0) {
    if (!Number.isInteger(s.draw) || s.draw < 0) return { ok: false, error: { code: 'DRAW', where: 'draw', message: `draw ${s.draw} is not a whole number from 0` } };
    // a draw of its own for the traffic, from (seed, draw): the cluster built above is untouched
    c.world.rng.reseed(Math.imul(s.seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(s.draw, 0xc2b2ae35));
  }
  return { ok: true, value: c };
}

export function simulate(req: SimRequest): Result<SimResult> {
  const c = loadScenario(req);
  if (!c.ok) return c;
  const t = traceFlow(c.value, req.flow);
  if (!t.ok) return t;
  const crossed = new Set(t.value.events.map((e) => `${e.host}/${e.netns}`));
  const tables = tablesOf(c.value, crossed);
  const partial = tables.length < c.value.world.namespaces.size;
  return {
    ok: true,
    value: {
      trace: { ...t.value, events: completeChanges(withTableRows(c.value, t.value.events)) },
      topology: topologyOf(c.value),
      tables,
      modes: c.value.modes,
      presets: presetsFor(c.value.spec),
      notes: c.value.notes,
      clusterNotes: partial ? [...c.value.spec.notes, `tables shown for the ${tables.length} network namespaces this flow crossed (of ${c.value.world.namespaces.size}); the terminal prints any other's`] : c.value.spec.notes,
    },
  };
}

/** Runs the flow (or its first `atStep` + 1 steps), then the command: so counters and conntrack show the flow's packets so far. */
export function exec(req: ExecRequest): Result<ExecResult> {
  const c = loadScenario(req);
  if (!c.ok) return c;
  if (req.atStep !== undefined && (!Number.isInteger(req.atStep) || req.atStep < 0)) return { ok: false, error: { code: 'EXEC_STEP', where: 'atStep', message: `step ${req.atStep} is not a step of the trace (a whole number from 0)` } };
  const t = traceFlow(c.value, req.flow, req.atStep === undefined ? Infinity : req.atStep + 1);
  if (!t.ok) return t;
  return parts.shell.get().execCommand(c.value, req.target, req.command);
}

/** The built-in cluster files a user can pick, by name; `dump` marks the kubectl examples. */
export function clusterPresets(): { readonly name: string; readonly label: string; readonly source: string; readonly dump: boolean }[] {
  return Object.entries(CLUSTER_PRESETS).map(([name, p]) => ({ name, label: p.label, source: p.source, dump: !!p.dump }));
}

/** What a user's cluster file holds, checked before it replaces the one shown. */
export interface ClusterCheck {
  readonly nodes: number;
  readonly pods: number;
  readonly services: number;
  /** what was inferred or skipped */
  readonly notes: readonly string[];
  /** the first flow the cluster offers */
  readonly flow?: FlowSpec;
}

/**
 * Parses and checks a cluster (a user's file, or a preset) without building it: every problem
 * comes back with its object, field and line, and nothing shown changes.
 */
export function checkCluster(s: Scenario): Result<ClusterCheck> {
  // parsing finds what is wrong with a file; the build comes with the first trace (and its
  // parse is cached), so a large cluster is built once, not twice
  const spec = loadSpec(s);
  if (!spec.ok) return spec;
  const v = spec.value;
  const flow = presetsFor(v)[0]?.flow;
  return { ok: true, value: { nodes: v.nodes.length, pods: v.pods.length, services: v.services.length, notes: v.notes, ...(flow ? { flow } : {}) } };
}

/**
 * The cluster as the share link carries it: the same objects without what changes nothing
 * (managedFields, Events), as compact JSON — often a tenth of a verbose dump. The text as
 * given when that is not shorter, or when it does not read.
 */
export function compactCluster(text: string): string {
  const d = parts.clusterDecoder.get().decodeObjects(text);
  if (!d.ok) return text;
  const items = d.objects
    .filter((o) => o.obj.kind !== 'Event')
    .map((o) => {
      const md = o.obj.metadata;
      if (typeof md !== 'object' || md === null || !('managedFields' in md)) return o.obj;
      const { managedFields: _m, ...rest } = md as Record<string, unknown>;
      return { ...o.obj, metadata: rest };
    });
  const compact = JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
  return compact.length < text.length ? compact : text;
}

/** The flows worth offering for a scenario's cluster (the seed's scenarios, picked from its objects). */
export function flowPresets(s: Scenario): Result<FlowPreset[]> {
  const spec = loadSpec(s);
  return spec.ok ? { ok: true, value: presetsFor(spec.value) } : spec;
}

/** The Docker containers of the scenario's cluster file, as the topology draws them. */
export function dockerContainers(s: Scenario): Result<ContainerView[]> {
  const spec = loadSpec(s);
  return spec.ok ? { ok: true, value: containerViews(spec.value) } : spec;
}

/** Every frame the trace put on a wire (veth or LAN), in order, as a pcap file. */
export function pcapOf(trace: Trace): Uint8Array {
  return writePcap(trace.events.filter((e) => e.onWire).map((e) => ({ bytes: encode(e.packet), timeUs: e.timeUs })));
}

export function tracePcap(req: SimRequest): Result<Uint8Array> {
  const r = simulate(req);
  return r.ok ? { ok: true, value: pcapOf(r.value.trace) } : r;
}
