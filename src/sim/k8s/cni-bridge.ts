import { intToIp, parseCidr, type Ipv4 } from '../net/addr.ts';
import type { BridgeDevice } from '../linux/devices.ts';
import type { NetNs } from '../linux/netns.ts';
import type { World } from '../linux/world.ts';
import type { PodSpec } from './spec.ts';

/**
 * The flannel CNI plugin's delegate config (flannel-io/cni-plugin flannel_linux.go): the
 * `bridge` plugin with `isDefaultGateway: true`, `hairpinMode: true`, the MTU from subnet.env,
 * and host-local IPAM over the node's subnet with a route to the whole flannel network.
 */
export interface BridgeConf {
  readonly bridge: string;
  readonly mtu: number;
  /** the node's pod subnet (FLANNEL_SUBNET's network) */
  readonly subnet: string;
  /** FLANNEL_NETWORK: ipam `routes: [{dst: <network>}]` */
  readonly network: string;
}

/**
 * `bridge` CNI ADD for one pod (containernetworking/plugins main/bridge/bridge.go): ensure cni0
 * with the gateway address `.1/<subnet len>`, create the veth pair (`vethXXXXXXXX` on the host,
 * `eth0` in the pod), enslave the host end with hairpin mode, give eth0 the pod IP and the
 * routes, and bring lo up.
 */
export function cniAdd(world: World, host: NetNs, pod: PodSpec, conf: BridgeConf): NetNs {
  const br = ensureBridge(world, host, conf);
  const podNs = world.createNs(host.host, pod.name, 'pod');
  const hostVeth = randomVethName(world, host);
  const [hostEnd, podEnd] = world.addVethPair(host, hostVeth, podNs, 'eth0', conf.mtu);
  world.enslave(br, hostEnd, true);
  const subnet = parseCidr(conf.subnet);
  const gw = intToIp(subnet.net + 1);
  podNs.addAddress(podEnd, { addr: pod.ip, prefixLen: subnet.len });
  // isDefaultGateway: default via the bridge's address; flannel's ipam adds the network route
  podNs.fib.add({ dst: parseCidr('0.0.0.0/0'), via: gw, dev: 'eth0', proto: 'boot', scope: 'global', type: 'unicast' });
  podNs.fib.add({ dst: parseCidr(conf.network), via: gw, dev: 'eth0', proto: 'boot', scope: 'global', type: 'unicast' });
  startPodProcesses(podNs, pod);
  return podNs;
}

/** The pod's containers start: each containerPort gets a listening socket (the lab's pods run nginx). */
export function startPodProcesses(podNs: NetNs, pod: PodSpec): void {
  for (const p of pod.ports) podNs.listeners.push({ proto: p.protocol === 'UDP' ? 'udp' : 'tcp', port: p.port, process: 'nginx' });
}

function ensureBridge(world: World, host: NetNs, conf: BridgeConf): BridgeDevice {
  const existing = host.dev(conf.bridge);
  if (existing?.kind === 'bridge') return existing;
  const br = world.addBridge(host, conf.bridge, conf.mtu);
  const subnet = parseCidr(conf.subnet);
  // host-local: "If the gateway is nil, claim .1"; isGateway puts it on the bridge with the subnet's mask
  host.addAddress(br, { addr: intToIp(subnet.net + 1) as Ipv4, prefixLen: subnet.len });
  br.fdb.push({ mac: br.mac, port: br.name, permanent: true, local: true });
  return br;
}

/** ip.RandomVethName: "veth" + 4 random bytes in hex. */
function randomVethName(world: World, host: NetNs): string {
  for (;;) {
    const name = `veth${world.rng.nextU32().toString(16).padStart(8, '0')}`;
    if (!host.dev(name)) return name;
  }
}
