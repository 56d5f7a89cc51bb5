import { broadcastOf, ipToInt, parseCidr, prefixMask, type Ipv4, type Mac } from '../net/addr.ts';
import { Conntrack } from './conntrack.ts';
import type { Device, IfAddr } from './devices.ts';
import { Fib } from './fib.ts';
import type { IpvsTable } from './ipvs.ts';
import { NeighTable } from './neigh.ts';
import { newTables } from './netfilter/tables.ts';
import type { UserProcess } from './process.ts';
import type { Tables } from './netfilter/types.ts';
import { NftRuleset } from './nftables/ruleset.ts';

/** An ipset (`ipset list`): kube-proxy's ipvs mode matches whole service sets with one rule. */
export interface IpSet {
  readonly name: string;
  readonly type: string;
  readonly comment?: string;
  /** `maxelem` at create (ipset's default 65536; Felix asks for 1048576, its MaxIPSetSize) */
  readonly maxelem?: number;
  readonly entries: Set<string>;
}

export interface Listener {
  readonly proto: 'tcp' | 'udp';
  readonly port: number;
  /** the program, for `ss`-like views and explanations */
  readonly process: string;
  /**
   * A connected socket's IP ID counter (inet_id): its next DF packet takes this value and moves
   * it on (ip_select_ident_segs), so one connection's IDs run in sequence from a random start.
   */
  inetId?: number;
}

/**
 * A network namespace: its own devices, routes, neighbours, netfilter tables, conntrack and
 * sysctls — "each container has its own network namespace with its own network devices,
 * routing table, ARP table, protocol stack, iptables" (seed §2b).
 */
export class NetNs {
  readonly devices = new Map<string, Device>();
  readonly fib = new Fib();
  readonly neigh = new NeighTable();
  readonly nf: Tables = newTables();
  /** nf_tables: tables of chains, sets and maps, hooked in beside iptables' tables by priority */
  readonly nft = new NftRuleset();
  readonly conntrack = new Conntrack();
  readonly ipsets = new Map<string, IpSet>();
  readonly listeners: Listener[] = [];
  /** user-space programs the packet path hands packets to (a TUN reader, a UDP socket owner), by name */
  readonly processes = new Map<string, UserProcess>();
  readonly sysctl = { ipForward: false, bridgeNfCallIptables: false };
  /**
   * Learned path MTUs by destination (the FIB's nexthop exceptions, fnhe): an ICMP "fragmentation
   * needed" delivered here lowers the MTU towards that destination for ip_rt_mtu_expires (600 s).
   */
  readonly pmtu = new Map<string, { readonly mtu: number; readonly expiresUs: number }>();
  /** ICMP error rate limits: per destination (inet_peer's rate_tokens, ms) and per namespace (icmp_msgs_per_sec) */
  readonly icmpLimit = { peers: new Map<string, { tokens: number; lastMs: number }>(), credit: 0, stampMs: 0 };
  /** the IPVS table, once the ip_vs module is in use here (kube-proxy ipvs mode) */
  ipvs?: IpvsTable;
  private nextIfindex = 1;
  /** the local table, as sets: rebuilt after any address or link change (see invalidateAddrs) */
  private localCache?: { readonly local: Set<number>; readonly broadcast: Set<string> };

  constructor(
    /** the machine this namespace lives on */
    readonly host: string,
    /** `root` for the host's own namespace, else the pod/container name */
    readonly name: string,
    readonly kind: 'root' | 'pod' | 'container',
  ) {}

  get id(): string {
    return `${this.host}/${this.name}`;
  }

  allocIfindex(): number {
    return this.nextIfindex++;
  }

  dev(name: string): Device | undefined {
    return this.devices.get(name);
  }

