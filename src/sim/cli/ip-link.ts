import { ipToInt, prefixMask, type Mac } from '../net/addr.ts';
import { newStats, type BridgeDevice, type Device, type IfAddr } from '../linux/devices.ts';
import type { NetNs } from '../linux/netns.ts';

/**
 * `ip link` and `ip addr` (iproute2 ip/ipaddress.c print_linkinfo/print_addrinfo, with each
 * kind's `-d` printer: ip/link_veth.c, iplink_bridge.c, iplink_vxlan.c, link_iptnl.c,
 * iptuntap.c), and busybox's `ip addr|link` for pod shells. Pure renderers over a namespace.
 */

// ---------------------------------------------------------------- device state as the kernel reports it

/** netif_carrier_ok: a veth has carrier only while its peer is up; a bridge while one port forwards. */
export function hasCarrier(dev: Device): boolean {
  if (!dev.up) return false;
  if (dev.kind === 'veth') return dev.peer?.up === true;
  if (dev.kind === 'bridge') {
    return dev.ports.some((p) => {
      const port = dev.netns.dev(p);
      return port !== undefined && port.kind !== 'bridge' && hasCarrier(port);
    });
  }
  // tun_attach: netif_carrier_on once a process holds the fd; a persistent TUN alone has none
  if (dev.kind === 'tun') return dev.owner !== undefined && dev.netns.processes.has(dev.owner);
  return true;
}

/** Whether `ip link` shows the device up (kube-ipvs0 never was, though its addresses are local). */
function shownUp(dev: Device): boolean {
  return dev.up && !dev.neverUp;
}

/** IF_OPER_*: UNKNOWN for devices without carrier management (lo, vxlan, dummy, tunnels). */
function operState(dev: Device): string {
  if (!shownUp(dev)) return 'DOWN';
  switch (dev.kind) {
    case 'loopback':
    case 'vxlan':
    case 'dummy':
    case 'ipip':
      return 'UNKNOWN';
    case 'tun':
      return hasCarrier(dev) ? 'UNKNOWN' : 'DOWN';
    case 'veth':
      return hasCarrier(dev) ? 'UP' : 'LOWERLAYERDOWN';
    case 'bridge':
      return hasCarrier(dev) ? 'UP' : 'DOWN';
    case 'nic':
      return 'UP';
  }
}

/** print_link_flags: NO-CARRIER when up but not running; IFF_* names in the kernel's bit order. */
export function linkFlags(dev: Device, mdown: boolean): string {
  const f: string[] = [];
  const running = shownUp(dev) && (operState(dev) === 'UP' || operState(dev) === 'UNKNOWN');
  if (shownUp(dev) && !running) f.push('NO-CARRIER');
  // ipip_tunnel_setup: IFF_NOARP, plus POINTOPOINT with a remote; tun_net_init (IFF_TUN): POINTOPOINT|MULTICAST|NOARP
  if (dev.kind === 'tun' || (dev.kind === 'ipip' && dev.remote)) f.push('POINTOPOINT');
  else if (dev.kind !== 'ipip') f.push(dev.kind === 'loopback' ? 'LOOPBACK' : 'BROADCAST');
  if (dev.kind !== 'loopback' && dev.kind !== 'dummy' && dev.kind !== 'ipip') f.push('MULTICAST');
  if (dev.kind === 'dummy' || dev.kind === 'ipip' || dev.kind === 'tun') f.push('NOARP');
  if (shownUp(dev)) f.push('UP');
  if (shownUp(dev) && hasCarrier(dev)) f.push('LOWER_UP');
  return `<${f.join(',')}${mdown ? ',M-DOWN' : ''}>`;
}

/**
 * The root qdisc: systemd's default fq_codel (net.core.default_qdisc) on devices with a queue —
 * the NIC and TUN — noqueue on virtual devices (IFF_NO_QUEUE); noop on one never brought up.
 */
function qdisc(dev: Device): string {
  if (dev.kind === 'ipip' && !dev.up) return 'noop';
  return dev.kind === 'nic' || dev.kind === 'tun' ? 'fq_codel' : 'noqueue';
}

/**
 * tx_queue_len: 1000 from ether_setup/loopback; 0 where the creator set it (vishvananda/netlink
 * sends TxQLen 0 for CNI's veth pair and flannel's vxlan; the bridge plugin asks for -1, the
 * kernel default). A zero qlen is not printed.
 */
function txqlen(dev: Device): number {
  if (dev.kind === 'tun') return 500; // TUN_READQ_SIZE
  return dev.kind === 'loopback' || dev.kind === 'nic' || dev.kind === 'bridge' || dev.kind === 'ipip' ? 1000 : 0;
}

