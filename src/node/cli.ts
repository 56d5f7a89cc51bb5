import { existsSync, writeFileSync } from 'node:fs';
import { readClusterFile, readClusterStdin, MAX_CLUSTER_BYTES, type FileText } from './cluster-file.ts';
import { CALICO_BACKENDS, cniOf, FLANNEL_BACKENDS, type Backend, type Cni, type FlowSpec, type Modes, type Scenario } from '../sim/api-types.ts';
import { loadScenario, pcapOf } from '../sim/api.ts';
import { compare, scalePoint, scaleRefusal, type ScalePoint } from '../sim/compare.ts';
import { escapeControl } from '../sim/cli/escape.ts';
import { execCommand } from '../sim/cli/exec.ts';
import { renderTrace, traceJson } from '../sim/cli/trace-text.ts';
import { traceFlow } from '../sim/k8s/flows.ts';
import { runOn } from '../sim/runs.ts';
import { netnsScript, PREFIX_RE } from '../sim/export/netns-script.ts';
import type { Cluster } from '../sim/k8s/cluster.ts';
import { CLUSTER_PRESETS } from '../sim/scenarios/clusters.ts';
import { isTraceLevel, TRACE_LEVELS, type TraceLevel } from '../sim/trace/levels.ts';

export const HELP = `kube-packet-lab — trace a packet through a Kubernetes cluster's kernel state

Usage:
  kube-packet-lab trace --from <pod|host|IP> --to <IP[:port]|name> [options]
  kube-packet-lab exec <host|pod> [options] -- <command ...>
  kube-packet-lab compare --from <..> --to <..> --vs proxy=ipvs|proxy=nftables|backend=<backend> [options]
  kube-packet-lab scale [--services 10,100,1000] [--endpoints 6]
  kube-packet-lab export --netns [--prefix NAME] [options] > lab.sh
  kube-packet-lab presets [NAME]      list the built-in clusters, or print one

trace options:
  --proto tcp|udp|icmp     protocol of the flow (default tcp; icmp means ping)
  --kind connect|ping|traceroute
                           connect: TCP handshake or a UDP exchange (default);
                           ping: one ICMP echo; traceroute: UDP probes with rising TTL
  --count N                run N connections and count which endpoint each reached
  --size N                 payload bytes (ping -s; UDP data), default 56 / 32
  --df do|dont             the Don't Fragment bit, as ping -M do|dont
  --json                   print {verdict, reason, events[...]} as JSON
  --verbose, -v            print each step's explanation
  --level path|kernel|rules
                           path: device/namespace crossings and packet changes;
                           kernel: adds lookups, conntrack and each table's verdict
                           at a hook; rules: every rule matched (default)
  --pcap FILE              write every frame the trace put on a wire (veth or LAN)

export options:
  --netns                  print a bash script that builds the lab in real Linux network
                           namespaces (run it as root: bash lab.sh [up|teardown])
  --prefix NAME            name every namespace NAME-… (default kpl)

options for every verb (before --):
  --cluster FILE|-|NAME    what kubectl get … -o yaml|json printed (a List, several
                           documents or files concatenated; - reads standard input;
                           up to ${MAX_CLUSTER_BYTES / 1048576} MB) or a built-in cluster:
                           ${Object.keys(CLUSTER_PRESETS).join(', ')} (default seed)
  --lan CIDR[,CIDR]        the nodes' LAN (default: a /24 around each group of InternalIPs)
  --backend vxlan|host-gw|udp|ipip|bgp|crosssubnet
                           how pods reach pods on other nodes: flannel's backends,
                           or Calico's IPPool ipipMode (Always, Never, CrossSubnet)
                           (default: the IPPool, else the kube-flannel-cfg ConfigMap)
  --cni flannel|calico     the CNI alone: calico means --backend ipip (IPIP Always,
                           Calico's default), flannel --backend vxlan
  --proxy iptables|ipvs|nftables
                           kube-proxy mode (default: the kube-proxy ConfigMap)
  --scheduler rr|wrr|lc|sh|dh|mh
                           IPVS scheduler (default: the kube-proxy ConfigMap)
  --seed N                 PRNG seed: MACs, ports, statistic matches (default 1)
  --draw N                 re-roll the connection: another draw of its random choices
                           (statistic matches, port) in the same cluster (default 0)
  --before "<host|pod>: <command>"
                           apply a command first (repeatable), e.g.
                           --before "master: ip route del 10.42.1.0/24"

exec commands: ip addr|link|route|neigh, route -n, bridge fdb show, brctl show,
  iptables -nvL/-S/-A/-I/-D/-F, iptables-save, nft [-a] list ruleset|table|chain|set|map,
  nft add|insert|delete|flush …, conntrack -L, sysctl, ping -c N,
  traceroute -n, kubectl get pod -owide|svc|nodes, kubectl describe service NAME,
  calicoctl get ippool [-o wide], calicoctl node status;
  kubectl scale deployment|rs NAME --replicas N, kubectl delete pod|svc|endpointslice|node NAME,
  kubectl expose pod|deployment NAME --port P [--type NodePort], kubectl apply -f -;
  "| grep PATTERN [-A N]" and "| head" work as in the seed.

Examples:
  kube-packet-lab exec master -- ip route
  kube-packet-lab exec nginx-test-7646687cc4-n8s9s -- ping -c 3 10.42.1.9
  kube-packet-lab trace --from nginx-test-7646687cc4-n8s9s --to 10.43.6.58:80
  kube-packet-lab trace --from client --to 192.168.205.4:32506 --json
`;

