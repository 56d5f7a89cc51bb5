import { ipToInt, type Ipv4 } from '../net/addr.ts';
import type { Rng } from '../rng.ts';

/**
 * The IP Virtual Server of one namespace (net/netfilter/ipvs): virtual services, their real
 * servers (destinations), the schedulers that pick a destination for a new connection, and the
 * connection table with its per-state timers. Everything here follows the kernel's code:
 * ip_vs_ctl.c (services and destinations), ip_vs_core.c (ip_vs_schedule, ip_vs_sched_persist),
 * ip_vs_conn.c (binding, expiry), ip_vs_proto_tcp.c / _udp.c (states and timeouts) and the
 * scheduler modules ip_vs_rr.c, ip_vs_wrr.c, ip_vs_lc.c, ip_vs_sh.c, ip_vs_dh.c, ip_vs_mh.c.
 */

export type IpvsProto = 'TCP' | 'UDP' | 'SCTP';

/** The scheduler modules this model implements (ip_vs_<name>.ko); wlc is ipvsadm's default. */
export const IPVS_SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'sh', 'dh', 'mh'] as const;
export type IpvsSchedulerName = (typeof IPVS_SCHEDULERS)[number];

export function isIpvsScheduler(s: string): s is IpvsSchedulerName {
  return (IPVS_SCHEDULERS as readonly string[]).includes(s);
}

/**
 * Scheduler flags (IP_VS_SVC_F_SCHED1..3) by the names ipvsadm -b gives them. kube-proxy sets
 * its FlagSourceHash (0x10 = IP_VS_SVC_F_SCHED2) for `mh`, which the mh module reads as mh-port.
 */
export type IpvsSchedFlag = 'sh-fallback' | 'sh-port' | 'mh-fallback' | 'mh-port' | 'flag-1' | 'flag-2' | 'flag-3';

/** Per-service and per-destination counters, as `ipvsadm -Ln --stats` prints them. */
export interface IpvsStats {
  conns: number;
  inpkts: number;
  outpkts: number;
  inbytes: number;
  outbytes: number;
}

/** A real server (`-> 10.42.1.6:80  Masq  1  0  0`). */
export interface IpvsDest {
  readonly addr: Ipv4;
  readonly port: number;
  weight: number;
  /** dest->last_weight: the last non-zero weight (mh keeps a quiesced server's table slots) */
  lastWeight: number;
  /** kube-proxy uses NAT (masquerading) forwarding for every real server */
  readonly fwd: 'Masq';
  activeConns: number;
  inactConns: number;
  /** persistence templates bound to this server (`ipvsadm -Ln --persistent-conn`) */
  persistConns: number;
  readonly stats: IpvsStats;
}

/** A virtual server (`TCP  10.43.6.58:80 rr`). */
export interface IpvsService {
  readonly proto: IpvsProto;
  readonly addr: Ipv4;
  readonly port: number;
  scheduler: string;
  /** `persistent <timeout>` for ClientIP affinity (IP_VS_SVC_F_PERSISTENT, netmask /32) */
  persistent?: number;
  /** IP_VS_SVC_F_SCHED1..3, printed as `rr (flag-1)` / `mh (mh-port)` */
  schedFlags: IpvsSchedFlag[];
  /**
   * The destinations in the kernel's list order: ip_vs_add_dest does list_add_rcu, so the most
   * recently added server is first. Schedulers walk this order; ipvsadm sorts for display.
   */
  readonly dests: IpvsDest[];
  readonly stats: IpvsStats;
}

/** An entry of the IPVS connection table (`ipvsadm -Lnc`, /proc/net/ip_vs_conn). */
export interface IpvsConn {
  readonly proto: IpvsProto;
  readonly client: Ipv4;
  /** 0 for a persistence template */
  readonly cport: number;
  readonly vaddr: Ipv4;
  readonly vport: number;
  readonly daddr: Ipv4;
  readonly dport: number;
  /** the protocol state name as /proc/net/ip_vs_conn prints it: SYN_RECV, ESTABLISHED, UDP, NONE … */
  state: string;
  /** seconds left on the timer as of `updatedAt` (the state's timeout when the timer was last armed) */
  expires: number;
  /** simulated second the timer was last armed */
  updatedAt: number;
  /** IP_VS_CONN_F_TEMPLATE: a persistence template `<proto, caddr, 0, vaddr, vport, daddr, dport>` */
  readonly template: boolean;
  /** IP_VS_CONN_F_INACTIVE: counted in the server's InActConn rather than ActiveConn */
  inactive: boolean;
  readonly service: IpvsService;
  readonly dest: IpvsDest;
  /** the persistence template this connection was scheduled by (cp->control) */
  readonly control?: IpvsConn;
  /** cp->n_control: live connections a template controls; it cannot expire before they do */
  nControl: number;
}

