import { describe, expect, it } from 'vitest';
import { loadScenario } from '../api.ts';
import { ipToInt, parseCidr, prefixContains, type Prefix } from '../net/addr.ts';
import { Rng } from '../rng.ts';
import { CLUSTER_PRESETS } from '../scenarios/clusters.ts';
import { generateClusterYaml } from '../scenarios/generate.ts';
import { runNft } from '../linux/nftables/parser.ts';
import { NftRuleset } from '../linux/nftables/ruleset.ts';
import { netnsScript } from './netns-script.ts';

/**
 * Reads exported scripts the way a reviewer would before running one as root: every command
 * runs inside a namespace the script itself made, and no address outside the lab's own networks
 * is ever a target (a gateway, a neighbour, a VXLAN remote, a DNAT destination).
 */

function exportOf(yaml: string, backend: 'vxlan' | 'host-gw', seed: number, before: string[] = []) {
  const c = loadScenario({ cluster: yaml, modes: { backend, proxy: 'iptables' }, seed, before });
  if (!c.ok) throw new Error(c.error.message);
  const s = netnsScript(c.value.world, { prefix: 'kpl' });
  if (!s.ok) throw new Error(s.error);
  return { c: c.value, script: s.value };
}

/** The commands of the script: its lines outside heredocs, comments and the shell frame. */
function commands(text: string): string[] {
  const out: string[] = [];
  let heredoc: string | undefined;
  for (const line of text.split('\n')) {
    if (heredoc) {
      if (line === heredoc) heredoc = undefined;
      continue;
    }
    const h = /<<'(\w+)'(?: &)?$/.exec(line);
    if (h) heredoc = h[1];
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    out.push(t);
  }
  return out;
}

/** Lines of the shell frame itself (functions, control flow), which run no network command. */
const FRAME = /^(set -euo pipefail|teardown\(\) \{|\}|up\(\) \{|teardown|wait_listening\(\) \{|wait_link\(\) \{|for _ in \$\(seq 50\); do|done|sleep 0\.1|echo .*|case "\$\{1:-up\}" in|up\) up ;;|teardown\) teardown ;;|\*\) echo .*|esac|trap .* ERR)$/;

function checkScript(text: string, namespaces: readonly string[], labNets: readonly Prefix[]): void {
  const made = new Set(namespaces);
  for (const n of namespaces) expect(n.startsWith('kpl-')).toBe(true);
  const inLab = (ip: string) => labNets.some((p) => prefixContains(p, ipToInt(ip)));
  for (const cmd of commands(text)) {
    if (FRAME.test(cmd)) continue;
    // the helper's own body: its arguments are the literal, prefixed names the script passes
    if (cmd.startsWith('if ip netns exec "$1" ss -Hln')) continue;
    if (cmd.startsWith('echo "no $2 server') || cmd.startsWith('echo "no device $2')) continue;
    if (cmd === 'if ip -n "$1" link show "$2" >/dev/null 2>&1; then return 0; fi') continue;
    const ns =
      /^ip -n (\S+) /.exec(cmd)?.[1] ??
      /^bridge -n (\S+) /.exec(cmd)?.[1] ??
      /^ip netns (?:add|exec) (\S+)/.exec(cmd)?.[1] ??
      /^wait_(?:listening|link) (\S+) /.exec(cmd)?.[1] ??
      /^if ! ip -n (\S+) link show tunl0 >\/dev\/null 2>&1; then echo "[^"]*" >&2; teardown; exit 1; fi$/.exec(cmd)?.[1] ??
      /^if \[ -e \/run\/netns\/(\S+) \]; then ip netns pids \1 \| xargs -r kill 2>\/dev\/null \|\| true; ip netns del \1; fi$/.exec(cmd)?.[1];
    expect(ns, `a command outside the lab's namespaces: ${cmd}`).toBeDefined();
    expect(made.has(ns!), `${cmd}: ${ns} is not a namespace the script makes`).toBe(true);
    // a veth's far end goes only into a namespace of the lab
    const peerNs = / netns (\S+)$/.exec(cmd)?.[1];
    if (peerNs) expect(made.has(peerNs), cmd).toBe(true);
    for (const m of cmd.matchAll(/\b(?:via|dst|local|lladdr)?\s*(\d+\.\d+\.\d+\.\d+)\b/g)) {
      const ip = m[1]!;
      const isRouteDst = /route (add|del) (\S+ )?\d/.test(cmd) && cmd.includes(` ${ip}/`);
      // a route's destination may be wider than the lab (the pod network's /16); every other address must be inside it
      if (!isRouteDst) expect(inLab(ip), `${cmd}: ${ip} is outside the lab's networks`).toBe(true);
    }
  }
  // DNAT destinations in the netfilter payloads
  for (const m of text.matchAll(/--to-destination (\d+\.\d+\.\d+\.\d+)/g)) expect(inLab(m[1]!), m[0]).toBe(true);
}

