import { cidrContains } from '../../net/addr.ts';
import { type KnfOp, KnfTransaction, runTransaction } from '../../linux/nftables/transaction.ts';
import type { NftRuleset } from '../../linux/nftables/ruleset.ts';
import type { NftChainType, NftHook } from '../../linux/nftables/types.ts';
import { hashAndTruncate } from './hash.ts';
import { endpointString, planServicePort, servicePortName, sortedServicePorts } from './policy.ts';
import type { ProxierConfig, ServiceEndpoint, ServicePortInfo } from './types.ts';

/**
 * kube-proxy in nftables mode (pkg/proxy/nftables/proxier.go, GA in 1.33): one table `ip
 * kube-proxy` whose base chains hook in beside iptables', a `services` chain that finds the
 * service with one verdict-map lookup on `ip daddr . meta l4proto . th dport`, and per service
 * port a chain that balances with `numgen random mod N vmap { … }`. The transaction is built as
 * kube-proxy builds its knftables transaction; its rule bodies are kube-proxy's text, parsed as
 * `nft -f` parses them.
 *
 * Revision: the base chains of proxier_test.go at kubernetes 81810de (filter-prerouting-pre-dnat
 * and filter-output-pre-dnat at -110, filter-input/forward/output at 0), before the v1.36
 * hairpin-connections set.
 */

// proxier.go constants
const FILTER_PREROUTING_PRE_DNAT = 'filter-prerouting-pre-dnat';
const FILTER_OUTPUT_PRE_DNAT = 'filter-output-pre-dnat';
const FILTER_INPUT = 'filter-input';
const FILTER_FORWARD = 'filter-forward';
const FILTER_OUTPUT = 'filter-output';
const NAT_PREROUTING = 'nat-prerouting';
const NAT_OUTPUT = 'nat-output';
const NAT_POSTROUTING = 'nat-postrouting';
const SERVICES = 'services';
const SERVICE_IPS = 'service-ips';
const SERVICE_NODEPORTS = 'service-nodeports';
const NODEPORT_IPS = 'nodeport-ips';
const CLUSTER_IPS = 'cluster-ips';
const SERVICE_ENDPOINTS_CHECK = 'service-endpoints-check';
const NODEPORT_ENDPOINTS_CHECK = 'nodeport-endpoints-check';
const NO_ENDPOINT_SERVICES = 'no-endpoint-services';
const NO_ENDPOINT_NODEPORTS = 'no-endpoint-nodeports';
const REJECT_CHAIN = 'reject-chain';
const CLUSTER_IPS_CHECK = 'cluster-ips-check';
const FIREWALL_IPS = 'firewall-ips';
const FIREWALL_CHECK = 'firewall-check';
const MARK_MASQ = 'mark-for-masquerade';
const MASQUERADING = 'masquerading';

/** nftablesBaseChains: name, type, hook, priority (knftables writes priorities as numbers). */
const BASE_CHAINS: readonly (readonly [string, NftChainType, NftHook, number])[] = [
  // filtering on pre-DNAT destination addresses runs before DNAT (dstnat - 10)
  [FILTER_PREROUTING_PRE_DNAT, 'filter', 'prerouting', -110],
  [FILTER_OUTPUT_PRE_DNAT, 'filter', 'output', -110],
  [FILTER_INPUT, 'filter', 'input', 0],
  [FILTER_FORWARD, 'filter', 'forward', 0],
  [FILTER_OUTPUT, 'filter', 'output', 0],
  [NAT_PREROUTING, 'nat', 'prerouting', -100],
  [NAT_OUTPUT, 'nat', 'output', -100],
  [NAT_POSTROUTING, 'nat', 'postrouting', 100],
];

/** nftablesJumpChains: destination, source, extra match. */
const JUMP_CHAINS: readonly (readonly [string, string, string])[] = [
  // endpoint checks reject, which older kernels only allow at input, forward and output
  [NODEPORT_ENDPOINTS_CHECK, FILTER_INPUT, 'ct state new'],
  [SERVICE_ENDPOINTS_CHECK, FILTER_INPUT, 'ct state new'],
  [SERVICE_ENDPOINTS_CHECK, FILTER_FORWARD, 'ct state new'],
  [SERVICE_ENDPOINTS_CHECK, FILTER_OUTPUT, 'ct state new'],
  [FIREWALL_CHECK, FILTER_PREROUTING_PRE_DNAT, 'ct state new'],
  [FIREWALL_CHECK, FILTER_OUTPUT_PRE_DNAT, 'ct state new'],
  [SERVICES, NAT_OUTPUT, ''],
  [SERVICES, NAT_PREROUTING, ''],
  [MASQUERADING, NAT_POSTROUTING, ''],
  [CLUSTER_IPS_CHECK, FILTER_FORWARD, 'ct state new'],
  [CLUSTER_IPS_CHECK, FILTER_OUTPUT, 'ct state new'],
];

