import type { Result } from '../api-types.ts';
import { allocateClusterIP, allocateNodePort } from './allocators.ts';
import { slicesForNewService, syncEndpointSlices } from './endpointslice.ts';
import { applyObjects } from './spec-apply.ts';
import { MAX_REPLICAS, replicaSetOf, scaleReplicaSet } from './replicaset.ts';
import type { ClusterSpec, ServiceSpec, WorkloadSpec } from './spec.ts';
import { dns1035Label, invalid } from './validation.ts';

/**
 * `kubectl` commands that change the cluster's objects: delete, scale, expose, apply. They edit
 * the spec — the API server's state — with what the controllers then do to it (the ReplicaSet
 * controller replaces or adds pods, the EndpointSlice controller follows them), and the whole
 * cluster is rebuilt from it, so kube-proxy's rules and the trace follow. A bad edit answers
 * with kubectl's own kind of error and changes nothing.
 */

export interface SpecEdit {
  readonly argv: readonly string[];
  /** what a heredoc fed to standard input (`kubectl apply -f - <<EOF … EOF`) */
  readonly stdin?: string;
}

export interface EditDone {
  readonly spec: ClusterSpec;
  /** what kubectl prints: `deployment.apps/web scaled` */
  readonly output: string;
}

const VERBS = new Set(['delete', 'scale', 'expose', 'apply']);

/**
 * The command of an edit line and the heredoc under it: `kubectl apply -f - <<EOF` on the first
 * line, the document, then a line that is only the delimiter (quotes around it allowed).
 */
export function splitHeredoc(line: string): { command: string; stdin?: string } {
  const nl = line.indexOf('\n');
  const first = nl < 0 ? line : line.slice(0, nl);
  const m = /<<-?\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1\s*$/.exec(first);
  if (!m) return { command: line };
  const body = nl < 0 ? '' : line.slice(nl + 1);
  const lines = body.split('\n');
  const end = lines.findIndex((l) => l.trim() === m[2]);
  return { command: first.slice(0, m.index).trim(), stdin: (end < 0 ? lines : lines.slice(0, end)).join('\n') };
}

export function isSpecEdit(argv: readonly string[]): boolean {
  return argv[0] === 'kubectl' && VERBS.has(argv.find((a, i) => i > 0 && !a.startsWith('-')) ?? '');
}

interface Args {
  readonly words: string[];
  readonly flags: Map<string, string>;
}

const FLAG_ALIASES: Readonly<Record<string, string>> = { n: 'namespace', f: 'filename' };
const VALUE_FLAGS = new Set(['namespace', 'replicas', 'port', 'target-port', 'type', 'name', 'protocol', 'filename', 'selector']);

function parseArgs(argv: readonly string[]): Args | string {
  const words: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--?([a-zA-Z-]+)(?:=(.*))?$/.exec(a);
    if (!m || a === '-') {
      words.push(a);
      continue;
    }
    const short = !a.startsWith('--');
    const name = short ? FLAG_ALIASES[m[1]!] : m[1]!;
    if (!name || (short && m[1]!.length > 1 && m[2] === undefined)) return `error: unknown shorthand flag: '${m[1]![0]}' in ${a}`;
    if (!VALUE_FLAGS.has(name)) return `error: unknown flag: --${name}`;
    const v = m[2] ?? argv[++i];
    if (v === undefined) return `error: flag needs an argument: ${short ? `'${m[1]}' in -${m[1]}` : `--${name}`}`;
    flags.set(name, v);
  }
  return { words, flags };
}

const RESOURCE: Readonly<Record<string, 'pods' | 'services' | 'endpointslices' | 'deployments' | 'replicasets' | 'nodes'>> = {
  pod: 'pods', pods: 'pods', po: 'pods',
  node: 'nodes', nodes: 'nodes', no: 'nodes',
  service: 'services', services: 'services', svc: 'services',
  endpointslice: 'endpointslices', endpointslices: 'endpointslices',
  deployment: 'deployments', deployments: 'deployments', deploy: 'deployments',
  replicaset: 'replicasets', replicasets: 'replicasets', rs: 'replicasets',
};

