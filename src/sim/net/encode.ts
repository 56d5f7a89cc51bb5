import { ipToInt, macToBytes } from './addr.ts';
import type { Mac } from './addr.ts';
import { ETHERTYPE_IPV4 } from './packet.ts';
import type { Layer, Packet, TcpLayer, TcpOption } from './packet.ts';

/*
 * Wire encoding of a layered packet. Every length and checksum is computed here from the layers,
 * so a packet can never carry a stale one. Frames are written as a NIC hands them to a capture:
 * no preamble, no FCS, no padding to the 60-byte Ethernet minimum.
 */

export const ETHERNET_HEADER_LEN = 14;
/** ARP for IPv4 over Ethernet (RFC 826): 8 fixed bytes + 2×(6-byte MAC + 4-byte IPv4). */
export const ARP_LEN = 28;
/** IHL 5: the model sends no IP options, as Linux does for ordinary traffic. */
export const IPV4_HEADER_LEN = 20;
export const ICMP_HEADER_LEN = 8;
export const UDP_HEADER_LEN = 8;
export const TCP_BASE_HEADER_LEN = 20;
export const VXLAN_HEADER_LEN = 8;
/**
 * What VXLAN adds to the inner frame: outer Ethernet + IPv4 + UDP + VXLAN = 50 bytes, which is
 * why flannel sets flannel.1's MTU to the NIC's 1500 − 50 = 1450.
 */
export const VXLAN_OVERHEAD = ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + UDP_HEADER_LEN + VXLAN_HEADER_LEN;

/**
 * Linux `__icmp_send` caps an ICMP error's IP packet at 576 bytes (RFC 1812 4.3.2.3: "as much
 * of the original datagram as possible without the length of the ICMP datagram exceeding 576").
 * With a 20-byte IP header and the 8-byte ICMP header, at most 548 bytes of the original are
 * quoted. (The kernel also caps at the route's MTU when that is below 576; no link here is.)
 */
export const ICMP_ERROR_MAX_IP_LEN = 576;
const ICMP_QUOTE_MAX = ICMP_ERROR_MAX_IP_LEN - IPV4_HEADER_LEN - ICMP_HEADER_LEN;

/**
 * ICMP types whose body is the offending datagram (RFC 792): destination unreachable, source
 * quench, redirect, time exceeded, parameter problem. In a packet, the layers after such an
 * `icmp` layer are that quoted datagram.
 */
const ICMP_ERROR_TYPES: ReadonlySet<number> = new Set([3, 4, 5, 11, 12]);
export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_FRAG_NEEDED = 4;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_TIME_EXCEEDED = 11;

export function isIcmpError(icmpType: number): boolean {
  return ICMP_ERROR_TYPES.has(icmpType);
}

export function isIcmpEcho(icmpType: number): boolean {
  return icmpType === ICMP_ECHO_REQUEST || icmpType === ICMP_ECHO_REPLY;
}

/** Bytes a TCP option takes (RFC 793, 7323, 2018); `nop` and `eol` are single bytes. */
export function tcpOptionLength(option: TcpOption): number {
  switch (option.kind) {
    case 'mss':
      return 4;
    case 'sack_perm':
      return 2;
    case 'timestamp':
      return 10;
    case 'wscale':
      return 3;
    case 'nop':
    case 'eol':
      return 1;
  }
}

/**
 * TCP header length: 20 + options rounded up to a 4-byte multiple, since the data offset counts
 * 32-bit words. Linux aligns its own options with NOPs so it never needs padding; stacks that do
 * (macOS ends its SYN options with EOL) pad with zero bytes, which read as EOL.
 */
export function tcpHeaderLength(options: readonly TcpOption[]): number {
  let len = 0;
  for (const option of options) len += tcpOptionLength(option);
  return TCP_BASE_HEADER_LEN + Math.ceil(len / 4) * 4;
}

