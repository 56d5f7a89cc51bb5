import type { CalicoBackend } from '../../api-types.ts';
import type { NetNs } from '../../linux/netns.ts';
import type { World } from '../../linux/world.ts';
import { podKey } from '../names.ts';
import type { ClusterSpec, NodeSpec } from '../spec.ts';
import { bgpAddress, birdUp, type BgpPeer } from './bird.ts';
import { calicoCniAdd, calicoVethName } from './cni.ts';
import { felixSync, type FelixConfig } from './felix.ts';
import { assignBlocks, effectivePools, type CalicoIpam } from './ipam.ts';

/** IPIP's 20-byte outer header: Felix's IpInIpMtu and the pods' veth MTU (veth_mtu "0": auto-detected). */
export const IPIP_OVERHEAD = 20;

/** What calico-node left behind on the cluster, for `calicoctl` and the topology. */
export interface CalicoState {
  readonly backend: CalicoBackend;
  readonly ipam: CalicoIpam;
  /** BGP sessions per node */
  readonly peers: ReadonlyMap<string, readonly BgpPeer[]>;
  /** what Felix renders each node's rules from (its workloads, pools, hosts) */
  readonly felix: ReadonlyMap<string, FelixConfig>;
}

/**
 * Calico on every node, in the order a node comes up: calico-node's startup (the IP pools,
 * the ipip module and tunl0 when a pool uses IPIP), BIRD's routes, then the CNI plugin for each
 * pod. Felix's iptables sync (felixUp) runs once kube-proxy has written its rules, as Felix's
 * periodic refresh would leave them: its jumps back on top of the built-in chains. Pods get their
 * veth from the CNI plugin; nothing here looks at a flow.
 */
export function calicoUp(world: World, spec: ClusterSpec, nodes: ReadonlyMap<string, NetNs>, backend: CalicoBackend, pods: Map<string, NetNs>, netnsName: ReadonlyMap<string, string>): { state: CalicoState; notes: string[] } {
  const pools = effectivePools(spec, backend);
  const ipip = pools.some((p) => !p.disabled && p.ipipMode !== 'Never');
  const ipam = assignBlocks(spec, pools, ipip);
  const notes = [...ipam.notes];
  const peers = new Map<string, BgpPeer[]>();
  const felix = new Map<string, FelixConfig>();
  for (const node of spec.nodes) {
    const ns = nodes.get(node.name)!;
    const nic = ns.dev(node.nic)!;
    const mtu = ipip ? nic.mtu - IPIP_OVERHEAD : nic.mtu;
    if (ipip) configureTunl0(world, ns, ipam.tunnelAddr.get(node.name), nic.mtu - IPIP_OVERHEAD);
    const net = spec.networks.find((n) => n.name === node.network)?.cidr;
    // a deleted Node is gone from the datastore: no calico-node config, no peers for it
    if (!node.deleted) peers.set(node.name, birdUp(ns, node, spec.nodes, ipam, bgpAddress(node, net), node.nic, world.timeUs));
    const workloads = [];
    for (const pod of spec.pods.filter((p) => p.nodeName === node.name)) {
      // a hostNetwork pod runs in the node's namespace: no workload endpoint
      if (pod.hostNetwork) {
        pods.set(podKey(pod), ns);
        continue;
      }
      pods.set(podKey(pod), calicoCniAdd(world, ns, pod, mtu, ipip, netnsName.get(podKey(pod))));
      workloads.push({ iface: calicoVethName(pod.namespace, pod.name), namespace: pod.namespace, serviceAccount: 'default' });
    }
    felix.set(node.name, {
      ipipEnabled: ipip,
      tunnelAddr: ipam.tunnelAddr.get(node.name),
      workloads,
      masqPools: pools.filter((p) => p.natOutgoing && !p.disabled).map((p) => p.cidr),
      allPools: pools.map((p) => p.cidr),
      hostIPs: liveNodes(spec).map((n) => n.internalIP),
    });
  }
  return { state: { backend, ipam, peers, felix }, notes };
}

/** Felix's iptables sync on every node; returns what failed, for the cluster's notes. */
export function felixUp(state: CalicoState, nodes: ReadonlyMap<string, NetNs>): string[] {
  const notes: string[] = [];
  for (const [name, cfg] of state.felix) {
    const r = felixSync(nodes.get(name)!, cfg);
    if (!r.ok) notes.push(`felix on ${name}: iptables-restore failed: ${r.error}`);
  }
  return notes;
}

function liveNodes(spec: ClusterSpec): NodeSpec[] {
  return spec.nodes.filter((n) => !n.deleted);
}

/**
 * `modprobe ipip` (Felix, when an IP pool uses IPIP) creates tunl0; Felix gives it the node's
 * tunnel address as a /32, sets IpInIpMtu and brings it up (intdataplane's ipipManager).
 */
function configureTunl0(world: World, ns: NetNs, addr: string | undefined, mtu: number): void {
  const dev = world.addIpipFallback(ns);
  dev.mtu = mtu;
  if (addr) ns.addAddress(dev, { addr: addr as never, prefixLen: 32 });
  dev.up = true;
  ns.invalidateAddrs();
}
