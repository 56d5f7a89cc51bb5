import { describe, expect, it } from 'vitest';
import { ipToInt } from '../../net/addr.ts';
import {
  applyIptables,
  iptablesRestore,
  parseIptablesCommand,
  parseRuleSpec,
  printfFixed,
  sameRuleSpec,
  statisticProbability,
  statisticProbabilityText,
  tokenizeRestoreLine,
} from './syntax.ts';
import { chainReferences, newTables } from './tables.ts';
import type { Rule, Tables } from './types.ts';

function rule(args: string[]): Rule {
  const r = parseRuleSpec(args);
  if (!r.ok) throw new Error(r.error);
  return r.rule;
}

function error(args: string[]): string {
  const r = parseRuleSpec(args);
  if (r.ok) throw new Error(`expected ${args.join(' ')} to fail`);
  return r.error;
}

/** A fingerprint of every chain, policy and rule, to show a failed command changed nothing. */
function snapshot(t: Tables): string {
  return JSON.stringify(
    Object.entries(t).map(([name, table]) => [name, [...table.values()].map((c) => [c.name, c.policy, c.rules])]),
  );
}

function run(t: Tables, ...args: string[]): void {
  const r = applyIptables(t, args);
  if (!r.ok) throw new Error(r.error);
}

describe('parseRuleSpec', () => {
  it("parses kube-proxy's cluster-IP rule into the kernel's structure", () => {
    const r = rule([
      '-m', 'comment', '--comment', 'default/nginx-test:80-80 cluster IP',
      '-m', 'tcp', '-p', 'tcp', '-d', '10.43.6.58', '--dport', '80',
      '-j', 'KUBE-SVC-7CWUT4JBGBRVUN2L',
    ]);
    expect(r.dst?.prefix).toEqual({ net: ipToInt('10.43.6.58'), len: 32, mask: 0xffffffff });
    expect(r.proto).toEqual({ name: 'tcp', neg: false });
    expect(r.matches).toEqual([
      { m: 'comment', comment: 'default/nginx-test:80-80 cluster IP' },
      { m: 'tcp', dport: { from: 80, to: 80, neg: false } },
    ]);
    expect(r.target).toEqual({ t: 'jump', chain: 'KUBE-SVC-7CWUT4JBGBRVUN2L' });
  });

  it('masks host bits and keeps negations of addresses, protocol and interfaces', () => {
    const r = rule(['!', '-s', '10.42.3.4/16', '!', '-p', 'udp', '-i', 'veth+', '!', '-o', 'cni0']);
    expect(r.src).toEqual({ prefix: { net: ipToInt('10.42.0.0'), len: 16, mask: 0xffff0000 }, neg: true });
    expect(r.proto).toEqual({ name: 'udp', neg: true });
    expect(r.inIface).toEqual({ name: 'veth+', neg: false });
    expect(r.outIface).toEqual({ name: 'cni0', neg: true });
    expect(r.target).toEqual({ t: 'none' });
  });

  it('accepts a dotted netmask and protocol numbers', () => {
    const r = rule(['-d', '10.0.0.0/255.0.0.0', '-p', '6']);
    expect(r.dst?.prefix.len).toBe(8);
    expect(r.proto?.name).toBe('tcp');
  });

  it("reads inet_aton's short forms, and stores no address for a /0 that is not negated", () => {
    expect(rule(['-d', '0/0']).dst).toBeUndefined();
    expect(rule(['-s', '0.0.0.0/0']).src).toBeUndefined();
    expect(rule(['!', '-d', '0/0']).dst).toEqual({ prefix: { net: 0, len: 0, mask: 0 }, neg: true });
    expect(rule(['-d', '10.1/16']).dst?.prefix.net).toBe(ipToInt('10.0.0.1') & 0xffff0000);
  });

  it('loads the protocol match implicitly for --dport, as `-p tcp --dport 80` does', () => {
    expect(rule(['-p', 'tcp', '--dport', '80']).matches).toEqual([{ m: 'tcp', dport: { from: 80, to: 80, neg: false } }]);
  });

  it('parses port ranges and their negation', () => {
    const r = rule(['-p', 'udp', '-m', 'udp', '!', '--sport', '1000:', '--dport', ':53']);
    expect(r.matches[0]).toEqual({
      m: 'udp',
      sport: { from: 1000, to: 65535, neg: true },
      dport: { from: 0, to: 53, neg: false },
    });
  });

  it('stores the statistic probability as the kernel does: lround(0x80000000 * p)', () => {
    const r = rule(['-m', 'statistic', '--mode', 'random', '--probability', '0.3333333333']);
    expect(r.matches[0]).toEqual({ m: 'statistic', mode: 'random', probability: 715827883 });
    expect(statisticProbability(0.5)).toBe(0x40000000);
  });

  it('turns every MARK form into the revision-2 (value, mask) pair', () => {
    const target = (...a: string[]) => rule(['-j', 'MARK', ...a]).target;
    expect(target('--or-mark', '0x00004000')).toEqual({ t: 'MARK', value: 0x4000, mask: 0x4000 });
    expect(target('--xor-mark', '0x4000')).toEqual({ t: 'MARK', value: 0x4000, mask: 0 });
    expect(target('--and-mark', '0xffffbfff')).toEqual({ t: 'MARK', value: 0, mask: 0x4000 });
    expect(target('--set-mark', '0x1')).toEqual({ t: 'MARK', value: 1, mask: 0xffffffff });
    expect(target('--set-xmark', '0x4000/0x4000')).toEqual({ t: 'MARK', value: 0x4000, mask: 0x4000 });
  });

  it('parses mark, addrtype, conntrack, set, recent and physdev matches', () => {
    const r = rule([
      '-m', 'mark', '!', '--mark', '0x4000/0x4000',
      '-m', 'addrtype', '!', '--src-type', 'LOCAL', '--dst-type', 'local',
      '-m', 'conntrack', '!', '--ctstate', 'ESTABLISHED,RELATED,DNAT',
      '-m', 'set', '--match-set', 'KUBE-CLUSTER-IP', 'dst,dst',
      '-m', 'recent', '--name', 'KUBE-SEP-X', '--rcheck', '--seconds', '10800', '--reap',
      '-m', 'physdev', '!', '--physdev-is-in',
    ]);
    expect(r.matches).toEqual([
      { m: 'mark', mark: 0x4000, mask: 0x4000, neg: true },
      { m: 'addrtype', srcType: 'LOCAL', srcNeg: true, dstType: 'LOCAL', dstNeg: false },
      // a state mask: listed in bit order whatever order it was written in
      { m: 'conntrack', ctstate: ['RELATED', 'ESTABLISHED', 'DNAT'], neg: true },
      { m: 'set', name: 'KUBE-CLUSTER-IP', flags: ['dst', 'dst'], neg: false },
      { m: 'recent', name: 'KUBE-SEP-X', mode: 'rcheck', rsource: true, seconds: 10800, reap: true },
      { m: 'physdev', physdevIsIn: true, neg: true },
    ]);
  });

  it('parses the NAT and REJECT targets', () => {
    expect(rule(['-p', 'tcp', '-j', 'DNAT', '--to-destination', '10.42.1.6:80']).target).toEqual({
      t: 'DNAT',
      toAddr: '10.42.1.6',
      toPort: 80,
    });
    expect(rule(['-j', 'SNAT', '--to-source', '192.168.205.4', '--random']).target).toEqual({
      t: 'SNAT',
      toAddr: '192.168.205.4',
      random: true,
    });
    expect(rule(['-j', 'MASQUERADE', '--random-fully']).target).toEqual({ t: 'MASQUERADE', randomFully: true });
    expect(rule(['-j', 'REJECT']).target).toEqual({ t: 'REJECT', rejectWith: 'icmp-port-unreachable' });
    expect(rule(['-j', 'REJECT', '--reject-with', 'tcp-rst']).target).toEqual({ t: 'REJECT', rejectWith: 'tcp-reset' });
  });

  it('marks -g as a goto', () => {
    expect(rule(['-g', 'KUBE-X']).target).toEqual({ t: 'jump', chain: 'KUBE-X', goto: true });
  });

  it("reports bad input with iptables' own messages and the argument at fault", () => {
    expect(error(['-s', '10.0.0.300'])).toContain("host/network `10.0.0.300' not found");
    expect(error(['-p', 'tcp', '--dport', '80', 'extra'])).toContain("Bad argument `extra'");
    expect(error(['--frobnicate'])).toContain('unknown option "--frobnicate"');
    expect(error(['-m', 'nosuch'])).toContain("Couldn't load match `nosuch':No such file or directory");
    expect(error(['-p', 'bogus'])).toContain('unknown protocol "bogus" specified');
    expect(error(['-m', 'comment'])).toContain('comment: option "--comment" must be specified');
    expect(error(['-s', '1.2.3.4', '-s', '1.2.3.5'])).toContain('multiple -s flags not allowed');
    expect(error(['-j', 'DNAT', '--to-destination', '10.0.0.1:80'])).toContain('Need TCP, UDP, SCTP or DCCP');
    expect(error(['-m', 'comment', '!', '--comment', 'x'])).toContain('cannot be inverted');
    expect(error(['-j', 'MARK'])).toContain('MARK: One of the --set-xmark');
    // the tcp match only loads for -p tcp: the kernel says EINVAL
    expect(error(['-m', 'tcp', '--dport', '80'])).toBe("iptables: Invalid argument. Run `dmesg' for more information.");
    const r = parseRuleSpec(['-d', 'nowhere']);
    expect(!r.ok && r.arg).toBe('nowhere');
  });

  it('does not mistake Object.prototype names for options or extensions', () => {
    expect(error(['-m', 'constructor'])).toContain("Couldn't load match `constructor'");
    expect(error(['--toString'])).toContain('unknown option');
  });
});

