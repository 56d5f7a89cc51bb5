import { describe, expect, it } from 'vitest';
import { ipToInt, ipv4, mac } from './addr.ts';
import {
  VXLAN_OVERHEAD,
  encode,
  fieldSpans,
  frameLength,
  internetChecksum,
  ipLength,
  tcpHeaderLength,
} from './encode.ts';
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
import type { EthernetLayer, Ipv4Layer, Packet, TcpLayer, TcpOption } from './packet.ts';

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
  id: 0x1c46,
  df: true,
  dsfield: 0,
  ...more,
});
const tcp = (options: readonly TcpOption[], more: Partial<TcpLayer> = {}): TcpLayer => ({
  type: 'tcp',
  srcport: 41000,
  dstport: 80,
  seq: 0x3ade68b1,
  ack: 0,
  flags: TCP_SYN,
  window: 64240,
  options,
  ...more,
});

/** tcp_syn_options + tcp_options_write on Linux: MSS, SACK_PERM+TS in one word, NOP, WS. */
const LINUX_SYN_OPTIONS: readonly TcpOption[] = [
  { kind: 'mss', value: 1460 },
  { kind: 'sack_perm' },
  { kind: 'timestamp', tsval: 2_715_497_542, tsecr: 0 },
  { kind: 'nop' },
  { kind: 'wscale', value: 7 },
];
/** What a macOS SYN carries (as tcpdump shows it): 23 option bytes, padded to 24. */
const MACOS_SYN_OPTIONS: readonly TcpOption[] = [
  { kind: 'mss', value: 1460 },
  { kind: 'nop' },
  { kind: 'wscale', value: 6 },
  { kind: 'nop' },
  { kind: 'nop' },
  { kind: 'timestamp', tsval: 1_021_356_114, tsecr: 0 },
  { kind: 'sack_perm' },
  { kind: 'eol' },
];

