import type { Ipv4 } from '../../net/addr.ts';
import type { NetNs } from '../../linux/netns.ts';
import { iptablesRestore, type IptablesResult } from '../../linux/netfilter/syntax.ts';
import { commitTables, stageTables } from '../../linux/netfilter/tables.ts';
import { base64url, sha256 } from '../digest.ts';
import { act, m, MARK, restoreLines, type FelixChain, type FelixRule } from './felix-rules.ts';

/** What Felix knows about this node when it renders its rules. */
export interface FelixConfig {
  readonly ipipEnabled: boolean;
  /** tunl0's address: the POSTROUTING rule that fixes host traffic into the tunnel needs one */
  readonly tunnelAddr?: Ipv4;
  /** the node's workloads: their host-side interface and the profiles of their namespace and service account */
  readonly workloads: readonly { readonly iface: string; readonly namespace: string; readonly serviceAccount: string }[];
  /** pools with natOutgoing (cali40masq-ipam-pools) and all pools (cali40network-ip-pools) */
  readonly masqPools: readonly string[];
  readonly allPools: readonly string[];
  /** every node's address (cali40all-hosts-net), where IPIP may come from */
  readonly hostIPs: readonly Ipv4[];
}

const IPSET = {
  masqPools: 'cali40masq-ipam-pools',
  allPools: 'cali40network-ip-pools',
  allHosts: 'cali40all-hosts-net',
} as const;

/** iptables' chain name limit; libcalico-go GetLengthLimitedID hashes what does not fit. */
const MAX_CHAIN = 28;

/** hash.GetLengthLimitedID: prefix + suffix, or prefix + "_" + base64url(sha256(suffix)) cut to fit. */
export function lengthLimitedId(prefix: string, suffix: string, max = MAX_CHAIN): string {
  if (prefix.length + suffix.length > max || (prefix.length + suffix.length === max && suffix.startsWith('_'))) {
    return `${prefix}_${base64url(sha256(new TextEncoder().encode(suffix))).slice(0, max - 1 - prefix.length)}`;
  }
  return prefix + suffix;
}

const denyComment = (what: string): string => `Drop ${what}`;

/**
 * endpointIptablesChain for a workload with no policies: conntrack shortcuts, clear the accept
 * and pass bits, drop encapsulated packets a workload tries to send (AllowVXLAN/IPIPPackets-
 * FromWorkloads are false), then each profile (the namespace's kns.*, the service account's ksa.*)
 * and "Drop if no profiles matched".
 */
function endpointChain(name: string, profilePrefix: string, profiles: readonly string[], egress: boolean): FelixChain {
  const rules: FelixRule[] = [
    { match: [m.ctState('RELATED,ESTABLISHED')], action: act.accept },
    { match: [m.ctState('INVALID')], action: act.drop },
    { match: [], action: act.clearMark(MARK.accept | MARK.pass) },
  ];
  if (egress) {
    rules.push(
      { match: [m.protoNum(17), m.destPorts(4789)], action: act.drop, comment: [denyComment('VXLAN encapped packets originating in workloads')] },
      { match: [m.protoNum(4)], action: act.drop, comment: [denyComment('IPinIP encapped packets originating in workloads')] },
    );
  }
  for (const p of profiles) {
    rules.push({ match: [], action: act.jump(lengthLimitedId(profilePrefix, p)) }, { match: [m.markSet(MARK.accept)], action: act.ret, comment: ['Return if profile accepted'] });
  }
  rules.push({ match: [], action: act.drop, comment: ['Drop if no profiles matched'] });
  return { name, rules };
}

/**
 * interfaceNameDispatchChains: names sorted, grouped by the character after their common prefix;
 * a group of one gets a `goto` in the root chain, a larger group a child chain of its own.
 */
function dispatchChains(root: string, names: readonly string[], match: (iface: string) => string, target: (iface: string) => string): FelixChain[] {
  const sorted = [...new Set(names)].sort();
  let common = sorted[0] ?? '';
  for (const n of sorted) while (!n.startsWith(common)) common = common.slice(0, -1);
  const groups = new Map<string, string[]>();
  for (const n of sorted) {
    const key = n.length > common.length ? n.slice(0, common.length + 1) : common;
    groups.set(key, [...(groups.get(key) ?? []), n]);
  }
  const end: FelixRule = { match: [], action: act.drop, comment: ['Unknown interface'] };
  const rootRules: FelixRule[] = [];
  const children: FelixChain[] = [];
  for (const [prefix, ifaces] of groups) {
    if (ifaces.length === 1) {
      rootRules.push({ match: [match(ifaces[0]!)], action: act.goto(target(ifaces[0]!)) });
      continue;
    }
    const child = `${root}-${prefix.slice(common.length)}`;
    rootRules.push({ match: [match(`${prefix}+`)], action: act.goto(child) });
    children.push({ name: child, rules: [...ifaces.map((i) => ({ match: [match(i)], action: act.goto(target(i)) })), end] });
  }
  return [...children, { name: root, rules: [...rootRules, end] }];
}

