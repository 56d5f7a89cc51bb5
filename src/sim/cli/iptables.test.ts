import { describe, expect, it } from 'vitest';
import { KubeProxyIptables } from '../k8s/kube-proxy/iptables.ts';
import { MASTER_PROXIER_CONFIG, seedServicePort } from '../k8s/kube-proxy/testing.ts';
import type { ProxierConfig, ServicePortInfo } from '../k8s/kube-proxy/types.ts';
import { applyIptables, iptablesRestore, parseRuleSpec, tokenizeRestoreLine } from '../linux/netfilter/syntax.ts';
import { newTables } from '../linux/netfilter/tables.ts';
import type { Tables } from '../linux/netfilter/types.ts';
import {
  formatCount,
  iptablesList,
  iptablesListRules,
  iptablesSave,
  renderRuleRow,
  runIptables,
  saveString,
} from './iptables.ts';

/** The seed's Service (sections 3 and 4), with or without its NodePort. */
function nginxTest(nodePort?: number): ServicePortInfo {
  const { nodePort: _, ...withoutNodePort } = seedServicePort();
  return nodePort === undefined ? withoutNodePort : { ...withoutNodePort, nodePort };
}

const masterConfig = MASTER_PROXIER_CONFIG;

function synced(services: ServicePortInfo[], config: ProxierConfig = masterConfig): Tables {
  const t = newTables();
  const r = KubeProxyIptables.sync(t, services, config);
  if (!r.ok) throw new Error(r.error);
  return t;
}

function output(r: { ok: true; output: string } | { ok: false; error: string }): string {
  if (!r.ok) throw new Error(r.error);
  return r.output;
}

/** Compare as the seed's captures can be compared: whitespace runs are one space. */
const norm = (s: string): string => s.trim().replace(/\s+/g, ' ');
const lines = (s: string): string[] => s.trim().split('\n').map(norm);

/** `iptables -nvL -t nat | grep -A n 'Chain NAME'`: the chain's block, header included. */
function block(listing: string, chain: string): string[] {
  const all = listing.split('\n');
  const start = all.findIndex((l) => l.startsWith(`Chain ${chain} `));
  if (start < 0) throw new Error(`no chain ${chain}`);
  const end = all.indexOf('', start);
  return all.slice(start, end < 0 ? undefined : end).map(norm);
}

/** Sets a rule's counters the way the kernel would after traffic (the model counts in place). */
function count(t: Tables, chain: string, index: number, pkts: number, bytes: number): void {
  const rule = t.nat.get(chain)!.rules[index]!;
  rule.counters.pkts = pkts;
  rule.counters.bytes = bytes;
}