describe('sameRuleSpec', () => {
  it('compares everything but the counters', () => {
    const a = rule(['-p', 'tcp', '--dport', '80', '-j', 'ACCEPT']);
    const b = { ...rule(['-p', 'tcp', '-m', 'tcp', '--dport', '80', '-j', 'ACCEPT']), counters: { pkts: 9, bytes: 9 } };
    expect(sameRuleSpec(a, b)).toBe(true);
    expect(sameRuleSpec(a, rule(['-p', 'tcp', '--dport', '81', '-j', 'ACCEPT']))).toBe(false);
  });
});

describe('printf-style numbers', () => {
  it("prints like glibc's %.Nf, ties to even, unlike toFixed", () => {
    expect(printfFixed(1 / 3, 10)).toBe('0.3333333333');
    expect(printfFixed(0.5, 11)).toBe('0.50000000000');
    // 1/2048 = 0.00048828125 exactly: a tie at 10 digits
    expect(printfFixed(1 / 2048, 10)).toBe('0.0004882812');
    expect(printfFixed(1, 10)).toBe('1.0000000000');
  });

  it('re-quantises the stored probability as iptables-save shows it', () => {
    expect(statisticProbabilityText(statisticProbability(0.3333333333))).toBe('0.33333333349');
    expect(statisticProbabilityText(statisticProbability(0.5))).toBe('0.50000000000');
    expect(statisticProbabilityText(statisticProbability(0.25))).toBe('0.25000000000');
  });
});