export interface Io {
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown };
  /** `--cluster -`: standard input, bounded (tests pass text; the CLI reads fd 0) */
  readonly readStdin?: () => FileText;
}

interface Parsed {
  scenario: Scenario;
  vs: { -readonly [K in keyof Modes]: Modes[K] };
  services: number[];
  endpoints: number;
  flow: Partial<FlowSpec>;
  count: number;
  level: TraceLevel;
  json: boolean;
  verbose: boolean;
  pcap?: string;
  netns: boolean;
  prefix: string;
  positional: string[];
  command: string[];
}

class UsageError extends Error {}
/** A file the user named could not be used (a directory, a device, too large): exit 1, one line. */
class InputError extends Error {}

const BACKENDS: readonly Backend[] = [...FLANNEL_BACKENDS, ...CALICO_BACKENDS];
const isBackend = (v: string): v is Backend => (BACKENDS as readonly string[]).includes(v);

function parseArgs(argv: string[], io: Io): Parsed {
  const modes: { -readonly [K in keyof Modes]: Modes[K] } = {};
  const before: string[] = [];
  let cluster: string | undefined;
  let preset: string | undefined;
  let lan: string | undefined;
  let seed = 1;
  let draw = 0;
  let cni: Cni | undefined;
  const flow: { -readonly [K in keyof FlowSpec]?: FlowSpec[K] } = {};
  const p: Parsed = { scenario: { modes, seed, before }, vs: {}, services: [10, 100, 1000], endpoints: 6, flow, count: 1, level: 'rules', json: false, verbose: false, netns: false, prefix: 'kpl', positional: [], command: [] };
  const value = (i: number, name: string): string => {
    const v = argv[i];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${name} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      p.command = argv.slice(i + 1);
      break;
    }
    switch (a) {
      case '--cluster': {
        const v = argv[++i];
        if (v === undefined || (v.startsWith('--') && v !== '-')) throw new UsageError('--cluster needs a value');
        if (CLUSTER_PRESETS[v]) preset = v;
        else if (v === '-') {
          const r = (io.readStdin ?? (() => readClusterStdin(process.stdin.isTTY)))();
          if (!r.ok) throw new InputError(r.message);
          cluster = r.text;
        } else if (existsSync(v)) {
          const r = readClusterFile(v);
          if (!r.ok) throw new InputError(r.message);
          cluster = r.text;
        } else throw new UsageError(`--cluster: "${v}" is neither a file nor a built-in cluster (${Object.keys(CLUSTER_PRESETS).join(', ')})`);
        break;
      }
      case '--lan':
        lan = value(++i, a);
        if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}(,\d{1,3}(\.\d{1,3}){3}\/\d{1,2})*$/.test(lan)) throw new UsageError(`--lan: "${lan}" is not a CIDR or a comma list of them (e.g. 192.168.56.0/24)`);
        break;
      case '--backend': {
        const v = value(++i, a);
        if (!isBackend(v)) throw new UsageError(`--backend: "${v}" is not one of ${BACKENDS.join(', ')}`);
        if (cni !== undefined && cniOf(v) !== cni) throw new UsageError(`--backend ${v} is a ${cniOf(v)} backend, not ${cni}'s`);
        modes.backend = v;
        break;
      }
      case '--cni': {
        const v = value(++i, a);
        if (v !== 'flannel' && v !== 'calico') throw new UsageError(`--cni: "${v}" is not flannel or calico`);
        if (modes.backend !== undefined && cniOf(modes.backend) !== v) throw new UsageError(`--backend ${modes.backend} is a ${cniOf(modes.backend)} backend, not ${v}'s`);
        cni = v;
        break;
      }
      case '--proxy': {
        const v = value(++i, a);
        if (v !== 'iptables' && v !== 'ipvs' && v !== 'nftables') throw new UsageError(`--proxy: "${v}" is not iptables, ipvs or nftables`);
        modes.proxy = v;
        break;
      }
      case '--scheduler': {
        const v = value(++i, a);
        if (!['rr', 'wrr', 'lc', 'sh', 'dh', 'mh'].includes(v)) throw new UsageError(`--scheduler: "${v}" is not one of rr, wrr, lc, sh, dh, mh`);
        modes.scheduler = v as Modes['scheduler'];
        break;
      }
      case '--seed':
        seed = Number(value(++i, a));
        if (!Number.isInteger(seed) || seed < 0) throw new UsageError('--seed needs a non-negative integer');
        break;
      case '--draw':
        draw = Number(value(++i, a));
        if (!Number.isInteger(draw) || draw < 0) throw new UsageError('--draw needs a non-negative integer');
        break;
      case '--before':
        before.push(withApplyInput(value(++i, a), io));
        break;
      case '--from':
        flow.from = value(++i, a);
        break;
      case '--to':
        flow.to = value(++i, a);
        break;
      case '--proto': {
        const v = value(++i, a);
        if (v !== 'tcp' && v !== 'udp' && v !== 'icmp') throw new UsageError(`--proto: "${v}" is not tcp, udp or icmp`);
        flow.proto = v;
        break;
      }
      case '--kind': {
        const v = value(++i, a);
        if (v !== 'connect' && v !== 'ping' && v !== 'traceroute') throw new UsageError(`--kind: "${v}" is not connect, ping or traceroute`);
        flow.kind = v;
        break;
      }
      case '--size': {
        const v = Number(value(++i, a));
        if (!Number.isInteger(v) || v < 0 || v > 65507) throw new UsageError('--size needs an integer from 0 to 65507');
        flow.size = v;
        break;
      }
      case '--df': {
        const v = value(++i, a);
        if (v !== 'do' && v !== 'dont') throw new UsageError(`--df: "${v}" is not do or dont`);
        flow.df = v === 'do';
        break;
      }
      case '--count':
        p.count = Number(value(++i, a));
        if (!Number.isInteger(p.count) || p.count < 1 || p.count > 100000) throw new UsageError('--count needs an integer from 1 to 100000');
        break;
      case '--json':
        p.json = true;
        break;
      case '--level': {
        const v = value(++i, a);
        if (!isTraceLevel(v)) throw new UsageError(`--level: "${v}" is not ${TRACE_LEVELS.join(', ')}`);
        p.level = v;
        break;
      }
      case '--vs':
        for (const kv of value(++i, a).split(',')) {
          const [k, v] = kv.split('=');
          if (k === 'proxy' && (v === 'iptables' || v === 'ipvs' || v === 'nftables')) p.vs.proxy = v;
          else if (k === 'backend' && isBackend(v ?? '')) p.vs.backend = v as Backend;
          else if (k === 'scheduler' && ['rr', 'wrr', 'lc', 'sh', 'dh', 'mh'].includes(v ?? '')) p.vs.scheduler = v as Modes['scheduler'];
          else throw new UsageError(`--vs: "${kv}" is not proxy=iptables|ipvs|nftables, backend=${BACKENDS.join('|')} or scheduler=…`);
        }
        break;
      case '--services':
        p.services = value(++i, a).split(',').map(Number);
        if (p.services.some((n) => !Number.isInteger(n) || n < 1 || n > 20000)) throw new UsageError('--services needs a comma list of integers from 1 to 20000');
        break;
      case '--endpoints':
        p.endpoints = Number(value(++i, a));
        if (!Number.isInteger(p.endpoints) || p.endpoints < 1 || p.endpoints > 100) throw new UsageError('--endpoints needs an integer from 1 to 100');
        break;
      case '--verbose':
      case '-v':
        p.verbose = true;
        break;
      case '--pcap':
        p.pcap = value(++i, a);
        break;
      case '--netns':
        p.netns = true;
        break;
      case '--prefix':
        p.prefix = value(++i, a);
        if (!PREFIX_RE.test(p.prefix)) throw new UsageError(`--prefix: "${p.prefix}" must be 1 to 12 lower-case letters, digits or "-", starting with a letter`);
        break;
      default:
        if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
        p.positional.push(a);
    }
  }
  // --cni alone picks that CNI's default datapath (Calico: IPIP Always, as calico.yaml's default pool)
  if (cni !== undefined && modes.backend === undefined) modes.backend = cni === 'calico' ? 'ipip' : 'vxlan';
  p.scenario = { ...(cluster !== undefined ? { cluster } : {}), ...(preset !== undefined ? { preset } : {}), ...(lan !== undefined ? { lan } : {}), modes, seed, ...(draw ? { draw } : {}), before };
  return p;
}

