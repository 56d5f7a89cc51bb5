import { describe, expect, it } from 'vitest';
import { runNft } from './parser.ts';
import { NftRuleset } from './ruleset.ts';

// What nft 1.0.6 printed on kernel 6.18 for these inputs, loaded with `nft -f` inside a network
// namespace (captured once; scripts/conformance/nftables.ts re-checks the proxier's ruleset live).

function load(text: string): NftRuleset {
  const rs = new NftRuleset();
  const r = runNft(rs, text);
  if (!r.ok) throw new Error(r.error);
  return rs;
}

function list(rs: NftRuleset, cmd: string, handles = false): string {
  const r = runNft(rs, cmd, { list: { handles } });
  if (!r.ok) throw new Error(r.error);
  return r.output;
}

const MIXED = `add table ip t
add chain ip t a
add chain ip t b
add map ip t m { type ipv4_addr . inet_proto . inet_service : verdict ; }
add element ip t m { 10.43.6.58 . tcp . 80 : goto a }
add element ip t m { 10.43.0.1 . tcp . 443 : goto a }
add element ip t m { 10.43.0.10 . udp . 53 : goto b }
add element ip t m { 10.43.0.10 . tcp . 53 : goto b }
add element ip t m { 10.43.0.10 . tcp . 9153 : goto b }
add element ip t m { 9.43.0.10 . tcp . 80 : goto b }
add element ip t m { 10.43.1.2 . tcp . 81 : goto b }
add element ip t m { 10.43.1.2 . tcp . 336 : goto b }
add map ip t n { type inet_proto . inet_service : verdict ; }
add element ip t n { tcp . 32506 : goto a, tcp . 3001 : drop, udp . 3001 : drop, tcp . 30000 : goto b }
add set ip t s { type ipv4_addr ; }
add element ip t s { 10.0.0.9, 10.0.0.1, 1.2.3.4, 10.43.6.58, 192.168.0.1, 10.0.0.2, 255.0.0.1 }
add set ip t p { type inet_service ; }
add element ip t p { 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,300,256 }
add set ip t i { type ipv4_addr ; flags interval ; }
add element ip t i { 10.0.0.0/8, 192.168.0.0/16, 1.2.3.4 }
add rule ip t a numgen random mod 1 vmap { 0 : goto b }
add rule ip t a tcp dport { 443, 22, 80 } accept
add rule ip t a ip daddr { 10.0.0.1 } accept
add rule ip t a counter ip saddr 1.2.3.4 counter drop
add rule ip t a meta l4proto tcp counter packets 5 bytes 300 accept
add rule ip t a ct state established,related accept
add rule ip t a ct state { established, related } accept
add rule ip t a iifname "cni0" oifname != "lo" accept
add rule ip t a ip protocol icmp reject with icmp type host-unreachable
add rule ip t a tcp dport 80 reject with tcp reset
add rule ip t a ip saddr 10.0.0.0-10.0.0.255 accept
add rule ip t a th dport 53 meta mark set 0x10 accept
add rule ip t a meta mark 0x4000 return
add rule ip t a meta mark and 0x4000 != 0 jump b
add rule ip t a snat to 1.2.3.4
add rule ip t a dnat to 10.0.0.1
add rule ip t a masquerade
add rule ip t a masquerade random
`;

/** `nft -a list ruleset` after `nft -f` of MIXED, as the real nft printed it. */
const MIXED_LISTED = `table ip t { # handle 1
	map m { # handle 3
		type ipv4_addr . inet_proto . inet_service : verdict
		elements = { 10.43.0.10 . tcp . 53 : goto b,
			     10.43.0.10 . udp . 53 : goto b,
			     9.43.0.10 . tcp . 80 : goto b,
			     10.43.6.58 . tcp . 80 : goto a,
			     10.43.1.2 . tcp . 336 : goto b,
			     10.43.1.2 . tcp . 81 : goto b,
			     10.43.0.1 . tcp . 443 : goto a,
			     10.43.0.10 . tcp . 9153 : goto b }
	}

	map n { # handle 4
		type inet_proto . inet_service : verdict
		elements = { tcp . 30000 : goto b,
			     tcp . 3001 : drop,
			     udp . 3001 : drop,
			     tcp . 32506 : goto a }
	}

	set s { # handle 5
		type ipv4_addr
		elements = { 1.2.3.4, 10.0.0.1,
			     10.0.0.2, 10.0.0.9,
			     10.43.6.58, 192.168.0.1,
			     255.0.0.1 }
	}

	set p { # handle 6
		type inet_service
		elements = { 1, 2, 3, 4, 5,
			     6, 7, 8, 9, 10,
			     11, 12, 13, 14, 15,
			     16, 17, 18, 256, 300 }
	}

	set i { # handle 7
		type ipv4_addr
		flags interval
		elements = { 1.2.3.4, 10.0.0.0/8,
			     192.168.0.0/16 }
	}

	chain a { # handle 1
		numgen random mod 1 vmap { 0 : goto b } # handle 9
		tcp dport { 22, 80, 443 } accept # handle 11
		ip daddr 10.0.0.1 accept # handle 12
		counter packets 0 bytes 0 ip saddr 1.2.3.4 counter packets 0 bytes 0 drop # handle 13
		meta l4proto tcp counter packets 5 bytes 300 accept # handle 14
		ct state established,related accept # handle 15
		ct state { established, related } accept # handle 17
		iifname "cni0" oifname != "lo" accept # handle 18
		ip protocol icmp reject with icmp host-unreachable # handle 19
		tcp dport 80 reject with tcp reset # handle 20
		ip saddr 10.0.0.0-10.0.0.255 accept # handle 21
		th dport 53 meta mark set 0x00000010 accept # handle 22
		meta mark 0x00004000 return # handle 23
		meta mark & 0x00004000 != 0x00000000 jump b # handle 24
		snat to 1.2.3.4 # handle 25
		dnat to 10.0.0.1 # handle 26
		masquerade # handle 27
		masquerade random # handle 28
	}

	chain b { # handle 2
	}
}
`;

