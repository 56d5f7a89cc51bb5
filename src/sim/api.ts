import type { ContainerView, ExecRequest, ExecResult, FlowPreset, FlowSpec, Result, Scenario, SimRequest, SimResult } from './api-types.ts';
import { renderRuleRow } from './cli/iptables.ts';
import { execCommand, tokenize } from './cli/exec.ts';
import { applySpecEdit, isSpecEdit } from './k8s/spec-edits.ts';
import { buildCluster, type Cluster } from './k8s/cluster.ts';
import { ControllerError } from './k8s/kube-proxy/controller.ts';
import { traceFlow } from './k8s/flows.ts';
import { parseCluster, type ClusterSpec } from './k8s/spec.ts';
import { containerViews, topologyOf } from './k8s/topology.ts';
import { encode } from './net/encode.ts';
import { writePcap } from './net/pcap.ts';
import { CLUSTER_PRESETS } from './scenarios/clusters.ts';
import { presetsFor } from './scenarios/presets.ts';
import { tablesOf, withTableRows } from './tables.ts';
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
    const preset = CLUSTER_PRESETS[name];
    if (!preset) return { ok: false, error: { code: 'PRESET', where: 'preset', message: `no built-in cluster named "${name}" (have: ${Object.keys(CLUSTER_PRESETS).join(', ')})` } };
    text = preset.yaml;
  }
  let r = specCache.get(text);
  if (!r) {
    r = parseCluster(text);
    if (specCache.size > 8) specCache.clear();
    specCache.set(text, r);
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
    const command = edit.slice(edit.indexOf(':') + 1).trim();
    const argv = tokenize(command);
    if (argv.ok && isSpecEdit(argv.value)) {
      const r = applySpecEdit(spec, argv.value);
      if (!r.ok) return { ok: false, error: { ...r.error, where: `before[${i}] ${r.error.where}` } };
      spec = r.value;
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
    const r = execCommand(c, edit.slice(0, colon).trim(), edit.slice(colon + 1).trim());
    if (!r.ok) return { ok: false, error: { ...r.error, where: `before[${i}] ${r.error.where}` } };
  }
  return { ok: true, value: c };
}

export function simulate(req: SimRequest): Result<SimResult> {
  const c = loadScenario(req);
  if (!c.ok) return c;
  const t = traceFlow(c.value, req.flow);
  if (!t.ok) return t;
  return {
    ok: true,
    value: {
      trace: { ...t.value, events: withTableRows(c.value, t.value.events) },
      topology: topologyOf(c.value),
      tables: tablesOf(c.value),
      modes: c.value.modes,
      presets: presetsFor(c.value.spec),
      notes: c.value.notes,
    },
  };
}

/** Runs the flow, then the command: so counters and conntrack show the flow's packets. */
export function exec(req: ExecRequest): Result<ExecResult> {
  const c = loadScenario(req);
  if (!c.ok) return c;
  const t = traceFlow(c.value, req.flow);
  if (!t.ok) return t;
  return execCommand(c.value, req.target, req.command);
}

/** The built-in cluster files a user can pick, by name. */
export function clusterPresets(): { readonly name: string; readonly label: string; readonly source: string }[] {
  return Object.entries(CLUSTER_PRESETS).map(([name, p]) => ({ name, label: p.label, source: p.source }));
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
