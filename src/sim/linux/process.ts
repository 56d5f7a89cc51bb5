import type { Ipv4, Prefix } from '../net/addr.ts';
import type { Layer, Packet } from '../net/packet.ts';
import type { TunDevice } from './devices.ts';
import type { NetNs } from './netns.ts';

/**
 * A user-space program the packet path hands packets to: the process reading a TUN device's
 * file descriptor, or the owner of a bound UDP socket. The kernel model knows only these two
 * system-call boundaries; what the program does between them (flanneld's udp proxy) is the
 * program's own code, supplied by whoever started it.
 */
export interface UserProcess {
  readonly name: string;
  /** read(2) on the TUN fd returned the packet the kernel transmitted on `dev` */
  tunRead?(io: ProcessIo, dev: TunDevice, packet: Packet): void;
  /** recvfrom(2) on its UDP socket returned `payload`, sent from `from` */
  udpRecv?(io: ProcessIo, from: { readonly ip: Ipv4; readonly port: number }, payload: Packet): void;
  /** the addresses it sends to (its own table, e.g. flanneld's leases), for drawing the overlay */
  peers?(): readonly Ipv4[];
  /**
   * What it holds as a TUN ↔ UDP proxy (flanneld's udp backend): the table and addresses a real
   * program needs to do the same, so `export --netns` can start one on a real kernel
   */
  tunUdpProxy?(): TunUdpProxyState;
}

/** A user-space TUN ↔ UDP proxy's state: packets read from `tun` go by `routes` in UDP datagrams, datagrams received are written back. */
export interface TunUdpProxyState {
  readonly tun: string;
  /** the source of the ICMP errors it makes itself */
  readonly tunIp: Ipv4;
  /** its read buffer: a longer packet is cut to this */
  readonly mtu: number;
  /** its UDP socket's address */
  readonly bind: Ipv4;
  readonly port: number;
  readonly routes: readonly { readonly dst: Prefix; readonly nextHop: Ipv4; readonly port: number }[];
}

/** The system calls a process makes while it handles a packet; each becomes steps of the trace. */
export interface ProcessIo {
  readonly ns: NetNs;
  /** what the program decided, as a trace step in user space (its log line, its table lookup) */
  step(explanation: string, verdict?: string): void;
  /** the program rewrites fields of one header of the packet in its buffer (flanneld's TTL) */
  edit(layer: number, patch: Readonly<Record<string, unknown>>, explanation: string): Packet;
  /**
   * sendto(2) on its UDP socket bound to `sport`: the payload leaves in a new datagram through
   * ip_local_out, like any socket's
   */
  sendto(sport: number, dst: Ipv4, dport: number, payload: readonly Layer[], explanation: string): void;
  /** write(2) on the TUN fd: `packet` enters the kernel as if `dev` had received it */
  tunWrite(dev: TunDevice, packet: Packet, explanation: string): void;
  /** write(2) of a packet the program made itself (an ICMP error): it enters the kernel on `dev` after this one */
  tunInject(dev: TunDevice, packet: Packet, role: string): void;
  /** the program drops the packet (it logs and returns to poll), ending this packet's walk */
  discard(reason: string, explanation: string): never;
}