/** A profile that allows everything (a namespace's kns.*): its allow rule, the trailing RETURN stripped, the chain comment on the first rule. */
function profileChain(prefix: string, profile: string, allowAll: boolean, direction: string): FelixChain {
  const comment = [`Profile ${profile} ${direction}`];
  return { name: lengthLimitedId(prefix, profile), rules: [allowAll ? { match: [], action: act.setMark(MARK.accept), comment } : { match: [], comment }] };
}

/** Felix's filter and nat chains for one node (StaticFilterTableChains, StaticNATTableChains, the workload and dispatch chains). */
export function felixChains(cfg: FelixConfig): { filter: FelixChain[]; nat: FelixChain[] } {
  const ifaces = cfg.workloads.map((w) => w.iface);
  const input: FelixRule[] = [];
  if (cfg.ipipEnabled) {
    input.push(
      { match: [m.protoNum(4), m.srcSet(IPSET.allHosts), m.dstAddrType('LOCAL')], action: act.accept, comment: ['Allow IPIP packets from Calico hosts'] },
      { match: [m.protoNum(4)], action: act.drop, comment: [denyComment('IPIP packets from non-Calico hosts')] },
    );
  }
  input.push(
    { match: [m.inIface('cali+')], action: act.goto('cali-wl-to-host') },
    { match: [m.markSet(MARK.accept)], action: act.accept },
    { match: [], action: act.clearMark(MARK.all) },
    { match: [], action: act.jump('cali-from-host-endpoint') },
    { match: [m.markSet(MARK.accept)], action: act.accept, comment: ['Host endpoint policy accepted packet.'] },
  );
  const output: FelixRule[] = [{ match: [m.markSet(MARK.accept)], action: act.accept }, { match: [m.outIface('cali+')], action: act.ret }];
  if (cfg.ipipEnabled) output.push({ match: [m.protoNum(4), m.dstSet(IPSET.allHosts), m.srcAddrType('LOCAL')], action: act.accept, comment: ['Allow IPIP packets to other Calico hosts'] });
  output.push(
    { match: [], action: act.clearMark(MARK.all) },
    { match: [m.notCtState('DNAT')], action: act.jump('cali-to-host-endpoint') },
    { match: [m.markSet(MARK.accept)], action: act.accept, comment: ['Host endpoint policy accepted packet.'] },
  );
  const profiles = [...new Map(cfg.workloads.flatMap((w) => [[`kns.${w.namespace}`, true], [`ksa.${w.namespace}.${w.serviceAccount}`, false]] as const)).entries()];
  const filter: FelixChain[] = [
    {
      name: 'cali-FORWARD',
      rules: [
        { match: [], action: act.clearMark(MARK.all & ~MARK.accept) },
        { match: [m.markClear(MARK.accept)], action: act.jump('cali-from-hep-forward') },
        { match: [m.inIface('cali+')], action: act.jump('cali-from-wl-dispatch') },
        { match: [m.outIface('cali+')], action: act.jump('cali-to-wl-dispatch') },
        { match: [], action: act.jump('cali-to-hep-forward') },
        { match: [], action: act.jump('cali-cidr-block') },
      ],
    },
    { name: 'cali-INPUT', rules: input },
    { name: 'cali-wl-to-host', rules: [{ match: [], action: act.jump('cali-from-wl-dispatch') }, { match: [], action: act.accept, comment: ['Configured DefaultEndpointToHostAction'] }] },
    { name: 'cali-OUTPUT', rules: output },
    // no host endpoints and no blocked CIDRs: the dispatch chains exist, empty
    ...['cali-from-hep-forward', 'cali-to-hep-forward', 'cali-cidr-block', 'cali-from-host-endpoint', 'cali-to-host-endpoint'].map((name) => ({ name, rules: [] })),
    ...dispatchChains('cali-from-wl-dispatch', ifaces, m.inIface, (i) => lengthLimitedId('cali-fw-', i)),
    ...dispatchChains('cali-to-wl-dispatch', ifaces, m.outIface, (i) => lengthLimitedId('cali-tw-', i)),
    ...cfg.workloads.flatMap((w) => {
      const names = [`kns.${w.namespace}`, `ksa.${w.namespace}.${w.serviceAccount}`];
      return [endpointChain(lengthLimitedId('cali-tw-', w.iface), 'cali-pri-', names, false), endpointChain(lengthLimitedId('cali-fw-', w.iface), 'cali-pro-', names, true)];
    }),
    ...profiles.flatMap(([p, allow]) => [profileChain('cali-pri-', p, allow, 'ingress'), profileChain('cali-pro-', p, allow, 'egress')]),
  ];
  const postrouting: FelixRule[] = [{ match: [], action: act.jump('cali-fip-snat') }, { match: [], action: act.jump('cali-nat-outgoing') }];
  if (cfg.ipipEnabled && cfg.tunnelAddr) {
    postrouting.push({ match: [m.outIface('tunl0'), m.notSrcAddrType('LOCAL', true), m.srcAddrType('LOCAL')], action: act.masq });
  }
  const nat: FelixChain[] = [
    { name: 'cali-PREROUTING', rules: [{ match: [], action: act.jump('cali-fip-dnat') }] },
    { name: 'cali-POSTROUTING', rules: postrouting },
    { name: 'cali-OUTPUT', rules: [{ match: [], action: act.jump('cali-fip-dnat') }] },
    { name: 'cali-fip-dnat', rules: [] },
    { name: 'cali-fip-snat', rules: [] },
    { name: 'cali-nat-outgoing', rules: cfg.masqPools.length ? [{ match: [m.srcSet(IPSET.masqPools), m.notDstSet(IPSET.allPools)], action: act.masq }] : [] },
  ];
  return { filter, nat };
}

