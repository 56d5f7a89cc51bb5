import { parse, stringify } from 'yaml';
import { SEED_CLUSTER_YAML } from './seed-cluster.ts';

export { generateClusterYaml } from './generate.ts';
export { k3sSeedYaml } from './examples/k3s.ts';
export { kubeadmFlannelJson, kubeadmIpvsYaml, kubeadmTwoSubnetsYaml } from './examples/kubeadm.ts';

/**
 * The built-in cluster files made from others (the seed's other moments and variants, the
 * generated clusters, the kubectl dumps): written on first use, in a chunk of their own, since
 * the default lab starts from the seed file as it is.
 */

/**
 * The seed's second moment (§6): only the pods n8s9s (master) and z8xnq (node1), the Service as
 * ClusterIP with endpoints 10.42.0.65 and 10.42.1.9 — derived from the seed file so the two
 * cannot drift apart.
 */
export function seedSection6(): string {
  const doc = parse(SEED_CLUSTER_YAML) as { items: Record<string, any>[] };
  const keep = new Set(['nginx-test-7646687cc4-n8s9s', 'nginx-test-7646687cc4-z8xnq']);
  doc.items = doc.items
    .filter((o) => o.kind !== 'Pod' || keep.has(o.metadata.name))
    .map((o) => {
      if (o.kind === 'Service' && o.metadata.name === 'nginx-test') {
        return { ...o, spec: { ...o.spec, type: 'ClusterIP', ports: [{ name: '80-80', port: 80, targetPort: 80, protocol: 'TCP' }], externalTrafficPolicy: undefined } };
      }
      if (o.kind === 'EndpointSlice' && o.metadata.name !== 'kubernetes') {
        return {
          ...o,
          endpoints: [
            { addresses: ['10.42.0.65'], conditions: { ready: true }, nodeName: 'master', targetRef: { kind: 'Pod', name: 'nginx-test-7646687cc4-n8s9s', namespace: 'default' } },
            { addresses: ['10.42.1.9'], conditions: { ready: true }, nodeName: 'node1', targetRef: { kind: 'Pod', name: 'nginx-test-7646687cc4-z8xnq', namespace: 'default' } },
          ],
        };
      }
      return o;
    });
  return stringify(doc);
}

/**
 * The seed cluster with node2 moved behind the gateway onto a second subnet (192.168.206.0/24):
 * the L2 requirement of host-gw made visible (seed §6c) — vxlan only needs L3 reachability.
 */
export function twoSubnets(backend: 'vxlan' | 'host-gw'): string {
  const doc = parse(SEED_CLUSTER_YAML) as { items: Record<string, any>[] };
  doc.items = doc.items.map((o) => {
    if (o.kind === 'Host' && o.metadata.name === 'gateway') {
      return { ...o, spec: { ...o.spec, interfaces: [...o.spec.interfaces, { name: 'eth2', network: 'lan-b', address: '192.168.206.1/24' }] } };
    }
    if (o.kind === 'Node' && o.metadata.name === 'node2') {
      return { ...o, metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, 'flannel.alpha.coreos.com/public-ip': '192.168.206.5' } }, status: { addresses: [{ type: 'InternalIP', address: '192.168.206.5' }, { type: 'Hostname', address: 'node2' }] } };
    }
    if (o.kind === 'Pod') return { ...o, status: { ...o.status, hostIP: o.status.hostIP === '192.168.205.5' ? '192.168.206.5' : o.status.hostIP } };
    if (o.kind === 'ConfigMap' && o.metadata.name === 'kube-flannel-cfg') {
      return { ...o, data: { 'net-conf.json': JSON.stringify({ Network: '10.42.0.0/16', Backend: { Type: backend } }, null, 2) } };
    }
    return o;
  });
  doc.items.splice(1, 0, { apiVersion: 'kube-packet-lab.dev/v1', kind: 'Network', metadata: { name: 'lan-b' }, spec: { cidr: '192.168.206.0/24', gateway: '192.168.206.1' } });
  return stringify(doc);
}

/**
 * The seed's cluster running Calico instead of flannel, as `kubectl get … -o yaml` prints it
 * there: the IPPool calico-node created (the cluster CIDR, /26 blocks, IPIP Always, NAT
 * outgoing), and each Node with Calico's annotations — its BGP address and the tunl0 address
 * calico-ipam gave it — in place of flannel's. No kube-flannel-cfg.
 */
export function seedCalico(): string {
  const doc = parse(SEED_CLUSTER_YAML) as { items: Record<string, any>[] };
  const tunnel: Record<string, string> = { master: '10.42.0.64', node1: '10.42.1.0', node2: '10.42.2.0' };
  doc.items = doc.items
    .filter((o) => !(o.kind === 'ConfigMap' && o.metadata.name === 'kube-flannel-cfg'))
    .map((o) => {
      if (o.kind !== 'Node') return o;
      const ip = o.status.addresses.find((a: { type: string }) => a.type === 'InternalIP').address;
      const annotations = { 'projectcalico.org/IPv4Address': `${ip}/24`, 'projectcalico.org/IPv4IPIPTunnelAddr': tunnel[o.metadata.name] };
      return { ...o, metadata: { ...o.metadata, annotations } };
    });
  doc.items.push({
    apiVersion: 'crd.projectcalico.org/v1',
    kind: 'IPPool',
    metadata: { name: 'default-ipv4-ippool' },
    spec: { cidr: '10.42.0.0/16', blockSize: 26, ipipMode: 'Always', vxlanMode: 'Never', natOutgoing: true, nodeSelector: 'all()' },
  });
  return stringify(doc);
}