describe('nft list prints what nft prints', () => {
  const rs = load(MIXED);
  it('a mixed ruleset, handles included (element order, line breaks, normalised statements)', () => {
    expect(list(rs, 'list ruleset', true)).toBe(MIXED_LISTED);
  });

  it('orders a concatenated map by the key bytes read as one little-endian number: the port\'s low byte first', () => {
    // 53 = 0x0035, 80 = 0x0050, 336 = 0x0150, 81 = 0x0051, 443 = 0x01bb, 9153 = 0x23c1
    const ports = [...list(rs, 'list map ip t m').matchAll(/\. (\d+) :/g)].map((m) => Number(m[1]));
    expect(ports).toEqual([53, 53, 80, 80, 336, 81, 443, 9153]);
  });

  it('breaks ipv4 sets after 2 elements a line and port sets after 5 (calculate_delim)', () => {
    expect(list(rs, 'list set ip t s')).toContain('elements = { 1.2.3.4, 10.0.0.1,\n\t\t\t     10.0.0.2, 10.0.0.9,');
    expect(list(rs, 'list set ip t p')).toContain('elements = { 1, 2, 3, 4, 5,\n\t\t\t     6, 7,');
  });

  it('gives chains, sets, anonymous sets and rules handles from one per-table counter', () => {
    // chains a, b = 1, 2; maps/sets 3…7; the numgen rule's anonymous map takes 8, the rule 9
    expect(list(rs, 'list chain ip t a', true)).toContain('numgen random mod 1 vmap { 0 : goto b } # handle 9');
    // a one-element anonymous set is optimised into a plain comparison: no set, no handle
    expect(list(rs, 'list chain ip t a', true)).toContain('ip daddr 10.0.0.1 accept # handle 12');
  });
});

