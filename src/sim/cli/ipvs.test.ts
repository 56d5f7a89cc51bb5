import { describe, expect, it } from 'vitest';
import { loadScenario } from '../api.ts';
import type { FlowSpec } from '../api-types.ts';
import type { Cluster } from '../k8s/cluster.ts';
import { traceFlow } from '../k8s/flows.ts';
import type { NetNs } from '../linux/netns.ts';
import { ipsetCommand, ipvsadmCommand, ipvsTableRows } from './ipvs.ts';

const toService: FlowSpec = { from: 'nginx-test-7646687cc4-n8s9s', to: '10.43.6.58:80', proto: 'tcp', kind: 'connect' };

function cluster(scheduler: 'rr' | 'mh' = 'rr'): Cluster {
  const c = loadScenario({ preset: 'seed', modes: { proxy: 'ipvs', scheduler }, seed: 1, before: [] });
  if (!c.ok) throw new Error(c.error.message);
  return c.value;
}

function ipvsadm(ns: NetNs, line: string): string {
  const r = ipvsadmCommand(ns, line.split(' ').filter((w) => w !== ''));
  if (!r.ok) throw new Error(r.error);
  return r.output;
}

function ipvsadmError(ns: NetNs, line: string): string {
  const r = ipvsadmCommand(ns, line.split(' ').filter((w) => w !== ''));
  if (r.ok) throw new Error(`expected an error from ipvsadm ${line}`);
  return r.error;
}

function ipset(ns: NetNs, line: string): string {
  const r = ipsetCommand(ns, line.split(' '));
  if (!r.ok) throw new Error(r.error);
  return r.output;
}

/** ipvsadm.c: printf("  -> %-28s %-7s %-6d %-10u %-10u\n", …) */
const dest = (addr: string, weight: number, active: number, inact: number) =>
  `  -> ${addr.padEnd(28)} ${'Masq'.padEnd(7)} ${String(weight).padEnd(6)} ${String(active).padEnd(10)} ${String(inact).padEnd(10)}`;

const HEADER = ['IP Virtual Server version 1.2.1 (size=4096)', 'Prot LocalAddress:Port Scheduler Flags', '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn'];

