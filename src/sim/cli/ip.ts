import { broadcastOf, intToIp, ipToInt, isIpv4, maskToDotted, parseCidr, prefixContains, prefixMask, prefixToString, type Ipv4, type Mac, type Prefix } from '../net/addr.ts';
import type { BridgeDevice, BridgeFdbEntry, Device, IfAddr, VxlanDevice } from '../linux/devices.ts';
import type { Route } from '../linux/fib.ts';
import type { Neighbour, NudState } from '../linux/neigh.ts';
import type { NetNs } from '../linux/netns.ts';
import type { World } from '../linux/world.ts';
import { ipLinkAdd, ipLinkDel } from './ip-link-add.ts';
import { bridgeIdHex, briefShow, busyboxLinkShow, byIfindex, hasCarrier, ipLinkShow, isSecondary, linkFlags, linkName, mtuLimits, selectLinks, type LinkShowOpts } from './ip-link.ts';


/**
 * iproute2 (`ip`, `bridge`), net-tools (`route`) and bridge-utils (`brctl`) over one network
 * namespace of the kernel model. Renderers are pure; mutations validate everything first and
 * then change the namespace, so a failed command leaves it exactly as it was. Formats follow
 * iproute2 6.1 (ip/ipaddress.c print_linkinfo/print_addrinfo, ip/iproute.c print_route,
 * ip/ipneigh.c print_neigh, bridge/fdb.c print_fdb), net-tools lib/inet_gr.c rprint_fib and
 * bridge-utils brctl_cmd.c, trailing blanks included where those printers leave them (every
 * `ip route` line ends in a space, as `"%s "`-style printing leaves it). In pod and container
 * namespaces `ip addr|link|route` answer as busybox does, the `ip` of the seed's
 * `kubectl debug --image=busybox` shell.
 *
 * Row renderers (`routeLines`, `neighLines`, `fdbTable`) keep the kernel tables' order, so the
 * row a trace event names (`ref.row`) is the line the UI highlights.
 */

/** What a command family returns to the dispatcher. `stderr` is text the real tool writes to stderr on success. */
export type CommandResult = { ok: true; output: string; mutates: boolean; stderr?: string } | { ok: false; error: string };
/** A mutation's outcome: either applied in full or not at all, with the tool's own message. */
export type EditResult = { ok: true; warning?: string } | { ok: false; error: string };

const OK: EditResult = { ok: true };
const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });
const out = (output: string, mutates = false): CommandResult => ({ ok: true, output, mutates });

// ---------------------------------------------------------------- the tools' own words

const RTNL = {
  exists: 'RTNETLINK answers: File exists',
  noProcess: 'RTNETLINK answers: No such process',
  noEntry: 'RTNETLINK answers: No such file or directory',
  noDevice: 'RTNETLINK answers: No such device',
  inval: 'RTNETLINK answers: Invalid argument',
  addrNotAvail: 'RTNETLINK answers: Cannot assign requested address',
  netUnreach: 'RTNETLINK answers: Network is unreachable',
  hostUnreach: 'RTNETLINK answers: No route to host',
  permDenied: 'RTNETLINK answers: Permission denied',
} as const;
const KERNEL = {
  invalidGw: 'Error: Nexthop has invalid gateway.',
  nhDevRequired: 'Error: Nexthop device required for onlink.',
  nhDevDown: 'Error: Nexthop device is not up.',
  devDown: 'Error: Device for nexthop is not up.',
  onlinkNoGw: 'Error: Invalid flags for nexthop - PERVASIVE and ONLINK can not be set.',
  badPrefix: 'Error: Invalid prefix for given prefix length.',
  prefsrc: 'Error: Invalid prefsrc address.',
  noLladdr: 'Error: No link layer address given.',
  mtuMin: 'Error: mtu less than device minimum.',
  mtuMax: 'Error: mtu greater than device maximum.',
  errorTypeNexthop: 'Error: Gateway, device and multipath can not be specified for this route type.',
} as const;
const INCOMPLETE = 'Command line is not complete. Try option "help"';
const nodev = (d: string) => `Cannot find device "${d}"`;
const duparg2 = (key: string, arg: string) => `Error: either "${key}" is duplicate, or "${arg}" is a garbage.`;
const invarg = (msg: string, arg: string) => `Error: argument "${arg}" is wrong: ${msg}`;
const notModelled = (what: string) => `kube-packet-lab: ${what} is not part of the simulated kernel`;

/** iproute2's matches(): `arg` is a non-empty prefix of `word` (so `ip r`, `ip neighbo`, `ip a s` work). */
function matches(arg: string | undefined, word: string): boolean {
  return arg !== undefined && arg.length > 0 && word.startsWith(arg);
}

/** An argv cursor with iproute2's NEXT_ARG(). */
class Argv {
  private i = 0;
  constructor(private readonly a: readonly string[]) {}
  get done(): boolean {
    return this.i >= this.a.length;
  }
  take(): string | undefined {
    return this.a[this.i++];
  }
  /** NEXT_ARG(): the value after a keyword, or undefined when the line ends there */
  value(): string | undefined {
    this.i++;
    return this.a[this.i - 1];
  }
}

/** busybox `ip route` (networking/libiproute/iproute.c): no `proto`, `scope link  src …` with its double blank. */
function busyboxRouteLine(r: Route, hide: RouteHide = {}): string {
  let s = `${dstText(r.dst)} `;
  if (r.via && !hide.via) s += `via ${r.via} `;
  if (!hide.dev) s += `dev ${r.dev} `;
  if (r.scope !== 'global' && !hide.scope) s += `scope ${r.scope} `;
  if (r.src) s += ` src ${r.src} `;
  if (r.metric) s += ` metric ${r.metric} `;
  if (r.onlink) s += 'onlink ';
  return s;
}

// ---------------------------------------------------------------- routes

function dstText(p: Prefix): string {
  if (p.len === 0) return 'default';
  return p.len === 32 ? intToIp(p.net) : prefixToString(p);
}

interface RouteHide {
  readonly dev?: boolean;
  readonly proto?: boolean;
  readonly scope?: boolean;
  readonly via?: boolean;
}

/** One main-table route as print_route prints it (with the trailing blank). */
export function routeLine(ns: NetNs, r: Route, hide: RouteHide = {}): string {
  const parts: string[] = [];
  if (r.type !== 'unicast') parts.push(r.type);
  parts.push(dstText(r.dst));
  if (r.via && !hide.via) parts.push(`via ${r.via}`);
  if (r.type === 'unicast' && !hide.dev) parts.push(`dev ${r.dev}`);
  if (r.proto !== 'boot' && !hide.proto) parts.push(`proto ${r.proto}`);
  if (r.scope !== 'global' && !hide.scope) parts.push(`scope ${r.scope}`);
  if (r.src) parts.push(`src ${r.src}`);
  if (r.metric) parts.push(`metric ${r.metric}`);
  if (r.onlink) parts.push('onlink');
  const dev = ns.dev(r.dev);
  // RTNH_F_LINKDOWN: the nexthop's device has no carrier (a veth whose peer is down)
  if (r.type === 'unicast' && dev && !hasCarrier(dev)) parts.push('linkdown');
  return `${parts.join(' ')} `;
}

/** `ip route` rows: line i is `ns.fib.routes[i]` (what a trace event's `ref.row` points at). */
export function routeLines(ns: NetNs): string[] {
  return ns.fib.routes.map((r) => routeLine(ns, r));
}

interface LocalRoute {
  readonly type: 'local' | 'broadcast';
  readonly dst: Prefix;
  readonly dev: string;
  readonly src: Ipv4;
  readonly scope: 'host' | 'link';
}

/**
 * The local table the kernel derives from addresses (fib_add_ifaddr): a `local` /32 per address
 * (the whole 127/8 on lo), a `broadcast` for each primary address below /31, only on devices
 * that are up; in trie order.
 */
