import { parse, stringify } from 'yaml';
import type { Backend, FlannelBackend, ProxyMode } from '../../src/sim/api-types.ts';
import { Rng } from '../../src/sim/rng.ts';
import { CLUSTER_PRESETS } from '../../src/sim/scenarios/clusters.ts';
import { generateClusterYaml } from '../../src/sim/scenarios/generate.ts';

/** One cluster the suite builds in both worlds. */
export interface SuiteCluster {
  readonly name: string;
  readonly yaml: string;
  readonly backend: Backend;
  /** kube-proxy's mode (default iptables) */
  readonly proxy?: ProxyMode;
  /** the model's PRNG seed (MACs, veth names, random draws) */
  readonly seed: number;
}

/**
 * The seed cluster in both backends, with kube-proxy in nftables mode, on Calico in BGP mode
 * and on flannel udp, its §6 moment, the two-subnet preset, and generated
 * clusters from fixed seeds: 2–4 nodes, 1–3 pods each, /24, /25 or /26 pod subnets, 1–3
 * services with 1–3 endpoints, vxlan or host-gw, and sometimes a client that routes the cluster
 * network through the first node (so a node forwards traffic from the LAN into the overlay).
 */
export function suiteClusters(generated = 20): SuiteCluster[] {
  const out: SuiteCluster[] = [
    { name: 'seed', yaml: CLUSTER_PRESETS.seed!.yaml, backend: 'vxlan', seed: 1 },
    { name: 'seed host-gw', yaml: CLUSTER_PRESETS.seed!.yaml, backend: 'host-gw', seed: 1 },
    { name: 'seed-section6', yaml: CLUSTER_PRESETS['seed-section6']!.yaml, backend: 'vxlan', seed: 2 },
    { name: 'two-subnets vxlan', yaml: CLUSTER_PRESETS['two-subnets']!.yaml, backend: 'vxlan', seed: 3 },
  ];
  // kube-proxy in nftables mode on the seed: table ip kube-proxy loaded with the real nft
  out.push({ name: 'seed nftables', yaml: CLUSTER_PRESETS.seed!.yaml, backend: 'vxlan', proxy: 'nftables', seed: 1 });
  // Calico without a tunnel (ipipMode Never): cali veths with proxy ARP, BIRD's routes, Felix's
  // chains and ipsets — what this kernel can build (IPIP needs the ipip module it lacks)
  out.push({ name: 'seed-calico bgp', yaml: CLUSTER_PRESETS['seed-calico']!.yaml, backend: 'bgp', seed: 1 });
  // flannel udp: flannel0 read by a python3 copy of flanneld's proxy that the export starts
  out.push({ name: 'seed udp', yaml: CLUSTER_PRESETS.seed!.yaml, backend: 'udp', seed: 1 });
  for (let i = 1; i <= generated; i++) {
    const rng = new Rng(1000 + i);
    const nodes = rng.int(2, 4);
    const podPrefix = [24, 25, 26][rng.int(0, 2)]!;
    const backend: FlannelBackend = rng.int(0, 1) === 0 ? 'vxlan' : 'host-gw';
    const addressing = rng.int(0, 2) === 0 ? ('static' as const) : ('dhcp' as const);
    const o = { nodes, podsPerNode: rng.int(1, 3), services: rng.int(1, 3), endpointsPerService: rng.int(1, 3), podPrefix, backend, addressing };
    let yaml = generateClusterYaml(o);
    const clientRoute = rng.int(0, 1) === 1;
    if (clientRoute) yaml = routeClientThroughFirstNode(yaml);
    out.push({ name: `gen-${i} (${nodes} nodes × ${o.podsPerNode} pods, /${podPrefix}, ${o.services} svc × ${o.endpointsPerService}, ${backend}, ${addressing}${clientRoute ? ', client route' : ''})`, yaml, backend, seed: 100 + i });
  }
  return out;
}

/** The client gets `10.42.0.0/16 via <first node>`: traffic from the LAN enters the pod network there. */
function routeClientThroughFirstNode(yaml: string): string {
  const doc = parse(yaml) as { items: Record<string, any>[] };
  const first = doc.items.find((o) => o.kind === 'Node');
  const node = first?.status.addresses.find((a: { type: string }) => a.type === 'InternalIP').address as string;
  for (const o of doc.items) {
    if (o.kind === 'Host' && o.metadata.name === 'client') o.spec.routes = [{ dst: '10.42.0.0/16', via: node }];
  }
  return stringify(doc);
}
