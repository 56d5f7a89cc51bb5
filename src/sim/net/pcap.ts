/**
 * Classic libpcap files (https://www.tcpdump.org/manpages/pcap-savefile.5.html), the format every
 * version of Wireshark, tshark and tcpdump reads, so a trace can be opened next to a real capture.
 */

/** Microsecond-resolution magic; written little-endian, as x86 tcpdump does. */
export const PCAP_MAGIC = 0xa1b2c3d4;
/** tcpdump's default snapshot length since 4.99: whole frames are kept. */
export const PCAP_SNAPLEN = 262144;
/** LINKTYPE_ETHERNET: records start with an Ethernet header. */
export const LINKTYPE_ETHERNET = 1;

const GLOBAL_HEADER_LEN = 24;
const RECORD_HEADER_LEN = 16;

export interface PcapFrame {
  readonly bytes: Uint8Array;
  /** capture time in microseconds since the Unix epoch (a trace's own clock is fine) */
  readonly timeUs: number;
}

/** A pcap file holding the frames in order, each whole (they are far below the snaplen). */
export function writePcap(frames: readonly PcapFrame[]): Uint8Array {
  let size = GLOBAL_HEADER_LEN;
  for (const frame of frames) size += RECORD_HEADER_LEN + frame.bytes.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, PCAP_MAGIC, true);
  view.setUint16(4, 2, true); // version 2.4
  view.setUint16(6, 4, true);
  // thiszone and sigfigs (8..15) stay 0: timestamps are UTC
  view.setUint32(16, PCAP_SNAPLEN, true);
  view.setUint32(20, LINKTYPE_ETHERNET, true);
  let off = GLOBAL_HEADER_LEN;
  for (const { bytes, timeUs } of frames) {
    const us = Math.round(timeUs);
    view.setUint32(off, Math.floor(us / 1e6), true);
    view.setUint32(off + 4, us % 1e6, true);
    view.setUint32(off + 8, bytes.length, true); // captured length
    view.setUint32(off + 12, bytes.length, true); // length on the wire
    out.set(bytes, off + RECORD_HEADER_LEN);
    off += RECORD_HEADER_LEN + bytes.length;
  }
  return out;
}
