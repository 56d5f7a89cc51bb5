import type { Trace } from './trace/event.ts';

/**
 * The simulation's public request/response shapes: what the worker, the CLI and the tests ask
 * of the core. Plain data only, so they cross a worker boundary by structured clone.
 */
export type ProxyMode = 'iptables' | 'ipvs';
/** flannel's backends (net-conf.json Backend.Type) */
export type FlannelBackend = 'vxlan' | 'host-gw' | 'udp';
/** Calico's datapaths, from the IPPool's ipipMode: Always, Never (plain BGP), CrossSubnet */
export type CalicoBackend = 'ipip' | 'bgp' | 'crosssubnet';
/** How pods on different nodes reach each other: the five ways the seed names (§1b), plus CrossSubnet. */
export type Backend = FlannelBackend | CalicoBackend;
export type Cni = 'flannel' | 'calico';
export type IpvsScheduler = 'rr' | 'wrr' | 'lc' | 'sh' | 'dh' | 'mh';

export const FLANNEL_BACKENDS: readonly FlannelBackend[] = ['vxlan', 'host-gw', 'udp'];
export const CALICO_BACKENDS: readonly CalicoBackend[] = ['ipip', 'bgp', 'crosssubnet'];

/** Which CNI a backend belongs to: the datapath decides whether flannel or Calico programs the nodes. */
export function cniOf(backend: Backend): Cni {
  return (CALICO_BACKENDS as readonly string[]).includes(backend) ? 'calico' : 'flannel';
}

export interface Modes {
  /** absent: what the cluster file's kube-proxy ConfigMap says */
  readonly proxy?: ProxyMode;
  /**
   * absent: what the cluster file says — Calico's IPPool (its ipipMode) when the file has one,
   * else the kube-flannel-cfg ConfigMap's backend
   */
  readonly backend?: Backend;
  readonly scheduler?: IpvsScheduler;
}

export type FlowKind = 'connect' | 'ping' | 'traceroute';

export interface FlowSpec {
  /** a pod name, a host name, or an IP that one of them owns */
  readonly from: string;
  /** an IP (pod, node, ClusterIP, outside) with optional `:port`, or a pod/host name */
  readonly to: string;
  readonly proto: 'tcp' | 'udp' | 'icmp';
  readonly kind: FlowKind;
  /** payload bytes (ping's -s, the UDP datagram's data); default 56 for ping, 32 for UDP */
  readonly size?: number;
}

/** Everything that determines the cluster's state: a trace is reproducible from it plus a flow. */
export interface Scenario {
  /** the cluster as a `kind: List` file text (YAML or JSON); absent: `preset`, else the seed cluster */
  readonly cluster?: string;
  /** a built-in cluster name (`seed`, `seed-section6`, …) instead of `cluster` */
  readonly preset?: string;
  readonly modes: Modes;
  readonly seed: number;
  /** mutations applied before the flow, each `host-or-pod: command`, e.g. `master: ip route del 10.42.1.0/24` */
  readonly before: readonly string[];
}

export interface SimRequest extends Scenario {
  readonly flow: FlowSpec;
}

/** Run a command on a host or pod after the flow ran (so counters include it). */
export interface ExecRequest extends SimRequest {
  /** host name or pod name */
  readonly target: string;
  readonly command: string;
}

export interface ExecResult {
  readonly output: string;
  /** the command changed state: append `target: command` to `before` and simulate again */
  readonly mutates: boolean;
}

/** A user-facing error: what was wrong and where. Returned as a value, never thrown across. */
export interface SimError {
  readonly code: string;
  readonly where: string;
  readonly message: string;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: SimError };

export interface TopoDevice {
  readonly name: string;
  readonly kind: 'loopback' | 'nic' | 'bridge' | 'veth' | 'vxlan' | 'dummy' | 'ipip' | 'tun';
  readonly addrs: readonly string[];
  readonly mac: string;
  readonly mtu: number;
  readonly up: boolean;
  /** the bridge this device is a port of */
  readonly master?: string;
  /** for a veth: where its peer lives */
  readonly peer?: { readonly netns: string; readonly dev: string };
  /** for a NIC: the L2 segment it is plugged into */
  readonly segment?: string;
  /** for a VXLAN device */
  readonly vni?: number;
  readonly dstport?: number;
  /** for a TUN device: the process that reads it (flanneld) */
  readonly owner?: string;
  /** for an IPIP device: its fixed far end, `any` for the fallback tunl0 */
  readonly remote?: string;
}

