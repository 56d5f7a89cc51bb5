import type { ClusterSpec, EndpointSliceSpec, PodSpec, ServicePortSpec, ServiceSpec } from '../k8s/spec.ts';
import type { CommandResult } from './ip.ts';

/**
 * `kubectl get` and `kubectl describe service` over a ClusterSpec, laid out as kubectl's own
 * printers do: get tables through a tabwriter with minwidth 6 and padding 3
 * (printers.GetNewTabWriter), describe through one with padding 2 (describe.tabbedString).
 */

/** Ready endpoints per service port, `ip:port`, keyed `namespace/name:portName` (what kube-proxy resolved). */
export type EndpointsByServicePort = ReadonlyMap<string, readonly string[]>;

/**
 * Facts the cluster file does not carry but the printers need. The defaults describe a k3s
 * cluster on Ubuntu VMs like the seed's (their exact versions are not in the seed).
 */
export interface KubectlEnv {
  /** AGE of objects without one in the spec (services, nodes, slices): the seed's cluster is 26 days old */
  readonly age: string;
  readonly kubeletVersion: string;
  readonly osImage: string;
  readonly kernelVersion: string;
  readonly containerRuntime: string;
}

export const DEFAULT_KUBECTL_ENV: KubectlEnv = {
  age: '26d',
  kubeletVersion: 'v1.28.5+k3s1',
  osImage: 'Ubuntu 22.04.3 LTS',
  kernelVersion: '5.15.0-91-generic',
  containerRuntime: 'containerd://1.7.11-k3s2',
};

/**
 * text/tabwriter's column algorithm: a column's width is set per block of consecutive lines that
 * have a tab-terminated cell in it; the last cell of a line is not padded.
 */
export function tabwrite(text: string, minwidth: number, padding: number): string {
  const lines = text.split('\n').map((l) => l.split('\t'));
  const widths: number[][] = lines.map(() => []);
  const format = (line0: number, line1: number, col: number): void => {
    let i = line0;
    while (i < line1) {
      if (lines[i]!.length - 1 <= col) {
        i++;
        continue;
      }
      let j = i;
      let width = minwidth;
      while (j < line1 && lines[j]!.length - 1 > col) {
        width = Math.max(width, lines[j]![col]!.length + padding);
        j++;
      }
      for (let k = i; k < j; k++) widths[k]![col] = width;
      format(i, j, col + 1);
      i = j;
    }
  };
  format(0, lines.length, 0);
  return lines.map((cells, k) => cells.map((c, ci) => (ci < cells.length - 1 ? c.padEnd(widths[k]![ci]!) : c)).join('')).join('\n');
}

function table(rows: readonly (readonly string[])[]): string {
  return tabwrite(rows.map((r) => `${r.join('\t')}\n`).join(''), 6, 3);
}

/** labels.FormatLabels: sorted `k=v,…`, or `<none>`. */
function formatLabels(m: Readonly<Record<string, string>> | undefined): string {
  const keys = Object.keys(m ?? {}).sort();
  return keys.length === 0 ? '<none>' : keys.map((k) => `${k}=${m![k]}`).join(',');
}

/** describe's formatEndpointSlices over what kube-proxy resolved: at most 3, then `+ N more...`. */
function formatEndpoints(list: readonly string[] | undefined): string {
  if (list === undefined) return '<none>';
  if (list.length <= 3) return list.join(',');
  return `${list.slice(0, 3).join(',')} + ${list.length - 3} more...`;
}

/** The ready endpoints of each service port computed from the spec's EndpointSlices (matched by port name). */
export function endpointsFromSlices(spec: ClusterSpec): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const svc of spec.services) {
    const slices = spec.endpointSlices.filter((s) => s.namespace === svc.namespace && s.serviceName === svc.name);
    if (slices.length === 0) continue;
    for (const p of svc.ports) {
      const list: string[] = [];
      for (const s of slices) {
        for (const sp of s.ports) {
          if (sp.name !== p.name) continue;
          for (const e of s.endpoints) if (e.ready) list.push(`${e.ip}:${sp.port}`);
        }
      }
      m.set(`${svc.namespace}/${svc.name}:${p.name}`, list);
    }
  }
  return m;
}

// ---------------------------------------------------------------- describe service