/**
 * Felix's iptables sync on one node: the ipsets first, then one iptables-restore --noflush per
 * table with its chains, and the jumps it keeps in the built-in chains — inserted at the top
 * (ChainInsertMode insert), except nat POSTROUTING, which it appends so kube-proxy's MASQUERADE
 * and mark clearing run first, and FORWARD's two accept rules, appended at the end.
 */
export function felixSync(ns: NetNs, cfg: FelixConfig): IptablesResult {
  const sets: [string, readonly string[]][] = [
    [IPSET.masqPools, cfg.masqPools],
    [IPSET.allPools, cfg.allPools],
    [IPSET.allHosts, cfg.hostIPs],
  ];
  for (const [name, entries] of sets) ns.ipsets.set(name, { name, type: 'hash:net', maxelem: 1048576, entries: new Set(entries) });
  const { filter, nat } = felixChains(cfg);
  const jump = (chain: string): FelixRule[] => [{ match: [], action: act.jump(chain) }];
  const insert = (builtin: string, chain: string): string =>
    restoreLines(builtin, jump(chain))
      .map((l) => l.replace(/^-A /, '-I '))
      .join('\n');
  const table = (name: string, chains: readonly FelixChain[], builtins: readonly string[]): string =>
    [`*${name}`, ...chains.map((c) => `:${c.name} - [0:0]`), ...chains.flatMap((c) => restoreLines(c.name, c.rules)), ...builtins, 'COMMIT', ''].join('\n');
  const staged = stageTables(ns.nf);
  const payload =
    table('filter', filter, [
      insert('INPUT', 'cali-INPUT'),
      insert('FORWARD', 'cali-FORWARD'),
      insert('OUTPUT', 'cali-OUTPUT'),
      ...restoreLines('FORWARD', [
        { match: [m.markSet(MARK.accept)], action: act.accept, comment: ['Policy explicitly accepted packet.'] },
        { match: [], action: act.setMark(MARK.accept) },
      ], 'FORWARD*appends*'),
    ]) +
    table('nat', nat, [insert('PREROUTING', 'cali-PREROUTING'), insert('OUTPUT', 'cali-OUTPUT'), ...restoreLines('POSTROUTING', jump('cali-POSTROUTING'), 'POSTROUTING*appends*')]);
  const r = iptablesRestore(staged, payload, { noflush: true, counters: false });
  if (!r.ok) return r;
  commitTables(ns.nf, staged);
  return { ok: true };
}
