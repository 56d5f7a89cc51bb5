import { intToIp, ipToInt, parseCidr, type Ipv4 } from '../net/addr.ts';
import { syncEndpointSlices } from './endpointslice.ts';
import { hashName, podTemplateHash } from './names.ts';
import type { ClusterSpec, NodeSpec, PendingPodSpec, PodSpec, WorkloadSpec } from './spec.ts';

/**
 * The ReplicaSet controller with the scheduler and host-local IPAM it sets in motion: new pods
 * go to the schedulable node with the fewest replicas of the set (ties in node order — round
 * robin), each gets the next free address of its node's podCIDR after the last one handed out;
 * scaling down removes unscheduled pods first, then pods on the nodes that hold the most.
 */

/** kubelet --max-pods default */
export const MAX_PODS_PER_NODE = 110;
/** the most replicas one edit may ask for here: a bound on the work one command can cause */
export const MAX_REPLICAS = 5000;

export interface Scaled {
  readonly spec: ClusterSpec;
  readonly added: readonly PodSpec[];
  readonly removed: readonly PodSpec[];
}

const sameNs = (w: { namespace: string }, ns: string) => w.namespace === ns;
const matches = (sel: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>) => Object.entries(sel).every(([k, v]) => Object.hasOwn(labels, k) && labels[k] === v);

/** The ReplicaSet that runs a Deployment's pods: the one it owns with the most pods, else one named for its template. */
export function replicaSetOf(spec: ClusterSpec, deploy: WorkloadSpec): WorkloadSpec {
  const owned = spec.workloads.filter((w) => w.kind === 'ReplicaSet' && sameNs(w, deploy.namespace) && w.owner?.kind === 'Deployment' && w.owner.name === deploy.name);
  if (owned.length > 0) return owned.reduce((a, b) => (podsOf(spec, b).length > podsOf(spec, a).length ? b : a));
  // the file has the Deployment but not its ReplicaSet: the pods' pod-template-hash names it
  const hash = spec.pods.find((p) => sameNs(p, deploy.namespace) && matches(deploy.selector, p.labels) && p.labels['pod-template-hash'])?.labels['pod-template-hash'] ?? podTemplateHash(JSON.stringify(deploy.template));
  const labels = { ...deploy.template.labels, 'pod-template-hash': hash };
  return { kind: 'ReplicaSet', namespace: deploy.namespace, name: `${deploy.name}-${hash}`, replicas: deploy.replicas, selector: { ...deploy.selector, 'pod-template-hash': hash }, template: { labels, ports: deploy.template.ports }, owner: { kind: 'Deployment', name: deploy.name } };
}

/** A set's pods: those it owns, and orphans its selector matches (the controller adopts them). */
function podsOf<T extends PodSpec | PendingPodSpec = PodSpec>(spec: ClusterSpec, rs: WorkloadSpec, list?: readonly T[]): T[] {
  const pods = (list ?? spec.pods) as readonly T[];
  return pods.filter((p) => sameNs(p, rs.namespace) && (p.owner ? p.owner.kind === 'ReplicaSet' && p.owner.name === rs.name : matches(rs.selector, p.labels)));
}

/** Sets a ReplicaSet (and its Deployment) to `replicas` and makes the pods match. */
export function scaleReplicaSet(spec0: ClusterSpec, rs0: WorkloadSpec, replicas: number): Scaled {
  const rs = { ...rs0, replicas };
  const known = spec0.workloads.some((w) => w.kind === 'ReplicaSet' && w.namespace === rs.namespace && w.name === rs.name);
  let workloads = known ? spec0.workloads.map((w) => (w.kind === 'ReplicaSet' && w.namespace === rs.namespace && w.name === rs.name ? rs : w)) : [...spec0.workloads, rs];
  if (rs.owner?.kind === 'Deployment') workloads = workloads.map((w) => (w.kind === 'Deployment' && w.namespace === rs.namespace && w.name === rs.owner!.name ? { ...w, replicas } : w));
  const spec = { ...spec0, workloads };
  const running: PodSpec[] = podsOf(spec, rs);
  const pending: PendingPodSpec[] = podsOf<PendingPodSpec>(spec, rs, spec.pendingPods).filter((p) => p.phase === 'Pending');
  const have = running.length + pending.length;
  if (have === replicas) return { spec, added: [], removed: [] };
  if (have < replicas) return grow(spec, rs, replicas - have);
  return shrink(spec, running, pending, have - replicas);
}

