import type { ProxierConfig, ServiceEndpoint, ServicePortInfo } from './types.ts';

/**
 * The seed's Service as kube-proxy holds it (sections 3 and 4): default/nginx-test, port
 * 80-80, ClusterIP 10.43.6.58, NodePort 32506, endpoints 10.42.1.6 (node1) and 10.42.2.6
 * (node2) — for tests and benchmarks that drive the proxier directly.
 */
export function seedServicePort(over: Partial<ServicePortInfo> = {}): ServicePortInfo {
  return {
    namespace: 'default',
    name: 'nginx-test',
    portName: '80-80',
    protocol: 'TCP',
    clusterIP: '10.43.6.58',
    port: 80,
    targetPort: 80,
    nodePort: 32506,
    externalIPs: [],
    loadBalancerIPs: [],
    loadBalancerSourceRanges: [],
    sessionAffinity: 'None',
    sessionAffinityTimeout: 10800,
    externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster',
    endpoints: [endpoint('10.42.1.6', 80, 'node1'), endpoint('10.42.2.6', 80, 'node2')],
    ...over,
  };
}

export function endpoint(ip: string, port: number, nodeName: string, cond: Partial<ServiceEndpoint> = {}): ServiceEndpoint {
  return { ip, port, nodeName, ready: true, serving: true, terminating: false, ...cond };
}

/** kube-proxy on the seed's master: `--cluster-cidr=10.42.0.0/16`, mark bit 14, iptables with --random-fully. */
export const MASTER_PROXIER_CONFIG: ProxierConfig = {
  nodeName: 'master',
  nodeIPs: ['192.168.205.4'],
  clusterCIDR: '10.42.0.0/16',
  masqueradeBit: 14,
  masqueradeAll: false,
  localhostNodePorts: true,
  hasRandomFully: true,
};
