import { isIpv4, type Ipv4 } from '../net/addr.ts';
import { glibcMsort, ipvsCmpAddrPort, IpvsTable, type IpvsConn, type IpvsDest, type IpvsProto, type IpvsSchedFlag, type IpvsService } from '../linux/ipvs.ts';
import type { IpSet, NetNs } from '../linux/netns.ts';

/**
 * `ipvsadm` (ipvsadm 1.31 over libipvs, ipvsadm.c's print_* functions) and `ipset` (ipset 7.15,
 * lib/session.c's plain list format) for one namespace, rendered from the kernel model.
 */

export type CliResult = { ok: true; output: string; mutates: boolean } | { ok: false; error: string };

const out = (output: string, mutates = false): CliResult => ({ ok: true, output, mutates });
const fail = (error: string): CliResult => ({ ok: false, error });

/** IP_VS_VERSION_CODE 0x010201 */
const IPVS_VERSION = '1.2.1';

/** printf("%-Ns") / ("%Ns") */
const left = (s: string | number, n: number): string => String(s).padEnd(n);
const right = (s: string | number, n: number): string => String(s).padStart(n);

/** A few /etc/services names (Debian netbase), for listings without -n. */
const SERVICES: Readonly<Record<number, string>> = { 21: 'ftp', 22: 'ssh', 25: 'smtp', 53: 'domain', 80: 'http', 443: 'https', 3306: 'mysql', 5432: 'postgresql', 8080: 'http-alt' };
const SERVICE_PORTS: Readonly<Record<string, number>> = Object.fromEntries(Object.entries(SERVICES).map(([p, n]) => [n, Number(p)]));

// ---------------------------------------------------------------- ipvsadm: options

/** ipvsadm.c optnames, indexed by OPTC_* */
const OPTNAMES = [
  'numeric', 'connection', 'service-address', 'scheduler', 'persistent', 'netmask', 'real-server', 'forwarding-method', 'weight',
  'u-threshold', 'l-threshold', 'mcast-interface', 'timeout', 'daemon', 'stats', 'rate', 'thresholds', 'persistent-conn', 'nosort',
  'syncid', 'exact', 'ops', 'pe', 'sched-flags', 'mcast-group', 'mcast-port', 'mcast-ttl', 'sync-maxlen', 'tun-info', 'tun-type',
  'tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum',
] as const;
type OptName = (typeof OPTNAMES)[number];

const CMDNAMES = ['add-service', 'edit-service', 'delete-service', 'flush', 'list', 'add-server', 'delete-server', 'edit-server', 'set', 'start-daemon', 'stop-daemon', 'restore', 'save', 'zero'] as const;
type Cmd = (typeof CMDNAMES)[number];

/**
 * ipvsadm.c commands_v_options, one string per command, one column per option:
 * '+' compulsory, 'x' illegal, '1' exclusive, ' ' optional.
 */
const COMMANDS_V_OPTIONS: Readonly<Record<Cmd, string>> = {
  'add-service': 'xx+   ' + 'x'.repeat(15) + '   ' + 'x'.repeat(10),
  'edit-service': 'xx+   ' + 'x'.repeat(15) + '   ' + 'x'.repeat(10),
  'delete-service': 'xx+' + 'x'.repeat(31),
  flush: 'x'.repeat(34),
  list: ' 11' + 'x'.repeat(9) + '11' + ' '.repeat(7) + 'x'.repeat(7) + ' ' + 'x'.repeat(5),
  'add-server': 'xx+xxx+' + '    ' + 'x'.repeat(18) + '     ',
  'delete-server': 'xx+xxx+' + 'x'.repeat(27),
  'edit-server': 'xx+xxx+' + '    ' + 'x'.repeat(18) + '     ',
  set: 'x'.repeat(34),
  'start-daemon': 'x'.repeat(11) + ' ' + 'x'.repeat(7) + ' ' + 'x'.repeat(4) + '    ' + 'x'.repeat(6),
  'stop-daemon': 'x'.repeat(19) + ' ' + 'x'.repeat(14),
  restore: 'x'.repeat(34),
  save: ' ' + 'x'.repeat(33),
  zero: 'xx ' + 'x'.repeat(31),
};

