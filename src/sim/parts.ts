import * as shell from './cli/exec.ts';
import * as clusterDecoder from './k8s/import/decode.ts';
import * as specEdits from './k8s/spec-edits.ts';
import * as clusterReader from './k8s/spec.ts';
import * as derivedClusters from './scenarios/derived-clusters.ts';
import * as calico from './k8s/calico/node.ts';
import * as flannelNftables from './k8s/flannel-nftables.ts';
import * as kubeProxyIpvs from './k8s/kube-proxy/ipvs.ts';
import * as kubeProxyNftables from './k8s/kube-proxy/nftables.ts';
import { eagerPart } from './part.ts';

/**
 * The simulation's on-demand parts as Node has them: all there from the start. The worker's
 * build replaces this module with parts.lazy.ts (same names, fetched on first need); see part.ts.
 */
export const parts = {
  /** the commands a terminal runs (`ip`, `iptables`, `kubectl`, `| grep` with re2js, …) */
  shell: eagerPart('shell', shell),
  /** reading and checking a cluster file (YAML or JSON): the seed comes read already */
  clusterReader: eagerPart('cluster reader', clusterReader),
  /** a cluster file's objects with their lines (the share link's compact form) */
  clusterDecoder: eagerPart('cluster decoder', clusterDecoder),
  /** `kubectl delete|scale|expose|apply` on the objects */
  specEdits: eagerPart('object edits', specEdits),
  /** the built-in cluster files made from others (the seed's variants, generated, kubectl dumps) */
  derivedClusters: eagerPart('cluster files', derivedClusters),
  /** kube-proxy's ipvs proxier (ipvs mode) */
  kubeProxyIpvs: eagerPart('kube-proxy ipvs', kubeProxyIpvs),
  /** kube-proxy's nftables proxier and the nft parser it loads its transaction with (nftables mode) */
  kubeProxyNftables: eagerPart('kube-proxy nftables', kubeProxyNftables),
  /** flanneld's `EnableNFTables` masquerading */
  flannelNftables: eagerPart('flannel nftables', flannelNftables),
  /** calico-node: IPAM, the CNI plugin, BIRD and Felix (a cluster on Calico) */
  calico: eagerPart('calico', calico),
};
