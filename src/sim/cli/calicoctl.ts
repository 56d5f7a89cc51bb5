import type { NetNs } from '../linux/netns.ts';
import type { Cluster } from '../k8s/cluster.ts';
import type { CommandResult } from './ip.ts';

/**
 * calicoctl (calicoctl/commands): `get ippool` in its table and wide forms (resourcemgr/ippool.go
 * headings, printed through a tabwriter with minwidth 5 and padding 3, each cell tab-terminated),
 * and `node status` (commands/node/status.go: BIRD's `show protocols`, drawn with go-pretty's
 * default table style).
 */
export function calicoctlCommand(c: Cluster, ns: NetNs, args: readonly string[]): CommandResult {
  const [verb, ...rest] = args;
  if (verb === 'get') return calicoctlGet(c, rest);
  if (verb === 'node' && rest[0] === 'status') return nodeStatus(c, ns);
  if (verb === undefined || verb === '--help' || verb === '-h') return { ok: false, error: USAGE };
  return { ok: false, error: `Invalid option: '${args.join(' ')}'.\n\n${USAGE}` };
}

const USAGE = `Usage:
  calicoctl get ippool [-o wide]
  calicoctl node status`;

const IPPOOL_KINDS = ['ippool', 'ippools', 'ipp', 'ipps', 'pool', 'pools'];

function calicoctlGet(c: Cluster, args: readonly string[]): CommandResult {
  const [kind, ...rest] = args;
  if (kind === undefined) return { ok: false, error: 'Invalid option: resource type is required.' };
  if (!IPPOOL_KINDS.includes(kind.toLowerCase())) return { ok: false, error: `Failed to get resources: resource type '${kind}' is not supported here (ippool)` };
  let wide = false;
  let name: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '-o' || a === '--output') {
      const v = rest[++i];
      if (v !== 'wide') return { ok: false, error: `Unrecognized output format '${v ?? ''}' (this lab prints the table and -o wide)` };
      wide = true;
    } else if (a === '-owide' || a === '--output=wide') wide = true;
    else if (a.startsWith('-')) return { ok: false, error: `Invalid option: '${a}'.` };
    else name = a;
  }
  if (!c.calico) return { ok: false, error: 'Failed to get resources: resource type "ippools" is not installed: this cluster runs flannel, not Calico (pick a calico backend: ipip, bgp or crosssubnet)' };
  const pools = c.calico.ipam.pools.filter((p) => name === undefined || p.name === name);
  if (name !== undefined && pools.length === 0) return { ok: false, error: `Failed to get resources: resource does not exist: IPPool(${name}) with error: ippools.crd.projectcalico.org "${name}" not found` };
  const head = wide ? ['NAME', 'CIDR', 'NAT', 'IPIPMODE', 'VXLANMODE', 'DISABLED', 'DISABLEBGPEXPORT', 'SELECTOR', 'ASSIGNMENTMODE'] : ['NAME', 'CIDR', 'SELECTOR'];
  const rows = pools.map((p) =>
    wide ? [p.name, p.cidr, String(p.natOutgoing), p.ipipMode, p.vxlanMode, String(p.disabled), 'false', p.nodeSelector, 'Automatic'] : [p.name, p.cidr, p.nodeSelector],
  );
  return { ok: true, output: `${tabwriter([head, ...rows])}\n`, mutates: false };
}

/** text/tabwriter with minwidth 5, padding 3: every cell is tab-terminated, so the last one is padded too. */
function tabwriter(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(5, ...rows.map((r) => (r[i] ?? '').length + 3)));
  return rows.map((r) => `${r.map((cell, i) => cell.padEnd(widths[i]!)).join('')}\n`).join('');
}

function nodeStatus(c: Cluster, ns: NetNs): CommandResult {
  const peers = ns.kind === 'root' ? c.calico?.peers.get(ns.host) : undefined;
  if (!peers) return { ok: false, error: 'Calico process is not running.' };
  let out = 'Calico process is running.\n\nIPv4 BGP status\n';
  if (peers.length === 0) out += 'No IPv4 peers found.\n';
  else {
    const rows = peers.map((p) => [p.ip, 'node-to-node mesh', p.state, birdSince(p.sinceUs), p.info]);
    out += goPrettyTable(['Peer address', 'Peer type', 'State', 'Since', 'Info'], rows);
  }
  // FELIX_IPV6SUPPORT=false in calico.yaml: bird6 is not started
  out += "\nINFO: BIRDv6 process: 'bird6' is not running.\n\n";
  return { ok: true, output: out, mutates: false };
}

/** BIRD's protocol `since` for a session that changed state today: the time of day. */
function birdSince(us: number): string {
  const d = new Date(Math.floor(us / 1000));
  return d.toISOString().slice(11, 19);
}

/** go-pretty table.StyleDefault: `+---+` rules, `| a | b |` rows, headers upper-cased and left-aligned. */
function goPrettyTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [head.map((h) => h.toUpperCase()), ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+\n`;
  const line = (r: readonly string[]) => `|${r.map((cell, i) => ` ${cell.padEnd(widths[i]!)} `).join('|')}|\n`;
  return rule + line(all[0]!) + rule + rows.map(line).join('') + rule;
}
