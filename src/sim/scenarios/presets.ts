import type { FlowPreset } from '../api-types.ts';
import { cidrContains } from '../net/addr.ts';
import { namespaceOwner, type ContainerSpec } from '../k8s/docker-spec.ts';
import type { ClusterSpec } from '../k8s/spec.ts';

/**
 * The seed's scenarios as flows, chosen from whatever cluster is loaded (so a 5-node file gets
 * them too): the first pod is the client; targets are picked by where pods and services are.
 */
export function presetsFor(spec: ClusterSpec): FlowPreset[] {
  const out: FlowPreset[] = [];
  const first = spec.pods[0];
  if (!first) return dockerPresets(spec);
  const remote = spec.pods.find((p) => p.nodeName !== first.nodeName);
  const byNode = new Map<string, typeof spec.pods[number][]>();
  for (const p of spec.pods) byNode.set(p.nodeName, [...(byNode.get(p.nodeName) ?? []), p]);
  const pair = [...byNode.values()].find((ps) => ps.length >= 2);
  const svc = spec.services.find((s) => s.selector) ?? spec.services[0];
  const nodePortSvc = spec.services.find((s) => s.ports.some((p) => p.nodePort !== undefined));
  const lan = spec.nodes[0] ? spec.networks.find((n) => cidrContains(n.cidr, spec.nodes[0]!.internalIP)) : undefined;
  const client = spec.hosts.find((h) => h.role === 'client' && h.interfaces.some((i) => i.network === lan?.name));
  const outside = spec.hosts.find((h) => h.listen.length > 0 && !h.interfaces.some((i) => i.network === lan?.name));

  if (remote) {
    out.push({ id: 'pod-pod-cross-node', label: `pod → pod across nodes (${first.ip} → ${remote.ip})`, flow: { from: first.name, to: `${remote.ip}:${remote.ports[0]?.port ?? 80}`, proto: 'tcp', kind: 'connect' } });
  }
  if (pair) {
    out.push({ id: 'pod-pod-same-node', label: `pod → pod on one node (${pair[0]!.ip} → ${pair[1]!.ip})`, flow: { from: pair[0]!.name, to: `${pair[1]!.ip}:${pair[1]!.ports[0]?.port ?? 80}`, proto: 'tcp', kind: 'connect' } });
  }
  if (svc) {
    out.push({ id: 'pod-clusterip', label: `pod → ClusterIP (${first.ip} → ${svc.clusterIP}:${svc.ports[0]!.port})`, flow: { from: first.name, to: `${svc.clusterIP}:${svc.ports[0]!.port}`, proto: svc.ports[0]!.protocol === 'UDP' ? 'udp' : 'tcp', kind: 'connect' } });
    const node = spec.nodes[0];
    if (node) out.push({ id: 'host-clusterip', label: `host → ClusterIP (${node.name} → ${svc.clusterIP}:${svc.ports[0]!.port})`, flow: { from: node.name, to: `${svc.clusterIP}:${svc.ports[0]!.port}`, proto: 'tcp', kind: 'connect' } });
  }
  if (nodePortSvc && client && spec.nodes[0]) {
    const np = nodePortSvc.ports.find((p) => p.nodePort !== undefined)!;
    out.push({ id: 'client-nodeport', label: `client → NodePort (${client.interfaces[0]!.address} → ${spec.nodes[0].internalIP}:${np.nodePort})`, flow: { from: client.name, to: `${spec.nodes[0].internalIP}:${np.nodePort}`, proto: 'tcp', kind: 'connect' } });
  }
  if (remote) {
    out.push({ id: 'ping', label: `ping ${remote.ip} from ${first.name}`, flow: { from: first.name, to: remote.ip, proto: 'icmp', kind: 'ping' } });
    out.push({ id: 'traceroute', label: `traceroute -n ${remote.ip} from ${first.name}`, flow: { from: first.name, to: remote.ip, proto: 'udp', kind: 'traceroute' } });
  }
  if (outside) {
    out.push({ id: 'pod-outside', label: `pod → outside (${first.ip} → ${outside.interfaces[0]!.address}:${outside.listen[0]!.port})`, flow: { from: first.name, to: `${outside.interfaces[0]!.address}:${outside.listen[0]!.port}`, proto: 'tcp', kind: 'connect' } });
  }
  return [...out, ...dockerPresets(spec)];
}

/**
 * Seed §2's flows on the file's first Docker host: container → container on one bridge, out
 * through MASQUERADE, a published port (DNAT) and a host-mode port from a LAN client, two
 * containers of one namespace over lo (container mode and a pod), the isolation between bridge
 * networks and a none container with no way out. Targets are container names (resolved to the
 * address the daemon gave them).
 */
