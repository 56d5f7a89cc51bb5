import type { TopoNamespace } from '../../sim/api-types.ts';
import type { ContainerView } from '../../worker/protocol.ts';

/**
 * What the topology says about Docker containers, read from the namespace names the core gives
 * (`web+sidecar`: the containers sharing one namespace) and, when the worker has sent them, the
 * containers of the cluster file (images, modes, ports; host-mode containers have no namespace).
 */

export interface NamespaceMembers {
  /** the containers whose processes run in this namespace, the namespace's owner first */
  readonly names: readonly string[];
  /** the app containers, without a pod's pause container */
  readonly apps: readonly string[];
  readonly pod?: string;
  /** `docker0 (bridge)`, `network backend`, `none: lo only` */
  readonly mode?: string;
  /** one line per container for the tooltip: `web  nginx:1.25  80/tcp  0.0.0.0:8080->80/tcp` */
  readonly details: readonly string[];
}

const isPause = (c: ContainerView) => /(^|\/)pause(:|$)/.test(c.image);

/** The containers of a container namespace. Without container data, the names in `web+sidecar`. */
export function namespaceMembers(ns: TopoNamespace, host: string, containers: readonly ContainerView[]): NamespaceMembers {
  const parts = ns.name.split('+');
  const mine = containers.filter((c) => c.host === host);
  const owner = mine.find((c) => c.name === parts[0] && c.owner === c.name);
  if (!owner) return { names: parts, apps: parts, details: [] };
  const members = [owner, ...mine.filter((c) => c.owner === owner.name && c !== owner)];
  const mode =
    owner.mode === 'none' ? 'none: lo only' : owner.mode === 'bridge' ? (owner.network === 'bridge' || !owner.network ? 'docker0 (bridge)' : `network ${owner.network}`) : owner.mode;
  return {
    names: members.map((c) => c.name),
    apps: members.filter((c) => !isPause(c)).map((c) => c.name),
    ...(owner.pod ? { pod: owner.pod } : {}),
    mode,
    details: members.map((c) => [c.name, c.image, c.listen.join(' '), c.publish.join(' ')].filter(Boolean).join('  ')),
  };
}

/** `hostnet: nginx :80 (host network)` for each host-mode container on `host`. */
export function hostNetworkBadges(host: string, containers: readonly ContainerView[]): { name: string; text: string; title: string }[] {
  return containers
    .filter((c) => c.host === host && c.mode === 'host')
    .map((c) => {
      const image = c.image.replace(/:[^/:]*$/, '').split('/').at(-1) ?? c.image;
      const ports = c.listen.map((l) => `:${l.replace('/tcp', '')}`).join(' ');
      return { name: c.name, text: `${c.name}: ${image}${ports ? ` ${ports}` : ''} (host network)`, title: `${c.name} (${c.image}) runs in ${host}'s own network namespace: --network host${c.listen.length ? `, listening on ${c.listen.join(', ')}` : ''}` };
    });
}
