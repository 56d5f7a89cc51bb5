import { parts } from '../parts.ts';
import type * as DerivedClusters from './derived-clusters.ts';
import { DOCKER_HOST_YAML } from './docker-host.ts';
import { SEED_CLUSTER_YAML } from './seed-cluster.ts';

export interface ClusterPreset {
  /** a plain name for the picker */
  readonly label: string;
  /** where the cluster comes from (the source text's section, or how it is generated) */
  readonly source: string;
  readonly yaml: string;
  /** a plain `kubectl get -o yaml|json` dump (no kube-packet-lab kinds): shown in the import gallery */
  readonly dump?: boolean;
}

/**
 * A preset whose file is made on first use: the derived and generated files cost parsing and
 * YAML writing, which a worker that only traces the seed should not pay at start-up.
 */
function made(label: string, source: string, make: (files: typeof DerivedClusters) => string, dump = false): ClusterPreset {
  let yaml: string | undefined;
  return {
    label,
    source,
    ...(dump ? { dump } : {}),
    get yaml() {
      return (yaml ??= make(parts.derivedClusters.get()));
    },
  };
}

/** Built-in cluster files, by the name `--cluster NAME` and the app's picker use. */
export const CLUSTER_PRESETS: Readonly<Record<string, ClusterPreset>> = {
  seed: {
    label: 'Seed cluster: master, node1, node2',
    source: 'The source text’s test environment (section 1c) with the endpoints of sections 3–5: 10.42.1.6 on node1, 10.42.2.6 on node2',
    yaml: SEED_CLUSTER_YAML,
  },
  'seed-section6': made(
    'Seed cluster, later: endpoints on master and node1',
    'The moment of the source text’s section 6: endpoints 10.42.0.65 (n8s9s on master) and 10.42.1.9 (z8xnq on node1)',
    (f) => f.seedSection6(),
  ),
  'five-nodes': made('5 nodes, 4 pods each, 3 services', 'Generated in the seed’s shape (same LAN, gateway and flannel network)', (f) =>
    f.generateClusterYaml({ nodes: 5, podsPerNode: 4, services: 3, endpointsPerService: 3 }),
  ),
  'twenty-nodes': made('20 nodes, 3 pods each, 10 services', 'Generated in the seed’s shape: the hosts off the packet’s path fold into cards', (f) =>
    f.generateClusterYaml({ nodes: 20, podsPerNode: 3, services: 10, endpointsPerService: 4 }),
  ),
  'seed-calico': made(
    'Seed cluster on Calico: IPIP, tunl0, cali veths',
    'The seed cluster with Calico instead of flannel: the IPPool calico-node creates (IPIP Always) and the nodes’ Calico annotations — the source text’s calico ipip and bgp (section 1b)',
    (f) => f.seedCalico(),
  ),
  'two-subnets': made(
    'node2 behind the gateway (host-gw and BGP cannot, the overlays can)',
    'The seed cluster with node2 on a second subnet: the L2 requirement of host-gw (source text section 6c)',
    (f) => f.twoSubnets('host-gw'),
  ),
  'pod-cidr-25': made('3 nodes with /25 pod subnets', 'Generated in the seed’s shape, with /25 pod CIDRs', (f) =>
    f.generateClusterYaml({ nodes: 3, podsPerNode: 3, services: 2, endpointsPerService: 2, podPrefix: 25 }),
  ),
  docker: {
    label: 'Docker host: bridge, user network, host, container, none',
    source: 'The source text’s section 2: Docker’s four network modes, and two containers of one pod talking over lo',
    yaml: DOCKER_HOST_YAML,
  },
  // what `kubectl get … -A -o yaml|json` prints of a real cluster: nothing kube-packet-lab-specific
  k3s: made('k3s, 3 nodes: the seed as kubectl prints it', 'kubectl get … -A -o yaml on the seed’s k3s cluster at section 6’s moment: k3s’s own pods and Services, no flannel or kube-proxy ConfigMap', (f) => f.k3sSeedYaml(), true),
  kubeadm: made('kubeadm + flannel, 4 nodes, CoreDNS', 'kubectl get … -A -o json of a kubeadm cluster with kube-flannel.yml: managedFields, static pods, DaemonSets, a Completed and a Pending pod', (f) => f.kubeadmFlannelJson(), true),
  'kubeadm-2-subnets': made('kubeadm + flannel on two subnets', 'kubectl get … -A -o yaml: nodes on two /24s, so the import infers two segments and a router', (f) => f.kubeadmTwoSubnetsYaml(), true),
  'kubeadm-ipvs': made('kubeadm, kube-proxy in ipvs mode', 'Multi-document YAML of a kubeadm cluster whose kube-proxy ConfigMap says mode: ipvs', (f) => f.kubeadmIpvsYaml(), true),
};