/** describeService (k8s.io/kubectl/pkg/describe): ClusterIP and NodePort layouts as the seed shows them. */
export function describeService(svc: ServiceSpec, endpoints: EndpointsByServicePort): string {
  let w = '';
  const line = (s: string) => (w += `${s}\n`);
  line(`Name:\t${svc.name}`);
  line(`Namespace:\t${svc.namespace}`);
  const labelKeys = Object.keys(svc.labels).sort();
  if (labelKeys.length === 0) line('Labels:\t<none>');
  labelKeys.forEach((k, i) => line(`${i === 0 ? 'Labels:' : ''}\t${k}=${svc.labels[k]}`));
  line('Annotations:\t<none>');
  line(`Selector:\t${formatLabels(svc.selector)}`);
  line(`Type:\t${svc.type}`);
  line('IP Family Policy:\tSingleStack');
  line('IP Families:\tIPv4');
  line(`IP:\t${svc.clusterIP}`);
  line(`IPs:\t${svc.clusterIP}`);
  if (svc.externalIPs.length > 0) line(`External IPs:\t${svc.externalIPs.join(',')}`);
  for (const p of svc.ports) {
    const name = p.name === '' ? '<unset>' : p.name;
    line(`Port:\t${name}\t${p.port}/${p.protocol}`);
    line(`TargetPort:\t${p.targetPort}/${p.protocol}`);
    if (p.nodePort !== undefined) line(`NodePort:\t${name}\t${p.nodePort}/${p.protocol}`);
    line(`Endpoints:\t${formatEndpoints(endpoints.get(`${svc.namespace}/${svc.name}:${p.name}`))}`);
  }
  line(`Session Affinity:\t${svc.sessionAffinity}`);
  // spec.externalTrafficPolicy is only set (and printed) for services reachable from outside
  if (svc.type !== 'ClusterIP') line(`External Traffic Policy:\t${svc.externalTrafficPolicy}`);
  line('Events:\t<none>');
  return tabwrite(w, 0, 2);
}

// ---------------------------------------------------------------- get

type Kind = 'pods' | 'services' | 'nodes' | 'endpointslices' | 'endpoints';

const KINDS: Readonly<Record<string, Kind>> = {
  pod: 'pods',
  pods: 'pods',
  po: 'pods',
  service: 'services',
  services: 'services',
  svc: 'services',
  node: 'nodes',
  nodes: 'nodes',
  no: 'nodes',
  endpointslice: 'endpointslices',
  endpointslices: 'endpointslices',
  'endpointslice.discovery.k8s.io': 'endpointslices',
  'endpointslices.discovery.k8s.io': 'endpointslices',
  endpoints: 'endpoints',
  ep: 'endpoints',
};

/** The singular resource name kubectl prefixes rows with when several kinds are listed (`pod/…`). */
const PREFIX: Readonly<Record<Kind, string>> = {
  pods: 'pod',
  services: 'service',
  nodes: 'node',
  endpointslices: 'endpointslice.discovery.k8s.io',
  endpoints: 'endpoints',
};

interface GetOpts {
  readonly namespace: string;
  readonly all: boolean;
  readonly wide: boolean;
  readonly names: readonly string[];
  readonly prefix: boolean;
}

function restarts(p: PodSpec): string {
  return p.restarts > 0 && p.restartedAgo ? `${p.restarts} (${p.restartedAgo} ago)` : String(p.restarts);
}

function servicePorts(s: ServiceSpec): string {
  return s.ports.map((p: ServicePortSpec) => `${p.port}${p.nodePort !== undefined ? `:${p.nodePort}` : ''}/${p.protocol}`).join(',');
}

/** printers.go formatDiscoveryEndpoints / formatDiscoveryPorts: three, then `+ N more...`. */
function moreList(items: readonly string[], empty = '<unset>'): string {
  if (items.length === 0) return empty;
  return items.length <= 3 ? items.join(',') : `${items.slice(0, 3).join(',')} + ${items.length - 3} more...`;
}

function sliceRow(s: EndpointSliceSpec): string[] {
  return [s.name, 'IPv4', moreList(s.ports.map((p) => String(p.port))), moreList(s.endpoints.map((e) => e.ip))];
}

interface Rows {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly missing: readonly string[];
}

