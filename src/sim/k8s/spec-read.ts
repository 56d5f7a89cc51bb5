import { isIpv4, isMac, type Cidr, type Mac } from '../net/addr.ts';
import type { Problem } from '../api-types.ts';
import { parseDockerObjects, type DockerItem } from './docker-spec.ts';
import type { SourceObject } from './import/decode.ts';
import { short } from './import/decode.ts';
import { inferCluster, type InferInput } from './import/infer.ts';
import { isObj, Reader, SpecError, specError } from './reader.ts';
import { checkCluster } from './spec-check.ts';
import { readEndpointSlice, readEndpoints, readService } from './spec-read-service.ts';
import type { ClusterSpec, ContainerPortSpec, HostSpec, IPPoolSpec, NetworkSpec, NodeSpec, OwnerRef, ParseOptions, PendingPodSpec, PodSpec, WorkloadSpec } from './spec.ts';
import { MAX_PROBLEMS } from './spec.ts';
import { dns1035Label, dns1123Label, dns1123Subdomain, invalid, labelKey, labelValue, portName, portNum, required, notSupported } from './validation.ts';

/**
 * Reads the decoded objects kind by kind, the way the API server would have validated each
 * one, then lets the inference fill in what kubectl does not print and the checks find what
 * would make the cluster impossible. Every problem is collected (up to MAX_PROBLEMS), not only
 * the first.
 */

/** What each kind contributes before inference: the objects, and the facts the inference reads. */
export interface ReadObjects extends InferInput {
  readonly pods: PodSpec[];
  readonly pendingPods: PendingPodSpec[];
  readonly services: ClusterSpec['services'][number][];
  readonly endpointSlices: ClusterSpec['endpointSlices'][number][];
  readonly endpoints: ClusterSpec['endpointSlices'][number][];
  readonly workloads: WorkloadSpec[];
  readonly docker: DockerItem[];
  /** kinds that do not program the network, counted for one note */
  readonly skipped: Map<string, number>;
  readonly notes: string[];
  /** newest timestamp in the file: the moment the dump was taken, for AGE */
  latest: number;
  /** `kubectl apply`: a new Service may come without a ClusterIP (the allocator gives one) */
  readonly applying: boolean;
}

export class Problems {
  readonly list: Problem[] = [];

  add(e: SpecError): void {
    if (this.list.length >= MAX_PROBLEMS) return;
    this.list.push({ object: e.at?.object ?? e.where, ...(e.at?.field !== undefined ? { field: e.at.field } : {}), message: e.message, ...(e.at?.line !== undefined ? { line: e.at.line } : {}) });
  }

  /** runs `f`, recording the SpecError it throws */
  guard(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (e instanceof SpecError) this.add(e);
      else throw e;
    }
  }

  get full(): boolean {
    return this.list.length >= MAX_PROBLEMS;
  }
}

const PLURAL: Readonly<Record<string, string>> = { Endpoints: 'Endpoints', Ingress: 'Ingresses', NetworkPolicy: 'NetworkPolicies', PodDisruptionBudget: 'PodDisruptionBudgets' };
const plural = (kind: string, n: number) => (n === 1 ? kind : (PLURAL[kind] ?? (kind.endsWith('s') ? `${kind}es` : `${kind}s`)));

/** `Pod default/web` (the name cut short: a 100k-character name helps no one in a message). */
function objLabel(o: SourceObject): string {
  const md = isObj(o.obj.metadata) ? o.obj.metadata : {};
  const ns = typeof md.namespace === 'string' ? `${short(md.namespace, 80)}/` : '';
  const name = typeof md.name === 'string' ? short(md.name, 100) : `(${o.label})`;
  return `${typeof o.obj.kind === 'string' ? short(o.obj.kind, 40) : 'object'} ${ns}${name}`;
}