describe('applyIptables', () => {
  it('appends, inserts, replaces and deletes rules by spec or number', () => {
    const t = newTables();
    run(t, '-A', 'INPUT', '-s', '10.0.0.1', '-j', 'ACCEPT');
    run(t, '-A', 'INPUT', '-s', '10.0.0.2', '-j', 'ACCEPT');
    run(t, '-I', 'INPUT', '-s', '10.0.0.0/8', '-j', 'DROP');
    run(t, '-I', 'INPUT', '3', '-s', '10.0.0.9', '-j', 'RETURN');
    const srcs = () => t.filter.get('INPUT')!.rules.map((r) => r.src?.prefix.net);
    expect(srcs()).toEqual([ipToInt('10.0.0.0'), ipToInt('10.0.0.1'), ipToInt('10.0.0.9'), ipToInt('10.0.0.2')]);
    run(t, '-R', 'INPUT', '1', '-s', '10.0.0.7', '-j', 'DROP');
    run(t, '-D', 'INPUT', '-s', '10.0.0.9', '-j', 'RETURN');
    run(t, '-D', 'INPUT', '1');
    expect(srcs()).toEqual([ipToInt('10.0.0.1'), ipToInt('10.0.0.2')]);
  });

  it('creates, references, flushes and deletes user chains in the table given by -t', () => {
    const t = newTables();
    run(t, '-t', 'nat', '-N', 'KUBE-TEST');
    run(t, '-t', 'nat', '-A', 'PREROUTING', '-j', 'KUBE-TEST');
    run(t, '-t', 'nat', '-A', 'KUBE-TEST', '-j', 'RETURN');
    expect(chainReferences(t.nat, 'KUBE-TEST')).toBe(1);
    expect(t.filter.has('KUBE-TEST')).toBe(false);
    run(t, '-t', 'nat', '-F');
    run(t, '-t', 'nat', '-X', 'KUBE-TEST');
    expect(t.nat.has('KUBE-TEST')).toBe(false);
  });

  it('sets policies and policy counters with -P and zeroes counters with -Z', () => {
    const t = newTables();
    run(t, '-P', 'FORWARD', 'DROP', '-c', '5', '300');
    expect(t.filter.get('FORWARD')).toMatchObject({ policy: 'DROP', policyCounters: { pkts: 5, bytes: 300 } });
    run(t, '-A', 'INPUT', '-j', 'ACCEPT', '-c', '7', '700');
    expect(t.filter.get('INPUT')!.rules[0]!.counters).toEqual({ pkts: 7, bytes: 700 });
    run(t, '-Z');
    expect(t.filter.get('INPUT')!.rules[0]!.counters).toEqual({ pkts: 0, bytes: 0 });
    expect(t.filter.get('FORWARD')!.policyCounters).toEqual({ pkts: 0, bytes: 0 });
  });

  it("checks with -C like EnsureRule, answering libiptc's message when missing", () => {
    const t = newTables();
    run(t, '-A', 'OUTPUT', '-m', 'comment', '--comment', 'x', '-j', 'ACCEPT');
    expect(applyIptables(t, ['-C', 'OUTPUT', '-m', 'comment', '--comment', 'x', '-j', 'ACCEPT']).ok).toBe(true);
    expect(applyIptables(t, ['-C', 'OUTPUT', '-j', 'ACCEPT'])).toMatchObject({
      ok: false,
      error: 'iptables: Bad rule (does a matching rule exist in that chain?).',
    });
  });

  it('leaves the tables untouched on every kind of error', () => {
    const t = newTables();
    run(t, '-t', 'nat', '-N', 'USED');
    run(t, '-t', 'nat', '-A', 'PREROUTING', '-j', 'USED');
    run(t, '-t', 'nat', '-A', 'USED', '-j', 'RETURN');
    const before = snapshot(t);
    const failures: [string[], string][] = [
      [['-A', 'NOCHAIN', '-j', 'ACCEPT'], 'iptables: No chain/target/match by that name.'],
      [['-t', 'nat', '-A', 'PREROUTING', '-j', 'KUBE-NOPE'], "Couldn't load target `KUBE-NOPE':No such file or directory"],
      [['-t', 'nat', '-X', 'USED'], 'iptables: Too many links.'],
      [['-t', 'nat', '-N', 'USED'], 'iptables: Chain already exists.'],
      [['-t', 'nat', '-X', 'PREROUTING'], "iptables: Can't delete built-in chain."],
      [['-t', 'nat', '-D', 'PREROUTING', '5'], 'iptables: Index of deletion too big.'],
      [['-t', 'nat', '-I', 'USED', '9', '-j', 'RETURN'], 'iptables: Index of insertion too big.'],
      [['-t', 'nat', '-D', 'USED', '-j', 'ACCEPT'], 'iptables: Bad rule (does a matching rule exist in that chain?).'],
      [['-t', 'nat', '-P', 'USED', 'DROP'], 'iptables: Bad built-in chain name.'],
      [['-P', 'INPUT', 'MAYBE'], 'iptables: Bad policy name.'],
      [['-t', 'bogus', '-L'], "can't initialize iptables table `bogus'"],
      [['-A', 'INPUT', '-s', '300.1.1.1', '-j', 'ACCEPT'], "host/network `300.1.1.1' not found"],
      [['-A', 'INPUT', '-j', 'DNAT', '--to-destination', '1.2.3.4'], "iptables: Invalid argument. Run `dmesg' for more information."],
      [['-t', 'nat', '-A', 'USED', '-j', 'USED'], 'iptables: Too many levels of symbolic links.'],
      [['-F', 'INPUT', '-s', '1.2.3.4'], "Illegal option `-s' with this command"],
      [['-A', 'INPUT', '-j', 'ACCEPT', '-I', 'INPUT'], 'Cannot use -I with -A'],
      [['-s', '1.2.3.4'], 'no command specified'],
      [['-N', 'ACCEPT'], 'chain name may not clash with target name'],
    ];
    for (const [args, message] of failures) {
      const r = applyIptables(t, args);
      expect(r.ok, args.join(' ')).toBe(false);
      if (!r.ok) expect(r.error, args.join(' ')).toContain(message);
      expect(snapshot(t), args.join(' ')).toBe(before);
    }
  });

  it('names the offending argument', () => {
    const r = applyIptables(newTables(), ['-t', 'nat', '-A', 'KUBE-MISSING', '-j', 'ACCEPT']);
    expect(r).toMatchObject({ ok: false, arg: 'KUBE-MISSING' });
  });
});