describe("iptables -nvL -t nat on the seed's master (section 4, NodePort)", () => {
  const t = synced([nginxTest(32506)]);
  // the counters of the seed's capture, as the packets of section 4 would have left them
  t.nat.get('PREROUTING')!.rules[0]!.counters.pkts = 323;
  t.nat.get('PREROUTING')!.rules[0]!.counters.bytes = 20898;
  count(t, 'KUBE-NODEPORTS', 0, 2, 124);
  count(t, 'KUBE-EXT-7CWUT4JBGBRVUN2L', 0, 2, 124);
  count(t, 'KUBE-EXT-7CWUT4JBGBRVUN2L', 1, 2, 124);
  count(t, 'KUBE-MARK-MASQ', 0, 2, 124);
  count(t, 'KUBE-SVC-7CWUT4JBGBRVUN2L', 1, 1, 64);
  count(t, 'KUBE-SVC-7CWUT4JBGBRVUN2L', 2, 1, 60);
  const listing = output(iptablesList(t, { table: 'nat', verbose: true, numeric: true }));

  it('starts with PREROUTING jumping to KUBE-SERVICES', () => {
    expect(block(listing, 'PREROUTING')).toEqual(
      lines(`
        Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)
        pkts bytes target     prot opt in     out     source               destination
        323 20898 KUBE-SERVICES  all  --  *      *       0.0.0.0/0            0.0.0.0/0            /* kubernetes service portals */`),
    );
  });

  it('captures the ClusterIP in KUBE-SERVICES, with the nodeports tail rule last', () => {
    const rows = block(listing, 'KUBE-SERVICES');
    expect(rows.slice(0, 3)).toEqual(
      lines(`
        Chain KUBE-SERVICES (2 references)
        pkts bytes target     prot opt in     out     source               destination
        0     0 KUBE-SVC-7CWUT4JBGBRVUN2L  tcp  --  *      *       0.0.0.0/0            10.43.6.58           /* default/nginx-test:80-80 cluster IP */ tcp dpt:80`),
    );
    expect(rows.at(-1)).toBe(
      norm(
        '0 0 KUBE-NODEPORTS all -- * * 0.0.0.0/0 0.0.0.0/0 /* kubernetes service nodeports; NOTE: this must be the last rule in this chain */ ADDRTYPE match dst-type LOCAL',
      ),
    );
  });

  it('sends the NodePort to KUBE-EXT', () => {
    expect(block(listing, 'KUBE-NODEPORTS')).toEqual(
      lines(`
        Chain KUBE-NODEPORTS (1 references)
        pkts bytes target     prot opt in     out     source               destination
        2   124 KUBE-EXT-7CWUT4JBGBRVUN2L  tcp  --  *      *       0.0.0.0/0            0.0.0.0/0            /* default/nginx-test:80-80 */ tcp dpt:32506`),
    );
  });

  it('marks external traffic for masquerade, then goes to the service chain', () => {
    expect(block(listing, 'KUBE-EXT-7CWUT4JBGBRVUN2L')).toEqual(
      lines(`
        Chain KUBE-EXT-7CWUT4JBGBRVUN2L (1 references)
         pkts bytes target     prot opt in     out     source               destination
            2   124 KUBE-MARK-MASQ  all  --  *      *       0.0.0.0/0            0.0.0.0/0            /* masquerade traffic for default/nginx-test:80-80 external destinations */
            2   124 KUBE-SVC-7CWUT4JBGBRVUN2L  all  --  *      *       0.0.0.0/0            0.0.0.0/0`),
    );
  });

  it('prints KUBE-MARK-MASQ as `MARK or 0x4000`, with its real reference count', () => {
    const rows = block(listing, 'KUBE-MARK-MASQ');
    // the seed's node had 20 service rules jumping here; this one has the SVC, EXT and two SEP rules
    expect(rows[0]).toBe('Chain KUBE-MARK-MASQ (4 references)');
    expect(rows.slice(1)).toEqual(
      lines(`
         pkts bytes target     prot opt in     out     source               destination
            2   124 MARK       all  --  *      *       0.0.0.0/0            0.0.0.0/0            MARK or 0x4000`),
    );
  });

  it('balances between the endpoints in KUBE-SVC, after the off-cluster masquerade rule', () => {
    expect(block(listing, 'KUBE-SVC-7CWUT4JBGBRVUN2L')).toEqual(
      lines(`
        Chain KUBE-SVC-7CWUT4JBGBRVUN2L (2 references)
         pkts bytes target     prot opt in     out     source               destination
            0     0 KUBE-MARK-MASQ  tcp  --  *      *      !10.42.0.0/16         10.43.6.58           /* default/nginx-test:80-80 cluster IP */ tcp dpt:80
            1    64 KUBE-SEP-U2YYZT2C3O6VM4EV  all  --  *      *       0.0.0.0/0            0.0.0.0/0            /* default/nginx-test:80-80 -> 10.42.1.6:80 */ statistic mode random probability 0.50000000000
            1    60 KUBE-SEP-GWUIQWA2TNZI4ESX  all  --  *      *       0.0.0.0/0            0.0.0.0/0            /* default/nginx-test:80-80 -> 10.42.2.6:80 */`),
    );
  });

  it('keeps the exact column widths of print_firewall', () => {
    const row = listing.split('\n').find((l) => l.includes('KUBE-SVC-7CWUT4JBGBRVUN2L  tcp'))!;
    expect(row).toBe(
      '    0     0 KUBE-SVC-7CWUT4JBGBRVUN2L  tcp  --  *      *       0.0.0.0/0            10.43.6.58           /* default/nginx-test:80-80 cluster IP */ tcp dpt:80',
    );
    expect(listing).toContain(
      ' pkts bytes target     prot opt in     out     source               destination         \n',
    );
  });
});

