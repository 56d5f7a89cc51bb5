import { cidr } from '../net/addr.ts';
import { applyIptables, iptablesRestore } from '../linux/netfilter/syntax.ts';
import type { IptablesResult } from '../linux/netfilter/syntax.ts';
import { commitTables, stageTables } from '../linux/netfilter/tables.ts';
import type { Tables } from '../linux/netfilter/types.ts';

/**
 * flanneld's own iptables rules (pkg/trafficmngr/iptables/iptables.go): with `--ip-masq` the
 * FLANNEL-POSTRTG chain that masquerades pod traffic leaving the flannel network (but not
 * traffic kube-proxy already marked, nor pod↔pod traffic), and with `--iptables-forward-rules`
 * (default true) the FLANNEL-FWD chain that accepts forwarding to and from the network.
 */

/** One rule as flannel lists it: trafficmngr.IPTablesRule. */
export interface FlannelIptablesRule {
  readonly table: 'nat' | 'filter';
  readonly chain: string;
  readonly rulespec: readonly string[];
}

export interface FlannelIptablesOptions {
  /** `--ip-masq` (kube-flannel.yml sets it) */
  readonly ipMasq: boolean;
  /** `--iptables-forward-rules` (default true) */
  readonly forwardRules: boolean;
  /** iptables supports --random-fully and `--ip-masq-fully-random-disable` is not set */
  readonly randomFully: boolean;
}

const DEFAULTS: FlannelIptablesOptions = { ipMasq: true, forwardRules: true, randomFully: true };

/** trafficmngr.KubeProxyMark: kube-proxy's masquerade bit, so marked traffic is left to it. */
const KUBE_PROXY_MARK = '0x4000/0x4000';

/**
 * iptables.go masqRules then forwardRules, for the node whose lease is `podCIDR` inside the
 * flannel `network`: the order is flannel's, which is also the order they end up in the chains.
 */
export function flannelIptablesRules(
  network: string,
  podCIDR: string,
  options: Partial<FlannelIptablesOptions> = {},
): FlannelIptablesRule[] {
  const o = { ...DEFAULTS, ...options };
  const clusterCidr = cidr(network);
  const pod = cidr(podCIDR);
  const masqComment = ['-m', 'comment', '--comment', 'flanneld masq'];
  const masquerade = ['-j', 'MASQUERADE', ...(o.randomFully ? ['--random-fully'] : [])];
  const rules: FlannelIptablesRule[] = [];
  if (o.ipMasq) {
    const nat = (chain: string, ...spec: string[]): void => void rules.push({ table: 'nat', chain, rulespec: spec });
    // ensure the flannel rules run before other rules on the node
    nat('POSTROUTING', ...masqComment, '-j', 'FLANNEL-POSTRTG');
    // kube-proxy-marked traffic is not masqueraded twice (double NAT bug on some kernels)
    nat('FLANNEL-POSTRTG', '-m', 'mark', '--mark', KUBE_PROXY_MARK, ...masqComment, '-j', 'RETURN');
    // no NAT inside the overlay network
    nat('FLANNEL-POSTRTG', '-s', pod, '-d', clusterCidr, ...masqComment, '-j', 'RETURN');
    nat('FLANNEL-POSTRTG', '-s', clusterCidr, '-d', pod, ...masqComment, '-j', 'RETURN');
    // external traffic arriving from the node that owns the pod address keeps its source
    nat('FLANNEL-POSTRTG', '!', '-s', clusterCidr, '-d', pod, ...masqComment, '-j', 'RETURN');
    // NAT what leaves the network, unless it is multicast
    nat('FLANNEL-POSTRTG', '-s', clusterCidr, '!', '-d', '224.0.0.0/4', ...masqComment, ...masquerade);
    // masquerade anything headed towards flannel from the host
    nat('FLANNEL-POSTRTG', '!', '-s', clusterCidr, '-d', clusterCidr, ...masqComment, ...masquerade);
  }
  if (o.forwardRules) {
    const fwdComment = ['-m', 'comment', '--comment', 'flanneld forward'];
    rules.push(
      { table: 'filter', chain: 'FORWARD', rulespec: [...fwdComment, '-j', 'FLANNEL-FWD'] },
      { table: 'filter', chain: 'FLANNEL-FWD', rulespec: ['-s', clusterCidr, ...fwdComment, '-j', 'ACCEPT'] },
      { table: 'filter', chain: 'FLANNEL-FWD', rulespec: ['-d', clusterCidr, ...fwdComment, '-j', 'ACCEPT'] },
    );
  }
  return rules;
}

/** The same rules as `iptables` command lines (`-t nat -A POSTROUTING …`). */
export function flannelIptablesArgv(
  network: string,
  podCIDR: string,
  options: Partial<FlannelIptablesOptions> = {},
): string[][] {
  return flannelIptablesRules(network, podCIDR, options).map((r) => ['-t', r.table, '-A', r.chain, ...r.rulespec]);
}

/** iptables_restore.go buildIPTablesRestorePayload: the word after `--comment` is quoted. */
function restoreLine(words: readonly string[]): string {
  return words.map((w, i) => (words[i - 1] === '--comment' ? `"${w}"` : w)).join(' ');
}

/**
 * flanneld start-up on one node: CreateIP4Chain (go-iptables ClearChain: create, or flush if
 * present) for FLANNEL-POSTRTG and FLANNEL-FWD, then ipTablesBootstrap — one `iptables-restore
 * --noflush` per rule set that deletes each rule already present and appends it again, so the
 * rules end up together and in order at the end of their chains.
 */
export function flannelIptables(
  ns: { readonly nf: Tables },
  network: string,
  podCIDR: string,
  options: Partial<FlannelIptablesOptions> = {},
): IptablesResult {
  const staged = stageTables(ns.nf);
  const rules = flannelIptablesRules(network, podCIDR, options);
  const sets = [rules.filter((r) => r.table === 'nat'), rules.filter((r) => r.table === 'filter')];
  for (const set of sets) {
    const first = set[0];
    if (!first) continue;
    const own = first.table === 'nat' ? 'FLANNEL-POSTRTG' : 'FLANNEL-FWD';
    const cleared = applyIptables(staged, ['-t', first.table, staged[first.table].has(own) ? '-F' : '-N', own]);
    if (!cleared.ok) return cleared;
    const lines = [`*${first.table}`];
    for (const r of set) {
      if (applyIptables(staged, ['-t', r.table, '-C', r.chain, ...r.rulespec]).ok) {
        lines.push(restoreLine(['-D', r.chain, ...r.rulespec]));
      }
      lines.push(restoreLine(['-A', r.chain, ...r.rulespec]));
    }
    lines.push('COMMIT', '');
    const restored = iptablesRestore(staged, lines.join('\n'), { noflush: true, counters: false });
    if (!restored.ok) return restored;
  }
  commitTables(ns.nf, staged);
  return { ok: true };
}
