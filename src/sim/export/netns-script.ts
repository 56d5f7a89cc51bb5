import { intToIp, prefixToString } from '../net/addr.ts';
import { iptablesSave } from '../cli/iptables.ts';
import type { Device, TunDevice, VethDevice } from '../linux/devices.ts';
import type { Route } from '../linux/fib.ts';
import { isTableCreated, TABLE_NAMES } from '../linux/netfilter/tables.ts';
import type { NetNs } from '../linux/netns.ts';
import { runNft } from '../linux/nftables/parser.ts';
import type { TunUdpProxyState } from '../linux/process.ts';
import type { World } from '../linux/world.ts';
import { TUN_UDP_PROXY_PY, tunUdpProxyArgs } from './tun-udp-proxy.ts';

/**
 * `kube-packet-lab export --netns`: one bash script that builds the model's kernel state in real
 * Linux network namespaces. It is read off the World after the controllers ran — devices,
 * addresses, routes, neighbours, FDB entries, sysctls, netfilter tables, listening sockets — so
 * whatever the model holds is what the kernel gets, and `npm run conformance` can ask the real
 * kernel the same questions.
 *
 * Safety, by construction: every command names a namespace the script itself made (`ip -n NS`,
 * `ip netns exec NS`, `bridge -n NS`), every namespace carries the prefix, nothing is created in
 * or connected to the namespace the script runs in, and an L2 segment (the LAN) is a bridge in a
 * namespace of its own, so no frame can leave the lab.
 */
export interface NetnsScriptOptions {
  /** every namespace is `<prefix>-<name>`: lower-case letters, digits and `-`, at most 12 */
  readonly prefix: string;
  /** comment lines for the script's head (what was exported, with which modes and seed) */
  readonly about?: readonly string[];
}

export interface NetnsScript {
  readonly text: string;
  /** the real namespace of each model namespace (by NetNs.id) and of each segment (`segment:NAME`) */
  readonly names: ReadonlyMap<string, string>;
  /** every namespace the script makes, in creation order */
  readonly namespaces: readonly string[];
}

export type ExportResult = { readonly ok: true; readonly value: NetnsScript } | { readonly ok: false; readonly error: string };

export const PREFIX_RE = /^[a-z][a-z0-9-]{0,11}$/;

/** The namespace name for a model namespace: `kpl-master`, `kpl-master-nginx-test-…` for a pod. */
export function realNsName(prefix: string, ns: NetNs): string {
  return safeName(ns.kind === 'root' ? `${prefix}-${ns.host}` : `${prefix}-${ns.host}-${ns.name}`);
}