describe("iptables -nvL -t nat on a ClusterIP-only node without --cluster-cidr (seed section 3)", () => {
  const { clusterCIDR: _dropped, ...noDetector } = masterConfig;
  const listing = output(iptablesList(synced([nginxTest()], noDetector), { table: 'nat', verbose: true, numeric: true }));

  it('has no masquerade rule in KUBE-SVC and one reference to it', () => {
    expect(block(listing, 'KUBE-SVC-7CWUT4JBGBRVUN2L')).toEqual(
      lines(`
        Chain KUBE-SVC-7CWUT4JBGBRVUN2L (1 references)
        pkts bytes target     prot opt in     out     source               destination
        0     0 KUBE-SEP-U2YYZT2C3O6VM4EV  all  --  *      *       0.0.0.0/0            0.0.0.0/0            /* default/nginx-test:80-80 -> 10.42.1.6:80 */ statistic mode random probability 0.50000000000
        0     0 KUBE-SEP-GWUIQWA2TNZI4ESX  all  --  *      *       0.0.0.0/0            0.0.0.0/0            /* default/nginx-test:80-80 -> 10.42.2.6:80 */`),
    );
  });

  it('DNATs in each KUBE-SEP chain after the hairpin masquerade rule', () => {
    expect(block(listing, 'KUBE-SEP-U2YYZT2C3O6VM4EV')).toEqual(
      lines(`
        Chain KUBE-SEP-U2YYZT2C3O6VM4EV (1 references)
        pkts bytes target     prot opt in     out     source               destination
        0     0 KUBE-MARK-MASQ  all  --  *      *       10.42.1.6            0.0.0.0/0            /* default/nginx-test:80-80 */
        0     0 DNAT       tcp  --  *      *       0.0.0.0/0            0.0.0.0/0            /* default/nginx-test:80-80 */ tcp to:10.42.1.6:80`),
    );
    expect(block(listing, 'KUBE-SEP-GWUIQWA2TNZI4ESX')).toEqual(
      lines(`
        Chain KUBE-SEP-GWUIQWA2TNZI4ESX (1 references)
        pkts bytes target     prot opt in     out     source               destination
        0     0 KUBE-MARK-MASQ  all  --  *      *       10.42.2.6            0.0.0.0/0            /* default/nginx-test:80-80 */
        0     0 DNAT       tcp  --  *      *       0.0.0.0/0            0.0.0.0/0            /* default/nginx-test:80-80 */ tcp to:10.42.2.6:80`),
    );
  });

  it('answers `grep 10.43.6.58` with the single cluster IP rule', () => {
    expect(listing.split('\n').filter((l) => l.includes('10.43.6.58')).map(norm)).toEqual([
      norm(
        '0     0 KUBE-SVC-7CWUT4JBGBRVUN2L  tcp  --  *      *       0.0.0.0/0            10.43.6.58           /* default/nginx-test:80-80 cluster IP */ tcp dpt:80',
      ),
    ]);
  });
});