describe('parseIptablesCommand', () => {
  it('separates listing flags from the command', () => {
    const r = parseIptablesCommand(['-t', 'nat', '-nvL', 'KUBE-SERVICES']);
    expect(r).toMatchObject({ ok: true, command: { verb: 'L', table: 'nat', chain: 'KUBE-SERVICES', numeric: true, verbose: true } });
    expect(parseIptablesCommand(['-S', '-v'])).toMatchObject({ ok: true, command: { verb: 'S', verbose: true } });
    expect(parseIptablesCommand(['-nvxL', '--line-numbers'])).toMatchObject({ ok: true, command: { exact: true, lineNumbers: true } });
  });
});

describe('tokenizeRestoreLine', () => {
  it('splits like add_param_to_argv: double quotes group, backslash escapes inside them', () => {
    expect(tokenizeRestoreLine('-A X -m comment --comment "a \\"quoted\\" word"  -j Y')).toEqual([
      '-A', 'X', '-m', 'comment', '--comment', 'a "quoted" word', '-j', 'Y',
    ]);
    expect(tokenizeRestoreLine("-A X --comment 'not grouped'")).toEqual(['-A', 'X', '--comment', "'not", "grouped'"]);
    expect(tokenizeRestoreLine('-A X --comment ""')).toEqual(['-A', 'X', '--comment', '']);
  });
});

