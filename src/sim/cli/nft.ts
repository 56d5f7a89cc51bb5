import type { NetNs } from '../linux/netns.ts';
import { runNft } from '../linux/nftables/parser.ts';

type Run = { ok: true; output: string; mutates: boolean } | { ok: false; error: string };

const USAGE = 'Usage: nft [ options ] [ cmds... ]';

/**
 * `nft` on a host or in a pod: the command words joined into one command as nft does with its
 * argv, run against the namespace's nf_tables. Options: `-a` (handles), `-s` (stateless: no
 * counters' values, no expiry times), `-c` (check only), `-v`. A change is recorded as an edit
 * and replayed when the lab is rebuilt, like any other command that changes state.
 */
export function nftCommand(ns: NetNs, args: readonly string[], nowUs: number): Run {
  let handles = false;
  let stateless = false;
  let check = false;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-') || /^-\d/.test(a)) break;
    if (a === '-a' || a === '--handle') handles = true;
    else if (a === '-s' || a === '--stateless') stateless = true;
    else if (a === '-c' || a === '--check') check = true;
    else if (a === '-n' || a === '--numeric' || a === '-nn' || a === '-y' || a === '--numeric-priority') continue;
    else if (a === '-v' || a === '--version') return { ok: true, output: 'nftables v1.0.6 (Lester Gooch #5)\n', mutates: false };
    else if (a === '-j' || a === '--json') return { ok: false, error: 'nft: JSON output is not modelled here; use the plain listing' };
    else if (a === '-f' || a === '--file') return { ok: false, error: 'nft -f: this lab has no files; give the commands as arguments (nft add rule ip t c …), or several separated by \\;' };
    else return { ok: false, error: `nft: unrecognized option '${a}'\n${USAGE}` };
  }
  const text = args.slice(i).join(' ');
  if (text.trim() === '') return { ok: false, error: USAGE };
  const list = { handles, nowUs: stateless ? undefined : nowUs };
  const before = ns.nft.generation;
  const r = runNft(ns.nft, text, { list, nowUs, check });
  if (!r.ok) return { ok: false, error: r.error.trimEnd() };
  return { ok: true, output: r.output, mutates: !check && ns.nft.generation !== before };
}
