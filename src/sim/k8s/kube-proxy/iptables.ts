import { cidr, cidrContains } from '../../net/addr.ts';
import { applyIptables, iptablesRestoreStaged, printfFixed } from '../../linux/netfilter/syntax.ts';
import type { IptablesResult } from '../../linux/netfilter/syntax.ts';
import { commitTables, stageTables } from '../../linux/netfilter/tables.ts';
import type { TableName, Tables } from '../../linux/netfilter/types.ts';
import { portProtoHash, servicePortEndpointChainName } from './hash.ts';
import { endpointString, planServicePort, servicePortName, sortedServicePorts, usesLocalEndpoints } from './policy.ts';
import type { ProxierConfig, ServiceEndpoint, ServicePortInfo } from './types.ts';

export { servicePortName };

/**
 * kube-proxy in iptables mode (pkg/proxy/iptables/proxier.go): the jump rules it keeps in the
 * built-in chains and the iptables-restore payload it writes on every sync. The rules are
 * generated the way syncProxyRules generates them, in the same order and with the same text,
 * so the kernel model ends up holding what a real node holds.
 */

// proxier.go: the global chains
const KUBE_SERVICES = 'KUBE-SERVICES';
const KUBE_EXTERNAL_SERVICES = 'KUBE-EXTERNAL-SERVICES';
const KUBE_NODEPORTS = 'KUBE-NODEPORTS';
const KUBE_POSTROUTING = 'KUBE-POSTROUTING';
const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ';
const KUBE_FORWARD = 'KUBE-FORWARD';
const KUBE_PROXY_FIREWALL = 'KUBE-PROXY-FIREWALL';
const KUBE_PROXY_CANARY = 'KUBE-PROXY-CANARY';
const KUBE_FIREWALL = 'KUBE-FIREWALL';

/** proxier.go isServiceChainName: the per-service chains a sync may delete when stale. */
const SERVICE_CHAIN_PREFIXES = ['KUBE-SVC-', 'KUBE-SVL-', 'KUBE-SEP-', 'KUBE-FW-', 'KUBE-EXT-'];

interface JumpChain {
  readonly table: TableName;
  readonly dstChain: string;
  readonly srcChain: string;
  readonly comment: string;
  readonly extraArgs: readonly string[];
}

const CT_NEW = ['-m', 'conntrack', '--ctstate', 'NEW'];

/** proxier.go iptablesJumpChains, in order (each is prepended, so the last listed ends up first). */
const JUMP_CHAINS: readonly JumpChain[] = [
  { table: 'filter', dstChain: KUBE_EXTERNAL_SERVICES, srcChain: 'INPUT', comment: 'kubernetes externally-visible service portals', extraArgs: CT_NEW },
  { table: 'filter', dstChain: KUBE_EXTERNAL_SERVICES, srcChain: 'FORWARD', comment: 'kubernetes externally-visible service portals', extraArgs: CT_NEW },
  { table: 'filter', dstChain: KUBE_NODEPORTS, srcChain: 'INPUT', comment: 'kubernetes health check service ports', extraArgs: [] },
  { table: 'filter', dstChain: KUBE_SERVICES, srcChain: 'FORWARD', comment: 'kubernetes service portals', extraArgs: CT_NEW },
  { table: 'filter', dstChain: KUBE_SERVICES, srcChain: 'OUTPUT', comment: 'kubernetes service portals', extraArgs: CT_NEW },
  { table: 'filter', dstChain: KUBE_FORWARD, srcChain: 'FORWARD', comment: 'kubernetes forwarding rules', extraArgs: [] },
  { table: 'filter', dstChain: KUBE_PROXY_FIREWALL, srcChain: 'INPUT', comment: 'kubernetes load balancer firewall', extraArgs: CT_NEW },
  { table: 'filter', dstChain: KUBE_PROXY_FIREWALL, srcChain: 'OUTPUT', comment: 'kubernetes load balancer firewall', extraArgs: CT_NEW },
  { table: 'filter', dstChain: KUBE_PROXY_FIREWALL, srcChain: 'FORWARD', comment: 'kubernetes load balancer firewall', extraArgs: CT_NEW },
  { table: 'nat', dstChain: KUBE_SERVICES, srcChain: 'OUTPUT', comment: 'kubernetes service portals', extraArgs: [] },
  { table: 'nat', dstChain: KUBE_SERVICES, srcChain: 'PREROUTING', comment: 'kubernetes service portals', extraArgs: [] },
  { table: 'nat', dstChain: KUBE_POSTROUTING, srcChain: 'POSTROUTING', comment: 'kubernetes postrouting rules', extraArgs: [] },
  // iptablesKubeletJumpChains: kube-proxy's copy of kubelet's KUBE-FIREWALL jumps (no comment)
  { table: 'filter', dstChain: KUBE_FIREWALL, srcChain: 'INPUT', comment: '', extraArgs: [] },
  { table: 'filter', dstChain: KUBE_FIREWALL, srcChain: 'OUTPUT', comment: '', extraArgs: [] },
];

