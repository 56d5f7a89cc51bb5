import { describe, expect, it } from 'vitest';
import { simulate } from '../api.ts';
import type { Ipv4 } from '../net/addr.ts';
import { Conntrack, tcpTransition } from './conntrack.ts';

const SYN = 0x02;
const SYNACK = 0x12;
const ACK = 0x10;
const FIN_ACK = 0x11;
const RST = 0x04;
const tuple = { proto: 'tcp' as const, src: '10.42.0.65' as Ipv4, dst: '10.43.6.58' as Ipv4, sport: 41234, dport: 80 };

describe('conntrack TCP state machine (nf_conntrack_proto_tcp.c tcp_conntracks)', () => {
  it('follows the handshake: SYN_SENT 120 [UNREPLIED] → SYN_RECV 60 → ESTABLISHED 432000 [ASSURED]', () => {
    const ct = new Conntrack();
    const c = ct.create(tuple, SYN)!;
    expect([c.tcpState, c.timeoutSec, c.seenReply, c.assured]).toEqual(['SYN_SENT', 120, false, false]);
    ct.confirm(c, 10);
    ct.update(c, 'reply', SYNACK, 20);
    expect([c.tcpState, c.timeoutSec, c.seenReply, c.assured]).toEqual(['SYN_RECV', 60, true, false]);
    const u = ct.update(c, 'orig', ACK, 30);
    expect(u).toEqual({ before: 'SYN_RECV', after: 'ESTABLISHED', invalid: false, assuredNow: true });
    expect([c.tcpState, c.timeoutSec, c.assured]).toEqual(['ESTABLISHED', 432000, true]);
    expect(c.versions.map((v) => [v.sinceUs, v.tcpState, v.timeoutSec, v.seenReply, v.assured])).toEqual([
      [10, 'SYN_SENT', 120, false, false],
      [20, 'SYN_RECV', 60, true, false],
      [30, 'ESTABLISHED', 432000, true, true],
    ]);
  });

  it('closes through FIN_WAIT, LAST_ACK, TIME_WAIT; a RST closes at once', () => {
    expect(tcpTransition('ESTABLISHED', 'orig', FIN_ACK)).toBe('FIN_WAIT');
    expect(tcpTransition('FIN_WAIT', 'reply', FIN_ACK)).toBe('LAST_ACK');
    expect(tcpTransition('LAST_ACK', 'orig', ACK)).toBe('TIME_WAIT');
    expect(tcpTransition('SYN_SENT', 'reply', RST)).toBe('CLOSE');
  });

  it('refuses what does not fit: an ACK before the SYN/ACK is invalid, a SYN/ACK cannot start a connection', () => {
    expect(tcpTransition('SYN_SENT', 'orig', ACK)).toBe('INVALID');
    expect(tcpTransition('ESTABLISHED', 'orig', SYN)).toBe('IGNORE');
    const ct = new Conntrack();
    expect(ct.create(tuple, SYNACK)).toBeUndefined();
    // nf_conntrack_tcp_loose=1: a mid-stream ACK is picked up as ESTABLISHED
    expect(ct.create(tuple, ACK)?.tcpState).toBe('ESTABLISHED');
    const c = ct.create(tuple, SYN)!;
    expect(ct.update(c, 'orig', ACK, 5).invalid).toBe(true);
    expect(c.tcpState).toBe('SYN_SENT');
  });

  it('a traced connection shows each state from the step that caused it', () => {
    const r = simulate({ preset: 'seed', modes: { proxy: 'iptables', backend: 'vxlan' }, seed: 1, before: [], flow: { from: 'nginx-test-7646687cc4-n8s9s', to: '10.43.6.58:80', proto: 'tcp', kind: 'connect' } });
    if (!r.ok) throw new Error(r.error.message);
    const { events } = r.value.trace;
    const master = r.value.tables.find((t) => t.host === 'master' && t.netns === 'root')!;
    const row = master.conntrack.findIndex((l) => l.includes('dst=10.43.6.58'));
    const versions = master.conntrackVersions[row]!.versions;
    // the handshake, then the close the client starts (nf_conntrack_proto_tcp.c's table: an
    // original FIN → FIN_WAIT, the reply's ACK → CLOSE_WAIT, its FIN → LAST_ACK, the last ACK →
    // TIME_WAIT, 120 s — what the real kernel's conntrack -L shows after the same connection)
    expect(versions.map((v) => v.line.split(' ').filter(Boolean).slice(2, 4).join(' '))).toEqual(['120 SYN_SENT', '60 SYN_RECV', '432000 ESTABLISHED', '120 FIN_WAIT', '60 CLOSE_WAIT', '30 LAST_ACK', '120 TIME_WAIT']);
    expect(versions[0]!.line).toContain('[UNREPLIED]');
    expect(versions[2]!.line).toContain('[ASSURED]');
    // SYN_RECV arrives with the SYN/ACK's conntrack step on master, ESTABLISHED with the ACK's
    const at = (v: { sinceUs: number }) => events.find((e) => e.timeUs >= v.sinceUs)!;
    expect([at(versions[1]!).kind, at(versions[1]!).packetId, at(versions[1]!).host]).toEqual(['conntrack', 1, 'master']);
    expect([at(versions[2]!).kind, at(versions[2]!).packetId, at(versions[2]!).host]).toEqual(['conntrack', 2, 'master']);
    // TIME_WAIT with the last ACK's (packet 6: the client's ACK of the server's FIN)
    expect([at(versions[6]!).kind, at(versions[6]!).packetId, at(versions[6]!).host]).toEqual(['conntrack', 6, 'master']);
    expect(versions[6]!.line).toContain('[ASSURED]');
    // before it is confirmed, the DNAT step carries the packet's own entry: SYN_SENT, reply from the endpoint
    const dnat = events.find((e) => e.kind === 'nat' && e.packetId === 0)!;
    expect(dnat.conn).toMatchObject({ confirmed: false, tcpState: 'SYN_SENT', timeoutSec: 120, seenReply: false, reply: { src: '10.42.1.6' } });
  });
});
