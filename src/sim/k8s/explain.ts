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
  if (e.kind === 'rule' && (chain.startsWith('cali-fw-') || chain.startsWith('cali-tw-')) && e.verdict?.startsWith('jump cali-p')) {
    return `This is Felix's per-pod ${chain.startsWith('cali-fw-') ? 'egress (from the workload)' : 'ingress (to the workload)'} chain: with no NetworkPolicy, only the namespace's profile applies, and it allows everything (it sets the 0x10000 accept bit).`;
  }
  if (e.kind === 'rule' && chain === 'cali-nat-outgoing' && e.verdict === 'MASQUERADE') {
    return 'The IP pool has natOutgoing: true, so Felix masquerades pod traffic that leaves the pool for anywhere else.';
  }
  if (e.kind === 'arp' && e.verdict === 'ee:ee:ee:ee:ee:ee') {
    return "This is Calico's trick: every pod's gateway is 169.254.1.1, an address nobody has; the CNI plugin set proxy_arp on the host side of each veth, whose MAC is always ee:ee:ee:ee:ee:ee.";
  }
  if (e.kind === 'user' && e.explanation.startsWith('flanneld decrements')) {
    return 'The seed calls flannel udp "generally not used": every packet crosses into user space and back on both nodes.';
  }
  if (e.kind === 'rule' && chain.startsWith('KUBE-SVC-') && e.verdict?.startsWith('jump KUBE-SEP-')) {
    return 'kube-proxy load-balances with `statistic mode random`: each endpoint rule is tried with the probability that leaves the remaining ones equal shares.';
  }
  return undefined;
}
