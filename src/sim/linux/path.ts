import { BROADCAST_MAC, type Ipv4, type Mac } from '../net/addr.ts';
import { addedFields, ipIndex, ipOf, l4Of, patchLayer } from '../net/edit.ts';
import { ipLength, VXLAN_OVERHEAD } from '../net/encode.ts';
import {
  ETHERTYPE_IPV4,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  TCP_ACK,
  TCP_RST,
  TCP_SYN,
  type EthernetLayer,
  type FieldChange,
  type IcmpLayer,
  type Ipv4Layer,
  type Layer,
  type Packet,
  type TcpLayer,
  type UdpLayer,
} from '../net/packet.ts';
import type { EventKind, PacketOutcome, TableRef, Trace, TraceEvent } from '../trace/event.ts';
import type { Connection, CtDirection, Tuple } from './conntrack.ts';
import type { BridgeDevice, Device, VxlanDevice } from './devices.ts';
import type { IpvsTable } from './ipvs.ts';
import type { RouteMatch } from './fib.ts';
import { runHook, type HookVerdict, type NatAction, type NfPacket } from './netfilter/engine.ts';
import type { CtState, HookName, TableName } from './netfilter/types.ts';
import type { NetNs } from './netns.ts';
import type { World } from './world.ts';

/** What the kernel knows about a packet besides its bytes (the sk_buff's metadata). */
interface Skb {
  readonly id: number;
  packet: Packet;
  mark: number;
  conn?: Connection;
  dir?: CtDirection;
  related?: boolean;
  /** br_netfilter already ran PREROUTING at the bridge port (ip_sabotage_in skips it in ip_rcv) */
  brnfDone?: boolean;
  physIn?: string;
  inDev?: string;
  hops: number;
}

/** How a local socket answers what it receives; the walk asks it when a packet is delivered. */
export interface SocketBehaviour {
  /** a reply to send from `ns` for a packet delivered to a listening socket, or nothing */
  reply(ns: NetNs, delivered: Packet): Packet | undefined;
}

/** A packet queued to be walked after the current one (replies, ICMP errors). */
interface Pending {
  readonly ns: NetNs;
  readonly packet: Packet;
  readonly role: string;
  /** ICMP errors must not trigger ICMP errors (RFC 1122, icmp_send) */
  readonly isError: boolean;
}

const MAX_HOPS = 64;
const MAX_PACKETS = 12;
const DEFAULT_TTL = 64;

class Dropped {
  constructor(readonly reason: string) {}
}

/**
 * The kernel's packet path over a World: ip_local_out → OUTPUT → routing → POSTROUTING →
 * neighbour → dev_queue_xmit; on the other side netif_receive_skb → bridge or ip_rcv →
 * PREROUTING → routing → INPUT (local delivery) or FORWARD. Every step becomes a TraceEvent;
 * what happens is decided only by the namespaces' tables.
 */
export class PacketWalk {
  private readonly events: TraceEvent[] = [];
  private readonly outcomes: PacketOutcome[] = [];
  private readonly queue: Pending[] = [];
  private current = 0;
  private ended?: Omit<PacketOutcome, 'rulesEvaluated' | 'rulesEvaluatedByHost'>;
  private readonly nfStats = { evaluated: 0 };
  private evaluatedByHost: Record<string, number> = {};

  constructor(
    private readonly world: World,
    private readonly sockets: SocketBehaviour,
  ) {}

  /** Sends `packet` (from its IPv4 header inwards) from a socket in `ns` and follows everything it causes. */
  run(ns: NetNs, packet: Packet, role = 'request'): Trace {
    this.queue.push({ ns, packet, role, isError: false });
    while (this.queue.length > 0 && this.current < MAX_PACKETS) {
      const next = this.queue.shift()!;
      this.walk(next);
      this.current++;
    }
    const first = this.outcomes[0]!;
    return { events: this.events, verdict: first.verdict, reason: first.reason, packets: this.outcomes };
  }

  private walk(p: Pending): void {
    const skb: Skb = { id: this.current, packet: p.packet, mark: 0, hops: 0 };
    this.ended = undefined;
    this.nfStats.evaluated = 0;
    this.evaluatedByHost = {};
    this.emit(p.ns, 'send', skb, {
      explanation: describeSend(p.role, p.packet),
    });
    try {
      this.localOut(p.ns, skb, p.isError);
      if (!this.ended) this.finish(p.ns, 'dropped', 'the packet was consumed without being delivered');
    } catch (e) {
      if (!(e instanceof Dropped)) throw e;
    }
    this.outcomes.push({ ...this.ended!, role: p.role, rulesEvaluated: this.nfStats.evaluated, rulesEvaluatedByHost: this.evaluatedByHost });
  }

  // ---------------------------------------------------------------- events

  private emit(
    ns: NetNs,
    kind: EventKind,
    skb: Skb,
    o: { dev?: string; hook?: HookName; ref?: TableRef; verdict?: string; reason?: string; changed?: readonly FieldChange[]; explanation: string; onWire?: boolean },
  ): void {
    this.world.tick(kind === 'wire' ? 60 : 2);
    this.events.push({
      seq: this.events.length,
      packetId: skb.id,
      host: ns.host,
      netns: ns.name,
      kind,
      dev: o.dev,
      hook: o.hook,
      ref: o.ref,
      verdict: o.verdict,
      reason: o.reason,
      packet: skb.packet,
      changed: o.changed ?? [],
      explanation: o.explanation,
      onWire: o.onWire,
      timeUs: this.world.timeUs,
    });
  }

  private drop(ns: NetNs, skb: Skb, reason: string, explanation: string, dev?: string): never {
    this.emit(ns, 'drop', skb, { dev, reason, explanation: `${explanation} (${reason})` });
    this.finish(ns, 'dropped', reason);
    throw new Dropped(reason);
  }

  private finish(ns: NetNs, verdict: 'delivered' | 'dropped', reason?: string): void {
    this.ended = { packetId: this.current, role: '', verdict, reason, host: ns.host, netns: ns.name };
  }

  private edit(skb: Skb, index: number, patch: Record<string, unknown>): FieldChange[] {
    const r = patchLayer(skb.packet, index, patch as never);
    skb.packet = r.packet;
    return r.changes;
  }

  // ---------------------------------------------------------------- output path

  /** ip_local_out for a packet a socket (or the kernel) in `ns` originates. */
  private localOut(ns: NetNs, skb: Skb, isError: boolean): void {
    let ip = ipOf(skb.packet)!;
    let rt = this.routeOutput(ns, skb, ip.dst);
    if (ip.src === '0.0.0.0') {
      const src = rt.route.src ?? ns.selectSrc(rt.route.dev, rt.route.via ?? ip.dst);
      if (!src) this.drop(ns, skb, 'EADDRNOTAVAIL', `no address to send from on ${rt.route.dev}`);
      this.edit(skb, ipIndex(skb.packet), { src });
    }
    this.conntrackIn(ns, skb, 'OUTPUT');
    const v = this.hook(ns, skb, 'OUTPUT', undefined, rt.route.dev);
    this.applyVerdict(ns, skb, v, 'OUTPUT', isError);
    ip = ipOf(skb.packet)!;
    if (ip.dst !== rt.dstChecked) rt = this.routeOutput(ns, skb, ip.dst); // ip_route_me_harder after DNAT
    if (rt.local) {
      this.postRouting(ns, skb, 'lo', undefined, true, isError);
      return;
    }
    this.postRouting(ns, skb, rt.route.dev, rt.route.via, true, isError);
  }

  private routeOutput(ns: NetNs, skb: Skb, dst: Ipv4): { route: { dev: string; via?: Ipv4; src?: Ipv4 }; local: boolean; dstChecked: Ipv4 } {
    if (ns.isLocal(dst)) {
      this.emit(ns, 'route', skb, {
        ref: { table: 'route', text: `local ${dst} dev ${ns.deviceWithAddr(dst)?.name ?? 'lo'} table local proto kernel scope host src ${dst}` },
        verdict: 'local',
        explanation: `${dst} is one of this namespace's own addresses (table local), so the packet loops back through lo.`,
      });
      return { route: { dev: 'lo', src: dst }, local: true, dstChecked: dst };
    }
    const m = this.lookup(ns, dst);
    if (!m) this.unreachable(ns, skb, dst);
    this.emitRoute(ns, skb, dst, m);
    return { route: m.route, local: false, dstChecked: dst };
  }

  private lookup(ns: NetNs, dst: Ipv4): RouteMatch | undefined {
    return ns.fib.lookup(dst, (dev) => ns.dev(dev)?.up === true);
  }