describe('counters', () => {
  it('abbreviates like xtables_print_num unless -x', () => {
    expect(formatCount(0)).toBe('    0 ');
    expect(formatCount(99999)).toBe('99999 ');
    expect(formatCount(100000)).toBe(' 100K ');
    expect(formatCount(123456)).toBe(' 123K ');
    expect(formatCount(9999499)).toBe('9999K ');
    expect(formatCount(9999500)).toBe('  10M ');
    expect(formatCount(98765432)).toBe('  99M ');
    expect(formatCount(5_000_000_000)).toBe('5000M ');
    expect(formatCount(50_000_000_000)).toBe('  50G ');
    expect(formatCount(123456, { exact: true })).toBe('  123456 ');
  });

  it('shows counters set on a rule in -nvL, abbreviated above 99999 and exact with -x', () => {
    const t = newTables();
    applyIptables(t, ['-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'ACCEPT', '-c', '123456', '98765432']);
    const row = (exact: boolean) => output(iptablesList(t, { chain: 'INPUT', verbose: true, numeric: true, exact })).split('\n')[2];
    expect(row(false)).toMatch(/^ 123K {3}99M ACCEPT {5}tcp/);
    expect(row(true)).toMatch(/^ {2}123456 98765432 ACCEPT/);
    t.filter.get('INPUT')!.policyCounters.pkts = 250000;
    expect(output(iptablesList(t, { chain: 'INPUT', verbose: true, numeric: true }))).toContain(
      'Chain INPUT (policy ACCEPT 250K packets, 0 bytes)',
    );
  });
});

describe('iptables -nL (no -v)', () => {
  it('drops the counters and interface columns', () => {
    const t = synced([nginxTest(32506)]);
    expect(block(output(iptablesList(t, { table: 'nat', numeric: true })), 'KUBE-SVC-7CWUT4JBGBRVUN2L').slice(0, 3)).toEqual(
      lines(`
        Chain KUBE-SVC-7CWUT4JBGBRVUN2L (2 references)
        target     prot opt source               destination
        KUBE-MARK-MASQ  tcp  -- !10.42.0.0/16         10.43.6.58           /* default/nginx-test:80-80 cluster IP */ tcp dpt:80`),
    );
    expect(output(iptablesList(t, { numeric: true, chain: 'FORWARD' })).split('\n')[0]).toBe('Chain FORWARD (policy ACCEPT)');
  });

  it('says `anywhere` and `any` without -n', () => {
    const t = newTables();
    applyIptables(t, ['-A', 'INPUT', '-p', 'tcp', '--dport', '80', '-j', 'ACCEPT']);
    expect(output(iptablesList(t, { chain: 'INPUT', verbose: true })).split('\n')[2]).toMatch(
      /ACCEPT +tcp +-- +any +any +anywhere +anywhere +tcp dpt:http$/,
    );
  });

  it('reports an unknown chain as iptables does', () => {
    expect(iptablesList(newTables(), { chain: 'NOPE' })).toEqual({
      ok: false,
      error: 'iptables: No chain/target/match by that name.',
    });
  });
});

describe('renderRuleRow', () => {
  it('is the -nvL row from the target column on', () => {
    const r = parseRuleSpec(['-p', 'tcp', '-m', 'tcp', '-j', 'DNAT', '--to-destination', '10.42.1.6:80']);
    if (!r.ok) throw new Error(r.error);
    expect(renderRuleRow(r.rule)).toBe('DNAT       tcp  --  *      *       0.0.0.0/0            0.0.0.0/0            tcp to:10.42.1.6:80');
  });
});

describe('the saved form (iptables -S, iptables-save)', () => {
  it("quotes like xtables_save_string", () => {
    expect(saveString('flanneld-masq_1')).toBe('flanneld-masq_1');
    expect(saveString('default/nginx-test:80-80')).toBe('"default/nginx-test:80-80"');
    expect(saveString('say "hi" it\'s \\')).toBe('"say \\"hi\\" it\\\'s \\\\"');
    expect(saveString('')).toBe('""');
  });

  it("writes kube-proxy's rules in iptables' canonical order and form", () => {
    const saved = iptablesSave(synced([nginxTest(32506)]), { table: 'nat' });
    const rules = saved.split('\n');
    for (const line of [
      '-A KUBE-SERVICES -d 10.43.6.58/32 -p tcp -m comment --comment "default/nginx-test:80-80 cluster IP" -m tcp --dport 80 -j KUBE-SVC-7CWUT4JBGBRVUN2L',
      '-A KUBE-SVC-7CWUT4JBGBRVUN2L ! -s 10.42.0.0/16 -d 10.43.6.58/32 -p tcp -m comment --comment "default/nginx-test:80-80 cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ',
      '-A KUBE-SVC-7CWUT4JBGBRVUN2L -m comment --comment "default/nginx-test:80-80 -> 10.42.1.6:80" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-U2YYZT2C3O6VM4EV',
      '-A KUBE-SEP-U2YYZT2C3O6VM4EV -s 10.42.1.6/32 -m comment --comment "default/nginx-test:80-80" -j KUBE-MARK-MASQ',
      '-A KUBE-SEP-U2YYZT2C3O6VM4EV -p tcp -m comment --comment "default/nginx-test:80-80" -m tcp -j DNAT --to-destination 10.42.1.6:80',
      '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
      '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
      '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
      '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ]) {
      expect(rules).toContain(line);
    }
    // built-in chains first in hook order, then user chains sorted by name
    const chainLines = rules.filter((l) => l.startsWith(':')).map((l) => l.split(' ')[0]!.slice(1));
    expect(chainLines.slice(0, 4)).toEqual(['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING']);
    expect(chainLines.slice(4)).toEqual([...chainLines.slice(4)].sort());
    expect(rules).toContain(':PREROUTING ACCEPT [0:0]');
    expect(rules).toContain(':KUBE-SERVICES - [0:0]');
  });

  it('prints [pkts:bytes] with -c and the stamp lines only when given', () => {
    const t = newTables();
    applyIptables(t, ['-A', 'INPUT', '-j', 'ACCEPT', '-c', '3', '120']);
    const saved = iptablesSave(t, { table: 'filter', counters: true, stamp: { version: 'v1.8.7', date: 'Mon Jan  1 00:00:00 2024' } });
    expect(saved.split('\n')).toEqual([
      '# Generated by iptables-save v1.8.7 on Mon Jan  1 00:00:00 2024',
      '*filter',
      ':INPUT ACCEPT [0:0]',
      ':FORWARD ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      '[3:120] -A INPUT -j ACCEPT',
      'COMMIT',
      '# Completed on Mon Jan  1 00:00:00 2024',
      '',
    ]);
  });

  it('saves only the tables a command created, as iptables-nft does (a named table always)', () => {
    const t = newTables();
    expect(iptablesSave(t)).toBe('');
    // listing and zeroing make no table; a policy, a chain or a rule does
    runIptables(t, ['-t', 'raw', '-L']);
    applyIptables(t, ['-t', 'mangle', '-Z']);
    expect(iptablesSave(t)).toBe('');
    applyIptables(t, ['-P', 'FORWARD', 'DROP']);
    applyIptables(t, ['-t', 'nat', '-N', 'KUBE-X']);
    expect(iptablesSave(t).split('\n').filter((l) => l.startsWith('*'))).toEqual(['*filter', '*nat']);
    expect(iptablesSave(t, { table: 'raw' })).toBe('*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n');
  });

  it('round-trips through iptables-restore', () => {
    const t = synced([nginxTest(32506)]);
    const saved = iptablesSave(t, { counters: true });
    const copy = newTables();
    expect(iptablesRestore(copy, saved, { noflush: false, counters: true })).toEqual({ ok: true });
    expect(iptablesSave(copy, { counters: true })).toBe(saved);
  });

  it('round-trips `iptables -S` lines through the parser', () => {
    const t = newTables();
    for (const chain of ['KUBE-X', 'KUBE-Y']) applyIptables(t, ['-t', 'nat', '-N', chain]);
    const specs = [
      '-A PREROUTING -i cni0 ! -o flannel.+ -p udp -m udp --sport 53 -j KUBE-X',
      '-A PREROUTING -s 10.42.0.0/16 ! -d 10.42.0.0/24 -m set ! --match-set KUBE-CLUSTER-IP dst,dst -g KUBE-Y',
      '-A PREROUTING -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j ACCEPT',
      '-A PREROUTING -p icmp -m icmp --icmp-type 8 -j RETURN',
      '-A PREROUTING -m conntrack --ctstate NEW,DNAT -m mark --mark 0x1/0xff -j MARK --set-xmark 0x2/0xf',
      '-A KUBE-X -p tcp -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-X --rsource -m tcp --dport 1000:2000 -j DNAT --to-destination 10.42.1.6:80',
      '-A KUBE-X -m statistic --mode random ! --probability 0.25000000000 -j KUBE-Y',
      '-A KUBE-Y -p tcp -m comment --comment "it\\\'s \\"quoted\\"" -j MASQUERADE --to-ports 1024-2048 --random-fully',
      '-A POSTROUTING -s 10.42.1.0/24 -j SNAT --to-source 192.168.205.3 --random',
      '-A KUBE-Y -m comment --comment "other traffic will be dropped"',
    ];
    for (const spec of specs) {
      const r = applyIptables(t, ['-t', 'nat', ...tokenizeRestoreLine(spec)]);
      expect(r, spec).toEqual({ ok: true });
    }
    const listed = output(iptablesListRules(t, { table: 'nat' })).split('\n');
    for (const spec of specs) expect(listed, spec).toContain(spec);
  });

  it('lists -P and -N before the rules, as `iptables -S` does', () => {
    const t = synced([nginxTest(32506)]);
    expect(output(iptablesListRules(t, { table: 'nat', chain: 'KUBE-NODEPORTS' })).split('\n')).toEqual([
      '-N KUBE-NODEPORTS',
      '-A KUBE-NODEPORTS -p tcp -m comment --comment "default/nginx-test:80-80" -m tcp --dport 32506 -j KUBE-EXT-7CWUT4JBGBRVUN2L',
      '',
    ]);
    expect(output(iptablesListRules(t, { chain: 'INPUT', counters: true })).split('\n')[0]).toBe('-P INPUT ACCEPT -c 0 0');
  });
});

describe('runIptables', () => {
  it('lists with -L/-S and changes the tables otherwise', () => {
    const t = newTables();
    expect(runIptables(t, ['-t', 'nat', '-N', 'KUBE-TEST'])).toEqual({ ok: true, output: '', changed: true });
    const listed = runIptables(t, ['-t', 'nat', '-n', '-v', '-L', 'KUBE-TEST']);
    expect(listed).toMatchObject({ ok: true, changed: false });
    expect(listed.ok && listed.output.split('\n')[0]).toBe('Chain KUBE-TEST (0 references)');
    expect(runIptables(t, ['-t', 'nat', '-S', 'KUBE-TEST'])).toEqual({ ok: true, output: '-N KUBE-TEST\n', changed: false });
    expect(runIptables(t, ['-L', 'KUBE-TEST'])).toEqual({ ok: false, error: 'iptables: No chain/target/match by that name.' });
  });
});