/** The chain names of one service port (newServiceInfo) and of its endpoints (newEndpointInfo). */
export function nftServiceChains(svc: Pick<ServicePortInfo, 'namespace' | 'name' | 'portName' | 'protocol'>): {
  readonly cluster: string;
  readonly local: string;
  readonly external: string;
  readonly firewall: string;
} {
  const base = hashAndTruncate(`${svc.namespace}/${svc.name}/${svc.protocol.toLowerCase()}/${svc.portName}`);
  return { cluster: `service-${base}`, local: `local-${base}`, external: `external-${base}`, firewall: `firewall-${base}` };
}

/** servicePortEndpointChainNameBase: `ns/name/proto/port__ip/port` (IPv6 colons become dots). */
export function nftEndpointChain(svc: Pick<ServicePortInfo, 'namespace' | 'name' | 'portName' | 'protocol'>, ep: Pick<ServiceEndpoint, 'ip' | 'port'>, prefix = 'endpoint-'): string {
  return `${prefix}${hashAndTruncate(`${svc.namespace}/${svc.name}/${svc.protocol.toLowerCase()}/${svc.portName}__${ep.ip.replaceAll(':', '.')}/${ep.port}`)}`;
}

/**
 * Chain names kept with the objects they were computed for (kube-proxy computes them once, in
 * newServiceInfo / newEndpointInfo, not on every sync), with the inputs, so a changed object gets
 * new names. An endpoint also keeps its chain's operations: every node writes them alike, and
 * the same rule text is looked up as parsed before, not built and hashed again.
 */
const serviceChainCache = new WeakMap<ServicePortInfo, { readonly base: string; readonly chains: ReturnType<typeof nftServiceChains> }>();

interface EndpointObjects {
  readonly svc: ServicePortInfo;
  readonly protocol: string;
  readonly ip: string;
  readonly port: number;
  readonly chain: string;
  readonly affinity: string;
  /**
   * The chain's add and flush, and its two rules — `ip saddr IP jump mark-for-masquerade` (an
   * endpoint reaching itself through the service) and `meta l4proto PROTO dnat to IP:PORT` — as
   * operations every sync writes alike: immutable, so one transaction after another holds the
   * same objects (a sync of 60,000 endpoints allocates none of them again)
   */
  readonly ops: { readonly add: KnfOp; readonly flush: KnfOp; readonly hairpin: KnfOp; readonly dnat: KnfOp };
}
const endpointChainCache = new WeakMap<ServiceEndpoint, EndpointObjects>();

function serviceChainsOf(svc: ServicePortInfo): ReturnType<typeof nftServiceChains> {
  const base = `${svc.namespace}/${svc.name}/${svc.protocol}/${svc.portName}`;
  const known = serviceChainCache.get(svc);
  if (known?.base === base) return known.chains;
  const chains = nftServiceChains(svc);
  serviceChainCache.set(svc, { base, chains });
  return chains;
}

function endpointChainsOf(svc: ServicePortInfo, ep: ServiceEndpoint): EndpointObjects {
  const known = endpointChainCache.get(ep);
  if (known && known.svc === svc && known.protocol === svc.protocol && known.ip === ep.ip && known.port === ep.port) return known;
  const chain = nftEndpointChain(svc, ep);
  const hairpin = `ip saddr ${ep.ip} jump ${MARK_MASQ}`;
  const dnat = `meta l4proto ${svc.protocol.toLowerCase()} dnat to ${endpointString(ep)}`;
  const made: EndpointObjects = {
    svc,
    protocol: svc.protocol,
    ip: ep.ip,
    port: ep.port,
    chain,
    affinity: nftEndpointChain(svc, ep, 'affinity-'),
    ops: {
      add: { verb: 'add', obj: 'chain', name: chain },
      flush: { verb: 'flush', obj: 'chain', name: chain },
      hairpin: { verb: 'add', obj: 'rule', chain, rule: hairpin },
      dnat: { verb: 'add', obj: 'rule', chain, rule: dnat },
    },
  };
  endpointChainCache.set(ep, made);
  return made;
}