/** Reads every object kind by kind; `applying` lets a new Service leave its ClusterIP to the allocator. */
export function readObjects(objects: readonly SourceObject[], applying = false): { read: ReadObjects; problems: Problems } {
  const problems = new Problems();
  const read: ReadObjects = {
    networks: [],
    hosts: [],
    nodes: [],
    pods: [],
    pendingPods: [],
    services: [],
    endpointSlices: [],
    endpoints: [],
    workloads: [],
    configMaps: [],
    commandLines: [],
    nodeMeta: new Map(),
    ipPools: [],
    serviceCIDRs: [],
    docker: [],
    skipped: new Map(),
    notes: [],
    latest: 0,
    applying,
  };
  const seen = new Map<string, SourceObject>();
  for (const o of objects) {
    if (problems.full) break;
    const label = objLabel(o);
    const r = new Reader(label, o.obj, o.src);
    problems.guard(() => {
      const kind = o.obj.kind;
      if (kind === undefined || kind === null || kind === '') throw specError(`object ${o.label}`, 'kind', `${required()}: kind not set (every object needs apiVersion and kind)`, o.src);
      if (typeof kind !== 'string') throw specError(`object ${o.label}`, 'kind', invalid(kind, 'must be a string, e.g. Pod'), o.src);
      noteTimestamps(read, o.obj);
      const key = identity(r, kind);
      if (key) {
        const first = seen.get(key);
        if (first) r.fail('metadata.name', `${kind} ${key.split('|').slice(1).join('/')} is defined twice (first at line ${first.src.line})`);
        seen.set(key, o);
      }
      readOne(r, kind, o, read);
    });
  }
  return { read, problems };
}

export function readCluster(objects: readonly SourceObject[], opts: ParseOptions): { ok: true; value: ClusterSpec } | { ok: false; problems: Problem[] } {
  const { read, problems } = readObjects(objects);
  if (problems.list.length > 0) return { ok: false, problems: problems.list };

  const inferred = inferCluster(read, opts);
  if (!inferred.ok) return { ok: false, problems: inferred.problems };
  const { networks, hosts, nodes, flannel, kubeProxy, serviceCIDR } = inferred.value;
  const notes = [...inferred.value.notes, ...read.notes];
  // no EndpointSlices at all: mirror the Endpoints objects (an old cluster, or a partial dump)
  let endpointSlices = read.endpointSlices;
  if (endpointSlices.length === 0 && read.endpoints.length > 0) {
    endpointSlices = read.endpoints;
    notes.push(`no EndpointSlices in the file: read ${read.endpoints.length} ${plural('Endpoints', read.endpoints.length)} object${read.endpoints.length === 1 ? '' : 's'} as the EndpointSlice mirroring controller would`);
  } else if (read.endpoints.length > 0) read.skipped.set('Endpoints', read.endpoints.length);
  const skipped = [...read.skipped].sort((a, b) => b[1] - a[1]);
  if (skipped.length > 0) notes.push(`skipped ${skipped.map(([k, n]) => `${n} ${plural(k, n)}`).join(', ')}: they do not program the network`);
  if (read.workloads.length > 0) {
    const count = (k: string) => read.workloads.filter((w) => w.kind === k).length;
    notes.push(`kept ${[['Deployment', count('Deployment')], ['ReplicaSet', count('ReplicaSet')]].filter(([, n]) => Number(n) > 0).map(([k, n]) => `${n} ${plural(String(k), Number(n))}`).join(' and ')} for kubectl scale and expose`);
  }
  if (read.pendingPods.length > 0) {
    const phases = new Map<string, number>();
    for (const p of read.pendingPods) phases.set(p.phase, (phases.get(p.phase) ?? 0) + 1);
    notes.push(`${read.pendingPods.length} pod${read.pendingPods.length === 1 ? ' is' : 's are'} not running (${[...phases].map(([k, n]) => `${n} ${k}`).join(', ')}): no network namespace, no endpoint`);
  }
  const hostNet = read.pods.filter((p) => p.hostNetwork).length;
  if (hostNet > 0) notes.push(`${hostNet} hostNetwork pod${hostNet === 1 ? ' runs' : 's run'} in ${hostNet === 1 ? 'its' : 'their'} node's root network namespace (no veth, no pod IP of ${hostNet === 1 ? 'its' : 'their'} own)`);

  const pods = read.pods.map((p) => ({ ...p, age: ageOf(p, read) }));
  const withAges = nodes.map((n) => (n.age ? { ...n, age: ageOf({ age: n.age }, read) } : n));
  const pendingPods = read.pendingPods.map((p) => ({ ...p, age: ageOf(p, read) }));
  const docker = parseDockerObjects(read.docker, { networks, hosts, nodes: withAges, pods });
  if (!docker.ok) {
    return { ok: false, problems: [{ object: docker.where.split(' .')[0]!, ...(docker.where.includes(' .') ? { field: docker.where.split(' .').slice(1).join(' .') } : {}), message: docker.message, ...(docker.line !== undefined ? { line: docker.line } : {}) }] };
  }
  const spec: ClusterSpec = {
    networks,
    hosts,
    nodes: withAges,
    pods,
    pendingPods,
    services: read.services,
    endpointSlices,
    workloads: read.workloads,
    flannel,
    ipPools: read.ipPools,
    kubeProxy,
    ...(serviceCIDR ? { serviceCIDR } : {}),
    docker: docker.value,
    notes,
  };
  const checked = checkCluster(spec, sourcesOf(objects));
  return checked.length > 0 ? { ok: false, problems: checked } : { ok: true, value: spec };
}

