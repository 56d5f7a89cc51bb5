import type { TraceEvent } from '../trace/event.ts';

/**
 * What a step means in the seed's (Kubernetes) terms, added on top of the kernel's neutral
 * explanation: the kernel model knows marks and FDBs, not who set them or why.
 */
export function inKubernetesTerms(e: TraceEvent): TraceEvent {
  const note = noteFor(e);
  return note ? { ...e, explanation: `${e.explanation} ${note}` } : e;
}

function noteFor(e: TraceEvent): string | undefined {
  const chain = e.ref?.chain ?? '';
  if (e.kind === 'rule' && chain === 'KUBE-MARK-MASQ') {
    return 'This is kube-proxy\'s "masquerade me" bit (0x4000): KUBE-POSTROUTING will MASQUERADE the packet on its way out.';
  }
  if (e.kind === 'rule' && chain === 'KUBE-POSTROUTING' && e.verdict === 'MASQUERADE') {
    return 'The packet carried kube-proxy\'s 0x4000 mark, so its source becomes the node\'s own address and replies come back through this node.';
  }
  if (e.kind === 'arp' && e.verdict === 'no reply' && e.dev?.startsWith('flannel.')) {
    return 'flannel never relies on ARP over its VTEP: it programs a permanent neighbour and an FDB entry per node instead.';
  }
  if (e.kind === 'rule' && chain.startsWith('KUBE-SVC-') && e.verdict?.startsWith('jump KUBE-SEP-')) {
    return 'kube-proxy load-balances with `statistic mode random`: each endpoint rule is tried with the probability that leaves the remaining ones equal shares.';
  }
  return undefined;
}
