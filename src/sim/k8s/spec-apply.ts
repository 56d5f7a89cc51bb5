import type { Problem } from '../api-types.ts';
import { allocateClusterIP, allocateNodePort } from './allocators.ts';
import { slicesForNewService, syncEndpointSlices } from './endpointslice.ts';
import { decodeObjects } from './import/decode.ts';
import { isObj } from './reader.ts';
import { replicaSetOf, schedule, scaleReplicaSet, usedIps } from './replicaset.ts';
import { checkCluster } from './spec-check.ts';
import { readObjects, sourcesOf } from './spec-read.ts';
import type { ClusterSpec, PodSpec, ServiceSpec, WorkloadSpec } from './spec.ts';

/**
 * `kubectl apply -f -`: the objects of a pasted document created or updated through the same
 * validation as a cluster file, then what the controllers do with them — a Deployment gets its
 * ReplicaSet and pods, a new Service its ClusterIP, NodePorts and EndpointSlice, a bare Pod a
 * node and an address. Prints kubectl's `service/web created` lines.
 */

const APPLIABLE = ['Pod', 'Service', 'EndpointSlice', 'Deployment', 'ReplicaSet'];
const PRINTED: Readonly<Record<string, string>> = { Pod: 'pod', Service: 'service', EndpointSlice: 'endpointslice.discovery.k8s.io', Deployment: 'deployment.apps', ReplicaSet: 'replicaset.apps' };

export function applyObjects(spec0: ClusterSpec, text: string, namespace: string): { ok: true; value: { spec: ClusterSpec; output: string } } | { ok: false; error: string } {
  const d = decodeObjects(text);
  if (!d.ok) {
    const p = d.problems[0]!;
    return { ok: false, error: `error: error parsing STDIN: ${p.label ? `${p.label} ` : ''}${p.message}${p.line !== undefined ? ` (line ${p.line})` : ''}` };
  }
  for (const o of d.objects) {
    const kind = o.obj.kind;
    if (typeof kind === 'string' && !APPLIABLE.includes(kind)) {
      return { ok: false, error: `kube-packet-lab: kubectl apply here takes ${APPLIABLE.join(', ')} (line ${o.src.line} is a ${kind}; load a new cluster file to change the rest)` };
    }
    // objects without a namespace go to -n's (kubectl's default namespace)
    if (isObj(o.obj.metadata) && o.obj.metadata.namespace === undefined) o.obj.metadata = { ...o.obj.metadata, namespace };
  }
  const { read, problems } = readObjects(d.objects, true);
  if (problems.list.length > 0) return { ok: false, error: invalidError(problems.list[0]!) };

  let spec = spec0;
  const out: string[] = [];
  const say = (kind: string, name: string, what: 'created' | 'configured' | 'unchanged') => out.push(`${PRINTED[kind]}/${name} ${what}`);
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

  for (const w of read.workloads) {
    const prev = spec.workloads.find((x) => x.kind === w.kind && x.namespace === w.namespace && x.name === w.name);
    if (prev && same(prev, w)) {
      say(w.kind, w.name, 'unchanged');
      continue;
    }
    if (!prev) spec = { ...spec, workloads: [...spec.workloads, w] };
    else spec = { ...spec, workloads: spec.workloads.map((x) => (x === prev ? w : x)) };
    const rs: WorkloadSpec = w.kind === 'Deployment' ? replicaSetOf(spec, w) : w;
    spec = scaleReplicaSet(spec, rs, w.replicas).spec;
    say(w.kind, w.name, prev ? 'configured' : 'created');
  }

  for (const s0 of read.services) {
    const prev = spec.services.find((x) => x.namespace === s0.namespace && x.name === s0.name);
    if (prev && s0.clusterIP && s0.clusterIP !== prev.clusterIP) return { ok: false, error: `The Service "${s0.name}" is invalid: spec.clusterIPs[0]: Invalid value: []string{"${s0.clusterIP}"}: may not change once set` };
    const allocated = allocate(spec, s0, prev);
    if (typeof allocated === 'string') return { ok: false, error: allocated };
    if (prev && same(prev, allocated)) {
      say('Service', s0.name, 'unchanged');
      continue;
    }
    spec = { ...spec, services: prev ? spec.services.map((x) => (x === prev ? allocated : x)) : [...spec.services, allocated] };
    if (allocated.selector) spec = { ...spec, endpointSlices: slicesForNewService(spec, allocated) };
    say('Service', s0.name, prev ? 'configured' : 'created');
  }

  for (const sl of read.endpointSlices) {
    const prev = spec.endpointSlices.find((x) => x.namespace === sl.namespace && x.name === sl.name);
    if (prev && same(prev, sl)) {
      say('EndpointSlice', sl.name, 'unchanged');
      continue;
    }
    spec = { ...spec, endpointSlices: prev ? spec.endpointSlices.map((x) => (x === prev ? sl : x)) : [...spec.endpointSlices, sl] };
    say('EndpointSlice', sl.name, prev ? 'configured' : 'created');
  }

  // pods: a running one as given, a new one scheduled and given an address
  const added: PodSpec[] = [];
  const used = usedIps(spec);
  const perNode = new Map<string, number>();
  const onNode = new Map<string, number>();
  for (const p of spec.pods) onNode.set(p.nodeName, (onNode.get(p.nodeName) ?? 0) + 1);
  const pods = [...read.pods, ...read.pendingPods.map((p) => ({ ...p, pending: true as const }))];
  for (const p of pods) {
    const prev = spec.pods.find((x) => x.namespace === p.namespace && x.name === p.name) ?? spec.pendingPods.find((x) => x.namespace === p.namespace && x.name === p.name);
    if (prev) {
      const mine = 'pending' in p ? { labels: p.labels } : { labels: p.labels, ip: p.ip, nodeName: p.nodeName };
      const theirs = 'ip' in prev ? { labels: prev.labels, ...('pending' in p ? {} : { ip: prev.ip, nodeName: prev.nodeName }) } : { labels: prev.labels };
      if (same(mine, theirs)) {
        say('Pod', p.name, 'unchanged');
        continue;
      }
      return { ok: false, error: `The Pod "${p.name}" is invalid: spec: Forbidden: pod updates may not change fields other than \`spec.containers[*].image\`, \`spec.initContainers[*].image\`, \`spec.activeDeadlineSeconds\`, \`spec.tolerations\` (only additions to existing tolerations) or \`spec.terminationGracePeriodSeconds\` (allow it to be set to 1 if it was previously negative) (kube-packet-lab: delete the pod first)` };
    }
    if ('pending' in p) {
      const wanted = p.nodeName;
      const nodes = wanted ? spec.nodes.filter((n) => n.name === wanted) : spec.nodes;
      if (wanted && nodes.length === 0) return { ok: false, error: `The Pod "${p.name}" is invalid: spec.nodeName: Not found: "${wanted}"` };
      const placed = schedule(nodes, perNode, onNode, used);
      if (!placed) {
        spec = { ...spec, pendingPods: [...spec.pendingPods, { name: p.name, namespace: p.namespace, phase: 'Pending', labels: p.labels, ports: p.ports, age: '0s' }] };
      } else {
        const pod: PodSpec = { name: p.name, namespace: p.namespace, nodeName: placed.node.name, ip: placed.ip, labels: p.labels, ports: p.ports, restarts: 0, age: '0s', hostNetwork: false, ...(p.owner ? { owner: p.owner } : {}) };
        added.push(pod);
        spec = { ...spec, pods: [...spec.pods, pod] };
      }
    } else {
      added.push(p);
      spec = { ...spec, pods: [...spec.pods, p] };
    }
    say('Pod', p.name, 'created');
  }
  if (added.length > 0) spec = { ...spec, endpointSlices: syncEndpointSlices(spec, added, []) };

  const checked = checkCluster(spec, sourcesOf(d.objects));
  if (checked.length > 0) return { ok: false, error: invalidError(checked[0]!) };
  return { ok: true, value: { spec, output: `${out.join('\n')}\n` } };
}