/** Lines of objects by `Kind namespace/name`, so the checks (which see specs, not text) can name them. */
export type SourceIndex = ReadonlyMap<string, SourceObject>;

export function sourcesOf(objects: readonly SourceObject[]): SourceIndex {
  const m = new Map<string, SourceObject>();
  for (const o of objects) {
    const md = isObj(o.obj.metadata) ? o.obj.metadata : {};
    if (typeof o.obj.kind !== 'string' || typeof md.name !== 'string') continue;
    const ns = typeof md.namespace === 'string' ? md.namespace : CLUSTER_SCOPED.has(o.obj.kind) ? '' : 'default';
    m.set(`${o.obj.kind} ${ns ? `${ns}/` : ''}${md.name}`, o);
  }
  return m;
}

const CLUSTER_SCOPED = new Set(['Node', 'IPPool', 'ServiceCIDR', 'Network', 'Host', 'DockerHost', 'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass', 'CustomResourceDefinition', 'PriorityClass', 'IngressClass', 'RuntimeClass', 'APIService', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'CSIDriver', 'CSINode', 'VolumeAttachment']);

/** `Kind|ns|name` for the kinds whose duplicates break the model; undefined for the rest. */
function identity(r: Reader, kind: string): string | undefined {
  if (!['Node', 'IPPool', 'Pod', 'Service', 'EndpointSlice', 'Endpoints', 'Network', 'Host', 'Deployment', 'ReplicaSet', 'ConfigMap'].includes(kind)) return undefined;
  const name = r.optStr('metadata.name');
  if (name === undefined) return undefined;
  const ns = CLUSTER_SCOPED.has(kind) ? '' : r.str('metadata.namespace', 'default');
  return `${kind}|${ns ? `${ns}|` : ''}${name}`;
}

function readOne(r: Reader, kind: string, o: SourceObject, read: ReadObjects): void {
  switch (kind) {
    case 'Network':
      read.networks.push(readNetwork(r));
      return;
    case 'Host':
      read.hosts.push(readHost(r));
      return;
    case 'Node': {
      const n = readNode(r);
      read.nodes.push(n);
      read.nodeMeta.set(n.name, { annotations: r.map('metadata.annotations'), labels: r.map('metadata.labels') });
      return;
    }
    case 'Pod':
      readPod(r, read);
      return;
    case 'IPPool':
      read.ipPools.push(ipPool(r, objName(r, dns1123Subdomain)));
      return;
    case 'Service': {
      const s = readService(r, objName(r, dns1035Label), namespaceOf(r), read.notes, read.applying);
      if (s) read.services.push(s);
      return;
    }
    case 'EndpointSlice': {
      const s = readEndpointSlice(r, objName(r, dns1123Subdomain), namespaceOf(r), read.notes);
      if (s) read.endpointSlices.push(s);
      return;
    }
    case 'Endpoints':
      read.endpoints.push(readEndpoints(r, objName(r, dns1123Subdomain), namespaceOf(r)));
      return;
    case 'ServiceCIDR': {
      // networking.k8s.io/v1: one or two ranges (dual stack); the IPv4 one is the model's
      const name = objName(r, dns1123Subdomain);
      r.items('spec.cidrs').forEach((_, k) => {
        if (!r.str(`spec.cidrs.${k}`).includes(':')) read.serviceCIDRs.push({ name, cidr: r.cidr(`spec.cidrs.${k}`) });
      });
      return;
    }
    case 'ConfigMap':
      read.configMaps.push({ name: objName(r, dns1123Subdomain), namespace: namespaceOf(r), reader: r, data: r.map('data') });
      return;
    case 'Deployment':
    case 'ReplicaSet':
      read.workloads.push(readWorkload(r, kind));
      return;
    case 'DaemonSet':
    case 'StatefulSet':
      collectCommandLines(r, 'spec.template.spec', read);
      count(read, kind);
      return;
    case 'DockerHost':
    case 'DockerNetwork':
    case 'Container':
      read.docker.push({ kind, label: r.where, obj: o.obj, src: o.src });
      return;
    default:
      // Events, Secrets, Namespaces, CRDs…: nothing a packet meets
      count(read, kind);
  }
}