describe('iptablesRestore', () => {
  const restore = (t: Tables, payload: string, noflush = true, counters = true) =>
    iptablesRestore(t, payload, { noflush, counters });

  it('with --noflush, flushes only the chains it declares', () => {
    const t = newTables();
    run(t, '-t', 'nat', '-N', 'KEEP');
    run(t, '-t', 'nat', '-A', 'KEEP', '-j', 'RETURN');
    run(t, '-t', 'nat', '-N', 'KUBE-A');
    run(t, '-t', 'nat', '-A', 'KUBE-A', '-j', 'RETURN');
    const r = restore(t, '*nat\n:KUBE-A - [0:0]\n:KUBE-B - [0:0]\n-A KUBE-A -j KUBE-B\nCOMMIT\n');
    expect(r).toEqual({ ok: true });
    expect(t.nat.get('KEEP')!.rules).toHaveLength(1);
    expect(t.nat.get('KUBE-A')!.rules.map((x) => x.target)).toEqual([{ t: 'jump', chain: 'KUBE-B' }]);
    expect(t.nat.has('KUBE-B')).toBe(true);
  });

  it('without --noflush, empties the table and deletes its user chains first', () => {
    const t = newTables();
    run(t, '-t', 'nat', '-N', 'OLD');
    run(t, '-t', 'nat', '-A', 'PREROUTING', '-j', 'OLD');
    run(t, '-A', 'INPUT', '-j', 'ACCEPT');
    expect(restore(t, '*nat\n:PREROUTING ACCEPT [3:180]\nCOMMIT\n', false)).toEqual({ ok: true });
    expect(t.nat.has('OLD')).toBe(false);
    expect(t.nat.get('PREROUTING')).toMatchObject({ rules: [], policyCounters: { pkts: 3, bytes: 180 } });
    expect(t.filter.get('INPUT')!.rules).toHaveLength(1);
  });

  it('takes [pkts:bytes] only with --counters', () => {
    const t = newTables();
    restore(t, '*filter\n[12:3400] -A INPUT -j ACCEPT\nCOMMIT\n');
    restore(t, '*filter\n[12:3400] -A OUTPUT -j ACCEPT\nCOMMIT\n', true, false);
    expect(t.filter.get('INPUT')!.rules[0]!.counters).toEqual({ pkts: 12, bytes: 3400 });
    expect(t.filter.get('OUTPUT')!.rules[0]!.counters).toEqual({ pkts: 0, bytes: 0 });
  });

  it('deletes chains with -X after their references are flushed', () => {
    const t = newTables();
    restore(t, '*nat\n:KUBE-SVC-A - [0:0]\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -j KUBE-SVC-A\nCOMMIT\n');
    expect(restore(t, '*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-A - [0:0]\n-X KUBE-SVC-A\nCOMMIT\n')).toEqual({ ok: true });
    expect(t.nat.has('KUBE-SVC-A')).toBe(false);
  });

  it('applies all or nothing, naming the failing line', () => {
    const t = newTables();
    const before = snapshot(t);
    const r = restore(t, '*filter\n:GOOD - [0:0]\n-A GOOD -j ACCEPT\nCOMMIT\n*nat\n:X - [0:0]\n-A X -j NOWHERE\nCOMMIT\n');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toContain("Couldn't load target `NOWHERE'");
      expect(r.error).toContain('Error occurred at line: 7');
    }
    expect(snapshot(t)).toBe(before);
    const missing = restore(t, '*nat\n:X - [0:0]\n-A Y -j ACCEPT\nCOMMIT\n');
    expect(missing).toMatchObject({ ok: false, error: 'iptables-restore: line 3 failed: No chain/target/match by that name.' });
    expect(restore(t, '*nat\n:X - [0:0]\n')).toMatchObject({ ok: false, error: 'iptables-restore: COMMIT expected at line 3' });
    expect(snapshot(t)).toBe(before);
  });

  it('gives every table its own rules and counters when one payload is restored into many (as on every node)', () => {
    const payload = '*nat\n:KUBE-SVC-A - [0:0]\n:KUBE-SEP-B - [0:0]\n-A KUBE-SVC-A -m comment --comment "ns/a:80 -> 10.42.1.6:80" -j KUBE-SEP-B\n-A KUBE-SEP-B -p tcp -m tcp -j DNAT --to-destination 10.42.1.6:80\nCOMMIT\n';
    const [a, b] = [newTables(), newTables()];
    expect(restore(a, payload)).toEqual({ ok: true });
    expect(restore(b, payload)).toEqual({ ok: true });
    const ruleA = a.nat.get('KUBE-SVC-A')!.rules[0]!;
    const ruleB = b.nat.get('KUBE-SVC-A')!.rules[0]!;
    expect(sameRuleSpec(ruleA, ruleB)).toBe(true);
    // what the engine does when a packet matches a rule on one node
    ruleA.counters.pkts++;
    ruleA.counters.bytes += 60;
    expect(ruleB.counters).toEqual({ pkts: 0, bytes: 0 });
    expect(b.nat.get('KUBE-SEP-B')!.rules[0]!.counters).toEqual({ pkts: 0, bytes: 0 });
    // a third restore starts at zero too
    const c = newTables();
    restore(c, payload);
    expect(c.nat.get('KUBE-SVC-A')!.rules[0]!.counters).toEqual({ pkts: 0, bytes: 0 });
  });

  it('checks a payload seen before against the tables it goes into, naming the same line', () => {
    const payload = '*nat\n# a comment\n\n-A PREROUTING -j KUBE-X\nCOMMIT\n';
    for (let i = 0; i < 2; i++) {
      const r = restore(newTables(), payload);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toContain('Error occurred at line: 4');
    }
    const t = newTables();
    run(t, '-t', 'nat', '-N', 'KUBE-X');
    expect(restore(t, payload)).toEqual({ ok: true });
    expect(t.nat.get('PREROUTING')!.rules.map((x) => x.target)).toEqual([{ t: 'jump', chain: 'KUBE-X' }]);
  });

  it('keeps quoted comments whole', () => {
    const t = newTables();
    restore(t, '*filter\n-A INPUT -m comment --comment "kubernetes service portals" -j ACCEPT\nCOMMIT\n');
    expect(t.filter.get('INPUT')!.rules[0]!.matches).toEqual([{ m: 'comment', comment: 'kubernetes service portals' }]);
  });
});
