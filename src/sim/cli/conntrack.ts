import { isIpv4, type Ipv4 } from '../net/addr.ts';
import { isDstNat, isSrcNat, type Connection, type ConnState, type Tuple } from '../linux/conntrack.ts';
import type { NetNs } from '../linux/netns.ts';
import type { World } from '../linux/world.ts';
import type { CommandResult } from './ip.ts';

/**
 * `conntrack` (conntrack-tools 1.4.7 over libnetfilter_conntrack's default snprintf) for one
 * namespace's connection table. Entries print in table order, so line i is
 * `ns.conntrack.connections[i]` — the row a trace event's conntrack `ref.row` names.
 */

const PROG = 'conntrack v1.4.7 (conntrack-tools)';
const PROTONUM = { tcp: 6, udp: 17, icmp: 1 } as const;

function l4(t: Tuple, dir: 'orig' | 'reply'): string {
  if (t.proto === 'icmp') return `type=${dir === 'orig' ? 8 : 0} code=0 id=${t.sport} `;
  return `sport=${t.sport} dport=${t.dport} `;
}

/**
 * One entry as `conntrack -L` prints it (`-o extended` prefixes the layer-3 protocol). The
 * timeout is the one the entry's last packet set: the model's flows last microseconds, so the
 * seconds left are the full value.
 */
export function conntrackLine(c: ConnState, extended = false): string {
  const p = c.orig.proto;
  let s = extended ? `${'ipv4'.padEnd(8)} 2 ` : '';
  s += `${p.padEnd(8)} ${PROTONUM[p]} ${c.timeoutSec} `;
  if (p === 'tcp') s += `${c.tcpState ?? 'NONE'} `;
  s += `src=${c.orig.src} dst=${c.orig.dst} ${l4(c.orig, 'orig')}`;
  if (!c.seenReply) s += '[UNREPLIED] ';
  s += `src=${c.reply.src} dst=${c.reply.dst} ${l4(c.reply, 'reply')}`;
  if (c.assured) s += '[ASSURED] ';
  s += `mark=${c.mark} use=1`;
  return s;
}

/** `conntrack -L` rows: line i is `ns.conntrack.connections[i]`. */
export function conntrackLines(ns: NetNs): string[] {
  return ns.conntrack.connections.map((c) => conntrackLine(c));
}

interface CtFilter {
  proto?: Tuple['proto'];
  origSrc?: Ipv4;
  origDst?: Ipv4;
  replySrc?: Ipv4;
  replyDst?: Ipv4;
  sport?: number;
  dport?: number;
  replySport?: number;
  replyDport?: number;
  mark?: number;
  srcNat?: boolean;
  dstNat?: boolean;
  ipv6?: boolean;
}

function pick(c: Connection, f: CtFilter): boolean {
  if (f.ipv6) return false;
  if (f.proto !== undefined && c.orig.proto !== f.proto) return false;
  if (f.origSrc !== undefined && c.orig.src !== f.origSrc) return false;
  if (f.origDst !== undefined && c.orig.dst !== f.origDst) return false;
  if (f.replySrc !== undefined && c.reply.src !== f.replySrc) return false;
  if (f.replyDst !== undefined && c.reply.dst !== f.replyDst) return false;
  if (f.sport !== undefined && c.orig.sport !== f.sport) return false;
  if (f.dport !== undefined && c.orig.dport !== f.dport) return false;
  if (f.replySport !== undefined && c.reply.sport !== f.replySport) return false;
  if (f.replyDport !== undefined && c.reply.dport !== f.replyDport) return false;
  if (f.mark !== undefined && c.mark !== f.mark) return false;
  // NFCT_GOPT_IS_SNAT/DNAT: the reply tuple no longer mirrors the original one
  const snat = isSrcNat(c);
  const dnat = isDstNat(c);
  if (f.srcNat && f.dstNat) return snat || dnat;
  if (f.srcNat && !snat) return false;
  if (f.dstNat && !dnat) return false;
  return true;
}

const tryHelp = "Try `conntrack -h' or 'conntrack --help' for more information.";
const paramProblem = (msg: string) => ({ ok: false as const, error: `${PROG}: ${msg}\n${tryHelp}` });

/**
 * `conntrack -L|-C|-D|-F [filters]`, argv without the leading `conntrack`. The summary the real
 * tool prints on stderr (`N flow entries have been shown.`) is returned as `stderr`.
 */