/** The popt table: long name → [short, takes an argument, what it sets]. */
type Spec = { cmd: Cmd } | { opt: OptName } | { proto: IpvsProto } | { fwd: 'm' | 'g' | 'i' } | { help: true } | { version: true } | { noop: true };
const LONG: Readonly<Record<string, { short?: string; arg: boolean; spec: Spec }>> = {
  'add-service': { short: 'A', arg: false, spec: { cmd: 'add-service' } },
  'edit-service': { short: 'E', arg: false, spec: { cmd: 'edit-service' } },
  'delete-service': { short: 'D', arg: false, spec: { cmd: 'delete-service' } },
  clear: { short: 'C', arg: false, spec: { cmd: 'flush' } },
  list: { short: 'L', arg: false, spec: { cmd: 'list' } },
  zero: { short: 'Z', arg: false, spec: { cmd: 'zero' } },
  'add-server': { short: 'a', arg: false, spec: { cmd: 'add-server' } },
  'edit-server': { short: 'e', arg: false, spec: { cmd: 'edit-server' } },
  'delete-server': { short: 'd', arg: false, spec: { cmd: 'delete-server' } },
  set: { arg: false, spec: { cmd: 'set' } },
  help: { short: 'h', arg: false, spec: { help: true } },
  version: { short: 'v', arg: false, spec: { version: true } },
  restore: { short: 'R', arg: false, spec: { cmd: 'restore' } },
  save: { short: 'S', arg: false, spec: { cmd: 'save' } },
  'start-daemon': { arg: true, spec: { cmd: 'start-daemon' } },
  'stop-daemon': { arg: true, spec: { cmd: 'stop-daemon' } },
  'tcp-service': { short: 't', arg: true, spec: { proto: 'TCP' } },
  'udp-service': { short: 'u', arg: true, spec: { proto: 'UDP' } },
  'sctp-service': { arg: true, spec: { proto: 'SCTP' } },
  'fwmark-service': { short: 'f', arg: true, spec: { opt: 'service-address' } },
  scheduler: { short: 's', arg: true, spec: { opt: 'scheduler' } },
  persistent: { short: 'p', arg: true, spec: { opt: 'persistent' } },
  netmask: { short: 'M', arg: true, spec: { opt: 'netmask' } },
  'real-server': { short: 'r', arg: true, spec: { opt: 'real-server' } },
  masquerading: { short: 'm', arg: false, spec: { fwd: 'm' } },
  ipip: { short: 'i', arg: false, spec: { fwd: 'i' } },
  gatewaying: { short: 'g', arg: false, spec: { fwd: 'g' } },
  weight: { short: 'w', arg: true, spec: { opt: 'weight' } },
  'u-threshold': { short: 'x', arg: true, spec: { opt: 'u-threshold' } },
  'l-threshold': { short: 'y', arg: true, spec: { opt: 'l-threshold' } },
  numeric: { short: 'n', arg: false, spec: { opt: 'numeric' } },
  connection: { short: 'c', arg: false, spec: { opt: 'connection' } },
  timeout: { arg: false, spec: { opt: 'timeout' } },
  daemon: { arg: false, spec: { opt: 'daemon' } },
  stats: { arg: false, spec: { opt: 'stats' } },
  rate: { arg: false, spec: { opt: 'rate' } },
  thresholds: { arg: false, spec: { opt: 'thresholds' } },
  'persistent-conn': { arg: false, spec: { opt: 'persistent-conn' } },
  nosort: { arg: false, spec: { opt: 'nosort' } },
  sort: { arg: false, spec: { noop: true } },
  exact: { short: 'X', arg: false, spec: { opt: 'exact' } },
  ops: { short: 'o', arg: false, spec: { opt: 'ops' } },
  pe: { arg: true, spec: { opt: 'pe' } },
  'sched-flags': { short: 'b', arg: true, spec: { opt: 'sched-flags' } },
  'tun-info': { arg: false, spec: { opt: 'tun-info' } },
};
const SHORT: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(LONG).flatMap(([long, o]) => (o.short ? [[o.short, long]] : [])).concat([['l', 'list']]),
);

interface Parsed {
  cmd?: Cmd;
  options: Set<OptName>;
  proto?: IpvsProto;
  service?: string;
  values: Map<OptName, string | undefined>;
  fwd?: 'm' | 'g' | 'i';
}

class Fail extends Error {}
const TRY_HELP = "Try `ipvsadm -h' or 'ipvsadm --help' for more information.";