/** computeProbability's answers: a sync asks for 1/n, …, 1/2 for every service (exact printing is slow). */
const probabilities = new Map<number, string>();

/** proxier.go computeProbability: Go's `%0.10f` of 1/n. */
export function computeProbability(n: number): string {
  let p = probabilities.get(n);
  if (p === undefined) {
    p = printfFixed(1 / n, 10);
    // endpoint counts are few; the bound only guards against a caller asking for every n
    if (probabilities.size >= 4096) probabilities.clear();
    probabilities.set(n, p);
  }
  return p;
}

/** Go `fmt.Sprintf("%#08x", v)`: the `0x` comes on top of eight zero-padded digits. */
function goHex08(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}

/** proxyutil.LineBuffer.Write: words joined by spaces, one line per call. */
class LineBuffer {
  /** finished text, a block of lines at a time */
  private readonly blocks: string[] = [];
  private lines: string[] = [];
  write(...words: readonly (string | readonly string[])[]): void {
    // `words.flat().join(' ')` without the intermediate arrays
    let text = '';
    let first = true;
    for (const w of words) {
      if (typeof w === 'string') {
        text = first ? w : `${text} ${w}`;
        first = false;
      } else {
        for (const x of w) {
          text = first ? x : `${text} ${x}`;
          first = false;
        }
      }
    }
    this.line(text);
  }
  /**
   * One line already joined: what the per-service and per-endpoint rules use (a sync writes
   * hundreds of thousands of lines, and write's argument arrays would be garbage).
   */
  line(text: string): void {
    this.lines.push(text);
    // joined into blocks as we go, so a line is short-lived rather than kept to the end
    if (this.lines.length === 1024) this.flush();
  }
  private flush(): void {
    if (this.lines.length > 0) this.blocks.push(`${this.lines.join('\n')}\n`);
    this.lines = [];
  }
  /** Every line written, each ending in a newline. */
  text(): string {
    this.flush();
    return this.blocks.join('');
  }
}

/** Comments kube-proxy writes pre-quoted (`fmt.Sprintf(`"%s cluster IP"`, …)`). */
const q = (s: string): string => `"${s}"`;

/**
 * Chain names already computed for a service port or endpoint object. kube-proxy names them once,
 * when it learns of the service or endpoint (serviceInfo's chain names, endpointInfo.ChainName),
 * not on every sync; here the name is kept with the object it was computed for, together with
 * the inputs, so an object that changed gets a new name.
 */
const servicePortHashes = new WeakMap<ServicePortInfo, { readonly name: string; readonly protocol: string; readonly hash: string }>();
const endpointChainNames = new WeakMap<
  ServiceEndpoint,
  { readonly name: string; readonly protocol: string; readonly ip: string; readonly port: number; readonly chain: string }
>();

/** portProtoHash for this service port (cached with the object). */
function servicePortHash(svc: ServicePortInfo, name: string, protocol: string): string {
  const known = servicePortHashes.get(svc);
  if (known && known.name === name && known.protocol === protocol) return known.hash;
  const hash = portProtoHash(name, protocol);
  servicePortHashes.set(svc, { name, protocol, hash });
  return hash;
}

