import { parseCidr, type Ipv4, type Mac } from '../../net/addr.ts';
import type { NetNs } from '../../linux/netns.ts';
import type { World } from '../../linux/world.ts';
import { startPodProcesses } from '../cni-bridge.ts';
import { hex, sha1 } from '../digest.ts';
import type { PodSpec } from '../spec.ts';

/** cni-plugin dataplane_linux.go hostSideMAC: every host-side veth gets this MAC. */
export const CALICO_HOST_SIDE_MAC = 'ee:ee:ee:ee:ee:ee' as Mac;

/** The pod's gateway: a link-local address nobody owns, answered by proxy ARP on the host side. */
export const CALICO_POD_GATEWAY = '169.254.1.1' as Ipv4;

/**
 * libcalico-go VethNameForWorkload: "cali" + the first 11 hex digits of sha1("<namespace>.<pod>"),
 * so the host side's name is stable across restarts and Felix can find it from the pod alone.
 */
export function calicoVethName(namespace: string, pod: string): string {
  return `cali${hex(sha1(new TextEncoder().encode(`${namespace}.${pod}`))).slice(0, 11)}`;
}

/**
 * The Calico CNI plugin's ADD (cni-plugin pkg/dataplane/linux DoNetworking): a veth pair with
 * `eth0` in the pod and `caliXXXXXXXXXXX` on the host, no bridge. The host side gets the fixed MAC
 * ee:ee:ee:ee:ee:ee and proxy_arp=1, proxy_delay=0, forwarding=1; the pod gets its address as a
 * /32, `169.254.1.1 dev eth0 scope link` and `default via 169.254.1.1 dev eth0`. The host gets
 * a route to the pod's /32 through its veth (SetupRoutes), which Felix then keeps.
 */
export function calicoCniAdd(world: World, host: NetNs, pod: PodSpec, mtu: number, tunl0InPods: boolean): NetNs {
  const podNs = world.createNs(host.host, pod.name, 'pod');
  // the ipip module, loaded on the host, creates its fallback tunl0 in every new namespace
  if (tunl0InPods) world.addIpipFallback(podNs);
  const [hostEnd, podEnd] = world.addVethPair(host, calicoVethName(pod.namespace, pod.name), podNs, 'eth0', mtu);
  hostEnd.mac = CALICO_HOST_SIDE_MAC;
  hostEnd.proxyArp = true;
  podNs.addAddress(podEnd, { addr: pod.ip, prefixLen: 32 });
  podNs.fib.add({ dst: parseCidr(`${CALICO_POD_GATEWAY}/32`), dev: 'eth0', proto: 'boot', scope: 'link', type: 'unicast' });
  podNs.fib.add({ dst: parseCidr('0.0.0.0/0'), via: CALICO_POD_GATEWAY, dev: 'eth0', proto: 'boot', scope: 'global', type: 'unicast' });
  host.fib.add({ dst: parseCidr(`${pod.ip}/32`), dev: hostEnd.name, proto: 'boot', scope: 'link', type: 'unicast' });
  startPodProcesses(podNs, pod);
  return podNs;
}