/** strerror(3) for the file errors a user can cause with a path. */
const STRERROR: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  EEXIST: 'File exists',
  EMFILE: 'Too many open files',
  ENAMETOOLONG: 'File name too long',
  ELOOP: 'Too many levels of symbolic links',
  EFBIG: 'File too large',
  EIO: 'Input/output error',
};

/** A Node system error (fs): its code and the path it was about. */
function systemError(e: unknown): { code: string; path?: string } | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const { code, path } = e as { code?: unknown; path?: unknown };
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? { code, ...(typeof path === 'string' ? { path } : {}) } : undefined;
}

/** Everything the CLI writes goes through here: names from a cluster file may hold control characters. */
function safeIo(io: Io): Io {
  return { stdout: { write: (s: string) => io.stdout.write(escapeControl(s)) }, stderr: { write: (s: string) => io.stderr.write(escapeControl(s)) }, ...(io.readStdin ? { readStdin: io.readStdin } : {}) };
}

/**
 * The CLI: one thin user of the core, as the worker and the tests are. Returns the exit code.
 * Nothing escapes it: a file error is one line naming the path and what the system said, and
 * anything unexpected is one line too (exit 70, EX_SOFTWARE), never a stack trace.
 */
export async function main(argv: string[], ioIn: Io): Promise<number> {
  const io = safeIo(ioIn);
  try {
    return await run(argv, io);
  } catch (e) {
    const sys = systemError(e);
    if (sys) {
      io.stderr.write(`kube-packet-lab: ${sys.path ?? 'file'}: ${STRERROR[sys.code] ?? sys.code}\n`);
      return 1;
    }
    const message = e instanceof Error ? e.message : String(e);
    io.stderr.write(`kube-packet-lab: internal error: ${message.split('\n')[0]!.slice(0, 500)}\n(this is a bug in kube-packet-lab; the command line above reproduces it)\n`);
    return 70;
  }
}