/** A new Service's ClusterIP and missing NodePorts from the allocators; an update keeps what was allocated. */
function allocate(spec: ClusterSpec, s: ServiceSpec, prev: ServiceSpec | undefined): ServiceSpec | string {
  const key = `${s.namespace}/${s.name}`;
  const clusterIP = s.clusterIP || prev?.clusterIP || allocateClusterIP(spec, key);
  if (!clusterIP) return 'Internal error occurred: failed to allocate a serviceIP: range is full';
  const ports = s.ports.map((p) => {
    if (s.type === 'ClusterIP' || p.nodePort !== undefined) return p;
    const kept = prev?.ports.find((x) => x.port === p.port && x.protocol === p.protocol)?.nodePort;
    return { ...p, nodePort: kept ?? allocateNodePort({ ...spec, services: [...spec.services, s] }, `${key}:${p.port}`, p.protocol) };
  });
  if (ports.some((p) => s.type !== 'ClusterIP' && p.nodePort === undefined)) return 'Internal error occurred: failed to allocate a nodePort: range is full';
  return { ...s, clusterIP, ports };
}

/** The API server's 422: `The Service "web" is invalid: spec.ports[0].port: Invalid value: 0: …` */
function invalidError(p: Problem): string {
  const [kind, ref] = p.object.split(' ');
  const name = ref?.split('/').pop() ?? p.object;
  return `The ${kind} "${name}" is invalid: ${p.field ? `${p.field}: ` : ''}${p.message}${p.line !== undefined ? ` (line ${p.line} of the input)` : ''}`;
}