  private unreachable(ns: NetNs, skb: Skb, dst: Ipv4): never {
    this.emit(ns, 'route', skb, { ref: { table: 'route' }, verdict: 'no route', explanation: `No route in the main table matches ${dst}.` });
    return this.drop(ns, skb, 'ENETUNREACH', `Network is unreachable: no route to ${dst}`);
  }

  private emitRoute(ns: NetNs, skb: Skb, dst: Ipv4, m: RouteMatch): void {
    const r = m.route;
    const how = r.via ? `via ${r.via} dev ${r.dev}${r.onlink ? ' onlink' : ''}` : `dev ${r.dev} (directly connected)`;
    this.emit(ns, 'route', skb, {
      dev: r.dev,
      ref: { table: 'route', row: m.row },
      verdict: how,
      explanation: `Routing table lookup for ${dst}: the longest matching prefix is ${r.dst.len === 0 ? 'default' : `${intToDotted(r.dst.net)}/${r.dst.len}`}, so the next hop is ${r.via ?? dst} ${how}.`,
    });
  }

  /** POSTROUTING, then fragmentation check, then the neighbour layer (ip_output → ip_finish_output2). */
  private postRouting(ns: NetNs, skb: Skb, outDev: string, via: Ipv4 | undefined, local: boolean, isError: boolean): void {
    const v = this.hook(ns, skb, 'POSTROUTING', skb.inDev, outDev);
    this.applyVerdict(ns, skb, v, 'POSTROUTING', isError);
    this.confirm(ns, skb);
    const dev = ns.dev(outDev);
    if (!dev) return this.drop(ns, skb, 'ENODEV', `device ${outDev} does not exist`);
    if (dev.kind === 'loopback') {
      this.emit(ns, 'tx', skb, { dev: 'lo', explanation: 'Looped back through lo to this namespace.' });
      this.ipRcv(ns, dev, skb);
      return;
    }
    const len = ipLength(skb.packet);
    const ip = ipOf(skb.packet)!;
    if (len > dev.mtu) {
      if (ip.df) {
        if (local) return this.drop(ns, skb, 'EMSGSIZE', `Message too long: ${len} bytes with DF set exceed ${outDev}'s MTU ${dev.mtu}`, outDev);
        const sent = this.icmpError(ns, skb, 3, 4, isError, dev.mtu);
        return this.drop(ns, skb, 'FRAG_NEEDED', `${len} bytes with DF set exceed ${outDev}'s MTU ${dev.mtu}; ${sent} (mtu ${dev.mtu})`, outDev);
      }
    }
    const nexthop = via ?? ip.dst;
    this.neighOutput(ns, skb, dev, nexthop, isError, local);
  }

  /** neigh_output: find the next hop's MAC (resolving it with ARP if needed), write the Ethernet header. */
  private neighOutput(ns: NetNs, skb: Skb, dev: Device, nexthop: Ipv4, isError: boolean, local: boolean): void {
    let found = ns.neigh.get(dev.name, nexthop);
    if (found && found.entry.state === 'FAILED') found = undefined;
    if (!found) {
      const mac = this.arpResolve(ns, skb, dev, nexthop);
      if (!mac) {
        const sent = local ? 'the sending socket gets EHOSTUNREACH' : this.icmpError(ns, skb, 3, 1, isError);
        return this.drop(ns, skb, 'NEIGH_FAILED', `No ARP reply for ${nexthop} on ${dev.name}: the neighbour stays unresolved (FAILED); ${sent}`, dev.name);
      }
      found = ns.neigh.get(dev.name, nexthop)!;
    } else {
      const n = found.entry;
      this.emit(ns, 'neigh', skb, {
        dev: dev.name,
        ref: { table: 'neigh', row: found.row },
        verdict: n.lladdr ?? 'incomplete',
        explanation: `Neighbour table: ${nexthop} on ${dev.name} is at ${n.lladdr} (${n.state}).`,
      });
    }
    const eth: EthernetLayer = { type: 'ethernet', src: dev.mac, dst: found.entry.lladdr!, ethertype: ETHERTYPE_IPV4 };
    const before = skb.packet;
    const hasEth = before[0]?.type === 'ethernet';
    skb.packet = hasEth ? [eth, ...before.slice(1)] : [eth, ...before];
    const changed: FieldChange[] = hasEth
      ? [
          ...(before[0] as EthernetLayer).src !== eth.src ? [{ layer: 0, field: 'src', from: (before[0] as EthernetLayer).src, to: eth.src }] : [],
          ...(before[0] as EthernetLayer).dst !== eth.dst ? [{ layer: 0, field: 'dst', from: (before[0] as EthernetLayer).dst, to: eth.dst }] : [],
        ]
      : addedFields(skb.packet, 0, 1);
    this.devXmit(ns, dev, skb, changed);
  }

  /**
   * ARP over L2: the request is broadcast out `dev`; whichever namespace it reaches that owns
   * `target` answers (arp_ignore=0: any local address). The answer is cached as REACHABLE.
   */
  private arpResolve(ns: NetNs, skb: Skb, dev: Device, target: Ipv4): Mac | undefined {
    const answer = this.arpReach(dev, target);
    const ref: TableRef = { table: 'neigh' };
    if (!answer) {
      this.emit(ns, 'arp', skb, {
        dev: dev.name,
        ref,
        verdict: 'no reply',
        explanation: `ARP: who-has ${target}? broadcast on ${dev.name} — nobody on that L2 domain owns ${target}${dev.kind === 'vxlan' ? ' (a VXLAN device floods only to its FDB entries with an all-zero MAC, and there are none)' : ''}.`,
      });
      ns.neigh.set({ ip: target, dev: dev.name, state: 'FAILED', createdUs: this.world.timeUs });
      return undefined;
    }
    ns.neigh.set({ ip: target, dev: dev.name, lladdr: answer.mac, state: 'REACHABLE', createdUs: this.world.timeUs });
    const row = ns.neigh.get(dev.name, target)!.row;
    this.emit(ns, 'arp', skb, {
      dev: dev.name,
      ref: { table: 'neigh', row },
      verdict: answer.mac,
      explanation: `ARP: who-has ${target} tell ${ns.selectSrc(dev.name, target) ?? '?'} — ${answer.host} answers "${target} is-at ${answer.mac}" from its ${answer.dev}; cached as REACHABLE.`,
    });
    return answer.mac;
  }

  /**
   * Follows a broadcast frame across veths, bridges and segments to find who owns `target`.
   * The owner answers from the device the request arrived on (arp_ignore=0) and learns the
   * asker (a STALE entry), as arp_process does.
   */
  private arpReach(out: Device, target: Ipv4): { mac: Mac; host: string; dev: string } | undefined {
    const asker = out.netns.selectSrc(out.name, target) ?? target;
    interface Hop {
      readonly dev: Device;
      readonly tx: boolean;
      readonly prev?: Hop;
    }
    const sent = new Set<Device>();
    const heard = new Set<Device>();
    const queue: Hop[] = [{ dev: out, tx: true }];
    while (queue.length > 0) {
      const hop = queue.shift()!;
      const d = hop.dev;
      if (!d.up) continue;
      if (hop.tx) {
        if (sent.has(d)) continue;
        sent.add(d);
        if (d.kind === 'veth' && d.peer) queue.push({ dev: d.peer, tx: false, prev: hop });
        if (d.kind === 'nic' && d.segment) for (const p of this.world.segment(d.segment).ports) if (p.ns.dev(p.dev) !== d) queue.push({ dev: p.ns.dev(p.dev)!, tx: false, prev: hop });
        if (d.kind === 'bridge') for (const p of d.ports) queue.push({ dev: d.netns.dev(p)!, tx: true, prev: hop });
        continue;
      }
      if (heard.has(d)) continue;
      heard.add(d);
      if (d.master) {
        // a bridge port floods to the other ports and passes a copy up to the bridge device
        for (const p of d.master.ports) if (p !== d.name) queue.push({ dev: d.master.netns.dev(p)!, tx: true, prev: hop });
        queue.push({ dev: d.master, tx: false, prev: hop });
        continue;
      }
      if (d.netns !== out.netns && d.netns.isLocal(target)) {
        const now = this.world.timeUs;
        d.netns.neigh.set({ ip: asker, dev: d.name, lladdr: out.mac, state: 'STALE', createdUs: now });
        // bridges on the way learn the asker from the request and the owner from the reply
        for (let h: Hop | undefined = hop; h; h = h.prev) {
          if (h.dev.master && !h.tx) learn(h.dev.master, out.mac, h.dev.name, now);
          if (h.dev.master && h.tx) learn(h.dev.master, d.mac, h.dev.name, now);
        }
        return { mac: d.mac, host: nsLabel(d.netns), dev: d.name };
      }
    }
    return undefined;
  }

