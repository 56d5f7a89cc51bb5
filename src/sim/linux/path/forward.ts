import { ipIndex } from '../../net/edit.ts';
import { ipLength } from '../../net/encode.ts';
import type { Ipv4Layer } from '../../net/packet.ts';
import type { RouteMatch } from '../fib.ts';
import type { NetNs } from '../netns.ts';
import { nsLabel } from './describe.ts';
import { icmpError } from './icmp.ts';
import { hook, applyVerdict } from './netfilter.ts';
import { postRouting } from './output.ts';
import { type Skb, ip } from './skb.ts';
import type { PacketWalk } from './walk.ts';

// Forwarding (net/ipv4/ip_forward.c): the host acting as a router.

/** ip_forward: the host acts as a router (net.ipv4.ip_forward=1). */
export function forward(w: PacketWalk, ns: NetNs, skb: Skb, m: RouteMatch): void {
  if (!ns.sysctl.ipForward) {
    return w.drop(ns, skb, 'IP_FORWARD_DISABLED', `${ip(skb).dst} is not local and net.ipv4.ip_forward = 0 in ${nsLabel(ns)}`);
  }
  const i = ipIndex(skb.packet);
  const ttl = (skb.packet[i] as Ipv4Layer).ttl;
  if (ttl <= 1) {
    const sent = icmpError(w, ns, skb, 11, 0, false);
    return w.drop(ns, skb, 'TTL_EXPIRED', `TTL ${ttl} would reach 0 here; ${sent}`);
  }
  // ip_forward checks the next hop's MTU before the FORWARD hook (ip_exceeds_mtu): the error is
  // about the packet as it came in, before POSTROUTING could masquerade it
  const out = ns.dev(m.route.dev);
  const len = ipLength(skb.packet);
  if (out && len > out.mtu && (skb.packet[i] as Ipv4Layer).df) {
    const sent = icmpError(w, ns, skb, 3, 4, false, out.mtu);
    return w.drop(ns, skb, 'FRAG_NEEDED', `${len} bytes with DF set exceed ${out.name}'s MTU ${out.mtu}; ${sent} (mtu ${out.mtu})`, out.name);
  }
  const changed = w.edit(skb, i, { ttl: ttl - 1 });
  w.emit(ns, 'forward', skb, {
    changed,
    explanation: `${ip(skb).dst} is not a local address and net.ipv4.ip_forward = 1, so ${ns.host} forwards it as a router: ip_forward decrements the TTL ${ttl} → ${ttl - 1}.`,
  });
  const v = hook(w, ns, skb, 'FORWARD', skb.inDev, m.route.dev);
  applyVerdict(w, ns, skb, v, 'FORWARD', false);
  postRouting(w, ns, skb, m.route.dev, m.route.via, false, false);
}
