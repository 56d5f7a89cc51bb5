import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tracePcap } from '../api.ts';
import type { Backend } from '../api-types.ts';

// Each datapath's pcap, read back by tshark: nothing malformed, every checksum right, the
// encapsulation dissected as what it is, and the bytes it adds measured on the frames.

const dir = mkdtempSync(join(tmpdir(), 'kpl-datapaths-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The pod → pod connection of the seed (n8s9s on master → z8xnq on node1) as a pcap file. */
function pcapOf(backend: Backend): string {
  const r = tracePcap({ preset: 'seed', modes: { backend }, seed: 1, before: [], flow: { from: 'nginx-test-7646687cc4-n8s9s', to: '10.42.1.9:80', proto: 'tcp', kind: 'connect' } });
  if (!r.ok) throw new Error(r.error.message);
  const file = join(dir, `${backend}.pcap`);
  writeFileSync(file, r.value);
  return file;
}

/** tshark, with flannel's ports decoded as VXLAN (8472) and as bare IP (flannel udp's 8285). */
function tshark(file: string, ...args: string[]): string {
  try {
    return execFileSync('tshark', ['-r', file, '-d', 'udp.port==8472,vxlan', '-d', 'udp.port==8285,ip', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('tshark is not installed: run `node scripts/ensure-tools.mjs` as root, or `apt-get install tshark`');
    throw error;
  }
}

const BAD = /Malformed|\[Checksum: Bad|incorrect|Status: Bad|Expert Info \((Error|Warning)/;

describe.each([
  { backend: 'host-gw', grows: 0 },
  { backend: 'bgp', grows: 0 },
  { backend: 'ipip', grows: 20 },
  { backend: 'udp', grows: 28 },
  { backend: 'vxlan', grows: 50 },
] as const)('$backend pcap, as tshark reads it', ({ backend, grows }) => {
  const file = pcapOf(backend);

  it('has nothing malformed and every checksum correct', () => {
    const text = tshark(file, '-V', ...['ip', 'tcp', 'udp'].flatMap((p) => ['-o', `${p}.check_checksum:TRUE`]));
    expect(text).toMatch(/^Frame 1:/m);
    expect(text).not.toMatch(BAD);
  });

  it(`carries the SYN in frames ${grows} bytes larger on the LAN than on the pod's veth`, () => {
    const lens = tshark(file, '-Y', 'tcp.flags.syn == 1 && tcp.flags.ack == 0', '-T', 'fields', '-e', 'frame.len').trim().split('\n').map(Number);
    // the SYN's frames: on the pod's veth, on the LAN, on the far pod's veth
    expect(lens.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...lens) - lens[0]!).toBe(grows);
  });
});

describe('the tunnels dissected', () => {
  it('IPIP: ip.proto == 4 from node to node, the pod-to-pod IPv4 packet inside', () => {
    const row = tshark(pcapOf('ipip'), '-Y', 'ip.proto == 4 && tcp.flags.syn == 1 && tcp.flags.ack == 0', '-T', 'fields', '-E', 'occurrence=a', '-e', 'ip.proto', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'ip.ttl', '-e', 'tcp.dstport');
    expect(row.trim().split('\n')[0]!.split('\t')).toEqual(['4,6', '192.168.205.4,10.42.0.65', '192.168.205.3,10.42.1.9', '63,63', '80']);
  });

  it('flannel udp: UDP 8285 → 8285 whose payload is the pod-to-pod IPv4 packet', () => {
    const row = tshark(pcapOf('udp'), '-Y', 'udp.port == 8285 && tcp.flags.syn == 1 && tcp.flags.ack == 0', '-T', 'fields', '-E', 'occurrence=a', '-e', 'udp.srcport', '-e', 'udp.dstport', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'ip.ttl');
    expect(row.trim().split('\n')[0]!.split('\t')).toEqual(['8285', '8285', '192.168.205.4,10.42.0.65', '192.168.205.3,10.42.1.9', '64,62']);
  });
});
