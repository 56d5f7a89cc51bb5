import { intToIp, ipToInt, parseCidr, prefixToString, type Cidr, type Ipv4 } from '../net/addr.ts';
import { fnv32a } from './names.ts';
import { NODE_PORT_RANGE } from './spec-read-service.ts';
import type { ClusterSpec } from './spec.ts';

/**
 * The API server's allocators for a new Service: a ClusterIP from the service range and a
 * NodePort from 30000-32767. The real ones pick at random (dynamic ClusterIPs from the upper
 * part of the range, KEP-3070); these pick from a hash of the Service's name, so the same edit
 * always gives the same address.
 */

/** The service range: the one the file states, else the /16 around its ClusterIPs, else kubeadm's default. */
export function serviceRange(spec: ClusterSpec): Cidr {
  if (spec.serviceCIDR) return spec.serviceCIDR;
  const first = spec.services.find((s) => s.namespace === 'default' && s.name === 'kubernetes') ?? spec.services[0];
  return first ? prefixToString(parseCidr(`${first.clusterIP}/16`)) : ('10.96.0.0/12' as Cidr);
}

export function allocateClusterIP(spec: ClusterSpec, key: string): Ipv4 | undefined {
  const p = parseCidr(serviceRange(spec));
  const size = 2 ** (32 - p.len);
  const taken = new Set(spec.services.map((s) => ipToInt(s.clusterIP)));
  // the upper half first (KEP-3070: static assignments take the lower part), then the rest
  const lower = Math.min(Math.max(16, Math.floor(size / 16)), Math.floor(size / 2));
  const start = lower + (fnv32a(key) % Math.max(1, size - lower - 1));
  for (let k = 0; k < size; k++) {
    const off = ((start - 2 + k) % (size - 2)) + 2; // never the network address nor .1 (the kubernetes Service's)
    const ip = p.net + off;
    if (off < size - 1 && !taken.has(ip)) return intToIp(ip);
  }
  return undefined;
}

export function allocateNodePort(spec: ClusterSpec, key: string, protocol: string): number | undefined {
  const [lo, hi] = NODE_PORT_RANGE;
  const taken = new Set(spec.services.flatMap((s) => s.ports.filter((p) => p.nodePort !== undefined && p.protocol === protocol).map((p) => p.nodePort!)));
  const size = hi - lo + 1;
  const start = fnv32a(`${key}/${protocol}`) % size;
  for (let k = 0; k < size; k++) {
    const port = lo + ((start + k) % size);
    if (!taken.has(port)) return port;
  }
  return undefined;
}