/** kubectl's resource printing: `pod`, `deployment.apps`, `endpointslice.discovery.k8s.io` */
const GROUP_KIND: Readonly<Record<string, string>> = { nodes: 'node', pods: 'pod', services: 'service', endpointslices: 'endpointslice.discovery.k8s.io', deployments: 'deployment.apps', replicasets: 'replicaset.apps' };
/** what the API server calls it in NotFound */
const NOT_FOUND: Readonly<Record<string, string>> = { nodes: 'nodes', pods: 'pods', services: 'services', endpointslices: 'endpointslices.discovery.k8s.io', deployments: 'deployments.apps', replicasets: 'replicasets.apps' };

/** `TYPE NAME…` or `TYPE/NAME` */
function target(words: readonly string[]): { resource?: string; kind?: string; names: string[] } {
  const [first, ...rest] = words;
  if (first === undefined) return { names: [] };
  if (first.includes('/')) {
    const [t, ...n] = first.split('/');
    return { resource: t, kind: RESOURCE[t!], names: [n.join('/'), ...rest] };
  }
  return { resource: first, kind: RESOURCE[first], names: rest };
}

export function applySpecEdit(spec: ClusterSpec, edit: SpecEdit): Result<EditDone> {
  const fail = (message: string): Result<EditDone> => ({ ok: false, error: { code: 'KUBECTL', where: edit.argv.slice(0, 4).join(' '), message } });
  const args = parseArgs(edit.argv);
  if (typeof args === 'string') return fail(args);
  const [verb, ...rest] = args.words;
  const namespace = args.flags.get('namespace') ?? 'default';
  const done = (next: ClusterSpec, output: string): Result<EditDone> => ({ ok: true, value: { spec: next, output } });
  switch (verb) {
    case 'delete':
      return del(spec, rest, namespace, fail, done);
    case 'scale':
      return scale(spec, rest, args.flags, namespace, fail, done);
    case 'expose':
      return expose(spec, rest, args.flags, namespace, fail, done);
    case 'apply': {
      const file = args.flags.get('filename');
      if (file === undefined) return fail('error: must specify one of -f and -k');
      if (file !== '-') return fail(`error: the path "${file}" does not exist (here, kubectl apply reads standard input: kubectl apply -f - <<EOF … EOF)`);
      if (edit.stdin === undefined || edit.stdin.trim() === '') return fail('error: no objects passed to apply');
      const r = applyObjects(spec, edit.stdin, namespace);
      return r.ok ? done(r.value.spec, r.value.output) : fail(r.error);
    }
    default:
      return fail(`error: unknown command "${verb ?? ''}" for "kubectl"`);
  }
}

type Fail = (m: string) => Result<EditDone>;
type Done = (s: ClusterSpec, out: string) => Result<EditDone>;

function del(spec: ClusterSpec, words: readonly string[], ns: string, fail: Fail, done: Done): Result<EditDone> {
  const t = target(words);
  if (t.resource === undefined) return fail('error: You must provide one or more resources by argument or filename.');
  if (!t.kind || t.kind === 'deployments' || t.kind === 'replicasets') {
    return t.kind ? fail(`kube-packet-lab: kubectl delete ${t.resource} is not modelled (delete pod, service, endpointslice or node)`) : fail(`error: the server doesn't have a resource type "${t.resource}"`);
  }
  // kubectl's resource builder (cli-runtime resource/builder.go visitorResult)
  if (t.names.length === 0 || t.names.some((n) => n === '')) return fail('error: resource(s) were provided, but no name, label selector, or --all flag specified');
  let next = spec;
  const out: string[] = [];
  for (const name of t.names) {
    const r = deleteOne(next, t.kind, name, ns);
    if (typeof r === 'string') return fail(r);
    next = r;
    out.push(`${GROUP_KIND[t.kind]} "${name}" deleted`);
  }
  return done(next, `${out.join('\n')}\n`);
}

