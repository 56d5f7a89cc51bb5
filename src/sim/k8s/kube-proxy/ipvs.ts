import { cidrContains, ipToInt, type Ipv4 } from '../../net/addr.ts';
import type { DummyDevice } from '../../linux/devices.ts';
import { IpvsTable, isIpvsScheduler, IPVS_SCHEDULERS, type IpvsDest, type IpvsProto, type IpvsSchedFlag, type IpvsService } from '../../linux/ipvs.ts';
import type { IpSet, NetNs } from '../../linux/netns.ts';
import { applyIptables, iptablesRestore } from '../../linux/netfilter/syntax.ts';
import type { IptablesResult } from '../../linux/netfilter/syntax.ts';
import { commitTables, stageTables } from '../../linux/netfilter/tables.ts';
import type { TableName, Tables } from '../../linux/netfilter/types.ts';
import type { World } from '../../linux/world.ts';
import type { ProxierConfig, ServiceEndpoint, ServicePortInfo } from './types.ts';

/**
 * kube-proxy in ipvs mode (pkg/proxy/ipvs/proxier.go syncProxyRules): the kube-ipvs0 dummy
 * device holding every ClusterIP, one IPVS virtual server per ClusterIP:port, externalIP:port,
 * load-balancer IP:port and node IP:nodePort with the endpoints as Masq real servers, the
 * ipsets that name those addresses, and a fixed set of iptables rules that match the sets —
 * so the rule count does not grow with the number of services (seed §5).
 */

// proxier.go: chains and constants
const KUBE_SERVICES = 'KUBE-SERVICES';
const KUBE_PROXY_FIREWALL = 'KUBE-PROXY-FIREWALL';
const KUBE_SOURCE_RANGES_FIREWALL = 'KUBE-SOURCE-RANGES-FIREWALL';
const KUBE_POSTROUTING = 'KUBE-POSTROUTING';
const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ';
const KUBE_NODE_PORT = 'KUBE-NODE-PORT';
const KUBE_FORWARD = 'KUBE-FORWARD';
const KUBE_LOAD_BALANCER = 'KUBE-LOAD-BALANCER';
const KUBE_IPVS_FILTER = 'KUBE-IPVS-FILTER';
const KUBE_IPVS_OUT_FILTER = 'KUBE-IPVS-OUT-FILTER';

/** defaultDummyDevice */
export const KUBE_IPVS0 = 'kube-ipvs0';
/** defaultScheduler */
export const DEFAULT_SCHEDULER = 'rr';

// ipset.go: set names and comments
export const KUBE_LOOP_BACK = 'KUBE-LOOP-BACK';
export const KUBE_CLUSTER_IP = 'KUBE-CLUSTER-IP';
export const KUBE_EXTERNAL_IP = 'KUBE-EXTERNAL-IP';
export const KUBE_EXTERNAL_IP_LOCAL = 'KUBE-EXTERNAL-IP-LOCAL';
export const KUBE_LOAD_BALANCER_SET = 'KUBE-LOAD-BALANCER';
export const KUBE_LOAD_BALANCER_FW = 'KUBE-LOAD-BALANCER-FW';
export const KUBE_LOAD_BALANCER_LOCAL = 'KUBE-LOAD-BALANCER-LOCAL';
export const KUBE_LOAD_BALANCER_SOURCE_IP = 'KUBE-LOAD-BALANCER-SOURCE-IP';
export const KUBE_LOAD_BALANCER_SOURCE_CIDR = 'KUBE-LOAD-BALANCER-SOURCE-CIDR';
export const KUBE_NODE_PORT_TCP = 'KUBE-NODE-PORT-TCP';
export const KUBE_NODE_PORT_LOCAL_TCP = 'KUBE-NODE-PORT-LOCAL-TCP';
export const KUBE_NODE_PORT_UDP = 'KUBE-NODE-PORT-UDP';
export const KUBE_NODE_PORT_LOCAL_UDP = 'KUBE-NODE-PORT-LOCAL-UDP';
export const KUBE_NODE_PORT_SCTP = 'KUBE-NODE-PORT-SCTP-HASH';
export const KUBE_NODE_PORT_LOCAL_SCTP = 'KUBE-NODE-PORT-LOCAL-SCTP-HASH';
export const KUBE_HEALTH_CHECK_NODE_PORT = 'KUBE-HEALTH-CHECK-NODE-PORT';
export const KUBE_IPVS_IPS = 'KUBE-IPVS-IPS';

export interface IpsetInfo {
  readonly name: string;
  readonly type: 'hash:ip' | 'hash:ip,port' | 'hash:ip,port,ip' | 'hash:ip,port,net' | 'bitmap:port';
  readonly comment: string;
}