function count(read: ReadObjects, kind: string): void {
  read.skipped.set(kind, (read.skipped.get(kind) ?? 0) + 1);
}

/** metadata.name, checked with the kind's rule (a Service's must be a DNS-1035 label). */
export function objName(r: Reader, rule: (v: string) => string[]): string {
  const name = r.str('metadata.name');
  if (name === '') r.fail('metadata.name', required('name or generateName is required'));
  const errs = rule(name);
  if (errs.length > 0) r.fail('metadata.name', invalid(name, errs.join(', ')));
  return name;
}

export function namespaceOf(r: Reader): string {
  const ns = r.str('metadata.namespace', 'default');
  const errs = dns1123Label(ns);
  if (errs.length > 0) r.fail('metadata.namespace', invalid(ns, errs.join(', ')));
  return ns;
}

/** metadata.labels (or a selector), each key and value as ValidateLabels checks them. */
export function labelsAt(r: Reader, path: string): Record<string, string> {
  const m = r.map(path);
  for (const [k, v] of Object.entries(m)) {
    const ke = labelKey(k);
    if (ke.length > 0) r.fail(path, invalid(k, ke.join(', ')));
    const ve = labelValue(v);
    if (ve.length > 0) r.fail(`${path}[${k}]`, invalid(v, ve.join(', ')));
  }
  return m;
}

function readNetwork(r: Reader): NetworkSpec {
  const name = objName(r, dns1123Subdomain);
  return { name, cidr: r.subnet('spec.cidr'), ...(r.has('spec.gateway') ? { gateway: r.ip('spec.gateway') } : {}), addressing: r.oneOf('spec.addressing', ['dhcp', 'static'] as const, 'dhcp') };
}

function readHost(r: Reader): HostSpec {
  const name = objName(r, dns1123Subdomain);
  const seenIf = new Set<string>();
  return {
    name,
    role: r.oneOf('spec.role', ['gateway', 'client', 'router'] as const, 'client'),
    os: r.oneOf('spec.os', ['linux', 'macos'] as const, 'linux'),
    ipForward: r.bool('spec.ipForward', false),
    interfaces: r.list('spec.interfaces').map((_, k) => {
      const p = `spec.interfaces.${k}`;
      const ifname = r.str(`${p}.name`);
      // IFNAMSIZ: 15 characters and a NUL; `ip link` refuses "/", whitespace and ":"
      if (ifname.length === 0 || ifname.length > 15 || /[\s/:]/.test(ifname)) r.fail(`${p}.name`, `"${short(ifname, 40)}" is not a valid interface name (1-15 characters, no "/", ":" or spaces)`);
      if (seenIf.has(ifname)) r.fail(`${p}.name`, `a second interface ${ifname} on one host (ip link add ${ifname}: RTNETLINK answers: File exists)`);
      seenIf.add(ifname);
      const { address, prefixLen } = r.addrLen(`${p}.address`);
      return { name: ifname, network: r.str(`${p}.network`), address, prefixLen };
    }),
    ...(r.has('spec.gateway') ? { gateway: r.ip('spec.gateway') } : {}),
    routes: r.list('spec.routes').map((_, k) => ({ dst: r.subnet(`spec.routes.${k}.dst`), via: r.ip(`spec.routes.${k}.via`) })),
    listen: r.list('spec.listen').map((_, k) => {
      const port = r.num(`spec.listen.${k}.port`);
      if (portNum(port).length > 0) r.fail(`spec.listen.${k}.port`, invalid(port, portNum(port)[0]!));
      return { protocol: r.oneOf(`spec.listen.${k}.protocol`, ['TCP', 'UDP'] as const, 'TCP'), port, process: r.str(`spec.listen.${k}.process`, 'server') };
    }),
  };
}

