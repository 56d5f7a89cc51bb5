import { parse as parseYaml } from 'yaml';
import { cidrContains, ipToInt, isMac, parseCidr, type Cidr, type Ipv4, type Mac } from '../net/addr.ts';
import type { FlannelBackend, IpvsScheduler, ProxyMode, Result, SimError } from '../api-types.ts';
import { isObj, Reader, SpecError, type Obj } from './reader.ts';
import { parseDockerObjects, type DockerItem, type DockerSpec } from './docker-spec.ts';

/**
 * A cluster as the API server would hand it to the controllers: the objects of a `kind: List`
 * (what `kubectl get nodes,pods,svc,endpointslices,cm -A -o yaml` prints), checked for the
 * mistakes that would make a real cluster inconsistent. kube-packet-lab's own `Network` and
 * `Host` kinds describe the machines around the cluster.
 */
export interface ClusterSpec {
  readonly networks: readonly NetworkSpec[];
  readonly hosts: readonly HostSpec[];
  readonly nodes: readonly NodeSpec[];
  readonly pods: readonly PodSpec[];
  readonly services: readonly ServiceSpec[];
  readonly endpointSlices: readonly EndpointSliceSpec[];
  readonly flannel: FlannelConfig;
  /** Calico's IPPool objects (projectcalico.org/v3), empty when the file has none */
  readonly ipPools: readonly IPPoolSpec[];
  readonly kubeProxy: KubeProxyConfig;
  /** Docker hosts, their networks and containers (seed §2; docker-spec.ts) */
  readonly docker: DockerSpec;
}

export interface NetworkSpec {
  readonly name: string;
  readonly cidr: Cidr;
  readonly gateway?: Ipv4;
  /**
   * How the nodes on it get their address: a DHCP lease (`dynamic`, routes `proto dhcp metric
   * 100`, as the seed's nodes show) or a static configuration (`proto static`, no lease).
   */
  readonly addressing: 'dhcp' | 'static';
}

export interface HostSpec {
  readonly name: string;
  readonly role: 'gateway' | 'client' | 'router';
  /** which TCP stack answers and sends (its SYN options): `linux` or `macos` */
  readonly os: 'linux' | 'macos';
  readonly ipForward: boolean;
  readonly interfaces: readonly { readonly name: string; readonly network: string; readonly address: Ipv4; readonly prefixLen: number }[];
  readonly gateway?: Ipv4;
  readonly routes: readonly { readonly dst: Cidr; readonly via: Ipv4 }[];
  readonly listen: readonly ListenSpec[];
}

export interface ListenSpec {
  readonly protocol: 'TCP' | 'UDP';
  readonly port: number;
  readonly process: string;
}

export interface NodeSpec {
  readonly name: string;
  readonly internalIP: Ipv4;
  readonly podCIDR: Cidr;
  readonly nic: string;
  readonly network: string;
  readonly vtepMac?: Mac;
  readonly controlPlane: boolean;
  /** Calico's node annotations: projectcalico.org/IPv4Address (the BGP address with its mask) */
  readonly calicoIPv4Address?: Cidr;
  /** projectcalico.org/IPv4IPIPTunnelAddr: tunl0's address, from the IP pool */
  readonly calicoTunnelAddr?: Ipv4;
  /**
   * `kubectl delete node` took the Node object out of the API: the machine and its pods still run,
   * but every controller that watches Nodes (flanneld's leases, Calico's BGP mesh) forgets it
   */
  readonly deleted?: boolean;
}

/**
 * A Calico IPPool (projectcalico.org/v3): the addresses calico-ipam hands out, in blocks of
 * `blockSize` affine to one node, and how traffic between the pool's addresses on different
 * nodes travels (ipipMode) and leaves the pool (natOutgoing).
 */
export interface IPPoolSpec {
  readonly name: string;
  readonly cidr: Cidr;
  readonly blockSize: number;
  readonly ipipMode: 'Always' | 'CrossSubnet' | 'Never';
  readonly vxlanMode: 'Always' | 'CrossSubnet' | 'Never';
  readonly natOutgoing: boolean;
  readonly disabled: boolean;
  readonly nodeSelector: string;
}

