/**
 * What kube-proxy knows when it syncs: one entry per service port (proxy.ServicePortMap) with
 * its endpoints (proxy.EndpointsMap), and the proxier's own configuration. The cluster model
 * maps Services and EndpointSlices to this, the way kube-proxy's change trackers do.
 */

export type ServiceProtocol = 'TCP' | 'UDP' | 'SCTP';

/** One endpoint of a service port, with its EndpointSlice conditions (nil already defaulted). */
export interface ServiceEndpoint {
  readonly ip: string;
  readonly port: number;
  /** the pod's node; an endpoint is local when this is the proxier's node */
  readonly nodeName: string;
  /** `conditions.ready` (nil means true) */
  readonly ready: boolean;
  /** `conditions.serving` (nil means true) */
  readonly serving: boolean;
  /** `conditions.terminating` (nil means false) */
  readonly terminating: boolean;
}

/** proxy.BaseServicePortInfo for one port of one Service. */
export interface ServicePortInfo {
  readonly namespace: string;
  readonly name: string;
  /** `spec.ports[].name`; '' for a single unnamed port */
  readonly portName: string;
  readonly protocol: ServiceProtocol;
  readonly clusterIP: string;
  readonly port: number;
  /** the endpoints carry the resolved port; kept for display */
  readonly targetPort: number | string;
  readonly nodePort?: number;
  /** only for type LoadBalancer with externalTrafficPolicy Local (apiservice.NeedsHealthCheck) */
  readonly healthCheckNodePort?: number;
  readonly externalIPs: readonly string[];
  /** `status.loadBalancer.ingress[].ip` in VIP mode */
  readonly loadBalancerIPs: readonly string[];
  readonly loadBalancerSourceRanges: readonly string[];
  readonly sessionAffinity: 'None' | 'ClientIP';
  /** `sessionAffinityConfig.clientIP.timeoutSeconds` (API default 10800) */
  readonly sessionAffinityTimeout: number;
  readonly externalTrafficPolicy: 'Cluster' | 'Local';
  readonly internalTrafficPolicy: 'Cluster' | 'Local';
  readonly endpoints: readonly ServiceEndpoint[];
}

/** The NewProxier arguments that shape the rules. */
export interface ProxierConfig {
  readonly nodeName: string;
  /** the node's IPs; the first is proxier.nodeIP (used by the LoadBalancer firewall chain) */
  readonly nodeIPs: readonly string[];
  /** `--cluster-cidr` with detect-local-mode ClusterCIDR; absent: no local-traffic detector */
  readonly clusterCIDR?: string;
  /** `--iptables-masquerade-bit`, default 14 (mark 0x4000) */
  readonly masqueradeBit: number;
  readonly masqueradeAll: boolean;
  /** `--iptables-localhost-nodeports`, default true */
  readonly localhostNodePorts: boolean;
  /** iptables ≥ 1.6.2 supports `MASQUERADE --random-fully` (every current node) */
  readonly hasRandomFully: boolean;
  /** the ServiceCIDR objects' ranges (OnServiceCIDRsChanged); nftables drops traffic to unallocated ClusterIPs in them */
  readonly serviceCIDRs?: readonly string[];
  /**
   * `nodePortAddresses`: empty accepts NodePorts on every local address; `primary` (nftables
   * mode's default, server_linux.go platformApplyDefaults) only on the node's own IPs
   */
  readonly nodePortAddresses?: readonly string[];
}