  /**
   * `ip addr add`: the kernel also adds the prefix route `proto kernel scope link src` to the
   * main table (fib_add_ifaddr) unless the address is a /32.
   */
  addAddress(dev: Device, a: { addr: Ipv4; prefixLen: number; scope?: IfAddr['scope']; dynamic?: boolean; metric?: number }): void {
    const prefix = parseCidr(`${a.addr}/${a.prefixLen}`);
    this.invalidateAddrs();
    dev.addrs.push({
      addr: a.addr,
      prefixLen: a.prefixLen,
      brd: a.prefixLen < 31 && dev.kind !== 'loopback' ? broadcastOf(prefix) : undefined,
      scope: a.scope ?? (a.addr.startsWith('127.') ? 'host' : 'global'),
      dynamic: a.dynamic,
      metric: a.metric,
    });
    if (a.prefixLen < 32 && dev.kind !== 'loopback') {
      this.fib.add({
        dst: prefix,
        dev: dev.name,
        proto: 'kernel',
        scope: 'link',
        src: a.addr,
        metric: a.metric,
        type: 'unicast',
      });
    }
  }

  /**
   * Must follow any change to a device's addresses or up/down state: the local table is cached
   * because a node in ipvs mode holds every ClusterIP on kube-ipvs0 and every packet asks.
   */
  invalidateAddrs(): void {
    this.localCache = undefined;
  }

  private localTable(): { readonly local: Set<number>; readonly broadcast: Set<string> } {
    if (this.localCache) return this.localCache;
    const local = new Set<number>();
    const broadcast = new Set<string>(['255.255.255.255']);
    for (const d of this.devices.values()) {
      for (const a of d.addrs) {
        if (d.up) local.add(ipToInt(a.addr));
        if (a.brd) broadcast.add(a.brd);
      }
    }
    this.localCache = { local, broadcast };
    return this.localCache;
  }

  /** Whether `ip` is one of this namespace's addresses (the local routing table). */
  isLocal(ip: Ipv4 | number): boolean {
    const n = typeof ip === 'number' ? ip : ipToInt(ip);
    return (n >>> 24) === 127 || this.localTable().local.has(n);
  }

  /** The device holding a local address. */
  deviceWithAddr(ip: Ipv4): Device | undefined {
    for (const d of this.devices.values()) if (d.addrs.some((a) => a.addr === ip)) return d;
    return undefined;
  }

  /**
   * inet_select_addr: the source address for traffic out of `dev` towards `dst` — the first
   * address of dev in dst's subnet, else dev's first global address, else any global address.
   */
  selectSrc(devName: string, dst: Ipv4): Ipv4 | undefined {
    const dev = this.devices.get(devName);
    const d = ipToInt(dst);
    if (dev) {
      const inSubnet = dev.addrs.find((a) => a.scope !== 'host' && ((ipToInt(a.addr) ^ d) & prefixMask(a.prefixLen)) === 0);
      if (inSubnet) return inSubnet.addr;
      const first = dev.addrs.find((a) => a.scope === 'global');
      if (first) return first.addr;
    }
    for (const other of this.devices.values()) {
      const g = other.addrs.find((a) => a.scope === 'global');
      if (g && other.up) return g.addr;
    }
    return undefined;
  }

  /** The broadcast check of the local table (`broadcast 10.42.0.255 dev cni0 table local`). */
  isBroadcast(ip: Ipv4): boolean {
    return this.localTable().broadcast.has(ip);
  }

  /** The MTU a locally sent packet to `dst` must fit: the device's, or a smaller learned path MTU. */
  pathMtu(dst: Ipv4, devMtu: number, nowUs: number): number {
    const learned = this.pmtu.get(dst);
    if (!learned || learned.expiresUs <= nowUs) return devMtu;
    return Math.min(devMtu, learned.mtu);
  }

  /**
   * __ip_rt_update_pmtu: a frag-needed error about a packet to `dst` lowers its path MTU (never
   * below ip_rt_min_pmtu, 552) for 600 s.
   */
  learnPmtu(dst: Ipv4, mtu: number, nowUs: number): void {
    this.pmtu.set(dst, { mtu: Math.max(mtu, 552), expiresUs: nowUs + 600_000_000 });
  }

  deviceByMac(m: Mac): Device | undefined {
    for (const d of this.devices.values()) if (d.mac === m) return d;
    return undefined;
  }
}