function deleteOne(spec: ClusterSpec, kind: string, name: string, ns: string): ClusterSpec | string {
  const notFound = `Error from server (NotFound): ${NOT_FOUND[kind]} "${name}" not found`;
  if (kind === 'nodes') {
    // the Node object leaves the API; the machine and its pods keep running until someone
    // drains it, but flanneld's lease watch and Calico's BGP mesh drop it at once
    const node = spec.nodes.find((n) => n.name === name && !n.deleted);
    if (!node) return notFound;
    return { ...spec, nodes: spec.nodes.map((n) => (n === node ? { ...n, deleted: true } : n)) };
  }
  if (kind === 'pods') {
    const pod = spec.pods.find((p) => p.name === name && p.namespace === ns);
    const pending = spec.pendingPods.find((p) => p.name === name && p.namespace === ns);
    if (!pod && !pending) return notFound;
    let next: ClusterSpec = { ...spec, pods: spec.pods.filter((p) => p !== pod), pendingPods: spec.pendingPods.filter((p) => p !== pending) };
    if (pod) next = { ...next, endpointSlices: syncEndpointSlices(next, [], [pod]) };
    // a pod its ReplicaSet owns is replaced at once: the set wants its replicas back
    const owner = (pod ?? pending)!.owner;
    const rs = owner?.kind === 'ReplicaSet' ? next.workloads.find((w) => w.kind === 'ReplicaSet' && w.namespace === ns && w.name === owner.name) : undefined;
    return rs ? scaleReplicaSet(next, rs, rs.replicas).spec : next;
  }
  if (kind === 'services') {
    const svc = spec.services.find((s) => s.name === name && s.namespace === ns);
    if (!svc) return notFound;
    // its slices go with it (garbage collection through their ownerReferences)
    return { ...spec, services: spec.services.filter((s) => s !== svc), endpointSlices: spec.endpointSlices.filter((s) => !(s.serviceName === svc.name && s.namespace === ns)) };
  }
  const slice = spec.endpointSlices.find((s) => s.name === name && s.namespace === ns);
  if (!slice) return notFound;
  const next = { ...spec, endpointSlices: spec.endpointSlices.filter((s) => s !== slice) };
  // the EndpointSlice controller writes a Service with a selector its slice again, from the pods
  const svc = next.services.find((s) => s.namespace === ns && s.name === slice.serviceName);
  return svc?.selector ? { ...next, endpointSlices: slicesForNewService(next, svc) } : next;
}

function scale(spec: ClusterSpec, words: readonly string[], flags: Map<string, string>, ns: string, fail: Fail, done: Done): Result<EditDone> {
  const t = target(words);
  const raw = flags.get('replicas');
  if (raw === undefined) return fail('error: required flag(s) "replicas" not set');
  if (!/^-?\d+$/.test(raw)) return fail(`error: invalid argument "${raw}" for "--replicas" flag: strconv.ParseInt: parsing "${raw}": invalid syntax`);
  const replicas = Number(raw);
  if (replicas < 0) return fail('error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0');
  if (replicas > MAX_REPLICAS) return fail(`kube-packet-lab: at most ${MAX_REPLICAS} replicas here (the cluster is rebuilt with every pod)`);
  if (t.resource === undefined) return fail('error: You must provide one or more resources by argument or filename.');
  if (t.kind !== 'deployments' && t.kind !== 'replicasets') {
    return t.kind ? fail(`error: cannot scale ${t.resource}: kubectl scale works on deployments and replicasets here`) : fail(`error: the server doesn't have a resource type "${t.resource}"`);
  }
  const name = t.names[0];
  if (!name) return fail('error: resource(s) were provided, but no name was specified');
  const want = t.kind === 'deployments' ? 'Deployment' : 'ReplicaSet';
  const w = spec.workloads.find((x) => x.kind === want && x.namespace === ns && x.name === name);
  if (!w) return fail(`Error from server (NotFound): ${NOT_FOUND[t.kind]} "${name}" not found`);
  const rs: WorkloadSpec = w.kind === 'Deployment' ? replicaSetOf(spec, w) : w;
  const r = scaleReplicaSet(spec, rs, replicas);
  return done(r.spec, `${GROUP_KIND[t.kind]}/${name} scaled\n`);
}