/** ipvsadm.c parse_options over popt: the first option must be a command; clustered short options like -Lnc. */
function parseIpvsadm(argv: readonly string[]): Parsed {
  const p: Parsed = { options: new Set(), values: new Map() };
  const setOption = (o: OptName): void => {
    if (p.options.has(o)) throw new Fail(`multiple '${o}' options specified`);
    p.options.add(o);
  };
  const apply = (long: string, value: string | undefined, first: boolean): void => {
    const spec = LONG[long]!.spec;
    if (first && !('cmd' in spec) && !('help' in spec) && !('version' in spec)) throw new Fail(TRY_HELP);
    if ('cmd' in spec) {
      if (p.cmd !== undefined) throw new Fail('multiple commands specified');
      p.cmd = spec.cmd;
      if (spec.cmd === 'start-daemon' || spec.cmd === 'stop-daemon') throw new Fail(`ipvsadm: the connection sync daemon is not modelled in this lab`);
    } else if ('help' in spec || 'version' in spec) throw new Fail('help' in spec ? 'ipvsadm: the help text is not reproduced in this lab; see ipvsadm(8)' : `ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v${IPVS_VERSION})`);
    else if ('proto' in spec) {
      setOption('service-address');
      p.proto = spec.proto;
      p.service = value;
    } else if ('fwd' in spec) {
      setOption('forwarding-method');
      p.fwd = spec.fwd;
    } else if ('opt' in spec) {
      if (spec.opt === 'service-address') throw new Fail('ipvsadm: fwmark services are not modelled in this lab');
      setOption(spec.opt);
      p.values.set(spec.opt, value);
    }
  };
  let first = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const o = LONG[name];
      // popt's first option decides the command: anything unusable there is tryhelp_exit
      if (!o) throw new Fail(first ? TRY_HELP : `${a}: unknown option`);
      let value: string | undefined;
      if (o.arg) {
        value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
        // popt: --persistent takes an optional argument
        if (value === undefined && name !== 'persistent') throw new Fail(`${a}: missing argument`);
      }
      apply(name, value, first);
      first = false;
    } else if (a.startsWith('-') && a.length > 1) {
      for (let k = 1; k < a.length; k++) {
        const long = SHORT[a[k]!];
        if (!long) throw new Fail(first ? TRY_HELP : `-${a[k]}: unknown option`);
        let value: string | undefined;
        if (LONG[long]!.arg) {
          const rest = a.slice(k + 1);
          if (rest !== '') value = rest;
          else if (long === 'persistent') value = argv[i + 1] !== undefined && /^\d+$/.test(argv[i + 1]!) ? argv[++i] : undefined;
          else {
            value = argv[++i];
            if (value === undefined) throw new Fail(`-${a[k]}: missing argument`);
          }
          k = a.length;
        }
        apply(long, value, first);
        first = false;
      }
    } else {
      if (first) throw new Fail(TRY_HELP);
      throw new Fail(`unexpected argument ${a}`);
    }
  }
  if (p.cmd === undefined) throw new Fail(TRY_HELP);
  // generic_opt_check
  const row = COMMANDS_V_OPTIONS[p.cmd];
  let last: OptName | undefined;
  OPTNAMES.forEach((name, j) => {
    const rule = row[j];
    if (!p.options.has(name)) {
      if (rule === '+') throw new Fail(`You need to supply the '${name}' option for the '${p.cmd}' command`);
      return;
    }
    if (rule === 'x') throw new Fail(`Illegal '${name}' option with the '${p.cmd}' command`);
    if (rule === '1') {
      if (last === undefined) last = name;
      else throw new Fail(`The option '${name}' conflicts with the '${last}' option in the '${p.cmd}' command`);
    }
  });
  return p;
}

/** ipvsadm.c parse_service: host[:port], the port numeric or an /etc/services name. */
function parseService(buf: string | undefined): { addr: Ipv4; port?: number } | undefined {
  if (buf === undefined || /^\d*$/.test(buf)) return undefined;
  const colon = buf.lastIndexOf(':');
  const host = colon < 0 ? buf : buf.slice(0, colon);
  if (!isIpv4(host)) return undefined;
  if (colon < 0) return { addr: host };
  const portText = buf.slice(colon + 1);
  const port = /^\d+$/.test(portText) ? Number(portText) : SERVICE_PORTS[portText];
  if (port === undefined || port > 65535) return undefined;
  return { addr: host, port };
}

