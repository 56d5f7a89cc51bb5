import { ipIndex, ipOf, l4Of } from '../../net/edit.ts';
import { IPPROTO_IPIP, TCP_SYN } from '../../net/packet.ts';
import type { Device } from '../devices.ts';
import type { NetNs } from '../netns.ts';
import { conntrackIn, confirm } from './conntrack.ts';
import { nsLabel, tcpFlagNames } from './describe.ts';
import { forward } from './forward.ts';
import { icmpError, echoReply, tcpReset, icmpName } from './icmp.ts';
import { ipipRcv } from './ipip.ts';
import { ipvsIn } from './ipvs.ts';
import { hook, applyVerdict, NF_IP_PRI_NAT_SRC } from './netfilter.ts';
import { emitRoute, reassemble } from './output.ts';
import { udpToProcess } from './process.ts';
import { type Skb, ip } from './skb.ts';
import { vxlanRcv } from './vxlan.ts';
import type { PacketWalk } from './walk.ts';

// The input path (net/ipv4/ip_input.c): ip_rcv → PREROUTING → routing → ip_local_deliver, and what local sockets do with it.

/** ip_rcv → PREROUTING → ip_route_input → ip_local_deliver | ip_forward. */
export function ipRcv(w: PacketWalk, ns: NetNs, dev: Device, skb: Skb): void {
  skb.inDev = dev.name;
  if (!skb.brnfDone) {
    conntrackIn(w, ns, skb, 'PREROUTING');
    const v = hook(w, ns, skb, 'PREROUTING', dev.name, undefined);
    applyVerdict(w, ns, skb, v, 'PREROUTING', false);
  }
  const ip = ipOf(skb.packet)!;
  // fib_validate_source (net/ipv4/fib_frontend.c): "Within the same container, it is regarded as
  // a martian source" — a packet arriving on a device with one of this namespace's own addresses
  // as its source is dropped without an ICMP error (a routing loop back to the masquerading node)
  if (dev.kind !== 'loopback' && ns.isLocal(ip.src)) {
    return w.drop(ns, skb, 'IP_LOCAL_SOURCE', `martian source ${ip.src} from ${dev.name}: ${ip.src} is an address of ${nsLabel(ns)} itself, so the packet cannot have come from elsewhere; no ICMP error is sent`, dev.name);
  }
  if (ns.isLocal(ip.dst) || ns.isBroadcast(ip.dst)) {
    w.emit(ns, 'route', skb, {
      dev: ns.deviceWithAddr(ip.dst)?.name ?? dev.name,
      ref: { table: 'route', text: `local ${ip.dst} dev ${ns.deviceWithAddr(ip.dst)?.name ?? 'lo'} table local proto kernel scope host src ${ip.dst}` },
      verdict: 'local',
      explanation: `${ip.dst} is a local address of ${nsLabel(ns)}${ns.deviceWithAddr(ip.dst) ? ` (on ${ns.deviceWithAddr(ip.dst)!.name})` : ''}: routed to the INPUT path for local delivery.`,
    });
    localDeliver(w, ns, dev, skb);
    return;
  }
  const m = w.lookup(ns, ip.dst);
  if (!m) {
    w.emit(ns, 'route', skb, { dev: dev.name, ref: { table: 'route' }, verdict: 'no route', explanation: `No route in ${nsLabel(ns)} matches ${ip.dst}.` });
    const sent = icmpError(w, ns, skb, 3, 0, false);
    return w.drop(ns, skb, 'ENETUNREACH', `no route to ${ip.dst}; ${sent}`);
  }
  emitRoute(w, ns, skb, ip.dst, m);
  if (m.route.type !== 'unicast') {
    // fib_lookup fails with the type's error; ip_route_input_slow makes an ip_error route:
    // a blackhole (EINVAL) drops silently, unreachable/prohibit answer ICMP; no FORWARD hook
    if (m.route.type === 'blackhole') return w.drop(ns, skb, 'BLACKHOLE', `${ip.dst} matches a blackhole route: ip_error discards it without an ICMP error`);
    const sent = icmpError(w, ns, skb, 3, m.route.type === 'unreachable' ? 1 : 13, false);
    return w.drop(ns, skb, m.route.type === 'unreachable' ? 'EHOSTUNREACH' : 'EACCES', `${ip.dst} matches an ${m.route.type} route; ${sent}`);
  }
  forward(w, ns, skb, m);
}

