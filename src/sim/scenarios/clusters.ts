import { parse, stringify } from 'yaml';
import { DOCKER_HOST_YAML } from './docker-host.ts';
import { generateClusterYaml } from './generate.ts';
import { SEED_CLUSTER_YAML } from './seed-cluster.ts';
import { K3S_SEED_YAML } from './examples/k3s.ts';
import { KUBEADM_FLANNEL_JSON, KUBEADM_IPVS_YAML, KUBEADM_TWO_SUBNETS_YAML } from './examples/kubeadm.ts';

export interface ClusterPreset {
  readonly label: string;
  readonly yaml: string;
  /** a plain `kubectl get -o yaml|json` dump (no kube-packet-lab kinds): shown in the import gallery */
  readonly dump?: boolean;
}

/**
 * The seed's second moment (§6): only the pods n8s9s (master) and z8xnq (node1), the Service as
 * ClusterIP with endpoints 10.42.0.65 and 10.42.1.9 — derived from the seed file so the two
 * cannot drift apart.
 */
function seedSection6(): string {
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
function twoSubnets(backend: 'vxlan' | 'host-gw'): string {
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

/** Built-in cluster files, by the name `--cluster NAME` and the app's picker use. */
export const CLUSTER_PRESETS: Readonly<Record<string, ClusterPreset>> = {
  seed: { label: 'Seed cluster (§1c: master, node1, node2; §3-5 endpoints)', yaml: SEED_CLUSTER_YAML },
  'seed-section6': { label: 'Seed §6 moment (endpoints 10.42.0.65, 10.42.1.9)', yaml: seedSection6() },
  'five-nodes': { label: '5 nodes, 4 pods each, 3 services', yaml: generateClusterYaml({ nodes: 5, podsPerNode: 4, services: 3, endpointsPerService: 3 }) },
  'two-subnets': { label: 'node2 on another subnet behind the gateway (host-gw cannot, vxlan can)', yaml: twoSubnets('host-gw') },
  'pod-cidr-25': { label: '3 nodes with /25 pod subnets', yaml: generateClusterYaml({ nodes: 3, podsPerNode: 3, services: 2, endpointsPerService: 2, podPrefix: 25 }) },
  docker: { label: 'Docker host (§2: bridge, user network, host, container, none; a pod over lo)', yaml: DOCKER_HOST_YAML },
  k3s: { label: 'k3s, 3 nodes: the seed as kubectl prints it (-o yaml, §6 moment)', yaml: K3S_SEED_YAML, dump: true },
  kubeadm: { label: 'kubeadm + flannel, 4 nodes, CoreDNS (-o json, managedFields and all)', yaml: KUBEADM_FLANNEL_JSON, dump: true },
  'kubeadm-2-subnets': { label: 'kubeadm + flannel, nodes on two subnets behind a router (-o yaml)', yaml: KUBEADM_TWO_SUBNETS_YAML, dump: true },
  'kubeadm-ipvs': { label: 'kubeadm with kube-proxy in ipvs mode, 3 nodes (multi-document YAML)', yaml: KUBEADM_IPVS_YAML, dump: true },
};
