import type { Cidr, Ipv4, Mac } from '../net/addr.ts';
import type { FlannelBackend, IpvsScheduler, Problem, ProxyMode, Result, SimError } from '../api-types.ts';
import type { DockerSpec } from './docker-spec.ts';
import { decodeObjects } from './import/decode.ts';
import { readCluster } from './spec-read.ts';

/**
 * A cluster as the API server would hand it to the controllers: the objects `kubectl get
 * nodes,pods,svc,endpointslices,cm -A -o yaml|json` prints, checked for the mistakes that would
 * make a real cluster inconsistent, with what kubectl cannot say (the LAN, its gateway, the
 * modes) inferred and listed in `notes`. kube-packet-lab's own `Network` and `Host` kinds
 * describe the machines around the cluster when the inference is not what the user wants.
 */
export interface ClusterSpec {
  readonly networks: readonly NetworkSpec[];
  readonly hosts: readonly HostSpec[];
  readonly nodes: readonly NodeSpec[];
  /** the pods that run: scheduled, with an IP (a hostNetwork pod's is its node's) */
  readonly pods: readonly PodSpec[];
  /** pods with no network namespace: Pending (no node or no IP yet), Succeeded, Failed */
  readonly pendingPods: readonly PendingPodSpec[];
  readonly services: readonly ServiceSpec[];
  readonly endpointSlices: readonly EndpointSliceSpec[];
  /** Deployments and ReplicaSets: what `kubectl scale` changes and `kubectl expose` selects */
  readonly workloads: readonly WorkloadSpec[];
  readonly flannel: FlannelConfig;
  /** Calico's IPPool objects (projectcalico.org/v3), empty when the file has none */
  readonly ipPools: readonly IPPoolSpec[];
  readonly kubeProxy: KubeProxyConfig;
  /**
   * the API server's --service-cluster-ip-range (the `kubernetes` ServiceCIDR object kube-proxy
   * watches), when the file says or implies it
   */
  readonly serviceCIDR?: Cidr;
  /** Docker hosts, their networks and containers (seed §2; docker-spec.ts) */
  readonly docker: DockerSpec;
  /** what was inferred or skipped while reading the file, one sentence each, for the user */
  readonly notes: readonly string[];
}

export interface NetworkSpec {
  readonly name: string;
  readonly cidr: Cidr;
  readonly gateway?: Ipv4;
  /**
   * How the nodes on it get their address: a DHCP lease (`dynamic`, routes `proto dhcp metric
   * 100`, as the seed's nodes show) or a static configuration (`proto static`, no lease).
   */
  readonly addressing: 'dhcp' | 'static';
}

export interface HostSpec {
  readonly name: string;
  readonly role: 'gateway' | 'client' | 'router';
  /** which TCP stack answers and sends (its SYN options): `linux` or `macos` */
  readonly os: 'linux' | 'macos';
  readonly ipForward: boolean;
  readonly interfaces: readonly { readonly name: string; readonly network: string; readonly address: Ipv4; readonly prefixLen: number }[];
  readonly gateway?: Ipv4;
  readonly routes: readonly { readonly dst: Cidr; readonly via: Ipv4 }[];
  readonly listen: readonly ListenSpec[];
}

export interface ListenSpec {
  readonly protocol: 'TCP' | 'UDP';
  readonly port: number;
  readonly process: string;
}

/** What `kubectl get nodes -o wide` shows of a node's software (status.nodeInfo). */
export interface NodeInfo {
  readonly kubeletVersion?: string;
  readonly osImage?: string;
  readonly kernelVersion?: string;
  readonly containerRuntimeVersion?: string;
}

export interface NodeSpec {
  readonly name: string;
  readonly internalIP: Ipv4;
  readonly podCIDR: Cidr;
  readonly nic: string;
  readonly network: string;
  readonly vtepMac?: Mac;
  readonly controlPlane: boolean;
  /** new pods may land here: not cordoned, no NoSchedule/NoExecute taint */
  readonly schedulable: boolean;
  readonly info: NodeInfo;
  /** the node-role.kubernetes.io/<role> labels, sorted: kubectl get nodes ROLES */
  readonly roles: readonly string[];
  /** AGE from metadata.creationTimestamp, when the file has one */
  readonly age?: string;
  /** Calico's node annotations: projectcalico.org/IPv4Address (the BGP address with its mask) */
  readonly calicoIPv4Address?: Cidr;
  /** projectcalico.org/IPv4IPIPTunnelAddr: tunl0's address, from the IP pool */
  readonly calicoTunnelAddr?: Ipv4;
  /**
   * `kubectl delete node` took the Node object out of the API: the machine and its pods still run,
   * but every controller that watches Nodes (flanneld's leases, Calico's BGP mesh) forgets it
   */
  readonly deleted?: boolean;
}

/**
 * A Calico IPPool (projectcalico.org/v3): the addresses calico-ipam hands out, in blocks of
 * `blockSize` affine to one node, and how traffic between the pool's addresses on different
 * nodes travels (ipipMode) and leaves the pool (natOutgoing).
 */
