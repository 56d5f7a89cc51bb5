import { describe, expect, it } from 'vitest';
import { ipv4, mac } from './addr.ts';
import { decode } from './decode.ts';
import { encode } from './encode.ts';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, TCP_ACK, TCP_SYN } from './packet.ts';
import type { EthernetLayer, Ipv4Layer, Packet, TcpLayer } from './packet.ts';

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
  id: 54321,
  df: true,
  dsfield: 0,
  ...more,
});
const synAck: TcpLayer = {
  type: 'tcp',
  srcport: 80,
  dstport: 41000,
  seq: 0xfffffff0,
  ack: 0x80000001,
  flags: TCP_SYN | TCP_ACK,
  window: 64308,
  options: [
    { kind: 'mss', value: 1410 },
    { kind: 'sack_perm' },
    { kind: 'timestamp', tsval: 4_000_000_000, tsecr: 123 },
    { kind: 'nop' },
    { kind: 'wscale', value: 7 },
  ],
};
const POD = '0a:58:0a:2a:01:09';
const CNI0 = '0a:58:0a:2a:01:01';

const roundTrips: Record<string, Packet> = {
  'a TCP SYN-ACK with Linux options and 32-bit seq/ack': [
    eth(POD, CNI0),
    ip('10.42.1.9', '10.42.0.65', IPPROTO_TCP),
    synAck,
  ],
  'a VXLAN frame carrying a TCP segment with an HTTP request': [
    eth('52:54:00:12:34:03', '52:54:00:12:34:04'),
    ip('192.168.205.3', '192.168.205.4', IPPROTO_UDP, { df: false }),
    { type: 'udp', srcport: 51515, dstport: 8472 },
    { type: 'vxlan', flags: 0x08, vni: 1 },
    eth('62:c8:a9:ce:ca:4e', 'c2:18:8f:0b:5e:11'),
    ip('10.42.1.9', '10.42.0.65', IPPROTO_TCP, { ttl: 63 }),
    { ...synAck, flags: TCP_ACK, options: [] },
    { type: 'data', length: 78, text: 'GET / HTTP/1.1\r\nHost: 10.43.6.58\r\n\r\n' },
  ],
  'a VXLAN frame on the IANA port 4789 with a large VNI': [
    eth('52:54:00:12:34:03', '52:54:00:12:34:04'),
    ip('192.168.205.3', '192.168.205.4', IPPROTO_UDP, { df: false }),
    { type: 'udp', srcport: 51515, dstport: 4789 },
    { type: 'vxlan', flags: 0x08, vni: 0xfedcba },
    eth('62:c8:a9:ce:ca:4e', 'c2:18:8f:0b:5e:11'),
    ip('10.42.1.9', '10.42.0.65', IPPROTO_ICMP),
    { type: 'icmp', icmp_type: 0, code: 0, ident: 7, seq: 65535 },
    { type: 'data', length: 56 },
  ],
  'an ICMP echo request with a zero payload': [
    eth(POD, CNI0),
    ip('10.42.1.9', '10.42.0.65', IPPROTO_ICMP, { dsfield: 0x10 }),
    { type: 'icmp', icmp_type: 8, code: 0, ident: 0xbeef, seq: 3 },
    { type: 'data', length: 56 },
  ],
  'an ICMP port unreachable quoting a UDP datagram': [
    eth(CNI0, POD),
    ip('10.42.0.65', '10.42.1.9', IPPROTO_ICMP, { df: false, dsfield: 0xc0 }),
    { type: 'icmp', icmp_type: 3, code: 3 },
    ip('10.42.1.9', '10.42.0.65', IPPROTO_UDP),
    { type: 'udp', srcport: 40000, dstport: 33434 },
    { type: 'data', length: 32, text: '@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_' },
  ],
  'a frag-needed whose quote is truncated: lengths come from the quoted headers': [
    eth(CNI0, POD),
    ip('10.42.1.1', '10.42.1.9', IPPROTO_ICMP, { df: false }),
    { type: 'icmp', icmp_type: 3, code: 4, mtu: 1450 },
    ip('10.42.1.9', '10.42.0.65', IPPROTO_TCP),
    {
      ...synAck,
      flags: TCP_ACK,
      options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', tsval: 1, tsecr: 2 }],
    },
    { type: 'data', length: 1448, text: 'HTTP/1.1 200 OK\r\n' },
  ],
  'an ARP reply': [
    eth(POD, CNI0, ETHERTYPE_ARP),
    {
      type: 'arp',
      opcode: 2,
      src_hw_mac: mac(POD),
      src_proto_ipv4: ipv4('10.42.1.9'),
      dst_hw_mac: mac(CNI0),
      dst_proto_ipv4: ipv4('10.42.1.1'),
    },
  ],
};

