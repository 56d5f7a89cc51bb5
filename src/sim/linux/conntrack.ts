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

export type TcpCtState = 'SYN_SENT' | 'SYN_RECV' | 'ESTABLISHED' | 'CLOSE';

/**
 * One connection. `reply` starts as the inverse of `orig` and is rewritten by NAT, exactly as
 * nf_nat_setup_info alters the reply tuple: replies are recognised by it and translated back.
 */
export interface Connection {
  readonly id: number;
  readonly orig: Tuple;
  reply: Tuple;
  seenReply: boolean;
  tcpState?: TcpCtState;
  mark: number;
  /** set once the nat table has been consulted for this direction (only first packets see nat) */
  natDoneDst: boolean;
  natDoneSrc: boolean;
  /** an IPVS-owned connection (ipvs sets the conntrack for masq) */
  ipvs?: boolean;
  /** when it was confirmed into the table (simulated µs) */
  createdUs?: number;
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

/** A namespace's connection tracking table. */
export class Conntrack {
  private readonly byTuple = new Map<string, { conn: Connection; dir: CtDirection }>();
  readonly connections: Connection[] = [];
  private nextId = 1;

  find(t: Tuple): { conn: Connection; dir: CtDirection } | undefined {
    return this.byTuple.get(key(t));
  }

  /** An unconfirmed new connection: it enters the table when confirmed (at the last hook). */
  create(t: Tuple): Connection {
    return {
      id: this.nextId++,
      orig: t,
      reply: invert(t),
      seenReply: false,
      mark: 0,
      natDoneDst: false,
      natDoneSrc: false,
    };
  }

  /** __nf_conntrack_confirm: the connection becomes visible to later packets. */
  confirm(conn: Connection): void {
    if (this.byTuple.get(key(conn.orig))?.conn === conn) return;
    this.connections.push(conn);
    this.byTuple.set(key(conn.orig), { conn, dir: 'orig' });
    this.byTuple.set(key(conn.reply), { conn, dir: 'reply' });
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
}