  // ---------------------------------------------------------------- devices

  private devXmit(ns: NetNs, dev: Device, skb: Skb, changed: readonly FieldChange[] = []): void {
    if (++skb.hops > MAX_HOPS) this.drop(ns, skb, 'LOOP', 'the packet crossed more than 64 devices: a forwarding loop');
    if (!dev.up) this.drop(ns, skb, 'DEV_DOWN', `${dev.name} is down`, dev.name);
    switch (dev.kind) {
      case 'veth': {
        this.emit(ns, 'tx', skb, { dev: dev.name, changed, onWire: true, explanation: `Sent on ${dev.name}; a veth hands every frame to its peer${dev.peer ? ` ${dev.peer.name} in ${nsLabel(dev.peer.netns)}` : ''}.` });
        if (!dev.peer) this.drop(ns, skb, 'NO_PEER', `${dev.name} has no peer`);
        if (dev.peer.netns !== ns) scrub(skb);
        this.devRx(dev.peer.netns, dev.peer, skb);
        return;
      }
      case 'bridge':
        this.emit(ns, 'tx', skb, { dev: dev.name, changed, explanation: `Sent on the bridge ${dev.name}: br_dev_xmit looks the destination MAC up in the bridge FDB.` });
        this.bridgeForward(ns, dev, skb, undefined);
        return;
      case 'vxlan':
        this.emit(ns, 'tx', skb, { dev: dev.name, changed, explanation: `Handed to the VXLAN device ${dev.name} (VNI ${dev.vni}), which will wrap the Ethernet frame in UDP.` });
        this.vxlanXmit(ns, dev, skb);
        return;
      case 'nic':
        this.emit(ns, 'tx', skb, { dev: dev.name, changed, explanation: `Transmitted by ${dev.name} onto the wire.` });
        this.wire(ns, dev.segment, skb);
        return;
      case 'dummy':
        return this.drop(ns, skb, 'DUMMY', `${dev.name} is a dummy device: it discards everything sent through it`, dev.name);
      case 'loopback':
        this.ipRcv(ns, dev, skb);
        return;
    }
  }

  private wire(ns: NetNs, segmentName: string | undefined, skb: Skb): void {
    if (!segmentName) return this.drop(ns, skb, 'NO_CARRIER', 'the NIC is not plugged into any segment');
    const seg = this.world.segment(segmentName);
    const dst = (skb.packet[0] as EthernetLayer).dst;
    const to = seg.ports.find((p) => p.ns.dev(p.dev)?.mac === dst && p.ns.dev(p.dev)?.up);
    this.emit(ns, 'wire', skb, {
      onWire: true,
      explanation: to
        ? `On the ${seg.name} segment the frame to ${dst} reaches ${to.ns.host}'s ${to.dev}.`
        : `On the ${seg.name} segment no NIC has ${dst}.`,
    });
    if (!to) this.drop(ns, skb, 'NO_L2_DEST', `no station with MAC ${dst} on ${seg.name}`);
    scrub(skb);
    this.devRx(to.ns, to.ns.dev(to.dev)!, skb);
  }

  /** netif_receive_skb: a bridge port hands the frame to its bridge; otherwise only frames for us go up. */
  private devRx(ns: NetNs, dev: Device, skb: Skb): void {
    if (!dev.up) this.drop(ns, skb, 'DEV_DOWN', `${dev.name} is down`, dev.name);
    this.emit(ns, 'rx', skb, { dev: dev.name, explanation: `Received on ${dev.name} in ${nsLabel(ns)}.` });
    if (dev.master) {
      this.bridgeInput(ns, dev.master, dev, skb);
      return;
    }
    const eth = skb.packet[0] as EthernetLayer;
    if (eth.dst !== dev.mac && eth.dst !== BROADCAST_MAC) {
      this.drop(ns, skb, 'OTHERHOST', `the frame is addressed to ${eth.dst}, not to ${dev.name} (${dev.mac}): PACKET_OTHERHOST`, dev.name);
    }
    skb.inDev = dev.name;
    this.ipRcv(ns, dev, skb);
  }

  /** br_handle_frame: learn the source, br_netfilter PREROUTING, then FDB lookup. */
  private bridgeInput(ns: NetNs, br: BridgeDevice, port: Device, skb: Skb): void {
    const eth = skb.packet[0] as EthernetLayer;
    learn(br, eth.src, port.name, this.world.timeUs);
    skb.physIn = port.name;
    skb.inDev = br.name;
    if (ns.sysctl.bridgeNfCallIptables && ipIndex(skb.packet) >= 0) {
      // br_nf_pre_routing: the IPv4 PREROUTING hooks run here, with in=<bridge>, physdev-in=<port>
      const dstBefore = ipOf(skb.packet)!.dst;
      this.conntrackIn(ns, skb, 'PREROUTING');
      const v = this.hook(ns, skb, 'PREROUTING', br.name, undefined);
      this.applyVerdict(ns, skb, v, 'PREROUTING', false);
      skb.brnfDone = true;
      const dst = ipOf(skb.packet)!.dst;
      if (dst !== dstBefore) {
        // br_nf_pre_routing_finish: after DNAT the frame is re-routed
        const m = ns.isLocal(dst) ? undefined : this.lookup(ns, dst);
        if (m && m.route.dev === br.name) {
          // bridged_dnat: the new destination is behind this same bridge: stay on L2
          this.emit(ns, 'route', skb, { dev: br.name, ref: { table: 'route', row: m.row }, verdict: `dev ${br.name}`, explanation: `After DNAT, ${dst} is reachable through ${br.name} itself, so br_netfilter keeps the frame on the bridge (bridged DNAT) and resolves the new destination's MAC.` });
          const n = ns.neigh.get(br.name, dst)?.entry.lladdr ?? this.arpResolve(ns, skb, br, dst);
          if (!n) return this.drop(ns, skb, 'NEIGH_FAILED', `no ARP reply for ${dst} on ${br.name}`);
          const changed = this.edit(skb, 0, { dst: n });
          this.emit(ns, 'bridge', skb, { dev: br.name, changed, verdict: n, explanation: `Destination MAC rewritten to ${dst}'s ${n}.` });
        } else {
          const changed = this.edit(skb, 0, { dst: br.mac });
          this.emit(ns, 'bridge', skb, { dev: br.name, changed, verdict: 'to host', explanation: `After DNAT the destination ${dst} is not on ${br.name}: br_netfilter rewrites the destination MAC to ${br.name}'s own so the host routes it.` });
        }
      }
    }
    this.bridgeForward(ns, br, skb, port);
  }

  /** br_handle_frame_finish / br_dev_xmit: local delivery, forward to the port that has the MAC, or flood. */
  private bridgeForward(ns: NetNs, br: BridgeDevice, skb: Skb, inPort: Device | undefined): void {
    const dst = (skb.packet[0] as EthernetLayer).dst;
    const row = br.fdb.findIndex((e) => e.mac === dst);
    const entry = br.fdb[row];
    if (inPort && (dst === br.mac || (entry?.local && dst === br.mac))) {
      this.emit(ns, 'bridge', skb, {
        dev: br.name,
        ref: { table: 'bridge-fdb', row: row < 0 ? undefined : row },
        verdict: 'local',
        explanation: `The destination MAC ${dst} is ${br.name}'s own: the bridge passes the frame up to the host's IP stack (${br.name}'s address is the default gateway of the namespaces plugged into it).`,
      });
      this.ipRcv(ns, br, skb);
      return;
    }
    let outPort: Device | undefined;
    if (entry && !entry.local) outPort = ns.dev(entry.port);
    if (!outPort) {
      // unknown unicast or broadcast: flood; follow the copy that reaches the owner of the MAC
      outPort = br.ports.map((p) => ns.dev(p)!).find((p) => p !== inPort && p.kind === 'veth' && p.peer?.mac === dst);
      this.emit(ns, 'bridge', skb, {
        dev: br.name,
        ref: { table: 'bridge-fdb' },
        verdict: outPort ? `flood → ${outPort.name}` : 'flood',
        explanation: `${dst} is not in ${br.name}'s FDB yet, so the bridge floods the frame to every port${outPort ? `; the copy on ${outPort.name} reaches its owner` : ''}.`,
      });
      if (!outPort) return this.drop(ns, skb, 'NO_L2_DEST', `no port of ${br.name} leads to ${dst}`);
    } else {
      this.emit(ns, 'fdb', skb, {
        dev: br.name,
        ref: { table: 'bridge-fdb', row },
        verdict: outPort.name,
        explanation: `Bridge FDB: ${dst} was learned on port ${outPort.name}, so ${br.name} forwards the frame there.`,
      });
    }
    if (outPort === inPort && !outPort.hairpin) {
      return this.drop(ns, skb, 'BRIDGE_NO_HAIRPIN', `the frame would leave by the port it came in on and ${outPort.name} has hairpin mode off`);
    }
    if (ns.sysctl.bridgeNfCallIptables && ipIndex(skb.packet) >= 0 && inPort) {
      // br_nf_forward_ip / br_nf_post_routing: bridged IPv4 also crosses FORWARD and POSTROUTING
      const v = this.hook(ns, skb, 'FORWARD', br.name, br.name);
      this.applyVerdict(ns, skb, v, 'FORWARD', false);
      const pv = this.hook(ns, skb, 'POSTROUTING', br.name, br.name);
      this.applyVerdict(ns, skb, pv, 'POSTROUTING', false);
      this.confirm(ns, skb);
    }
    this.devXmit(ns, outPort, skb);
  }