function dockerPresets(spec: ClusterSpec): FlowPreset[] {
  const out: FlowPreset[] = [];
  const host = spec.docker.hosts[0];
  if (!host) return out;
  const mine = spec.docker.containers.filter((c) => c.host === host.name);
  const byName = new Map(spec.docker.containers.map((c) => [c.name, c]));
  /** the ports listened on in c's namespace by the other containers sharing it */
  const portsBesides = (c: ContainerSpec): number[] => mine.filter((x) => x !== c && namespaceOwner(x, byName) === namespaceOwner(c, byName)).flatMap((x) => x.listen.map((l) => l.port));
  const nsPorts = (owner: ContainerSpec): number[] => mine.filter((x) => namespaceOwner(x, byName) === owner).flatMap((x) => x.listen.map((l) => l.port));
  const onBridge = mine.filter((c) => c.mode === 'bridge');
  const a = onBridge.find((c) => c.network === 'bridge') ?? onBridge[0];
  const lan = host.network;
  const client = spec.hosts.find((h) => h.role === 'client' && h.interfaces.some((i) => i.network === lan));
  const outside = spec.hosts.find((h) => h.listen.length > 0 && !h.interfaces.some((i) => i.network === lan));
  if (a) {
    const b = onBridge.find((c) => c !== a && c.network === a.network && nsPorts(c).length > 0);
    if (b) out.push({ id: 'docker-bridge', label: `container → container on one bridge (${a.name} → ${b.name}:${nsPorts(b)[0]}, bridged)`, flow: { from: a.name, to: `${b.name}:${nsPorts(b)[0]}`, proto: 'tcp', kind: 'connect' } });
    if (outside) out.push({ id: 'docker-masquerade', label: `container → outside, MASQUERADE (${a.name} → ${outside.interfaces[0]!.address}:${outside.listen[0]!.port})`, flow: { from: a.name, to: `${outside.interfaces[0]!.address}:${outside.listen[0]!.port}`, proto: 'tcp', kind: 'connect' } });
    const other = onBridge.find((c) => c.network !== a.network && nsPorts(c).length > 0);
    if (other) out.push({ id: 'docker-isolation', label: `container → another bridge network, isolated (${a.name} → ${other.name}:${nsPorts(other)[0]})`, flow: { from: a.name, to: `${other.name}:${nsPorts(other)[0]}`, proto: 'tcp', kind: 'connect' } });
  }
  const published = mine.find((c) => c.publish.some((p) => p.hostPort !== undefined));
  if (client && published) {
    const p = published.publish.find((x) => x.hostPort !== undefined)!;
    out.push({ id: 'docker-published', label: `client → published port, DNAT (${host.address}:${p.hostPort} → ${published.name}:${p.containerPort})`, flow: { from: client.name, to: `${host.address}:${p.hostPort}`, proto: p.protocol, kind: 'connect' } });
  }
  const hostMode = mine.find((c) => c.mode === 'host' && c.listen.length > 0);
  if (client && hostMode) out.push({ id: 'docker-host-mode', label: `client → host-mode container (${host.address}:${hostMode.listen[0]!.port}, ${hostMode.name})`, flow: { from: client.name, to: `${host.address}:${hostMode.listen[0]!.port}`, proto: 'tcp', kind: 'connect' } });
  const sidecar = mine.find((c) => c.mode === 'container' && c.pod === undefined && portsBesides(c).length > 0);
  if (sidecar) out.push({ id: 'docker-container-lo', label: `container mode over lo (${sidecar.name} → 127.0.0.1:${portsBesides(sidecar)[0]} in ${sidecar.joins}'s namespace)`, flow: { from: sidecar.name, to: `127.0.0.1:${portsBesides(sidecar)[0]}`, proto: 'tcp', kind: 'connect' } });
  const inPod = mine.find((c) => c.pod !== undefined && c.mode === 'container' && portsBesides(c).some((p) => !c.listen.some((l) => l.port === p)));
  if (inPod) {
    const port = portsBesides(inPod).find((p) => !inPod.listen.some((l) => l.port === p))!;
    out.push({ id: 'docker-pod-lo', label: `pod ${inPod.pod}: container → container over lo (${inPod.name} → 127.0.0.1:${port})`, flow: { from: inPod.name, to: `127.0.0.1:${port}`, proto: 'tcp', kind: 'connect' } });
  }
  const none = mine.find((c) => c.mode === 'none');
  if (none && outside) out.push({ id: 'docker-none', label: `none container → outside (${none.name}: only lo, no route)`, flow: { from: none.name, to: `${outside.interfaces[0]!.address}:${outside.listen[0]!.port}`, proto: 'tcp', kind: 'connect' } });
  return out;
}
