import { ipIndex } from '../../net/edit.ts';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type Ipv4Layer, type Packet } from '../../net/packet.ts';
import type { NetNs } from '../netns.ts';
import { icmpName } from './icmp.ts';

// Words for the trace: what a send step says, how a namespace is named.

export function describeSend(role: string, p: Packet): string {
  const i = ipIndex(p);
  const ip4 = p[i] as Ipv4Layer;
  const l4 = p[i + 1];
  const unset = ip4.src === '0.0.0.0';
  const from = (port?: number) => (unset ? `port ${port}` : `${ip4.src}${port !== undefined ? `:${port}` : ''}`);
  const note = unset ? ' The source address is not set yet: the route lookup picks it.' : '';
  if (l4?.type === 'tcp') {
    const flags = tcpFlagNames(l4.flags);
    const who = role === 'reset' ? 'The kernel sends' : role === 'ack' ? 'The client completes the handshake with' : role === 'reply' ? 'The server answers with' : 'A socket sends';
    return `${who} TCP ${flags} from ${from(l4.srcport)} to ${ip4.dst}:${l4.dstport} (TTL ${ip4.ttl}).${note}`;
  }
  if (l4?.type === 'udp') return `A socket sends UDP from ${from(l4.srcport)} to ${ip4.dst}:${l4.dstport} (TTL ${ip4.ttl}).${note}`;
  if (l4?.type === 'icmp') return `${role === 'icmp-error' ? 'The kernel sends' : 'Sending'} ICMP ${icmpName(l4)}${unset ? '' : ` from ${ip4.src}`} to ${ip4.dst} (TTL ${ip4.ttl}).${note}`;
  return `Sending${unset ? '' : ` from ${ip4.src}`} to ${ip4.dst}.${note}`;
}

/** A segment's control flags in words, as a trace says them: `SYN+ACK`, `FIN+ACK`. */
export function tcpFlagNames(flags: number): string {
  return [(flags & TCP_SYN) !== 0 ? 'SYN' : '', (flags & TCP_FIN) !== 0 ? 'FIN' : '', (flags & TCP_ACK) !== 0 ? 'ACK' : '', (flags & TCP_RST) !== 0 ? 'RST' : ''].filter(Boolean).join('+');
}

export function nsLabel(ns: NetNs): string {
  return ns.name === 'root' ? `${ns.host}'s root namespace` : `${ns.name}'s namespace on ${ns.host}`;
}

export function intToDotted(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}
