import type { Ipv4 } from '../net/addr.ts';
import { hashName } from './names.ts';
import type { Reader } from './reader.ts';
import { labelsAt } from './spec-read.ts';
import type { EndpointSliceSpec, EndpointSpec, ServicePortSpec, ServiceSpec } from './spec.ts';
import { affinityTimeout, duplicate, invalid, nonSpecialIp, notSupported, portName, portNum, required, dns1123Label } from './validation.ts';

/**
 * Services and their endpoints as ValidateService / ValidateEndpointSlice check them
 * (kubernetes pkg/apis/core/validation, pkg/apis/discovery/validation), in the API server's
 * words. What kube-proxy ignores (ExternalName and headless Services, IPv6 and FQDN slices,
 * slices no Service owns) is left out with a note instead of refused.
 */

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;
type Protocol = (typeof PROTOCOLS)[number];

/** The NodePort allocator's range (kube-apiserver --service-node-port-range default). */
export const NODE_PORT_RANGE = [30000, 32767] as const;

function protocolAt(r: Reader, path: string): Protocol {
  const v = r.str(path, 'TCP');
  if (!(PROTOCOLS as readonly string[]).includes(v)) r.fail(path, notSupported(v, PROTOCOLS));
  return v as Protocol;
}

function portAt(r: Reader, path: string): number {
  const n = r.num(path);
  const e = portNum(n);
  if (e.length > 0) r.fail(path, invalid(n, e[0]!));
  return n;
}

