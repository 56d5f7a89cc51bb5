import { stringify } from 'yaml';
import { cniOf, type Backend, type ProxyMode } from '../api-types.ts';
import { intToIp, parseCidr } from '../net/addr.ts';

/**
 * Makes a cluster file of any size in the seed's shape (same LAN, gateway and flannel network):
 * N nodes with /podPrefix pod subnets, pods spread over them, services each selecting a group of
 * pods. Used by the benchmark and the size presets; the model sees only the file.
 */
export interface GenerateOptions {
  readonly nodes: number;
  readonly podsPerNode: number;
  readonly services: number;
  readonly endpointsPerService: number;
  /** pod subnet prefix length per node (24 in the seed) */
  readonly podPrefix?: number;
  /** flannel's backend in net-conf.json, or for Calico's an IPPool with that ipipMode */
  readonly backend?: Backend;
  readonly proxy?: ProxyMode;
  /** flannel's Network and kube-proxy's clusterCIDR (default the seed's 10.42.0.0/16); a
   * 5,000-node cluster needs more than a /16 */
  readonly clusterCidr?: string;
  /** how the nodes get their LAN address (DHCP as in the seed, or static) */
  readonly addressing?: 'dhcp' | 'static';
}

export function generateClusterYaml(o: GenerateOptions): string {
  return stringify(generateCluster(o));
}

/** The same cluster as `kubectl get … -o json` would print it: large clusters load faster as JSON. */
export function generateClusterJson(o: GenerateOptions): string {
  return JSON.stringify(generateCluster(o));
}

function generateCluster(o: GenerateOptions): { apiVersion: string; kind: string; items: unknown[] } {
  const podPrefix = o.podPrefix ?? 24;
  const subnetSize = 2 ** (32 - podPrefix);
  const clusterCidr = o.clusterCidr ?? '10.42.0.0/16';
  const network = parseCidr(clusterCidr);
  if (o.nodes * subnetSize > 2 ** (32 - network.len)) throw new Error(`${o.nodes} nodes of /${podPrefix} do not fit in ${clusterCidr}`);
  const addr = (offset: number) => intToIp((network.net + offset) >>> 0);
  const items: unknown[] = [
    { apiVersion: 'kube-packet-lab.dev/v1', kind: 'Network', metadata: { name: 'lan' }, spec: { cidr: '192.168.0.0/16', gateway: '192.168.0.1', ...(o.addressing ? { addressing: o.addressing } : {}) } },
    { apiVersion: 'kube-packet-lab.dev/v1', kind: 'Host', metadata: { name: 'gateway' }, spec: { role: 'gateway', ipForward: true, interfaces: [{ name: 'eth0', network: 'lan', address: '192.168.0.1/16' }] } },
    { apiVersion: 'kube-packet-lab.dev/v1', kind: 'Host', metadata: { name: 'client' }, spec: { role: 'client', interfaces: [{ name: 'en0', network: 'lan', address: '192.168.0.100/16' }], gateway: '192.168.0.1' } },
  ];
  const podIps: { name: string; ip: string; node: string }[] = [];
  for (let n = 0; n < o.nodes; n++) {
    const name = n === 0 ? 'master' : `node${n}`;
    const base = n * subnetSize;
    const subnet = `${addr(base)}/${podPrefix}`;
    items.push({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, ...(n === 0 ? { labels: { 'node-role.kubernetes.io/control-plane': 'true' } } : {}) },
      spec: { podCIDR: subnet },
      status: { addresses: [{ type: 'InternalIP', address: `192.168.${1 + Math.floor((n + 10) / 250)}.${(n + 10) % 250}` }] },
    });
    for (let p = 0; p < o.podsPerNode; p++) {
      const off = base + 2 + p;
      if (p + 3 > subnetSize) throw new Error(`${o.podsPerNode} pods do not fit in a /${podPrefix}`);
      const ip = addr(off);
      const pod = `app-${n}-${p}`;
      podIps.push({ name: pod, ip, node: name });
      items.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: pod, namespace: 'default', labels: { app: `app-${n}-${p}` } },
        spec: { nodeName: name, containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }] },
        status: { podIP: ip },
      });
    }
  }
  items.push({ apiVersion: 'networking.k8s.io/v1', kind: 'ServiceCIDR', metadata: { name: 'kubernetes' }, spec: { cidrs: ['10.43.0.0/16'] } });
  for (let s = 0; s < o.services; s++) {
    const name = `svc-${s}`;
    const ip = `10.43.${Math.floor((s + 10) / 256)}.${(s + 10) % 256}`;
    items.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: 'default' },
      spec: { type: s === 0 ? 'NodePort' : 'ClusterIP', clusterIP: ip, ports: [{ name: 'http', port: 80, targetPort: 80, protocol: 'TCP', ...(s === 0 ? { nodePort: 30080 } : {}) }] },
    });
    const eps = [];
    for (let e = 0; e < o.endpointsPerService && podIps.length > 0; e++) {
      const pod = podIps[(s * o.endpointsPerService + e) % podIps.length]!;
      eps.push({ addresses: [pod.ip], nodeName: pod.node, conditions: { ready: true } });
    }
    items.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-abcde`, namespace: 'default', labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      endpoints: eps,
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    });
  }
  if (o.backend && cniOf(o.backend) === 'calico') {
    const ipipMode = { ipip: 'Always', bgp: 'Never', crosssubnet: 'CrossSubnet' }[o.backend as 'ipip' | 'bgp' | 'crosssubnet'];
    items.push({ apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name: 'default-ipv4-ippool' }, spec: { cidr: clusterCidr, blockSize: 26, ipipMode, natOutgoing: true } });
  } else {
    items.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-flannel-cfg', namespace: 'kube-flannel' }, data: { 'net-conf.json': JSON.stringify({ Network: clusterCidr, Backend: { Type: o.backend ?? 'vxlan' } }) } });
  }
  items.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-proxy', namespace: 'kube-system' }, data: { 'config.conf': `mode: ${o.proxy ?? 'iptables'}\nclusterCIDR: ${clusterCidr}\n` } });
  return { apiVersion: 'v1', kind: 'List', items };
}