/** TCP flags as ip_vs_proto_tcp.c's tcp_state_idx reads them. */
export interface IpvsTcpFlags {
  readonly syn?: boolean;
  readonly fin?: boolean;
  readonly ack?: boolean;
  readonly rst?: boolean;
}

export type IpvsResult<T = undefined> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

// ---------------------------------------------------------------- protocol states

/** ip_vs_proto_tcp.c: IP_VS_TCP_S_* in enum order, with tcp_state_name_table's names. */
const TCP_STATES = ['NONE', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'SYNACK'] as const;
type TcpState = (typeof TCP_STATES)[number];

/** tcp_timeouts (seconds): the defaults `ipvsadm --set` changes for ESTABLISHED and FIN_WAIT. */
const TCP_TIMEOUTS: Readonly<Record<TcpState, number>> = {
  NONE: 2,
  ESTABLISHED: 15 * 60,
  SYN_SENT: 2 * 60,
  SYN_RECV: 60,
  FIN_WAIT: 2 * 60,
  TIME_WAIT: 2 * 60,
  CLOSE: 10,
  CLOSE_WAIT: 60,
  LAST_ACK: 30,
  LISTEN: 2 * 60,
  SYNACK: 120,
};

/** tcp_state_active_table: the states counted as ActiveConn (pre-established ones included since 4.8). */
const TCP_ACTIVE: ReadonlySet<TcpState> = new Set<TcpState>(['ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'SYNACK']);

/** udp_timeouts[IP_VS_UDP_S_NORMAL]: 5 minutes; /proc prints the state as `UDP`. */
const UDP_TIMEOUT = 5 * 60;
/** sctp_timeouts[IP_VS_SCTP_S_INIT1] for the first INIT of an association. */
const SCTP_INIT_TIMEOUT = 10;

const [, sES, sSS, sSR, sFW, sTW, sCL, sCW, sLA, sLI] = TCP_STATES;

/**
 * tcp_states[] (the default table, secure_tcp off): rows syn, fin, ack, rst for the INPUT
 * direction (client → virtual server), then the same four for OUTPUT (real server → client);
 * columns are the current state in enum order.
 */
const TCP_STATE_TABLE: readonly (readonly TcpState[])[] = [
  /* INPUT */
  /*syn*/ [sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR],
  /*fin*/ [sCL, sCW, sSS, sTW, sTW, sTW, sCL, sCW, sLA, sLI, sTW],
  /*ack*/ [sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES],
  /*rst*/ [sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sSR],
  /* OUTPUT */
  /*syn*/ [sSS, sES, sSS, sSR, sSS, sSS, sSS, sSS, sSS, sLI, sSR],
  /*fin*/ [sTW, sFW, sSS, sTW, sFW, sTW, sCL, sTW, sLA, sLI, sTW],
  /*ack*/ [sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sLA, sES, sES],
  /*rst*/ [sCL, sCL, sSS, sCL, sCL, sTW, sCL, sCL, sCL, sCL, sCL],
] as TcpState[][];

/** tcp_state_idx: rst wins, then syn, fin, ack; a segment with none of them is -1. */
function tcpStateIdx(f: IpvsTcpFlags): number {
  if (f.rst) return 3;
  if (f.syn) return 0;
  if (f.fin) return 1;
  if (f.ack) return 2;
  return -1;
}

// ---------------------------------------------------------------- hashing helpers

/** include/linux/hash.h hash_32: multiply by GOLDEN_RATIO_32, keep the top `bits` bits. */
export function hash32(val: number, bits: number): number {
  return Math.imul(val >>> 0, 0x61c88647) >>> (32 - bits);
}

const M64 = (1n << 64n) - 1n;
const rol64 = (x: bigint, s: bigint): bigint => ((x << s) | (x >> (64n - s))) & M64;

/**
 * lib/siphash.c hsiphash() over one u32 on a 64-bit kernel, where "HalfSipHash-1-3" is really
 * SipHash-1-3 with the 64-bit key words (BITS_PER_LONG == 64): PREAMBLE(4), b |= v, HPOSTAMBLE.
 */
export function hsiphashU32(v: number, key: readonly [bigint, bigint]): number {
  let v0 = 0x736f6d6570736575n ^ key[0];
  let v1 = 0x646f72616e646f6dn ^ key[1];
  let v2 = 0x6c7967656e657261n ^ key[0];
  let v3 = 0x7465646279746573n ^ key[1];
  const b = (4n << 56n) | BigInt(v >>> 0);
  const round = (): void => {
    v0 = (v0 + v1) & M64; v1 = rol64(v1, 13n); v1 ^= v0; v0 = rol64(v0, 32n);
    v2 = (v2 + v3) & M64; v3 = rol64(v3, 16n); v3 ^= v2;
    v0 = (v0 + v3) & M64; v3 = rol64(v3, 21n); v3 ^= v0;
    v2 = (v2 + v1) & M64; v1 = rol64(v1, 17n); v1 ^= v2; v2 = rol64(v2, 32n);
  };
  v3 ^= b;
  round();
  v0 ^= b;
  v2 ^= 0xffn;
  round();
  round();
  round();
  return Number((v0 ^ v1 ^ v2 ^ v3) & 0xffffffffn);
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** fls(): the 1-based index of the highest set bit, 0 for 0. */
function fls(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x);
}

// ---------------------------------------------------------------- schedulers

/** Is the server out of the running for new connections (weight 0 quiesces it)? */
const unavailable = (d: IpvsDest): boolean => d.weight <= 0;

interface Scheduler {
  /** init_service / add_dest / del_dest / upd_dest: rebuild whatever the module keeps */
  changed(svc: IpvsService, removed?: { dest: IpvsDest; index: number }): void;
  schedule(svc: IpvsService, client: Ipv4, cport: number): IpvsDest | undefined;
}

/**
 * ip_vs_rr.c: sched_data points at the last chosen list entry (the list head at first); the
 * next pick is the first entry after it, wrapping once, with weight > 0.
 */
class RoundRobin implements Scheduler {
  /** undefined: the list head */
  private last: IpvsDest | undefined;
  changed(svc: IpvsService, removed?: { dest: IpvsDest; index: number }): void {
    // ip_vs_rr_del_dest: a removed current entry hands the position to its predecessor
    if (removed && removed.dest === this.last) this.last = removed.index > 0 ? svc.dests[removed.index - 1] : undefined;
  }
  schedule(svc: IpvsService): IpvsDest | undefined {
    const list = svc.dests;
    const start = this.last === undefined ? -1 : list.indexOf(this.last);
    for (let k = 1; k <= list.length; k++) {
      const i = start + k;
      // from the head, one pass over the whole list; from an entry, wrap around to it once
      if (start < 0 && i >= list.length) break;
      const d = list[i % list.length]!;
      if (!unavailable(d)) {
        this.last = d;
        return d;
      }
    }
    return undefined;
  }
}

/**
 * ip_vs_wrr.c: passes over the list with a falling weight threshold cw (from the max weight
 * down by the weights' gcd); each pass picks the servers whose weight reaches cw.
 */
class WeightedRoundRobin implements Scheduler {
  /** mark->cl: undefined is the list head */
  private cl: IpvsDest | undefined;
  private cw = 0;
  private mw = 0;
  private di = 1;
  private initialised = false;

  changed(svc: IpvsService): void {
    this.cl = undefined;
    let g = 0;
    let max = 0;
    for (const d of svc.dests) {
      if (d.weight > 0) g = g > 0 ? gcd(d.weight, g) : d.weight;
      if (d.weight > max) max = d.weight;
    }
    this.di = g || 1;
    this.mw = max - (this.di - 1);
    if (!this.initialised) {
      this.cw = this.mw;
      this.initialised = true;
    } else if (this.cw > this.mw || !this.cw) this.cw = this.mw;
    else if (this.di > 1) this.cw = Math.trunc(this.cw / this.di) * this.di + 1;
  }

  schedule(svc: IpvsService): IpvsDest | undefined {
    const list = svc.dests;
    if (this.mw === 0) return undefined;
    const last = this.cl;
    let stop: IpvsDest | undefined;
    let lastPass = false;
    let restarted = false;
    let from = last === undefined ? 0 : list.indexOf(last) + 1;
    for (;;) {
      for (let i = from; i < list.length; i++) {
        const d = list[i]!;
        if (d.weight >= this.cw) {
          this.cl = d;
          return d;
        }
        if (d === stop) {
          this.cl = d;
          return undefined;
        }
      }
      from = 0;
      this.cw -= this.di;
      if (this.cw <= 0) {
        this.cw = this.mw;
        if (lastPass || last === undefined) {
          this.cl = undefined;
          return undefined;
        }
        restarted = true;
      }
      lastPass = this.cw <= this.di;
      if (lastPass && restarted && last !== undefined) stop = last;
    }
  }
}

/**
 * ip_vs_lc.c: the server with the least ip_vs_dest_conn_overhead (activeconns * 256 +
 * inactconns), weight-0 servers skipped; ties go to the first in list order.
 */
class LeastConnection implements Scheduler {
  changed(): void {}
  schedule(svc: IpvsService): IpvsDest | undefined {
    let least: IpvsDest | undefined;
    let loh = 0;
    for (const d of svc.dests) {
      if (d.weight === 0) continue;
      const doh = d.activeConns * 256 + d.inactConns;
      if (!least || doh < loh) {
        least = d;
        loh = doh;
      }
    }
    return least;
  }
}

/**
 * ip_vs_wlc.c: the least overhead per weight — the first available server, then any later one
 * with loh * its weight > doh * least's weight (compared as products, no division).
 */
class WeightedLeastConnection implements Scheduler {
  changed(): void {}
  schedule(svc: IpvsService): IpvsDest | undefined {
    const list = svc.dests;
    const first = list.findIndex((d) => d.weight > 0);
    if (first < 0) return undefined;
    let least = list[first]!;
    let loh = least.activeConns * 256 + least.inactConns;
    for (const d of list.slice(first + 1)) {
      const doh = d.activeConns * 256 + d.inactConns;
      if (loh * d.weight > doh * least.weight) {
        least = d;
        loh = doh;
      }
    }
    return least;
  }
}

const HASH_TAB_BITS = 8;
const HASH_TAB_SIZE = 1 << HASH_TAB_BITS;

/**
 * ip_vs_sh.c: a 256-bucket table filled in list order, each server taking `weight` consecutive
 * buckets; a connection goes to the bucket of hash_32(sport? + client address), so a client
 * always lands on the same server while the table is unchanged.
 */
class SourceHashing implements Scheduler {
  private buckets: (IpvsDest | undefined)[] = [];
  changed(svc: IpvsService): void {
    this.buckets = weightedBuckets(svc.dests, true);
  }
  schedule(svc: IpvsService, client: Ipv4, cport: number): IpvsDest | undefined {
    const port = svc.schedFlags.includes('sh-port') ? cport : 0;
    const key = (offset: number): number => (offset + hash32((port + ipToInt(client)) >>> 0, HASH_TAB_BITS)) & (HASH_TAB_SIZE - 1);
    const ihash = key(0);
    const dest = this.buckets[ihash];
    if (!svc.schedFlags.includes('sh-fallback')) return dest && !unavailable(dest) ? dest : undefined;
    // ip_vs_sh_get_fallback: walk the table from the original bucket for an available server
    if (!dest) return undefined;
    if (!unavailable(dest)) return dest;
    for (let offset = 0; offset < HASH_TAB_SIZE; offset++) {
      const d = this.buckets[key((offset + ihash) % HASH_TAB_SIZE)];
      if (!d) break;
      if (!unavailable(d)) return d;
    }
    return undefined;
  }
}

/**
 * ip_vs_dh.c: the same 256-bucket table, but one bucket per server per round (weights are not
 * used), indexed by hash_32 of the destination address — the virtual address, so every client
 * of one virtual service reaches the same real server.
 */
class DestinationHashing implements Scheduler {
  private buckets: (IpvsDest | undefined)[] = [];
  changed(svc: IpvsService): void {
    this.buckets = weightedBuckets(svc.dests, false);
  }
  schedule(svc: IpvsService): IpvsDest | undefined {
    const dest = this.buckets[hash32(ipToInt(svc.addr), HASH_TAB_BITS)];
    return dest && !unavailable(dest) ? dest : undefined;
  }
}

/** ip_vs_sh_reassign / ip_vs_dh_reassign: walk the list round and round over the 256 buckets. */
function weightedBuckets(list: readonly IpvsDest[], weighted: boolean): (IpvsDest | undefined)[] {
  const out: (IpvsDest | undefined)[] = new Array(HASH_TAB_SIZE).fill(undefined);
  if (list.length === 0) return out;
  let p = 0;
  let count = 0;
  for (let i = 0; i < HASH_TAB_SIZE; i++) {
    if (p === list.length) p = 0;
    const d = list[p]!;
    out[i] = d;
    if (!weighted || ++count >= d.weight) {
      p++;
      count = 0;
    }
  }
  return out;
}

/** CONFIG_IP_VS_MH_TAB_INDEX 12: primes[12 - 8], and IP_VS_MH_TAB_BITS = 12 / 2. */
const MH_TAB_SIZE = 4093;
const MH_TAB_BITS = 6;
/** generate_hash_secret: fixed keys, so the table is the same on every node and boot. */
const MH_HASH1: readonly [bigint, bigint] = [2654435761n, 2654435761n];
const MH_HASH2: readonly [bigint, bigint] = [2654446892n, 2654446892n];

function mhHashKey(addr: Ipv4, port: number, key: readonly [bigint, bigint], offset: number): number {
  return hsiphashU32((offset + port + ipToInt(addr)) >>> 0, key);
}

/**
 * ip_vs_mh.c (Maglev, NSDI'16 §3.4): each server gets a permutation of the 4093 lookup slots
 * from two hashes of its address:port and claims its next free preferred slot in turn
 * (`weight / gcd` turns per round); a connection goes to the slot of the client's hash.
 */
class MaglevHashing implements Scheduler {
  private lookup: (IpvsDest | undefined)[] = [];
  changed(svc: IpvsService): void {
    const list = svc.dests;
    let g = 0;
    let max = 0;
    for (const d of list) {
      if (d.lastWeight > 0) g = g > 0 ? gcd(d.lastWeight, g) : d.lastWeight;
      if (d.lastWeight > max) max = d.lastWeight;
    }
    if (g < 1) {
      this.lookup = [];
      return;
    }
    const rshift = Math.max(0, fls(Math.trunc(max / g)) - MH_TAB_BITS);
    const setup = list.map((d) => {
      const offset = mhHashKey(d.addr, d.port, MH_HASH1, 0) % MH_TAB_SIZE;
      const skip = (mhHashKey(d.addr, d.port, MH_HASH2, 0) % (MH_TAB_SIZE - 1)) + 1;
      const turns = Math.trunc(d.lastWeight / g) >> rshift || (d.lastWeight !== 0 ? 1 : 0);
      return { offset, skip, perm: offset, turns };
    });
    const lookup: (IpvsDest | undefined)[] = this.lookup.length === MH_TAB_SIZE ? this.lookup : new Array(MH_TAB_SIZE).fill(undefined);
    const taken = new Uint8Array(MH_TAB_SIZE);
    let n = 0;
    let dtCount = 0;
    while (n < MH_TAB_SIZE) {
      for (let i = 0; i < list.length; ) {
        const ds = setup[i]!;
        if (ds.turns < 1) {
          i++;
          continue;
        }
        let c = ds.perm;
        while (taken[c]) {
          ds.perm += ds.skip;
          if (ds.perm >= MH_TAB_SIZE) ds.perm -= MH_TAB_SIZE;
          c = ds.perm;
        }
        taken[c] = 1;
        lookup[c] = list[i];
        if (++n === MH_TAB_SIZE) break;
        if (++dtCount >= ds.turns) {
          dtCount = 0;
          i++;
        }
      }
      if (setup.every((s) => s.turns < 1)) break;
    }
    this.lookup = lookup;
  }
  schedule(svc: IpvsService, client: Ipv4, cport: number): IpvsDest | undefined {
    if (this.lookup.length === 0) return undefined;
    const port = svc.schedFlags.includes('mh-port') ? cport : 0;
    const ihash = mhHashKey(client, port, MH_HASH1, 0) % MH_TAB_SIZE;
    const dest = this.lookup[ihash];
    if (!svc.schedFlags.includes('mh-fallback')) return dest && !unavailable(dest) ? dest : undefined;
    if (!dest) return undefined;
    if (!unavailable(dest)) return dest;
    for (let offset = 0; offset < MH_TAB_SIZE; offset++) {
      const d = this.lookup[mhHashKey(client, port, MH_HASH1, (offset + ihash) % MH_TAB_SIZE) % MH_TAB_SIZE];
      if (!d) break;
      if (!unavailable(d)) return d;
    }
    return undefined;
  }
}

function newScheduler(name: IpvsSchedulerName): Scheduler {
  switch (name) {
    case 'rr':
      return new RoundRobin();
    case 'wrr':
      return new WeightedRoundRobin();
    case 'lc':
      return new LeastConnection();
    case 'wlc':
      return new WeightedLeastConnection();
    case 'sh':
      return new SourceHashing();
    case 'dh':
      return new DestinationHashing();
    case 'mh':
      return new MaglevHashing();
  }
}

// ---------------------------------------------------------------- ipvsadm's sort order

/**
 * libipvs ipvs_cmp_services / ipvs_cmp_dests: protocol, then `ntohl(a) - ntohl(b)` — an
 * unsigned difference read back as int, so addresses more than 2^31 apart compare inverted
 * (192.168.x sorts before 10.x, as on real nodes), then port.
 */
export function ipvsCmpAddrPort(a: { addr: Ipv4; port: number }, b: { addr: Ipv4; port: number }): number {
  const r = (ipToInt(a.addr) - ipToInt(b.addr)) | 0;
  return r !== 0 ? r : a.port - b.port;
}

const PROTO_NUM: Readonly<Record<IpvsProto, number>> = { TCP: 6, UDP: 17, SCTP: 132 };

export function ipvsCmpServices(a: IpvsService, b: IpvsService): number {
  const p = PROTO_NUM[a.proto] - PROTO_NUM[b.proto];
  return p !== 0 ? p : ipvsCmpAddrPort(a, b);
}

/** glibc msort (qsort's merge sort): split n/2, merge taking the left on `<= 0`. */
export function glibcMsort<T>(items: readonly T[], cmp: (a: T, b: T) => number): T[] {
  if (items.length <= 1) return [...items];
  const n1 = items.length >> 1;
  const left = glibcMsort(items.slice(0, n1), cmp);
  const right = glibcMsort(items.slice(n1), cmp);
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) out.push(cmp(left[i]!, right[j]!) <= 0 ? left[i++]! : right[j++]!);
  while (i < left.length) out.push(left[i++]!);
  while (j < right.length) out.push(right[j++]!);
  return out;
}

// ---------------------------------------------------------------- the table

const svcKey = (proto: string, addr: string, port: number): string => `${proto} ${addr}:${port}`;
const connKey = (proto: string, client: string, cport: number, vaddr: string, vport: number): string => `${proto} ${client}:${cport} ${vaddr}:${vport}`;

const zeroStats = (): IpvsStats => ({ conns: 0, inpkts: 0, outpkts: 0, inbytes: 0, outbytes: 0 });

/** ipvsadm's ipvs_strerror for IP_VS_SO_SET_ADD's ENOENT. */
export const IPVS_SCHED_NOT_FOUND = 'Scheduler or persistence engine not found';

/**
 * The IPVS table of one namespace. `services` and `conns` are the kernel's service and
 * connection tables; `schedule` is ip_vs_schedule for a new connection, `transition` the
 * protocol state machine for later packets, `expire` the connection timers.
 */
export class IpvsTable {
  readonly services: IpvsService[] = [];
  readonly conns: IpvsConn[] = [];
  /** IP_VS_CONN_TAB_SIZE (1 << CONFIG_IP_VS_TAB_BITS, 12 by default): `(size=4096)` */
  readonly connTabSize = 4096;
  /** sysctl net.ipv4.vs.expire_quiescent_template (kube-proxy sets it to 1) */
  expireQuiescentTemplate = true;
  private readonly byKey = new Map<string, IpvsService>();
  private readonly connIndex = new Map<string, IpvsConn>();
  private readonly schedulers = new WeakMap<IpvsService, Scheduler>();
  private sortedCache?: IpvsService[];

  /** The services in `ipvsadm -Ln` order (what a trace event's `row` indexes). */
  listed(): IpvsService[] {
    this.sortedCache ??= glibcMsort(this.services, ipvsCmpServices);
    return this.sortedCache;
  }

  /** The virtual service proto addr:port (ip_vs_service_find), without computing its listing row. */
  get(proto: string, addr: Ipv4, port: number): IpvsService | undefined {
    return this.byKey.get(svcKey(proto, addr, port));
  }

  /** The virtual service and its row in `ipvsadm -Ln` order (what a trace event's ref names). */
  find(proto: string, addr: Ipv4, port: number): { service: IpvsService; row: number } | undefined {
    const service = this.byKey.get(svcKey(proto, addr, port));
    return service ? { service, row: this.listed().indexOf(service) } : undefined;
  }

  /** ip_vs_conn_in_get: the connection (never a template) of this client socket to this virtual service. */
  connFor(proto: string, client: Ipv4, cport: number, vaddr: Ipv4, vport: number): IpvsConn | undefined {
    return this.connIndex.get(connKey(proto, client, cport, vaddr, vport));
  }

  /** `ipvsadm -A -t addr:port -s sched [-p timeout] [-b flags]` (ip_vs_add_service). */
  addService(s: { proto: IpvsProto; addr: Ipv4; port: number; scheduler: string; persistent?: number; schedFlags?: readonly IpvsSchedFlag[] }): IpvsResult<IpvsService> {
    if (!isIpvsScheduler(s.scheduler)) return { ok: false, error: IPVS_SCHED_NOT_FOUND };
    const key = svcKey(s.proto, s.addr, s.port);
    if (this.byKey.has(key)) return { ok: false, error: 'Service already exists' };
    const svc: IpvsService = {
      proto: s.proto,
      addr: s.addr,
      port: s.port,
      scheduler: s.scheduler,
      ...(s.persistent !== undefined ? { persistent: s.persistent } : {}),
      schedFlags: [...(s.schedFlags ?? [])],
      dests: [],
      stats: zeroStats(),
    };
    const sched = newScheduler(s.scheduler);
    sched.changed(svc);
    this.schedulers.set(svc, sched);
    this.services.push(svc);
    this.byKey.set(key, svc);
    this.sortedCache = undefined;
    return { ok: true, value: svc };
  }

  /** `ipvsadm -E` (ip_vs_edit_service): a new scheduler starts from a fresh state. */
  editService(svc: IpvsService, s: { scheduler: string; persistent?: number; schedFlags?: readonly IpvsSchedFlag[] }): IpvsResult {
    if (!isIpvsScheduler(s.scheduler)) return { ok: false, error: IPVS_SCHED_NOT_FOUND };
    if (s.scheduler !== svc.scheduler) {
      const sched = newScheduler(s.scheduler);
      svc.scheduler = s.scheduler;
      sched.changed(svc);
      this.schedulers.set(svc, sched);
    }
    if (s.persistent === undefined) delete svc.persistent;
    else svc.persistent = s.persistent;
    svc.schedFlags = [...(s.schedFlags ?? [])];
    return { ok: true, value: undefined };
  }

  /** `ipvsadm -D` (ip_vs_del_service): its connections lose their server and go with it. */
  deleteService(svc: IpvsService): void {
    const i = this.services.indexOf(svc);
    if (i < 0) return;
    this.services.splice(i, 1);
    this.byKey.delete(svcKey(svc.proto, svc.addr, svc.port));
    this.sortedCache = undefined;
    for (const c of [...this.conns]) if (c.service === svc) this.unlink(c);
  }

  /** `ipvsadm -a … -m -w weight` (ip_vs_add_dest): added at the head of the list. */
  addDest(svc: IpvsService, d: { addr: Ipv4; port: number; weight: number }): IpvsResult<IpvsDest> {
    if (svc.dests.some((x) => x.addr === d.addr && x.port === d.port)) return { ok: false, error: 'Destination already exists' };
    const dest: IpvsDest = { addr: d.addr, port: d.port, weight: d.weight, lastWeight: d.weight, fwd: 'Masq', activeConns: 0, inactConns: 0, persistConns: 0, stats: zeroStats() };
    svc.dests.unshift(dest);
    this.schedulerOf(svc).changed(svc);
    return { ok: true, value: dest };
  }

  /** `ipvsadm -e … -w weight` (ip_vs_edit_dest): weight 0 quiesces the server. */
  editDest(svc: IpvsService, dest: IpvsDest, weight: number): void {
    dest.weight = weight;
    if (weight !== 0) dest.lastWeight = weight;
    this.schedulerOf(svc).changed(svc);
  }

  /** `ipvsadm -d` (ip_vs_del_dest). Connections bound to it keep it until they expire. */
  deleteDest(svc: IpvsService, dest: IpvsDest): void {
    const index = svc.dests.indexOf(dest);
    if (index < 0) return;
    svc.dests.splice(index, 1);
    this.schedulerOf(svc).changed(svc, { dest, index });
  }

  /**
   * A new connection to `svc` from client:cport (ip_vs_schedule; ip_vs_sched_persist for a
   * persistent service): picks a real server, records the connection as the last entry of
   * `conns` (after any template it creates) and counts it, leaving it in the state the first
   * packet puts it in — SYN_RECV for TCP (which only schedules on a SYN), UDP for UDP.
   * Undefined when the scheduler finds no available server. No randomness: every scheduler
   * here is deterministic, as in the kernel.
   */
  schedule(svc: IpvsService, client: Ipv4, cport: number, _rng: Rng, nowSec = 0): IpvsDest | undefined {
    let dest: IpvsDest | undefined;
    let control: IpvsConn | undefined;
    if (svc.persistent !== undefined) {
      // non-fwmark template <protocol, caddr & netmask (/32), 0, vaddr, vport, daddr, dport>
      let ct = this.conns.find((c) => c.template && c.service === svc && c.client === client && c.vaddr === svc.addr && c.vport === svc.port);
      if (ct && !this.checkTemplate(svc, ct)) {
        this.unlink(ct);
        ct = undefined;
      }
      if (ct) {
        dest = ct.dest;
        ct.updatedAt = nowSec;
        ct.expires = svc.persistent;
      } else {
        dest = this.schedulerOf(svc).schedule(svc, client, cport);
        if (!dest) return undefined;
        ct = {
          proto: svc.proto, client, cport: 0, vaddr: svc.addr, vport: svc.port, daddr: dest.addr, dport: dest.port,
          state: svc.proto === 'UDP' ? 'UDP' : 'NONE', expires: svc.persistent, updatedAt: nowSec, template: true, inactive: false,
          service: svc, dest, nControl: 0,
        };
        dest.persistConns++;
        this.conns.push(ct);
      }
      control = ct;
    } else {
      dest = this.schedulerOf(svc).schedule(svc, client, cport);
      if (!dest) return undefined;
    }
    // ip_vs_conn_new + ip_vs_bind_dest: the dest's conn_flags carry IP_VS_CONN_F_INACTIVE
    const conn: IpvsConn = {
      proto: svc.proto, client, cport, vaddr: svc.addr, vport: svc.port, daddr: dest.addr, dport: dest.port,
      state: 'NONE', expires: 3, updatedAt: nowSec, template: false, inactive: true, service: svc, dest,
      ...(control ? { control } : {}), nControl: 0,
    };
    dest.inactConns++;
    if (control) control.nControl++;
    dest.stats.conns++;
    svc.stats.conns++;
    this.conns.push(conn);
    this.connIndex.set(connKey(conn.proto, client, cport, svc.addr, svc.port), conn);
    // ip_vs_in → ip_vs_set_state for the packet that created the connection
    if (svc.proto === 'TCP') this.transition(conn, 'in', { syn: true }, nowSec);
    else if (svc.proto === 'UDP') this.transition(conn, 'in', {}, nowSec);
    else {
      conn.state = 'INIT1';
      conn.expires = SCTP_INIT_TIMEOUT;
    }
    return dest;
  }

  /**
   * The protocol state machine for a packet of `conn` (ip_vs_set_state): `in` for client →
   * server (ip_vs_in), `out` for the server's replies (ip_vs_out). Re-arms the timer with the
   * new state's timeout and moves the connection between ActiveConn and InActConn.
   */
  transition(conn: IpvsConn, dir: 'in' | 'out', tcpFlags: IpvsTcpFlags | number, nowSec = 0): void {
    // a raw TCP flags byte: FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10
    const flags: IpvsTcpFlags =
      typeof tcpFlags === 'number' ? { fin: (tcpFlags & 0x01) !== 0, syn: (tcpFlags & 0x02) !== 0, rst: (tcpFlags & 0x04) !== 0, ack: (tcpFlags & 0x10) !== 0 } : tcpFlags;
    conn.updatedAt = nowSec;
    if (conn.proto === 'UDP') {
      conn.state = 'UDP';
      conn.expires = UDP_TIMEOUT;
      return;
    }
    if (conn.proto !== 'TCP') return;
    const cur = TCP_STATES.indexOf(conn.state as TcpState);
    const idx = tcpStateIdx(flags);
    const next: TcpState = idx < 0 ? 'CLOSE' : TCP_STATE_TABLE[(dir === 'in' ? 0 : 4) + idx]![cur < 0 ? 0 : cur]!;
    if (next !== conn.state && !conn.template) {
      const d = conn.dest;
      if (!conn.inactive && !TCP_ACTIVE.has(next)) {
        d.activeConns--;
        d.inactConns++;
        conn.inactive = true;
      } else if (conn.inactive && TCP_ACTIVE.has(next)) {
        d.activeConns++;
        d.inactConns--;
        conn.inactive = false;
      }
    }
    conn.state = next;
    conn.expires = TCP_TIMEOUTS[next];
  }

  /** Seconds left on an entry's timer at `nowSec` (what `ipvsadm -Lnc` shows as mm:ss). */
  remaining(conn: IpvsConn, nowSec = conn.updatedAt): number {
    return Math.max(0, conn.expires - Math.max(0, nowSec - conn.updatedAt));
  }

  /**
   * ip_vs_conn_expire for every entry whose timer ran out by `nowSec`: it leaves the table and
   * its server's counters. A template that still controls connections is re-armed instead.
   */
  expire(nowSec: number): void {
    // connections first, so a template whose last controlled connection just went can follow it
    const order = [...this.conns.filter((c) => !c.template), ...this.conns.filter((c) => c.template)];
    for (const c of order) {
      if (this.remaining(c, nowSec) > 0) continue;
      if (c.nControl > 0) {
        c.updatedAt = nowSec;
        continue;
      }
      this.unlink(c);
    }
  }

  /** ip_vs_conn_expire for one entry now (its connection closed and its timer ran out). */
  expireNow(c: IpvsConn): void {
    this.unlink(c);
  }

  private unlink(c: IpvsConn): void {
    const i = this.conns.indexOf(c);
    if (i < 0) return;
    this.conns.splice(i, 1);
    if (!c.template) this.connIndex.delete(connKey(c.proto, c.client, c.cport, c.vaddr, c.vport));
    // ip_vs_unbind_dest
    if (c.template) c.dest.persistConns--;
    else if (c.inactive) c.dest.inactConns--;
    else c.dest.activeConns--;
    if (c.control) c.control.nControl--;
  }

  /** ip_vs_check_template: the template's server must still be in the service and, with expire_quiescent_template, have weight. */
  private checkTemplate(svc: IpvsService, ct: IpvsConn): boolean {
    if (!svc.dests.includes(ct.dest)) return false;
    if (this.expireQuiescentTemplate && ct.dest.weight === 0) return false;
    return true;
  }

  private schedulerOf(svc: IpvsService): Scheduler {
    let s = this.schedulers.get(svc);
    if (!s) {
      s = newScheduler(isIpvsScheduler(svc.scheduler) ? svc.scheduler : 'rr');
      s.changed(svc);
      this.schedulers.set(svc, s);
    }
    return s;
  }
}
