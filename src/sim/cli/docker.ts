import type { NetNs } from '../linux/netns.ts';
import type { Cluster } from '../k8s/cluster.ts';
import type { DockerContainer, DockerDaemon, DockerNetwork } from '../k8s/docker.ts';

/**
 * The docker CLI against the daemon of the host it runs on: `docker ps`, `docker inspect`,
 * `docker port`, `docker network ls|inspect`, laid out as docker/cli prints them (its
 * formatter's tabwriter with minwidth 10 and padding 3; inspect as 4-space indented JSON with
 * Go's sorted map keys). Everything is read off the daemon's state and the kernel model.
 * Docker 20.10–24's field sets; IPv4 only (no `:::8080->80/tcp` twin of a published port).
 */
export type DockerCommandResult = { readonly ok: true; readonly output: string; readonly mutates: boolean } | { readonly ok: false; readonly error: string };

const ok = (output: string): DockerCommandResult => ({ ok: true, output, mutates: false });
const fail = (error: string): DockerCommandResult => ({ ok: false, error });

/** `docker ARGS…` run in `ns`: only a Docker host's root namespace has the CLI and the daemon's socket. */
export function dockerCommand(c: Cluster, ns: NetNs, args: readonly string[]): DockerCommandResult {
  const d = c.docker.daemons.find((x) => x.ns === ns);
  if (!d) {
    return ns.kind === 'root' ? fail('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?') : fail('docker: command not found');
  }
  const [sub, ...rest] = args;
  switch (sub) {
    case undefined:
      return fail("Usage:  docker [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers\n\nSee 'docker --help'.");
    case 'ps':
      return ps(d, rest);
    case 'inspect':
      return inspect(d, rest, 'any');
    case 'port':
      return port(d, rest);
    case 'container':
      if (rest[0] === 'ls' || rest[0] === 'ps' || rest[0] === 'list') return ps(d, rest.slice(1));
      if (rest[0] === 'inspect') return inspect(d, rest.slice(1), 'container');
      if (rest[0] === 'port') return port(d, rest.slice(1));
      return fail(`docker: 'container ${rest[0] ?? ''}' is not a docker command.\nSee 'docker container --help'`);
    case 'network':
      if (rest[0] === 'ls' || rest[0] === 'list') return networkLs(d, rest.slice(1));
      if (rest[0] === 'inspect') return inspect(d, rest.slice(1), 'network');
      return fail(`docker: 'network ${rest[0] ?? ''}' is not a docker command.\nSee 'docker network --help'`);
    default:
      return fail(`docker: '${sub}' is not a docker command.\nSee 'docker --help'`);
  }
}

// ---------------------------------------------------------------- options

interface Opts {
  readonly flags: Set<string>;
  readonly format?: string;
  readonly type?: string;
  readonly names: string[];
}

/** The few flags these commands take; an unknown one is refused as docker/cli (pflag) does. */
function parseOpts(args: readonly string[], known: readonly string[], cmd: string): Opts | string {
  const flags = new Set<string>();
  const names: string[] = [];
  let format: string | undefined;
  let type: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf('=');
    const key = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const inline = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : undefined;
    if (key === '-f' || key === '--format' || key === '--type') {
      if (!known.includes(key)) return `unknown flag: ${key}\nSee '${cmd} --help'.`;
      const v = inline ?? args[++i];
      if (v === undefined) return `flag needs an argument: ${key}\nSee '${cmd} --help'.`;
      if (key === '--type') type = v;
      else format = v;
    } else if (a.startsWith('-') && a !== '-') {
      const shorts = a.startsWith('--') ? [a] : [...a.slice(1)].map((ch) => `-${ch}`);
      for (const s of shorts) {
        if (!known.includes(s)) return `unknown ${s.startsWith('--') ? 'flag' : 'shorthand flag'}: ${s.startsWith('--') ? s : `'${s.slice(1)}' in ${a}`}\nSee '${cmd} --help'.`;
        flags.add(s);
      }
    } else names.push(a);
  }
  return { flags, format, type, names };
}

// ---------------------------------------------------------------- docker ps