/** proxier.go ipsetInfo, in its order (the order the sets are created, so `ipset list` order). */
export const IPSET_INFO: readonly IpsetInfo[] = [
  { name: KUBE_LOOP_BACK, type: 'hash:ip,port,ip', comment: 'Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose' },
  { name: KUBE_CLUSTER_IP, type: 'hash:ip,port', comment: 'Kubernetes service cluster ip + port for masquerade purpose' },
  { name: KUBE_EXTERNAL_IP, type: 'hash:ip,port', comment: 'Kubernetes service external ip + port for masquerade and filter purpose' },
  { name: KUBE_EXTERNAL_IP_LOCAL, type: 'hash:ip,port', comment: 'Kubernetes service external ip + port with externalTrafficPolicy=local' },
  { name: KUBE_LOAD_BALANCER_SET, type: 'hash:ip,port', comment: 'Kubernetes service lb portal' },
  { name: KUBE_LOAD_BALANCER_FW, type: 'hash:ip,port', comment: 'Kubernetes service load balancer ip + port for load balancer with sourceRange' },
  { name: KUBE_LOAD_BALANCER_LOCAL, type: 'hash:ip,port', comment: 'Kubernetes service load balancer ip + port with externalTrafficPolicy=local' },
  { name: KUBE_LOAD_BALANCER_SOURCE_IP, type: 'hash:ip,port,ip', comment: 'Kubernetes service load balancer ip + port + source IP for packet filter purpose' },
  { name: KUBE_LOAD_BALANCER_SOURCE_CIDR, type: 'hash:ip,port,net', comment: 'Kubernetes service load balancer ip + port + source cidr for packet filter purpose' },
  { name: KUBE_NODE_PORT_TCP, type: 'bitmap:port', comment: 'Kubernetes nodeport TCP port for masquerade purpose' },
  { name: KUBE_NODE_PORT_LOCAL_TCP, type: 'bitmap:port', comment: 'Kubernetes nodeport TCP port with externalTrafficPolicy=local' },
  { name: KUBE_NODE_PORT_UDP, type: 'bitmap:port', comment: 'Kubernetes nodeport UDP port for masquerade purpose' },
  { name: KUBE_NODE_PORT_LOCAL_UDP, type: 'bitmap:port', comment: 'Kubernetes nodeport UDP port with externalTrafficPolicy=local' },
  { name: KUBE_NODE_PORT_SCTP, type: 'hash:ip,port', comment: "Kubernetes nodeport SCTP port for masquerade purpose with type 'hash ip:port'" },
  { name: KUBE_NODE_PORT_LOCAL_SCTP, type: 'hash:ip,port', comment: "Kubernetes nodeport SCTP port with externalTrafficPolicy=local with type 'hash ip:port'" },
  { name: KUBE_HEALTH_CHECK_NODE_PORT, type: 'bitmap:port', comment: 'Kubernetes health check node port' },
  { name: KUBE_IPVS_IPS, type: 'hash:ip', comment: 'Addresses on the ipvs interface' },
];

const COMMENT = new Map(IPSET_INFO.map((s) => [s.name, s.comment]));

interface SetJump {
  readonly name: string;
  readonly table: TableName;
  readonly from: string;
  readonly to: string;
  readonly matchType: string;
  readonly protocolMatch: string;
}

/**
 * proxier.go ipsetWithIptablesChain: `-A <from> [-p proto] -m comment --comment <set comment>
 * -m set --match-set <set> <matchType> -j <to>`, written only for non-empty sets.
 */
const IPSET_WITH_IPTABLES_CHAIN: readonly SetJump[] = [
  { name: KUBE_LOOP_BACK, table: 'nat', from: KUBE_POSTROUTING, to: 'MASQUERADE', matchType: 'dst,dst,src', protocolMatch: '' },
  { name: KUBE_LOAD_BALANCER_SET, table: 'nat', from: KUBE_SERVICES, to: KUBE_LOAD_BALANCER, matchType: 'dst,dst', protocolMatch: '' },
  { name: KUBE_LOAD_BALANCER_LOCAL, table: 'nat', from: KUBE_LOAD_BALANCER, to: 'RETURN', matchType: 'dst,dst', protocolMatch: '' },
  { name: KUBE_NODE_PORT_LOCAL_TCP, table: 'nat', from: KUBE_NODE_PORT, to: 'RETURN', matchType: 'dst', protocolMatch: 'tcp' },
  { name: KUBE_NODE_PORT_TCP, table: 'nat', from: KUBE_NODE_PORT, to: KUBE_MARK_MASQ, matchType: 'dst', protocolMatch: 'tcp' },
  { name: KUBE_NODE_PORT_LOCAL_UDP, table: 'nat', from: KUBE_NODE_PORT, to: 'RETURN', matchType: 'dst', protocolMatch: 'udp' },
  { name: KUBE_NODE_PORT_UDP, table: 'nat', from: KUBE_NODE_PORT, to: KUBE_MARK_MASQ, matchType: 'dst', protocolMatch: 'udp' },
  { name: KUBE_NODE_PORT_LOCAL_SCTP, table: 'nat', from: KUBE_NODE_PORT, to: 'RETURN', matchType: 'dst,dst', protocolMatch: 'sctp' },
  { name: KUBE_NODE_PORT_SCTP, table: 'nat', from: KUBE_NODE_PORT, to: KUBE_MARK_MASQ, matchType: 'dst,dst', protocolMatch: 'sctp' },
  { name: KUBE_LOAD_BALANCER_FW, table: 'filter', from: KUBE_PROXY_FIREWALL, to: KUBE_SOURCE_RANGES_FIREWALL, matchType: 'dst,dst', protocolMatch: '' },
  { name: KUBE_LOAD_BALANCER_SOURCE_CIDR, table: 'filter', from: KUBE_SOURCE_RANGES_FIREWALL, to: 'RETURN', matchType: 'dst,dst,src', protocolMatch: '' },
  { name: KUBE_LOAD_BALANCER_SOURCE_IP, table: 'filter', from: KUBE_SOURCE_RANGES_FIREWALL, to: 'RETURN', matchType: 'dst,dst,src', protocolMatch: '' },
];