describe('ipvsadm -Ln on master (seed, ipvs rr)', () => {
  const c = cluster();
  const master = c.nodes.get('master')!;

  it("prints ipvsadm's header, the services in libipvs sort order and the real servers", () => {
    expect(ipvsadm(master, '-Ln')).toBe(
      [
        ...HEADER,
        'TCP  192.168.205.4:32506 rr',
        dest('10.42.1.6:80', 1, 0, 0),
        dest('10.42.2.6:80', 1, 0, 0),
        'TCP  10.42.0.0:32506 rr',
        dest('10.42.1.6:80', 1, 0, 0),
        dest('10.42.2.6:80', 1, 0, 0),
        'TCP  10.42.0.1:32506 rr',
        dest('10.42.1.6:80', 1, 0, 0),
        dest('10.42.2.6:80', 1, 0, 0),
        'TCP  10.43.0.1:443 rr',
        dest('192.168.205.4:6443', 1, 0, 0),
        'TCP  10.43.6.58:80 rr',
        dest('10.42.1.6:80', 1, 0, 0),
        dest('10.42.2.6:80', 1, 0, 0),
        '',
      ].join('\n'),
    );
  });

  it('accepts the options apart and in long form; -L without -n names the ports', () => {
    expect(ipvsadm(master, '-L -n')).toBe(ipvsadm(master, '-Ln'));
    expect(ipvsadm(master, '--list --numeric')).toBe(ipvsadm(master, '-Ln'));
    expect(ipvsadm(master, '-L')).toContain('TCP  10.43.6.58:http rr\n');
    expect(ipvsadm(master, '-L')).toContain('TCP  10.43.0.1:https rr\n');
  });

  it('-Ln -t VIP:PORT lists one service, without the version line', () => {
    expect(ipvsadm(master, '-Ln -t 10.43.6.58:80')).toBe([...HEADER.slice(1), 'TCP  10.43.6.58:80 rr', dest('10.42.1.6:80', 1, 0, 0), dest('10.42.2.6:80', 1, 0, 0), ''].join('\n'));
    expect(ipvsadm(master, '-Lnt 10.43.6.58:80')).toBe(ipvsadm(master, '-Ln -t 10.43.6.58:80'));
  });

  it('-Sn saves the table as ipvsadm commands', () => {
    const saved = ipvsadm(master, '-Sn').split('\n');
    expect(saved.slice(0, 3)).toEqual(['-A -t 192.168.205.4:32506 -s rr', '-a -t 192.168.205.4:32506 -r 10.42.1.6:80 -m -w 1', '-a -t 192.168.205.4:32506 -r 10.42.2.6:80 -m -w 1']);
  });

  it('gives the real tools’ errors', () => {
    expect(ipvsadmError(master, '-Ln -t 10.43.6.58:81')).toBe('No such service');
    expect(ipvsadmError(master, '-Ln -t nowhere:80')).toBe('illegal virtual server address[:port] specified');
    expect(ipvsadmError(master, '-nL')).toBe("Try `ipvsadm -h' or 'ipvsadm --help' for more information.");
    expect(ipvsadmError(master, '-Lc --stats')).toBe('options conflicts in the list command');
    expect(ipvsadmError(master, '-Lnc -t 10.43.6.58:80')).toBe("The option 'service-address' conflicts with the 'connection' option in the 'list' command");
    expect(ipvsadmError(master, '-Ln -n')).toBe("multiple 'numeric' options specified");
    expect(ipvsadmError(master, '-Ln --bogus')).toBe('--bogus: unknown option');
    expect(ipvsadmError(master, '-Ln -s rr')).toBe("Illegal 'scheduler' option with the 'list' command");
    expect(ipvsadmError(master, '-L -C')).toBe('multiple commands specified');
  });

  it('ipvsTableRows: one row per service, indexed by the trace events\' ref.row', () => {
    const rows = ipvsTableRows(master);
    expect(rows).toHaveLength(5);
    const row = master.ipvs!.find('TCP', '10.43.6.58' as never, 80)!.row;
    expect(rows[row]!.split('\n')[0]).toBe('TCP  10.43.6.58:80 rr');
  });

  it('prints an empty table where IPVS holds nothing (a pod)', () => {
    expect(ipvsadm(c.pods.get('default/nginx-test-7646687cc4-n8s9s')!, '-Ln')).toBe([...HEADER, ''].join('\n'));
  });
});

