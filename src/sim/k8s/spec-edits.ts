import type { Result } from '../api-types.ts';
import type { ClusterSpec } from './spec.ts';

/**
 * `kubectl` commands that change the cluster's objects. They edit the spec — the API server's
 * state — and the controllers then re-program every node from it, as they would on a real
 * cluster (the EndpointSlice controller drops a deleted pod's endpoints; kube-proxy re-syncs).
 */
export function isSpecEdit(argv: readonly string[]): boolean {
  return argv[0] === 'kubectl' && (argv[1] === 'delete' || argv[1] === 'scale');
}

export function applySpecEdit(spec: ClusterSpec, argv: readonly string[]): Result<ClusterSpec> {
  const [, verb, kind, name, ...rest] = argv;
  const fail = (message: string): Result<ClusterSpec> => ({ ok: false, error: { code: 'KUBECTL', where: argv.join(' '), message } });
  const nsFlag = rest.indexOf('-n');
  const namespace = nsFlag >= 0 ? rest[nsFlag + 1] ?? 'default' : 'default';
  // kubectl's resource builder (cli-runtime resource/builder.go visitorResult)
  if (verb === 'delete' && kind !== undefined && (name === undefined || name.startsWith('-'))) {
    return fail('error: resource(s) were provided, but no name, label selector, or --all flag specified');
  }
  if (verb === 'delete' && (kind === 'pod' || kind === 'pods' || kind === 'po')) {
    const pod = spec.pods.find((p) => p.name === name && p.namespace === namespace);
    if (!pod) return fail(`Error from server (NotFound): pods "${name}" not found`);
    return {
      ok: true,
      value: {
        ...spec,
        pods: spec.pods.filter((p) => p !== pod),
        endpointSlices: spec.endpointSlices.map((s) => ({ ...s, endpoints: s.endpoints.filter((e) => e.podName !== pod.name && e.ip !== pod.ip) })),
      },
    };
  }
  if (verb === 'delete' && (kind === 'service' || kind === 'svc')) {
    const svc = spec.services.find((s) => s.name === name && s.namespace === namespace);
    if (!svc) return fail(`Error from server (NotFound): services "${name}" not found`);
    return { ok: true, value: { ...spec, services: spec.services.filter((s) => s !== svc), endpointSlices: spec.endpointSlices.filter((s) => !(s.serviceName === svc.name && s.namespace === svc.namespace)) } };
  }
  if (verb === 'delete' && (kind === 'node' || kind === 'nodes' || kind === 'no')) {
    // the Node object leaves the API; the machine and its pods keep running until someone
    // drains it, but flanneld's lease watch and Calico's BGP mesh drop it at once
    const node = spec.nodes.find((n) => n.name === name && !n.deleted);
    if (!node) return fail(`Error from server (NotFound): nodes "${name}" not found`);
    return { ok: true, value: { ...spec, nodes: spec.nodes.map((n) => (n === node ? { ...n, deleted: true } : n)) } };
  }
  return fail(`kubectl ${verb ?? ''} ${kind ?? ''}: only "kubectl delete pod|service|node NAME" change the cluster here`);
}