function expose(spec: ClusterSpec, words: readonly string[], flags: Map<string, string>, ns: string, fail: Fail, done: Done): Result<EditDone> {
  const t = target(words);
  if (t.resource === undefined) return fail('error: You must provide one or more resources by argument or filename.');
  if (t.kind !== 'pods' && t.kind !== 'deployments' && t.kind !== 'replicasets' && t.kind !== 'services') {
    return t.kind ? fail(`error: cannot expose a ${GROUP_KIND[t.kind]}`) : fail(`error: the server doesn't have a resource type "${t.resource}"`);
  }
  const name = t.names[0];
  if (!name) return fail('error: resource(s) were provided, but no name was specified');
  const notFound = `Error from server (NotFound): ${NOT_FOUND[t.kind]} "${name}" not found`;
  // the selector and the port kubectl reads off the object (introspection)
  let selector: Readonly<Record<string, string>> | undefined;
  let ports: readonly { port: number; protocol: string }[] = [];
  if (t.kind === 'pods') {
    const p = spec.pods.find((x) => x.name === name && x.namespace === ns) ?? spec.pendingPods.find((x) => x.name === name && x.namespace === ns);
    if (!p) return fail(notFound);
    if (Object.keys(p.labels).length === 0) return fail('error: couldn\'t retrieve selectors via --selector flag or introspection: the pod has no labels and cannot be exposed');
    selector = p.labels;
    ports = 'ports' in p ? p.ports : [];
  } else if (t.kind === 'services') {
    const s = spec.services.find((x) => x.name === name && x.namespace === ns);
    if (!s) return fail(notFound);
    if (!s.selector) return fail('error: couldn\'t retrieve selectors via --selector flag or introspection: the service has no pod selector set');
    selector = s.selector;
    ports = s.ports;
  } else {
    const w = spec.workloads.find((x) => x.kind === (t.kind === 'deployments' ? 'Deployment' : 'ReplicaSet') && x.namespace === ns && x.name === name);
    if (!w) return fail(notFound);
    selector = w.selector;
    ports = w.template.ports;
  }
  const portText = flags.get('port');
  let port: number;
  if (portText !== undefined) {
    if (!/^\d+$/.test(portText)) return fail(`error: invalid argument "${portText}" for "--port" flag: strconv.ParseInt: parsing "${portText}": invalid syntax`);
    port = Number(portText);
  } else if (ports[0]) port = ports[0].port;
  else return fail('error: couldn\'t find port via --port flag or introspection');
  const svcName = flags.get('name') ?? name;
  const type = flags.get('type') ?? 'ClusterIP';
  const protocol = (flags.get('protocol') ?? ports[0]?.protocol ?? 'TCP').toUpperCase();
  const invalidSvc = (field: string, msg: string) => fail(`The Service "${svcName}" is invalid: ${field}: ${msg}`);
  if (dns1035Label(svcName).length > 0) return invalidSvc('metadata.name', invalid(svcName, dns1035Label(svcName).join(', ')));
  if (!['ClusterIP', 'NodePort', 'LoadBalancer'].includes(type)) return invalidSvc('spec.type', `Unsupported value: "${type}": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`);
  if (protocol !== 'TCP' && protocol !== 'UDP' && protocol !== 'SCTP') return invalidSvc('spec.ports[0].protocol', `Unsupported value: "${protocol}": supported values: "SCTP", "TCP", "UDP"`);
  if (port < 1 || port > 65535) return invalidSvc('spec.ports[0].port', invalid(port, 'must be between 1 and 65535, inclusive'));
  if (spec.services.some((s) => s.name === svcName && s.namespace === ns)) return fail(`Error from server (AlreadyExists): services "${svcName}" already exists`);
  const tp = flags.get('target-port');
  const targetPort = tp === undefined ? (ports[0]?.port ?? port) : /^\d+$/.test(tp) ? Number(tp) : tp;
  const clusterIP = allocateClusterIP(spec, `${ns}/${svcName}`);
  if (!clusterIP) return fail('Internal error occurred: failed to allocate a serviceIP: range is full');
  const nodePort = type === 'ClusterIP' ? undefined : allocateNodePort(spec, `${ns}/${svcName}`, protocol);
  if (type !== 'ClusterIP' && nodePort === undefined) return fail('Internal error occurred: failed to allocate a nodePort: range is full');
  const svc: ServiceSpec = {
    namespace: ns,
    name: svcName,
    labels: { ...selector },
    type: type as ServiceSpec['type'],
    clusterIP,
    ports: [{ name: '', port, targetPort, protocol, ...(nodePort !== undefined ? { nodePort } : {}) }],
    selector: { ...selector },
    sessionAffinity: 'None',
    sessionAffinityTimeout: 10800,
    externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster',
    externalIPs: [],
  };
  const next = { ...spec, services: [...spec.services, svc] };
  return done({ ...next, endpointSlices: slicesForNewService(next, svc) }, `service/${svcName} exposed\n`);
}