/** servicePortEndpointChainName for this endpoint of this service port (cached with the object). */
function endpointChainName(name: string, protocol: string, ep: ServiceEndpoint): string {
  const known = endpointChainNames.get(ep);
  if (known && known.name === name && known.protocol === protocol && known.ip === ep.ip && known.port === ep.port) {
    return known.chain;
  }
  const chain = servicePortEndpointChainName(name, protocol, endpointString(ep));
  endpointChainNames.set(ep, { name, protocol, ip: ep.ip, port: ep.port, chain });
  return chain;
}

export interface SyncPayload {
  /** the `*filter … COMMIT` part */
  readonly filter: string;
  /** the `*nat … COMMIT` part */
  readonly nat: string;
  /** both, as passed to `iptables-restore --noflush --counters` */
  readonly payload: string;
}

/**
 * proxier.go syncProxyRules (a full sync): the iptables-restore input kube-proxy writes for these
 * service ports. `existingNatChains` is what `iptables-save -t nat` showed before the sync; stale
 * KUBE-SVC/SVL/EXT/FW/SEP chains among them get a flush line and `-X`, as kube-proxy does.
 *
 * Real kube-proxy iterates `proxier.svcPortMap`, a Go map, so its service order differs from run
 * to run; here services are taken sorted by service port name so a trace is reproducible. Within
 * a service, endpoints are in kube-proxy's own order (string order of `ip:port`).
 */
export function syncProxyRules(
  services: readonly ServicePortInfo[],
  config: ProxierConfig,
  existingNatChains: Iterable<string> = [],
): SyncPayload {
  const existing = [...new Set(existingNatChains)];
  if (!services.every(readsNoNode)) return writeProxyRules(services, config, existing);
  const { nodeName: _name, nodeIPs: _ips, ...shared } = config;
  // what the payload is written from, besides the services: the stale chains come from these
  const key = `${JSON.stringify(shared)}\n${existing.filter(isServiceChainName).sort().join(' ')}`;
  const known = nodePayloads.get(services);
  if (known?.key === key) return known.payload;
  const payload = writeProxyRules(services, config, existing);
  nodePayloads.set(services, { key, payload });
  return payload;
}

/**
 * The payload last written for a list of services (the controller hands every node the same
 * list), with what else it was written from. syncProxyRules reads the node's name only for a
 * Local traffic policy and its IP only for a load balancer's source ranges; without those,
 * every node with the same configuration and stale chains gets the same payload — the same
 * string, which iptables-restore then recognises as parsed already.
 */
const nodePayloads = new WeakMap<readonly ServicePortInfo[], { readonly key: string; readonly payload: SyncPayload }>();

/** This service port's rules are the same on every node. */
const readsNoNode = (svc: ServicePortInfo): boolean => !usesLocalEndpoints(svc) && svc.loadBalancerSourceRanges.length === 0;

const isServiceChainName = (c: string): boolean => SERVICE_CHAIN_PREFIXES.some((p) => c.startsWith(p));