export interface PodSpec {
  readonly name: string;
  readonly namespace: string;
  readonly nodeName: string;
  readonly ip: Ipv4;
  readonly labels: Readonly<Record<string, string>>;
  readonly ports: readonly { readonly port: number; readonly protocol: 'TCP' | 'UDP' }[];
  readonly restarts: number;
  readonly age: string;
  readonly restartedAgo?: string;
}

export interface ServicePortSpec {
  readonly name: string;
  readonly port: number;
  readonly targetPort: number;
  readonly nodePort?: number;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
}

export interface ServiceSpec {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  readonly clusterIP: Ipv4;
  readonly ports: readonly ServicePortSpec[];
  readonly selector?: Readonly<Record<string, string>>;
  readonly sessionAffinity: 'None' | 'ClientIP';
  readonly sessionAffinityTimeout: number;
  readonly externalTrafficPolicy: 'Cluster' | 'Local';
  readonly internalTrafficPolicy: 'Cluster' | 'Local';
  readonly externalIPs: readonly Ipv4[];
}

export interface EndpointSpec {
  readonly ip: Ipv4;
  readonly nodeName?: string;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly podName?: string;
}

export interface EndpointSliceSpec {
  readonly namespace: string;
  readonly name: string;
  readonly serviceName: string;
  readonly endpoints: readonly EndpointSpec[];
  readonly ports: readonly { readonly name: string; readonly port: number; readonly protocol: 'TCP' | 'UDP' | 'SCTP' }[];
}

export interface FlannelConfig {
  readonly network: Cidr;
  readonly backend: FlannelBackend;
  readonly vni: number;
  readonly port: number;
}

export interface KubeProxyConfig {
  readonly mode: ProxyMode;
  readonly clusterCIDR?: Cidr;
  readonly scheduler: IpvsScheduler;
  readonly masqueradeAll: boolean;
}

const SCHEDULERS: readonly IpvsScheduler[] = ['rr', 'wrr', 'lc', 'sh', 'dh', 'mh'];