/** proxier.go iptablesJumpChain, in order; each is EnsureRule(Prepend), so the last one listed for a chain ends up first. */
const JUMP_CHAINS: readonly { table: TableName; from: string; to: string; comment: string }[] = [
  { table: 'nat', from: 'OUTPUT', to: KUBE_SERVICES, comment: 'kubernetes service portals' },
  { table: 'nat', from: 'PREROUTING', to: KUBE_SERVICES, comment: 'kubernetes service portals' },
  { table: 'nat', from: 'POSTROUTING', to: KUBE_POSTROUTING, comment: 'kubernetes postrouting rules' },
  { table: 'filter', from: 'FORWARD', to: KUBE_FORWARD, comment: 'kubernetes forwarding rules' },
  { table: 'filter', from: 'INPUT', to: KUBE_NODE_PORT, comment: 'kubernetes health check rules' },
  { table: 'filter', from: 'INPUT', to: KUBE_PROXY_FIREWALL, comment: 'kube-proxy firewall rules' },
  { table: 'filter', from: 'FORWARD', to: KUBE_PROXY_FIREWALL, comment: 'kube-proxy firewall rules' },
  { table: 'filter', from: 'INPUT', to: KUBE_IPVS_FILTER, comment: 'kubernetes ipvs access filter' },
  { table: 'filter', from: 'OUTPUT', to: KUBE_IPVS_OUT_FILTER, comment: 'kubernetes ipvs access filter' },
];

/** proxier.go iptablesChains: created with EnsureChain and declared in the restore payload. */
const NAT_CHAINS = [KUBE_SERVICES, KUBE_POSTROUTING, KUBE_NODE_PORT, KUBE_LOAD_BALANCER, KUBE_MARK_MASQ];
const FILTER_CHAINS = [KUBE_FORWARD, KUBE_NODE_PORT, KUBE_PROXY_FIREWALL, KUBE_SOURCE_RANGES_FIREWALL, KUBE_IPVS_FILTER, KUBE_IPVS_OUT_FILTER];

/** kube-proxy's `--ipvs-scheduler` plus the NewProxier arguments it shares with iptables mode. */
export type IpvsProxierConfig = ProxierConfig & { readonly scheduler: string };

/** Go `fmt.Sprintf("%#08x", v)`: the `0x` comes on top of eight zero-padded digits. */
function goHex08(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}

/** Comments kube-proxy writes pre-quoted (`set.getComment()` is `"\"%s\""`). */
const q = (s: string): string => `"${s}"`;

/** proxyutil.LineBuffer.Write: words joined by spaces, one line per call. */
class LineBuffer {
  readonly lines: string[] = [];
  write(...words: readonly (string | readonly string[])[]): void {
    this.lines.push(words.flat().join(' '));
  }
}

