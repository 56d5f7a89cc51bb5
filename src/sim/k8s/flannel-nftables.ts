import type { NftRuleset } from '../linux/nftables/ruleset.ts';
import { runNft } from '../linux/nftables/parser.ts';

/**
 * flanneld with `EnableNFTables: true` (pkg/trafficmngr/nftables/nftables.go): instead of its
 * FLANNEL-POSTRTG / FLANNEL-FWD iptables chains it keeps `table ip flannel-ipv4` (and an empty
 * `table ip6 flannel-ipv6`), each change one knftables transaction.
 */

const V4 = 'ip flannel-ipv4';

export interface FlannelNftOptions {
  /** `--ip-masq` */
  readonly ipMasq: boolean;
  /** `--iptables-forward-rules` */
  readonly forwardRules: boolean;
  /** checkRandomfully: the kernel takes `masquerade fully-random` (and `--ip-masq-fully-random-disable` is off) */
  readonly randomFully: boolean;
}

const DEFAULTS: FlannelNftOptions = { ipMasq: true, forwardRules: true, randomFully: true };

/**
 * The transactions flanneld runs at start-up, in order (main.go): Init (both tables), then
 * SetupAndEnsureMasqRules, then SetupAndEnsureForwardRules — each as knftables writes it.
 */
export function flannelNftTransactions(network: string, podCIDR: string, options: Partial<FlannelNftOptions> = {}): string[] {
  const o = { ...DEFAULTS, ...options };
  const out = [`add table ${V4} { comment "rules for flannel-ipv4" ; }\n`, `add table ip6 flannel-ipv6 { comment "rules for flannel-ipv6" ; }\n`];
  if (o.ipMasq) {
    const masquerade = o.randomFully ? 'masquerade fully-random' : 'masquerade';
    const rule = (r: string) => `add rule ${V4} postrtg ${r}`;
    out.push(
      [
        `add chain ${V4} postrtg { type nat hook postrouting priority 100 ; comment "chain to manage traffic masquerading by flannel" ; }`,
        `flush chain ${V4} postrtg`,
        // kube-proxy-marked traffic is left to kube-proxy (double NAT bug on some kernels)
        rule('meta mark 0x4000 return'),
        // no NAT inside the overlay network
        rule(`ip saddr ${podCIDR} ip daddr ${network} return`),
        rule(`ip saddr ${network} ip daddr ${podCIDR} return`),
        // external traffic arriving from the node that owns the pod address keeps its source
        rule(`ip saddr != ${podCIDR} ip daddr ${network} return`),
        // NAT what leaves the network, unless it is multicast
        rule(`ip saddr ${network} ip daddr != 224.0.0.0/4 ${masquerade}`),
        // masquerade anything headed towards flannel from the host
        rule(`ip saddr != ${network} ip daddr ${network} ${masquerade}`),
        '',
      ].join('\n'),
    );
  }
  if (o.forwardRules) {
    out.push(
      [
        `add chain ${V4} forward { type filter hook forward priority 0 ; comment "chain to accept flannel traffic" ; }`,
        `flush chain ${V4} forward`,
        `add rule ${V4} forward ip saddr ${network} accept`,
        `add rule ${V4} forward ip daddr ${network} accept`,
        '',
      ].join('\n'),
    );
  }
  return out;
}

/** flanneld's nftables traffic manager on one node; the first refused transaction's error, if any. */
export function flannelNftables(ns: { readonly nft: NftRuleset }, network: string, podCIDR: string, options: Partial<FlannelNftOptions> = {}): { ok: true } | { ok: false; error: string } {
  for (const tx of flannelNftTransactions(network, podCIDR, options)) {
    const r = runNft(ns.nft, tx, { file: '/dev/stdin' });
    if (!r.ok) return r;
  }
  return { ok: true };
}
