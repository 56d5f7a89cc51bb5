import type { Ipv4 } from '../net/addr.ts';

/** The part of a packet conntrack keys on (nf_conntrack_tuple). */
export interface Tuple {
  readonly proto: 'tcp' | 'udp' | 'icmp';
  readonly src: Ipv4;
  readonly dst: Ipv4;
  /** ports, or for ICMP the echo id (both sides) */
  readonly sport: number;
  readonly dport: number;
}

/** tcp_conntrack_names (nf_conntrack_proto_tcp.c), in the kernel's enum order. */
export const TCP_CT_STATES = ['NONE', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE', 'SYN_SENT2'] as const;
export type TcpCtState = (typeof TCP_CT_STATES)[number];

/** nf_conntrack_proto_tcp.c tcp_timeouts[], in seconds (the sysctls nf_conntrack_tcp_timeout_*). */
export const TCP_TIMEOUTS: Readonly<Record<TcpCtState, number>> = {
  NONE: 0,
  SYN_SENT: 2 * 60,
  SYN_RECV: 60,
  ESTABLISHED: 5 * 24 * 3600,
  FIN_WAIT: 2 * 60,
  CLOSE_WAIT: 60,
  LAST_ACK: 30,
  TIME_WAIT: 2 * 60,
  CLOSE: 10,
  SYN_SENT2: 2 * 60,
};

/** nf_conntrack_proto_udp.c / nf_conntrack_proto_icmp.c default timeouts, seconds. */
export const UDP_TIMEOUT_UNREPLIED = 30;
export const UDP_TIMEOUT_REPLIED = 120;
export const ICMP_TIMEOUT = 30;
/** nf_conntrack_proto_udp.c: a UDP flow is a stream once it is still active 2 s (2 * HZ) after its first packet. */
const UDP_STREAM_DELAY_US = 2_000_000;

/** enum tcp_bit_set: which row of the transition table a segment's flags select (get_conntrack_index). */
type TcpBitSet = 'syn' | 'synack' | 'fin' | 'ack' | 'rst' | 'none';

/** A transition to a state, or sIV (invalid: the state stays, the packet is INVALID) or sIG (ignored). */
type Next = TcpCtState | 'INVALID' | 'IGNORE';

const [, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2] = TCP_CT_STATES;
const sIV = 'INVALID' as const;
const sIG = 'IGNORE' as const;

/**
 * tcp_conntracks[2][6][TCP_CONNTRACK_MAX] of nf_conntrack_proto_tcp.c, verbatim: for each
 * direction and flag set, the next state from each current state (columns in TCP_CT_STATES
 * order: sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2).
 */
const TCP_CONNTRACKS: Readonly<Record<'orig' | 'reply', Readonly<Record<TcpBitSet, readonly Next[]>>>> = {
  orig: {
    syn: [sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2],
    synack: [sIV, sIV, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR],
    fin: [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
    ack: [sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV],
    rst: [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    none: [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
  },
  reply: {
    syn: [sIV, sS2, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sS2],
    synack: [sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR],
    fin: [sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV],
    ack: [sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG],
    rst: [sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL],
    none: [sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV],
  },
};

/** get_conntrack_index: RST wins, then SYN (with or without ACK), FIN, ACK. */
function bitSet(flags: number): TcpBitSet {
  if (flags & 0x04) return 'rst';
  if (flags & 0x02) return flags & 0x10 ? 'synack' : 'syn';
  if (flags & 0x01) return 'fin';
  if (flags & 0x10) return 'ack';
  return 'none';
}

/**
 * The TCP state after a segment with `flags` in direction `dir` (tcp_packet's table lookup).
 * `INVALID` leaves the state as it was and makes the packet ctstate INVALID; `IGNORE` leaves
 * it too (the kernel lets such a segment through without learning from it).
 */
export function tcpTransition(state: TcpCtState, dir: CtDirection, flags: number): Next {
  return TCP_CONNTRACKS[dir][bitSet(flags)][TCP_CT_STATES.indexOf(state)]!;
}

/** What `conntrack -L` shows of an entry at one moment: the state a step leaves it in. */
export interface ConnState {
  readonly orig: Tuple;
  readonly reply: Tuple;
  readonly seenReply: boolean;
  readonly assured: boolean;
  readonly tcpState?: TcpCtState;
  /** seconds until the entry expires, as set by the last packet (nf_ct_refresh) */
  readonly timeoutSec: number;
  readonly mark: number;
}

/** One version of a confirmed entry: the state it took at `sinceUs` (simulated µs). */
export interface ConnVersion extends ConnState {
  readonly sinceUs: number;
}

/**
 * One connection. `reply` starts as the inverse of `orig` and is rewritten by NAT, exactly as
 * nf_nat_setup_info alters the reply tuple: replies are recognised by it and translated back.
 */
export interface Connection {
  readonly id: number;
  readonly orig: Tuple;
  reply: Tuple;
  seenReply: boolean;
  /** IPS_ASSURED: set by the protocol handler (TCP: the handshake's last ACK) */
  assured: boolean;
  tcpState?: TcpCtState;
  timeoutSec: number;
  mark: number;
  /** set once the nat table has been consulted for this direction (only first packets see nat) */
  natDoneDst: boolean;
  natDoneSrc: boolean;
  /** an IPVS-owned connection (ipvs sets the conntrack for masq) */
  ipvs?: boolean;
  /** when it was confirmed into the table (simulated µs) */
  createdUs?: number;
  /**
   * UDP: ct->proto.udp.stream_ts, two seconds after the first packet. Only a packet after it,
   * with traffic seen both ways, makes the flow a stream (the long timeout, ASSURED)
   */
  udpStreamUs?: number;
  /** every state it has been in since it was confirmed, oldest first (what `conntrack -L` showed when) */
  readonly versions: ConnVersion[];
}

export function invert(t: Tuple): Tuple {
  return { proto: t.proto, src: t.dst, dst: t.src, sport: t.dport, dport: t.sport };
}

/**
 * IPS_SRC_NAT / IPS_DST_NAT: the reply tuple no longer mirrors the original one. An ICMP echo
 * has one id, kept on both sides of our tuple; a source NAT that draws a new one (--random-fully)
 * changes it on both, which is no destination NAT.
 */
export function isSrcNat(c: Pick<Connection, 'orig' | 'reply'>): boolean {
  return c.reply.dst !== c.orig.src || c.reply.dport !== c.orig.sport;
}

export function isDstNat(c: Pick<Connection, 'orig' | 'reply'>): boolean {
  return c.reply.src !== c.orig.dst || (c.orig.proto !== 'icmp' && c.reply.sport !== c.orig.dport);
}

function key(t: Tuple): string {
  return `${t.proto} ${t.src}:${t.sport} ${t.dst}:${t.dport}`;
}

export type CtDirection = 'orig' | 'reply';

/** A plain copy of what an entry shows now. */
export function connState(c: Connection): ConnState {
  return { orig: c.orig, reply: c.reply, seenReply: c.seenReply, assured: c.assured, ...(c.tcpState ? { tcpState: c.tcpState } : {}), timeoutSec: c.timeoutSec, mark: c.mark };
}

/** What a packet did to its connection's protocol state (for the trace's words). */
export interface CtUpdate {
  readonly before?: TcpCtState;
  readonly after?: TcpCtState;
  /** the segment does not fit the state machine: ctstate INVALID */
  readonly invalid: boolean;
  /** the handshake completed with this packet: IPS_ASSURED was set */
  readonly assuredNow: boolean;
}

/** A namespace's connection tracking table. */
export class Conntrack {
  private readonly byTuple = new Map<string, { conn: Connection; dir: CtDirection }>();
  readonly connections: Connection[] = [];
  private nextId = 1;

  find(t: Tuple): { conn: Connection; dir: CtDirection } | undefined {
    return this.byTuple.get(key(t));
  }

  /**
   * An unconfirmed new connection for its first packet (nf_conntrack_in → init_conntrack and
   * the protocol's `new` handler): a TCP SYN starts in SYN_SENT; any other first segment is
   * picked up mid-stream as nf_conntrack_tcp_loose=1 allows (tcp_new), a RST or SYN/ACK is
   * refused (undefined: the packet is INVALID and untracked).
   */
  create(t: Tuple, tcpFlags = 0x02, nowUs = 0): Connection | undefined {
    let tcpState: TcpCtState | undefined;
    if (t.proto === 'tcp') {
      const next = tcpTransition('NONE', 'orig', tcpFlags);
      if (next === 'INVALID' || next === 'IGNORE') return undefined;
      tcpState = next;
    }
    return {
      id: this.nextId++,
      orig: t,
      reply: invert(t),
      seenReply: false,
      assured: false,
      ...(tcpState ? { tcpState } : {}),
      timeoutSec: tcpState ? TCP_TIMEOUTS[tcpState] : t.proto === 'udp' ? UDP_TIMEOUT_UNREPLIED : ICMP_TIMEOUT,
      mark: 0,
      // nf_conntrack_udp_packet: stream_ts = 2 * HZ + jiffies while the entry is unconfirmed
      ...(t.proto === 'udp' ? { udpStreamUs: nowUs + UDP_STREAM_DELAY_US } : {}),
      natDoneDst: false,
      natDoneSrc: false,
      versions: [],
    };
  }

  /**
   * A later packet of a known connection (nf_conntrack_handle_packet): the reply direction
   * sets IPS_SEEN_REPLY, the protocol handler moves the state (tcp_packet's table), sets
   * IPS_ASSURED and re-arms the timeout. A confirmed entry records the new version at `nowUs`.
   */
  update(conn: Connection, dir: CtDirection, tcpFlags: number, nowUs: number): CtUpdate {
    const before = conn.tcpState;
    let invalid = false;
    let assuredNow = false;
    if (dir === 'reply') conn.seenReply = true;
    if (conn.orig.proto === 'tcp' && before) {
      const next = tcpTransition(before, dir, tcpFlags);
      if (next === 'INVALID') invalid = true;
      else if (next !== 'IGNORE') {
        conn.tcpState = next;
        // tcp_packet: ASSURED on a valid ACK that keeps or reaches ESTABLISHED after SYN_RECV, once a reply was seen
        if (conn.seenReply && !conn.assured && (before === 'SYN_RECV' || before === 'ESTABLISHED') && next === 'ESTABLISHED') {
          conn.assured = true;
          assuredNow = true;
        }
      }
      if (!invalid) conn.timeoutSec = TCP_TIMEOUTS[conn.tcpState!];
    } else if (conn.orig.proto === 'udp') {
      // nf_conntrack_udp_packet: traffic both ways still active two seconds after the first
      // packet is a stream — the longer timeout, and ASSURED; before that, the short timeout
      if (conn.seenReply && nowUs > (conn.udpStreamUs ?? 0)) {
        conn.timeoutSec = UDP_TIMEOUT_REPLIED;
        assuredNow = !conn.assured;
        conn.assured = true;
      } else conn.timeoutSec = UDP_TIMEOUT_UNREPLIED;
    } else conn.timeoutSec = ICMP_TIMEOUT;
    if (this.isConfirmed(conn)) this.record(conn, nowUs);
    return { ...(before ? { before } : {}), ...(conn.tcpState ? { after: conn.tcpState } : {}), invalid, assuredNow };
  }

  /** __nf_conntrack_confirm: the connection becomes visible to later packets (and to `conntrack -L`) from `nowUs`. */
  confirm(conn: Connection, nowUs: number): void {
    if (this.byTuple.get(key(conn.orig))?.conn === conn) return;
    conn.createdUs = nowUs;
    this.connections.push(conn);
    this.byTuple.set(key(conn.orig), { conn, dir: 'orig' });
    this.byTuple.set(key(conn.reply), { conn, dir: 'reply' });
    this.record(conn, nowUs);
  }

  /** NAT changed the expected reply tuple (nf_conntrack_alter_reply). */
  alterReply(conn: Connection, reply: Tuple): void {
    if (this.byTuple.get(key(conn.reply))?.conn === conn) this.byTuple.delete(key(conn.reply));
    conn.reply = reply;
    if (this.byTuple.get(key(conn.orig))?.conn === conn) this.byTuple.set(key(reply), { conn, dir: 'reply' });
  }

  isConfirmed(conn: Connection): boolean {
    return this.byTuple.get(key(conn.orig))?.conn === conn;
  }

  /** The entry leaves the table (nf_ct_delete: its timeout ran out, or conntrack -D). */
  remove(conn: Connection): void {
    if (this.byTuple.get(key(conn.orig))?.conn === conn) this.byTuple.delete(key(conn.orig));
    if (this.byTuple.get(key(conn.reply))?.conn === conn) this.byTuple.delete(key(conn.reply));
    const i = this.connections.lastIndexOf(conn);
    if (i >= 0) this.connections.splice(i, 1);
  }

  clear(): void {
    this.byTuple.clear();
    this.connections.length = 0;
  }

  private record(conn: Connection, sinceUs: number): void {
    const last = conn.versions.at(-1);
    const now = connState(conn);
    if (last && sameState(last, now)) return;
    conn.versions.push({ ...now, sinceUs });
  }
}

function sameState(a: ConnState, b: ConnState): boolean {
  return a.seenReply === b.seenReply && a.assured === b.assured && a.tcpState === b.tcpState && a.timeoutSec === b.timeoutSec && a.mark === b.mark && key(a.reply) === key(b.reply);
}
