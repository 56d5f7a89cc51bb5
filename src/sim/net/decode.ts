import { intToIp } from './addr.ts';
import type { Mac } from './addr.ts';
import {
  ARP_LEN,
  ETHERNET_HEADER_LEN,
  ICMP_DEST_UNREACH,
  ICMP_FRAG_NEEDED,
  ICMP_HEADER_LEN,
  IPV4_HEADER_LEN,
  TCP_BASE_HEADER_LEN,
  UDP_HEADER_LEN,
  VXLAN_HEADER_LEN,
  isIcmpEcho,
  isIcmpError,
} from './encode.ts';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, IPPROTO_ICMP, IPPROTO_IPIP, IPPROTO_TCP, IPPROTO_UDP } from './packet.ts';
import type { IcmpLayer, Layer, LayerType, Packet, TcpLayer, TcpOption } from './packet.ts';

/**
 * UDP ports that carry VXLAN: 8472 is the Linux kernel's default (`vxlan` dstport 0 means 8472,
 * kept for compatibility), which flannel uses; 4789 is IANA's (RFC 7348).
 */
export const VXLAN_PORTS: ReadonlySet<number> = new Set([8472, 4789]);

/** flanneld's udp backend (pkg/backend/udp defaultPort): the datagram's payload is a bare IPv4 packet. */
export const FLANNEL_UDP_PORTS: ReadonlySet<number> = new Set([8285]);

/**
 * Parses a frame that `encode` wrote (or any Ethernet frame built from the same headers) back
 * into layers, so a pcap or a hex view can be checked against the model.
 *
 * `decode(encode(p))` deep-equals `p` up to these normalisations:
 * - a `data` layer of length 0 is absent; echo `ident`/`seq` and frag-needed `mtu` are always
 *   present (0 when `p` left them out), and fields an ICMP type does not carry are dropped;
 * - `text` is the payload's bytes up to the first zero byte when they are valid UTF-8, so text
 *   with a NUL, or cut by `length` or by an ICMP quote's truncation, comes back shortened;
 * - TCP option padding reads as a trailing `eol`, as it is on the wire;
 * - in an ICMP error's quote, lengths come from the quoted headers (the original datagram's), so
 *   a truncated quote still decodes to the original's layers.
 * Trailing bytes after the outermost IPv4 datagram (Ethernet padding) are ignored.
 */
export function decode(bytes: Uint8Array): Packet {
  return decodeLayers(bytes, 0, bytes.length, 'ethernet');
}

function decodeError(offset: number, what: string): Error {
  return new Error(`cannot decode frame at byte ${offset}: ${what}`);
}

const get16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const get32 = (b: Uint8Array, o: number): number => get16(b, o) * 0x10000 + get16(b, o + 2);
const getIp = (b: Uint8Array, o: number) => intToIp(get32(b, o));
const getMac = (b: Uint8Array, o: number): Mac =>
  Array.from(b.subarray(o, o + 6), (x) => x.toString(16).padStart(2, '0')).join(':') as Mac;

/**
 * Decodes layers from `start`, the first being `first`. `end` is where the current datagram
 * ends by its headers' length fields; inside a truncated ICMP quote it lies past the bytes we
 * have, and only the headers must be present.
 */
