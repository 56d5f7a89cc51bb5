import type { ExecResult, Result } from '../api-types.ts';
import type { NetNs } from '../linux/netns.ts';
import type { Cluster } from '../k8s/cluster.ts';
import { endpointsByServicePort } from '../k8s/kube-proxy/controller.ts';
import { sourceOf } from '../k8s/flows.ts';
import { applySpecEdit, isSpecEdit, splitHeredoc, type SpecEdit } from '../k8s/spec-edits.ts';
import { calicoctlCommand } from './calicoctl.ts';
import { brctlCommand, bridgeCommand, ipCommand, routeCommand } from './ip.ts';
import { conntrackCommand } from './conntrack.ts';
import { dockerCommand } from './docker.ts';
import { ipsetCommand, ipvsadmCommand } from './ipvs.ts';
import { ctime, iptablesSaveCommand, runIptables } from './iptables.ts';
import { kubectlCommand } from './kubectl.ts';
import { nftCommand } from './nft.ts';
import { escapeControl } from './escape.ts';
import { runFilter } from './grep.ts';
import { pingCommand, tracerouteCommand } from './ping.ts';

/**
 * A shell on a host or in a pod: the seed's commands, with `| grep` and `| head` as the seed
 * uses them. Every output is rendered from the kernel model's current state.
 */
export function execCommand(c: Cluster, target: string, line: string): Result<ExecResult> {
  const r = execRaw(c, target, line);
  return r.ok ? { ok: true, value: { ...r.value, output: escapeControl(r.value.output) } } : { ok: false, error: { ...r.error, where: escapeControl(r.error.where), message: escapeControl(r.error.message) } };
}

function execRaw(c: Cluster, target: string, line: string): Result<ExecResult> {
  const src = sourceOf(c, target);
  if (!src.ok) return fail('EXEC_TARGET', target, src.error.code === 'FLOW_FROM' ? `no host or pod named "${target}"` : src.error.message);
  const ns = src.value;
  // `kubectl apply -f - <<EOF`: the lines under it are its standard input, not more commands
  const { command, stdin } = splitHeredoc(line);
  const stages = stdin === undefined ? splitPipes(command) : [command];
  const argv = tokenize(stages[0] ?? '');
  if (!argv.ok) return fail('EXEC_PARSE', line, argv.error);
  if (stdin !== undefined && !isSpecEdit(argv.value)) return fail('EXEC_PARSE', command, 'only kubectl apply -f - reads a here-document here');
  const r = runOne(c, ns, argv.value, stdin);
  if (!r.ok) return fail('EXEC_COMMAND', `${target}: ${line}`, r.error);
  let output = r.output;
  for (const stage of stages.slice(1)) {
    const f = tokenize(stage);
    if (!f.ok) return fail('EXEC_PARSE', stage, f.error);
    const filtered = runFilter(output, f.value);
    if (!filtered.ok) return fail('EXEC_COMMAND', `${target}: ${line}`, filtered.error);
    output = filtered.output;
  }
  return { ok: true, value: { output, mutates: r.mutates } };
}

type Run = { ok: true; output: string; mutates: boolean } | { ok: false; error: string };

function fail(code: string, where: string, message: string): { ok: false; error: { code: string; where: string; message: string } } {
  return { ok: false, error: { code, where, message } };
}

/** The edit a command line makes to the objects (`kubectl delete|scale|expose|apply`), or undefined. */
export function specEditOf(line: string): SpecEdit | undefined {
  const { command, stdin } = splitHeredoc(line);
  const argv = tokenize(command);
  if (!argv.ok || !isSpecEdit(argv.value)) return undefined;
  return { argv: argv.value, ...(stdin !== undefined ? { stdin } : {}) };
}