function kindRows(spec: ClusterSpec, kind: Kind, o: GetOpts, endpoints: EndpointsByServicePort, env: KubectlEnv): Rows {
  const inNs = (ns: string) => o.all || ns === o.namespace;
  const nsCol = o.all ? ['NAMESPACE'] : [];
  const nsCell = (ns: string) => (o.all ? [ns] : []);
  const name = (n: string) => (o.prefix ? `${PREFIX[kind]}/${n}` : n);
  // the API server lists objects in etcd key order: namespace, then name
  const byKey = <T extends { name: string; namespace?: string }>(items: readonly T[]): T[] =>
    [...items].sort((a, b) => ((a.namespace ?? '') + '/' + a.name < (b.namespace ?? '') + '/' + b.name ? -1 : 1));
  const select = <T extends { name: string; namespace?: string }>(items: readonly T[]): { items: T[]; missing: string[] } => {
    if (o.names.length === 0) return { items: byKey(items), missing: [] };
    return { items: o.names.map((n) => items.find((x) => x.name === n)).filter((x): x is T => x !== undefined), missing: o.names.filter((n) => !items.some((x) => x.name === n)) };
  };
  switch (kind) {
    case 'pods': {
      const { items, missing } = select(spec.pods.filter((p) => inNs(p.namespace)));
      const header = [...nsCol, 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', ...(o.wide ? ['IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'] : [])];
      const rows = items.map((p) => [...nsCell(p.namespace), name(p.name), '1/1', 'Running', restarts(p), p.age, ...(o.wide ? [p.ip, p.nodeName, '<none>', '<none>'] : [])]);
      return { header, rows, missing };
    }
    case 'services': {
      const { items, missing } = select(spec.services.filter((s) => inNs(s.namespace)));
      const header = [...nsCol, 'NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', ...(o.wide ? ['SELECTOR'] : [])];
      const rows = items.map((s) => [
        ...nsCell(s.namespace),
        name(s.name),
        s.type,
        s.clusterIP,
        s.externalIPs.length > 0 ? s.externalIPs.join(',') : s.type === 'LoadBalancer' ? '<pending>' : '<none>',
        servicePorts(s),
        env.age,
        ...(o.wide ? [formatLabels(s.selector)] : []),
      ]);
      return { header, rows, missing };
    }
    case 'nodes': {
      const { items, missing } = select(spec.nodes.filter((n) => !n.deleted));
      const header = ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', ...(o.wide ? ['INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME'] : [])];
      const rows = items.map((n) => [
        name(n.name),
        'Ready',
        // k3s labels a server with both node-role.kubernetes.io/control-plane and /master
        n.controlPlane ? 'control-plane,master' : '<none>',
        env.age,
        env.kubeletVersion,
        ...(o.wide ? [n.internalIP, '<none>', env.osImage, env.kernelVersion, env.containerRuntime] : []),
      ]);
      return { header, rows, missing };
    }
    case 'endpointslices': {
      const { items, missing } = select(spec.endpointSlices.filter((s) => inNs(s.namespace)));
      const header = [...nsCol, 'NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE'];
      const rows = items.map((s) => {
        const [n, ...rest] = sliceRow(s);
        return [...nsCell(s.namespace), name(n!), ...rest, env.age];
      });
      return { header, rows, missing };
    }
    case 'endpoints': {
      const { items, missing } = select(spec.services.filter((s) => inNs(s.namespace)));
      const header = [...nsCol, 'NAME', 'ENDPOINTS', 'AGE'];
      const rows = items.map((s) => {
        const all = s.ports.flatMap((p) => endpoints.get(`${s.namespace}/${s.name}:${p.name}`) ?? []);
        return [...nsCell(s.namespace), name(s.name), moreList(all, '<none>'), env.age];
      });
      return { header, rows, missing };
    }
  }
}

const NOT_FOUND_KIND: Readonly<Record<Kind, string>> = {
  pods: 'pods',
  services: 'services',
  nodes: 'nodes',
  endpointslices: 'endpointslices.discovery.k8s.io',
  endpoints: 'endpoints',
};

/**
 * `kubectl get|describe …`, argv without the leading `kubectl`. Supports `get
 * pods|svc|nodes|endpointslices|endpoints [NAME…] [-o wide] [-n NS|-A]` (comma lists too) and
 * `describe service|svc [NAME…]`. Read-only: `mutates` is always false.
 */
export function kubectlCommand(spec: ClusterSpec, endpoints: EndpointsByServicePort, argv: readonly string[], env: KubectlEnv = DEFAULT_KUBECTL_ENV): CommandResult {
  let namespace = 'default';
  let all = false;
  let output: string | undefined;
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const long = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (a === '-n' || a === '--namespace') {
      const v = argv[++i];
      if (v === undefined) return { ok: false, error: `error: flag needs an argument: '${a === '-n' ? 'n' : 'namespace'}' in ${a}` };
      namespace = v;
    } else if (a.startsWith('-n') && a.length > 2) namespace = a.slice(2).replace(/^=/, '');
    else if (long?.[1] === 'namespace' && long[2] !== undefined) namespace = long[2];
    else if (a === '-A' || a === '--all-namespaces') all = true;
    else if (a === '-o' || a === '--output') {
      const v = argv[++i];
      if (v === undefined) return { ok: false, error: `error: flag needs an argument: 'o' in -o` };
      output = v;
    } else if (a.startsWith('-o')) output = a.slice(2).replace(/^=/, '');
    else if (long?.[1] === 'output' && long[2] !== undefined) output = long[2];
    else if (a.startsWith('-')) return { ok: false, error: `error: unknown shorthand flag: '${a.replace(/^-+/, '').slice(0, 1)}' in ${a}` };
    else words.push(a);
  }
  const [verb, resource, ...names] = words;
  if (verb === undefined) return { ok: false, error: 'kubectl controls the Kubernetes cluster manager.\n\nUsage:\n  kubectl [flags] [options]' };
  if (output !== undefined && output !== 'wide') {
    if (['yaml', 'json', 'name', 'jsonpath', 'custom-columns', 'go-template'].some((f) => output!.startsWith(f))) {
      return { ok: false, error: `kube-packet-lab: kubectl -o ${output} is not simulated (use -o wide)` };
    }
    return { ok: false, error: `error: unable to match a printer suitable for the output format "${output}", allowed formats are: custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml` };
  }

  if (verb === 'get') {
    if (resource === undefined) return { ok: false, error: 'You must specify the type of resource to get. Use "kubectl api-resources" for a complete list of supported resources.\n\nerror: Required resource not specified.' };
    let kindWords = resource.split(',');
    let nameList = names;
    if (resource.includes('/')) {
      kindWords = [resource.split('/')[0]!];
      nameList = [resource.split('/').slice(1).join('/'), ...names];
    }
    const kinds: Kind[] = [];
    for (const k of kindWords) {
      const kind = KINDS[k];
      if (!kind) return { ok: false, error: `error: the server doesn't have a resource type "${k}"` };
      kinds.push(kind);
    }
    if (kinds.length > 1 && nameList.length > 0) return { ok: false, error: 'error: arguments in resource/name form must have a single resource and name' };
    const o: GetOpts = { namespace, all, wide: output === 'wide', names: nameList, prefix: kinds.length > 1 };
    const blocks: string[] = [];
    const errors: string[] = [];
    for (const kind of kinds) {
      const r = kindRows(spec, kind, o, endpoints, env);
      for (const m of r.missing) errors.push(`Error from server (NotFound): ${NOT_FOUND_KIND[kind]} "${m}" not found`);
      if (r.rows.length > 0) blocks.push(table([r.header, ...r.rows]));
    }
    if (blocks.length === 0 && errors.length === 0) {
      const where = all || kinds.every((k) => k === 'nodes') ? '' : ` in ${namespace} namespace`;
      return { ok: true, output: '', mutates: false, stderr: `No resources found${where}.\n` };
    }
    if (errors.length > 0 && blocks.length === 0) return { ok: false, error: errors.join('\n') };
    return { ok: true, output: blocks.join('\n'), mutates: false, ...(errors.length ? { stderr: `${errors.join('\n')}\n` } : {}) };
  }

  if (verb === 'describe') {
    if (resource === undefined) return { ok: false, error: 'You must specify the type of resource to describe. Use "kubectl api-resources" for a complete list of supported resources.' };
    const kind = KINDS[resource.split('/')[0]!];
    const nameList = resource.includes('/') ? [resource.split('/').slice(1).join('/'), ...names] : names;
    if (!kind) return { ok: false, error: `error: the server doesn't have a resource type "${resource}"` };
    if (kind !== 'services') return { ok: false, error: `kube-packet-lab: kubectl describe ${resource} is not simulated (describe service is)` };
    const inNs = spec.services.filter((s) => all || s.namespace === namespace).sort((a, b) => (`${a.namespace}/${a.name}` < `${b.namespace}/${b.name}` ? -1 : 1));
    const picked = nameList.length === 0 ? inNs : nameList.map((n) => inNs.find((s) => s.name === n));
    const missing = nameList.filter((n) => !inNs.some((s) => s.name === n));
    if (missing.length > 0) return { ok: false, error: missing.map((m) => `Error from server (NotFound): services "${m}" not found`).join('\n') };
    if (picked.length === 0) return { ok: true, output: '', mutates: false, stderr: `No resources found in ${namespace} namespace.\n` };
    return { ok: true, output: picked.map((s) => describeService(s!, endpoints)).join('\n\n'), mutates: false };
  }

  if (['apply', 'create', 'delete', 'edit', 'patch', 'scale', 'label', 'annotate', 'expose', 'run', 'set', 'rollout', 'exec', 'debug', 'logs', 'port-forward', 'cp', 'attach', 'top', 'cordon', 'uncordon', 'drain', 'taint'].includes(verb)) {
    return { ok: false, error: `kube-packet-lab: kubectl ${verb} is not simulated here (get and describe service are)` };
  }
  return { ok: false, error: `error: unknown command "${verb}" for "kubectl"` };
}