describe('ipvsadm counters and connections after a flow', () => {
  const c = cluster();
  const master = c.nodes.get('master')!;
  const t = traceFlow(c, toService);
  if (!t.ok) throw new Error(t.error.message);
  const picked = t.value.events.find((e) => e.kind === 'ipvs' && e.host === 'master')!.verdict!;

  it('counts the closed connection as InActConn of the chosen real server (TIME_WAIT is not an active state)', () => {
    const svc = ipvsadm(master, '-Ln -t 10.43.6.58:80');
    expect(svc).toContain(dest(picked, 1, 0, 1));
  });

  it('-Lnc shows the connection entry with its state and timer', () => {
    const lines = ipvsadm(master, '-Lnc').split('\n');
    expect(lines[0]).toBe('IPVS connection entries');
    expect(lines[1]).toBe('pro expire state       source             virtual            destination');
    // the client closed first (FIN in, the server's ACK and FIN out, the last ACK in): TIME_WAIT, 2 minutes
    expect(lines[2]).toMatch(new RegExp(`^TCP 02:00  TIME_WAIT   10\\.42\\.0\\.65:\\d{5}   10\\.43\\.6\\.58:80      ${picked.replace(/\./g, '\\.')}$`));
  });

  it('at the end of the handshake (the debugger stopped there) the entry is ESTABLISHED with its 15-minute timer and counts as ActiveConn', () => {
    const handshake = t.value.events.findIndex((e) => e.packetId === 3);
    const c2 = cluster();
    const m2 = c2.nodes.get('master')!;
    traceFlow(c2, toService, handshake);
    expect(ipvsadm(m2, '-Lnc').split('\n')[2]).toMatch(/^TCP 15:00  ESTABLISHED 10\.42\.0\.65:\d{5} /);
    expect(ipvsadm(m2, '-Ln -t 10.43.6.58:80')).toContain(dest(picked, 1, 1, 0));
  });

  it('--stats prints the counters with print_largenum widths; --rate zeros', () => {
    const lines = ipvsadm(master, '-Ln --stats -t 10.43.6.58:80').split('\n');
    expect(lines[0]).toBe('Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes');
    expect(lines[1]).toBe('  -> RemoteAddress:Port');
    // one connection: four packets in (SYN 60 bytes; ACK, FIN, last ACK 52 each), three out (SYN-ACK 60; ACK, FIN 52 each)
    expect(lines[2]).toBe(`${'TCP  10.43.6.58:80'.padEnd(33)}        1        4        3      216      164`);
    expect(lines).toContain(`  -> ${picked.padEnd(28)}        1        4        3      216      164`);
    const rate = ipvsadm(master, '-Ln --rate -t 10.43.6.58:80').split('\n');
    expect(rate[0]).toBe('Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS');
    expect(rate[2]).toBe(`${'TCP  10.43.6.58:80'.padEnd(33)}${'        0'.repeat(5)}`);
    expect(rate[3]).toBe(`  -> ${'10.42.1.6:80'.padEnd(28)}        0        0        0        0        0`);
  });

  it('--timeout prints the TCP, FIN and UDP timeouts', () => {
    expect(ipvsadm(master, '-L --timeout')).toBe('Timeout (tcp tcpfin udp): 900 120 300\n');
  });
});

describe('ipvsadm edits', () => {
  it('adds, edits and deletes a virtual service and its NAT real servers', () => {
    const c = cluster();
    const m = c.nodes.get('master')!;
    const run = (l: string) => {
      const r = ipvsadmCommand(m, l.split(' '));
      expect(r).toEqual({ ok: true, output: '', mutates: true });
    };
    run('-A -t 10.43.9.9:8080 -s wrr -p 60');
    run('-a -t 10.43.9.9:8080 -r 10.42.1.6:80 -m -w 3');
    expect(ipvsadm(m, '-Ln -t 10.43.9.9:8080')).toContain('TCP  10.43.9.9:8080 wrr persistent 60\n' + dest('10.42.1.6:80', 3, 0, 0));
    run('-e -t 10.43.9.9:8080 -r 10.42.1.6:80 -m -w 0');
    expect(ipvsadm(m, '-Ln -t 10.43.9.9:8080')).toContain(dest('10.42.1.6:80', 0, 0, 0));
    run('-D -t 10.43.9.9:8080');
    expect(ipvsadmError(m, '-D -t 10.43.9.9:8080')).toBe('No such service');
    expect(ipvsadmError(m, '-A -t 10.43.6.58:80 -s rr')).toBe('Service already exists');
    expect(ipvsadmError(m, '-A -t 10.43.9.9:80 -s bogus')).toBe('Scheduler or persistence engine not found');
    expect(ipvsadmError(m, '-a -t 10.43.9.9:80 -r 10.42.1.6 -m')).toBe('Service not defined');
    expect(ipvsadmError(m, '-a -t 10.43.6.58:80 -r 10.42.1.6 -m')).toBe('Destination already exists');
    expect(ipvsadmError(m, '-d -t 10.43.6.58:80 -r 10.42.9.9')).toBe('No such destination');
    expect(ipvsadmError(m, '-a -t 10.43.6.58:80')).toBe("You need to supply the 'real-server' option for the 'add-server' command");
    expect(ipvsadmError(m, '-a -t 10.43.6.58:80 -r 10.42.9.9:80')).toMatch(/only masquerading \(-m, NAT\)/);
  });

  it('mh services print their scheduler flag', () => {
    const m = cluster('mh').nodes.get('master')!;
    expect(ipvsadm(m, '-Ln -t 10.43.6.58:80').split('\n')[2]).toBe('TCP  10.43.6.58:80 mh (mh-port)');
    expect(ipvsadm(m, '-Sn')).toContain('-A -t 10.43.6.58:80 -s mh -b mh-port\n');
  });
});

