import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SEED_CLUSTER_YAML } from '../sim/scenarios/seed-cluster.ts';
import { main } from './cli.ts';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'kpl-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kube-packet-lab exec', () => {
  it("prints the seed's routes on master (vxlan)", async () => {
    const r = await cli('exec', 'master', '--', 'ip', 'route');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n').map((l) => l.trimEnd());
    expect(lines).toContain('default via 192.168.205.1 dev enp0s1 proto dhcp src 192.168.205.4 metric 100');
    expect(lines).toContain('10.42.0.0/24 dev cni0 proto kernel scope link src 10.42.0.1');
    expect(lines).toContain('10.42.1.0/24 via 10.42.1.0 dev flannel.1 onlink');
    expect(lines).toContain('10.42.2.0/24 via 10.42.2.0 dev flannel.1 onlink');
    expect(lines).toContain('192.168.205.1 dev enp0s1 proto dhcp scope link src 192.168.205.4 metric 100');
  });

  it('agrees between bridge fdb show and ip neigh show for flannel.1', async () => {
    const fdb = (await cli('exec', 'master', '--', 'bridge', 'fdb', 'show', 'dev', 'flannel.1')).out;
    const neigh = (await cli('exec', 'master', '--', 'ip', 'neigh', 'show', 'dev', 'flannel.1')).out;
    expect(fdb).toContain('62:c8:a9:ce:ca:4e dst 192.168.205.3 self permanent');
    expect(neigh).toContain('10.42.1.0 lladdr 62:c8:a9:ce:ca:4e PERMANENT');
    // every VTEP MAC the neighbour table resolves to has an FDB entry, and vice versa
    const neighMacs = [...neigh.matchAll(/lladdr (\S+)/g)].map((m) => m[1]).sort();
    const fdbMacs = [...fdb.matchAll(/^(\S+) dst/gm)].map((m) => m[1]).sort();
    expect(neighMacs).toEqual(fdbMacs);
  });

  it('pipes through grep as the seed does', async () => {
    const r = await cli('exec', 'master', '--', 'iptables -nvL -t nat | grep KUBE-SVC-7CWUT4JBGBRVUN2L -A 5');
    expect(r.out).toMatch(/Chain KUBE-SVC-7CWUT4JBGBRVUN2L \(2 references\)/);
    expect(r.out).toContain('statistic mode random probability 0.50000000000');
  });

  it('in host-gw mode master routes 10.42.1.0/24 via node1 on enp0s1', async () => {
    const r = await cli('exec', 'master', '--backend', 'host-gw', '--', 'ip', 'route');
    expect(r.out).toContain('10.42.1.0/24 via 192.168.205.3 dev enp0s1');
  });

  it('applies --before edits first', async () => {
    const r = await cli('exec', 'master', '--before', 'master: ip route del 10.42.1.0/24', '--', 'ip', 'route');
    expect(r.out).not.toContain('10.42.1.0/24');
  });

  it('says what is wrong with an unknown command, and exits non-zero', async () => {
    const r = await cli('exec', 'master', '--', 'frobnicate');
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('frobnicate: command not found');
  });
});

