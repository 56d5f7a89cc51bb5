import type { Modes } from '../api-types.ts';
import type { NetNs } from '../linux/netns.ts';
import { World } from '../linux/world.ts';
import { cniAdd } from './cni-bridge.ts';
import { dockerUp, type DockerRuntime } from './docker.ts';
import { flannelMtu, flannelUp, type Lease } from './flannel.ts';
import { flannelIptables } from './flannel-iptables.ts';
import { syncKubeProxy } from './kube-proxy/controller.ts';
import { provisionHost, provisionNode } from './machines.ts';
import type { ClusterSpec, PodSpec } from './spec.ts';

/** A cluster brought up in the kernel model: the world plus where each object's namespace is. */
export interface Cluster {
  readonly world: World;
  readonly spec: ClusterSpec;
  readonly modes: Required<Modes>;
  readonly nodes: ReadonlyMap<string, NetNs>;
  readonly hosts: ReadonlyMap<string, NetNs>;
  readonly pods: ReadonlyMap<string, NetNs>;
  readonly leases: readonly Lease[];
  /** where each Docker container's processes run (host mode: its host's root namespace) */
  readonly containers: ReadonlyMap<string, NetNs>;
  /** what the controllers logged while programming the nodes (errors a user should see) */
  readonly notes: readonly string[];
  /** the Docker daemons' networks and containers, for the docker CLI */
  readonly docker: DockerRuntime;
}

/** The modes in force: what the user picked, else what the cluster file's ConfigMaps say. */
export function resolveModes(spec: ClusterSpec, modes: Modes): Required<Modes> {
  return {
    proxy: modes.proxy ?? spec.kubeProxy.mode,
    backend: modes.backend ?? spec.flannel.backend,
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

  const leases: Lease[] = spec.nodes.map((n) => ({
    node: n.name,
    subnet: n.podCIDR,
    publicIP: n.internalIP,
    vtepMac: n.vtepMac ?? world.randomMac(),
  }));
  const notes: string[] = [];
  for (const n of spec.nodes) notes.push(...flannelUp(world, nodes.get(n.name)!, n, leases, spec.flannel, modes.backend));

  const pods = new Map<string, NetNs>();
  const podsByNode = new Map<string, PodSpec[]>();
  for (const p of spec.pods) {
    const list = podsByNode.get(p.nodeName);
    if (list) list.push(p);
    else podsByNode.set(p.nodeName, [p]);
  }
  for (const n of spec.nodes) {
    const ns = nodes.get(n.name)!;
    const mtu = flannelMtu(modes.backend, ns.dev(n.nic)!.mtu);
    for (const p of podsByNode.get(n.name) ?? []) {
      pods.set(p.name, cniAdd(world, ns, p, { bridge: 'cni0', mtu, subnet: n.podCIDR, network: spec.flannel.network }));
    }
    flannelIptables(ns, spec.flannel.network, n.podCIDR);
  }
  const cluster: Cluster = { world, spec, modes, nodes, hosts, pods, leases, notes, containers: docker.containers, docker };
  syncKubeProxy(cluster);
  return cluster;
}