/** units.HumanDuration (docker/go-units), as `docker ps` prints CREATED and STATUS. */
export function humanDuration(seconds: number): string {
  const s = Math.floor(seconds);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.floor(seconds / 3600 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(seconds / 3600 / 24 / 365)} years`;
}

/** formatter.Ellipsis: cut to `max` display columns, the last one an ellipsis. */
function ellipsis(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

/** text/tabwriter as docker/cli sets it up: minwidth 10, tabwidth 1, padding 3, the last cell unpadded. */
export function tabwrite(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.slice(0, -1).forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 10, [...cell].length + 3)));
  return rows.map((r) => r.map((cell, i) => (i < r.length - 1 ? cell + ' '.repeat(widths[i]! - [...cell].length) : cell)).join('')).join('\n') + '\n';
}

/** What `docker ps` shows in PORTS: published mappings, then ports exposed but not published. */
function displayPorts(c: DockerContainer): string {
  const published = [...c.ports].sort((a, b) => a.containerPort - b.containerPort).map((p) => `${p.hostIp}:${p.hostPort}->${p.containerPort}/${p.protocol}`);
  // an image's EXPOSE shows for a container with its own endpoint; here, the ports it listens on
  const exposed = c.spec.mode === 'bridge' ? exposedPorts(c).filter((k) => !c.ports.some((p) => `${p.containerPort}/${p.protocol}` === k)) : [];
  return [...published, ...exposed].join(', ');
}

function exposedPorts(c: DockerContainer): string[] {
  return [...new Set([...c.spec.listen.map((l) => `${l.port}/${l.protocol.toLowerCase()}`), ...c.spec.publish.map((p) => `${p.containerPort}/${p.protocol}`)])].sort(byPortKey);
}

function byPortKey(a: string, b: string): number {
  return parseInt(a, 10) - parseInt(b, 10) || a.localeCompare(b);
}

function ps(d: DockerDaemon, args: readonly string[]): DockerCommandResult {
  const o = parseOpts(args, ['-a', '--all', '-q', '--quiet', '--no-trunc'], 'docker ps');
  if (typeof o === 'string') return fail(o);
  if (o.names.length > 0) return fail(`"docker ps" accepts no arguments.\nSee 'docker ps --help'.`);
  const trunc = !o.flags.has('--no-trunc');
  // newest first, as the daemon lists them
  const list = [...d.containers].sort((a, b) => b.createdUs - a.createdUs || d.containers.indexOf(b) - d.containers.indexOf(a));
  const id = (c: DockerContainer) => (trunc ? c.id.slice(0, 12) : c.id);
  if (o.flags.has('-q') || o.flags.has('--quiet')) return ok(list.map((c) => `${id(c)}\n`).join(''));
  const rows = [['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES']];
  for (const c of list) {
    const age = humanDuration((d.nowUs - c.createdUs) / 1e6);
    rows.push([id(c), c.spec.image, JSON.stringify(trunc ? ellipsis(c.spec.command, 20) : c.spec.command), `${age} ago`, `Up ${age}`, displayPorts(c), c.spec.name]);
  }
  return ok(tabwrite(rows));
}

// ---------------------------------------------------------------- docker port

function port(d: DockerDaemon, args: readonly string[]): DockerCommandResult {
  const o = parseOpts(args, [], 'docker port');
  if (typeof o === 'string') return fail(o);
  const [name, which] = o.names;
  if (name === undefined) return fail(`"docker port" requires at least 1 argument.\nSee 'docker port --help'.`);
  const c = findContainer(d, name);
  if (!c) return fail(`Error: No such container: ${name}`);
  const ports = [...c.ports].sort((a, b) => a.containerPort - b.containerPort);
  const want = which === undefined ? ports : ports.filter((p) => `${p.containerPort}/${p.protocol}` === (which.includes('/') ? which : `${which}/tcp`));
  if (which !== undefined && want.length === 0) return fail(`Error: No public port '${which.includes('/') ? which : `${which}/tcp`}' published for ${name}`);
  return ok(want.map((p) => (which === undefined ? `${p.containerPort}/${p.protocol} -> ${p.hostIp}:${p.hostPort}\n` : `${p.hostIp}:${p.hostPort}\n`)).join(''));
}

// ---------------------------------------------------------------- docker network ls

/** sortorder.NaturalLess on names, as docker/cli sorts `docker network ls`. */
function naturalLess(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

function networkLs(d: DockerDaemon, args: readonly string[]): DockerCommandResult {
  const o = parseOpts(args, ['-q', '--quiet', '--no-trunc'], 'docker network ls');
  if (typeof o === 'string') return fail(o);
  const trunc = !o.flags.has('--no-trunc');
  const list = [...d.networks].sort((a, b) => naturalLess(a.name, b.name));
  const id = (n: DockerNetwork) => (trunc ? n.id.slice(0, 12) : n.id);
  if (o.flags.has('-q') || o.flags.has('--quiet')) return ok(list.map((n) => `${id(n)}\n`).join(''));
  return ok(tabwrite([['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'], ...list.map((n) => [id(n), n.name, n.driver, 'local'])]));
}

// ---------------------------------------------------------------- inspect

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Go's time.Time JSON (RFC 3339 with nanoseconds, trailing zeros dropped), in UTC. */
function goTime(us: number): string {
  const ms = Math.floor(us / 1000);
  const frac = String(Math.floor(us) % 1_000_000).padStart(6, '0').replace(/0+$/, '');
  return `${new Date(ms).toISOString().slice(0, 19)}${frac ? `.${frac}` : ''}Z`;
}

/** encoding/json sorts map keys. */
function sortedMap(entries: readonly (readonly [string, Json])[]): { [k: string]: Json } {
  return Object.fromEntries([...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

function findContainer(d: DockerDaemon, ref: string): DockerContainer | undefined {
  const name = ref.startsWith('/') ? ref.slice(1) : ref;
  const byName = d.containers.find((c) => c.spec.name === name);
  if (byName) return byName;
  const byId = d.containers.filter((c) => c.id.startsWith(ref));
  return byId.length === 1 ? byId[0] : undefined;
}

function findNetwork(d: DockerDaemon, ref: string): DockerNetwork | undefined {
  const byName = d.networks.find((n) => n.name === ref);
  if (byName) return byName;
  const byId = d.networks.filter((n) => n.id.startsWith(ref));
  return byId.length === 1 ? byId[0] : undefined;
}

/** Shell words of the command line, for Path and Args. */
function words(cmd: string): string[] {
  const out: string[] = [];
  for (const m of cmd.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

/** NetworkSettings as the daemon reports it (container/network_settings.go field order). */
function networkSettings(c: DockerContainer): Json {
  const ep = c.endpoint;
  const onDefault = ep?.network.isDefault === true;
  const ports: Json =
    c.spec.mode === 'bridge'
      ? sortedMap(
          exposedPorts(c).map((k) => {
            const bound = c.ports.filter((p) => `${p.containerPort}/${p.protocol}` === k);
            return [k, bound.length === 0 ? null : bound.map((p) => ({ HostIp: p.hostIp, HostPort: String(p.hostPort) }))] as const;
          }),
        )
      : {};
  const networks: Json = ep
    ? {
        [ep.network.name]: {
          IPAMConfig: c.spec.ip !== undefined ? { IPv4Address: c.spec.ip } : null,
          Links: null,
          Aliases: ep.network.driver === 'bridge' && !onDefault ? [c.id.slice(0, 12)] : null,
          NetworkID: ep.network.id,
          EndpointID: ep.id,
          Gateway: ep.gateway ?? '',
          IPAddress: ep.ip ?? '',
          IPPrefixLen: ep.prefixLen ?? 0,
          IPv6Gateway: '',
          GlobalIPv6Address: '',
          GlobalIPv6PrefixLen: 0,
          MacAddress: ep.mac ?? '',
          DriverOpts: null,
        },
      }
    : {};
  return {
    Bridge: '',
    SandboxID: c.sandboxId,
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: ports,
    SandboxKey: c.sandboxKey,
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    // the top-level fields describe the default bridge endpoint only
    EndpointID: onDefault ? ep!.id : '',
    Gateway: onDefault ? ep!.gateway ?? '' : '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: onDefault ? ep!.ip ?? '' : '',
    IPPrefixLen: onDefault ? ep!.prefixLen ?? 0 : 0,
    IPv6Gateway: '',
    MacAddress: onDefault ? ep!.mac ?? '' : '',
    Networks: networks,
  };
}

/** `docker inspect CONTAINER`: the fields that concern the network, in the daemon's order. */
function containerJson(d: DockerDaemon, c: DockerContainer): Json {
  const [path = '', ...args] = words(c.spec.command);
  const created = goTime(c.createdUs);
  const labels: [string, Json][] = c.spec.pod !== undefined ? [['io.kubernetes.pod.name', c.spec.pod], ['io.kubernetes.container.name', c.spec.mode === 'container' ? c.spec.name : 'POD']] : [];
  return {
    Id: c.id,
    Created: created,
    Path: path,
    Args: args,
    State: { Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false, StartedAt: created },
    Name: `/${c.spec.name}`,
    HostConfig: {
      NetworkMode: c.joined ? `container:${c.joined.id}` : c.spec.networkMode,
      PortBindings: sortedMap(c.ports.map((p) => [`${p.containerPort}/${p.protocol}`, [{ HostIp: p.hostIp === '0.0.0.0' ? '' : p.hostIp, HostPort: String(p.hostPort) }]] as const)),
    },
    Config: {
      // container mode shares the joined container's /etc/hostname (initializeNetworkingPaths)
      Hostname: hostnameOf(d, c),
      ExposedPorts: c.spec.mode === 'bridge' ? sortedMap(exposedPorts(c).map((k) => [k, {}] as const)) : null,
      Image: c.spec.image,
      Labels: sortedMap(labels),
    },
    NetworkSettings: networkSettings(c),
  };
}

function hostnameOf(d: DockerDaemon, c: DockerContainer): string {
  let owner = c;
  while (owner.joined) owner = owner.joined;
  return owner.spec.mode === 'host' ? d.host.name : owner.id.slice(0, 12);
}

/** `docker network inspect NETWORK` (api/types NetworkResource). */
function networkJson(d: DockerDaemon, n: DockerNetwork): Json {
  const members = d.containers.filter((c) => c.endpoint?.network === n);
  const options: [string, Json][] = n.isDefault
    ? [
        ['com.docker.network.bridge.default_bridge', 'true'],
        ['com.docker.network.bridge.enable_icc', 'true'],
        ['com.docker.network.bridge.enable_ip_masquerade', 'true'],
        ['com.docker.network.bridge.host_binding_ipv4', '0.0.0.0'],
        ['com.docker.network.bridge.name', n.bridge!],
        ['com.docker.network.driver.mtu', '1500'],
      ]
    : n.driver === 'bridge' && n.bridge !== undefined && !n.bridge.startsWith('br-')
      ? [['com.docker.network.bridge.name', n.bridge]]
      : [];
  return {
    Name: n.name,
    Id: n.id,
    Created: goTime(n.createdUs),
    Scope: 'local',
    Driver: n.driver,
    EnableIPv6: false,
    IPAM: {
      Driver: 'default',
      Options: n.driver === 'bridge' && !n.isDefault ? {} : null,
      Config: n.subnet ? [{ Subnet: n.subnet, Gateway: n.gateway ?? '' }] : [],
    },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: sortedMap(
      members.map((c) => [
        c.id,
        { Name: c.spec.name, EndpointID: c.endpoint!.id, MacAddress: c.endpoint!.mac ?? '', IPv4Address: c.endpoint!.ip ? `${c.endpoint!.ip}/${c.endpoint!.prefixLen}` : '', IPv6Address: '' },
      ] as const),
    ),
    Options: sortedMap(options),
    Labels: {},
  };
}

function inspect(d: DockerDaemon, args: readonly string[], kind: 'any' | 'container' | 'network'): DockerCommandResult {
  const cmd = kind === 'any' ? 'docker inspect' : `docker ${kind} inspect`;
  const o = parseOpts(args, ['-f', '--format', '-s', '--size', ...(kind === 'any' ? ['--type'] : []), ...(kind === 'network' ? ['-v', '--verbose'] : [])], cmd);
  if (typeof o === 'string') return fail(o);
  if (o.names.length === 0) return fail(`"${cmd}" requires at least 1 argument.\nSee '${cmd} --help'.`);
  const type = kind === 'any' ? o.type : kind;
  if (type !== undefined && type !== 'container' && type !== 'network') return fail(`"${type}" is not a valid value for --type`);
  const found: Json[] = [];
  const missing: string[] = [];
  for (const ref of o.names) {
    const c = type === 'network' ? undefined : findContainer(d, ref);
    const n = c || type === 'container' ? undefined : findNetwork(d, ref);
    if (c) found.push(containerJson(d, c));
    else if (n) found.push(networkJson(d, n));
    else missing.push(ref);
  }
  let output: string;
  if (o.format !== undefined) {
    const parts: string[] = [];
    for (const obj of found) {
      const r = executeTemplate(o.format, obj);
      if (!r.ok) return fail(r.error);
      parts.push(`${r.text}\n`);
    }
    output = parts.join('');
  } else output = `${JSON.stringify(found, null, 4)}\n`;
  if (missing.length > 0) {
    const what = kind === 'network' ? (ref: string) => `Error response from daemon: network ${ref} not found` : kind === 'container' ? (ref: string) => `Error: No such container: ${ref}` : (ref: string) => `Error: No such object: ${ref}`;
    // docker prints what it found (or `[]`) on stdout and the misses on stderr
    return fail(`${output}${missing.map(what).join('\n')}`);
  }
  return ok(output);
}

// ---------------------------------------------------------------- Go templates (the subset inspect -f needs)

type Tpl = { ok: true; text: string } | { ok: false; error: string };

/**
 * text/template, enough for the inspect one-liners in Docker's docs: `{{.A.B}}`,
 * `{{json .A}}`, `{{index .M "k"}}`, `{{(index .M "k").F}}`, `{{range .M}}…{{end}}`.
 */
export function executeTemplate(tpl: string, root: Json): Tpl {
  const tokens: ({ t: 'text'; v: string } | { t: 'action'; v: string })[] = [];
  let rest = tpl;
  while (rest.length > 0) {
    const open = rest.indexOf('{{');
    if (open < 0) {
      tokens.push({ t: 'text', v: rest });
      break;
    }
    if (open > 0) tokens.push({ t: 'text', v: rest.slice(0, open) });
    const close = rest.indexOf('}}', open);
    if (close < 0) return { ok: false, error: `template parsing error: template: :1: unclosed action` };
    tokens.push({ t: 'action', v: rest.slice(open + 2, close).trim() });
    rest = rest.slice(close + 2);
  }
  let pos = 0;
  const run = (dot: Json, inRange: boolean): Tpl => {
    let out = '';
    while (pos < tokens.length) {
      const tk = tokens[pos++]!;
      if (tk.t === 'text') {
        out += tk.v;
        continue;
      }
      if (tk.v === 'end') {
        if (!inRange) return { ok: false, error: 'template parsing error: template: :1: unexpected {{end}}' };
        return { ok: true, text: out };
      }
      if (/^range[\s.]/.test(tk.v)) {
        const v = evalExpr(tk.v.slice(5).trim(), dot, root);
        if (!v.ok) return v;
        const items = Array.isArray(v.value) ? v.value : v.value && typeof v.value === 'object' ? Object.keys(v.value).sort().map((k) => (v.value as Record<string, Json>)[k]!) : [];
        const start = pos;
        if (items.length === 0) {
          const skip = run(null, true);
          if (!skip.ok) return skip;
        }
        for (const it of items) {
          pos = start;
          const body = run(it, true);
          if (!body.ok) return body;
          out += body.text;
        }
        continue;
      }
      const v = evalExpr(tk.v, dot, root);
      if (!v.ok) return v;
      out += goPrint(v.value);
    }
    if (inRange) return { ok: false, error: 'template parsing error: template: :1: unexpected EOF' };
    return { ok: true, text: out };
  };
  return run(root, false);
}

type Val = { ok: true; value: Json } | { ok: false; error: string };

function evalExpr(expr: string, dot: Json, root: Json): Val {
  if (expr.startsWith('json ')) {
    const v = evalExpr(expr.slice(5).trim(), dot, root);
    return v.ok ? { ok: true, value: JSON.stringify(v.value) } : v;
  }
  const paren = /^\(index\s+(\S+)\s+"([^"]*)"\)(\..*)?$/.exec(expr);
  const index = /^index\s+(\S+)\s+"([^"]*)"$/.exec(expr);
  if (paren || index) {
    const m = (paren ?? index)!;
    const base = field(m[1]!, dot);
    if (!base.ok) return base;
    const v = base.value && typeof base.value === 'object' && !Array.isArray(base.value) ? (base.value[m[2]!] ?? null) : null;
    return paren?.[3] ? field(paren[3], v) : { ok: true, value: v };
  }
  if (expr === '.' || expr.startsWith('.')) return field(expr, dot);
  return { ok: false, error: `template parsing error: template: :1: function "${expr.split(/\s/)[0]}" not defined` };
}

function field(path: string, dot: Json): Val {
  if (path === '.') return { ok: true, value: dot };
  let cur: Json = dot;
  for (const k of path.slice(1).split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return { ok: false, error: `template: :1: can't evaluate field ${k} in type ${goType(cur)}` };
    if (!(k in cur)) return { ok: false, error: `template: :1: can't evaluate field ${k}` };
    cur = cur[k]!;
  }
  return { ok: true, value: cur };
}

function goType(v: Json): string {
  return v === null ? 'interface {}' : Array.isArray(v) ? '[]interface {}' : typeof v === 'string' ? 'string' : typeof v === 'number' ? 'float64' : typeof v === 'boolean' ? 'bool' : 'map[string]interface {}';
}

/** fmt's %v of a decoded JSON value, as text/template prints it. */
function goPrint(v: Json): string {
  if (v === null) return '<no value>';
  if (Array.isArray(v)) return `[${v.map(goPrint).join(' ')}]`;
  if (typeof v === 'object') return `map[${Object.keys(v).sort().map((k) => `${k}:${goPrint(v[k]!)}`).join(' ')}]`;
  return String(v);
}
