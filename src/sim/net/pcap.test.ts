import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ipv4, mac } from './addr.ts';
import { encode } from './encode.ts';
import { hexdump } from './hexdump.ts';
import { writePcap } from './pcap.ts';
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  TCP_ACK,
  TCP_PSH,
  TCP_SYN,
} from './packet.ts';
import type { ArpLayer, EthernetLayer, Ipv4Layer, Packet } from './packet.ts';

const eth = (src: string, dst: string, ethertype = ETHERTYPE_IPV4): EthernetLayer => ({
  type: 'ethernet',
  src: mac(src),
  dst: mac(dst),
  ethertype,
});
const ip = (src: string, dst: string, proto: number, more: Partial<Ipv4Layer> = {}): Ipv4Layer => ({
  type: 'ipv4',
  src: ipv4(src),
  dst: ipv4(dst),
  ttl: 64,
  proto,
  id: 0x2f1a,
  df: true,
  dsfield: 0,
  ...more,
});
const arp = (opcode: 1 | 2, sha: string, spa: string, tha: string, tpa: string): ArpLayer => ({
  type: 'arp',
  opcode,
  src_hw_mac: mac(sha),
  src_proto_ipv4: ipv4(spa),
  dst_hw_mac: mac(tha),
  dst_proto_ipv4: ipv4(tpa),
});

const MASTER_NIC = '52:54:00:12:34:04';
const NODE1_NIC = '52:54:00:12:34:03';
const MASTER_VTEP = 'c2:18:8f:0b:5e:11';
const NODE1_VTEP = '62:c8:a9:ce:ca:4e';
const N8S9S = '0a:58:0a:2a:00:41';
const MASTER_CNI0 = '0a:58:0a:2a:00:01';

/** The seed's cross-node connect: n8s9s (master) → z8xnq (node1) over flannel's VXLAN. */
const vxlanSyn: Packet = [
  eth(MASTER_NIC, NODE1_NIC),
  ip('192.168.205.4', '192.168.205.3', IPPROTO_UDP, { df: false }),
  { type: 'udp', srcport: 43210, dstport: 8472 },
  { type: 'vxlan', flags: 0x08, vni: 1 },
  eth(MASTER_VTEP, NODE1_VTEP),
  ip('10.42.0.65', '10.42.1.9', IPPROTO_TCP, { ttl: 63 }),
  {
    type: 'tcp',
    srcport: 41000,
    dstport: 80,
    seq: 1_511_283_912,
    ack: 0,
    flags: TCP_SYN,
    window: 64860,
    options: [
      { kind: 'mss', value: 1410 },
      { kind: 'sack_perm' },
      { kind: 'timestamp', tsval: 3_194_322_011, tsecr: 0 },
      { kind: 'nop' },
      { kind: 'wscale', value: 7 },
    ],
  },
];
const echo = (icmp_type: 0 | 8, src: string, dst: string): Packet => [
  icmp_type === 8 ? eth(N8S9S, MASTER_CNI0) : eth(MASTER_CNI0, N8S9S),
  ip(src, dst, IPPROTO_ICMP, { ttl: icmp_type === 8 ? 64 : 62 }),
  { type: 'icmp', icmp_type, code: 0, ident: 0x0b3c, seq: 1 },
  { type: 'data', length: 56 },
];
/** traceroute's first UDP probe dies at master's cni0 gateway, which quotes it back. */
const timeExceeded: Packet = [
  eth(MASTER_CNI0, N8S9S),
  ip('10.42.0.1', '10.42.0.65', IPPROTO_ICMP, { df: false, dsfield: 0xc0 }),
  { type: 'icmp', icmp_type: 11, code: 0 },
  ip('10.42.0.65', '10.42.1.9', IPPROTO_UDP, { ttl: 1, df: false }),
  { type: 'udp', srcport: 46733, dstport: 33434 },
  { type: 'data', length: 32 },
];
/** A 1500-byte segment from n8s9s, too big for flannel.1's MTU of 1450 … */
const bigSegment: Packet = [
  eth(N8S9S, MASTER_CNI0),
  ip('10.42.0.65', '10.42.1.9', IPPROTO_TCP),
  {
    type: 'tcp',
    srcport: 41000,
    dstport: 80,
    seq: 1_511_283_913,
    ack: 2_000_000_001,
    flags: TCP_ACK | TCP_PSH,
    window: 507,
    options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', tsval: 3_194_322_050, tsecr: 88_000 }],
  },
  { type: 'data', length: 1448, text: 'POST /upload HTTP/1.1\r\nHost: 10.42.1.9\r\n\r\n' },
];
/** … so master's cni0 gateway answers "fragmentation needed", quoting it. */
const fragNeeded: Packet = [
  eth(MASTER_CNI0, N8S9S),
  ip('10.42.0.1', '10.42.0.65', IPPROTO_ICMP, { df: false, dsfield: 0xc0 }),
  { type: 'icmp', icmp_type: 3, code: 4, mtu: 1450 },
  ...bigSegment.slice(1),
];
const arpRequest: Packet = [
  eth(MASTER_NIC, 'ff:ff:ff:ff:ff:ff', ETHERTYPE_ARP),
  arp(1, MASTER_NIC, '192.168.205.4', '00:00:00:00:00:00', '192.168.205.3'),
];
const arpReply: Packet = [
  eth(NODE1_NIC, MASTER_NIC, ETHERTYPE_ARP),
  arp(2, NODE1_NIC, '192.168.205.3', MASTER_NIC, '192.168.205.4'),
];

