import { parseCidr, type Ipv4 } from '../net/addr.ts';
import type { NetNs } from '../linux/netns.ts';
import type { World } from '../linux/world.ts';
import type { ClusterSpec, HostSpec, NodeSpec } from './spec.ts';

/**
 * The machines before Kubernetes touches them: a node's NIC with its DHCP lease and routes
 * (`proto dhcp … metric 100`, as systemd-networkd installs them in the seed's `ip route`) or,
 * on a network with `addressing: static`, a fixed address and `default via … proto static`
 * (systemd-networkd's [Route] Gateway=); and the LAN's other hosts with static addresses.
 */
export function provisionNode(world: World, spec: ClusterSpec, node: NodeSpec): NetNs {
  const ns = world.createNs(node.name, 'root', 'root');
  const net = spec.networks.find((n) => n.name === node.network)!;
  const nic = world.addNic(ns, node.nic, net.name);
  const len = parseCidr(net.cidr).len;
  if (net.addressing === 'static') {
    ns.addAddress(nic, { addr: node.internalIP, prefixLen: len });
    if (net.gateway) ns.fib.add({ dst: parseCidr('0.0.0.0/0'), via: net.gateway, dev: nic.name, proto: 'static', scope: 'global', type: 'unicast' });
  } else ns.addAddress(nic, { addr: node.internalIP, prefixLen: len, dynamic: true, metric: 100 });
  if (net.gateway && net.addressing === 'dhcp') {
    // systemd-networkd's DHCP routes: the default route and a host route to the gateway
    ns.fib.add({ dst: parseCidr('0.0.0.0/0'), via: net.gateway, dev: nic.name, proto: 'dhcp', scope: 'global', src: node.internalIP, metric: 100, type: 'unicast' });
    ns.fib.add({ dst: parseCidr(`${net.gateway}/32`), dev: nic.name, proto: 'dhcp', scope: 'link', src: node.internalIP, metric: 100, type: 'unicast' });
  }
  // kubelet and flannel need both (seed §3b summary: "The host must have IP forwarding enabled")
  ns.sysctl.ipForward = true;
  ns.sysctl.bridgeNfCallIptables = true;
  ns.listeners.push({ proto: 'tcp', port: 22, process: 'sshd' }, { proto: 'tcp', port: 10250, process: 'kubelet' });
  if (node.controlPlane) ns.listeners.push({ proto: 'tcp', port: 6443, process: 'kube-apiserver' });
  return ns;
}

export function provisionHost(world: World, host: HostSpec): NetNs {
  const ns = world.createNs(host.name, 'root', 'root');
  for (const i of host.interfaces) {
    const nic = world.addNic(ns, i.name, i.network);
    ns.addAddress(nic, { addr: i.address, prefixLen: i.prefixLen });
  }
  const gwDev = (via: Ipv4) => host.interfaces.find((i) => parseCidr(`${i.address}/${i.prefixLen}`).net === (parseCidr(`${via}/${i.prefixLen}`).net))?.name;
  if (host.gateway) {
    const dev = gwDev(host.gateway);
    if (dev) ns.fib.add({ dst: parseCidr('0.0.0.0/0'), via: host.gateway, dev, proto: 'static', scope: 'global', type: 'unicast' });
  }
  for (const r of host.routes) {
    const dev = gwDev(r.via);
    if (dev) ns.fib.add({ dst: parseCidr(r.dst), via: r.via, dev, proto: 'static', scope: 'global', type: 'unicast' });
  }
  ns.sysctl.ipForward = host.ipForward;
  for (const l of host.listen) ns.listeners.push({ proto: l.protocol === 'UDP' ? 'udp' : 'tcp', port: l.port, process: l.process });
  return ns;
}