const FLANNEL_BACKEND_DATA = 'flannel.alpha.coreos.com/backend-data';

function readNode(r: Reader): NodeSpec {
  const name = objName(r, dns1123Subdomain);
  const addrs = r.list('status.addresses');
  const internal = addrs.findIndex((a) => a.type === 'InternalIP' && typeof a.address === 'string' && isIpv4(a.address));
  if (internal < 0) r.fail('status.addresses', required('a Node needs an IPv4 InternalIP address (kubectl get nodes -o wide shows it as INTERNAL-IP)'));
  const ann = r.map('metadata.annotations');
  let vtepMac: Mac | undefined;
  const bd = ann[FLANNEL_BACKEND_DATA];
  if (bd) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(bd);
    } catch {
      r.fail(`metadata.annotations[${FLANNEL_BACKEND_DATA}]`, invalid(bd, 'is not {"VNI":n,"VtepMAC":"xx:xx:…"}'));
    }
    const mac = isObj(parsed) ? parsed.VtepMAC : undefined;
    if (mac !== undefined) {
      const m = typeof mac === 'string' ? mac.toLowerCase() : '';
      if (!isMac(m)) r.fail(`metadata.annotations[${FLANNEL_BACKEND_DATA}]`, invalid(mac, 'VtepMAC is not a MAC address (xx:xx:xx:xx:xx:xx)'));
      // a VTEP answers unicast only: the group bit (bit 0 of the first octet) must be clear
      if (parseInt(m.slice(0, 2), 16) & 1) r.fail(`metadata.annotations[${FLANNEL_BACKEND_DATA}]`, invalid(mac, m === 'ff:ff:ff:ff:ff:ff' ? 'VtepMAC is the broadcast address; a VTEP needs a unicast MAC' : 'VtepMAC is a multicast address (its first octet is odd); a VTEP needs a unicast MAC'));
      vtepMac = m;
    }
  }
  const labels = labelsAt(r, 'metadata.labels');
  const taints = r.list('spec.taints');
  const blocked = taints.some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute') || r.bool('spec.unschedulable', false);
  return {
    name,
    internalIP: r.ip(`status.addresses.${internal}.address`),
    podCIDR: nodePodCidr(r),
    nic: ann['kube-packet-lab.dev/nic'] ?? '',
    network: ann['kube-packet-lab.dev/network'] ?? '',
    ...(vtepMac ? { vtepMac } : {}),
    controlPlane: 'node-role.kubernetes.io/control-plane' in labels || 'node-role.kubernetes.io/master' in labels,
    schedulable: !blocked,
    info: {
      ...(r.has('status.nodeInfo.kubeletVersion') ? { kubeletVersion: r.str('status.nodeInfo.kubeletVersion') } : {}),
      ...(r.has('status.nodeInfo.osImage') ? { osImage: r.str('status.nodeInfo.osImage') } : {}),
      ...(r.has('status.nodeInfo.kernelVersion') ? { kernelVersion: r.str('status.nodeInfo.kernelVersion') } : {}),
      ...(r.has('status.nodeInfo.containerRuntimeVersion') ? { containerRuntimeVersion: r.str('status.nodeInfo.containerRuntimeVersion') } : {}),
    },
    ...(ann['projectcalico.org/IPv4Address'] !== undefined ? { calicoIPv4Address: r.cidr('metadata.annotations[projectcalico.org/IPv4Address]') } : {}),
    ...(ann['projectcalico.org/IPv4IPIPTunnelAddr'] !== undefined ? { calicoTunnelAddr: r.ip('metadata.annotations[projectcalico.org/IPv4IPIPTunnelAddr]') } : {}),
    roles: Object.keys(labels).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice('node-role.kubernetes.io/'.length)).filter(Boolean).sort(),
    ...(stamp(r) ? { age: stamp(r) } : {}),
  };
}