  // ---------------------------------------------------------------- VXLAN

  /** vxlan_xmit: FDB lookup by inner destination MAC → remote VTEP; UDP encapsulation; ip_local_out. */
  private vxlanXmit(ns: NetNs, dev: VxlanDevice, skb: Skb): void {
    const inner = skb.packet;
    const dstMac = (inner[0] as EthernetLayer).dst;
    let row = dev.fdb.findIndex((e) => e.mac === dstMac);
    if (row < 0) row = dev.fdb.findIndex((e) => e.mac === '00:00:00:00:00:00');
    const entry = dev.fdb[row];
    if (!entry) {
      this.emit(ns, 'fdb', skb, { dev: dev.name, ref: { table: 'fdb' }, verdict: 'no entry', explanation: `${dev.name}'s FDB has no entry for ${dstMac} and no default destination.` });
      return this.drop(ns, skb, 'VXLAN_NO_REMOTE', `vxlan_xmit: no FDB entry for ${dstMac} on ${dev.name}, so there is no remote VTEP to send to`, dev.name);
    }
    this.emit(ns, 'fdb', skb, {
      dev: dev.name,
      ref: { table: 'fdb', row },
      verdict: `dst ${entry.dst}`,
      explanation: `FDB of ${dev.name}: ${dstMac} → dst ${entry.dst}. The inner frame goes as a UDP payload to port ${dev.dstport} on ${entry.dst}.`,
    });
    const sport = udpFlowSrcPort(this.world.hashSeed, inner);
    const outer: Layer[] = [
      { type: 'ipv4', src: dev.local, dst: entry.dst, ttl: DEFAULT_TTL, proto: IPPROTO_UDP, id: this.world.rng.int(0, 0xffff), df: false, dsfield: 0 },
      { type: 'udp', srcport: sport, dstport: dev.dstport },
      { type: 'vxlan', flags: 0x08, vni: dev.vni },
    ];
    // a new outer IPv4 header on the same skb: the mark travels with it (iptunnel_xmit keeps it in-namespace)
    const outerSkb: Skb = { id: skb.id, packet: [...outer, ...inner], mark: skb.mark, hops: skb.hops };
    this.emit(ns, 'encap', outerSkb, {
      dev: dev.name,
      changed: addedFields(outerSkb.packet, 0, 3),
      explanation: `${dev.name} encapsulates: outer IPv4 ${dev.local} → ${entry.dst}, UDP ${sport} → ${dev.dstport}, VXLAN VNI ${dev.vni}. The inner Ethernet frame, unchanged, becomes the UDP payload: ${VXLAN_OVERHEAD} bytes more on the wire once the outer Ethernet header is added.`,
    });
    this.localOut(ns, outerSkb, false);
  }

  /** vxlan_rcv: the UDP socket on the VXLAN port strips the outer headers and hands the frame to the device with that VNI. */
  private vxlanRcv(ns: NetNs, skb: Skb): boolean {
    const i = ipIndex(skb.packet);
    const udp = skb.packet[i + 1] as UdpLayer;
    const vx = skb.packet[i + 2];
    const dev = [...ns.devices.values()].find((d): d is VxlanDevice => d.kind === 'vxlan' && d.dstport === udp.dstport);
    if (!dev) return false;
    if (!vx || vx.type !== 'vxlan') return this.drop(ns, skb, 'VXLAN_INVALID_HDR', 'UDP to the VXLAN port without a VXLAN header');
    if (vx.vni !== dev.vni || !dev.up) {
      return this.drop(ns, skb, 'VXLAN_VNI_NOT_FOUND', `no VXLAN device for VNI ${vx.vni} on port ${udp.dstport}`);
    }
    const inner = skb.packet.slice(i + 3);
    const innerSkb: Skb = { id: skb.id, packet: inner, mark: 0, hops: skb.hops };
    this.emit(ns, 'decap', innerSkb, {
      dev: dev.name,
      changed: [],
      explanation: `UDP port ${udp.dstport} belongs to the VXLAN socket; VNI ${vx.vni} selects ${dev.name}, which strips the outer Ethernet, IPv4, UDP and VXLAN headers and receives the inner frame as if it came in on ${dev.name}.`,
    });
    this.devRx(ns, dev, innerSkb);
    return true;
  }

  // ---------------------------------------------------------------- input path

  /** ip_rcv → PREROUTING → ip_route_input → ip_local_deliver | ip_forward. */
  private ipRcv(ns: NetNs, dev: Device, skb: Skb): void {
    skb.inDev = dev.name;
    if (!skb.brnfDone) {
      this.conntrackIn(ns, skb, 'PREROUTING');
      const v = this.hook(ns, skb, 'PREROUTING', dev.name, undefined);
      this.applyVerdict(ns, skb, v, 'PREROUTING', false);
    }
    const ip = ipOf(skb.packet)!;
    if (ns.isLocal(ip.dst) || ns.isBroadcast(ip.dst)) {
      this.emit(ns, 'route', skb, {
        dev: ns.deviceWithAddr(ip.dst)?.name ?? dev.name,
        ref: { table: 'route', text: `local ${ip.dst} dev ${ns.deviceWithAddr(ip.dst)?.name ?? 'lo'} table local proto kernel scope host src ${ip.dst}` },
        verdict: 'local',
        explanation: `${ip.dst} is a local address of ${nsLabel(ns)}${ns.deviceWithAddr(ip.dst) ? ` (on ${ns.deviceWithAddr(ip.dst)!.name})` : ''}: routed to the INPUT path for local delivery.`,
      });
      this.localDeliver(ns, dev, skb);
      return;
    }
    const m = this.lookup(ns, ip.dst);
    if (!m) {
      this.emit(ns, 'route', skb, { dev: dev.name, ref: { table: 'route' }, verdict: 'no route', explanation: `No route in ${nsLabel(ns)} matches ${ip.dst}.` });
      const sent = this.icmpError(ns, skb, 3, 0, false);
      return this.drop(ns, skb, 'ENETUNREACH', `no route to ${ip.dst}; ${sent}`);
    }
    this.emitRoute(ns, skb, ip.dst, m);
    this.forward(ns, skb, m);
  }

  /** ip_forward: the host acts as a router (net.ipv4.ip_forward=1). */
  private forward(ns: NetNs, skb: Skb, m: RouteMatch): void {
    if (!ns.sysctl.ipForward) {
      return this.drop(ns, skb, 'IP_FORWARD_DISABLED', `${ip(skb).dst} is not local and net.ipv4.ip_forward = 0 in ${nsLabel(ns)}`);
    }
    const i = ipIndex(skb.packet);
    const ttl = (skb.packet[i] as Ipv4Layer).ttl;
    if (ttl <= 1) {
      const sent = this.icmpError(ns, skb, 11, 0, false);
      return this.drop(ns, skb, 'TTL_EXPIRED', `TTL ${ttl} would reach 0 here; ${sent}`);
    }
    const changed = this.edit(skb, i, { ttl: ttl - 1 });
    this.emit(ns, 'forward', skb, {
      changed,
      explanation: `${ip(skb).dst} is not a local address and net.ipv4.ip_forward = 1, so ${ns.host} forwards it as a router: ip_forward decrements the TTL ${ttl} → ${ttl - 1}.`,
    });
    const v = this.hook(ns, skb, 'FORWARD', skb.inDev, m.route.dev);
    this.applyVerdict(ns, skb, v, 'FORWARD', false);
    this.postRouting(ns, skb, m.route.dev, m.route.via, false, false);
  }