function decodeLayers(bytes: Uint8Array, start: number, end: number, first: LayerType): Layer[] {
  const layers: Layer[] = [];
  let off = start;
  let next: LayerType | undefined = first;
  const need = (n: number, what: string): void => {
    if (off + n > bytes.length) throw decodeError(off, `${what} needs ${n} bytes, ${bytes.length - off} left`);
  };
  while (next !== undefined) {
    switch (next) {
      case 'ethernet': {
        need(ETHERNET_HEADER_LEN, 'Ethernet header');
        const ethertype = get16(bytes, off + 12);
        layers.push({ type: 'ethernet', dst: getMac(bytes, off), src: getMac(bytes, off + 6), ethertype });
        next = ethertype === ETHERTYPE_IPV4 ? 'ipv4' : ethertype === ETHERTYPE_ARP ? 'arp' : 'data';
        off += ETHERNET_HEADER_LEN;
        break;
      }
      case 'arp': {
        need(ARP_LEN, 'ARP packet');
        const opcode = get16(bytes, off + 6);
        if (opcode !== 1 && opcode !== 2) throw decodeError(off + 6, `ARP opcode ${opcode} is not request or reply`);
        layers.push({
          type: 'arp',
          opcode,
          src_hw_mac: getMac(bytes, off + 8),
          src_proto_ipv4: getIp(bytes, off + 14),
          dst_hw_mac: getMac(bytes, off + 18),
          dst_proto_ipv4: getIp(bytes, off + 24),
        });
        next = undefined;
        break;
      }
      case 'ipv4': {
        need(IPV4_HEADER_LEN, 'IPv4 header');
        if (bytes[off] !== 0x45) throw decodeError(off, 'only IPv4 without options (0x45) is modelled');
        const proto = bytes[off + 9]!;
        layers.push({
          type: 'ipv4',
          src: getIp(bytes, off + 12),
          dst: getIp(bytes, off + 16),
          ttl: bytes[off + 8]!,
          proto,
          id: get16(bytes, off + 4),
          df: (bytes[off + 6]! & 0x40) !== 0,
          dsfield: bytes[off + 1]!,
        });
        end = off + get16(bytes, off + 2);
        next = proto === IPPROTO_ICMP ? 'icmp' : proto === IPPROTO_TCP ? 'tcp' : proto === IPPROTO_UDP ? 'udp' : proto === IPPROTO_IPIP ? 'ipv4' : 'data';
        off += IPV4_HEADER_LEN;
        break;
      }
      case 'icmp': {
        need(ICMP_HEADER_LEN, 'ICMP header');
        const layer = decodeIcmp(bytes, off);
        layers.push(layer);
        next = isIcmpError(layer.icmp_type) ? 'ipv4' : 'data';
        off += ICMP_HEADER_LEN;
        break;
      }
      case 'udp': {
        need(UDP_HEADER_LEN, 'UDP header');
        const dstport = get16(bytes, off + 2);
        layers.push({ type: 'udp', srcport: get16(bytes, off), dstport });
        end = off + get16(bytes, off + 4);
        next = VXLAN_PORTS.has(dstport) ? 'vxlan' : FLANNEL_UDP_PORTS.has(dstport) ? 'ipv4' : 'data';
        off += UDP_HEADER_LEN;
        break;
      }
      case 'tcp': {
        need(TCP_BASE_HEADER_LEN, 'TCP header');
        const hdrLen = (bytes[off + 12]! >> 4) * 4;
        need(hdrLen, 'TCP header with options');
        layers.push(decodeTcp(bytes, off, hdrLen));
        next = 'data';
        off += hdrLen;
        break;
      }
      case 'vxlan':
        need(VXLAN_HEADER_LEN, 'VXLAN header');
        layers.push({ type: 'vxlan', flags: bytes[off]!, vni: bytes[off + 4]! * 0x10000 + get16(bytes, off + 5) });
        next = 'ethernet';
        off += VXLAN_HEADER_LEN;
        break;
      case 'data': {
        const length = end - off;
        if (length > 0) {
          const text = decodeText(bytes.subarray(off, Math.min(end, bytes.length)));
          layers.push(text === undefined ? { type: 'data', length } : { type: 'data', length, text });
        }
        next = undefined;
        break;
      }
    }
  }
  return layers;
}

function decodeIcmp(bytes: Uint8Array, off: number): IcmpLayer {
  const icmp_type = bytes[off]!;
  const code = bytes[off + 1]!;
  if (isIcmpEcho(icmp_type)) {
    return { type: 'icmp', icmp_type, code, ident: get16(bytes, off + 4), seq: get16(bytes, off + 6) };
  }
  if (icmp_type === ICMP_DEST_UNREACH && code === ICMP_FRAG_NEEDED) {
    return { type: 'icmp', icmp_type, code, mtu: get16(bytes, off + 6) };
  }
  return { type: 'icmp', icmp_type, code };
}

function decodeTcp(bytes: Uint8Array, off: number, hdrLen: number): TcpLayer {
  const options: TcpOption[] = [];
  let o = off + TCP_BASE_HEADER_LEN;
  const optEnd = off + hdrLen;
  while (o < optEnd) {
    const kind = bytes[o]!;
    if (kind === 0) {
      options.push({ kind: 'eol' }); // RFC 793: nothing after EOL is an option (it is padding)
      break;
    }
    if (kind === 1) {
      options.push({ kind: 'nop' });
      o += 1;
      continue;
    }
    const len = bytes[o + 1]!;
    if (kind === 2 && len === 4) options.push({ kind: 'mss', value: get16(bytes, o + 2) });
    else if (kind === 3 && len === 3) options.push({ kind: 'wscale', value: bytes[o + 2]! });
    else if (kind === 4 && len === 2) options.push({ kind: 'sack_perm' });
    else if (kind === 8 && len === 10) {
      options.push({ kind: 'timestamp', tsval: get32(bytes, o + 2), tsecr: get32(bytes, o + 6) });
    } else throw decodeError(o, `TCP option kind ${kind} length ${len} is not modelled`);
    o += len;
  }
  return {
    type: 'tcp',
    srcport: get16(bytes, off),
    dstport: get16(bytes, off + 2),
    seq: get32(bytes, off + 4),
    ack: get32(bytes, off + 8),
    flags: get16(bytes, off + 12) & 0x0fff,
    window: get16(bytes, off + 14),
    options,
  };
}

const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** The payload's leading text: bytes before the first zero, if they are valid UTF-8. */
function decodeText(payload: Uint8Array): string | undefined {
  const nul = payload.indexOf(0);
  const head = nul < 0 ? payload : payload.subarray(0, nul);
  if (head.length === 0) return undefined;
  try {
    return textDecoder.decode(head);
  } catch {
    return undefined;
  }
}