function writeProxyRules(services: readonly ServicePortInfo[], config: ProxierConfig, existingNatChains: readonly string[]): SyncPayload {
  const filterChains = new LineBuffer();
  const filterRules = new LineBuffer();
  const natChains = new LineBuffer();
  const natRules = new LineBuffer();
  const chainLine = (chain: string): string => `:${chain} - [0:0]`; // utiliptables.MakeChainLine

  const masqueradeMark = goHex08(1 << config.masqueradeBit);
  const localDetector = config.clusterCIDR === undefined ? undefined : cidr(config.clusterCIDR);
  const nodeIP = config.nodeIPs[0];

  for (const c of [KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL]) {
    filterChains.line(chainLine(c));
  }
  for (const c of [KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ]) natChains.line(chainLine(c));

  natRules.write('-A', KUBE_POSTROUTING, '-m', 'mark', '!', '--mark', `${masqueradeMark}/${masqueradeMark}`, '-j', 'RETURN');
  // Clear the mark to avoid re-masquerading if the packet re-traverses the network stack.
  natRules.write('-A', KUBE_POSTROUTING, '-j', 'MARK', '--xor-mark', masqueradeMark);
  natRules.write(
    '-A', KUBE_POSTROUTING, '-m', 'comment', '--comment', q('kubernetes service traffic requiring SNAT'),
    '-j', 'MASQUERADE', ...(config.hasRandomFully ? ['--random-fully'] : []),
  );
  natRules.write('-A', KUBE_MARK_MASQ, '-j', 'MARK', '--or-mark', masqueradeMark);

  if (config.localhostNodePorts) {
    // mitigates the route_localnet hole (issue 90259); kubelet keeps an identical rule
    filterChains.line(chainLine(KUBE_FIREWALL));
    filterRules.write(
      '-A', KUBE_FIREWALL, '-m', 'comment', '--comment', q('block incoming localnet connections'),
      '-d', '127.0.0.0/8', '!', '-s', '127.0.0.0/8', '-m', 'conntrack', '!', '--ctstate', 'RELATED,ESTABLISHED,DNAT',
      '-j', 'DROP',
    );
  }

  const activeNatChains = new Set<string>();
  const totalEndpoints = services.reduce((n, s) => n + s.endpoints.length, 0);
  // largeClusterEndpointsThreshold: above 1000 endpoints the per-endpoint comments are dropped
  const largeClusterMode = totalEndpoints > 1000;
  /** ` -m comment --comment C`, or nothing in large cluster mode (a line's middle, with its leading space) */
  const serviceComment = (comment: string): string => (largeClusterMode ? '' : ` -m comment --comment ${comment}`);

  for (const svc of sortedServicePorts(services)) {
    const protocol = svc.protocol.toLowerCase();
    const name = servicePortName(svc);
    const hash = servicePortHash(svc, name, protocol);
    const clusterPolicyChain = `KUBE-SVC-${hash}`;
    const localPolicyChain = `KUBE-SVL-${hash}`;
    const externalTrafficChain = `KUBE-EXT-${hash}`;
    const fwChain = `KUBE-FW-${hash}`;
    const sepChain = (ep: ServiceEndpoint): string => endpointChainName(name, protocol, ep);
    const proto = `-m ${protocol} -p ${protocol}`;

    const {
      externalPolicyLocal, clusterEndpoints, localEndpoints, allReachableEndpoints, hasEndpoints,
      usesClusterPolicyChain, usesLocalPolicyChain, internalPolicyLocal, hasInternalEndpoints, hasExternalEndpoints, usesExternalTrafficChain,
    } = planServicePort(svc, config.nodeName);
    const internalTrafficChain = internalPolicyLocal ? localPolicyChain : clusterPolicyChain;
    const externalPolicyChain = externalPolicyLocal ? localPolicyChain : clusterPolicyChain;

    const sourceRanges = svc.loadBalancerSourceRanges.map((r) => cidr(r.trim()));
    const usesFWChain = hasEndpoints && svc.loadBalancerIPs.length > 0 && sourceRanges.length > 0;
    const loadBalancerTrafficChain = usesFWChain ? fwChain : externalTrafficChain;

    let internalTrafficFilterTarget = '';
    let internalTrafficFilterComment = '';
    let externalTrafficFilterTarget = '';
    let externalTrafficFilterComment = '';
    if (!hasEndpoints) {
      // no nat chains at all for this service; only filter rules rejecting its IPs
      internalTrafficFilterTarget = 'REJECT';
      internalTrafficFilterComment = q(`${name} has no endpoints`);
      externalTrafficFilterTarget = 'REJECT';
      externalTrafficFilterComment = internalTrafficFilterComment;
    } else {
      if (!hasInternalEndpoints) {
        internalTrafficFilterTarget = 'DROP';
        internalTrafficFilterComment = q(`${name} has no local endpoints`);
      }
      if (!hasExternalEndpoints) {
        externalTrafficFilterTarget = 'DROP';
        externalTrafficFilterComment = q(`${name} has no local endpoints`);
      }
    }

    // Capture the clusterIP.
    if (hasInternalEndpoints) {
      natRules.line(
        `-A ${KUBE_SERVICES} -m comment --comment "${name} cluster IP" ${proto} -d ${svc.clusterIP} --dport ${svc.port} -j ${internalTrafficChain}`,
      );
    } else {
      filterRules.write(
        '-A', KUBE_SERVICES, '-m', 'comment', '--comment', internalTrafficFilterComment, proto,
        '-d', svc.clusterIP, '--dport', String(svc.port), '-j', internalTrafficFilterTarget,
      );
    }

    // Capture externalIPs.
    for (const externalIP of svc.externalIPs) {
      if (hasEndpoints) {
        natRules.write(
          '-A', KUBE_SERVICES, '-m', 'comment', '--comment', q(`${name} external IP`), proto,
          '-d', externalIP, '--dport', String(svc.port), '-j', externalTrafficChain,
        );
      }
      if (!hasExternalEndpoints) {
        filterRules.write(
          '-A', KUBE_EXTERNAL_SERVICES, '-m', 'comment', '--comment', externalTrafficFilterComment, proto,
          '-d', externalIP, '--dport', String(svc.port), '-j', externalTrafficFilterTarget,
        );
      }
    }

    // Capture load-balancer ingress.
    for (const lbip of svc.loadBalancerIPs) {
      if (hasEndpoints) {
        natRules.write(
          '-A', KUBE_SERVICES, '-m', 'comment', '--comment', q(`${name} loadbalancer IP`), proto,
          '-d', lbip, '--dport', String(svc.port), '-j', loadBalancerTrafficChain,
        );
      }
      if (usesFWChain) {
        filterRules.write(
          '-A', KUBE_PROXY_FIREWALL, '-m', 'comment', '--comment', q(`${name} traffic not accepted by ${fwChain}`),
          proto, '-d', lbip, '--dport', String(svc.port), '-j', 'DROP',
        );
      }
    }
    if (!hasExternalEndpoints) {
      for (const lbip of svc.loadBalancerIPs) {
        filterRules.write(
          '-A', KUBE_EXTERNAL_SERVICES, '-m', 'comment', '--comment', externalTrafficFilterComment, proto,
          '-d', lbip, '--dport', String(svc.port), '-j', externalTrafficFilterTarget,
        );
      }
    }

    // Capture nodeports. (The localhost `-m nfacct` twin rule needs nfacct counters, not modelled.)
    const nodePort = svc.nodePort ?? 0;
    if (nodePort !== 0) {
      if (hasEndpoints) {
        natRules.write(
          '-A', KUBE_NODEPORTS, '-m', 'comment', '--comment', name, proto,
          '--dport', String(nodePort), '-j', externalTrafficChain,
        );
      }
      if (!hasExternalEndpoints) {
        filterRules.write(
          '-A', KUBE_EXTERNAL_SERVICES, '-m', 'comment', '--comment', externalTrafficFilterComment,
          '-m', 'addrtype', '--dst-type', 'LOCAL', proto, '--dport', String(nodePort), '-j', externalTrafficFilterTarget,
        );
      }
    }

    // Capture healthCheckNodePorts.
    if ((svc.healthCheckNodePort ?? 0) !== 0) {
      filterRules.write(
        '-A', KUBE_NODEPORTS, '-m', 'comment', '--comment', q(`${name} health check node port`),
        '-m', 'tcp', '-p', 'tcp', '--dport', String(svc.healthCheckNodePort), '-j', 'ACCEPT',
      );
    }

    // Set up internal traffic handling.
    if (hasInternalEndpoints) {
      const args = `-A ${internalTrafficChain} -m comment --comment "${name} cluster IP" ${proto} -d ${svc.clusterIP} --dport ${svc.port}`;
      if (config.masqueradeAll) natRules.line(`${args} -j ${KUBE_MARK_MASQ}`);
      else if (localDetector !== undefined) {
        // masquerade off-cluster traffic to the service VIP (it may bounce off-node)
        natRules.line(`${args} ! -s ${localDetector} -j ${KUBE_MARK_MASQ}`);
      }
    }

    // Set up external traffic handling.
    if (usesExternalTrafficChain) {
      natChains.line(chainLine(externalTrafficChain));
      activeNatChains.add(externalTrafficChain);
      if (!externalPolicyLocal) {
        // non-local endpoints may be on another node: masquerade
        natRules.write(
          '-A', externalTrafficChain, '-m', 'comment', '--comment', q(`masquerade traffic for ${name} external destinations`),
          '-j', KUBE_MARK_MASQ,
        );
      } else {
        if (localDetector !== undefined) {
          // pod → external destination traffic short-circuits to the Cluster policy chain
          natRules.write(
            '-A', externalTrafficChain, '-m', 'comment', '--comment', q(`pod traffic for ${name} external destinations`),
            '-s', localDetector, '-j', clusterPolicyChain,
          );
        }
        natRules.write(
          '-A', externalTrafficChain, '-m', 'comment', '--comment', q(`masquerade LOCAL traffic for ${name} external destinations`),
          '-m', 'addrtype', '--src-type', 'LOCAL', '-j', KUBE_MARK_MASQ,
        );
        natRules.write(
          '-A', externalTrafficChain, '-m', 'comment', '--comment', q(`route LOCAL traffic for ${name} external destinations`),
          '-m', 'addrtype', '--src-type', 'LOCAL', '-j', clusterPolicyChain,
        );
      }
      if (hasExternalEndpoints) natRules.write('-A', externalTrafficChain, '-j', externalPolicyChain);
    }

    // Set up firewall chain, if needed.
    if (usesFWChain) {
      natChains.line(chainLine(fwChain));
      activeNatChains.add(fwChain);
      const args = ['-A', fwChain, '-m', 'comment', '--comment', q(`${name} loadbalancer IP`)];
      let allowFromNode = false;
      for (const range of sourceRanges) {
        natRules.write(args, '-s', range, '-j', externalTrafficChain);
        if (nodeIP !== undefined && cidrContains(range, nodeIP)) allowFromNode = true;
      }
      // a VIP-like LB address is often local: node → VIP traffic loops back with the VIP as source
      if (allowFromNode) {
        for (const lbip of svc.loadBalancerIPs) natRules.write(args, '-s', lbip, '-j', externalTrafficChain);
      }
      // reaching the end means no DNAT happened: KUBE-PROXY-FIREWALL drops it in filter
      natRules.write(
        '-A', fwChain, '-m', 'comment', '--comment', q(`other traffic to ${name} will be dropped by KUBE-PROXY-FIREWALL`),
      );
    }

    const writeServiceToEndpointRules = (svcChain: string, endpoints: readonly ServiceEndpoint[]): void => {
      if (svc.sessionAffinity === 'ClientIP') {
        for (const ep of endpoints) {
          const sep = sepChain(ep);
          natRules.line(
            `-A ${svcChain}${serviceComment(q(`${name} -> ${endpointString(ep)}`))} -m recent --name ${sep} --rcheck --seconds ${svc.sessionAffinityTimeout} --reap -j ${sep}`,
          );
        }
      }
      endpoints.forEach((ep, i) => {
        // each rule but the last is a probabilistic match: 1/n, 1/(n-1), …, 1/2
        const statistic =
          i < endpoints.length - 1 ? ` -m statistic --mode random --probability ${computeProbability(endpoints.length - i)}` : '';
        natRules.line(`-A ${svcChain}${serviceComment(q(`${name} -> ${endpointString(ep)}`))}${statistic} -j ${sepChain(ep)}`);
      });
    };

    if (usesClusterPolicyChain) {
      natChains.line(chainLine(clusterPolicyChain));
      activeNatChains.add(clusterPolicyChain);
      writeServiceToEndpointRules(clusterPolicyChain, clusterEndpoints);
    }
    if (usesLocalPolicyChain) {
      natChains.line(chainLine(localPolicyChain));
      activeNatChains.add(localPolicyChain);
      writeServiceToEndpointRules(localPolicyChain, localEndpoints);
    }

    // Generate the per-endpoint chains.
    for (const ep of allReachableEndpoints) {
      const endpointChain = sepChain(ep);
      natChains.line(chainLine(endpointChain));
      activeNatChains.add(endpointChain);
      const args = `-A ${endpointChain}${serviceComment(name)}`;
      // hairpin: an endpoint reaching itself through the service must be masqueraded
      natRules.line(`${args} -s ${ep.ip} -j ${KUBE_MARK_MASQ}`);
      const affinity = svc.sessionAffinity === 'ClientIP' ? ` -m recent --name ${endpointChain} --set` : '';
      natRules.line(`${args}${affinity} ${proto} -j DNAT --to-destination ${endpointString(ep)}`);
    }
  }

  // Delete chains no longer in use (Go iterates a set difference; sorted here).
  const stale = existingNatChains.filter((c) => !activeNatChains.has(c) && isServiceChainName(c)).sort();
  for (const chain of stale) {
    natChains.line(chainLine(chain));
    natRules.write('-X', chain);
  }

  // Finally, tail-call to the nodePorts chain (nodePortAddresses unset: every local address).
  const destinations = ['-m', 'addrtype', '--dst-type', 'LOCAL'];
  if (!config.localhostNodePorts) destinations.push('!', '-d', '127.0.0.0/8');
  natRules.write(
    '-A', KUBE_SERVICES, '-m', 'comment', '--comment', q('kubernetes service nodeports; NOTE: this must be the last rule in this chain'),
    destinations, '-j', KUBE_NODEPORTS,
  );

  // Drop INVALID packets (nf_conntrack_tcp_be_liberal unset; the nfacct counter is not modelled).
  filterRules.write('-A', KUBE_FORWARD, '-m', 'conntrack', '--ctstate', 'INVALID', '-j', 'DROP');
  // marked traffic is forwarded even when the FORWARD policy is not ACCEPT
  filterRules.write(
    '-A', KUBE_FORWARD, '-m', 'comment', '--comment', q('kubernetes forwarding rules'),
    '-m', 'mark', '--mark', `${masqueradeMark}/${masqueradeMark}`, '-j', 'ACCEPT',
  );
  filterRules.write(
    '-A', KUBE_FORWARD, '-m', 'comment', '--comment', q('kubernetes forwarding conntrack rule'),
    '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT',
  );

  const block = (table: string, chains: LineBuffer, rules: LineBuffer): string =>
    `*${table}\n${chains.text()}${rules.text()}COMMIT\n`;
  const filter = block('filter', filterChains, filterRules);
  const nat = block('nat', natChains, natRules);
  return { filter, nat, payload: filter + nat };
}