/** Parses and checks a cluster file (YAML or JSON). Errors name the object and field. */
export function parseCluster(text: string): Result<ClusterSpec> {
  let doc: unknown;
  try {
    // JSON is YAML; JSON.parse reads a large `kubectl get -o json` dump many times faster
    doc = /^\s*\{/.test(text) ? parseJsonOrYaml(text) : parseYaml(text, { prettyErrors: true });
  } catch (e) {
    return err('CLUSTER_YAML', 'cluster file', `not valid YAML/JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isObj(doc)) return err('CLUSTER_SHAPE', 'cluster file', 'must be a `kind: List` object with `items`');
  const items = doc.kind === 'List' ? doc.items : undefined;
  if (!Array.isArray(items)) return err('CLUSTER_SHAPE', 'cluster file', 'must be a `kind: List` object with an `items` list');
  try {
    return { ok: true, value: buildSpec(items) };
  } catch (e) {
    if (e instanceof SpecError) return err('CLUSTER_INVALID', e.where, e.message);
    throw e;
  }
}

function parseJsonOrYaml(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return parseYaml(text, { prettyErrors: true }); // flow-style YAML, or the YAML parser's own error
  }
}

function err(code: string, where: string, message: string): { ok: false; error: SimError } {
  return { ok: false, error: { code, where, message } };
}

function objName(o: Obj, i: number): string {
  const md = isObj(o.metadata) ? o.metadata : {};
  const ns = typeof md.namespace === 'string' ? `${md.namespace}/` : '';
  return `${String(o.kind ?? 'item')} ${ns}${typeof md.name === 'string' ? md.name : `#${i}`}`;
}

function protocol(r: Reader, path: string): 'TCP' | 'UDP' | 'SCTP' {
  return r.oneOf(path, ['TCP', 'UDP', 'SCTP'] as const, 'TCP');
}

function buildSpec(items: unknown[]): ClusterSpec {
  const networks: NetworkSpec[] = [];
  const hosts: HostSpec[] = [];
  const nodes: NodeSpec[] = [];
  const pods: PodSpec[] = [];
  const services: ServiceSpec[] = [];
  const slices: EndpointSliceSpec[] = [];
  let flannel: FlannelConfig = { network: '10.42.0.0/16' as Cidr, backend: 'vxlan', vni: 1, port: 8472 };
  const ipPools: IPPoolSpec[] = [];
  let kubeProxy: KubeProxyConfig = { mode: 'iptables', scheduler: 'rr', masqueradeAll: false };
  const dockerItems: DockerItem[] = [];

  items.forEach((item, i) => {
    if (!isObj(item)) throw new SpecError(`items[${i}]`, 'must be an object');
    const r = new Reader(objName(item, i), item);
    const name = r.str('metadata.name');
    switch (item.kind) {
      case 'Network':
        networks.push({ name, cidr: r.cidr('spec.cidr'), gateway: r.optStr('spec.gateway') === undefined ? undefined : r.ip('spec.gateway'), addressing: r.oneOf('spec.addressing', ['dhcp', 'static'] as const, 'dhcp') });
        return;
      case 'Host':
        hosts.push({
          name,
          role: r.oneOf('spec.role', ['gateway', 'client', 'router'] as const, 'client'),
          os: r.oneOf('spec.os', ['linux', 'macos'] as const, 'linux'),
          ipForward: r.bool('spec.ipForward', false),
          interfaces: r.list('spec.interfaces').map((x, k) => {
            const ir = new Reader(`${r.where} .spec.interfaces[${k}]`, x);
            const c = ir.cidr('address');
            return { name: ir.str('name'), network: ir.str('network'), address: c.split('/')[0] as Ipv4, prefixLen: Number(c.split('/')[1]) };
          }),
          gateway: r.optStr('spec.gateway') === undefined ? undefined : r.ip('spec.gateway'),
          routes: r.list('spec.routes').map((x, k) => {
            const rr = new Reader(`${r.where} .spec.routes[${k}]`, x);
            return { dst: rr.cidr('dst'), via: rr.ip('via') };
          }),
          listen: listens(r, 'spec.listen'),
        });
        return;
      case 'Node': {
        const addrs = r.list('status.addresses');
        const internal = addrs.findIndex((a) => a.type === 'InternalIP');
        if (internal < 0) r.fail('status.addresses', 'has no InternalIP address');
        const ann = r.map('metadata.annotations');
        let vtepMac: Mac | undefined;
        const bd = ann['flannel.alpha.coreos.com/backend-data'];
        if (bd) {
          try {
            const parsed = JSON.parse(bd) as { VtepMAC?: string };
            if (parsed.VtepMAC !== undefined) {
              if (!isMac(parsed.VtepMAC)) throw new Error();
              vtepMac = parsed.VtepMAC;
            }
          } catch {
            r.fail('metadata.annotations["flannel.alpha.coreos.com/backend-data"]', `"${bd}" is not {"VNI":n,"VtepMAC":"xx:xx:…"}`);
          }
        }
        const labels = r.map('metadata.labels');
        const calicoAddr = ann['projectcalico.org/IPv4Address'];
        const calicoTunnel = ann['projectcalico.org/IPv4IPIPTunnelAddr'];
        nodes.push({
          name,
          internalIP: r.ip(`status.addresses.${internal}.address`),
          podCIDR: r.cidr('spec.podCIDR'),
          nic: ann['kube-packet-lab.dev/nic'] ?? 'enp0s1',
          network: ann['kube-packet-lab.dev/network'] ?? '',
          vtepMac,
          controlPlane: 'node-role.kubernetes.io/control-plane' in labels || 'node-role.kubernetes.io/master' in labels,
          ...(calicoAddr !== undefined ? { calicoIPv4Address: r.cidr('metadata.annotations[projectcalico.org/IPv4Address]') } : {}),
          ...(calicoTunnel !== undefined ? { calicoTunnelAddr: r.ip('metadata.annotations[projectcalico.org/IPv4IPIPTunnelAddr]') } : {}),
        });
        return;
      }
      case 'IPPool':
        ipPools.push(ipPool(r, name));
        return;
      case 'Pod': {
        const ports: PodSpec['ports'][number][] = [];
        r.list('spec.containers').forEach((_, c) => {
          r.list(`spec.containers.${c}.ports`).forEach((_p, k) => {
            ports.push({ port: r.num(`spec.containers.${c}.ports.${k}.containerPort`), protocol: r.oneOf(`spec.containers.${c}.ports.${k}.protocol`, ['TCP', 'UDP'] as const, 'TCP') });
          });
        });
        pods.push({
          name,
          namespace: r.str('metadata.namespace', 'default'),
          nodeName: r.str('spec.nodeName'),
          ip: r.ip('status.podIP'),
          labels: r.map('metadata.labels'),
          ports,
          restarts: r.num('status.restartCount', 0),
          age: r.str('status.age', '1d'),
          restartedAgo: r.optStr('status.restartedAgo'),
        });
        return;
      }
      case 'Service': {
        const type = r.oneOf('spec.type', ['ClusterIP', 'NodePort', 'LoadBalancer'] as const, 'ClusterIP');
        const ports = r.list('spec.ports').map((_, k): ServicePortSpec => {
          const p = `spec.ports.${k}`;
          const port = r.num(`${p}.port`);
          if (port < 1 || port > 65535) r.fail(`${p}.port`, `${port} is not a port (1-65535)`);
          const np = r.optStr(`${p}.nodePort`) === undefined ? undefined : r.num(`${p}.nodePort`);
          if (np !== undefined && type === 'ClusterIP') r.fail(`${p}.nodePort`, 'may not be set when type is ClusterIP');
          if (np !== undefined && (np < 30000 || np > 32767)) r.fail(`${p}.nodePort`, `${np} is outside the NodePort range 30000-32767`);
          return { name: r.str(`${p}.name`, ''), port, targetPort: r.num(`${p}.targetPort`, port), nodePort: np, protocol: protocol(r, `${p}.protocol`) };
        });
        if (ports.length === 0) r.fail('spec.ports', 'must list at least one port');
        const sel = r.map('spec.selector');
        services.push({
          namespace: r.str('metadata.namespace', 'default'),
          name,
          labels: r.map('metadata.labels'),
          type,
          clusterIP: r.ip('spec.clusterIP'),
          ports,
          selector: Object.keys(sel).length > 0 ? sel : undefined,
          sessionAffinity: r.oneOf('spec.sessionAffinity', ['None', 'ClientIP'] as const, 'None'),
          sessionAffinityTimeout: r.num('spec.sessionAffinityConfig.clientIP.timeoutSeconds', 10800),
          externalTrafficPolicy: r.oneOf('spec.externalTrafficPolicy', ['Cluster', 'Local'] as const, 'Cluster'),
          internalTrafficPolicy: r.oneOf('spec.internalTrafficPolicy', ['Cluster', 'Local'] as const, 'Cluster'),
          externalIPs: r.ips('spec.externalIPs'),
        });
        return;
      }
      case 'EndpointSlice': {
        const labels = r.map('metadata.labels');
        const svc = labels['kubernetes.io/service-name'] ?? r.fail('metadata.labels', 'needs kubernetes.io/service-name');
        slices.push({
          namespace: r.str('metadata.namespace', 'default'),
          name,
          serviceName: svc,
          endpoints: r.list('endpoints').map((_, k) => {
            const p = `endpoints.${k}`;
            return {
              ip: r.ip(`${p}.addresses.0`),
              nodeName: r.optStr(`${p}.nodeName`),
              ready: r.bool(`${p}.conditions.ready`, true),
              serving: r.bool(`${p}.conditions.serving`, true),
              terminating: r.bool(`${p}.conditions.terminating`, false),
              podName: r.optStr(`${p}.targetRef.name`),
            };
          }),
          ports: r.list('ports').map((_, k) => ({ name: r.str(`ports.${k}.name`, ''), port: r.num(`ports.${k}.port`), protocol: protocol(r, `ports.${k}.protocol`) })),
        });
        return;
      }
      case 'ConfigMap':
        if (name === 'kube-flannel-cfg') flannel = flannelConfig(r);
        if (name === 'kube-proxy') kubeProxy = kubeProxyConfig(r);
        return;
      case 'DockerHost':
      case 'DockerNetwork':
      case 'Container':
        dockerItems.push({ kind: item.kind, label: objName(item, i), obj: item });
        return;
      default:
        // other kinds (Deployments, ReplicaSets…) do not program the network
        return;
    }
  });

  const docker = parseDockerObjects(dockerItems, { networks, hosts, nodes, pods });
  if (!docker.ok) throw new SpecError(docker.where, docker.message);
  return checkConsistency({ networks, hosts, nodes, pods, services, endpointSlices: slices, flannel, ipPools, kubeProxy, docker: docker.value });
}

function listens(r: Reader, path: string): ListenSpec[] {
  return r.list(path).map((_, k) => ({
    protocol: r.oneOf(`${path}.${k}.protocol`, ['TCP', 'UDP'] as const, 'TCP'),
    port: r.num(`${path}.${k}.port`),
    process: r.str(`${path}.${k}.process`, 'server'),
  }));
}

function flannelConfig(r: Reader): FlannelConfig {
  const text = r.str('data[net-conf.json]');
  let conf: Obj;
  try {
    const parsed: unknown = JSON.parse(text);
    if (!isObj(parsed)) throw new Error('not an object');
    conf = parsed;
  } catch (e) {
    r.fail('data[net-conf.json]', `is not valid JSON: ${(e as Error).message}`);
  }
  const cr = new Reader(`${r.where} net-conf.json`, conf);
  const backend = cr.oneOf('Backend.Type', ['vxlan', 'host-gw', 'udp'] as const, 'vxlan');
  // the udp backend's defaultPort is 8285; vxlan's 0 means the kernel's 8472
  return { network: cr.cidr('Network'), backend, vni: cr.num('Backend.VNI', 1), port: cr.num('Backend.Port', backend === 'udp' ? 8285 : 8472) };
}

/** An IPPool's spec with the API server's defaults (blockSize 26, modes Never, natOutgoing false). */
function ipPool(r: Reader, name: string): IPPoolSpec {
  const cidr = r.cidr('spec.cidr');
  const blockSize = r.num('spec.blockSize', 26);
  const len = Number(cidr.split('/')[1]);
  if (!Number.isInteger(blockSize) || blockSize < 20 || blockSize > 32) r.fail('spec.blockSize', `${blockSize} is not a block size for IPv4 (20-32)`);
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

function kubeProxyConfig(r: Reader): KubeProxyConfig {
  const text = r.str('data[config.conf]');
  let conf: unknown;
  try {
    conf = parseYaml(text);
  } catch (e) {
    r.fail('data[config.conf]', `is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isObj(conf)) r.fail('data[config.conf]', 'must be a KubeProxyConfiguration');
  const cr = new Reader(`${r.where} config.conf`, conf);
  // an empty mode means the platform default, iptables on Linux
  const mode = cr.str('mode', 'iptables') || 'iptables';
  if (mode !== 'iptables' && mode !== 'ipvs') cr.fail('mode', `"${mode}" is not supported here (iptables, ipvs)`);
  return {
    mode: mode as ProxyMode,
    clusterCIDR: cr.optStr('clusterCIDR') === undefined ? undefined : cr.cidr('clusterCIDR'),
    scheduler: cr.oneOf('ipvs.scheduler', SCHEDULERS, 'rr'),
    masqueradeAll: cr.bool('masqueradeAll', false),
  };
}

/** The checks that make a spec a cluster that could exist. */
function checkConsistency(spec: ClusterSpec): ClusterSpec {
  const owners = new Map<string, string>();
  const claim = (ip: string, who: string) => {
    const prev = owners.get(ip);
    if (prev) throw new SpecError(who, `IP ${ip} is already used by ${prev}`);
    owners.set(ip, who);
  };
  const networks = new Map(spec.networks.map((n) => [n.name, n]));
  const nodes = new Map<string, NodeSpec>();
  const resolved: NodeSpec[] = spec.nodes.map((n) => {
    const net = n.network ? networks.get(n.network) : spec.networks.find((x) => cidrContains(x.cidr, n.internalIP));
    if (!net) throw new SpecError(`Node ${n.name} .status.addresses`, `InternalIP ${n.internalIP} is on no Network of the file (add a Network whose cidr contains it)`);
    if (!cidrContains(n.podCIDR, n.podCIDR.split('/')[0]!) || !cidrContains(spec.flannel.network, n.podCIDR.split('/')[0]!)) {
      throw new SpecError(`Node ${n.name} .spec.podCIDR`, `${n.podCIDR} is outside the flannel Network ${spec.flannel.network}`);
    }
    for (const other of nodes.values()) {
      if (cidrContains(other.podCIDR, n.podCIDR.split('/')[0]!) || cidrContains(n.podCIDR, other.podCIDR.split('/')[0]!)) {
        throw new SpecError(`Node ${n.name} .spec.podCIDR`, `${n.podCIDR} overlaps node ${other.name}'s ${other.podCIDR}`);
      }
    }
    if (nodes.has(n.name)) throw new SpecError(`Node ${n.name}`, 'is defined twice');
    claim(n.internalIP, `Node ${n.name}`);
    const full = { ...n, network: net.name };
    nodes.set(n.name, full);
    return full;
  });
  for (const h of spec.hosts) {
    h.interfaces.forEach((i, k) => {
      if (!networks.has(i.network)) throw new SpecError(`Host ${h.name} .spec.interfaces[${k}].network`, `no Network named "${i.network}"`);
      claim(i.address, `Host ${h.name}`);
    });
  }
  for (const p of spec.pods) {
    const node = nodes.get(p.nodeName);
    if (!node) throw new SpecError(`Pod ${p.namespace}/${p.name} .spec.nodeName`, `no Node named "${p.nodeName}"`);
    if (!cidrContains(node.podCIDR, p.ip)) {
      throw new SpecError(`Pod ${p.namespace}/${p.name} .status.podIP`, `${p.ip} is outside node ${node.name}'s podCIDR ${node.podCIDR}`);
    }
    const net = parseCidr(node.podCIDR);
    if (ipToInt(p.ip) === net.net || ipToInt(p.ip) === net.net + 1) {
      throw new SpecError(`Pod ${p.namespace}/${p.name} .status.podIP`, `${p.ip} is the network or gateway (cni0) address of ${node.podCIDR}`);
    }
    claim(p.ip, `Pod ${p.namespace}/${p.name}`);
  }
  const nodePorts = new Map<string, string>();
  for (const s of spec.services) {
    claim(s.clusterIP, `Service ${s.namespace}/${s.name}`);
    const seen = new Set<string>();
    s.ports.forEach((p, k) => {
      const key = `${p.port}/${p.protocol}`;
      if (seen.has(key)) throw new SpecError(`Service ${s.namespace}/${s.name} .spec.ports[${k}]`, `port ${key} is listed twice`);
      seen.add(key);
      if (p.nodePort !== undefined) {
        const npKey = `${p.nodePort}/${p.protocol}`;
        const prev = nodePorts.get(npKey);
        if (prev) throw new SpecError(`Service ${s.namespace}/${s.name} .spec.ports[${k}].nodePort`, `provided port is already allocated: ${p.nodePort} is used by ${prev}`);
        nodePorts.set(npKey, `${s.namespace}/${s.name}`);
      }
    });
  }
  for (const sl of spec.endpointSlices) {
    sl.endpoints.forEach((e, k) => {
      if (e.nodeName && !nodes.has(e.nodeName)) throw new SpecError(`EndpointSlice ${sl.namespace}/${sl.name} .endpoints[${k}].nodeName`, `no Node named "${e.nodeName}"`);
    });
  }
  return { ...spec, nodes: resolved };
}