export interface IPPoolSpec {
  readonly name: string;
  readonly cidr: Cidr;
  readonly blockSize: number;
  readonly ipipMode: 'Always' | 'CrossSubnet' | 'Never';
  readonly vxlanMode: 'Always' | 'CrossSubnet' | 'Never';
  readonly natOutgoing: boolean;
  readonly disabled: boolean;
  readonly nodeSelector: string;
}

export interface ContainerPortSpec {
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  /** what a Service's named targetPort refers to */
  readonly name?: string;
}

/** The controller that owns an object (metadata.ownerReferences with controller: true). */
export interface OwnerRef {
  readonly kind: string;
  readonly name: string;
}

export interface PodSpec {
  readonly name: string;
  readonly namespace: string;
  readonly nodeName: string;
  readonly ip: Ipv4;
  readonly labels: Readonly<Record<string, string>>;
  readonly ports: readonly ContainerPortSpec[];
  readonly restarts: number;
  readonly age: string;
  readonly restartedAgo?: string;
  /** in its node's root network namespace: no veth, no netns of its own */
  readonly hostNetwork: boolean;
  readonly owner?: OwnerRef;
}

export interface PendingPodSpec {
  readonly name: string;
  readonly namespace: string;
  readonly phase: string;
  readonly nodeName?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ports: readonly ContainerPortSpec[];
  readonly owner?: OwnerRef;
  readonly age: string;
}

export interface ServicePortSpec {
  readonly name: string;
  readonly port: number;
  /** a number, or the name of a container port (resolved per pod by the EndpointSlice controller) */
  readonly targetPort: number | string;
  readonly nodePort?: number;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
}

export interface ServiceSpec {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  readonly clusterIP: Ipv4;
  readonly ports: readonly ServicePortSpec[];
  readonly selector?: Readonly<Record<string, string>>;
  readonly sessionAffinity: 'None' | 'ClientIP';
  readonly sessionAffinityTimeout: number;
  readonly externalTrafficPolicy: 'Cluster' | 'Local';
  readonly internalTrafficPolicy: 'Cluster' | 'Local';
  readonly externalIPs: readonly Ipv4[];
}

export interface EndpointSpec {
  readonly ip: Ipv4;
  readonly nodeName?: string;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly podName?: string;
}

export interface EndpointSliceSpec {
  readonly namespace: string;
  readonly name: string;
  readonly serviceName: string;
  readonly endpoints: readonly EndpointSpec[];
  readonly ports: readonly { readonly name: string; readonly port: number; readonly protocol: 'TCP' | 'UDP' | 'SCTP' }[];
}

/** A Deployment or a ReplicaSet: how many pods of which template, chosen by which labels. */
export interface WorkloadSpec {
  readonly kind: 'Deployment' | 'ReplicaSet';
  readonly namespace: string;
  readonly name: string;
  readonly replicas: number;
  readonly selector: Readonly<Record<string, string>>;
  readonly template: { readonly labels: Readonly<Record<string, string>>; readonly ports: readonly ContainerPortSpec[] };
  /** a ReplicaSet's Deployment */
  readonly owner?: OwnerRef;
}

export interface FlannelConfig {
  readonly network: Cidr;
  readonly backend: FlannelBackend;
  readonly vni: number;
  readonly port: number;
  /** `EnableNFTables`: flanneld writes `table ip flannel-ipv4` instead of its iptables chains */
  readonly enableNFTables: boolean;
}

export interface KubeProxyConfig {
  readonly mode: ProxyMode;
  readonly clusterCIDR?: Cidr;
  readonly scheduler: IpvsScheduler;
  readonly masqueradeAll: boolean;
  /** `nodePortAddresses`; absent: the mode's default (all local IPs, `primary` in nftables mode) */
  readonly nodePortAddresses?: readonly string[];
}

export interface ParseOptions {
  /**
   * `--lan CIDR[,CIDR…]`: the node subnets, instead of inferring a /24 around each group of
   * InternalIPs
   */
  readonly lan?: string;
}

/** Problems listed at most, so a file with a million mistakes still answers quickly. */
export const MAX_PROBLEMS = 50;

/**
 * Parses and checks a cluster file (YAML or JSON, one object, a List, several documents).
 * Errors name the object, the field and the line; all of them (up to MAX_PROBLEMS) are listed.
 */
export function parseCluster(text: string, opts: ParseOptions = {}): Result<ClusterSpec> {
  const d = decodeObjects(text);
  if (!d.ok) return problemsError(d.problems.map((p) => ({ object: p.label ?? 'cluster file', message: p.message, ...(p.line !== undefined ? { line: p.line } : {}) })));
  const r = readCluster(d.objects, opts);
  if (!r.ok) return problemsError(r.problems);
  return { ok: true, value: { ...r.value, notes: [...d.notes, ...r.value.notes] } };
}

/** The first problem as the error (what the CLI prints first), all of them in `problems`. */
export function problemsError(problems: readonly Problem[]): { ok: false; error: SimError } {
  const first = problems[0] ?? { object: 'cluster file', message: 'is not a cluster' };
  const where = `${first.object}${first.field ? ` .${first.field}` : ''}${first.line !== undefined ? ` (line ${first.line})` : ''}`;
  return { ok: false, error: { code: 'CLUSTER_INVALID', where, message: first.message, problems: problems.slice(0, MAX_PROBLEMS) } };
}

export { podKey } from './names.ts';