/**
 * The `ip -d` MTU limits: ETH_MIN_MTU..ETH_MAX_MTU for Ethernet-like devices and TUN, 0 0 for lo,
 * dummy and IP tunnels (they check in ndo_change_mtu instead: ip_tunnel_change_mtu).
 */
export function mtuLimits(dev: Device): { min: number; max: number } {
  return dev.kind === 'loopback' || dev.kind === 'dummy' || dev.kind === 'ipip' ? { min: 0, max: 0 } : { min: 68, max: 65535 };
}

/** Deterministic stand-in for the uuid containerd gives a pod's netns (/var/run/netns/cni-…). */
function cniNetnsName(ns: NetNs): string {
  const h = (seed: number) => {
    let x = seed >>> 0;
    for (let i = 0; i < ns.id.length; i++) x = Math.imul(x ^ ns.id.charCodeAt(i), 0x01000193) >>> 0;
    return x.toString(16).padStart(8, '0');
  };
  const hex = h(0x811c9dc5) + h(0x050c5d1f) + h(0x1b873593) + h(0xcc9e2d51);
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `cni-${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * peernet2id: the ids this namespace gives the other namespaces its veths lead to, in the
 * order the pairs were created.
 */
function peerNsIds(ns: NetNs): Map<NetNs, number> {
  const ids = new Map<NetNs, number>();
  for (const d of byIfindex(ns)) {
    if (d.kind === 'veth' && d.peer && d.peer.netns !== ns && !ids.has(d.peer.netns)) ids.set(d.peer.netns, ids.size);
  }
  return ids;
}

export function byIfindex(ns: NetNs): Device[] {
  return [...ns.devices.values()].sort((a, b) => a.ifindex - b.ifindex);
}

/** `vethX@if7` for a peer elsewhere, `a@b` in the same namespace (with M-DOWN if b is down), `@NONE` unpaired or an IP tunnel without a lower device (IFLA_LINK 0). */
export function linkName(dev: Device): { name: string; mdown: boolean } {
  if (dev.kind === 'ipip') return { name: `${dev.name}@NONE`, mdown: false };
  if (dev.kind !== 'veth') return { name: dev.name, mdown: false };
  const peer = dev.peer;
  if (!peer) return { name: `${dev.name}@NONE`, mdown: false };
  if (peer.netns !== dev.netns) return { name: `${dev.name}@if${peer.ifindex}`, mdown: false };
  return { name: `${dev.name}@${peer.name}`, mdown: !peer.up };
}

/** ` link-netns NAME` when the peer's netns is named (CNI pods), else ` link-netnsid N`. */
function linkNetns(dev: Device, ids: Map<NetNs, number>): string {
  if (dev.kind !== 'veth' || !dev.peer || dev.peer.netns === dev.netns) return '';
  const peerNs = dev.peer.netns;
  if (dev.netns.kind === 'root' && peerNs.kind === 'pod') return ` link-netns ${cniNetnsName(peerNs)}`;
  return ` link-netnsid ${ids.get(peerNs) ?? 0}`;
}

/** ether_ntoa: bytes in hex without leading zeros, as `ip -d` prints bridge ids. */
function etherNtoa(m: Mac): string {
  return m
    .split(':')
    .map((b) => parseInt(b, 16).toString(16))
    .join(':');
}

export function bridgeIdHex(br: BridgeDevice): string {
  return `8000.${br.mac.replace(/:/g, '')}`;
}

// ---------------------------------------------------------------- ip link / ip addr

export interface LinkShowOpts {
  readonly dev?: string;
  readonly details?: boolean;
  /** `ip link` prints `mode DEFAULT`; `ip addr` does not */
  readonly link?: boolean;
  readonly addresses?: boolean;
  /** `-4`: only devices with IPv4 addresses, and no link/ether line */
  readonly inetOnly?: boolean;
  readonly up?: boolean;
  readonly master?: string;
  readonly type?: string;
  /** `-s`: the RX/TX counters after each device */
  readonly stats?: boolean;
}

function linkHeader(dev: Device, o: LinkShowOpts): string {
  const { name, mdown } = linkName(dev);
  const master = dev.master ? `master ${dev.master.name} ` : '';
  const mode = o.link ? 'mode DEFAULT ' : '';
  const q = txqlen(dev);
  return `${dev.ifindex}: ${name}: ${linkFlags(dev, mdown)} mtu ${dev.mtu} qdisc ${qdisc(dev)} ${master}state ${operState(dev)} ${mode}group default ${q ? `qlen ${q}` : ''}`;
}

/** The link-layer line: what ll_type_n2a names the device type and its address as (`link/none` has no address). */
function linkLine(dev: Device, ids: Map<NetNs, number>): string {
  if (dev.kind === 'loopback') return `    link/loopback ${dev.mac} brd 00:00:00:00:00:00`;
  if (dev.kind === 'tun') return '    link/none ';
  // ARPHRD_TUNNEL: the 4-byte address is the tunnel's local, the broadcast its remote
  if (dev.kind === 'ipip') return `    link/ipip ${dev.local ?? '0.0.0.0'} brd ${dev.remote ?? '0.0.0.0'}`;
  return `    link/ether ${dev.mac} brd ff:ff:ff:ff:ff:ff${linkNetns(dev, ids)}`;
}

/**
 * TSO limit: GSO_MAX_SIZE (512 KiB − 8 since BIG TCP, kernel 6.3) for the virtual devices that
 * raise it (lo, veth, bridge, vxlan: checked on a real kernel); GSO_LEGACY_MAX_SIZE for the rest
 * (a virtio NIC's driver does not raise it).
 */
function tsoMaxSize(dev: Device): number {
  return dev.kind === 'loopback' || dev.kind === 'veth' || dev.kind === 'bridge' || dev.kind === 'vxlan' ? 524280 : 65536;
}

/**
 * The `ip -d` tail: promiscuity, allmulti (iproute2 ≥ 6.0 prints it after two blanks) and MTU
 * limits, the kind's own line(s), then queue/GSO facts. br_add_if makes a port promiscuous and
 * all-multicast.
 */
function detailsTail(dev: Device): string {
  const { min, max } = mtuLimits(dev);
  const port = dev.master ? 1 : 0;
  let s = ` promiscuity ${port}  allmulti ${port} minmtu ${min} maxmtu ${max} `;
  switch (dev.kind) {
    case 'veth':
      s += '\n    veth ';
      break;
    case 'dummy':
      s += '\n    dummy ';
      break;
    case 'ipip':
      // link_iptnl.c iptunnel_print_opt: proto (0 prints "any"), endpoints, ttl 0 "inherit", pmtudisc
      s += `\n    ipip ${dev.fallback ? 'any' : 'ipip'} remote ${dev.remote ?? 'any'} local ${dev.local ?? 'any'} ttl ${dev.ttl || 'inherit'} ${dev.pmtudisc ? 'pmtudisc' : 'nopmtudisc'} `;
      break;
    case 'tun':
      // iptuntap.c print_tuntap: IFF_TUN, IFF_NO_PI, no vnet header, TUNSETPERSIST
      s += `\n    tun type tun pi off vnet_hdr off persist ${dev.persist ? 'on' : 'off'} `;
      break;
    case 'vxlan':
      // vxlan_print_opt; ttl 0 prints "auto", ageing is VXLAN_AGEING_DEFAULT
      s += `\n    vxlan id ${dev.vni} local ${dev.local} dev ${dev.lowerDev} srcport 0 0 dstport ${dev.dstport} ${dev.learning ? '' : 'nolearning '}ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx `;
      break;
    case 'bridge': {
      const id = `8000.${etherNtoa(dev.mac)}`;
      s +=
        `\n    bridge forward_delay 1500 hello_time 200 max_age 2000 ageing_time 30000 stp_state 0 priority 32768 vlan_filtering 0 vlan_protocol 802.1Q ` +
        `bridge_id ${id} designated_root ${id} root_port 0 root_path_cost 0 topology_change 0 topology_change_detected 0 ` +
        'hello_timer    0.00 tcn_timer    0.00 topology_change_timer    0.00 gc_timer    0.00 vlan_default_pvid 1 vlan_stats_enabled 0 vlan_stats_per_port 0 ' +
        'group_fwd_mask 0 group_address 01:80:c2:00:00:00 mcast_snooping 1 no_linklocal_learn 0 mcast_vlan_snooping 0 mcast_router 1 mcast_query_use_ifaddr 0 ' +
        'mcast_querier 0 mcast_hash_elasticity 16 mcast_hash_max 4096 mcast_last_member_count 2 mcast_startup_query_count 2 mcast_last_member_interval 100 ' +
        'mcast_membership_interval 26000 mcast_querier_interval 25500 mcast_query_interval 12500 mcast_query_response_interval 1000 mcast_startup_query_interval 3124 ' +
        'mcast_stats_enabled 0 mcast_igmp_version 2 mcast_mld_version 1 nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0 ';
      break;
    }
    default:
      break;
  }
  if (dev.master) {
    const br = dev.master;
    const no = br.ports.indexOf(dev.name) + 1;
    const id = `8000.${etherNtoa(br.mac)}`;
    const state = hasCarrier(dev) && br.up ? 'forwarding' : 'disabled';
    s +=
      `\n    bridge_slave state ${state} priority 32 cost 2 hairpin ${dev.hairpin ? 'on' : 'off'} guard off root_block off fastleave off learning on flood on ` +
      `port_id 0x${(0x8000 + no).toString(16)} port_no 0x${no.toString(16)} designated_port ${0x8000 + no} designated_cost 0 designated_bridge ${id} designated_root ${id} ` +
      'hold_timer    0.00 message_age_timer    0.00 forward_delay_timer    0.00 topology_change_ack 0 config_pending 0 proxy_arp off proxy_arp_wifi off mcast_router 1 ' +
      'mcast_fast_leave off mcast_flood on bcast_flood on mcast_to_unicast off neigh_suppress off group_fwd_mask 0 group_fwd_mask_str 0x0 vlan_tunnel off isolated off locked off ';
  }
  // addrconf_addr_gen: a device with no hardware address (ARPHRD_NONE, TUN) falls back to random
  s += `addrgenmode ${dev.kind === 'nic' ? 'none' : dev.kind === 'tun' ? 'random' : 'eui64'} numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 tso_max_size ${tsoMaxSize(dev)} tso_max_segs 65535 gro_max_size 65536 `;
  if (dev.kind === 'nic') s += 'parentbus virtio parentdev virtio0 ';
  return s;
}

/** IFA_F_SECONDARY: an earlier address on the device already covers the same subnet. */
export function isSecondary(dev: Device, a: IfAddr): boolean {
  const mask = prefixMask(a.prefixLen);
  for (const b of dev.addrs) {
    if (b === a) return false;
    if (b.prefixLen === a.prefixLen && ((ipToInt(b.addr) ^ ipToInt(a.addr)) & mask) === 0) return true;
  }
  return false;
}

/** print_addrinfo: `inet A/len [metric N] [brd B] scope S [secondary] [dynamic] LABEL` and the lifetimes. */
function addrLines(dev: Device, a: IfAddr): string {
  const metric = a.metric ? `metric ${a.metric} ` : '';
  // the loopback address carries no IFA_BROADCAST (inet_set_ifa on lo), whatever the model derived
  const brd = a.brd && dev.kind !== 'loopback' ? `brd ${a.brd} ` : '';
  const flags = `${isSecondary(dev, a) ? 'secondary ' : ''}${a.dynamic ? 'dynamic ' : ''}`;
  // a DHCP lease shows its remaining lifetime; a static address lives forever
  const lft = a.dynamic ? 'valid_lft 86157sec preferred_lft 86157sec' : 'valid_lft forever preferred_lft forever';
  return `    inet ${a.addr}/${a.prefixLen} ${metric}${brd}scope ${a.scope} ${flags}${dev.name}\n       ${lft}`;
}

export function selectLinks(ns: NetNs, o: LinkShowOpts): Device[] {
  return byIfindex(ns).filter((d) => {
    if (o.dev !== undefined && d.name !== o.dev) return false;
    if (o.up && !d.up) return false;
    if (o.master !== undefined && d.master?.name !== o.master) return false;
    if (o.type !== undefined && kindName(d) !== o.type) return false;
    if (o.inetOnly && d.addrs.length === 0) return false;
    return true;
  });
}

function kindName(d: Device): string {
  return d.kind === 'nic' ? '' : d.kind;
}

/** `ip addr` / `ip link` in the long format. */
export function ipLinkShow(ns: NetNs, o: LinkShowOpts = {}): string {
  const ids = peerNsIds(ns);
  let s = '';
  for (const d of selectLinks(ns, o)) {
    s += `${linkHeader(d, o)}\n`;
    if (!o.inetOnly || o.details) s += linkLine(d, ids) + (o.details ? detailsTail(d) : '') + '\n';
    if (o.addresses) for (const a of d.addrs) s += `${addrLines(d, a)}\n`;
    if (o.stats) s += statsLines(d);
  }
  return s;
}

/**
 * print_stats64 (iproute2 6.1): the RX and TX blocks, each column as wide as its widest header
 * or number across both blocks (size_columns); the model counts no errors, misses or collisions,
 * and no multicast frames (it sends none).
 */
function statsLines(d: Device): string {
  const s = d.stats ?? newStats();
  const rx = [s.rxBytes, s.rxPackets, 0, s.rxDropped, 0, 0];
  const tx = [s.txBytes, s.txPackets, 0, s.txDropped, 0, 0];
  // the headers' widths: "*X errors", "packets", "errors", "dropped", "heartbt", "overrun", "compressed"
  const cols = [10, 7, 6, 7, 7, 7, 10];
  [...rx, ...tx].forEach((v, i) => {
    const c = i % 6;
    cols[c] = Math.max(cols[c]!, String(v).length);
  });
  const head = (label: string, words: readonly string[]) => `    ${label}: ${'bytes'.padStart(cols[0]! - 4)} ${words.map((w, k) => w.padStart(cols[k + 1]!)).join(' ')} ${''.padStart(cols[6]!)}\n`;
  const nums = (vals: readonly number[]) => `    ${vals.map((v, k) => `${String(v).padStart(cols[k]!)} `).join('')}\n`;
  return head('RX', ['packets', 'errors', 'dropped', 'missed', 'mcast']) + nums(rx) + head('TX', ['packets', 'errors', 'dropped', 'carrier', 'collsns']) + nums(tx);
}

/** `ip addr` (`ip a`, `ip address show [dev X]`). */
export function ipAddrShow(ns: NetNs, o: Omit<LinkShowOpts, 'link' | 'addresses'> = {}): string {
  return ipLinkShow(ns, { ...o, addresses: true });
}

/** `ip -br link` / `ip -br addr`: name@link, state and MAC or addresses in fixed columns. */
export function briefShow(ns: NetNs, o: LinkShowOpts): string {
  let s = '';
  for (const d of selectLinks(ns, o)) {
    const { name, mdown } = linkName(d);
    const head = `${name.padEnd(16)} ${operState(d).padEnd(14)} `;
    if (o.addresses) s += `${head}${d.addrs.map((a) => `${a.addr}/${a.prefixLen} `).join('')}\n`;
    // print_linkinfo_brief: the link-layer address as ll_addr_n2a prints it (an IPv4 one for a tunnel), none for TUN
    else s += `${head}${d.kind === 'tun' ? '' : `${d.kind === 'ipip' ? (d.local ?? '0.0.0.0') : d.mac} `}${linkFlags(d, mdown)} \n`;
  }
  return s;
}

/**
 * busybox `ip addr` / `ip link` (networking/libiproute/ipaddress.c), what a pod shell from
 * `kubectl debug --image=busybox` prints: no `group`, no `link-netns`, the peer named as
 * ll_index_to_name sees it from here (`@if7`) and M-DOWN when this namespace has no such
 * device up, and no address `metric`.
 */
export function busyboxLinkShow(ns: NetNs, o: LinkShowOpts): string {
  let s = '';
  for (const d of selectLinks(ns, o)) {
    let at = '';
    let mdown = false;
    if (d.kind === 'ipip') at = '@NONE';
    if (d.kind === 'veth') {
      if (!d.peer) at = '@NONE';
      else {
        const local = [...ns.devices.values()].find((x) => x.ifindex === d.peer!.ifindex);
        at = `@${local ? local.name : `if${d.peer.ifindex}`}`;
        mdown = !local?.up;
      }
    }
    const q = txqlen(d);
    s += `${d.ifindex}: ${d.name}${at}: ${linkFlags(d, mdown)} mtu ${d.mtu} qdisc ${qdisc(d)} ${d.master ? `master ${d.master.name} ` : ''}state ${operState(d)} ${q ? `qlen ${q}` : ''}\n`;
    if (!o.inetOnly) s += `${busyboxLinkLine(d)}\n`;
    if (o.addresses) {
      for (const a of d.addrs) {
        const brd = a.brd && d.kind !== 'loopback' ? `brd ${a.brd} ` : '';
        const flags = `${isSecondary(d, a) ? 'secondary ' : ''}${a.dynamic ? 'dynamic ' : ''}`;
        s += `    inet ${a.addr}/${a.prefixLen} ${brd}scope ${a.scope} ${flags}${d.name}\n       valid_lft ${a.dynamic ? '86157sec' : 'forever'} preferred_lft ${a.dynamic ? '86157sec' : 'forever'}\n`;
      }
    }
  }
  return s;
}


/** busybox's link line: ll_type_n2a's name for the device type, then the address and broadcast. */
function busyboxLinkLine(d: Device): string {
  if (d.kind === 'tun') return '    link/none ';
  if (d.kind === 'ipip') return `    link/ipip ${d.local ?? '0.0.0.0'} brd ${d.remote ?? '0.0.0.0'}`;
  return `    link/${d.kind === 'loopback' ? 'loopback' : 'ether'} ${d.mac} brd ${d.kind === 'loopback' ? '00:00:00:00:00:00' : 'ff:ff:ff:ff:ff:ff'}`;
}
