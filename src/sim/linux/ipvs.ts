import type { Ipv4 } from '../net/addr.ts';
import type { Rng } from '../rng.ts';

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
  /** kube-proxy uses NAT (masquerading) forwarding for every real server */
  readonly fwd: 'Masq';
  activeConns: number;
  inactConns: number;
  readonly stats: IpvsStats;
}

/** A virtual server (`TCP  10.43.6.58:80 rr`). */
export interface IpvsService {
  readonly proto: 'TCP' | 'UDP' | 'SCTP';
  readonly addr: Ipv4;
  readonly port: number;
  scheduler: string;
  /** `persistent <timeout>` for ClientIP affinity */
  readonly persistent?: number;
  readonly dests: IpvsDest[];
  readonly stats: IpvsStats;
}

/** An entry of the IPVS connection table (`ipvsadm -Lnc`). */
export interface IpvsConn {
  readonly proto: 'TCP' | 'UDP' | 'SCTP';
  readonly client: Ipv4;
  readonly cport: number;
  readonly vaddr: Ipv4;
  readonly vport: number;
  readonly daddr: Ipv4;
  readonly dport: number;
  state: string;
  /** seconds until the entry expires */
  expires: number;
}

/**
 * The IPVS table of one namespace (net/netfilter/ipvs): virtual servers, their real servers and
 * the connection table. `schedule` runs the service's scheduler for a new connection.
 */
export class IpvsTable {
  readonly services: IpvsService[] = [];
  readonly conns: IpvsConn[] = [];
  /** per-service scheduler state (rr's last position, …), keyed by service */
  private readonly rrState = new WeakMap<IpvsService, number>();

  find(proto: string, addr: Ipv4, port: number): { service: IpvsService; row: number } | undefined {
    const row = this.services.findIndex((s) => s.proto === proto && s.addr === addr && s.port === port);
    return row < 0 ? undefined : { service: this.services[row]!, row };
  }

  connFor(proto: string, client: Ipv4, cport: number, vaddr: Ipv4, vport: number): IpvsConn | undefined {
    return this.conns.find((c) => c.proto === proto && c.client === client && c.cport === cport && c.vaddr === vaddr && c.vport === vport);
  }

  /**
   * A new connection to `svc` from client:cport: picks a real server with the service's
   * scheduler, records the connection and counts it. Undefined when no destination has weight.
   */
  schedule(svc: IpvsService, client: Ipv4, cport: number, _rng: Rng): IpvsDest | undefined {
    const dests = svc.dests.filter((d) => d.weight > 0);
    if (dests.length === 0) return undefined;
    const last = this.rrState.get(svc) ?? -1;
    const next = (last + 1) % dests.length;
    this.rrState.set(svc, next);
    const dest = dests[next]!;
    dest.activeConns++;
    dest.stats.conns++;
    svc.stats.conns++;
    this.conns.push({ proto: svc.proto, client, cport, vaddr: svc.addr, vport: svc.port, daddr: dest.addr, dport: dest.port, state: svc.proto === 'TCP' ? 'SYN_RECV' : 'UDP', expires: svc.proto === 'TCP' ? 60 : 300 });
    return dest;
  }
}
