import type { Cluster } from '../cluster.ts';
import type { ClusterSpec, PodSpec, ServicePortSpec, ServiceSpec } from '../spec.ts';
import { KubeProxyIptables } from './iptables.ts';
import { parts } from '../../parts.ts';
import type { ProxierConfig, ServiceEndpoint, ServicePortInfo } from './types.ts';

/**
 * Endpoints per service port, the way kube-proxy's EndpointSliceCache sees them: from the
 * Service's EndpointSlices (matched by the `kubernetes.io/service-name` label and port name),
 * or — for a file without slices — as the EndpointSlice controller would make them from the
 * selector: every pod whose labels match, at the targetPort.
 */
export function endpointsFor(spec: ClusterSpec, svc: ServiceSpec, port: ServicePortSpec, index = slicesByService(spec)): ServiceEndpoint[] {
  const slices = index.get(`${svc.namespace}/${svc.name}`) ?? [];
  if (slices.length > 0) {
    const out: ServiceEndpoint[] = [];
    for (const sl of slices) {
      const p = sl.ports.find((x) => x.name === port.name && x.protocol === port.protocol);
      if (!p) continue;
      for (const e of sl.endpoints) {
        out.push({ ip: e.ip, port: p.port, nodeName: e.nodeName ?? '', ready: e.ready, serving: e.serving, terminating: e.terminating });
      }
    }
    return out;
  }
  if (!svc.selector) return [];
  const sel = Object.entries(svc.selector);
  return spec.pods
    .filter((p) => p.namespace === svc.namespace && sel.every(([k, v]) => p.labels[k] === v))
    .flatMap((p) => {
      const target = targetPortOf(port, p);
      return target === undefined ? [] : [{ ip: p.ip, port: target, nodeName: p.nodeName, ready: true, serving: true, terminating: false }];
    });
}

/**
 * The port a Service port reaches on one pod (podutil.FindPort): a number as it is, a name
 * looked up among the pod's container ports of that protocol — a pod without it is no endpoint.
 */
export function targetPortOf(port: ServicePortSpec, pod: PodSpec): number | undefined {
  if (typeof port.targetPort === 'number') return port.targetPort;
  return pod.ports.find((c) => c.name === port.targetPort && c.protocol === port.protocol)?.port;
}

/** EndpointSlices by the service they belong to (`namespace/name`), as EndpointSliceCache keys them. */
function slicesByService(spec: ClusterSpec): Map<string, ClusterSpec['endpointSlices'][number][]> {
  const m = new Map<string, ClusterSpec['endpointSlices'][number][]>();
  for (const sl of spec.endpointSlices) {
    const key = `${sl.namespace}/${sl.serviceName}`;
    const list = m.get(key);
    if (list) list.push(sl);
    else m.set(key, [sl]);
  }
  return m;
}

/** Every service port as kube-proxy's ServicePortMap holds it. */
export function servicePorts(spec: ClusterSpec): ServicePortInfo[] {
  const out: ServicePortInfo[] = [];
  const index = slicesByService(spec);
  for (const svc of spec.services) {
    for (const port of svc.ports) {
      out.push({
        namespace: svc.namespace,
        name: svc.name,
        portName: port.name,
        protocol: port.protocol,
        clusterIP: svc.clusterIP,
        port: port.port,
        targetPort: port.targetPort,
        nodePort: port.nodePort,
        externalIPs: svc.externalIPs,
        loadBalancerIPs: [],
        loadBalancerSourceRanges: [],
        sessionAffinity: svc.sessionAffinity,
        sessionAffinityTimeout: svc.sessionAffinityTimeout,
        externalTrafficPolicy: svc.externalTrafficPolicy,
        internalTrafficPolicy: svc.internalTrafficPolicy,
        endpoints: endpointsFor(spec, svc, port, index),
      });
    }
  }
  return out;
}

/** `kubectl describe service`'s Endpoints line per `namespace/name:port`: the ready ones, as ip:port. */
export function endpointsByServicePort(c: Cluster): ReadonlyMap<string, readonly string[]> {
  const m = new Map<string, string[]>();
  for (const sp of servicePorts(c.spec)) {
    m.set(`${sp.namespace}/${sp.name}:${sp.portName}`, sp.endpoints.filter((e) => e.ready).map((e) => `${e.ip}:${e.port}`));
  }
  return m;
}

/** kube-proxy's configuration on one node (from the kube-proxy ConfigMap and the Node). */
export function proxierConfig(c: Cluster, nodeName: string, node = c.spec.nodes.find((n) => n.name === nodeName)!): ProxierConfig {
  return {
    nodeName,
    nodeIPs: [node.internalIP],
    clusterCIDR: c.spec.kubeProxy.clusterCIDR,
    masqueradeBit: 14,
    masqueradeAll: c.spec.kubeProxy.masqueradeAll,
    localhostNodePorts: true,
    hasRandomFully: true,
    serviceCIDRs: c.spec.serviceCIDR ? [c.spec.serviceCIDR] : [],
    nodePortAddresses: c.spec.kubeProxy.nodePortAddresses,
  };
}

/**
 * kube-proxy on every node, in the mode the cluster runs: it watches the same Services and
 * EndpointSlices everywhere, so every node gets the same service rules (with its own node IP).
 */
export function syncKubeProxy(c: Cluster): void {
  const services = servicePorts(c.spec);
  const specs = new Map(c.spec.nodes.map((n) => [n.name, n]));
  for (const [name, ns] of c.nodes) {
    const config = proxierConfig(c, name, specs.get(name));
    if (c.modes.proxy === 'iptables') {
      const r = KubeProxyIptables.sync(ns.nf, services, config);
      if (!r.ok) throw new ControllerError(`kube-proxy sync on ${name}`, r.error);
    } else if (c.modes.proxy === 'ipvs') {
      const r = parts.kubeProxyIpvs.get().KubeProxyIpvs.sync(c.world, ns, services, { ...config, scheduler: c.modes.scheduler });
      if (!r.ok) throw new ControllerError(`kube-proxy sync on ${name}`, r.error);
    } else {
      const r = parts.kubeProxyNftables.get().KubeProxyNftables.sync(ns, services, config, c.world.timeUs);
      if (!r.ok) throw new ControllerError(`kube-proxy sync on ${name}`, r.error);
    }
  }
}

/**
 * A controller could not program a node from the objects it was given (kube-proxy's
 * iptables-restore refused its own payload). The build stops and the caller reports it as a
 * value: where, and what the component said.
 */
export class ControllerError extends Error {
  constructor(
    readonly where: string,
    message: string,
  ) {
    super(message);
  }
}