const POD_A = '0a:58:0a:2a:00:41';
const CNI0 = '0a:58:0a:2a:00:01';
const podSyn: Packet = [eth(POD_A, CNI0), ip('10.42.0.65', '10.42.1.9', IPPROTO_TCP), tcp(LINUX_SYN_OPTIONS)];
const ping: Packet = [
  eth(POD_A, CNI0),
  ip('10.42.0.65', '10.42.1.9', IPPROTO_ICMP),
  { type: 'icmp', icmp_type: 8, code: 0, ident: 0x1f2e, seq: 1 },
  { type: 'data', length: 56 },
];
/** What master's flannel.1 + enp0s1 make of the pod's SYN (inner TTL already decremented). */
const innerSyn: Packet = [
  eth('c2:18:8f:0b:5e:11', '62:c8:a9:ce:ca:4e'),
  ip('10.42.0.65', '10.42.1.9', IPPROTO_TCP, { ttl: 63 }),
  tcp(LINUX_SYN_OPTIONS),
];
const vxlanSyn = (vni: number): Packet => [
  eth('52:54:00:12:34:04', '52:54:00:12:34:03'),
  ip('192.168.205.4', '192.168.205.3', IPPROTO_UDP, { df: false, id: 0x7a1b }),
  { type: 'udp', srcport: 43210, dstport: 8472 },
  { type: 'vxlan', flags: 0x08, vni },
  ...innerSyn,
];
/** A full-size segment (1500-byte IP packet) that a 1450-MTU route refuses. */
const bigSegment: Packet = [
  ip('10.42.0.65', '10.42.1.9', IPPROTO_TCP),
  tcp([{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', tsval: 7, tsecr: 9 }], {
    flags: TCP_ACK | TCP_PSH,
    ack: 1,
  }),
  { type: 'data', length: 1448, text: 'GET / HTTP/1.1\r\nHost: 10.42.1.9\r\n\r\n' },
];
const fragNeeded: Packet = [
  eth(CNI0, POD_A),
  ip('10.42.0.1', '10.42.0.65', IPPROTO_ICMP, { df: false, dsfield: 0xc0 }),
  { type: 'icmp', icmp_type: 3, code: 4, mtu: 1450 },
  ...bigSegment,
];
const arpRequest: Packet = [
  eth('52:54:00:12:34:04', 'ff:ff:ff:ff:ff:ff', ETHERTYPE_ARP),
  {
    type: 'arp',
    opcode: 1,
    src_hw_mac: mac('52:54:00:12:34:04'),
    src_proto_ipv4: ipv4('192.168.205.4'),
    dst_hw_mac: mac('00:00:00:00:00:00'),
    dst_proto_ipv4: ipv4('192.168.205.3'),
  },
];

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const u16 = (bytes: Uint8Array, off: number): number => (bytes[off]! << 8) | bytes[off + 1]!;

/** Checksum over the TCP/UDP pseudo-header and segment: 0 when the stored checksum is right. */
function verifyTransport(bytes: Uint8Array, ipOff: number): number {
  const segment = bytes.subarray(ipOff + 20, ipOff + u16(bytes, ipOff + 2));
  const pseudo = new Uint8Array(12 + segment.length);
  pseudo.set(bytes.subarray(ipOff + 12, ipOff + 20), 0);
  pseudo[9] = bytes[ipOff + 9]!;
  pseudo[10] = segment.length >> 8;
  pseudo[11] = segment.length & 0xff;
  pseudo.set(segment, 12);
  return internetChecksum(pseudo);
}

describe('checksums', () => {
  // https://en.wikipedia.org/wiki/Internet_checksum (RFC 1071 method), a UDP packet
  const WIKIPEDIA_HEADER = '450000730000400040110000c0a80001c0a800c7';

  it('computes the IPv4 header checksum of the textbook example as 0xb861', () => {
    const header = Uint8Array.from(WIKIPEDIA_HEADER.match(/../g)!, (h) => parseInt(h, 16));
    expect(internetChecksum(header)).toBe(0xb861);
  });

  it('encodes that header byte for byte, checksum included', () => {
    const packet: Packet = [
      ip('192.168.0.1', '192.168.0.199', IPPROTO_UDP, { id: 0 }),
      { type: 'udp', srcport: 5353, dstport: 5353 },
      { type: 'data', length: 0x73 - 28 },
    ];
    expect(hex(encode(packet).subarray(0, 20))).toBe(WIKIPEDIA_HEADER.replace('40110000', '4011b861'));
  });

  it('writes IPv4, TCP, UDP and ICMP checksums that verify', () => {
    const syn = encode(podSyn);
    expect(internetChecksum(syn, 14, 34)).toBe(0);
    expect(verifyTransport(syn, 14)).toBe(0);

    const dns = encode([
      eth(POD_A, CNI0),
      ip('10.42.0.65', '10.43.0.10', IPPROTO_UDP),
      { type: 'udp', srcport: 53124, dstport: 53 },
      { type: 'data', length: 33, text: 'kubernetes.default' },
    ]);
    expect(u16(dns, 40)).not.toBe(0);
    expect(verifyTransport(dns, 14)).toBe(0);

    const echo = encode(ping);
    expect(internetChecksum(echo, 34)).toBe(0);
  });

  it('computes the outer UDP checksum of a VXLAN frame (flannel.1 is made with udpcsum)', () => {
    const frame = encode(vxlanSyn(1));
    expect(u16(frame, 40)).not.toBe(0);
    expect(verifyTransport(frame, 14)).toBe(0);
    expect(internetChecksum(frame, 14, 34)).toBe(0);
    expect(verifyTransport(frame, 50 + 14)).toBe(0);
  });
});

describe('lengths', () => {
  it('makes a Linux SYN (MSS, SACK_PERM, TS, NOP, WS) a 60-byte IP packet', () => {
    expect(tcpHeaderLength(LINUX_SYN_OPTIONS)).toBe(40);
    expect(ipLength(podSyn)).toBe(60);
    expect(frameLength(podSyn)).toBe(74);
    const bytes = encode(podSyn);
    expect(u16(bytes, 16)).toBe(60);
    expect(bytes[14 + 20 + 12]! >> 4).toBe(10); // data offset in words
    const tsval = (2_715_497_542).toString(16);
    expect(hex(bytes.subarray(54, 74))).toBe(`020405b4 0402 080a${tsval}00000000 01 030307`.replace(/ /g, ''));
  });

  it('makes a macOS SYN (MSS, NOP, WS, NOP, NOP, TS, SACK_PERM, EOL) a 64-byte IP packet', () => {
    const packet: Packet = [eth(POD_A, CNI0), ip('10.42.0.65', '10.42.1.9', IPPROTO_TCP), tcp(MACOS_SYN_OPTIONS)];
    expect(ipLength(packet)).toBe(64);
    const bytes = encode(packet);
    expect(bytes[46]! >> 4).toBe(11);
    expect(bytes.length).toBe(78);
    expect(hex(bytes.subarray(74))).toBe('04020000'); // SACK_PERM, EOL, one zero byte of padding
  });

  it('pads options that end off a word boundary with zeros', () => {
    const options: TcpOption[] = [
      { kind: 'mss', value: 1410 },
      { kind: 'wscale', value: 7 },
    ];
    const packet: Packet = [ip('10.42.0.65', '10.42.1.9', IPPROTO_TCP), tcp(options)];
    expect(tcpHeaderLength(options)).toBe(28);
    expect(hex(encode(packet).subarray(40, 48))).toBe('0204058203030700');
  });

  it('makes a ping with 56 data bytes an 84-byte IP packet with zero payload, ident and seq in place', () => {
    expect(ipLength(ping)).toBe(84);
    const bytes = encode(ping);
    expect(bytes.length).toBe(98);
    expect([bytes[34], bytes[35], u16(bytes, 38), u16(bytes, 40)]).toEqual([8, 0, 0x1f2e, 1]);
    expect(bytes.subarray(42).every((b) => b === 0)).toBe(true);
  });

  it('makes a VXLAN frame exactly 50 bytes longer than its inner frame, which it carries intact', () => {
    expect(VXLAN_OVERHEAD).toBe(50);
    const outer = encode(vxlanSyn(1));
    const inner = encode(innerSyn);
    expect(frameLength(vxlanSyn(1))).toBe(frameLength(innerSyn) + 50);
    expect(outer.length).toBe(inner.length + 50);
    expect(hex(outer.subarray(50))).toBe(hex(inner));
    expect(ipLength(vxlanSyn(1))).toBe(inner.length + 36); // the outer IP packet: MTU checks use it
    expect(u16(outer, 38)).toBe(inner.length + 16); // UDP length
  });

  it('writes the RFC 7348 VXLAN header: I flag 0x08, reserved zeros, 24-bit VNI', () => {
    expect(hex(encode(vxlanSyn(1)).subarray(42, 50))).toBe('0800000000000100');
    expect(hex(encode(vxlanSyn(0x123456)).subarray(42, 50))).toBe('0800000012345600');
    const frame = encode(vxlanSyn(1));
    expect([u16(frame, 34), u16(frame, 36)]).toEqual([43210, 8472]);
  });

  it('quotes the original datagram in a frag-needed error, cut so the error is a 576-byte IP packet', () => {
    expect(ipLength(bigSegment)).toBe(1500);
    expect(ipLength(fragNeeded)).toBe(576);
    expect(frameLength(fragNeeded)).toBe(590);
    const bytes = encode(fragNeeded);
    expect(bytes.length).toBe(590);
    expect(bytes[34]).toBe(3);
    expect(bytes[35]).toBe(4);
    expect(u16(bytes, 38)).toBe(0); // unused
    expect(u16(bytes, 40)).toBe(1450); // next-hop MTU
    expect(internetChecksum(bytes, 34)).toBe(0);
    // the quote is the original's first 548 bytes, its header claiming the original 1500
    expect(hex(bytes.subarray(42))).toBe(hex(encode(bigSegment).subarray(0, 548)));
    expect(u16(bytes, 44)).toBe(1500);
  });

  it('quotes a small datagram whole in a time-exceeded error', () => {
    const probe: Packet = [
      ip('10.42.0.65', '10.42.1.9', IPPROTO_UDP, { ttl: 1, df: false }),
      { type: 'udp', srcport: 39123, dstport: 33434 },
      { type: 'data', length: 32 },
    ];
    const timeExceeded: Packet = [
      eth(CNI0, POD_A),
      ip('10.42.0.1', '10.42.0.65', IPPROTO_ICMP, { df: false, dsfield: 0xc0 }),
      { type: 'icmp', icmp_type: 11, code: 0 },
      ...probe,
    ];
    expect(ipLength(timeExceeded)).toBe(20 + 8 + 60);
    const bytes = encode(timeExceeded);
    expect(hex(bytes.subarray(42))).toBe(hex(encode(probe)));
    expect(internetChecksum(bytes, 34)).toBe(0);
  });

  it('encodes an ARP request as a 42-byte frame (RFC 826 for IPv4 over Ethernet)', () => {
    expect(frameLength(arpRequest)).toBe(42);
    expect(ipLength(arpRequest)).toBe(0);
    expect(hex(encode(arpRequest))).toBe(
      'ffffffffffff' + '525400123404' + '0806' +
        '0001' + '0800' + '06' + '04' + '0001' +
        '525400123404' + 'c0a8cd04' + '000000000000' + 'c0a8cd03',
    );
  });

  it('agrees with the encoded bytes for every packet', () => {
    for (const packet of [podSyn, ping, vxlanSyn(1), fragNeeded, arpRequest, bigSegment]) {
      expect(frameLength(packet)).toBe(encode(packet).length);
    }
  });

  it('writes data text first, then zeros, cut at length', () => {
    const bytes = encode([{ type: 'data', length: 4, text: 'hello' }]);
    expect(new TextDecoder().decode(bytes)).toBe('hell');
    expect(hex(encode([{ type: 'data', length: 4, text: 'hi' }]))).toBe('68690000');
  });
});

describe('fieldSpans', () => {
  const spanOf = (packet: Packet, layer: number, field: string) => {
    const span = fieldSpans(packet).find((s) => s.layer === layer && s.field === field);
    if (!span) throw new Error(`no span for layer ${layer} ${field}`);
    return span;
  };
  const bytesOf = (packet: Packet, layer: number, field: string): string => {
    const { offset, length } = spanOf(packet, layer, field);
    return hex(encode(packet).subarray(offset, offset + length));
  };

  it('points each header field at its bytes in a VXLAN frame, inner layers included', () => {
    const p = vxlanSyn(1);
    expect(bytesOf(p, 0, 'dst')).toBe('525400123403');
    expect(bytesOf(p, 0, 'ethertype')).toBe('0800');
    expect(bytesOf(p, 1, 'src')).toBe(ipToInt('192.168.205.4').toString(16));
    expect(bytesOf(p, 1, 'len')).toBe((124 - 14).toString(16).padStart(4, '0'));
    expect(bytesOf(p, 2, 'dstport')).toBe((8472).toString(16));
    expect(bytesOf(p, 2, 'checksum')).toBe(hex(encode(p).subarray(40, 42)));
    expect(bytesOf(p, 3, 'flags')).toBe('08');
    expect(bytesOf(p, 3, 'vni')).toBe('000001');
    expect(bytesOf(p, 4, 'dst')).toBe('62c8a9ceca4e');
    expect(spanOf(p, 5, 'ttl')).toEqual({ layer: 5, field: 'ttl', offset: 50 + 14 + 8, length: 1 });
    expect(bytesOf(p, 5, 'ttl')).toBe('3f');
    expect(bytesOf(p, 5, 'dst')).toBe('0a2a0109');
    expect(bytesOf(p, 6, 'srcport')).toBe((41000).toString(16));
    expect(bytesOf(p, 6, 'flags')).toBe('a002'); // data offset shares the byte with the flag bits
    expect(bytesOf(p, 6, 'options[0]')).toBe('020405b4');
    expect(bytesOf(p, 6, 'options[4]')).toBe('030307');
  });

  it('gives bit-fields the byte that holds them', () => {
    expect(spanOf(podSyn, 1, 'df')).toMatchObject({ offset: 20, length: 1 });
    expect(bytesOf(podSyn, 1, 'df')).toBe('40');
    expect(spanOf(podSyn, 1, 'version')).toMatchObject({ offset: 14, length: 1 });
    expect(spanOf(podSyn, 2, 'hdr_len')).toMatchObject({ offset: 46, length: 1 });
  });

  it('covers every byte of every frame and stays inside it', () => {
    for (const packet of [podSyn, ping, vxlanSyn(7), fragNeeded, arpRequest]) {
      const length = frameLength(packet);
      const covered = new Uint8Array(length);
      for (const { offset, length: n } of fieldSpans(packet)) {
        expect(offset + n).toBeLessThanOrEqual(length);
        covered.fill(1, offset, offset + n);
      }
      expect(covered.every((c) => c === 1)).toBe(true);
    }
  });

  it('cuts the quoted payload at the truncation, as the bytes are', () => {
    expect(spanOf(fragNeeded, 5, 'length')).toEqual({ layer: 5, field: 'length', offset: 14 + 28 + 52, length: 496 });
    const request = new TextEncoder().encode('GET / HTTP/1.1\r\nHost: 10.42.1.9\r\n\r\n');
    expect(bytesOf(fragNeeded, 5, 'text')).toBe(hex(request));
    expect(bytesOf(fragNeeded, 2, 'mtu')).toBe('05aa');
  });
});
