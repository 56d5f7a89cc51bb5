import { cniOf, type CalicoBackend, type FlannelBackend, type Modes } from '../api-types.ts';
import type { NetNs } from '../linux/netns.ts';
import { World } from '../linux/world.ts';
import { backendOfPools } from './calico/ipam.ts';
import type { CalicoState } from './calico/node.ts';
import { cniAdd } from './cni-bridge.ts';
import { dockerUp, type DockerRuntime } from './docker.ts';
import { flannelMtu, flannelUp, type Lease } from './flannel.ts';
import { flannelIptables } from './flannel-iptables.ts';
import { syncKubeProxy } from './kube-proxy/controller.ts';
import { provisionHost, provisionNode } from './machines.ts';
import { parts } from '../parts.ts';
import { podKey } from './names.ts';
import type { ClusterSpec, PodSpec } from './spec.ts';

/** A cluster brought up in the kernel model: the world plus where each object's namespace is. */
export interface Cluster {
  readonly world: World;
  readonly spec: ClusterSpec;
  readonly modes: Required<Modes>;
  readonly nodes: ReadonlyMap<string, NetNs>;
  readonly hosts: ReadonlyMap<string, NetNs>;
  /** by `namespace/name`, as Kubernetes keys pods; a hostNetwork pod's is its node's root namespace */
  readonly pods: ReadonlyMap<string, NetNs>;
  /** flanneld's leases (flannel backends), one per live Node */
  readonly leases: readonly Lease[];
  /** what calico-node programmed (Calico backends) */
  readonly calico?: CalicoState;
  /** where each Docker container's processes run (host mode: its host's root namespace) */
  readonly containers: ReadonlyMap<string, NetNs>;
  /** what the controllers logged while programming the nodes (errors a user should see) */
  readonly notes: readonly string[];
  /** the Docker daemons' networks and containers, for the docker CLI */
  readonly docker: DockerRuntime;
}

/**
 * The modes in force: what the user picked, else what the cluster file says — Calico's IPPool
 * when the file has one (it runs Calico), else the kube-flannel-cfg and kube-proxy ConfigMaps.
 */
export function resolveModes(spec: ClusterSpec, modes: Modes): Required<Modes> {
  return {
    proxy: modes.proxy ?? spec.kubeProxy.mode,
    backend: modes.backend ?? (spec.ipPools.length > 0 ? backendOfPools(spec.ipPools) : spec.flannel.backend),
    scheduler: modes.scheduler ?? spec.kubeProxy.scheduler,
  };
}

/**
 * Boots the cluster the way it happens on real machines: the hosts come up with their NICs and
 * DHCP routes; flanneld takes its lease and programs the backend; the CNI bridge plugin wires
 * each pod; flanneld's and kube-proxy's iptables rules are synced. Nothing here knows a flow.
 */
export function buildCluster(spec: ClusterSpec, modesIn: Modes, seed: number): Cluster {
  const modes = resolveModes(spec, modesIn);
  const world = new World(seed);
  const hosts = new Map<string, NetNs>();
  for (const h of spec.hosts) hosts.set(h.name, provisionHost(world, h));
  // Docker hosts: the machine, then dockerd's networks and containers (seed §2)
  const docker = dockerUp(world, spec.docker);
  for (const [name, ns] of docker.hosts) hosts.set(name, ns);
  const nodes = new Map<string, NetNs>();
  for (const n of spec.nodes) nodes.set(n.name, provisionNode(world, spec, n));

  /** by `namespace/name`, as Kubernetes keys pods */
  const pods = new Map<string, NetNs>();
  const netnsName = podNetnsNames(spec.pods);
  const notes: string[] = [];
  const podsByNode = new Map<string, PodSpec[]>();
  for (const p of spec.pods) {
    const list = podsByNode.get(p.nodeName);
    if (list) list.push(p);
    else podsByNode.set(p.nodeName, [p]);
  }
  let leases: Lease[] = [];
  let calico: CalicoState | undefined;
  if (cniOf(modes.backend) === 'calico') {
    const up = parts.calico.get().calicoUp(world, spec, nodes, modes.backend as CalicoBackend, pods, netnsName);
    calico = up.state;
    notes.push(...up.notes);
  } else {
    const backend = modes.backend as FlannelBackend;
    // a Node deleted from the API has no lease: the other flanneld's forget its subnet
    leases = spec.nodes.filter((n) => !n.deleted).map((n) => ({ node: n.name, subnet: n.podCIDR, publicIP: n.internalIP, vtepMac: n.vtepMac ?? world.randomMac() }));
    for (const n of spec.nodes) {
      if (n.deleted) continue;
      notes.push(...flannelUp(world, nodes.get(n.name)!, n, leases, { ...spec.flannel, ...(backend === 'udp' && spec.flannel.backend !== 'udp' ? { port: 8285 } : {}) }, backend));
    }
    for (const n of spec.nodes) {
      const ns = nodes.get(n.name)!;
      const mtu = flannelMtu(backend, ns.dev(n.nic)!.mtu);
      for (const p of podsByNode.get(n.name) ?? []) {
        // kubelet runs a hostNetwork pod in the node's own namespace: no CNI ADD, no veth
        if (p.hostNetwork) pods.set(podKey(p), ns);
        else pods.set(podKey(p), cniAdd(world, ns, p, { bridge: 'cni0', mtu, subnet: n.podCIDR, network: spec.flannel.network }, netnsName.get(podKey(p))!));
      }
      if (spec.flannel.enableNFTables) {
        const r = parts.flannelNftables.get().flannelNftables(ns, spec.flannel.network, n.podCIDR);
        if (!r.ok) notes.push(`flanneld on ${n.name}: nftables: ${r.error}`);
      } else flannelIptables(ns, spec.flannel.network, n.podCIDR);
    }
  }
  const cluster: Cluster = { world, spec, modes, nodes, hosts, pods, leases, ...(calico ? { calico } : {}), notes, containers: docker.containers, docker };
  syncKubeProxy(cluster);
  if (calico) notes.push(...parts.calico.get().felixUp(calico, nodes));
  return cluster;
}

/**
 * The name each pod's network namespace is shown under: the pod's name, or `namespace/name`
 * when another namespace has a pod of the same name (valid in Kubernetes, ambiguous on screen).
 */
export function podNetnsNames(pods: readonly PodSpec[]): Map<string, string> {
  const count = new Map<string, number>();
  for (const p of pods) count.set(p.name, (count.get(p.name) ?? 0) + 1);
  return new Map(pods.map((p) => [podKey(p), count.get(p.name)! > 1 ? podKey(p) : p.name]));
}