export interface TopoNamespace {
  /** `root` for the host's own namespace, else the pod or container name */
  readonly name: string;
  readonly kind: 'root' | 'pod' | 'container';
  readonly ip?: string;
  readonly devices: readonly TopoDevice[];
}

export interface TopoHost {
  readonly name: string;
  readonly role: 'master' | 'node' | 'gateway' | 'client' | 'router' | 'docker-host';
  /** the host's address on its LAN */
  readonly ip?: string;
  readonly podCIDR?: string;
  readonly namespaces: readonly TopoNamespace[];
}

export interface TopoSegment {
  readonly name: string;
  readonly cidr?: string;
  readonly members: readonly { readonly host: string; readonly dev: string }[];
}

/** An overlay path between two hosts: a VXLAN FDB entry, an IPIP route, a flanneld UDP peer. */
export interface TopoTunnel {
  readonly fromHost: string;
  readonly toHost: string;
  readonly dev: string;
  /** the VXLAN network identifier; absent for IPIP and flannel udp */
  readonly vni?: number;
  readonly kind?: 'vxlan' | 'ipip' | 'udp';
}

export interface Topology {
  readonly hosts: readonly TopoHost[];
  readonly segments: readonly TopoSegment[];
  readonly tunnels: readonly TopoTunnel[];
}

export interface IptablesRuleView {
  readonly pkts: number;
  readonly bytes: number;
  /** the row as `iptables -nvL` prints it, counters excluded */
  readonly text: string;
  readonly target: string;
}

export interface IptablesChainView {
  readonly table: string;
  readonly name: string;
  readonly policy?: string;
  readonly references: number;
  readonly rules: readonly IptablesRuleView[];
}

/** A namespace's tables as the real commands print them, row for row (rows match TableRef.row). */
export interface NamespaceTables {
  readonly host: string;
  readonly netns: string;
  readonly routes: readonly string[];
  readonly neigh: readonly string[];
  readonly fdb: readonly string[];
  readonly conntrack: readonly string[];
  readonly iptables: readonly IptablesChainView[];
  readonly ipvs: readonly string[];
  /**
   * when each row came to be during the flow, in the simulated µs of TraceEvent.timeUs (null:
   * it was there before the flow) — so a view at step k can leave out rows that do not exist yet
   */
  readonly since: {
    readonly neigh: readonly (number | null)[];
    readonly fdb: readonly (number | null)[];
    readonly conntrack: readonly (number | null)[];
  };
}

export interface SimResult {
  readonly trace: Trace;
  readonly topology: Topology;
  /** every namespace's tables after the flow ran; counters at step k = final − hits after k */
  readonly tables: readonly NamespaceTables[];
  /** the modes actually in force (after defaults from the cluster file) */
  readonly modes: Required<Modes>;
  /** flows a user can pick, computed from the cluster (seed scenarios first) */
  readonly presets: readonly FlowPreset[];
  /** what the controllers logged while programming the nodes, e.g. a route flanneld could not add */
  readonly notes: readonly string[];
}

export interface FlowPreset {
  readonly id: string;
  readonly label: string;
  readonly flow: FlowSpec;
}

/**
 * A container as `docker ps` / `docker inspect` would describe it, reduced to what the
 * topology draws: which namespace it lives in and what it listens on. The topology itself only
 * knows namespaces; a host-mode container has none of its own, so it is drawn from this.
 */
export interface ContainerView {
  readonly name: string;
  readonly host: string;
  readonly image: string;
  /** Docker's network mode: `bridge` (docker0 or a user network), `host`, `container`, `none` */
  readonly mode: 'bridge' | 'host' | 'container' | 'none';
  /** for bridge mode: the Docker network (`bridge` is docker0) */
  readonly network?: string;
  /** the container whose network namespace this one runs in (itself unless mode is container) */
  readonly owner: string;
  /** the Kubernetes pod it belongs to */
  readonly pod?: string;
  /** ports its processes listen on, as `80/tcp` */
  readonly listen: readonly string[];
  /** published ports as `docker ps` prints them: `0.0.0.0:8080->80/tcp` */
  readonly publish: readonly string[];
}
