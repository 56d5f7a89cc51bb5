import type { FlowSpec } from '../api-types.ts';
import { execCommand } from '../cli/exec.ts';
import type { Cluster } from '../k8s/cluster.ts';
import { traceFlow } from '../k8s/flows.ts';
import type { Ipv4Layer, TcpLayer } from '../net/packet.ts';
import type { Trace, TraceEvent } from '../trace/event.ts';

// What the scenario tests share: the seed's client pod and Service flows, a shell on a host or
// pod, a traced flow, and the layers of a step's packet. Errors throw: a test wants the value.

/** The seed's pod on master, the client of most of its flows. */
export const N8S9S = 'nginx-test-7646687cc4-n8s9s';

/** Seed §3b: the pod on master → the nginx-test ClusterIP. */
export const toService: FlowSpec = { from: N8S9S, to: '10.43.6.58:80', proto: 'tcp', kind: 'connect' };
/** Seed §4b: the outside client → master's NodePort. */
export const nodePort: FlowSpec = { from: 'client', to: '192.168.205.4:32506', proto: 'tcp', kind: 'connect' };

/** A command's output on a host or in a pod (`exec TARGET -- CMD`). */
export function sh(c: Cluster, target: string, cmd: string): string {
  const r = execCommand(c, target, cmd);
  if (!r.ok) throw new Error(r.error.message);
  return r.value.output;
}

export function run(c: Cluster, flow: FlowSpec): Trace {
  const t = traceFlow(c, flow);
  if (!t.ok) throw new Error(t.error.message);
  return t.value;
}

/** The (outer) IPv4 header of a step's packet. */
export const ip = (e: TraceEvent) => e.packet.find((l) => l.type === 'ipv4') as Ipv4Layer;
export const tcp = (e: TraceEvent) => e.packet.find((l) => l.type === 'tcp') as TcpLayer;