const PACKETS: readonly Packet[] = [
  vxlanSyn,
  echo(8, '10.42.0.65', '10.42.1.9'),
  echo(0, '10.42.1.9', '10.42.0.65'),
  timeExceeded,
  bigSegment,
  fragNeeded,
  arpRequest,
  arpReply,
];
const T0 = 1_700_000_000_000_000;
const FRAMES = PACKETS.map((packet, i) => ({ bytes: encode(packet), timeUs: T0 + i * 1500 }));

const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

describe('writePcap', () => {
  it('writes the classic little-endian header: magic, version 2.4, snaplen 262144, Ethernet', () => {
    const file = writePcap([]);
    expect(Array.from(file)).toEqual([
      0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x04, 0x00, 1, 0, 0, 0,
    ]);
  });

  it('writes each frame whole after a record header with its time split into seconds and microseconds', () => {
    const file = writePcap(FRAMES.slice(0, 2));
    const v = view(file);
    const first = FRAMES[0]!.bytes;
    expect(v.getUint32(24, true)).toBe(1_700_000_000);
    expect(v.getUint32(28, true)).toBe(0);
    expect(v.getUint32(32, true)).toBe(first.length);
    expect(v.getUint32(36, true)).toBe(first.length);
    expect(file.subarray(40, 40 + first.length)).toEqual(first);
    const second = 40 + first.length;
    expect(v.getUint32(second + 4, true)).toBe(1500);
    expect(file.length).toBe(second + 16 + FRAMES[1]!.bytes.length);
  });
});

/** Runs tshark; the test fails (is never skipped) when it is missing. */
function tshark(args: readonly string[]): string {
  try {
    return execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        'tshark is not installed: run `node scripts/ensure-tools.mjs` as root, or `apt-get install tshark`',
      );
    }
    throw error;
  }
}