describe('chain and set declarations', () => {
  it('prints priorities by name only where nft allows the name at that hook', () => {
    const rs = load(`add table ip k
add chain ip k a { type filter hook prerouting priority -110 ; }
add chain ip k b { type filter hook output priority -110 ; }
add chain ip k c { type nat hook output priority -100 ; }
add chain ip k d { type nat hook postrouting priority 100 ; }
add chain ip k e { type filter hook forward priority -10 ; policy drop ; }
add chain ip k f { type filter hook input priority mangle ; comment "x" ; }
`);
    const out = list(rs, 'list chains');
    expect(out).toContain('type filter hook prerouting priority dstnat - 10; policy accept;');
    expect(out).toContain('type filter hook output priority -110; policy accept;');
    expect(out).toContain('type nat hook output priority -100; policy accept;');
    expect(out).toContain('type nat hook postrouting priority srcnat; policy accept;');
    expect(out).toContain('type filter hook forward priority filter - 10; policy drop;');
    // a chain's comment comes before its type line
    expect(out).toContain('\t\tcomment "x"\n\t\ttype filter hook input priority mangle; policy accept;');
  });

  it('refuses dstnat at the output hook as nft does', () => {
    const r = runNft(new NftRuleset(), 'add table ip k\nadd chain ip k c { type nat hook output priority dstnat ; }', { file: 'p.nft' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toBe('p.nft:2:41-55: Error: invalid priority expression value in this context.\nadd chain ip k c { type nat hook output priority dstnat ; }\n                                        ^^^^^^^^^^^^^^^\n');
  });

  it('prints a dynamic set with its default size, flags in nft\'s order and the timeout in units', () => {
    const rs = load('add table ip k\nadd set ip k a { type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }\nadd set ip k b { type ipv4_addr ; flags timeout,interval ; timeout 1h ; size 100 ; comment "c1" ; }');
    expect(list(rs, 'list set ip k a')).toBe('table ip k {\n\tset a {\n\t\ttype ipv4_addr\n\t\tsize 65535\n\t\tflags dynamic,timeout\n\t\ttimeout 3h\n\t}\n}\n');
    expect(list(rs, 'list set ip k b')).toBe('table ip k {\n\tset b {\n\t\ttype ipv4_addr\n\t\tsize 100\n\t\tflags interval,timeout\n\t\ttimeout 1h\n\t\tcomment "c1"\n\t}\n}\n');
  });

  it('normalises statements as nft prints them back', () => {
    const rs = load(`add table ip k
add chain ip k x
add rule ip k x reject with icmp port-unreachable
add rule ip k x ip daddr == 1.2.3.4 accept
add rule ip k x ct state == new accept
add rule ip k x meta mark set meta mark and 0xff00 accept
add rule ip k x fib daddr type { local, broadcast } accept
add rule ip k x tcp dport != { 80, 443 } drop
`);
    expect(list(rs, 'list chain ip k x')).toBe(`table ip k {
\tchain x {
\t\treject
\t\tip daddr 1.2.3.4 accept
\t\tct state == new accept
\t\tmeta mark set meta mark & 0x0000ff00 accept
\t\tfib daddr type { local, broadcast } accept
\t\ttcp dport != { 80, 443 } drop
\t}
}
`);
  });
});

describe('nft -f is one batch', () => {
  it('refuses a port mapping without a transport match, and loads nothing of the batch', () => {
    const rs = new NftRuleset();
    const r = runNft(rs, 'add table ip k\nadd chain ip k x\nadd rule ip k x dnat to 10.0.0.1:80', { file: 'd.nft' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('d.nft:3:34-35: Error: transport protocol mapping is only valid after transport protocol match');
    expect(rs.tables).toHaveLength(0);
  });

  it('refuses a jump to a missing chain and a chain that reaches itself', () => {
    const rs = load('add table ip k\nadd chain ip k a\nadd chain ip k b');
    const missing = runNft(rs, 'add rule ip k a ip daddr 1.2.3.4 jump nonexist');
    expect(missing.ok ? '' : missing.error).toContain('Error: Could not process rule: No such file or directory');
    const loop = runNft(rs, 'add rule ip k a jump b\nadd rule ip k b goto a');
    expect(loop.ok ? '' : loop.error).toContain('Too many levels of symbolic links');
    expect(list(rs, 'list table ip k')).toBe('table ip k {\n\tchain a {\n\t}\n\n\tchain b {\n\t}\n}\n');
  });

  it('refuses a jump to a base chain (EOPNOTSUPP) or to no chain, pointing at the name as nft 1.0.6 on kernel 6.18 did', () => {
    const base = 'add table ip t\nadd chain ip t b { type filter hook input priority 0 ; }\nadd chain ip t c\n';
    const toBase = runNft(new NftRuleset(), `${base}add rule ip t c jump b\n`, { file: '/dev/stdin' });
    expect(toBase.ok ? '' : toBase.error).toBe('/dev/stdin:4:22-22: Error: Could not process rule: Operation not supported\nadd rule ip t c jump b\n                     ^\n');
    const toNothing = runNft(new NftRuleset(), `${base}add rule ip t c jump nonexist\n`, { file: '/dev/stdin' });
    expect(toNothing.ok ? '' : toNothing.error).toBe('/dev/stdin:4:22-29: Error: Could not process rule: No such file or directory\nadd rule ip t c jump nonexist\n                     ^^^^^^^^\n');
    const rs = load(`${base}add map ip t m { type inet_service : verdict ; }`);
    const element = runNft(rs, 'add element ip t m { 80 : goto b }');
    expect(element.ok ? '' : element.error).toContain('Could not process rule: Operation not supported');
  });

  it('refuses to delete a chain still jumped to (EBUSY)', () => {
    const rs = load('add table ip k\nadd chain ip k a\nadd chain ip k b\nadd rule ip k a jump b');
    const r = runNft(rs, 'delete chain ip k b');
    expect(r.ok ? '' : r.error).toBe('Error: Could not process rule: Device or resource busy\ndelete chain ip k b\n                  ^\n');
  });

  it('reads back its own listing (the block form)', () => {
    const rs = load(MIXED);
    const again = load(list(rs, 'list ruleset'));
    expect(list(again, 'list ruleset')).toBe(list(rs, 'list ruleset'));
  });
});