/** The lab's own networks: every subnet an address of it sits in, the LANs and the cluster network. */
function labNetworks(text: string, c: ReturnType<typeof exportOf>['c']): Prefix[] {
  // link-local (Calico's 169.254.1.1 gateway, answered by proxy ARP) never leaves its link
  const nets: Prefix[] = [parseCidr('127.0.0.0/8'), parseCidr('169.254.0.0/16'), parseCidr(c.spec.flannel.network)];
  for (const n of c.spec.networks) nets.push(parseCidr(n.cidr));
  for (const m of text.matchAll(/ addr add (\d+\.\d+\.\d+\.\d+\/\d+)/g)) nets.push(parseCidr(m[1]!));
  return nets;
}

describe('export --netns', () => {
  it('the seed cluster: commands only in its own namespaces, only the lab\'s addresses as targets', () => {
    const { c, script } = exportOf(CLUSTER_PRESETS.seed!.yaml, 'vxlan', 1);
    checkScript(script.text, script.namespaces, labNetworks(script.text, c));
    // what the model holds is what the kernel gets: the seed's VTEP, FDB and onlink route on master
    expect(script.text).toContain('ip -n kpl-master link add flannel.1 index 3 address a6:3e:52:19:7c:d1 mtu 1450 txqueuelen 0 type vxlan id 1 local 192.168.205.4 dev enp0s1 dstport 8472 nolearning');
    expect(script.text).toContain('bridge -n kpl-master fdb append 62:c8:a9:ce:ca:4e dev flannel.1 dst 192.168.205.3 self permanent');
    expect(script.text).toContain('ip -n kpl-master neigh replace 10.42.1.0 dev flannel.1 lladdr 62:c8:a9:ce:ca:4e nud permanent');
    expect(script.text).toContain('ip -n kpl-master route add 10.42.1.0/24 via 10.42.1.0 dev flannel.1 proto boot scope global onlink');
    expect(script.text).toMatch(/-A KUBE-SVC-7CWUT4JBGBRVUN2L .* -j KUBE-SEP-U2YYZT2C3O6VM4EV/);
    // the LAN is a bridge in a namespace of its own
    expect(script.namespaces).toContain('kpl-net-lan');
  });

  it('generated clusters of many shapes, both backends, after edits: the same two guarantees', () => {
    const rng = new Rng(7);
    for (let i = 0; i < 8; i++) {
      const yaml = generateClusterYaml({ nodes: rng.int(1, 5), podsPerNode: rng.int(0, 4), services: rng.int(0, 4), endpointsPerService: rng.int(1, 3), podPrefix: [24, 25, 26][rng.int(0, 2)] });
      const before = i % 3 === 0 ? ['master: ip route add 10.42.250.0/24 via 192.168.0.1', 'master: ip neigh add 192.168.0.200 dev enp0s1 lladdr 02:00:00:00:00:01 nud permanent', 'master: ip link set lo down'] : [];
      const { c, script } = exportOf(yaml, i % 2 === 0 ? 'vxlan' : 'host-gw', i + 1, before);
      checkScript(script.text, script.namespaces, labNetworks(script.text, c));
    }
  });

  it('every built-in cluster, and flannel udp with a user-space reader for each flannel0', () => {
    for (const preset of ['seed-calico', 'docker', 'five-nodes', 'pod-cidr-25']) {
      const c = loadScenario({ preset, modes: {}, seed: 1, before: [] });
      if (!c.ok) throw new Error(c.error.message);
      const s = netnsScript(c.value.world, { prefix: 'kpl' });
      if (!s.ok) throw new Error(s.error);
      checkScript(s.value.text, s.value.namespaces, labNetworks(s.value.text, c.value));
    }
    const udp = loadScenario({ preset: 'seed', modes: { backend: 'udp' }, seed: 1, before: [] });
    if (!udp.ok) throw new Error(udp.error.message);
    const r = netnsScript(udp.value.world, { prefix: 'kpl' });
    if (!r.ok) throw new Error(r.error);
    checkScript(r.value.text, r.value.namespaces, labNetworks(r.value.text, udp.value));
    // flanneld's table on master: each other node's lease → its public IP, port 8285; its socket on master's address
    expect(r.value.text).toContain("ip netns exec kpl-master setsid python3 - flannel0 10.42.0.0 1472 192.168.205.4 8285 10.42.1.0/24=192.168.205.3:8285 10.42.2.0/24=192.168.205.5:8285 >/dev/null 2>&1 <<'KPL_PY' &\n");
    // the program makes the device: the script waits for it, checks it got the model's ifindex, and no socat takes flanneld's port
    expect(r.value.text).toContain("wait_link kpl-master flannel0\nip -n kpl-master -o link show flannel0 | grep -q '^3: '\n");
    expect(r.value.text).not.toMatch(/socat UDP4-RECVFROM:8285/);
    expect(r.value.text).toContain('wait_listening kpl-node2 udp 8285');
  });

  it('tears down first and on failure, and knows only its own namespaces', () => {
    const { script } = exportOf(CLUSTER_PRESETS['two-subnets']!.yaml, 'vxlan', 3);
    const up = script.text.slice(script.text.indexOf('up() {'));
    expect(up.split('\n')[1]).toBe('teardown');
    expect(up).toMatch(/trap '.*teardown' ERR/);
    const teardown = script.text.slice(script.text.indexOf('teardown() {'), script.text.indexOf('}\n'));
    expect(teardown.match(/ip netns del /g)).toHaveLength(script.namespaces.length);
  });

  it('refuses a prefix that is not a plain name', () => {
    const c = loadScenario({ preset: 'seed', modes: {}, seed: 1, before: [] });
    if (!c.ok) throw new Error(c.error.message);
    const r = netnsScript(c.value.world, { prefix: 'kpl; rm -rf /' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/--prefix/);
  });
});

describe('what the kernel needs first', () => {
  it('Calico in BGP mode: the link route to 169.254.1.1 before the default via it, and Felix\'s ipsets before the rules that match on them', () => {
    const c = loadScenario({ cluster: CLUSTER_PRESETS['seed-calico']!.yaml, modes: { backend: 'bgp', proxy: 'iptables' }, seed: 1, before: [] });
    if (!c.ok) throw new Error(c.error.message);
    const s = netnsScript(c.value.world, { prefix: 'kpl' });
    if (!s.ok) throw new Error(s.error);
    const lines = commands(s.value.text);
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const link = at(/^ip -n kpl-master-nginx-test-7646687cc4-n8s9s route add 169\.254\.1\.1\/32 dev eth0 proto boot scope link/);
    const dflt = at(/^ip -n kpl-master-nginx-test-7646687cc4-n8s9s route add default via 169\.254\.1\.1 dev eth0/);
    expect(link).toBeGreaterThanOrEqual(0);
    expect(dflt).toBeGreaterThan(link);
    const set = at(/^ip netns exec kpl-master ipset create cali40masq-ipam-pools hash:net family inet/);
    const rules = at(/^ip netns exec kpl-master iptables-restore/);
    expect(set).toBeGreaterThanOrEqual(0);
    expect(rules).toBeGreaterThan(set);
    expect(lines).toContain('ip netns exec kpl-master ipset add cali40masq-ipam-pools 10.42.0.0/16');
    // the model's proxy ARP answers at once: Calico's CNI sets proxy_delay=0 beside proxy_arp (configureSysctls)
    const veth = at(/^ip netns exec kpl-master sysctl -qw net\.ipv4\.conf\.cali\w+\.proxy_arp=1$/);
    expect(lines[veth + 1]).toBe(lines[veth]!.replace('conf.', 'neigh.').replace('proxy_arp=1', 'proxy_delay=0'));
  });
});

describe('nftables mode', () => {
  it('each node loads the model\'s nf_tables ruleset with nft -f, and the text reads back into the same listing', () => {
    const c = loadScenario({ cluster: CLUSTER_PRESETS.seed!.yaml, modes: { backend: 'vxlan', proxy: 'nftables' }, seed: 1, before: [] });
    if (!c.ok) throw new Error(c.error.message);
    const s = netnsScript(c.value.world, { prefix: 'kpl' });
    if (!s.ok) throw new Error(s.error);
    const text = s.value.text;
    const start = text.indexOf("ip netns exec kpl-master nft -f - <<'KPL_NFT'\n");
    expect(start).toBeGreaterThanOrEqual(0);
    const body = text.slice(text.indexOf('\n', start) + 1, text.indexOf('\nKPL_NFT', start));
    expect(body).toContain('table ip kube-proxy {');
    const again = new NftRuleset();
    expect(runNft(again, body, { file: '/dev/stdin' }).ok).toBe(true);
    const master = c.value.nodes.get('master')!;
    expect(runNft(again, 'list ruleset')).toEqual(runNft(master.nft, 'list ruleset', { nowUs: c.value.world.timeUs }));
  });
});