/** A service chain's balancing rule as last written, with the endpoints (as resolved) it names. */
interface NumgenOp {
  readonly chain: string;
  readonly eps: readonly EndpointObjects[];
  readonly op: KnfOp;
}
const numgenCache = new WeakMap<ServicePortInfo, NumgenOp[]>();

/**
 * `numgen random mod N vmap { 0 : goto endpoint-…, … }` in `chain`: the operation written last
 * for these same endpoints is written again (the same text object, so the body is found as
 * parsed without hashing and comparing a new string of a few hundred characters).
 */
function numgenOp(svc: ServicePortInfo, chain: string, eps: readonly EndpointObjects[]): KnfOp {
  let list = numgenCache.get(svc);
  const known = list?.find((n) => n.chain === chain);
  if (known && known.eps.length === eps.length && known.eps.every((e, i) => e === eps[i])) return known.op;
  const elements = eps.map((e, i) => `${i} : goto ${e.chain}`).join(' , ');
  const made: NumgenOp = { chain, eps, op: { verb: 'add', obj: 'rule', chain, rule: `numgen random mod ${eps.length} vmap { ${elements} }` } };
  if (!list) numgenCache.set(svc, (list = []));
  if (known) list[list.indexOf(known)] = made;
  else list.push(made);
  return made.op;
}

/** Go `fmt.Sprintf("%#08x", 1<<bit)`: Go pads the digits to 8 and then adds the 0x. */
function masqueradeMark(bit: number): string {
  return `0x${(1 << bit).toString(16).padStart(8, '0')}`;
}

/** What the table held before this sync (knftables List "chains" / "sets"). */
export interface ExistingObjects {
  readonly chains: Iterable<string>;
  readonly sets: Iterable<string>;
}

/**
 * What one kube-proxy process remembers from one sync to the next (the Proxier fields
 * syncProxyRules reads): whether the next sync must be full, whether the base chains were
 * recreated yet, the elements it wrote to each set and map (nftElementStorage), and the chains it
 * flushed as stale, with when.
 */
export class NftProxierState {
  /** proxier.needFullSync: true until a sync succeeds, and again after one fails */
  needFullSync = true;
  /** proxier.flushed: the base chains' add+delete runs once per process */
  flushed = false;
  /** nftElementStorage per set or map: the joined key → the key and the joined value written */
  readonly elements = new Map<string, Map<string, { readonly key: readonly string[]; readonly value: string }>>();
  /** proxier.staleChains: service chains flushed as stale → when (simulated µs) */
  readonly staleChains = new Map<string, number>();
}

/** How this transaction is written: a full sync, or a partial one that rewrites only `updated`. */
export interface SyncPlan {
  readonly state: NftProxierState;
  /** UpdatedServices of the service and endpoints change trackers (`namespace/name`) */
  readonly updated: ReadonlySet<string>;
  /** simulated µs the sync starts at (when stale chains go stale) */
  readonly nowUs: number;
}

/**
 * proxier.go syncProxyRules (with setupNFTables on a full sync): the knftables transaction,
 * object by object in kube-proxy's order. Without a plan it is a freshly started kube-proxy's
 * first sync. On a partial sync (a state whose last sync succeeded) a service whose Service and
 * EndpointSlices did not change keeps its chains and rules untouched, and only set and map
 * elements that differ from what was written last are added or deleted.
 */