  /** ip_local_deliver: INPUT hooks, local-in modules (IPVS), then the transport protocol. */
  private localDeliver(ns: NetNs, dev: Device, skb: Skb): void {
    // IPVS's ip_vs_remote_request4 sits at LOCAL_IN priority NF_IP_PRI_NAT_SRC - 1: after mangle
    // and filter, before nat INPUT — a packet it takes never initialises the SNAT binding, so
    // POSTROUTING's MASQUERADE still applies to it
    const v = this.hook(ns, skb, 'INPUT', dev.name, undefined, ['mangle', 'filter']);
    this.applyVerdict(ns, skb, v, 'INPUT', false);
    if (ns.ipvs && this.ipvsIn(ns, ns.ipvs, skb)) return;
    const nv = this.hook(ns, skb, 'INPUT', dev.name, undefined, ['nat']);
    this.applyVerdict(ns, skb, nv, 'INPUT', false);
    this.confirm(ns, skb);
    const ip4 = ip(skb);
    const l4 = l4Of(skb.packet);
    if (l4?.type === 'udp' && this.vxlanRcv(ns, skb)) return;
    if (l4?.type === 'icmp' && l4.icmp_type === 8) {
      this.deliver(ns, skb, `ICMP echo request for ${ip4.dst}: the kernel itself answers with an echo reply.`);
      this.queue.push({ ns, packet: echoReply(skb.packet), role: 'reply', isError: false });
      return;
    }
    if (l4?.type === 'icmp') {
      this.deliver(ns, skb, `ICMP ${icmpName(l4)} from ${ip4.src} reaches the socket that sent the original packet.`);
      return;
    }
    if (l4?.type === 'tcp' || l4?.type === 'udp') {
      const listener = ns.listeners.find((s) => s.proto === l4.type && s.port === l4.dstport);
      if (listener) {
        this.deliver(ns, skb, listener.process === 'client' ? `Delivered to the client's socket (${l4.type.toUpperCase()} port ${l4.dstport}).` : `Delivered to ${listener.process} listening on ${l4.type.toUpperCase()} port ${l4.dstport}.`);
        const reply = this.sockets.reply(ns, skb.packet);
        if (reply) this.queue.push({ ns, packet: reply, role: listener.process === 'client' ? 'ack' : 'reply', isError: false });
        return;
      }
      if (l4.type === 'tcp' && (l4.flags & TCP_SYN) === 0) {
        this.deliver(ns, skb, `TCP segment for ${ip4.dst}:${l4.dstport} reaches the socket.`);
        return;
      }
      if (l4.type === 'tcp') {
        this.emit(ns, 'deliver', skb, { verdict: 'RST', explanation: `Nothing listens on TCP port ${l4.dstport}: the kernel answers with a RST (connection refused).` });
        this.finish(ns, 'delivered');
        this.queue.push({ ns, packet: tcpReset(skb.packet), role: 'reset', isError: false });
        return;
      }
      this.icmpError(ns, skb, 3, 3, false);
      this.emit(ns, 'deliver', skb, { verdict: 'port unreachable', explanation: `Nothing listens on UDP port ${l4.dstport}: the kernel answers ICMP port unreachable.` });
      this.finish(ns, 'delivered');
      return;
    }
    this.deliver(ns, skb, 'Delivered locally.');
  }

  /**
   * ip_vs_remote_request4 → ip_vs_in: a packet for a virtual server is scheduled to a real
   * server (or follows its existing IPVS connection), its destination rewritten (Masq), and
   * ip_vs_nat_xmit sends it on: a route lookup, the TTL decrement (decrement_ttl), then the
   * LOCAL_OUT hook and POSTROUTING. With net.ipv4.vs.conntrack=1 the conntrack entry learns
   * the real server, so replies are recognised and translated back.
   */
  private ipvsIn(ns: NetNs, ipvs: IpvsTable, skb: Skb): boolean {
    const i = ipIndex(skb.packet);
    const ip4 = skb.packet[i] as Ipv4Layer;
    const l4 = skb.packet[i + 1];
    if (l4?.type !== 'tcp' && l4?.type !== 'udp') return false;
    const proto = l4.type === 'tcp' ? 'TCP' : 'UDP';
    const found = ipvs.find(proto, ip4.dst, l4.dstport);
    if (!found) return false;
    const { service, row } = found;
    let conn = ipvs.connFor(proto, ip4.src, l4.srcport, ip4.dst, l4.dstport);
    let dest = conn ? service.dests.find((d) => d.addr === conn!.daddr && d.port === conn!.dport) : undefined;
    const svcText = `${proto}  ${service.addr}:${service.port} ${service.scheduler}`;
    const nowSec = Math.floor(this.world.timeUs / 1e6);
    if (!conn || !dest) {
      dest = ipvs.schedule(service, ip4.src, l4.srcport, this.world.rng, nowSec);
      if (!dest) {
        this.emit(ns, 'ipvs', skb, { ref: { table: 'ipvs', row, text: svcText }, verdict: 'no destination', explanation: `IPVS virtual server ${svcText} has no real server with weight > 0.` });
        this.icmpError(ns, skb, 3, 3, false);
        return this.drop(ns, skb, 'IPVS_NO_DEST', `ip_vs_leave: no real server for ${service.addr}:${service.port}; IPVS answers ICMP port unreachable`);
      }
      conn = ipvs.conns.at(-1)!;
      this.emit(ns, 'ipvs', skb, {
        ref: { table: 'ipvs', row, text: svcText },
        verdict: `${dest.addr}:${dest.port}`,
        explanation: `${ip4.dst}:${l4.dstport} is an IPVS virtual server (${svcText}); the ${service.scheduler} scheduler picks real server ${dest.addr}:${dest.port} (Masq, weight ${dest.weight}) and IPVS records the connection.`,
      });
    } else {
      ipvs.transition(conn, 'in', l4.type === 'tcp' ? l4.flags : {}, nowSec);
      this.emit(ns, 'ipvs', skb, {
        ref: { table: 'ipvs', row, text: svcText },
        verdict: `${dest.addr}:${dest.port}`,
        explanation: `IPVS connection table: ${ip4.src}:${l4.srcport} → ${ip4.dst}:${l4.dstport} already goes to ${dest.addr}:${dest.port} (${conn.state}).`,
      });
    }
    service.stats.inpkts++;
    dest.stats.inpkts++;
    const len = ipLength(skb.packet);
    service.stats.inbytes += len;
    dest.stats.inbytes += len;
    let changed = this.edit(skb, i, { dst: dest.addr });
    changed = changed.concat(this.edit(skb, i + 1, { dstport: dest.port }));
    if (skb.conn && !ns.conntrack.isConfirmed(skb.conn)) {
      ns.conntrack.alterReply(skb.conn, { ...skb.conn.reply, src: dest.addr, sport: dest.port });
      skb.conn.ipvs = true;
      skb.conn.natDoneDst = true;
    }
    this.emit(ns, 'nat', skb, { hook: 'INPUT', changed, ref: { table: 'ipvs', row, text: svcText }, explanation: `IPVS masquerading (NAT) forwarding: destination ${ip4.dst}:${l4.dstport} → ${dest.addr}:${dest.port}.` });
    const m = this.lookup(ns, dest.addr);
    if (!m) return this.unreachable(ns, skb, dest.addr);
    this.emitRoute(ns, skb, dest.addr, m);
    const ttl = (skb.packet[i] as Ipv4Layer).ttl;
    if (ttl <= 1) {
      const sent = this.icmpError(ns, skb, 11, 0, false);
      return this.drop(ns, skb, 'TTL_EXPIRED', `TTL ${ttl} would reach 0 in IPVS forwarding; ${sent}`);
    }
    this.emit(ns, 'forward', skb, { changed: this.edit(skb, i, { ttl: ttl - 1 }), explanation: `ip_vs_nat_xmit forwards to the real server: the TTL is decremented ${ttl} → ${ttl - 1} (decrement_ttl) and the packet re-enters netfilter at LOCAL_OUT (the OUTPUT chain) before POSTROUTING.` });
    const ov = this.hook(ns, skb, 'OUTPUT', undefined, m.route.dev);
    this.applyVerdict(ns, skb, ov, 'OUTPUT', false);
    this.postRouting(ns, skb, m.route.dev, m.route.via, false, false);
    return true;
  }