/** Bytes a layer adds in front of the layers after it (a `data` layer is all payload). */
export function headerLength(layer: Layer): number {
  switch (layer.type) {
    case 'ethernet':
      return ETHERNET_HEADER_LEN;
    case 'arp':
      return ARP_LEN;
    case 'ipv4':
      return IPV4_HEADER_LEN;
    case 'icmp':
      return ICMP_HEADER_LEN;
    case 'udp':
      return UDP_HEADER_LEN;
    case 'tcp':
      return tcpHeaderLength(layer.options);
    case 'vxlan':
      return VXLAN_HEADER_LEN;
    case 'data':
      return layer.length;
  }
}

/** Bytes from layer `start` to the end of the packet as encoded, ICMP quotes truncated. */
function lengthFrom(packet: Packet, start: number): number {
  let len = 0;
  for (let i = packet.length - 1; i >= start; i--) {
    const layer = packet[i]!;
    const rest = layer.type === 'icmp' && isIcmpError(layer.icmp_type) ? Math.min(len, ICMP_QUOTE_MAX) : len;
    len = headerLength(layer) + rest;
  }
  return len;
}

/** Bytes on the wire: what `ip -s link` and a capture count (no FCS, no padding). */
export function frameLength(packet: Packet): number {
  return lengthFrom(packet, 0);
}

/**
 * Length of the outermost IPv4 datagram, i.e. its total-length field: what iptables' byte
 * counters add up and what the kernel compares with a route's MTU (for a VXLAN frame, the outer
 * packet). 0 when the frame carries no IPv4 (ARP), since netfilter's IPv4 hooks never see it.
 */
export function ipLength(packet: Packet): number {
  const ip = packet.findIndex((layer) => layer.type === 'ipv4');
  return ip < 0 ? 0 : lengthFrom(packet, ip);
}

/** The frame as it goes on the wire; see the module comment for what is and is not included. */
export function encode(packet: Packet): Uint8Array {
  const bytes = new Uint8Array(frameLength(packet));
  writeLayers(bytes, packet);
  return bytes;
}

const textEncoder = new TextEncoder();

/** A `data` layer's bytes: its text (UTF-8, cut at `length`), then zeros up to `length`. */
function dataBytes(length: number, text: string | undefined): Uint8Array {
  const bytes = new Uint8Array(length);
  if (text !== undefined) bytes.set(textEncoder.encode(text).subarray(0, length));
  return bytes;
}

/**
 * Writes the layers into `bytes`, which is exactly their encoded length. Since nothing follows a
 * payload (no trailers), each layer runs from its offset to the end of `bytes`, which gives the
 * IPv4 and UDP length fields and the checksum ranges. Checksums are filled in last, innermost
 * first, because an outer one (ICMP over its quote) covers the inner ones.
 */
function writeLayers(bytes: Uint8Array, packet: Packet): void {
  const offsets: number[] = [];
  let off = 0;
  for (let i = 0; i < packet.length; i++) {
    const layer = packet[i]!;
    offsets.push(off);
    writeHeader(bytes, off, layer, bytes.length - off);
    off += headerLength(layer);
    if (layer.type === 'icmp' && isIcmpError(layer.icmp_type)) {
      // icmp_send: the quote is the original datagram as it was, its own lengths and checksums
      // intact, then cut to fit.
      const quote = encode(packet.slice(i + 1));
      bytes.set(quote.subarray(0, bytes.length - off), off);
      break;
    }
  }
  for (let i = offsets.length - 1; i >= 0; i--) writeChecksum(bytes, packet, offsets, i);
}

function put16(bytes: Uint8Array, off: number, value: number): void {
  bytes[off] = (value >>> 8) & 0xff;
  bytes[off + 1] = value & 0xff;
}

function put32(bytes: Uint8Array, off: number, value: number): void {
  put16(bytes, off, (value >>> 16) & 0xffff);
  put16(bytes, off + 2, value & 0xffff);
}

function putMac(bytes: Uint8Array, off: number, m: Mac): void {
  bytes.set(macToBytes(m), off);
}