function runOne(c: Cluster, ns: NetNs, argv: string[], stdin?: string): Run {
  const [cmd, ...args] = argv;
  switch (cmd) {
    case undefined:
      return { ok: true, output: '', mutates: false };
    case 'ip':
      return ipCommand(c.world, ns, args);
    case 'bridge':
      return bridgeCommand(c.world, ns, args);
    case 'route':
      return routeCommand(c.world, ns, args);
    case 'brctl':
      return brctlCommand(c.world, ns, args);
    case 'conntrack':
      return conntrackCommand(c.world, ns, args);
    case 'iptables': {
      const r = runIptables(ns.nf, args);
      return r.ok ? { ok: true, output: r.output, mutates: r.changed } : r;
    }
    case 'iptables-save': {
      const r = iptablesSaveCommand(ns.nf, args, ctime(c.world.timeUs));
      return r.ok ? { ...r, mutates: false } : r;
    }
    case 'kubectl': {
      if (isSpecEdit(argv)) {
        // validated against the current objects; the caller records it and the cluster is rebuilt with it
        const r = applySpecEdit(c.spec, { argv, ...(stdin !== undefined ? { stdin } : {}) });
        return r.ok ? { ok: true, output: r.value.output, mutates: true } : { ok: false, error: r.error.message };
      }
      return kubectlCommand(c.spec, endpointsByServicePort(c), args);
    }
    case 'ping':
      return pingCommand(c, ns, args);
    case 'traceroute':
      return tracerouteCommand(c, ns, args);
    case 'sysctl':
      return sysctl(ns, args);
    case 'docker':
      return dockerCommand(c, ns, args);
    case 'ipvsadm':
      return ipvsadmCommand(ns, args, { nowSec: Math.floor(c.world.timeUs / 1e6) });
    case 'ipset':
      return ipsetCommand(ns, args);
    case 'nft':
      return nftCommand(ns, args, c.world.timeUs);
    case 'calicoctl':
      return calicoctlCommand(c, ns, args);
    case 'hostname':
      return { ok: true, output: `${hostname(c, ns)}\n`, mutates: false };
    default:
      return { ok: false, error: `${cmd}: command not found` };
  }
}

/** The UTS name: the machine's, a pod's name, or — as Docker sets it — a container's short id. */
function hostname(c: Cluster, ns: NetNs): string {
  if (ns.kind === 'root') return ns.host;
  if (ns.kind === 'container') {
    const ct = c.docker.daemons.flatMap((d) => d.containers).find((x) => x.ns === ns && x.spec.mode !== 'host');
    if (ct) return ct.id.slice(0, 12);
  }
  return ns.name;
}

/** Splits on `|` outside quotes. */
function splitPipes(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = '';
      cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      cur += ch;
    } else if (ch === '|') {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/** Shell words: whitespace-separated, single and double quotes group, backslash escapes in double quotes. */
export function tokenize(s: string): { ok: true; value: string[] } | { ok: false; error: string } {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quote) {
      if (ch === quote) quote = '';
      else if (ch === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else cur += ch;
  }
  if (quote) return { ok: false, error: `unterminated ${quote} quote` };
  if (has || cur) out.push(cur);
  return { ok: true, value: out };
}

/** The sysctls the model keeps, by their /proc/sys names (a Map: a typed key never reaches Object.prototype). */
const SYSCTLS = new Map<string, keyof NetNs['sysctl']>([
  ['net.ipv4.ip_forward', 'ipForward'],
  ['net.bridge.bridge-nf-call-iptables', 'bridgeNfCallIptables'],
]);

/** procps sysctl: `sysctl KEY…` reads, `sysctl -w KEY=VALUE…` writes. */
function sysctl(ns: NetNs, args: string[]): Run {
  const write = args[0] === '-w';
  const items = write ? args.slice(1) : args;
  if (items.length === 0) return { ok: false, error: 'sysctl: no variables specified' };
  let out = '';
  for (const item of items) {
    const eq = item.indexOf('=');
    const k = eq < 0 ? item : item.slice(0, eq);
    const v = eq < 0 ? undefined : item.slice(eq + 1);
    if (write && v === undefined) return { ok: false, error: `sysctl: "${item}" must be of the form name=value` };
    // net.ipv4.conf.DEV.proxy_arp: per device (devinet.c IPV4_DEVCONF_PROXY_ARP)
    const perDev = /^net\.ipv4\.conf\.([^.]+)\.proxy_arp$/.exec(k);
    const dev = perDev ? ns.dev(perDev[1]!) : undefined;
    if (dev) {
      if (v !== undefined) {
        if (!write) return { ok: false, error: `sysctl: "${item}" must be of the form name=value with -w` };
        if (v !== '0' && v !== '1') return { ok: false, error: `sysctl: setting key "${k}": Invalid argument` };
        dev.proxyArp = v === '1';
      }
      out += `${k} = ${dev.proxyArp ? 1 : 0}\n`;
      continue;
    }
    const field = SYSCTLS.get(k);
    if (!field) return { ok: false, error: `sysctl: cannot stat /proc/sys/${k.replaceAll('.', '/')}: No such file or directory` };
    if (v !== undefined) {
      if (!write) return { ok: false, error: `sysctl: "${item}" must be of the form name=value with -w` };
      if (v !== '0' && v !== '1') return { ok: false, error: `sysctl: setting key "${k}": Invalid argument` };
      ns.sysctl[field] = v === '1';
    }
    out += `${k} = ${ns.sysctl[field] ? 1 : 0}\n`;
  }
  return { ok: true, output: out, mutates: write };
}
