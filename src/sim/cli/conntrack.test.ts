import { describe, expect, it } from 'vitest';
import type { Ipv4 } from '../net/addr.ts';
import type { Connection, Tuple } from '../linux/conntrack.ts';
import { World } from '../linux/world.ts';
import { conntrackCommand, conntrackLines } from './conntrack.ts';
import type { CommandResult } from './ip.ts';

const ip = (s: string) => s as Ipv4;

/** master's table after a pod curls the ClusterIP (DNAT to 10.42.1.6), a ping and a DNS query. */
function table() {
  const world = new World(3);
  const ns = world.createNs('master', 'root', 'root');
  const add = (t: Tuple, f: (c: Connection) => void = () => {}): Connection => {
    const c = ns.conntrack.create(t)!;
    f(c);
    ns.conntrack.confirm(c, 0);
    return c;
  };
  // the SYN: SYN_SENT, DNATed to the endpoint before it is confirmed
  const http = add({ proto: 'tcp', src: ip('10.42.0.65'), dst: ip('10.43.6.58'), sport: 41234, dport: 80 }, (c) => {
    ns.conntrack.alterReply(c, { proto: 'tcp', src: ip('10.42.1.6'), dst: ip('10.42.0.65'), sport: 80, dport: 41234 });
  });
  const ping = add({ proto: 'icmp', src: ip('10.42.0.65'), dst: ip('10.42.1.9'), sport: 7, dport: 7 });
  const dns = add({ proto: 'udp', src: ip('10.42.0.65'), dst: ip('10.43.0.10'), sport: 53001, dport: 53 });
  return { world, ns, http, ping, dns };
}

function ok(r: CommandResult): { output: string; stderr?: string; mutates: boolean } {
  if (!r.ok) throw new Error(r.error);
  return r;
}