/** Writes one layer's header; `total` is the byte count from this layer to the end. */
function writeHeader(bytes: Uint8Array, off: number, layer: Layer, total: number): void {
  switch (layer.type) {
    case 'ethernet':
      putMac(bytes, off, layer.dst);
      putMac(bytes, off + 6, layer.src);
      put16(bytes, off + 12, layer.ethertype);
      return;
    case 'arp':
      put16(bytes, off, 1); // htype: Ethernet
      put16(bytes, off + 2, ETHERTYPE_IPV4); // ptype
      bytes[off + 4] = 6;
      bytes[off + 5] = 4;
      put16(bytes, off + 6, layer.opcode);
      putMac(bytes, off + 8, layer.src_hw_mac);
      put32(bytes, off + 14, ipToInt(layer.src_proto_ipv4));
      putMac(bytes, off + 18, layer.dst_hw_mac);
      put32(bytes, off + 24, ipToInt(layer.dst_proto_ipv4));
      return;
    case 'ipv4':
      bytes[off] = 0x45; // version 4, IHL 5
      bytes[off + 1] = layer.dsfield;
      put16(bytes, off + 2, total);
      put16(bytes, off + 4, layer.id);
      put16(bytes, off + 6, layer.df ? 0x4000 : 0); // flags + fragment offset 0: never a fragment
      bytes[off + 8] = layer.ttl;
      bytes[off + 9] = layer.proto;
      put32(bytes, off + 12, ipToInt(layer.src));
      put32(bytes, off + 16, ipToInt(layer.dst));
      return;
    case 'icmp':
      bytes[off] = layer.icmp_type;
      bytes[off + 1] = layer.code;
      if (isIcmpEcho(layer.icmp_type)) {
        put16(bytes, off + 4, layer.ident ?? 0);
        put16(bytes, off + 6, layer.seq ?? 0);
      } else if (layer.icmp_type === ICMP_DEST_UNREACH && layer.code === ICMP_FRAG_NEEDED) {
        put16(bytes, off + 6, layer.mtu ?? 0); // RFC 1191: next-hop MTU in the low 16 bits
      }
      return;
    case 'udp':
      put16(bytes, off, layer.srcport);
      put16(bytes, off + 2, layer.dstport);
      put16(bytes, off + 4, total);
      return;
    case 'tcp':
      writeTcpHeader(bytes, off, layer);
      return;
    case 'vxlan':
      // RFC 7348 5: flags(8) reserved(24) VNI(24) reserved(8)
      bytes[off] = layer.flags;
      bytes[off + 4] = (layer.vni >>> 16) & 0xff;
      put16(bytes, off + 5, layer.vni & 0xffff);
      return;
    case 'data':
      bytes.set(dataBytes(layer.length, layer.text), off);
      return;
  }
}

function writeTcpHeader(bytes: Uint8Array, off: number, layer: TcpLayer): void {
  const hdrLen = tcpHeaderLength(layer.options);
  put16(bytes, off, layer.srcport);
  put16(bytes, off + 2, layer.dstport);
  put32(bytes, off + 4, layer.seq);
  put32(bytes, off + 8, layer.ack);
  // data offset in 32-bit words, then the 12 flag bits as Wireshark's tcp.flags counts them
  put16(bytes, off + 12, ((hdrLen / 4) << 12) | (layer.flags & 0x0fff));
  put16(bytes, off + 14, layer.window);
  let o = off + TCP_BASE_HEADER_LEN;
  for (const option of layer.options) {
    switch (option.kind) {
      case 'mss':
        bytes[o] = 2;
        bytes[o + 1] = 4;
        put16(bytes, o + 2, option.value);
        break;
      case 'sack_perm':
        bytes[o] = 4;
        bytes[o + 1] = 2;
        break;
      case 'timestamp':
        bytes[o] = 8;
        bytes[o + 1] = 10;
        put32(bytes, o + 2, option.tsval);
        put32(bytes, o + 6, option.tsecr);
        break;
      case 'wscale':
        bytes[o] = 3;
        bytes[o + 1] = 3;
        bytes[o + 2] = option.value;
        break;
      case 'nop':
        bytes[o] = 1;
        break;
      case 'eol':
        bytes[o] = 0;
        break;
    }
    o += tcpOptionLength(option);
  }
  // padding up to hdrLen stays zero (EOL); the urgent pointer stays 0
}