  /** ip_vs_out: a real server's reply advances the IPVS connection's state and the out counters. */
  private ipvsOut(ipvs: IpvsTable, conn: Connection, skb: Skb): void {
    const o = conn.orig;
    const vc = ipvs.connFor(o.proto.toUpperCase(), o.src, o.sport, o.dst, o.dport);
    if (!vc) return;
    const l4 = l4Of(skb.packet);
    ipvs.transition(vc, 'out', l4?.type === 'tcp' ? l4.flags : {}, Math.floor(this.world.timeUs / 1e6));
    const svc = ipvs.find(vc.proto, vc.vaddr, vc.vport)?.service;
    const dest = svc?.dests.find((d) => d.addr === vc.daddr && d.port === vc.dport);
    const len = ipLength(skb.packet);
    for (const st of [svc?.stats, dest?.stats]) {
      if (!st) continue;
      st.outpkts++;
      st.outbytes += len;
    }
  }

  private deliver(ns: NetNs, skb: Skb, explanation: string): void {
    this.emit(ns, 'deliver', skb, { verdict: 'delivered', explanation });
    this.finish(ns, 'delivered');
  }

  // ---------------------------------------------------------------- ICMP errors

  /**
   * icmp_send: an error about `skb` back to its source. The source address is the original
   * destination when that was local, else the address the route back to the sender prefers.
   */
  /** Returns what became of the error, for the drop's explanation. */
  private icmpError(ns: NetNs, skb: Skb, type: number, code: number, isError: boolean, mtu?: number): string {
    const orig = ip(skb);
    const l4 = l4Of(skb.packet);
    const name = icmpName({ type: 'icmp', icmp_type: type, code });
    if (isError || (l4?.type === 'icmp' && l4.icmp_type !== 8 && l4.icmp_type !== 0)) return 'no ICMP error is sent about an ICMP error'; // RFC 1122
    let src: Ipv4 | undefined;
    if (ns.isLocal(orig.dst)) src = orig.dst;
    else {
      const back = this.lookup(ns, orig.src);
      if (!back) return `ICMP ${name} cannot be sent: there is no route back to ${orig.src}`;
      src = back.route.src ?? ns.selectSrc(back.route.dev, back.route.via ?? orig.src);
    }
    if (!src) return `ICMP ${name} cannot be sent: no source address`;
    const quoted = skb.packet.slice(ipIndex(skb.packet));
    const packet: Packet = [
      { type: 'ipv4', src, dst: orig.src, ttl: DEFAULT_TTL, proto: IPPROTO_ICMP, id: this.world.rng.int(0, 0xffff), df: false, dsfield: 0xc0 },
      { type: 'icmp', icmp_type: type, code, ...(mtu !== undefined ? { mtu } : {}) },
      ...quoted,
    ];
    this.queue.push({ ns, packet, role: 'icmp-error', isError: true });
    return `the kernel answers ICMP ${name} to ${orig.src}`;
  }

  // ---------------------------------------------------------------- netfilter and conntrack

  private hook(ns: NetNs, skb: Skb, hook: HookName, inDev: string | undefined, outDev: string | undefined, tables?: readonly TableName[]): HookVerdict {
    const i = ipIndex(skb.packet);
    const ip4 = skb.packet[i] as Ipv4Layer;
    const l4 = skb.packet[i + 1];
    const ctState: CtState[] = [];
    if (skb.conn) {
      // ctinfo: IP_CT_NEW in the original direction until a reply has been seen
      if (skb.related) ctState.push('RELATED');
      else if (skb.conn.seenReply || skb.dir === 'reply') ctState.push('ESTABLISHED');
      else ctState.push('NEW');
      if (skb.conn.reply.src !== skb.conn.orig.dst) ctState.push('DNAT');
      if (skb.conn.reply.dst !== skb.conn.orig.src) ctState.push('SNAT');
    }
    const pkt: NfPacket = {
      src: ip4.src,
      dst: ip4.dst,
      proto: l4?.type === 'tcp' || l4?.type === 'udp' || l4?.type === 'icmp' ? l4.type : 'other',
      sport: l4?.type === 'tcp' || l4?.type === 'udp' ? l4.srcport : 0,
      dport: l4?.type === 'tcp' || l4?.type === 'udp' ? l4.dstport : 0,
      icmpType: l4?.type === 'icmp' ? l4.icmp_type : undefined,
      length: ipLength(skb.packet),
      inDev,
      outDev,
      physIn: skb.physIn,
      ctState,
      mark: skb.mark,
    };
    const isNew = !!skb.conn && !ns.conntrack.isConfirmed(skb.conn) && !skb.related;
    // nat registers DNAT at PREROUTING/OUTPUT and SNAT at INPUT/POSTROUTING, once per direction
    const dstHook = hook === 'PREROUTING' || hook === 'OUTPUT';
    const srcHook = hook === 'INPUT' || hook === 'POSTROUTING';
    const natThisHook = isNew && (!tables || tables.includes('nat')) && ((dstHook && !skb.conn!.natDoneDst) || (srcHook && !skb.conn!.natDoneSrc));
    const evaluatedBefore = this.nfStats.evaluated;
    const v = runHook(ns, pkt, {
      hook,
      tables,
      nat: natThisHook,
      rng: this.world.rng,
      nowSec: Math.floor(this.world.timeUs / 1e6),
      stats: this.nfStats,
      visit: (visit) => {
        skb.mark = pkt.mark;
        this.emit(ns, visit.row < 0 ? 'policy' : 'rule', skb, {
          hook,
          ref: {
            table: 'iptables',
            nfTable: visit.table,
            chain: visit.chain,
            row: visit.row < 0 ? undefined : visit.row,
            fromRow: visit.fromRow,
            text: visit.row < 0 ? undefined : this.world.describeRule?.(ns, visit.table, visit.chain, visit.row),
          },
          verdict: visit.verdict,
          explanation: explainRule(hook, visit.table, visit.chain, visit.verdict, visit.markBefore, pkt.mark),
        });
      },
    });
    skb.mark = pkt.mark;
    this.evaluatedByHost[ns.host] = (this.evaluatedByHost[ns.host] ?? 0) + this.nfStats.evaluated - evaluatedBefore;
    if (skb.conn && natThisHook) {
      if (dstHook) skb.conn.natDoneDst = true;
      else skb.conn.natDoneSrc = true;
    }
    return v;
  }

  /** Acts on a hook's verdict: drop, reject (ICMP/RST), or apply the NAT binding the nat table chose. */
  private applyVerdict(ns: NetNs, skb: Skb, v: HookVerdict, hook: HookName, isError: boolean): void {
    if (v.kind === 'drop') {
      return this.drop(ns, skb, 'NETFILTER_DROP', `dropped by ${v.table} ${v.chain} at ${hook}`);
    }
    if (v.kind === 'reject') {
      const l4 = l4Of(skb.packet);
      if (v.with === 'tcp-reset' && l4?.type === 'tcp') this.queue.push({ ns, packet: tcpReset(skb.packet), role: 'reset', isError: false });
      else this.icmpError(ns, skb, 3, rejectCode(v.with), isError);
      return this.drop(ns, skb, 'NETFILTER_REJECT', `rejected by ${v.table} ${v.chain} at ${hook} with ${v.with}`);
    }
    if (v.nat && skb.conn) this.bindNat(ns, skb, v.nat, hook);
    else if (skb.conn && skb.related) this.translateRelated(ns, skb, hook);
    else if (skb.conn) this.translateExisting(ns, skb, hook);
  }