/** string_to_number */
function toNumber(s: string | undefined, min: number, max: number): number | undefined {
  if (s === undefined || !/^[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n >= min && n <= max ? n : undefined;
}

// ---------------------------------------------------------------- ipvsadm: printing

const FMT = { NUMERIC: 1, RULE: 2, STATS: 4, RATE: 8, THRESHOLDS: 16, PERSISTENTCONN: 32, NOSORT: 64, EXACT: 128, TUN_INFO: 256 } as const;

/** addrport_to_anyname: numeric, or the port's /etc/services name (the model has no reverse DNS). */
function addrport(addr: string, port: number, format: number): string {
  return format & FMT.NUMERIC ? `${addr}:${port}` : `${addr}:${SERVICES[port] ?? port}`;
}

/** print_largenum: %9llu, or K/M/G/T with %8llu beyond 8 digits; --exact widens to fit. */
function largenum(i: number, format: number): string {
  if (format & FMT.EXACT) {
    const s = String(i);
    return right(s, s.length <= 8 ? 9 : s.length + 1);
  }
  if (i < 100000000) return right(i, 9);
  if (i < 1000000000) return `${right(Math.floor(i / 1000), 8)}K`;
  if (i < 100000000000) return `${right(Math.floor(i / 1000000), 8)}M`;
  if (i < 100000000000000) return `${right(Math.floor(i / 1000000000), 8)}G`;
  return `${right(Math.floor(i / 1000000000000), 8)}T`;
}

function title(format: number): string {
  const prot = left('Prot LocalAddress:Port', 33);
  if (format & FMT.STATS) return `${prot} ${['Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes'].map((h) => right(h, 8)).join(' ')}\n  -> RemoteAddress:Port\n`;
  if (format & FMT.RATE) return `${prot} ${['CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS'].map((h) => right(h, 8)).join(' ')}\n  -> RemoteAddress:Port\n`;
  if (format & FMT.THRESHOLDS) return `${prot} ${['Uthreshold', 'Lthreshold', 'ActiveConn', 'InActConn'].map((h) => left(h, 10)).join(' ')}\n  -> RemoteAddress:Port\n`;
  if (format & FMT.PERSISTENTCONN) return `${prot} ${left('Weight', 9)} ${left('PersistConn', 11)} ${left('ActiveConn', 10)} ${left('InActConn', 10)}\n  -> RemoteAddress:Port\n`;
  if (format & FMT.TUN_INFO) return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n';
  if (format & FMT.RULE) return '';
  return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
}

const OPTION_FROM_PROTO: Readonly<Record<IpvsProto, string>> = { TCP: '-t', UDP: '-u', SCTP: '--sctp-service' };

/** print_sched_flags: the scheduler's own flag names, comma-joined. */
function schedFlags(svc: IpvsService): string {
  return svc.schedFlags.join(',');
}

/** print_service_entry */
function serviceEntry(svc: IpvsService, format: number): string {
  const vname = addrport(svc.addr, svc.port, format);
  let s: string;
  if (format & FMT.RULE) {
    const name = `${OPTION_FROM_PROTO[svc.proto]} ${vname}`;
    s = `-A ${name} -s ${svc.scheduler}`;
    if (svc.persistent !== undefined) s += ` -p ${svc.persistent}`;
    if (svc.schedFlags.length > 0) s += ` -b ${schedFlags(svc)}`;
    s += '\n';
    for (const d of sortedDests(svc, format)) s += `-a ${name} -r ${addrport(d.addr, d.port, format)} -m -w ${d.weight}\n`;
    return s;
  }
  const svcName = `${left(svc.proto, 4)} ${vname}`.slice(0, 33);
  if (format & FMT.STATS) s = left(svcName, 33) + [svc.stats.conns, svc.stats.inpkts, svc.stats.outpkts, svc.stats.inbytes, svc.stats.outbytes].map((n) => largenum(n, format)).join('');
  else if (format & FMT.RATE) s = left(svcName, 33) + [0, 0, 0, 0, 0].map((n) => largenum(n, format)).join('');
  else {
    s = `${svcName} ${svc.scheduler}`;
    if (svc.schedFlags.length > 0) s += ` (${schedFlags(svc)})`;
    if (svc.persistent !== undefined) s += ` persistent ${svc.persistent}`;
  }
  s += '\n';
  for (const d of sortedDests(svc, format)) {
    const dname = addrport(d.addr, d.port, format).slice(0, 28);
    if (format & FMT.STATS) s += `  -> ${left(dname, 28)}${[d.stats.conns, d.stats.inpkts, d.stats.outpkts, d.stats.inbytes, d.stats.outbytes].map((n) => largenum(n, format)).join('')}\n`;
    else if (format & FMT.RATE) s += `  -> ${left(dname, 28)} ${right(0, 8)} ${right(0, 8)} ${right(0, 8)}${largenum(0, format)}${largenum(0, format)}\n`;
    else if (format & FMT.THRESHOLDS) s += `  -> ${left(dname, 28)} ${left(0, 10)} ${left(0, 10)} ${left(d.activeConns, 10)} ${left(d.inactConns, 10)}\n`;
    else if (format & FMT.PERSISTENTCONN) s += `  -> ${left(dname, 28)} ${left(d.weight, 9)} ${left(d.persistConns, 11)} ${left(d.activeConns, 10)} ${left(d.inactConns, 10)}\n`;
    else if (format & FMT.TUN_INFO) s += `  -> ${left(dname, 28)} ${left(d.fwd, 7)} ${left('n/a', 13)} ${left(d.weight, 6)} ${left(d.activeConns, 10)} ${left(d.inactConns, 10)}\n`;
    else s += `  -> ${left(dname, 28)} ${left(d.fwd, 7)} ${left(d.weight, 6)} ${left(d.activeConns, 10)} ${left(d.inactConns, 10)}\n`;
  }
  return s;
}

/** ipvs_sort_dests_entries(ipvs_cmp_dests) unless --nosort, which keeps the kernel's list order. */
function sortedDests(svc: IpvsService, format: number): IpvsDest[] {
  return format & FMT.NOSORT ? [...svc.dests] : glibcMsort(svc.dests, ipvsCmpAddrPort);
}

/** list_conn: /proc/net/ip_vs_conn through print_conn. */
function listConn(ipvs: IpvsTable, format: number, nowSec: number | undefined): string {
  let s = 'IPVS connection entries\n';
  s += format & FMT.PERSISTENTCONN
    ? `pro expire ${left('state', 11)} ${left('source', 18)} ${left('virtual', 18)} ${left('destination', 18)} ${left('pe name', 16)} pe_data\n`
    : `pro expire ${left('state', 11)} ${left('source', 18)} ${left('virtual', 18)} destination\n`;
  for (const c of ipvs.conns) s += connLine(ipvs, c, format, nowSec);
  return s;
}

function connLine(ipvs: IpvsTable, c: IpvsConn, format: number, nowSec: number | undefined): string {
  const expires = Math.floor(ipvs.remaining(c, nowSec));
  const expire = `${String(Math.floor(expires / 60)).padStart(2, '0')}:${String(expires % 60).padStart(2, '0')}`;
  return `${left(c.proto, 3)} ${left(expire, 6)} ${left(c.state, 11)} ${left(addrport(c.client, c.cport, format), 18)} ${left(addrport(c.vaddr, c.vport, format), 18)} ${addrport(c.daddr, c.dport, format)}\n`;
}

export interface IpvsadmOptions {
  /** simulated seconds, for the connection timers `-Lnc` shows; default: as last armed */
  readonly nowSec?: number;
}

/**
 * `ipvsadm …` in `ns`: the listings (-L/-l with -n, -c, --stats, --rate, --exact, --thresholds,
 * --persistent-conn, --nosort, --timeout, --daemon, -t/-u VIP:PORT), -S, and the table edits
 * -A/-E/-D/-a/-e/-d/-C/-Z (NAT real servers only) with ipvsadm's error texts.
 */
export function ipvsadmCommand(ns: NetNs, argv: readonly string[], opts: IpvsadmOptions = {}): CliResult {
  let p: Parsed;
  try {
    if (argv.length === 0) return out(listAll(ns.ipvs ?? new IpvsTable(), 0));
    p = parseIpvsadm(argv);
  } catch (e) {
    return fail((e as Error).message);
  }
  let format = 0;
  if (p.options.has('numeric')) format |= FMT.NUMERIC;
  if (p.options.has('stats')) format |= FMT.STATS;
  if (p.options.has('rate')) format |= FMT.RATE;
  if (p.options.has('thresholds')) format |= FMT.THRESHOLDS;
  if (p.options.has('persistent-conn')) format |= FMT.PERSISTENTCONN;
  if (p.options.has('nosort')) format |= FMT.NOSORT;
  if (p.options.has('exact')) format |= FMT.EXACT;
  if (p.options.has('tun-info')) format |= FMT.TUN_INFO;

  let svcAddr: { addr: Ipv4; port: number } | undefined;
  if (p.options.has('service-address')) {
    const s = parseService(p.service);
    if (!s) return fail('illegal virtual server address[:port] specified');
    svcAddr = { addr: s.addr, port: s.port ?? 0 };
  }
  const ipvs = ns.ipvs ?? new IpvsTable();
  const service = (): IpvsService | undefined => (svcAddr ? ipvs.get(p.proto!, svcAddr.addr, svcAddr.port) : undefined);

  switch (p.cmd) {
    case 'list': {
      const o = p.options;
      if (((o.has('connection') || o.has('timeout') || o.has('daemon')) && (o.has('stats') || o.has('rate') || o.has('thresholds'))) || ((o.has('timeout') || o.has('daemon')) && o.has('persistent-conn'))) {
        return fail('options conflicts in the list command');
      }
      if (o.has('connection')) return out(listConn(ipvs, format, opts.nowSec));
      if (svcAddr) {
        const svc = service();
        return svc ? out(title(format) + serviceEntry(svc, format)) : fail('No such service');
      }
      if (o.has('timeout')) return out('Timeout (tcp tcpfin udp): 900 120 300\n');
      if (o.has('daemon')) return out('');
      return out(listAll(ipvs, format));
    }
    case 'save':
      return out(listAll(ipvs, format | FMT.RULE));
    case 'set':
    case 'restore':
      return fail(`ipvsadm: --${p.cmd === 'set' ? 'set' : 'restore'} is not modelled in this lab`);
    default:
      return edit(ns, p, svcAddr!);
  }
}

/**
 * One row per virtual service in `ipvsadm -Ln` order — the service line with its real-server
 * lines under it — so a trace event's `ref.row` (IpvsTable.find's row) indexes it directly.
 */
export function ipvsTableRows(ns: NetNs): string[] {
  return (ns.ipvs?.listed() ?? []).map((svc) => serviceEntry(svc, FMT.NUMERIC).trimEnd());
}

function listAll(ipvs: IpvsTable, format: number): string {
  let s = format & FMT.RULE ? '' : `IP Virtual Server version ${IPVS_VERSION} (size=${ipvs.connTabSize})\n`;
  s += title(format);
  const services = format & FMT.NOSORT ? ipvs.services : ipvs.listed();
  for (const svc of services) s += serviceEntry(svc, format);
  return s;
}

/** The table edits (process_options' switch over ce.cmd), with libipvs's ipvs_strerror texts. */
function edit(ns: NetNs, p: Parsed, svcAddr: { addr: Ipv4; port: number } | undefined): CliResult {
  const ipvs = (ns.ipvs ??= new IpvsTable());
  if (p.cmd === 'flush') {
    for (const svc of [...ipvs.services]) ipvs.deleteService(svc);
    return out('', true);
  }
  if (p.cmd === 'zero' && !svcAddr) {
    for (const svc of ipvs.services) zero(svc);
    return out('', true);
  }
  const proto = p.proto!;
  const at = svcAddr!;
  const svc = ipvs.get(proto, at.addr, at.port);
  switch (p.cmd) {
    case 'add-service':
    case 'edit-service': {
      if (at.port === 0 && !p.options.has('persistent')) return fail('Zero port specified for non-persistent service');
      if (p.options.has('ops') && proto !== 'UDP') return fail('One-Packet Scheduling is only for UDP virtual services');
      if (p.options.has('ops') || p.options.has('pe') || p.options.has('netmask')) return fail('ipvsadm: one-packet scheduling, persistence engines and persistence netmasks are not modelled in this lab');
      const scheduler = p.values.get('scheduler') ?? 'wlc';
      let persistent: number | undefined;
      if (p.options.has('persistent')) {
        const t = p.values.get('persistent');
        // libipvs IPVS_SVC_PERSISTENT_TIMEOUT (6*60) when -p has no value; MAX_TIMEOUT 31 days
        persistent = t === undefined ? 360 : toNumber(t, 1, 86400 * 31);
        if (persistent === undefined) return fail(`invalid timeout value \`${t}' specified`);
      }
      let flags: IpvsSchedFlag[] = [];
      if (p.options.has('sched-flags')) {
        const parsed = parseSchedFlags(scheduler, p.values.get('sched-flags') ?? '');
        if (typeof parsed === 'string') return fail(parsed);
        flags = parsed;
      }
      const spec = { scheduler, ...(persistent !== undefined ? { persistent } : {}), schedFlags: flags };
      if (p.cmd === 'add-service') {
        const r = ipvs.addService({ proto, addr: at.addr, port: at.port, ...spec });
        return r.ok ? out('', true) : fail(r.error);
      }
      if (!svc) return fail('No such service');
      const r = ipvs.editService(svc, spec);
      return r.ok ? out('', true) : fail(r.error);
    }
    case 'delete-service':
      if (!svc) return fail('No such service');
      ipvs.deleteService(svc);
      return out('', true);
    case 'zero':
      if (!svc) return fail('No such service');
      zero(svc);
      return out('', true);
    case 'add-server':
    case 'edit-server':
    case 'delete-server': {
      const r = parseService(p.values.get('real-server'));
      if (!r) return fail('illegal real server address[:port] specified');
      // copy vport to dport if not specified
      const port = r.port ?? at.port;
      if (p.cmd !== 'delete-server' && p.fwd !== 'm') {
        return fail('ipvsadm: only masquerading (-m, NAT) real servers are modelled in this lab (ipvsadm defaults to -g, direct routing)');
      }
      let weight = 1;
      if (p.options.has('weight')) {
        const w = toNumber(p.values.get('weight'), 0, 65535);
        if (w === undefined) return fail('illegal weight specified');
        weight = w;
      }
      if (!svc) return fail('Service not defined');
      const dest = svc.dests.find((d) => d.addr === r.addr && d.port === port);
      if (p.cmd === 'add-server') {
        const added = ipvs.addDest(svc, { addr: r.addr, port, weight });
        return added.ok ? out('', true) : fail(added.error);
      }
      if (!dest) return fail('No such destination');
      if (p.cmd === 'edit-server') ipvs.editDest(svc, dest, weight);
      else ipvs.deleteDest(svc, dest);
      return out('', true);
    }
    default:
      return fail(TRY_HELP);
  }
}

function zero(svc: IpvsService): void {
  for (const s of [svc.stats, ...svc.dests.map((d) => d.stats)]) Object.assign(s, { conns: 0, inpkts: 0, outpkts: 0, inbytes: 0, outbytes: 0 });
}

/** parse_sched_flags */
function parseSchedFlags(sched: string, arg: string): IpvsSchedFlag[] | string {
  const flags: IpvsSchedFlag[] = [];
  for (const flag of arg.split(',').filter((f) => f !== '')) {
    if (flag === 'flag-1' || flag === 'flag-2' || flag === 'flag-3') flags.push(flag);
    else if (flag === 'sh-fallback' || flag === 'sh-port' || flag === 'mh-fallback' || flag === 'mh-port') {
      if (flag.slice(0, 2) !== sched) return `incompatible scheduler flag \`${flag}'`;
      flags.push(flag);
    } else return `invalid scheduler flag \`${flag}'`;
  }
  return flags;
}

// ---------------------------------------------------------------- ipset

const IPSET_PROG = 'ipset v7.15';
const IPSET_TRY = "Try `ipset help' for more information.";

/**
 * Type revisions a 5.15 kernel with ipset 7.15 reports (the highest both sides support):
 * bucketsize/initval came in hash:ip rev 5, hash:ip,port and hash:ip,port,ip rev 6,
 * hash:ip,port,net rev 8; bitmap:port stops at 3 (skbinfo).
 */
const REVISION: Readonly<Record<string, number>> = { 'hash:ip': 5, 'hash:net': 7, 'hash:ip,port': 6, 'hash:ip,port,ip': 6, 'hash:ip,port,net': 8, 'bitmap:port': 3 };

/** One element's data size (dsize) for an IPv4 set without extensions. */
const DSIZE: Readonly<Record<string, number>> = { 'hash:ip': 4, 'hash:net': 8, 'hash:ip,port': 8, 'hash:ip,port,ip': 12, 'hash:ip,port,net': 12 };

/**
 * "Size in memory", approximated from the 5.x structures: for hash types sizeof(htype) +
 * sizeof(htable) + one ip_set_region, plus per used bucket an hbucket header (32) with room for
 * AHASH_INIT_SIZE (2) elements — each element assumed in its own bucket; for bitmap:port the
 * 8192-byte bitmap of ports 0-65535 plus struct bitmap_port (72).
 */
function memsize(set: IpSet): number {
  if (set.type === 'bitmap:port') return 8264;
  const base = set.type === 'hash:ip,port' ? 224 : set.type === 'hash:ip,port,net' ? 480 : 232;
  return base + set.entries.size * (32 + 2 * (DSIZE[set.type] ?? 8));
}

/** The set's random initval, here a stable hash of its name (FNV-1a) so the output is reproducible. */
function initval(name: string): string {
  let h = 0x811c9dc5;
  for (const ch of name) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return `0x${h.toString(16).padStart(8, '0')}`;
}

function header(set: IpSet): string {
  return set.type === 'bitmap:port' ? 'range 0-65535' : `family inet hashsize 1024 maxelem ${set.maxelem ?? 65536} bucketsize 12 initval ${initval(set.name)}`;
}

/** References: the iptables rules whose `-m set` holds the set (xt_set takes a reference). */
function references(ns: NetNs, name: string): number {
  let n = 0;
  for (const table of Object.values(ns.nf)) {
    for (const chain of table.values()) for (const r of chain.rules) n += r.matches.filter((m) => m.m === 'set' && m.name === name).length;
  }
  return n;
}

function members(set: IpSet, sorted: boolean): string[] {
  const list = [...set.entries];
  if (set.type === 'bitmap:port') return list.sort((a, b) => Number(a) - Number(b));
  return sorted ? list.sort() : list;
}

/** lib/session.c list_create + list_adt in IPSET_LIST_PLAIN mode. */
function listPlain(ns: NetNs, set: IpSet, first: boolean, terse: boolean, sorted: boolean): string {
  let s = `${first ? '' : '\n'}Name: ${set.name}\nType: ${set.type}\nRevision: ${REVISION[set.type] ?? 0}\nHeader: ${header(set)}\n`;
  s += `Size in memory: ${memsize(set)}\nReferences: ${references(ns, set.name)}\nNumber of entries: ${set.entries.size}\n`;
  if (terse) return s;
  s += 'Members:\n';
  for (const m of members(set, sorted)) s += `${m}\n`;
  return s;
}

function listSave(set: IpSet, sorted: boolean): string {
  let s = `create ${set.name} ${set.type} ${header(set)}\n`;
  for (const m of members(set, sorted)) s += `add ${set.name} ${m}\n`;
  return s;
}

const IPSET_COMMANDS: Readonly<Record<string, string>> = {
  list: 'list', '-L': 'list', save: 'save', '-S': 'save', add: 'add', '-A': 'add', del: 'del', '-D': 'del', test: 'test', '-T': 'test',
  flush: 'flush', '-F': 'flush', version: 'version', '-V': 'version', help: 'help', '-H': 'help',
};

/**
 * An element as ipset stores it: `ip,proto:port` for hash:ip,port (proto defaults to tcp),
 * `ip,proto:port,ip2` / `…,cidr`, a port for bitmap:port, an IP for hash:ip.
 */
function canonicalElement(type: string, text: string): string | undefined {
  const portOf = (s: string): { proto: string; port: number } | undefined => {
    const m = /^(?:(tcp|udp|sctp):)?(\d+)$/.exec(s);
    return m && Number(m[2]) <= 65535 ? { proto: m[1] ?? 'tcp', port: Number(m[2]) } : undefined;
  };
  const parts = text.split(',');
  switch (type) {
    case 'hash:ip':
      return parts.length === 1 && isIpv4(text) ? text : undefined;
    case 'bitmap:port':
      return /^\d+$/.test(text) && Number(text) <= 65535 ? String(Number(text)) : undefined;
    case 'hash:ip,port': {
      const [ip, p] = parts;
      const pp = p === undefined ? undefined : portOf(p);
      return parts.length === 2 && isIpv4(ip ?? '') && pp ? `${ip},${pp.proto}:${pp.port}` : undefined;
    }
    case 'hash:ip,port,ip':
    case 'hash:ip,port,net': {
      const [ip, p, third] = parts;
      const pp = p === undefined ? undefined : portOf(p);
      const ok3 = type === 'hash:ip,port,ip' ? isIpv4(third ?? '') : /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(third ?? '');
      return parts.length === 3 && isIpv4(ip ?? '') && pp && ok3 ? `${ip},${pp.proto}:${pp.port},${third}` : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * `ipset …` in `ns`: list [SETNAME] (with -name/-n, -terse/-t, -sorted/-s, -output save/-o),
 * save, and the edits add/del/test/flush that break or repair a kube-proxy set.
 */
export function ipsetCommand(ns: NetNs, argv: readonly string[]): CliResult {
  const words: string[] = [];
  let names = false;
  let terse = false;
  let sorted = false;
  let output = 'plain';
  let exist = false;
  let quiet = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const opt = a.replace(/^--?/, '');
    if (a.startsWith('-') && !IPSET_COMMANDS[a]) {
      if (opt === 'n' || opt === 'name') names = true;
      else if (opt === 't' || opt === 'terse') terse = true;
      else if (opt === 's' || opt === 'sorted') sorted = true;
      else if (opt === 'exist' || opt === '!') exist = true;
      else if (opt === 'q' || opt === 'quiet') quiet = true;
      else if (opt === 'o' || opt === 'output') {
        const v = argv[++i];
        if (v !== 'plain' && v !== 'save' && v !== 'xml' && v !== 'json') return fail(`${IPSET_PROG}: Syntax error: unknown output mode '${v ?? ''}'\n${IPSET_TRY}`);
        if (v === 'xml' || v === 'json') return fail(`ipset: -output ${v} is not modelled in this lab`);
        output = v;
      } else return fail(`${IPSET_PROG}: No command specified: unknown argument ${a}\n${IPSET_TRY}`);
    } else words.push(a);
  }
  const [cmdWord, ...rest] = words;
  if (cmdWord === undefined) return fail(`${IPSET_PROG}: No command specified.\n${IPSET_TRY}`);
  const cmd = IPSET_COMMANDS[cmdWord];
  if (!cmd) return fail(`${IPSET_PROG}: No command specified: unknown argument ${cmdWord}\n${IPSET_TRY}`);
  const noSet = `${IPSET_PROG}: The set with the given name does not exist`;

  switch (cmd) {
    case 'version':
      return out(`${IPSET_PROG}, protocol version: 7\n`);
    case 'help':
      return fail('ipset: the help text is not reproduced in this lab; see ipset(8)');
    case 'list':
    case 'save': {
      if (rest.length > 1) return fail(`${IPSET_PROG}: Unknown argument: \`${rest[1]}'\n${IPSET_TRY}`);
      const sets = rest[0] === undefined ? [...ns.ipsets.values()] : [ns.ipsets.get(rest[0])].filter((s): s is IpSet => s !== undefined);
      if (rest[0] !== undefined && sets.length === 0) return fail(noSet);
      if (names && cmd === 'list') return out(sets.map((s) => `${s.name}\n`).join(''));
      if (cmd === 'save' || output === 'save') return out(sets.map((s) => listSave(s, sorted)).join(''));
      return out(sets.map((s, i) => listPlain(ns, s, i === 0, terse, sorted)).join(''));
    }
    case 'flush': {
      if (rest.length > 1) return fail(`${IPSET_PROG}: Unknown argument: \`${rest[1]}'\n${IPSET_TRY}`);
      const sets = rest[0] === undefined ? [...ns.ipsets.values()] : [ns.ipsets.get(rest[0])];
      if (sets.some((s) => s === undefined)) return fail(noSet);
      for (const s of sets) s!.entries.clear();
      return out('', true);
    }
    default: {
      const [name, elem, extra] = rest;
      if (name === undefined) return fail(`${IPSET_PROG}: Missing mandatory argument: setname\n${IPSET_TRY}`);
      if (elem === undefined) return fail(`${IPSET_PROG}: Missing mandatory argument: element\n${IPSET_TRY}`);
      if (extra !== undefined) return fail(`${IPSET_PROG}: Unknown argument: \`${extra}'\n${IPSET_TRY}`);
      const set = ns.ipsets.get(name);
      if (!set) return fail(noSet);
      const e = canonicalElement(set.type, elem);
      if (e === undefined) return fail(`${IPSET_PROG}: Syntax error: cannot parse ${elem}: resolving to IPv4 address failed`);
      if (cmd === 'test') {
        if (set.entries.has(e)) return out(quiet ? '' : `${elem} is in set ${name}.\n`);
        return fail(`${IPSET_PROG}: ${elem} is NOT in set ${name}.`);
      }
      if (cmd === 'add') {
        if (set.entries.has(e)) return exist ? out('', false) : fail(`${IPSET_PROG}: Element cannot be added to the set: it's already added`);
        set.entries.add(e);
        return out('', true);
      }
      if (!set.entries.has(e)) return exist ? out('', false) : fail(`${IPSET_PROG}: Element cannot be deleted from the set: it's not added`);
      set.entries.delete(e);
      return out('', true);
    }
  }
}