/** RFC 1071 one's-complement sum of 16-bit big-endian words; an odd last byte is the high half. */
function sum16(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) sum += bytes[i]! << 8;
  return sum;
}

/** The Internet checksum (RFC 1071) of bytes[start, end), plus an optional pseudo-header sum. */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  let sum = sum16(bytes, start, end, initial);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/**
 * TCP/UDP checksum of layer `i` to the end of the frame, over the RFC 793 3.1 / RFC 768
 * pseudo-header of the IPv4 layer right before it: addresses, protocol, segment length.
 */
function transportChecksum(bytes: Uint8Array, packet: Packet, offsets: readonly number[], i: number): number {
  if (packet[i - 1]?.type !== 'ipv4') {
    throw new Error(`layer ${i} (${packet[i]!.type}) must follow an ipv4 layer to get its checksum`);
  }
  const ip = offsets[i - 1]!;
  const off = offsets[i]!;
  const pseudo = sum16(bytes, ip + 12, ip + 20) + bytes[ip + 9]! + (bytes.length - off);
  return internetChecksum(bytes, off, bytes.length, pseudo);
}

function writeChecksum(bytes: Uint8Array, packet: Packet, offsets: readonly number[], i: number): void {
  const layer = packet[i]!;
  const off = offsets[i]!;
  switch (layer.type) {
    case 'ipv4':
      put16(bytes, off + 10, internetChecksum(bytes, off, off + IPV4_HEADER_LEN));
      return;
    case 'icmp':
      put16(bytes, off + 2, internetChecksum(bytes, off, bytes.length));
      return;
    case 'tcp':
      put16(bytes, off + 16, transportChecksum(bytes, packet, offsets, i));
      return;
    case 'udp': {
      // VXLAN's outer checksum too: RFC 7348 allows 0, but vxlan_xmit_one computes it unless
      // the device was made with noudpcsum (VXLAN_F_UDP_ZERO_CSUM_TX), and flannel never asks.
      const csum = transportChecksum(bytes, packet, offsets, i);
      put16(bytes, off + 6, csum === 0 ? 0xffff : csum); // RFC 768: a computed 0 is sent as all ones
      return;
    }
    default:
      return;
  }
}

/** Where one field's bytes lie in `encode(packet)`, so a hex view can highlight it. */
export interface FieldSpan {
  /** index into the packet's layers */
  readonly layer: number;
  /** the layer's field name, or a derived one as Wireshark names it (`len`, `checksum`, …) */
  readonly field: string;
  readonly offset: number;
  readonly length: number;
}

type FieldEntry = readonly [field: string, offset: number, length: number];
type FieldLayout = readonly FieldEntry[];

