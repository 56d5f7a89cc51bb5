import type { Ipv4 } from '../../net/addr.ts';
import { patchLayer } from '../../net/edit.ts';
import type { FieldChange, Packet } from '../../net/packet.ts';
import type { EventKind, PacketOutcome, TableRef, Trace, TraceEvent } from '../../trace/event.ts';
import { connState, type Connection } from '../conntrack.ts';
import type { RouteMatch } from '../fib.ts';
import type { HookName } from '../netfilter/types.ts';
import type { NetNs } from '../netns.ts';
import type { World } from '../world.ts';
import { describeSend } from './describe.ts';
import { devRx } from './dev.ts';
import { localOut } from './output.ts';
import type { Skb } from './skb.ts';

/** One segment or datagram a socket sends in answer to what it received. */
export interface SocketSend {
  readonly packet: Packet;
  /** what it is, as the trace's packet list names it: `reply`, `ack`, `fin` */
  readonly role: string;
  /** the connection's close (FIN and the ACKs of FINs): its own phase of the trace */
  readonly phase?: 'close';
  /** what the program did to send it (its system call), for the send step; default: the packet in words */
  readonly explanation?: string;
}

/** How a local socket answers what it receives; the walk asks it when a packet is delivered. */
export interface SocketBehaviour {
  /** what the socket's program sends from `ns` for a packet delivered to it, in order: nothing, a reply, or several */
  reply(ns: NetNs, delivered: Packet): readonly SocketSend[];
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
  readonly phase?: 'close';
  /** the send step's words, when the sender says them (a socket's system call) */
  readonly explanation?: string;
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
  /** the packet's conntrack entry, shown as it stands after the step */
  readonly conn?: Connection;
  /** `statistic` draws made while the rules were evaluated */
  readonly draws?: EmitDraws;
  /** why the load balancer chose its endpoint (IPVS's scheduler) */
  readonly decision?: string;
}

type EmitDraws = TraceEvent['draws'];

export const MAX_HOPS = 64;
const MAX_PACKETS = 12;
export const DEFAULT_TTL = 64;

/** Thrown by `drop` to unwind the walk of the current packet; never escapes `run`. */
class Dropped {
  constructor(readonly reason: string) {}
}

/** Thrown when the walk has taken the steps it was allowed: the kernel state is as at that step. */
class Halted {}

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
  /** the phase of the packet being walked: every step of it carries it */
  private phase?: 'close';
  private ended?: Omit<PacketOutcome, 'rulesEvaluated' | 'rulesEvaluatedByHost'>;
  /** netfilter rules evaluated by the current packet, in all and per host */
  readonly nfStats = { evaluated: 0 };
  evaluatedByHost: Record<string, number> = {};

  /**
   * @param maxSteps stop after this many steps, leaving every table as it stands at that step
   *   (counters, conntrack, caches): the state a command run "at step k" sees
   */
  constructor(
    readonly world: World,
    readonly sockets: SocketBehaviour,
    private readonly maxSteps = Infinity,
  ) {}

  /** The walk stopped at its step limit before the flow was done. */
  halted = false;

  /** Sends `packet` (from its IPv4 header inwards) from a socket in `ns` and follows everything it causes. */
  run(ns: NetNs, packet: Packet, role = 'request'): Trace {
    this.queue.push({ ns, packet, role, isError: false });
    while (this.queue.length > 0 && this.current < MAX_PACKETS && !this.halted) {
      const next = this.queue.shift()!;
      this.walk(next);
      this.current++;
    }
    const first = this.outcomes[0] ?? { verdict: 'dropped' as const, reason: 'the walk was stopped before the packet ended' };
    return { events: this.events, verdict: first.verdict, reason: first.reason, packets: this.outcomes };
  }

  private walk(p: Pending): void {
    const skb: Skb = { id: this.current, packet: p.packet, mark: 0, hops: 0 };
    this.ended = undefined;
    this.phase = p.phase;
    this.nfStats.evaluated = 0;
    this.evaluatedByHost = {};
    try {
      const said = p.explanation ?? describeSend(p.role, p.packet);
      this.emit(p.ns, 'send', skb, {
        explanation: p.rxDev === undefined ? said : `${said} A process writes it into ${p.rxDev}; it enters the kernel as a packet received there.`,
      });
      const rx = p.rxDev === undefined ? undefined : p.ns.dev(p.rxDev);
      if (rx) devRx(this, p.ns, rx, skb);
      else localOut(this, p.ns, skb, p.isError);
      if (!this.ended) this.finish(p.ns, 'dropped', 'the packet was consumed without being delivered');
    } catch (e) {
      if (e instanceof Halted) {
        this.halted = true;
        return;
      }
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
      ...(o.conn ? { conn: { ...connState(o.conn), id: o.conn.id, confirmed: ns.conntrack.isConfirmed(o.conn) } } : {}),
      ...(o.draws?.length ? { draws: o.draws } : {}),
      ...(o.decision ? { decision: o.decision } : {}),
      ...(this.phase ? { phase: this.phase } : {}),
    });
    if (this.events.length >= this.maxSteps) throw new Halted();
  }

  /**
   * The simulated time a state change made now is stamped with: after the last step, before the
   * next one (every step advances the clock by at least 2 µs), so tables read at a step show it
   * from the next step on.
   */
  get pendingUs(): number {
    return this.world.timeUs + 1;
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
