/**
 * A hex dump laid out exactly as `tshark -x` (and Wireshark's bytes pane) prints it, so the CLI's
 * output can be compared line by line with a real capture:
 * `0000  45 00 00 3c 1c 46 40 00 40 06 b1 e6 ac 10 00 63   E..<.F@.@......c`
 */
export function hexdump(bytes: Uint8Array): string[] {
  const lines: string[] = [];
  for (let off = 0; off < bytes.length; off += 16) {
    const row = bytes.subarray(off, off + 16);
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${off.toString(16).padStart(4, '0')}  ${hex.padEnd(47)}   ${ascii}`);
  }
  return lines;
}