const ETHERNET_FIELDS: FieldLayout = [
  ['dst', 0, 6],
  ['src', 6, 6],
  ['ethertype', 12, 2],
];
const ARP_FIELDS: FieldLayout = [
  ['hw_type', 0, 2],
  ['proto_type', 2, 2],
  ['hw_size', 4, 1],
  ['proto_size', 5, 1],
  ['opcode', 6, 2],
  ['src_hw_mac', 8, 6],
  ['src_proto_ipv4', 14, 4],
  ['dst_hw_mac', 18, 6],
  ['dst_proto_ipv4', 24, 4],
];
const IPV4_FIELDS: FieldLayout = [
  ['version', 0, 1],
  ['hdr_len', 0, 1],
  ['dsfield', 1, 1],
  ['len', 2, 2],
  ['id', 4, 2],
  ['df', 6, 1],
  ['frag_offset', 6, 2],
  ['ttl', 8, 1],
  ['proto', 9, 1],
  ['checksum', 10, 2],
  ['src', 12, 4],
  ['dst', 16, 4],
];
const ICMP_COMMON_FIELDS: FieldLayout = [
  ['icmp_type', 0, 1],
  ['code', 1, 1],
  ['checksum', 2, 2],
];
const ICMP_ECHO_FIELDS: FieldLayout = [...ICMP_COMMON_FIELDS, ['ident', 4, 2], ['seq', 6, 2]];
const ICMP_FRAG_NEEDED_FIELDS: FieldLayout = [...ICMP_COMMON_FIELDS, ['unused', 4, 2], ['mtu', 6, 2]];
const ICMP_OTHER_FIELDS: FieldLayout = [...ICMP_COMMON_FIELDS, ['unused', 4, 4]];
const UDP_FIELDS: FieldLayout = [
  ['srcport', 0, 2],
  ['dstport', 2, 2],
  ['length', 4, 2],
  ['checksum', 6, 2],
];
const TCP_BASE_FIELDS: FieldLayout = [
  ['srcport', 0, 2],
  ['dstport', 2, 2],
  ['seq', 4, 4],
  ['ack', 8, 4],
  ['hdr_len', 12, 1],
  ['flags', 12, 2],
  ['window', 14, 2],
  ['checksum', 16, 2],
  ['urgent_pointer', 18, 2],
];
const VXLAN_FIELDS: FieldLayout = [
  ['flags', 0, 1],
  ['reserved_24', 1, 3],
  ['vni', 4, 3],
  ['reserved_8', 7, 1],
];

/** A layer's fields relative to its first byte. Bit-fields get the bytes that hold them. */
function layerFields(layer: Layer): FieldLayout {
  switch (layer.type) {
    case 'ethernet':
      return ETHERNET_FIELDS;
    case 'arp':
      return ARP_FIELDS;
    case 'ipv4':
      return IPV4_FIELDS;
    case 'icmp':
      if (isIcmpEcho(layer.icmp_type)) return ICMP_ECHO_FIELDS;
      if (layer.icmp_type === ICMP_DEST_UNREACH && layer.code === ICMP_FRAG_NEEDED) return ICMP_FRAG_NEEDED_FIELDS;
      return ICMP_OTHER_FIELDS;
    case 'udp':
      return UDP_FIELDS;
    case 'tcp':
      return tcpFields(layer.options);
    case 'vxlan':
      return VXLAN_FIELDS;
    case 'data': {
      const fields: FieldEntry[] = [['length', 0, layer.length]];
      const textLen = layer.text === undefined ? 0 : Math.min(textEncoder.encode(layer.text).length, layer.length);
      if (textLen > 0) fields.push(['text', 0, textLen]);
      return fields;
    }
  }
}

/** `options` spans the whole option area with its padding; `options[k]` each option. */
function tcpFields(options: readonly TcpOption[]): FieldLayout {
  const hdrLen = tcpHeaderLength(options);
  if (hdrLen === TCP_BASE_HEADER_LEN) return TCP_BASE_FIELDS;
  const fields: FieldEntry[] = [
    ...TCP_BASE_FIELDS,
    ['options', TCP_BASE_HEADER_LEN, hdrLen - TCP_BASE_HEADER_LEN],
  ];
  let o = TCP_BASE_HEADER_LEN;
  options.forEach((option, k) => {
    fields.push([`options[${k}]`, o, tcpOptionLength(option)]);
    o += tcpOptionLength(option);
  });
  return fields;
}

/**
 * Every field of every layer with the bytes it occupies in `encode(packet)`. Fields of an ICMP
 * error's quote that fall past the truncation are cut short or left out, as in the bytes.
 */
export function fieldSpans(packet: Packet): FieldSpan[] {
  const end = frameLength(packet);
  const spans: FieldSpan[] = [];
  let base = 0;
  packet.forEach((layer, i) => {
    for (const [field, rel, length] of layerFields(layer)) {
      const offset = base + rel;
      if (offset < end && length > 0) spans.push({ layer: i, field, offset, length: Math.min(length, end - offset) });
    }
    base += headerLength(layer);
  });
  return spans;
}