/** ip_local_deliver: INPUT hooks, local-in modules (IPVS), then the transport protocol. */
export function localDeliver(w: PacketWalk, ns: NetNs, dev: Device, skb: Skb): void {
  reassemble(w, ns, skb, 'ip_local_deliver (ip_defrag)');
  // IPVS's ip_vs_remote_request4 sits at LOCAL_IN priority NF_IP_PRI_NAT_SRC - 1: after mangle
  // and filter, before nat INPUT — a packet it takes never initialises the SNAT binding, so
  // POSTROUTING's MASQUERADE still applies to it
  const ipvsPriority = NF_IP_PRI_NAT_SRC - 1;
  const v = hook(w, ns, skb, 'INPUT', dev.name, undefined, { below: ipvsPriority });
  applyVerdict(w, ns, skb, v, 'INPUT', false);
  if (ns.ipvs && ipvsIn(w, ns, ns.ipvs, skb)) return;
  const nv = hook(w, ns, skb, 'INPUT', dev.name, undefined, { from: ipvsPriority });
  applyVerdict(w, ns, skb, nv, 'INPUT', false);
  confirm(w, ns, skb);
  const ip4 = ip(skb);
  const l4 = l4Of(skb.packet);
  if (ip4.proto === IPPROTO_IPIP) return ipipRcv(w, ns, skb);
  if (l4?.type === 'udp' && vxlanRcv(w, ns, skb)) return;
  if (l4?.type === 'icmp' && l4.icmp_type === 8) {
    deliver(w, ns, skb, `ICMP echo request for ${ip4.dst}: the kernel itself answers with an echo reply.`);
    w.queue.push({ ns, packet: echoReply(skb.packet), role: 'reply', isError: false });
    return;
  }
  if (l4?.type === 'icmp') {
    const quoted = skb.packet[ipIndex(skb.packet) + 2];
    if (l4.icmp_type === 3 && l4.code === 4 && l4.mtu && quoted?.type === 'ipv4') {
      // ip_rt_update_pmtu: the route to the quoted destination remembers the smaller MTU
      ns.learnPmtu(quoted.dst, l4.mtu, w.world.timeUs);
      deliver(w, ns, skb, `ICMP fragmentation needed from ${ip4.src}: the next hop's MTU is ${l4.mtu}. The kernel caches it as the path MTU to ${quoted.dst} for 10 minutes (ip route get shows it), then hands the error to the socket.`);
      return;
    }
    deliver(w, ns, skb, `ICMP ${icmpName(l4)} from ${ip4.src} reaches the socket that sent the original packet.`);
    return;
  }
  if (l4?.type === 'tcp' || l4?.type === 'udp') {
    const listener = ns.listeners.find((s) => s.proto === l4.type && s.port === l4.dstport);
    const proc = listener && ns.processes.get(listener.process);
    if (l4.type === 'udp' && proc?.udpRecv) {
      udpToProcess(w, ns, skb, proc, { ip: ip4.src, port: l4.srcport }, skb.packet.slice(ipIndex(skb.packet) + 2));
      return;
    }
    if (listener) {
      const what = l4.type === 'tcp' ? `TCP ${tcpFlagNames(l4.flags)}` : 'UDP';
      deliver(w, ns, skb, listener.process === 'client' ? `${what} delivered to the client's socket (${l4.type.toUpperCase()} port ${l4.dstport}).` : `${what} delivered to ${listener.process} listening on ${l4.type.toUpperCase()} port ${l4.dstport}.`);
      for (const sent of w.sockets.reply(ns, skb.packet)) w.queue.push({ ...sent, ns, isError: false });
      return;
    }
    if (l4.type === 'tcp' && (l4.flags & TCP_SYN) === 0) {
      deliver(w, ns, skb, `TCP segment for ${ip4.dst}:${l4.dstport} reaches the socket.`);
      return;
    }
    if (l4.type === 'tcp') {
      w.emit(ns, 'deliver', skb, { verdict: 'RST', explanation: `Nothing listens on TCP port ${l4.dstport}: the kernel answers with a RST (connection refused).` });
      w.finish(ns, 'delivered');
      w.queue.push({ ns, packet: tcpReset(skb.packet), role: 'reset', isError: false });
      return;
    }
    icmpError(w, ns, skb, 3, 3, false);
    w.emit(ns, 'deliver', skb, { verdict: 'port unreachable', explanation: `Nothing listens on UDP port ${l4.dstport}: the kernel answers ICMP port unreachable.` });
    w.finish(ns, 'delivered');
    return;
  }
  deliver(w, ns, skb, 'Delivered locally.');
}

export function deliver(w: PacketWalk, ns: NetNs, skb: Skb, explanation: string): void {
  w.emit(ns, 'deliver', skb, { verdict: 'delivered', explanation });
  w.finish(ns, 'delivered');
}