export function kubeProxyTransaction(services: readonly ServicePortInfo[], config: ProxierConfig, existing: ExistingObjects = { chains: [], sets: [] }, syncPlan: SyncPlan = { state: new NftProxierState(), updated: new Set(), nowUs: 0 }): KnfTransaction {
  const tx = new KnfTransaction('ip', 'kube-proxy');
  const { state } = syncPlan;
  const tryPartialSync = !state.needFullSync;
  /** ensureChain: add and flush, once per transaction; on a skipped service only noted */
  const ensureChain = (chain: string, created: Set<string>, skipCreation: boolean, ops?: EndpointObjects['ops']) => {
    if (created.has(chain)) return;
    created.add(chain);
    if (skipCreation) return;
    tx.add(ops?.add ?? { verb: 'add', obj: 'chain', name: chain });
    tx.add(ops?.flush ?? { verb: 'flush', obj: 'chain', name: chain });
  };
  const rule = (chain: string, text: string, comment?: string) => tx.add({ verb: 'add', obj: 'rule', chain, rule: text, comment });
  const element = (set: string, key: readonly (string | number)[], value?: string, comment?: string) =>
    tx.add({ verb: 'add', obj: 'element', set, key: key.map(String), value, comment });
  /** the elements this sync wrote or kept, per set (what cleanupLeftoverKeys spares) */
  const ensured = new Map<string, Set<string>>();
  /** nftElementStorage.ensureElem: written only when new or with another value */
  const ensureElem = (set: string, key: readonly (string | number)[], value?: string, comment?: string) => {
    const parts = key.map(String);
    const joined = parts.join(' . ');
    const joinedValue = value ?? '';
    let stored = state.elements.get(set);
    if (!stored) state.elements.set(set, (stored = new Map()));
    let kept = ensured.get(set);
    if (!kept) ensured.set(set, (kept = new Set()));
    kept.add(joined);
    const before = stored.get(joined);
    if (before?.value === joinedValue) return;
    if (before) tx.add({ verb: 'delete', obj: 'element', set, key: parts });
    tx.add({ verb: 'add', obj: 'element', set, key: parts, value, comment });
    stored.set(joined, { key: parts, value: joinedValue });
  };
  const map = (name: string, type: string, comment: string) => tx.add({ verb: 'add', obj: 'map', name, type, comment });
  const mark = masqueradeMark(config.masqueradeBit);
  const localDetector = config.clusterCIDR;
  // nodePortAddresses: nftables mode defaults to "primary", the node's own IPs
  const nodePortAddresses = config.nodePortAddresses ?? ['primary'];
  const matchAll = nodePortAddresses.length === 0;
  const noLocalhost = 'ip daddr != 127.0.0.0/8';

  if (!tryPartialSync) setupNFTables();
  /** proxier.go setupNFTables: the table, base chains, top-level chains, sets and maps (full syncs) */
  function setupNFTables(): void {
    const created = new Set<string>();
    tx.add({ verb: 'add', obj: 'table', comment: 'rules for kube-proxy' });
    // the first sync deletes the base chains once so changed priorities can apply
    if (!state.flushed) {
      for (const [name] of BASE_CHAINS) {
        tx.add({ verb: 'add', obj: 'chain', name });
        tx.add({ verb: 'delete', obj: 'chain', name });
      }
      state.flushed = true;
    }
    for (const [name, type, hook, priority] of BASE_CHAINS) {
      tx.add({ verb: 'add', obj: 'chain', name, base: { type, hook, priority } });
      tx.add({ verb: 'flush', obj: 'chain', name });
    }
    for (const [dst, src, extra] of JUMP_CHAINS) {
      ensureChain(dst, created, false);
      rule(src, extra ? `${extra} jump ${dst}` : `jump ${dst}`);
    }
    for (const chain of [SERVICES, CLUSTER_IPS_CHECK, MASQUERADING, MARK_MASQ]) ensureChain(chain, created, false);
    rule(MARK_MASQ, `mark set mark or ${mark}`);
    rule(MASQUERADING, `mark and ${mark} == 0 return`);
    rule(MASQUERADING, `mark set mark xor ${mark}`);
    rule(MASQUERADING, 'masquerade fully-random');
    tx.add({ verb: 'add', obj: 'set', name: CLUSTER_IPS, type: 'ipv4_addr', comment: 'Active ClusterIPs' });
    rule(CLUSTER_IPS_CHECK, `ip daddr @${CLUSTER_IPS} reject`, 'Reject traffic to invalid ports of ClusterIPs');
    const serviceCIDRs = config.serviceCIDRs ?? [];
    if (serviceCIDRs.length > 0) rule(CLUSTER_IPS_CHECK, `ip daddr { ${serviceCIDRs.join(',')} } drop`, 'Drop traffic to unallocated ClusterIPs');
    tx.add({ verb: 'add', obj: 'set', name: NODEPORT_IPS, type: 'ipv4_addr', comment: 'IPs that accept NodePort traffic' });
    if (matchAll) tx.add({ verb: 'delete', obj: 'set', name: NODEPORT_IPS });
    else {
      tx.add({ verb: 'flush', obj: 'set', name: NODEPORT_IPS });
      // GetNodeIPs: "primary" is the node's IPs from the Node object, CIDRs select among them;
      // loopback is never accepted
      const ips = nodePortAddresses.includes('primary') ? config.nodeIPs : config.nodeIPs.filter((ip) => nodePortAddresses.some((c) => cidrContains(c, ip)));
      for (const ip of ips) if (!ip.startsWith('127.')) element(NODEPORT_IPS, [ip]);
    }
    map(NO_ENDPOINT_SERVICES, 'ipv4_addr . inet_proto . inet_service : verdict', 'vmap to drop or reject packets to services with no endpoints');
    map(NO_ENDPOINT_NODEPORTS, 'inet_proto . inet_service : verdict', 'vmap to drop or reject packets to service nodeports with no endpoints');
    tx.add({ verb: 'add', obj: 'chain', name: REJECT_CHAIN, comment: 'helper for @no-endpoint-services / @no-endpoint-nodeports' });
    tx.add({ verb: 'flush', obj: 'chain', name: REJECT_CHAIN });
    rule(REJECT_CHAIN, 'reject');
    rule(SERVICE_ENDPOINTS_CHECK, `ip daddr . meta l4proto . th dport vmap @${NO_ENDPOINT_SERVICES}`);
    rule(NODEPORT_ENDPOINTS_CHECK, `${matchAll ? noLocalhost : `ip daddr @${NODEPORT_IPS}`} meta l4proto . th dport vmap @${NO_ENDPOINT_NODEPORTS}`);
    map(FIREWALL_IPS, 'ipv4_addr . inet_proto . inet_service : verdict', 'destinations that are subject to LoadBalancerSourceRanges');
    ensureChain(FIREWALL_CHECK, created, false);
    rule(FIREWALL_CHECK, `ip daddr . meta l4proto . th dport vmap @${FIREWALL_IPS}`);
    map(SERVICE_IPS, 'ipv4_addr . inet_proto . inet_service : verdict', 'ClusterIP, ExternalIP and LoadBalancer IP traffic');
    map(SERVICE_NODEPORTS, 'inet_proto . inet_service : verdict', 'NodePort traffic');
    rule(SERVICES, `ip daddr . meta l4proto . th dport vmap @${SERVICE_IPS}`);
    rule(SERVICES, `${matchAll ? `fib daddr type local ${noLocalhost}` : `ip daddr @${NODEPORT_IPS}`} meta l4proto . th dport vmap @${SERVICE_NODEPORTS}`);
    // nftElementStorage.reset: the sets and maps are refilled from scratch
    for (const [name, obj] of [[CLUSTER_IPS, 'set'], [SERVICE_IPS, 'map'], [FIREWALL_IPS, 'map'], [NO_ENDPOINT_SERVICES, 'map'], [NO_ENDPOINT_NODEPORTS, 'map'], [SERVICE_NODEPORTS, 'map']] as const) {
      state.elements.get(name)?.clear();
      tx.add({ verb: 'flush', obj, name });
    }
  }

  // syncProxyRules
  // activeChains: only a table that already holds service chains has stale ones to find
  const existingServiceChains = [...existing.chains].filter((c) => c.includes('/'));
  const activeChains = existingServiceChains.length > 0 ? new Set<string>() : undefined;
  const activeAffinitySets = new Set<string>();
  for (const svc of sortedServicePorts(services)) {
    // skipServiceUpdate: an unchanged service's chains and rules stay as written
    const skip = tryPartialSync && !syncPlan.updated.has(`${svc.namespace}/${svc.name}`);
    // ensureChain's once per transaction: chains are named after their service, so only a
    // service's own can repeat
    const ownChains = new Set<string>();
    const ensureServiceChain = (chain: string, ops?: EndpointObjects['ops']) => {
      activeChains?.add(chain);
      ensureChain(chain, ownChains, skip, ops);
    };
    const protocol = svc.protocol.toLowerCase();
    const name = servicePortName(svc);
    const chains = serviceChainsOf(svc);
    const plan = planServicePort(svc, config.nodeName);
    const affinity = svc.sessionAffinity === 'ClientIP';

    const reachable = plan.allReachableEndpoints.map((ep) => endpointChainsOf(svc, ep));
    for (const known of reachable) {
      ensureServiceChain(known.chain, known.ops);
      if (affinity) activeAffinitySets.add(known.affinity);
    }
    if (plan.usesClusterPolicyChain) ensureServiceChain(chains.cluster);
    if (plan.usesLocalPolicyChain) ensureServiceChain(chains.local);
    const internalTrafficChain = plan.internalPolicyLocal ? chains.local : chains.cluster;
    const externalPolicyChain = plan.externalPolicyLocal ? chains.local : chains.cluster;
    if (plan.usesExternalTrafficChain) ensureServiceChain(chains.external);

    let internalVerdict = '';
    let externalVerdict = '';
    if (!plan.hasEndpoints) {
      internalVerdict = `goto ${REJECT_CHAIN}`;
      externalVerdict = `goto ${REJECT_CHAIN}`;
    } else {
      if (!plan.hasInternalEndpoints) internalVerdict = 'drop';
      if (!plan.hasExternalEndpoints) externalVerdict = 'drop';
    }

    // Capture the clusterIP.
    ensureElem(CLUSTER_IPS, [svc.clusterIP]);
    if (plan.hasInternalEndpoints) ensureElem(SERVICE_IPS, [svc.clusterIP, protocol, svc.port], `goto ${internalTrafficChain}`);
    else ensureElem(NO_ENDPOINT_SERVICES, [svc.clusterIP, protocol, svc.port], internalVerdict, name);

    // Capture externalIPs.
    for (const ip of svc.externalIPs) {
      if (plan.hasEndpoints) ensureElem(SERVICE_IPS, [ip, protocol, svc.port], `goto ${chains.external}`);
      if (!plan.hasExternalEndpoints) ensureElem(NO_ENDPOINT_SERVICES, [ip, protocol, svc.port], externalVerdict, name);
    }

    const usesFWChain = svc.loadBalancerIPs.length > 0 && svc.loadBalancerSourceRanges.length > 0;
    if (usesFWChain) ensureServiceChain(chains.firewall);

    // Capture load-balancer ingress.
    for (const ip of svc.loadBalancerIPs) {
      if (plan.hasEndpoints) ensureElem(SERVICE_IPS, [ip, protocol, svc.port], `goto ${chains.external}`);
      if (usesFWChain) ensureElem(FIREWALL_IPS, [ip, protocol, svc.port], `goto ${chains.firewall}`);
    }
    if (!plan.hasExternalEndpoints) for (const ip of svc.loadBalancerIPs) ensureElem(NO_ENDPOINT_SERVICES, [ip, protocol, svc.port], externalVerdict, name);

    // Capture nodeports (not subject to loadBalancerSourceRanges).
    const nodePort = svc.nodePort ?? 0;
    if (nodePort !== 0) {
      if (plan.hasEndpoints) ensureElem(SERVICE_NODEPORTS, [protocol, nodePort], `goto ${chains.external}`);
      if (!plan.hasExternalEndpoints) ensureElem(NO_ENDPOINT_NODEPORTS, [protocol, nodePort], externalVerdict, name);
    }

    // All the following operations are service-chain related and may be skipped if no svc or endpoint
    // changes are required.
    if (skip) continue;

    // Set up internal traffic handling.
    if (plan.hasInternalEndpoints) {
      const match = `ip daddr ${svc.clusterIP} ${protocol} dport ${svc.port}`;
      if (config.masqueradeAll) rule(internalTrafficChain, `${match} jump ${MARK_MASQ}`);
      // off-cluster traffic to a service VIP may bounce off-node: masquerade it
      else if (localDetector !== undefined) rule(internalTrafficChain, `${match} ip saddr != ${localDetector} jump ${MARK_MASQ}`);
    }

    // Set up external traffic handling.
    if (plan.usesExternalTrafficChain) {
      if (!plan.externalPolicyLocal) {
        // endpoints may be on another node: masquerade
        rule(chains.external, `jump ${MARK_MASQ}`);
      } else {
        // pod traffic to an external destination is treated as if it went out and came back
        if (localDetector !== undefined) rule(chains.external, `ip saddr ${localDetector} goto ${chains.cluster}`, 'short-circuit pod traffic');
        // the node's own traffic: its source is a local address, which must be masqueraded
        rule(chains.external, `fib saddr type local jump ${MARK_MASQ}`, 'masquerade local traffic');
        rule(chains.external, `fib saddr type local goto ${chains.cluster}`, 'short-circuit local traffic');
      }
      if (plan.hasExternalEndpoints) rule(chains.external, `goto ${externalPolicyChain}`);
    }

    if (usesFWChain) {
      const sources = svc.loadBalancerSourceRanges.map((r) => r.trim());
      const allowFromNode = sources.some((r) => config.nodeIPs[0] !== undefined && cidrContains(r, config.nodeIPs[0]));
      if (allowFromNode) sources.push(...svc.loadBalancerIPs);
      rule(chains.firewall, `ip saddr != { ${sources.join(' , ')} } drop`);
    }

    if (affinity) {
      for (const known of reachable) {
        tx.add({ verb: 'add', obj: 'set', name: known.affinity, type: 'ipv4_addr', flags: ['dynamic', 'timeout'], timeoutSec: svc.sessionAffinityTimeout });
      }
    }

    const writeServiceToEndpointRules = (svcChain: string, endpoints: readonly ServiceEndpoint[]) => {
      const eps = endpoints.map((ep) => endpointChainsOf(svc, ep));
      if (affinity) for (const ep of eps) rule(svcChain, `ip saddr @${ep.affinity} goto ${ep.chain}`);
      tx.add(numgenOp(svc, svcChain, eps));
    };
    if (plan.usesClusterPolicyChain) writeServiceToEndpointRules(chains.cluster, plan.clusterEndpoints);
    if (plan.usesLocalPolicyChain) writeServiceToEndpointRules(chains.local, plan.localEndpoints);

    // Generate the per-endpoint chains.
    for (const known of reachable) {
      // hairpin: an endpoint reaching itself through the service is masqueraded
      tx.add(known.ops.hairpin);
      if (affinity) rule(known.chain, `update @${known.affinity} { ip saddr }`);
      tx.add(known.ops.dnat);
    }
  }

  // Stale service chains are flushed now and deleted by a later sync (a map element pointing at
  // them may take a moment to go on kernels before 6.2): each sync that still finds one stale
  // notes the time again, the first sync more than a second later deletes it. Stale affinity sets
  // go at once.
  for (const chain of existingServiceChains) {
    if (!activeChains?.has(chain)) {
      tx.add({ verb: 'flush', obj: 'chain', name: chain });
      state.staleChains.set(chain, syncPlan.nowUs);
    } else state.staleChains.delete(chain);
  }
  for (const set of existing.sets) if (set.startsWith('affinity-') && !activeAffinitySets.has(set)) tx.add({ verb: 'delete', obj: 'set', name: set });
  // cleanupLeftoverKeys: elements no service wrote this time go
  for (const [set, stored] of state.elements) {
    const kept = ensured.get(set);
    for (const [joined, e] of stored) {
      if (kept?.has(joined)) continue;
      tx.add({ verb: 'delete', obj: 'element', set, key: e.key });
      stored.delete(joined);
    }
  }
  return tx;
}

