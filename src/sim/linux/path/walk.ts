import type { Ipv4 } from '../../net/addr.ts';
import { patchLayer } from '../../net/edit.ts';
import type { FieldChange, Packet } from '../../net/packet.ts';
import type { EventKind, PacketOutcome, TableRef, Trace, TraceEvent } from '../../trace/event.ts';
import type { RouteMatch } from '../fib.ts';
import type { HookName } from '../netfilter/types.ts';
import type { NetNs } from '../netns.ts';
import type { World } from '../world.ts';
import { describeSend } from './describe.ts';
import { devRx } from './dev.ts';
import { localOut } from './output.ts';
import type { Skb } from './skb.ts';

/** How a local socket answers what it receives; the walk asks it when a packet is delivered. */
export interface SocketBehaviour {
  /** a reply to send from `ns` for a packet delivered to a listening socket, or nothing */
  reply(ns: NetNs, delivered: Packet): Packet | undefined;
}

/** A packet queued to be walked after the current one (replies, ICMP errors). */
export interface Pending {
  readonly ns: NetNs;
  readonly packet: Packet;
  readonly role: string;
  /** ICMP errors must not trigger ICMP errors (RFC 1122, icmp_send) */
  readonly isError: boolean;
  /** the packet enters the kernel as received on this device (a TUN write) instead of from a socket */
  readonly rxDev?: string;
}

/** What a step may say besides its kind: where, which row, the verdict, the fields it changed. */
export interface EmitOptions {
  readonly dev?: string;
  readonly hook?: HookName;
  readonly ref?: TableRef;
  readonly verdict?: string;
  readonly reason?: string;
  readonly changed?: readonly FieldChange[];
  readonly explanation: string;
  readonly onWire?: boolean;
}

export const MAX_HOPS = 64;
const MAX_PACKETS = 12;
export const DEFAULT_TTL = 64;

/** Thrown by `drop` to unwind the walk of the current packet; never escapes `run`. */
class Dropped {
  constructor(readonly reason: string) {}
}

/**
 * The kernel's packet path over a World: ip_local_out → OUTPUT → routing → POSTROUTING →
 * neighbour → dev_queue_xmit; on the other side netif_receive_skb → bridge or ip_rcv →
 * PREROUTING → routing → INPUT (local delivery) or FORWARD. Every step becomes a TraceEvent;
 * what happens is decided only by the namespaces' tables.
 *
 * This class holds the walk's state and the primitives every stage uses (emit a step, drop,
 * finish, rewrite a field, look a route up); the stages themselves live beside it, one file per
 * part of the kernel (output, input, forward, dev, bridge, arp, vxlan, netfilter, conntrack, nat,
 * ipvs, icmp), as functions taking the walk.
 */
export class PacketWalk {
  private readonly events: TraceEvent[] = [];
  private readonly outcomes: PacketOutcome[] = [];
  /** packets to walk after the current one: replies the sockets send, ICMP errors, resets */
  readonly queue: Pending[] = [];
  private current = 0;
  private ended?: Omit<PacketOutcome, 'rulesEvaluated' | 'rulesEvaluatedByHost'>;
  /** netfilter rules evaluated by the current packet, in all and per host */
  readonly nfStats = { evaluated: 0 };
  evaluatedByHost: Record<string, number> = {};

  constructor(
    readonly world: World,
    readonly sockets: SocketBehaviour,
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
      explanation: p.rxDev === undefined ? describeSend(p.role, p.packet) : `${describeSend(p.role, p.packet)} A process writes it into ${p.rxDev}; it enters the kernel as a packet received there.`,
    });
    try {
      const rx = p.rxDev === undefined ? undefined : p.ns.dev(p.rxDev);
      if (rx) devRx(this, p.ns, rx, skb);
      else localOut(this, p.ns, skb, p.isError);
      if (!this.ended) this.finish(p.ns, 'dropped', 'the packet was consumed without being delivered');
    } catch (e) {
      if (!(e instanceof Dropped)) throw e;
    }
    this.outcomes.push({ ...this.ended!, role: p.role, rulesEvaluated: this.nfStats.evaluated, rulesEvaluatedByHost: this.evaluatedByHost });
  }

  /** Records one step, with the packet as it is after it. */
  emit(ns: NetNs, kind: EventKind, skb: Skb, o: EmitOptions): void {
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

  /** kfree_skb with a reason: records the drop and ends this packet's walk. */
  drop(ns: NetNs, skb: Skb, reason: string, explanation: string, dev?: string): never {
    this.emit(ns, 'drop', skb, { dev, reason, explanation: `${explanation} (${reason})` });
    this.finish(ns, 'dropped', reason);
    throw new Dropped(reason);
  }

  finish(ns: NetNs, verdict: 'delivered' | 'dropped', reason?: string): void {
    this.ended = { packetId: this.current, role: '', verdict, reason, host: ns.host, netns: ns.name };
  }

  /** Rewrites fields of one layer of the packet; returns what changed. */
  edit(skb: Skb, index: number, patch: Record<string, unknown>): FieldChange[] {
    const r = patchLayer(skb.packet, index, patch as never);
    skb.packet = r.packet;
    return r.changes;
  }

  /** fib_lookup in the namespace's main table, skipping routes through devices that are down. */
  lookup(ns: NetNs, dst: Ipv4): RouteMatch | undefined {
    return ns.fib.lookup(dst, (dev) => ns.dev(dev)?.up === true);
  }
}