async function run(argv: string[], io: Io): Promise<number> {
  const [verb, ...rest] = argv;
  if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
    io.stdout.write(HELP);
    return verb ? 0 : 2;
  }
  let p: Parsed;
  try {
    p = parseArgs(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`kube-packet-lab: ${e.message}\nTry 'kube-packet-lab --help'.\n`);
      return 2;
    }
    if (e instanceof InputError) {
      io.stderr.write(`kube-packet-lab: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  if (verb === 'presets') {
    // `presets NAME` prints the file itself: the examples are dumps a user could have made
    const name = p.positional[0];
    if (name !== undefined) {
      const c = CLUSTER_PRESETS[name];
      if (!c) {
        io.stderr.write(`kube-packet-lab: no built-in cluster named "${name}" (have: ${Object.keys(CLUSTER_PRESETS).join(', ')})\n`);
        return 2;
      }
      io.stdout.write(c.yaml);
      return 0;
    }
    for (const [n, c] of Object.entries(CLUSTER_PRESETS)) io.stdout.write(`${n.padEnd(18)} ${c.dump ? '(kubectl dump) ' : ''}${c.label}\n`);
    return 0;
  }
  if (verb === 'scale') return scale(p, io);
  if (verb === 'compare') return compareVerb(p, io);
  const c = loadScenario(p.scenario);
  if (!c.ok) {
    io.stderr.write(`kube-packet-lab: ${c.error.where}: ${c.error.message}\n`);
    // the rest of what is wrong with the file, each with its object, field and line
    for (const q of (c.error.problems ?? []).slice(1)) io.stderr.write(`  also: ${q.object}${q.field ? ` .${q.field}` : ''}${q.line !== undefined ? ` (line ${q.line})` : ''}: ${q.message}\n`);
    return 1;
  }
  // what was inferred from a user's own file is said once, on standard error
  if (p.scenario.cluster !== undefined && !p.json) for (const n of c.value.spec.notes) io.stderr.write(`kube-packet-lab: note: ${n}\n`);
  if (verb === 'exec') {
    const target = p.positional[0];
    if (!target || p.command.length === 0) {
      io.stderr.write("kube-packet-lab: exec needs a host or pod and a command after --, e.g. exec master -- ip route\n");
      return 2;
    }
    // one argument after -- is a whole command line (pipes included); several are argv words
    const line = p.command.length === 1 ? p.command[0]! : p.command.map(quoteIfNeeded).join(' ');
    const r = execCommand(c.value, target, line);
    if (!r.ok) {
      io.stderr.write(`${r.error.message}\n`);
      return 1;
    }
    io.stdout.write(r.value.output);
    return 0;
  }
  if (verb === 'export') return exportVerb(c.value, p, io);
  if (verb === 'trace') {
    if (!p.flow.from || !p.flow.to) {
      io.stderr.write('kube-packet-lab: trace needs --from and --to\n');
      return 2;
    }
    const proto = p.flow.proto ?? (p.flow.kind === 'ping' ? 'icmp' : p.flow.kind === 'traceroute' ? 'udp' : 'tcp');
    const flow: FlowSpec = { from: p.flow.from, to: p.flow.to, proto, kind: p.flow.kind ?? (proto === 'icmp' ? 'ping' : 'connect'), ...(p.flow.size !== undefined ? { size: p.flow.size } : {}), ...(p.flow.df !== undefined ? { df: p.flow.df } : {}) };
    if (p.count > 1) return countFlows(c.value, flow, p.count, io);
    const t = traceFlow(c.value, flow);
    if (!t.ok) {
      io.stderr.write(`kube-packet-lab: ${t.error.where}: ${t.error.message}\n`);
      return 1;
    }
    if (p.pcap) writePcapFile(p.pcap, pcapOf(t.value));
    io.stdout.write(p.json ? `${JSON.stringify(traceJson(t.value), null, 2)}\n` : renderTrace(t.value, p.verbose, p.level));
    return t.value.verdict === 'delivered' ? 0 : 3;
  }
  io.stderr.write(`kube-packet-lab: unknown verb "${verb}" (trace, exec, compare, scale, export, presets)\nTry 'kube-packet-lab --help'.\n`);
  return 2;
}

/** `export --netns`: the loaded lab (after --before edits) as a script for real namespaces. */
function exportVerb(c: Cluster, p: Parsed, io: Io): number {
  if (!p.netns) {
    io.stderr.write('kube-packet-lab: export needs --netns (the only format so far)\n');
    return 2;
  }
  const s = p.scenario;
  const about = [
    `cluster: ${s.preset ?? (s.cluster !== undefined ? 'a cluster file' : 'seed')}; flannel ${c.modes.backend}; kube-proxy ${c.modes.proxy}; seed ${s.seed}`,
    ...s.before.map((b) => `before: ${b}`),
  ];
  if (c.modes.proxy !== 'iptables') about.push('kube-proxy ipvs: the script makes kube-ipvs0 and the iptables/ipset rules, but no IPVS virtual servers (ipvsadm is not exported)');
  const r = netnsScript(c.world, { prefix: p.prefix, about });
  if (!r.ok) {
    io.stderr.write(`kube-packet-lab: export: ${r.error}\n`);
    return 1;
  }
  io.stdout.write(r.value.text);
  return 0;
}

function flowOf(p: Parsed): FlowSpec | undefined {
  if (!p.flow.from || !p.flow.to) return undefined;
  const proto = p.flow.proto ?? (p.flow.kind === 'ping' ? 'icmp' : p.flow.kind === 'traceroute' ? 'udp' : 'tcp');
  return { from: p.flow.from, to: p.flow.to, proto, kind: p.flow.kind ?? (proto === 'icmp' ? 'ping' : 'connect') };
}

/** `compare`: one flow in two modes — hooks per host, bytes on the wire, steps only one side has. */
function compareVerb(p: Parsed, io: Io): number {
  const flow = flowOf(p);
  if (!flow || Object.keys(p.vs).length === 0) {
    io.stderr.write('kube-packet-lab: compare needs --from, --to and --vs (e.g. --vs proxy=ipvs)\n');
    return 2;
  }
  const r = compare({ ...p.scenario, flow }, p.vs);
  if (!r.ok) {
    io.stderr.write(`kube-packet-lab: ${r.error.where}: ${r.error.message}\n`);
    return 1;
  }
  if (p.json) {
    io.stdout.write(`${JSON.stringify({ a: r.value.a, b: r.value.b }, null, 2)}\n`);
    return 0;
  }
  for (const side of [r.value.a, r.value.b]) {
    io.stdout.write(`${side.modes.proxy} / ${side.modes.backend}${side.modes.proxy === 'ipvs' ? ` (${side.modes.scheduler})` : ''}: ${side.verdict}, ${side.events} events, ${side.wireBytes} bytes on the LAN (inner frame ${side.innerBytes})\n`);
    for (const h of side.hookPaths) io.stdout.write(`  ${h.host.padEnd(10)} ${h.hooks.join(' → ')}\n`);
    if (side.onlyHere.length) io.stdout.write(`  only here: ${side.onlyHere.join(', ')}\n`);
  }
  return 0;
}

/** `scale`: seed §5's growth argument — what kube-proxy writes on a node as services grow. */
function scale(p: Parsed, io: Io): number {
  // refused up front: a point too big would run out of memory minutes into the run
  for (const n of p.services) {
    const tooBig = scaleRefusal(n, p.endpoints);
    if (tooBig) {
      io.stderr.write(`kube-packet-lab: scale: ${tooBig}\n`);
      return 1;
    }
  }
  const rows: ScalePoint[] = [];
  for (const n of p.services) {
    for (const proxy of ['iptables', 'ipvs', 'nftables'] as const) {
      const r = scalePoint(n, p.endpoints, proxy, () => performance.now());
      if (!r.ok) {
        io.stderr.write(`kube-packet-lab: ${r.error.where}: ${r.error.message}\n`);
        return 1;
      }
      rows.push(r.value);
    }
  }
  if (p.json) {
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  io.stdout.write(`services x${p.endpoints} endpoints   mode      iptables rules  ipset entries  virtual servers  nft rules  nft elements  rules matched  rules evaluated  connection trace\n`);
  for (const r of rows) {
    const us = r.traceUs === undefined ? '' : r.traceUs >= 1000 ? `${(r.traceUs / 1000).toFixed(2)} ms` : `${r.traceUs} µs`;
    io.stdout.write(
      `${String(r.services).padStart(8)}                ${r.proxy.padEnd(9)} ${String(r.iptablesRules).padStart(14)} ${String(r.ipsetEntries).padStart(14)} ${String(r.virtualServers).padStart(16)} ${String(r.nftRules).padStart(10)} ${String(r.nftElements).padStart(13)} ${String(r.rulesMatched).padStart(14)} ${String(r.rulesEvaluated).padStart(16)} ${us.padStart(17)}\n`,
    );
  }
  return 0;
}

/**
 * `--before "master: kubectl apply -f FILE"` (or `-f -`): the file's text goes under the command
 * as a here-document, the form the core and the app's terminal take.
 */
function withApplyInput(edit: string, io: Io): string {
  const m = /^([^:]+:\s*kubectl\s+apply\s+.*?(?:-f|--filename)[ =])(\S+)(.*)$/.exec(edit);
  if (!m || edit.includes('\n')) return edit;
  const [, head, file, tail] = m as unknown as [string, string, string, string];
  const r = file === '-' ? (io.readStdin ?? (() => readClusterStdin(process.stdin.isTTY)))() : readClusterFile(file);
  if (!r.ok) throw new InputError(r.message.replace(/^--cluster/, '--before'));
  return `${head}-${tail} <<'KPL_EOF'\n${r.text.replace(/\n?$/, '\n')}KPL_EOF`;
}

/** Runs a file operation; a system error it throws names `what` (the option and path the user gave). */
function withPath<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    const sys = systemError(e);
    throw sys ? Object.assign(new Error(sys.code), { code: sys.code, path: what }) : e;
  }
}

/** --pcap FILE: a failure names the file and the system's reason. */
function writePcapFile(path: string, bytes: Uint8Array): void {
  withPath(`--pcap ${path}`, () => writeFileSync(path, bytes));
}

function quoteIfNeeded(w: string): string {
  return /[\s"'|]/.test(w) ? `"${w.replaceAll('"', '\\"')}"` : w;
}

/** --count: N connections through the same kernel state; where did each one land? */
function countFlows(c: Parameters<typeof traceFlow>[0], flow: FlowSpec, n: number, io: Io): number {
  const r = runOn(c, flow, n);
  if (!r.ok) {
    io.stderr.write(`kube-packet-lab: ${r.error.where}: ${r.error.message}\n`);
    return 1;
  }
  io.stdout.write(`${n} connections from ${flow.from} to ${flow.to}:\n`);
  for (const o of r.value.outcomes) io.stdout.write(`  ${String(o.count).padStart(7)}  ${((o.count / n) * 100).toFixed(1).padStart(5)}%  ${o.where}\n`);
  const k = r.value.counters;
  if (k) io.stdout.write(`\ncounters on ${k.host} afterwards (${k.command}):\n${k.output}`);
  return 0;
}