/** utiliptables EnsureChain: `-N`, where "already exists" is fine. */
function ensureChain(tables: Tables, table: TableName, chain: string): IptablesResult {
  if (tables[table].has(chain)) return { ok: true };
  return applyIptables(tables, ['-t', table, '-N', chain]);
}

/** utiliptables EnsureRule(Prepend, …): `-C`, and `-I chain` (at the top) when missing. */
function ensureRulePrepended(tables: Tables, table: TableName, chain: string, args: readonly string[]): IptablesResult {
  if (applyIptables(tables, ['-t', table, '-C', chain, ...args]).ok) return { ok: true };
  return applyIptables(tables, ['-t', table, '-I', chain, ...args]);
}

/**
 * One full kube-proxy sync against a node's tables: the jump rules into the built-in chains
 * (only added when missing, so a second sync adds nothing), the KUBE-PROXY-CANARY chains that
 * ipt.Monitor watches, then the syncProxyRules payload through `iptables-restore --noflush
 * --counters`, which also deletes stale service chains. All or nothing: on error the tables are
 * as before and the error is kube-proxy's view of what iptables said.
 */
export const KubeProxyIptables = {
  sync(tables: Tables, services: readonly ServicePortInfo[], config: ProxierConfig): IptablesResult {
    const staged = stageTables(tables);
    for (const jump of JUMP_CHAINS) {
      const args = [
        ...jump.extraArgs,
        ...(jump.comment === '' ? [] : ['-m', 'comment', '--comment', jump.comment]),
        '-j',
        jump.dstChain,
      ];
      const ensured = ensureChain(staged, jump.table, jump.dstChain);
      if (!ensured.ok) return ensured;
      const prepended = ensureRulePrepended(staged, jump.table, jump.srcChain, args);
      if (!prepended.ok) return prepended;
    }
    for (const table of ['mangle', 'nat', 'filter'] as const) {
      const canary = ensureChain(staged, table, KUBE_PROXY_CANARY);
      if (!canary.ok) return canary;
    }
    const { payload } = syncProxyRules(services, config, staged.nat.keys());
    // staged is this sync's own transaction, dropped on an error: restore straight into it
    const restored = iptablesRestoreStaged(staged, payload, { noflush: true, counters: true });
    if (!restored.ok) return restored;
    commitTables(tables, staged);
    return { ok: true };
  },
} as const;
