import { base64url, sha224 } from '../digest.ts';

/**
 * Felix's iptables rules as its iptables renderer writes them (felix/iptables/renderer.go,
 * match_builder.go, actions.go): each rule is match fragments and an action fragment, written
 * to iptables-restore with a `cali:` hash comment first. The hash chains through the rules of a
 * chain (generictables.RuleHashes: sha224 of the chain name, then of the previous hash and the
 * rule rendered with `HASH` in the comment's place; base64url, 16 characters), so these are the
 * comments a real node shows — `cali:wUHhoiAYhphO9Mso` for FORWARD's jump to cali-FORWARD.
 */
export interface FelixRule {
  /** rendered match fragments, in order (`--in-interface cali+`, `-m mark --mark 0/0x10000`) */
  readonly match: readonly string[];
  /** the action fragment (`--jump ACCEPT`), absent for a rule that only counts */
  readonly action?: string;
  /** extra `-m comment` fragments (escapeComment: unsafe characters become `_`) */
  readonly comment?: readonly string[];
}

export interface FelixChain {
  readonly name: string;
  readonly rules: readonly FelixRule[];
}

/** The mark bits Felix allocates from IptablesMarkMask 0xffff0000 (iptables mode, no endpoint marks). */
export const MARK = { accept: 0x10000, pass: 0x20000, scratch0: 0x40000, scratch1: 0x80000, all: 0xf0000 } as const;

const hexMark = (n: number): string => (n === 0 ? '0' : `0x${n.toString(16)}`);

/** The match and action builders Felix's rules use, rendered as match_builder.go / actions.go do. */
export const m = {
  inIface: (name: string) => `--in-interface ${name}`,
  outIface: (name: string) => `--out-interface ${name}`,
  markClear: (mark: number) => `-m mark --mark 0/${hexMark(mark)}`,
  markSet: (mark: number) => `-m mark --mark ${hexMark(mark)}/${hexMark(mark)}`,
  ctState: (states: string) => `-m conntrack --ctstate ${states}`,
  notCtState: (states: string) => `-m conntrack ! --ctstate ${states}`,
  protoNum: (n: number) => `-p ${n}`,
  destPorts: (...ports: number[]) => `-m multiport --destination-ports ${ports.join(',')}`,
  srcSet: (set: string) => `-m set --match-set ${set} src`,
  dstSet: (set: string) => `-m set --match-set ${set} dst`,
  notDstSet: (set: string) => `-m set ! --match-set ${set} dst`,
  dstAddrType: (t: string) => `-m addrtype --dst-type ${t}`,
  srcAddrType: (t: string, limitOut = false) => `-m addrtype --src-type ${t}${limitOut ? ' --limit-iface-out' : ''}`,
  notSrcAddrType: (t: string, limitOut = false) => `-m addrtype ! --src-type ${t}${limitOut ? ' --limit-iface-out' : ''}`,
} as const;

export const act = {
  jump: (chain: string) => `--jump ${chain}`,
  goto: (chain: string) => `--goto ${chain}`,
  accept: '--jump ACCEPT',
  drop: '--jump DROP',
  ret: '--jump RETURN',
  clearMark: (mark: number) => `--jump MARK --set-mark 0/${hexMark(mark)}`,
  setMark: (mark: number) => `--jump MARK --set-mark ${hexMark(mark)}/${hexMark(mark)}`,
  /** features.MASQFullyRandom: iptables ≥ 1.6.2 on a kernel with NF_NAT_RANGE_PROTO_RANDOM_FULLY */
  masq: '--jump MASQUERADE --random-fully',
} as const;

/** escapeComment: anything outside `[\w @%+=:,./-]` becomes `_`, so iptables-restore takes it verbatim. */
function escapeComment(c: string): string {
  return c.replace(/[^\w @%+=:,./-]/g, '_').slice(0, 256);
}

function render(chain: string, rule: FelixRule, hashFragment: string): string {
  const parts = ['-A', chain];
  if (hashFragment) parts.push(hashFragment);
  for (const c of rule.comment ?? []) parts.push(`-m comment --comment "${escapeComment(c)}"`);
  parts.push(...rule.match.filter((x) => x !== ''));
  if (rule.action) parts.push(rule.action);
  return parts.join(' ');
}

const encoder = new TextEncoder();

/**
 * generictables.RuleHashes for the rules of `chain` (Felix hashes rules it inserts into or
 * appends to a built-in chain as the chains `FORWARD` and `FORWARD*appends*`).
 */
export function ruleHashes(chain: string, rules: readonly FelixRule[]): string[] {
  let hash = sha224(encoder.encode(chain));
  return rules.map((r) => {
    const text = encoder.encode(render(chain, r, 'HASH'));
    const buf = new Uint8Array(hash.length + text.length);
    buf.set(hash);
    buf.set(text, hash.length);
    hash = sha224(buf);
    return base64url(hash).slice(0, 16);
  });
}

/** The iptables-restore lines Felix writes for the rules of `chain`, hashed as `hashChain`. */
export function restoreLines(chain: string, rules: readonly FelixRule[], hashChain = chain): string[] {
  const hashes = ruleHashes(hashChain, rules);
  return rules.map((r, i) => render(chain, r, `-m comment --comment "cali:${hashes[i]}"`));
}