/** spec.podCIDR (or the IPv4 one of spec.podCIDRs), a subnet with no host bits. */
function nodePodCidr(r: Reader): Cidr {
  if (r.has('spec.podCIDR')) return r.subnet('spec.podCIDR');
  const all = r.items('spec.podCIDRs');
  const k = all.findIndex((c) => typeof c === 'string' && c.includes('.'));
  if (k >= 0) return r.subnet(`spec.podCIDRs.${k}`);
  // flannel's kube subnet manager waits for it: "node %q pod cidr not assigned"
  return r.fail('spec.podCIDR', required('the node has no pod subnet; flannel (--kube-subnet-mgr) waits for one ("pod cidr not assigned") — is the controller-manager allocating node CIDRs?'));
}

export function ownerOf(r: Reader): OwnerRef | undefined {
  const refs = r.list('metadata.ownerReferences');
  const ref = refs.find((x) => x.controller === true) ?? refs[0];
  return ref && typeof ref.kind === 'string' && typeof ref.name === 'string' ? { kind: ref.kind, name: ref.name } : undefined;
}

/** Every container's ports (init containers serve nothing once the pod runs). */
export function containerPorts(r: Reader, podSpec: string): ContainerPortSpec[] {
  const out: ContainerPortSpec[] = [];
  r.list(`${podSpec}.containers`).forEach((_, c) => {
    r.list(`${podSpec}.containers.${c}.ports`).forEach((_p, k) => {
      const p = `${podSpec}.containers.${c}.ports.${k}`;
      const port = r.num(`${p}.containerPort`);
      if (portNum(port).length > 0) r.fail(`${p}.containerPort`, invalid(port, portNum(port)[0]!));
      const name = r.optStr(`${p}.name`);
      if (name !== undefined && portName(name).length > 0) r.fail(`${p}.name`, invalid(name, portName(name).join(', ')));
      const protocol = r.str(`${p}.protocol`, 'TCP');
      if (protocol !== 'TCP' && protocol !== 'UDP' && protocol !== 'SCTP') r.fail(`${p}.protocol`, notSupported(protocol, ['SCTP', 'TCP', 'UDP']));
      out.push({ port, protocol, ...(name !== undefined ? { name } : {}) });
    });
  });
  return out;
}

function readPod(r: Reader, read: ReadObjects): void {
  const name = objName(r, dns1123Subdomain);
  const namespace = namespaceOf(r);
  const labels = labelsAt(r, 'metadata.labels');
  const ports = containerPorts(r, 'spec');
  const hostNetwork = r.bool('spec.hostNetwork', false);
  const nodeName = r.optStr('spec.nodeName');
  const ip = r.has('status.podIP') ? r.ip('status.podIP') : undefined;
  const phase = r.str('status.phase', ip ? 'Running' : 'Pending');
  const owner = ownerOf(r);
  collectCommandLines(r, 'spec', read, nodeName);
  // the seed's own shorthand (status.age / restartedAgo) wins over timestamps
  const age = r.optStr('status.age') ?? '';
  if (!nodeName || !ip || (phase !== 'Running' && phase !== 'Unknown')) {
    read.pendingPods.push({ name, namespace, phase, ...(nodeName ? { nodeName } : {}), labels, ports, ...(owner ? { owner } : {}), age: age || stamp(r) });
    return;
  }
  const statuses = r.list('status.containerStatuses');
  const restarts = statuses.length > 0 ? statuses.reduce((n, _, k) => n + r.num(`status.containerStatuses.${k}.restartCount`, 0), 0) : r.num('status.restartCount', 0);
  read.pods.push({
    name,
    namespace,
    nodeName,
    ip,
    labels,
    ports,
    restarts,
    age: age || stamp(r),
    ...(r.has('status.restartedAgo') ? { restartedAgo: r.str('status.restartedAgo') } : {}),
    hostNetwork,
    ...(owner ? { owner } : {}),
  });
}

/** A creation timestamp to compute AGE from once the dump's moment is known (encoded as `@<ms>`). */
function stamp(r: Reader): string {
  const t = Date.parse(r.str('metadata.creationTimestamp', ''));
  return Number.isFinite(t) ? `@${t}` : '';
}