describe('ipset list (ipset 7.15 plain format)', () => {
  const c = cluster();
  const master = c.nodes.get('master')!;

  it('lists one set with its header, references and members', () => {
    const text = ipset(master, 'list KUBE-CLUSTER-IP');
    expect(text).toMatch(
      /^Name: KUBE-CLUSTER-IP\nType: hash:ip,port\nRevision: 6\nHeader: family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x[0-9a-f]{8}\nSize in memory: \d+\nReferences: 3\nNumber of entries: 2\nMembers:\n10\.43\.0\.1,tcp:443\n10\.43\.6\.58,tcp:80\n$/,
    );
    expect(ipset(master, 'list KUBE-NODE-PORT-TCP')).toBe('Name: KUBE-NODE-PORT-TCP\nType: bitmap:port\nRevision: 3\nHeader: range 0-65535\nSize in memory: 8264\nReferences: 1\nNumber of entries: 1\nMembers:\n32506\n');
  });

  it('lists every set, separated by a blank line, in creation order; -n lists the names', () => {
    const names = ipset(master, 'list -n').trimEnd().split('\n');
    expect(names[0]).toBe('KUBE-LOOP-BACK');
    expect(names).toContain('KUBE-IPVS-IPS');
    expect(names).toHaveLength(17);
    const all = ipset(master, 'list');
    expect(all.split('\n\nName: ')).toHaveLength(17);
    expect(all).toContain('Name: KUBE-IPVS-IPS\nType: hash:ip\nRevision: 5\n');
    expect(ipset(master, 'list -t KUBE-IPVS-IPS')).not.toContain('Members:');
  });

  it('saves sets as create/add lines', () => {
    expect(ipset(master, 'save KUBE-NODE-PORT-TCP')).toBe('create KUBE-NODE-PORT-TCP bitmap:port range 0-65535\nadd KUBE-NODE-PORT-TCP 32506\n');
  });

  it('gives ipset’s errors', () => {
    expect(ipsetCommand(master, ['list', 'NOPE'])).toEqual({ ok: false, error: 'ipset v7.15: The set with the given name does not exist' });
    expect(ipsetCommand(master, ['lst'])).toEqual({ ok: false, error: "ipset v7.15: No command specified: unknown argument lst\nTry `ipset help' for more information." });
    expect(ipsetCommand(master, ['add', 'KUBE-CLUSTER-IP', '10.43.6.58,tcp:80'])).toEqual({ ok: false, error: "ipset v7.15: Element cannot be added to the set: it's already added" });
  });

  it('deleting the ClusterIP from KUBE-CLUSTER-IP makes KUBE-IPVS-FILTER reject the connection', () => {
    const c2 = cluster();
    const m = c2.nodes.get('master')!;
    expect(ipsetCommand(m, ['del', 'KUBE-CLUSTER-IP', '10.43.6.58,tcp:80'])).toEqual({ ok: true, output: '', mutates: true });
    const t = traceFlow(c2, toService);
    if (!t.ok) throw new Error(t.error.message);
    const drop = t.value.events.find((e) => e.packetId === 0 && e.kind === 'drop')!;
    expect([drop.host, drop.reason]).toEqual(['master', 'NETFILTER_REJECT']);
    expect(t.value.events.some((e) => e.packetId === 0 && e.kind === 'rule' && e.ref?.chain === 'KUBE-IPVS-FILTER' && e.verdict === 'REJECT icmp-port-unreachable')).toBe(true);
  });
});