/** The namespace that holds an L2 segment's bridge. */
export function segmentNsName(prefix: string, segment: string): string {
  return safeName(`${prefix}-net-${segment}`);
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** The socket servers the export starts: one per listening port, answering with the peer it saw. */
export const SERVER_REPLY = 'peer=$SOCAT_PEERADDR:$SOCAT_PEERPORT local=$SOCAT_SOCKADDR:$SOCAT_SOCKPORT';

export function netnsScript(world: World, o: NetnsScriptOptions): ExportResult {
  if (!PREFIX_RE.test(o.prefix)) return { ok: false, error: `--prefix "${o.prefix}" must be 1 to 12 lower-case letters, digits or "-", starting with a letter` };
  const names = new Map<string, string>();
  const all = [...world.namespaces.values()];
  for (const ns of all) names.set(ns.id, realNsName(o.prefix, ns));
  for (const seg of world.segments.keys()) names.set(`segment:${seg}`, segmentNsName(o.prefix, seg));
  const namespaces = [...new Set(names.values())];
  if (namespaces.length !== names.size) return { ok: false, error: 'two model namespaces map to one real namespace name; rename a host or pod' };
  const nsOf = (ns: NetNs) => names.get(ns.id)!;

  const out = new ScriptWriter();
  head(out, o, namespaces);

  out.section('Namespaces: one per host and per pod, one per L2 segment; IPv6 off (the model has none)');
  for (const n of namespaces) out.line(`ip netns add ${n}`);
  for (const ns of all) {
    const n = nsOf(ns);
    const bridged = [...ns.devices.values()].some((d) => d.kind === 'bridge');
    const sys = [
      'net.ipv6.conf.all.disable_ipv6=1',
      'net.ipv6.conf.default.disable_ipv6=1',
      `net.ipv4.ip_forward=${ns.sysctl.ipForward ? 1 : 0}`,
      // the model does no reverse-path filtering
      'net.ipv4.conf.all.rp_filter=0',
      'net.ipv4.conf.default.rp_filter=0',
      // the receive buffer limit the model's TCP window scale (7) follows; kernels ≥ 6.15 raised it to 32 MB
      `net.ipv4.tcp_rmem='4096 131072 6291456'`,
      // br_netfilter's switch is per network namespace (kernel ≥ 5.3)
      ...(bridged || ns.sysctl.bridgeNfCallIptables ? [`net.bridge.bridge-nf-call-iptables=${ns.sysctl.bridgeNfCallIptables ? 1 : 0}`] : []),
    ];
    out.line(`ip netns exec ${n} sysctl -qw ${sys.join(' ')}`);
  }
  for (const seg of world.segments.keys()) {
    const n = names.get(`segment:${seg}`)!;
    out.line(`ip netns exec ${n} sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 net.bridge.bridge-nf-call-iptables=0`);
  }

  // the ipip module makes tunl0 in every namespace; without the module there is no IPIP at all
  const ipip = all.find((ns) => [...ns.devices.values()].some((d) => d.kind === 'ipip' && d.fallback));
  if (ipip) out.line(`if ! ip -n ${nsOf(ipip)} link show tunl0 >/dev/null 2>&1; then echo "export: this kernel has no ipip module (no tunl0 in a new namespace): Calico's IPIP cannot be built here" >&2; teardown; exit 1; fi`);

  out.section('L2 segments: a bridge in its own namespace; each NIC is a veth whose far end is a port of it');
  const nicPorts = new Map<string, string>();
  for (const [segName, seg] of world.segments) {
    const n = names.get(`segment:${segName}`)!;
    out.line(`ip -n ${n} link add ${ifname(segName)} type bridge`);
    seg.ports.forEach((p, i) => nicPorts.set(`${p.ns.id}/${p.dev}`, `p${i + 1}`));
  }

  out.section('Devices, in the order (and with the ifindex, MAC and MTU) the model created them');
  const made = new Set<Device>();
  // servers to wait for once the lab is up: the TUN proxies' sockets, then every listener's
  const listening: string[] = [];
  const byIndex = (ns: NetNs) => [...ns.devices.values()].sort((a, b) => a.ifindex - b.ifindex);
  for (const ns of all) {
    const n = nsOf(ns);
    for (const d of byIndex(ns)) {
      if (made.has(d) || d.kind === 'loopback') continue;
      made.add(d);
      const common = `index ${d.ifindex} address ${d.mac} mtu ${d.mtu}${txqueuelen(d)}`;
      switch (d.kind) {
        case 'veth': {
          const peer = (d as VethDevice).peer;
          if (!peer) return { ok: false, error: `${ns.id}: veth ${d.name} has no peer; the kernel cannot make half a pair` };
          made.add(peer);
          out.line(`ip -n ${n} link add ${d.name} ${common} type veth peer name ${peer.name} index ${peer.ifindex} address ${peer.mac} mtu ${peer.mtu}${txqueuelen(peer)} netns ${nsOf(peer.netns)}`);
          break;
        }
        case 'nic': {
          const seg = d.segment;
          const port = nicPorts.get(`${ns.id}/${d.name}`);
          if (!seg || !port) return { ok: false, error: `${ns.id}: NIC ${d.name} is not plugged into a segment` };
          const segNs = names.get(`segment:${seg}`)!;
          out.line(`ip -n ${n} link add ${d.name} ${common} type veth peer name ${port} netns ${segNs}`);
          out.line(`ip -n ${segNs} link set ${port} master ${ifname(seg)} up`);
          break;
        }
        case 'bridge':
          out.line(`ip -n ${n} link add ${d.name} ${common} type bridge`);
          break;
        case 'vxlan':
          out.line(`ip -n ${n} link add ${d.name} ${common} type vxlan id ${d.vni} local ${d.local} dev ${d.lowerDev} dstport ${d.dstport} ${d.learning ? 'learning' : 'nolearning'}`);
          break;
        case 'dummy':
          out.line(`ip -n ${n} link add ${d.name} ${common} type dummy`);
          break;
        case 'ipip':
          // the ipip module makes tunl0 itself in every namespace; other tunnels are added
          if (!d.fallback) out.line(`ip -n ${n} link add ${d.name} index ${d.ifindex} mtu ${d.mtu} type ipip${d.local ? ` local ${d.local}` : ''}${d.remote ? ` remote ${d.remote}` : ''} ttl ${d.ttl || 'inherit'}${d.pmtudisc ? ' pmtudisc' : ' nopmtudisc'}`);
          break;
        case 'tun': {
          const proxy = tunProxyOf(ns, d);
          if (!proxy) return { ok: false, error: `${ns.id}: ${d.name} is a TUN device whose reader (${d.owner ?? 'none'}) is not a TUN ↔ UDP proxy; the export can start only that kind of program` };
          // the program makes the device itself, as flanneld does (a TUN made by another
          // program and attached later would have had its carrier go off and on, and
          // `ip link` would say UP where flanneld's says UNKNOWN); it is started in the
          // model's device order, so that the device gets the model's ifindex (TUNSETIFF
          // cannot choose one: the next free index is taken — checked)
          out.line(`ip netns exec ${n} setsid python3 - ${tunUdpProxyArgs(proxy).join(' ')} >/dev/null 2>&1 <<'KPL_PY' &`);
          out.raw(TUN_UDP_PROXY_PY.trimEnd());
          out.raw('KPL_PY');
          out.line(`wait_link ${n} ${d.name}`);
          out.line(`ip -n ${n} -o link show ${d.name} | grep -q '^${d.ifindex}: '`);
          // configureIface sets the MTU; a node with IPv6 gives a device without a hardware
          // address (ARPHRD_NONE) random IPv6 address generation (addrconf_dev_config), the lab has IPv6 off
          out.line(`ip -n ${n} link set ${d.name} mtu ${d.mtu} addrgenmode random`);
          listening.push(`wait_listening ${n} udp ${proxy.port}`);
          break;
        }
      }
    }
  }
  for (const seg of world.segments.keys()) out.line(`ip -n ${names.get(`segment:${seg}`)} link set ${ifname(seg)} up`);

  out.section('Bridge ports (the CNI bridge plugin sets hairpin mode on each pod port)');
  for (const ns of all) {
    for (const d of byIndex(ns)) {
      if (!d.master) continue;
      out.line(`ip -n ${nsOf(ns)} link set ${d.name} master ${d.master.name}`);
      if (d.hairpin) out.line(`ip -n ${nsOf(ns)} link set ${d.name} type bridge_slave hairpin on`);
    }
  }

  out.section('Addresses (the kernel adds each prefix route itself), then links up');
  for (const ns of all) {
    const n = nsOf(ns);
    for (const d of byIndex(ns)) {
      for (const a of d.addrs) {
        if (d.kind === 'loopback' && a.addr === '127.0.0.1' && a.prefixLen === 8) continue;
        const parts = [`ip -n ${n} addr add ${a.addr}/${a.prefixLen}`];
        if (a.brd) parts.push('brd +');
        if (a.scope !== 'global' && !(d.kind === 'loopback' && a.scope === 'host')) parts.push(`scope ${a.scope}`);
        if (a.metric) parts.push(`metric ${a.metric}`);
        // a DHCP lease: a finite lifetime is what makes `ip addr` say `dynamic`
        if (a.dynamic) parts.push('valid_lft 86400 preferred_lft 86400');
        parts.push(`dev ${d.name}`);
        out.line(parts.join(' '));
      }
    }
    for (const d of byIndex(ns)) {
      if (d.up && !d.neverUp) out.line(`ip -n ${n} link set ${d.name} up`);
      // Calico answers ARP for its gateway address with proxy ARP on the host's end of each veth.
      // The model answers at once, as the Calico CNI plugin makes the kernel do (configureSysctls:
      // proxy_delay=0); the kernel's default would hold a broadcast request up to 0.8 s (pneigh_enqueue)
      if (d.proxyArp) {
        out.line(`ip netns exec ${n} sysctl -qw net.ipv4.conf.${d.name.replaceAll('.', '/')}.proxy_arp=1`);
        out.line(`ip netns exec ${n} sysctl -qw net.ipv4.neigh.${d.name.replaceAll('.', '/')}.proxy_delay=0`);
      }
    }
  }
  out.section('No checksum or segmentation offloads on veths, so a capture shows what a wire would carry');
  for (const ns of all) {
    for (const d of byIndex(ns)) {
      if (d.kind === 'nic' || d.kind === 'veth') out.line(`ip netns exec ${nsOf(ns)} ethtool -K ${d.name} tx off sg off tso off gso off gro off >/dev/null`);
    }
  }

  out.section('Routes (main table) other than the ones the kernel derived from addresses');
  for (const ns of all) {
    const n = nsOf(ns);
    const auto = kernelRoutes(ns);
    // a gateway must be reachable when its route is added (fib_check_nh): the link routes that
    // make it so first (Calico's `169.254.1.1 dev eth0 scope link` before `default via 169.254.1.1`)
    const needsGateway = (r: (typeof ns.fib.routes)[number]) => (r.via !== undefined && !r.onlink ? 1 : 0);
    for (const r of [...ns.fib.routes].sort((a, b) => needsGateway(a) - needsGateway(b))) {
      if (auto.has(routeKey(r))) continue;
      out.line(`ip -n ${n} route add ${routeSpec(r)}`);
    }
    // a kernel route the model no longer has (someone ran `ip route del` on it)
    for (const [k, r] of auto) {
      if (!ns.fib.routes.some((x) => routeKey(x) === k)) out.line(`ip -n ${n} route del ${routeSpec(r)}`);
    }
  }

  out.section('Neighbours and forwarding databases');
  for (const ns of all) {
    const n = nsOf(ns);
    for (const e of ns.neigh.entries) {
      if (e.state === 'FAILED' || !e.lladdr) continue;
      out.line(`ip -n ${n} neigh replace ${e.ip} dev ${e.dev} lladdr ${e.lladdr} nud ${e.state.toLowerCase()}`);
    }
    for (const d of byIndex(ns)) {
      if (d.kind === 'vxlan') for (const e of d.fdb) out.line(`bridge -n ${n} fdb append ${e.mac} dev ${d.name} dst ${e.dst} self${e.permanent ? ' permanent' : ''}`);
      if (d.kind === 'bridge') {
        for (const e of d.fdb) if (!e.local && e.permanent) out.line(`bridge -n ${n} fdb replace ${e.mac} dev ${e.port} master static`);
      }
    }
  }

  // the sets rules match on (Felix's cali40masq-ipam-pools, kube-proxy's KUBE-* in ipvs mode)
  // must exist before iptables-restore names them
  if (all.some((ns) => ns.ipsets.size > 0)) {
    out.section('IP sets, before the rules that match on them');
    for (const ns of all) {
      for (const set of ns.ipsets.values()) {
        out.line(`ip netns exec ${nsOf(ns)} ipset create ${set.name} ${set.type} family inet${set.maxelem !== undefined ? ` maxelem ${set.maxelem}` : ''}${set.comment !== undefined ? ' comment' : ''}`);
        for (const e of set.entries) out.line(`ip netns exec ${nsOf(ns)} ipset add ${set.name} ${e}`);
      }
    }
  }

  out.section('Netfilter: each namespace gets the tables the model holds, as iptables-restore reads them');
  for (const ns of all) {
    if (!hasRules(ns)) continue;
    out.line(`ip netns exec ${nsOf(ns)} iptables-restore -w <<'KPL_IPTABLES'`);
    out.raw(iptablesSave(ns.nf, { counters: false }).trimEnd());
    out.raw('KPL_IPTABLES');
  }
  // nf_tables tables (kube-proxy's nftables mode, flanneld's EnableNFTables): what `nft list
  // ruleset` prints is what `nft -f` reads back
  for (const ns of all) {
    if (ns.nft.tables.length === 0) continue;
    const listed = runNft(ns.nft, 'list ruleset', { nowUs: world.timeUs });
    if (!listed.ok) return { ok: false, error: `${ns.id}: nft list ruleset: ${listed.error}` };
    out.line(`ip netns exec ${nsOf(ns)} nft -f - <<'KPL_NFT'`);
    out.raw(listed.output.trimEnd());
    out.raw('KPL_NFT');
  }

  out.section('A server on every port something listens on: it answers with the peer address it saw');
  for (const ns of all) {
    const n = nsOf(ns);
    for (const l of ns.listeners) {
      if (l.process === 'client' || ns.processes.get(l.process)?.tunUdpProxy) continue;
      const addr = l.proto === 'tcp' ? `TCP4-LISTEN:${l.port},reuseaddr,fork` : `UDP4-RECVFROM:${l.port},fork`;
      out.line(`ip netns exec ${n} setsid socat ${addr} SYSTEM:'echo "${SERVER_REPLY} process=${safeName(l.process)}"' </dev/null >/dev/null 2>&1 &`);
      listening.push(`wait_listening ${n} ${l.proto} ${l.port}`);
    }
  }
  for (const w of listening) out.line(w);
  out.raw(`echo "lab is up: ${namespaces.length} namespaces (ip netns list | grep ^${o.prefix}-); tear it down with: bash $0 teardown"`);
  out.raw('}');
  out.raw('');
  out.raw('case "${1:-up}" in');
  out.raw('  up) up ;;');
  out.raw('  teardown) teardown ;;');
  out.raw('  *) echo "usage: $0 [up|teardown]" >&2; exit 2 ;;');
  out.raw('esac');
  return { ok: true, value: { text: out.text(), names, namespaces } };
}

/** The state of the process reading a TUN device, when it is a TUN ↔ UDP proxy (flanneld's udp backend). */
function tunProxyOf(ns: NetNs, d: TunDevice): TunUdpProxyState | undefined {
  const s = d.owner ? ns.processes.get(d.owner)?.tunUdpProxy?.() : undefined;
  return s?.tun === d.name ? s : undefined;
}

function head(out: ScriptWriter, o: NetnsScriptOptions, namespaces: readonly string[]): void {
  out.raw('#!/usr/bin/env bash');
  out.raw('# Generated by kube-packet-lab export --netns: the lab, built in Linux network namespaces.');
  for (const a of o.about ?? []) out.raw(`# ${a}`);
  out.raw(`# Everything it makes is a network namespace named ${o.prefix}-*; it never changes the`);
  out.raw('# namespace it runs in. Run as root: bash lab.sh [up|teardown] (up tears down first).');
  out.raw('# Needs: iproute2, iptables (nf_tables), socat, ethtool, python3 (flannel udp); a kernel with veth, bridge, vxlan, tun.');
  out.raw('set -euo pipefail');
  out.raw('');
  out.raw('teardown() {');
  for (const n of namespaces) {
    out.raw(`  if [ -e /run/netns/${n} ]; then ip netns pids ${n} | xargs -r kill 2>/dev/null || true; ip netns del ${n}; fi`);
  }
  out.raw('}');
  out.raw('');
  out.raw('# waits (up to 5 s) until a server listens, so the lab is usable when the script returns');
  out.raw('wait_listening() {');
  out.raw('  for _ in $(seq 50); do');
  out.raw('    if ip netns exec "$1" ss -Hln --"$2" "sport = :$3" | grep -q .; then return 0; fi');
  out.raw('    sleep 0.1');
  out.raw('  done');
  out.raw('  echo "no $2 server on port $3 in $1" >&2; return 1');
  out.raw('}');
  out.raw('');
  out.raw('# waits (up to 5 s) until a device exists: a TUN device its user-space program makes');
  out.raw('wait_link() {');
  out.raw('  for _ in $(seq 50); do');
  out.raw('    if ip -n "$1" link show "$2" >/dev/null 2>&1; then return 0; fi');
  out.raw('    sleep 0.1');
  out.raw('  done');
  out.raw('  echo "no device $2 in $1" >&2; return 1');
  out.raw('}');
  out.raw('');
  out.raw('up() {');
  out.raw('teardown');
  out.raw(`trap 'echo "export: failed at line $LINENO: $BASH_COMMAND; tearing down" >&2; teardown' ERR`);
}

/** IFNAMSIZ: a device name is at most 15 bytes. */
function ifname(s: string): string {
  return safeName(s).slice(0, 15);
}

/** The creator set tx_queue_len 0 (CNI's veths, flannel's vxlan): see txqlen in cli/ip.ts. */
function txqueuelen(d: Device): string {
  return d.kind === 'veth' || d.kind === 'vxlan' ? ' txqueuelen 0' : '';
}

function routeKey(r: Route): string {
  return `${r.type} ${prefixToString(r.dst)} ${r.via ?? ''} ${r.dev} ${r.proto} ${r.scope} ${r.src ?? ''} ${r.metric ?? 0}`;
}

/** The prefix routes fib_add_ifaddr makes for the namespace's addresses (on devices that are up). */
function kernelRoutes(ns: NetNs): Map<string, Route> {
  const m = new Map<string, Route>();
  for (const d of ns.devices.values()) {
    if (d.kind === 'loopback' || !d.up || d.neverUp) continue;
    for (const a of d.addrs) {
      if (a.prefixLen >= 32) continue;
      const mask = a.prefixLen === 0 ? 0 : (0xffffffff << (32 - a.prefixLen)) >>> 0;
      const net = (ipToU32(a.addr) & mask) >>> 0;
      const r: Route = { dst: { net, len: a.prefixLen, mask }, dev: d.name, proto: 'kernel', scope: 'link', src: a.addr, metric: a.metric, type: 'unicast' };
      m.set(routeKey(r), r);
    }
  }
  return m;
}

function ipToU32(ip: string): number {
  return ip.split('.').reduce((n, x) => n * 256 + Number(x), 0);
}

/** A route as `ip route add` takes it. */
function routeSpec(r: Route): string {
  const p: string[] = [];
  if (r.type !== 'unicast') p.push(r.type);
  p.push(r.dst.len === 0 ? 'default' : `${intToIp(r.dst.net)}/${r.dst.len}`);
  if (r.via) p.push(`via ${r.via}`);
  if (r.type === 'unicast') p.push(`dev ${r.dev}`);
  p.push(`proto ${r.proto}`, `scope ${r.scope}`);
  if (r.src) p.push(`src ${r.src}`);
  if (r.metric) p.push(`metric ${r.metric}`);
  if (r.onlink) p.push('onlink');
  return p.join(' ');
}

/** Whether any command made a netfilter table in this namespace (iptables-save prints only those). */
function hasRules(ns: NetNs): boolean {
  return TABLE_NAMES.some((t) => isTableCreated(ns.nf[t]));
}

class ScriptWriter {
  private readonly lines: string[] = [];

  section(title: string): void {
    this.lines.push('', `# ${title}`);
  }

  /** A command of the `up` function. */
  line(s: string): void {
    this.lines.push(s);
  }

  /** Text as it is (heredoc bodies, the script's frame). */
  raw(s: string): void {
    this.lines.push(s);
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}