describe('kube-packet-lab trace', () => {
  it('--json has verdict, events with host/netns/kind and Wireshark-named layers', async () => {
    const r = await cli('trace', '--from', 'nginx-test-7646687cc4-n8s9s', '--to', '10.42.1.9:80', '--json');
    const j = JSON.parse(r.out) as { verdict: string; events: { host: string; netns: string; kind: string; packet: { layers: Record<string, unknown>[] } }[] };
    expect(j.verdict).toBe('delivered');
    const encap = j.events.find((e) => e.kind === 'encap')!;
    expect(encap.host).toBe('master');
    expect(encap.packet.layers.map((l) => l.type)).toEqual(['ipv4', 'udp', 'vxlan', 'ethernet', 'ipv4', 'tcp']);
    expect(encap.packet.layers[1]).toMatchObject({ dstport: 8472 });
    expect(encap.packet.layers[2]).toMatchObject({ vni: 1 });
  });

  it('--pcap writes frames tshark dissects cleanly: VXLAN VNI 1 around the inner SYN', async () => {
    const file = join(dir, 'trace.pcap');
    await cli('trace', '--from', 'nginx-test-7646687cc4-n8s9s', '--to', '10.42.1.9:80', '--pcap', file);
    expect(readFileSync(file).readUInt32LE(0)).toBe(0xa1b2c3d4);
    const text = execFileSync('tshark', ['-r', file, '-d', 'udp.port==8472,vxlan', '-V', '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(text).not.toMatch(/Malformed|\[Checksum: Bad|incorrect/);
    const fields = execFileSync('tshark', ['-r', file, '-d', 'udp.port==8472,vxlan', '-Y', 'vxlan', '-T', 'fields', '-e', 'vxlan.vni', '-e', 'tcp.flags.syn', '-e', 'tcp.flags.ack'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(fields.split('\n')[0]!.split('\t')).toEqual(['1', '1', '0']);
  });

  it('names the drop when state is broken (exit code 3)', async () => {
    const r = await cli('trace', '--from', 'nginx-test-7646687cc4-n8s9s', '--to', '10.42.1.9:80', '--before', 'master: bridge fdb del 62:c8:a9:ce:ca:4e dev flannel.1');
    expect(r.code).toBe(3);
    expect(r.out).toContain('verdict: dropped (VXLAN_NO_REMOTE) at master/root');
  });
});

describe('bad input', () => {
  const write = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const seedWith = (from: string, to: string) => write(`c-${to.replace(/\W/g, '')}.yaml`, SEED_CLUSTER_YAML.replace(from, to));

  it('unparseable YAML', async () => {
    const r = await cli('exec', 'master', '--cluster', write('bad.yaml', 'kind: List\nitems: [\n'), '--', 'ip', 'route');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cluster file: not valid YAML/);
  });

  it('a pod IP outside its node\'s CIDR names the pod and field', async () => {
    const r = await cli('exec', 'master', '--cluster', seedWith('podIP: 10.42.0.65', 'podIP: 10.42.7.65'), '--', 'ip', 'route');
    expect(r.err).toContain('Pod default/nginx-test-7646687cc4-n8s9s .status.podIP: 10.42.7.65 is outside node master\'s podCIDR 10.42.0.0/24');
  });

  it('a duplicate IP', async () => {
    const r = await cli('exec', 'master', '--cluster', seedWith('podIP: 10.42.1.9', 'podIP: 10.42.1.6'), '--', 'ip', 'route');
    expect(r.err).toMatch(/IP 10\.42\.1\.6 is already used by Pod/);
  });

  it('an unknown node', async () => {
    const r = await cli('exec', 'master', '--cluster', seedWith('nodeName: node2', 'nodeName: node9'), '--', 'ip', 'route');
    expect(r.err).toContain('.spec.nodeName: no Node named "node9"');
  });

  it('a NodePort outside 30000-32767', async () => {
    const r = await cli('exec', 'master', '--cluster', seedWith('nodePort: 32506', 'nodePort: 8080'), '--', 'ip', 'route');
    expect(r.err).toContain('Service default/nginx-test .spec.ports.0.nodePort: 8080 is outside the NodePort range 30000-32767');
  });

  it('an unknown option or verb', async () => {
    expect((await cli('trace', '--frm', 'x')).err).toContain('unknown option --frm');
    expect((await cli('frob')).code).toBe(2);
  });
});

describe('the CLI never shows a stack trace', () => {
  const flow = ['trace', '--from', 'nginx-test-7646687cc4-n8s9s', '--to', '10.42.1.9:80'];

  it('--pcap to a directory, a missing folder or a full device: one line naming the file and the reason', async () => {
    const cases: [string, string][] = [
      [dir, `kube-packet-lab: --pcap ${dir}: Is a directory\n`],
      ['/nonexistent/x', 'kube-packet-lab: --pcap /nonexistent/x: No such file or directory\n'],
      ['/dev/full', 'kube-packet-lab: --pcap /dev/full: No space left on device\n'],
    ];
    for (const [path, message] of cases) {
      const r = await cli(...flow, '--pcap', path);
      expect([r.code, r.err]).toEqual([1, message]);
    }
  });

  it('--cluster naming a directory says so', async () => {
    const r = await cli('exec', 'master', '--cluster', dir, '--', 'ip', 'route');
    expect([r.code, r.err]).toEqual([1, `kube-packet-lab: --cluster ${dir}: Is a directory\n`]);
  });

  it('an unexpected failure is one line and exit 70, not a stack', async () => {
    let err = '';
    const code = await main(['presets'], {
      stdout: {
        write: () => {
          throw new TypeError("Cannot read properties of undefined (reading 'reason')");
        },
      },
      stderr: { write: (s: string) => (err += s) },
    });
    expect(code).toBe(70);
    expect(err).toMatch(/^kube-packet-lab: internal error: Cannot read properties of undefined \(reading 'reason'\)\n/);
    expect(err).not.toMatch(/\n\s+at /);
  });

  it('escapes control characters a cluster file puts in a name', async () => {
    const file = join(dir, 'evil.yaml');
    writeFileSync(file, SEED_CLUSTER_YAML.replaceAll('nginx-test-7646687cc4-z8xnq', '"evil-\\e]0;pwned\\a-pod"'));
    const r = await cli('exec', 'master', '--cluster', file, '--', 'kubectl', 'get', 'pods', '-o', 'wide');
    expect(r.out + r.err).toContain('evil-\\x1b]0;pwned\\x07-pod');
    expect(r.out + r.err).not.toMatch(/[\x1b\x07]/);
  });

  it('--count runs every connection and counts where each landed', async () => {
    const r = await cli('trace', '--from', 'nginx-test-7646687cc4-n8s9s', '--to', '10.43.6.58:80', '--count', '200');
    expect(r.code).toBe(0);
    const counts = [...r.out.matchAll(/^\s+(\d+)\s+[\d.]+%\s+(\S+)$/gm)].map((m) => [m[2], Number(m[1])] as const);
    expect(counts.reduce((n, [, k]) => n + k, 0)).toBe(200);
    expect(counts.map(([where]) => where).sort()).toEqual(['node1/nginx-test-7646687cc4-5kqbd', 'node2/nginx-test-7646687cc4-w7rlm']);
  });
});

describe('kube-packet-lab scale', () => {
  it('refuses 20,000 services × 100 endpoints up front, with the memory it would need', async () => {
    const r = await cli('scale', '--services', '20000', '--endpoints', '100');
    expect(r.code).toBe(1);
    expect(r.err).toBe('kube-packet-lab: scale: 20,000 services × 100 endpoints is 2,000,000 service endpoints (about 6,040,000 iptables rules on each of 3 nodes) and would need about 25.0 GB of memory; this lab builds up to 200,000 (about 2.5 GB) — use fewer services or endpoints\n');
  });
});