describe('a pcap of the seed flows, dissected by tshark', () => {
  const FRAG_NEEDED_FRAME = PACKETS.indexOf(fragNeeded) + 1;
  let dir = '';
  let file = '';
  /** tshark with VXLAN on flannel's port and the given checksum checks switched on. */
  const dissect = (check: readonly string[], ...args: string[]) =>
    tshark([
      ...['-r', file, '-d', 'udp.port==8472,vxlan'],
      ...check.flatMap((protocol) => ['-o', `${protocol}.check_checksum:TRUE`]),
      ...args,
    ]);
  const fieldArgs = (fields: readonly string[]) => [
    ...['-T', 'fields', '-E', 'occurrence=a'],
    ...fields.flatMap((field) => ['-e', field]),
  ];
  const BAD = /Malformed|\[Checksum: Bad|incorrect|Status: Bad|Expert Info \((Error|Warning)/;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kube-packet-lab-'));
    file = join(dir, 'seed.pcap');
    writeFileSync(file, writePcap(FRAMES));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds nothing malformed and verifies every IPv4, TCP, UDP and ICMP checksum as correct', () => {
    const text = dissect(['ip', 'tcp', 'udp'], '-V', '-Y', `frame.number != ${FRAG_NEEDED_FRAME}`);
    expect(text.match(/^Frame \d+:/gm)).toHaveLength(PACKETS.length - 1);
    expect(text).not.toMatch(BAD);
    // IPv4: VXLAN outer+inner, 2 echoes, time exceeded + its quote, the big segment = 7;
    // TCP: the inner SYN and the big segment; UDP: the VXLAN outer datagram and the quoted
    // probe; ICMP: 2 echoes and the time exceeded
    expect(text.match(/Checksum: 0x[0-9a-f]{4} \[correct\]/g)).toHaveLength(7 + 2 + 2 + 3);
    expect(text).not.toContain('zero-value ignored');
  });

  it('reads a frag-needed whose quote is cut at 548 bytes, the quoted TCP checksum being the original one', () => {
    // tshark would recompute the quoted TCP checksum over the 496 quoted payload bytes only,
    // so it is compared with the original segment's (frame 5, verified above) instead.
    const text = dissect(['ip', 'udp'], '-V', '-Y', `frame.number == ${FRAG_NEEDED_FRAME}`);
    expect(text).not.toMatch(BAD);
    expect(text.match(/Checksum: 0x[0-9a-f]{4} \[correct\]/g)).toHaveLength(3); // IPv4 ×2, ICMP
    const rows = dissect([], '-Y', 'tcp.srcport == 41000', ...fieldArgs(['frame.number', 'tcp.checksum']));
    const checksum = (frame: number) => rows.split('\n').find((row) => row.startsWith(`${frame}\t`))?.split('\t')[1];
    expect(checksum(FRAG_NEEDED_FRAME)).toBe(checksum(PACKETS.indexOf(bigSegment) + 1));
    expect(checksum(FRAG_NEEDED_FRAME)).toMatch(/^0x[0-9a-f]{4}$/);
  });

  it('reads the VXLAN frame as VNI 1 carrying the pod-to-pod SYN', () => {
    const fields = ['vxlan.vni', 'tcp.flags.syn', 'ip.src', 'ip.dst', 'udp.srcport', 'udp.dstport', 'tcp.dstport'];
    const row = dissect([], '-Y', 'frame.number == 1', ...fieldArgs(fields));
    expect(row.trim().split('\t')).toEqual([
      '1',
      '1',
      '192.168.205.4,10.42.0.65',
      '192.168.205.3,10.42.1.9',
      '43210',
      '8472',
      '80',
    ]);
  });

  it('reads echo, time exceeded, frag-needed and ARP as the kernel sends them', () => {
    const fields = ['frame.len', 'ip.len', 'icmp.type', 'icmp.code', 'icmp.mtu', 'udp.dstport', 'arp.opcode'];
    const rows = dissect([], ...fieldArgs(fields));
    expect(rows.trimEnd().split('\n').slice(1)).toEqual([
      '98\t84\t8\t0\t\t\t',
      '98\t84\t0\t0\t\t\t',
      '102\t88,60\t11\t0\t\t33434\t',
      '1514\t1500\t\t\t\t\t',
      '590\t576,1500\t3\t4\t1450\t\t',
      '42\t\t\t\t\t\t1',
      '42\t\t\t\t\t\t2',
    ]);
  });

  it('prints the same hex dump as hexdump()', () => {
    const expected = FRAMES.map(({ bytes }) => [...hexdump(bytes), ''].join('\n')).join('\n');
    expect(dissect([], '-x')).toBe(expected + '\n');
  });
});
