import type { FlowPreset } from '../api-types.ts';
import { cidrContains } from '../net/addr.ts';
import type { ClusterSpec } from '../k8s/spec.ts';

/**
 * The seed's scenarios as flows, chosen from whatever cluster is loaded (so a 5-node file gets
 * them too): the first pod is the client; targets are picked by where pods and services are.
 */
export function presetsFor(spec: ClusterSpec): FlowPreset[] {
  const out: FlowPreset[] = [];
  const first = spec.pods[0];
  if (!first) return out;
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
  return out;
}