function grow(spec: ClusterSpec, rs: WorkloadSpec, n: number): Scaled {
  const used = usedIps(spec);
  const perNode = new Map<string, number>();
  const onNode = new Map<string, number>();
  for (const p of spec.pods) onNode.set(p.nodeName, (onNode.get(p.nodeName) ?? 0) + 1);
  for (const p of podsOf(spec, rs)) perNode.set(p.nodeName, (perNode.get(p.nodeName) ?? 0) + 1);
  const names = new Set([...spec.pods, ...spec.pendingPods].filter((p) => p.namespace === rs.namespace).map((p) => p.name));
  const added: PodSpec[] = [];
  const pending: PendingPodSpec[] = [];
  for (let i = 0; i < n; i++) {
    const name = freePodName(rs, names);
    const placed = schedule(spec.nodes, perNode, onNode, used);
    if (!placed) {
      // nowhere to go: the scheduler leaves it Pending ("0/3 nodes are available: Too many pods")
      pending.push({ name, namespace: rs.namespace, phase: 'Pending', labels: rs.template.labels, ports: rs.template.ports, owner: { kind: 'ReplicaSet', name: rs.name }, age: '0s' });
      continue;
    }
    const pod: PodSpec = { name, namespace: rs.namespace, nodeName: placed.node.name, ip: placed.ip, labels: rs.template.labels, ports: rs.template.ports, restarts: 0, age: '0s', hostNetwork: false, owner: { kind: 'ReplicaSet', name: rs.name } };
    added.push(pod);
  }
  const next = { ...spec, pods: [...spec.pods, ...added], pendingPods: [...spec.pendingPods, ...pending] };
  return { spec: { ...next, endpointSlices: syncEndpointSlices(next, added, []) }, added, removed: [] };
}

function shrink(spec: ClusterSpec, running: PodSpec[], pending: PendingPodSpec[], n: number): Scaled {
  const dropPending = new Set(pending.slice(-n));
  let left = n - dropPending.size;
  const count = new Map<string, number>();
  for (const p of running) count.set(p.nodeName, (count.get(p.nodeName) ?? 0) + 1);
  const removed: PodSpec[] = [];
  const pool = [...running];
  while (left > 0 && pool.length > 0) {
    // the pod on the node with the most replicas of the set; among those, the newest
    let pick = pool.length - 1;
    for (let k = pool.length - 1; k >= 0; k--) if (count.get(pool[k]!.nodeName)! > count.get(pool[pick]!.nodeName)!) pick = k;
    const [p] = pool.splice(pick, 1);
    count.set(p!.nodeName, count.get(p!.nodeName)! - 1);
    removed.push(p!);
    left--;
  }
  const gone = new Set(removed);
  const next = { ...spec, pods: spec.pods.filter((p) => !gone.has(p)), pendingPods: spec.pendingPods.filter((p) => !dropPending.has(p)) };
  return { spec: { ...next, endpointSlices: syncEndpointSlices(next, [], removed) }, added: [], removed };
}

/** Places one pod: fewest of the set, then node order; a node needs room (max pods, a free address). */
export function schedule(nodes: readonly NodeSpec[], perNode: Map<string, number>, onNode: Map<string, number>, used: Map<string, Set<number>>): { node: NodeSpec; ip: Ipv4 } | undefined {
  let best: NodeSpec | undefined;
  for (const n of nodes) {
    if (!n.schedulable || n.deleted || (onNode.get(n.name) ?? 0) >= MAX_PODS_PER_NODE) continue;
    if (!freeIp(n, used.get(n.name) ?? new Set(), true)) continue;
    if (!best || (perNode.get(n.name) ?? 0) < (perNode.get(best.name) ?? 0)) best = n;
  }
  if (!best) return undefined;
  const set = used.get(best.name) ?? new Set<number>();
  used.set(best.name, set);
  const ip = freeIp(best, set, false)!;
  set.add(ipToInt(ip));
  perNode.set(best.name, (perNode.get(best.name) ?? 0) + 1);
  onNode.set(best.name, (onNode.get(best.name) ?? 0) + 1);
  return { node: best, ip };
}

/** The addresses in use on each node's podCIDR (pods on the pod network). */
export function usedIps(spec: ClusterSpec): Map<string, Set<number>> {
  const m = new Map<string, Set<number>>();
  for (const p of spec.pods) {
    if (p.hostNetwork) continue;
    const s = m.get(p.nodeName) ?? new Set<number>();
    s.add(ipToInt(p.ip));
    m.set(p.nodeName, s);
  }
  return m;
}

/**
 * host-local's allocator: the range is .2 to the last address before broadcast (.1 is cni0's);
 * it goes on from the last address handed out (here: the highest in use) and wraps around.
 */
export function freeIp(node: NodeSpec, used: ReadonlySet<number>, probeOnly: boolean): Ipv4 | undefined {
  const p = parseCidr(node.podCIDR);
  const first = p.net + 2;
  const last = p.net + 2 ** (32 - p.len) - 2;
  if (last < first) return undefined;
  let high = first - 1;
  for (const ip of used) if (ip >= first && ip <= last && ip > high) high = ip;
  const size = last - first + 1;
  if (probeOnly && used.size < size) return intToIp(first);
  for (let k = 1; k <= size; k++) {
    const cand = first + ((high - first + k) % size);
    if (!used.has(cand)) return intToIp(cand);
  }
  return undefined;
}

function freePodName(rs: WorkloadSpec, taken: Set<string>): string {
  for (let i = 0; ; i++) {
    const name = `${rs.name}-${hashName(`${rs.namespace}/${rs.name}/${taken.size}/${i}`)}`;
    if (!taken.has(name)) {
      taken.add(name);
      return name;
    }
  }
}
