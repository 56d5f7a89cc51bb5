import type { ServiceEndpoint, ServicePortInfo } from './types.ts';

/**
 * What every proxier decides the same way for a service port (pkg/proxy/serviceport.go,
 * topology.go, and the first part of each proxier's syncProxyRules): which endpoints the Cluster
 * and Local policies use, and whether internal and external traffic has anywhere to go.
 */

/** proxy.ServicePortName.String(): `ns/name:port`, or `ns/name` for an unnamed port. */
export function servicePortName(svc: Pick<ServicePortInfo, 'namespace' | 'name' | 'portName'>): string {
  return `${svc.namespace}/${svc.name}${svc.portName === '' ? '' : `:${svc.portName}`}`;
}

export const endpointString = (ep: ServiceEndpoint): string => `${ep.ip}:${ep.port}`;

/** Go's sort.Strings / string `<`: byte order. */
export const byString = <T>(key: (x: T) => string) => (a: T, b: T): number => {
  const ka = key(a);
  const kb = key(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

/**
 * The service ports in the order this model syncs them: kube-proxy iterates a Go map (random
 * order, different on every run); sorted by `ns/name:port/protocol` here so a trace is
 * reproducible. Each sort key is built once, not once per comparison.
 */
export function sortedServicePorts(services: readonly ServicePortInfo[]): ServicePortInfo[] {
  return services
    .map((svc) => ({ svc, key: `${servicePortName(svc)}/${svc.protocol}` }))
    .sort(byString((s) => s.key))
    .map((s) => s.svc);
}

interface Categorized {
  readonly clusterEndpoints: readonly ServiceEndpoint[];
  readonly localEndpoints: readonly ServiceEndpoint[];
  readonly allReachableEndpoints: readonly ServiceEndpoint[];
  readonly hasAnyEndpoints: boolean;
}

/**
 * pkg/proxy/topology.go CategorizeEndpoints (no topology hints in this model): which endpoints the
 * Cluster and Local policy chains use, falling back to serving-and-terminating endpoints when
 * none are ready.
 */
export function categorizeEndpoints(
  endpoints: readonly ServiceEndpoint[],
  usesCluster: boolean,
  usesLocal: boolean,
  nodeName: string,
): Categorized {
  const isLocal = (ep: ServiceEndpoint): boolean => ep.nodeName === nodeName;
  let clusterEndpoints: ServiceEndpoint[] = [];
  let localEndpoints: ServiceEndpoint[] = [];
  let hasAnyEndpoints = false;
  if (usesCluster) {
    clusterEndpoints = endpoints.filter((ep) => ep.ready);
    if (clusterEndpoints.length === 0) clusterEndpoints = endpoints.filter((ep) => ep.serving && ep.terminating);
    hasAnyEndpoints = clusterEndpoints.length > 0;
  }
  if (!usesLocal) return { clusterEndpoints, localEndpoints, allReachableEndpoints: clusterEndpoints, hasAnyEndpoints };

  let hasLocalReady = false;
  let hasLocalServingTerminating = false;
  for (const ep of endpoints) {
    if (ep.ready) {
      hasAnyEndpoints = true;
      if (isLocal(ep)) hasLocalReady = true;
    } else if (ep.serving && ep.terminating) {
      hasAnyEndpoints = true;
      if (isLocal(ep)) hasLocalServingTerminating = true;
    }
  }
  let useServingTerminating = false;
  if (hasLocalReady) localEndpoints = endpoints.filter((ep) => isLocal(ep) && ep.ready);
  else if (hasLocalServingTerminating) {
    useServingTerminating = true;
    localEndpoints = endpoints.filter((ep) => isLocal(ep) && ep.serving && ep.terminating);
  }
  if (!usesCluster) return { clusterEndpoints, localEndpoints, allReachableEndpoints: localEndpoints, hasAnyEndpoints };
  if (!useServingTerminating) {
    // localEndpoints are all Ready, so clusterEndpoints (every Ready endpoint) holds them all
    return { clusterEndpoints, localEndpoints, allReachableEndpoints: clusterEndpoints, hasAnyEndpoints };
  }
  // topology.go merges the two lists through a Go map (random order); sorted here
  const merged = new Map<string, ServiceEndpoint>();
  for (const ep of [...clusterEndpoints, ...localEndpoints]) merged.set(endpointString(ep), ep);
  const allReachableEndpoints = [...merged.values()].sort(byString(endpointString));
  return { clusterEndpoints, localEndpoints, allReachableEndpoints, hasAnyEndpoints };
}

/** A service port's policy, as syncProxyRules works it out before writing anything. */
export interface ServicePortPlan {
  readonly externallyAccessible: boolean;
  readonly internalPolicyLocal: boolean;
  readonly externalPolicyLocal: boolean;
  readonly clusterEndpoints: readonly ServiceEndpoint[];
  readonly localEndpoints: readonly ServiceEndpoint[];
  readonly allReachableEndpoints: readonly ServiceEndpoint[];
  /** usable endpoints on any node */
  readonly hasEndpoints: boolean;
  readonly usesClusterPolicyChain: boolean;
  readonly usesLocalPolicyChain: boolean;
  /** ClusterIP traffic has an endpoint (else REJECT, or DROP with iTP Local and none here) */
  readonly hasInternalEndpoints: boolean;
  /** external traffic has an endpoint (else REJECT, or DROP with eTP Local and none here) */
  readonly hasExternalEndpoints: boolean;
  /** the external chain is needed — based on hasEndpoints: its short-circuit rules serve pods and the node */
  readonly usesExternalTrafficChain: boolean;
}

/** serviceport.go ExternallyAccessible: a NodePort, a load balancer IP or an external IP. */
const isExternallyAccessible = (svc: ServicePortInfo): boolean =>
  (svc.nodePort ?? 0) !== 0 || svc.loadBalancerIPs.length > 0 || svc.externalIPs.length > 0;

/**
 * serviceport.go UsesLocalEndpoints: a Local traffic policy that applies, so the plan depends on
 * which node it is made for (only then does planServicePort read the node's name).
 */
export function usesLocalEndpoints(svc: ServicePortInfo): boolean {
  return svc.internalTrafficPolicy === 'Local' || (svc.externalTrafficPolicy === 'Local' && isExternallyAccessible(svc));
}

export function planServicePort(svc: ServicePortInfo, nodeName: string): ServicePortPlan {
  // serviceport.go: ExternallyAccessible, ExternalPolicyLocal, UsesClusterEndpoints, UsesLocalEndpoints
  const externallyAccessible = isExternallyAccessible(svc);
  const internalPolicyLocal = svc.internalTrafficPolicy === 'Local';
  const externalPolicyLocal = svc.externalTrafficPolicy === 'Local' && externallyAccessible;
  const usesCluster = !internalPolicyLocal || externallyAccessible;
  const usesLocal = usesLocalEndpoints(svc);
  // endpointslicecache.go: endpoints sorted by their `ip:port` string
  const sorted = svc.endpoints
    .map((ep) => ({ ep, key: endpointString(ep) }))
    .sort(byString((e) => e.key))
    .map((e) => e.ep);
  const { clusterEndpoints, localEndpoints, allReachableEndpoints, hasAnyEndpoints: hasEndpoints } = categorizeEndpoints(sorted, usesCluster, usesLocal, nodeName);
  return {
    externallyAccessible,
    internalPolicyLocal,
    externalPolicyLocal,
    clusterEndpoints,
    localEndpoints,
    allReachableEndpoints,
    hasEndpoints,
    usesClusterPolicyChain: clusterEndpoints.length > 0 && usesCluster,
    usesLocalPolicyChain: localEndpoints.length > 0 && usesLocal,
    hasInternalEndpoints: hasEndpoints && (!internalPolicyLocal || localEndpoints.length > 0),
    hasExternalEndpoints: hasEndpoints && (!externalPolicyLocal || localEndpoints.length > 0),
    usesExternalTrafficChain: hasEndpoints && externallyAccessible,
  };
}
