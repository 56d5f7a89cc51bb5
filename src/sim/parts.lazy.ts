import { lazyPart } from './part.ts';
import type { parts as eagerParts } from './parts.ts';

/**
 * The simulation's on-demand parts as the browser's worker has them: each a chunk of its own,
 * fetched when a call first needs it (vite.config.ts puts this module in place of parts.ts in
 * the worker's build). The type keeps the two lists the same.
 */
export const parts: typeof eagerParts = {
  shell: lazyPart('shell', () => import('./cli/exec.ts')),
  clusterReader: lazyPart('cluster reader', () => import('./k8s/spec.ts')),
  clusterDecoder: lazyPart('cluster decoder', () => import('./k8s/import/decode.ts')),
  specEdits: lazyPart('object edits', () => import('./k8s/spec-edits.ts')),
  derivedClusters: lazyPart('cluster files', () => import('./scenarios/derived-clusters.ts')),
  kubeProxyIpvs: lazyPart('kube-proxy ipvs', () => import('./k8s/kube-proxy/ipvs.ts')),
  kubeProxyNftables: lazyPart('kube-proxy nftables', () => import('./k8s/kube-proxy/nftables.ts')),
  flannelNftables: lazyPart('flannel nftables', () => import('./k8s/flannel-nftables.ts')),
  calico: lazyPart('calico', () => import('./k8s/calico/node.ts')),
};

/** How many parts there are: the most times one call can stop for a missing one. */
export const PART_COUNT = Object.keys(parts).length;