export function readService(r: Reader, name: string, namespace: string, notes: string[], applying = false): ServiceSpec | undefined {
  const type = r.str('spec.type', 'ClusterIP');
  if (type === 'ExternalName') {
    notes.push(`Service ${namespace}/${name} is type ExternalName (a DNS CNAME): kube-proxy writes no rules for it`);
    return undefined;
  }
  if (type !== 'ClusterIP' && type !== 'NodePort' && type !== 'LoadBalancer') r.fail('spec.type', notSupported(type, ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort']));
  const clusterIPText = r.has('spec.clusterIP') ? r.str('spec.clusterIP') : r.has('spec.clusterIPs.0') ? r.str('spec.clusterIPs.0') : undefined;
  if (clusterIPText === 'None') {
    notes.push(`Service ${namespace}/${name} is headless (clusterIP: None): clients reach its pods directly, kube-proxy writes no rules for it`);
    return undefined;
  }
  const unallocated = clusterIPText === undefined || clusterIPText === '';
  if (unallocated && !applying) r.fail('spec.clusterIP', required('a dump of a running cluster has the allocated ClusterIP (kubectl get svc CLUSTER-IP)'));
  // '' until the allocator gives one (kubectl apply of a new Service)
  const clusterIP = unallocated ? ('' as Ipv4) : r.has('spec.clusterIP') ? r.ip('spec.clusterIP') : r.ip('spec.clusterIPs.0');
  const portList = r.list('spec.ports');
  if (portList.length === 0) r.fail('spec.ports', required());
  const names = new Set<string>();
  const ports = portList.map((_, k): ServicePortSpec => {
    const p = `spec.ports.${k}`;
    const pname = r.str(`${p}.name`, '');
    if (portList.length > 1 && pname === '') r.fail(`${p}.name`, required());
    if (pname !== '' && dns1123Label(pname).length > 0) r.fail(`${p}.name`, invalid(pname, dns1123Label(pname).join(', ')));
    if (names.has(pname)) r.fail(`${p}.name`, duplicate(pname));
    names.add(pname);
    const port = portAt(r, `${p}.port`);
    const nodePort = r.has(`${p}.nodePort`) ? r.num(`${p}.nodePort`) : undefined;
    if (nodePort !== undefined && type === 'ClusterIP') r.fail(`${p}.nodePort`, "Forbidden: may not be used when `type` is 'ClusterIP'");
    if (nodePort !== undefined && (nodePort < NODE_PORT_RANGE[0] || nodePort > NODE_PORT_RANGE[1])) {
      r.fail(`${p}.nodePort`, invalid(nodePort, `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_RANGE[0]}-${NODE_PORT_RANGE[1]}`));
    }
    return { name: pname, port, targetPort: targetPortAt(r, `${p}.targetPort`, port), ...(nodePort !== undefined ? { nodePort } : {}), protocol: protocolAt(r, `${p}.protocol`) };
  });
  const sessionAffinity = r.str('spec.sessionAffinity', 'None');
  if (sessionAffinity !== 'None' && sessionAffinity !== 'ClientIP') r.fail('spec.sessionAffinity', notSupported(sessionAffinity, ['ClientIP', 'None']));
  let timeout = 10800;
  if (r.has('spec.sessionAffinityConfig.clientIP.timeoutSeconds')) {
    const path = 'spec.sessionAffinityConfig.clientIP.timeoutSeconds';
    const raw = r.num(path, 10800);
    const e = affinityTimeout(raw);
    if (e.length > 0) r.fail(path, invalid(raw, e[0]!));
    if (sessionAffinity === 'None') r.fail('spec.sessionAffinityConfig', invalid('ClientIP', 'must not be set when session affinity is None'));
    timeout = raw;
  }
  const selector = labelsAt(r, 'spec.selector');
  const externalIPs = r.ips('spec.externalIPs');
  externalIPs.forEach((ip, k) => {
    const e = nonSpecialIp(ip);
    if (e.length > 0) r.fail(`spec.externalIPs.${k}`, invalid(ip, e[0]!));
  });
  return {
    namespace,
    name,
    labels: labelsAt(r, 'metadata.labels'),
    type,
    clusterIP,
    ports,
    ...(Object.keys(selector).length > 0 ? { selector } : {}),
    sessionAffinity,
    sessionAffinityTimeout: timeout,
    externalTrafficPolicy: r.oneOf('spec.externalTrafficPolicy', ['Cluster', 'Local'] as const, 'Cluster'),
    internalTrafficPolicy: r.oneOf('spec.internalTrafficPolicy', ['Cluster', 'Local'] as const, 'Cluster'),
    externalIPs,
  };
}

/** ValidatePortNumOrName: a number 1-65535, or an IANA service name of a container port. */
function targetPortAt(r: Reader, path: string, dflt: number): number | string {
  if (!r.has(path)) return dflt;
  const raw = r.str(path);
  if (/^-?\d+$/.test(raw) || /^-?\d+(\.\d+)?(e\d+)?$/i.test(raw)) {
    const n = r.num(path);
    const e = portNum(n);
    if (e.length > 0) r.fail(path, invalid(n, e[0]!));
    return n;
  }
  const e = portName(raw);
  if (e.length > 0) r.fail(path, invalid(raw, e.join(', ')));
  return raw;
}

export function readEndpointSlice(r: Reader, name: string, namespace: string, notes: string[]): EndpointSliceSpec | undefined {
  const addressType = r.str('addressType', 'IPv4');
  if (addressType !== 'IPv4') {
    if (addressType !== 'IPv6' && addressType !== 'FQDN') r.fail('addressType', notSupported(addressType, ['FQDN', 'IPv4', 'IPv6']));
    notes.push(`EndpointSlice ${namespace}/${name} holds ${addressType} addresses: this lab's cluster is IPv4 only, so it was left out`);
    return undefined;
  }
  const labels = labelsAt(r, 'metadata.labels');
  const serviceName = labels['kubernetes.io/service-name'];
  if (serviceName === undefined) {
    // kube-proxy's EndpointSliceCache skips a slice without it
    notes.push(`EndpointSlice ${namespace}/${name} has no kubernetes.io/service-name label: no Service owns it, kube-proxy ignores it`);
    return undefined;
  }
  const endpoints = r.list('endpoints').map((_, k): EndpointSpec => {
    const p = `endpoints.${k}`;
    const addrs = r.items(`${p}.addresses`);
    if (addrs.length === 0) r.fail(`${p}.addresses`, required('must contain at least 1 address'));
    if (addrs.length > 1) r.fail(`${p}.addresses`, invalid(addrs, 'must contain at most 1 address'));
    const ip = endpointIp(r, `${p}.addresses.0`);
    const podName = r.optStr(`${p}.targetRef.name`);
    return {
      ip,
      ...(r.has(`${p}.nodeName`) ? { nodeName: r.str(`${p}.nodeName`) } : {}),
      // EndpointConditions: a nil ready means ready (unless terminating)
      ready: r.bool(`${p}.conditions.ready`, !r.bool(`${p}.conditions.terminating`, false)),
      serving: r.bool(`${p}.conditions.serving`, r.bool(`${p}.conditions.ready`, true)),
      terminating: r.bool(`${p}.conditions.terminating`, false),
      ...(podName !== undefined ? { podName } : {}),
    };
  });
  const ports = r.list('ports').flatMap((_, k) => {
    // a nil port means "all ports"; kube-proxy skips it
    if (!r.has(`ports.${k}.port`)) return [];
    return [{ name: r.str(`ports.${k}.name`, ''), port: portAt(r, `ports.${k}.port`), protocol: protocolAt(r, `ports.${k}.protocol`) }];
  });
  return { namespace, name, serviceName, endpoints, ports };
}

function endpointIp(r: Reader, path: string): Ipv4 {
  const ip = r.ip(path);
  const e = nonSpecialIp(ip);
  if (e.length > 0) r.fail(path, invalid(ip, e[0]!));
  return ip;
}

/**
 * A v1 Endpoints object as the EndpointSlice mirroring controller turns it into a slice: ready
 * addresses and notReadyAddresses of every subset, its ports (only used when the file has no
 * EndpointSlices at all).
 */
export function readEndpoints(r: Reader, name: string, namespace: string): EndpointSliceSpec {
  const endpoints: EndpointSpec[] = [];
  const ports: EndpointSliceSpec['ports'][number][] = [];
  r.list('subsets').forEach((_, s) => {
    for (const [field, ready] of [['addresses', true], ['notReadyAddresses', false]] as const) {
      r.list(`subsets.${s}.${field}`).forEach((_a, k) => {
        const p = `subsets.${s}.${field}.${k}`;
        const podName = r.optStr(`${p}.targetRef.name`);
        endpoints.push({ ip: endpointIp(r, `${p}.ip`), ...(r.has(`${p}.nodeName`) ? { nodeName: r.str(`${p}.nodeName`) } : {}), ready, serving: ready, terminating: false, ...(podName !== undefined ? { podName } : {}) });
      });
    }
    r.list(`subsets.${s}.ports`).forEach((_p, k) => {
      const p = `subsets.${s}.ports.${k}`;
      const port = { name: r.str(`${p}.name`, ''), port: portAt(r, `${p}.port`), protocol: protocolAt(r, `${p}.protocol`) };
      if (!ports.some((x) => x.name === port.name && x.protocol === port.protocol)) ports.push(port);
    });
  });
  return { namespace, name: `${name}-${hashName(`${namespace}/${name}`)}`, serviceName: name, endpoints, ports };
}