const byString = <T>(key: (x: T) => string) => (a: T, b: T): number => {
  const ka = key(a);
  const kb = key(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

/** proxy.ServicePortName.String(): `ns/name:port`, or `ns/name` for an unnamed port. */
const servicePortName = (svc: ServicePortInfo): string => `${svc.namespace}/${svc.name}${svc.portName === '' ? '' : `:${svc.portName}`}`;

/** serviceport.go ExternallyAccessible / ExternalPolicyLocal / InternalPolicyLocal / Uses*Endpoints. */
function policies(svc: ServicePortInfo) {
  const externallyAccessible = (svc.nodePort ?? 0) !== 0 || svc.loadBalancerIPs.length > 0 || svc.externalIPs.length > 0;
  const internalPolicyLocal = svc.internalTrafficPolicy === 'Local';
  const externalPolicyLocal = svc.externalTrafficPolicy === 'Local' && externallyAccessible;
  return {
    internalPolicyLocal,
    externalPolicyLocal,
    usesCluster: !internalPolicyLocal || externallyAccessible,
    usesLocal: internalPolicyLocal || externalPolicyLocal,
  };
}

/**
 * pkg/proxy/topology.go CategorizeEndpoints (no topology hints here): the Cluster and Local
 * endpoint lists, falling back to serving-and-terminating endpoints when none are ready.
 * (The iptables controller carries the same function; syncEndpoint picks from its result.)
 */
function categorizeEndpoints(svc: ServicePortInfo, nodeName: string): { cluster: ServiceEndpoint[]; local: ServiceEndpoint[]; hasAny: boolean } {
  const { usesCluster, usesLocal } = policies(svc);
  const endpoints = svc.endpoints;
  let cluster: ServiceEndpoint[] = [];
  let local: ServiceEndpoint[] = [];
  let hasAny = false;
  if (usesCluster) {
    cluster = endpoints.filter((ep) => ep.ready);
    if (cluster.length === 0) cluster = endpoints.filter((ep) => ep.serving && ep.terminating);
    hasAny = cluster.length > 0;
  }
  if (!usesLocal) return { cluster, local, hasAny };
  let hasLocalReady = false;
  let hasLocalServingTerminating = false;
  for (const ep of endpoints) {
    if (ep.ready) {
      hasAny = true;
      if (ep.nodeName === nodeName) hasLocalReady = true;
    } else if (ep.serving && ep.terminating) {
      hasAny = true;
      if (ep.nodeName === nodeName) hasLocalServingTerminating = true;
    }
  }
  if (hasLocalReady) local = endpoints.filter((ep) => ep.nodeName === nodeName && ep.ready);
  else if (hasLocalServingTerminating) local = endpoints.filter((ep) => ep.nodeName === nodeName && ep.serving && ep.terminating);
  return { cluster, local, hasAny };
}

/** The sets' contents one sync computes (`activeEntries`), keyed by set name. */
export type ActiveEntries = ReadonlyMap<string, ReadonlySet<string>>;

/** A virtual server kube-proxy wants, with the real servers it should have. */
export interface WantedVirtualServer {
  readonly proto: IpvsProto;
  readonly addr: Ipv4;
  readonly port: number;
  readonly scheduler: string;
  readonly persistent?: number;
  readonly schedFlags: readonly IpvsSchedFlag[];
  /** bind the address to kube-ipvs0 */
  readonly bind: boolean;
  /** `ip:port` of each real server */
  readonly endpoints: readonly { ip: string; port: number }[];
}

export interface IpvsSyncPlan {
  readonly sets: ActiveEntries;
  readonly virtualServers: readonly WantedVirtualServer[];
  /** the addresses kube-ipvs0 should hold (KUBE-IPVS-IPS) */
  readonly bindAddrs: ReadonlySet<string>;
  /** the iptables-restore payload: `*nat … COMMIT` then `*filter … COMMIT` */
  readonly payload: string;
}

/**
 * The heart of syncProxyRules as a pure function of the services and the node's addresses:
 * which set entries, virtual servers and bound addresses kube-proxy wants, and the
 * writeIptablesRules payload. `nodeAddresses` is GetAllLocalAddressesExcept(kube-ipvs0)
 * (loopback excluded); with nodePortAddresses unset every one of them carries the NodePorts.
 *
 * Real kube-proxy iterates its service map (a Go map) and the sets' UnsortedList(), so the
 * order of virtual servers and bound addresses differs between runs; here services are taken
 * sorted by service port name and node addresses in numeric order, for reproducible traces.
 */
export function planIpvsSync(services: readonly ServicePortInfo[], config: IpvsProxierConfig, nodeAddresses: readonly string[]): IpvsSyncPlan {
  const active = new Map<string, Set<string>>(IPSET_INFO.map((s) => [s.name, new Set<string>()]));
  const add = (set: string, entry: string): void => void active.get(set)!.add(entry);
  const scheduler = config.scheduler === '' ? DEFAULT_SCHEDULER : config.scheduler;
  const schedFlags: IpvsSchedFlag[] = scheduler === 'mh' ? ['mh-port'] : [];
  const virtualServers: WantedVirtualServer[] = [];
  const bindAddrs = new Set<string>();
  const nodeAddressSet = new Set(nodeAddresses);
  const hasNodePort = services.some((s) => (s.nodePort ?? 0) !== 0);
  const nodeIPs = hasNodePort ? [...nodeAddresses].sort((a, b) => ipToInt(a) - ipToInt(b)) : [];

  const ordered = [...services].sort(byString((s) => `${servicePortName(s)}/${s.protocol}`));
  for (const svc of ordered) {
    const protocol = svc.protocol.toLowerCase();
    const { internalPolicyLocal, externalPolicyLocal } = policies(svc);
    const { cluster, local } = categorizeEndpoints(svc, config.nodeName);
    // syncEndpoint: node-local endpoints when asked for and present, else the cluster-wide ones
    const endpointsFor = (onlyNodeLocal: boolean): { ip: string; port: number }[] => {
      const eps = onlyNodeLocal && local.length > 0 ? local : cluster;
      const seen = new Map<string, { ip: string; port: number }>();
      for (const ep of eps) seen.set(`${ep.ip}:${ep.port}`, { ip: ep.ip, port: ep.port });
      return [...seen.values()].sort(byString((e) => `${e.ip}:${e.port}`));
    };
    const vs = (addr: string, port: number, bind: boolean, onlyNodeLocal: boolean): WantedVirtualServer => ({
      proto: svc.protocol,
      addr: addr as Ipv4,
      port,
      scheduler,
      ...(svc.sessionAffinity === 'ClientIP' ? { persistent: svc.sessionAffinityTimeout } : {}),
      schedFlags,
      bind,
      endpoints: endpointsFor(onlyNodeLocal),
    });

    // Handle traffic that loops back to the originator with SNAT.
    for (const ep of svc.endpoints) {
      if (ep.nodeName !== config.nodeName) continue;
      add(KUBE_LOOP_BACK, `${ep.ip},${protocol}:${ep.port},${ep.ip}`);
    }

    // Capture the clusterIP.
    add(KUBE_CLUSTER_IP, `${svc.clusterIP},${protocol}:${svc.port}`);
    virtualServers.push(vs(svc.clusterIP, svc.port, true, internalPolicyLocal));
    bindAddrs.add(svc.clusterIP);

    // Capture externalIPs: bound only if no other interface has the address.
    for (const externalIP of svc.externalIPs) {
      add(externalPolicyLocal ? KUBE_EXTERNAL_IP_LOCAL : KUBE_EXTERNAL_IP, `${externalIP},${protocol}:${svc.port}`);
      const shouldBind = !nodeAddressSet.has(externalIP);
      virtualServers.push(vs(externalIP, svc.port, shouldBind, externalPolicyLocal));
      if (shouldBind) bindAddrs.add(externalIP);
    }

    // Capture load-balancer ingress.
    for (const ingress of svc.loadBalancerIPs) {
      const entry = `${ingress},${protocol}:${svc.port}`;
      add(KUBE_LOAD_BALANCER_SET, entry);
      if (externalPolicyLocal) add(KUBE_LOAD_BALANCER_LOCAL, entry);
      if (svc.loadBalancerSourceRanges.length > 0) {
        add(KUBE_LOAD_BALANCER_FW, entry);
        let allowFromNode = false;
        for (const range of svc.loadBalancerSourceRanges) {
          add(KUBE_LOAD_BALANCER_SOURCE_CIDR, `${entry},${range.trim()}`);
          const nodeIP = config.nodeIPs[0];
          if (nodeIP !== undefined && cidrContains(range.trim(), nodeIP)) allowFromNode = true;
        }
        if (allowFromNode) add(KUBE_LOAD_BALANCER_SOURCE_IP, `${entry},${ingress}`);
      }
      const shouldBind = !nodeAddressSet.has(ingress);
      virtualServers.push(vs(ingress, svc.port, shouldBind, externalPolicyLocal));
      if (shouldBind) bindAddrs.add(ingress);
    }

    // NodePorts: one virtual server per node address, never bound.
    const nodePort = svc.nodePort ?? 0;
    if (nodePort !== 0 && nodeIPs.length > 0) {
      const entries = svc.protocol === 'SCTP' ? nodeIPs.map((ip) => `${ip},sctp:${nodePort}`) : [String(nodePort)];
      const set = svc.protocol === 'TCP' ? KUBE_NODE_PORT_TCP : svc.protocol === 'UDP' ? KUBE_NODE_PORT_UDP : KUBE_NODE_PORT_SCTP;
      const localSet = svc.protocol === 'TCP' ? KUBE_NODE_PORT_LOCAL_TCP : svc.protocol === 'UDP' ? KUBE_NODE_PORT_LOCAL_UDP : KUBE_NODE_PORT_LOCAL_SCTP;
      for (const e of entries) add(set, e);
      if (externalPolicyLocal) for (const e of entries) add(localSet, e);
      for (const nodeIP of nodeIPs) virtualServers.push(vs(nodeIP, nodePort, false, externalPolicyLocal));
    }

    if ((svc.healthCheckNodePort ?? 0) !== 0) add(KUBE_HEALTH_CHECK_NODE_PORT, String(svc.healthCheckNodePort));
  }

  // Set the KUBE-IPVS-IPS set to the "activeBindAddrs"
  for (const a of bindAddrs) add(KUBE_IPVS_IPS, a);

  return { sets: active, virtualServers, bindAddrs, payload: writeIptablesRules(active, config) };
}

/** proxier.go writeIptablesRules: the fixed rules, with set matches only for non-empty sets. */
function writeIptablesRules(active: ActiveEntries, config: IpvsProxierConfig): string {
  const natChains = new LineBuffer();
  const natRules = new LineBuffer();
  const filterChains = new LineBuffer();
  const filterRules = new LineBuffer();
  filterChains.write('*filter');
  natChains.write('*nat');
  for (const c of NAT_CHAINS) natChains.write(`:${c} - [0:0]`);
  for (const c of FILTER_CHAINS) filterChains.write(`:${c} - [0:0]`);
  const empty = (set: string): boolean => (active.get(set)?.size ?? 0) === 0;
  const comment = (set: string): string => q(COMMENT.get(set) ?? '');
  const masqueradeMark = goHex08(1 << config.masqueradeBit);

  // Dismiss connects to localhost early in the service chain
  natRules.write('-A', KUBE_SERVICES, '-s', '127.0.0.0/8', '-j', 'RETURN');

  for (const set of IPSET_WITH_IPTABLES_CHAIN) {
    if (empty(set.name)) continue;
    const args = ['-A', set.from, ...(set.protocolMatch !== '' ? ['-p', set.protocolMatch] : []), '-m', 'comment', '--comment', comment(set.name), '-m', 'set', '--match-set', set.name, set.matchType];
    (set.table === 'filter' ? filterRules : natRules).write(args, '-j', set.to);
  }

  if (!empty(KUBE_CLUSTER_IP)) {
    const args = ['-A', KUBE_SERVICES, '-m', 'comment', '--comment', comment(KUBE_CLUSTER_IP), '-m', 'set', '--match-set', KUBE_CLUSTER_IP];
    if (config.masqueradeAll) natRules.write(args, 'dst,dst', '-j', KUBE_MARK_MASQ);
    else if (config.clusterCIDR !== undefined) {
      // masquerade off-cluster traffic to a service VIP: it may bounce off-node
      natRules.write(args, 'dst,dst', '!', '-s', config.clusterCIDR, '-j', KUBE_MARK_MASQ);
    } else {
      // without a local-traffic detector: masquerade node traffic that picked a VIP as its source
      natRules.write(args, 'src,dst', '-j', KUBE_MARK_MASQ);
    }
  }

  // externalIPRules: traffic from off-machine (not from a bridge, not from a local process), and local-destined
  const externalIPRules = (args: readonly string[]): void => {
    natRules.write(args, '-m', 'physdev', '!', '--physdev-is-in', '-m', 'addrtype', '!', '--src-type', 'LOCAL', '-j', 'ACCEPT');
    natRules.write(args, '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'ACCEPT');
  };
  if (!empty(KUBE_EXTERNAL_IP)) {
    const args = ['-A', KUBE_SERVICES, '-m', 'comment', '--comment', comment(KUBE_EXTERNAL_IP), '-m', 'set', '--match-set', KUBE_EXTERNAL_IP, 'dst,dst'];
    natRules.write(args, '-j', KUBE_MARK_MASQ);
    externalIPRules(args);
  }
  if (!empty(KUBE_EXTERNAL_IP_LOCAL)) {
    externalIPRules(['-A', KUBE_SERVICES, '-m', 'comment', '--comment', comment(KUBE_EXTERNAL_IP_LOCAL), '-m', 'set', '--match-set', KUBE_EXTERNAL_IP_LOCAL, 'dst,dst']);
  }

  natRules.write('-A', KUBE_SERVICES, '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', KUBE_NODE_PORT);
  natRules.write('-A', KUBE_LOAD_BALANCER, '-j', KUBE_MARK_MASQ);
  filterRules.write('-A', KUBE_SOURCE_RANGES_FIREWALL, '-j', 'DROP');
  // KUBE-IPVS-OUT-FILTER's `-m ipvs --vaddr …` rules exist only for load balancers whose source
  // ranges exclude the node; this model has no LoadBalancer status, so none are written.

  // acceptIPVSTraffic: must be the end of KUBE-SERVICES
  for (const set of [KUBE_CLUSTER_IP, KUBE_LOAD_BALANCER_SET]) {
    if (!empty(set)) natRules.write('-A', KUBE_SERVICES, '-m', 'set', '--match-set', set, 'dst,dst', '-j', 'ACCEPT');
  }

  filterRules.write('-A', KUBE_FORWARD, '-m', 'comment', '--comment', q('kubernetes forwarding rules'), '-m', 'mark', '--mark', `${masqueradeMark}/${masqueradeMark}`, '-j', 'ACCEPT');
  filterRules.write('-A', KUBE_FORWARD, '-m', 'comment', '--comment', q('kubernetes forwarding conntrack rule'), '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT');
  filterRules.write('-A', KUBE_NODE_PORT, '-m', 'comment', '--comment', comment(KUBE_HEALTH_CHECK_NODE_PORT), '-m', 'set', '--match-set', KUBE_HEALTH_CHECK_NODE_PORT, 'dst', '-j', 'ACCEPT');

  // KUBE-IPVS-FILTER: no access to host ports through VIPs (kubernetes#72236)
  for (const set of [KUBE_LOAD_BALANCER_SET, KUBE_CLUSTER_IP, KUBE_EXTERNAL_IP, KUBE_EXTERNAL_IP_LOCAL]) {
    filterRules.write('-A', KUBE_IPVS_FILTER, '-m', 'set', '--match-set', set, 'dst,dst', '-j', 'RETURN');
  }
  filterRules.write('-A', KUBE_IPVS_FILTER, '-m', 'set', '--match-set', KUBE_HEALTH_CHECK_NODE_PORT, 'dst', '-j', 'RETURN');
  filterRules.write('-A', KUBE_IPVS_FILTER, '-m', 'conntrack', '--ctstate', 'NEW', '-m', 'set', '--match-set', KUBE_IPVS_IPS, 'dst', '-j', 'REJECT');

  natRules.write('-A', KUBE_POSTROUTING, '-m', 'mark', '!', '--mark', `${masqueradeMark}/${masqueradeMark}`, '-j', 'RETURN');
  // Clear the mark to avoid re-masquerading if the packet re-traverses the network stack.
  natRules.write('-A', KUBE_POSTROUTING, '-j', 'MARK', '--xor-mark', masqueradeMark);
  natRules.write('-A', KUBE_POSTROUTING, '-m', 'comment', '--comment', q('kubernetes service traffic requiring SNAT'), '-j', 'MASQUERADE', ...(config.hasRandomFully ? ['--random-fully'] : []));
  natRules.write('-A', KUBE_MARK_MASQ, '-j', 'MARK', '--or-mark', masqueradeMark);

  filterRules.write('COMMIT');
  natRules.write('COMMIT');
  // iptablesData: nat chains, nat rules, filter chains, filter rules
  return [...natChains.lines, ...natRules.lines, ...filterChains.lines, ...filterRules.lines, ''].join('\n');
}

/** utiliptables EnsureChain then EnsureRule(Prepend, …): `-N` if missing, `-C` then `-I` at the top. */
function ensureJumps(tables: Tables): IptablesResult {
  for (const [table, chains] of [['nat', NAT_CHAINS], ['filter', FILTER_CHAINS]] as const) {
    for (const chain of chains) {
      if (tables[table].has(chain)) continue;
      const r = applyIptables(tables, ['-t', table, '-N', chain]);
      if (!r.ok) return r;
    }
  }
  for (const jc of JUMP_CHAINS) {
    const args = ['-m', 'comment', '--comment', jc.comment, '-j', jc.to];
    if (applyIptables(tables, ['-t', jc.table, '-C', jc.from, ...args]).ok) continue;
    const r = applyIptables(tables, ['-t', jc.table, '-I', jc.from, ...args]);
    if (!r.ok) return r;
  }
  return { ok: true };
}

/** netlink GetAllLocalAddressesExcept(kube-ipvs0): every IPv4 address of the other interfaces, loopback excluded. */
function nodeAddresses(ns: NetNs): string[] {
  const out = new Set<string>();
  for (const d of ns.devices.values()) {
    if (d.name === KUBE_IPVS0) continue;
    for (const a of d.addrs) if (!a.addr.startsWith('127.')) out.add(a.addr);
  }
  return [...out];
}

/** ensureIPSet + syncIPSetEntries: create missing sets, delete stale entries, add new ones (sorted, as sets.List() gives them). */
function syncIpsets(ns: NetNs, sets: ActiveEntries): void {
  for (const info of IPSET_INFO) {
    let set: IpSet | undefined = ns.ipsets.get(info.name);
    if (!set) {
      set = { name: info.name, type: info.type, comment: info.comment, entries: new Set<string>() };
      ns.ipsets.set(info.name, set);
    }
    const want = sets.get(info.name) ?? new Set<string>();
    for (const e of [...set.entries]) if (!want.has(e)) set.entries.delete(e);
    for (const e of [...want].sort()) set.entries.add(e);
  }
}

/** The kube-ipvs0 dummy device (netlinkHandle.EnsureDummyDevice). */
function ensureDummy(world: World, ns: NetNs): DummyDevice {
  const existing = ns.dev(KUBE_IPVS0);
  if (existing?.kind === 'dummy') return existing;
  // kube-proxy creates the link and never sets it up: the real device is DOWN, yet its addresses
  // are local (fib_add_ifaddr adds the local route before checking IFF_UP) — see Device.neverUp
  const dev = world.addDummy(ns, KUBE_IPVS0);
  dev.neverUp = true;
  return dev;
}

/**
 * syncService + syncEndpoint for every wanted virtual server, then cleanLegacyService: add or
 * update the service (scheduler, persistence, flags), add missing real servers with weight 1,
 * and retire the rest through the graceful-termination manager — a TCP server that still has
 * connections is quiesced (weight 0) and kept; one without, or a UDP/SCTP one, is deleted.
 */
function syncVirtualServers(table: IpvsTable, wanted: readonly WantedVirtualServer[]): { ok: true } | { ok: false; error: string } {
  const activeKeys = new Set<IpvsService>();
  for (const w of wanted) {
    let svc = table.get(w.proto, w.addr, w.port);
    if (!svc) {
      const r = table.addService({ proto: w.proto, addr: w.addr, port: w.port, scheduler: w.scheduler, ...(w.persistent !== undefined ? { persistent: w.persistent } : {}), schedFlags: w.schedFlags });
      if (!r.ok) return { ok: false, error: `Failed to add IPVS service ${w.addr}:${w.port}/${w.proto}: ${r.error}` };
      svc = r.value;
    } else if (svc.scheduler !== w.scheduler || svc.persistent !== w.persistent || svc.schedFlags.join() !== w.schedFlags.join()) {
      const r = table.editService(svc, { scheduler: w.scheduler, ...(w.persistent !== undefined ? { persistent: w.persistent } : {}), schedFlags: w.schedFlags });
      if (!r.ok) return { ok: false, error: `Failed to update IPVS service ${w.addr}:${w.port}/${w.proto}: ${r.error}` };
    }
    activeKeys.add(svc);
    const wantKeys = new Set(w.endpoints.map((e) => `${e.ip}:${e.port}`));
    for (const e of w.endpoints) {
      const cur = svc.dests.find((d) => d.addr === e.ip && d.port === e.port);
      if (!cur) table.addDest(svc, { addr: e.ip as Ipv4, port: e.port, weight: 1 });
      else if (cur.weight !== 1) table.editDest(svc, cur, 1);
    }
    for (const d of [...svc.dests]) {
      if (wantKeys.has(`${d.addr}:${d.port}`)) continue;
      retire(table, svc, d);
    }
  }
  for (const svc of [...table.services]) if (!activeKeys.has(svc)) table.deleteService(svc);
  return { ok: true };
}

/** graceful_termination.go: delete now when no connections are left (or for UDP/SCTP), else weight 0. */
function retire(table: IpvsTable, svc: IpvsService, d: IpvsDest): void {
  const graceful = svc.proto === 'TCP';
  if (!graceful || d.activeConns + d.inactConns === 0) table.deleteDest(svc, d);
  else if (d.weight !== 0) table.editDest(svc, d, 0);
}

/**
 * One full sync of kube-proxy's ipvs proxier on a node. Order as in syncProxyRules: the kube
 * chains and jumps, the dummy device, the ipsets, the virtual servers with the addresses they
 * bind, the iptables-restore (`--noflush --counters`), then unbinding what is no longer wanted
 * and deleting stale virtual servers. An unknown scheduler fails the whole sync, as
 * CanUseIPVSProxier stops kube-proxy from starting in ipvs mode.
 */
export const KubeProxyIpvs = {
  sync(world: World, ns: NetNs, services: readonly ServicePortInfo[], config: IpvsProxierConfig): IptablesResult {
    const scheduler = config.scheduler === '' ? DEFAULT_SCHEDULER : config.scheduler;
    if (!isIpvsScheduler(scheduler)) {
      return {
        ok: false,
        error: `can't use the IPVS proxier: could not create a virtual server with scheduler "${scheduler}": Scheduler or persistence engine not found (no ip_vs_${scheduler} module; have ${IPVS_SCHEDULERS.join(', ')})`,
      };
    }
    // NewProxier: net/ipv4/vs/conntrack=1 (the packet path keeps conntrack for IPVS) and ip_forward=1
    ns.sysctl.ipForward = true;
    const staged = stageTables(ns.nf);
    const linked = ensureJumps(staged);
    if (!linked.ok) return linked;

    const dummy = ensureDummy(world, ns);
    const plan = planIpvsSync(services, { ...config, scheduler }, nodeAddresses(ns));
    syncIpsets(ns, plan.sets);

    ns.ipvs ??= new IpvsTable();
    const vs = syncVirtualServers(ns.ipvs, plan.virtualServers);
    if (!vs.ok) return vs;
    const bound = new Set(dummy.addrs.map((a) => a.addr));
    for (const w of plan.virtualServers) {
      if (!w.bind || bound.has(w.addr)) continue;
      ns.addAddress(dummy, { addr: w.addr, prefixLen: 32 });
      bound.add(w.addr);
    }

    const restored = iptablesRestore(staged, plan.payload, { noflush: true, counters: true });
    if (!restored.ok) return restored;
    commitTables(ns.nf, staged);

    // Remove superfluous addresses from the dummy device
    dummy.addrs.splice(0, dummy.addrs.length, ...dummy.addrs.filter((a) => plan.bindAddrs.has(a.addr)));
    ns.invalidateAddrs();
    return { ok: true };
  },
} as const;