describe('decode', () => {
  for (const [name, packet] of Object.entries(roundTrips)) {
    it(`round-trips ${name}`, () => {
      expect(decode(encode(packet))).toEqual(packet);
    });
  }

  it('reads a TCP SYN without data as having no data layer, and drops an empty one', () => {
    const syn: Packet = [eth(POD, CNI0), ip('10.42.1.9', '10.42.0.65', IPPROTO_TCP), synAck];
    expect(decode(encode([...syn, { type: 'data', length: 0 }]))).toEqual(syn);
  });

  it('reads option padding as the EOL it is on the wire', () => {
    const tcp: TcpLayer = { ...synAck, options: [{ kind: 'mss', value: 1410 }, { kind: 'wscale', value: 7 }] };
    const decoded = decode(encode([eth(POD, CNI0), ip('10.42.1.9', '10.42.0.65', IPPROTO_TCP), tcp]));
    expect(decoded[2]).toEqual({ ...tcp, options: [...tcp.options, { kind: 'eol' }] });
  });

  it('fills in echo ident/seq and frag-needed mtu left out, and drops fields a type does not carry', () => {
    const decoded = decode(
      encode([
        eth(POD, CNI0),
        ip('10.42.1.9', '10.42.0.65', IPPROTO_ICMP),
        { type: 'icmp', icmp_type: 8, code: 0, mtu: 1400 },
      ]),
    );
    expect(decoded[2]).toEqual({ type: 'icmp', icmp_type: 8, code: 0, ident: 0, seq: 0 });
  });

  it('recovers text only up to the first zero byte and when it is UTF-8', () => {
    const payload = (text: string): Packet => [
      eth(POD, CNI0),
      ip('10.42.1.9', '10.42.0.65', IPPROTO_UDP),
      { type: 'udp', srcport: 1000, dstport: 2000 },
      { type: 'data', length: 16, text },
    ];
    expect(decode(encode(payload('héllo')))[3]).toEqual({ type: 'data', length: 16, text: 'héllo' });
    expect(decode(encode(payload('a\u0000b')))[3]).toEqual({ type: 'data', length: 16, text: 'a' });
    const binary = encode(payload(''));
    binary[binary.length - 16] = 0xff;
    expect(decode(binary)[3]).toEqual({ type: 'data', length: 16 });
  });

  it('ignores Ethernet padding after the IP datagram', () => {
    const arp = roundTrips['an ARP reply']!;
    const ping = roundTrips['an ICMP echo request with a zero payload']!;
    for (const packet of [arp, ping.slice(0, 3)]) {
      const bytes = encode(packet);
      const padded = new Uint8Array(Math.max(60, bytes.length + 4));
      padded.set(bytes);
      expect(decode(padded)).toEqual(packet);
    }
  });

  it('says where a truncated frame ends too early', () => {
    const bytes = encode(roundTrips['a TCP SYN-ACK with Linux options and 32-bit seq/ack']!);
    expect(() => decode(bytes.subarray(0, 50))).toThrow(
      'cannot decode frame at byte 34: TCP header needs 20 bytes, 16 left',
    );
  });
});
