import { describe, expect, it } from 'vitest';
import { hexdump } from './hexdump.ts';

const hexBytes = (hex: string) => Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));

describe('hexdump', () => {
  it('lays out an ARP reply as `tshark -x` prints it: offset, 16 bytes, ASCII with dots', () => {
    const arpReply = hexBytes(
      '525400123404525400123403' + '0806' + '0001080006040002' + '525400123403c0a8cd03' + '525400123404c0a8cd04',
    );
    expect(hexdump(arpReply)).toEqual([
      '0000  52 54 00 12 34 04 52 54 00 12 34 03 08 06 00 01   RT..4.RT..4.....',
      '0010  08 00 06 04 00 02 52 54 00 12 34 03 c0 a8 cd 03   ......RT..4.....',
      '0020  52 54 00 12 34 04 c0 a8 cd 04                     RT..4.....',
    ]);
  });

  it('prints nothing for no bytes and keeps printable ASCII as is', () => {
    expect(hexdump(new Uint8Array())).toEqual([]);
    expect(hexdump(new TextEncoder().encode('GET / HTTP/1.1\r\n'))).toEqual([
      '0000  47 45 54 20 2f 20 48 54 54 50 2f 31 2e 31 0d 0a   GET / HTTP/1.1..',
    ]);
  });
});