/** The transaction's text, as `nft -f -` receives it from knftables. */
export function nftablesTransaction(services: readonly ServicePortInfo[], config: ProxierConfig, existing?: ExistingObjects): string {
  return kubeProxyTransaction(services, config, existing).text();
}

/** The outcome of a sync: nft's complaint if the transaction was refused. */
export type NftSyncResult = { readonly ok: true } | { readonly ok: false; readonly error: string };

/** One node's kube-proxy: what it remembers, and the Services it synced last (its svcPortMap). */
interface NodeProxier {
  readonly state: NftProxierState;
  services: ReadonlyMap<string, ServicePortInfo>;
  config: string;
}

/** The kube-proxy process of each node, kept beside the node's nf_tables it programs. */
const proxiers = new WeakMap<NftRuleset, NodeProxier>();

/** Same Service port and endpoints, field by field (what the change trackers would not report). */
function samePort(a: ServicePortInfo, b: ServicePortInfo): boolean {
  if (a === b) return true;
  const list = (x: readonly string[], y: readonly string[]) => x.length === y.length && x.every((v, i) => v === y[i]);
  if (
    a.namespace !== b.namespace || a.name !== b.name || a.portName !== b.portName || a.protocol !== b.protocol || a.clusterIP !== b.clusterIP || a.port !== b.port ||
    a.targetPort !== b.targetPort || a.nodePort !== b.nodePort || a.healthCheckNodePort !== b.healthCheckNodePort || a.sessionAffinity !== b.sessionAffinity ||
    a.sessionAffinityTimeout !== b.sessionAffinityTimeout || a.externalTrafficPolicy !== b.externalTrafficPolicy || a.internalTrafficPolicy !== b.internalTrafficPolicy ||
    !list(a.externalIPs, b.externalIPs) || !list(a.loadBalancerIPs, b.loadBalancerIPs) || !list(a.loadBalancerSourceRanges, b.loadBalancerSourceRanges) ||
    a.endpoints.length !== b.endpoints.length
  ) {
    return false;
  }
  return a.endpoints.every((e, i) => {
    const f = b.endpoints[i]!;
    return e.ip === f.ip && e.port === f.port && e.nodeName === f.nodeName && e.ready === f.ready && e.serving === f.serving && e.terminating === f.terminating;
  });
}

