import { namespaceOwner } from '../sim/k8s/docker-spec.ts';
import type { ClusterSpec } from '../sim/k8s/spec.ts';
import type { ContainerView } from './protocol.ts';

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
