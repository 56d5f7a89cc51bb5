import type { ContainerView, TopoDevice, TopoHost, TopoNamespace, Topology, TopoTunnel } from '../api-types.ts';
import { namespaceOwner } from './docker-spec.ts';
import type { ClusterSpec } from './spec.ts';
import type { Device } from '../linux/devices.ts';
import type { NetNs } from '../linux/netns.ts';
import type { Cluster } from './cluster.ts';

/** What the browser draws: every machine, its namespaces and devices, the wires and tunnels — read from the kernel model. */
export function topologyOf(c: Cluster): Topology {
  const hosts: TopoHost[] = [];
  for (const n of c.spec.nodes) {
    hosts.push({
      name: n.name,
      role: n.controlPlane ? 'master' : 'node',
      ip: n.internalIP,
      podCIDR: n.podCIDR,
      namespaces: namespacesOf(c, n.name),
    });
  }
  for (const h of c.spec.hosts) {
    hosts.push({ name: h.name, role: h.role, ip: h.interfaces[0]?.address, namespaces: namespacesOf(c, h.name) });
  }
  // Docker hosts; their containers' namespaces are kind 'container', named after the pod or `owner+joiner…`
  for (const h of c.spec.docker.hosts) {
    hosts.push({ name: h.name, role: 'docker-host', ip: h.address, namespaces: namespacesOf(c, h.name) });
  }
  const segments = [...c.world.segments.values()].map((s) => ({
    name: s.name,
    cidr: c.spec.networks.find((n) => n.name === s.name)?.cidr,
    members: s.ports.map((p) => ({ host: p.ns.host, dev: p.dev })),
  }));
  return { hosts, segments, tunnels: tunnelsOf(c) };
}

/**
 * The overlay's paths, read from the state that makes them: a VXLAN device's FDB remotes, the
 * routes through an IPIP device (their gateway is the far end), and the peers a TUN device's
 * program sends to (flanneld's UDP leases: the routes of the network through flannel0 lead there).
 */
function tunnelsOf(c: Cluster): TopoTunnel[] {
  const tunnels: TopoTunnel[] = [];
  for (const ns of c.nodes.values()) {
    for (const d of ns.devices.values()) {
      if (d.kind === 'vxlan') {
        for (const e of d.fdb) {
          const peer = c.world.ownerOf(e.dst);
          if (peer) tunnels.push({ fromHost: ns.host, toHost: peer.host, dev: d.name, vni: d.vni, kind: 'vxlan' });
        }
      }
      if (d.kind === 'ipip') {
        for (const r of ns.fib.routes) {
          const peer = r.dev === d.name && r.via ? c.world.ownerOf(r.via) : undefined;
          if (peer) tunnels.push({ fromHost: ns.host, toHost: peer.host, dev: d.name, kind: 'ipip' });
        }
      }
      if (d.kind === 'tun' && d.owner) {
        for (const ip of ns.processes.get(d.owner)?.peers?.() ?? []) {
          const peer = c.world.ownerOf(ip);
          if (peer) tunnels.push({ fromHost: ns.host, toHost: peer.host, dev: d.name, kind: 'udp' });
        }
      }
    }
  }
  return tunnels;
}

function namespacesOf(c: Cluster, host: string): TopoNamespace[] {
  const out: TopoNamespace[] = [];
  for (const ns of c.world.namespaces.values()) {
    if (ns.host !== host) continue;
    out.push({ name: ns.name, kind: ns.kind, ip: primaryIp(ns), devices: [...ns.devices.values()].map(deviceView) });
  }
  return out;
}

function primaryIp(ns: NetNs): string | undefined {
  for (const d of ns.devices.values()) {
    const a = d.addrs.find((x) => x.scope === 'global');
    if (a && d.kind !== 'dummy') return a.addr;
  }
  return undefined;
}

function deviceView(d: Device): TopoDevice {
  return {
    name: d.name,
    kind: d.kind,
    addrs: d.addrs.map((a) => `${a.addr}/${a.prefixLen}`),
    mac: d.mac,
    mtu: d.mtu,
    // kube-ipvs0 is never set up: drawn DOWN as `ip link` shows it
    up: d.up && !d.neverUp,
    master: d.master?.name,
    peer: d.kind === 'veth' && d.peer ? { netns: d.peer.netns.name, dev: d.peer.name } : undefined,
    segment: d.kind === 'nic' ? d.segment : undefined,
    vni: d.kind === 'vxlan' ? d.vni : undefined,
    ...(d.kind === 'tun' && d.owner ? { owner: d.owner } : {}),
    ...(d.kind === 'ipip' ? { remote: d.remote ?? 'any' } : {}),
    dstport: d.kind === 'vxlan' ? d.dstport : undefined,
  };
}

/**
 * The cluster file's containers as the topology draws them. The core's topology lists network
 * namespaces only, so a host-mode container (no namespace of its own) and the members of a
 * shared namespace are read from the Docker objects of the cluster file.
 */
export function containerViews(spec: ClusterSpec): ContainerView[] {
  const byName = new Map(spec.docker.containers.map((c) => [c.name, c]));
  return spec.docker.containers.map((c) => ({
    name: c.name,
    host: c.host,
    image: c.image,
    mode: c.mode,
    ...(c.network !== undefined ? { network: c.network } : {}),
    owner: namespaceOwner(c, byName).name,
    ...(c.pod !== undefined ? { pod: c.pod } : {}),
    listen: c.listen.map((l) => `${l.port}/${l.protocol.toLowerCase()}`),
    publish: c.publish.map((p) => `${p.hostIp}:${p.hostPort ?? '?'}->${p.containerPort}/${p.protocol}`),
  }));
}