/**
 * svcPortMap.Update + endpointsMap.Update: the Services (`namespace/name`) whose Service or
 * EndpointSlices changed since the last sync, and the service ports to sync — an unchanged one
 * as kube-proxy already holds it (its chain names computed once, in newServicePortInfo).
 */
function trackChanges(before: ReadonlyMap<string, ServicePortInfo>, services: readonly ServicePortInfo[]): { updated: Set<string>; current: Map<string, ServicePortInfo> } {
  const updated = new Set<string>();
  const current = new Map<string, ServicePortInfo>();
  for (const svc of services) {
    const key = servicePortName(svc);
    const known = before.get(key);
    if (known && samePort(known, svc)) current.set(key, known);
    else {
      current.set(key, svc);
      updated.add(`${svc.namespace}/${svc.name}`);
    }
  }
  for (const [key, svc] of before) if (!current.has(key)) updated.add(`${svc.namespace}/${svc.name}`);
  return { updated, current };
}

/** A chain flushed as stale is deleted by the first sync a second later (proxier.go). */
const STALE_CHAIN_US = 1_000_000;

/**
 * One kube-proxy sync on a node: the transaction through `nft -f -` (knftables runs nft with the
 * transaction on stdin), all or nothing. The node's kube-proxy remembers what it wrote: its first
 * sync (and the one after a failure, or with another configuration — a restarted kube-proxy) is
 * full; later ones rewrite only the Services that changed (proxier.go's partial sync).
 */
