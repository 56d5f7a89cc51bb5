import { describe, expect, it } from 'vitest';
import { runNft } from '../linux/nftables/parser.ts';
import { NftRuleset } from '../linux/nftables/ruleset.ts';
import { flannelNftables } from './flannel-nftables.ts';

describe('flanneld with EnableNFTables', () => {
  const rs = new NftRuleset();
  const r = flannelNftables({ nft: rs }, '10.42.0.0/16', '10.42.1.0/24');
  const list = (cmd: string) => {
    const out = runNft(rs, cmd);
    return out.ok ? out.output : out.error;
  };

  it('loads its transactions', () => {
    expect(r).toEqual({ ok: true });
  });

  // flannel e2e/rules.go expectedNftPostrouting / expectedNftForward: what `nft list chain` prints on a node
  it('prints the postrtg chain flannel\'s e2e test expects', () => {
    expect(list('list chain ip flannel-ipv4 postrtg').trimEnd()).toBe(
      [
        'table ip flannel-ipv4 {',
        '\tchain postrtg {',
        '\t\tcomment "chain to manage traffic masquerading by flannel"',
        '\t\ttype nat hook postrouting priority srcnat; policy accept;',
        '\t\tmeta mark 0x00004000 return',
        '\t\tip saddr 10.42.1.0/24 ip daddr 10.42.0.0/16 return',
        '\t\tip saddr 10.42.0.0/16 ip daddr 10.42.1.0/24 return',
        '\t\tip saddr != 10.42.1.0/24 ip daddr 10.42.0.0/16 return',
        '\t\tip saddr 10.42.0.0/16 ip daddr != 224.0.0.0/4 masquerade fully-random',
        '\t\tip saddr != 10.42.0.0/16 ip daddr 10.42.0.0/16 masquerade fully-random',
        '\t}',
        '}',
      ].join('\n'),
    );
  });

  it('prints the forward chain flannel\'s e2e test expects', () => {
    expect(list('list chain ip flannel-ipv4 forward').trimEnd()).toBe(
      ['table ip flannel-ipv4 {', '\tchain forward {', '\t\tcomment "chain to accept flannel traffic"', '\t\ttype filter hook forward priority filter; policy accept;', '\t\tip saddr 10.42.0.0/16 accept', '\t\tip daddr 10.42.0.0/16 accept', '\t}', '}'].join('\n'),
    );
  });

  it('also creates the (empty) ip6 table, as Init does for both families', () => {
    expect(list('list tables')).toBe('table ip flannel-ipv4\ntable ip6 flannel-ipv6\n');
  });
});
