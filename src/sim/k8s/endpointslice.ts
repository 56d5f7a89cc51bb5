import { targetPortOf } from './kube-proxy/controller.ts';
import { hashName } from './names.ts';
import type { ClusterSpec, EndpointSliceSpec, PodSpec, ServiceSpec } from './spec.ts';

/**
 * The EndpointSlice controller (pkg/controller/endpointslice), run for the Services an edit
 * touched: a running pod whose labels match a Service's selector becomes a ready endpoint in a
 * slice whose ports are that pod's resolved target ports; a pod that went away leaves every
 * slice. Services the edit did not touch keep their slices as the file had them (the seed's
 * slice is a snapshot of one moment on purpose).
 */

export function selects(svc: ServiceSpec, pod: { namespace: string; labels: Readonly<Record<string, string>> }): boolean {
  if (!svc.selector || svc.namespace !== pod.namespace) return false;
  return Object.entries(svc.selector).every(([k, v]) => Object.hasOwn(pod.labels, k) && pod.labels[k] === v);
}

/** The slice ports for one pod of a Service: each Service port's target resolved on that pod. */
function portsFor(svc: ServiceSpec, pod: PodSpec): EndpointSliceSpec['ports'] | undefined {
  const out: EndpointSliceSpec['ports'][number][] = [];
  for (const p of svc.ports) {
    const port = targetPortOf(p, pod);
    if (port !== undefined) out.push({ name: p.name, port, protocol: p.protocol });
  }
  return out.length > 0 ? out : undefined;
}

const samePorts = (a: EndpointSliceSpec['ports'], b: EndpointSliceSpec['ports']) =>
  a.length === b.length && a.every((x) => b.some((y) => y.name === x.name && y.port === x.port && y.protocol === x.protocol));

/** Slices after `removed` pods went away and `added` pods started. */
export function syncEndpointSlices(spec: ClusterSpec, added: readonly PodSpec[], removed: readonly PodSpec[]): EndpointSliceSpec[] {
  const gone = new Set(removed.map((p) => `${p.namespace}/${p.name}`));
  const goneIps = new Set(removed.filter((p) => !p.hostNetwork).map((p) => `${p.namespace}/${p.ip}`));
  let slices: EndpointSliceSpec[] = spec.endpointSlices.map((s) => ({
    ...s,
    endpoints: s.endpoints.filter((e) => !(e.podName !== undefined ? gone.has(`${s.namespace}/${e.podName}`) : goneIps.has(`${s.namespace}/${e.ip}`))),
  }));
  for (const pod of added) {
    for (const svc of spec.services) {
      if (!selects(svc, pod)) continue;
      slices = addEndpoint(slices, svc, pod);
    }
  }
  return slices;
}

function addEndpoint(slices: EndpointSliceSpec[], svc: ServiceSpec, pod: PodSpec): EndpointSliceSpec[] {
  const ports = portsFor(svc, pod);
  if (!ports) return slices; // podutil.FindPort: the pod has none of the named ports
  const endpoint = { ip: pod.ip, nodeName: pod.nodeName, ready: true, serving: true, terminating: false, podName: pod.name };
  const k = slices.findIndex((s) => s.namespace === svc.namespace && s.serviceName === svc.name && samePorts(s.ports, ports));
  if (k >= 0) {
    if (slices[k]!.endpoints.some((e) => e.ip === pod.ip)) return slices;
    return slices.map((s, i) => (i === k ? { ...s, endpoints: [...s.endpoints, endpoint] } : s));
  }
  const name = freeSliceName(slices, svc);
  return [...slices, { namespace: svc.namespace, name, serviceName: svc.name, endpoints: [endpoint], ports }];
}

function freeSliceName(slices: readonly EndpointSliceSpec[], svc: ServiceSpec): string {
  for (let i = 0; ; i++) {
    const name = `${svc.name}-${hashName(`${svc.namespace}/${svc.name}/${i}`)}`;
    if (!slices.some((s) => s.namespace === svc.namespace && s.name === name)) return name;
  }
}

/** A new Service's slices, as the controller writes them on creation: every running pod it selects. */
export function slicesForNewService(spec: ClusterSpec, svc: ServiceSpec): EndpointSliceSpec[] {
  let slices = spec.endpointSlices.filter((s) => !(s.namespace === svc.namespace && s.serviceName === svc.name));
  for (const pod of spec.pods) if (selects(svc, pod)) slices = addEndpoint(slices, svc, pod);
  // a Service with a selector always has a slice, if an empty one
  if (svc.selector && !slices.some((s) => s.namespace === svc.namespace && s.serviceName === svc.name)) {
    slices = [...slices, { namespace: svc.namespace, name: freeSliceName(slices, svc), serviceName: svc.name, endpoints: [], ports: [] }];
  }
  return slices;
}