export const KubeProxyNftables = {
  sync(ns: { readonly nft: NftRuleset }, services: readonly ServicePortInfo[], config: ProxierConfig, nowUs = 0): NftSyncResult {
    const configKey = JSON.stringify(config);
    let proxier = proxiers.get(ns.nft);
    if (!proxier || proxier.config !== configKey) proxiers.set(ns.nft, (proxier = { state: new NftProxierState(), services: new Map(), config: configKey }));
    const { state } = proxier;
    // stale chains old enough go first, in a transaction of their own (a failure is only logged)
    const old = [...state.staleChains].filter(([, at]) => at < nowUs - STALE_CHAIN_US).map(([chain]) => chain);
    if (old.length > 0) {
      const cleanup = new KnfTransaction('ip', 'kube-proxy');
      for (const chain of old) {
        cleanup.add({ verb: 'delete', obj: 'chain', name: chain });
        state.staleChains.delete(chain);
      }
      runTransaction(ns.nft, cleanup, nowUs);
    }
    const { updated, current } = trackChanges(proxier.services, services);
    proxier.services = current;
    const table = ns.nft.table('ip', 'kube-proxy');
    const existing: ExistingObjects = { chains: table ? [...table.chains.keys()] : [], sets: table ? [...table.sets.values()].filter((s) => !s.anonymous).map((s) => s.name) : [] };
    const r = runTransaction(ns.nft, kubeProxyTransaction([...current.values()], config, existing, { state, updated, nowUs }), nowUs);
    if (r.ok) state.needFullSync = false;
    else {
      // the changes are spent: only a full sync can restore a known state
      state.needFullSync = true;
      state.staleChains.clear();
    }
    return r;
  },

  /** kube-proxy restarted on the node: it remembers nothing, so its next sync is full. */
  restart(ns: { readonly nft: NftRuleset }): void {
    proxiers.delete(ns.nft);
  },
} as const;