describe('conntrack -L', () => {
  it('prints entries in table order with conntrack-tools spacing, and the summary for stderr', () => {
    const { world, ns } = table();
    const r = ok(conntrackCommand(world, ns, ['-L']));
    expect(r.output).toBe(
      [
        'tcp      6 120 SYN_SENT src=10.42.0.65 dst=10.43.6.58 sport=41234 dport=80 [UNREPLIED] src=10.42.1.6 dst=10.42.0.65 sport=80 dport=41234 mark=0 use=1',
        'icmp     1 30 src=10.42.0.65 dst=10.42.1.9 type=8 code=0 id=7 [UNREPLIED] src=10.42.1.9 dst=10.42.0.65 type=0 code=0 id=7 mark=0 use=1',
        'udp      17 30 src=10.42.0.65 dst=10.43.0.10 sport=53001 dport=53 [UNREPLIED] src=10.43.0.10 dst=10.42.0.65 sport=53 dport=53001 mark=0 use=1',
        '',
      ].join('\n'),
    );
    expect(r.stderr).toBe('conntrack v1.4.7 (conntrack-tools): 3 flow entries have been shown.\n');
    expect(r.mutates).toBe(false);
    expect(conntrackLines(ns)).toEqual(r.output.replace(/\n$/, '').split('\n'));
  });

  it('follows the TCP state, marks replied flows [ASSURED] (UDP only once still active 2 s on) with their timeouts', () => {
    const { world, ns, http, dns, ping } = table();
    ns.conntrack.update(http, 'reply', 0x12, 10); // SYN+ACK
    expect([http.tcpState, http.timeoutSec, http.assured]).toEqual(['SYN_RECV', 60, false]);
    http.mark = 0x4000;
    ns.conntrack.update(http, 'orig', 0x10, 20); // the handshake's ACK
    ns.conntrack.update(dns, 'reply', 0, 30);
    ns.conntrack.update(ping, 'reply', 0, 40);
    const lines = ok(conntrackCommand(world, ns, ['--dump'])).output.split('\n');
    expect(lines[0]).toBe('tcp      6 432000 ESTABLISHED src=10.42.0.65 dst=10.43.6.58 sport=41234 dport=80 src=10.42.1.6 dst=10.42.0.65 sport=80 dport=41234 [ASSURED] mark=16384 use=1');
    expect(lines[1]).toBe('icmp     1 30 src=10.42.0.65 dst=10.42.1.9 type=8 code=0 id=7 src=10.42.1.9 dst=10.42.0.65 type=0 code=0 id=7 mark=0 use=1');
    // nf_conntrack_udp_packet: an answer within 2 s of the query is not yet a stream
    expect(lines[2]).toBe('udp      17 30 src=10.42.0.65 dst=10.43.0.10 sport=53001 dport=53 src=10.43.0.10 dst=10.42.0.65 sport=53 dport=53001 mark=0 use=1');
    ns.conntrack.update(dns, 'orig', 0, 2_000_001);
    expect(ok(conntrackCommand(world, ns, ['--dump'])).output.split('\n')[2]).toBe(
      'udp      17 120 src=10.42.0.65 dst=10.43.0.10 sport=53001 dport=53 src=10.43.0.10 dst=10.42.0.65 sport=53 dport=53001 [ASSURED] mark=0 use=1',
    );
  });

  it('filters by protocol, addresses, ports and NAT', () => {
    const { world, ns } = table();
    const count = (argv: string[]) => ok(conntrackCommand(world, ns, argv)).stderr;
    expect(count(['-L', '-p', 'tcp'])).toBe('conntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.\n');
    expect(count(['-L', '-d', '10.43.6.58'])).toContain(' 1 flow entries');
    expect(count(['-L', '-r', '10.42.1.6'])).toContain(' 1 flow entries');
    expect(count(['-L', '-p', 'udp', '--dport', '53'])).toContain(' 1 flow entries');
    expect(count(['-L', '--dst-nat'])).toContain(' 1 flow entries');
    expect(count(['-L', '--src-nat'])).toContain(' 0 flow entries');
    expect(count(['-L', '-f', 'ipv6'])).toContain(' 0 flow entries');
    expect(ok(conntrackCommand(world, ns, ['-L', '-o', 'extended', '-p', 'icmp'])).output).toMatch(/^ipv4 {5}2 icmp {5}1 30 /);
    expect(ok(conntrackCommand(world, ns, ['-C'])).output).toBe('3\n');
  });

  it('deletes matching entries, keeping the order of the others, and flushes', () => {
    const { world, ns, http, dns } = table();
    const d = ok(conntrackCommand(world, ns, ['-D', '-p', 'icmp']));
    expect(d.mutates).toBe(true);
    expect(d.stderr).toBe('conntrack v1.4.7 (conntrack-tools): 1 flow entries have been deleted.\n');
    expect(ns.conntrack.connections).toEqual([http, dns]);
    expect(ns.conntrack.find({ proto: 'tcp', src: ip('10.42.1.6'), dst: ip('10.42.0.65'), sport: 80, dport: 41234 })?.dir).toBe('reply');
    const f = ok(conntrackCommand(world, ns, ['-F']));
    expect(f.stderr).toBe('conntrack v1.4.7 (conntrack-tools): connection tracking table has been emptied.\n');
    expect(ns.conntrack.connections).toHaveLength(0);
  });

  it('answers bad command lines as conntrack-tools does', () => {
    const { world, ns } = table();
    expect(conntrackCommand(world, ns, [])).toEqual({ ok: false, error: "conntrack v1.4.7 (conntrack-tools): no command specified\nTry `conntrack -h' or 'conntrack --help' for more information." });
    expect(conntrackCommand(world, ns, ['-L', '-s', 'pod'])).toEqual({ ok: false, error: "conntrack v1.4.7 (conntrack-tools): Invalid IP address `pod'.\nTry `conntrack -h' or 'conntrack --help' for more information." });
    expect(conntrackCommand(world, ns, ['-L', '-D'])).toEqual({ ok: false, error: "conntrack v1.4.7 (conntrack-tools): Invalid commands combination\nTry `conntrack -h' or 'conntrack --help' for more information." });
    expect(conntrackCommand(world, ns, ['-X'])).toEqual({ ok: false, error: "conntrack: invalid option -- 'X'\nTry `conntrack -h' or 'conntrack --help' for more information." });
    expect(ok(conntrackCommand(world, ns, ['-V'])).output).toBe('conntrack v1.4.7 (conntrack-tools)\n');
  });
});
