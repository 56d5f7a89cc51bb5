import { broadcastOf, intToIp, ipToInt, parseCidr, prefixContains, type Prefix } from '../net/addr.ts';
import type { Problem } from '../api-types.ts';
import type { SourceObject } from './import/decode.ts';
import { fieldPath } from './reader.ts';
import type { ClusterSpec, NodeSpec } from './spec.ts';
import { MAX_PROBLEMS } from './spec.ts';
import { invalid, nonSpecialIp } from './validation.ts';

/**
 * The checks across objects that make a cluster one that could exist: every address owned once,
 * pod subnets that do not overlap (found with a sorted interval sweep, O(n log n), so 1,000
 * nodes cost nothing), pods inside their node's subnet, ClusterIPs the allocator could have
 * handed out, hosts wired to real segments. Each problem names the object, field and line.
 */
export function checkCluster(spec: ClusterSpec, sources: ReadonlyMap<string, SourceObject>): Problem[] {
  const problems: Problem[] = [];
  const add = (object: string, field: string | undefined, message: string) => {
    if (problems.length >= MAX_PROBLEMS) return;
    const f = field === undefined ? undefined : fieldPath(field);
    const src = sources.get(object)?.src;
    const line = src ? (f === undefined ? src.line : src.lineOf(f)) : undefined;
    problems.push({ object, ...(f !== undefined ? { field: f } : {}), message, ...(line !== undefined ? { line } : {}) });
  };
  const owners = new Map<string, string>();
  const claim = (ip: string, who: string, field: string, what = 'IP') => {
    const prev = owners.get(ip);
    if (prev) add(who, field, `${what} ${ip} is already used by ${prev}`);
    else owners.set(ip, who);
  };

  // ---- networks and hosts --------------------------------------------------------------
  const nets = new Map(spec.networks.map((n) => [n.name, { spec: n, prefix: parseCidr(n.cidr) }]));
  for (const [a, b] of overlaps(spec.networks.map((n) => ({ who: n.name, prefix: parseCidr(n.cidr) })))) {
    add(`Network ${b.who}`, 'spec.cidr', `${prefixText(b.prefix)} overlaps Network ${a.who}'s ${prefixText(a.prefix)}: a segment is one subnet`);
  }
  for (const { spec: n, prefix } of nets.values()) {
    if (!n.gateway) continue;
    if (!prefixContains(prefix, ipToInt(n.gateway))) add(`Network ${n.name}`, 'spec.gateway', `${n.gateway} is outside ${n.cidr}: a gateway must be on-link (ip route add default via ${n.gateway}: "Error: Nexthop has invalid gateway.")`);
    else if (isEdge(prefix, n.gateway)) add(`Network ${n.name}`, 'spec.gateway', `${n.gateway} is the network or broadcast address of ${n.cidr}`);
  }
  const nodeNames = new Set(spec.nodes.map((n) => n.name));
  for (const h of spec.hosts) {
    const who = `Host ${h.name}`;
    if (nodeNames.has(h.name)) add(who, 'metadata.name', `"${h.name}" is already a Node's name: flows and shells pick machines by name`);
    h.interfaces.forEach((i, k) => {
      const net = nets.get(i.network);
      if (!net) return add(who, `spec.interfaces.${k}.network`, `no Network named "${i.network}"`);
      if (!prefixContains(net.prefix, ipToInt(i.address))) return add(who, `spec.interfaces.${k}.address`, `${i.address} is outside Network ${i.network}'s ${net.spec.cidr}`);
      if (isEdge(net.prefix, i.address)) return add(who, `spec.interfaces.${k}.address`, `${i.address} is the ${ipToInt(i.address) === net.prefix.net ? 'network' : 'broadcast'} address of ${net.spec.cidr}, not a host's`);
      claim(i.address, who, `spec.interfaces.${k}.address`);
    });
    const onLink = (via: string) => h.interfaces.some((i) => prefixContains(parseCidr(`${i.address}/${i.prefixLen}`), ipToInt(via)) && i.address !== via);
    if (h.gateway && !onLink(h.gateway)) add(who, 'spec.gateway', `${h.gateway} is not on any of the host's subnets (ip route add default via ${h.gateway}: "Error: Nexthop has invalid gateway.")`);
    h.routes.forEach((r, k) => {
      if (!onLink(r.via)) add(who, `spec.routes.${k}.via`, `${r.via} is not on any of the host's subnets (ip route add ${r.dst} via ${r.via}: "Error: Nexthop has invalid gateway.")`);
    });
  }

  // ---- nodes -------------------------------------------------------------------------
  const flannelNet = parseCidr(spec.flannel.network);
  const calico = spec.ipPools.length > 0;
  const nodeByName = new Map<string, { spec: NodeSpec; pod: Prefix }>();
  const macs = new Map<string, string>();
  for (const n of spec.nodes) {
    const who = `Node ${n.name}`;
    const pod = parseCidr(n.podCIDR);
    nodeByName.set(n.name, { spec: n, pod });
    const net = nets.get(n.network);
    if (!net) add(who, 'status.addresses', n.network ? `annotation kube-packet-lab.dev/network names no Network "${n.network}"` : `InternalIP ${n.internalIP} is on no Network of the file`);
    else if (!prefixContains(net.prefix, ipToInt(n.internalIP))) add(who, 'status.addresses', `InternalIP ${n.internalIP} is outside Network ${net.spec.name}'s ${net.spec.cidr}`);
    else if (isEdge(net.prefix, n.internalIP)) add(who, 'status.addresses', `InternalIP ${n.internalIP} is the network or broadcast address of ${net.spec.cidr}`);
    claim(n.internalIP, who, 'status.addresses', 'InternalIP');
    if (pod.len > 30) add(who, 'spec.podCIDR', `${n.podCIDR} leaves no room for cni0's gateway and a pod (at most /30)`);
    // Calico's IPAM hands out its pools' blocks; the podCIDR matters to flannel only
    if (!calico && (!prefixContains(flannelNet, pod.net) || pod.len < flannelNet.len)) add(who, 'spec.podCIDR', `${n.podCIDR} is outside the flannel Network ${spec.flannel.network}`);
    for (const l of nets.values()) {
      if (rangesOverlap(pod, l.prefix)) add(who, 'spec.podCIDR', `${n.podCIDR} overlaps the LAN ${l.spec.cidr} (Network ${l.spec.name})`);
    }
    if (n.vtepMac) {
      const prev = macs.get(n.vtepMac);
      if (prev) add(who, 'metadata.annotations[flannel.alpha.coreos.com/backend-data]', `VtepMAC ${n.vtepMac} is already node ${prev}'s: the FDB could not tell the two VTEPs apart`);
      else macs.set(n.vtepMac, n.name);
    }
  }
  for (const [a, b] of overlaps(spec.nodes.map((n) => ({ who: n.name, prefix: parseCidr(n.podCIDR) })))) {
    add(`Node ${b.who}`, 'spec.podCIDR', `${prefixText(b.prefix)} overlaps node ${a.who}'s ${prefixText(a.prefix)}`);
  }

  // ---- pods --------------------------------------------------------------------------
  for (const p of spec.pods) {
    const who = `Pod ${p.namespace}/${p.name}`;
    const node = nodeByName.get(p.nodeName);
    if (!node) {
      add(who, 'spec.nodeName', `no Node named "${p.nodeName}"`);
      continue;
    }
    if (p.hostNetwork) {
      if (p.ip !== node.spec.internalIP) add(who, 'status.podIP', `${p.ip} is not node ${node.spec.name}'s InternalIP ${node.spec.internalIP}; a hostNetwork pod has its node's address`);
      continue;
    }
    if (calico) {
      claim(p.ip, who, 'status.podIP'); // calico-ipam: from a pool's block (calico/ipam.ts notes one outside every pool)
      continue;
    }
    if (!prefixContains(node.pod, ipToInt(p.ip))) {
      add(who, 'status.podIP', `${p.ip} is outside node ${node.spec.name}'s podCIDR ${node.spec.podCIDR}`);
      continue;
    }
    const off = ipToInt(p.ip) - node.pod.net;
    const last = 2 ** (32 - node.pod.len) - 1;
    if (off === 0 || off === 1 || off === last) {
      add(who, 'status.podIP', `${p.ip} is the ${off === 0 ? 'network' : off === 1 ? 'gateway (cni0)' : 'broadcast'} address of ${node.spec.podCIDR}; host-local hands out ${intToIp(node.pod.net + 2)}-${intToIp(node.pod.net + last - 1)}`);
      continue;
    }
    claim(p.ip, who, 'status.podIP');
  }

  // ---- services ----------------------------------------------------------------------
  const serviceRange = spec.serviceCIDR ? parseCidr(spec.serviceCIDR) : undefined;
  const nodePorts = new Map<string, string>();
  for (const s of spec.services) {
    const who = `Service ${s.namespace}/${s.name}`;
    const ip = ipToInt(s.clusterIP);
    const special = nonSpecialIp(s.clusterIP);
    if (special.length > 0) add(who, 'spec.clusterIP', invalid(s.clusterIP, special[0]!));
    else if (serviceRange && !prefixContains(serviceRange, ip)) {
      add(who, 'spec.clusterIPs', invalid([s.clusterIP], `failed to allocate IP ${s.clusterIP}: provided IP is not in the valid range. The range of valid IPs is ${spec.serviceCIDR}`));
    } else if (prefixContains(flannelNet, ip)) {
      const node = spec.nodes.find((n) => prefixContains(parseCidr(n.podCIDR), ip));
      add(who, 'spec.clusterIP', invalid(s.clusterIP, `is inside the pod network ${spec.flannel.network}${node ? ` (node ${node.name}'s podCIDR ${node.podCIDR})` : ''}; the service range and the pod network must not overlap`));
    } else {
      const lan = [...nets.values()].find((l) => prefixContains(l.prefix, ip));
      if (lan) add(who, 'spec.clusterIP', invalid(s.clusterIP, `is on the LAN ${lan.spec.cidr} (Network ${lan.spec.name}); a ClusterIP is virtual and must be on no real segment`));
      else {
        const prev = owners.get(s.clusterIP);
        if (prev) add(who, 'spec.clusterIPs', invalid([s.clusterIP], `failed to allocate IP ${s.clusterIP}: provided IP is already allocated (by ${prev})`));
        else owners.set(s.clusterIP, who);
      }
    }
    const seen = new Set<string>();
    s.ports.forEach((p, k) => {
      const key = `${p.port}/${p.protocol}`;
      if (seen.has(key)) add(who, `spec.ports.${k}`, `Duplicate value: port ${key} is listed twice`);
      seen.add(key);
      if (p.nodePort !== undefined) {
        const npKey = `${p.nodePort}/${p.protocol}`;
        const prev = nodePorts.get(npKey);
        if (prev) add(who, `spec.ports.${k}.nodePort`, `provided port is already allocated: ${p.nodePort} is used by ${prev}`);
        else nodePorts.set(npKey, `${s.namespace}/${s.name}`);
      }
    });
  }
  for (const sl of spec.endpointSlices) {
    sl.endpoints.forEach((e, k) => {
      if (e.nodeName && !nodeByName.has(e.nodeName)) add(`EndpointSlice ${sl.namespace}/${sl.name}`, `endpoints.${k}.nodeName`, `no Node named "${e.nodeName}"`);
    });
  }
  return problems;
}

function prefixText(p: Prefix): string {
  return `${intToIp(p.net)}/${p.len}`;
}

/** the network or broadcast address of a subnet (a /31 and /32 have neither) */
function isEdge(p: Prefix, ip: string): boolean {
  if (p.len >= 31) return false;
  const n = ipToInt(ip);
  return n === p.net || intToIp(n) === broadcastOf(p);
}

function rangesOverlap(a: Prefix, b: Prefix): boolean {
  return prefixContains(a, b.net) || prefixContains(b, a.net);
}

/**
 * Every pair (earlier, later) of overlapping prefixes, found by sorting on the first address
 * and sweeping with the furthest end seen so far: O(n log n) instead of comparing all pairs.
 * Each later prefix is reported once, against the prefix that reaches furthest.
 */
export function overlaps<T extends { prefix: Prefix }>(items: readonly T[]): [T, T][] {
  const sorted = [...items].sort((x, y) => x.prefix.net - y.prefix.net || x.prefix.len - y.prefix.len);
  const out: [T, T][] = [];
  let reach: T | undefined;
  let end = -1;
  for (const it of sorted) {
    const last = it.prefix.net + 2 ** (32 - it.prefix.len) - 1;
    if (reach && it.prefix.net <= end) out.push([reach, it]);
    if (last > end) {
      end = last;
      reach = it;
    }
  }
  return out;
}