/** AGE relative to the newest creationTimestamp in the file: the dump's own "now". */
function ageOf(p: { age: string }, read: ReadObjects): string {
  if (!p.age.startsWith('@')) return p.age || '1d';
  return humanDuration(read.latest - Number(p.age.slice(1)));
}

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration, as kubectl prints AGE. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${Math.floor(days / 365)}y` : `${Math.floor(days / 365)}y${days % 365}d`;
  return `${Math.floor(days / 365)}y`;
}

/** The newest creationTimestamp or node heartbeat seen: the dump was taken just after it. */
function noteTimestamps(read: ReadObjects, o: Record<string, unknown>): void {
  const md = isObj(o.metadata) ? o.metadata : undefined;
  const stamps: unknown[] = [md?.creationTimestamp];
  const conditions = isObj(o.status) && Array.isArray(o.status.conditions) ? o.status.conditions : [];
  if (o.kind === 'Node') for (const c of conditions) if (isObj(c)) stamps.push(c.lastHeartbeatTime);
  for (const s of stamps) {
    const t = typeof s === 'string' ? Date.parse(s) : NaN;
    if (Number.isFinite(t) && t > read.latest) read.latest = t;
  }
}

function readWorkload(r: Reader, kind: 'Deployment' | 'ReplicaSet'): WorkloadSpec {
  const name = objName(r, dns1123Subdomain);
  const namespace = namespaceOf(r);
  const replicas = r.num('spec.replicas', 1);
  if (replicas < 0) r.fail('spec.replicas', invalid(replicas, 'must be greater than or equal to 0'));
  const selector = labelsAt(r, 'spec.selector.matchLabels');
  const labels = labelsAt(r, 'spec.template.metadata.labels');
  for (const [k, v] of Object.entries(selector)) {
    if (labels[k] !== v) r.fail('spec.template.metadata.labels', invalid(labels, '`selector` does not match template `labels`'));
  }
  const owner = ownerOf(r);
  return { kind, namespace, name, replicas, selector, template: { labels, ports: containerPorts(r, 'spec.template.spec') }, ...(owner ? { owner } : {}) };
}

/** An IPPool's spec with the API server's defaults (blockSize 26, modes Never, natOutgoing false). */
function ipPool(r: Reader, name: string): IPPoolSpec {
  const cidr = r.subnet('spec.cidr');
  const blockSize = r.num('spec.blockSize', 26);
  const len = Number(cidr.split('/')[1]);
  if (blockSize < 20 || blockSize > 32) r.fail('spec.blockSize', `${blockSize} is not a block size for IPv4 (20-32)`);
  if (blockSize < len) r.fail('spec.blockSize', `${blockSize} is larger than the pool ${cidr} itself`);
  const modes = ['Always', 'CrossSubnet', 'Never'] as const;
  const pool: IPPoolSpec = {
    name,
    cidr,
    blockSize,
    ipipMode: r.oneOf('spec.ipipMode', modes, 'Never'),
    vxlanMode: r.oneOf('spec.vxlanMode', modes, 'Never'),
    natOutgoing: r.bool('spec.natOutgoing', false),
    disabled: r.bool('spec.disabled', false),
    nodeSelector: r.str('spec.nodeSelector', 'all()'),
  };
  if (pool.ipipMode !== 'Never' && pool.vxlanMode !== 'Never') r.fail('spec.vxlanMode', 'may not be enabled together with ipipMode');
  if (pool.vxlanMode !== 'Never') r.fail('spec.vxlanMode', 'Calico VXLAN is not modelled here (ipipMode Always|CrossSubnet|Never is)');
  return pool;
}

/** Container command lines (kube-proxy's --proxy-mode, flannel's --iface, the API server's range) for the inference. */
function collectCommandLines(r: Reader, podSpec: string, read: ReadObjects, nodeName?: string): void {
  r.list(`${podSpec}.containers`).forEach((c) => {
    const words = [...(Array.isArray(c.command) ? c.command : []), ...(Array.isArray(c.args) ? c.args : [])].filter((w): w is string => typeof w === 'string');
    if (words.length > 0) read.commandLines.push({ owner: r.where, words, ...(nodeName ? { nodeName } : {}) });
  });
}

