import type { Ipv4 } from '../../net/addr.ts';
import { addedFields } from '../../net/edit.ts';
import { IPPROTO_UDP, type Ipv4Layer, type Layer, type Packet } from '../../net/packet.ts';
import type { TunDevice } from '../devices.ts';
import type { NetNs } from '../netns.ts';
import type { ProcessIo, UserProcess } from '../process.ts';
import { devRx } from './dev.ts';
import { nsLabel } from './describe.ts';
import { localOut } from './output.ts';
import type { Skb } from './skb.ts';
import { type PacketWalk, DEFAULT_TTL } from './walk.ts';

// The boundary to user space: a program gets a packet from a TUN fd or a UDP socket, and what it
// sends back re-enters the kernel through the same system calls any program uses.

/** What a UDP socket puts in front of the payload it sends: an IPv4 header (20) and a UDP header (8). */
const UDP_DATAGRAM_OVERHEAD = 28;

/**
 * The system calls `proc` in `ns` makes while it holds `skb`, each one recorded in the trace.
 * An skb that stands for fragments (ip_fragment ran before the TUN device) is read as separate
 * packets, one per fragment: each is sent in a datagram of its own, and the far end writes
 * each back as the fragment it was — the model walks them once, as it walks the fragments.
 */
export function processIo(w: PacketWalk, ns: NetNs, proc: UserProcess, skb: Skb): ProcessIo {
  return {
    ns,
    step(explanation, verdict) {
      w.emit(ns, 'user', skb, { explanation, ...(verdict !== undefined ? { verdict } : {}) });
    },
    edit(layer, patch, explanation) {
      const changed = w.edit(skb, layer, patch);
      w.emit(ns, 'user', skb, { changed, explanation });
      return skb.packet;
    },
    sendto(sport: number, dst: Ipv4, dport: number, payload: readonly Layer[], explanation: string) {
      // a fresh datagram from the socket: no conntrack, no mark; DF as Linux sets it for UDP
      // (IP_PMTUDISC_WANT), the source left to routing as for an unbound address
      const outer: Ipv4Layer = { type: 'ipv4', src: '0.0.0.0' as Ipv4, dst, ttl: DEFAULT_TTL, proto: IPPROTO_UDP, id: w.world.rng.int(0, 0xffff), df: true, dsfield: 0 };
      const out: Skb = {
        id: skb.id,
        packet: [outer, { type: 'udp', srcport: sport, dstport: dport }, ...payload],
        mark: 0,
        hops: skb.hops,
        ...(skb.fragMtu !== undefined ? { carriesFragments: skb.fragMtu + UDP_DATAGRAM_OVERHEAD } : {}),
      };
      w.emit(ns, 'encap', out, { changed: addedFields(out.packet, 0, 2), verdict: `sendto ${dst}:${dport}`, explanation });
      localOut(w, ns, out, false);
    },
    tunWrite(dev: TunDevice, packet: Packet, explanation: string) {
      const back: Skb = { id: skb.id, packet, mark: 0, hops: skb.hops, ...(skb.carriesFragments !== undefined ? { fragMtu: skb.carriesFragments - UDP_DATAGRAM_OVERHEAD } : {}) };
      w.emit(ns, 'decap', back, { dev: dev.name, verdict: `write ${dev.name}`, explanation });
      devRx(w, ns, dev, back);
    },
    tunInject(dev: TunDevice, packet: Packet, role: string) {
      w.queue.push({ ns, packet, role, isError: role === 'icmp-error', rxDev: dev.name });
    },
    discard(reason: string, explanation: string): never {
      return w.drop(ns, skb, reason, `${proc.name}: ${explanation}`);
    },
  };
}

/** A datagram for a UDP socket owned by a program that handles it (flanneld's UDP port). */
export function udpToProcess(w: PacketWalk, ns: NetNs, skb: Skb, proc: UserProcess, from: { ip: Ipv4; port: number }, payload: Packet): void {
  // recvfrom copies the payload out: from here on the program's buffer is the packet
  skb.packet = payload;
  skb.conn = undefined;
  w.emit(ns, 'user', skb, {
    verdict: proc.name,
    explanation: `The datagram is queued on ${proc.name}'s UDP socket and leaves the kernel: ${proc.name}, a process in ${nsLabel(ns)}, reads its ${payload.length ? 'payload' : 'empty payload'} from ${from.ip}:${from.port} with recvfrom(2) — one copy from kernel to user space.`,
  });
  proc.udpRecv!(processIo(w, ns, proc, skb), from, payload);
}