export function conntrackCommand(_world: World, ns: NetNs, argv: readonly string[]): CommandResult {
  let command: 'list' | 'count' | 'delete' | 'flush' | 'version' | undefined;
  let extended = false;
  const f: CtFilter = {};
  const setCmd = (c: NonNullable<typeof command>) => {
    if (command !== undefined && command !== c) return false;
    command = c;
    return true;
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i]!;
    let inline: string | undefined;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    if (eq > 0) {
      inline = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const val = (): string | undefined => inline ?? argv[++i];
    const addr = (key: keyof CtFilter): string | undefined => {
      const v = val();
      if (v === undefined) return `option requires an argument -- '${a.replace(/^-+/, '')}'`;
      if (!isIpv4(v)) return `Invalid IP address \`${v}'.`;
      (f as Record<string, unknown>)[key] = v;
      return undefined;
    };
    const port = (key: keyof CtFilter): string | undefined => {
      if (f.proto === undefined || f.proto === 'icmp') return `unrecognized option '${a}'`;
      const v = val();
      if (v === undefined || !/^\d+$/.test(v) || Number(v) > 65535) return `invalid port \`${v ?? ''}'`;
      (f as Record<string, unknown>)[key] = Number(v);
      return undefined;
    };
    let err: string | undefined;
    switch (a) {
      case '-L':
      case '--dump':
        if (argv[i + 1] === 'conntrack') i++;
        else if (argv[i + 1] === 'expect') return { ok: true, output: '', mutates: false, stderr: `${PROG}: 0 expectations have been shown.\n` };
        if (!setCmd('list')) err = 'Invalid commands combination';
        break;
      case '-C':
      case '--count':
        if (!setCmd('count')) err = 'Invalid commands combination';
        break;
      case '-D':
      case '--delete':
        if (!setCmd('delete')) err = 'Invalid commands combination';
        break;
      case '-F':
      case '--flush':
        if (argv[i + 1] === 'conntrack') i++;
        if (!setCmd('flush')) err = 'Invalid commands combination';
        break;
      case '-V':
      case '--version':
        if (!setCmd('version')) err = 'Invalid commands combination';
        break;
      case '-E':
      case '--event':
      case '-S':
      case '--stats':
      case '-G':
      case '--get':
      case '-I':
      case '--create':
      case '-U':
      case '--update':
        return { ok: false, error: `kube-packet-lab: conntrack ${a} is not part of the simulated kernel (use -L, -C, -D or -F)` };
      case '-p':
      case '--proto':
      case '--protonum': {
        const v = val()?.toLowerCase();
        const byNum: Record<string, Tuple['proto']> = { '6': 'tcp', '17': 'udp', '1': 'icmp' };
        const p = v === 'tcp' || v === 'udp' || v === 'icmp' ? v : v !== undefined ? byNum[v] : undefined;
        if (!p) return paramProblem(v === undefined ? 'proto needed' : `unknown protocol \`${v}'`);
        f.proto = p;
        break;
      }
      case '-s':
      case '--src':
      case '--orig-src':
        err = addr('origSrc');
        break;
      case '-d':
      case '--dst':
      case '--orig-dst':
        err = addr('origDst');
        break;
      case '-r':
      case '--reply-src':
        err = addr('replySrc');
        break;
      case '-q':
      case '--reply-dst':
        err = addr('replyDst');
        break;
      case '--sport':
      case '--orig-port-src':
        err = port('sport');
        break;
      case '--dport':
      case '--orig-port-dst':
        err = port('dport');
        break;
      case '--reply-port-src':
        err = port('replySport');
        break;
      case '--reply-port-dst':
        err = port('replyDport');
        break;
      case '-m':
      case '--mark': {
        const v = val();
        if (v === undefined || !/^(0x[0-9a-f]+|\d+)$/i.test(v)) return paramProblem(`Bad parameter \`${v ?? ''}'`);
        f.mark = Number(v);
        break;
      }
      case '-n':
      case '--src-nat':
        f.srcNat = true;
        break;
      case '-g':
      case '--dst-nat':
        f.dstNat = true;
        break;
      case '-f':
      case '--family': {
        const v = val();
        if (v === 'ipv4') break;
        if (v === 'ipv6') {
          f.ipv6 = true;
          break;
        }
        return paramProblem('Unknown protocol family');
      }
      case '-o':
      case '--output': {
        const v = val() ?? '';
        for (const o of v.split(',')) {
          if (o === 'extended') extended = true;
          else if (o === 'id' || o === 'ktimestamp' || o === 'timestamp' || o === 'xml' || o === 'labels' || o === 'userspace')
            return { ok: false, error: `kube-packet-lab: conntrack -o ${o} is not simulated` };
          else return paramProblem(`Bad parameter \`${o}'`);
        }
        break;
      }
      case '-h':
      case '--help':
        return { ok: true, output: 'Command line interface for the connection tracking system. Version 1.4.7\nUsage: conntrack [commands] [options]\n', mutates: false };
      default:
        if (a.startsWith('--')) return { ok: false, error: `conntrack: unrecognized option '${a}'\n${tryHelp}` };
        if (a.startsWith('-')) return { ok: false, error: `conntrack: invalid option -- '${a.slice(1, 2)}'\n${tryHelp}` };
        return paramProblem(`Bad parameter \`${a}'`);
    }
    if (err !== undefined) return paramProblem(err);
  }

  const all = ns.conntrack.connections;
  switch (command) {
    case undefined:
      return paramProblem('no command specified');
    case 'version':
      return { ok: true, output: `${PROG}\n`, mutates: false };
    case 'count':
      return { ok: true, output: `${all.length}\n`, mutates: false };
    case 'list': {
      const shown = all.filter((c) => pick(c, f));
      return {
        ok: true,
        output: shown.map((c) => `${conntrackLine(c, extended)}\n`).join(''),
        mutates: false,
        stderr: `${PROG}: ${shown.length} flow entries have been shown.\n`,
      };
    }
    case 'flush': {
      const had = all.length > 0;
      ns.conntrack.clear();
      return { ok: true, output: '', mutates: had, stderr: `${PROG}: connection tracking table has been emptied.\n` };
    }
    case 'delete': {
      const victims = all.filter((c) => pick(c, f));
      let s = '';
      for (const c of victims) s += `${conntrackLine(c, extended)}\n`;
      if (victims.length > 0) {
        for (const c of victims) ns.conntrack.remove(c);
      }
      return { ok: true, output: s, mutates: victims.length > 0, stderr: `${PROG}: ${victims.length} flow entries have been deleted.\n` };
    }
  }
}