  /** nf_nat_setup_info for a new connection: record the binding in the reply tuple, rewrite the packet. */
  private bindNat(ns: NetNs, skb: Skb, nat: NatAction, hook: HookName): void {
    const conn = skb.conn!;
    const i = ipIndex(skb.packet);
    const ip4 = skb.packet[i] as Ipv4Layer;
    const l4 = skb.packet[i + 1];
    const hasPorts = l4?.type === 'tcp' || l4?.type === 'udp';
    let changed: FieldChange[] = [];
    let what: string;
    if (nat.kind === 'DNAT') {
      changed = this.edit(skb, i, { dst: nat.addr });
      if (nat.port !== undefined && hasPorts) changed = changed.concat(this.edit(skb, i + 1, { dstport: nat.port }));
      ns.conntrack.alterReply(conn, { ...conn.reply, src: nat.addr as Ipv4, sport: nat.port !== undefined && hasPorts ? nat.port : conn.reply.sport });
      what = `DNAT: destination ${ip4.dst}${hasPorts ? `:${(l4 as TcpLayer).dstport}` : ''} → ${nat.addr}${nat.port !== undefined ? `:${nat.port}` : ''}. conntrack records the binding so the reply will be translated back.`;
    } else {
      const outDevName = this.lookup(ns, ip4.dst)?.route.dev;
      const addr = nat.kind === 'SNAT' ? nat.addr : outDevName ? ns.selectSrc(outDevName, ip4.dst) : undefined;
      if (!addr) return this.drop(ns, skb, 'NAT_NO_ADDR', 'MASQUERADE found no address on the output device');
      changed = this.edit(skb, i, { src: addr });
      // MASQUERADE keeps the source port unless it clashes (nf_nat_used_tuple); no clash here
      ns.conntrack.alterReply(conn, { ...conn.reply, dst: addr as Ipv4 });
      what =
        nat.kind === 'MASQUERADE'
          ? `MASQUERADE: source ${ip4.src} → ${addr}, the address of ${outDevName}, the device the packet leaves by. Replies will come back to ${addr} and conntrack will translate them back to ${ip4.src}.`
          : `SNAT: source ${ip4.src} → ${addr}.`;
    }
    this.emit(ns, 'nat', skb, { hook, changed, ref: { table: 'conntrack', row: conntrackRow(ns, conn) }, explanation: what });
  }

  /** nf_nat_packet for later packets: the connection's binding applies without the nat table. */
  private translateExisting(ns: NetNs, skb: Skb, hook: HookName): void {
    const conn = skb.conn!;
    // an IPVS connection has no nf_nat binding: ip_vs_in rewrites each request itself
    if (conn.ipvs && skb.dir === 'orig') return;
    const target = skb.dir === 'orig' ? invertTuple(conn.reply) : invertTuple(conn.orig);
    const dstSide = hook === 'PREROUTING' || hook === 'OUTPUT';
    const srcSide = hook === 'POSTROUTING' || hook === 'INPUT';
    const i = ipIndex(skb.packet);
    const ip4 = skb.packet[i] as Ipv4Layer;
    const l4 = skb.packet[i + 1];
    const hasPorts = l4?.type === 'tcp' || l4?.type === 'udp';
    let changed: FieldChange[] = [];
    if (dstSide && ip4.dst !== target.dst) {
      changed = this.edit(skb, i, { dst: target.dst });
      if (hasPorts) changed = changed.concat(this.edit(skb, i + 1, { dstport: target.dport }));
    }
    if (srcSide && ip4.src !== target.src) {
      changed = this.edit(skb, i, { src: target.src });
      if (hasPorts) changed = changed.concat(this.edit(skb, i + 1, { srcport: target.sport }));
    }
    if (changed.length === 0) return;
    const reverse = skb.dir === 'reply';
    if (reverse && conn.ipvs && ns.ipvs) this.ipvsOut(ns.ipvs, conn, skb);
    this.emit(ns, 'nat', skb, {
      hook,
      changed,
      ref: { table: 'conntrack', row: conntrackRow(ns, conn) },
      explanation: reverse && conn.ipvs
        ? `IPVS (ip_vs_out) rewrites the real server's reply back to the virtual server: ${changed.map((c) => `${c.field} ${c.from} → ${c.to}`).join(', ')}.`
        : reverse
        ? `conntrack reverses the connection's NAT on this reply: ${changed.map((c) => `${c.field} ${c.from} → ${c.to}`).join(', ')} — the peer sees the address it talked to.`
        : `conntrack applies the connection's existing NAT binding (only the first packet traverses the nat table): ${changed.map((c) => `${c.field} ${c.from} → ${c.to}`).join(', ')}.`,
    });
  }

  /**
   * nf_nat_icmp_reply_translation: an ICMP error about a NATed connection gets the outer header
   * translated like the connection's own packets would be, and the quoted packet inside it the
   * other way round, so the original sender recognises its own packet.
   */
  private translateRelated(ns: NetNs, skb: Skb, hook: HookName): void {
    const conn = skb.conn!;
    const toward = skb.dir === 'reply' ? conn.orig : conn.reply; // the tuple of the quoted packet's direction
    const target = invertTuple(toward);
    const dnat = conn.reply.src !== conn.orig.dst || conn.reply.sport !== conn.orig.dport;
    const snat = conn.reply.dst !== conn.orig.src || conn.reply.dport !== conn.orig.sport;
    const dstSide = hook === 'PREROUTING' || hook === 'OUTPUT';
    const srcSide = hook === 'POSTROUTING' || hook === 'INPUT';
    // which NAT the error must undo in this direction (statusbit ^ IPS_NAT_MASK for replies)
    const applies = skb.dir === 'reply' ? (dstSide ? snat : dnat) : dstSide ? dnat : snat;
    if (!applies || (!dstSide && !srcSide)) return;
    const i = ipIndex(skb.packet);
    const q = i + 2; // the quoted IPv4 header
    const quoted = skb.packet[q];
    if (quoted?.type !== 'ipv4') return;
    const qHasPorts = skb.packet[q + 1]?.type === 'tcp' || skb.packet[q + 1]?.type === 'udp';
    let changed: FieldChange[] = [];
    if (dstSide) {
      changed = this.edit(skb, i, { dst: target.dst });
      changed = changed.concat(this.edit(skb, q, { src: toward.src }));
      if (qHasPorts) changed = changed.concat(this.edit(skb, q + 1, { srcport: toward.sport }));
    } else {
      changed = this.edit(skb, i, { src: target.src });
      changed = changed.concat(this.edit(skb, q, { dst: toward.dst }));
      if (qHasPorts) changed = changed.concat(this.edit(skb, q + 1, { dstport: toward.dport }));
    }
    if (changed.length === 0) return;
    this.emit(ns, 'nat', skb, {
      hook,
      changed,
      ref: { table: 'conntrack', row: conntrackRow(ns, conn) },
      explanation: `This ICMP error is RELATED to a NATed connection: conntrack translates its ${dstSide ? 'destination' : 'source'} and the packet quoted inside it (${changed.map((c) => `${c.field} ${c.from} → ${c.to}`).join(', ')}) so the sender recognises its own packet.`,
    });
  }

  /** nf_conntrack_in: find the packet's connection or start a new (unconfirmed) one. */
  private conntrackIn(ns: NetNs, skb: Skb, hook: HookName): void {
    skb.conn = undefined;
    skb.dir = undefined;
    skb.related = false;
    if (!conntrackActive(ns)) return;
    const t = tupleOf(skb.packet);
    if (!t) return;
    const found = ns.conntrack.find(t);
    if (found) {
      skb.conn = found.conn;
      skb.dir = found.dir;
      if (found.dir === 'reply' && !found.conn.seenReply) {
        found.conn.seenReply = true;
        if (found.conn.tcpState === 'SYN_SENT') found.conn.tcpState = 'SYN_RECV';
      } else if (found.dir === 'orig' && found.conn.seenReply && found.conn.tcpState === 'SYN_RECV') {
        found.conn.tcpState = 'ESTABLISHED';
      }
      skb.mark = found.conn.mark || skb.mark;
      this.emit(ns, 'conntrack', skb, {
        hook,
        ref: { table: 'conntrack', row: conntrackRow(ns, found.conn) },
        verdict: found.dir === 'reply' ? 'ESTABLISHED (reply)' : 'ESTABLISHED',
        explanation: `conntrack: this packet belongs to a known connection (${found.dir === 'reply' ? 'reply direction' : 'original direction'}); the nat table is not consulted again.`,
      });
      return;
    }
    const l4 = l4Of(skb.packet);
    if (l4?.type === 'icmp' && l4.icmp_type !== 8 && l4.icmp_type !== 0) {
      const inner = tupleOf(skb.packet.slice(ipIndex(skb.packet) + 2));
      const rel = inner ? ns.conntrack.find(invertTuple(inner)) ?? ns.conntrack.find(inner) : undefined;
      if (rel) {
        skb.conn = rel.conn;
        skb.dir = rel.dir;
        skb.related = true;
        this.emit(ns, 'conntrack', skb, { hook, ref: { table: 'conntrack', row: conntrackRow(ns, rel.conn) }, verdict: 'RELATED', explanation: 'conntrack: an ICMP error about a tracked connection is RELATED to it.' });
        return;
      }
    }
    const conn = ns.conntrack.create(t);
    if (t.proto === 'tcp') conn.tcpState = 'SYN_SENT';
    skb.conn = conn;
    skb.dir = 'orig';
    this.emit(ns, 'conntrack', skb, {
      hook,
      ref: { table: 'conntrack' },
      verdict: 'NEW',
      explanation: `conntrack: no entry for ${t.proto} ${t.src}:${t.sport} → ${t.dst}:${t.dport}; a NEW connection starts, so this first packet will traverse the nat table.`,
    });
  }