export function localRoutes(ns: NetNs): LocalRoute[] {
  const rs: LocalRoute[] = [];
  for (const d of byIfindex(ns)) {
    if (!d.up) continue;
    for (const a of d.addrs) {
      if (d.kind === 'loopback' && a.prefixLen < 32) rs.push({ type: 'local', dst: parseCidr(`${a.addr}/${a.prefixLen}`), dev: d.name, src: a.addr, scope: 'host' });
      rs.push({ type: 'local', dst: parseCidr(`${a.addr}/32`), dev: d.name, src: a.addr, scope: 'host' });
      if (isSecondary(d, a)) continue;
      const brd = a.brd ?? (a.prefixLen < 31 ? broadcastOf(parseCidr(`${a.addr}/${a.prefixLen}`)) : undefined);
      if (brd) rs.push({ type: 'broadcast', dst: parseCidr(`${brd}/32`), dev: d.name, src: a.addr, scope: 'link' });
    }
  }
  const seen = new Set<string>();
  return rs
    .filter((r) => {
      const k = `${r.type} ${prefixToString(r.dst)} ${r.dev}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => a.dst.net - b.dst.net || b.dst.len - a.dst.len);
}

function localRouteLine(r: LocalRoute, withTable: boolean): string {
  return `${r.type} ${dstText(r.dst)} dev ${r.dev} ${withTable ? 'table local ' : ''}proto kernel scope ${r.scope} src ${r.src} `;
}

/** `ip route get ADDR`: the route the kernel would cache for a packet to ADDR from this host. */
/**
 * `ip route get`: the route a packet to `dst` takes, and the route cache's exception for it —
 * `cache expires Nsec mtu M` once a frag-needed error taught this namespace a smaller path MTU.
 */
export function ipRouteGet(ns: NetNs, dst: Ipv4, nowUs = 0): { ok: true; output: string } | { ok: false; error: string } {
  const local = localRoutes(ns).find((r) => r.dst.len === 32 && r.dst.net === ipToInt(dst));
  if (local?.type === 'local' || (dst.startsWith('127.') && ns.isLocal(dst))) {
    const src = local?.src ?? ns.dev('lo')?.addrs[0]?.addr ?? dst;
    return { ok: true, output: `local ${dst} dev lo table local src ${src} uid 0 \n    cache <local> \n` };
  }
  if (local?.type === 'broadcast') return { ok: true, output: `broadcast ${dst} dev ${local.dev} table local src ${local.src} uid 0 \n    cache <local,brd> \n` };
  const m = ns.fib.lookup(dst, (d) => ns.dev(d)?.up === true);
  if (!m) return fail(RTNL.netUnreach);
  const r = m.route;
  if (r.type === 'blackhole') return fail(RTNL.inval);
  if (r.type === 'unreachable') return fail(RTNL.hostUnreach);
  if (r.type === 'prohibit') return fail(RTNL.permDenied);
  const src = r.src ?? ns.selectSrc(r.dev, r.via ?? dst);
  const learned = ns.pmtu.get(dst);
  const cache = learned && learned.expiresUs > nowUs ? `expires ${Math.floor((learned.expiresUs - nowUs - 1) / 1e6)}sec mtu ${learned.mtu} ` : '';
  return { ok: true, output: `${dst} ${r.via ? `via ${r.via} ` : ''}dev ${r.dev} ${src ? `src ${src} ` : ''}uid 0 \n    cache ${cache}\n` };
}

/** `route -n` (net-tools rprint_fib over /proc/net/route): the main table, Flags U/G/H. */
export function routeN(ns: NetNs, numeric = true): string {
  const gateways = new Set(ns.fib.routes.filter((r) => r.dst.len === 0 && r.via).map((r) => r.via!));
  // without -n, nss-myhostname answers "_gateway" for the current default gateways
  const name = (ip: Ipv4) => (!numeric && gateways.has(ip) ? '_gateway' : ip);
  let s = 'Kernel IP routing table\nDestination     Gateway         Genmask         Flags Metric Ref    Use Iface\n';
  for (const r of ns.fib.routes) {
    const host = r.dst.len === 32;
    const dst = r.dst.len === 0 && !numeric ? 'default' : name(intToIp(r.dst.net));
    const mask = maskToDotted(r.dst.len);
    if (r.type === 'unreachable' || r.type === 'prohibit') {
      s += `${dst.padEnd(15)} -               ${mask.padEnd(15)} ${`!${host ? 'H' : ''}`.padEnd(5)} ${String(r.metric ?? 0).padEnd(6)} -  ${'0'.padStart(7)} -\n`;
      continue;
    }
    const flags = `U${r.via ? 'G' : ''}${host ? 'H' : ''}`;
    const gw = r.via ? name(r.via) : '0.0.0.0';
    s += `${dst.padEnd(15)} ${gw.padEnd(15)} ${mask.padEnd(15)} ${flags.padEnd(5)} ${String(r.metric ?? 0).padEnd(6)} ${'0'.padEnd(2)} ${'0'.padStart(7)} ${r.type === 'blackhole' ? '*' : r.dev}\n`;
  }
  return s;
}

// ---------------------------------------------------------------- neighbours

/**
 * print_neigh: `DST [dev D ][lladdr L ]STATE ` — `dev` omitted under `ip neigh show dev D`;
 * iproute2 ends the line with a blank after the state (`10.9.0.7 dev va FAILED `, as 6.1 prints it).
 */
export function neighLine(n: Neighbour, omitDev = false): string {
  return `${n.ip} ${omitDev ? '' : `dev ${n.dev} `}${n.lladdr ? `lladdr ${n.lladdr} ` : ''}${n.state} `;
}

/** `ip neigh` rows: line i is `ns.neigh.entries[i]`. */
export function neighLines(ns: NetNs): string[] {
  return ns.neigh.entries.map((n) => neighLine(n));
}

// ---------------------------------------------------------------- FDB

/** Which kernel table row a `bridge fdb show` line is: a bridge's FDB (`bridge-fdb`) or a VXLAN device's (`fdb`). */
export interface FdbRowRef {
  readonly table: 'bridge-fdb' | 'fdb';
  /** the bridge (for `bridge-fdb`) or the VXLAN device (for `fdb`), as trace events name it in `dev` */
  readonly dev: string;
  /** index in `bridge.fdb` / `vxlan.fdb` */
  readonly row: number;
}

export interface FdbTable {
  readonly lines: readonly string[];
  /** rows[i] is the table row line i shows */
  readonly rows: readonly FdbRowRef[];
}

export interface FdbFilter {
  /** `dev X` / `brport X`: only entries whose device is X; `dev X` is then not printed */
  readonly dev?: string;
  /** `br B`: only bridge B and its ports */
  readonly br?: string;
  readonly state?: 'permanent' | 'static' | 'dynamic';
}

function bridgeFdbState(e: BridgeFdbEntry): string {
  // fdb_to_nud: local → NUD_PERMANENT, static → NUD_NOARP, else NUD_REACHABLE (printed as nothing)
  if (e.local) return 'permanent';
  return e.permanent ? 'static' : '';
}

/**
 * `bridge fdb show` in rtnl_fdb_dump's order: devices by ifindex; for a bridge port its master's
 * entries on that port (`master cni0`), then the port's own `self` entries; for a bridge its own
 * `self` entries, then its own-address entries; for a VXLAN device its remotes (`dst … self`).
 */
export function fdbTable(ns: NetNs, f: FdbFilter = {}): FdbTable {
  const lines: string[] = [];
  const rows: FdbRowRef[] = [];
  const stateOk = (st: string) => f.state === undefined || (f.state === 'dynamic' ? st === '' : st === f.state);
  for (const d of byIfindex(ns)) {
    if (f.dev !== undefined && d.name !== f.dev) continue;
    if (f.br !== undefined && d.name !== f.br && d.master?.name !== f.br) continue;
    const devPart = f.dev !== undefined ? '' : `dev ${d.name} `;
    const bridgeRows = (br: BridgeDevice, port: string) => {
      br.fdb.forEach((e, row) => {
        if (e.port !== port) return;
        const st = bridgeFdbState(e);
        if (!stateOk(st)) return;
        lines.push(`${e.mac} ${devPart}master ${br.name} ${st}`);
        rows.push({ table: 'bridge-fdb', dev: br.name, row });
      });
    };
    const selfRows = () => {
      if (!stateOk('permanent')) return;
      for (const mac of multicastAddresses(d)) {
        lines.push(`${mac} ${devPart}self permanent`);
        rows.push({ table: 'bridge-fdb', dev: d.name, row: -1 });
      }
    };
    if (d.master) {
      bridgeRows(d.master, d.name);
      selfRows();
    }
    if (d.kind === 'bridge') {
      selfRows();
      bridgeRows(d, d.name);
    }
    if ((d.kind === 'veth' || d.kind === 'nic') && !d.master) selfRows();
    if (d.kind === 'vxlan' && f.br === undefined) {
      d.fdb.forEach((e, row) => {
        const st = e.permanent ? 'permanent' : '';
        if (!stateOk(st)) return;
        lines.push(`${e.mac} ${devPart}dst ${e.dst} self ${st}`);
        rows.push({ table: 'fdb', dev: d.name, row });
      });
    }
  }
  return { lines, rows };
}

/**
 * The multicast addresses on an Ethernet device's list, which ndo_dflt_fdb_dump prints as `self
 * permanent` entries, in the order they were added: IPv6's all-nodes group (ipv6_add_dev joins
 * it when the device registers, even with IPv6 disabled); on a bridge that is up, the multicast
 * router discovery groups br_multicast_open joins (224.0.0.106 and ff02::6a); once up, IPv4's
 * all-hosts group (ip_mc_up). The model has no IPv6 addresses, so no solicited-node groups — as
 * on a node with net.ipv6.conf.all.disable_ipv6=1. (Checked on a real kernel: a down device shows
 * only 33:33:00:00:00:01.) A VXLAN device dumps its remotes instead.
 */
function multicastAddresses(d: Device): string[] {
  const macs = ['33:33:00:00:00:01'];
  if (!d.up || d.neverUp) return macs;
  if (d.kind === 'bridge') macs.push('01:00:5e:00:00:6a', '33:33:00:00:00:6a');
  macs.push('01:00:5e:00:00:01');
  return macs;
}

/** The `bridge fdb show` line index of a trace event's FDB row (`ref.table`, `dev`, `ref.row`), or -1. */
export function fdbLineIndex(ns: NetNs, table: 'bridge-fdb' | 'fdb', dev: string, row: number): number {
  return fdbTable(ns).rows.findIndex((r) => r.table === table && r.dev === dev && r.row === row);
}

/** `brctl show [BRIDGE…]`: bridges and ports in alphabetical order (scandir alphasort). */
export function brctlShow(ns: NetNs, names?: readonly string[]): { output: string; stderr: string } {
  let s = 'bridge name\tbridge id\t\tSTP enabled\tinterfaces\n';
  let err = '';
  const bridges = [...ns.devices.values()].filter((d): d is BridgeDevice => d.kind === 'bridge');
  const list = names && names.length > 0 ? names : bridges.map((b) => b.name).sort();
  for (const n of list) {
    const br = bridges.find((b) => b.name === n);
    if (!br) {
      s += `${n}\t\t`;
      err += "can't get info No such device\n";
      continue;
    }
    s += `${br.name}\t\t${bridgeIdHex(br)}\tno\t\t`;
    const ports = [...br.ports].sort();
    s += ports.length ? `${ports.join('\n\t\t\t\t\t\t\t')}\n` : '\n';
  }
  return { output: s, stderr: err };
}

/** `brctl showmacs BRIDGE`: the FDB sorted by MAC; the bridge's own address is a pseudo entry and not listed. */
export function brctlShowmacs(ns: NetNs, name: string): CommandResult {
  const br = ns.dev(name);
  if (!br || br.kind !== 'bridge') return fail(`read of forward table failed: No such device`);
  const rows = br.fdb
    .filter((e) => e.port !== br.name)
    .map((e) => ({ e, no: br.ports.indexOf(e.port) + 1 }))
    .sort((a, b) => (a.e.mac < b.e.mac ? -1 : a.e.mac > b.e.mac ? 1 : 0));
  let s = 'port no\tmac addr\t\tis local?\tageing timer\n';
  for (const { e, no } of rows) s += `${String(no).padStart(3)}\t${e.mac}\t${e.local ? 'yes' : 'no'}\t\t   0.00\n`;
  return out(s);
}

// ---------------------------------------------------------------- address parsing (utils.c get_prefix/get_addr)

type Family = 'any valid' | 'inet';

function parseAddr(s: string, family: Family): { ok: true; ip: Ipv4 } | { ok: false; error: string } {
  if (isIpv4(s)) return { ok: true, ip: s };
  return fail(`Error: ${family} address is expected rather than "${s}".`);
}

/** get_prefix: `a.b.c.d[/len]` or `default`; the host bits are kept so the kernel can reject them. */
function parsePrefix(s: string, family: Family): { ok: true; addr: number; len: number; isDefault: boolean } | { ok: false; error: string } {
  if (s === 'default' || s === 'any' || s === 'all') return { ok: true, addr: 0, len: 0, isDefault: true };
  const [a, l, extra] = s.split('/');
  if (extra === undefined && a !== undefined && isIpv4(a) && (l === undefined || (/^\d{1,2}$/.test(l) && Number(l) <= 32))) {
    return { ok: true, addr: ipToInt(a), len: l === undefined ? 32 : Number(l), isDefault: false };
  }
  return fail(`Error: ${family} prefix is expected rather than "${s}".`);
}

function toPrefix(addr: number, len: number): Prefix {
  const mask = prefixMask(len);
  return { net: (addr & mask) >>> 0, len, mask };
}

function isUint(s: string | undefined, max = 0xffffffff): s is string {
  return s !== undefined && /^\d+$/.test(s) && Number(s) <= max;
}

function isMacText(s: string): boolean {
  return /^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/.test(s);
}

function normMac(s: string): Mac {
  return s
    .split(':')
    .map((b) => b.toLowerCase().padStart(2, '0'))
    .join(':') as Mac;
}

// ---------------------------------------------------------------- ip route mutations

type RouteCmd = 'add' | 'del' | 'replace' | 'change' | 'append';

interface RouteRequest {
  dst?: { addr: number; len: number };
  type: Route['type'];
  via?: Ipv4;
  dev?: string;
  onlink: boolean;
  metric?: number;
  src?: Ipv4;
  proto?: Route['proto'];
  scope?: Route['scope'];
  table?: string;
}

const ROUTE_TYPES = ['unicast', 'local', 'broadcast', 'multicast', 'throw', 'unreachable', 'prohibit', 'blackhole', 'nat'] as const;
const PROTOS: Readonly<Record<string, Route['proto']>> = { kernel: 'kernel', boot: 'boot', static: 'static', dhcp: 'dhcp', bird: 'bird', '2': 'kernel', '3': 'boot', '4': 'static', '16': 'dhcp', '12': 'bird' };
const SCOPES: Readonly<Record<string, Route['scope']>> = { global: 'global', universe: 'global', link: 'link', host: 'host', '0': 'global', '253': 'link', '254': 'host' };

/** iproute_modify's argument loop. */
function parseRouteRequest(args: readonly string[], family0: Family): { ok: true; req: RouteRequest } | { ok: false; error: string } {
  const a = new Argv(args);
  const req: RouteRequest = { type: 'unicast', onlink: false };
  let family = family0;
  while (!a.done) {
    const w = a.take()!;
    if (w === 'src') {
      const v = a.value();
      if (v === undefined) return fail(INCOMPLETE);
      const p = parseAddr(v, family);
      if (!p.ok) return p;
      req.src = p.ip;
      family = 'inet';
    } else if (w === 'via') {
      let v = a.value();
      if (v === 'inet') v = a.value();
      if (v === undefined) return fail(INCOMPLETE);
      const p = parseAddr(v, family);
      if (!p.ok) return p;
      req.via = p.ip;
      family = 'inet';
    } else if (w === 'dev' || w === 'oif') {
      const v = a.value();
      if (v === undefined) return fail(INCOMPLETE);
      req.dev = v;
    } else if (w === 'onlink') {
      req.onlink = true;
    } else if (matches(w, 'metric') || matches(w, 'priority') || w === 'preference') {
      const v = a.value();
      if (v === undefined) return fail(INCOMPLETE);
      if (!isUint(v)) return fail(invarg('"metric" value is invalid', v));
      req.metric = Number(v);
    } else if (matches(w, 'protocol')) {
      const v = a.value();
      if (v === undefined) return fail(INCOMPLETE);
      const p = PROTOS[v];
      if (!p) return fail(invarg('"protocol" value is invalid', v));
      req.proto = p;
    } else if (matches(w, 'scope')) {
      const v = a.value();
      if (v === undefined) return fail(INCOMPLETE);
      const s = SCOPES[v];
      if (!s) return fail(invarg('invalid "scope" value', v));
      req.scope = s;
    } else if (matches(w, 'table')) {
      const v = a.value();
      if (v === undefined) return fail(INCOMPLETE);
      req.table = v;
    } else if (['mtu', 'advmss', 'window', 'rtt', 'realm', 'realms', 'nexthop', 'encap', 'tos', 'expires', 'mark', 'congctl', 'initcwnd', 'nhid', 'features', 'quickack', 'pref', 'hoplimit'].includes(w)) {
      return fail(notModelled(`the route attribute "${w}"`));
    } else {
      let word: string | undefined = w;
      if (word === 'to') word = a.take();
      if (word === undefined) return fail(INCOMPLETE);
      if ((ROUTE_TYPES as readonly string[]).includes(word)) {
        req.type = word as Route['type'];
        word = a.take();
        if (word === undefined) return fail(INCOMPLETE);
      }
      if (req.dst) return fail(duparg2('to', word));
      const p = parsePrefix(word, family);
      if (!p.ok) return p;
      req.dst = { addr: p.addr, len: p.len };
      if (!p.isDefault) family = 'inet';
    }
  }
  return { ok: true, req };
}

function sameDst(r: Route, p: Prefix): boolean {
  return r.dst.net === p.net && r.dst.len === p.len;
}

/** A link-scope route (or a local address) through which `gw` is directly reachable (fib_check_nh_v4_gw). */
function gatewayDev(ns: NetNs, gw: Ipv4, dev: string | undefined): string | undefined {
  const local = ns.deviceWithAddr(gw);
  if (local && local.up && (dev === undefined || local.name === dev)) return local.name;
  let best: Route | undefined;
  for (const r of ns.fib.routes) {
    if (r.type !== 'unicast' || r.via || r.scope === 'global' || !prefixContains(r.dst, ipToInt(gw))) continue;
    if (dev !== undefined && r.dev !== dev) continue;
    if (!ns.dev(r.dev)?.up) continue;
    if (!best || r.dst.len > best.dst.len || (r.dst.len === best.dst.len && (r.metric ?? 0) < (best.metric ?? 0))) best = r;
  }
  return best?.dev;
}

/** Whether `ip` is a unicast address as seen on `dev` (inet_addr_type_dev_table): not local, not broadcast. */
function isUnicastOn(ns: NetNs, ip: Ipv4): boolean {
  return !ns.isLocal(ip) && !ns.isBroadcast(ip) && (ipToInt(ip) >>> 28) !== 0xe;
}

/**
 * `ip route add|del|replace|change|append …` against the main table, with the kernel's checks
 * (fib_valid_key_len, fib_check_nh, fib_valid_prefsrc, NLM_F_EXCL/REPLACE semantics).
 */
export function ipRouteEdit(ns: NetNs, cmd: RouteCmd, args: readonly string[], family: Family = 'any valid'): EditResult {
  const parsed = parseRouteRequest(args, family);
  if (!parsed.ok) return parsed;
  const req = parsed.req;
  if (!req.dst) return fail('Usage: ip route { add | del | change | append | replace } ROUTE');
  if (req.dev !== undefined && !ns.dev(req.dev)) return fail(nodev(req.dev));
  if (req.table !== undefined && req.table !== 'main' && req.table !== '254') return fail(notModelled(`routing table "${req.table}"`));
  if (req.type !== 'unicast' && req.type !== 'blackhole' && req.type !== 'unreachable' && req.type !== 'prohibit') return fail(notModelled(`a "${req.type}" route (the packet path forwards unicast routes and drops at blackhole, unreachable and prohibit ones)`));
  const mask = prefixMask(req.dst.len);
  if ((req.dst.addr & ~mask) >>> 0 !== 0) return fail(KERNEL.badPrefix);
  const dst = toPrefix(req.dst.addr, req.dst.len);

  if (cmd === 'del') {
    const i = ns.fib.routes.findIndex(
      (r) =>
        sameDst(r, dst) &&
        (req.metric === undefined || (r.metric ?? 0) === req.metric) &&
        (req.via === undefined || r.via === req.via) &&
        (req.dev === undefined || r.dev === req.dev) &&
        (req.proto === undefined || r.proto === req.proto) &&
        (req.scope === undefined || r.scope === req.scope) &&
        (req.src === undefined || r.src === req.src),
    );
    if (i < 0) return fail(RTNL.noProcess);
    ns.fib.routes.splice(i, 1);
    return OK;
  }

  if (req.type !== 'unicast') {
    // fib_create_info: a route whose type is an error has no nexthop at all
    if (req.via || req.dev !== undefined) return fail(KERNEL.errorTypeNexthop);
    return putRoute(ns, cmd, { dst, dev: 'lo', proto: req.proto ?? 'boot', scope: req.scope ?? 'global', ...(req.metric ? { metric: req.metric } : {}), type: req.type }, req.metric);
  }

  // fib_create_info → fib_check_nh
  let dev = req.dev;
  if (req.via) {
    if (req.onlink) {
      if (dev === undefined) return fail(KERNEL.nhDevRequired);
      if (!ns.dev(dev)!.up) return fail(KERNEL.nhDevDown);
      if (!isUnicastOn(ns, req.via)) return fail(KERNEL.invalidGw);
    } else {
      const via = gatewayDev(ns, req.via, dev);
      if (via === undefined) return fail(KERNEL.invalidGw);
      dev = via;
    }
  } else {
    if (req.onlink) return fail(KERNEL.onlinkNoGw);
    if (dev === undefined) return fail(RTNL.noDevice);
    if (!ns.dev(dev)!.up) return fail(KERNEL.devDown);
  }
  if (req.src !== undefined && !ns.isLocal(req.src)) return fail(KERNEL.prefsrc);

  const route: Route = {
    dst,
    ...(req.via ? { via: req.via } : {}),
    dev: dev!,
    proto: req.proto ?? 'boot',
    scope: req.scope ?? (req.via ? 'global' : 'link'),
    ...(req.src ? { src: req.src } : {}),
    ...(req.metric ? { metric: req.metric } : {}),
    ...(req.onlink ? { onlink: true } : {}),
    type: 'unicast',
  };
  return putRoute(ns, cmd, route, req.metric);
}

/** NLM_F_EXCL / NLM_F_APPEND / NLM_F_REPLACE on the main table: add, append, change or replace one route. */
function putRoute(ns: NetNs, cmd: Exclude<RouteCmd, 'del'>, route: Route, metric: number | undefined): EditResult {
  const dst = route.dst;
  const same = ns.fib.routes.findIndex((r) => sameDst(r, dst) && (r.metric ?? 0) === (metric ?? 0));
  switch (cmd) {
    case 'add':
      if (same >= 0) return fail(RTNL.exists);
      ns.fib.add(route);
      return OK;
    case 'append': {
      const identical = ns.fib.routes.some((r) => sameDst(r, dst) && (r.metric ?? 0) === (metric ?? 0) && r.via === route.via && r.dev === route.dev);
      if (identical) return fail(RTNL.exists);
      ns.fib.add(route);
      return OK;
    }
    case 'change':
    case 'replace':
      if (same < 0) {
        if (cmd === 'change') return fail(RTNL.noEntry);
        ns.fib.add(route);
        return OK;
      }
      ns.fib.routes[same] = route;
      return OK;
  }
}

// ---------------------------------------------------------------- ip neigh mutations

const NUD: Readonly<Record<string, NudState | null>> = {
  permanent: 'PERMANENT',
  reachable: 'REACHABLE',
  stale: 'STALE',
  failed: 'FAILED',
  noarp: null,
  none: null,
  incomplete: null,
  delay: null,
  probe: null,
};

type NeighCmd = 'add' | 'del' | 'replace' | 'change';

/** `ip neigh add|replace|change|del ADDR [lladdr MAC] dev D [nud STATE]` (ipneigh_modify, neigh_add/neigh_delete). */
export function ipNeighEdit(ns: NetNs, cmd: NeighCmd, args: readonly string[], family: Family = 'any valid'): EditResult {
  const a = new Argv(args);
  let dst: Ipv4 | undefined;
  let lladdr: string | undefined;
  let dev: string | undefined;
  let state: NudState = 'PERMANENT';
  while (!a.done) {
    const w = a.take()!;
    if (w === 'lladdr') {
      lladdr = a.value();
      if (lladdr === undefined) return fail(INCOMPLETE);
    } else if (w === 'nud') {
      const v = a.value();
      if (v === undefined) return fail(INCOMPLETE);
      if (!(v in NUD)) return fail(invarg('nud state is bad', v));
      const s = NUD[v];
      if (!s) return fail(notModelled(`the neighbour state "${v}"`));
      state = s;
    } else if (w === 'dev') {
      dev = a.value();
      if (dev === undefined) return fail(INCOMPLETE);
    } else if (w === 'router' || w === 'extern_learn' || w === 'managed') {
      return fail(notModelled(`the neighbour flag "${w}"`));
    } else if (w === 'proxy') {
      return fail(notModelled('proxy ARP'));
    } else {
      const word = w === 'to' ? a.take() : w;
      if (word === undefined) return fail(INCOMPLETE);
      if (dst !== undefined) return fail(duparg2('to', word));
      const p = parseAddr(word, family);
      if (!p.ok) return p;
      dst = p.ip;
    }
  }
  if (dev === undefined || dst === undefined) return fail('Device and destination are required arguments.');
  if (lladdr !== undefined && !isMacText(lladdr)) return fail(`"${lladdr}" is invalid lladdr.`);
  if (!ns.dev(dev)) return fail(nodev(dev));
  const row = ns.neigh.entries.findIndex((n) => n.dev === dev && n.ip === dst);
  if (cmd === 'del') {
    if (row < 0) return fail(RTNL.noEntry);
    ns.neigh.removeWhere((_, i) => i === row);
    return OK;
  }
  if (row >= 0 && cmd === 'add') return fail(RTNL.exists);
  if (row < 0 && cmd === 'change') return fail(RTNL.noEntry);
  const old = row >= 0 ? ns.neigh.entries[row] : undefined;
  const mac = lladdr !== undefined ? normMac(lladdr) : old?.lladdr;
  if (mac === undefined && state !== 'FAILED') return fail(KERNEL.noLladdr);
  const entry: Neighbour = { ip: dst, dev, ...(mac ? { lladdr: mac } : {}), state };
  ns.neigh.replace(entry);
  return OK;
}

// ---------------------------------------------------------------- bridge fdb mutations

type FdbCmd = 'add' | 'append' | 'replace' | 'del';

/**
 * `bridge fdb add|append|replace|del MAC dev D [dst A] [self|master] [permanent|static|dynamic]`
 * (fdb_modify, rtnl_fdb_add/del): `self` programs the device's own table (a VXLAN device's remotes,
 * a bridge's own addresses), `master` the bridge a port belongs to.
 */
export function bridgeFdbEdit(ns: NetNs, cmd: FdbCmd, args: readonly string[]): EditResult {
  const a = new Argv(args);
  let mac: string | undefined;
  let dev: string | undefined;
  let dst: Ipv4 | undefined;
  let self = false;
  let master = false;
  let state: 'permanent' | 'static' | 'dynamic' | undefined;
  while (!a.done) {
    const w = a.take()!;
    if (w === 'dev') {
      dev = a.value();
      if (dev === undefined) return fail(INCOMPLETE);
    } else if (w === 'dst') {
      const v = a.value();
      if (v === undefined) return fail(INCOMPLETE);
      if (dst !== undefined) return fail(duparg2('dst', v));
      const p = parseAddr(v, 'any valid');
      if (!p.ok) return p;
      dst = p.ip;
    } else if (w === 'self') self = true;
    else if (matches(w, 'master')) master = true;
    else if (matches(w, 'local') || matches(w, 'permanent')) state = 'permanent';
    else if (matches(w, 'temp') || matches(w, 'static')) state = 'static';
    else if (matches(w, 'dynamic')) state = 'dynamic';
    else if (['port', 'vni', 'via', 'vlan', 'src_vni', 'nhid'].includes(w)) return fail(notModelled(`the FDB attribute "${w}"`));
    else if (matches(w, 'router') || matches(w, 'use') || w === 'sticky' || w === 'extern_learn') return fail(notModelled(`the FDB flag "${w}"`));
    else {
      const word = w === 'to' ? a.take() : w;
      if (word === undefined) return fail(INCOMPLETE);
      if (mac !== undefined) return fail(duparg2('to', word));
      mac = word;
    }
  }
  if (dev === undefined || mac === undefined) return fail('Device and address are required arguments.');
  if (!self && !master) self = true;
  if (!isMacText(mac)) return fail(`Invalid mac address ${mac}`);
  const d = ns.dev(dev);
  if (!d) return fail(nodev(dev));
  const m = normMac(mac);

  if (master) {
    if (!d.master) return fail(RTNL.inval);
    return bridgeEntryEdit(d.master, d.name, cmd, m, state);
  }
  if (d.kind === 'vxlan') return vxlanFdbEdit(d, cmd, m, dst, state);
  if (d.kind === 'bridge') return bridgeEntryEdit(d, d.name, cmd, m, state);
  return fail(notModelled(`a "self" FDB entry on ${d.kind} ${d.name} (its unicast address list); use "master" to program ${d.master?.name ?? 'its bridge'}'s FDB`));
}

function bridgeEntryEdit(br: BridgeDevice, port: string, cmd: FdbCmd, mac: Mac, state: 'permanent' | 'static' | 'dynamic' | undefined): EditResult {
  const i = br.fdb.findIndex((e) => e.mac === mac);
  if (cmd === 'del') {
    if (i < 0 || br.fdb[i]!.port !== port) return fail(RTNL.noEntry);
    br.fdb.splice(i, 1);
    return OK;
  }
  if (i >= 0 && cmd === 'add') return fail(RTNL.exists);
  const st = state ?? 'permanent';
  const entry: BridgeFdbEntry = { mac, port, permanent: st !== 'dynamic', local: st === 'permanent' };
  if (i >= 0) br.fdb[i] = entry;
  else br.fdb.push(entry);
  return OK;
}

function vxlanFdbEdit(dev: VxlanDevice, cmd: FdbCmd, mac: Mac, dst: Ipv4 | undefined, state: 'permanent' | 'static' | 'dynamic' | undefined): EditResult {
  const rows = dev.fdb.map((e, i) => ({ e, i })).filter(({ e }) => e.mac === mac);
  if (cmd === 'del') {
    const victims = rows.filter(({ e }) => dst === undefined || e.dst === dst);
    if (victims.length === 0) return fail(RTNL.noEntry);
    for (const { i } of [...victims].reverse()) dev.fdb.splice(i, 1);
    return OK;
  }
  // vxlan_fdb_add: a remote needs NDA_DST
  if (dst === undefined) return fail(RTNL.inval);
  const entry = { mac, dst, permanent: (state ?? 'permanent') === 'permanent' };
  const first = rows[0];
  switch (cmd) {
    case 'add':
      if (first) return fail(RTNL.exists);
      dev.fdb.push(entry);
      return OK;
    case 'append':
      // another remote for the MAC; vxlan_xmit would replicate to all, the model sends to the first
      if (rows.some(({ e }) => e.dst === dst)) return fail(RTNL.exists);
      dev.fdb.push(entry);
      return OK;
    case 'replace':
      if (first) dev.fdb[first.i] = entry;
      else dev.fdb.push(entry);
      return OK;
  }
}

// ---------------------------------------------------------------- ip link set

/** Remove learned (non-static) bridge FDB entries behind a port (br_fdb_delete_by_port, do_all = 0). */
function flushPortFdb(br: BridgeDevice, port: string): void {
  for (let i = br.fdb.length - 1; i >= 0; i--) if (br.fdb[i]!.port === port && !br.fdb[i]!.permanent) br.fdb.splice(i, 1);
}

/** The kernel prefix routes an address gets when its device comes up (fib_add_ifaddr). */
function addPrefixRoute(ns: NetNs, dev: Device, a: IfAddr): void {
  if (dev.kind === 'loopback' || a.prefixLen >= 32 || isSecondary(dev, a)) return;
  const dst = parseCidr(`${a.addr}/${a.prefixLen}`);
  if (ns.fib.routes.some((r) => r.proto === 'kernel' && r.dev === dev.name && sameDst(r, dst) && r.src === a.addr)) return;
  ns.fib.add({ dst, dev: dev.name, proto: 'kernel', scope: 'link', src: a.addr, ...(a.metric ? { metric: a.metric } : {}), type: 'unicast' });
}

/** NETDEV_DOWN: routes through the device go (fib_sync_down_dev), so do its neighbours (neigh_ifdown) and learned FDB entries. */
function linkDown(ns: NetNs, dev: Device): void {
  dev.up = false;
  dev.netns.invalidateAddrs();
  ns.fib.remove((r) => r.dev === dev.name);
  ns.neigh.removeWhere((n) => n.dev === dev.name);
  if (dev.master) flushPortFdb(dev.master, dev.name);
  if (dev.kind === 'bridge') for (const p of dev.ports) flushPortFdb(dev, p);
  // vxlan_stop → vxlan_flush(do_all = false): learned remotes go, permanent ones stay
  if (dev.kind === 'vxlan') for (let i = dev.fdb.length - 1; i >= 0; i--) if (!dev.fdb[i]!.permanent) dev.fdb.splice(i, 1);
  if (dev.kind === 'veth' && dev.peer) {
    // the peer loses carrier: neigh_carrier_down keeps permanent entries; its bridge port stops forwarding
    const peer = dev.peer;
    const pns = peer.netns;
    pns.neigh.removeWhere((n) => n.dev === peer.name && n.state !== 'PERMANENT');
    if (peer.master) flushPortFdb(peer.master, peer.name);
  }
}

function linkUp(ns: NetNs, dev: Device): void {
  dev.up = true;
  dev.netns.invalidateAddrs();
  for (const a of dev.addrs) addPrefixRoute(ns, dev, a);
}

/** br_mtu_auto_adjust: a bridge whose MTU the user never set follows its smallest port. */
function bridgeMtuAdjust(br: BridgeDevice): void {
  if (br.mtuSetByUser) return;
  const mtus = br.ports.map((p) => br.netns.dev(p)?.mtu).filter((m): m is number => m !== undefined);
  if (mtus.length > 0) br.mtu = Math.min(...mtus);
}

/** The MTU the kernel accepts for a device (dev_validate_mtu, vxlan_change_mtu: lower MTU − 50). */
function checkMtu(ns: NetNs, dev: Device, mtu: number): EditResult {
  const { min, max } = mtuLimits(dev);
  if (mtu < min) return fail(KERNEL.mtuMin);
  if (max > 0 && mtu > max) return fail(KERNEL.mtuMax);
  if (dev.kind === 'vxlan') {
    const lower = ns.dev(dev.lowerDev);
    if (lower && mtu > lower.mtu - 50) return fail(RTNL.inval);
  }
  return OK;
}

/** `ip link set [dev] D [up|down] [mtu N] [master B|nomaster]`: checked in full, then applied as do_setlink does. */
export function ipLinkSet(ns: NetNs, args: readonly string[]): EditResult {
  const a = new Argv(args);
  let name: string | undefined;
  let up: boolean | undefined;
  let mtu: number | undefined;
  let master: string | null | undefined;
  while (!a.done) {
    const w = a.take()!;
    if (w === 'up') up = true;
    else if (w === 'down') up = false;
    else if (w === 'mtu') {
      const v = a.value();
      if (v === undefined) return fail(INCOMPLETE);
      if (mtu !== undefined) return fail(`Error: duplicate "mtu": "${v}" is the second value.`);
      if (!/^-?\d+$/.test(v)) return fail(invarg('Invalid "mtu" value', v));
      mtu = Number(v);
    } else if (w === 'master') {
      const v = a.value();
      if (v === undefined) return fail(INCOMPLETE);
      if (!ns.dev(v)) return fail(invarg('Device does not exist', v));
      master = v;
    } else if (w === 'nomaster') master = null;
    else if (['address', 'broadcast', 'brd', 'txqueuelen', 'txqlen', 'qlen', 'name', 'netns', 'arp', 'multicast', 'allmulticast', 'promisc', 'trailers', 'dynamic', 'alias', 'group', 'vf', 'mode', 'state', 'xdp', 'protodown', 'gso_max_size', 'gso_max_segs', 'type', 'addrgenmode', 'link-netns', 'link-netnsid', 'carrier'].includes(w)) {
      return fail(notModelled(`"ip link set … ${w}"`));
    } else {
      const word = w === 'dev' ? a.take() : w;
      if (word === undefined) return fail(INCOMPLETE);
      if (name !== undefined) return fail(duparg2('dev', word));
      name = word;
    }
  }
  if (name === undefined) return fail('Not enough of information: "dev" argument is required.');
  const dev = ns.dev(name);
  if (!dev) return fail(nodev(name));
  if (mtu !== undefined) {
    const ok = checkMtu(ns, dev, mtu);
    if (!ok.ok) return ok;
  }
  let br: BridgeDevice | undefined;
  if (typeof master === 'string') {
    const m = ns.dev(master)!;
    if (m.kind !== 'bridge') return fail(notModelled(`enslaving to a ${m.kind} device`));
    if (m === dev) return fail('Error: Can not enslave a bridge to itself.');
    if (dev.kind === 'bridge') return fail(notModelled('a bridge inside a bridge'));
    if (dev.master && dev.master !== m) return fail('Error: Device is already in use by another bridge.');
    br = m;
  }

  // apply: MTU, master, then flags (do_setlink's order)
  if (mtu !== undefined) {
    dev.mtu = mtu;
    if (dev.kind === 'bridge') dev.mtuSetByUser = true;
    if (dev.master) bridgeMtuAdjust(dev.master);
  }
  if (master === null && dev.master) {
    const old = dev.master;
    old.ports.splice(old.ports.indexOf(dev.name), 1);
    for (let i = old.fdb.length - 1; i >= 0; i--) if (old.fdb[i]!.port === dev.name) old.fdb.splice(i, 1);
    dev.master = undefined;
    dev.hairpin = false;
    bridgeMtuAdjust(old);
  } else if (br && dev.master !== br) {
    // br_add_if: the port's own address becomes a local entry; the bridge follows the smallest MTU
    br.ports.push(dev.name);
    br.fdb.push({ mac: dev.mac, port: dev.name, permanent: true, local: true });
    dev.master = br;
    dev.hairpin = false;
    bridgeMtuAdjust(br);
  }
  if (up === true && !dev.up) linkUp(ns, dev);
  if (up === false && dev.up) linkDown(ns, dev);
  return OK;
}

// ---------------------------------------------------------------- ip addr add/del

/** `ip addr add|del PREFIX [brd +|ADDR] [scope S] [metric N] dev D` (ipaddr_modify, inet_rtm_newaddr/deladdr). */
export function ipAddrEdit(ns: NetNs, cmd: 'add' | 'del' | 'replace', args: readonly string[], family: Family = 'any valid'): EditResult {
  const a = new Argv(args);
  let local: { addr: number; len: number; lenGiven: boolean } | undefined;
  let dev: string | undefined;
  let brd: string | undefined;
  let scope: IfAddr['scope'] | undefined;
  let metric: number | undefined;
  while (!a.done) {
    const w = a.take()!;
    if (w === 'dev') {
      dev = a.value();
      if (dev === undefined) return fail(INCOMPLETE);
    } else if (matches(w, 'broadcast') || w === 'brd') {
      brd = a.value();
      if (brd === undefined) return fail(INCOMPLETE);
      if (brd !== '+' && brd !== '-' && !isIpv4(brd)) return fail(`Error: ${family} address is expected rather than "${brd}".`);
    } else if (w === 'scope') {
      const v = a.value();
      if (v === undefined) return fail(INCOMPLETE);
      const s = SCOPES[v];
      if (!s) return fail(invarg('invalid scope value.', v));
      scope = s;
    } else if (w === 'metric' || w === 'priority') {
      const v = a.value();
      if (v === undefined) return fail(INCOMPLETE);
      if (!isUint(v)) return fail(invarg('"metric" value is invalid', v));
      metric = Number(v);
    } else if (['peer', 'remote', 'anycast', 'label', 'valid_lft', 'preferred_lft', 'home', 'nodad', 'mngtmpaddr', 'noprefixroute', 'autojoin', 'optimistic'].includes(w)) {
      return fail(notModelled(`"ip addr … ${w}"`));
    } else {
      const word = w === 'local' ? a.take() : w;
      if (word === undefined) return fail(INCOMPLETE);
      if (local !== undefined) return fail(`Error: duplicate "local": "${word}" is the second value.`);
      const p = parsePrefix(word, family);
      if (!p.ok || p.isDefault) return p.ok ? fail(`Error: ${family} prefix is expected rather than "${word}".`) : p;
      local = { addr: p.addr, len: p.len, lenGiven: word.includes('/') };
    }
  }
  if (dev === undefined) return fail('Not enough information: "dev" argument is required.');
  if (local === undefined) return fail(RTNL.inval);
  const d = ns.dev(dev);
  if (!d) return fail(nodev(dev));
  const ip = intToIp(local.addr);

  if (cmd === 'del') {
    const i = d.addrs.findIndex((x) => x.addr === ip && (!local!.lenGiven || x.prefixLen === local!.len));
    if (i < 0) return fail(RTNL.addrNotAvail);
    const gone = d.addrs[i]!;
    const wasSecondary = isSecondary(d, gone);
    d.addrs.splice(i, 1);
    d.netns.invalidateAddrs();
    // fib_del_ifaddr: the prefix route goes; with promote_secondaries (systemd's default) the next address takes it over
    const dst = parseCidr(`${gone.addr}/${gone.prefixLen}`);
    if (!wasSecondary) {
      ns.fib.remove((r) => r.proto === 'kernel' && r.dev === d.name && sameDst(r, dst) && r.src === gone.addr);
      const heir = d.addrs.find((x) => x.prefixLen === gone.prefixLen && prefixContains(dst, ipToInt(x.addr)));
      if (heir && d.up) addPrefixRoute(ns, d, heir);
    }
    // fib_sync_down_addr: routes preferring a source address nobody holds any more go too
    if (!ns.deviceWithAddr(gone.addr)) ns.fib.remove((r) => r.src === gone.addr);
    return local.lenGiven
      ? OK
      : {
          ok: true,
          warning: `Warning: Executing wildcard deletion to stay compatible with old scripts.\n         Explicitly specify the prefix length (${ip}/32) to avoid this warning.\n         This special behaviour is likely to disappear in further releases,\n         fix your scripts!`,
        };
  }

  const existing = d.addrs.findIndex((x) => x.addr === ip && x.prefixLen === local!.len);
  if (existing >= 0 && cmd === 'add') return fail(RTNL.exists);
  const prefix = parseCidr(`${ip}/${local.len}`);
  const entry: IfAddr = {
    addr: ip,
    prefixLen: local.len,
    ...(brd === '+' ? (local.len < 31 ? { brd: broadcastOf(prefix) } : {}) : brd && brd !== '-' ? { brd: brd as Ipv4 } : {}),
    scope: scope ?? (ip.startsWith('127.') ? 'host' : 'global'),
    ...(metric ? { metric } : {}),
  };
  if (existing >= 0) {
    d.addrs[existing] = entry;
    return OK;
  }
  d.addrs.push(entry);
  d.netns.invalidateAddrs();
  if (d.up) addPrefixRoute(ns, d, entry);
  return OK;
}

// ---------------------------------------------------------------- the `ip` front-end

interface GlobalOpts {
  /** the simulated clock, for the route cache's expiry times */
  nowUs: number;
  details: boolean;
  /** `-s`: the devices' counters */
  stats: boolean;
  brief: boolean;
  family: Family;
  inetOnly: boolean;
  busybox: boolean;
}

/** Which `ip` answers: iproute2 on the hosts, busybox in pod and container shells (`kubectl debug --image=busybox`). */
export interface IpOptions {
  readonly flavor?: 'iproute2' | 'busybox';
}

const BUSYBOX_USAGE = 'Usage: ip [OPTIONS] address|route|link|tunnel|neigh|rule [ARGS]\n\nOPTIONS := -f[amily] inet|inet6|link | -o[neline]';

const IP_OBJECTS = ['address', 'addrlabel', 'maddress', 'route', 'rule', 'neighbor', 'neighbour', 'ntable', 'link', 'l2tp', 'fou', 'ila', 'macsec', 'tunnel', 'tunl', 'tuntap', 'tap', 'token', 'tcpmetrics', 'tcp_metrics', 'monitor', 'xfrm', 'mroute', 'mrule', 'netns', 'netconf', 'vrf', 'sr', 'nexthop', 'mptcp', 'ioam', 'stats', 'help'] as const;

/**
 * Every `ip …` form the lab supports, argv without the leading `ip`: `[-d] [-4] [-br]` then
 * `addr|link|route|neigh` with show/get and the mutations. Unknown objects, commands and options
 * get iproute2's own messages.
 */
export function ipCommand(world: World, ns: NetNs, argv: readonly string[], opts: IpOptions = {}): CommandResult {
  const busybox = (opts.flavor ?? (ns.kind === 'root' ? 'iproute2' : 'busybox')) === 'busybox';
  const g: GlobalOpts = { nowUs: world.timeUs, details: false, stats: false, brief: false, family: 'any valid', inetOnly: false, busybox };
  let i = 0;
  for (; i < argv.length; i++) {
    let opt = argv[i]!;
    if (!opt.startsWith('-') || opt === '-') break;
    if (opt.startsWith('--')) opt = opt.slice(1);
    if (busybox && opt !== '-4' && !matches(opt, '-family')) return fail(BUSYBOX_USAGE);
    if (opt === '-4') {
      g.family = 'inet';
      g.inetOnly = true;
    } else if (opt === '-6') return fail(notModelled('IPv6'));
    else if (matches(opt, '-details')) g.details = true;
    else if (matches(opt, '-brief') && opt.length > 2) g.brief = true;
    else if (matches(opt, '-color') || matches(opt, '-Numeric')) continue;
    else if (matches(opt, '-family')) {
      const f = argv[++i];
      if (f === 'inet') {
        g.family = 'inet';
        g.inetOnly = true;
      } else if (f === undefined) return fail(INCOMPLETE);
      else return fail(notModelled(`the address family "${f}"`));
    } else if (opt === '-s' || matches(opt, '-stats') || matches(opt, '-statistics')) g.stats = true;
    else if (matches(opt, '-oneline') || matches(opt, '-json') || matches(opt, '-resolve') || matches(opt, '-netns') || matches(opt, '-all')) {
      return fail(notModelled(`the option "${opt}"`));
    } else if (matches(opt, '-help')) return fail(IP_USAGE);
    else return fail(`Option "${opt}" is unknown, try "ip -help".`);
  }
  const obj = argv[i];
  const rest = argv.slice(i + 1);
  if (obj === undefined) return fail(IP_USAGE);
  const which = IP_OBJECTS.find((o) => matches(obj, o));
  switch (which) {
    case 'address':
      return ipAddrCmd(ns, rest, g);
    case 'link':
      return ipLinkCmd(world, ns, rest, g);
    case 'route':
      return ipRouteCmd(ns, rest, g);
    case 'neighbor':
    case 'neighbour':
      return ipNeighCmd(ns, rest, g);
    case 'help':
      return fail(IP_USAGE);
    case undefined:
      return fail(`Object "${obj}" is unknown, try "ip help".`);
    default:
      return fail(notModelled(`"ip ${which}"`));
  }
}

const IP_USAGE = `Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }
where  OBJECT := { address | link | neighbour | route }
       OPTIONS := { -d[etails] | -4 | -br[ief] }`;

function edit(r: EditResult): CommandResult {
  return r.ok ? { ok: true, output: r.warning ? `${r.warning}\n` : '', mutates: true } : r;
}

/** The arguments of `ip addr show` / `ip link show`: `[dev] NAME`, `up`, `master B`, `type T`. */
function parseShowLinks(ns: NetNs, args: readonly string[], helpWord: string): { ok: true; o: LinkShowOpts } | { ok: false; error: string } {
  const a = new Argv(args);
  let dev: string | undefined;
  let up = false;
  let master: string | undefined;
  let type: string | undefined;
  while (!a.done) {
    const w = a.take()!;
    if (w === 'up') up = true;
    else if (w === 'master') {
      master = a.value();
      if (master === undefined) return fail(INCOMPLETE);
      if (!ns.dev(master)) return fail(invarg('Device does not exist', master));
    } else if (w === 'type') {
      type = a.value();
      if (type === undefined) return fail(INCOMPLETE);
    } else if (['scope', 'to', 'label', 'group', 'vrf'].includes(w)) {
      return fail(notModelled(`the filter "${w}"`));
    } else {
      const word = w === 'dev' ? a.take() : w;
      if (word === undefined) return fail(INCOMPLETE);
      if (matches(word, 'help')) return fail(`Usage: ip ${helpWord} show [ dev IFNAME ] [ up ] [ master DEVICE ] [ type TYPE ]`);
      if (dev !== undefined) return fail(`Error: either "dev" is duplicate, or "${word}" is a garbage.`);
      dev = word;
    }
  }
  if (dev !== undefined && !ns.dev(dev)) return fail(`Device "${dev}" does not exist.`);
  return { ok: true, o: { ...(dev !== undefined ? { dev } : {}), up, ...(master !== undefined ? { master } : {}), ...(type !== undefined ? { type } : {}) } };
}

function ipAddrCmd(ns: NetNs, args: readonly string[], g: GlobalOpts): CommandResult {
  const sub = args[0];
  const rest = args.slice(1);
  if (sub === undefined || matches(sub, 'list') || matches(sub, 'show') || matches(sub, 'lst')) {
    const p = parseShowLinks(ns, sub === undefined ? [] : rest, 'address');
    if (!p.ok) return p;
    const o = { ...p.o, details: g.details, stats: g.stats, inetOnly: g.inetOnly, addresses: true };
    if (g.busybox) return out(busyboxLinkShow(ns, o));
    return out(g.brief ? briefShow(ns, o) : ipLinkShow(ns, o));
  }
  if (matches(sub, 'add')) return edit(ipAddrEdit(ns, 'add', rest, g.family));
  if (matches(sub, 'replace')) return edit(ipAddrEdit(ns, 'replace', rest, g.family));
  if (matches(sub, 'delete')) return edit(ipAddrEdit(ns, 'del', rest, g.family));
  if (matches(sub, 'help')) return fail('Usage: ip address {add|change|replace} IFADDR dev IFNAME [ LIFETIME ]');
  if (matches(sub, 'flush')) {
    // ipaddr_flush: delete every address the selector picks, one RTM_DELADDR each
    if (rest.length === 0) return fail('Flush requires arguments.');
    const p = parseShowLinks(ns, rest, 'address');
    if (!p.ok) return p;
    let changed = false;
    for (const d of selectLinks(ns, p.o)) {
      for (const a of [...d.addrs].reverse()) {
        if (!d.addrs.includes(a)) continue;
        const r = ipAddrEdit(ns, 'del', [`${a.addr}/${a.prefixLen}`, 'dev', d.name]);
        changed ||= r.ok;
      }
    }
    return { ok: true, output: '', mutates: changed };
  }
  if (matches(sub, 'change') || sub === 'chg' || matches(sub, 'save') || matches(sub, 'showdump') || matches(sub, 'restore')) {
    return fail(notModelled(`"ip address ${sub}"`));
  }
  return fail(`Command "${sub}" is unknown, try "ip address help".`);
}

function ipLinkCmd(world: World, ns: NetNs, args: readonly string[], g: GlobalOpts): CommandResult {
  const sub = args[0];
  const rest = args.slice(1);
  if (sub === undefined || matches(sub, 'show') || matches(sub, 'list') || matches(sub, 'lst')) {
    const p = parseShowLinks(ns, sub === undefined ? [] : rest, 'link');
    if (!p.ok) return p;
    const o = { ...p.o, details: g.details, stats: g.stats, link: true };
    if (g.busybox) return out(busyboxLinkShow(ns, o));
    return out(g.brief ? briefShow(ns, o) : ipLinkShow(ns, o));
  }
  if (matches(sub, 'set')) return edit(ipLinkSet(ns, rest));
  if (matches(sub, 'help')) return fail('Usage: ip link set { DEVICE | dev DEVICE } [ { up | down } ] [ mtu MTU ] [ master DEVICE ] [ nomaster ]');
  if (matches(sub, 'add')) return edit(ipLinkAdd(world, ns, rest));
  if (matches(sub, 'delete')) return edit(ipLinkDel(ns, rest));
  if (matches(sub, 'change') || matches(sub, 'replace') || matches(sub, 'property') || matches(sub, 'xstats') || matches(sub, 'afstats')) {
    return fail(notModelled(`"ip link ${sub}"`));
  }
  return fail(`Command "${sub}" is unknown, try "ip link help".`);
}

interface RouteFilter {
  dev?: string;
  proto?: Route['proto'];
  scope?: Route['scope'];
  via?: Ipv4;
  table: 'main' | 'local' | 'all';
  root?: Prefix;
  match?: Prefix;
}

function parseRouteFilter(ns: NetNs, args: readonly string[], family: Family): { ok: true; f: RouteFilter } | { ok: false; error: string } {
  const a = new Argv(args);
  const f: RouteFilter = { table: 'main' };
  const prefix = (s: string | undefined) => {
    if (s === undefined) return fail(INCOMPLETE);
    const p = parsePrefix(s, family);
    return p.ok ? { ok: true as const, p: toPrefix(p.addr, p.len) } : p;
  };
  while (!a.done) {
    const w = a.take()!;
    if (w === 'dev' || w === 'oif') {
      const v = a.value();
      if (v === undefined) return fail(INCOMPLETE);
      if (!ns.dev(v)) return fail(`Cannot find device "${v}"`);
      f.dev = v;
    } else if (matches(w, 'protocol')) {
      const v = a.value();
      if (v === undefined) return fail(INCOMPLETE);
      const p = PROTOS[v];
      if (!p) return fail(invarg('invalid "protocol"', v));
      f.proto = p;
    } else if (w === 'scope') {
      const v = a.value();
      if (v === undefined) return fail(INCOMPLETE);
      const s = SCOPES[v];
      if (!s) return fail(invarg('invalid "scope"', v));
      f.scope = s;
    } else if (w === 'via') {
      const v = a.value();
      if (v === undefined) return fail(INCOMPLETE);
      const p = parseAddr(v, family);
      if (!p.ok) return p;
      f.via = p.ip;
    } else if (matches(w, 'table')) {
      const v = a.value();
      if (v === undefined) return fail(INCOMPLETE);
      if (v === 'main' || v === '254') f.table = 'main';
      else if (v === 'local' || v === '255') f.table = 'local';
      else if (v === 'all' || v === '0') f.table = 'all';
      else return fail(notModelled(`routing table "${v}"`));
    } else {
      let word: string | undefined = w === 'to' ? a.take() : w;
      if (matches(word, 'root')) {
        const p = prefix(a.take());
        if (!p.ok) return p;
        f.root = p.p;
      } else if (matches(word, 'match')) {
        const p = prefix(a.take());
        if (!p.ok) return p;
        f.match = p.p;
      } else {
        if (matches(word, 'exact')) word = a.take();
        const p = prefix(word);
        if (!p.ok) return p;
        f.root = p.p;
        f.match = p.p;
      }
    }
  }
  return { ok: true, f };
}

function routeMatches(r: { dst: Prefix; dev: string; proto?: string; scope?: string; via?: Ipv4 }, f: RouteFilter): boolean {
  if (f.dev !== undefined && r.dev !== f.dev) return false;
  if (f.proto !== undefined && r.proto !== f.proto) return false;
  if (f.scope !== undefined && r.scope !== f.scope) return false;
  if (f.via !== undefined && r.via !== f.via) return false;
  // root: routes inside the prefix; match: routes covering it; both: exactly it
  if (f.root && (r.dst.len < f.root.len || !prefixContains(f.root, r.dst.net))) return false;
  if (f.match && (r.dst.len > f.match.len || !prefixContains(r.dst, f.match.net))) return false;
  return true;
}

/** `ip route [show|list] [SELECTOR]`: main table rows (trailing blank kept), a `dev`/`proto`/`scope` filter hides that field. */
export function ipRouteShow(ns: NetNs, f: RouteFilter = { table: 'main' }, busybox = false): string {
  const hide: RouteHide = { dev: f.dev !== undefined, proto: f.proto !== undefined, scope: f.scope !== undefined, via: f.via !== undefined };
  let s = '';
  if (f.table !== 'local') for (const r of ns.fib.routes) if (routeMatches(r, f)) s += `${busybox ? busyboxRouteLine(r, hide) : routeLine(ns, r, hide)}\n`;
  if (f.table !== 'main') {
    for (const r of localRoutes(ns)) {
      if (!routeMatches({ ...r, proto: 'kernel' }, f)) continue;
      s += `${localRouteLine(r, f.table === 'all')}\n`;
    }
  }
  return s;
}

function ipRouteCmd(ns: NetNs, args: readonly string[], g: GlobalOpts): CommandResult {
  const sub = args[0];
  const rest = args.slice(1);
  if (sub === undefined || matches(sub, 'list') || matches(sub, 'show') || matches(sub, 'lst')) {
    const f = parseRouteFilter(ns, sub === undefined ? [] : rest, g.family);
    if (!f.ok) return f;
    return out(ipRouteShow(ns, f.f, g.busybox));
  }
  if (matches(sub, 'add')) return edit(ipRouteEdit(ns, 'add', rest, g.family));
  if (matches(sub, 'change') || sub === 'chg') return edit(ipRouteEdit(ns, 'change', rest, g.family));
  if (matches(sub, 'replace')) return edit(ipRouteEdit(ns, 'replace', rest, g.family));
  if (matches(sub, 'append')) return edit(ipRouteEdit(ns, 'append', rest, g.family));
  if (matches(sub, 'delete')) return edit(ipRouteEdit(ns, 'del', rest, g.family));
  if (matches(sub, 'get')) {
    const a = new Argv(rest);
    let dst: Ipv4 | undefined;
    while (!a.done) {
      const w = a.take()!;
      if (['from', 'iif', 'oif', 'mark', 'tos', 'dsfield', 'vrf', 'sport', 'dport', 'ipproto', 'uid', 'connected', 'fibmatch'].includes(w)) return fail(notModelled(`"ip route get … ${w}"`));
      const word = w === 'to' ? a.take() : w;
      if (word === undefined) return fail(INCOMPLETE);
      if (dst !== undefined) return fail(duparg2('to', word));
      const p = parseAddr(word, g.family);
      if (!p.ok) return p;
      dst = p.ip;
    }
    if (dst === undefined) return fail('need at least a destination address');
    const r = ipRouteGet(ns, dst, g.nowUs);
    return r.ok ? out(r.output) : r;
  }
  if (matches(sub, 'flush')) {
    if (rest.length === 0) return fail('"ip route flush" requires arguments.');
    const f = parseRouteFilter(ns, rest, g.family);
    if (!f.ok) return f;
    if (f.f.table !== 'main') return fail(notModelled('flushing the local table'));
    const n = ns.fib.remove((r) => routeMatches(r, f.f));
    return { ok: true, output: '', mutates: n > 0 };
  }
  if (matches(sub, 'help')) return fail('Usage: ip route { list | flush } SELECTOR\n       ip route get ADDRESS\n       ip route { add | del | change | append | replace } ROUTE');
  return fail(`Command "${sub}" is unknown, try "ip route help".`);
}

function ipNeighCmd(ns: NetNs, args: readonly string[], g: GlobalOpts): CommandResult {
  const sub = args[0];
  const rest = args.slice(1);
  if (sub === undefined || matches(sub, 'list') || matches(sub, 'show') || matches(sub, 'lst') || matches(sub, 'flush')) {
    const flush = sub !== undefined && matches(sub, 'flush');
    const a = new Argv(sub === undefined ? [] : rest);
    let dev: string | undefined;
    let to: Prefix | undefined;
    let nud: NudState | 'all' | undefined;
    while (!a.done) {
      const w = a.take()!;
      if (w === 'dev') {
        dev = a.value();
        if (dev === undefined) return fail(INCOMPLETE);
        if (!ns.dev(dev)) return fail(`Cannot find device "${dev}"`);
      } else if (w === 'nud') {
        const v = a.value();
        if (v === undefined) return fail(INCOMPLETE);
        if (v === 'all') nud = 'all';
        else if (v in NUD) {
          const s = NUD[v];
          if (!s) return out('');
          nud = s;
        } else return fail(invarg('nud state is bad', v));
      } else if (['proxy', 'unused', 'vrf', 'master', 'nomaster', 'protocol'].includes(w)) {
        return fail(notModelled(`the filter "${w}"`));
      } else {
        const word = w === 'to' ? a.take() : w;
        if (word === undefined) return fail(INCOMPLETE);
        const p = parsePrefix(word, g.family);
        if (!p.ok) return p;
        to = toPrefix(p.addr, p.len);
      }
    }
    const pick = (n: Neighbour) =>
      (dev === undefined || n.dev === dev) &&
      (to === undefined || prefixContains(to, ipToInt(n.ip))) &&
      // `ip neigh flush` spares PERMANENT entries unless asked (filter.state = ~(PERMANENT|NOARP))
      (nud === 'all' || (nud === undefined ? !flush || n.state !== 'PERMANENT' : n.state === nud));
    if (flush) {
      if (dev === undefined && to === undefined) return fail('Flush requires arguments.');
      return { ok: true, output: '', mutates: ns.neigh.removeWhere(pick) > 0 };
    }
    return out(ns.neigh.entries.filter(pick).map((n) => `${neighLine(n, dev !== undefined)}\n`).join(''));
  }
  if (matches(sub, 'add')) return edit(ipNeighEdit(ns, 'add', rest, g.family));
  if (matches(sub, 'change') || sub === 'chg') return edit(ipNeighEdit(ns, 'change', rest, g.family));
  if (matches(sub, 'replace')) return edit(ipNeighEdit(ns, 'replace', rest, g.family));
  if (matches(sub, 'delete')) return edit(ipNeighEdit(ns, 'del', rest, g.family));
  if (matches(sub, 'get')) {
    const a = new Argv(rest);
    let dst: Ipv4 | undefined;
    let dev: string | undefined;
    while (!a.done) {
      const w = a.take()!;
      if (w === 'dev') {
        dev = a.value();
        if (dev === undefined) return fail(INCOMPLETE);
      } else {
        const word = w === 'to' ? a.take() : w;
        if (word === undefined) return fail(INCOMPLETE);
        const p = parseAddr(word, g.family);
        if (!p.ok) return p;
        dst = p.ip;
      }
    }
    if (dev === undefined || dst === undefined) return fail('Device and address are required arguments.');
    if (!ns.dev(dev)) return fail(nodev(dev));
    const n = ns.neigh.get(dev, dst);
    if (!n) return fail(RTNL.noEntry);
    return out(`${neighLine(n.entry)}\n`);
  }
  if (matches(sub, 'help')) return fail('Usage: ip neigh { add | del | change | replace } { ADDR [ lladdr LLADDR ] [ nud STATE ] } [ dev DEV ]');
  return fail(`Command "${sub}" is unknown, try "ip neigh help".`);
}

// ---------------------------------------------------------------- `bridge`, `route`, `brctl`

/** `bridge fdb …` and `bridge link [show|set dev D hairpin on|off]`, argv without the leading `bridge`. */
export function bridgeCommand(_world: World, ns: NetNs, argv: readonly string[]): CommandResult {
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-')) {
    const opt = argv[i]!.replace(/^--/, '-');
    if (matches(opt, '-details') || matches(opt, '-color') || matches(opt, '-Numeric')) i++;
    else if (matches(opt, '-statistics') || matches(opt, '-json') || matches(opt, '-oneline') || matches(opt, '-netns') || matches(opt, '-compressvlans')) return fail(notModelled(`the option "${opt}"`));
    else return fail(`Option "${opt}" is unknown, try "bridge help".`);
  }
  const obj = argv[i];
  const rest = argv.slice(i + 1);
  if (obj === undefined) return fail('Usage: bridge [ OPTIONS ] OBJECT { COMMAND | help }\nwhere  OBJECT := { link | fdb | mdb | vlan | vni | monitor }');
  const which = ['link', 'fdb', 'mdb', 'vlan', 'vni', 'monitor', 'help'].find((o) => matches(obj, o));
  if (which === 'fdb') return bridgeFdbCmd(ns, rest);
  if (which === 'link') return bridgeLinkCmd(ns, rest);
  if (which === undefined) return fail(`Object "${obj}" is unknown, try "bridge help".`);
  return fail(notModelled(`"bridge ${which}"`));
}

function bridgeFdbCmd(ns: NetNs, args: readonly string[]): CommandResult {
  const sub = args[0];
  const rest = args.slice(1);
  if (sub === undefined || matches(sub, 'show') || matches(sub, 'lst') || matches(sub, 'list')) {
    const a = new Argv(sub === undefined ? [] : rest);
    const f: { dev?: string; br?: string; state?: FdbFilter['state'] } = {};
    while (!a.done) {
      const w = a.take()!;
      if (w === 'dev' || w === 'brport') {
        f.dev = a.value();
        if (f.dev === undefined) return fail(INCOMPLETE);
      } else if (w === 'br') {
        f.br = a.value();
        if (f.br === undefined) return fail(INCOMPLETE);
      } else if (w === 'state') {
        const v = a.value();
        if (v === undefined) return fail(INCOMPLETE);
        if (matches(v, 'permanent')) f.state = 'permanent';
        else if (matches(v, 'static') || matches(v, 'temp')) f.state = 'static';
        else if (matches(v, 'reachable') || matches(v, 'dynamic')) f.state = 'dynamic';
        else return fail(invarg('invalid state', v));
      } else if (w === 'vlan') {
        return fail(notModelled('VLAN-filtered FDB entries'));
      } else if (matches(w, 'help')) return fail('Usage: bridge fdb [ show [ br BRDEV ] [ brport DEV ] [ vlan VID ] [ state STATE ] ]');
    }
    if (f.br !== undefined && !ns.dev(f.br)) return fail(`Cannot find bridge device "${f.br}"`);
    if (f.dev !== undefined && !ns.dev(f.dev)) return fail(`Cannot find device "${f.dev}"`);
    return out(fdbTable(ns, f).lines.map((l) => `${l}\n`).join(''));
  }
  if (matches(sub, 'add')) return edit(bridgeFdbEdit(ns, 'add', rest));
  if (matches(sub, 'append')) return edit(bridgeFdbEdit(ns, 'append', rest));
  if (matches(sub, 'replace')) return edit(bridgeFdbEdit(ns, 'replace', rest));
  if (matches(sub, 'delete')) return edit(bridgeFdbEdit(ns, 'del', rest));
  if (matches(sub, 'help')) return fail('Usage: bridge fdb { add | append | del | replace } ADDR dev DEV\n              [ self ] [ master ] [ local | static | dynamic ] [ dst IPADDR ]');
  return fail(`Command "${sub}" is unknown, try "bridge fdb help".`);
}

/** `bridge link`: bridge ports as bridge/link.c prints them; `set dev D hairpin on|off` flips IFLA_BRPORT_MODE. */
function bridgeLinkCmd(ns: NetNs, args: readonly string[]): CommandResult {
  const sub = args[0];
  if (sub === undefined || matches(sub, 'show') || matches(sub, 'list') || matches(sub, 'lst')) {
    let dev: string | undefined;
    const a = new Argv(sub === undefined ? [] : args.slice(1));
    while (!a.done) {
      const w = a.take()!;
      dev = w === 'dev' ? a.take() : w;
    }
    if (dev !== undefined && !ns.dev(dev)) return fail(`Cannot find device "${dev}"`);
    let s = '';
    for (const d of byIfindex(ns)) {
      if (!d.master || (dev !== undefined && d.name !== dev)) continue;
      const { name, mdown } = linkName(d);
      const state = hasCarrier(d) && d.master.up ? 'forwarding' : 'disabled';
      s += `${d.ifindex}: ${name}: ${linkFlags(d, mdown)} mtu ${d.mtu} master ${d.master.name} state ${state} priority 32 cost 2 \n`;
    }
    return out(s);
  }
  if (matches(sub, 'set')) {
    const a = new Argv(args.slice(1));
    let dev: string | undefined;
    let hairpin: boolean | undefined;
    while (!a.done) {
      const w = a.take()!;
      if (w === 'dev') {
        dev = a.value();
        if (dev === undefined) return fail(INCOMPLETE);
      } else if (w === 'hairpin') {
        const v = a.value();
        if (v === undefined) return fail(INCOMPLETE);
        if (v !== 'on' && v !== 'off') return fail(`Error: argument "${v}" is wrong: hairpin mode must be "on" or "off"`);
        hairpin = v === 'on';
      } else return fail(notModelled(`"bridge link set … ${w}"`));
    }
    if (dev === undefined) return fail('Device is a required argument.');
    const d = ns.dev(dev);
    if (!d) return fail(nodev(dev));
    if (!d.master) return fail('RTNETLINK answers: Operation not supported');
    if (hairpin !== undefined) d.hairpin = hairpin;
    return { ok: true, output: '', mutates: hairpin !== undefined };
  }
  return fail(`Command "${sub}" is unknown, try "bridge link help".`);
}

/** `route [-n] [-e]` (net-tools): the kernel IPv4 routing table. */
export function routeCommand(_world: World, ns: NetNs, argv: readonly string[]): CommandResult {
  let numeric = false;
  for (const a of argv) {
    if (/^-[nNe4v]+$/.test(a)) {
      if (a.includes('n')) numeric = true;
      if (a.includes('e')) return fail(notModelled('the route -e (netstat) format'));
    } else if (a === '--numeric') numeric = true;
    else if (a === '-A' || a === 'inet' || a === '--inet') continue;
    else if (a === 'add' || a === 'del') return fail(notModelled('"route add/del" (use ip route)'));
    else return fail(`route: invalid option -- '${a.replace(/^-+/, '')}'\nUsage: route [-nNvee] [-FC] [<AF>]           List kernel routing tables`);
  }
  return out(routeN(ns, numeric));
}

/** `brctl show [BRIDGE]` and `brctl showmacs BRIDGE` (bridge-utils). */
export function brctlCommand(_world: World, ns: NetNs, argv: readonly string[]): CommandResult {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === 'show') {
    const r = brctlShow(ns, rest);
    return { ok: true, output: r.output, mutates: false, ...(r.stderr ? { stderr: r.stderr } : {}) };
  }
  if (cmd === 'showmacs') {
    if (rest[0] === undefined) return fail('Incorrect number of arguments for command');
    return brctlShowmacs(ns, rest[0]);
  }
  if (['addbr', 'delbr', 'addif', 'delif', 'hairpin', 'setageing', 'setbridgeprio', 'setfd', 'sethello', 'setmaxage', 'setpathcost', 'setportprio', 'stp', 'showstp'].includes(cmd)) {
    return fail(notModelled(`"brctl ${cmd}" (use ip link / bridge link)`));
  }
  return fail(`never heard of command [${cmd}]`);
}