  private confirm(ns: NetNs, skb: Skb): void {
    if (skb.conn && !skb.related && !ns.conntrack.isConfirmed(skb.conn)) {
      skb.conn.mark = skb.mark;
      skb.conn.createdUs = this.world.timeUs;
      ns.conntrack.confirm(skb.conn);
    }
  }
}

// ------------------------------------------------------------------ helpers

/** skb_scrub_packet: crossing into another namespace forgets conntrack, mark and bridge state. */
function scrub(skb: Skb): void {
  skb.conn = undefined;
  skb.dir = undefined;
  skb.related = false;
  skb.brnfDone = false;
  skb.physIn = undefined;
  skb.inDev = undefined;
  skb.mark = 0;
}

function ip(skb: Skb): Ipv4Layer {
  return ipOf(skb.packet)!;
}

function nsLabel(ns: NetNs): string {
  return ns.name === 'root' ? `${ns.host}'s root namespace` : `${ns.name}'s namespace on ${ns.host}`;
}

function intToDotted(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** conntrack runs in a namespace once netfilter rules there need it (nat or ctstate matches). */
function conntrackActive(ns: NetNs): boolean {
  return ns.kind === 'root';
}

function tupleOf(p: Packet): Tuple | undefined {
  const i = ipIndex(p);
  if (i < 0) return undefined;
  const ip4 = p[i] as Ipv4Layer;
  const l4 = p[i + 1];
  if (l4?.type === 'tcp' || l4?.type === 'udp') return { proto: l4.type, src: ip4.src, dst: ip4.dst, sport: l4.srcport, dport: l4.dstport };
  if (l4?.type === 'icmp') {
    const id = l4.ident ?? 0;
    return { proto: 'icmp', src: ip4.src, dst: ip4.dst, sport: id, dport: id };
  }
  return undefined;
}

function invertTuple(t: Tuple): Tuple {
  return { proto: t.proto, src: t.dst, dst: t.src, sport: t.dport, dport: t.sport };
}

function conntrackRow(ns: NetNs, conn: Connection): number | undefined {
  const row = ns.conntrack.connections.indexOf(conn);
  return row < 0 ? undefined : row;
}

function learn(br: BridgeDevice, mac: Mac, port: string, nowUs: number): void {
  const row = br.fdb.findIndex((e) => e.mac === mac);
  if (row >= 0) {
    const old = br.fdb[row]!;
    if (old.permanent || old.port === port) return;
    br.fdb.splice(row, 1);
  }
  br.fdb.push({ mac, port, permanent: false, local: false, createdUs: nowUs });
}

/**
 * udp_flow_src_port (include/net/udp.h): a hash of the inner flow scaled into the local port
 * range, so one inner flow always uses one outer source port. The hash seed is per boot.
 */
function udpFlowSrcPort(seed: number, inner: Packet): number {
  const t = tupleOf(inner);
  const text = t ? `${t.proto}${t.src}${t.dst}${t.sport}${t.dport}` : (inner[0] as EthernetLayer).src + (inner[0] as EthernetLayer).dst;
  let hash = seed >>> 0;
  for (let k = 0; k < text.length; k++) hash = Math.imul(hash ^ text.charCodeAt(k), 0x01000193) >>> 0;
  hash = (hash ^ (hash << 16)) >>> 0;
  const min = 32768;
  const max = 60999;
  return Math.floor((hash * (max - min)) / 2 ** 32) + min;
}

function echoReply(req: Packet): Packet {
  const i = ipIndex(req);
  const ip4 = req[i] as Ipv4Layer;
  const icmp = req[i + 1] as IcmpLayer;
  return [
    { ...ip4, src: ip4.dst, dst: ip4.src, ttl: DEFAULT_TTL, id: (ip4.id + 1) & 0xffff, df: false },
    { ...icmp, icmp_type: 0 },
    ...req.slice(i + 2),
  ];
}

function tcpReset(req: Packet): Packet {
  const i = ipIndex(req);
  const ip4 = req[i] as Ipv4Layer;
  const tcp = req[i + 1] as TcpLayer;
  return [
    { type: 'ipv4', src: ip4.dst, dst: ip4.src, ttl: DEFAULT_TTL, proto: IPPROTO_TCP, id: 0, df: true, dsfield: 0 },
    { type: 'tcp', srcport: tcp.dstport, dstport: tcp.srcport, seq: 0, ack: (tcp.seq + 1) >>> 0, flags: TCP_RST | TCP_ACK, window: 0, options: [] },
  ];
}

function rejectCode(w: string): number {
  switch (w) {
    case 'icmp-net-unreachable':
      return 0;
    case 'icmp-host-unreachable':
      return 1;
    case 'icmp-proto-unreachable':
      return 2;
    case 'icmp-net-prohibited':
      return 9;
    case 'icmp-host-prohibited':
      return 10;
    case 'icmp-admin-prohibited':
      return 13;
    default:
      return 3;
  }
}

export function icmpName(l: IcmpLayer): string {
  if (l.icmp_type === 0) return 'echo reply';
  if (l.icmp_type === 8) return 'echo request';
  if (l.icmp_type === 11) return 'time exceeded';
  if (l.icmp_type === 3) {
    return ['net unreachable', 'host unreachable', 'protocol unreachable', 'port unreachable', 'fragmentation needed'][l.code] ?? `destination unreachable (code ${l.code})`;
  }
  return `type ${l.icmp_type}`;
}

function describeSend(role: string, p: Packet): string {
  const i = ipIndex(p);
  const ip4 = p[i] as Ipv4Layer;
  const l4 = p[i + 1];
  const unset = ip4.src === '0.0.0.0';
  const from = (port?: number) => (unset ? `port ${port}` : `${ip4.src}${port !== undefined ? `:${port}` : ''}`);
  const note = unset ? ' The source address is not set yet: the route lookup picks it.' : '';
  if (l4?.type === 'tcp') {
    const flags = [(l4.flags & TCP_SYN) !== 0 ? 'SYN' : '', (l4.flags & TCP_ACK) !== 0 ? 'ACK' : '', (l4.flags & TCP_RST) !== 0 ? 'RST' : ''].filter(Boolean).join('+');
    const who = role === 'reset' ? 'The kernel sends' : role === 'ack' ? 'The client completes the handshake with' : role === 'reply' ? 'The server answers with' : 'A socket sends';
    return `${who} TCP ${flags} from ${from(l4.srcport)} to ${ip4.dst}:${l4.dstport} (TTL ${ip4.ttl}).${note}`;
  }
  if (l4?.type === 'udp') return `A socket sends UDP from ${from(l4.srcport)} to ${ip4.dst}:${l4.dstport} (TTL ${ip4.ttl}).${note}`;
  if (l4?.type === 'icmp') return `${role === 'icmp-error' ? 'The kernel sends' : 'Sending'} ICMP ${icmpName(l4)}${unset ? '' : ` from ${ip4.src}`} to ${ip4.dst} (TTL ${ip4.ttl}).${note}`;
  return `Sending${unset ? '' : ` from ${ip4.src}`} to ${ip4.dst}.${note}`;
}

function explainRule(hook: HookName, table: string, chain: string, verdict: string, markBefore: number, markAfter: number): string {
  const where = chain === hook ? `${table} ${chain}` : `${table} ${chain} (${hook})`;
  if (verdict.startsWith('policy')) return `No rule in ${where} decided; the chain's ${verdict} applies.`;
  if (verdict === 'end of chain') return `No rule in ${where} matched: back to the chain that jumped here.`;
  if (verdict.startsWith('jump') || verdict.startsWith('goto')) return `${where}: the rule matches, so the packet ${verdict.startsWith('jump') ? 'jumps to' : 'goes to'} ${verdict.split(' ')[1]}.`;
  if (verdict.startsWith('MARK')) return `${where}: the packet's mark becomes 0x${markBefore.toString(16)} → 0x${markAfter.toString(16)}.`;
  if (verdict.startsWith('DNAT')) return `${where}: DNAT chosen — ${verdict}.`;
  if (verdict === 'MASQUERADE') return `${where}: MASQUERADE — the source becomes the address of the outgoing device.`;
  if (verdict === 'RETURN') return `${where}: RETURN to the calling chain.`;
  return `${where}: ${verdict}.`;
}
